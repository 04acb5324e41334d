"""One edition of a pack per recipient: personalised, confidential-aware, fast.

What all editions share is laid out once: the pack (once per distinct set of
confidential parts the recipients may see); the covers are laid out 25
recipients at a time. An edition is then the shared pages with its own cover,
written by WeasyPrint (so the structure tree, bookmarks, links and metadata
are those of a normal build), with its annex pages and its footer line or
watermark drawn as artifacts, and its password set, by pikepdf.

Editions are written by a pool of forked processes that inherit the laid-out
pages; each worker lays out the covers of a batch of 25 recipients at a time,
so memory stays flat however long the list. Each file is written to a
temporary name and renamed into place.
"""
from __future__ import annotations

import csv
import hashlib
import io
import multiprocessing
import os
import re
import secrets
import sys
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from .content.pack_folder import load_pack, resolve_layout_spec
from .errors import BriefgenError, ContentError, UsageError
from .layouts import PAGE_SIZES, Layout, find_layout
from .model import Pack, Recipient
from .render import RenderOptions
from .slugs import slugify

MAX_CSV_BYTES = 20_000_000
_GROUP_SPLIT = re.compile(r"[,;|]\s*|\s+")


@dataclass
class EditionsResult:
    outputs: list[Path] = field(default_factory=list)
    #: (CSV line, message) of every row that produced no edition
    failures: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: a failure was a bug in briefgen, not a bad row (exit code 1, not 2)
    internal: bool = False


# ---------------------------------------------------------------- the recipients list

def read_recipients(path: Path, required: tuple[str, ...] = ()
                    ) -> tuple[list[Recipient], list[tuple[int, str]]]:
    """Rows of a CSV as exported by Excel or LibreOffice: UTF-8 (with or without
    BOM) or Windows-1252, comma, semicolon or tab separated, quoted newlines.
    Returns the good rows and (line, problem) for each bad one."""
    path = Path(path)
    if not path.is_file():
        raise UsageError("recipients file not found", path=path, hint="give a .csv file")
    raw = path.read_bytes()
    if len(raw) > MAX_CSV_BYTES:
        raise ContentError(f"recipients file is over {MAX_CSV_BYTES // 1_000_000} MB", path=path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ContentError("recipients file is empty", path=path, line=1,
                           hint="the first row names the columns: name, organisation, …") from None
    columns = [h.strip().lower().replace("organization", "organisation") for h in header]
    for column in ("name",) + tuple(required):
        if column not in columns:
            raise ContentError(f"the recipients file has no `{column}` column", path=path, line=1,
                               hint=f"add a `{column}` column (the first row has: "
                                    f"{', '.join(header)})")
    recipients, failures = [], []
    start = reader.line_num + 1
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            raise ContentError(f"the recipients file cannot be read here: {exc}", path=path,
                               line=start, hint="a quote is probably not closed") from None
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(columns):
            failures.append((line, f"{len(row)} cells but {len(columns)} columns — "
                                   "quote cells that contain the separator"))
            continue
        # A quoted newline (Alt+Enter in Excel) inside a name or organisation is a space.
        values = {column: (cell.strip() if column == "password" else " ".join(cell.split()))
                  for column, cell in zip(columns, row)}
        name = values.get("name", "")
        if not name:
            failures.append((line, "no name — fill in the name column"))
            continue
        extra = tuple((k, v) for k, v in values.items()
                      if k not in ("name", "organisation", "groups", "password") and k)
        recipients.append(Recipient(
            name=name, organisation=values.get("organisation", ""),
            groups=tuple(g for g in _GROUP_SPLIT.split(values.get("groups", "")) if g),
            password=values.get("password", ""), extra=extra, line=line))
    return recipients, failures


# ---------------------------------------------------------------- laying out once

_SHARED: dict = {}  # what forked workers inherit: the laid-out variants


BATCH = 25  # recipients whose covers are laid out together (bounds each worker's memory)


@dataclass
class _Variant:
    pack: Pack
    main: object          # weasyprint Document of the whole edition, generic cover
    anchors: dict
    renderer: object
    members: list[int]    # indexes into the recipients list


def _layout_variants(pack: Pack, recipients: list[Recipient], layout: Layout,
                     options: RenderOptions, lay_out: bool = True) -> list[_Variant]:
    from .render.pdf import Renderer, build_html, page_anchors

    groups: dict[tuple, list[int]] = {}
    for index, recipient in enumerate(recipients):
        edition = pack.for_recipient(recipient)
        key = (tuple(i.slug for i in edition.issues), tuple(a.id for a in edition.annexes))
        groups.setdefault(key, []).append(index)
    variants = []
    for members in groups.values():
        generic = replace(pack.for_recipient(recipients[members[0]]), recipient=None)
        if not lay_out:
            variants.append(_Variant(generic, None, {}, None, members))
            continue
        renderer = Renderer(generic, layout, options)
        main = renderer.render(build_html(generic, layout, options))
        variants.append(_Variant(generic, main, page_anchors(main), renderer, members))
    return variants


def _covers_html(pack: Pack, recipients: list[Recipient], layout: Layout,
                 options: RenderOptions) -> str:
    from . import __version__
    from .render.common import created_at, labels
    from .render.pdf import annex_letters
    from .render.templating import render_template

    return render_template(layout, layout.pack_template, pack=pack, covers=recipients,
                           annex_letters=annex_letters(pack), t=labels(pack.lang),
                           generator=f"briefgen {__version__}",
                           created=created_at(pack, options).strftime("%Y-%m-%dT%H:%M:%SZ"))


def _stamps(pack: Pack, recipients: list[Recipient], layout: Layout, options: RenderOptions,
            renderer) -> bytes | None:
    """A page per recipient carrying only their footer line and watermark."""
    if not (pack.edition_footer or pack.edition_watermark):
        return None
    from weasyprint import CSS, HTML
    from markupsafe import escape

    width, height = PAGE_SIZES[layout.page_size(options.page_size)]
    css = CSS(string=(
        f"@page {{ size: {width}mm {height}mm; margin: 0; }}"
        f".stamp {{ position: relative; height: {height}mm; overflow: hidden; break-after: page; }}"
        ".line { position: absolute; left: 0; right: 0; bottom: 6mm; text-align: center;"
        "  font-family: var(--font-heading); font-size: 7pt; color: " + layout.colours["muted"] + "; }"
        ".mark { position: absolute; left: -20mm; right: -20mm; top: 45%; text-align: center;"
        "  font-family: var(--font-heading); font-weight: 700; font-size: 34pt;"
        "  color: rgba(0, 0, 0, 0.07); transform: rotate(-35deg); }"), font_config=renderer.fonts)
    pages = []
    for recipient in recipients:
        edition = replace(pack, recipient=recipient)
        line = escape(edition.personalise(pack.edition_footer))
        mark = escape(edition.personalise(pack.edition_watermark))
        pages.append(f'<div class="stamp"><p class="line">{line}</p>'
                     f'<p class="mark">{mark}</p></div>')
    html = HTML(string="<html><body>" + "".join(pages) + "</body></html>")
    return html.write_pdf(stylesheets=[renderer.stylesheets[0], css],
                          font_config=renderer.fonts)


# ---------------------------------------------------------------- one edition

def _write_batch(task) -> list[tuple[int, list[str], str]]:
    """A forked worker's job: the variant, layout and options come from _SHARED."""
    variant_index, batch, _, encrypt = task
    people = [_SHARED["recipients"][index] for index, _ in batch]
    return _batch(_SHARED["variants"][variant_index], _SHARED["layout"], _SHARED["options"],
                  batch, people, encrypt)


def _batch(variant: "_Variant", layout: Layout, options: RenderOptions, batch, people,
           encrypt: bool) -> list[tuple[int, list[str], str]]:
    """Lay out a batch's covers (and stamps) in one pass, then write each of its
    editions. Returns (recipient index, written paths, error) per recipient."""
    from .render.pdf import page_anchors

    try:
        covers = variant.renderer.render(_covers_html(variant.pack, people, layout, options))
        stamps = _stamps(variant.pack, people, layout, options, variant.renderer)
    except Exception as exc:
        return [(index, [], f"internal error: {type(exc).__name__}: {exc}") for index, _ in batch]
    starts = page_anchors(covers)
    results = []
    for position, (index, targets) in enumerate(batch):
        # Each recipient's cover must be exactly one page: an overflowing cover
        # would otherwise hand its second page to the next recipient.
        first = starts[f"edition-cover-{position}"]
        after = starts.get(f"edition-cover-{position + 1}", len(covers.pages) + 1)
        if after - first != 1:
            results.append((index, [], f"the cover runs over {after - first} pages — shorten "
                                       "the organisation, or adapt the layout's cover"))
            continue
        try:
            results.append((index, _write_edition(variant, layout, options,
                                                  covers.pages[first - 1], stamps, position,
                                                  people[position], targets, encrypt), ""))
        except BriefgenError as exc:
            results.append((index, [], str(exc)))
        except Exception as exc:  # one bad edition must not stop the others
            results.append((index, [], f"internal error: {type(exc).__name__}: {exc}"))
    return results


def _write_edition(variant: _Variant, layout: Layout, options: RenderOptions, cover, stamps,
                   position: int, recipient: Recipient, targets, encrypt: bool) -> list[str]:
    written = []
    for fmt, target in targets:
        target = Path(target)
        handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                        dir=target.parent)
        os.close(handle)
        try:
            if fmt == "pdf":
                _edition_pdf(variant, cover, stamps, position, recipient, Path(temp), encrypt)
            else:
                from .render import docx as docx_writer

                docx_writer.write(replace(variant.pack, recipient=recipient), layout,
                                  Path(temp), replace(options, page_numbers=variant.anchors))
            os.chmod(temp, 0o644)
            os.replace(temp, target)
            written.append(str(target))
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
    return written


def _edition_pdf(variant: _Variant, cover, stamps: bytes | None, position: int,
                 recipient: Recipient, target: Path, encrypt: bool) -> None:
    import pikepdf

    from .render.pdf import overlay_artifact, place_annexes

    pages = [cover] + list(variant.main.pages[1:])
    edition = variant.main.copy(pages)
    identifier = hashlib.sha256(f"{variant.pack.slug}\0{recipient.name}\0{recipient.line}"
                                .encode()).hexdigest()[:32].encode()
    variant.renderer.write(edition, target, identifier)
    if not (variant.pack.annexes or stamps or encrypt):
        return
    with pikepdf.open(target, allow_overwriting_input=True) as pdf:
        if variant.pack.annexes:
            place_annexes(target, variant.pack, variant.anchors, pdf)
        if stamps:
            with pikepdf.open(io.BytesIO(stamps)) as stamp_pdf:
                form = stamp_pdf.pages[position].as_form_xobject()
                for page in pdf.pages:
                    box = page.mediabox
                    overlay_artifact(pdf, page, form, pikepdf.Rectangle(
                        float(box[0]), float(box[1]), float(box[2]), float(box[3])))
        if encrypt:
            pdf.save(target, encryption=pikepdf.Encryption(
                user=recipient.password, owner=secrets.token_urlsafe(24), R=6, aes=True))
        else:
            pdf.save(target, deterministic_id=True)


# ---------------------------------------------------------------- the whole run

def build_editions(pack_dir: str | Path, recipients_csv: str | Path, *,
                   layout: str | None = None, formats: tuple[str, ...] = ("pdf",),
                   output_dir: str | Path = "output", jobs: int | None = None,
                   encrypt: bool = False, options: RenderOptions | None = None,
                   progress: Callable[[str], None] | None = None,
                   scheduler: str | None = None) -> EditionsResult:
    if encrypt and "docx" in formats:
        raise UsageError("--encrypt protects PDFs only; a DOCX edition would go out unprotected",
                         hint="use --format pdf with --encrypt")
    loaded = load_pack(pack_dir)
    pack = loaded.pack
    chosen = find_layout(resolve_layout_spec(layout, pack))
    from .content.pack_folder import edition_placeholders

    used = edition_placeholders(pack.edition_footer) | edition_placeholders(pack.edition_watermark)
    needed = tuple(sorted(used - {"name", "organisation", "organization"}))
    recipients, failures = read_recipients(
        Path(recipients_csv), required=needed + (("password",) if encrypt else ()))
    result = EditionsResult(warnings=[str(w) for w in loaded.warnings])
    result.failures += failures
    if encrypt:
        keep = []
        for recipient in recipients:
            if recipient.password:
                keep.append(recipient)
            else:
                result.failures.append((recipient.line, "no password for --encrypt — fill in "
                                                        "the password column"))
        recipients = keep
    out = Path(output_dir)
    if out.exists() and not out.is_dir():
        raise UsageError("output path exists and is not a folder", path=out,
                         hint="choose another -o folder")
    if recipients:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create the output folder: {exc.strerror}", path=out,
                             hint="choose another -o folder") from None
    # File names from the names; two Maria Rossis get maria-rossi.pdf and maria-rossi-2.pdf.
    names: dict[int, str] = {}
    taken: set[str] = set()
    for index, recipient in enumerate(recipients):
        base = slugify(recipient.name, fallback="recipient")
        name, n = base, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        names[index] = name
    options = replace(options or RenderOptions(), warnings=[])
    # The Dask path lays out each variant on the workers, not here.
    variants = _layout_variants(pack, recipients, chosen, options, lay_out=not scheduler) \
        if recipients else []
    tasks = []
    for variant_index, variant in enumerate(variants):
        members = [(index, [(fmt, str(out.resolve() / f"{names[index]}.{fmt}"))
                            for fmt in formats])
                   for index in variant.members]
        for start in range(0, len(members), BATCH):
            tasks.append((variant_index, members[start:start + BATCH], formats, encrypt))
    _SHARED.update(variants=variants, recipients=recipients, options=options, layout=chosen)
    if scheduler:
        # Workers resolve nothing against their own folder: absolute paths only.
        results = _run_on_dask(scheduler, pack_dir, str(chosen.path), options, variants,
                               recipients, tasks)
    else:
        results = _run(tasks, jobs)
    try:
        for batch in results:
            for recipient_index, written, error in batch:
                if error:
                    result.failures.append((recipients[recipient_index].line, error))
                for path in written:
                    result.outputs.append(Path(path))
                    if progress:
                        progress(path)
    finally:
        _SHARED.clear()
        # Ctrl-C may stop a worker mid-write: its temporary file goes, complete files stay.
        for _, batch, _, _ in tasks:
            for _, targets in batch:
                for _, target in targets:
                    for leftover in out.glob(f".{Path(target).name}.*.part"):
                        leftover.unlink(missing_ok=True)
    result.failures.sort()
    result.internal = any(message.startswith("internal error") for _, message in result.failures)
    result.warnings += [str(w) for w in options.warnings]
    return result


def _run(tasks: list, jobs: int | None):
    """Yield each batch's results, in completion order."""
    jobs = max(1, jobs or os.cpu_count() or 1)
    if jobs == 1 or len(tasks) < 2 or sys.platform == "win32":
        for task in tasks:
            yield _write_batch(task)
        return
    # fork: the workers inherit the laid-out pages instead of laying them out again
    context = multiprocessing.get_context("fork")
    pool = context.Pool(min(jobs, len(tasks)))
    try:
        yield from pool.imap_unordered(_write_batch, tasks, chunksize=1)
        pool.close()
    except BaseException:
        pool.terminate()  # Ctrl-C: workers stop; only renamed (complete) files remain
        raise
    finally:
        pool.join()


# ---------------------------------------------------------------- a Dask cluster

_WORKER_VARIANTS: dict = {}  # on a Dask worker: variants laid out, reused by later batches


def _dask_batch(pack_dir: str, layout_spec: str | None, options: RenderOptions,
                variant_key: tuple, batch, people, encrypt: bool):
    """A Dask task. The worker reads the pack from the same path as the client
    (a shared file system), lays out the variant once per worker process, and
    writes the editions into the output folder (shared too)."""
    key = (pack_dir, layout_spec, repr(options), variant_key)
    if key not in _WORKER_VARIANTS:
        pack = load_pack(pack_dir).pack
        layout = find_layout(layout_spec or pack.layout or None)
        variant = _layout_variants(pack, [people[0]], layout, replace(options, warnings=[]))[0]
        _WORKER_VARIANTS[key] = (variant, layout)
    variant, layout = _WORKER_VARIANTS[key]
    return _batch(variant, layout, options, batch, people, encrypt)


def _run_on_dask(scheduler: str, pack_dir, layout_spec, options, variants, recipients, tasks):
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise UsageError("--scheduler needs Dask's distributed package",
                         hint="pip install 'briefgen[dask]'") from None
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler {scheduler}: {exc}",
                         hint="start one with `dask scheduler`, or drop --scheduler") from None
    pack_path = str(Path(pack_dir).resolve())
    worker_options = replace(options, warnings=None)
    try:
        futures = []
        for variant_index, batch, _, encrypt in tasks:
            variant = variants[variant_index]
            variant_key = (tuple(i.slug for i in variant.pack.issues),
                           tuple(a.id for a in variant.pack.annexes))
            people = [recipients[index] for index, _ in batch]
            futures.append(client.submit(_dask_batch, pack_path, layout_spec, worker_options,
                                         variant_key, batch, people, encrypt, pure=False))
        for future in as_completed(futures):
            yield future.result()
    finally:
        client.close()
