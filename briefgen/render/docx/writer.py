"""DOCX writer: the same document as the PDF, built from named Word styles.

Every paragraph and run gets a named style (Title, Heading 1/2, Pull Quote,
Attribution, Bio …) whose look comes from the layout's fonts, colours and
sizes (styles.py); content carries no direct formatting, so an editor restyles
the whole document by editing one style, and the importer can read the styles
back. This module walks the document: cover, contents, sections, bios, back.
"""
from __future__ import annotations

import functools
import io
from dataclasses import replace
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_LINE_SPACING, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt
from docx.text.paragraph import Paragraph as DocxParagraph

from ...layouts import PAGE_SIZES, Layout
from ...model import (Block, Heading, Issue, ListBlock, Pack, Paragraph, Quote, Span,
                      first_strong_direction, is_allowed_link, list_separator, text_direction)
from ...outline import LinkNotes, build_outline, for_layout
from .. import RenderOptions
from ..common import created_at, format_date, issue_line, labels, mirrored_pages
from .names import (CHAR_CODE, CHAR_COVER_NOTE, CHAR_LINK_NUMBER, CHAR_MARKED, CHAR_ORGANISATION, CHAR_PUBLISHER,
                    CHAR_ROLE, CHAR_STRONG_EMPHASIS, CONTRIBUTOR_BOOKMARK, STYLE_AGENDA_CLOSED,
                    STYLE_AGENDA_PAGE, STYLE_AGENDA_PAGE_HEAD, TABLE_AGENDA,
                    STYLE_AGENDA_DAY, STYLE_AGENDA_HEAD, STYLE_AGENDA_ITEM, STYLE_AGENDA_SESSION,
                    STYLE_AGENDA_SPEAKERS, STYLE_AGENDA_TIME, STYLE_ATTRIBUTION,
                    STYLE_BIO, STYLE_BIO_AFFILIATION, STYLE_BIO_NAME, STYLE_BACK_HEADING,
                    STYLE_BIO_PAGES, STYLE_BIO_PHOTO, STYLE_BODY, STYLE_BODY_CONTINUED,
                    STYLE_BODY_LAST, STYLE_CHAPTER_KICKER, STYLE_CHAPTER_STANDFIRST,
                    STYLE_COLOPHON, STYLE_COLOPHON_FIELDS, STYLE_COVER_CONTRIBUTOR,
                    STYLE_DIVIDER_HEADLINE, STYLE_DIVIDER_LABEL, STYLE_DIVIDER_LINE,
                    STYLE_DIVIDER_NAMES, STYLE_DIVIDER_NUMBER, STYLE_DIVIDER_TITLE,
                    STYLE_COVER_IMAGE, STYLE_COVER_LABEL, STYLE_CTA, STYLE_CTA_LINK,
                    STYLE_EXPERTS_INTRO, STYLE_ISSUE_LINE, STYLE_LEDE, STYLE_LINK_NOTE,
                    STYLE_LINK_NOTES_HEADING, STYLE_PREPARED_FOR, STYLE_PUBLISHER,
                    STYLE_PULL_QUOTE, STYLE_RUNNING_TITLE, STYLE_SERIES, STYLE_STANDFIRST)
from .oxml import (add_bookmark, add_field, add_hyperlink, bookmark_name, fld_char, field_into,
                   instr, internal_link, link_run, right_tab)
from .comments import add_comments
from .package import core_properties, custom_properties, pack_core_properties, save
from .styles import TABLE_INDENT, chapter_title, define_styles
from .tidy import (add_derived_styles, app_properties, estimate_pages, snapshot, text_counts,
                   tidy_styles)


#: the name of a decorative picture (an initials circle), for the importer
DECORATIVE_NAME = "Initials (decorative)"
#: the paragraph style of an initials circle: what the importer knows it by (LibreOffice
#: keeps neither the picture's name nor its decorative mark)
STYLE_BIO_INITIALS = "Bio Initials"

#: a pack is drawn by the pack template, whatever the layout's [docx] table says
#: for issues: a cover page, a contents list, bios in one column
PACK_OPTIONS = {"cover": "page", "contents": True, "bio_columns": 1, "bios": "beside"}


def write(document: Issue | Pack, layout: Layout, target: Path,
          render_options: RenderOptions, outline=None) -> dict:
    """An issue or a pack, in one walk over its outline: cover (by the outline's
    kind), contents, then each section the contents lists (agenda, chapters and
    their pieces, contributors, annexes, back page). `outline`: the document's,
    when the caller has built it already."""
    if outline is None:
        outline = build_outline(document)
    # Links printed as notes where the layout (links = "notes") or the build asks, and a
    # pack's divider pages where the layout has them: the outline gives them, as the PDF's.
    outline = for_layout(outline, layout, render_options)
    doc, before = _styled(document, layout, outline)
    walk = _Walk(outline, labels(outline.lang), _options(outline, layout),
                 render_options.page_numbers or {})
    walk.layout = layout
    #: a pack whose layout names chapters by their short titles in the running head
    walk.short_heads = outline.is_pack and layout.docx_options.get("running_title") == "short"
    #: the running head reads a hidden Running Title (not Heading 1): short titles, or
    #: divider pages (a chapter's title there is a Divider Title, not a Heading 1)
    walk.running_titles = walk.short_heads or outline.dividers
    doc.page_starts = frozenset(render_options.page_starts)
    doc.back_run_in = render_options.back_run_in
    doc.blank_pages = frozenset(render_options.blank_pages)
    doc.cover_gap = render_options.cover_gap
    # A booklet (conference, or --impose booklet), as its PDF: inner and outer margins,
    # and the folio on the outer side, left on even pages.
    # (Not where a side column widens one margin: Word would move it to the other
    # side on even pages, and the PDF keeps it on the text's start side.)
    doc.mirrored = (mirrored_pages(layout, render_options)
                    and not layout.style.get("side_column"))
    if doc.mirrored:
        from .fonts import settings_flag

        settings_flag(doc.settings.element, "mirrorMargins")
        settings_flag(doc.settings.element, "evenAndOddHeaders")
    _setup_section(doc.sections[0], layout, render_options)
    if doc.mirrored and outline.dir == "rtl":
        # Bound on the right: Word's odd pages take the left margin on their left,
        # where this book's odd pages have their outer margin.
        first = doc.sections[0]
        first.left_margin, first.right_margin = first.right_margin, first.left_margin
    _COVERS[outline.kind](doc, document, walk)
    _body_section(doc, document, walk)
    if walk.options["contents"]:
        _contents(doc, walk.t)
    for entry in outline.contents:
        _SECTIONS[entry.kind](doc, walk, entry)
    if walk.options["contents"]:
        _fill_contents(doc, outline.contents, walk.numbers, outline.is_pack)
    _mark_languages(doc, outline.dir)
    _inline_pictures_flush(doc)
    tidy_styles(doc, before)
    counts = text_counts(doc)
    known = [n for n in walk.numbers.values() if isinstance(n, int)]
    app_properties(doc, max(known + [estimate_pages(doc, counts, layout.style["size_body"],
                                                    walk.options["cover"] == "page")]), counts)
    if outline.is_pack:
        pack_core_properties(doc, document, render_options)
    else:
        core_properties(doc, document, render_options)
        custom_properties(doc, document)
        add_comments(doc, document, render_options.warnings)  # review.yaml → Word comments
    save(doc, target, created_at(document, render_options), layout, render_options)
    return {}


def _options(outline, layout: Layout) -> dict:
    """The [docx] options the walk follows: the layout's, or a pack's own."""
    return PACK_OPTIONS if outline.is_pack else layout.docx_options


def _styled(document, layout: Layout, outline) -> tuple["_Doc", object]:
    """A new document with the layout's styles, and the snapshot taken before them
    (see tidy_styles): the one prepare() made while the PDF was laid out, when it
    was made for this very layout and document, else made now."""
    prepared = _PREPARED.pop("styled", None)
    if prepared is not None and prepared[0] is layout and prepared[1] is document:
        return prepared[2]
    doc = _Doc(Document())
    before = snapshot(doc)
    # A pack has a cover page in every layout (a memo's issue has a title block):
    # its cover styles are the cover page's.
    define_styles(doc, replace(layout, docx_options={**layout.docx_options,
                                                     **_options(outline, layout)}),
                  document)
    add_derived_styles(doc)
    doc.index_styles()
    return doc, before


#: what prepare() made ahead: "styled" → (layout, document, (doc, before))
_PREPARED: dict = {}


def prepare(outline, layout: Layout, render_options: RenderOptions) -> None:
    """The work that needs none of the PDF's facts, done in the DOCX worker while
    the PDF is laid out: the styled document (for the layout as chosen: a fitted
    layout, known only from the facts, styles its own), the initials pictures and
    the embedded fonts' data. Anything that fails here is left for write(), which
    reports it as it always has."""
    try:
        document = outline.document
        _PREPARED["styled"] = (layout, document, _styled(document, layout, outline))
        for person in outline.contributors:
            if not person.photo:
                _initials_png(person.initials, layout)
        from .fonts import read_faces

        read_faces(layout)
    except Exception:  # noqa: BLE001 - write() does it again, and says what is wrong
        _PREPARED.clear()


class _Walk:
    """Where the walk is: the outline, labels, options, page numbers, the chapter."""

    def __init__(self, outline, t: dict, options: dict, numbers: dict):
        self.outline, self.t, self.options, self.numbers = outline, t, options, numbers
        self.chapter = outline.chapters[0]
        self.chapters = {c.id: c for c in outline.chapters}
        self.pieces = {p.id: p for p in outline.pieces}
        self.annexes = {a.id: a for a in outline.annexes}
        #: a column section is open (bios in columns)
        self.columns = False


class _Doc:
    """A python-docx Document plus fast named-style access.

    python-docx resolves a style name by scanning every style (twice) on each
    `add_paragraph(style=…)`; with ~100 paragraphs that was half the DOCX time.
    Style ids are looked up once, after the styles are defined.
    """

    def __init__(self, document):
        self.document = document
        self.style_ids: dict[str, str] = {}
        self.toc_marker = None
        #: the language of the paragraphs being written when it is not the
        #: document's, and (paragraph, language) for each of them, for the marks
        self.lang: str | None = None
        self.marks: list = []
        #: an edition's personal footer line, repeated in every section's footer
        self.edition_line = ""
        #: bookmarks in the body so far (see _next_bookmark_id)
        self.bookmark_count: int | None = None
        #: the table cell paragraphs go into (see into), else None: the body
        self.target = None
        #: sections that begin a page in the PDF (RenderOptions.page_starts)
        self.page_starts: frozenset[str] = frozenset()
        #: the back matter follows the text (RenderOptions.back_run_in)
        self.back_run_in = False
        #: left and right pages mirrored: margins, and even pages' own header and footer
        self.mirrored = False
        #: pages the PDF left blank (before a booklet's recto opener): so does the DOCX
        self.blank_pages: frozenset[int] = frozenset()
        #: the PDF's room above its cover's list of contributors (pt; see _cover_list_down)
        self.cover_gap: float | None = None
        #: nothing is written yet on the page a new-page section began
        self.fresh_page = False

    def add_section(self, start):
        section = self.document.add_section(start)
        self.fresh_page = start == WD_SECTION.NEW_PAGE
        return section

    def __getattr__(self, name):
        return getattr(self.document, name)

    def index_styles(self) -> None:
        self.style_ids = {style.name: style.style_id for style in self.document.styles}

    def into(self, cell) -> None:
        """Write the next paragraphs into a table cell (a w:tc), or the body (None)."""
        self.target = cell

    def para(self, style: str, text: str = ""):
        if self.target is not None:
            element = OxmlElement("w:p")
            self.target.append(element)
            paragraph = DocxParagraph(element, self.document._body)
            if text:
                paragraph.add_run(text)
            paragraph._p.get_or_add_pPr().style = self.style_ids[style]
            if self.lang is not None:
                self.marks.append((paragraph, self.lang))
            return paragraph
        # python-docx's add_paragraph looks for the body's closing sectPr from the
        # first child on, for every paragraph: quadratic in long texts. The sectPr
        # is the body's last child: insert before it directly.
        body = self.document.element.body
        try:
            last = body[-1]  # (len(body) would count every child)
        except IndexError:
            last = None
        if last is not None and last.tag == qn("w:sectPr"):
            element = OxmlElement("w:p")
            last.addprevious(element)
            paragraph = DocxParagraph(element, self.document._body)
            if text:
                paragraph.add_run(text)
        else:
            paragraph = self.document.add_paragraph(text)
        paragraph._p.get_or_add_pPr().style = self.style_ids[style]
        if self.lang is not None:
            self.marks.append((paragraph, self.lang))
        self.fresh_page = False
        return paragraph

    def para_before(self, anchor, style: str):
        paragraph = anchor.insert_paragraph_before()
        paragraph._p.get_or_add_pPr().style = self.style_ids[style]
        return paragraph

    def run(self, paragraph, text: str, style: str | None = None):
        run = paragraph.add_run(text)
        if style:
            run._r.style = self.style_ids[style]
        return run


# ---------------------------------------------------------------- covers and running heads

def _issue_cover(doc, issue: Issue, walk: _Walk) -> None:
    t = walk.t
    if walk.options["cover"] != "page" and issue.publisher and issue.series:
        # A title block's masthead is one line, as its PDF's: "Publisher · Series".
        paragraph = doc.para(STYLE_SERIES)
        doc.run(paragraph, issue.publisher, CHAR_PUBLISHER)
        doc.run(paragraph, " · " + issue.series)
    else:
        if issue.publisher:
            doc.para(STYLE_PUBLISHER, issue.publisher)
        if issue.series:
            doc.para(STYLE_SERIES, issue.series)
    picture = None
    if issue.cover_image:
        section = doc.sections[0]
        width = section.page_width - section.left_margin - section.right_margin
        run = doc.para(STYLE_COVER_IMAGE).add_run()
        picture = run.add_picture(_embeddable(issue.cover_image.path), width=width)
        if picture.height > doc.cover_image_height:  # a banner, not the whole cover
            # As the PDF's (object-fit: cover): the type width, the banner's height,
            # the picture cropped around its focal point (cover_focus).
            _crop(picture, width, doc.cover_image_height, issue.cover_focus)
        picture._inline.docPr.set("descr", issue.cover_image.alt)
        first = picture._inline.getparent().getparent().getparent()  # the image's w:p
    doc.para(STYLE_ISSUE_LINE, issue_line(issue))
    doc.para("Title", issue.title)
    if issue.standfirst:
        doc.para(STYLE_STANDFIRST, issue.standfirst)
    if issue.contributors and walk.options["cover"] != "page":
        # A title block lists them in one run-in paragraph, as its PDF does:
        # "In this issue: Name (Organisation); Name …".
        paragraph = doc.para(STYLE_COVER_CONTRIBUTOR)
        doc.run(paragraph, t["in_this_issue"] + ": ", "Strong")
        separator = "؛ " if issue.dir == "rtl" else "; "
        for index, person in enumerate(issue.contributors):
            doc.run(paragraph, person.name, "Strong")
            tail = f" ({person.organisation})" if person.organisation else ""
            if index < len(issue.contributors) - 1:
                tail += separator
            if tail:
                doc.run(paragraph, tail)
    elif issue.contributors:
        _cover_list_down(doc, walk.layout, bool(issue.standfirst))
        doc.para(STYLE_COVER_LABEL, t["in_this_issue"])
        for person in issue.contributors:
            paragraph = doc.para(STYLE_COVER_CONTRIBUTOR)
            doc.run(paragraph, person.name, "Strong")
            if person.affiliation:
                doc.run(paragraph, " — " + person.affiliation, CHAR_COVER_NOTE)
    if picture is not None and walk.options["cover"] == "page":
        _fit_cover_image(doc, picture, first)


def _cover_list_down(doc, layout: Layout, standfirst: bool, taken: float = 0.0) -> None:
    """The cover's list (of contributors, or a pack's papers) where the PDF sets it, at
    the page's foot: its label (Cover Label, used once) as far below the text as the
    PDF's (the fact cover_gap), less the standfirst's space after it, what the DOCX
    adds above it (`taken`, pt), and a line of the list to spare, so that
    LibreOffice's or Word's slightly taller lines keep it on the page."""
    if doc.cover_gap is None:
        return
    spare = taken + layout.style["size_cover_contributor"] * layout.style[
        "leading_cover_contributor"]
    after = doc.styles[STYLE_STANDFIRST].paragraph_format.space_after if standfirst else None
    label = doc.styles[STYLE_COVER_LABEL].paragraph_format
    label.space_before = Pt(round(max(6.0, doc.cover_gap - (after.pt if after else 0) - spare),
                                  1))


def _inline_pictures_flush(doc) -> None:
    """No space around an inline picture, as Word writes it: without the attributes
    LibreOffice adds 0.32 cm at its sides, which moved each bio photo off the
    PDF's place, against its text."""
    for inline in doc.element.body.iter(qn("wp:inline")):
        for side in ("distT", "distB", "distL", "distR"):
            inline.set(side, "0")


def _crop(picture, width, height, focus: tuple[float, float]) -> None:
    """Show the picture at `width` × `height` (EMU), cropped, not squeezed: the part
    that is cut off is shared between the sides so that the point `focus` (percent
    across and down) stays in view, as CSS object-position does."""
    ratio_box, ratio_picture = width / height, picture.width / picture.height
    crop = {}
    if ratio_picture > ratio_box:  # wider: cut the sides
        cut = 1 - ratio_box / ratio_picture
        crop = {"l": cut * focus[0] / 100, "r": cut * (1 - focus[0] / 100)}
    else:  # taller: cut top and bottom
        cut = 1 - ratio_picture / ratio_box
        crop = {"t": cut * focus[1] / 100, "b": cut * (1 - focus[1] / 100)}
    blip_fill = picture._inline.graphic.graphicData.pic.blipFill
    rect = OxmlElement("a:srcRect")
    for side, share in crop.items():
        rect.set(side, str(round(share * 100000)))  # thousandths of a percent
    blip_fill.blip.addnext(rect)
    picture.width, picture.height = Emu(int(width)), Emu(int(height))


def _fit_cover_image(doc, picture, image_paragraph) -> None:
    """Shrink the cover image so that the cover stays one page (the PDF's is one
    page by construction): the room is the type area less an estimate, on the safe
    side, of every other cover paragraph (lines at the style's size and leading,
    spacing, the band's border padding)."""
    section = doc.sections[0]
    width = (section.page_width - section.left_margin - section.right_margin) / 12700
    room = (section.page_height - section.top_margin - section.bottom_margin) / 12700
    used = 0.0
    for element in image_paragraph.getparent().iter(qn("w:p")):
        if element is image_paragraph:
            continue
        paragraph = DocxParagraph(element, doc.document._body)
        size, line, before, after, bordered = _style_metrics(doc, paragraph.style)
        chars = max(1, len(paragraph.text))
        lines = max(1, -(-chars * size * 0.5 // (width * 0.95)))
        used += lines * line + before + after + (8 if bordered else 0)
    image = picture.height / 12700
    before, after = _style_metrics(doc, doc.styles[STYLE_COVER_IMAGE])[2:4]
    spare = room - used * 1.05 - 6 - before - after - image
    if spare >= 0:
        return
    height = max(image + spare, 36.0)  # at least half an inch: a thumbnail
    scale = height / image
    picture.width, picture.height = Emu(int(picture.width * scale)), Emu(int(picture.height * scale))


def _style_metrics(doc, style) -> tuple[float, float, float, float, bool]:
    """A paragraph style's font size, line height, space before and after (points,
    through its base styles) and whether it has borders."""
    found = {}
    bordered = False
    while style is not None:
        pf, font = style.paragraph_format, style.font
        for key, value in (("size", font.size), ("line", pf.line_spacing),
                           ("before", pf.space_before), ("after", pf.space_after)):
            if key not in found and value is not None:
                found[key] = value.pt if hasattr(value, "pt") else value
        ppr = style.element.pPr
        bordered = bordered or (ppr is not None and ppr.find(qn("w:pBdr")) is not None)
        style = style.base_style
    size = found.get("size", 11.0)
    line = found.get("line", 1.2 * size)
    if line < 4:  # a multiple, not points
        line *= size * 1.2
    return size, max(line, size * 1.2), found.get("before", 0.0), found.get("after", 0.0), bordered


def _pack_cover(doc, pack: Pack, walk: _Walk) -> None:
    """Organiser band, event, title, subtitle, whom it is for, what the pack holds."""
    t = walk.t
    if pack.organiser:
        doc.para(STYLE_PUBLISHER, pack.organiser)
    if pack.event_name:
        doc.para(STYLE_SERIES, pack.event_name)
    doc.para(STYLE_ISSUE_LINE, " · ".join(x for x in (pack.event_place, pack.event_dates or
                                                       format_date(pack.date, pack.lang)) if x))
    doc.para("Title", pack.title)
    if pack.subtitle:
        doc.para(STYLE_STANDFIRST, pack.subtitle)
    taken = 0.0
    if pack.recipient:
        prepared = doc.para(STYLE_PREPARED_FOR, t["prepared_for"] + " ")
        doc.run(prepared, pack.recipient.name, "Strong")
        if pack.recipient.organisation:
            doc.run(prepared, ", " + pack.recipient.organisation)
        # (the room measured on the pack's own cover, which has no such line)
        form = doc.styles[STYLE_PREPARED_FOR].paragraph_format
        taken = sum(x.pt for x in (form.space_before, form.space_after) if x is not None) \
            + walk.layout.style["size_prepared_for"] * 1.5
    # The pack's papers and annexes at the cover's foot, as the PDF's list: each
    # title in Strong, its series after a dash
    _cover_list_down(doc, walk.layout, bool(pack.subtitle), taken)
    doc.para(STYLE_COVER_LABEL, t["in_this_pack"])
    for chapter in walk.outline.chapters:
        paragraph = doc.para(STYLE_COVER_CONTRIBUTOR)
        doc.run(paragraph, chapter.issue.title, "Strong")
        if chapter.issue.series:
            doc.run(paragraph, " — " + chapter.issue.series, CHAR_COVER_NOTE)
    for annex in walk.outline.annexes:
        paragraph = doc.para(STYLE_COVER_CONTRIBUTOR)
        doc.run(paragraph, f"{t['annex']} {annex.letter}: {annex.label}", "Strong")


_COVERS = {"issue": _issue_cover, "pack": _pack_cover}


def _body_section(doc, document: Issue | Pack, walk: _Walk) -> None:
    """The pages after the cover, with their running head and footer.

    An issue's head names its series and short title; a pack's names the pack
    and, through a STYLEREF to Heading 1, the current chapter."""
    t = walk.t
    if walk.outline.is_pack:
        # The running head names the current chapter: a STYLEREF to its Heading 1,
        # or, where the layout wants short titles, to a hidden Running Title.
        source = STYLE_RUNNING_TITLE if walk.running_titles else "Heading 1"
        head = dict(left=document.title, right_field=f'STYLEREF "{source}"',
                    footer_left=document.event_name or document.organiser)
    else:
        head = dict(left=document.series or document.publisher, right=document.running_title,
                    footer_left=issue_line(document))
    walk.head = head
    recipient = getattr(document, "recipient", None)
    # An edition's footer line ("Confidential — prepared for …") goes on every
    # page, as in its PDF: into every section's footer (see _page_footer).
    doc.edition_line = document.personalise(document.edition_footer) \
        if recipient and document.edition_footer else ""
    if walk.options["cover"] == "page":
        body = doc.add_section(WD_SECTION.NEW_PAGE)
        _side_column(body, walk.layout, walk.outline.dir)
        # (a pack's body begins with its contents, on page 2)
        _running_head(doc, body, t, first_page=2, **head)
    else:
        # A title block on page 1: one section, whose first page has no running head.
        body = doc.sections[0]
        _side_column(body, walk.layout, walk.outline.dir)
        body.different_first_page_header_footer = True
        _running_head(doc, body, t, **head)
        _page_footer(doc, body.first_page_footer, t, body, head["footer_left"])


# ---------------------------------------------------------------- the sections

def _heading_for(doc, entry, new_page: bool = False, style: str | None = None):
    """A section's heading. It begins a page where the PDF's does (unless a section
    break began one already): LibreOffice and Word may fit a few more lines on a
    page than WeasyPrint, and a heading the PDF pushed to the next page would then
    stay behind, every later page number off by one."""
    fresh = doc.fresh_page
    paragraph = _heading(doc, entry.label, entry.level, entry.id, style)
    if new_page or (entry.id in doc.page_starts and not fresh):
        paragraph.paragraph_format.page_break_before = True
    return paragraph


def _overview(doc, walk: _Walk, entry) -> None:
    doc.lang = None
    _heading_for(doc, entry)
    _blocks(doc, walk.chapter.lede, STYLE_BODY, first_style=STYLE_LEDE)
    _link_notes(doc, walk.chapter.lede_links)


def _experts(doc, walk: _Walk, entry) -> None:
    doc.lang = None
    _heading_for(doc, entry)
    if walk.chapter.issue.experts_intro:
        doc.para(STYLE_EXPERTS_INTRO, walk.chapter.issue.experts_intro)


def _chapter(doc, walk: _Walk, entry) -> None:
    """A chapter opener (a pack's issue): on a new page, its title, issue line,
    standfirst, lede and the experts' introduction. A chapter in another language
    than the document's carries its language and direction (_mark_languages)."""
    chapter = walk.chapter = walk.chapters[entry.id]
    issue = chapter.issue
    doc.lang = chapter.lang
    running = issue.running_title if walk.short_heads else entry.label
    if chapter.divider:
        # Its divider page, then the text from the next page on, under a running head
        # that names the chapter on that first page already (the PDF's first-except:
        # the title was on the divider).
        _divider(doc, walk, entry, chapter)
        _head_section(doc, walk, running, plain_first=False)
    else:
        _head_section(doc, walk, running, page=walk.numbers.get(entry.id))
        # In the PDF's order and sizes: the kicker above the title, a compact
        # standfirst, the lede in body text (the PDF's chapter has no lede size).
        doc.para(STYLE_CHAPTER_KICKER, " · ".join(x for x in (issue.series, issue_line(issue))
                                                  if x))
        doc.fresh_page = True  # the kicker is on the title's new page
        chapter_title(_heading_for(doc, entry), walk.layout)
    if issue.standfirst:
        doc.para(STYLE_CHAPTER_STANDFIRST, issue.standfirst)
    _blocks(doc, chapter.lede, STYLE_BODY)
    _link_notes(doc, chapter.lede_links)
    if issue.experts_intro:
        doc.para(STYLE_EXPERTS_INTRO, issue.experts_intro)


def _divider(doc, walk: _Walk, entry, chapter) -> None:
    """A chapter's divider page (outline.Divider), as the PDF's: a section of its own
    without running head or folio (an edition's footer line stays), the number, the
    title (the chapter's bookmark, a heading), series and date, its pieces and authors."""
    divider = chapter.divider
    _blank_before(doc, walk.numbers.get(entry.id))
    section = _plain_page(doc)
    if doc.edition_line:
        line = section.footer.paragraphs[0]
        line._p.get_or_add_pPr().style = doc.style_ids["Footer"]
        line.add_run(doc.edition_line)
    doc.para(STYLE_DIVIDER_NUMBER, divider.label)
    doc.fresh_page = True  # the number is on the title's new page
    _heading_for(doc, entry, style=STYLE_DIVIDER_TITLE)
    if divider.line:
        doc.para(STYLE_DIVIDER_LINE, divider.line)
    if divider.items:
        doc.para(STYLE_DIVIDER_LABEL, divider.heading)
    for item in divider.items:
        doc.para(STYLE_DIVIDER_HEADLINE, item.headline)
        if item.names:
            doc.para(STYLE_DIVIDER_NAMES, ", ".join(item.names))


def _piece(doc, walk: _Walk, entry) -> None:
    piece = walk.pieces[entry.id]
    doc.lang = piece.lang
    # A piece without headline is headed by its authors' names, as in the PDF.
    _heading_for(doc, entry)
    _contribution_body(doc, piece)
    doc.lang = walk.chapter.lang


def _contributors(doc, walk: _Walk, entry) -> None:
    """Everyone who writes, with photo, name, affiliation and bio; in a pack each
    bio also gives the pages of its author's pieces."""
    doc.lang = None
    outline = walk.outline
    if walk.options["bio_columns"] > 1:
        # The heading goes inside the column section: across a section break
        # keep-with-next cannot hold it to the first bio. Nor does LibreOffice hold it
        # there at a page foot: where the PDF starts the contributors on a later page
        # than the last piece, the column section starts a page too.
        pieces = outline.chapters[0].pieces if not outline.is_pack else ()
        start = walk.numbers.get(entry.id)
        last = walk.numbers.get(pieces[-1].id) if pieces else None
        new_page = isinstance(start, int) and isinstance(last, int) and start > last
        _columns(doc, doc.add_section(WD_SECTION.NEW_PAGE if new_page else
                                      WD_SECTION.CONTINUOUS), walk.options["bio_columns"])
        walk.columns = True
    if outline.is_pack:
        _head_section(doc, walk, entry.label, page=walk.numbers.get(entry.id))
    _heading_for(doc, entry)
    _bios(doc, walk)
    if walk.columns:
        _columns(doc, doc.add_section(WD_SECTION.CONTINUOUS), 1)
        walk.columns = False


def _bio_pages(doc, pages: tuple[str, ...], numbers: dict) -> None:
    line = doc.para(STYLE_BIO_PAGES)
    doc.run(line, "p. " if len(pages) == 1 else "pp. ")
    for index, anchor in enumerate(pages):
        if index:
            doc.run(line, ", ")
        page = numbers.get(anchor)
        add_field(line, f"PAGEREF {bookmark_name(anchor)} \\h", str(page) if page else "")


def _agenda_section(doc, walk: _Walk, entry) -> None:
    doc.lang = None
    _running_title(doc, walk, entry.label)
    _heading_for(doc, entry)
    _agenda(doc, walk.outline, walk.t, walk.numbers, walk.layout.style.get("side_column", 0))


def _annex(doc, walk: _Walk, entry) -> None:
    """A divider per annex, then one page per page of the annex, which the PDF
    carries: each names the annex and its page ("Annex A · Page 2 of 3"), so that
    the DOCX has the PDF's pages and every later page number is the PDF's."""
    doc.lang = None
    t, annex = walk.t, walk.annexes[entry.id]
    _blank_before(doc, walk.numbers.get(entry.id))
    _head_section(doc, walk, entry.label, page=walk.numbers.get(entry.id))
    _heading_for(doc, entry)
    doc.para(STYLE_BODY, t["annex_in_pdf"].format(pages=annex.annex.pages))
    for number, page_id in enumerate(annex.page_ids, 1):
        paragraph = doc.para(STYLE_COLOPHON, f"{t['annex']} {annex.letter} · {t['page']} "
                                             f"{number} {t['of']} {len(annex.page_ids)}")
        paragraph.paragraph_format.page_break_before = True
        add_bookmark(paragraph, bookmark_name(page_id), _next_bookmark_id(doc))


def _back(doc, walk: _Walk, entry) -> None:
    """The call to action and colophon; a page of its own after a cover page."""
    doc.lang = None
    issue = walk.chapter.issue
    cta = issue.call_to_action
    if walk.options["cover"] == "page" and not doc.back_run_in:
        # A cover too, as in the PDF: its own section, without running head or footer,
        # the panel space_back down the page.
        back = _plain_page(doc)
        back.top_margin = Mm(walk.layout.margins_mm[0] + walk.layout.style["space_back"])
    # (Run in, where the PDF set it after the text to fill a near-empty last page.)
    _heading_for(doc, entry, style=STYLE_BACK_HEADING)
    if cta.text:
        doc.para(STYLE_CTA, cta.text)
    if cta.url:
        paragraph = doc.para(STYLE_CTA_LINK)
        add_hyperlink(paragraph, cta.url, cta.url)
    if issue.publisher:
        doc.para(STYLE_COLOPHON, " · ".join(x for x in (issue.publisher, issue.series,
                                                        issue_line(issue)) if x))
    if issue.colophon:
        for key, style in STYLE_COLOPHON_FIELDS.items():
            if getattr(issue.colophon, key):
                doc.para(style, getattr(issue.colophon, key))


#: what each kind of section the outline lists looks like in the DOCX
_SECTIONS = {"overview": _overview, "experts": _experts, "chapter": _chapter, "piece": _piece,
             "contributors": _contributors, "agenda": _agenda_section, "annex": _annex,
             "back": _back}


def _agenda(doc, outline, t: dict, numbers: dict, side: float = 0) -> None:
    """The agenda as a table: time, item and speakers, the page of its paper. A
    wide element, it hangs into the side column (`side`, mm) as the PDF's does."""
    table = doc.add_table(rows=1, cols=3)
    table.style = doc.styles[TABLE_AGENDA]
    # The header row, marked as one (repeated on a new page, read as headers)
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:tblHeader"))
    for cell, text, style in zip(table.rows[0].cells, (t["time"], t["item"], t["paper"]),
                                 (STYLE_AGENDA_HEAD, STYLE_AGENDA_HEAD, STYLE_AGENDA_PAGE_HEAD)):
        cell.paragraphs[0]._p.get_or_add_pPr().style = doc.style_ids[style]
        cell.paragraphs[0].add_run(text)
    headings = {"day": STYLE_AGENDA_DAY, "session": STYLE_AGENDA_SESSION}
    spanning = []
    for item in outline.agenda:
        cells = table.add_row().cells
        if item.kind in headings:  # a day or session: one cell across the table
            cell = cells[0].merge(cells[2])
            cell.paragraphs[0]._p.get_or_add_pPr().style = doc.style_ids[headings[item.kind]]
            cell.paragraphs[0].add_run(item.title)
            doc.agenda_row_rule(cell, item.kind)
            spanning.append(cell)
            continue
        title_style = STYLE_AGENDA_CLOSED if item.closed else STYLE_AGENDA_ITEM
        for cell, style in zip(cells, (STYLE_AGENDA_TIME, title_style, STYLE_AGENDA_PAGE)):
            cell.paragraphs[0]._p.get_or_add_pPr().style = doc.style_ids[style]
        cells[0].paragraphs[0].add_run(item.time)
        cells[1].paragraphs[0].add_run(item.title)
        if item.speakers:
            speakers = cells[1].add_paragraph()
            speakers._p.get_or_add_pPr().style = doc.style_ids[STYLE_AGENDA_SPEAKERS]
            speakers.add_run(", ".join(p.name for p in item.speakers))
        if item.target:
            add_field(cells[2].paragraphs[0], f"PAGEREF {bookmark_name(item.target)} \\h",
                   str(numbers.get(item.target, "")))
    table.autofit = False
    section = doc.sections[-1]
    text_width = section.page_width - section.left_margin - section.right_margin + Mm(side)
    # Its rules from the text's edge (or the side column's) to the other edge, as the PDF's
    indent = OxmlElement("w:tblInd")
    indent.set(qn("w:w"), str(Emu(TABLE_INDENT - Mm(side)).twips))
    indent.set(qn("w:type"), "dxa")
    tbl_pr = table._tbl.tblPr
    tbl_pr.insert_element_before(indent, "w:tblBorders", "w:shd", "w:tblLayout",
                                 "w:tblCellMar", "w:tblLook", "w:tblCaption",
                                 "w:tblDescription", "w:tblPrChange")
    widths = doc.agenda_widths(text_width)
    for column, width in zip(table.columns, widths):
        column.width = width
        for cell in column.cells:
            cell.width = width
    for cell in spanning:  # a day's or session's row: the whole width
        cell.width = Emu(sum(widths))


def _setup_section(section, layout: Layout, options: RenderOptions) -> None:
    width, height = PAGE_SIZES[layout.page_size(options.page_size)]
    top, right, bottom, left = layout.margins_mm
    section.page_width, section.page_height = Mm(width), Mm(height)
    section.top_margin, section.bottom_margin = Mm(top), Mm(bottom)
    section.left_margin, section.right_margin = Mm(left), Mm(right)
    section.header_distance = section.footer_distance = Mm(10)


def _side_column(section, layout: Layout, direction: str) -> None:
    """The grid (token side_column): the body pages' margin on the text's start side
    wider by the side column, so that the text column, and the measure, are the
    PDF's; the styles of what hangs into it are indented back (styles.style_specs).
    The sections after this one copy its margins."""
    extra = layout.style.get("side_column", 0)
    if not extra:
        return
    if direction == "rtl":
        section.right_margin = Mm(layout.margins_mm[1] + extra)
    else:
        section.left_margin = Mm(layout.margins_mm[3] + extra)


def _blank_before(doc, page) -> None:
    """The blank page the PDF leaves before `page` (a booklet's verso before a chapter
    or annex that opens on a recto): a page of its own, without head or folio. (Word's
    odd-page section breaks would do it in Word, but LibreOffice leaves them out.)"""
    if isinstance(page, int) and page - 1 in doc.blank_pages:
        _plain_page(doc)
        doc.para(STYLE_BODY)


def _head_section(doc, walk: _Walk, current: str, plain_first: bool = True,
                  page: int | None = None) -> None:
    """A new page and section whose running head names `current` (a pack's
    chapter, its contributors, an annex): the STYLEREF that Word recomputes, its
    result cached for readers that show it as it is (LibreOffice). `plain_first`:
    its first page's head leaves the name out (the section's title is on it);
    `page`, the PDF's number of that first page, puts its folio outside in a booklet."""
    _running_head(doc, doc.add_section(WD_SECTION.NEW_PAGE), walk.t, cached=current,
                  plain_first=plain_first, first_page=page, **walk.head)
    _running_title(doc, walk, current)


def _running_title(doc, walk: _Walk, text: str) -> None:
    """Where the running head reads Running Titles (short titles, divider pages): a
    hidden paragraph that its STYLEREF finds (it takes no room, and is no page's
    first paragraph)."""
    if not walk.running_titles:
        return
    fresh = doc.fresh_page
    _hide(doc.para(STYLE_RUNNING_TITLE, text))
    doc.fresh_page = fresh


def _hide(paragraph) -> None:
    """Hidden text, the paragraph mark too (no empty line)."""
    for run in paragraph.runs:
        run.font.hidden = True
    ppr = paragraph._p.get_or_add_pPr()
    mark = ppr.find(qn("w:rPr"))
    if mark is None:
        mark = OxmlElement("w:rPr")
        ppr.insert_element_before(mark, "w:sectPr", "w:pPrChange")
    mark.append(OxmlElement("w:vanish"))


def _plain_page(doc):
    """A new page and section without running head or folio (a divider, the back page,
    a blank verso): empty header and footer of its own, not the previous section's,
    and no first-page variant of them either."""
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    section.different_first_page_header_footer = False
    parts = (section.header, section.footer)
    if doc.mirrored:
        parts += (section.even_page_header, section.even_page_footer)
    for part in parts:
        part.is_linked_to_previous = False
        for paragraph in part.paragraphs:
            ppr = paragraph._p.pPr
            if ppr is not None and ppr.pStyle is not None:
                ppr.remove(ppr.pStyle)  # no Header style: no rule under an empty head
    return section


def _running_head(doc, section, t: dict, left: str, right: str = "", right_field: str = "",
                  footer_left: str = "", cached: str = "", plain_first: bool = True,
                  first_page: int | None = None) -> None:
    """Header "left <tab> right" (text, or a field such as STYLEREF) and footer
    "footer_left <tab> Page N of M" of a section; the cover section keeps none."""
    text_width = section.page_width - section.left_margin - section.right_margin
    for part in (section.header, section.footer):
        part.is_linked_to_previous = False
    header = section.header.paragraphs[0]
    header._p.get_or_add_pPr().style = doc.style_ids["Header"]
    right_tab(header, text_width)
    header.add_run(left + "\t" + right)
    if right_field:
        add_field(header, right_field, cached)
    _page_footer(doc, section.footer, t, section, footer_left)
    if doc.mirrored:
        # Even (left) pages: the same head, the folio on the outer (left) side.
        even = section.even_page_header
        even.is_linked_to_previous = False
        even_head = even.paragraphs[0]
        even_head._p.get_or_add_pPr().style = doc.style_ids["Header"]
        right_tab(even_head, text_width)
        even_head.add_run(left + "\t" + right)
        if right_field:
            add_field(even_head, right_field, cached)
        section.even_page_footer.is_linked_to_previous = False
        _page_footer(doc, section.even_page_footer, t, section, footer_left, outer_left=True)
    if right_field and not plain_first:
        # (a new section copies the one before: a chapter's plain first page too)
        section.different_first_page_header_footer = False
    if right_field and plain_first:
        # A pack's section names its chapter from its second page on, as the PDF
        # (string(chapter, first-except)): the opener's title is on the page already.
        section.different_first_page_header_footer = True
        first = section.first_page_header
        first.is_linked_to_previous = False
        plain = first.paragraphs[0]
        plain._p.get_or_add_pPr().style = doc.style_ids["Header"]
        right_tab(plain, text_width)
        plain.add_run(left + "\t")
        section.first_page_footer.is_linked_to_previous = False
        _page_footer(doc, section.first_page_footer, t, section, footer_left,
                     outer_left=doc.mirrored and isinstance(first_page, int)
                     and first_page % 2 == 0)


def _page_footer(doc, footer_part, t: dict, section, left: str,
                 outer_left: bool = False) -> None:
    """"left <tab> Page N of M"; on a booklet's even page (`outer_left`), the folio
    on the outer side: "Page N of M <tab> left"."""
    footer = footer_part.paragraphs[0]
    footer._p.get_or_add_pPr().style = doc.style_ids["Footer"]
    right_tab(footer, section.page_width - section.left_margin - section.right_margin)
    footer.add_run(("" if outer_left else left + "\t") + t["page"] + " ")
    add_field(footer, "PAGE", "2")
    footer.add_run(f" {t['of']} ")
    add_field(footer, "NUMPAGES", "")
    if outer_left:
        footer.add_run("\t" + left)
    if doc.edition_line:
        line = footer_part.add_paragraph()
        line._p.get_or_add_pPr().style = doc.style_ids["Footer"]
        line.add_run(doc.edition_line)


def _columns(doc, section, count: int) -> None:
    """Set the section's text columns.

    The section shares the previous one's header and footer parts (same
    references, same title-page flag): LibreOffice turns a continuous break
    between sections whose page set-up differs in any way into a page break.
    """
    import copy

    previous = doc.sections[len(doc.sections) - 2]._sectPr
    for tag in ("w:headerReference", "w:footerReference"):
        for ref in section._sectPr.findall(qn(tag)):
            section._sectPr.remove(ref)
    for ref in reversed(previous.findall(qn("w:headerReference")) +
                        previous.findall(qn("w:footerReference"))):
        section._sectPr.insert(0, copy.deepcopy(ref))
    cols = section._sectPr.find(qn("w:cols"))
    if cols is None:
        cols = OxmlElement("w:cols")
        section._sectPr.append(cols)
    cols.set(qn("w:num"), str(count))
    cols.set(qn("w:space"), str(Mm(7).twips))
    cols.set(qn("w:equalWidth"), "1")


def _contribution_body(doc, piece) -> None:
    """A piece after its headline: text, pull quote (where the outline puts it), attribution."""
    contribution = piece.contribution
    _blocks(doc, piece.before, STYLE_BODY)
    if piece.pull_quote:
        doc.para(STYLE_PULL_QUOTE, piece.pull_quote.text)
    elif contribution.pull_quote:
        # A piece too short to show its quote (outline.PULL_QUOTE_MIN_WORDS): the
        # quote stays, hidden (the paragraph mark too: no empty line), so that an
        # import reads it back.
        _hide(doc.para(STYLE_PULL_QUOTE, contribution.pull_quote.text))
    # The rest of a paragraph that the quote stands inside: its own style, which an
    # import joins back to the paragraph before the quote.
    last = _blocks(doc, piece.after, STYLE_BODY,
                   STYLE_BODY_CONTINUED if piece.continued else None)
    if contribution.contributors:
        body = doc.style_ids[STYLE_BODY]
        previous = last._p.getprevious() if last is not None else None
        if (last is not None and last._p.pPr.style == body and previous is not None
                and previous.pPr is not None and previous.pPr.style == body):
            # Word has no "keep with previous": the text's last paragraph is kept
            # with the attribution by its style (tidy.add_derived_styles). Not
            # when it follows the headline's or pull quote's keep chain: LibreOffice
            # then moves the whole chain, paragraph and all, to the next page.
            last._p.get_or_add_pPr().style = doc.style_ids[STYLE_BODY_LAST]
        _attribution(doc, contribution)
    _link_notes(doc, piece.links)


def _bios(doc, walk: _Walk) -> None:
    """The bios as the PDF lays them out, in one borderless table (a row cannot
    split, as a bio does not): photo beside the text, or (cards) two speakers a
    row, each photo above the text. Right to left, the columns are mirrored."""
    outline, layout = walk.outline, walk.layout
    style = layout.style
    section = doc.sections[-1]
    width = section.page_width - section.left_margin - section.right_margin
    if walk.columns:
        width = Emu((width - Mm(7)) // walk.options["bio_columns"])
    cards = walk.options.get("bios") == "cards"
    people = list(outline.contributors)
    if cards:
        rows = [people[i:i + 2] for i in range(0, len(people), 2)]
        widths = (Emu(width // 2), Emu(width - width // 2))
        gap, below = Mm(3), Mm(5)
    else:
        rows = [[person] for person in people]
        photo = Mm(style["photo"] + style["photo_gap"])
        widths = (photo, Emu(width - photo))
        gap, below = 0, Mm(3 if walk.columns else style["space_bio"])
    table = _layout_table(doc, widths, rtl=outline.dir == "rtl", gap=gap, below=below)
    tables = [table]
    for number, row_people in enumerate(rows):
        if number and outline.bio_ids[row_people[0].id] in doc.page_starts:
            # The PDF begins a page with this bio (balancing the contributors' last
            # page): so does the DOCX, in a table of its own after a page break.
            _page_break(doc)
            table = _layout_table(doc, widths, rtl=outline.dir == "rtl", gap=gap, below=below)
            tables.append(table)
        cells = _layout_row(table, widths)
        for index, person in enumerate(row_people):
            if cards:
                doc.into(cells[index])
                _photo(doc, person, walk)
            else:
                doc.into(cells[0])
                _photo(doc, person, walk)
                doc.into(cells[1])
            _bio(doc, person, outline)
            if outline.is_pack:
                _bio_pages(doc, outline.appearances.get(person.id, ()), walk.numbers)
        doc.into(None)
    if cards and len(rows) >= 2:
        # Never a lone last row of cards on a page: the last two go together, as in
        # the PDF (break-after: avoid), every paragraph of the one before kept with
        # the next.
        for paragraph in table.findall(qn("w:tr"))[-2].iter(qn("w:p")):
            paragraph.get_or_add_pPr().keepNext_val = True
    for cell in (c for t in tables for row in t.findall(qn("w:tr"))
                 for c in row.findall(qn("w:tc"))):
        if cell.find(qn("w:p")) is None:  # a cell holds at least one paragraph
            cell.append(OxmlElement("w:p"))


def _page_break(doc) -> None:
    """A page break between two tables: a paragraph of no height that begins a page."""
    paragraph = doc.para(STYLE_BIO_PHOTO)
    paragraph.paragraph_format.page_break_before = True
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    paragraph.paragraph_format.line_spacing = Pt(1)


def _layout_table(doc, widths, rtl: bool, gap, below):
    """A borderless table of fixed column widths, with no cell margins but `gap` at
    the sides and `below` under each row."""
    table = OxmlElement("w:tbl")
    tbl_pr = OxmlElement("w:tblPr")
    for tag, attrs in (("w:tblW", {"w:w": str(sum(w.twips for w in widths)), "w:type": "dxa"}),
                       ("w:tblLayout", {"w:type": "fixed"})):
        node = OxmlElement(tag)
        for key, value in attrs.items():
            node.set(qn(key), value)
        tbl_pr.append(node)
    if rtl:
        tbl_pr.insert(0, OxmlElement("w:bidiVisual"))
    margins = OxmlElement("w:tblCellMar")
    for side, value in (("top", 0), ("left", gap), ("bottom", below), ("right", gap)):
        node = OxmlElement(f"w:{side}")
        node.set(qn("w:w"), str(value.twips if value else 0))
        node.set(qn("w:type"), "dxa")
        margins.append(node)
    tbl_pr.append(margins)
    look = OxmlElement("w:tblLook")
    look.set(qn("w:val"), "0000")
    tbl_pr.append(look)
    table.append(tbl_pr)
    grid = OxmlElement("w:tblGrid")
    for width in widths:
        column = OxmlElement("w:gridCol")
        column.set(qn("w:w"), str(width.twips))
        grid.append(column)
    table.append(grid)
    body = doc.element.body
    last = body[-1]
    if last.tag == qn("w:sectPr"):
        last.addprevious(table)
    else:
        body.append(table)
    return table


def _layout_row(table, widths) -> list:
    row = OxmlElement("w:tr")
    tr_pr = OxmlElement("w:trPr")
    tr_pr.append(OxmlElement("w:cantSplit"))
    row.append(tr_pr)
    cells = []
    for width in widths:
        cell = OxmlElement("w:tc")
        tc_pr = OxmlElement("w:tcPr")
        tc_w = OxmlElement("w:tcW")
        tc_w.set(qn("w:w"), str(width.twips))
        tc_w.set(qn("w:type"), "dxa")
        tc_pr.append(tc_w)
        cell.append(tc_pr)
        row.append(cell)
        cells.append(cell)
    table.append(row)
    return cells


def _photo(doc, person, walk: _Walk) -> None:
    """The photo, round and cropped square from its middle as the PDF's (object-fit:
    cover), or a circle with the initials, decorative, where there is no photo."""
    size = doc.photo_width
    run = doc.para(STYLE_BIO_PHOTO if person.photo else STYLE_BIO_INITIALS).add_run()
    if person.photo:
        picture = run.add_picture(_embeddable(person.photo.path), width=size, height=size)
        _crop_square(picture, person.photo.path)
        picture._inline.docPr.set("descr", person.photo.alt)
        picture._inline.docPr.set("title", person.name)
    else:
        picture = run.add_picture(_initials_png(person.initials, walk.layout), width=size,
                                  height=size)
        _decorative(picture._inline.docPr)
    geometry = picture._inline.graphic.graphicData.pic.spPr.find(qn("a:prstGeom"))
    if geometry is not None:
        geometry.set("prst", "ellipse")


def _crop_square(picture, path: Path) -> None:
    """Crop the picture's longer side to a centred square (the PDF's object-fit: cover)."""
    from PIL import Image as PILImage

    with PILImage.open(path) as image:
        width, height = image.size
    if width == height:
        return
    cut = int(round((1 - min(width, height) / max(width, height)) / 2 * 100000))
    rect = OxmlElement("a:srcRect")
    for side in (("l", "r") if width > height else ("t", "b")):
        rect.set(side, str(cut))
    blip_fill = picture._inline.graphic.graphicData.pic.blipFill
    blip_fill.insert(1, rect)  # after a:blip, before a:stretch


def _decorative(doc_pr) -> None:
    """No alternative text, and marked decorative (Office's extension), so a screen
    reader skips it; the name is in the text beside it."""
    doc_pr.set("descr", "")
    doc_pr.set("name", DECORATIVE_NAME)  # survives LibreOffice, which drops the extension
    ext_list = OxmlElement("a:extLst")
    ext = OxmlElement("a:ext")
    ext.set("uri", "{C183D7F6-B498-43B3-948B-1728B52AA6E4}")
    from lxml import etree

    decorative = etree.SubElement(
        ext, "{http://schemas.microsoft.com/office/drawing/2017/decorative}decorative",
        nsmap={"adec": "http://schemas.microsoft.com/office/drawing/2017/decorative"})
    decorative.set("val", "1")
    ext_list.append(ext)
    doc_pr.append(ext_list)


def _initials_png(initials: str, layout: Layout):
    """A circle in the PDF's placeholder colours (accent_light, the initials in the
    accent colour, bold, in the heading font's file), as a PNG in memory."""
    dpi = 300
    size = round(layout.style["photo"] / 25.4 * dpi)
    family = layout.fonts["heading"]
    if first_strong_direction(initials) == "rtl":
        family = layout.fonts.get("arabic", family)
    faces = [f for f in layout.faces if f.family == family and f.style == "normal"]
    face = max(faces, key=lambda f: f.weight >= 700) if faces else None
    font_px = round(layout.style["size_initials"] / 72 * dpi)
    from .fonts import file_stamp

    stamp = file_stamp(face.file) if face else None  # (a replaced font draws again)
    return io.BytesIO(_initials_bytes(initials, size, layout.colours["accent_light"],
                                      layout.colours["accent"],
                                      str(face.file) if face else None, stamp, font_px))


@functools.lru_cache(maxsize=256)
def _initials_bytes(initials: str, size: int, fill: str, ink: str, font_file: str | None,
                    stamp, font_px: int) -> bytes:
    """_initials_png's picture, drawn once a process (prepare() draws them ahead)."""
    from PIL import Image as PILImage, ImageDraw, ImageFont

    image = PILImage.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((0, 0, size - 1, size - 1), fill=fill)
    font = (ImageFont.truetype(font_file, font_px) if font_file
            else ImageFont.load_default(font_px))
    draw.text((size / 2, size / 2), initials, fill=ink, font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _bio(doc, person, outline=None):
    """A contributor's name (bookmarked with their id), affiliation and bio (as the
    outline places it: its links numbered, then listed, where links print as notes)."""
    name = doc.para(STYLE_BIO_NAME, person.name)
    bookmark = CONTRIBUTOR_BOOKMARK + person.id.replace("-", "_")
    if len(bookmark) <= 40:  # Word's limit; longer ids come back from the name
        add_bookmark(name, bookmark, _next_bookmark_id(doc))
    if person.affiliation:
        # Role and organisation as character styles, so that an import can
        # tell them apart even when either contains commas.
        affiliation = doc.para(STYLE_BIO_AFFILIATION)
        if person.role:
            doc.run(affiliation, person.role, CHAR_ROLE)
        if person.role and person.organisation:
            doc.run(affiliation, list_separator(person.role, person.organisation))
        if person.organisation:
            doc.run(affiliation, person.organisation, CHAR_ORGANISATION)
    bio = outline.bios.get(person.id, person.bio) if outline is not None else person.bio
    last = _blocks(doc, bio, STYLE_BIO) or name
    links = outline.bio_links.get(person.id) if outline is not None else None
    return _link_notes(doc, links) or last


def _embeddable(path: Path):
    """The picture as python-docx can embed it: JPEG, PNG and GIF as they are,
    anything else (WebP) converted to PNG in memory."""
    from PIL import Image as PILImage

    with PILImage.open(path) as picture:
        if picture.format in ("JPEG", "PNG", "GIF"):
            return str(path)
        buffer = io.BytesIO()
        picture.save(buffer, "PNG")
    buffer.seek(0)
    return buffer


def _attribution(doc, contribution) -> None:
    """"— Name, Role, Organisation", the name in the Strong character style, as in the PDF."""
    paragraph = doc.para(STYLE_ATTRIBUTION)
    doc.run(paragraph, "— ")
    for index, person in enumerate(contribution.contributors):
        if index:
            doc.run(paragraph, "; ")
        doc.run(paragraph, person.name, "Strong")
        if person.affiliation:
            doc.run(paragraph, list_separator(person.name, person.affiliation) + person.affiliation)


def _link_notes(doc, links: LinkNotes | None):
    """A text's links printed as notes (outline.LinkNotes): a heading ("Links"), then
    one Link Note paragraph per number with its URL, a link still. Returns the last."""
    if not links:
        return None
    last = doc.para(STYLE_LINK_NOTES_HEADING, links.label)
    for note in links.notes:
        last = doc.para(STYLE_LINK_NOTE, f"{note.number} ")
        add_hyperlink(last, note.url, note.shown)
    return last


def _contents(doc, t: dict) -> None:
    doc.para("TOC Heading", t["contents"])
    # The entries are filled once every heading is known (_fill_contents).
    doc.toc_marker = doc.para("TOC 1")


def _fill_contents(doc, entries, page_numbers: dict, pack: bool = False) -> None:
    """A real TOC field (Word can update it), pre-filled with every heading.

    Each entry links to its heading and shows its page as a PAGEREF field. The
    cached number is the section's page in the PDF laid out in the same build
    (same page size, margins and fonts); only when a number is missing is the
    field marked dirty, for Word to compute it on open.
    """
    marker = doc.toc_marker
    section = doc.sections[-1]
    # A pack's pieces flow inside their chapter, where the DOCX's pages may part
    # from the PDF's (bench/parity.py): their numbers are the PDF's, marked for
    # Word to recompute on open. Chapters, contributors and annexes start a page.
    unsure = {e.id for e in entries if e.kind == "piece"} if pack else set()
    text_width = section.page_width - section.left_margin - section.right_margin
    paragraphs = []
    for entry in entries:
        anchor, text = entry.id, entry.label
        paragraph = doc.para_before(marker, f"TOC {min(entry.level, 2)}")
        paragraph.paragraph_format.tab_stops.add_tab_stop(
            text_width, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        link = internal_link(paragraph, bookmark_name(anchor))
        link_run(link, text)
        link_run(link, "\t")
        page = page_numbers.get(anchor)
        field_into(link, f"PAGEREF {bookmark_name(anchor)} \\h", str(page) if page else "",
                   dirty=entry.id in unsure)
        paragraphs.append(paragraph)
    first = paragraphs[0] if paragraphs else marker
    known = all(page_numbers.get(entry.id) for entry in entries)
    toc_start = [fld_char("begin", dirty=not known), instr(' TOC \\o "1-2" \\h \\z \\u '),
                 fld_char("separate")]
    for node in reversed(toc_start):
        first._p.insert(1 if first._p.pPr is not None else 0, node)
    end_run = marker.add_run()
    end_run._r.append(fld_char("end", bare=True))


def _heading(doc, text: str, level: int, anchor: str, style: str | None = None):
    paragraph = doc.para(style or f"Heading {level}", text)
    add_bookmark(paragraph, bookmark_name(anchor), _next_bookmark_id(doc))
    return paragraph


def _next_bookmark_id(doc) -> int:
    """One more than the bookmarks so far: the body is counted once, then a counter
    (a rescan for every heading made a long issue quadratic)."""
    count = getattr(doc, "bookmark_count", None)
    if count is None:
        count = len(doc.element.body.findall(".//" + qn("w:bookmarkStart")))
    doc.bookmark_count = count + 1
    return count + 1


def _blocks(doc, blocks: tuple[Block, ...], style: str, first_style: str | None = None):
    """Add blocks as paragraphs in `style` (`first_style` for the first); return the last."""
    last = None
    for index, block in enumerate(blocks):
        paragraph_style = first_style if index == 0 and first_style else style
        if isinstance(block, Paragraph):
            last = doc.para(paragraph_style)
            _spans(doc, last, block.spans)
        elif isinstance(block, Heading):
            last = doc.para("Heading 3")
            _spans(doc, last, block.spans)
        elif isinstance(block, ListBlock):
            list_style = "List Number" if block.ordered else "List Bullet"
            restart = _restarted_numbering(doc) if block.ordered else None
            for item in block.items:
                last = _blocks(doc, item, list_style) or last
                if restart is not None and last is not None:
                    # Each numbered list counts from 1 (the style alone would continue).
                    num_pr = last._p.get_or_add_pPr().get_or_add_numPr()
                    num_pr.get_or_add_ilvl().val = 0
                    num_pr.get_or_add_numId().val = restart
        elif isinstance(block, Quote):
            last = _blocks(doc, block.blocks, "Quote") or last
    return last


def _restarted_numbering(doc) -> int:
    """A new numbering instance of the List Number style's list, starting at 1."""
    numbering = doc.part.numbering_part.element
    style_num = doc.styles["List Number"].element.pPr.numPr.numId.val
    abstract = numbering.num_having_numId(style_num).abstractNumId.val
    num = numbering.add_num(abstract)
    num.add_lvlOverride(ilvl=0).add_startOverride(1)
    return num.numId


def _spans(doc, paragraph, spans: tuple[Span, ...]) -> None:
    for span in spans:
        if is_allowed_link(span.link):
            add_hyperlink(paragraph, span.link, span.text)
            note = getattr(span, "note", 0)  # a link printed as a note: its number
            if note:
                doc.run(paragraph, str(note), CHAR_LINK_NUMBER)
            continue
        for index, piece in enumerate(span.text.split("\n")):
            if index:
                paragraph.add_run().add_break()
            if not piece:
                continue
            if span.code:
                style = CHAR_CODE
            elif span.marked:
                style = CHAR_MARKED
            elif span.strong and span.emphasis:
                style = CHAR_STRONG_EMPHASIS
            elif span.strong:
                style = "Strong"
            elif span.emphasis:
                style = "Emphasis"
            else:
                style = None
            run = doc.run(paragraph, piece, style)
            if span.marked and (span.strong or span.emphasis):
                    run.bold = span.strong or None  # rare: a marked span with emphasis
                    run.italic = span.emphasis or None


def ppr_style(paragraph) -> str | None:
    """The style id a paragraph names, if any."""
    ppr = paragraph._p.pPr
    return ppr.pStyle.val if ppr is not None and ppr.pStyle is not None else None


def _mark_languages(doc, document_dir: str) -> None:
    """Language and direction where they differ from the document's.

    A chapter or piece in another language (the outline's `lang`) gets it on
    every run (for spelling and hyphenation), and its direction on every
    paragraph. Elsewhere a paragraph
    whose text starts in the other direction (an English bio in an Arabic
    issue) gets its own direction, as HTML's dir="auto" would. Language and
    direction belong to the text, not to its look, so this is the one place
    the writer sets paragraph and run properties itself.
    """
    owner = {id(paragraph._p): lang for paragraph, lang in doc.marks}
    mirrored = {doc.style_ids[STYLE_PULL_QUOTE], doc.style_ids["Quote"]}
    contents = {doc.style_ids[name] for name in ("TOC 1", "TOC 2") if name in doc.style_ids}
    body = doc.document._body
    for element in doc.element.body.iter(qn("w:p")):
        paragraph = DocxParagraph(element, body)
        own = owner.get(id(paragraph._p))
        if own is not None:
            direction = text_direction(own)
            for run in paragraph.runs:
                rpr = run._r.get_or_add_rPr()
                if direction == "rtl":
                    rpr.append(OxmlElement("w:rtl"))
                lang = OxmlElement("w:lang")
                lang.set(qn("w:val"), own)
                lang.set(qn("w:bidi"), own)
                rpr.append(lang)
        elif ppr_style(paragraph) in contents:  # an entry of the document's own list,
            direction = document_dir                # laid out as the others (as the PDF's)
        else:
            direction = first_strong_direction(paragraph.text) or document_dir
        if direction != document_dir:
            ppr = paragraph._p.get_or_add_pPr()
            bidi = ppr.find(qn("w:bidi"))
            if bidi is None:
                bidi = OxmlElement("w:bidi")
                ppr.append(bidi)
            bidi.set(qn("w:val"), "1" if direction == "rtl" else "0")
            if ppr.pStyle is not None:
                style = doc.styles.element.get_by_id(ppr.pStyle.val)
                hang = _hang(doc, style)
                if ppr.pStyle.val in mirrored or hang:
                    _mirror_sides(ppr, style, hang)


def _hang(doc, style) -> str | None:
    """The style's hang into the side column (a negative start indent, in twips, as
    text), through its base styles; None when it has none."""
    while style is not None:
        ppr = style.pPr
        indent = ppr.find(qn("w:ind")) if ppr is not None else None
        if indent is not None and indent.get(qn("w:left")) is not None:
            return indent.get(qn("w:left")) if int(indent.get(qn("w:left"))) < 0 else None
        based = style.find(qn("w:basedOn"))
        style = doc.styles.element.get_by_id(based.get(qn("w:val"))) if based is not None \
            else None
    return None


def _mirror_sides(ppr, style, hang: str | None = None) -> None:
    """A paragraph against the document's direction gets its style's start-side rule
    on its own start side (the styles put it on the document's), and its style's
    hang (`hang`) on the document's start side still, where the side column is."""
    import copy

    style_ppr = style.pPr
    borders = style_ppr.find(qn("w:pBdr")) if style_ppr is not None else None
    if borders is not None:
        mirrored = OxmlElement("w:pBdr")
        swap = {"left": "right", "right": "left"}
        for side in ("top", "left", "bottom", "right"):
            edge = borders.find(qn(f"w:{swap.get(side, side)}"))
            node = copy.deepcopy(edge) if edge is not None else OxmlElement(f"w:{side}")
            node.tag = qn(f"w:{side}")
            if edge is None:
                node.set(qn("w:val"), "nil")
            mirrored.append(node)
        ppr.insert_element_before(mirrored, "w:shd", "w:tabs", "w:suppressAutoHyphens",
                                  "w:spacing", "w:ind", "w:jc", "w:textDirection",
                                  "w:outlineLvl", "w:rPr", "w:sectPr", "w:pPrChange")
    # An indent (w:left, the paragraph's own start side) stays; a hang into the side
    # column goes to the paragraph's end side, which is the document's start.
    if hang is not None:
        # (and the style's end indent, a panel's padding, on the paragraph's start)
        own = style_ppr.find(qn("w:ind")) if style_ppr is not None else None
        node = OxmlElement("w:ind")
        node.set(qn("w:left"), (own.get(qn("w:right")) if own is not None else None) or "0")
        node.set(qn("w:right"), hang)
        ppr.insert_element_before(node, "w:jc", "w:textDirection", "w:outlineLvl", "w:rPr",
                                  "w:sectPr", "w:pPrChange")
