"""The DOCX's Word styles, from the layout's fonts, colours and design tokens.

`define_styles(doc, layout, document)` is the single entry point: it defines
every paragraph and character style the writer uses, and the document-wide
typographic settings (hyphenation, language).

The styles are a table (`style_specs`): each row names a style, its base, and
its look as references to the layout's tokens (`[style]` in layout.toml: sizes,
leading, spacing, rules), font roles and colour names, the same numbers the
PDF's CSS reads as custom properties. Plain numbers in a row are DOCX-only
spacing in points (around the cover band, for instance), which the PDF lays out
with boxes Word does not have.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from ...layouts import PAGE_SIZES, STYLE_TOKENS, Layout
from ...model import Issue
from .names import (CHAR_CODE, CHAR_LINK, CHAR_LINK_NUMBER, CHAR_MARKED, CHAR_ORGANISATION,
                    CHAR_COVER_NOTE, CHAR_PUBLISHER, CHAR_ROLE, CHAR_STRONG_EMPHASIS,
                    STYLE_AGENDA_CLOSED,
                    STYLE_AGENDA_PAGE, STYLE_AGENDA_PAGE_HEAD, TABLE_AGENDA,
                    STYLE_AGENDA_DAY, STYLE_AGENDA_HEAD, STYLE_AGENDA_ITEM, STYLE_AGENDA_SESSION,
                    STYLE_AGENDA_SPEAKERS, STYLE_AGENDA_TIME, STYLE_ATTRIBUTION, STYLE_BIO,
                    STYLE_BIO_AFFILIATION, STYLE_BIO_NAME, STYLE_BIO_PAGES, STYLE_CHAPTER_KICKER,
                    STYLE_CHAPTER_STANDFIRST, STYLE_BIO_PHOTO, STYLE_BACK_HEADING, STYLE_BODY,
                    STYLE_BODY_CONTINUED, STYLE_COLOPHON, STYLE_COLOPHON_FIELDS,
                    STYLE_COVER_CONTRIBUTOR, STYLE_COVER_IMAGE, STYLE_COVER_LABEL, STYLE_CTA,
                    STYLE_CTA_LINK, STYLE_DIVIDER_HEADLINE, STYLE_DIVIDER_LABEL,
                    STYLE_DIVIDER_LINE, STYLE_DIVIDER_NAMES, STYLE_DIVIDER_NUMBER,
                    STYLE_DIVIDER_TITLE, STYLE_EXPERTS_INTRO, STYLE_ISSUE_LINE, STYLE_LEDE,
                    STYLE_LINK_NOTE, STYLE_LINK_NOTES_HEADING, STYLE_PREPARED_FOR, STYLE_PUBLISHER,
                    STYLE_PULL_QUOTE, STYLE_RUNNING_TITLE, STYLE_SERIES, STYLE_STANDFIRST)
from .oxml import border, clear_borders, ppr_flag, set_cs_size, set_fonts, set_language, shade

#: a length: a token name, a sum of token names ("a+b", "-a" for minus a), or a number
#: of points
Length = str | float | None
_ALIGN = {"start": WD_ALIGN_PARAGRAPH.LEFT, "end": WD_ALIGN_PARAGRAPH.RIGHT,
          "justify": WD_ALIGN_PARAGRAPH.JUSTIFY, "center": WD_ALIGN_PARAGRAPH.CENTER}
_SIDES = ("top", "left", "bottom", "right")


@dataclass(frozen=True)
class Edge:
    """A paragraph border: side ("left" is the start side in a bidi paragraph), colour
    name, width (a rule token or points) and space to the text (a token or points)."""
    side: str
    colour: str
    width: Length
    space: Length = 4


@dataclass(frozen=True)
class Spec:
    """One Word style: every look field left None is inherited from `base`."""
    name: str
    base: str | None = "Normal"
    character: bool = False
    font: str | None = None          # font role: body, heading, display
    size: str | None = None          # size token
    leading: str | None = None       # leading token (default: leading_body, when sized)
    bold: bool | None = None
    italic: bool | None = None
    caps: bool | None = None
    superscript: bool | None = None
    colour: str | None = None        # colour name in [colours]
    align: str | None = None         # start, end, justify
    before: Length = None
    after: Length = None
    indent: Length = None            # start indent
    end_indent: Length = None        # end indent
    keep_next: bool | None = None
    keep_together: bool | None = None
    edges: tuple[Edge, ...] = ()
    shade: str | None = None         # colour name
    clear_edges: bool = False


#: styles whose text the PDF never hyphenates (hyphens: manual: headings, cover lines,
#: pull quotes, attributions, affiliations, contents, dividers, link notes): Word's
#: automatic hyphenation is for the document, so these suppress it
NOT_HYPHENATED = frozenset({
    "Title", "Heading 1", "Heading 2", "Heading 3", STYLE_STANDFIRST, STYLE_PUBLISHER,
    STYLE_SERIES, STYLE_ISSUE_LINE, STYLE_COVER_LABEL, STYLE_COVER_CONTRIBUTOR,
    STYLE_PULL_QUOTE, STYLE_ATTRIBUTION, STYLE_BIO_NAME, STYLE_BIO_AFFILIATION,
    STYLE_CHAPTER_KICKER, STYLE_CHAPTER_STANDFIRST, STYLE_PREPARED_FOR, STYLE_CTA_LINK,
    STYLE_LINK_NOTE, STYLE_LINK_NOTES_HEADING, *STYLE_COLOPHON_FIELDS.values(),
    STYLE_DIVIDER_NUMBER, STYLE_DIVIDER_LINE, STYLE_DIVIDER_LABEL, STYLE_DIVIDER_HEADLINE,
    STYLE_DIVIDER_NAMES, "Header", "Footer"})
#: what follows w:suppressAutoHyphens in a w:pPr (CT_PPr's order)
_AFTER_HYPHENS = ("w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
                  "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
                  "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
                  "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
                  "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId",
                  "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


#: a millimetre in points (a Spec's lengths are points)
mm = 72 / 25.4


def style_specs(layout: Layout) -> tuple[Spec, ...]:
    """The table of the layout's Word styles, in the order they are defined."""
    cover_page = layout.docx_options["cover"] == "page"
    # Each bio is a table row that does not split (writer._bios): no keeps, which
    # in a cell would tie a row to the next one.
    cards = layout.docx_options.get("bios") == "cards"  # speakers centred under the photo
    bio_align = "center" if cards else "start"
    # The cover band: shaded paragraphs whose borders, in the band's colour, pad
    # the box; Word joins identical borders of consecutive paragraphs into one band.
    band = tuple(Edge(side, "accent", 0.5, 14 if side in ("top", "bottom") else 8)
                 for side in _SIDES) if cover_page else ()
    on_band = "on_accent" if cover_page else "text"
    # The cover's DOCX-only gaps, for a Letter-high type area (233 mm); a smaller
    # page (A5) gets them in proportion, leaving its cover image more room.
    top, _, bottom, _ = layout.margins_mm
    fit = min(1.0, (PAGE_SIZES[layout.page_sizes[0]][1] - top - bottom) / 233)
    # the back page's panel: its sides padded by pad_back, in the panel's own colour
    back_sides = tuple(Edge(side, "accent_light", 0.5, "pad_back") for side in ("left", "right"))
    back_panel = (Edge("top", "accent_light", 0.5, 0), *back_sides,
                  Edge("bottom", "accent_light", 0.5, 0))
    # The grid: the body section's start margin is wider by the side column
    # (writer._side_column); what hangs into it in the PDF (headings, chapter
    # kickers, the back page, the running heads, a title block on page 1) is
    # indented back by as much.
    hang = "-side_column" if layout.style.get("side_column") else None
    block_hang = None if cover_page else hang
    # Word and LibreOffice draw a border its space outside the text: the panel's text
    # is indented by that padding, so that the panel's edges are the PDF's
    back_in = ("-side_column+pad_back" if hang else "pad_back")
    # A title block on page 1 (memo): as tight as the PDF's .memo-head, closed by
    # its rule, which the run-in contributors' paragraph draws below itself.
    block = {"inner": "space_block_inner", "issue_line": "space_block_issue_line",
             "after": "space_block", "rule": (Edge("bottom", "accent", "rule_block", "pad_block"),)}
    return (
        Spec("Normal", None, font="body", size="size_body", colour="text",
             after="space_paragraph"),
        Spec(STYLE_BODY, align="justify", after="space_paragraph", leading="leading_body"),
        Spec(STYLE_LEDE, STYLE_BODY, size="size_lede", leading="leading_lede"),
        Spec(STYLE_BODY_CONTINUED, STYLE_BODY),
        Spec("Title", font="display", size="size_title", leading="leading_title", bold=True,
             colour="text", align="start", before=24 * fit if cover_page else 0,
             after=18 * fit if cover_page else block["inner"], clear_edges=True,
             indent=block_hang),
        Spec(STYLE_STANDFIRST, font="body", size="size_standfirst",
             leading="leading_standfirst", italic=True, colour="muted", align="start",
             after=24 * fit if cover_page else block["inner"], indent=block_hang),
        Spec(STYLE_PUBLISHER, font="heading", size="size_publisher", bold=False,
             colour=on_band, align="start", before=0, after=0, caps=True, edges=band,
             shade="accent" if cover_page else None, indent=block_hang),
        Spec(STYLE_SERIES, font="heading", size="size_series", leading="leading_series",
             bold=True, colour=on_band, align="start", before=0, after=0,
             caps=not cover_page, edges=band, shade="accent" if cover_page else None,
             indent=block_hang),
        Spec(STYLE_ISSUE_LINE, font="heading", size="size_issue_line", colour="muted",
             align="start", before=36 * fit if cover_page else 0,
             after=6 if cover_page else block["issue_line"],
             edges=(Edge("bottom", "accent", "rule_cover"),) if cover_page else (),
             indent=block_hang),
        # (a cover page's label under the PDF's rule, its before set by the writer
        # from the PDF's cover: see writer._cover_list_down)
        Spec(STYLE_COVER_LABEL, font="heading", size="size_label", bold=True, colour="accent",
             align="start", before=48 * fit if cover_page else 6, after=4, keep_next=True,
             caps=True, indent=block_hang,
             edges=(Edge("top", "rule", 0.75, 4 * mm),) if cover_page else ()),
        Spec(STYLE_COVER_CONTRIBUTOR, font="heading", size="size_cover_contributor",
             leading="leading_cover_contributor", colour="text", align="start",
             after=2 if cover_page else block["after"], indent=block_hang,
             edges=() if cover_page else block["rule"]),
        Spec("Heading 1", font="display", size="size_heading1", leading="leading_heading",
             bold=True, italic=False, colour="accent", align="start", before="space_section",
             after="space_heading1", keep_next=True, keep_together=True,
             edges=(Edge("bottom", "accent", "rule_heading1", "pad_heading1"),), indent=hang),
        Spec("Heading 2", font="display", size="size_heading2", leading="leading_heading",
             bold=True, italic=False, colour="accent", align="start", before="space_piece",
             after="space_heading2", keep_next=True, keep_together=True, indent=hang),
        Spec("Heading 3", font="display", size="size_heading3", leading="leading_heading",
             bold=True, italic=False, colour="accent", align="start", before=10, after=6,
             keep_next=True, keep_together=True),
        Spec(STYLE_EXPERTS_INTRO, italic=True, colour="muted", after=12, keep_next=True),
        # The PDF's quote box: margin and padding above and below, the text indented
        # from a bar on the start side.
        Spec(STYLE_PULL_QUOTE, font="body", size="size_pull_quote",
             leading="leading_pull_quote", bold=False, italic=True, colour="accent",
             align="start",
             before="space_pull_quote_before+pad_pull_quote",
             after="space_pull_quote_after+pad_pull_quote", indent="indent_pull_quote",
             keep_next=True, keep_together=True,
             edges=(Edge("left", "accent", "rule_pull_quote", "indent_pull_quote"),)),
        Spec(STYLE_ATTRIBUTION, font="heading", size="size_attribution", colour="muted",
             align="end", before=2, after=14, keep_together=True),
        Spec(STYLE_BIO_PHOTO, align="center" if cards else None, before=0,
             after=6 if cards else 0, keep_next=False),
        Spec("Bio Initials", STYLE_BIO_PHOTO),
        Spec(STYLE_COVER_IMAGE, align="start", before=12, after=0),
        Spec(STYLE_BIO_NAME, font="display", size="size_bio_name", bold=True, colour="accent",
             align=bio_align, before=0 if cards else 3, after=1.5, keep_next=False),
        Spec(STYLE_BIO_AFFILIATION, font="heading", size="size_bio_affiliation",
             colour="muted", align=bio_align, after=3 if cards else 4, keep_next=False),
        Spec(STYLE_BIO, size="size_bio", align="center" if cards else "justify",
             after="space_paragraph"),
        Spec(STYLE_PREPARED_FOR, font="heading", size="size_prepared_for", colour="text",
             align="start", before=18, after=6, shade="accent_light",
             edges=(Edge("left", "accent", "rule_pull_quote", 8),), indent=block_hang),
        # A pack's chapter opener, as the PDF's: a small line above the title
        # (.chapter-kicker), the title, then a compact standfirst.
        Spec(STYLE_CHAPTER_KICKER, font="heading", size="size_small", colour="muted",
             align="start", before=0, after=1 * mm, keep_next=True, indent=hang),
        Spec(STYLE_CHAPTER_STANDFIRST, font="body", size="size_chapter_standfirst",
             italic=True, colour="muted", align="start", after="space_paragraph"),
        # A pack chapter's divider page, as the PDF's (.chapter-divider): across both
        # columns, the number space_divider below the type area's top, the title a
        # heading over its rule, the series and date, then the pieces and their authors.
        Spec(STYLE_DIVIDER_NUMBER, font="heading", size="size_divider_number", bold=True,
             caps=True, colour="accent", align="start", before="space_divider",
             after="space_divider_number", keep_next=True, indent=hang),
        Spec(STYLE_DIVIDER_TITLE, "Heading 1", font="display", size="size_divider_title",
             leading="leading_title", colour="text", before=0, after="space_divider_title",
             edges=(Edge("bottom", "accent", "rule_divider", "pad_heading1"),), indent=hang),
        Spec(STYLE_DIVIDER_LINE, font="heading", size="size_issue_line", colour="muted",
             align="start", before=0, after="space_divider_line", keep_next=True, indent=hang),
        Spec(STYLE_DIVIDER_LABEL, font="heading", size="size_label", bold=True, caps=True,
             colour="accent", align="start", before=0, after="space_divider_label",
             keep_next=True, indent=hang),
        Spec(STYLE_DIVIDER_HEADLINE, font="heading", size="size_contents", bold=True,
             colour="text", align="start", before=0, after=0, keep_next=True, indent=hang),
        Spec(STYLE_DIVIDER_NAMES, font="heading", size="size_small", colour="muted",
             align="start", before=0, after="space_divider_item", indent=hang),
        # the pages a contributor appears on, closing the bio as the PDF's .bio-pages
        Spec(STYLE_BIO_PAGES, font="heading", size="size_label", colour="muted",
             align="start", after=0),
        # The agenda's rows kept together, and with the heading above them, as the
        # PDF keeps its table on one page where it fits (break-inside: avoid).
        # Their space above and below is the PDF's cell padding (2 mm; the header
        # row's 0 and 1.5 mm), the table style's cells having none there.
        Spec(STYLE_AGENDA_HEAD, font="heading", size="size_label", bold=True, colour="muted",
             align="start", before=0, after=1.5 * mm, caps=True, keep_next=True),
        Spec(STYLE_AGENDA_TIME, font="heading", size="size_agenda", bold=True,
             colour="accent", align="start", before=2 * mm, after=2 * mm, keep_next=True),
        Spec(STYLE_AGENDA_ITEM, font="heading", size="size_agenda", bold=True, colour="text",
             align="start", before=2 * mm, after=0, keep_next=True),
        Spec(STYLE_AGENDA_SPEAKERS, font="heading", size="size_small", colour="muted",
             align="start", after=2 * mm, keep_next=True),
        # the page of an item's paper, at the column's end (the PDF's .paper)
        Spec(STYLE_AGENDA_PAGE, font="heading", size="size_agenda", colour="accent",
             align="end", before=2 * mm, after=2 * mm, keep_next=True),
        Spec(STYLE_AGENDA_PAGE_HEAD, STYLE_AGENDA_HEAD, align="end"),
        # A day heading as the PDF's (.agenda-day: accent, the space token above it),
        # a session heading as the column heads; a closed session's label muted.
        Spec(STYLE_AGENDA_DAY, font="heading", size="size_agenda", bold=True, colour="accent",
             align="start", before="space_agenda_day", after="pad_agenda", keep_next=True),
        # (their rules: the row's bottom edge, see agenda_row_rule)
        Spec(STYLE_AGENDA_SESSION, font="heading", size="size_label", bold=True,
             colour="muted", align="start", before=2 * mm, after="pad_agenda",
             caps=True, keep_next=True),
        Spec(STYLE_AGENDA_CLOSED, STYLE_AGENDA_ITEM, bold=False, italic=True, colour="muted"),
        # The back page is one tinted panel, as the PDF's .back: the heading under its
        # rule, the call to action, the colophon. Each style is a border group of its
        # own (Word and LibreOffice join paragraphs of the same borders), its padding
        # the edges' space, with no space between the groups to leave a white gap.
        Spec(STYLE_BACK_HEADING, "Heading 1", size="size_back_heading", before=0,
             after=0, clear_edges=True, shade="accent_light",
             edges=(Edge("top", "accent", "rule_back", "pad_back"),
                    *back_sides, Edge("bottom", "accent_light", 0.5, 3 * mm)),
             indent=back_in, end_indent="pad_back"),
        Spec(STYLE_CTA, size="size_cta", align="start", before=0, after=3 * mm,
             shade="accent_light", edges=back_panel, indent=back_in, end_indent="pad_back"),
        Spec(STYLE_CTA_LINK, font="heading", bold=True, colour="accent", align="start",
             before=0, after=0, shade="accent_light", edges=back_panel, indent=back_in,
             end_indent="pad_back"),
        Spec(STYLE_COLOPHON, font="heading", size="size_label", colour="muted",
             align="start", before=4 * mm, after=0, indent=back_in,
             end_indent="pad_back", shade="accent_light",
             edges=(Edge("top", "accent_light", 0.5, 0), *back_sides,
                    Edge("bottom", "accent_light", 0.5, 3 * mm))),
        # The colophon's fields, under a thin rule (one border group: Word and
        # LibreOffice draw the top edge once, above the first of them).
        *(Spec(name, STYLE_COLOPHON, before=0, after=2,
               edges=(Edge("top", "rule", "rule_piece", 2 * mm), *back_sides,
                      Edge("bottom", "accent_light", 0.5, "pad_back*0.8")))
          for name in STYLE_COLOPHON_FIELDS.values()),
        # Links printed as notes (layout links = "notes"): the list after a piece, as
        # the PDF's (.link-notes): small print, muted, the heading kept with the list.
        Spec(STYLE_LINK_NOTE, font="heading", size="size_small", colour="muted",
             align="start", before=0, after=0, keep_together=True),
        Spec(STYLE_LINK_NOTES_HEADING, STYLE_LINK_NOTE, bold=True, keep_next=True),
        Spec("Quote", italic=True, colour="text", indent=5,
             edges=(Edge("left", "rule", "rule_quote", 8),)),
        Spec("Header", font="heading", size="size_running_head", colour="muted", before=0,
             after=0, edges=(Edge("bottom", "rule", "rule_running_head", 4),), indent=hang),
        Spec(STYLE_RUNNING_TITLE, font="heading", size="size_running_head", before=0, after=0),
        Spec("Footer", font="heading", size="size_running_head", colour="muted", before=0,
             after=0, indent=hang),
        Spec("TOC Heading", "Heading 1", after=10),
        Spec("TOC 1", font="heading", size="size_contents", bold=True, colour="text", after=4),
        Spec("TOC 2", font="body", size="size_contents", colour="text", after=3, indent=6),
        Spec(CHAR_MARKED, "Default Paragraph Font", character=True),
        Spec(CHAR_STRONG_EMPHASIS, "Strong", character=True, italic=True),
        Spec(CHAR_CODE, "Default Paragraph Font", character=True, font="body"),
        Spec(CHAR_LINK, "Default Paragraph Font", character=True, colour="accent"),
        Spec(CHAR_ROLE, "Default Paragraph Font", character=True),
        Spec(CHAR_ORGANISATION, "Default Paragraph Font", character=True),
        Spec(CHAR_PUBLISHER, "Default Paragraph Font", character=True),
        Spec(CHAR_COVER_NOTE, "Default Paragraph Font", character=True, colour="muted"),
        Spec(CHAR_LINK_NUMBER, "Default Paragraph Font", character=True, font="heading",
             superscript=True, colour="muted"),
    )


def points(layout: Layout, length: Length, font_size: float) -> float:
    """A length of the table in points: tokens in mm, pt or em (of `font_size`), each
    optionally times a factor ("pad_back*0.8"), summed."""
    if length is None or isinstance(length, (int, float)):
        return length
    total = 0.0
    for token in length.split("+"):
        sign = -1 if token.startswith("-") else 1
        token, _, factor = token.lstrip("-").partition("*")
        value, unit = layout.style[token], STYLE_TOKENS[token][0]
        value *= float(factor) if factor else 1.0
        total += sign * {"mm": value * 72 / 25.4, "pt": value, "em": value * font_size}[unit]
    return total


def photo_size(layout: Layout):
    """The width (and height) of a contributor's photo, as the PDF's."""
    return Mm(layout.style["photo"])


def cover_image_height(layout: Layout):
    """The highest a cover image may be, as the PDF's."""
    return Mm(layout.style["cover_image"])


def agenda_widths(layout: Layout, text_width) -> tuple:
    """Agenda columns (time, item, page), the PDF's widths plus its 2 mm cell padding."""
    time, page = Mm(layout.style["agenda_time"] + 4), Mm(layout.style["agenda_page"] + 4)
    return time, text_width - time - page, page


def agenda_table_style(doc, layout: Layout) -> None:
    """The agenda's table style, as the PDF's table: no box and no column lines, a
    rule in the rule colour under each row (0.5 pt), and under the header row one
    of 1 pt in the accent colour; the cells padded as the PDF's. The table's edges
    are the text's (the writer indents it by the cell margin: TABLE_INDENT)."""
    styles = doc.styles.element
    style = OxmlElement("w:style")
    style.set(qn("w:type"), "table")
    style.set(qn("w:customStyle"), "1")
    style.set(qn("w:styleId"), TABLE_AGENDA.replace(" ", ""))
    for tag, value in (("w:name", TABLE_AGENDA), ("w:basedOn", "TableNormal"),
                       ("w:uiPriority", "59")):
        child = OxmlElement(tag)
        child.set(qn("w:val"), value)
        style.append(child)
    style.append(OxmlElement("w:qFormat"))
    tbl_pr = OxmlElement("w:tblPr")
    borders = OxmlElement("w:tblBorders")
    rule = layout.colours["rule"]
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        ruled = side in ("bottom", "insideH")
        borders.append(_edge(side, rule if ruled else None, 0.5))
    tbl_pr.append(borders)
    margins = OxmlElement("w:tblCellMar")
    # the PDF's cells have 2 mm of padding: at the sides here, above and below in the
    # Agenda paragraph styles' spacing (a header, day or session row has its own)
    for side, width in (("left", Mm(2)), ("right", Mm(2))):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(width.twips))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    tbl_pr.append(margins)
    style.append(tbl_pr)
    header = OxmlElement("w:tblStylePr")
    header.set(qn("w:type"), "firstRow")
    tc_pr = OxmlElement("w:tcPr")
    edges = OxmlElement("w:tcBorders")
    edges.append(_edge("bottom", layout.colours["accent"], 1.0))
    tc_pr.append(edges)
    header.append(tc_pr)
    style.append(header)
    styles.append(style)


#: how far the agenda table is indented so that its rules begin at the text's edge,
#: as the PDF's (LibreOffice, as Word, sets the first cell's text at the indent)
TABLE_INDENT = Mm(2)


def agenda_row_rule(cell, layout: Layout, kind: str) -> None:
    """A day's or session's row in the agenda: the rule under it is the PDF's (a
    day: rule_agenda_day in the accent colour; a session: rule_piece in the rule
    colour). A table style has no kind of row for them, so the rule is the cell's."""
    colour, width = ((layout.colours["accent"], layout.style["rule_agenda_day"])
                     if kind == "day" else (layout.colours["rule"], layout.style["rule_piece"]))
    edges = OxmlElement("w:tcBorders")
    edges.append(_edge("bottom", colour if width else None, width))
    # after w:tcW, w:gridSpan, w:vMerge (CT_TcPr's order)
    cell._tc.get_or_add_tcPr().insert_element_before(
        edges, "w:shd", "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign",
        "w:hideMark", "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange")


def _edge(side: str, colour: str | None, points_wide: float):
    """A table or cell border edge: a single line `points_wide` thick, or none."""
    edge = OxmlElement(f"w:{side}")
    if colour is None:
        edge.set(qn("w:val"), "nil")
        return edge
    edge.set(qn("w:val"), "single")
    edge.set(qn("w:sz"), str(max(2, round(points_wide * 8))))
    edge.set(qn("w:space"), "0")
    edge.set(qn("w:color"), colour[1:].upper())
    return edge


def chapter_title(paragraph, layout: Layout) -> None:
    """A chapter's title, a Heading 1 (the running head's STYLEREF finds it) in the
    PDF's larger size (.chapter > .chapter-title) with its 2 pt rule, straight under
    the kicker."""
    size = layout.style["size_chapter_title"]
    # Borders first: python-docx then puts the spacing in its schema place after them.
    border(SimpleNamespace(element=paragraph._p), "bottom", layout.colours["accent"], 16,
           space=min(31, round(points(layout, "pad_heading1", size))))
    pf = paragraph.paragraph_format
    pf.space_before = Pt(0)
    pf.line_spacing_rule = WD_LINE_SPACING.AT_LEAST
    pf.line_spacing = Pt(round(size * layout.style["leading_heading"], 1))
    for run in paragraph.runs:
        run.font.size = Pt(size)
        set_cs_size(SimpleNamespace(element=run._r),
                    round(size * layout.style.get("scale_arabic", 1.0), 1))


def define_styles(doc, layout: Layout, issue: Issue) -> None:
    fonts, colours = layout.fonts, layout.colours
    fonts = {"body": fonts["body"], "heading": fonts["heading"],
             "display": fonts.get("display", fonts["heading"])}
    cs_font = layout.fonts.get("arabic", fonts["body"])
    sizes: dict[str, float] = {}  # style name → its font size in points, for em and leading
    # Start and end are physical sides in LibreOffice's reading of a bidi paragraph's
    # borders and indents: a right-to-left document puts them on the right.
    rtl = issue.dir == "rtl"
    physical = {"left": "right", "right": "left"} if rtl else {}
    arabic = layout.style.get("scale_arabic", 1.0)

    for spec in style_specs(layout):
        s = _style(doc, spec)
        size = layout.style[spec.size] if spec.size else sizes.get(spec.base or "", 0.0)
        sizes[spec.name] = size
        f = s.font
        if spec.font:
            if spec.character:
                f.name = fonts[spec.font]
            else:
                set_fonts(s, fonts[spec.font], cs_font)
        if spec.size:
            f.size = Pt(size)
            # Arabic and other complex scripts: their own size, scaled as the PDF's
            set_cs_size(s, round(size * arabic, 1))
        if spec.bold is not None:
            f.bold = f.cs_bold = spec.bold
        if spec.italic is not None:
            f.italic = spec.italic
            # Arabic and other complex scripts have no italics.
            f.cs_italic = spec.italic if spec.character else False
        if spec.colour:
            f.color.rgb = RGBColor.from_string(colours[spec.colour][1:].upper())
        if spec.caps is not None:
            f.all_caps = spec.caps
        if spec.superscript is not None:
            f.superscript = spec.superscript
        if spec.character:
            continue
        # Borders and shading first: python-docx then puts the paragraph
        # properties it knows in their schema places around them.
        if spec.clear_edges:
            clear_borders(s)
        for edge in spec.edges:
            if not points(layout, edge.width, size):
                continue  # a rule token set to 0: no rule
            eighths = max(2, round(points(layout, edge.width, size) * 8))
            space = min(31, round(points(layout, edge.space, size)))
            border(s, physical.get(edge.side, edge.side), colours[edge.colour], eighths,
                   space=space)
        if spec.shade:
            shade(s, colours[spec.shade])
        pf = s.paragraph_format
        if spec.align:
            pf.alignment = _ALIGN[spec.align]
        if spec.name in NOT_HYPHENATED:
            ppr = s.element.get_or_add_pPr()
            if ppr.find(qn("w:suppressAutoHyphens")) is None:
                ppr.insert_element_before(OxmlElement("w:suppressAutoHyphens"), *_AFTER_HYPHENS)
        for attribute in ("before", "after"):
            length = points(layout, getattr(spec, attribute), size)
            if length is not None:
                setattr(pf, f"space_{attribute}", Pt(round(length, 1)))
        if spec.indent is not None:
            # w:left is the start side: the right in a bidi paragraph, for Word and
            # LibreOffice alike (borders, above, are physical sides)
            pf.left_indent = Pt(round(points(layout, spec.indent, size), 1))
        if spec.end_indent is not None:
            pf.right_indent = Pt(round(points(layout, spec.end_indent, size), 1))
        if spec.size or spec.leading:
            # "At least" the PDF's line height: the same lines per page as the PDF,
            # while a taller script or a picture still gets the room it needs.
            leading = layout.style[spec.leading or "leading_body"]
            # Arabic faces ask for taller lines than Latin ones: "at least" would
            # grow every right-to-left text line past the PDF's. Text styles with an
            # open leading get it exactly there (Normal, under pictures, stays open).
            exact = rtl and spec.name != "Normal" and leading >= 1.3
            pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY if exact else WD_LINE_SPACING.AT_LEAST
            # (a right-to-left document's lines are its Arabic text's)
            pf.line_spacing = Pt(round(size * (arabic if rtl else 1) * leading, 1))
        if spec.keep_next is not None:
            pf.keep_with_next = spec.keep_next
        if spec.keep_together is not None:
            pf.keep_together = spec.keep_together

    doc.styles[STYLE_RUNNING_TITLE].font.hidden = True  # read by STYLEREF only
    # The pictures and the agenda table the writer places, in the PDF's sizes.
    if not layout.docx_options["cover"] == "page":
        # A title block (memo) has no cover image in the PDF: the picture stays in
        # the DOCX (an import reads it back) in a hidden style, taking no room.
        cover_image = doc.styles[STYLE_COVER_IMAGE]
        cover_image.font.hidden = True
        cover_image.paragraph_format.space_before = cover_image.paragraph_format.space_after = 0
    doc.photo_width = photo_size(layout)
    doc.cover_image_height = cover_image_height(layout)
    doc.agenda_widths = lambda text_width: agenda_widths(layout, text_width)
    doc.agenda_row_rule = lambda cell, kind: agenda_row_rule(cell, layout, kind)
    agenda_table_style(doc, layout)

    # Enter at the end of a paragraph's rest after a pull quote starts body text.
    doc.styles[STYLE_BODY_CONTINUED].next_paragraph_style = doc.styles[STYLE_BODY]
    normal = doc.styles["Normal"]
    normal.paragraph_format.widow_control = True
    if issue.dir == "rtl":
        ppr_flag(normal, "w:bidi")
    # Word hyphenates automatically as the PDF does, in the document's language.
    settings = doc.settings.element
    hyphen = settings.find(qn("w:autoHyphenation"))
    if hyphen is None:
        hyphen = OxmlElement("w:autoHyphenation")
        settings.append(hyphen)
    hyphen.set(qn("w:val"), "true")
    set_language(normal, issue.lang)


def _style(doc, spec: Spec):
    styles = doc.styles
    kind = WD_STYLE_TYPE.CHARACTER if spec.character else WD_STYLE_TYPE.PARAGRAPH
    try:
        found = styles[spec.name]
    except KeyError:
        # styles.add_style() scans every style for a clash first; we just
        # looked the name up, so create the element directly.
        from docx.styles.style import StyleFactory

        found = StyleFactory(styles.element.add_style_of_type(spec.name, kind, False))
    if spec.base and found.name != spec.base:
        found.base_style = styles[spec.base]
    if not spec.character:
        found.quick_style = True
    return found
