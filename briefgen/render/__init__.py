"""Writers: one module per output format, all walking the same `Outline`.

Each format is a `Writer` class (see base.py: a name, a suffix, the facts it
needs and provides, `write(outline, layout, target, options, facts) -> facts`)
registered by name. The built-in ones are registered here by import path and
imported only when used, so a PDF-only build never pays for python-docx, and
`--help` or `validate` for neither. Adding a format means adding a module whose
Writer class calls `register` (or a `register_lazy` line here).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .base import (Editions, Writer, defaults, get, names, ordered, register,  # noqa: F401
                   register_lazy, suppliers)


#: whether a document laid out whole stays kept once written, for a next build in
#: this process (the preview, a library user: render/repage.py). `briefgen build`
#: builds once and exits: it sets this False, and the kept layouts are let go
#: before the PDF is written, which then needs no more memory than WeasyPrint's.
KEEP_LAYOUTS = True


@dataclass(frozen=True)
class RenderOptions:
    page_size: str | None = None  # None: the layout's first page size
    #: print production: the layout's bleed around each page, and crop marks
    print_marks: bool = False
    #: a WeasyPrint PDF variant ("pdf/a-3b", "pdf/ua-1" …); None: tagged PDF 1.7
    pdf_variant: str | None = None
    #: let layouts fetch http(s) resources (off: only local files in the issue/layout)
    allow_remote: bool = False
    source_date_epoch: int | None = None
    #: warnings the writers raise (refused URLs, missing glyphs) are appended here
    warnings: list | None = None
    #: section id (see briefgen.outline) → page number, when a PDF was laid out
    page_numbers: dict | None = None
    #: section ids whose section begins a page in the PDF laid out with it
    page_starts: tuple[str, ...] = ()
    #: the back matter (call to action, colophon) runs in after the text instead of
    #: taking a page of its own: the PDF laid out with it did so (render/pdf.layout)
    back_run_in: bool = False
    #: the pages the PDF left blank (a booklet's verso before a recto opener)
    blank_pages: tuple[int, ...] = ()
    #: the room (pt) the PDF's cover leaves above the contributors listed at its foot
    cover_gap: float | None = None
    #: a Word template (.dotx/.docx) whose styles replace the DOCX's by name (--reference-docx)
    reference_docx: Path | None = None
    #: imposition of a companion file ("booklet"), for the writers that support "impose"
    impose: str | None = None
    #: a review print (--comments): the PDF shows the editor's open comments as margin
    #: notes (the DOCX always carries them as Word comments)
    comments: bool = False
    #: links printed as numbered notes (a superscript, and a list of the URLs after the
    #: piece) in any layout (--print-links); printed layouts do it anyway (links = "notes")
    print_links: bool = False


register_lazy("pdf", "briefgen.render.pdf:PdfWriter", default=True)
register_lazy("docx", "briefgen.render.docx:DocxWriter", default=True)
register_lazy("html", "briefgen.render.html_writer:HtmlWriter")

__all__ = ["RenderOptions", "Writer", "Editions", "defaults", "get", "names", "ordered",
           "register", "register_lazy", "suppliers"]
