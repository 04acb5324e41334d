"""The DOCX writer, in layers like python-docx's own:

- `writer`: walks the outline (cover, contents, sections, bios, back);
- `styles`: the Word styles, from the layout (`define_styles`);
- `oxml`: low-level XML helpers (fields, bookmarks, links, borders, shading);
- `package`: properties, reproducible saving, page numbers filled in afterwards;
- `names`: the style names, shared with the importer (a file-format contract).
"""
from __future__ import annotations

from .names import *  # noqa: F401,F403  (style names, as before the split)
from .package import PendingPageNumbers, fill_page_numbers
from .writer import write

__all__ = ["PendingPageNumbers", "fill_page_numbers", "write"]
