"""The DOCX writer, in layers like python-docx's own:

- `writer`: walks the outline (cover, contents, sections, bios, back);
- `styles`: the Word styles, from the layout (`define_styles`);
- `oxml`: low-level XML helpers (fields, bookmarks, links, borders, shading);
- `package`: properties, reproducible saving, page numbers filled in afterwards;
- `names`: the style names, shared with the importer (a file-format contract).
"""
from __future__ import annotations

from .names import *  # noqa: F401,F403  (style names, as before the split)
from ..base import Writer, register


def write(*args, **kwargs):
    """`writer.write`, imported when first called: choosing the writers (the
    registry reads this module's class) imports no python-docx, so a build with
    the PDF imports it in the worker that writes the DOCX, not before the fork."""
    from .writer import write as write_docx

    return write_docx(*args, **kwargs)


@register
class DocxWriter(Writer):
    """The DOCX format: its contents and page references take the PDF's page numbers,
    and it starts a page where the PDF does at a section (see writer._heading_for)."""

    name, suffix = "docx", ".docx"
    needs = frozenset({"page_numbers", "page_starts", "fitted", "back_run_in",
                       "blank_pages"})

    def prepare(self, outline, layout, options) -> None:
        from . import writer  # python-docx, while the PDF is laid out

        writer.prepare(outline, layout, options)  # the styles, pictures and fonts too

    def write(self, outline, layout, target, options, facts) -> dict:
        from dataclasses import replace

        if facts.get("fitted"):  # the PDF set the document tighter: so do its styles
            layout = layout.fitted()
        return write(outline.document, layout, target,
                     replace(options, page_numbers=facts.get("page_numbers"),
                             page_starts=tuple(facts.get("page_starts") or ()),
                             back_run_in=bool(facts.get("back_run_in")),
                             blank_pages=tuple(facts.get("blank_pages") or ()),
                             cover_gap=facts.get("cover_gap")),
                     outline=outline) or {}


__all__ = ["DocxWriter", "write"]
