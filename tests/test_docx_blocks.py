"""The DOCX's title block, pack cover and pictures sit where the PDF's do, through
LibreOffice (the editor's view): the memo's one-line masthead, a memo pack's cover
on the page, and bio photos at the PDF's place beside their text."""
from __future__ import annotations

import zipfile

import docx
import pdfplumber
import pytest

from briefgen.content.issue_folder import load_issue

from .conftest import ROOT, need_tool, run_cli, soffice_to_pdf

MM = 72 / 25.4


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    out = tmp_path_factory.mktemp("docx-blocks")
    made = {}
    for sample, layout in (("nile-dispute", "memo"), ("board-pack", "memo"),
                           ("nile-dispute", "policy-brief")):
        target = out / f"{sample}-{layout}"
        result = run_cli("build", str(ROOT / "content" / sample), "--layout", layout,
                         "-o", str(target))
        assert result.exit_code == 0, result.output
        made[sample, layout] = target / f"{sample}.pdf", target / f"{sample}.docx"
    return made


def test_memo_masthead_is_one_line_and_imports_back(builds, tmp_path):
    _, path = builds["nile-dispute", "memo"]
    issue = load_issue(ROOT / "content" / "nile-dispute").issue
    first = docx.Document(str(path)).paragraphs[0]
    assert first.style.name == "Cover Series"
    assert first.text == f"{issue.publisher} · {issue.series}"
    assert [r.text for r in first.runs if r.style.name == "Publisher"] == [issue.publisher]
    result = run_cli("import", str(path), "-o", str(tmp_path / "back"))
    assert result.exit_code == 0, result.output
    back = load_issue(tmp_path / "back").issue
    assert (back.publisher, back.series) == (issue.publisher, issue.series)


def _words(pdf_path, page: int):
    with pdfplumber.open(pdf_path) as pdf:
        p = pdf.pages[page]
        return p.width, p.extract_words(), p.images


def test_a_memo_pack_cover_is_on_the_page(builds, tmp_path):
    """Its cover page has no side column: nothing may hang off the page's left edge."""
    need_tool("soffice")
    _, path = builds["board-pack", "memo"]
    lo = soffice_to_pdf(path, tmp_path)
    width, words, _ = _words(lo, 0)
    text = " ".join(w["text"] for w in words)
    assert "Water and Energy in the Mediterranean" in text
    assert min(w["x0"] for w in words) >= 17 * MM  # the memo's 18 mm margin


def test_pictures_have_no_space_around_them(builds):
    _, path = builds["nile-dispute", "policy-brief"]
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode()
    inlines = xml.count("<wp:inline")
    assert inlines >= 2
    for side in ("distT", "distB", "distL", "distR"):
        assert xml.count(f'<wp:inline {side}="0"') + xml.count(f' {side}="0"') >= inlines


def test_bio_photos_sit_where_the_pdf_puts_them(builds, tmp_path):
    need_tool("soffice")
    pdf_path, path = builds["nile-dispute", "policy-brief"]
    lo = soffice_to_pdf(path, tmp_path)

    def photo_columns(pdf_file):
        with pdfplumber.open(pdf_file) as pdf:
            return sorted({round(i["x0"] / MM, 1) for p in pdf.pages for i in p.images
                           if i["width"] < 40 * MM})

    pdf_x, docx_x = photo_columns(pdf_path), photo_columns(lo)
    assert pdf_x and docx_x
    assert abs(pdf_x[0] - docx_x[0]) < 0.5, (pdf_x, docx_x)


@pytest.mark.parametrize("sample", ["nile-dispute", "arabic-brief", "board-pack"])
def test_a_booklet_mirrors_margins_and_folios_in_both_writers(tmp_path, sample):
    """Conference is a booklet: the inner margin (by the fold) is wider than the outer,
    and the folio sits on the outer side, page by page the same in the PDF and in
    the DOCX through LibreOffice (a pack's section openers and dividers included);
    an Arabic booklet is bound on the right."""
    need_tool("soffice")
    result = run_cli("build", str(ROOT / "content" / sample), "--layout", "conference",
                     "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    lo = soffice_to_pdf(tmp_path / f"{sample}.docx", tmp_path / "lo")

    def sides(pdf_file):
        found = {}
        with pdfplumber.open(pdf_file) as pdf:
            for page in pdf.pages[1:]:
                # the footer spans the type area: its ends are the margins
                foot = [w for w in page.extract_words() if w["top"] > page.height - 40]
                folio = [w for w in foot if w["text"] == str(page.page_number)]
                if not folio:
                    continue  # the back page, a divider: no folio
                left = round(min(w["x0"] for w in foot) / MM)
                right = round((page.width - max(w["x1"] for w in foot)) / MM)
                found[page.page_number] = (left, right, folio[0]["x0"] < page.width / 2)
        return found

    pdf_sides, docx_sides = sides(tmp_path / f"{sample}.pdf"), sides(lo)
    assert pdf_sides == docx_sides and len(pdf_sides) >= 3
    rtl = sample == "arabic-brief"
    for number, (left, right, folio_left) in pdf_sides.items():
        # an even page is a left page, by the fold on its right (a right page, bound
        # on the right); the folio on the outer side, away from the inner margin
        assert (left > right) == ((number % 2 == 0) == rtl), (number, left, right)
        assert folio_left == (right > left), number


def _label_height(pdf_path, word: str) -> float:
    """Where `word` first stands on the first page, as a share of the page's height."""
    with pdfplumber.open(pdf_path) as pdf:
        page = pdf.pages[0]
        return next(w["top"] for w in page.extract_words() if w["text"] == word) / page.height


@pytest.mark.parametrize("sample, word", [("nile-dispute", "ISSUE"), ("energy-forum", "ISSUE"),
                                          ("board-pack", "PACK")])
def test_the_cover_lists_its_contributors_at_its_foot_in_both(sample, word, tmp_path):
    """The PDF sets a cover's "In this issue" (a pack's "In this pack") list from the
    page's foot; the DOCX puts its label as far below the text (the PDF's fact
    cover_gap, a line to spare): in LibreOffice it stands within 6% of the page's
    height of the PDF's, on the cover."""
    result = run_cli("build", str(ROOT / "content" / sample), "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    in_pdf = _label_height(tmp_path / f"{sample}.pdf", word)
    converted = soffice_to_pdf(tmp_path / f"{sample}.docx", tmp_path / "lo")
    in_docx = _label_height(converted, word)
    assert in_pdf > 0.65, in_pdf  # at the foot
    assert abs(in_docx - in_pdf) < 0.06, (in_docx, in_pdf)
