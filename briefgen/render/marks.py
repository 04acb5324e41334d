"""Printer's marks outside the bleed: crop marks, fold marks and a slug line.

WeasyPrint's `marks: crop` draws its marks inside the bleed, on a media box
that equals the bleed box. Instead, the PDF is laid out with `bleed` only and
then, with pikepdf, each page's MediaBox grows around its BleedBox by a gap
(MARK_GAP_MM, at least 3 mm), the marks' length and a little room; the TrimBox
and BleedBox stay as WeasyPrint set them. The crop marks continue the trim
lines, starting MARK_GAP_MM outside the bleed. The slug line (job, date, page)
sits in the band of the bottom marks, between them, so nothing the printer adds
comes nearer than MARK_GAP_MM to the bleed. Marks and slug are artifacts (not
part of the tagged structure); the slug's text is set by WeasyPrint with a
bundled font (embedded, as PDF/A asks) and drawn as a form XObject.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MM = 72 / 25.4
#: distance from the bleed box to the nearest point of any mark or of the slug
MARK_GAP_MM = 3.0
#: length of a crop or fold mark
MARK_LENGTH_MM = 6.0
#: room beyond the marks, so that no mark touches the media box's edge
MARK_ROOM_MM = 2.0
#: the slug line's distance from a crop mark, along the bottom band
SLUG_INSET_MM = 6.0
SLUG_SIZE_PT = 6.0
MARK_WIDTH_PT = 0.25


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    @classmethod
    def of(cls, array) -> "Box":
        x0, y0, x1, y1 = (float(v) for v in array)
        return cls(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))

    def grown(self, by: float) -> "Box":
        return Box(self.x0 - by, self.y0 - by, self.x1 + by, self.y1 + by)

    def array(self):
        import pikepdf

        return pikepdf.Array([round(v, 4) for v in (self.x0, self.y0, self.x1, self.y1)])


def page_boxes(page) -> tuple[Box, Box]:
    """(trim, bleed) of a page: the MediaBox when it has neither."""
    media = Box.of(page.obj.get("/MediaBox"))
    trim = Box.of(page.obj["/TrimBox"]) if "/TrimBox" in page.obj else media
    bleed = Box.of(page.obj["/BleedBox"]) if "/BleedBox" in page.obj else trim
    return trim, bleed


def marks_offset_mm() -> float:
    """How far the media box reaches beyond the bleed box."""
    return MARK_GAP_MM + MARK_LENGTH_MM + MARK_ROOM_MM


def add_marks(pdf, slugs: list[str], folds: list[float | None] | None = None) -> None:
    """Enlarge each page of `pdf` (an open pikepdf.Pdf) and draw its crop marks,
    its fold mark (at x = folds[i], in page space, when given) and slug line."""
    folds = folds or [None] * len(pdf.pages)
    strips = slug_strips(slugs, min(_slug_width(page, fold)
                                    for page, fold in zip(pdf.pages, folds)))
    import io

    import pikepdf

    from .pdf import overlay_artifact

    registration = _registration(pdf)
    with pikepdf.open(io.BytesIO(strips)) as strip_pdf:
        for page, fold, strip in zip(pdf.pages, folds, strip_pdf.pages):
            trim, bleed = page_boxes(page)
            page.obj["/TrimBox"], page.obj["/BleedBox"] = trim.array(), bleed.array()
            page.obj["/MediaBox"] = bleed.grown(marks_offset_mm() * MM).array()
            if "/CropBox" in page.obj:
                del page.obj["/CropBox"]
            _draw_marks(pdf, page, trim, bleed, fold, registration)
            band_top = bleed.y0 - MARK_GAP_MM * MM
            left = trim.x0 + SLUG_INSET_MM * MM
            width = float(strip.mediabox[2]) - float(strip.mediabox[0])
            overlay_artifact(pdf, page, strip.as_form_xobject(), pikepdf.Rectangle(
                left, band_top - MARK_LENGTH_MM * MM, left + width, band_top))


def _slug_width(page, fold: float | None) -> float:
    trim, _ = page_boxes(page)
    right = fold if fold is not None else trim.x1
    return max(right - trim.x0 - 2 * SLUG_INSET_MM * MM, 20 * MM)


def _draw_marks(pdf, page, trim: Box, bleed: Box, fold: float | None, registration) -> None:
    import pikepdf

    gap, length = MARK_GAP_MM * MM, MARK_LENGTH_MM * MM
    lines = []
    for y in (trim.y0, trim.y1):  # horizontal marks, left and right of the page
        lines.append(((bleed.x0 - gap - length, y), (bleed.x0 - gap, y)))
        lines.append(((bleed.x1 + gap, y), (bleed.x1 + gap + length, y)))
    for x in (trim.x0, trim.x1):  # vertical marks, below and above
        lines.append(((x, bleed.y0 - gap - length), (x, bleed.y0 - gap)))
        lines.append(((x, bleed.y1 + gap), (x, bleed.y1 + gap + length)))
    stream = [f"/Artifact BMC q /CSMarks CS 1 SCN {MARK_WIDTH_PT} w 0 J [] 0 d"]
    for (x0, y0), (x1, y1) in lines:
        stream.append(f"{x0:.3f} {y0:.3f} m {x1:.3f} {y1:.3f} l S")
    if fold is not None:  # a dashed fold mark above and below the spine
        stream.append("[2 1.5] 0 d")
        for y0, y1 in ((bleed.y0 - gap - length, bleed.y0 - gap),
                       (bleed.y1 + gap, bleed.y1 + gap + length)):
            stream.append(f"{fold:.3f} {y0:.3f} m {fold:.3f} {y1:.3f} l S")
    stream.append("Q EMC\n")
    resources = page.resources
    if pikepdf.Name.ColorSpace not in resources:
        resources[pikepdf.Name.ColorSpace] = pikepdf.Dictionary()
    resources.ColorSpace["/CSMarks"] = registration
    page.contents_add(b"q\n", prepend=True)
    page.contents_add(b"Q\n")
    page.contents_add(pdf.make_stream(" ".join(stream).encode()))


def _registration(pdf):
    """The /All separation (printed on every plate), black where shown on screen."""
    import pikepdf

    tint = pdf.make_indirect(pikepdf.Dictionary(
        FunctionType=2, Domain=[0, 1], C0=[1], C1=[0], N=1))
    return pdf.make_indirect(pikepdf.Array(
        [pikepdf.Name.Separation, pikepdf.Name("/All"), pikepdf.Name.DeviceGray, tint]))


SLUG_CSS = """
@font-face { font-family: "Briefgen Slug"; src: url(%(font)s); }
@page { size: %(width).3fpt %(height).3fpt; margin: 0; }
html, body { margin: 0; }
p { margin: 0; height: %(height).3fpt; line-height: %(height).3fpt; white-space: nowrap;
    overflow: hidden; font: %(size)gpt "Briefgen Slug"; color: #000; break-after: page; }
"""


def slug_strips(slugs: list[str], width: float) -> bytes:
    """One page per slug: its text on one line, `width` points by the marks' length."""
    from markupsafe import escape
    from weasyprint import CSS, HTML

    from ..layouts import builtin_layouts_dir
    from .pdf import _quiet_weasyprint
    from .weasy import font_configuration

    font = builtin_layouts_dir() / "policy-brief" / "fonts" / "NotoSans-Regular.ttf"
    fonts = font_configuration()
    css = CSS(string=SLUG_CSS % {"font": font.as_uri(), "width": width,
                                 "height": MARK_LENGTH_MM * MM, "size": SLUG_SIZE_PT},
              font_config=fonts)
    html = HTML(string="<html><body>" + "".join(f"<p>{escape(s)}</p>" for s in slugs)
                + "</body></html>")
    with _quiet_weasyprint():
        return html.write_pdf(stylesheets=[css], font_config=fonts)


def job_name(target: Path) -> str:
    """The file's published name (a staged file is `.NAME.PID.RANDOM.part`)."""
    found = re.fullmatch(r"\.(.+)\.\d+\.[A-Za-z0-9_]+\.part", target.name)
    return found.group(1) if found else target.name


def job_date(pdf) -> str:
    stamp = str(pdf.docinfo.get("/CreationDate", ""))
    found = re.match(r"D:(\d{4})(\d{2})(\d{2})", stamp)
    return "-".join(found.groups()) if found else ""


def mark_print_pdf(path, job: str) -> None:
    """Add crop marks and slug lines (job, date, page) to every page of the PDF at
    `path` (rewritten)."""
    import pikepdf

    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        add_page_marks(pdf, job)
        pdf.save(path, deterministic_id=True)


def add_page_marks(pdf, job: str) -> None:
    """Crop marks and a slug line (job, date, page N of M) on every page of an open PDF."""
    total, date = len(pdf.pages), job_date(pdf)
    add_marks(pdf, [f"{job}  ·  {date}  ·  page {n} of {total}" for n in range(1, total + 1)])
