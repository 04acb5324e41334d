"""Print production: crop marks and slug outside the bleed, booklets that keep
bleed and marks, right-to-left imposition, sheet sizes, mirrored folios."""
from __future__ import annotations

import subprocess

import pdfplumber
import pikepdf
import pypdf
import pytest

from briefgen.errors import BriefgenError
from briefgen.render.impose import booklet_order, choose_sheet

from .conftest import ROOT, need_tool, run_cli

MM = 72 / 25.4
CONTENT = ROOT / "content"


def build(out, sample, *args):
    result = run_cli("build", CONTENT / sample, "-o", out, "-f", "pdf", *args)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """The conference handout for the printer: --print and its booklet."""
    return build(tmp_path_factory.mktemp("print"), "nile-dispute", "-l", "conference",
                 "--print", "--impose", "booklet")


@pytest.fixture(scope="module")
def arabic(tmp_path_factory):
    return build(tmp_path_factory.mktemp("arabic"), "arabic-brief", "-l", "conference",
                 "--impose", "booklet")


@pytest.fixture(scope="module")
def conference(tmp_path_factory):
    return build(tmp_path_factory.mktemp("conference"), "nile-dispute", "-l", "conference")


def boxes(page):
    def box(name):
        x0, y0, x1, y1 = (float(v) for v in page.obj[name])
        return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)
    return box("/MediaBox"), box("/BleedBox"), box("/TrimBox")


def contains(outer, inner, by=0.0):
    return (outer[0] <= inner[0] - by + 0.01 and outer[1] <= inner[1] - by + 0.01
            and outer[2] >= inner[2] + by - 0.01 and outer[3] >= inner[3] + by - 0.01)


def mark_lines(page):
    """The stroked segments drawn in the printer's registration colour (/All)."""
    lines, in_marks, start = [], False, None
    for operands, operator in pikepdf.parse_content_stream(page):
        op = str(operator)
        if op == "CS":
            in_marks = str(operands[0]) == "/CSMarks"
        elif op == "m" and in_marks:
            start = tuple(float(v) for v in operands)
        elif op == "l" and in_marks and start:
            lines.append((start, tuple(float(v) for v in operands)))
        elif op == "Q":
            in_marks = False
    return lines


def outside_by(point, box):
    """How far a point lies outside a box (0 inside it)."""
    x, y = point
    dx = max(box[0] - x, 0, x - box[2])
    dy = max(box[1] - y, 0, y - box[3])
    return max(dx, dy)


def check_marks(page, folds=0):
    media, bleed, trim = boxes(page)
    assert contains(media, bleed, 3 * MM) and contains(bleed, trim)
    lines = mark_lines(page)
    assert len(lines) == 8 + 2 * folds  # two marks at each corner (+ fold marks)
    for start, end in lines:
        for point in (start, end):
            assert outside_by(point, bleed) >= 3 * MM - 0.01  # never within 3 mm of the bleed
            assert contains(media, (*point, *point))
        # each mark continues a trim line (or the fold)
        xs, ys = {round(start[0], 1), round(end[0], 1)}, {round(start[1], 1), round(end[1], 1)}
        assert (len(ys) == 1 and ys <= {round(trim[1], 1), round(trim[3], 1)}) or len(xs) == 1
    return media, bleed, trim


def test_print_pdf_has_marks_outside_the_bleed_on_a_larger_media_box(printed):
    with pikepdf.open(printed / "nile-dispute.pdf") as pdf:
        for page in pdf.pages:
            media, bleed, trim = check_marks(page)
            assert trim[2] - trim[0] == pytest.approx(148 * MM, abs=0.2)  # A5, trimmed
            assert trim[0] - bleed[0] == pytest.approx(3 * MM, abs=0.05)  # 3 mm bleed
            assert bleed[0] - media[0] >= 3 * MM + 5 * MM  # room for the gap and the marks
            # marks at the trim lines: vertical ones at the trim's x, horizontal at its y
            xs = {round(s[0], 1) for s, e in mark_lines(page) if s[0] == e[0]}
            assert xs == {round(trim[0], 1), round(trim[2], 1)}


def test_slug_line_names_job_date_and_page_and_its_font_is_embedded(printed):
    reader = pypdf.PdfReader(printed / "nile-dispute.pdf")
    total = len(reader.pages)
    for number, page in enumerate(reader.pages, 1):
        text = page.extract_text()
        assert "nile-dispute.pdf" in text and "2026-11-20" in text
        assert f"page {number} of {total}" in text
    with pikepdf.open(printed / "nile-dispute.pdf") as pdf:
        for font in fonts(pdf):
            descriptor = font.get("/FontDescriptor")
            if descriptor is None:  # a Type0 font: its descendant has the descriptor
                descriptor = font.DescendantFonts[0].FontDescriptor
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def fonts(pdf):
    seen = []
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font" \
                and obj.get("/Subtype") != "/Type3" and obj.get("/Subtype") != "/Type0":
            seen.append(obj)
    assert seen
    return seen


def pixels(pdf_path, page, dpi=72):
    """The page rendered as a grayscale image (1 pixel = 1 pt at 72 dpi), whole media box."""
    from PIL import Image

    need_tool("pdftoppm")
    out = subprocess.run(["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page),
                          "-gray", str(pdf_path)], capture_output=True, check=True).stdout
    import io

    return Image.open(io.BytesIO(out))


def test_the_ring_between_bleed_and_marks_is_blank(printed):
    """Nothing the printer adds comes within 3 mm of the bleed, on every page."""
    with pikepdf.open(printed / "nile-dispute.pdf") as pdf:
        media, bleed, _ = boxes(pdf.pages[2])
    image = pixels(printed / "nile-dispute.pdf", 3)
    left, top = media[0], media[3]

    def px(x, y):  # PDF point → pixel
        return image.getpixel((int(x - left), int(top - y)))
    ring = [(x, bleed[1] - 1.5 * MM) for x in range(int(bleed[0]), int(bleed[2]), 3)]
    ring += [(bleed[0] - 1.5 * MM, y) for y in range(int(bleed[1]), int(bleed[3]), 3)]
    assert all(px(x, y) > 250 for x, y in ring)
    # below it, the slug line and the marks are printed
    band = [px(x, y) for x in range(int(bleed[0]), int(bleed[2]))
            for y in range(int(bleed[1] - 9 * MM), int(bleed[1] - 3.5 * MM))]
    assert min(band) < 100


def test_booklet_keeps_bleed_and_marks(printed):
    with pikepdf.open(printed / "nile-dispute-booklet.pdf") as pdf:
        for page in pdf.pages:
            media, bleed, trim = check_marks(page, folds=1)
            # the sheet is cut to the spread: two A5 pages side by side, unscaled
            assert trim[2] - trim[0] == pytest.approx(2 * 148 * MM, abs=0.5)
            assert trim[3] - trim[1] == pytest.approx(210 * MM, abs=0.5)
            folds = {round(s[0], 1) for s, e in mark_lines(page) if s[0] == e[0]}
            assert round((trim[0] + trim[2]) / 2, 1) in folds
    # sheet 1 front: the cover, on the right, runs into the bleed beyond the trim
    image = pixels(printed / "nile-dispute-booklet.pdf", 1)
    with pikepdf.open(printed / "nile-dispute-booklet.pdf") as pdf:
        media, bleed, trim = boxes(pdf.pages[0])
    left, top = media[0], media[3]
    middle = int(top - (trim[1] + trim[3]) / 2)
    assert image.getpixel((int(trim[2] + 1.5 * MM - left), middle)) < 150  # cover colour
    assert image.getpixel((int(bleed[2] + 1.5 * MM - left), middle)) > 250  # then white
    text = pypdf.PdfReader(printed / "nile-dispute-booklet.pdf").pages[1].extract_text()
    assert "nile-dispute-booklet.pdf" in text and "sheet 1 back" in text


@pytest.mark.parametrize("pages", range(1, 14))
@pytest.mark.parametrize("rtl", [False, True])
def test_booklet_order_folds_in_the_reading_direction(pages, rtl):
    order = booklet_order(pages, rtl=rtl)
    padded = -(-pages // 4) * 4
    assert len(order) == padded // 2  # two sides per sheet
    placed = [i for side in order for i in side if i is not None]
    assert sorted(placed) == list(range(pages))  # every page once
    first, last = 0, pages - 1
    outer = order[0]
    if pages > 1:  # the cover and the back cover share the outside of sheet 1
        assert set(outer) == {first, last}
        # bound left, the cover is the right half; bound right, the left half
        assert outer.index(first) == (0 if rtl else 1)
    # the blanks sit just before the back cover, in reading order
    sequence = reading_sequence(order, rtl)
    if pages > 1:
        assert sequence[-1] == last
        assert sequence[:pages - 1] == list(range(pages - 1))
        assert all(i is None for i in sequence[pages - 1:-1])


def reading_sequence(order, rtl):
    """Unfold the sides back into reading order (independently of the formula):
    side 2k is sheet k's front (outer pair), 2k+1 its back (inner pair)."""
    sheets = len(order) // 2
    padded = 4 * sheets
    sequence = [None] * padded
    for k in range(sheets):
        front, back = order[2 * k], order[2 * k + 1]
        if rtl:
            front, back = front[::-1], back[::-1]
        # bound left: front = (page P-2k, page 1+2k), back = (page 2+2k, page P-1-2k)
        sequence[padded - 1 - 2 * k], sequence[2 * k] = front
        sequence[2 * k + 1], sequence[padded - 2 - 2 * k] = back
    return sequence


def half_texts(pdf_path):
    with pdfplumber.open(pdf_path) as pdf:
        for page in pdf.pages:
            w = page.width / 2
            yield tuple(set((page.crop((x, 0, x + w, page.height)).extract_text() or "").split())
                        for x in (0, w))


def identify(words, reading):
    """The reading page whose words these are (None for a blank half)."""
    if not words:
        return None
    score = [len(words & page) / len(words | page) for page in reading]
    best = max(range(len(reading)), key=score.__getitem__)
    assert score[best] > 0.6
    return best


def test_arabic_booklet_is_bound_on_the_right(arabic):
    with pdfplumber.open(arabic / "arabic-brief.pdf") as pdf:
        reading = [set((p.extract_text() or "").split()) for p in pdf.pages]
    sides = [tuple(identify(h, reading) for h in halves)
             for halves in half_texts(arabic / "arabic-brief-booklet.pdf")]
    pages = len(reading)
    assert sides[0] == (0, pages - 1)  # the cover on the left, the back cover on the right
    assert sides == booklet_order(pages, rtl=True)
    # A5 pages on an A4 sheet
    with pikepdf.open(arabic / "arabic-brief-booklet.pdf") as pdf:
        assert [round(float(v) / MM) for v in pdf.pages[0].mediabox] == [0, 0, 297, 210]


def test_a4_pack_booklet_is_on_a3_at_full_size(tmp_path):
    out = build(tmp_path, "board-pack", "--impose", "booklet")
    with pikepdf.open(out / "board-pack-booklet.pdf") as pdf:
        assert [round(float(v) / MM) for v in pdf.pages[0].mediabox] == [0, 0, 420, 297]
    with pdfplumber.open(out / "board-pack.pdf") as pdf:
        size = max(c["size"] for c in pdf.pages[0].chars)  # the cover title
        reading = [set((p.extract_text() or "").split()) for p in pdf.pages]
    with pdfplumber.open(out / "board-pack-booklet.pdf") as booklet:
        assert max(c["size"] for c in booklet.pages[0].chars) == pytest.approx(size, abs=0.05)
    sides = [tuple(identify(h, reading) for h in halves)
             for halves in half_texts(out / "board-pack-booklet.pdf")]
    assert sides == booklet_order(len(reading))
    assert sides[0][0] == len(reading) - 1  # the last page is never a blank


def test_sheet_fits_the_page_or_fails():
    assert choose_sheet(148 * MM, 210 * MM)[0] == "A4"
    assert choose_sheet(210 * MM, 297 * MM)[0] == "A3"
    assert choose_sheet(215.9 * MM, 279.4 * MM)[0] == "Tabloid/Ledger"
    with pytest.raises(BriefgenError, match="no booklet sheet"):
        choose_sheet(297 * MM, 420 * MM)  # A3 pages: never shrunk


def folio_x(pdf_path):
    """Page number → (x0, x1) of its folio ("Page N of M"), pages that have one."""
    found = {}
    with pdfplumber.open(pdf_path) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            words = page.extract_words()
            for i, word in enumerate(words):
                if word["text"] == "Page" and i + 1 < len(words) \
                        and words[i + 1]["text"] == str(number):
                    found[number] = (word["x0"], words[i + 3]["x1"], page.width)
    return found


def test_conference_folios_sit_on_the_outer_side(conference):
    folios = folio_x(conference / "nile-dispute.pdf")
    assert len(folios) >= 4
    for number, (x0, x1, width) in folios.items():
        if number % 2 == 0:  # a left page: the folio by its left edge
            assert x1 < width / 2, number
        else:  # a right page: by its right edge, away from the fold
            assert x0 > width / 2, number


def test_single_sided_layout_keeps_folios_on_one_side(tmp_path):
    out = build(tmp_path, "nile-dispute")
    folios = folio_x(out / "nile-dispute.pdf")
    assert len(folios) >= 3
    assert all(x0 > width / 2 for x0, _, width in folios.values())


def test_the_rebuild_cache_keeps_a_booklet_apart_from_a_plain_build(tmp_path, monkeypatch):
    """--impose booklet mirrors the pages of the PDF and the DOCX themselves: a cached
    plain build must not be served for it (nor the other way round)."""
    monkeypatch.setenv("BRIEFGEN_CACHE", "on")
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path / "cache"))
    sample = str(ROOT / "content" / "nile-dispute")
    assert run_cli("build", sample, "-o", tmp_path / "plain").exit_code == 0
    result = run_cli("build", sample, "--impose", "booklet", "-o", tmp_path / "booklet")
    assert result.exit_code == 0, result.output

    def folio_sides(path):
        with pdfplumber.open(path) as pdf:
            return [any(w["text"] == str(page.page_number) and w["x0"] < page.width / 2
                        for w in page.extract_words() if w["top"] > page.height - 75)
                    for page in pdf.pages[1:4]]

    assert folio_sides(tmp_path / "plain" / "nile-dispute.pdf") == [False, False, False]
    assert folio_sides(tmp_path / "booklet" / "nile-dispute.pdf") == [True, False, True]
