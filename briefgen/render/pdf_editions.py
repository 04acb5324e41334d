"""PDF editions at copy speed: the shared pages written once, each edition copied.

Per variant (a set of confidential parts), once: the pack is laid out (pdf.py's
`layout`) and written through the normal tagged path with its neutral cover
(no recipient on it, so no recipient's characters enter the shared font
subsets), its annex pages placed; those bytes are kept in memory, and forked
workers inherit them (a Dask worker writes them once per variant too).

Per batch of recipients: their covers laid out in one WeasyPrint pass, and the
stamp pages (footer line and watermark), as before.

Per edition: WeasyPrint writes the recipient's cover page alone (tagged, its
fonts subset to that page), and its stamp page alone (untagged); pikepdf opens
the shared bytes, puts the cover's content, resources and structure elements in
place of the neutral cover's on the same page object (so bookmarks, named and
explicit destinations that point at page 1 still do), draws the stamp on every
page as an artifact, adds print marks and encryption, and saves. The shared
pages are never redrawn nor re-serialised by WeasyPrint.

The graft keeps the tagging whole: the cover's structure elements take the
place of the neutral cover's at the head of the document element's /K, with
/P and /Pg pointing into the edition, and page 1's entry of the parent tree
(key 0, the page's /StructParents) is the cover's own MCID → element array.
"""
from __future__ import annotations

import hashlib
import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from ..model import Pack, Recipient
from .base import Editions

#: the page that carries an edition's footer line and watermark (see stamps());
#: colours, fonts and the page height come from the layout's custom properties
STAMP_CSS = """
@page { margin: 0; bleed: 0; marks: none; }
.stamp { position: relative; height: var(--page-height); overflow: hidden; break-after: page; }
.line { position: absolute; left: 0; right: 0; bottom: 6mm; text-align: center;
        font-family: var(--font-heading); font-size: 7pt; color: var(--muted); }
.mark { position: absolute; left: -20mm; right: -20mm; top: 45%; text-align: center;
        font-family: var(--font-heading); font-weight: 700; font-size: 34pt;
        color: rgba(0, 0, 0, 0.07); transform: rotate(-35deg); }
"""


def stamps(pack: Pack, people: list[Recipient], renderer):
    """A page per recipient carrying only their footer line and watermark, laid
    out (not written) in one pass: each edition writes its own page alone, so
    that its font subsets hold no other recipient's characters. None when the
    pack has neither."""
    if not (pack.edition_footer or pack.edition_watermark):
        return None
    from dataclasses import replace

    from markupsafe import escape
    from weasyprint import CSS, HTML

    from .pdf import _quiet_weasyprint

    pages = []
    for recipient in people:
        edition = replace(pack, recipient=recipient)
        line = escape(edition.personalise(pack.edition_footer))
        mark = escape(edition.personalise(pack.edition_watermark))
        pages.append(f'<div class="stamp"><p class="line">{line}</p>'
                     f'<p class="mark">{mark}</p></div>')
    html = HTML(string="<html><body>" + "".join(pages) + "</body></html>")
    css = CSS(string=STAMP_CSS, font_config=renderer.fonts)
    with _quiet_weasyprint():
        return html.render(stylesheets=[renderer.stylesheets[0], css], font_config=renderer.fonts)


def tagged_pdf(renderer, rendered, identifier: bytes) -> bytes:
    """Laid-out pages written as a build writes them (`Renderer.write`: artifacts,
    ActualText, labelled links, PDF/UA metadata), as bytes."""
    return renderer.write(rendered, None, identifier)


def shared_pdf(laid, pack: Pack) -> bytes:
    """The variant's pages written once, neutral cover first, annex pages placed."""
    import pikepdf

    from .pdf import content_boxes, place_annexes

    identifier = hashlib.sha256(laid.html_text.encode()).hexdigest()[:32].encode()
    data = tagged_pdf(laid.renderer, laid.document, identifier)
    if not pack.annexes:
        return data
    with pikepdf.open(io.BytesIO(data)) as pdf:
        place_annexes(None, pack, laid.anchors, content_boxes(laid.document), pdf)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
    return out.getvalue()


# ---------------------------------------------------------------- the graft

def _is(obj, other) -> bool:
    """The same indirect object."""
    return obj is not None and other is not None and obj.is_indirect and other.is_indirect \
        and obj.objgen == other.objgen


def _elements(top):
    """The structure elements (and object references) under `top`, each once."""
    import pikepdf

    seen, stack = set(), list(top)
    while stack:
        element = stack.pop()
        if element.objgen in seen:
            continue
        seen.add(element.objgen)
        yield element
        kids = element.get("/K")
        if isinstance(kids, pikepdf.Dictionary):
            kids = [kids]
        if isinstance(kids, pikepdf.Array):
            stack.extend(kid for kid in kids if isinstance(kid, pikepdf.Dictionary))


def _nums(tree) -> "pikepdf.Array":
    """The flat /Nums array of a parent tree as WeasyPrint writes it (no /Kids)."""
    if "/Nums" not in tree:
        from ..errors import LayoutError

        raise LayoutError("the shared pages' parent tree has no /Nums: cannot place the cover")
    return tree.Nums


def graft_cover(pdf, cover) -> None:
    """Put the first page of `cover` (an open pikepdf.Pdf written by WeasyPrint
    with tags) in place of the first page of `pdf`, the shared pages.

    The page object of `pdf` stays (outlines and destinations point at it); its
    content, resources, boxes and annotations become the cover's. The cover's
    structure elements replace those of the neutral cover in the structure tree,
    and its MCID mapping replaces page 1's in the parent tree."""
    import pikepdf

    Name = pikepdf.Name
    host = pdf.pages[0].obj
    page = cover.pages[0].obj
    root = pdf.Root.StructTreeRoot
    document = root.K[0] if isinstance(root.K, pikepdf.Array) else root.K
    cover_root = cover.Root.StructTreeRoot
    cover_document = cover_root.K[0] if isinstance(cover_root.K, pikepdf.Array) \
        else cover_root.K
    top = [kid for kid in cover_document.K
           if isinstance(kid, pikepdf.Dictionary) and _is(kid.get("/Pg"), page)]
    # Cut the cover's elements and annotations loose from its page and tree before
    # copying them: /Pg and /P are set again in `pdf` (nothing else gets copied).
    for element in _elements(top):
        if Name.Pg in element:
            del element[Name.Pg]
    for element in top:
        if Name.P in element:
            del element[Name.P]
    annotations = list(page.get("/Annots", ()))
    owned = [Name.P in annotation for annotation in annotations]  # /P is optional
    for annotation, has_page in zip(annotations, owned):
        if has_page:
            del annotation[Name.P]
    cover_nums = _nums(cover_root.ParentTree)
    cover_map = {int(cover_nums[i]): cover_nums[i + 1] for i in range(0, len(cover_nums), 2)}
    page_map = cover_map.get(int(page.get("/StructParents", 0)), pikepdf.Array())
    entries = pikepdf.Dictionary({key: value for key, value in page.items()
                                  if key not in ("/Parent", "/Type", "/StructParents")})
    bundle = cover.make_indirect(pikepdf.Array([
        pikepdf.Array(top), page_map, entries,
        pikepdf.Array([cover_map.get(int(a.get("/StructParent", -1)), None)
                       for a in annotations])]))
    copied = pdf.copy_foreign(bundle)
    new_top, new_map, new_entries, annotation_elements = copied[0], copied[1], copied[2], copied[3]

    # The page: the cover's entries in place of the neutral cover's.
    nums = _nums(root.ParentTree)
    old_keys = {int(a.StructParent) for a in host.get("/Annots", ()) if "/StructParent" in a}
    for key in list(host.keys()):
        if key not in ("/Parent", "/Type", "/StructParents"):
            del host[key]
    for key, value in new_entries.items():
        host[key] = value
    # The structure elements: /Pg and the top ones' /P into this document.
    for element in _elements(list(new_top)):
        if element.get("/Type") in (Name.StructElem, Name.OBJR) or Name.S in element:
            element[Name.Pg] = host
    for element in new_top:
        element[Name.P] = document
    kept = [kid for kid in document.K
            if not (isinstance(kid, pikepdf.Dictionary) and _is(kid.get("/Pg"), host))]
    document.K = pikepdf.Array(list(new_top) + kept)
    # The parent tree: page 1's MCIDs mapped to the cover's elements; the neutral
    # cover's annotations out, the cover's in under fresh keys.
    key = int(host.get("/StructParents", 0))
    pairs = [(int(nums[i]), nums[i + 1]) for i in range(0, len(nums), 2)
             if int(nums[i]) not in old_keys]
    pairs = [(k, new_map if k == key else v) for k, v in pairs]
    if not any(k == key for k, _ in pairs):
        pairs.append((key, new_map))
    free = max([k for k, _ in pairs] + [len(pdf.pages) - 1]) + 1
    for annotation, element, has_page in zip(host.get("/Annots", ()), annotation_elements,
                                             owned):
        if has_page:
            annotation[Name.P] = host
        if "/StructParent" in annotation:
            annotation[Name.StructParent] = free
            pairs.append((free, element))
            free += 1
    pairs.sort(key=lambda pair: pair[0])
    root.ParentTree.Nums = pikepdf.Array([item for pair in pairs for item in pair])
    if "/ParentTreeNextKey" in root:
        root.ParentTreeNextKey = free


# ---------------------------------------------------------------- one edition

def write_edition(shared: bytes, renderer, cover, stamp_pages, position: int,
                  recipient: Recipient, slug: str, target: Path, encrypt: bool = False,
                  print_marks: bool = False) -> None:
    """One edition: the shared pages (`shared`, bytes of shared_pdf) with its own
    `cover` (a laid-out document of its one cover page, written alone by
    WeasyPrint) in place of the neutral one, its stamp page drawn on every page
    as an artifact, print marks and its password, by pikepdf."""
    import pikepdf

    from . import paint_memo
    from .pdf import _quiet_weasyprint, overlay_artifact

    identifier = hashlib.sha256(f"{slug}\0{recipient.name}\0{recipient.line}"
                                .encode()).hexdigest()[:32].encode()
    # This recipient's page alone: its font subsets hold its characters only.
    cover_bytes = tagged_pdf(renderer, cover, identifier)
    # Its streams (the cover, the fonts subset to it) are its own: none is written
    # again for another edition, so none is kept (memory stays flat with the rows)
    paint_memo.forget_deflated()
    with pikepdf.open(io.BytesIO(shared)) as pdf, \
            pikepdf.open(io.BytesIO(cover_bytes)) as cover_pdf:
        graft_cover(pdf, cover_pdf)
        if stamp_pages is not None:
            # This recipient's page only: a font subset written from the whole
            # batch would carry the other recipients' names.
            with _quiet_weasyprint():
                stamp = stamp_pages.copy([stamp_pages.pages[position]]).write_pdf()
            with pikepdf.open(io.BytesIO(stamp)) as stamp_pdf:
                form = stamp_pdf.pages[0].as_form_xobject()
                for page in pdf.pages:
                    box = page.mediabox
                    overlay_artifact(pdf, page, form, pikepdf.Rectangle(
                        float(box[0]), float(box[1]), float(box[2]), float(box[3])))
        if print_marks:  # --print: marks outside the bleed, before any encryption
            from .marks import add_page_marks, job_name

            add_page_marks(pdf, job_name(Path(target)))
        if encrypt:
            pdf.save(target, encryption=pikepdf.Encryption(
                user=recipient.password, owner=secrets.token_urlsafe(24), R=6, aes=True))
        else:
            # The same pack and list give the same bytes: /ID from the content.
            pdf.save(target, deterministic_id=True)


@dataclass
class Prepared:
    """What a variant's editions share, laid out and written in another process
    (see pipeline/editions.py): the shared pages' bytes, their facts, whether they
    were set in the layout's fitted tokens, and the warnings met on the way."""
    shared: bytes
    facts: dict
    fitted: bool
    warnings: list


def prepare(outline, chosen, options) -> Prepared:
    """Lay out and write a variant's shared pages (in a process of its own)."""
    from .pdf import layout

    before = len(options.warnings) if options.warnings is not None else 0
    laid = layout(outline.document, chosen, options, outline=outline)
    shared = shared_pdf(laid, outline.document)
    warnings = [str(w) for w in (options.warnings or [])[before:]]
    return Prepared(shared, laid.facts, laid.fitted, warnings)


#: id() of a variant's pack → its Prepared, for the PdfEditions made of it next
PREPARED: dict[int, Prepared] = {}


class PdfEditions(Editions):
    """The pack laid out and written once (here, or in another process: PREPARED);
    each batch's covers (and stamps) laid out in one more pass; each edition made
    from the shared bytes and its cover."""

    def __init__(self, writer, outline, chosen, options, facts, encrypt: bool):
        super().__init__(writer, outline, chosen, options, facts)
        self.encrypt = encrypt
        prepared = PREPARED.pop(id(outline.document), None)
        if prepared is None:
            from .pdf import layout

            laid = layout(outline.document, chosen, options, outline=outline)
            self.renderer = laid.renderer
            self.facts = laid.facts
            self.shared = shared_pdf(laid, outline.document)
        else:
            from dataclasses import replace

            from .pdf import Renderer

            # The covers are set in the shared pages' stylesheets (fitted or not);
            # the warnings of those pages came with them.
            if options.warnings is not None:
                options.warnings.extend(prepared.warnings)
            self.renderer = Renderer(outline.document,
                                     chosen.fitted() if prepared.fitted else chosen,
                                     replace(options, warnings=[]))
            self.facts = prepared.facts
            self.shared = prepared.shared

    def batch(self, people: list[Recipient]) -> list[str | None]:
        from .pdf import build_html, page_anchors

        pack = self.outline.document
        self.covers = self.renderer.render(
            build_html(pack, self.layout, self.options, covers=people))
        self.stamps = stamps(pack, people, self.renderer)
        self.starts = starts = page_anchors(self.covers)
        problems: list[str | None] = []
        for position in range(len(people)):
            # Each recipient's cover must be exactly one page: an overflowing cover
            # would otherwise hand its second page to the next recipient.
            first = starts[f"edition-cover-{position}"]
            after = starts.get(f"edition-cover-{position + 1}", len(self.covers.pages) + 1)
            problems.append(None if after - first == 1 else
                            f"the cover runs over {after - first} pages — shorten the "
                            "organisation, or adapt the layout's cover")
        return problems

    def write(self, position: int, recipient: Recipient, target: Path) -> None:
        first = self.starts[f"edition-cover-{position}"]
        cover = self.covers.copy([self.covers.pages[first - 1]])
        write_edition(self.shared, self.renderer, cover, self.stamps, position,
                      recipient, self.outline.document.slug, target, self.encrypt,
                      self.options.print_marks)
