"""HTML writer (`--format html`): the document WeasyPrint lays out, for a browser.

Writes `<slug>.html`, the exact HTML the PDF is made from (after the PDF writer's
makeup passes: fitted tokens, balanced chapters, hyphen ladders), and beside it
the folder `<slug>-assets/` with what it loads: the stylesheets the PDF writer
hands WeasyPrint (the page CSS made from layout.toml, then the layout's
style.css files, as <layout>.css), the fonts, pictures and cover images. Every reference is relative,
so the page opens in a browser without network access, and a bare
`weasyprint.HTML(filename="<slug>.html").write_pdf()` lays out the same pages as
the build (without what the build draws onto them afterwards: a pack's annexes
on their placeholder pages, --print's crop marks and slug line).

The stylesheets go in as `<link>` elements before the template's own `<style>`:
the build passes them to WeasyPrint as user stylesheets, which the template's
rules override, as they override these from earlier in the document.

A resource the build refused (outside the issue and layout folders, or remote
without --allow-remote) is `about:invalid` here: left out, as in the PDF.
"""
from __future__ import annotations

import html as html_escape
import re
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

from .. import fsguard
from ..errors import LayoutError, UsageError
from .base import Writer, register
from .common import source_folders

#: the assets folder's name after the document's slug
ASSETS = "-assets"
#: what a refused resource becomes: a URL nothing can load
REFUSED = "about:invalid"

_FILE_URL = re.compile(r"file://[^\s\"'()<>\\]+")
#: src="…" in the HTML, and url(…) in its inline <style> and style="" attributes
_HTML_SRC = re.compile(r"""(\bsrc=)(["'])(.*?)\2""", re.S)
_STYLE_ELEMENT = re.compile(r"(<style(?=[\s>])[^>]*>)(.*?)(</style\s*>)", re.S | re.I)
_STYLE_ATTRIBUTE = re.compile(r"""(\bstyle=)(["'])(.*?)\2""", re.S)
_TAG = re.compile(r"<[A-Za-z][^>]*>")


class Assets:
    """The files an HTML document loads, gathered under new relative names."""

    def __init__(self, roots: tuple[Path, ...], allow_remote: bool, warnings: list):
        self.roots = tuple(Path(root) for root in roots)
        self.allow_remote, self.warnings = allow_remote, warnings
        self.files: dict[str, bytes] = {}   # name in the folder → contents
        self.names: dict[str, str] = {}     # absolute URL → name in the folder

    def name_for(self, url: str) -> str | None:
        """The asset name of an absolute URL (read now), or None when it is refused."""
        if url in self.names:
            return self.names[url]
        from .fetch import refusal

        if refusal(url, tuple(r.resolve() for r in self.roots), self.allow_remote):
            return None
        parts = urlsplit(url)
        if parts.scheme.lower() == "file":
            data = self._local(Path(unquote(parts.path)))
        else:  # http(s), with --allow-remote: fetched once, kept for the browser
            from .fetch import ConfinedFetcher

            response = ConfinedFetcher(self.roots, self.warnings, allow_remote=True).fetch(url)
            data = response.read()
        if data is None:
            return None
        return self.add(Path(unquote(parts.path)).name or "resource", data, url)

    def add(self, wanted: str, data: bytes, url: str | None = None) -> str:
        """Keep `data` as `wanted` (numbered when the name is taken); its name."""
        stem, dot, suffix = wanted.rpartition(".")
        stem, suffix = (stem, dot + suffix) if dot and stem else (wanted, "")
        name, number = wanted, 1
        while name in self.files:
            number += 1
            name = f"{stem}-{number}{suffix}"
        self.files[name] = data
        if url is not None:
            self.names[url] = name
        return name

    def _local(self, path: Path) -> bytes | None:
        """A file inside the roots, read through fsguard from the root it lies in."""
        for root in self.roots:
            if fsguard.is_inside(root, path) and path.is_file():
                relative = Path(path).resolve().relative_to(root.resolve())
                return fsguard.read_bytes(root, relative, what="resource", error=LayoutError)
        return None

    def relative(self, url: str, prefix: str) -> str:
        """`url` as the browser should load it: `prefix` + its asset name, a data:
        URL as it is, REFUSED when the build would not load it either."""
        if url.lower().startswith(("data:", "about:", "#")) or not url:
            return url
        name = self.name_for(url)
        return prefix + quote(name) if name is not None else REFUSED


def css_urls(text: str, resolve) -> str:
    """CSS with each URL it loads, url(…) and @import's, replaced by `resolve(url)`
    (found by fetch.css_references, with CSS's own tokenizer: a "url(…)" inside a
    string stays as it is)."""
    from .fetch import css_references, may_load

    if not may_load(text):
        return text
    import tinycss2
    from tinycss2.ast import StringToken, URLToken
    from tinycss2.serializer import serialize_string_value, serialize_url

    values = tinycss2.parse_component_value_list(text)
    for holder, index, _, ref in list(css_references(values)):
        node, url = holder[index], resolve(ref)
        holder[index] = (URLToken(node.source_line, node.source_column, url,
                                  f"url({serialize_url(url)})") if node.type == "url" else
                         StringToken(node.source_line, node.source_column, url,
                                     f'"{serialize_string_value(url)}"'))
    return tinycss2.serialize(values)


def rewrite_css(text: str, base: str, assets: Assets, prefix: str = "") -> str:
    """A stylesheet with every url() and @import pointing at its asset (names relative
    to the stylesheet, which lies in the assets folder too)."""
    return css_urls(text, lambda ref: assets.relative(
        urljoin(base, ref.strip()) if base else ref.strip(), prefix))


def rewrite_html(text: str, base: str, assets: Assets, prefix: str) -> str:
    """The document with its resources loaded from the assets folder: src="",
    url() in its <style> elements and style="" attributes, and file: URLs in any
    other attribute. Text between the tags is left as it is."""
    def url(value: str) -> str:
        return assets.relative(urljoin(base, html_escape.unescape(value)), prefix)

    def css(value: str) -> str:
        return css_urls(value, lambda ref: assets.relative(urljoin(base, ref), prefix))

    def attribute(value: str) -> str:
        """A style="" attribute's CSS (its entities read first, written again after)."""
        plain = html_escape.unescape(value)
        done = css(plain)
        return value if done == plain else html_escape.escape(done)

    def tag(match) -> str:
        markup = _HTML_SRC.sub(lambda m: m.group(1) + m.group(2)
                               + html_escape.escape(url(m.group(3))) + m.group(2),
                               match.group(0))
        markup = _STYLE_ATTRIBUTE.sub(lambda m: m.group(1) + m.group(2)
                                      + attribute(m.group(3)) + m.group(2), markup)
        return _FILE_URL.sub(lambda m: html_escape.escape(url(m.group(0))), markup)

    out, last = [], 0
    for style in _STYLE_ELEMENT.finditer(text):
        out.append(_TAG.sub(tag, text[last:style.start(2)]))
        out.append(css(style.group(2)))
        last = style.end(2)
    out.append(_TAG.sub(tag, text[last:]))
    return "".join(out)


def with_stylesheets(text: str, hrefs: list[str]) -> str:
    """`<link rel="stylesheet">` for each href, first thing in the <head>."""
    links = "".join(f'\n<link rel="stylesheet" href="{html_escape.escape(h)}">' for h in hrefs)
    head = re.search(r"<head(?=[\s>])[^>]*>", text, re.I)
    if head is None:
        raise LayoutError("the template's HTML has no <head>",
                          hint="write <head>…</head> in the layout's template")
    return text[:head.end()] + links + text[head.end():]


def standalone(html_text: str, layout, options, document, folder: str,
               warnings: list) -> tuple[str, Assets]:
    """The final HTML of a document made standalone: its stylesheets linked and every
    resource in `folder` (a name relative to the HTML file). Returns it and the assets."""
    from .pdf import page_css

    roots = source_folders(document) + layout.folders
    assets = Assets(roots, options.allow_remote, warnings)
    prefix = quote(folder) + "/"
    hrefs = []
    page = rewrite_css(page_css(layout, options), Path(layout.path).absolute().as_uri() + "/",
                       assets)
    hrefs.append(prefix + quote(assets.add("page.css", page.encode("utf-8"))))
    for sheet in layout.stylesheets:
        root = next(f for f in layout.folders if fsguard.is_inside(f, sheet))
        relative = Path(sheet).resolve().relative_to(Path(root).resolve())
        text = fsguard.read_bytes(root, relative, what="stylesheet",
                                  error=LayoutError).decode("utf-8")
        css = rewrite_css(text, Path(sheet).as_uri(), assets)
        # named after its layout: policy-brief.css, then conference.css for one extending it
        hrefs.append(prefix + quote(assets.add(f"{Path(root).name}.css", css.encode("utf-8"))))
    # relative references resolve against the issue folder, as in the build
    base = Path(roots[0]).absolute().as_uri() + "/" if roots else ""
    text = rewrite_html(html_text, base, assets, prefix)
    return with_stylesheets(text, hrefs), assets


@register
class HtmlWriter(Writer):
    """The HTML the PDF is laid out from, with its assets beside it (see the module)."""

    name, suffix = "html", ".html"
    #: its assets folder is written from what `write` gathered: not from the cache
    cacheable = False

    def write(self, outline, layout, target, options, facts) -> dict:
        from .pdf import final_html

        html_text, used = final_html(outline, layout, options)
        warnings = options.warnings if options.warnings is not None else []
        text, self._assets = standalone(html_text, used, options, outline.document,
                                        f"{outline.document.slug}{ASSETS}", warnings)
        Path(target).write_text(text, encoding="utf-8")
        return {}

    def companions(self, options) -> tuple[str, ...]:
        return (ASSETS + "/",)

    def write_companion(self, ending, written, target, options) -> None:
        for name, data in self._assets.files.items():
            fsguard.write_bytes(target, name, data, what="asset")

    def editions(self, outline, layout, options, facts, *, encrypt=False):
        raise UsageError("--format html writes one document, not an edition per recipient",
                         hint="build the pack without --recipients to see its HTML")
