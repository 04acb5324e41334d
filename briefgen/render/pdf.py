"""PDF writer: the layout's Jinja template → HTML → WeasyPrint."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
from pathlib import Path

from .. import __version__
from ..layouts import PAGE_SIZES, Layout
from ..model import Issue, Pack
from . import RenderOptions
from .common import labels
from .fetch import ConfinedFetcher, report_stylesheet_urls
from .templating import render_template


def build_html(document: Issue | Pack, layout: Layout, options: RenderOptions) -> str:
    created = _created(document, options).strftime("%Y-%m-%dT%H:%M:%SZ")
    common = dict(t=labels(document.lang), generator=f"briefgen {__version__}", created=created)
    if isinstance(document, Pack):
        return render_template(layout, layout.pack_template, pack=document,
                               annex_letters=annex_letters(document), **common)
    return render_template(layout, layout.pdf_template, issue=document, **common)


def annex_letters(pack: Pack) -> dict[str, str]:
    """Annex id → "A", "B" … "Z", "AA" …"""
    def letter(n):
        return letter(n // 26 - 1) + chr(65 + n % 26) if n >= 26 else chr(65 + n)
    return {annex.id: letter(i) for i, annex in enumerate(pack.annexes)}


def source_folders(document: Issue | Pack) -> tuple[Path, ...]:
    """Folders a document's own files (photos, cover images, annexes) come from."""
    if isinstance(document, Pack):
        return tuple(p for p in (document.source_dir,) + tuple(i.source_dir for i in
                                                                 document.issues) if p)
    return (document.source_dir,) if document.source_dir else ()


def page_css(layout: Layout, options: RenderOptions) -> str:
    size = layout.page_size(options.page_size)
    width, height = PAGE_SIZES[size]
    top, right, bottom, left = layout.margins_mm
    marks = f" bleed: {layout.bleed_mm}mm; marks: crop;" if options.print_marks else ""
    return (f"@page {{ size: {width}mm {height}mm; margin: {top}mm {right}mm {bottom}mm "
            f"{left}mm;{marks} }}\n"
            f":root {{ --page-width: {width}mm; --page-height: {height}mm; }}\n"
            + layout.colour_css() + "\n" + layout.font_face_css())


def write(document: Issue | Pack, layout: Layout, target: Path, options: RenderOptions) -> dict:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    html_text = build_html(document, layout, options)
    warnings = options.warnings if options.warnings is not None else []
    roots = source_folders(document) + layout.folders
    reported = report_stylesheet_urls(layout, roots, warnings, options.allow_remote)
    fetcher = ConfinedFetcher(roots, warnings, allow_remote=options.allow_remote,
                              already_reported=reported)
    fonts = FontConfiguration()
    stylesheets = [CSS(string=page_css(layout, options), font_config=fonts, url_fetcher=fetcher,
                       base_url=str(layout.path) + "/")]
    stylesheets += [CSS(filename=str(css), font_config=fonts, url_fetcher=fetcher)
                    for css in layout.stylesheets]
    html = HTML(string=html_text, base_url=str(roots[0]) + "/", url_fetcher=fetcher)
    identifier = hashlib.sha256(html_text.encode()).hexdigest()[:32].encode()
    pdf_options = dict(stylesheets=stylesheets, pdf_tags=True, pdf_identifier=identifier)
    if options.pdf_variant:
        pdf_options["pdf_variant"] = options.pdf_variant
    with _quiet_weasyprint():
        rendered = html.render(font_config=fonts, **pdf_options)
        rendered.write_pdf(str(target), **pdf_options)
    anchors = {}
    for number, page in enumerate(rendered.pages, 1):
        for anchor in page.anchors:
            anchors.setdefault(anchor, number)
    if isinstance(document, Pack) and document.annexes:
        place_annexes(target, document, anchors)
    return {"pages": len(rendered.pages), "page_numbers": anchors}


def place_annexes(target: Path, pack: Pack, anchors: dict[str, int]) -> None:
    """Draw each annex page, as it is, on the placeholder page laid out for it.

    The placeholders carry the pack's page number in their footer, so the
    numbering, contents and bookmarks stay those WeasyPrint computed. Annex
    content is marked as an artifact: it is not part of the tagged structure.
    """
    import pikepdf

    with pikepdf.open(target, allow_overwriting_input=True) as pdf:
        for annex in pack.annexes:
            with pikepdf.open(annex.path) as source:
                for number, page in enumerate(source.pages, 1):
                    index = anchors[f"annex-{annex.id}-p{number}"] - 1
                    host = pdf.pages[index]
                    width, height = float(host.mediabox[2]), float(host.mediabox[3])
                    margin, footer = 10 / 25.4 * 72, 16 / 25.4 * 72
                    name = host.add_overlay(pdf.copy_foreign(page.as_form_xobject()),
                                            pikepdf.Rectangle(margin, footer, width - margin,
                                                              height - margin))
                    contents = host.obj.Contents
                    last = contents[-1] if isinstance(contents, pikepdf.Array) else contents
                    last.write(b"/Artifact BMC\n" + last.read_bytes() + b"\nEMC\n")
                    del name
        pdf.save(target, deterministic_id=True)


def _created(document: Issue | Pack, options: RenderOptions) -> dt.datetime:
    if options.source_date_epoch is not None:
        return dt.datetime.fromtimestamp(options.source_date_epoch, dt.timezone.utc)
    return dt.datetime.combine(document.date, dt.time(0, 0), dt.timezone.utc)


class _quiet_weasyprint:
    """WeasyPrint logs every refused URL and CSS nit; briefgen reports its own warnings."""

    def __enter__(self):
        self.logger = logging.getLogger("weasyprint")
        self.level = self.logger.level
        self.logger.setLevel(logging.ERROR)

    def __exit__(self, *exc):
        self.logger.setLevel(self.level)
