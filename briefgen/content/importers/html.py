"""HTML newsletters (email-style exports) → blocks, with the standard library's
HTML parser. Scripts, styles and images (tracking pixels, remote pictures) are
dropped, and nothing is ever fetched."""
from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from ...model import is_allowed_link
from ..yamlsrc import read_text
from .newsletter import SourceBlock, normalise

MAX_HTML_BYTES = 10_000_000
_SKIP = {"script", "style", "noscript", "template", "head", "title", "svg", "iframe", "object",
         "embed", "video", "audio", "canvas", "form", "button", "select", "textarea"}
_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "div", "td", "th",
           "section", "article", "header", "footer", "main", "aside", "center", "table", "tr",
           "ul", "ol", "dd", "dt", "figcaption", "pre", "address", "body", "html", "nav"}
_VOID = {"br", "img", "hr", "meta", "link", "input", "source", "wbr", "area", "base", "col"}


class _BlockParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[SourceBlock] = []
        self.text: list[str] = []
        self.links: list[str] = []
        self.start_line = 1
        self.tag_stack: list[str] = []
        self.skip_depth = 0
        self.dropped: list[tuple[str, int]] = []

    def _flush(self):
        text = normalise("".join(self.text))
        if text:
            tag = next((t for t in reversed(self.tag_stack) if t in _BLOCKS), "")
            self.blocks.append(SourceBlock(text, self.start_line, tag, self.links))
        self.text, self.links = [], []

    def handle_starttag(self, tag, attrs):
        if self.skip_depth:
            if tag not in _VOID:
                self.skip_depth += 1
            return
        if tag in _SKIP:
            self.skip_depth = 1
            return
        if tag == "img":
            self.dropped.append(("image " + (dict(attrs).get("src") or "")[:60], self.getpos()[0]))
            return
        if tag == "br":
            self.text.append(" ")
            return
        if tag in _BLOCKS:
            self._flush()
            self.start_line = self.getpos()[0]
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if is_allowed_link(href):
                self.links.append(href)
        if tag not in _VOID:
            self.tag_stack.append(tag)

    def handle_endtag(self, tag):
        if self.skip_depth:
            self.skip_depth -= 1
            return
        if tag in _BLOCKS:
            self._flush()
        if tag in self.tag_stack:
            while self.tag_stack and self.tag_stack.pop() != tag:
                pass

    def handle_data(self, data):
        if not self.skip_depth:
            if not "".join(self.text).strip():
                self.start_line = self.getpos()[0]
            self.text.append(data)


def html_blocks(path: Path) -> tuple[list[SourceBlock], list[tuple[str, int]]]:
    """Paragraph-level blocks with their line, and what was dropped (images)."""
    parser = _BlockParser()
    parser.feed(read_text(path, MAX_HTML_BYTES))
    parser.close()
    parser._flush()
    return parser.blocks, parser.dropped
