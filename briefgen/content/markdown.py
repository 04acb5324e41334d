"""Markdown → model blocks, via markdown-it-py.

Raw HTML is off: a `<script>` in a contribution is shown as text, never run or
passed to a writer. `==text==` marks a pull quote in place.

Cost: parsing is linear in the text (30,000 paragraphs, 3.8 MB: under 1 s), but
laying out is not free: about 1.7 ms and 45 kB of memory per paragraph in the
PDF. So one Markdown text (an issue's body, a bio) may hold at most MAX_BLOCKS
(10,000) paragraphs, headings, list items, quotes and code blocks, some 500
printed pages; beyond that loading stops with a `file:line` error at the first
block over the limit (`validate` says so too). An issue's bios together are
held to the same limit (issue_folder, with block_count).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.rules_inline import StateInline

from ..errors import ContentError
from ..model import Block, Heading, ListBlock, Paragraph, Quote, Span

MAX_BLOCKS = 10_000

# Curly quotes per language for markdown-it's typographer: print wants them.
_QUOTES = {
    "en": "“”‘’", "fr": "«»‹›", "it": "«»“”", "es": "«»“”", "de": "„“‚‘", "ar": "«»‹›",
    "pt": "«»“”", "nl": "“”‘’",
}


@lru_cache(maxsize=8)
def parser(lang: str = "en") -> MarkdownIt:
    quotes = _QUOTES.get(lang.split("-")[0], _QUOTES["en"])
    md = MarkdownIt("commonmark", {"html": False, "typographer": True, "quotes": quotes})
    md.enable(["replacements", "smartquotes", "strikethrough"])
    md.inline.ruler.before("emphasis", "mark", _mark_rule)
    return md


def _mark_rule(state: StateInline, silent: bool) -> bool:
    """`==text==` → mark_open … mark_close, its inside parsed as inline Markdown."""
    start = state.pos
    if not state.src.startswith("==", start):
        return False
    end = state.src.find("==", start + 2)
    if end < 0 or end == start + 2 or end > state.posMax:
        return False
    if not silent:
        state.push("mark_open", "mark", 1)
        old_max = state.posMax
        state.pos, state.posMax = start + 2, end
        state.md.inline.tokenize(state)
        state.posMax = old_max
        state.push("mark_close", "mark", -1)
    state.pos = end + 2
    return True


@dataclass
class TopBlock:
    """A top-level block and the (0-based) source line it starts on."""

    block: Block | None
    line: int
    tokens: list[Token]
    heading_level: int = 0  # 1 or 2 for the section headings the loader splits on
    heading_text: str = ""


def parse_top_blocks(text: str, lang: str = "en", *, path=None,
                     first_line: int = 1) -> list[TopBlock]:
    """Split Markdown into top-level blocks, keeping # and ## headings apart.

    `path` and `first_line` (where `text` starts in its file) place the error
    raised when the text has more than MAX_BLOCKS blocks."""
    tokens = parser(lang).parse(text)
    _check_size(tokens, path, first_line)
    result: list[TopBlock] = []
    i = 0
    while i < len(tokens):
        start = i
        depth = 0
        while True:
            depth += tokens[i].nesting
            i += 1
            if depth == 0:
                break
        group = tokens[start:i]
        first = group[0]
        line = first.map[0] if first.map else 0
        if first.type == "heading_open" and first.tag in ("h1", "h2"):
            inline = group[1]
            result.append(TopBlock(None, line, group, int(first.tag[1]),
                                   "".join(s.text for s in _spans(inline.children or []))))
            continue
        block = _block(group)
        if block is not None:
            result.append(TopBlock(block, line, group))
    return result


def _check_size(tokens: list[Token], path, first_line: int) -> None:
    count = 0
    for tok in tokens:
        if (tok.nesting == 1 and tok.type not in ("bullet_list_open", "ordered_list_open")) \
                or tok.type in ("fence", "code_block", "html_block"):
            count += 1
            if count > MAX_BLOCKS:
                line = first_line + tok.map[0] if tok.map and path is not None else None
                raise ContentError(f"more than {MAX_BLOCKS:,} paragraphs, headings and list "
                                   "items in one text", path=path, line=line,
                                   hint="split it into several issues (a pack binds them)")


def block_count(blocks) -> int:
    """Paragraphs, headings, list items and quotes in `blocks`, nested ones included
    (what MAX_BLOCKS counts, for limits over several texts)."""
    count = 0
    for block in blocks:
        count += 1
        if isinstance(block, ListBlock):
            count += sum(block_count(item) for item in block.items)
        elif isinstance(block, Quote):
            count += block_count(block.blocks)
    return count


def to_blocks(text: str, lang: str = "en", *, path=None, first_line: int = 1) -> tuple[Block, ...]:
    """Markdown text (a bio, say) → blocks; # and ## headings become level-3 headings."""
    blocks = []
    for top in parse_top_blocks(text, lang, path=path, first_line=first_line):
        if top.block is None:
            blocks.append(Heading(3, _spans(top.tokens[1].children or [])))
        else:
            blocks.append(top.block)
    return tuple(blocks)


def inline_spans(text: str, lang: str = "en") -> tuple[Span, ...]:
    """One line of inline Markdown (emphasis, links) → spans."""
    tokens = parser(lang).parseInline(text)
    return _spans(tokens[0].children or []) if tokens else ()


def _block(group: list[Token]) -> Block | None:
    first = group[0]
    kind = first.type
    if kind == "paragraph_open":
        return Paragraph(_spans(group[1].children or []))
    if kind == "heading_open":
        return Heading(max(3, int(first.tag[1])), _spans(group[1].children or []))
    if kind in ("bullet_list_open", "ordered_list_open"):
        return ListBlock(kind == "ordered_list_open", tuple(_list_items(group[1:-1])))
    if kind == "blockquote_open":
        return Quote(tuple(_blocks(group[1:-1])))
    if kind in ("fence", "code_block"):
        return Paragraph((Span(first.content.rstrip("\n"), code=True),))
    if kind == "html_block":  # only when html is on; kept as visible text
        return Paragraph((Span(first.content.strip()),))
    return None  # hr: a thematic break has no place in a briefing's prose


def _blocks(tokens: list[Token]) -> list[Block]:
    out, i = [], 0
    while i < len(tokens):
        start, depth = i, 0
        while True:
            depth += tokens[i].nesting
            i += 1
            if depth == 0:
                break
        block = _block(tokens[start:i])
        if block is not None:
            out.append(block)
    return out


def _list_items(tokens: list[Token]):
    i = 0
    while i < len(tokens):
        start, depth = i, 0
        while True:
            depth += tokens[i].nesting
            i += 1
            if depth == 0:
                break
        yield tuple(_blocks(tokens[start + 1:i - 1]))


def _spans(children: list[Token]) -> tuple[Span, ...]:
    spans: list[Span] = []
    strong = emphasis = marked = 0
    link: list[str] = []
    for tok in children:
        t = tok.type
        if t == "text" or t == "html_inline":
            text = tok.content
        elif t == "code_inline":
            spans.append(Span(tok.content, code=True, link=link[-1] if link else None))
            continue
        elif t in ("softbreak",):
            text = " "
        elif t == "hardbreak":
            text = "\n"
        elif t == "strong_open":
            strong += 1
            continue
        elif t == "strong_close":
            strong -= 1
            continue
        elif t == "em_open":
            emphasis += 1
            continue
        elif t == "em_close":
            emphasis -= 1
            continue
        elif t == "mark_open":
            marked += 1
            continue
        elif t == "mark_close":
            marked -= 1
            continue
        elif t == "link_open":
            link.append(str(tok.attrs.get("href", "")))
            continue
        elif t == "link_close":
            link.pop()
            continue
        elif t == "image":
            # Inline images have no place in prose columns; keep their alt text.
            text = tok.content
        else:
            text = tok.content
        if not text:
            continue
        span = Span(text, strong=bool(strong), emphasis=bool(emphasis),
                    link=link[-1] if link else None, marked=bool(marked))
        if spans and _same_format(spans[-1], span):
            spans[-1] = Span(spans[-1].text + text, span.strong, span.emphasis, span.code,
                             span.link, span.marked)
        else:
            spans.append(span)
    return tuple(spans)


def _same_format(a: Span, b: Span) -> bool:
    return (a.strong, a.emphasis, a.code, a.link, a.marked) == (b.strong, b.emphasis, b.code,
                                                                 b.link, b.marked)


def smart_text(text: str, lang: str = "en") -> str:
    """Plain text with print typography (curly quotes, dashes, ellipses) applied."""
    if not text:
        return text
    return "".join(span.text for span in inline_spans(text, lang))
