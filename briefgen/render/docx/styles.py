"""The DOCX's Word styles, from the layout's fonts, colours and sizes.

`define_styles(doc, layout, document)` is the single entry point: it defines
every paragraph and character style the writer uses, and the document-wide
typographic settings (hyphenation, language).
"""
from __future__ import annotations

from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from ...layouts import Layout
from ...model import Issue
from .names import (CHAR_CODE, CHAR_LINK, CHAR_MARKED, CHAR_ORGANISATION, CHAR_ROLE,
                    CHAR_STRONG_EMPHASIS, STYLE_AGENDA_HEAD, STYLE_AGENDA_ITEM,
                    STYLE_AGENDA_SPEAKERS, STYLE_AGENDA_TIME, STYLE_ATTRIBUTION, STYLE_BIO,
                    STYLE_BIO_AFFILIATION, STYLE_BIO_NAME, STYLE_BIO_PAGES, STYLE_BIO_PHOTO,
                    STYLE_BODY, STYLE_COLOPHON, STYLE_COVER_CONTRIBUTOR, STYLE_COVER_IMAGE,
                    STYLE_COVER_LABEL, STYLE_CTA, STYLE_CTA_LINK, STYLE_EXPERTS_INTRO,
                    STYLE_ISSUE_LINE, STYLE_LEDE, STYLE_PREPARED_FOR, STYLE_PUBLISHER,
                    STYLE_PULL_QUOTE, STYLE_SERIES, STYLE_STANDFIRST)
from .oxml import border, clear_borders, ppr_flag, set_cs_size, set_fonts, set_language, shade


def define_styles(doc, layout: Layout, issue: Issue) -> None:
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
            set_fonts(s, font, cs_font)
        if size:
            f.size = Pt(size)
            set_cs_size(s, size)
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
        ppr_flag(normal, "w:bidi")
    look(style(STYLE_BODY), align=justify, after=6)
    look(style(STYLE_LEDE, STYLE_BODY), size=sizes["body"] + 1.5)

    title = look(style("Title"), display_font, sizes["title"], bold=True, colour=text, align=start,
                 before=24 if layout.docx_options["cover"] == "page" else 4, after=18)
    clear_borders(title)
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
            shade(s, accent)
            # Borders in the band's own colour pad the shaded box; Word joins the
            # two paragraphs' identical borders into one band.
            for side in ("top", "left", "bottom", "right"):
                border(s, side, accent, 4, space=14 if side in ("top", "bottom") else 8)
    issue_line_style = look(style(STYLE_ISSUE_LINE), head_font, sizes["body"] - 0.5,
                            colour=muted, align=start, before=36 if cover_page else 2,
                            after=6)
    if cover_page:
        border(issue_line_style, "bottom", accent, 16)
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
            border(h, "bottom", accent, 12)
    look(style(STYLE_EXPERTS_INTRO), italic=True, colour=muted, after=12, keep_next=True)
    pull = look(style(STYLE_PULL_QUOTE), display_font, sizes["pull_quote"], bold=True,
                colour=accent, align=start, before=6, after=10, keep_next=True,
                keep_together=True)
    pull.paragraph_format.left_indent = Mm(6)
    # "left" is the start side in a right-to-left paragraph, as in alignment.
    border(pull, "left", accent, 24, space=10)
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
    shade(prepared, colours["accent_light"])
    border(prepared, "left", accent, 24, space=8)
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
        shade(cta, colours["accent_light"])
        for side in ("top", "left", "bottom", "right"):
            border(cta, side, colours["accent_light"], 4, space=8)
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
    set_language(normal, issue.lang)
