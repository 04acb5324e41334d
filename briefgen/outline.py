"""The document as both writers see it: what goes on the pages, said once.

`build_outline(document)` turns an `Issue` or a `Pack` (pure content) into an
`Outline`: the sections in reading order, each with a stable id, a level, a
label and a kind; the contents entries; the annexes' letters; where each
contributor appears; which sentence each piece pulls out as its quote, and
where in the text that quote goes. The PDF writer (through its templates) and
the DOCX writer walk the same outline, so their ids, contents, bookmarks and
page references cannot drift apart.

Link notes (layout option `links = "notes"`, or RenderOptions.print_links): on
paper a link's address is lost, so each external link of a piece, of the lede or
of a bio is numbered here, once: the linked words end in a `NotedSpan` whose
`note` the writers set as a small superscript, and the text's `LinkNotes` list
each number with its URL, which the writers print after it. Numbering starts
at 1 in every piece (lede, bio); a URL linked twice in one text keeps its first
number. Only http(s) and mailto links are noted (internal and other links are
not clickable either), and not a link whose words already show its address.
`build_outline(document, link_notes=True)` makes such an outline;
`with_link_notes(outline, layout, options)` is what each writer calls.

Divider pages (layout option `dividers = true`): in a pack each chapter opens with
a page of its own that says what the chapter is: its number ("Chapter 2", in the
pack's language), its title, its series and date, and what it holds (each piece's
headline and authors). The chapter's `divider` carries that, and its title on the
divider is the chapter's heading, which the contents and the bookmarks point to;
the chapter's text then begins on the next page. An issue alone has none.
`build_outline(document, dividers=True)` makes such an outline; `for_layout(outline,
layout, options)` is what each writer calls (links as notes, dividers, by the layout).

An issue is a one-chapter pack here: both are a sequence of chapters, each an
issue with its pieces, and the writers draw a single issue and a pack with the
same code. What differs (a pack has an agenda, chapter openers, annexes; an
issue's cover shows its contributors) is data in the outline, not a branch.

Ids are part of the output's contract: PDF named destinations and links, DOCX
bookmarks (`_Toc_…`), PAGEREF fields and the importer that reads a DOCX back.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Literal

from .content.pullquotes import _SENTENCE_END
from .i18n import issue_line, labels
from .model import (Annex, Block, Contribution, Contributor, Heading, Issue, ListBlock, Pack,
                    Paragraph, PullQuote, Quote, Span, is_allowed_link, text_direction)

SectionKind = Literal["overview", "experts", "piece", "contributors", "back", "agenda",
                      "chapter", "annex"]


@dataclass(frozen=True)
class Entry:
    """A section that the contents and the bookmarks list."""

    id: str
    level: int
    label: str
    kind: SectionKind


@dataclass(frozen=True)
class LinkNote:
    """One numbered external link: the linked words get `number` as a superscript,
    and the text's list of links gives `number` with the URL."""

    number: int
    text: str
    url: str

    @property
    def shown(self) -> str:
        """The address as printed: the URL, or a mailto link's address."""
        return self.url[len("mailto:"):] if self.url.lower().startswith("mailto:") else self.url


@dataclass(frozen=True)
class LinkNotes:
    """The links list after a piece, the lede or a bio: its heading ("Links", in the
    text's language) and its notes in number order."""

    label: str
    notes: tuple[LinkNote, ...]


@dataclass(frozen=True)
class NotedSpan(Span):
    """A span that ends the words of a noted link: the writers set `note` after it."""

    note: int = 0


#: the heading of a links list, by language (English for the others)
LINKS_LABELS = {"en": "Links", "fr": "Liens", "it": "Link", "es": "Enlaces", "de": "Links",
                "ar": "الروابط"}


@dataclass(frozen=True)
class Piece:
    """A contribution as placed on the pages: its id, its pull quote and where
    the quote goes (after `before`, ahead of `after`)."""

    id: str
    number: int
    contribution: Contribution
    before: tuple[Block, ...]
    after: tuple[Block, ...]
    pull_quote: PullQuote | None
    #: the piece's language when it differs from the document's, else None
    lang: str | None = None
    #: the quote stands inside a paragraph: `after` begins with the rest of the
    #: paragraph that `before` ends with (writers run it on, without a new indent)
    continued: bool = False
    #: with link notes: the piece's numbered external links (its text's links carry
    #: the numbers, see NotedSpan), printed after its attribution; else None
    links: LinkNotes | None = None

    @property
    def label(self) -> str:
        return self.contribution.label

    @property
    def dir(self) -> str:
        return text_direction(self.lang)


@dataclass(frozen=True)
class DividerItem:
    """A line of a divider page's list: a piece's headline (or label) and its authors."""

    headline: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class Divider:
    """A pack chapter's divider page: "Chapter 2" (`label`), the chapter's title, its
    series and date (`line`), and what it holds (`heading` over `items`)."""

    number: int
    label: str
    line: str
    heading: str
    items: tuple[DividerItem, ...]


@dataclass(frozen=True)
class Chapter:
    """One issue of the document (a single issue is a one-chapter pack)."""

    id: str
    issue: Issue
    pieces: tuple[Piece, ...]
    #: the chapter's language when it differs from the document's, else None
    lang: str | None = None
    #: the issue's lede as placed (with link notes, its links numbered)
    lede: tuple[Block, ...] = ()
    #: with link notes: the lede's numbered external links, printed after it
    lede_links: LinkNotes | None = None
    #: with divider pages (a pack, layout dividers = true): the chapter's divider
    divider: Divider | None = None


@dataclass(frozen=True)
class AnnexEntry:
    id: str
    letter: str
    annex: Annex
    #: one id per annex page: the placeholder pages the PDF writer lays out
    page_ids: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.annex.title


@dataclass(frozen=True)
class AgendaRow:
    """A row of the agenda table, as both writers draw it: an item, or the heading
    of a day ("Friday 27 November 2026", in the pack's language) or of a session,
    which spans the table (day and session rows only have a `title`)."""

    time: str
    title: str
    speakers: tuple[Contributor, ...] = ()
    #: the id of the section the row's paper is (a chapter or an annex), if any
    target: str | None = None
    kind: Literal["item", "day", "session"] = "item"
    #: an item the edition's recipient may not see: its slot, with the closed label
    closed: bool = False


def agenda_rows(items, lang: str, targets: dict) -> tuple[AgendaRow, ...]:
    """The agenda's items with a heading row where a day begins and where a
    session begins (a new session, or the same one on a new day). Items stay in
    the pack's order (pack.yaml keeps each day's items together)."""
    from .i18n import format_day

    rows: list[AgendaRow] = []
    day, session = "", ""
    for item in items:
        if item.day != day and item.day:
            label = item.day if isinstance(item.day, str) else format_day(item.day, lang)
            rows.append(AgendaRow("", label, kind="day"))
            session = ""
        day = item.day
        if item.session and item.session != session:
            rows.append(AgendaRow("", item.session, kind="session"))
        session = item.session
        rows.append(AgendaRow(item.time, item.title, item.speakers,
                              targets.get(item.paper) if item.paper else None,
                              closed=item.closed))
    return tuple(rows)


@dataclass(frozen=True)
class Outline:
    kind: Literal["issue", "pack"]
    document: Issue | Pack
    title: str
    lang: str
    chapters: tuple[Chapter, ...]
    #: every section the contents and the bookmarks show, in reading order
    contents: tuple[Entry, ...]
    annexes: tuple[AnnexEntry, ...] = ()
    agenda: tuple[AgendaRow, ...] = ()
    #: everyone who writes in the document, once each, in order of first appearance
    contributors: tuple[Contributor, ...] = ()
    #: contributor id → ids of the pieces they wrote or co-wrote
    appearances: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: external links get numbered notes (layout links = "notes", or --print-links)
    link_notes: bool = False
    #: contributor id → their bio as placed (with link notes, its links numbered)
    bios: dict[str, tuple[Block, ...]] = field(default_factory=dict)
    #: with link notes: contributor id → their bio's numbered links (bios with links only)
    bio_links: dict[str, LinkNotes] = field(default_factory=dict)
    #: each chapter opens with a divider page (see Chapter.divider)
    dividers: bool = False

    @property
    def dir(self) -> str:
        return text_direction(self.lang)

    @property
    def is_pack(self) -> bool:
        return self.kind == "pack"

    @property
    def bio_ids(self) -> dict[str, str]:
        """Contributor id → the id of their bio (its element in the PDF; a page can
        begin there, see render/pdf.py to_balance)."""
        return {person.id: f"bio-{person.id}" for person in self.contributors}

    @property
    def ids(self) -> tuple[str, ...]:
        """Every id a writer must place, in reading order (for checks)."""
        ids = [e.id for e in self.contents]
        ids += [p.id for c in self.chapters for p in c.pieces]
        ids += [i for a in self.annexes for i in a.page_ids]
        return tuple(dict.fromkeys(ids))

    def entry(self, section_id: str) -> Entry:
        for entry in self.contents:
            if entry.id == section_id:
                return entry
        raise KeyError(section_id)

    @property
    def pieces(self) -> tuple[Piece, ...]:
        return tuple(p for c in self.chapters for p in c.pieces)


def annex_letter(index: int) -> str:
    """0 → "A", 25 → "Z", 26 → "AA" …"""
    return annex_letter(index // 26 - 1) + chr(65 + index % 26) if index >= 26 else chr(65 + index)


#: A piece shows its pull quote only when it has at least this many words and the
#: quote is at most this share of them: on a shorter piece the quote would repeat
#: a third or a half of the text a few lines away (README, "Pull quotes"). The
#: DOCX keeps a skipped quote, hidden, so that an import reads it back.
PULL_QUOTE_MIN_WORDS = 90
PULL_QUOTE_MAX_SHARE = 0.25
#: and each side of it holds at least this many words of text; a side as short as
#: _SIDE_MIN_SHORT only where no such place is free (see place_pull_quote)
_SIDE_MIN_WORDS = 25
_SIDE_MIN_SHORT = 10


def _words(blocks) -> int:
    return sum(len(b.text.split()) for b in blocks if isinstance(b, Paragraph))


def shows_pull_quote(contribution: Contribution) -> bool:
    """Whether the piece is long enough for its pull quote (PULL_QUOTE_MIN_WORDS)."""
    quote = contribution.pull_quote
    if quote is None:
        return False
    words = _words(contribution.body)
    return words >= PULL_QUOTE_MIN_WORDS and len(quote.text.split()) <= PULL_QUOTE_MAX_SHARE * words


def _split_paragraph(paragraph: Paragraph, at: int) -> tuple[Paragraph, Paragraph]:
    """The paragraph cut at character `at` of its text: two paragraphs, spans kept."""
    left, right, offset = [], [], 0
    for span in paragraph.spans:
        end = offset + len(span.text)
        if end <= at:
            left.append(span)
        elif offset >= at:
            right.append(span)
        else:
            left.append(replace(span, text=span.text[:at - offset]))
            right.append(replace(span, text=span.text[at - offset:]))
        offset = end
    if left:
        left[-1] = replace(left[-1], text=left[-1].text.rstrip())
    if right:
        right[0] = replace(right[0], text=right[0].text.lstrip())
    return (Paragraph(tuple(s for s in left if s.text)),
            Paragraph(tuple(s for s in right if s.text)))


def _first_sentence(text: str) -> str:
    match = _SENTENCE_END.search(text)
    return text[:match.end()] if match else text


def _last_sentence(text: str) -> str:
    ends = [m.end() for m in _SENTENCE_END.finditer(text) if m.end() < len(text.rstrip())]
    return text[ends[-1]:] if ends else text


def place_pull_quote(contribution: Contribution) -> tuple[tuple[Block, ...], tuple[Block, ...], bool]:
    """(blocks before the pull quote, blocks after it, whether the text after it goes
    on with the paragraph before it).

    The quote goes mid-text, where the words before it come closest to half the
    piece: between two paragraphs, or, in a piece of one paragraph (the model
    newsletter's shape) or whose paragraph ends lie far from the middle, between
    two sentences, away from the quote's own, the paragraph then going
    on after the quote as a magazine's column does. Each side keeps at least
    _SIDE_MIN_WORDS words; a place with a side of only _SIDE_MIN_SHORT words is
    taken where no such place is free (every one beside the quoted sentence, or
    none at all in a short piece), as a quote under the headline would repeat a
    sentence a few lines below it; where no place at all is free, it goes there."""
    body = contribution.body
    total = _words(body)
    quote = " ".join(contribution.pull_quote.text.split()) if contribution.pull_quote else ""
    best: tuple[float, tuple, tuple, bool] | None = None
    seen = 0
    for index, block in enumerate(body):
        if not isinstance(block, Paragraph):
            continue
        # between this paragraph and the next block
        words = len(block.text.split())
        side = min(seen + words, total - seen - words)
        if index + 1 < len(body) and side >= _SIDE_MIN_SHORT:
            # (not beside its own sentence: the last of this paragraph, the first of the next)
            following = body[index + 1].text if isinstance(body[index + 1], Paragraph) else ""
            neighbours = " ".join((_last_sentence(block.text) + " "
                                   + _first_sentence(following)).split())
            score = abs(seen + words - total / 2) + (1000 if quote and quote in neighbours else 0) \
                + (500 if side < _SIDE_MIN_WORDS else 0)
            if best is None or score < best[0]:
                best = (score, body[:index + 1], body[index + 1:], False)
        # inside it, at a sentence's end
        text = block.text
        ends = [0] + [m.end() for m in _SENTENCE_END.finditer(text)] + [len(text)]
        for k in range(1, len(ends) - 1):
            at = ends[k]
            before_words = seen + len(text[:at].split())
            side = min(before_words, total - before_words)
            if side < _SIDE_MIN_SHORT:
                continue
            # The quote beside its own sentence reads as a stutter: a place away from it.
            neighbours = " ".join((text[ends[k - 1]:at] + " " + text[at:ends[k + 1]]).split())
            # Between paragraphs is better: a cut in one wins only when it is nearer
            # the middle by a quarter of the piece.
            score = abs(before_words - total / 2) + total / 4 + 0.5 \
                + (1000 if quote and quote in neighbours else 0) \
                + (500 if side < _SIDE_MIN_WORDS else 0)
            if best is None or score < best[0]:
                first, second = _split_paragraph(block, at)
                best = (score, body[:index] + (first,), (second,) + body[index + 1:], True)
        seen += words
    if best is None:
        return (), body, False
    return best[1], best[2], best[3]


# ---------------------------------------------------------------- link notes

def _shows_target(text: str, url: str) -> bool:
    """The linked words already print the address ("example.org", "<https://…>")."""
    def bare(value: str) -> str:
        value = value.strip().lower()
        for prefix in ("mailto:", "https://", "http://", "www."):
            value = value.removeprefix(prefix)
        return value.rstrip("/")
    return bare(text) == bare(url)


def _notable(span: Span) -> bool:
    return is_allowed_link(span.link)


class _Numbering:
    """Numbers the external links of one text (a piece, the lede, a bio), in reading
    order: the last span of each link's words becomes a NotedSpan."""

    def __init__(self, lang: str):
        self.lang = lang
        self.notes: dict[str, LinkNote] = {}  # URL → its note (first number kept)

    def blocks(self, blocks: tuple[Block, ...]) -> tuple[Block, ...]:
        return tuple(self.block(block) for block in blocks)

    def block(self, block: Block) -> Block:
        if isinstance(block, Paragraph):
            return Paragraph(self.spans(block.spans))
        if isinstance(block, Heading):
            return Heading(block.level, self.spans(block.spans))
        if isinstance(block, ListBlock):
            return ListBlock(block.ordered, tuple(self.blocks(item) for item in block.items))
        if isinstance(block, Quote):
            return Quote(self.blocks(block.blocks))
        return block

    def spans(self, spans: tuple[Span, ...]) -> tuple[Span, ...]:
        out = list(spans)
        words = ""
        for index, span in enumerate(spans):
            if not _notable(span):
                words = ""
                continue
            words += span.text
            following = spans[index + 1] if index + 1 < len(spans) else None
            if following is not None and following.link == span.link:
                continue  # the link's words go on (a strong word inside it, say)
            text, words = " ".join(words.split()), ""
            url = span.link.strip()
            if _shows_target(text, url):
                continue
            note = self.notes.get(url)
            if note is None:
                note = self.notes[url] = LinkNote(len(self.notes) + 1, text, url)
            out[index] = NotedSpan(**{f.name: getattr(span, f.name) for f in fields(Span)},
                                   note=note.number)
        return tuple(out)

    def result(self) -> LinkNotes | None:
        if not self.notes:
            return None
        label = LINKS_LABELS.get(self.lang.split("-")[0].lower(), LINKS_LABELS["en"])
        return LinkNotes(label, tuple(self.notes.values()))


def _noted(blocks: tuple[Block, ...], lang: str) -> tuple[tuple[Block, ...], LinkNotes | None]:
    numbering = _Numbering(lang)
    return numbering.blocks(blocks), numbering.result()


def _bios(people: tuple[Contributor, ...], lang: str, link_notes: bool
          ) -> tuple[dict[str, tuple[Block, ...]], dict[str, LinkNotes]]:
    bios: dict[str, tuple[Block, ...]] = {}
    links: dict[str, LinkNotes] = {}
    for person in people:
        bios[person.id] = person.bio
        if link_notes:
            bios[person.id], found = _noted(person.bio, lang)
            if found:
                links[person.id] = found
    return bios, links


# ---------------------------------------------------------------- building

def _piece(section_id: str, number: int, contribution: Contribution, chapter_lang: str | None,
           document_lang: str, link_notes: bool = False) -> Piece:
    lang = contribution.lang or chapter_lang
    lang = lang if lang and lang != document_lang else None
    if not shows_pull_quote(contribution):
        piece = Piece(section_id, number, contribution, (), contribution.body, None, lang)
    else:
        before, after, continued = place_pull_quote(contribution)
        piece = Piece(section_id, number, contribution, before, after, contribution.pull_quote,
                      lang, continued)
    if not link_notes:
        return piece
    # Numbered through the text as placed: the quote's split paragraph is numbered
    # on as one (a link cut in two keeps its number, as the URL does).
    numbering = _Numbering(lang or document_lang)
    before, after = numbering.blocks(piece.before), numbering.blocks(piece.after)
    return replace(piece, before=before, after=after, links=numbering.result())


def _issue_outline(issue: Issue, link_notes: bool = False) -> Outline:
    t = labels(issue.lang)
    chapter_id = f"issue-{issue.slug}"
    pieces = tuple(_piece(f"contribution-{n}", n, c, None, issue.lang, link_notes)
                   for n, c in enumerate(issue.contributions, 1))
    lede, lede_links = _noted(issue.lede, issue.lang) if link_notes else (issue.lede, None)
    contents: list[Entry] = []
    if issue.lede:
        contents.append(Entry("overview", 1, t["overview"], "overview"))
    if pieces:
        contents.append(Entry("experts", 1, t["experts"], "experts"))
        contents += [Entry(p.id, 2, p.label, "piece") for p in pieces]
    if issue.contributors:
        contents.append(Entry("contributors", 1, t["contributors"], "contributors"))
    if issue.call_to_action:
        cta = issue.call_to_action
        contents.append(Entry("back", 1, cta.heading or issue.publisher or issue.series or "—",
                              "back"))
    bios, bio_links = _bios(issue.contributors, issue.lang, link_notes)
    return Outline("issue", issue, issue.title, issue.lang,
                   (Chapter(chapter_id, issue, pieces, lede=lede, lede_links=lede_links),),
                   tuple(contents), contributors=issue.contributors,
                   appearances=_appearances(pieces), link_notes=link_notes, bios=bios,
                   bio_links=bio_links)


def _divider(number: int, issue: Issue, pieces: tuple[Piece, ...], lang: str) -> Divider:
    """The divider page of the pack's chapter `number`, in the chapter's language (the
    page belongs to the chapter: "الفصل 2" over an Arabic chapter in any pack)."""
    t = labels(lang)
    line = " · ".join(x for x in (issue.series, issue_line(issue)) if x)
    items = tuple(DividerItem(p.label, tuple(person.name for person in
                                             p.contribution.contributors)) for p in pieces)
    return Divider(number, f"{t['chapter']} {number}", line, t["in_this_chapter"], items)


def _pack_outline(pack: Pack, link_notes: bool = False, dividers: bool = False) -> Outline:
    t = labels(pack.lang)
    contents: list[Entry] = []
    if pack.agenda:
        contents.append(Entry("agenda", 1, t["agenda"], "agenda"))
    chapters = []
    for issue in pack.issues:
        chapter_lang = issue.lang if issue.lang != pack.lang else None
        pieces = tuple(_piece(f"c-{issue.slug}-{n}", n, c, chapter_lang, pack.lang, link_notes)
                       for n, c in enumerate(issue.contributions, 1))
        lede, lede_links = _noted(issue.lede, issue.lang) if link_notes else (issue.lede, None)
        divider = _divider(len(chapters) + 1, issue, pieces, issue.lang) if dividers else None
        chapter = Chapter(f"issue-{issue.slug}", issue, pieces, chapter_lang, lede, lede_links,
                          divider)
        chapters.append(chapter)
        contents.append(Entry(chapter.id, 1, issue.title, "chapter"))
        contents += [Entry(p.id, 2, p.label, "piece") for p in pieces]
    contributors = pack.contributors
    if contributors:
        contents.append(Entry("contributors", 1, t["contributors"], "contributors"))
    annexes = tuple(AnnexEntry(f"annex-{a.id}", annex_letter(i), a,
                               tuple(f"annex-{a.id}-p{n}" for n in range(1, a.pages + 1)))
                    for i, a in enumerate(pack.annexes))
    contents += [Entry(a.id, 1, f"{t['annex']} {a.letter}: {a.label}", "annex") for a in annexes]
    targets = {("issue", c.issue.slug): c.id for c in chapters}
    targets.update({("annex", a.annex.id): a.id for a in annexes})
    agenda = agenda_rows(pack.agenda, pack.lang, targets)
    pieces = tuple(p for c in chapters for p in c.pieces)
    bios, bio_links = _bios(contributors, pack.lang, link_notes)
    return Outline("pack", pack, pack.title, pack.lang, tuple(chapters), tuple(contents),
                   annexes, agenda, contributors, _appearances(pieces), link_notes, bios,
                   bio_links, dividers)


def _appearances(pieces: tuple[Piece, ...]) -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for piece in pieces:
        for person in piece.contribution.contributors:
            found.setdefault(person.id, []).append(piece.id)
    return {person: tuple(ids) for person, ids in found.items()}


def build_outline(document: Issue | Pack, *, link_notes: bool = False,
                  dividers: bool = False) -> Outline:
    """The one description of what goes on the pages, for every writer; with
    `link_notes`, external links numbered for print; with `dividers`, a pack's
    chapters each open with a divider page (see the module's docstring)."""
    if isinstance(document, Pack):
        return _pack_outline(document, link_notes, dividers)
    return _issue_outline(document, link_notes)


def wants_link_notes(layout, options=None) -> bool:
    """Whether links print as numbered notes: the layout says so (`links = "notes"`
    in layout.toml's [docx] table: the printed layouts, memo and conference), or
    the build asks for them in any layout (RenderOptions.print_links, --print-links)."""
    return bool(getattr(options, "print_links", False)) \
        or layout.docx_options.get("links") == "notes"


def with_link_notes(outline: Outline, layout, options=None) -> Outline:
    """The outline a writer draws for `layout` and `options`: the same one, or,
    where links print as notes (wants_link_notes), the document's outline with them."""
    if outline.link_notes or not wants_link_notes(layout, options):
        return outline
    return build_outline(outline.document, link_notes=True, dividers=outline.dividers)


def wants_dividers(layout) -> bool:
    """Whether a pack's chapters open with divider pages: the layout says so
    (`dividers = true` in layout.toml's [docx] table: policy-brief and conference)."""
    return bool(layout.docx_options.get("dividers"))


def for_layout(outline: Outline, layout, options=None) -> Outline:
    """The outline the writers draw for `layout` and `options`: links as notes where
    they print so (with_link_notes), a pack's divider pages where the layout has them.
    The same outline when nothing changes."""
    outline = with_link_notes(outline, layout, options)
    dividers = outline.is_pack and wants_dividers(layout)
    if dividers == outline.dividers:
        return outline
    return build_outline(outline.document, link_notes=outline.link_notes, dividers=dividers)
