"""Low-level WordprocessingML: fields, bookmarks, links, borders, shading, fonts.

Helpers that build or change XML elements directly, below python-docx's API
(as python-docx's own `oxml` layer sits below its document objects).
"""
from __future__ import annotations

import hashlib

from docx.enum.text import WD_TAB_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from ...model import text_direction


def fld_char(kind: str, bare: bool = False, dirty: bool = False):
    """A run holding a field character; `bare` returns the w:fldChar alone.

    A `dirty` field is one whose cached result is not known: Word recomputes it
    on open. Fields with a known result are not marked, so Word opens the file
    without asking to update fields."""
    node = OxmlElement("w:fldChar")
    node.set(qn("w:fldCharType"), kind)
    if kind == "begin" and dirty:
        node.set(qn("w:dirty"), "true")
    if bare:
        return node
    run = OxmlElement("w:r")
    run.append(node)
    return run


def instr(text: str):
    run = OxmlElement("w:r")
    node = OxmlElement("w:instrText")
    node.set(qn("xml:space"), "preserve")
    node.text = text
    run.append(node)
    return run


def field_into(parent, instruction: str, cached: str, dirty: bool = False) -> None:
    """A field; `dirty` (or no cached result) has Word recompute it on open."""
    parent.append(fld_char("begin", dirty=dirty or not cached))
    parent.append(instr(f" {instruction} "))
    parent.append(fld_char("separate"))
    link_run(parent, cached)
    parent.append(fld_char("end"))


def add_field(paragraph, instruction: str, cached: str) -> None:
    """A Word field (PAGE, NUMPAGES …) with a cached result, at the paragraph's end."""
    field_into(paragraph._p, instruction, cached)


def internal_link(paragraph, bookmark: str):
    link = OxmlElement("w:hyperlink")
    link.set(qn("w:anchor"), bookmark)
    link.set(qn("w:history"), "1")
    paragraph._p.append(link)
    return link


def link_run(link, text: str) -> None:
    run = OxmlElement("w:r")
    if text == "\t":
        run.append(OxmlElement("w:tab"))
    else:
        node = OxmlElement("w:t")
        node.set(qn("xml:space"), "preserve")
        node.text = text
        run.append(node)
    link.append(run)


def bookmark_name(anchor: str) -> str:
    # "_Toc" bookmarks are hidden in Word's bookmark list, as Word's own TOCs do.
    # Word allows 40 characters: longer anchors (long slugs) get a stable hash.
    name = "_Toc_" + anchor.replace("-", "_")
    if len(name) > 40 or not name.isascii():
        name = "_Toc_" + hashlib.sha1(anchor.encode()).hexdigest()[:20]
    return name


def add_bookmark(paragraph, name: str, number: int) -> None:
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


def add_hyperlink(paragraph, url: str, text: str) -> None:
    rel = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rel)
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    rstyle = OxmlElement("w:rStyle")
    rstyle.set(qn("w:val"), "Hyperlink")  # the style id define_styles gives CHAR_LINK
    rpr.append(rstyle)
    run.append(rpr)
    node = OxmlElement("w:t")
    node.set(qn("xml:space"), "preserve")
    node.text = text
    run.append(node)
    link.append(run)
    paragraph._p.append(link)


def style_rpr(style):
    return style.element.get_or_add_rPr()


def set_fonts(style, family: str, cs_family: str) -> None:
    fonts = style_rpr(style).get_or_add_rFonts()
    # Word's template styles name theme fonts (asciiTheme="majorHAnsi" …), which
    # win over explicit names in Word: drop them so the layout's fonts apply.
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
        fonts.set(qn(attr), family)
    fonts.set(qn("w:cs"), cs_family)
    # Letter-spacing from Word's Title/Subtitle would break joined scripts (Arabic).
    spacing = style_rpr(style).find(qn("w:spacing"))
    if spacing is not None:
        style_rpr(style).remove(spacing)


def set_cs_size(style, size: float) -> None:
    rpr = style_rpr(style)
    szcs = rpr.find(qn("w:szCs"))
    if szcs is None:
        szcs = OxmlElement("w:szCs")
        sz = rpr.find(qn("w:sz"))
        (sz.addnext if sz is not None else rpr.append)(szcs)
    szcs.set(qn("w:val"), str(int(round(size * 2))))


def set_language(style, lang: str) -> None:
    rpr = style_rpr(style)
    node = rpr.find(qn("w:lang"))
    if node is None:
        node = OxmlElement("w:lang")
        rpr.append(node)
    node.set(qn("w:val"), lang)
    node.set(qn("w:bidi"), lang if text_direction(lang) == "rtl" else "ar-SA")


def ppr_flag(style, tag: str) -> None:
    ppr = style.element.get_or_add_pPr()
    if ppr.find(qn(tag)) is None:
        ppr.append(OxmlElement(tag))


def shade(style, colour: str) -> None:
    ppr = style.element.get_or_add_pPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), colour[1:].upper())
    ppr.append(shd)


def border(style, side: str, colour: str, eighths: int, space: int = 4) -> None:
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


def clear_borders(style) -> None:
    ppr = style.element.get_or_add_pPr()
    for node in ppr.findall(qn("w:pBdr")):
        ppr.remove(node)


def right_tab(paragraph, position) -> None:
    # Tab stops are paragraph properties of the shared Header/Footer styles in
    # Word's own templates; set on the style so the paragraphs stay clean.
    tabs = paragraph.style.paragraph_format.tab_stops
    tabs.clear_all()
    tabs.add_tab_stop(position, WD_TAB_ALIGNMENT.RIGHT)
