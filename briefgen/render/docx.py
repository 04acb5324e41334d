"""DOCX writer: the same document as the PDF, built from named Word styles.

Every paragraph and run gets a named style (Title, Heading 1/2, Pull Quote,
Attribution, Bio …) whose look comes from the layout's fonts, colours and
sizes; content carries no direct formatting, so an editor restyles the whole
document by editing one style, and the importer can read the styles back.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph as DocxParagraph

from ..i18n import clean_line
from ..layouts import PAGE_SIZES, Layout
from ..model import (Block, Heading, Issue, ListBlock, Pack, Paragraph, Quote, Span,
                     first_strong_direction, list_separator)
from . import RenderOptions
from ..outline import build_outline
from .common import created_at, format_date, issue_line, labels

from ..docx_styles import (CHAR_CODE, CHAR_LINK, CHAR_MARKED, CHAR_ORGANISATION, CHAR_ROLE,
                           CHAR_STRONG_EMPHASIS, CONTRIBUTOR_BOOKMARK, STYLE_ATTRIBUTION,
                           STYLE_BIO, STYLE_BIO_AFFILIATION, STYLE_BIO_NAME, STYLE_BIO_PHOTO,
                           STYLE_BODY, STYLE_COLOPHON, STYLE_COVER_CONTRIBUTOR,
                           STYLE_COVER_LABEL, STYLE_CTA, STYLE_CTA_LINK, STYLE_EXPERTS_INTRO,
                           STYLE_ISSUE_LINE, STYLE_LEDE, STYLE_PUBLISHER, STYLE_PULL_QUOTE,
                           STYLE_SERIES, STYLE_STANDFIRST,
                           CUSTOM_PROPERTY, STYLE_AGENDA_HEAD, STYLE_AGENDA_ITEM,
                           STYLE_AGENDA_SPEAKERS, STYLE_AGENDA_TIME, STYLE_BIO_PAGES,
                           STYLE_PREPARED_FOR, STYLE_COVER_IMAGE)

PHOTO_WIDTH = Mm(22)


def write(issue: Issue | Pack, layout: Layout, target: Path, render_options: RenderOptions) -> dict:
    if isinstance(issue, Pack):
        return write_pack(issue, layout, target, render_options)
    doc = _Doc(Document())
    t = labels(issue.lang)
    _define_styles(doc, layout, issue)
    doc.index_styles()
    _setup_section(doc.sections[0], layout, render_options)

    options = layout.docx_options
    _cover(doc, issue, t)
    head = dict(left=issue.series or issue.publisher, right=issue.running_title,
                footer_left=issue_line(issue))
    if options["cover"] == "page":
        body = doc.add_section(WD_SECTION.NEW_PAGE)
        _running_head(doc, body, t, **head)
    else:
        # A title block on page 1: one section, whose first page has no running head.
        body = doc.sections[0]
        body.different_first_page_header_footer = True
        _running_head(doc, body, t, **head)
        _page_footer(doc, body.first_page_footer, t, body, head["footer_left"])

    outline = build_outline(issue)
    anchors = [(e.id, e.level, e.label) for e in outline.contents]
    heading_of = {anchor: (level, text) for anchor, level, text in anchors}

    def heading(anchor, text=None):
        level, label = heading_of[anchor]
        return _heading(doc, label if text is None else text, level, anchor)

    if options["contents"]:
        _contents(doc, t)
    if issue.lede:
        heading("overview")
        _blocks(doc, issue.lede, STYLE_BODY, first_style=STYLE_LEDE)
    if issue.contributions:
        heading("experts")
        if issue.experts_intro:
            doc.para(STYLE_EXPERTS_INTRO, issue.experts_intro)
        for piece in outline.chapters[0].pieces:
            doc.contribution = piece.contribution
            # A piece without headline is headed by its authors' names, as in the PDF.
            heading(piece.id, piece.label)
            _contribution_body(doc, piece)
            doc.contribution = None
    if issue.contributors:
        if options["bio_columns"] > 1:
            # The heading goes inside the column section: across a section break
            # keep-with-next cannot hold it to the first bio.
            _columns(doc, doc.add_section(WD_SECTION.CONTINUOUS), options["bio_columns"])
        heading("contributors")
        for person in issue.contributors:
            _bio(doc, person)
    if issue.contributors and options["bio_columns"] > 1:
        _columns(doc, doc.add_section(WD_SECTION.CONTINUOUS), 1)
    if issue.call_to_action:
        cta = issue.call_to_action
        back = heading("back")
        if options["cover"] == "page":
            back.paragraph_format.page_break_before = True  # a back page, as in the PDF
        if cta.text:
            doc.para(STYLE_CTA, cta.text)
        if cta.url:
            paragraph = doc.para(STYLE_CTA_LINK)
            _hyperlink(paragraph, cta.url, cta.url)
        if issue.publisher:
            doc.para(STYLE_COLOPHON, " · ".join(x for x in (issue.publisher, issue.series,
                                                            issue_line(issue)) if x))
    if options["contents"]:
        _fill_contents(doc, anchors, render_options.page_numbers or {})
        _update_fields_on_open(doc)
    _mark_languages(doc, issue.dir)
    _core_properties(doc, issue, render_options)
    _custom_properties(doc, issue)
    _save(doc, target, created_at(issue, render_options))
    return {}


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
        #: the contribution whose paragraphs are being written, and (paragraph,
        #: contribution) for each of them, for language and direction marks
        self.contribution = None
        self.marks: list = []
        #: bookmarks in the body so far (see _next_bookmark_id)
        self.bookmark_count: int | None = None

    def __getattr__(self, name):
        return getattr(self.document, name)

    def index_styles(self) -> None:
        self.style_ids = {style.name: style.style_id for style in self.document.styles}

    def para(self, style: str, text: str = ""):
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
        if self.contribution is not None:
            self.marks.append((paragraph, self.contribution))
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


def write_pack(pack: Pack, layout: Layout, target: Path, render_options: RenderOptions) -> dict:
    """A pack: cover, contents, agenda, a chapter per issue, one contributors
    section and a divider per annex (the annexes' pages are in the PDF)."""
    outline = build_outline(pack)
    doc = _Doc(Document())
    t = labels(pack.lang)
    _define_styles(doc, layout, pack)
    doc.index_styles()
    _setup_section(doc.sections[0], layout, render_options)

    # Cover: organiser band, event, title, subtitle, what the pack holds.
    if pack.organiser:
        doc.para(STYLE_PUBLISHER, pack.organiser)
    if pack.event_name:
        doc.para(STYLE_SERIES, pack.event_name)
    doc.para(STYLE_ISSUE_LINE, " · ".join(x for x in (pack.event_place, pack.event_dates or
                                                       format_date(pack.date, pack.lang)) if x))
    doc.para("Title", pack.title)
    if pack.subtitle:
        doc.para(STYLE_STANDFIRST, pack.subtitle)
    if pack.recipient:
        prepared = doc.para(STYLE_PREPARED_FOR, t["prepared_for"] + " ")
        doc.run(prepared, pack.recipient.name, "Strong")
        if pack.recipient.organisation:
            doc.run(prepared, ", " + pack.recipient.organisation)
    doc.para(STYLE_COVER_LABEL, t["in_this_pack"])
    for issue in pack.issues:
        doc.para(STYLE_COVER_CONTRIBUTOR, issue.title)
    for annex in outline.annexes:
        doc.para(STYLE_COVER_CONTRIBUTOR, f"{t['annex']} {annex.letter}: {annex.label}")

    body = doc.add_section(WD_SECTION.NEW_PAGE)
    # The running head names the current chapter: a STYLEREF to Heading 1.
    _running_head(doc, body, t, pack.title, right_field='STYLEREF "Heading 1"',
                  footer_left=pack.event_name or pack.organiser)
    if pack.recipient and pack.edition_footer:
        # An edition's footer line ("Confidential — prepared for …"), as in its PDF.
        line = body.footer.add_paragraph()
        line._p.get_or_add_pPr().style = doc.style_ids["Footer"]
        line.add_run(pack.personalise(pack.edition_footer))
    anchors = [(e.id, e.level, e.label) for e in outline.contents]
    _contents(doc, t)
    if outline.agenda:
        _heading(doc, t["agenda"], 1, "agenda")
        _agenda(doc, outline, t, render_options.page_numbers or {})
    for chapter_entry in outline.chapters:
        issue = chapter_entry.issue
        # A chapter in another language than the pack's carries its language
        # and direction (the marks come from _mark_languages).
        doc.contribution = issue if issue.lang != pack.lang else None
        chapter = _heading(doc, issue.title, 1, chapter_entry.id)
        chapter.paragraph_format.page_break_before = True  # each chapter on a new page
        doc.para(STYLE_ISSUE_LINE, " · ".join(x for x in (issue.series, issue_line(issue)) if x))
        if issue.standfirst:
            doc.para(STYLE_STANDFIRST, issue.standfirst)
        _blocks(doc, issue.lede, STYLE_BODY, first_style=STYLE_LEDE)
        if issue.experts_intro:
            doc.para(STYLE_EXPERTS_INTRO, issue.experts_intro)
        for piece in chapter_entry.pieces:
            contribution = piece.contribution
            doc.contribution = contribution if contribution.lang else \
                (issue if issue.lang != pack.lang else None)
            _heading(doc, piece.label, 2, piece.id)
            _contribution_body(doc, piece)
        doc.contribution = None
    if outline.contributors:
        _heading(doc, t["contributors"], 1, "contributors").paragraph_format \
            .page_break_before = True
        numbers = render_options.page_numbers or {}
        for person in outline.contributors:
            _bio(doc, person)
            pages = outline.appearances.get(person.id, ())
            line = doc.para(STYLE_BIO_PAGES)
            doc.run(line, "p. " if len(pages) == 1 else "pp. ")
            for index, anchor in enumerate(pages):
                if index:
                    doc.run(line, ", ")
                page = numbers.get(anchor)
                _field(line, f"PAGEREF {_bookmark_name(anchor)} \\h", str(page) if page else "")
    for annex in outline.annexes:
        divider = _heading(doc, outline.entry(annex.id).label, 1, annex.id)
        divider.paragraph_format.page_break_before = True
        doc.para(STYLE_BODY, t["annex_in_pdf"].format(pages=annex.annex.pages))
    _fill_contents(doc, anchors, render_options.page_numbers or {})
    _update_fields_on_open(doc)
    _mark_languages(doc, pack.dir)
    props = doc.core_properties
    props.title = pack.title[:255]
    props.author = "; ".join(pack.authors)[:255] or pack.organiser
    props.subject = pack.subtitle[:255]
    props.language = pack.lang
    props.identifier = pack.slug
    props.last_modified_by = "briefgen"
    props.revision = 1
    created = created_at(pack, render_options).replace(tzinfo=None)
    props.created = props.modified = props.last_printed = created
    _save(doc, target, created_at(pack, render_options))
    return {}


def _agenda(doc, outline, t: dict, numbers: dict) -> None:
    """The agenda as a table: time, item and speakers, the page of its paper."""
    table = doc.add_table(rows=1, cols=3)
    table.style = doc.styles["Table Grid"]
    for cell, text in zip(table.rows[0].cells, (t["time"], t["item"], t["paper"])):
        cell.paragraphs[0]._p.get_or_add_pPr().style = doc.style_ids[STYLE_AGENDA_HEAD]
        cell.paragraphs[0].add_run(text)
    for item in outline.agenda:
        cells = table.add_row().cells
        for cell, style in zip(cells, (STYLE_AGENDA_TIME, STYLE_AGENDA_ITEM, STYLE_AGENDA_TIME)):
            cell.paragraphs[0]._p.get_or_add_pPr().style = doc.style_ids[style]
        cells[0].paragraphs[0].add_run(item.time)
        cells[1].paragraphs[0].add_run(item.title)
        if item.speakers:
            speakers = cells[1].add_paragraph()
            speakers._p.get_or_add_pPr().style = doc.style_ids[STYLE_AGENDA_SPEAKERS]
            speakers.add_run(", ".join(p.name for p in item.speakers))
        if item.target:
            _field(cells[2].paragraphs[0], f"PAGEREF {_bookmark_name(item.target)} \\h",
                   str(numbers.get(item.target, "")))
    table.autofit = False
    section = doc.sections[-1]
    text_width = section.page_width - section.left_margin - section.right_margin
    widths = (Mm(20), text_width - Mm(20) - Mm(18), Mm(18))
    for column, width in zip(table.columns, widths):
        column.width = width
        for cell in column.cells:
            cell.width = width


# ---------------------------------------------------------------- styles

def _define_styles(doc, layout: Layout, issue: Issue) -> None:
    sizes, colours, fonts = layout.docx_sizes, layout.colours, layout.fonts
    body_font, head_font = fonts["body"], fonts["heading"]
    display_font = fonts.get("display", head_font)
    cs_font = fonts.get("arabic", body_font)
    accent, text, muted = colours["accent"], colours["text"], colours["muted"]
    rtl = issue.dir == "rtl"

    def style(name, base="Normal", kind=WD_STYLE_TYPE.PARAGRAPH):
        styles = doc.styles
        try:
            found = styles[name]
        except KeyError:
            # styles.add_style() scans every style for a clash first; we just
            # looked the name up, so create the element directly.
            from docx.styles.style import StyleFactory

            found = StyleFactory(styles.element.add_style_of_type(name, kind, False))
        if base and found.name != base:
            found.base_style = styles[base]
        if kind == WD_STYLE_TYPE.PARAGRAPH:
            found.quick_style = True
        return found

    def look(s, font=None, size=None, bold=None, italic=None, colour=None, align=None,
             before=None, after=None, keep_next=None, keep_together=None, caps=None):
        f = s.font
        if font:
            _set_fonts(s, font, cs_font)
        if size:
            f.size = Pt(size)
            _set_cs_size(s, size)
        if bold is not None:
            f.bold = bold
            f.cs_bold = bold
        if italic is not None:
            f.italic = italic
            f.cs_italic = False  # Arabic and other complex scripts have no italics
        if colour:
            f.color.rgb = RGBColor.from_string(colour[1:].upper())
        if caps is not None:
            f.all_caps = caps
        if s.type == WD_STYLE_TYPE.PARAGRAPH:
            pf = s.paragraph_format
            if align is not None:
                pf.alignment = align
            if before is not None:
                pf.space_before = Pt(before)
            if after is not None:
                pf.space_after = Pt(after)
            if keep_next is not None:
                pf.keep_with_next = keep_next
            if keep_together is not None:
                pf.keep_together = keep_together
        return s

    justify = WD_ALIGN_PARAGRAPH.JUSTIFY
    # In a right-to-left (bidi) paragraph Word reads "left" as the start side.
    start, end = WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.RIGHT
    normal = look(style("Normal", base=None), body_font, sizes["body"], colour=text, after=6)
    # "At least" the PDF's line height (1.45): the same lines per page as the PDF,
    # while headings and pictures still get the room they need.
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.AT_LEAST
    normal.paragraph_format.line_spacing = Pt(sizes["body"] * 1.45)
    normal.paragraph_format.widow_control = True
    if rtl:
        _ppr_flag(normal, "w:bidi")
    look(style(STYLE_BODY), align=justify, after=6)
    look(style(STYLE_LEDE, STYLE_BODY), size=sizes["body"] + 1.5)

    title = look(style("Title"), display_font, sizes["title"], bold=True, colour=text, align=start,
                 before=24 if layout.docx_options["cover"] == "page" else 4, after=18)
    _clear_borders(title)
    look(style(STYLE_STANDFIRST), body_font, sizes["subtitle"], italic=True, colour=muted,
         align=start, after=24)
    cover_page = layout.docx_options["cover"] == "page"
    for name, size, bold in ((STYLE_PUBLISHER, sizes["small"] + 0.5, False),
                             (STYLE_SERIES, sizes["title"] - 2 if cover_page else sizes["small"] + 1,
                              True)):
        s = look(style(name), head_font, size, bold=bold,
                 colour=colours["on_accent"] if cover_page else text, align=start, before=0,
                 after=0, caps=(name == STYLE_PUBLISHER or not cover_page))
        if cover_page:
            _shade(s, accent)
            # Borders in the band's own colour pad the shaded box; Word joins the
            # two paragraphs' identical borders into one band.
            for side in ("top", "left", "bottom", "right"):
                _border(s, side, accent, 4, space=14 if side in ("top", "bottom") else 8)
    issue_line_style = look(style(STYLE_ISSUE_LINE), head_font, sizes["body"] - 0.5,
                            colour=muted, align=start, before=36 if cover_page else 2,
                            after=6)
    if cover_page:
        _border(issue_line_style, "bottom", accent, 16)
    look(style(STYLE_COVER_LABEL), head_font, sizes["small"], bold=True, colour=accent,
         align=start, before=48 if layout.docx_options["cover"] == "page" else 6, after=4,
         keep_next=True, caps=True)
    look(style(STYLE_COVER_CONTRIBUTOR), head_font, sizes["small"], colour=text, align=start,
         after=2)

    for level, size, before in ((1, sizes["heading1"], 18), (2, sizes["heading2"], 14),
                                (3, sizes["body"] + 1.5, 10)):
        h = look(style(f"Heading {level}"), display_font, size, bold=True, colour=accent,
                 align=start, before=before, after=6 if level > 1 else 8, keep_next=True,
                 keep_together=True)
        h.font.italic = False
        if level == 1:
            _border(h, "bottom", accent, 12)
    look(style(STYLE_EXPERTS_INTRO), italic=True, colour=muted, after=12, keep_next=True)
    pull = look(style(STYLE_PULL_QUOTE), display_font, sizes["pull_quote"], bold=True,
                colour=accent, align=start, before=6, after=10, keep_next=True,
                keep_together=True)
    pull.paragraph_format.left_indent = Mm(6)
    # "left" is the start side in a right-to-left paragraph, as in alignment.
    _border(pull, "left", accent, 24, space=10)
    look(style(STYLE_ATTRIBUTION), head_font, sizes["small"], colour=muted, align=end,
         before=2, after=14, keep_together=True)
    # LibreOffice stops filling a column section at the first keep-with-next
    # chain, so bios in columns keep their lines together but not with each other.
    keep_bio = layout.docx_options["bio_columns"] == 1
    look(style(STYLE_BIO_PHOTO), before=10, after=2, keep_next=keep_bio)
    look(style(STYLE_COVER_IMAGE), align=start, before=12, after=0)
    look(style(STYLE_BIO_NAME), display_font, sizes["body"] + 0.5, bold=True, colour=accent,
         align=start, before=8, after=1, keep_next=keep_bio)
    look(style(STYLE_BIO_AFFILIATION), head_font, sizes["small"], colour=muted, align=start,
         after=3, keep_next=keep_bio)
    look(style(STYLE_BIO), size=sizes["body"] - 1, align=justify, after=4)
    prepared = look(style(STYLE_PREPARED_FOR), head_font, sizes["body"] + 0.5, colour=text,
                    align=start, before=18, after=6)
    _shade(prepared, colours["accent_light"])
    _border(prepared, "left", accent, 24, space=8)
    look(style(STYLE_BIO_PAGES), head_font, sizes["small"], colour=muted, align=start, after=6)
    look(style(STYLE_AGENDA_HEAD), head_font, sizes["small"], bold=True, colour=muted,
         align=start, before=2, after=2, caps=True)
    look(style(STYLE_AGENDA_TIME), head_font, sizes["body"] - 0.5, bold=True, colour=accent,
         align=start, before=2, after=2)
    look(style(STYLE_AGENDA_ITEM), head_font, sizes["body"] - 0.5, bold=True, colour=text,
         align=start, before=2, after=0)
    look(style(STYLE_AGENDA_SPEAKERS), head_font, sizes["small"], colour=muted, align=start,
         after=2)
    for name in (STYLE_CTA, STYLE_CTA_LINK):  # a tinted panel, as the PDF's back page
        cta = look(style(name), head_font if name == STYLE_CTA_LINK else None,
                   size=None if name == STYLE_CTA_LINK else sizes["body"] + 1.5,
                   bold=True if name == STYLE_CTA_LINK else None,
                   colour=accent if name == STYLE_CTA_LINK else None, align=start,
                   before=0, after=0)
        _shade(cta, colours["accent_light"])
        for side in ("top", "left", "bottom", "right"):
            _border(cta, side, colours["accent_light"], 4, space=8)
    look(style(STYLE_COLOPHON), head_font, sizes["small"] - 0.5, colour=muted, align=start,
         before=18)
    quote = look(style("Quote"), italic=True, colour=text)
    quote.paragraph_format.left_indent = Mm(5)
    for name in ("Header", "Footer"):
        look(style(name), head_font, sizes["small"] - 1, colour=muted, before=0, after=0)
    look(style("TOC Heading", "Heading 1"), after=10)
    look(style("TOC 1"), head_font, sizes["body"], bold=True, colour=text, after=4)
    toc2 = look(style("TOC 2"), body_font, sizes["body"], colour=text, after=3)
    toc2.paragraph_format.left_indent = Mm(6)

    for name, base in ((CHAR_MARKED, None), (CHAR_STRONG_EMPHASIS, "Strong"),
                       (CHAR_CODE, None), (CHAR_LINK, None), (CHAR_ROLE, None),
                       (CHAR_ORGANISATION, None)):
        s = style(name, base=base or "Default Paragraph Font", kind=WD_STYLE_TYPE.CHARACTER)
        if name == CHAR_STRONG_EMPHASIS:
            s.font.italic = True
            s.font.cs_italic = True
        elif name == CHAR_CODE:
            s.font.name = body_font
        elif name == CHAR_LINK:
            s.font.color.rgb = RGBColor.from_string(accent[1:].upper())

    # Word hyphenates automatically as the PDF does, in the document's language.
    settings = doc.settings.element
    hyphen = settings.find(qn("w:autoHyphenation"))
    if hyphen is None:
        hyphen = OxmlElement("w:autoHyphenation")
        settings.append(hyphen)
    hyphen.set(qn("w:val"), "true")
    _language(normal, issue.lang)


def _rpr(style):
    return style.element.get_or_add_rPr()


def _set_fonts(style, family: str, cs_family: str) -> None:
    fonts = _rpr(style).get_or_add_rFonts()
    # Word's template styles name theme fonts (asciiTheme="majorHAnsi" …), which
    # win over explicit names in Word: drop them so the layout's fonts apply.
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(attr), family)
    fonts.set(qn("w:cs"), cs_family)
    # Letter-spacing from Word's Title/Subtitle would break joined scripts (Arabic).
    spacing = _rpr(style).find(qn("w:spacing"))
    if spacing is not None:
        _rpr(style).remove(spacing)


def _set_cs_size(style, size: float) -> None:
    rpr = _rpr(style)
    szcs = rpr.find(qn("w:szCs"))
    if szcs is None:
        szcs = OxmlElement("w:szCs")
        sz = rpr.find(qn("w:sz"))
        (sz.addnext if sz is not None else rpr.append)(szcs)
    szcs.set(qn("w:val"), str(int(round(size * 2))))


def _language(style, lang: str) -> None:
    rpr = _rpr(style)
    node = rpr.find(qn("w:lang"))
    if node is None:
        node = OxmlElement("w:lang")
        rpr.append(node)
    node.set(qn("w:val"), lang)
    node.set(qn("w:bidi"), lang if lang.split("-")[0] in ("ar", "fa", "he", "ur") else "ar-SA")


def _ppr_flag(style, tag: str) -> None:
    ppr = style.element.get_or_add_pPr()
    if ppr.find(qn(tag)) is None:
        ppr.append(OxmlElement(tag))


def _shade(style, colour: str) -> None:
    ppr = style.element.get_or_add_pPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), colour[1:].upper())
    ppr.append(shd)


def _border(style, side: str, colour: str, eighths: int, space: int = 4) -> None:
    ppr = style.element.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.append(borders)
    edge = OxmlElement(f"w:{side}")
    edge.set(qn("w:val"), "single")
    edge.set(qn("w:sz"), str(eighths))
    edge.set(qn("w:space"), str(space))
    edge.set(qn("w:color"), colour[1:].upper())
    borders.append(edge)


def _clear_borders(style) -> None:
    ppr = style.element.get_or_add_pPr()
    for node in ppr.findall(qn("w:pBdr")):
        ppr.remove(node)


# ---------------------------------------------------------------- page set-up

def _setup_section(section, layout: Layout, options: RenderOptions) -> None:
    width, height = PAGE_SIZES[layout.page_size(options.page_size)]
    top, right, bottom, left = layout.margins_mm
    section.page_width, section.page_height = Mm(width), Mm(height)
    section.top_margin, section.bottom_margin = Mm(top), Mm(bottom)
    section.left_margin, section.right_margin = Mm(left), Mm(right)
    section.header_distance = section.footer_distance = Mm(10)


def _running_head(doc, section, t: dict, left: str, right: str = "", right_field: str = "",
                  footer_left: str = "") -> None:
    """Header "left <tab> right" (text, or a field such as STYLEREF) and footer
    "footer_left <tab> Page N of M" of a section; the cover section keeps none."""
    text_width = section.page_width - section.left_margin - section.right_margin
    for part in (section.header, section.footer):
        part.is_linked_to_previous = False
    header = section.header.paragraphs[0]
    header._p.get_or_add_pPr().style = doc.style_ids["Header"]
    _right_tab(header, text_width)
    header.add_run(left + "\t" + right)
    if right_field:
        _field(header, right_field, "")
    _page_footer(doc, section.footer, t, section, footer_left)


def _page_footer(doc, footer_part, t: dict, section, left: str) -> None:
    """"left <tab> Page N of M"."""
    footer = footer_part.paragraphs[0]
    footer._p.get_or_add_pPr().style = doc.style_ids["Footer"]
    _right_tab(footer, section.page_width - section.left_margin - section.right_margin)
    footer.add_run(left + "\t" + t["page"] + " ")
    _field(footer, "PAGE", "2")
    footer.add_run(f" {t['of']} ")
    _field(footer, "NUMPAGES", "")


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


def _right_tab(paragraph, position) -> None:
    # Tab stops are paragraph properties of the shared Header/Footer styles in
    # Word's own templates; set on the style so the paragraphs stay clean.
    tabs = paragraph.style.paragraph_format.tab_stops
    tabs.clear_all()
    tabs.add_tab_stop(position, WD_TAB_ALIGNMENT.RIGHT)


def _field(paragraph, instruction: str, cached: str) -> None:
    """A Word field (PAGE, NUMPAGES …) with a cached result, at the paragraph's end."""
    _field_into(paragraph._p, instruction, cached)


# ---------------------------------------------------------------- content

def _contribution_body(doc, piece) -> None:
    """A piece after its headline: text, pull quote (where the outline puts it), attribution."""
    contribution = piece.contribution
    _blocks(doc, piece.before, STYLE_BODY)
    if piece.pull_quote:
        doc.para(STYLE_PULL_QUOTE, piece.pull_quote.text)
    last = _blocks(doc, piece.after, STYLE_BODY)
    if contribution.contributors:
        if last is not None:
            # Word has no "keep with previous": keep the text's last paragraph
            # with the attribution so a page never starts with a lone credit line.
            last.paragraph_format.keep_with_next = True
        _attribution(doc, contribution)


def _bio(doc, person):
    """A contributor's photo, name (bookmarked with their id), affiliation and bio."""
    if person.photo:
        run = doc.para(STYLE_BIO_PHOTO).add_run()
        picture = run.add_picture(_embeddable(person.photo.path), width=PHOTO_WIDTH)
        picture._inline.docPr.set("descr", person.photo.alt)
        picture._inline.docPr.set("title", person.name)
    name = doc.para(STYLE_BIO_NAME, person.name)
    bookmark = CONTRIBUTOR_BOOKMARK + person.id.replace("-", "_")
    if len(bookmark) <= 40:  # Word's limit; longer ids come back from the name
        _bookmark(name, bookmark, _next_bookmark_id(doc))
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
    return _blocks(doc, person.bio, STYLE_BIO) or name


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


def _cover(doc, issue: Issue, t: dict) -> None:
    if issue.publisher:
        doc.para(STYLE_PUBLISHER, issue.publisher)
    if issue.series:
        doc.para(STYLE_SERIES, issue.series)
    if issue.cover_image:
        section = doc.sections[0]
        width = section.page_width - section.left_margin - section.right_margin
        run = doc.para(STYLE_COVER_IMAGE).add_run()
        picture = run.add_picture(_embeddable(issue.cover_image.path), width=width)
        if picture.height > Mm(80):  # a banner, not the whole cover
            picture.width = int(picture.width * Mm(80) / picture.height)
            picture.height = Mm(80)
        picture._inline.docPr.set("descr", issue.cover_image.alt)
    doc.para(STYLE_ISSUE_LINE, issue_line(issue))
    doc.para("Title", issue.title)
    if issue.standfirst:
        doc.para(STYLE_STANDFIRST, issue.standfirst)
    if issue.contributors:
        doc.para(STYLE_COVER_LABEL, t["in_this_issue"])
        for person in issue.contributors:
            paragraph = doc.para(STYLE_COVER_CONTRIBUTOR)
            doc.run(paragraph, person.name, "Strong")
            if person.affiliation:
                paragraph.add_run(" — " + person.affiliation)


def _contents(doc, t: dict) -> None:
    doc.para("TOC Heading", t["contents"])
    # The entries are filled once every heading is known (_fill_contents).
    doc.toc_marker = doc.para("TOC 1")


def _bookmark_name(anchor: str) -> str:
    # "_Toc" bookmarks are hidden in Word's bookmark list, as Word's own TOCs do.
    # Word allows 40 characters: longer anchors (long slugs) get a stable hash.
    name = "_Toc_" + anchor.replace("-", "_")
    if len(name) > 40 or not name.isascii():
        name = "_Toc_" + hashlib.sha1(anchor.encode()).hexdigest()[:20]
    return name


def _fill_contents(doc, anchors, page_numbers: dict) -> None:
    """A real TOC field (Word can update it), pre-filled with every heading.

    Each entry links to its heading and shows its page as a PAGEREF field. The
    cached number is the section's page in the PDF laid out in the same build
    (same page size, margins and fonts); the field is marked dirty so Word
    recomputes it on open.
    """
    marker = doc.toc_marker
    section = doc.sections[-1]
    text_width = section.page_width - section.left_margin - section.right_margin
    paragraphs = []
    for anchor, level, text in anchors:
        paragraph = doc.para_before(marker, f"TOC {min(level, 2)}")
        paragraph.paragraph_format.tab_stops.add_tab_stop(
            text_width, WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
        link = _internal_link(paragraph, _bookmark_name(anchor))
        _link_run(link, text)
        _link_run(link, "\t")
        page = page_numbers.get(anchor)
        _field_into(link, f"PAGEREF {_bookmark_name(anchor)} \\h", str(page) if page else "")
        paragraphs.append(paragraph)
    first = paragraphs[0] if paragraphs else marker
    toc_start = [_fld_char("begin"), _instr(' TOC \\o "1-2" \\h \\z \\u '), _fld_char("separate")]
    for node in reversed(toc_start):
        first._p.insert(1 if first._p.pPr is not None else 0, node)
    end_run = marker.add_run()
    end_run._r.append(_fld_char("end", bare=True))


def _update_fields_on_open(doc) -> None:
    """The cached page numbers come from the PDF; Word recomputes them on open."""
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    doc.settings.element.append(update)


def _fld_char(kind: str, bare: bool = False):
    """A run holding a field character; `bare` returns the w:fldChar alone."""
    node = OxmlElement("w:fldChar")
    node.set(qn("w:fldCharType"), kind)
    if kind == "begin":
        node.set(qn("w:dirty"), "true")  # Word recomputes the field on open
    if bare:
        return node
    run = OxmlElement("w:r")
    run.append(node)
    return run


def _instr(text: str):
    run = OxmlElement("w:r")
    node = OxmlElement("w:instrText")
    node.set(qn("xml:space"), "preserve")
    node.text = text
    run.append(node)
    return run


def _field_into(parent, instruction: str, cached: str) -> None:
    parent.append(_fld_char("begin"))
    parent.append(_instr(f" {instruction} "))
    parent.append(_fld_char("separate"))
    _link_run(parent, cached)
    parent.append(_fld_char("end"))


def _internal_link(paragraph, bookmark: str):
    link = OxmlElement("w:hyperlink")
    link.set(qn("w:anchor"), bookmark)
    link.set(qn("w:history"), "1")
    paragraph._p.append(link)
    return link


def _link_run(link, text: str) -> None:
    run = OxmlElement("w:r")
    if text == "\t":
        run.append(OxmlElement("w:tab"))
    else:
        node = OxmlElement("w:t")
        node.set(qn("xml:space"), "preserve")
        node.text = text
        run.append(node)
    link.append(run)


def _heading(doc, text: str, level: int, anchor: str):
    paragraph = doc.para(f"Heading {level}", text)
    _bookmark(paragraph, _bookmark_name(anchor), _next_bookmark_id(doc))
    return paragraph


def _next_bookmark_id(doc) -> int:
    """One more than the bookmarks so far: the body is counted once, then a counter
    (a rescan for every heading made a long issue quadratic)."""
    count = getattr(doc, "bookmark_count", None)
    if count is None:
        count = len(doc.element.body.findall(".//" + qn("w:bookmarkStart")))
    doc.bookmark_count = count + 1
    return count + 1


def _bookmark(paragraph, name: str, number: int) -> None:
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(number))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(number))
    ppr = paragraph._p.pPr
    if ppr is not None:
        ppr.addnext(start)
    else:
        paragraph._p.insert(0, start)
    paragraph._p.append(end)


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
        if span.link and span.link.lower().startswith(("http://", "https://", "mailto:")):
            _hyperlink(paragraph, span.link, span.text)
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


def _hyperlink(paragraph, url: str, text: str) -> None:
    rel = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel)
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    rstyle = OxmlElement("w:rStyle")
    rstyle.set(qn("w:val"), "Hyperlink")  # the style id _define_styles gives CHAR_LINK
    rpr.append(rstyle)
    run.append(rpr)
    node = OxmlElement("w:t")
    node.set(qn("xml:space"), "preserve")
    node.text = text
    run.append(node)
    link.append(run)
    paragraph._p.append(link)


def _mark_languages(doc, document_dir: str) -> None:
    """Language and direction where they differ from the document's.

    A contribution with its own `lang` gets it on every run (for spelling and
    hyphenation), and its direction on every paragraph. Elsewhere a paragraph
    whose text starts in the other direction (an English bio in an Arabic
    issue) gets its own direction, as HTML's dir="auto" would. Language and
    direction belong to the text, not to its look, so this is the one place
    the writer sets paragraph and run properties itself.
    """
    owner = {id(paragraph._p): contribution for paragraph, contribution in doc.marks
             if contribution.lang}
    for paragraph in doc.paragraphs:
        contribution = owner.get(id(paragraph._p))
        if contribution is not None:
            direction = contribution.dir
            for run in paragraph.runs:
                rpr = run._r.get_or_add_rPr()
                if direction == "rtl":
                    rpr.append(OxmlElement("w:rtl"))
                lang = OxmlElement("w:lang")
                lang.set(qn("w:val"), contribution.lang)
                lang.set(qn("w:bidi"), contribution.lang)
                rpr.append(lang)
        else:
            direction = first_strong_direction(paragraph.text) or document_dir
        if direction != document_dir:
            ppr = paragraph._p.get_or_add_pPr()
            bidi = ppr.find(qn("w:bidi"))
            if bidi is None:
                bidi = OxmlElement("w:bidi")
                ppr.append(bidi)
            bidi.set(qn("w:val"), "1" if direction == "rtl" else "0")


# ---------------------------------------------------------------- metadata and saving

def _core_properties(doc, issue: Issue, options: RenderOptions) -> None:
    props = doc.core_properties

    def fit(text: str) -> str:
        # Word's core properties hold at most 255 characters, on one line.
        text = clean_line(text)
        return text if len(text) <= 255 else text[:254].rstrip() + "…"

    props.title = fit(issue.title)
    props.author = fit("; ".join(issue.authors) or issue.publisher)
    props.subject = fit(issue.standfirst or issue.series)
    props.keywords = fit(", ".join(issue.keywords))
    props.language = issue.lang
    props.category = fit(issue.series)
    props.comments = fit(issue_line(issue))
    props.identifier = fit(issue.slug)
    props.last_modified_by = "briefgen"
    props.revision = 1
    created = created_at(issue, options).replace(tzinfo=None)
    props.created = props.modified = created
    props.last_printed = created


def _custom_properties(doc, issue: Issue) -> None:
    """docProps/custom.xml: facts core properties lose in LibreOffice (keyword lists)."""
    from xml.sax.saxutils import escape

    from docx.opc.constants import CONTENT_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    value = json.dumps({"keywords": list(issue.keywords), "slug": issue.slug},
                       ensure_ascii=False, sort_keys=True)
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
           'custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/'
           '2006/docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" '
           f'pid="2" name="{CUSTOM_PROPERTY}"><vt:lpwstr>{escape(value)}</vt:lpwstr>'
           '</property></Properties>')
    package = doc.part.package
    part = Part(PackURI("/docProps/custom.xml"), CONTENT_TYPE.OFC_CUSTOM_PROPERTIES,
                xml.encode("utf-8"), package)
    package.relate_to(part, RELATIONSHIP_TYPE.CUSTOM_PROPERTIES)


def _save(doc, target: Path, created: dt.datetime) -> None:
    """Save with fixed zip timestamps so the same input gives the same bytes."""
    package = doc.part.package
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype == RELATIONSHIP_TYPE.THUMBNAIL:
            del package.rels[rel_id]  # python-docx's template thumbnail shows an empty page
    buffer = io.BytesIO()
    doc.save(buffer)
    buffer.seek(0)
    # Every entry dated as the document: the same input gives the same bytes.
    stamp = max(created, dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc)).timetuple()[:6]
    _rezip(buffer, target, lambda name, data: data, stamp)


def _rezip(source, target, change, stamp) -> None:
    """Copy a zip entry by entry, in order, with fixed dates, through `change`."""
    with zipfile.ZipFile(source) as zin:
        entries = [(info.filename, change(info.filename, zin.read(info.filename)))
                   for info in zin.infolist()]
    with zipfile.ZipFile(target, "w") as out:
        for name, data in entries:
            entry = zipfile.ZipInfo(name, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            out.writestr(entry, data)


#: a page number the PDF has not given yet (see fill_page_numbers)
_PENDING = re.compile("\u2060pg:([^\u2060<]*)\u2060")


class PendingPageNumbers(dict):
    """Page numbers still to come: each lookup leaves a placeholder in the DOCX,
    so the DOCX can be written while the PDF is being laid out."""

    def get(self, anchor, default=None):
        return f"\u2060pg:{anchor}\u2060"

    def __bool__(self) -> bool:  # "no numbers yet" is not "no numbers"
        return True


def fill_page_numbers(target: Path, numbers: dict) -> None:
    """Replace the placeholders left by PendingPageNumbers with the PDF's page numbers."""
    with zipfile.ZipFile(target) as zin:
        stamp = zin.infolist()[0].date_time
    temp = target.with_name(target.name + ".fill")
    _rezip(target, temp, lambda name, data: _PENDING.sub(
        lambda m: str(numbers.get(m.group(1), "")), data.decode("utf-8")).encode("utf-8")
        if name == "word/document.xml" else data, stamp)
    os.replace(temp, target)
