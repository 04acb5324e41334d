"""The DOCX as a file: document properties, reproducible saving, page numbers.

Core and custom properties, a zip written entry by entry with fixed dates (the
same input gives the same bytes), and the page numbers a PDF laid out in the
same build fills in afterwards (PendingPageNumbers, fill_page_numbers).
"""
from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

from docx.opc.constants import RELATIONSHIP_TYPE

from ...i18n import clean_line
from ...model import Issue, Pack
from .. import RenderOptions
from ..common import created_at, issue_line
from .names import CUSTOM_PROPERTY


def core_properties(doc, issue: Issue, options: RenderOptions) -> None:
    props = doc.core_properties

    def fit(text: str) -> str:
        # Word's core properties hold at most 255 characters, on one line.
        text = clean_line(text)
        return text if len(text) <= 255 else text[:254].rstrip() + "…"

    props.title = fit(issue.title)
    props.author = fit("; ".join(issue.authors) or issue.publisher)
    props.subject = fit(issue.standfirst or issue.series)
    props.keywords = fit(", ".join(issue.keywords))
    props.language = issue.lang
    props.category = fit(issue.series)
    props.comments = fit(issue_line(issue))
    props.identifier = fit(issue.slug)
    props.last_modified_by = "briefgen"
    props.revision = 1
    created = created_at(issue, options).replace(tzinfo=None)
    props.created = props.modified = created
    props.last_printed = created


def pack_core_properties(doc, pack: Pack, options: RenderOptions) -> None:
    props = doc.core_properties
    props.title = pack.title[:255]
    props.author = "; ".join(pack.authors)[:255] or pack.organiser
    props.subject = pack.subtitle[:255]
    props.language = pack.lang
    props.identifier = pack.slug
    props.last_modified_by = "briefgen"
    props.revision = 1
    created = created_at(pack, options).replace(tzinfo=None)
    props.created = props.modified = props.last_printed = created


def custom_properties(doc, issue: Issue) -> None:
    """docProps/custom.xml: facts core properties lose in LibreOffice (keyword lists)."""
    from xml.sax.saxutils import escape

    from docx.opc.constants import CONTENT_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    value = json.dumps({"keywords": list(issue.keywords), "slug": issue.slug,
                        "cover_focus": list(issue.cover_focus)},
                       ensure_ascii=False, sort_keys=True)
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
           'custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/'
           '2006/docPropsVTypes"><property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" '
           f'pid="2" name="{CUSTOM_PROPERTY}"><vt:lpwstr>{escape(value)}</vt:lpwstr>'
           '</property></Properties>')
    package = doc.part.package
    part = Part(PackURI("/docProps/custom.xml"), CONTENT_TYPE.OFC_CUSTOM_PROPERTIES,
                xml.encode("utf-8"), package)
    package.relate_to(part, RELATIONSHIP_TYPE.CUSTOM_PROPERTIES)


def save(doc, target: Path, created: dt.datetime, layout=None,
         options: RenderOptions | None = None) -> None:
    """Save with fixed zip timestamps so the same input gives the same bytes.

    With the layout, the house template's styles (--reference-docx) replace the
    layout's by name first, then the layout's fonts are embedded (fonts.py)."""
    if layout is not None:
        from .fonts import embed_fonts
        from .reference import apply_reference

        if options is not None and options.reference_docx is not None:
            apply_reference(doc, options.reference_docx)
        embed_fonts(doc, layout, options.warnings if options is not None else None)
    package = doc.part.package
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype == RELATIONSHIP_TYPE.THUMBNAIL:
            del package.rels[rel_id]  # python-docx's template thumbnail shows an empty page
    buffer = io.BytesIO()
    # python-docx writes the package uncompressed here: it is compressed once, below.
    from docx.opc import phys_pkg

    deflated = phys_pkg.ZIP_DEFLATED
    phys_pkg.ZIP_DEFLATED = zipfile.ZIP_STORED
    try:
        doc.save(buffer)
    finally:
        phys_pkg.ZIP_DEFLATED = deflated
    buffer.seek(0)
    # Every entry dated as the document: the same input gives the same bytes.
    stamp = max(created, dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc)).timetuple()[:6]
    rezip(buffer, target, stamp)


#: pictures are compressed already; embedded fonts deflate well at the fastest level
_STORED = (".jpg", ".jpeg", ".png", ".gif", ".webp")
_FAST = (".odttf",)


def rezip(source, target, stamp) -> None:
    """Copy a zip entry by entry, in order, with fixed dates (compressed once)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as out:
        for info in zin.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            name = info.filename.lower()
            entry.compress_type = zipfile.ZIP_STORED if name.endswith(_STORED) \
                else zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            out.writestr(entry, zin.read(info.filename),
                         compresslevel=1 if name.endswith(_FAST) else 6)
