"""Saddle-stitch imposition: reading-order pages → printer's sheets, with pikepdf.

A booklet of N pages (padded with blank pages to a multiple of 4) is printed
on N/4 sheets, both sides, two pages side by side, then folded and stapled.
Sheet k (from 0) carries, front: last-2k | 1+2k; back: 2+2k | last-1-2k (in
1-based page numbers), so that sheet 1's front shows page N beside page 1.
"""
from __future__ import annotations

from pathlib import Path

A4_LANDSCAPE = (841.89, 595.28)  # points


def booklet_order(pages: int) -> list[tuple[int | None, int | None]]:
    """(left, right) 0-based page indexes of each printed side; None is a blank."""
    padded = -(-pages // 4) * 4
    order = []
    for sheet in range(padded // 4):
        front = (padded - 1 - 2 * sheet, 2 * sheet)
        back = (2 * sheet + 1, padded - 2 - 2 * sheet)
        order += [front, back]
    return [tuple(i if i < pages else None for i in side) for side in order]


def impose_booklet(source: Path, target: Path, sheet_size=A4_LANDSCAPE) -> int:
    """Write the imposed booklet; returns the number of printed sides."""
    import pikepdf

    with pikepdf.open(source) as pdf, pikepdf.new() as out:
        pages = list(pdf.pages)
        width, height = sheet_size
        for left, right in booklet_order(len(pages)):
            side = out.add_blank_page(page_size=(width, height))
            for index, x0 in ((left, 0.0), (right, width / 2)):
                if index is None:
                    continue
                source_page = pages[index]
                # Place the trimmed page (TrimBox: the page without bleed or crop marks).
                form = source_page.as_form_xobject()
                trim = source_page.obj.get("/TrimBox", source_page.mediabox)
                form["/BBox"] = pikepdf.Array([float(v) for v in trim])
                side.add_overlay(out.copy_foreign(form),
                                 pikepdf.Rectangle(x0, 0, x0 + width / 2, height))
        out.docinfo["/Title"] = str(pdf.docinfo.get("/Title", "")) + " (booklet)"
        if "/Producer" in pdf.docinfo:
            out.docinfo["/Producer"] = pdf.docinfo["/Producer"]
        out.save(target, deterministic_id=True)
        return len(out.pages)
