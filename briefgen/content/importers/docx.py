"""A DOCX exported by briefgen, then revised by an editor → the model.

The named styles the DOCX writer uses say what each paragraph is (Title,
Heading 2 = a contribution's headline, Pull Quote, Attribution, Bio …), so an
editor's changes — edited text, added or deleted paragraphs, a renamed
headline, a deleted contribution — come back. Paragraphs in styles briefgen
does not know are kept as body text, with a warning naming the paragraph.

The file is checked before it is parsed: size limits on the zip and each of
its parts (zip bombs), and no DTD or entity declarations in any XML part
(billion-laughs and external-entity attacks).

No name inside the DOCX decides where a file goes: a contributor id from a
`_Contributor_<id>` bookmark must be a slug (lower-case words joined by '-'),
a picture part must be named .jpg, .jpeg, .png, .gif or .webp, and the suffix
its copy is saved with comes from the picture's bytes. Copies are written
inside the work folder only (fsguard).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ...docx_styles import (CHAR_CODE, CHAR_LINK_NUMBER, CHAR_MARKED, CHAR_ORGANISATION, CHAR_PUBLISHER,
                            CHAR_ROLE,
                            CHAR_STRONG_EMPHASIS, CONTRIBUTOR_BOOKMARK, STYLE_ATTRIBUTION,
                            STYLE_BACK_HEADING, STYLE_BIO, STYLE_BIO_AFFILIATION, STYLE_BIO_NAME,
                            STYLE_BIO_PHOTO, STYLE_BODY, STYLE_BODY_CONTINUED, STYLE_COLOPHON,
                            STYLE_COLOPHON_FIELDS, STYLE_COVER_CONTRIBUTOR, STYLE_COVER_LABEL,
                            STYLE_CTA, STYLE_CTA_LINK, STYLE_EXPERTS_INTRO, STYLE_ISSUE_LINE,
                            STYLE_LEDE, STYLE_LINK_NOTE, STYLE_LINK_NOTES_HEADING, STYLE_PUBLISHER,
                            STYLE_PULL_QUOTE, STYLE_RUNNING_TITLE, STYLE_SERIES, STYLE_STANDFIRST,
                            CUSTOM_PROPERTY, STYLE_COVER_IMAGE, STYLE_DIVIDER)
from ... import fsguard
from ...errors import BriefgenError, ContentError
from ...i18n import parse_issue_line
from ...model import (Block, CallToAction, Colophon, Contribution, Contributor, Heading, Image,
                      Issue, ListBlock, Paragraph, PullQuote, Quote, Span)
from ...slugs import slugify
from ..issue_writer import ALLOWED_IMAGE_SUFFIXES, image_suffix, is_slug
from ..pullquotes import pick_pull_quote
from ..review import piece_section
from .revisions import count_revisions, resolve

MAX_DOCX_BYTES = 50_000_000
MAX_PART_BYTES = 100_000_000      # uncompressed size of any one part
MAX_TOTAL_BYTES = 300_000_000     # uncompressed size of all parts
MAX_RATIO = 200                   # compression ratio of one part
MAX_PARTS = 2_000


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
_W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
_W15 = "{http://schemas.microsoft.com/office/word/2012/wordml}"
_BODY_STYLES = {STYLE_BODY, STYLE_LEDE, "Normal", "Body Text", "Body Text Last", "List Paragraph",
                STYLE_BODY_CONTINUED}
_IGNORED = {"TOC Heading", "TOC 1", "TOC 2", "TOC 3", STYLE_COLOPHON, STYLE_COVER_LABEL,
            STYLE_COVER_CONTRIBUTOR, STYLE_RUNNING_TITLE}
#: links printed as notes (layout links = "notes"): the list after a piece, the lede or
#: a bio, and the numbers after the linked words, are made from the links themselves
_LINK_NOTES = {STYLE_LINK_NOTES_HEADING, STYLE_LINK_NOTE}
_IGNORED |= _LINK_NOTES
#: a pack chapter's divider page (layout dividers = true): its number, title and list
#: are made from the issue, never read back as its text
_DIVIDER = set(STYLE_DIVIDER)
_IGNORED |= _DIVIDER


@dataclass
class DocxImport:
    issue: Issue
    warnings: list[BriefgenError] = field(default_factory=list)
    comments: list = field(default_factory=list)  # review.Comment, in the document's order


def check_docx_safety(path: Path) -> None:
    """Refuse oversize zips, zip bombs and XML with DTDs/entities, before parsing."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    size = path.stat().st_size
    if size > MAX_DOCX_BYTES:
        raise ContentError(f"DOCX is {size // 1_000_000} MB, over the "
                           f"{MAX_DOCX_BYTES // 1_000_000} MB limit", path=path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise ContentError("not a DOCX file (not a zip archive)", path=path,
                           hint="save the document as Word .docx") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_PARTS:
            raise ContentError(f"DOCX has {len(infos)} parts, over the limit of {MAX_PARTS}",
                               path=path)
        total = 0
        for info in infos:
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > MAX_PART_BYTES or total > MAX_TOTAL_BYTES or (
                    ratio > MAX_RATIO and info.file_size > 1_000_000):
                raise ContentError(f"DOCX part {info.filename} expands to "
                                   f"{info.file_size // 1_000_000} MB: refused as a zip bomb",
                                   path=path)
        if "word/document.xml" not in archive.namelist():
            raise ContentError("not a Word document (no word/document.xml)", path=path)
        for info in infos:
            if info.filename.endswith((".xml", ".rels")):
                try:
                    fromstring(archive.read(info), forbid_dtd=True, forbid_entities=True,
                               forbid_external=True)
                except DefusedXmlException:
                    raise ContentError(f"DOCX part {info.filename} declares a DTD or entities: "
                                       "refused as unsafe", path=path) from None
                except Exception:
                    raise ContentError(f"DOCX part {info.filename} is not well-formed XML",
                                       path=path, hint="open and re-save it in Word") from None


def import_docx(path: Path, workdir: Path, *, date: dt.date | None = None,
                lang: str | None = None, track_changes: str | None = None) -> DocxImport:
    """Read a briefgen DOCX; extracted photos are written into `workdir`.

    Pending tracked changes are refused unless `track_changes` is "accept"
    (the text Word shows after Accept All) or "reject" (after Reject All)."""
    import docx

    check_docx_safety(path)
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises many kinds for broken packages
        raise ContentError(f"cannot read the DOCX ({type(exc).__name__})", path=path,
                           hint="open and re-save it in Word or LibreOffice") from None
    roots = _revisable_roots(document)
    pending = count_revisions(roots)
    if pending.total and track_changes not in ("accept", "reject"):
        raise ContentError(f"{pending.summary()} pending", path=path,
                           hint="choose --track-changes accept or reject, or accept/reject "
                                "them in Word")
    removed: list[str] = []
    for root in roots:  # formatting-only changes are accepted when no policy is given
        removed += resolve(root, track_changes or "accept")
    reader = _Reader(document, path, workdir)
    reader.removed_text = removed
    result = reader.read(date=date, lang=lang)
    result.comments = reader.comments()
    return result


def _revisable_roots(document) -> list:
    """The XML of the body, headers and footers: where revisions can be."""
    roots = [document.element]
    for part in document.part.package.iter_parts():
        if part is not document.part and str(part.content_type).endswith(
                ("header+xml", "footer+xml")) and hasattr(part, "_element"):
            roots.append(part._element)
    return roots


class _Reader:
    def __init__(self, document, path: Path, workdir: Path):
        self.document = document
        self.path = path
        self.workdir = workdir
        self.warnings: list[BriefgenError] = []
        self.removed_text: list[str] = []  # paragraphs that lost text to a tracked change
        self.where: dict = {}     # paragraph element → (section key, block index or None)
        self.sections: dict = {}  # section key → stable name ("lede", "contribution:<id>" …)
        self._section = "lede"

    def warn(self, message: str, number: int | None, hint: str | None = None):
        where = f"paragraph {number}: " if number else ""
        self.warnings.append(ContentError(where + message, path=self.path, hint=hint))

    # ------------------------------------------------------------ reading

    def read(self, *, date, lang) -> DocxImport:
        props = self.document.core_properties
        lang = lang or props.language or "en"
        custom = self._custom_properties()
        # In reading order, with the paragraphs of tables (the bios are laid out in one).
        paragraphs = list(enumerate(_reading_order(self.document), 1))
        cover = {}
        sections: list[tuple[str, int, list]] = []  # (heading text, number, paragraphs)
        for number, paragraph in paragraphs:
            style = paragraph.style.name if paragraph.style is not None else "Normal"
            text = paragraph.text.strip()
            if style in ("Heading 1", STYLE_BACK_HEADING):
                sections.append((text, number, []))
            elif sections:
                sections[-1][2].append((number, paragraph, style))
            elif style == STYLE_SERIES and any(
                    r.style is not None and r.style.name == CHAR_PUBLISHER for r in paragraph.runs):
                # a title block's masthead: "Publisher · Series" in one paragraph
                publisher = "".join(r.text for r in paragraph.runs
                                    if r.style is not None and r.style.name == CHAR_PUBLISHER)
                cover[STYLE_PUBLISHER] = publisher.strip()
                cover[style] = text[len(publisher):].strip().removeprefix("·").strip()
            elif style in ("Title", STYLE_STANDFIRST, STYLE_PUBLISHER, STYLE_SERIES,
                           STYLE_ISSUE_LINE):
                cover[style] = text
            elif style == STYLE_COVER_IMAGE:
                cover[style] = self._photo(paragraph, number)
            elif style not in _IGNORED and text and not style.startswith("TOC"):
                self.warn(f"text before the first section in style “{style}” was ignored: "
                          f"“{text[:40]}”", number)
        issue_number, issue_date = parse_issue_line(cover.get(STYLE_ISSUE_LINE, ""), lang)
        if issue_date is None:
            issue_date = date or (props.created.date() if props.created else None)
        if issue_date is None:
            issue_date = dt.date.today()
            self.warn("no date found: today's date was used", None,
                      "set `date:` in issue.md, or pass --date")
        title = cover.get("Title", "")
        if not title:
            self.warn("no paragraph in the Title style: the title is missing", None,
                      "set `title:` in issue.md")
        series = cover.get(STYLE_SERIES, "")
        publisher = cover.get(STYLE_PUBLISHER, "")

        lede: list = []
        intro = ""
        contributions: list[tuple] = []
        bios: list[tuple] = []
        cta_parts: dict = {}
        for heading, number, content in sections:
            kind = self._section_kind(content)
            if kind == "experts":
                intro = " ".join(p.text.strip() for _, p, s in content
                                 if s == STYLE_EXPERTS_INTRO and p.text.strip())
                contributions += self._contributions(content)
            elif kind == "contributors":
                bios += self._bios(content)
            elif kind == "back":
                cta_parts = self._back(heading, content)
            else:
                self._section = ("lede", len(lede))
                lede += self._blocks(content, allowed=_BODY_STYLES)

        people = self._people(bios)
        built = []
        names: dict[str, int] = {}
        for headline, number, body, quote_text, marked, attribution, c_lang in contributions:
            authors = self._authors(attribution, people, number)
            self.sections[("contribution", number)] = piece_section(names, authors,
                                                                    len(built) + 1)
            c_lang = _same_convention(c_lang, lang)
            if authors and headline == " & ".join(p.name for p in authors):
                headline = ""  # the writer heads a piece without headline by its authors
            built.append(Contribution(headline=headline, contributors=authors, body=body,
                                      pull_quote=self._pull_quote(body, quote_text, marked),
                                      lang=c_lang if c_lang and c_lang != lang else None))
        used = {c.id for contribution in built for c in contribution.contributors}
        for person in people.values():
            if person.id not in used:
                self.warn(f"contributor {person.name} has a bio but no contribution", None)
        heading_fallback = publisher or series or "—"
        cta = None
        if cta_parts:
            heading = cta_parts["heading"]
            cta = CallToAction(heading="" if heading == heading_fallback else heading,
                               text=cta_parts["text"], url=cta_parts["url"])
        short_title = self._short_title()
        return DocxImport(Issue(
            title=title or "Untitled", date=issue_date,
            slug=slugify(custom.get("slug") or props.identifier or title, fallback="imported"),
            lang=lang, publisher=publisher, series=series, number=issue_number,
            short_title="" if short_title == title else short_title,
            standfirst=cover.get(STYLE_STANDFIRST, ""), lede=tuple(lede), experts_intro=intro,
            contributions=tuple(built), contributors=tuple(
                p for p in people.values() if p.id in used),
            call_to_action=cta, colophon=cta_parts.get("colophon"),
            cover_image=self._cover_image(cover.get(STYLE_COVER_IMAGE)),
            cover_focus=_focus(custom.get("cover_focus")),
            keywords=tuple(custom["keywords"]) if isinstance(custom.get("keywords"), list) else
            tuple(k.strip() for k in (props.keywords or "").split(",") if k.strip()),
        ), self.warnings)

    def _custom_properties(self) -> dict:
        from defusedxml.ElementTree import fromstring

        for rel in self.document.part.package.rels.values():
            if rel.reltype.endswith("/custom-properties") and not rel.is_external:
                root = fromstring(rel.target_part.blob)
                for prop in root:
                    if prop.get("name") == CUSTOM_PROPERTY and len(prop):
                        try:
                            value = json.loads(prop[0].text or "{}")
                        except ValueError:
                            return {}
                        return value if isinstance(value, dict) else {}
        return {}

    def _cover_image(self, found) -> Image | None:
        if not found:
            return None
        file, alt = found
        return Image(file, alt, hashlib.sha256(file.read_bytes()).hexdigest())

    def _section_kind(self, content) -> str:
        styles = {style for _, _, style in content}
        if styles & {"Heading 2", STYLE_PULL_QUOTE, STYLE_ATTRIBUTION, STYLE_EXPERTS_INTRO}:
            return "experts"
        if styles & {STYLE_BIO_NAME, STYLE_BIO, STYLE_BIO_AFFILIATION, STYLE_BIO_PHOTO}:
            return "contributors"
        if styles & {STYLE_CTA, STYLE_CTA_LINK, STYLE_COLOPHON,
                     *STYLE_COLOPHON_FIELDS.values()}:
            return "back"
        return "overview"

    def _contributions(self, content) -> list[tuple]:
        found = []
        current = None
        previous = None
        for number, paragraph, style in content:
            # The rest of a paragraph a pull quote stood inside, only right after
            # the quote (an editor's new paragraph after it is a paragraph of its own).
            style, previous = (STYLE_BODY if style == STYLE_BODY_CONTINUED
                               and previous != STYLE_PULL_QUOTE else style), style
            if style == "Heading 2":
                self.where[paragraph._p] = (("contribution", number), None)
                current = {"headline": paragraph.text.strip(), "number": number, "items": [],
                           "quote": None, "attribution": "", "lang": self._lang_of(paragraph)}
                found.append(current)
            elif style == STYLE_EXPERTS_INTRO:
                continue
            elif current is None:
                if paragraph.text.strip():
                    self.warn(f"text before the first contribution kept out: "
                              f"“{paragraph.text.strip()[:40]}”", number)
            elif style == STYLE_PULL_QUOTE:
                self.where[paragraph._p] = (("contribution", current["number"]), None)
                current["quote"] = paragraph.text.strip()
            elif style == STYLE_ATTRIBUTION:
                self.where[paragraph._p] = (("contribution", current["number"]), None)
                current["attribution"] = paragraph.text.strip()
            else:
                current["items"].append((number, paragraph, style))
        result = []
        for c in found:
            self._section = (("contribution", c["number"]), 0)
            body = self._blocks(c["items"], allowed=_BODY_STYLES)
            marked = any(span.marked for block in body if isinstance(block, Paragraph)
                         for span in block.spans)
            result.append((c["headline"], c["number"], body, c["quote"], marked,
                           c["attribution"], c["lang"]))
        return result

    def _pull_quote(self, body, quote_text, marked) -> PullQuote | None:
        if marked:
            from ..issue_folder import _first_marked  # the loader's rule for ==marked== text

            text = _first_marked(body)
            if quote_text is None or quote_text == text:
                return PullQuote(text, "marked")
        if quote_text is None:
            return None
        if self._removed(quote_text, body):
            # the editor deleted the quoted sentence (a tracked change): not pinned back
            auto = pick_pull_quote(body)
            return PullQuote(auto, "auto") if auto else None
        if quote_text == pick_pull_quote(body):
            return PullQuote(quote_text, "auto")
        return PullQuote(quote_text, "given")

    def _removed(self, quote_text: str, body) -> bool:
        """The pull quote's text was in the body, and a resolved revision took it out."""
        if not self.removed_text:
            return False
        text = " ".join(_plain(block) for block in body)
        return quote_text not in text and any(quote_text in t for t in self.removed_text)

    def _bios(self, content) -> list[tuple]:
        bios = []
        current = None
        photo = None
        for number, paragraph, style in content:
            if style == STYLE_BIO_PHOTO:
                photo = self._photo(paragraph, number)
            elif style == "Bio Initials":  # a circle drawn where there is no photo
                continue
            elif style == STYLE_BIO_NAME:
                self.where[paragraph._p] = (("bio", number), None)
                current = {"name": paragraph.text.strip(), "number": number,
                           "id": self._contributor_id(paragraph, number), "role": "",
                           "organisation": "", "affiliation": "", "items": [], "photo": photo}
                bios.append(current)
                photo = None
            elif current is None:
                if paragraph.text.strip():
                    self.warn("text before the first contributor's name was ignored", number)
            elif style == STYLE_BIO_AFFILIATION:
                current.update(self._affiliation(paragraph))
            else:
                current["items"].append((number, paragraph, style))
        result = []
        for b in bios:
            self._section = (("bio", b["number"]), 0)
            result.append((b, self._blocks(b["items"], allowed={STYLE_BIO} | _BODY_STYLES)))
        return result

    def _people(self, bios) -> dict[str, Contributor]:
        people: dict[str, Contributor] = {}
        for bio, blocks in bios:
            cid = bio["id"] or slugify(bio["name"], fallback="contributor")
            base, n = cid, 2
            while cid in people:
                cid, n = f"{base}-{n}", n + 1
            photo = None
            if bio["photo"]:
                file, alt = bio["photo"]
                photo = Image(file, alt or bio["name"], hashlib.sha256(file.read_bytes()).hexdigest())
            self.sections[("bio", bio["number"])] = f"bio:{cid}"
            people[cid] = Contributor(cid, bio["name"], bio["role"], bio["organisation"],
                                      bio=tuple(blocks), photo=photo)
        return people

    def _authors(self, attribution: str, people: dict, number: int) -> tuple[Contributor, ...]:
        authors = []
        remaining = attribution
        # Longest names first, so "Ann Lee-Smith" is not taken for "Ann Lee".
        for person in sorted(people.values(), key=lambda p: -len(p.name)):
            if person.name and person.name in remaining:
                authors.append((attribution.index(person.name), person))
                remaining = remaining.replace(person.name, "\0")
        if not authors:
            self.warn(f"attribution “{attribution[:60]}” names no contributor with a bio", number,
                      "add the contributor to the bios, or fix the name")
        return tuple(person for _, person in sorted(authors, key=lambda a: a[0]))

    def _back(self, heading: str, content) -> dict:
        text = " ".join(p.text.strip() for _, p, s in content if s == STYLE_CTA and p.text.strip())
        url = None
        field_of = {style: key for key, style in STYLE_COLOPHON_FIELDS.items()}
        colophon = {key: " ".join(p.text.split()) for _, p, s in content
                    for key in (field_of.get(s),) if key and p.text.strip()}
        for number, paragraph, style in content:
            if style in field_of:
                continue
            if style == STYLE_CTA_LINK:
                links = [h.address for h in paragraph.hyperlinks if h.address]
                url = links[0] if links else (paragraph.text.strip() or None)
            elif style not in (STYLE_CTA, STYLE_COLOPHON) and paragraph.text.strip():
                self.warn(f"unknown style “{style}” in the back matter: kept with its text",
                          number)
                text = (text + " " + paragraph.text.strip()).strip()
        return {"heading": heading, "text": text, "url": url,
                "colophon": Colophon(**colophon) if colophon else None}

    def _short_title(self) -> str:
        """The running head's right part ("Series<tab>Short title")."""
        for section in self.document.sections:
            header = section.header
            if header.is_linked_to_previous or not header.paragraphs:
                continue
            text = header.paragraphs[0].text
            if "\t" in text:
                return text.split("\t", 1)[1].strip()
        return ""

    # ------------------------------------------------------------ paragraphs → blocks

    def _blocks(self, items, allowed: set[str]) -> tuple[Block, ...]:
        blocks: list[Block] = []
        key, offset = self._section if isinstance(self._section, tuple) else (self._section, 0)
        for number, paragraph, style in items:
            if style in _LINK_NOTES:
                # A links list: made again from the links. (A comment on it goes to
                # its text's heading: the piece's headline, the bio's name.)
                self.where[paragraph._p] = (key, None)
                continue
            if style in _DIVIDER or style == STYLE_RUNNING_TITLE:
                continue  # (a pack's: made from its issues; the running head's hidden text)
            spans = self._spans(paragraph)
            if not "".join(s.text for s in spans).strip():
                continue
            if style in ("List Bullet", "List Number"):
                ordered = style == "List Number"
                item = (Paragraph(spans),)
                if blocks and isinstance(blocks[-1], ListBlock) and blocks[-1].ordered == ordered:
                    blocks[-1] = ListBlock(ordered, blocks[-1].items + (item,))
                else:
                    blocks.append(ListBlock(ordered, (item,)))
            elif style == "Quote":
                if blocks and isinstance(blocks[-1], Quote):
                    blocks[-1] = Quote(blocks[-1].blocks + (Paragraph(spans),))
                else:
                    blocks.append(Quote((Paragraph(spans),)))
            elif style in ("Heading 3", "Heading 4", "Heading 5", "Heading 6"):
                blocks.append(Heading(3, spans))
            elif style == STYLE_BODY_CONTINUED and blocks and isinstance(blocks[-1], Paragraph):
                # The paragraph a pull quote stood inside, whole again.
                blocks[-1] = Paragraph(join_spans(blocks[-1].spans + (Span(" "),) + spans))
                self.where[paragraph._p] = (key, offset + len(blocks) - 1)
                continue
            else:
                if style not in allowed:
                    self.warn(f"unknown style “{style}”: kept as body text", number,
                              "use the document's named styles for structure")
                blocks.append(Paragraph(spans))
            self.where[paragraph._p] = (key, offset + len(blocks) - 1)
        return tuple(blocks)

    # ------------------------------------------------------------ comments

    def comments(self) -> list:
        """Word's comments, each with the stable anchor of the paragraph it starts in."""
        from ..review import QUOTE_CHARS, Comment

        root, done = self._comment_parts()
        if root is None:
            return []
        anchors: dict[str, object] = {}
        for tag in ("commentRangeStart", "commentReference"):
            for node in self.document.element.iter(_W + tag):
                cid = node.get(_W + "id")
                paragraph = next(node.iterancestors(_W + "p"), None)
                if cid is not None and cid not in anchors and paragraph is not None:
                    anchors[cid] = paragraph
        found = []
        for comment in root.iter(_W + "comment"):
            cid = comment.get(_W + "id")
            paragraph = anchors.get(cid)
            if paragraph is None:
                continue  # its text was removed (a rejected insertion, a deleted piece)
            key, index = self.where.get(paragraph, ("issue", None))  # cover: the front matter
            section = key if key in ("lede", "issue") else self.sections.get(key)
            if section is None:
                continue  # in a part briefgen does not import (cover, back matter)
            paras = comment.findall(_W + "p")
            text = "\n".join("".join(t.text or "" for t in p.iter(_W + "t")) for p in paras)
            last_id = paras[-1].get(_W14 + "paraId") if paras else None
            quote = "".join(t.text or "" for t in paragraph.iter(_W + "t")).strip()
            found.append(Comment(id=str(cid), author=comment.get(_W + "author") or "",
                                 date=comment.get(_W + "date") or "", text=text.strip(),
                                 section=section, paragraph=index,
                                 quote=quote[:QUOTE_CHARS], resolved=last_id in done))
        return found

    def _comment_parts(self):
        """(the comments part's XML root, paraIds of comments marked done), or (None, ...)."""
        from defusedxml.ElementTree import fromstring  # noqa: F401  (checked before parsing)
        from lxml import etree

        root, done = None, set()
        for rel in self.document.part.rels.values():
            if rel.is_external:
                continue
            if rel.reltype.endswith("/comments"):
                root = etree.fromstring(rel.target_part.blob,
                                        etree.XMLParser(resolve_entities=False, no_network=True))
            elif rel.reltype.endswith("/commentsExtended"):
                extended = etree.fromstring(rel.target_part.blob, etree.XMLParser(
                    resolve_entities=False, no_network=True))
                for node in extended.iter(_W15 + "commentEx"):
                    if node.get(_W15 + "done") == "1":
                        done.add(node.get(_W15 + "paraId"))
        return root, done

    def _spans(self, paragraph) -> tuple[Span, ...]:
        spans: list[Span] = []
        for item in paragraph.iter_inner_content():
            if hasattr(item, "runs") and hasattr(item, "address"):  # a hyperlink
                link = item.address or None
                for run in item.runs:
                    self._add_span(spans, run, link)
            else:
                self._add_span(spans, item, None)
        # Runs that only split text (editors' tools do) are merged back.
        return join_spans(spans)

    def _add_span(self, spans: list, run, link) -> None:
        text = run.text
        link = _tidy_url(link)
        if not text:
            return
        style = run.style.name if run.style is not None else ""
        if style == CHAR_LINK_NUMBER:
            return  # a link's note number (links printed as notes): not text of its own
        strong = style in ("Strong", CHAR_STRONG_EMPHASIS) or bool(run.bold)
        emphasis = style in ("Emphasis", CHAR_STRONG_EMPHASIS) or bool(run.italic)
        spans.append(Span(text, strong=strong, emphasis=emphasis, code=style == CHAR_CODE,
                          link=link, marked=style == CHAR_MARKED))

    def _affiliation(self, paragraph) -> dict:
        role = "".join(r.text for r in paragraph.runs if r.style is not None
                       and r.style.name == CHAR_ROLE).strip()
        organisation = "".join(r.text for r in paragraph.runs if r.style is not None
                               and r.style.name == CHAR_ORGANISATION).strip()
        if not role and not organisation:
            # Styles lost (retyped line): "Role, Organisation" split at the last comma.
            text = paragraph.text.strip()
            role, _, organisation = text.rpartition(", ")
        return {"role": role, "organisation": organisation}

    def _contributor_id(self, paragraph, number: int) -> str:
        for node in paragraph._p.iter(_W + "bookmarkStart"):
            name = node.get(_W + "name", "")
            if name.startswith(CONTRIBUTOR_BOOKMARK):
                cid = name[len(CONTRIBUTOR_BOOKMARK):].replace("_", "-")
                if not is_slug(cid):
                    suggestion = slugify(paragraph.text, fallback="name").replace("-", "_")
                    raise ContentError(
                        f"paragraph {number}: the contributor bookmark {name!r} does not hold "
                        "an id of lower-case words joined by '_'", path=self.path,
                        hint=f"rename it {CONTRIBUTOR_BOOKMARK}{suggestion}, or delete it "
                             "(the id then comes from the name)")
                return cid
        return ""

    def _lang_of(self, paragraph) -> str | None:
        for node in paragraph._p.iter(_W + "lang"):
            value = node.get(_W + "val")
            if value:
                return value
        return None

    def _photo(self, paragraph, number) -> tuple[Path, str] | None:
        blip = next(paragraph._p.iter(_A + "blip"), None)
        if blip is None:
            return None
        rel_id = blip.get(_R + "embed")
        part = paragraph.part.related_parts.get(rel_id)
        if part is None:
            self.warn("a photo's picture data is missing", number)
            return None
        doc_pr = next(paragraph._p.iter(_WP + "docPr"), None)
        if doc_pr is not None and (doc_pr.get("name") == "Initials (decorative)" or any(
                node.get("val") == "1" for node in doc_pr.iter()
                if node.tag.endswith("}decorative"))):
            return None  # an initials circle drawn in place of a photo: not a photo
        alt = doc_pr.get("descr", "") if doc_pr is not None else ""
        if Path(part.partname).suffix.lower() not in ALLOWED_IMAGE_SUFFIXES:
            raise ContentError(f"paragraph {number}: the photo part {str(part.partname)!r} is "
                               "not named .jpg, .jpeg, .png, .gif or .webp", path=self.path,
                               hint="replace the picture with a JPEG or PNG")
        blob = part.blob
        suffix = image_suffix(blob)  # from the bytes, never from the part's name
        if suffix is None:
            raise ContentError(f"paragraph {number}: the photo {str(part.partname)!r} is "
                               "not a JPEG, PNG, GIF or WebP image", path=self.path,
                               hint="replace the picture with a JPEG or PNG")
        target = fsguard.write_bytes(self.workdir, f"photo-{number}{suffix}", blob,
                                     what="photo")
        return target, alt


def _reading_order(document):
    """The body's paragraphs, and those of its tables, in reading order."""
    from docx.text.paragraph import Paragraph as DocxParagraph

    body = document._body
    for child in document.element.body.iterchildren():
        if child.tag == _W + "p":
            yield DocxParagraph(child, body)
        elif child.tag == _W + "tbl":
            for paragraph in child.iter(_W + "p"):
                yield DocxParagraph(paragraph, body)


def _plain(block) -> str:
    if isinstance(block, (Paragraph, Heading)):
        return "".join(span.text for span in block.spans)
    if isinstance(block, ListBlock):
        return " ".join(_plain(b) for item in block.items for b in item)
    if isinstance(block, Quote):
        return " ".join(_plain(b) for b in block.blocks)
    return ""


def _same_convention(tag: str | None, issue_lang: str) -> str | None:
    """LibreOffice writes "ar" back as "ar-SA": follow the issue's own tag style."""
    if tag and "-" in tag and "-" not in issue_lang:
        return tag.split("-")[0]
    return tag


def _tidy_url(url: str | None) -> str | None:
    """"https://example.org/" → "https://example.org" (editors' tools add the slash)."""
    if url and url.count("/") == 3 and url.endswith("/") and "://" in url:
        return url[:-1]
    return url


def _focus(value) -> tuple[float, float]:
    """The cover's focal point kept in the custom property, when it is one."""
    if isinstance(value, list) and len(value) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 100
            for v in value):
        return (float(value[0]), float(value[1]))
    return (50.0, 50.0)


def join_spans(spans) -> tuple[Span, ...]:
    """Spans with neighbours of the same format merged into one."""
    merged: list[Span] = []
    for span in spans:
        if merged and _same_format(merged[-1], span):
            last = merged[-1]
            merged[-1] = Span(last.text + span.text, last.strong, last.emphasis, last.code,
                              last.link, last.marked)
        else:
            merged.append(span)
    return tuple(merged)


def _same_format(a: Span, b: Span) -> bool:
    return (a.strong, a.emphasis, a.code, a.link, a.marked) == (b.strong, b.emphasis, b.code,
                                                                 b.link, b.marked)


__all__ = ["DocxImport", "check_docx_safety", "import_docx"]
