"""A house Word template (`--reference-docx house.dotx`), as Pandoc's --reference-doc.

The styles in the template whose names match the DOCX's styles (Title,
Heading 1, Body Text, Pull Quote …) replace them, unless the template has them
exactly as a blank Word document does (python-docx's blank template, which a
template made from it carries in full), so an organisation's Word
template wins in Word while the PDF keeps the layout. The replaced style keeps
the DOCX's style id (the paragraphs point at it); styles it is based on that
the DOCX lacks come along; the template's theme (the fonts and colours that
Word's built-in styles name as "theme fonts") replaces python-docx's.

The file is checked before anything is rendered (`check_reference`): a zip of a
reasonable size with `word/styles.xml`, parsed with defusedxml (no DTDs or
entities). Anything else is a UsageError: one line, exit 2.
"""
from __future__ import annotations

import functools
import zipfile
from copy import deepcopy
from pathlib import Path

from ...errors import UsageError

MAX_FILE_BYTES = 50_000_000
MAX_PART_BYTES = 20_000_000  # uncompressed styles.xml or theme1.xml
MAX_STYLES = 5_000
STYLES = "word/styles.xml"
THEME = "word/theme/theme1.xml"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_HINT = "give a .docx or .dotx saved by Word or LibreOffice"


def _w(name: str) -> str:
    return f"{{{_W}}}{name}"


def check_reference(path: str | Path) -> dict[str, bytes]:
    """The template's styles.xml (and theme1.xml when present), or a UsageError."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UsageError(f"cannot read the reference DOCX ({exc.strerror or exc})",
                         path=path, hint="check the path given to --reference-docx") from None
    if not path.is_file():
        raise UsageError("the reference DOCX is not a file", path=path, hint=_HINT)
    if size > MAX_FILE_BYTES:
        raise UsageError(f"the reference DOCX is {size // 1_000_000} MB, over the "
                         f"{MAX_FILE_BYTES // 1_000_000} MB limit", path=path,
                         hint="a template needs only its styles: save an empty document")
    parts = {}
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if STYLES not in names:
                raise UsageError(f"the reference DOCX has no {STYLES}", path=path, hint=_HINT)
            for name in (STYLES, THEME):
                if name not in names:
                    continue
                info = archive.getinfo(name)
                if info.file_size > MAX_PART_BYTES:
                    raise UsageError(f"{name} in the reference DOCX is "
                                     f"{info.file_size // 1_000_000} MB, over the "
                                     f"{MAX_PART_BYTES // 1_000_000} MB limit",
                                     path=path, hint=_HINT)
                with archive.open(name) as stream:
                    data = stream.read(MAX_PART_BYTES + 1)
                if len(data) > MAX_PART_BYTES:  # a lying zip header
                    raise UsageError(f"{name} in the reference DOCX is over the "
                                     f"{MAX_PART_BYTES // 1_000_000} MB limit",
                                     path=path, hint=_HINT)
                parts[name] = data
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError,
            ValueError):
        raise UsageError("the reference DOCX is not a Word file (not a zip archive)",
                         path=path, hint=_HINT) from None
    except OSError as exc:
        raise UsageError(f"cannot read the reference DOCX ({exc.strerror or exc})",
                         path=path, hint="check the path given to --reference-docx") from None
    for name, data in parts.items():
        try:
            root = fromstring(data, forbid_dtd=True)
        except DefusedXmlException:
            raise UsageError(f"{name} in the reference DOCX declares a DTD or entities",
                             path=path, hint=_HINT) from None
        except Exception as exc:  # ParseError: the XML is broken
            raise UsageError(f"{name} in the reference DOCX is not well-formed XML ({exc})",
                             path=path, hint=_HINT) from None
        if name == STYLES:
            if root.tag != _w("styles"):
                raise UsageError(f"{name} in the reference DOCX is not a w:styles part",
                                 path=path, hint=_HINT)
            count = sum(1 for _ in root.iter(_w("style")))
            if count > MAX_STYLES:
                raise UsageError(f"the reference DOCX has {count} styles, over the limit "
                                 f"of {MAX_STYLES}", path=path, hint=_HINT)
    return parts


def _parse(data: bytes):
    """lxml, after defusedxml has vetted the bytes: no entities, no network."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_blank_text=False)
    return etree.fromstring(data, parser)


def _key(style) -> tuple[str, str] | None:
    name = style.find(_w("name"))
    if name is None or not name.get(_w("val")):
        return None
    # Word writes built-in names in lower case ("heading 1"); python-docx as shown ("Heading 1").
    return style.get(_w("type"), "paragraph"), name.get(_w("val")).strip().casefold()


def apply_reference(doc, path: str | Path) -> list[str]:
    """Replace the DOCX's styles by the template's of the same name; return their names."""
    parts = check_reference(path)
    reference = _parse(parts[STYLES])
    styles = doc.styles.element
    ours = {}
    for style in styles.findall(_w("style")):
        key = _key(style)
        if key is not None:
            ours.setdefault(key, style)
    theirs = {}
    for style in reference.findall(_w("style")):
        key = _key(style)
        if key is not None:
            theirs.setdefault(key, style)
    their_ids = {style.get(_w("styleId")): key for key, style in theirs.items()}
    our_ids = {style.get(_w("styleId")) for style in ours.values()}
    new_id = {}  # the template's style id → the id it gets in the DOCX

    def id_for(their_id: str):
        """The DOCX's id for the template's style `their_id`, copying it if the DOCX lacks it."""
        if their_id in new_id:
            return new_id[their_id]
        key = their_ids.get(their_id)
        if key is None:
            return None
        if key in ours:
            new_id[their_id] = ours[key].get(_w("styleId"))
            return new_id[their_id]
        # A style the template's style is based on, which the DOCX does not have.
        candidate, n = their_id, 1
        while candidate in our_ids:
            n += 1
            candidate = f"{their_id}{n}"
        our_ids.add(candidate)
        new_id[their_id] = candidate
        copy = deepcopy(theirs[key])
        copy.set(_w("styleId"), candidate)
        _relink(copy, id_for)
        styles.append(copy)
        return candidate

    blank = _blank_styles()
    replaced = []
    for key, style in theirs.items():
        mine = ours.get(key)
        if mine is None or _shape(style) == blank.get(key):
            continue  # not ours, or Word's default look, left as it was in the blank template
        copy = deepcopy(style)
        copy.set(_w("styleId"), mine.get(_w("styleId")))
        for attr in ("default",):  # which style is the default stays the DOCX's choice
            copy.attrib.pop(_w(attr), None)
            if mine.get(_w(attr)) is not None:
                copy.set(_w(attr), mine.get(_w(attr)))
        mine.addprevious(copy)
        styles.remove(mine)
        ours[key] = copy
        replaced.append(mine.find(_w("name")).get(_w("val")))
    for style in [ours[key] for key in theirs if key in ours]:
        _relink(style, id_for)
    if THEME in parts:
        _replace_theme(doc, parts[THEME])
    return replaced


def _shape(element):
    """A style's content, free of prefixes and attribute order, to compare two styles."""
    return (element.tag, tuple(sorted(element.attrib.items())), (element.text or "").strip(),
            tuple(_shape(child) for child in element if isinstance(child.tag, str)))


@functools.lru_cache(maxsize=1)
def _blank_styles() -> dict:
    """The styles of python-docx's blank template (Word's defaults), by (type, name).

    A template made from a blank document carries every built-in style, changed or
    not; only those it changed (or added) are the house's, and replace the DOCX's."""
    import docx

    template = Path(docx.__file__).parent / "templates" / "default.docx"
    with zipfile.ZipFile(template) as archive:
        root = _parse(archive.read(STYLES))
    return {key: _shape(style) for style in root.findall(_w("style"))
            if (key := _key(style)) is not None}


def _relink(style, id_for) -> None:
    """basedOn, next and link name the template's ids: point them at the DOCX's."""
    for tag in ("basedOn", "next", "link"):
        element = style.find(_w(tag))
        if element is None:
            continue
        target = id_for(element.get(_w("val")))
        if target is None:
            style.remove(element)
        else:
            element.set(_w("val"), target)


def _replace_theme(doc, data: bytes) -> None:
    from docx.opc.constants import RELATIONSHIP_TYPE as RT

    for rel in doc.part.rels.values():
        if not rel.is_external and rel.reltype == RT.THEME:
            rel.target_part._blob = data
            return
