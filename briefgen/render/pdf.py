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
from .common import created_at, labels, source_folders
from .fetch import ConfinedFetcher, report_stylesheet_urls
from .templating import render_template
from ..outline import build_outline


def build_html(document: Issue | Pack, layout: Layout, options: RenderOptions, **extra) -> str:
    """The HTML WeasyPrint lays out: the layout's template for the outline's kind."""
    outline = build_outline(document)
    created = created_at(document, options).strftime("%Y-%m-%dT%H:%M:%SZ")
    name = layout.pack_template if outline.is_pack else layout.pdf_template
    return render_template(layout, name, outline=outline, t=labels(document.lang),
                           generator=f"briefgen {__version__}", created=created,
                           **{outline.kind: document}, **extra)


def page_css(layout: Layout, options: RenderOptions) -> str:
    size = layout.page_size(options.page_size)
    width, height = PAGE_SIZES[size]
    top, right, bottom, left = layout.margins_mm
    marks = f" bleed: {layout.bleed_mm}mm; marks: crop;" if options.print_marks else ""
    return (f"@page {{ size: {width}mm {height}mm; margin: {top}mm {right}mm {bottom}mm "
            f"{left}mm;{marks} }}\n"
            f":root {{ --page-width: {width}mm; --page-height: {height}mm; }}\n"
            + layout.colour_css() + "\n" + layout.style_css() + "\n" + layout.font_face_css())


class Renderer:
    """WeasyPrint set up for one layout and document: stylesheets, fonts, fetcher.

    `render()` lays out HTML into pages; editions reuse one renderer to lay out
    the pack once and every recipient's cover in one more pass.
    """

    def __init__(self, document: Issue | Pack, layout: Layout, options: RenderOptions):
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        self.document, self.layout, self.options = document, layout, options
        warnings = options.warnings if options.warnings is not None else []
        self.roots = source_folders(document) + layout.folders
        reported = report_stylesheet_urls(layout, self.roots, warnings, options.allow_remote)
        self.fetcher = ConfinedFetcher(self.roots, warnings, allow_remote=options.allow_remote,
                                       already_reported=reported)
        self.fonts = FontConfiguration()
        self.stylesheets = [CSS(string=page_css(layout, options), font_config=self.fonts,
                                url_fetcher=self.fetcher, base_url=str(layout.path) + "/")]
        self.stylesheets += [CSS(filename=str(css), font_config=self.fonts,
                                 url_fetcher=self.fetcher) for css in layout.stylesheets]

    def pdf_options(self, identifier: bytes) -> dict:
        options = dict(stylesheets=self.stylesheets, pdf_tags=True, pdf_identifier=identifier)
        if self.options.pdf_variant:
            options["pdf_variant"] = self.options.pdf_variant
        return options

    def render(self, html_text: str):
        from weasyprint import HTML

        html = HTML(string=html_text, base_url=str(self.roots[0]) + "/", url_fetcher=self.fetcher)
        with _quiet_weasyprint():
            return html.render(font_config=self.fonts, **self.pdf_options(b""))

    def write(self, rendered, target, identifier: bytes) -> None:
        with _quiet_weasyprint():
            rendered.write_pdf(str(target), **self.pdf_options(identifier))


def page_anchors(rendered) -> dict[str, int]:
    """Anchor (element id) → 1-based page number in a laid-out document."""
    anchors: dict[str, int] = {}
    for number, page in enumerate(rendered.pages, 1):
        for anchor in page.anchors:
            anchors.setdefault(anchor, number)
    return anchors


def write(document: Issue | Pack, layout: Layout, target: Path, options: RenderOptions) -> dict:
    html_text = build_html(document, layout, options)
    renderer = Renderer(document, layout, options)
    rendered = renderer.render(html_text)
    renderer.write(rendered, target, hashlib.sha256(html_text.encode()).hexdigest()[:32].encode())
    anchors = page_anchors(rendered)
    if isinstance(document, Pack) and document.annexes:
        place_annexes(target, document, anchors)
    return {"pages": len(rendered.pages), "page_numbers": anchors}


def place_annexes(target: Path, pack: Pack, anchors: dict[str, int], pdf=None) -> None:
    """Draw each annex page, as it is, on the placeholder page laid out for it.

    The placeholders carry the pack's page number in their footer, so the
    numbering, contents and bookmarks stay those WeasyPrint computed. Annex
    content is marked as an artifact: it is not part of the tagged structure.
    Works on `pdf` (an open pikepdf.Pdf) when given, else on the file `target`.
    """
    import pikepdf

    if pdf is None:
        with pikepdf.open(target, allow_overwriting_input=True) as opened:
            place_annexes(target, pack, anchors, opened)
            opened.save(target, deterministic_id=True)
        return
    for annex in pack.annexes:
        with pikepdf.open(annex.path) as source:
            for number, page in enumerate(source.pages, 1):
                anchor = f"annex-{annex.id}-p{number}"
                if anchor not in anchors:
                    from ..errors import LayoutError

                    raise LayoutError(f"the pack template lays out no page for annex "
                                      f"{annex.id}, page {number}",
                                      hint=f'keep the <div class="annex-page" id="{anchor}"> '
                                           "placeholders of policy-brief's pack.html.j2")
                host = pdf.pages[anchors[anchor] - 1]
                width, height = float(host.mediabox[2]), float(host.mediabox[3])
                margin, footer = 10 / 25.4 * 72, 16 / 25.4 * 72
                overlay_artifact(pdf, host, page.as_form_xobject(),
                                 pikepdf.Rectangle(margin, footer, width - margin,
                                                   height - margin))


def overlay_artifact(pdf, host, form, rect) -> None:
    """Draw a form XObject (from any PDF) on `host`, as an artifact outside the tag tree."""
    import pikepdf

    # Not host.add_overlay(): it names the XObject at random (the same input
    # would give different bytes each time) and marks the whole page, tagged
    # content included, as one artifact. Here the name is the first free /FxN
    # (or the one this form already has), and only the overlay is an artifact.
    form = pdf.copy_foreign(form)
    resources = host.resources
    if pikepdf.Name.XObject not in resources:
        resources[pikepdf.Name.XObject] = pikepdf.Dictionary()
    xobjects = resources[pikepdf.Name.XObject]
    name = next((pikepdf.Name(key) for key, value in xobjects.items()
                 if value.is_indirect and value.objgen == form.objgen), None)
    n = 0
    while name is None:
        if f"/Fx{n}" not in xobjects:
            name = pikepdf.Name(f"/Fx{n}")
            xobjects[name] = form
        n += 1
    placement = host.calc_form_xobject_placement(form, name, rect)
    host.contents_add(b"q\n", prepend=True)
    host.contents_add(b"Q\n")
    host.contents_add(b"/Artifact BMC\nq\n" + placement + b"\nQ\nEMC\n")


class _quiet_weasyprint:
    """WeasyPrint logs every refused URL and CSS nit; briefgen reports its own warnings."""

    def __enter__(self):
        self.logger = logging.getLogger("weasyprint")
        self.level = self.logger.level
        self.logger.setLevel(logging.ERROR)

    def __exit__(self, *exc):
        self.logger.setLevel(self.level)
