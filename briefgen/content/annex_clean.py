"""A DOCX annex, rewritten without anything that makes LibreOffice reach outside it.

LibreOffice converts DOCX annexes to PDF. Left alone, it fetches linked images
(`http://…`, `file:///…`), follows OLE links and include fields, and prints what
it found into the pack. Before conversion, a copy of the DOCX is rewritten
without:

* relationships that point outside the package (`TargetMode="External"`, or a
  target with a scheme such as `file:`, `http:`, `https:`, or a `\\\\server`
  path), except hyperlinks, which LibreOffice never fetches;
* INCLUDEPICTURE, INCLUDETEXT, INCLUDE, LINK, DDE, DDEAUTO, IMPORT and DATABASE
  fields, simple (`w:fldSimple`) or complex (`w:instrText`): their last shown
  result stays as plain text;
* linked OLE objects (`o:OLEObject Type="Link"`, `w:objectLink`), alternative
  format chunks (`w:altChunk`: embedded HTML that can itself link out), mail
  merge data sources, and VML `src`/`href` attributes that point outside.

Each removal is reported, so the caller can warn naming the annex. The copy is
written deterministically (same input, same bytes).
"""
from __future__ import annotations

import io
import re
import zipfile

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PR = "http://schemas.openxmlformats.org/package/2006/relationships"
O = "urn:schemas-microsoft-com:office:office"
V = "urn:schemas-microsoft-com:vml"

FETCHING_FIELDS = {"INCLUDEPICTURE", "INCLUDETEXT", "INCLUDE", "LINK", "DDE", "DDEAUTO",
                   "IMPORT", "DATABASE"}
MAX_PARTS = 10_000
MAX_UNPACKED_BYTES = 500_000_000  # a 50 MB annex that unpacks beyond this is a zip bomb

_SCHEME = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.\-]*:")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=False, remove_blank_text=False)


class NotADocx(Exception):
    """The file is not a DOCX package that can be read (the caller words the error)."""


def points_outside(target: str, base: str | None = None) -> bool:
    """A link target that leaves the package: a URL, a file or UNC path, too many ../.

    `base` is the package folder a relationship target is relative to ("word/");
    without it (VML attributes), any absolute or ../ path counts as outside."""
    target = (target or "").strip().replace("\\", "/")
    if _SCHEME.match(target) or target.startswith("//"):
        return True
    if base is None:
        return target.startswith("/") or ".." in target.split("/")
    if target.startswith("/"):
        return False  # absolute within the package
    depth = 0
    for step in [s for s in base.split("/") if s] + target.split("/"):
        if step == "..":
            depth -= 1
            if depth < 0:
                return True
        elif step not in ("", "."):
            depth += 1
    return False


def clean_docx(data: bytes) -> tuple[bytes, list[str]]:
    """(the rewritten DOCX, one description per removed link or field)."""
    try:
        source = zipfile.ZipFile(io.BytesIO(data))
        infos = source.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise NotADocx(str(exc)) from None
    if len(infos) > MAX_PARTS or sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES:
        raise NotADocx("too many or too large parts")
    parts: dict[str, bytes] = {}
    total = 0
    try:
        for info in infos:
            if info.is_dir():
                continue
            with source.open(info) as fh:
                parts[info.filename] = fh.read(MAX_UNPACKED_BYTES + 1 - total)
            total += len(parts[info.filename])
            if total > MAX_UNPACKED_BYTES:
                raise NotADocx("the parts unpack to too many bytes")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
            EOFError, OSError, ValueError) as exc:
        raise NotADocx(str(exc)) from None
    if "[Content_Types].xml" not in parts:
        raise NotADocx("no [Content_Types].xml")

    removed: list[str] = []
    trees: dict[str, etree._Element] = {}
    for name, raw in parts.items():
        if name.endswith((".xml", ".rels")) or name == "[Content_Types].xml":
            try:
                trees[name] = etree.fromstring(raw, _PARSER)
            except etree.XMLSyntaxError as exc:
                raise NotADocx(f"{name}: {exc}") from None

    # 1. Relationships that lead outside the package.
    dropped_ids: dict[str, set[str]] = {}  # part name -> relationship ids removed from it
    for name, root in trees.items():
        if not name.endswith(".rels"):
            continue
        owner = _rels_owner(name)
        for rel in list(root.iter(f"{{{PR}}}Relationship")):
            target = rel.get("Target") or ""
            kind = (rel.get("Type") or "").rsplit("/", 1)[-1]
            external = ((rel.get("TargetMode") or "").lower() == "external"
                        or points_outside(target, owner.rpartition("/")[0]))
            if kind == "aFChunk":
                external = True  # embedded HTML/RTF/MHT that LibreOffice parses, links and all
            if not external or kind == "hyperlink" and _SCHEME.match(target) \
                    and not target.strip().lower().startswith("file:"):
                continue
            rel.getparent().remove(rel)
            dropped_ids.setdefault(owner, set()).add(rel.get("Id") or "")
            removed.append(f"{_kind_words(kind)} ({_short(target)})")

    # 2. References to those relationships, fields, OLE links and VML sources.
    for name, root in trees.items():
        if name.endswith(".rels") or name == "[Content_Types].xml":
            continue
        ids = dropped_ids.get(name, set())
        removed += _clean_part(root, ids)

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in sorted(parts, key=lambda n: (n != "[Content_Types].xml", n)):
            body = parts[name]
            if name in trees:
                for entity in [e for e in trees[name].iter() if isinstance(e, etree._Entity)]:
                    _drop(entity)
                body = etree.tostring(trees[name], xml_declaration=True, encoding="UTF-8",
                                      standalone=True)
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, body)
    return out.getvalue(), removed


def _rels_owner(rels_name: str) -> str:
    """word/_rels/document.xml.rels -> word/document.xml"""
    folder, _, file = rels_name.rpartition("_rels/")
    return folder + file[: -len(".rels")]


def _kind_words(kind: str) -> str:
    return {"image": "a linked image", "oleObject": "a linked OLE object",
            "attachedTemplate": "a linked template", "subDocument": "a subdocument",
            "frame": "a linked frame", "aFChunk": "an embedded HTML/RTF chunk",
            "hyperlink": "a hyperlink to a file", "mailMergeSource": "a mail merge data source",
            }.get(kind, f"an outside link of type {_short(kind, 30) or 'unknown'}")


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    text = "".join(c for c in text if c.isprintable())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _drop(element) -> None:
    """Remove an element, keeping its tail text."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _unwrap(element) -> None:
    """Replace an element by its children."""
    parent = element.getparent()
    index = parent.index(element)
    for offset, child in enumerate(list(element)):
        parent.insert(index + offset, child)
    _drop(element)


def _field_name(instruction: str) -> str:
    words = instruction.strip().split()
    return words[0].upper().lstrip("\\") if words else ""


def _clean_part(root, dropped_ids: set[str]) -> list[str]:
    removed: list[str] = []

    # References to removed relationships (most annexes drop none).
    for element in root.iter() if dropped_ids else ():
        if not isinstance(element.tag, str):
            continue
        for attr, value in list(element.attrib.items()):
            if attr.startswith(f"{{{R}}}") and value in dropped_ids:
                del element.attrib[attr]
    for tag, words in ((f"{{{W}}}altChunk", "an embedded HTML/RTF chunk"),
                       (f"{{{W}}}subDoc", "a subdocument"),
                       (f"{{{W}}}attachedTemplate", "a template"),
                       (f"{{{W}}}objectLink", "a linked OLE object"),
                       (f"{{{W}}}mailMerge", "a mail merge data source")):
        for element in list(root.iter(tag)):
            # One whose relationship was removed above is already reported.
            if tag.endswith("mailMerge") or any(a.startswith(f"{{{R}}}") for a in element.attrib):
                removed.append(words)
            _drop(element)
    for ole in list(root.iter(f"{{{O}}}OLEObject")):
        if (ole.get("Type") or "").lower() == "link":
            if any(a.startswith(f"{{{R}}}") for a in ole.attrib):  # else reported with its link
                removed.append("a linked OLE object")
            _drop(ole)
    # VML pictures, fills and strokes can name their source directly.
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or not element.tag.startswith((f"{{{V}}}", f"{{{O}}}")):
            continue
        for attr, value in list(element.attrib.items()):
            local = attr.rsplit("}", 1)[-1]
            if local in ("src", "href", "link") and points_outside(value):
                removed.append(f"a linked picture {_short(value)}")
                del element.attrib[attr]

    # Simple fields: keep the shown result, drop the instruction.
    for field in list(root.iter(f"{{{W}}}fldSimple")):
        instruction = field.get(f"{{{W}}}instr") or ""
        if _field_name(instruction) in FETCHING_FIELDS:
            removed.append(f"the {_field_name(instruction)} field ({_short(instruction)})")
            _unwrap(field)

    # Complex fields: begin … instrText … separate … result … end, possibly nested.
    removed += _clean_complex_fields(root)
    # Whatever is left (a stray instrText outside a well-formed field) is emptied.
    for text in root.iter(f"{{{W}}}instrText"):
        if _field_name(text.text or "") in FETCHING_FIELDS:
            removed.append(f"the {_field_name(text.text)} field ({_short(text.text)})")
            text.text = ""
    return removed


def _clean_complex_fields(root) -> list[str]:
    removed: list[str] = []
    doomed: list = []
    stack: list[dict] = []
    for run in list(root.iter(f"{{{W}}}r")):
        for child in run:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag == f"{{{W}}}fldChar":
                kind = child.get(f"{{{W}}}fldCharType")
                if kind == "begin":
                    stack.append({"instr": [], "code": [run], "in_code": True})
                elif kind == "separate" and stack:
                    stack[-1]["in_code"] = False
                    _add(stack[-1]["code"], run)
                elif kind == "end" and stack:
                    frame = stack.pop()
                    name = _field_name("".join(frame["instr"]))
                    if name in FETCHING_FIELDS:
                        removed.append(f"the {name} field ({_short(''.join(frame['instr']))})")
                        doomed += frame["code"] + [run]
                    elif stack and stack[-1]["in_code"]:
                        stack[-1]["instr"] += frame["instr"]
                continue
            if stack and stack[-1]["in_code"]:
                if tag == f"{{{W}}}instrText":
                    stack[-1]["instr"].append(child.text or "")
        if stack and stack[-1]["in_code"]:
            _add(stack[-1]["code"], run)
    for frame in stack:  # a field never closed: its code runs go too, when it fetches
        name = _field_name("".join(frame["instr"]))
        if name in FETCHING_FIELDS:
            removed.append(f"the {name} field ({_short(''.join(frame['instr']))})")
            doomed += frame["code"]
    seen = set()
    for run in doomed:
        if id(run) not in seen and run.getparent() is not None:
            seen.add(id(run))
            _drop(run)
    return removed


def _add(runs: list, run) -> None:
    if not runs or runs[-1] is not run:
        runs.append(run)
