"""The DOCX carries the layout's fonts (ECMA-376 obfuscated TrueType), and a house
Word template (--reference-docx) restyles the DOCX by style name."""
from __future__ import annotations

import io
import os
import subprocess
import zipfile
from pathlib import Path
from types import SimpleNamespace

import docx
import pikepdf
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from fontTools.ttLib import TTFont
from lxml import etree

from briefgen.layouts import FontFace
from briefgen.render.docx import fonts as docx_fonts

from .conftest import ROOT, SAMPLE, need_tool, run_cli

MEMO_FONTS = ROOT / "layouts" / "memo" / "fonts"
RT_FONT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/font"
OBFUSCATED = "application/vnd.openxmlformats-officedocument.obfuscatedFont"


def build_docx(out: Path, *args) -> Path:
    result = run_cli("build", SAMPLE, "-f", "docx", "-o", out, *args)
    assert result.exit_code == 0, result.output
    return out / "nile-dispute.docx"


@pytest.fixture(scope="module", autouse=True)
def no_cache_for_module_builds(tmp_path_factory):
    """conftest's no_build_cache is per test, so it comes after module fixtures: the
    builds below must render for real too (the control would come from the cache)."""
    patch = pytest.MonkeyPatch()
    patch.setenv("BRIEFGEN_CACHE", "off")
    patch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    yield
    patch.undo()


@pytest.fixture(scope="module")
def memo_docx(tmp_path_factory):
    return build_docx(tmp_path_factory.mktemp("memo"), "-l", "memo")


@pytest.fixture(scope="module")
def control_docx(tmp_path_factory):
    """The same DOCX without embedded fonts (embedding switched off)."""
    patch = pytest.MonkeyPatch()
    patch.setattr(docx_fonts, "embed_fonts", lambda *args, **kwargs: [])
    try:
        return build_docx(tmp_path_factory.mktemp("control"), "-l", "memo")
    finally:
        patch.undo()


def embedded_faces(path: Path) -> dict[tuple[str, str], TTFont]:
    """(family, w:embedXxx) → the de-obfuscated font, read as Word would."""
    with zipfile.ZipFile(path) as archive:
        table = etree.fromstring(archive.read("word/fontTable.xml"))
        rels = etree.fromstring(archive.read("word/_rels/fontTable.xml.rels"))
        types = archive.read("[Content_Types].xml").decode()
        targets = {r.get("Id"): r.get("Target") for r in rels if r.get("Type") == RT_FONT}
        faces = {}
        for font in table.findall(qn("w:font")):
            for embed in font:
                if not embed.tag.startswith(qn("w:embed")):
                    continue
                target = targets[embed.get(qn("r:id"))]
                name = "word/" + target
                assert f'PartName="/{name}" ContentType="{OBFUSCATED}"' in types
                data = archive.read(name)
                key = embed.get(qn("w:fontKey"))
                # ECMA-376 §17.8.1: the GUID's 16 bytes, last first, XORed over 32 bytes.
                guid = bytes.fromhex(key.strip("{}").replace("-", ""))[::-1]
                clear = bytes(b ^ guid[i % 16] for i, b in enumerate(data[:32])) + data[32:]
                faces[(font.get(qn("w:name")), etree.QName(embed).localname)] = \
                    TTFont(io.BytesIO(clear))
    return faces


def test_the_docx_carries_each_face_of_the_layout(memo_docx):
    faces = embedded_faces(memo_docx)
    assert {slot for family, slot in faces if family == "Carlito"} == {
        "embedRegular", "embedBold", "embedItalic", "embedBoldItalic"}
    assert faces[("Carlito", "embedRegular")]["name"].getDebugName(1) == "Carlito"
    assert faces[("Carlito", "embedBoldItalic")]["name"].getDebugName(2) == "Bold Italic"
    # Only families the DOCX names: memo's text is Carlito, right-to-left text Noto Naskh.
    assert {family for family, _ in faces} <= {"Carlito", "Noto Naskh Arabic"}
    with zipfile.ZipFile(memo_docx) as archive:
        settings = archive.read("word/settings.xml").decode()
    assert "<w:embedTrueTypeFonts/>" in settings and "<w:saveSubsetFonts/>" not in settings


def test_faces_are_embedded_whole_so_an_editor_can_type_any_character(memo_docx):
    regular = embedded_faces(memo_docx)[("Carlito", "embedRegular")]
    full = TTFont(MEMO_FONTS / "Carlito-Regular.ttf")
    assert set(regular.getBestCmap()) == set(full.getBestCmap())
    assert len(regular.getGlyphOrder()) == len(full.getGlyphOrder())
    # Only the families the DOCX names: Carlito's four faces and Naskh's two, ~1.4 MB.
    assert memo_docx.stat().st_size < 2_500_000


def test_embedded_fonts_are_the_same_bytes_on_rebuild(memo_docx, tmp_path):
    again = build_docx(tmp_path, "-l", "memo")
    assert again.read_bytes() == memo_docx.read_bytes()


def test_the_obfuscation_is_ecma_376s():
    data = bytes(range(40))
    key = "{00112233-4455-6677-8899-AABBCCDDEEFF}"
    hidden = docx_fonts.obfuscate(data, key)
    assert hidden[0] == 0x00 ^ 0xFF and hidden[15] == 15 ^ 0x00
    assert hidden[16] == 16 ^ 0xFF and hidden[32:] == data[32:]
    assert docx_fonts.obfuscate(hidden, key) == data


def test_a_font_whose_licence_forbids_embedding_is_left_out(tmp_path):
    font = TTFont(MEMO_FONTS / "Carlito-Regular.ttf")
    font["OS/2"].fsType = 0x0002  # restricted licence embedding
    path = tmp_path / "Restricted.ttf"
    font.save(path)
    document = docx.Document()
    document.styles["Normal"].font.name = "Carlito"
    document.add_paragraph("Text")
    layout = SimpleNamespace(faces=(FontFace("Carlito", path),))
    warnings: list = []
    assert docx_fonts.embed_fonts(document, layout, warnings) == []
    assert len(warnings) == 1 and "forbid embedding" in warnings[0]
    assert not any(p.partname.endswith(".odttf") for p in document.part.package.iter_parts())


# --- LibreOffice on a machine without the layout's fonts -------------------------------

def convert_without_fonts(source: Path, out: Path) -> set[str]:
    """Convert with LibreOffice seeing only DejaVu (the system's Noto and Carlito hidden);
    return the font names in the PDF it writes."""
    soffice = need_tool("soffice")
    dejavu = Path("/usr/share/fonts/truetype/dejavu")
    if not dejavu.is_dir():
        pytest.skip("DejaVu fonts are not installed")
    out.mkdir()
    config = out / "fonts.conf"
    config.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <dir>{dejavu}</dir>
  <cachedir>{out / "fc-cache"}</cachedir>
</fontconfig>
""")
    env = dict(os.environ, FONTCONFIG_FILE=str(config), HOME=str(out))
    env.pop("FONTCONFIG_PATH", None)
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{out}/profile",
                    "--convert-to", "pdf", "--outdir", str(out), str(source)],
                   check=True, capture_output=True, timeout=240, env=env)
    pdf = pikepdf.open(out / (source.stem + ".pdf"))
    names = set()
    for page in pdf.pages:
        for font in page.Resources.get("/Font", {}).values():
            names.add(str(font.get("/BaseFont", "")).split("+")[-1])
    return names


@pytest.fixture(scope="module")
def converted(memo_docx, control_docx, tmp_path_factory):
    folder = tmp_path_factory.mktemp("no-fonts")
    return (convert_without_fonts(memo_docx, folder / "embedded"),
            convert_without_fonts(control_docx, folder / "control"))


def test_libreoffice_shows_the_embedded_faces_without_them_installed(converted):
    embedded, control = converted
    assert {"Carlito", "Carlito-Bold", "Carlito-Italic"} <= embedded
    assert not any(name.startswith("DejaVu") and "Math" not in name for name in embedded)


def test_without_embedding_libreoffice_falls_back(converted):
    """The control: the fonts really are hidden, so the faces came from the DOCX."""
    _, control = converted
    assert not any("Carlito" in name for name in control)
    assert any(name.startswith("DejaVu") for name in control)


# --- --reference-docx ------------------------------------------------------------------

def house_template(path: Path, dotx: bool = False) -> Path:
    template = docx.Document()
    heading = template.styles["Heading 1"]
    heading.font.size = Pt(30)
    heading.font.color.rgb = RGBColor(0xFF, 0x00, 0x00)
    template.styles["Body Text"].font.name = "Liberation Mono"
    template.save(str(path))
    if dotx:  # a Word template (.dotx): the same parts, another main content type
        with zipfile.ZipFile(path) as archive:
            entries = [(i, archive.read(i)) for i in archive.infolist()]
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for info, data in entries:
                if info.filename == "[Content_Types].xml":
                    data = data.replace(b"document.main+xml", b"template.main+xml")
                archive.writestr(info, data)
    return path


def style_xml(document, name: str) -> bytes:
    return etree.tostring(document.styles[name].element, method="c14n")


@pytest.fixture(scope="module")
def plain_docx(tmp_path_factory):
    return build_docx(tmp_path_factory.mktemp("plain"))


def test_reference_docx_styles_win_by_name(plain_docx, tmp_path):
    house = house_template(tmp_path / "house.dotx", dotx=True)
    built = build_docx(tmp_path / "out", "--reference-docx", house)
    document, plain = docx.Document(str(built)), docx.Document(str(plain_docx))
    heading = document.styles["Heading 1"]
    assert heading.font.size.pt == 30 and heading.font.color.rgb == RGBColor(0xFF, 0, 0)
    assert document.styles["Body Text"].font.name == "Liberation Mono"
    assert plain.styles["Heading 1"].font.size.pt != 30
    # The paragraphs still point at the styles, and the others are the layout's.
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == [
        "Overview", "Experts react", "Contributors"]
    for name in ("Normal", "Title", "Heading 2", "Pull Quote", "Bio", "TOC 1"):
        assert style_xml(document, name) == style_xml(plain, name), name


def test_reference_docx_leaves_the_pdf_alone(sample_build, tmp_path):
    house = house_template(tmp_path / "house.docx")
    result = run_cli("build", SAMPLE, "-o", tmp_path / "out", "--reference-docx", house)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "nile-dispute.pdf").read_bytes() == sample_build[0].read_bytes()


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize("make, says", [
    (lambda p: (p.write_text("not a zip"), p)[1], "not a Word file"),
    (lambda p: _zip(p, {"word/document.xml": b"<x/>"}), "has no word/styles.xml"),
    (lambda p: _zip(p, {"word/styles.xml": b'<?xml version="1.0"?><!DOCTYPE x '
                        b'[<!ENTITY a "aaaa">]><x>&a;</x>'}), "DTD or entities"),
    (lambda p: _zip(p, {"word/styles.xml": b"<w:styles"}), "not well-formed"),
    (lambda p: p.with_name("missing.docx"), "cannot read the reference DOCX"),
])
def test_a_bad_reference_docx_is_one_line_and_exit_2(tmp_path, make, says):
    path = make(tmp_path / "house.docx")
    out = tmp_path / "out"
    result = run_cli("build", SAMPLE, "-f", "docx", "-o", out, "--reference-docx", path)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and str(path) in lines[0], result.output
    assert not out.exists() or not any(out.iterdir())


def test_a_replaced_font_file_is_read_again(tmp_path):
    """The embedded fonts are read once a process (the preview's keeps them), but a
    font file replaced in between, as a layout author does, is read again."""
    import os
    import shutil

    from briefgen.layouts import find_layout
    from briefgen.render.docx.fonts import face_data

    faces = find_layout("policy-brief").faces
    path = tmp_path / "face.ttf"
    shutil.copy(faces[0].file, path)
    first, _ = face_data(path)
    other = next(f.file for f in faces if f.file.read_bytes() != first)
    shutil.copy(other, path)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert face_data(path)[0] == other.read_bytes() != first
