"""Saddle-stitch imposition: reading-order pages → printer's sheets, with pikepdf.

A booklet of N pages is printed on ⌈N/4⌉ sheets, both sides, two pages side by
side, then folded and stapled. When N is not a multiple of 4 the blank pages
go just before the back cover, so that the last page stays the back cover.

Sheet k (from 0), in the padded sequence of P pages (1-based): front shows
P-2k beside 1+2k, back shows 2+2k beside P-1-2k. That is for a book bound on
the left; a right-to-left document (Arabic, Hebrew…) is bound on the right, so
every side is mirrored: sheet 1's front shows page 1 on the left, the last
page on the right.

The pages are placed at their size, never scaled: the sheet is the smallest
of SHEETS that holds two pages side by side (A5 pages on A4, A4 on A3, Letter
on Tabloid/Ledger), or the build stops with an error. With --print, each page
brings its bleed (except at the fold), the sheet's TrimBox is the spread, and
crop marks, fold marks and a slug line are drawn outside its bleed (marks.py).
"""
from __future__ import annotations

from pathlib import Path

from .marks import MM, job_date, job_name

#: booklet sheets, landscape, in mm, smallest first
SHEETS = (("A4", 297.0, 210.0), ("Tabloid/Ledger", 431.8, 279.4), ("A3", 420.0, 297.0))
#: a spread may exceed its sheet by this much (rounding of mm to points)
FIT_TOLERANCE_MM = 0.5


def booklet_sequence(pages: int) -> list[int | None]:
    """Reading order padded to a multiple of 4: blanks (None) before the back cover."""
    padded = -(-pages // 4) * 4
    if pages < 2:
        return list(range(pages)) + [None] * (padded - pages)
    return list(range(pages - 1)) + [None] * (padded - pages) + [pages - 1]


def booklet_order(pages: int, rtl: bool = False) -> list[tuple[int | None, int | None]]:
    """(left, right) 0-based page indexes of each printed side; None is a blank."""
    sequence = booklet_sequence(pages)
    padded = len(sequence)
    order = []
    for sheet in range(padded // 4):
        front = (sequence[padded - 1 - 2 * sheet], sequence[2 * sheet])
        back = (sequence[2 * sheet + 1], sequence[padded - 2 - 2 * sheet])
        order += [front, back]
    return [(right, left) for left, right in order] if rtl else order


def choose_sheet(page_width: float, page_height: float) -> tuple[str, float, float]:
    """(name, width, height) in points of the smallest sheet that holds two pages
    (sizes in points) side by side at 100%."""
    from ..errors import UsageError

    spread_w, spread_h = 2 * page_width / MM, page_height / MM
    for name, width, height in SHEETS:
        if spread_w <= width + FIT_TOLERANCE_MM and spread_h <= height + FIT_TOLERANCE_MM:
            return name, width * MM, height * MM
    raise UsageError(f"no booklet sheet holds two {page_width / MM:.0f} × "
                     f"{page_height / MM:.0f} mm pages side by side (largest: A3)",
                     hint="build with a smaller --page-size, or without --impose booklet")


def is_rtl(pdf) -> bool:
    from ..model import text_direction

    return text_direction(str(pdf.Root.get("/Lang", ""))) == "rtl"


def impose_booklet(source: Path, target: Path, print_marks: bool = False,
                   rtl: bool | None = None) -> int:
    """Write the imposed booklet; returns the number of printed sides."""
    import pikepdf

    from .marks import add_marks, page_boxes

    with pikepdf.open(source) as pdf, pikepdf.new() as out:
        pages = list(pdf.pages)
        rtl = is_rtl(pdf) if rtl is None else rtl
        trim, bleed = page_boxes(pages[0])
        page_w, page_h = trim.x1 - trim.x0, trim.y1 - trim.y0
        sheet_name, sheet_w, sheet_h = choose_sheet(page_w, page_h)
        if print_marks:  # the sheet is cut to the spread: its trim is the spread
            width, height = 2 * page_w, page_h
        else:  # the spread centred on the sheet, which is printed as it is
            width, height = sheet_w, sheet_h
        x_spine, y_foot = width / 2, (height - page_h) / 2
        if print_marks:
            grow = max(bleed.x1 - trim.x1, trim.x0 - bleed.x0,
                       bleed.y1 - trim.y1, trim.y0 - bleed.y0)
        order = booklet_order(len(pages), rtl)
        for left, right in order:
            side = out.add_blank_page(page_size=(width, height))
            if print_marks:
                side.obj["/TrimBox"] = pikepdf.Array([0, 0, width, height])
                side.obj["/BleedBox"] = pikepdf.Array([-grow, -grow, width + grow, height + grow])
            for index, on_left in ((left, True), (right, False)):
                if index is None:
                    continue
                page = pages[index]
                p_trim, p_bleed = page_boxes(page)
                if print_marks:  # its bleed on the three sides away from the fold
                    clip = [p_bleed.x0, p_bleed.y0, p_trim.x1, p_bleed.y1] if on_left else \
                        [p_trim.x0, p_bleed.y0, p_bleed.x1, p_bleed.y1]
                else:
                    clip = [p_trim.x0, p_trim.y0, p_trim.x1, p_trim.y1]
                # The trimmed page lands against the spine, at 100%.
                x = x_spine - page_w if on_left else x_spine
                form = out.copy_foreign(page.as_form_xobject())
                form["/BBox"] = pikepdf.Array([round(v, 4) for v in clip])
                _place(out, side, form, x - p_trim.x0, y_foot - p_trim.y0)
        if print_marks:
            job, date = job_name(target), job_date(pdf)
            binding = "bound right" if rtl else "bound left"
            slugs = [f"{job}  ·  {date}  ·  sheet {n // 2 + 1} {('front', 'back')[n % 2]}"
                     f"  ·  {sheet_name} booklet, {binding}" for n in range(len(order))]
            add_marks(out, slugs, folds=[width / 2] * len(order))
        out.docinfo["/Title"] = str(pdf.docinfo.get("/Title", "")) + " (booklet)"
        for key in ("/Producer", "/CreationDate", "/ModDate"):
            if key in pdf.docinfo:
                out.docinfo[key] = pdf.docinfo[key]
        out.save(target, deterministic_id=True)
        return len(out.pages)


def _place(pdf, side, form, dx: float, dy: float) -> None:
    """Draw `form` on `side`, moved by (dx, dy), unscaled."""
    import pikepdf

    resources = side.obj.get("/Resources")
    if resources is None:
        side.obj["/Resources"] = resources = pikepdf.Dictionary()
    if "/XObject" not in resources:
        resources["/XObject"] = pikepdf.Dictionary()
    name = f"/P{len(resources.XObject)}"
    resources.XObject[name] = form
    side.contents_add(pdf.make_stream(f"q 1 0 0 1 {dx:.4f} {dy:.4f} cm {name} Do Q\n".encode()))
