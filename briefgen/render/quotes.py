"""Pull quotes with balanced lines, estimated before layout.

A pull quote set line by line as full as it goes ends, often, with a short last
line ("…is a cubic metre missing / downstream."), and keeping its last two words
together (templating.no_widow) can make it worse. A typesetter narrows the
quote's measure until its lines are about even. WeasyPrint has no
`text-wrap: balance`, and a second layout costs as much as the first, so the
measure is found before layout: the quote's words are measured in its font
(advance widths from the font file, at its size), broken greedily as the line
breaker does, and the narrowest measure that keeps the same number of lines is
given to the quote's paragraph as its `max-width`, with a little slack for what
the estimate leaves out (kerning, ligatures: they make the real lines shorter,
never longer).

Only quotes whose last line would be less than `SHORT_LAST` of the measure are
narrowed, and only where every character is in the font (a quote in Arabic,
whose shaping changes the widths, is left as the line breaker sets it).
"""
from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path

from ..layouts import PAGE_SIZES, Layout

#: a last line shorter than this share of the measure is balanced
SHORT_LAST = 0.6
#: slack added to the balanced measure, for what the estimate leaves out
SLACK = 1.03
MM_PER_PT = 25.4 / 72

_QUOTE = re.compile(r'(<aside class="pull-quote"[^>]*>\s*<p)(>)(.*?)(</p>)', re.S)
_NOWRAP = re.compile(r'<span class="nowrap">(.*?)</span>', re.S)
_TAG = re.compile(r"<[^>]+>")


@lru_cache(maxsize=16)
def _metrics(path: Path) -> tuple[dict[int, float], float] | None:
    """Each character's advance width in em, and a space's, from a font file."""
    import logging

    from fontTools.ttLib import TTFont

    # (the head table of some fonts carries a zero date: fontTools says so, loudly)
    logging.getLogger("fontTools.ttLib.tables._h_e_a_d").setLevel(logging.ERROR)
    try:
        font = TTFont(str(path), lazy=True, fontNumber=0)
        cmap = font.getBestCmap() or {}
        hmtx, units = font["hmtx"], font["head"].unitsPerEm
        widths = {code: hmtx[glyph][0] / units for code, glyph in cmap.items()}
    except Exception:  # a font fontTools cannot read: no balancing, layout as usual
        return None
    return widths, widths.get(0x20, 0.25)


def _quote_face(layout: Layout) -> Path | None:
    """The file of the body family's italic (the pull quote's type), else its regular."""
    family = layout.fonts["body"]
    faces = [f for f in layout.faces if f.family == family]
    faces.sort(key=lambda f: (f.style != "italic", abs(f.weight - 400)))
    return faces[0].file if faces else None


def quote_measure_mm(layout: Layout, page_size: str | None, review_margin: float = 0) -> float:
    """The width a pull quote's lines have: the text column (the page less its
    margins and the side column) less the quote's indent and rule."""
    width = PAGE_SIZES[layout.page_size(page_size)][0]
    _, right, _, left = layout.margins_mm
    style = layout.style
    return (width - left - right - review_margin - style.get("side_column", 0)
            - style["indent_pull_quote"] - style["rule_pull_quote"] * MM_PER_PT)


def _lines(words: list[float], space: float, measure: float) -> list[float]:
    """Greedy line breaking: the widths of the lines `words` make at `measure`."""
    lines: list[float] = []
    current = None
    for word in words:
        if current is None:
            current = word
        elif current + space + word <= measure:
            current += space + word
        else:
            lines.append(current)
            current = word
    if current is not None:
        lines.append(current)
    return lines


def balanced_measure(words: list[float], space: float, measure: float) -> float | None:
    """The narrowest measure (≤ `measure`) that sets `words` in as many lines as
    `measure` does, or None where the lines are even enough already."""
    lines = _lines(words, space, measure)
    if len(lines) < 2 or lines[-1] >= SHORT_LAST * measure:
        return None
    low, high = max(max(words), sum(lines) / len(lines)), measure
    for _ in range(24):  # to well under a point
        middle = (low + high) / 2
        if len(_lines(words, space, middle)) > len(lines):
            low = middle
        else:
            high = middle
    return high


def balance_pull_quotes(html_text: str, layout: Layout, page_size: str | None,
                        review_margin: float = 0) -> str:
    """The HTML with each lopsided pull quote's paragraph narrowed to balance it."""
    if 'class="pull-quote"' not in html_text:
        return html_text
    face = _quote_face(layout)
    metrics = _metrics(face) if face is not None else None
    if metrics is None:
        return html_text
    widths, space = metrics
    size_mm = layout.style["size_pull_quote"] * MM_PER_PT
    measure = quote_measure_mm(layout, page_size, review_margin)

    def narrow(match: re.Match) -> str:
        inner = match.group(3)
        # the last two words kept together (no_widow) are one unit for the breaker
        units = []
        for part in re.split(r'(<span class="nowrap">.*?</span>)', inner, flags=re.S):
            text = html.unescape(_TAG.sub("", part))
            if part.startswith('<span class="nowrap">'):
                units.append(text)
            else:
                units.extend(w for w in text.split() if w)
        if not units or any(ord(c) not in widths for u in units for c in u if c != " "):
            return match.group(0)
        em = [sum(widths[ord(c)] for c in u if c != " ") + u.count(" ") * space
              for u in units]
        best = balanced_measure([w * size_mm for w in em], space * size_mm, measure)
        if best is None:
            return match.group(0)
        width = min(measure, best * SLACK)
        return (match.group(1) + f' style="max-width: {width:.1f}mm"' + match.group(2)
                + inner + match.group(4))

    return _QUOTE.sub(narrow, html_text)
