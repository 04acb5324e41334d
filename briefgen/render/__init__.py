"""Writers: one module per output format, all reading the same `Issue` model.

A writer is a function `write(issue, layout, target: Path, options: RenderOptions)`
registered in WRITERS under its format name and file extension; it returns a
dict of facts about what it wrote (for instance the PDF's page of each
section, which the DOCX writer uses to pre-fill its contents). Adding a format
means adding a module and a line here.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from importlib import import_module


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
    #: a Word template (.dotx/.docx) whose styles replace the DOCX's by name (--reference-docx)
    reference_docx: Path | None = None


# format name → (module, file extension); modules are imported only when used,
# so a PDF-only build never pays for python-docx and vice versa.
WRITERS = {
    "pdf": ("briefgen.render.pdf", ".pdf"),
    "docx": ("briefgen.render.docx", ".docx"),
}


def writer(fmt: str):
    module, _ = WRITERS[fmt]
    return import_module(module).write
