"""Build an issue folder into output files: load, check, lay out, write, publish.

The pipeline knows writers only through the registry (briefgen.render.base):
it runs the requested ones in order (a writer after the writers whose facts it
needs), asks a registered provider to `measure` a fact that no requested writer
provides (`--format docx` alone still gets its page numbers), and publishes
through publish.py: nothing reaches the output folder until every requested
format has rendered, and a failure or Ctrl-C leaves the previous outputs
untouched and no partial file.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .. import cache, render
from ..content.issue_folder import load_issue_cached
from ..errors import BriefgenError, UsageError
from ..layouts import Layout, find_layout
from ..model import Issue, Pack
from ..outline import build_outline
from ..render import RenderOptions
from .publish import Publication, inputs_digest, output_key, remove_stale_parts, through_cache


@dataclass
class BuildResult:
    document: Issue | Pack
    layout: Layout
    outputs: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    pages: int | None = None
    #: the output whose page count `pages` is
    pages_of: str | None = None


def parse_formats(text: str | None) -> tuple[str, ...]:
    if not text:
        return render.defaults()
    formats = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    known = render.names()
    unknown = [f for f in formats if f not in known]
    if unknown or not formats:
        raise UsageError(f"unknown format {', '.join(unknown) or repr(text)}",
                         hint=f"choose from {', '.join(known)} (comma-separated)")
    return formats


def source_date_epoch(value: str | int | None) -> int | None:
    """--source-date-epoch, else $SOURCE_DATE_EPOCH, else None (the issue's date)."""
    raw = value if value is not None else os.environ.get("SOURCE_DATE_EPOCH")
    if raw in (None, ""):
        return None
    try:
        epoch = int(raw)
    except ValueError:
        where = "--source-date-epoch" if value is not None else "SOURCE_DATE_EPOCH"
        raise UsageError(f"{where} {raw!r} is not a whole number of seconds since 1970",
                         hint="e.g. 1763596800 (date +%s)") from None
    if not 315532800 <= epoch < 4102444800:  # zip files date from 1980; keep below 2100
        where = "--source-date-epoch" if value is not None else "SOURCE_DATE_EPOCH"
        raise UsageError(f"{where} must fall between 1980 and 2099",
                         hint="e.g. 1763596800 (date +%s)")
    return epoch


def build(issue_dir: str | Path, *, layout: str | None = None,
          formats: tuple[str, ...] | None = None, output_dir: str | Path = "output",
          page_size: str | None = None, epoch: int | None = None, print_marks: bool = False,
          impose: str | None = None, pdf_variant: str | None = None,
          allow_remote: bool = False, reference_docx: Path | None = None) -> BuildResult:
    formats = formats or render.defaults()
    if impose not in (None, "booklet"):
        raise UsageError(f"unknown imposition {impose!r}", hint="use --impose booklet")
    writers = render.ordered(formats)
    if impose and not any("impose" in w.supports for w in writers):
        able = render.base.supporting("impose")
        raise UsageError(f"--impose needs the {'/'.join(n.upper() for n in able)} format",
                         hint=f"add {' or '.join(able)} to --format")
    from ..content.pack_folder import is_pack, load_pack, resolve_layout_spec

    if is_pack(issue_dir):
        loaded = load_pack(issue_dir)
        document = loaded.pack
        chosen = find_layout(resolve_layout_spec(layout, document))
    else:
        loaded = load_issue_cached(issue_dir)
        document = loaded.issue
        chosen = find_layout(layout)
    chosen.page_size(page_size)  # fail on a bad size before anything is written
    publication = Publication.open(output_dir)

    result = BuildResult(document, chosen, warnings=[str(w) for w in loaded.warnings])
    inputs = ""
    if cache.enabled():
        try:
            inputs = inputs_digest(document, chosen, (page_size, epoch, print_marks, pdf_variant,
                                                      allow_remote, _file_key(reference_docx)))
        except cache.Uncacheable as exc:
            result.warnings.append(f"{exc.where()}: {exc.message}: built without the cache")
    render_warnings: list[str] = []
    options = RenderOptions(page_size=page_size, source_date_epoch=epoch,
                            warnings=render_warnings, print_marks=print_marks,
                            pdf_variant=pdf_variant, allow_remote=allow_remote,
                            reference_docx=reference_docx, impose=impose)
    outline = build_outline(document)
    facts: dict = {}
    try:
        temps = [publication.stage(f"{document.slug}{w.suffix}") for w in writers]
        for writer_class, temp in zip(writers, temps):
            writer = writer_class()

            def make(writer=writer, temp=temp) -> dict:
                for fact, supplier in render.suppliers([type(writer)]).items():
                    if fact not in facts:  # nobody requested writes it: measure it
                        facts.update(supplier().measure(outline, chosen, options))
                return writer.write(outline, chosen, temp, options, dict(facts))

            key = output_key(writer.name, inputs) if inputs else ""
            found = through_cache(key, writer.suffix, temp, make,
                                  keep=lambda: not render_warnings)
            facts.update(found)
            if "pages" in writer.provides and result.pages is None:
                result.pages, result.pages_of = found.get("pages"), f"{document.slug}{writer.suffix}"
            for ending in writer.companions(options):
                writer.write_companion(ending, temp, publication.stage(f"{document.slug}{ending}"),
                                       options)
        result.outputs = publication.publish()
    except BaseException:
        publication.discard()
        raise
    result.warnings += render_warnings
    return result


def _file_key(path: Path | None) -> str | None:
    """A file given as an option, keyed by its contents (the cache must see edits)."""
    return cache.file_digest(path) if path is not None else None


__all__ = ["BriefgenError", "BuildResult", "build", "parse_formats", "remove_stale_parts",
           "source_date_epoch"]
