"""A Word file that behaves like Word's own: style gallery, style list, app.xml.

python-docx starts from a template that carries 195 styles (100 of them legacy
table styles), 137 latent-style exceptions that put Word's own quick styles in
the gallery, a second copy of every style for Word 2010 (stylesWithEffects) and
an app.xml that says "Microsoft Macintosh Word", 1 page, 0 words. Once the
content is written, this module leaves:

- in the Quick Style gallery (w:qFormat), the styles this document uses, in
  the order they first appear (w:uiPriority), and Normal;
- the styles briefgen defines but this document does not use (pack-only styles
  in an issue, say) defined, but hidden until used (w:semiHidden,
  w:unhideWhenUsed), so an editor can still apply them by name;
- of the template's other styles, only those the document uses or that a kept
  style is based on or linked to;
- no latent-style exceptions: Word's built-in styles stay out of the gallery
  until an editor uses one;
- docProps/app.xml naming briefgen, with the document's page, word and
  character counts.
"""
from __future__ import annotations

import math
import re

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree

from ... import __version__
from .names import STYLE_BODY, STYLE_BODY_LAST

#: style ids that are machinery, not an editor's choice: never in the gallery
_NOT_IN_GALLERY = re.compile(r"^(TOC\d|Header|Footer|Hyperlink|FollowedHyperlink|RunningTitle|"
                             r"DefaultParagraphFont|NoList|.*Char)$")
_STYLE_REFS = (qn("w:pStyle"), qn("w:rStyle"), qn("w:tblStyle"))
def snapshot(doc) -> dict[str, bytes]:
    """Each style's XML before briefgen defines its styles: what it then changes
    or adds is briefgen's (see tidy_styles)."""
    return {style.get(qn("w:styleId")): etree.tostring(style)
            for style in doc.styles.element.iterchildren(qn("w:style"))}


def add_derived_styles(doc) -> None:
    """Styles derived from the layout's, whose only difference is a keep.

    Word has no "keep with previous": the last paragraph of a piece's text is in
    "Body Text Last", Body Text kept with the next paragraph (the attribution), so
    that a page never starts with a lone credit line. A style, not a direct
    property, so an editor who moves paragraphs moves the behaviour with them."""
    from docx.enum.style import WD_STYLE_TYPE

    styles = doc.styles
    try:
        last = styles[STYLE_BODY_LAST]
    except KeyError:
        from docx.styles.style import StyleFactory

        last = StyleFactory(styles.element.add_style_of_type(STYLE_BODY_LAST,
                                                             WD_STYLE_TYPE.PARAGRAPH, False))
    last.base_style = styles[STYLE_BODY]
    last.paragraph_format.keep_with_next = True


def _parts(doc):
    """The document, header and footer parts' XML: where paragraphs use styles."""
    yield doc.part.element
    for rel in doc.part.rels.values():
        if not rel.is_external and rel.reltype.endswith(("/header", "/footer")):
            yield rel.target_part.element


def tidy_styles(doc, before: dict[str, bytes]) -> None:
    styles_el = doc.styles.element
    styles = {s.get(qn("w:styleId")): s for s in styles_el.iterchildren(qn("w:style"))}
    used: list[str] = []  # in order of first use
    for part in _parts(doc):
        for ref in part.iter(*_STYLE_REFS):
            used.append(ref.get(qn("w:val")))
    used = list(dict.fromkeys(u for u in used if u in styles))
    numbering = doc.part.numbering_part.element
    referenced = {ref.get(qn("w:val")) for ref in numbering.iter(qn("w:pStyle"),
                                                                 qn("w:styleLink"),
                                                                 qn("w:numStyleLink"))}
    ours = {sid for sid, style in styles.items() if before.get(sid) != etree.tostring(style)}
    defaults = {sid for sid, style in styles.items() if style.get(qn("w:default")) in ("1", "true")}
    keep = set(used) | ours | defaults | (referenced & styles.keys())
    todo = list(keep)
    while todo:  # what kept styles are based on or linked to
        style = styles[todo.pop()]
        for tag in ("w:basedOn", "w:link"):
            node = style.find(qn(tag))
            target = node.get(qn("w:val")) if node is not None else None
            if target in styles and target not in keep:
                keep.add(target)
                todo.append(target)
    for sid, style in styles.items():
        if sid not in keep:
            styles_el.remove(style)
            continue
        for tag in ("w:next", "w:link"):
            node = style.find(qn(tag))
            if node is not None and node.get(qn("w:val")) not in keep:
                style.remove(node)
    gallery = ["Normal"] + [sid for sid in used if styles[sid].get(qn("w:type"))
                            in ("paragraph", "character") and not _NOT_IN_GALLERY.match(sid)]
    gallery = list(dict.fromkeys(gallery))
    for sid in keep:
        style = styles[sid]
        if sid in gallery:
            _set(style, "w:uiPriority", str(gallery.index(sid)))
            _flag(style, "w:qFormat", True)
            _flag(style, "w:semiHidden", False)
            _flag(style, "w:unhideWhenUsed", False)
        else:
            _flag(style, "w:qFormat", False)
            if sid in ours and sid not in used and sid not in defaults:
                _flag(style, "w:semiHidden", True)
                _flag(style, "w:unhideWhenUsed", True)
    latent = styles_el.find(qn("w:latentStyles"))
    if latent is not None:
        for exception in list(latent):
            latent.remove(exception)
        latent.set(qn("w:defSemiHidden"), "1")
        latent.set(qn("w:defUnhideWhenUsed"), "1")
        latent.set(qn("w:defQFormat"), "0")
    # Word 2010's second copy of the styles: it would show the template's look.
    for rel_id, rel in list(doc.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            del doc.part.rels[rel_id]


# The order of a style's children (CT_Style) that _set and _flag insert into.
_STYLE_ORDER = ("w:name", "w:aliases", "w:basedOn", "w:next", "w:link", "w:autoRedefine",
                "w:hidden", "w:uiPriority", "w:semiHidden", "w:unhideWhenUsed", "w:qFormat",
                "w:locked", "w:personal", "w:personalCompose", "w:personalReply", "w:rsid",
                "w:pPr", "w:rPr", "w:tblPr", "w:trPr", "w:tcPr", "w:tblStylePr")


def _insert(style, tag: str):
    node = style.find(qn(tag))
    if node is not None:
        return node
    node = OxmlElement(tag)
    later = {qn(t) for t in _STYLE_ORDER[_STYLE_ORDER.index(tag) + 1:]}
    for child in style:
        if child.tag in later:
            child.addprevious(node)
            return node
    style.append(node)
    return node


def _set(style, tag: str, value: str) -> None:
    _insert(style, tag).set(qn("w:val"), value)


def _flag(style, tag: str, on: bool) -> None:
    node = style.find(qn(tag))
    if on and node is None:
        _insert(style, tag)
    elif not on and node is not None:
        style.remove(node)


# ---------------------------------------------------------------- docProps/app.xml

def text_counts(doc) -> dict[str, int]:
    """Words, characters (without and with spaces), paragraphs and lines of the
    body, as Word counts them (headers and footers are not counted)."""
    words = characters = with_spaces = paragraphs = 0
    for paragraph in doc.part.element.body.iter(qn("w:p")):
        text = "".join(t.text or "" for t in paragraph.iter(qn("w:t")))
        if not text.strip():
            continue
        paragraphs += 1
        words += len(text.split())
        with_spaces += len(text)
        characters += sum(1 for c in text if not c.isspace())
    return {"Words": words, "Characters": characters, "CharactersWithSpaces": with_spaces,
            "Paragraphs": paragraphs}


def estimate_pages(doc, counts: dict[str, int], body_size: float, cover_page: bool) -> int:
    """Pages the text needs at the body size on the section's type area, plus the
    cover and the pages that start fresh (chapters, annexes, back page)."""
    section = doc.sections[-1]
    width = (section.page_width - section.left_margin - section.right_margin) / 12700
    height = (section.page_height - section.top_margin - section.bottom_margin) / 12700
    per_line = max(1.0, width / (body_size * 0.5))
    per_page = per_line * max(1.0, height / (body_size * 1.45 + 6 * 0.4))
    breaks = sum(1 for _ in doc.part.element.body.iter(qn("w:pageBreakBefore")))
    return int(cover_page) + max(1, math.ceil(counts["CharactersWithSpaces"] / per_page)) + \
        breaks // 2


def app_properties(doc, pages: int, counts: dict[str, int]) -> None:
    """docProps/app.xml: briefgen as the application, with the document's counts."""
    major, minor = (__version__.split(".") + ["0"])[:2]
    values = dict(counts, Pages=pages, Lines=counts["Paragraphs"],
                  Application="briefgen", AppVersion=f"{int(major):02d}.{int(minor):04d}")
    order = ("Template", "TotalTime", "Pages", "Words", "Characters", "Application",
             "DocSecurity", "Lines", "Paragraphs", "ScaleCrop", "Company", "LinksUpToDate",
             "CharactersWithSpaces", "SharedDoc", "HyperlinksChanged", "AppVersion")
    fixed = {"TotalTime": 0, "DocSecurity": 0, "ScaleCrop": "false",
             "LinksUpToDate": "false", "SharedDoc": "false", "HyperlinksChanged": "false"}
    values = {**fixed, **values}
    body = "".join(f"<{name}>{values[name]}</{name}>" for name in order if name in values)
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
           'extended-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/'
           f'2006/docPropsVTypes">{body}</Properties>').encode("utf-8")
    for part in doc.part.package.iter_parts():
        if str(part.partname) == "/docProps/app.xml":
            part._blob = xml
            return
