"""PDF writer: the layout's Jinja template → HTML → WeasyPrint."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from pathlib import Path

from .. import __version__
from ..layouts import PAGE_SIZES, Layout
from ..model import Issue
from . import RenderOptions
from .common import labels
from .fetch import ConfinedFetcher, report_stylesheet_urls
from .templating import render_template


def build_html(issue: Issue, layout: Layout, options: RenderOptions) -> str:
    created = _created(issue, options)
    return render_template(layout, layout.pdf_template, issue=issue,
                           t=labels(issue.lang), generator=f"briefgen {__version__}",
                           created=created.strftime("%Y-%m-%dT%H:%M:%SZ"))


def page_css(layout: Layout, options: RenderOptions) -> str:
    size = layout.page_size(options.page_size)
    width, height = PAGE_SIZES[size]
    top, right, bottom, left = layout.margins_mm
    marks = f" bleed: {layout.bleed_mm}mm; marks: crop;" if options.print_marks else ""
    return (f"@page {{ size: {width}mm {height}mm; margin: {top}mm {right}mm {bottom}mm "
            f"{left}mm;{marks} }}\n"
            f":root {{ --page-width: {width}mm; --page-height: {height}mm; }}\n"
            + layout.colour_css() + "\n" + layout.font_face_css())


def write(issue: Issue, layout: Layout, target: Path, options: RenderOptions) -> dict:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    html_text = build_html(issue, layout, options)
    warnings = options.warnings if options.warnings is not None else []
    roots = tuple(p for p in (issue.source_dir,) if p is not None) + layout.folders
    reported = report_stylesheet_urls(layout, roots, warnings, options.allow_remote)
    fetcher = ConfinedFetcher(roots, warnings, allow_remote=options.allow_remote,
                              already_reported=reported)
    fonts = FontConfiguration()
    stylesheets = [CSS(string=page_css(layout, options), font_config=fonts, url_fetcher=fetcher,
                       base_url=str(layout.path) + "/")]
    stylesheets += [CSS(filename=str(css), font_config=fonts, url_fetcher=fetcher)
                    for css in layout.stylesheets]
    document = HTML(string=html_text, base_url=str(issue.source_dir or layout.path) + "/",
                    url_fetcher=fetcher)
    identifier = hashlib.sha256(html_text.encode()).hexdigest()[:32].encode()
    pdf_options = dict(stylesheets=stylesheets, pdf_tags=True, pdf_identifier=identifier)
    if options.pdf_variant:
        pdf_options["pdf_variant"] = options.pdf_variant
    with _quiet_weasyprint():
        rendered = document.render(font_config=fonts, **pdf_options)
        rendered.write_pdf(str(target), **pdf_options)
    anchors = {}
    for number, page in enumerate(rendered.pages, 1):
        for anchor in page.anchors:
            anchors.setdefault(anchor, number)
    return {"pages": len(rendered.pages), "page_numbers": anchors}


def _created(issue: Issue, options: RenderOptions) -> dt.datetime:
    if options.source_date_epoch is not None:
        return dt.datetime.fromtimestamp(options.source_date_epoch, dt.timezone.utc)
    return dt.datetime.combine(issue.date, dt.time(0, 0), dt.timezone.utc)


class _quiet_weasyprint:
    """WeasyPrint logs every refused URL and CSS nit; briefgen reports its own warnings."""

    def __enter__(self):
        self.logger = logging.getLogger("weasyprint")
        self.level = self.logger.level
        self.logger.setLevel(logging.ERROR)

    def __exit__(self, *exc):
        self.logger.setLevel(self.level)
