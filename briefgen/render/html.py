"""Model blocks → HTML fragments (escaped), for the HTML-based PDF writer."""
from __future__ import annotations

from markupsafe import Markup, escape

from ..model import (Block, Heading, ListBlock, Paragraph, Quote, Span, first_strong_direction,
                     is_allowed_link)


def spans_html(spans: tuple[Span, ...]) -> Markup:
    out = []
    for span in spans:
        text = escape(span.text).replace("\n", Markup("<br>"))
        if span.code:
            text = Markup("<code>%s</code>") % text
        if span.emphasis:
            text = Markup("<em>%s</em>") % text
        if span.strong:
            text = Markup("<strong>%s</strong>") % text
        if is_allowed_link(span.link):
            text = Markup('<a href="%s">%s</a>') % (span.link, text)
            # The last words of a link numbered for print (outline.NotedSpan): its number,
            # after the link, which the links list after the text gives with the URL.
            note = getattr(span, "note", 0)
            if note:
                text += Markup('<sup class="link-number">%d</sup>') % note
        out.append(text)
    return Markup("").join(out)


def blocks_html(blocks: tuple[Block, ...]) -> Markup:
    return Markup("\n").join(block_html(b) for b in blocks)


def block_html(block: Block) -> Markup:
    if isinstance(block, Paragraph):
        # dir="auto" by hand: an English bio in an Arabic issue reads left to right.
        direction = first_strong_direction(block.text)
        attr = Markup(' dir="%s"') % direction if direction else Markup("")
        return Markup("<p%s>%s</p>") % (attr, spans_html(block.spans))
    if isinstance(block, Heading):
        level = min(block.level + 1, 6)  # h1 title, h2 sections, h3 contributions → h4+
        return Markup("<h%d class=\"inner\">%s</h%d>") % (level, spans_html(block.spans), level)
    if isinstance(block, ListBlock):
        tag = "ol" if block.ordered else "ul"
        items = Markup("").join(Markup("<li>%s</li>") % blocks_html(item) for item in block.items)
        return Markup(f"<{tag}>") + items + Markup(f"</{tag}>")
    if isinstance(block, Quote):
        return Markup("<blockquote>%s</blockquote>") % blocks_html(block.blocks)
    raise TypeError(f"unknown block {type(block).__name__}")
