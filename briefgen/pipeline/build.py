"""Build an issue folder into output files: load, check, render, then publish.

Nothing reaches the output folder until every requested format has rendered:
each writer writes a temporary file beside its target, and only when all have
succeeded are they renamed into place (an atomic rename on one file system).
A failure or Ctrl-C leaves the previous outputs untouched and no partial file.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import cache
from .content.issue_folder import load_issue_cached
from .errors import BriefgenError, UsageError
from .layouts import Layout, find_layout
from .model import Issue, Pack
from .render import WRITERS, RenderOptions, writer

DEFAULT_FORMATS = ("pdf", "docx")


@dataclass
class BuildResult:
    document: Issue | Pack
    layout: Layout
    outputs: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    pages: int | None = None


def parse_formats(text: str | None) -> tuple[str, ...]:
    if not text:
        return DEFAULT_FORMATS
    formats = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in formats if f not in WRITERS]
    if unknown or not formats:
        raise UsageError(f"unknown format {', '.join(unknown) or repr(text)}",
                         hint=f"choose from {', '.join(WRITERS)} (comma-separated)")
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
          formats: tuple[str, ...] = DEFAULT_FORMATS, output_dir: str | Path = "output",
          page_size: str | None = None, epoch: int | None = None, print_marks: bool = False,
          impose: str | None = None, pdf_variant: str | None = None,
          allow_remote: bool = False) -> BuildResult:
    if impose not in (None, "booklet"):
        raise UsageError(f"unknown imposition {impose!r}", hint="use --impose booklet")
    if impose and "pdf" not in formats:
        raise UsageError("--impose needs the PDF format", hint="add pdf to --format")
    from .content.pack_folder import is_pack, load_pack, resolve_layout_spec

    if is_pack(issue_dir):
        loaded = load_pack(issue_dir)
        document = loaded.pack
        chosen = find_layout(resolve_layout_spec(layout, document))
    else:
        loaded = load_issue_cached(issue_dir)
        document = loaded.issue
        chosen = find_layout(layout)
    chosen.page_size(page_size)  # fail on a bad size before anything is written
    out = Path(output_dir)
    if out.exists() and not out.is_dir():
        raise UsageError("output path exists and is not a folder", path=out,
                         hint="choose another -o folder")
    created_out = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the output folder: {exc.strerror}", path=out,
                         hint="choose another -o folder") from None

    result = BuildResult(document, chosen, warnings=[str(w) for w in loaded.warnings])
    inputs = ""
    if cache.enabled():
        try:
            inputs = _inputs_digest(document, chosen, (page_size, epoch, print_marks,
                                                       pdf_variant, allow_remote))
        except cache.Uncacheable as exc:
            result.warnings.append(f"{exc.where()}: {exc.message}: built without the cache")
    render_warnings: list[str] = []
    page_numbers = None
    staged: list[tuple[Path, Path]] = []
    try:
        base = RenderOptions(page_size=page_size, source_date_epoch=epoch,
                             warnings=render_warnings, print_marks=print_marks,
                             pdf_variant=pdf_variant, allow_remote=allow_remote)
        targets = {fmt: out / f"{document.slug}{WRITERS[fmt][1]}" for fmt in formats}
        temps = {fmt: _stage(out, target, staged) for fmt, target in targets.items()}
        # The DOCX is written by a forked process while the PDF is laid out; the
        # PDF's page numbers are filled into the DOCX's contents afterwards.
        # (Not when the PDF comes from the cache: then the DOCX most likely does too.)
        pdf_cached = bool(inputs) and cache.has("outputs", _output_key("pdf", inputs, None),
                                                ".pdf")
        docx_job = _start_docx(document, chosen, temps["docx"], base) \
            if {"pdf", "docx"} <= set(formats) and hasattr(os, "fork") and not pdf_cached \
            else None
        page_numbers = None
        for fmt in sorted(formats, key=lambda f: f != "pdf"):
            if fmt == "docx" and docx_job is not None:
                _finish_docx(docx_job, temps["docx"], page_numbers or {})
                if inputs and not render_warnings:
                    key = _output_key("docx", inputs, page_numbers)
                    cache.store("outputs", key, temps["docx"], ".docx", {})
                continue
            options = replace(base, page_numbers=page_numbers)
            info = _render(fmt, document, chosen, temps[fmt], options, inputs,
                           render_warnings, page_numbers)
            if fmt == "pdf":
                page_numbers = info.get("page_numbers")
                result.pages = info.get("pages")
                if impose == "booklet":
                    from .render.impose import impose_booklet

                    booklet = out / f"{document.slug}-booklet.pdf"
                    impose_booklet(temps["pdf"], _stage(out, booklet, staged))
        for temp, target in staged:
            os.chmod(temp, 0o644)
            os.replace(temp, target)
            result.outputs[target.name] = target
    except BaseException:
        if "docx_job" in locals() and docx_job is not None:
            _stop_docx(docx_job)
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        if created_out and not any(out.iterdir()):
            out.rmdir()  # leave no trace of a build that did not happen
        raise
    result.warnings += render_warnings
    if pdf_variant and pdf_variant.startswith("pdf/a") and isinstance(document, Pack) \
            and document.annexes:
        result.warnings.append(f"the annexes' pages are drawn into the PDF as they are: "
                               f"check the {pdf_variant} conformance of the result with a validator")
    return result


def _output_key(fmt: str, inputs: str, page_numbers) -> str:
    return cache.digest("output", fmt, inputs, page_numbers and sorted(page_numbers.items()))


def _render(fmt, document, layout, temp: Path, options: RenderOptions, inputs: str,
            render_warnings: list, page_numbers) -> dict:
    """Write one format, or copy it from the cache when nothing it depends on changed."""
    extension = WRITERS[fmt][1]
    key = _output_key(fmt, inputs, page_numbers)
    # A hit is copied into `temp` and checked against its recorded sha256 on the
    # way; a bad or foreign entry is a miss, rendered again and replaced.
    info = cache.fetch("outputs", key, extension, temp) if inputs else None
    if isinstance(info, dict):
        return info
    info = writer(fmt)(document, layout, temp, options) or {}
    if inputs and not render_warnings:
        cache.store("outputs", key, temp, extension, info)
    return info


def _start_docx(document, layout, temp: Path, options: RenderOptions):
    """Fork a process that writes the DOCX, with placeholders for page numbers."""
    from .render.docx import PendingPageNumbers

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: write, report, and leave without running the parent's cleanup
        os.close(read_end)
        status = 0
        try:
            writer("docx")(document, layout, temp,
                           replace(options, page_numbers=PendingPageNumbers(), warnings=[]))
        except BaseException as exc:  # reported to the parent, which raises it
            os.write(write_end, f"{type(exc).__name__}: {exc}".encode("utf-8", "replace"))
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def _finish_docx(job, temp: Path, page_numbers: dict) -> None:
    from .render.docx import fill_page_numbers

    pid, read_end = job
    _, status = os.waitpid(pid, 0)
    with os.fdopen(read_end, "rb") as pipe:
        message = pipe.read().decode("utf-8", "replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"the DOCX writer failed: {message or 'killed'}")
    fill_page_numbers(temp, page_numbers)


def _stop_docx(job) -> None:
    import signal

    pid, read_end = job
    try:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
    try:
        os.close(read_end)
    except OSError:
        pass


def _inputs_digest(document, layout, options) -> str:
    """Everything an output depends on: content folders, annexes, layout files, options."""
    from .render.common import source_folders  # not .pdf: that imports WeasyPrint

    annexes = [a.digest for a in document.annexes] if isinstance(document, Pack) else []
    parts = [cache.folder_digest(f) for f in source_folders(document)] + annexes
    parts += [cache.folder_digest(f) for f in layout.folders]
    return cache.digest("inputs", *parts, repr(options))


def _stage(out: Path, target: Path, staged: list) -> Path:
    """A temporary file beside `target`, remembered for publishing or clean-up.

    Its name carries the building process's id, so the `.part` files that a killed
    build left behind (SIGKILL runs no clean-up) are recognised and removed here,
    at the next build of the same output, while a concurrent build's are kept."""
    remove_stale_parts(out, target.name)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".part",
                                    dir=out)
    os.close(handle)
    staged.append((Path(name), target))
    return Path(name)


def remove_stale_parts(out: Path, name: str) -> list[Path]:
    """Delete `.NAME.PID.*.part` files in `out` whose process is gone."""
    removed = []
    prefix = f".{name}."
    try:
        candidates = [p for p in out.iterdir()
                      if p.name.startswith(prefix) and p.name.endswith(".part")]
    except OSError:
        return removed
    for path in candidates:
        pid_text = path.name[len(prefix):].split(".", 1)[0]
        if pid_text.isdigit() and _alive(int(pid_text)):
            continue
        try:
            path.unlink()
            removed.append(path)
        except OSError:
            pass
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    except OSError:
        return False
    return True


__all__ = ["BriefgenError", "BuildResult", "build", "parse_formats", "source_date_epoch"]
