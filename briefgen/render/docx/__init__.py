"""The DOCX writer, in layers like python-docx's own:

- `writer`: walks the outline (cover, contents, sections, bios, back);
- `styles`: the Word styles, from the layout (`define_styles`);
- `oxml`: low-level XML helpers (fields, bookmarks, links, borders, shading);
- `package`: properties, reproducible saving, page numbers filled in afterwards;
- `names`: the style names, shared with the importer (a file-format contract).
"""
from __future__ import annotations

from .names import *  # noqa: F401,F403  (style names, as before the split)
from .writer import write
from ..base import Writer, register


@register
class DocxWriter(Writer):
    """The DOCX format: its contents and page references take the PDF's page numbers."""

    name, suffix = "docx", ".docx"
    needs = frozenset({"page_numbers"})

    def write(self, outline, layout, target, options, facts) -> dict:
        from dataclasses import replace

        numbers = facts.get("page_numbers")
        return write(outline.document, layout, target,
                     replace(options, page_numbers=numbers), outline=outline) or {}


__all__ = ["DocxWriter", "write"]
