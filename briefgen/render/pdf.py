"""PDF writer: the layout's Jinja template → HTML → WeasyPrint."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..layouts import PAGE_SIZES, Layout
from ..model import Issue, Pack
from . import RenderOptions
from .base import Editions, Started, Writer, register
from .common import created_at, labels, mirrored_pages, source_folders
from .fetch import ConfinedFetcher, report_stylesheet_urls
from .templating import render_template
from ..outline import Outline, build_outline, for_layout
# the preflight's thresholds, which layout()'s passes mend before the checks run
from ..preflight import FILL_MIN, HYPHENS, HYPHENS_MAX
from .quotes import balance_pull_quotes


def build_html(document: Issue | Pack, layout: Layout, options: RenderOptions, *,
               outline: Outline | None = None, **extra) -> str:
    """The HTML WeasyPrint lays out: the layout's template for the outline's kind
    (the document's outline, when the caller has not built it already)."""
    if outline is None:
        outline = build_outline(document)
    outline = for_layout(outline, layout, options)  # links as notes, divider pages, or not
    created = created_at(document, options).strftime("%Y-%m-%dT%H:%M:%SZ")
    name = layout.pack_template if outline.is_pack else layout.pdf_template
    from ..content.review import review_notes

    review = review_notes(outline) if options.comments else {}
    html_text = render_template(layout, name, outline=outline, t=labels(document.lang),
                                generator=f"briefgen {__version__}", created=created,
                                review=review, mirrored=mirrored_pages(layout, options),
                                **{outline.kind: document}, **extra)
    # Pull quotes with even lines: their measure estimated before layout (quotes.py).
    return balance_pull_quotes(html_text, layout, options.page_size,
                               REVIEW_MARGIN_MM if options.comments else 0)


#: what a review print (--comments) adds to the right margin, for the comments
REVIEW_MARGIN_MM = 45


def page_css(layout: Layout, options: RenderOptions) -> str:
    size = layout.page_size(options.page_size)
    width, height = PAGE_SIZES[size]
    top, right, bottom, left = layout.margins_mm
    # --print: the bleed only; the crop marks are drawn outside it afterwards (marks.py)
    marks = f" bleed: {layout.bleed_mm}mm;" if options.print_marks else ""
    if options.comments:  # a review print: a wide right margin for the comments
        right += REVIEW_MARGIN_MM
    # Mirrored pages: the layout's left margin is the inner one (by the fold), its
    # right margin the outer one. :left/:right follow the binding (WeasyPrint makes
    # the first page a left page in a right-to-left document).
    # A booklet opens its chapters and annexes on a recto (a right-hand page; the
    # left-hand one in a book bound on the right), with a blank verso before where
    # needed: no running head or folio on it.
    sides = (f"@page :left {{ margin-left: {right}mm; margin-right: {left}mm; }}\n"
             f"@page :right {{ margin-left: {left}mm; margin-right: {right}mm; }}\n"
             ".chapter-divider, .annex-divider { break-before: recto; }\n"
             "@page :blank { @top-left { content: none !important; border: 0 !important; } "
             "@top-right { content: none !important; border: 0 !important; } "
             "@bottom-left { content: none !important; } "
             "@bottom-right { content: none !important; } }\n"
             if mirrored_pages(layout, options) else "")
    return (f"@page {{ size: {width}mm {height}mm; margin: {top}mm {right}mm {bottom}mm "
            f"{left}mm;{marks} }}\n" + sides +
            f":root {{ --page-width: {width}mm; --page-height: {height}mm; }}\n"
            # a piece moved to the next page to balance a chapter's end (see layout())
            "[data-balance] { break-before: page; }\n"
            # a paragraph whose lines ended in a hyphen three times in a row
            "[data-no-ladder] { hyphens: manual; }\n"
            # the back matter run in after the text, to fill a near-empty last page
            ".back[data-run-in] { page: body; margin-top: var(--space-section); }\n"
            + layout.colour_css() + "\n" + layout.style_css() + "\n" + layout.font_face_css())


#: what a build writes without --pdf-variant: tagged PDF 1.7 identified as PDF/UA-1
DEFAULT_PDF_VARIANT = "pdf/ua-1"


def _read_css(path) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


class Renderer:
    """WeasyPrint set up for one layout and document: stylesheets, fonts, fetcher.

    `render()` lays out HTML into pages; editions reuse one renderer to lay out
    the pack once and every recipient's cover in one more pass.
    """

    def __init__(self, document: Issue | Pack, layout: Layout, options: RenderOptions):
        from weasyprint import CSS
        from .weasy import font_configuration

        self.document, self.layout, self.options = document, layout, options
        warnings = options.warnings if options.warnings is not None else []
        self.roots = source_folders(document) + layout.folders
        reported = report_stylesheet_urls(layout, self.roots, warnings, options.allow_remote)
        self.fetcher = ConfinedFetcher(self.roots, warnings, allow_remote=options.allow_remote,
                                       already_reported=reported)
        from . import chapters

        css_text = page_css(layout, options)
        # The fonts and stylesheets of an earlier build in this process with the same
        # CSS, kept with the chapters they laid out (see chapters.py)
        self.key = chapters.renderer_key(layout, options, self.roots, css_text)
        #: the text of the layout's stylesheets (None: unreadable), read once
        self.layout_css = [_read_css(css) for css in layout.stylesheets]
        #: the layout sets CSS counters of its own: not laid out chapter by chapter
        self.counters = chapters.counters_used([css_text] + self.layout_css)
        kept = chapters.kept_fonts(self.key)
        if kept is not None:
            self.fonts, self.stylesheets = kept
            return
        self.fonts = font_configuration()
        self.stylesheets = [CSS(string=css_text, font_config=self.fonts,
                                url_fetcher=self.fetcher, base_url=str(layout.path) + "/")]
        self.stylesheets += [CSS(filename=str(css), font_config=self.fonts,
                                 url_fetcher=self.fetcher) for css in layout.stylesheets]
        chapters.keep(self.key, self.fonts, self.stylesheets)

    @property
    def pdf_variant(self) -> str:
        """The WeasyPrint variant written: --pdf-variant, else PDF/UA-1."""
        return self.options.pdf_variant or DEFAULT_PDF_VARIANT

    def pdf_options(self, identifier: bytes) -> dict:
        return dict(stylesheets=self.stylesheets, pdf_tags=True, pdf_identifier=identifier,
                    pdf_variant=self.pdf_variant)

    def parse(self, html_text: str):
        """WeasyPrint's HTML of `html_text`: its URLs resolved in the first source
        folder and fetched through the confined fetcher."""
        from weasyprint import HTML

        return HTML(string=html_text, base_url=str(self.roots[0]) + "/", url_fetcher=self.fetcher)

    def render(self, html_text: str, layout_document=None):
        """`html_text` laid out into pages; `layout_document`, when given, stands in
        for WeasyPrint's own while it does (chapters.py and repage.py lay out in
        halves, see paginate.py)."""
        from weasyprint import document as weasy_document

        html = self.parse(html_text)
        original = weasy_document.layout_document
        if layout_document is not None:
            weasy_document.layout_document = layout_document
        try:
            with _quiet_weasyprint():
                return html.render(font_config=self.fonts, **self.pdf_options(b""))
        finally:
            weasy_document.layout_document = original

    def warn_again(self, warnings) -> None:
        """Report again what laying out a kept document reported (its refused URLs):
        a build that takes it from what was kept warns as one that lays it out."""
        for warning in warnings:
            if warning not in self.fetcher.warnings:
                self.fetcher.warnings.append(warning)

    def write(self, rendered, target, identifier: bytes) -> bytes | None:
        """Write laid-out pages as an accessible PDF: artifacts, ActualText, one
        labelled link per <a>, PDF/UA metadata (see pdf_tags.py); to `target`, or,
        when it is None, as the bytes returned."""
        from . import KEEP_LAYOUTS, chapters, paint_memo, pdf_tags

        if not KEEP_LAYOUTS:  # `briefgen build`: no next build to keep them for
            chapters.let_go_of_wholes()
        pdf_tags.prepare(rendered)
        paint_memo.install()
        with _quiet_weasyprint():
            return rendered.write_pdf(None if target is None else str(target),
                                      finisher=pdf_tags.Finisher(self.pdf_variant),
                                      **self.pdf_options(identifier))


def page_anchors(rendered) -> dict[str, int]:
    """Anchor (element id) → 1-based page number in a laid-out document."""
    anchors: dict[str, int] = {}
    for number, page in enumerate(rendered.pages, 1):
        for anchor in page.anchors:
            anchors.setdefault(anchor, number)
    return anchors


#: the room a page must leave empty at its foot, in mm, for the section that
#: begins the next page to count as pushed there (see page_starts)
PUSHED_MM = 12
#: how many times a chapter's end may be balanced, a piece more each time
BALANCE_ROUNDS = 3


@dataclass(frozen=True)
class _PageFlow:
    """What the fitting and the DOCX read of a laid-out page's flow."""
    #: the ids of the elements the page's first line or picture lies in, outermost first
    chain: tuple[str, ...]
    #: empty height below the last line or picture, and the type area's height (px)
    room: float
    height: float
    #: the @page name ("body", "cover", "back", "annex" …)
    kind: str


def _page_flows(rendered) -> list[_PageFlow]:
    from weasyprint.formatting_structure import boxes

    flows = []
    for page in rendered.pages:
        page_box = page._page_box
        flow = [child for child in page_box.children if not isinstance(child, boxes.MarginBox)]
        chain: tuple[str, ...] = ()
        stack = [(child, ()) for child in reversed(flow)]
        while stack:
            box, ids = stack.pop()
            element = getattr(box, "element", None)
            anchor = element.get("id") if element is not None else None
            if anchor and (not ids or ids[-1] != anchor):
                ids = ids + (anchor,)
            if isinstance(box, (boxes.LineBox, boxes.ReplacedBox)):
                chain = ids
                break
            if box.is_absolutely_positioned() or box.is_floated():
                continue
            stack.extend((child, ids) for child in reversed(getattr(box, "children", ())))
        bottom = page_box.content_box_y()
        stack = list(flow)
        while stack:
            box = stack.pop()
            if isinstance(box, (boxes.LineBox, boxes.ReplacedBox)):
                bottom = max(bottom, box.position_y + box.margin_height())
            elif not (box.is_absolutely_positioned() or box.is_floated()):
                stack.extend(getattr(box, "children", ()))
        flows.append(_PageFlow(chain, page_box.content_box_y() + page_box.height - bottom,
                               page_box.height, str(page_box.page_type.name or "")))
    return flows


def page_starts(flows: list[_PageFlow], first_pages: dict[str, int]) -> list[str]:
    """The anchors (element ids) whose section the PDF pushed to a new page: the
    first line or picture of the page's flow lies inside it (on the page where its
    anchor first appears), and the page before ends PUSHED_MM or more above its
    foot. The DOCX starts a page at each of them too: LibreOffice and Word may fit
    the heading into that room, every later page number then off by one. Where the
    page before is full, the section follows on naturally in both, and a forced
    break would only add a page when the DOCX runs a line longer."""
    starts: list[str] = []
    for number, flow in enumerate(flows[1:], 2):
        if flows[number - 2].room >= PUSHED_MM * 96 / 25.4:
            starts += [anchor for anchor in flow.chain if first_pages.get(anchor) == number]
    return starts


def ladders(rendered) -> list[int]:
    """The paragraphs (their index among the document's <p> elements) where
    HYPHENS_MAX lines in a row end in a hyphen: the preflight's hyphens finding,
    which layout() mends by setting them again without automatic hyphens."""
    from weasyprint.formatting_structure import boxes

    runs: dict = {}
    found: list = []
    for page in rendered.pages:
        # a pack laid out chapter by chapter: each part's own tree, its paragraphs
        # counted from where its slice of the whole HTML begins (chapters.py)
        root, base = None, getattr(page, "_briefgen_p_base", 0)
        stack = [child for child in reversed(page._page_box.children)
                 if not isinstance(child, boxes.MarginBox)]
        while stack:
            box = stack.pop()
            if root is None and getattr(box, "element", None) is not None:
                root = box.element
            if isinstance(box, boxes.LineBox):
                element = box.element
                if element is None or element.tag != "p":
                    continue
                text = "".join(b.text for b in box.descendants()
                               if isinstance(b, boxes.TextBox)).rstrip()
                run = runs[id(element)] = runs.get(id(element), 0) + 1 \
                    if text.endswith(HYPHENS) else 0
                if run == HYPHENS_MAX and root is not None:
                    found.append((element, root, base))
                continue
            stack.extend(reversed(getattr(box, "children", ())))
    orders: dict = {}
    indexes = []
    for element, root, base in found:
        if id(root) not in orders:
            orders[id(root)] = {id(e): i for i, e in enumerate(root.iter("p"))}
        if id(element) in orders[id(root)]:
            indexes.append(base + orders[id(root)][id(element)])
    return indexes


def _mark_paragraphs(html_text: str, indexes, attribute: str) -> str | None:
    """The HTML with `attribute` on the <p> elements at `indexes` (document order),
    or None when its <p> tags cannot be counted."""
    import re

    tags = list(re.finditer(r"<p(?=[\s>])", html_text))
    wanted = set(indexes)
    if not wanted or max(wanted) >= len(tags):
        return None
    out, last = [], 0
    for index, match in enumerate(tags):
        if index in wanted:
            out.append(html_text[last:match.end()] + " " + attribute)
            last = match.end()
    return "".join(out) + html_text[last:]


def _underfilled(flow: _PageFlow) -> bool:
    """Less than FILL_MIN of the page's type area used (the preflight's page-fill)."""
    return flow.room > (1 - FILL_MIN) * flow.height


def _mark(html_text: str, anchor: str, attribute: str) -> str:
    """The element with id `anchor` (one briefgen wrote: content text is escaped, so
    it cannot carry one) given `attribute`, which page_css styles."""
    return html_text.replace(f' id="{anchor}"', f' id="{anchor}" {attribute}', 1)


def _near_empty(flows: list[_PageFlow], first_pages: dict[str, int]):
    """(number, flow) of each near-empty body page (_underfilled) that ends a
    section: the next page begins another, or is not a body page."""
    for number, flow in enumerate(flows, 1):
        if flow.kind != "body" or not flow.chain or not _underfilled(flow):
            continue
        following = flows[number] if number < len(flows) else None
        if following is not None and following.kind == "body" and following.chain and not any(
                first_pages.get(a) == number + 1 for a in following.chain):
            continue  # the next page goes on with the same text: not a section's end
        yield number, flow


def spilled(flows: list[_PageFlow], first_pages: dict[str, int]) -> list[str]:
    """The sections whose last lines spill onto a near-empty page: for each, the
    outermost element that began on an earlier page."""
    found = []
    for number, flow in _near_empty(flows, first_pages):
        earlier = [a for a in flow.chain if first_pages.get(a, number) < number]
        if earlier and earlier[0] not in found:
            found.append(earlier[0])
    return found


def _back_alone(flows: list[_PageFlow]) -> bool:
    """The back matter, run in after the text (memo), alone on a near-empty last page."""
    last = flows[-1] if flows else None
    return (last is not None and last.kind == "body" and last.chain[:1] == ("back",)
            and _underfilled(last))


def _loose(laid) -> list[str]:
    """What the fitting pass would mend: the sections spilling onto near-empty pages,
    and a call to action alone on the last page ("back")."""
    return spilled(laid.flows, laid.anchors) + (["back"] if _back_alone(laid.flows) else [])


def to_balance(flows: list[_PageFlow], first_pages: dict[str, int],
               outline: Outline) -> list[tuple[str, str]]:
    """Pieces (or bios) to move to the next page so that a chapter's (or the
    contributors') last page is not near-empty: where a piece begins that page, the
    piece before it (when it begins on the page before) goes over with it; where a
    piece spills its last lines onto it, that piece goes over whole. That page then
    holds less, the last one enough.
    Returns (the piece on the near-empty page, the piece to move) pairs."""
    before = {}
    runs = [[piece.id for piece in chapter.pieces] for chapter in outline.chapters]
    runs.append(list(outline.bio_ids.values()))  # the bios, as a chapter's pieces
    for run in runs:
        for previous, unit in zip([None] + run, run):
            before[unit] = previous
    found = []
    for number, flow in _near_empty(flows, first_pages):
        piece = next((a for a in reversed(flow.chain) if a in before), None)
        if piece is None:
            continue
        # the piece that begins the page brings the one before it; a piece that
        # spills its last lines onto it goes over whole
        moved = before[piece] if first_pages.get(piece) == number else piece
        if moved and first_pages.get(moved) == number - 1:
            found.append((piece, moved))
    return found


class Laid:
    """A document laid out into pages (not yet written): the renderer that did
    it, the pages, and where each anchor landed."""

    def __init__(self, renderer: Renderer, html_text: str):
        self.renderer, self.html_text = renderer, html_text
        from . import chapters

        # a pack chapter by chapter, its parts kept for the next build (chapters.py)
        self.document = chapters.render(renderer, html_text)
        self.anchors = page_anchors(self.document)
        self.flows = _page_flows(self.document)
        #: laid out in the layout's fitted tokens (see layout())
        self.fitted = False
        #: the back matter runs in after the text (see layout())
        self.back_run_in = False

    @property
    def facts(self) -> dict:
        return {"pages": len(self.document.pages), "page_numbers": self.anchors,
                "page_starts": page_starts(self.flows, self.anchors), "fitted": self.fitted,
                "back_run_in": self.back_run_in,
                "blank_pages": [n for n, page in enumerate(self.document.pages, 1)
                                if page._page_box.page_type.blank],
                "cover_gap": cover_gap(self.document)}


def cover_gap(rendered) -> float | None:
    """The room (pt) a cover page leaves between its text (.cover-main) and the
    contributors it lists at its foot (.cover-contributors, placed from the page's
    bottom): the DOCX, whose flow cannot be placed so, sets the list that far down.
    None where the first page has no such list."""
    from weasyprint.formatting_structure import boxes

    from ..preflight import walk_boxes  # (the list, placed from the foot, unwrapped)

    if not rendered.pages:
        return None
    wanted = {"cover-main": None, "cover-contributors": None}
    for box, _ in walk_boxes(rendered.pages[0]._page_box):
        element = getattr(box, "element", None)
        if isinstance(box, boxes.BlockBox) and element is not None:
            for name in set((element.get("class") or "").split()) & wanted.keys():
                wanted[name] = wanted[name] or box
        if None not in wanted.values():
            break
    main, listed = wanted["cover-main"], wanted["cover-contributors"]
    if main is None or listed is None:
        return None
    text_end = main.position_y + main.margin_height()
    return round(max(0.0, listed.border_box_y() - text_end) * 0.75, 1)


#: the last document laid out, for the HTML writer: ((outline, layout, options), its
#: final HTML, the layout its pages were set in). Strings only: no pages kept alive.
_LAST_FINAL: tuple | None = None


def final_html(outline: Outline, chosen: Layout, options: RenderOptions) -> tuple[str, Layout]:
    """The HTML the PDF is (or would be) laid out from, after the makeup passes, and
    the layout (the chosen one, or its fitted tokens) whose stylesheets set it: from
    the PDF writer's layout of this very build when there was one, else laid out now."""
    if _LAST_FINAL is not None:
        (done, done_layout, done_options), html_text, used = _LAST_FINAL
        if done is outline and done_layout is chosen and done_options is options:
            return html_text, used
    laid = layout(outline.document, chosen, options, outline=outline)
    return laid.html_text, laid.renderer.layout


def layout(document: Issue | Pack, chosen: Layout, options: RenderOptions, *,
           outline: Outline | None = None, **extra) -> Laid:
    """`_layout`, remembering the final HTML of a whole document (see final_html)."""
    global _LAST_FINAL
    if outline is None:
        outline = build_outline(document)
    laid = _layout(document, chosen, options, outline=outline, **extra)
    _LAST_FINAL = None if extra else ((outline, chosen, options), laid.html_text,
                                      laid.renderer.layout)
    return laid


def _layout(document: Issue | Pack, chosen: Layout, options: RenderOptions, *,
            outline: Outline | None = None, **extra) -> Laid:
    """Lay out a document (the HTML of its template, `extra` passed to it) into pages.

    Fitting: where a section's last lines spill onto a near-empty page (a lone bio,
    a chapter's last paragraph), the document is laid out again in the layout's
    fitted tokens (Layout.fitted: leading and spacing a little tighter), kept when
    it leaves fewer near-empty pages; the fact "fitted" tells the DOCX to set its
    styles from the same tokens."""
    if outline is None:
        outline = build_outline(document)
    html_text = build_html(document, chosen, options, outline=outline, **extra)
    laid = Laid(Renderer(document, chosen, options), html_text)
    # Hyphen ladders: the paragraphs set again without automatic hyphens.
    steps = ladders(laid.document)
    smooth = _mark_paragraphs(html_text, steps, "data-no-ladder") if steps else None
    if smooth is not None:
        laid = Laid(laid.renderer, smooth)
    loose = _loose(laid)
    if not loose:
        return _run_in_back(laid)
    tighter = chosen.fitted()
    tight_html = build_html(document, tighter, options, outline=outline, **extra)
    if smooth is not None:
        tight_html = _mark_paragraphs(tight_html, steps, "data-no-ladder") or tight_html
    tight = Laid(Renderer(document, tighter, options), tight_html)
    left = _loose(tight)
    if len(left) < len(loose) and len(tight.document.pages) <= len(laid.document.pages):
        tight.fitted = True
        laid, loose = tight, left
    # Balancing: a short chapter whose last piece alone would stand on a near-empty
    # page takes the piece before it over too.
    # A piece moved already and still alone moves back and takes one more with it:
    # up to BALANCE_ROUNDS pieces a chapter.
    marks: set[str] = set()
    best, current = laid, laid
    for _ in range(BALANCE_ROUNDS):
        moves = to_balance(current.flows, current.anchors, outline)
        if not moves:
            break
        for piece, moved in moves:
            marks.discard(piece)
            marks.add(moved)
        balanced_html = laid.html_text
        for anchor in sorted(marks):
            balanced_html = _mark(balanced_html, anchor, "data-balance")
        current = Laid(laid.renderer, balanced_html)
        current.fitted = laid.fitted
        left = _loose(current)
        if len(left) < len(loose) and len(current.document.pages) <= len(laid.document.pages):
            best, loose = current, left
        if not loose:
            break
    return _run_in_back(best)


def _run_in_back(laid: Laid) -> Laid:
    """Where the page before the back page is still near-empty (a short issue's
    bios), the back matter runs in after the text, as a memo's does: one page
    fewer, and none near-empty. Kept only when it leaves fewer near-empty pages."""
    near = [number for number, _ in _near_empty(laid.flows, laid.anchors)]
    follows_back = [n for n in near if n < len(laid.flows) and laid.flows[n].kind == "back"]
    if not follows_back or ' id="back"' not in laid.html_text:
        return laid
    run_in = Laid(laid.renderer, _mark(laid.html_text, "back", "data-run-in"))
    run_in.fitted = laid.fitted
    if (len(list(_near_empty(run_in.flows, run_in.anchors))) < len(near)
            and len(run_in.document.pages) < len(laid.document.pages)):
        run_in.back_run_in = True
        return run_in
    return laid


def write(document: Issue | Pack, chosen: Layout, target: Path, options: RenderOptions) -> dict:
    return finish(layout(document, chosen, options), target)


def with_marks(facts: dict, target: Path, options: RenderOptions) -> dict:
    """--print: crop marks and a slug line outside the bleed of the PDF written at
    `target` (see marks.py), named after the published file."""
    if options.print_marks:
        from .marks import job_name, mark_print_pdf

        mark_print_pdf(target, job_name(Path(target)))
    return facts


def finish(laid: Laid, target: Path) -> dict:
    """Write a laid-out document to `target` (and place a pack's annexes)."""
    document = laid.renderer.document
    html_text, renderer, rendered = laid.html_text, laid.renderer, laid.document
    renderer.write(rendered, target, hashlib.sha256(html_text.encode()).hexdigest()[:32].encode())
    if isinstance(document, Pack) and document.annexes:
        place_annexes(target, document, laid.anchors, content_boxes(laid.document))
    return laid.facts


def content_boxes(rendered) -> list[tuple[float, float, float, float]]:
    """Each page's content box in PDF points from the media box's top left: (x, y from
    the top, width, height), bleed included, mirrored margins as laid out."""
    found = []
    for page in rendered.pages:
        box = page._page_box
        found.append(((page.bleed["left"] + box.content_box_x()) * 0.75,
                      (page.bleed["top"] + box.content_box_y()) * 0.75,
                      box.width * 0.75, box.height * 0.75))
    return found


def place_annexes(target: Path, pack: Pack, anchors: dict[str, int], boxes: list,
                  pdf=None) -> None:
    """Draw each annex page, as it is, on the placeholder page laid out for it.

    The placeholders carry the pack's page number in their footer, so the
    numbering, contents and bookmarks stay those WeasyPrint computed. Annex
    content is marked as an artifact: it is not part of the tagged structure.
    `boxes`: each page's type area (content_boxes), which the annex page fills.
    Works on `pdf` (an open pikepdf.Pdf) when given, else on the file `target`.
    """
    import pikepdf

    if pdf is None:
        with pikepdf.open(target, allow_overwriting_input=True) as opened:
            place_annexes(target, pack, anchors, boxes, opened)
            opened.save(target, deterministic_id=True)
        return
    for annex in pack.annexes:
        with pikepdf.open(annex.path) as source:
            for number, page in enumerate(source.pages, 1):
                anchor = f"annex-{annex.id}-p{number}"
                if anchor not in anchors:
                    from ..errors import LayoutError

                    raise LayoutError(f"the pack template lays out no page for annex "
                                      f"{annex.id}, page {number}",
                                      hint=f'keep the <div class="annex-page" id="{anchor}"> '
                                           "placeholders of policy-brief's pack.html.j2")
                host = pdf.pages[anchors[anchor] - 1]
                height = float(host.mediabox[3])
                # Into the page's type area, as laid out (the pack's margins, running
                # head and folio around it, mirrored in a booklet)
                x, top, w, h = boxes[anchors[anchor] - 1]
                overlay_artifact(pdf, host, page.as_form_xobject(),
                                 pikepdf.Rectangle(x, height - top - h, x + w, height - top))


def overlay_artifact(pdf, host, form, rect) -> None:
    """Draw a form XObject (from any PDF) on `host`, as an artifact outside the tag tree."""
    import pikepdf

    # Not host.add_overlay(): it names the XObject at random (the same input
    # would give different bytes each time) and marks the whole page, tagged
    # content included, as one artifact. Here the name is the first free /FxN
    # (or the one this form already has), and only the overlay is an artifact.
    form = pdf.copy_foreign(form)
    resources = host.resources
    if pikepdf.Name.XObject not in resources:
        resources[pikepdf.Name.XObject] = pikepdf.Dictionary()
    xobjects = resources[pikepdf.Name.XObject]
    name = next((pikepdf.Name(key) for key, value in xobjects.items()
                 if value.is_indirect and value.objgen == form.objgen), None)
    n = 0
    while name is None:
        if f"/Fx{n}" not in xobjects:
            name = pikepdf.Name(f"/Fx{n}")
            xobjects[name] = form
        n += 1
    placement = host.calc_form_xobject_placement(form, name, rect)
    host.contents_add(b"q\n", prepend=True)
    host.contents_add(b"Q\n")
    host.contents_add(b"/Artifact BMC\nq\n" + placement + b"\nQ\nEMC\n")


class _quiet_weasyprint:
    """WeasyPrint logs every refused URL and CSS nit; briefgen reports its own warnings."""

    def __enter__(self):
        self.logger = logging.getLogger("weasyprint")
        self.level = self.logger.level
        self.logger.setLevel(logging.ERROR)

    def __exit__(self, *exc):
        self.logger.setLevel(self.level)


# ---------------------------------------------------------------- editions
# Editions (one per recipient) are made from the shared pages written once per
# variant, each with its own cover page and stamps: see pdf_editions.py.


@register
class PdfWriter(Writer):
    name, suffix = "pdf", ".pdf"
    provides = frozenset({"page_numbers", "page_starts", "fitted", "back_run_in",
                          "blank_pages", "pages", "cover_gap"})
    supports = frozenset({"impose", "encrypt", "pdf_variant"})

    def write(self, outline, layout, target, options, facts) -> dict:
        return self.start(outline, layout, target, options, facts).finish()

    def start(self, outline, chosen, target, options, facts) -> Started:
        """Lay out the pages (the page numbers are then known), write them on finish()."""
        document = outline.document
        if options.pdf_variant and options.pdf_variant.startswith("pdf/a") \
                and isinstance(document, Pack) and document.annexes \
                and options.warnings is not None:
            options.warnings.append(
                f"the annexes' pages are drawn into the PDF as they are: check the "
                f"{options.pdf_variant} conformance of the result with a validator")
        laid = layout(document, chosen, options, outline=outline)
        self._laid = laid  # for findings(), in this process only
        return Started(laid.facts, lambda: with_marks(finish(laid, target), target, options))

    def findings(self, outline, chosen, options) -> list[dict] | None:
        """The preflight's findings on the pages just laid out (see briefgen.preflight)."""
        laid = getattr(self, "_laid", None)
        if laid is None:
            return None
        from ..preflight import check

        return [finding.as_dict() for finding in check(laid.document, outline, chosen)]

    def measure(self, outline, chosen, options) -> dict:
        """Page numbers and page count: laid out, not written (no PDF, no fonts subset)."""
        return layout(outline.document, chosen, options, outline=outline).facts

    def companions(self, options) -> tuple[str, ...]:
        return ("-booklet.pdf",) if options.impose == "booklet" else ()

    def write_companion(self, ending, written, target, options) -> None:
        from .impose import impose_booklet

        impose_booklet(written, target, print_marks=options.print_marks)

    def editions(self, outline, layout, options, facts, *, encrypt=False) -> Editions:
        from .pdf_editions import PdfEditions

        return PdfEditions(self, outline, layout, options, facts, encrypt)
