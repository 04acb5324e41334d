"""The layout's fonts, embedded in the DOCX as Word embeds TrueType fonts.

Word and LibreOffice show the PDF's faces on a machine without them only when
the DOCX carries them: each face is a part `word/fonts/fontN.odttf`, obfuscated
as ECMA-376 Part 1 §17.8.1 specifies (the first 32 bytes XORed with the GUID in
`w:fontKey`, its bytes in reverse order), related from `word/fontTable.xml`,
where the family's `w:font` names it in `w:embedRegular`, `w:embedBold`,
`w:embedItalic` or `w:embedBoldItalic`; `w:embedTrueTypeFonts` in settings.xml
tells Word to keep them when the editor saves.

Only the families the DOCX's styles and runs name are embedded, each face
whole, as Word embeds them by default: an editor can type any character the
face has (an Arabic word in an English issue, a name with diacritics), and no
time goes into subsetting (fontTools took about 0.9 s for the eight faces of
policy-brief, more than the rest of the DOCX; embedding whole costs ~0.1 s and
makes the sample's DOCX about 1.4–1.9 MB instead of 0.2 MB). A face whose OS/2
fsType forbids embedding is left out with a warning. The key is a hash of the
face, so the same input gives the same bytes.
"""
from __future__ import annotations

import functools
import hashlib
import io
import uuid
from pathlib import Path

from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml.ns import qn
from lxml import etree

RT_FONT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/font"
RT_FONT_TABLE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable"
CT_OBFUSCATED_FONT = "application/vnd.openxmlformats-officedocument.obfuscatedFont"

#: (bold, italic) → the w:font child naming that face, in schema order
SLOTS = {(False, False): "embedRegular", (True, False): "embedBold",
         (False, True): "embedItalic", (True, True): "embedBoldItalic"}

#: the w:settings children after w:embedTrueTypeFonts/w:saveSubsetFonts (CT_Settings order)
_SETTINGS_AFTER = (
    "saveFormsData", "mirrorMargins", "alignBordersAndEdges", "bordersDoNotSurroundHeader",
    "bordersDoNotSurroundFooter", "gutterAtTop", "hideSpellingErrors", "hideGrammaticalErrors",
    "activeWritingStyle", "proofState", "formsDesign", "attachedTemplate", "linkStyles",
    "stylePaneFormatFilter", "stylePaneSortMethod", "documentType", "mailMerge",
    "revisionView", "trackRevisions", "doNotTrackMoves", "doNotTrackFormatting",
    "documentProtection", "autoFormatOverride", "styleLockTheme", "styleLockQFSet",
    "defaultTabStop", "autoHyphenation", "consecutiveHyphenLimit", "hyphenationZone",
    "doNotHyphenateCaps", "showEnvelope", "summaryLength", "clickAndTypeStyle",
    "defaultTableStyle", "evenAndOddHeaders", "bookFoldRevPrinting", "bookFoldPrinting",
    "bookFoldPrintingSheets", "drawingGridHorizontalSpacing", "drawingGridVerticalSpacing",
    "displayHorizontalDrawingGridEvery", "displayVerticalDrawingGridEvery",
    "doNotUseMarginsForDrawingGridOrigin", "drawingGridHorizontalOrigin",
    "drawingGridVerticalOrigin", "doNotShadeFormData", "noPunctuationKerning",
    "characterSpacingControl", "printTwoOnOne", "strictFirstAndLastChars",
    "noLineBreaksAfter", "noLineBreaksBefore", "savePreviewPicture",
    "doNotValidateAgainstSchema", "saveInvalidXml", "ignoreMixedContent",
    "alwaysShowPlaceholderText", "doNotDemarcateInvalidXml", "saveXmlDataOnly",
    "useXSLTWhenSaving", "saveThroughXslt", "showXMLTags", "alwaysMergeEmptyNamespace",
    "updateFields", "hdrShapeDefaults", "footnotePr", "endnotePr", "compat", "docVars",
    "rsids", "mathPr", "attachedSchema", "themeFontLang", "clrSchemeMapping",
    "doNotIncludeSubdocsInStats", "doNotAutoCompressPictures", "forceUpgrade", "captions",
    "readModeInkLockDown", "smartTagType", "schemaLibrary", "shapeDefaults",
    "doNotEmbedSmartTags", "decimalSymbol", "listSeparator")
#: the w:font children before the w:embed* ones (CT_Font order)
_FONT_BEFORE = ("altName", "panose1", "charset", "family", "notTrueType", "pitch", "sig")


def font_key(data: bytes, family: str, slot: str) -> str:
    """A GUID for w:fontKey, from a hash of the face: the same font, the same key."""
    digest = hashlib.sha256(f"{family}\0{slot}\0".encode("utf-8") + data).digest()
    return "{" + str(uuid.UUID(bytes=digest[:16])).upper() + "}"


def obfuscate(data: bytes, key: str) -> bytes:
    """ECMA-376 Part 1 §17.8.1: XOR the first 32 bytes with the key's 16 bytes, reversed.

    The same operation undoes it (LibreOffice's and Word's readers do exactly this)."""
    guid = bytes.fromhex(key.strip("{}").replace("-", ""))[::-1]
    head = bytes(b ^ guid[i % 16] for i, b in enumerate(data[:32]))
    return head + data[32:]


def may_embed(font) -> bool:
    """OS/2 fsType: 0 (installable), 4 (print and preview) and 8 (editable) allow it;
    2 (restricted licence) and 0x200 (bitmaps only) do not."""
    fs_type = font["OS/2"].fsType if "OS/2" in font else 0
    if fs_type & 0x0200:
        return False
    return not (fs_type & 0x000E == 0x0002)


def used_families(doc) -> set[str]:
    """The font names the styles, numbering and text of the document ask for."""
    names = set()
    for element in _elements(doc):
        for fonts in element.iter(qn("w:rFonts")):
            for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
                value = fonts.get(qn(attr))
                if value:
                    names.add(value)
    return names


def _elements(doc):
    document = doc.part
    yield document.element
    yield document.styles.element
    for rel in document.rels.values():
        if rel.is_external:
            continue
        part = rel.target_part
        element = getattr(part, "element", None)
        if element is not None and part is not document.styles:
            yield element  # headers, footers, numbering, footnotes


def face_data(path) -> tuple[bytes, object]:
    """A font file's bytes and its fontTools font (tables read when asked), read
    once a process while the file stays the same (the DOCX worker reads them
    while the PDF is laid out; the preview's process keeps them)."""
    return _face_data(str(path), file_stamp(path))


def file_stamp(path) -> tuple[int, int]:
    """What tells a replaced file: its modification time and size."""
    status = Path(path).stat()
    return status.st_mtime_ns, status.st_size


@functools.lru_cache(maxsize=64)
def _face_data(path: str, stamp: tuple[int, int]) -> tuple[bytes, object]:
    from fontTools.ttLib import TTFont

    data = Path(path).read_bytes()
    return data, TTFont(io.BytesIO(data), lazy=True)


def _obfuscated(path, family: str, slot: str) -> tuple[str, bytes]:
    """The face's w:fontKey and its bytes obfuscated with it (see obfuscate)."""
    return _obfuscated_once(str(path), file_stamp(path), family, slot)


@functools.lru_cache(maxsize=64)
def _obfuscated_once(path: str, stamp: tuple[int, int], family: str,
                     slot: str) -> tuple[str, bytes]:
    data, _ = _face_data(path, stamp)
    key = font_key(data, family, slot)
    return key, obfuscate(data, key)


def read_faces(layout) -> None:
    """Read and obfuscate the layout's faces ahead (see writer.prepare)."""
    for face in layout.faces:
        slot = SLOTS[(face.weight >= 600, face.style in ("italic", "oblique"))]
        _obfuscated(face.file, face.family, slot)


def embed_fonts(doc, layout, warnings: list | None = None) -> list[str]:
    """Embed the layout's faces of every family the DOCX uses; return the family names.

    Call it last, just before saving: it reads the document's text and fonts."""

    families = used_families(doc)
    faces: dict[str, dict[str, Path]] = {}
    for face in layout.faces:
        if face.family not in families:
            continue
        slot = SLOTS[(face.weight >= 600, face.style in ("italic", "oblique"))]
        faces.setdefault(face.family, {}).setdefault(slot, face.file)
    if not faces:
        return []

    document = doc.part
    table_part = next(rel.target_part for rel in document.rels.values()
                      if rel.reltype == RT_FONT_TABLE)
    table = etree.fromstring(table_part.blob)
    package = document.package
    number = sum(1 for p in package.iter_parts() if p.partname.startswith("/word/fonts/"))
    embedded = []
    for family in sorted(faces):
        entry = _font_entry(table, family)
        info = None
        for slot in SLOTS.values():
            path = faces[family].get(slot)
            if path is None:
                continue
            data, font = face_data(path)
            if not may_embed(font):
                if warnings is not None:
                    warnings.append(f"{path}: the font's licence bits (OS/2 fsType "
                                    f"{font['OS/2'].fsType:#x}) forbid embedding; the DOCX "
                                    f"names {family!r} without carrying it")
                continue
            if info is None:
                info = font
            key, hidden = _obfuscated(path, family, slot)
            number += 1
            part = Part(PackURI(f"/word/fonts/font{number}.odttf"), CT_OBFUSCATED_FONT,
                        hidden, package)
            rel_id = table_part.relate_to(part, RT_FONT)
            embed = etree.SubElement(entry, qn(f"w:{slot}"))
            embed.set(qn("r:id"), rel_id)
            embed.set(qn("w:fontKey"), key)
        if info is not None:
            _describe(entry, info)
            embedded.append(family)
    table_part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8",
                                      standalone=True)
    if embedded:
        _settings_flags(doc.settings.element)
    return embedded


def _font_entry(table, family: str):
    """The w:font of `family` in fontTable.xml, emptied of embeddings (added if absent)."""
    for entry in table.findall(qn("w:font")):
        if entry.get(qn("w:name")) == family:
            for child in list(entry):
                if child.tag.startswith(qn("w:embed")):
                    entry.remove(child)
            return entry
    entry = etree.SubElement(table, qn("w:font"))
    entry.set(qn("w:name"), family)
    return entry


def _describe(entry, font) -> None:
    """panose1, charset, family, pitch and sig from the font, as Word writes them."""
    os2 = font["OS/2"]
    panose = os2.panose
    fields = ("bFamilyType", "bSerifStyle", "bWeight", "bProportion", "bContrast",
              "bStrokeVariation", "bArmStyle", "bLetterForm", "bMidline", "bXHeight")
    values = {
        "panose1": "".join(f"{getattr(panose, f):02X}" for f in fields),
        "charset": "00",
        "family": "swiss" if 11 <= panose.bSerifStyle <= 15 else "roman",
        "pitch": "fixed" if font["post"].isFixedPitch else "variable",
    }
    for child in list(entry):
        if child.tag in {qn(f"w:{name}") for name in _FONT_BEFORE}:
            entry.remove(child)
    at = 0
    for name in ("panose1", "charset", "family", "pitch"):
        child = etree.Element(qn(f"w:{name}"))
        child.set(qn("w:val"), values[name])
        entry.insert(at, child)
        at += 1
    sig = etree.Element(qn("w:sig"))
    for i, attr in enumerate(("ulUnicodeRange1", "ulUnicodeRange2", "ulUnicodeRange3",
                              "ulUnicodeRange4")):
        sig.set(qn(f"w:usb{i}"), f"{getattr(os2, attr, 0):08X}")
    sig.set(qn("w:csb0"), f"{getattr(os2, 'ulCodePageRange1', 0):08X}")
    sig.set(qn("w:csb1"), f"{getattr(os2, 'ulCodePageRange2', 0):08X}")
    entry.insert(at, sig)


def _settings_flags(settings) -> None:
    """w:embedTrueTypeFonts, in its place in CT_Settings."""
    settings_flag(settings, "embedTrueTypeFonts")


def settings_flag(settings, name: str) -> None:
    """A flag of w:settings (w:embedTrueTypeFonts, w:mirrorMargins …), in its place in
    CT_Settings' order; nothing when it is there already."""
    order = ("embedTrueTypeFonts", "embedSystemFonts", "saveSubsetFonts") + _SETTINGS_AFTER
    if settings.find(qn(f"w:{name}")) is not None:
        return
    successors = {qn(f"w:{n}") for n in order[order.index(name) + 1:]}
    element = etree.Element(qn(f"w:{name}"))
    after = next((child for child in settings if child.tag in successors), None)
    if after is not None:
        after.addprevious(element)
    else:
        settings.append(element)
