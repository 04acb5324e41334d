"""What a render may read: files inside the issue and layout folders, nothing else.

Content and layouts are semi-trusted, so a stylesheet's `url(file:///etc/passwd)`
or a template's remote image must not reach the PDF. Refusals become warnings
naming what was refused; WeasyPrint then leaves the resource out.
"""
from __future__ import annotations

import mimetypes
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from . import weasy  # noqa: F401 - imports WeasyPrint without spawning compilers
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402


class RefusedURL(ValueError):
    pass


def is_inside(path: Path, roots: tuple[Path, ...]) -> bool:
    resolved = path.resolve()  # follows symlinks: a link pointing outside is outside
    return any(resolved.is_relative_to(root) for root in roots)


class ConfinedFetcher(URLFetcher):
    """A WeasyPrint URL fetcher limited to local files under `roots`."""

    def __init__(self, roots: tuple[Path, ...], warnings: list | None = None,
                 allow_remote: bool = False, already_reported: set[str] | None = None):
        super().__init__(timeout=10, allowed_protocols=None)
        self.roots = tuple(root.resolve() for root in roots)
        self.warnings = warnings if warnings is not None else []
        self.allow_remote = allow_remote
        self.reported = set(already_reported or ())

    def fetch(self, url, headers=None):
        why = refusal(url, self.roots, self.allow_remote)
        if why:
            self._refuse(url, why)
        if urlsplit(url).scheme.lower() == "file":
            return self._local(url)
        return super().fetch(url, headers)

    def _local(self, url: str) -> URLFetcherResponse:
        """A local file, read at its real path (links resolved once, here) and checked
        inside the roots again: a link changed after the check cannot lead elsewhere,
        and what is read is exactly what was checked."""
        real = Path(os.path.realpath(unquote(urlsplit(url).path)))
        if not any(real.is_relative_to(root) for root in self.roots):
            self._refuse(url, "it is outside the issue and layout folders")
        try:
            fd = os.open(real, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            self._refuse(url, "the file cannot be read")
        with os.fdopen(fd, "rb") as fh:
            body = fh.read()
        mime = mimetypes.guess_type(unquote(urlsplit(url).path))[0] or "application/octet-stream"
        return URLFetcherResponse(url, body, {"Content-Type": mime})

    def _refuse(self, url: str, why: str):
        if url not in self.reported:  # the stylesheet scan may have named it already
            self.reported.add(url)
            self.warnings.append(f"refused {url}: {why}; left out of the PDF")
        raise RefusedURL(f"refused {url}")


def refusal(url: str, roots: tuple[Path, ...], allow_remote: bool) -> str | None:
    """Why `url` may not be read, or None when it may."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "data":
        return None
    if scheme == "file":
        path = Path(unquote(parts.path))
        if is_inside(path, roots) and path.is_file():
            return None
        return "it is outside the issue and layout folders" if path.exists() or \
            not is_inside(path, roots) else "the file does not exist"
    if scheme in ("http", "https"):
        return None if allow_remote else "remote resources are off (use --allow-remote)"
    return f"the {scheme or 'empty'} scheme is not allowed"


def report_stylesheet_urls(layout, roots: tuple[Path, ...], warnings: list,
                           allow_remote: bool) -> set[str]:
    """Name each url()/@import a layout's stylesheets may not use, with file:line.

    WeasyPrint's fetcher only sees absolute URLs; reading the stylesheets first
    lets the warning say where the reference is, so the layout's author can fix it.
    """
    import tinycss2
    from urllib.parse import urljoin

    refused: set[str] = set()
    for sheet in layout.stylesheets:
        base = sheet.as_uri()
        try:
            text = sheet.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            from ..errors import LayoutError

            raise LayoutError("stylesheet is not UTF-8 text", path=sheet,
                              hint="save it as UTF-8") from None
        # (the sheet is not parsed twice where it cannot load anything: WeasyPrint
        # parses it too)
        if not may_load(text):
            continue
        values = tinycss2.parse_component_value_list(text)
        for _, _, line, ref in css_references(values):
            url = urljoin(base, ref)
            why = refusal(url, roots, allow_remote)
            if why:
                refused.add(url)
                warning = f"{sheet}:{line}: refused url({ref}): {why}; left out of the PDF"
                if warning not in warnings:  # (a second renderer, for the fitted tokens)
                    warnings.append(warning)
    return refused


def may_load(css: str) -> bool:
    """Whether CSS text can load anything: it has "url(", "@import", or an escape
    that could spell either (u\\72l(…))."""
    lowered = css.lower()
    return "url(" in lowered or "@import" in lowered or "\\" in css


def css_references(values: list):
    """Each URL that tinycss2 component values load, url(…) and @import's, in
    document order: (the list holding it, its index there, its line, the URL). A
    "url(…)" inside a string (a label's text) is text, not one of them."""
    importing = False
    for index, node in enumerate(values):
        kind = node.type
        if kind == "url":
            yield values, index, node.source_line, node.value
        elif kind == "function" and node.lower_name == "url":
            places = [i for i, a in enumerate(node.arguments) if a.type == "string"]
            if places:
                yield node.arguments, places[0], node.source_line, \
                    node.arguments[places[0]].value
        elif kind == "at-keyword":
            importing = node.lower_value == "import"
            continue
        elif importing and kind == "string":
            yield values, index, node.source_line, node.value
        if kind not in ("whitespace", "comment"):
            importing = False
        if kind == "function":
            yield from css_references(node.arguments)
        elif kind in ("() block", "[] block", "{} block"):
            yield from css_references(node.content)
