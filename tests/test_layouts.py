"""Layouts: every shipped layout × every sample issue × both formats; inheritance,
user layouts, sandboxed templates, bundled fonts, right-to-left, print and booklets."""
from __future__ import annotations

import shutil
import subprocess

import docx
import pdfplumber
import pikepdf
import pytest
from docx.oxml.ns import qn

from briefgen.layouts import find_layout, list_layouts
from briefgen.render.impose import booklet_order

from .conftest import ROOT, need_tool, run_cli
from .test_build_pdf import flat, pdf_pages_text

LAYOUTS = ["policy-brief", "memo", "conference"]
SAMPLES = sorted(p.name for p in (ROOT / "content").iterdir() if (p / "issue.md").is_file())


def logical_text(pdf) -> str:
    """Text in reading order, Arabic included (pdfplumber gives visual order)."""
    import pypdf

    return flat(" ".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages))


def test_the_shipped_layouts_and_samples():
    assert sorted(layout.name for layout in list_layouts()) == sorted(LAYOUTS)
    assert {"nile-dispute", "arabic-brief", "energy-forum"} <= set(SAMPLES)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    """Every layout × every sample issue, both formats, built once for this module."""
    out = tmp_path_factory.mktemp("matrix")
    for layout in LAYOUTS:
        for sample in SAMPLES:
            result = run_cli("build", ROOT / "content" / sample, "--layout", layout,
                             "-o", out / layout)
            assert result.exit_code == 0, (layout, sample, result.output)
    return out


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_layout_renders_every_sample_as_valid_pdf(matrix, layout):
    qpdf = need_tool("qpdf")
    for sample in SAMPLES:
        pdf = matrix / layout / f"{sample}.pdf"
        check = subprocess.run([qpdf, "--check", str(pdf)], capture_output=True, text=True)
        assert check.returncode == 0, (layout, sample, check.stdout)
        pages = pdf_pages_text(pdf)
        assert len(pages) >= 2
        title = {"nile-dispute": "The Nile in Dispute", "arabic-brief": "الطاقة الشمسية",
                 "energy-forum": "Sun for Export"}.get(sample)
        if title:
            assert title in logical_text(pdf), (layout, sample)


def test_every_docx_opens_in_libreoffice(matrix, tmp_path):
    soffice = need_tool("soffice")
    docs = sorted(matrix.glob("*/*.docx"))
    assert len(docs) == len(LAYOUTS) * len(SAMPLES)
    for layout in LAYOUTS:
        subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                        "--convert-to", "pdf", "--outdir", str(tmp_path / layout),
                        *map(str, (matrix / layout).glob("*.docx"))],
                       check=True, capture_output=True, timeout=600)
        for doc in (matrix / layout).glob("*.docx"):
            converted = tmp_path / layout / f"{doc.stem}.pdf"
            assert converted.is_file(), f"LibreOffice could not open {layout}/{doc.name}"


def bundled_names(layout_name):
    layout = find_layout(layout_name)
    return {face.family.replace(" ", "-") for face in layout.faces}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_embedded_fonts_are_exactly_the_bundled_ones(matrix, layout):
    families = bundled_names(layout)
    for sample in SAMPLES:
        with pikepdf.open(matrix / layout / f"{sample}.pdf") as pdf:
            for page in pdf.pages:
                for font in page.resources.get("/Font", {}).values():
                    name = str(font.BaseFont).split("+", 1)[-1]
                    descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
                    assert "/FontFile2" in descendant.FontDescriptor, f"{name} not embedded"
                    style = next((name[len(f):] for f in sorted(families, key=len, reverse=True)
                                  if name.startswith(f)), None)
                    assert style in ("", "-Bold", "-Italic", "-Bold-Italic"), \
                        f"{layout}/{sample}: {name} is not one of the layout's fonts {families}"


def test_memo_fits_a_seed_sized_issue_in_four_full_pages_and_is_grayscale(matrix, seed_issue,
                                                                          tmp_path):
    folder, _ = seed_issue
    result = run_cli("build", folder, "-l", "memo", "-o", tmp_path, "-f", "pdf")
    assert result.exit_code == 0
    # a 67–73 character measure: four pages for five experts, none of them near-empty
    assert len(pdf_pages_text(tmp_path / "iraq-instability.pdf")) <= 4
    assert "page-fill" not in result.output and "% full" not in result.output
    assert len(pdf_pages_text(matrix / "memo" / "nile-dispute.pdf")) <= 3
    # grayscale-safe: every colour the memo paints is a grey (r = g = b), photos aside
    with pdfplumber.open(tmp_path / "iraq-instability.pdf") as pdf:
        for page in pdf.pages:
            for obj in page.chars + page.rects + page.lines:
                for key in ("non_stroking_color", "stroking_color"):
                    colour = obj.get(key)
                    if colour and len(colour) == 3:
                        assert max(colour) - min(colour) < 0.02, (key, colour)
    # no cover page: the title and the lede share page 1
    first = pdf_pages_text(tmp_path / "iraq-instability.pdf")[0]
    assert "Iraq’s (In)Stability" in first and "Overview" in first


def test_memo_docx_has_a_title_block_on_page_one_and_the_text_column(matrix):
    document = docx.Document(str(matrix / "memo" / "nile-dispute.docx"))
    # one section: the title block shares page 1 with the text, no cover page
    assert len(document.sections) == 1
    assert not any(p.style.name.startswith("TOC") for p in document.paragraphs)
    memo = find_layout("memo")
    section = document.sections[0]
    assert abs(section.left_margin.mm - memo.margins_mm[3] - memo.style["side_column"]) < 0.1
    # the title block hangs into the side column, as the PDF's spans the page
    title = document.styles["Title"].paragraph_format.left_indent
    assert abs(title.mm + memo.style["side_column"]) < 0.1
    # its contributors in one run-in line, as in the PDF
    line = [p for p in document.paragraphs if p.style.name == "Cover Contributor"]
    assert len(line) == 1 and line[0].text.startswith("In this issue: Amira Haddad")


def test_conference_is_a5_with_full_bleed_cover_and_print_marks(tmp_path):
    sample = ROOT / "content" / "energy-forum"
    assert run_cli("build", sample, "-l", "conference", "-o", tmp_path / "screen",
                   "-f", "pdf").exit_code == 0
    assert run_cli("build", sample, "-l", "conference", "-o", tmp_path / "print", "-f", "pdf",
                   "--print").exit_code == 0
    with pikepdf.open(tmp_path / "screen" / "energy-forum.pdf") as pdf:
        box = [round(float(v)) for v in pdf.pages[0].mediabox]
        assert box == [0, 0, 420, 595]  # A5
        cover = pdf.pages[0]
        assert any(x.get("/Subtype") == "/Image" for x in cover.resources.XObject.values())
    with pikepdf.open(tmp_path / "print" / "energy-forum.pdf") as pdf:
        page = pdf.pages[0]
        media = [float(v) for v in page.mediabox]
        trim = [float(v) for v in page.TrimBox]
        bleed = [float(v) for v in page.BleedBox]
        bleed_pt = 3 / 25.4 * 72
        assert trim[2] - trim[0] == pytest.approx(419.53, abs=0.1)
        assert trim[0] - bleed[0] == pytest.approx(bleed_pt, abs=0.2)
        assert bleed[0] - media[0] > bleed_pt  # the crop marks lie outside the bleed


def test_booklet_order_is_saddle_stitch():
    assert booklet_order(8) == [(7, 0), (1, 6), (5, 2), (3, 4)]
    # the blank pages go before the back cover, never in its place
    assert booklet_order(5) == [(4, 0), (1, None), (None, 2), (3, None)]


def test_imposed_booklet_pages_and_order(tmp_path):
    sample = ROOT / "content" / "nile-dispute"
    result = run_cli("build", sample, "-l", "conference", "-o", tmp_path, "-f", "pdf",
                     "--impose", "booklet")
    assert result.exit_code == 0, result.output
    reading = pdf_pages_text(tmp_path / "nile-dispute.pdf")
    padded = -(-len(reading) // 4) * 4
    with pdfplumber.open(tmp_path / "nile-dispute-booklet.pdf") as booklet:
        assert len(booklet.pages) == padded // 2
        first = booklet.pages[0]
        assert (round(first.width), round(first.height)) == (842, 595)  # A4 landscape
        left = first.crop((0, 0, first.width / 2, first.height)).extract_text() or ""
        right = first.crop((first.width / 2, 0, first.width, first.height)).extract_text() or ""
    assert "The Nile in Dispute" in right  # page 1 (the cover) on the right of sheet 1
    assert "Stay informed" in left  # beside it the back page, even when padded


def test_inherited_layout_changes_only_what_it_overrides(tmp_path):
    child = tmp_path / "red-brief"
    child.mkdir()
    (child / "layout.toml").write_text('name = "red-brief"\nextends = "policy-brief"\n'
                                       '[colours]\naccent = "#8b1a1a"\n', encoding="utf-8")
    sample = ROOT / "content" / "nile-dispute"
    assert run_cli("build", sample, "-o", tmp_path / "base").exit_code == 0
    assert run_cli("build", sample, "--layout", child, "-o", tmp_path / "red").exit_code == 0
    base, red = tmp_path / "base" / "nile-dispute.pdf", tmp_path / "red" / "nile-dispute.pdf"
    assert pdf_pages_text(base) == pdf_pages_text(red)
    with pdfplumber.open(base) as a, pdfplumber.open(red) as b:
        for page_a, page_b in zip(a.pages, b.pages):
            chars_a = [(c["text"], round(c["x0"], 1), round(c["top"], 1)) for c in page_a.chars]
            chars_b = [(c["text"], round(c["x0"], 1), round(c["top"], 1)) for c in page_b.chars]
            assert chars_a == chars_b  # same text in the same places
        colours_a = {tuple(c["non_stroking_color"] or ()) for p in a.pages for c in p.chars}
        colours_b = {tuple(c["non_stroking_color"] or ()) for p in b.pages for c in p.chars}
    assert colours_a != colours_b
    red_rgb = (0x8b / 255, 0x1a / 255, 0x1a / 255)
    assert any(len(c) == 3 and all(abs(x - y) < 0.01 for x, y in zip(c, red_rgb))
               for c in colours_b)
    base_doc = docx.Document(str(tmp_path / "base" / "nile-dispute.docx"))
    red_doc = docx.Document(str(tmp_path / "red" / "nile-dispute.docx"))
    assert str(base_doc.styles["Heading 1"].font.color.rgb) == "1D3F6E"
    assert str(red_doc.styles["Heading 1"].font.color.rgb) == "8B1A1A"
    assert red_doc.styles["Normal"].font.name == base_doc.styles["Normal"].font.name


def test_a_template_cannot_reach_python_internals(tmp_path):
    evil = tmp_path / "evil"
    (evil / "templates").mkdir(parents=True)
    (evil / "layout.toml").write_text('extends = "policy-brief"\n', encoding="utf-8")
    (evil / "templates" / "issue.html.j2").write_text(
        "<html><body>{{ ''.__class__.__mro__[1].__subclasses__() }}</body></html>",
        encoding="utf-8")
    result = run_cli("build", ROOT / "content" / "nile-dispute", "--layout", evil,
                     "-o", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "issue.html.j2" in result.output and "unsafe" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


@pytest.mark.parametrize("manifest, message", [
    ('extends = "policy-brief"\ncolour = 3\n', "unknown key 'colour'"),
    ('extends = "policy-brief"\n[colours]\naccent = "blue"\n', "bad colour accent = 'blue'"),
    ('extends = "policy-brief"\n[templates]\npdf = "nope.html.j2"\n',
     "missing template templates/nope.html.j2"),
    ('extends = "no-such-layout"\n', "unknown layout 'no-such-layout'"),
    ('name = "x"\n[fonts]\nbody = "Ghost Sans"\nheading = "Ghost Sans"\n', "templates"),
])
def test_manifest_errors_are_clear(tmp_path, manifest, message):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "layout.toml").write_text(manifest, encoding="utf-8")
    result = run_cli("build", ROOT / "content" / "nile-dispute", "--layout", folder,
                     "-o", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "layout.toml" in result.output and message in result.output
    assert not (tmp_path / "out").exists()


def test_layouts_new_copies_a_layout_that_builds_the_same(tmp_path, matrix):
    copy = tmp_path / "house-memo"
    result = run_cli("layouts", "new", "house-memo", "--from", "memo", "-o", copy)
    assert result.exit_code == 0, result.output
    assert 'name = "house-memo"' in (copy / "layout.toml").read_text()
    assert run_cli("build", ROOT / "content" / "nile-dispute", "--layout", copy,
                   "-o", tmp_path / "out", "-f", "pdf").exit_code == 0
    assert pdf_pages_text(tmp_path / "out" / "nile-dispute.pdf") == \
        pdf_pages_text(matrix / "memo" / "nile-dispute.pdf")
    again = run_cli("layouts", "new", "house-memo", "-o", copy)
    assert again.exit_code == 2 and "already exists" in again.output


def test_arabic_issue_is_right_to_left_in_pdf_and_docx(matrix):
    pdf = matrix / "policy-brief" / "arabic-brief.pdf"
    with pdfplumber.open(pdf) as doc:
        page = doc.pages[2]  # a page of contributions
        arabic = [c for c in page.chars if "\u0600" <= c["text"] <= "\u06ff"]
        latin = [c for c in page.chars if c["text"].isascii() and c["text"].isalpha()]
        assert arabic
        # right-aligned Arabic text: it reaches the right margin
        assert max(c["x1"] for c in arabic) > page.width - 70
    with pikepdf.open(pdf) as doc:
        assert str(doc.Root.Lang) == "ar"
    document = docx.Document(str(matrix / "policy-brief" / "arabic-brief.docx"))
    normal_ppr = document.styles["Normal"].element.pPr
    assert normal_ppr.find(qn("w:bidi")) is not None
    assert document.core_properties.language == "ar"
    english = next(p for p in document.paragraphs if p.text.startswith("“Communities near"))
    bidi = english._p.pPr.find(qn("w:bidi"))
    assert bidi is not None and bidi.get(qn("w:val")) == "0"  # an English piece reads LTR
    assert latin is not None


def test_latin_diacritics_everywhere(matrix):
    for layout in LAYOUTS:
        text = flat(" ".join(pdf_pages_text(matrix / layout / "nile-dispute.pdf")))
        assert "Élodie Marchetti" in text and "ÉM" in text or "Élodie Marchetti" in text
