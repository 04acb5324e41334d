"""What a render may read: files inside the issue and layout folders, nothing else.

Content and layouts are semi-trusted, so a stylesheet's `url(file:///etc/passwd)`
or a template's remote image must not reach the PDF. Refusals become warnings
naming what was refused; WeasyPrint then leaves the resource out.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher


class RefusedURL(ValueError):
    pass


def is_inside(path: Path, roots: tuple[Path, ...]) -> bool:
    resolved = path.resolve()  # follows symlinks: a link pointing outside is outside
    return any(resolved.is_relative_to(root) for root in roots)


class ConfinedFetcher(URLFetcher):
    """A WeasyPrint URL fetcher limited to local files under `roots`."""

    def __init__(self, roots: tuple[Path, ...], warnings: list | None = None,
                 allow_remote: bool = False):
        super().__init__(timeout=10, allowed_protocols=None)
        self.roots = tuple(root.resolve() for root in roots)
        self.warnings = warnings if warnings is not None else []
        self.allow_remote = allow_remote

    def fetch(self, url, headers=None):
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(unquote(urlsplit(url).path))
            if is_inside(path, self.roots) and path.is_file():
                return super().fetch(url, headers)
            self._refuse(url, "it is outside the issue and layout folders")
        if scheme in ("http", "https") and self.allow_remote:
            return super().fetch(url, headers)
        self._refuse(url, "remote resources are off (use --allow-remote)"
                     if scheme in ("http", "https") else f"the {scheme or 'empty'} scheme is not allowed")

    def _refuse(self, url: str, why: str):
        self.warnings.append(f"refused {url}: {why}")
        raise RefusedURL(f"refused {url}")
