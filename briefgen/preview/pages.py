"""The built PDF as the preview shows it: one PNG and one text per page, and
where each source line landed.

Pages are rendered with pypdfium2. Each image is named after a hash of its
pixels, so a page that did not change keeps its name (and the browser its
copy): after a one-word edit only the pages that look different are encoded
and sent again. The text of each page goes into the page's accessible
description, for screen readers (and the browser test).
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

#: the width, in pixels, a page is rendered at (sharp at the width it is shown at)
TARGET_WIDTH = 1100
#: never render above this scale (a small page) nor below 1 (a large one)
MAX_SCALE, MIN_SCALE = 2.5, 1.0


@dataclass(frozen=True)
class Page:
    number: int
    key: str
    width: int
    height: int
    text: str

    def as_dict(self) -> dict:
        return {"number": self.number, "key": self.key, "width": self.width,
                "height": self.height, "text": self.text}


def render_pages(pdf_path: Path, folder: Path) -> list[Page]:
    """Render every page of `pdf_path` into `folder/<key>.png` (only the images
    not there already are encoded) and read its text."""
    import pypdfium2 as pdfium

    folder.mkdir(parents=True, exist_ok=True)
    pages: list[Page] = []
    document = pdfium.PdfDocument(str(pdf_path))
    try:
        for index in range(len(document)):
            page = document[index]
            try:
                width, _height = page.get_size()
                scale = min(MAX_SCALE, max(MIN_SCALE, TARGET_WIDTH / width))
                bitmap = page.render(scale=scale)
                digest = hashlib.blake2b(digest_size=16)
                digest.update(f"{bitmap.width}x{bitmap.height}:".encode())
                digest.update(bitmap.buffer)
                key = digest.hexdigest()
                target = folder / f"{key}.png"
                if not target.exists():
                    temp = folder / f".{key}.{os.getpid()}.part"
                    bitmap.to_pil().save(temp, "PNG", compress_level=1)
                    os.replace(temp, target)
                textpage = page.get_textpage()
                try:
                    text = textpage.get_text_bounded()
                finally:
                    textpage.close()
                pages.append(Page(index + 1, key, bitmap.width, bitmap.height,
                                  _clean(text)))
                bitmap.close()
            finally:
                page.close()
    finally:
        document.close()
    return pages


def _clean(text: str) -> str:
    """Page text for a screen reader: lines kept, control characters dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in text if c == "\n" or c >= " ")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def named_destinations(pdf_path: Path) -> dict[str, int]:
    """The PDF's named destinations (the outline's section ids) → 1-based page."""
    import pikepdf

    found: dict[str, int] = {}
    with pikepdf.open(pdf_path) as pdf:
        names = pdf.Root.get("/Names")
        if names is None or "/Dests" not in names:
            return found
        numbers = {page.objgen: index for index, page in enumerate(pdf.pages, 1)}
        for name, target in pikepdf.NameTree(names.Dests).items():
            try:
                array = target.get("/D") if isinstance(target, pikepdf.Dictionary) else target
                page = numbers.get(array[0].objgen)
            except (AttributeError, IndexError, TypeError, KeyError):
                page = None
            if page:
                found[str(name)] = page
    return found


@dataclass(frozen=True)
class SourceMap:
    """Where source lines landed: (file, first line, page) for each section with a
    known source line (a headline's `## ` line, a front-matter key, a contributor)."""

    entries: tuple[tuple[str, int, int], ...] = ()

    @classmethod
    def of(cls, document, anchors: dict[str, int]) -> "SourceMap":
        from ..outline import build_outline
        from ..preflight import Sources

        sources = Sources(build_outline(document))
        entries: set[tuple[str, int, int]] = set()
        if sources.cover and sources.cover[0] and sources.cover[1]:
            entries.add((_absolute(sources.cover[0]), sources.cover[1], 1))
        for ident, (file, line) in sources.ids.items():
            if file and line and ident in anchors:
                entries.add((_absolute(file), line, anchors[ident]))
        people_page = anchors.get("contributors")
        if people_page:
            for file, line in sources.people.values():
                if file and line:
                    entries.add((_absolute(file), line, people_page))
        return cls(tuple(sorted(entries)))

    def page_of(self, file: str | None, line: int | None) -> int | None:
        """The page of the nearest section at or above `line` in `file`."""
        if not file:
            return None
        wanted = _absolute(file)
        best: tuple[int, int] | None = None
        first: tuple[int, int] | None = None
        for name, start, page in self.entries:
            if name != wanted:
                continue
            if first is None or start < first[0]:
                first = (start, page)
            if line and start <= line and (best is None or start >= best[0]):
                best = (start, page)
        chosen = best or first
        return chosen[1] if chosen else None


def _absolute(file: str | Path) -> str:
    return os.path.abspath(os.fspath(file))
