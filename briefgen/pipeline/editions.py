"""One edition of a pack per recipient: personalised, confidential-aware, fast.

Each requested writer gets the pack through `Writer.editions()` once per
distinct set of confidential parts the recipients may see, and then prepares
batches of 25 recipients and writes one edition per recipient. The PDF writer
lays the pack out and writes it once (with a neutral cover), and each batch's
covers in one more pass; an edition is a copy of those shared pages with the
recipient's own cover page, written alone, in place of the neutral one (see
render/pdf_editions.py); a writer without shared work writes each edition
whole, with the facts (page numbers) of the shared layout. With more than one
job, the PDF's shared pages of a second variant are laid out in a forked
process meanwhile (`_prepared_apart`). Files are staged and renamed into place
through publish.py, as builds are.

Editions are written by forked processes that inherit the shared pages;
each worker lays out the covers of a batch of 25 recipients at a time, so
memory stays flat however long the list. Each file is written to a temporary
name and renamed into place. Each edition's cover and stamp are written on
their own (their font subsets carry only the recipient's characters; the
shared pages' carry no recipient's), and the same pack and list give
byte-identical unencrypted editions. Ctrl-C stops the workers at
once and reports exactly the files that were renamed into place.

A rerun leaves alone the editions whose inputs did not change: each edition
written is recorded in the rebuild cache (cache.vouch: its sha256 and size
under a key of the pack's content, layout, options, file name and row), and
an edition whose file still matches its record is not written again; only the
variants that still have editions to write are laid out. `only` (--only)
picks recipients by name, file name or COLUMN=VALUE.
"""
from __future__ import annotations

import csv
import io
import multiprocessing
import os
import re
import signal
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from .. import cache, render
from ..content.pack_folder import load_pack, resolve_layout_spec
from ..errors import BriefgenError, ContentError, UsageError
from ..layouts import Layout, find_layout
from ..model import Pack, Recipient
from ..outline import build_outline
from ..render import RenderOptions
from ..slugs import slugify
from .publish import Publication, inputs_digest, remove_stale_parts

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
    #: Ctrl-C stopped the run: `outputs` lists exactly the files renamed into place
    interrupted: bool = False
    #: recipients whose editions were not (all) written because of the interruption
    not_done: int = 0
    #: editions left as they were: made from the same inputs, and still that file
    unchanged: list[Path] = field(default_factory=list)


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
    members: list[int]    # indexes into the recipients list
    #: writer name → its Editions (what all editions share, laid out once)
    sessions: dict = field(default_factory=dict)


def _layout_variants(pack: Pack, recipients: list[Recipient], layout: Layout,
                     options: RenderOptions, formats: tuple[str, ...], encrypt: bool,
                     lay_out: bool = True, jobs: int = 1) -> list[_Variant]:
    """One variant per distinct set of confidential parts the recipients may see.
    With `jobs` > 1, the PDF's shared pages of the second and later variants are
    laid out and written in forked processes while this one does the first's."""
    groups: dict[tuple, list[int]] = {}
    for index, recipient in enumerate(recipients):
        edition = pack.for_recipient(recipient)
        key = (tuple(i.slug for i in edition.issues), tuple(a.id for a in edition.annexes))
        groups.setdefault(key, []).append(index)
    variants = [_Variant(replace(pack.for_recipient(recipients[members[0]]), recipient=None),
                         members) for members in groups.values()]
    if lay_out:
        with _prepared_apart(variants[1:], layout, options, formats, jobs) as collect:
            for variant in variants:
                collect(variant)
                _lay_out(variant, layout, options, formats, encrypt)
    return variants


@contextmanager
def _prepared_apart(variants: list[_Variant], layout: Layout, options: RenderOptions,
                    formats: tuple[str, ...], jobs: int):
    """Fork a process per variant (up to `jobs` - 1) that lays out and writes its
    PDF's shared pages (render/pdf_editions.py `prepare`) and sends them back.
    Yields `collect(variant)`, which waits for that variant's pages, if any were
    prepared apart, and hands them to the PdfEditions made of it next. A process
    that fails sends nothing: its variant is then laid out here, as usual."""
    apart = variants[:max(0, jobs - 1)] if "pdf" in formats and sys.platform != "win32" else []
    if not apart:
        yield lambda variant: None
        return
    from ..render import pdf_editions

    context = multiprocessing.get_context("fork")
    children: dict[int, tuple] = {}

    def child(variant: _Variant, send) -> None:
        state = None
        try:
            state = pdf_editions.prepare(build_outline(variant.pack), layout, options)
        except BaseException:
            pass
        try:
            send.send(state)
        finally:
            from ..render.weasy import remove_font_folders

            remove_font_folders()  # its own renderers' (os._exit skips their clean-up)
            os._exit(0)

    def collect(variant: _Variant) -> None:
        if id(variant) not in children:
            return
        process, receive = children.pop(id(variant))
        try:
            state = receive.recv()
        except (EOFError, OSError):
            state = None
        receive.close()
        process.join()
        if state is not None:
            pdf_editions.PREPARED[id(variant.pack)] = state

    try:
        for variant in apart:
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=child, args=(variant, send), daemon=True)
            process.start()
            send.close()
            children[id(variant)] = (process, receive)
        yield collect
    finally:
        for process, receive in children.values():  # stopped before collecting them
            process.kill()
            process.join()
            receive.close()
        for variant in apart:
            pdf_editions.PREPARED.pop(id(variant.pack), None)


def _lay_out(variant: _Variant, layout: Layout, options: RenderOptions,
             formats: tuple[str, ...], encrypt: bool) -> None:
    """Each writer's shared work, in the registry's order: facts flow from the
    writers that provide them (or are measured) to the writers that need them."""
    outline = build_outline(variant.pack)
    facts: dict = {}
    for writer_class in render.ordered(formats):
        for fact, supplier in render.suppliers([writer_class]).items():
            if fact not in facts:
                facts.update(supplier().measure(outline, layout, options))
        session = writer_class().editions(outline, layout, options, facts, encrypt=encrypt)
        facts.update(session.facts)
        variant.sessions[writer_class.name] = session


# ---------------------------------------------------------------- stopping cleanly

class _Interrupt:
    """Ctrl-C (or the parent's SIGTERM, in a worker) raises KeyboardInterrupt at
    once, except inside `critical()`: renaming a finished edition into place and
    reporting it happen together or not at all, so the count of files written
    is exact."""

    def __init__(self):
        self.depth = 0
        self.pending = False

    def __call__(self, signum, frame):
        if self.depth:
            self.pending = True
        else:
            raise KeyboardInterrupt

    @contextmanager
    def critical(self):
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
            if not self.depth and self.pending:
                self.pending = False
                raise KeyboardInterrupt


_INTERRUPT = _Interrupt()


@contextmanager
def _interruptible(*signals):
    """Install _INTERRUPT for `signals` (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _INTERRUPT) for s in signals}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


# ---------------------------------------------------------------- one edition

Report = Callable[[str, int, str], None]  # ("file", recipient, path) or ("done", recipient, error)


def _batch(variant: _Variant, batch, people, out: str, report: Report) -> None:
    """Prepare a batch in each writer (the PDF lays out its covers and stamps in
    one pass), then write each of its editions, reporting every file as it is
    renamed into place and every recipient when done (with an error, or "")."""
    try:
        problems: list = [None] * len(people)
        for session in variant.sessions.values():
            for position, problem in enumerate(session.batch(people)):
                problems[position] = problems[position] or problem
    except Exception as exc:
        for index, _ in batch:
            report("done", index, f"internal error: {type(exc).__name__}: {exc}")
        return
    for position, (index, targets) in enumerate(batch):
        if problems[position]:
            report("done", index, problems[position])
            continue
        try:
            _write_edition(variant, position, people[position], index, targets, out, report)
        except BriefgenError as exc:
            report("done", index, str(exc))
        except OSError as exc:  # a read-only or full output folder: the user's to fix
            where = exc.filename or out
            report("done", index, f"cannot write {where}: {exc.strerror or exc} — make the "
                                  "output folder writable, free some space, or choose "
                                  "another -o folder")
        except Exception as exc:  # one bad edition must not stop the others
            report("done", index, f"internal error: {type(exc).__name__}: {exc}")
        else:
            report("done", index, "")


def _write_edition(variant: _Variant, position: int, recipient: Recipient, index: int,
                   targets, out: str, report: Report) -> None:
    publication = Publication(Path(out), created=False, swept=True)  # build_editions sweeps
    for writer_name, name, key in targets:
        try:
            temp = publication.stage(name)
            variant.sessions[writer_name].write(position, recipient, temp)
            if key:  # the next run leaves this file alone while it is still these bytes
                cache.vouch("editions", key, temp)
            with _INTERRUPT.critical():
                target = publication.commit(temp)
                report("file", index, str(target))
        except OSError as exc:  # name the edition, not its temporary file
            raise OSError(exc.errno, exc.strerror or str(exc), str(Path(out) / name)) from None
        finally:
            publication.discard()


# ---------------------------------------------------------------- the whole run

def _file_names(pack: Pack, recipients: list[Recipient], csv_path: Path
                ) -> tuple[dict[int, str], list[str]]:
    """A file name per recipient, never one that another recipient or the pack's
    own build (`<slug>.pdf`, `.docx`, `-booklet.pdf`) uses: two Maria Rossis get
    maria-rossi and maria-rossi-2, and a recipient called "Board Pack" gets
    board-pack-2 (with a warning) rather than overwriting board-pack.pdf."""
    reserved = {pack.slug, f"{pack.slug}-booklet"}
    names: dict[int, str] = {}
    notes = []
    taken = set(reserved)
    for index, recipient in enumerate(recipients):
        base = slugify(recipient.name, fallback="recipient")
        # Room for the extension and the temporary name within 255 bytes.
        while len(base.encode()) > 150:
            base = base[:-1].rstrip("-")
        name, n = base, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        if base in reserved:
            notes.append(f"{csv_path}:{recipient.line}: {base} is the pack's own file name; "
                         f"this edition is {name}")
        taken.add(name)
        names[index] = name
    return names, notes


def _select(only: tuple[str, ...], recipients: list[Recipient], names: dict[int, str],
            csv_path: Path) -> list[int]:
    """The indexes of the rows `only` names: by the name column (any case) or by the
    edition's file name (`maria-rossi-2`). An unknown name is a usage error with
    the closest name there is."""
    import difflib

    by_name: dict[str, list[int]] = {}
    for index, recipient in enumerate(recipients):
        by_name.setdefault(recipient.name.casefold(), []).append(index)
    by_file = {name.casefold(): index for index, name in names.items()}
    chosen: list[int] = []
    for wanted in only:
        if "=" in wanted:  # a row filter: COLUMN=VALUE (groups: one of the row's groups)
            chosen += [i for i in _matching_rows(wanted, recipients, csv_path) if i not in chosen]
            continue
        key = " ".join(wanted.split()).casefold()
        found = by_name.get(key) or ([by_file[key]] if key in by_file else [])
        if not found:
            choices = [r.name for r in recipients] + list(names.values())
            close = difflib.get_close_matches(wanted, choices, n=1, cutoff=0.6) or \
                difflib.get_close_matches(key, [c.casefold() for c in choices], n=1, cutoff=0.6)
            if close:
                close = [next(c for c in choices if c.casefold() == close[0].casefold())]
            raise UsageError(f"--only {wanted!r}: no recipient of that name in {csv_path}",
                             hint=f"did you mean {close[0]!r}?" if close else
                             "give names as in the name column, or the editions' file names")
        chosen += [i for i in found if i not in chosen]
    return sorted(chosen)


def _matching_rows(condition: str, recipients: list[Recipient], csv_path: Path) -> list[int]:
    """The rows where COLUMN=VALUE holds (any case; `groups=board`: board is one of
    the row's groups). A column the list does not have, or no row matching, is a
    usage error."""
    column, _, value = condition.partition("=")
    column = column.strip().lower().replace("organization", "organisation")
    value = " ".join(value.split()).casefold()
    columns = {"name", "organisation", "groups"} | {k for r in recipients for k, _ in r.extra}

    def cells(recipient: Recipient) -> list[str]:
        if column == "groups":
            return list(recipient.groups)
        if column in ("name", "organisation"):
            return [getattr(recipient, column)]
        return [dict(recipient.extra).get(column, "")]

    if column not in columns:
        raise UsageError(f"--only {condition!r}: {csv_path} has no `{column}` column",
                         hint=f"filter on one of: {', '.join(sorted(columns))}")
    found = [i for i, r in enumerate(recipients)
             if any(" ".join(c.split()).casefold() == value for c in cells(r))]
    if not found:
        raise UsageError(f"--only {condition!r}: no row of {csv_path} has that value",
                         hint="check the spelling against the list")
    return found


def _file(names: dict[int, str], index: int, writer_name: str) -> str:
    """The file name of recipient `index`'s edition in a writer's format."""
    return names[index] + render.get(writer_name).suffix


def _edition_keys(pack: Pack, recipients: list[Recipient], names: dict[int, str],
                  layout: Layout, options: RenderOptions, formats: tuple[str, ...],
                  encrypt: bool, csv_path: Path, out: Path, scheduler: str | None,
                  result: EditionsResult) -> dict[int, dict[str, str]]:
    """Per recipient and writer, the key of everything its edition is made from: the
    pack's inputs (content folders and annexes, the recipients list, the output
    folder and the editions' files excepted), the layout, the options, the file's name and the row. Empty
    when editions are not to be skipped: the cache is off, --encrypt (no record of
    anything derived from a password), a Dask cluster (its workers write)."""
    if encrypt or scheduler or not recipients or not cache.enabled():
        return {}
    try:
        reference = options.reference_docx
        # (the editions themselves too, for an output folder that is the pack's own)
        written = [(out / _file(names, index, name)).resolve()
                   for index in names for name in formats]
        shared = inputs_digest(pack, layout, (repr(replace(options, warnings=None)),
                                              cache.file_digest(reference) if reference else None),
                               exclude=(csv_path.resolve(), out.resolve(), *written))
    except cache.Uncacheable as exc:
        result.warnings.append(f"{exc.where()}: {exc.message}: every edition is written")
        return {}
    keys = {}
    for index, recipient in enumerate(recipients):
        row = repr((recipient.name, recipient.organisation, recipient.groups, recipient.extra))
        keys[index] = {name: cache.digest("edition", name, shared, names[index], row)
                       for name in formats}
    return keys


def build_editions(pack_dir: str | Path, recipients_csv: str | Path, *,
                   layout: str | None = None, formats: tuple[str, ...] | None = None,
                   output_dir: str | Path = "output", jobs: int | None = None,
                   encrypt: bool = False, options: RenderOptions | None = None,
                   progress: Callable[[str], None] | None = None,
                   scheduler: str | None = None,
                   only: tuple[str, ...] = ()) -> EditionsResult:
    """One edition per recipient of `recipients_csv` (only those `only` names, by
    name or file name, when given). An edition whose inputs (the pack's content,
    the layout, the options, the recipient's row) are those it was last written
    from, and whose file is still exactly what was written then, is left alone
    and listed in `unchanged` (the rebuild cache keeps a record of each; not with
    `encrypt`, the cache is not to hold anything derived from passwords)."""
    formats = tuple(w.name for w in render.ordered(formats or render.defaults()[:1]))
    unprotected = [name for name in formats if "encrypt" not in render.get(name).supports]
    if encrypt and unprotected:
        able = render.base.supporting("encrypt")
        raise UsageError(f"--encrypt protects {', '.join(n.upper() + 's' for n in able)} only; "
                         f"a {unprotected[0].upper()} edition would go out unprotected",
                         hint=f"use --format {' or '.join(able)} with --encrypt")
    if scheduler:  # before any work: a wrong address is one line, at once
        scheduler = _check_scheduler(scheduler)
        _greet_scheduler(scheduler)
    loaded = load_pack(pack_dir)
    pack = loaded.pack
    chosen = find_layout(resolve_layout_spec(layout, pack))
    from ..content.pack_folder import edition_placeholders

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
    if out.exists() and not out.is_dir() or recipients:
        # A read-only (or full) folder is one clear error before any work.
        Publication.open(out, probe=True)
    names, notes = _file_names(pack, recipients, Path(recipients_csv))
    if only:  # file names come from the whole list: an edition keeps its name
        chosen_rows = _select(only, recipients, names, Path(recipients_csv))
        result.failures = [(line, message) for line, message in result.failures
                           if line in {recipients[i].line for i in chosen_rows}]
        recipients = [recipients[i] for i in chosen_rows]
        names = {new: names[old] for new, old in enumerate(chosen_rows)}
        notes = [n for n in notes if any(f":{r.line}:" in n for r in recipients)]
    result.warnings += notes
    options = replace(options or RenderOptions(), warnings=[])
    keys = _edition_keys(pack, recipients, names, chosen, options, formats, encrypt,
                         Path(recipients_csv), out, scheduler, result)
    if keys:
        todo = []
        for index, recipient in enumerate(recipients):
            files = [out / _file(names, index, name) for name in formats]
            if all(cache.vouched("editions", keys[index][name], path)
                   for name, path in zip(formats, files)):
                result.unchanged += files
            else:
                todo.append(index)
        recipients = [recipients[i] for i in todo]
        names = {new: names[old] for new, old in enumerate(todo)}
        keys = {new: keys[old] for new, old in enumerate(todo)}
    # The Dask path lays out each variant on the workers, not here.
    variants = _layout_variants(pack, recipients, chosen, options, formats, encrypt,
                                lay_out=not scheduler,
                                jobs=max(1, jobs or os.cpu_count() or 1)) if recipients else []
    folder = str(out.resolve())  # workers resolve nothing against their own folder
    tasks = []
    for variant_index, variant in enumerate(variants):
        members = [(index, [(name, _file(names, index, name),
                             keys[index][name] if keys else "") for name in formats])
                   for index in variant.members]
        for start in range(0, len(members), BATCH):
            tasks.append((variant_index, members[start:start + BATCH], folder))
    done: set[int] = set()

    def record(kind: str, index: int, value: str) -> None:
        # Called inside the critical section that renamed the file: no Ctrl-C here.
        if kind == "file":
            result.outputs.append(Path(value))
            if progress:
                progress(value)
        elif index < 0:
            result.failures.append((0, value))
        else:
            done.add(index)
            if value:
                result.failures.append((recipients[index].line, value))

    _SHARED.update(variants=variants, recipients=recipients, options=options, layout=chosen)
    try:
        if scheduler:
            _run_on_dask(scheduler, pack_dir, str(chosen.path), options, formats, encrypt,
                         variants, recipients, tasks, record, result)
        else:
            _run(tasks, jobs, record)
    except KeyboardInterrupt:
        result.interrupted = True
    finally:
        _SHARED.clear()
        # A stopped worker's temporary file goes (and any left by an earlier
        # run that was killed); complete files stay. One listing of the folder.
        remove_stale_parts(out, {n for _, batch, _ in tasks for _, targets in batch
                                 for _, n, _ in targets}, own=True)
    # (a recipient whose files were all renamed into place is done, even where the
    # interruption came between its last file and its worker's word that it was)
    written = {Path(path).name for path in result.outputs}
    for _, batch, _ in tasks:
        for index, targets in batch:
            if targets and all(name in written for _, name, _ in targets):
                done.add(index)
    result.not_done = len([i for i in range(len(recipients)) if i not in done])
    if not result.interrupted and result.not_done:
        for index in range(len(recipients)):
            if index not in done:
                result.failures.append((recipients[index].line, "internal error: the process "
                                        "writing this edition stopped before finishing it"))
    result.failures.sort()
    result.internal = any(message.startswith("internal error") for _, message in result.failures)
    result.warnings += [str(w) for w in options.warnings]
    return result


def _run(tasks: list, jobs: int | None, record: Report) -> None:
    """Write every batch, here or in forked workers; Ctrl-C raises KeyboardInterrupt
    after everything renamed into place has been recorded."""
    jobs = max(1, jobs or os.cpu_count() or 1)
    if jobs == 1 or len(tasks) < 2 or sys.platform == "win32":
        with _interruptible(signal.SIGINT):
            for task in tasks:
                _run_task(task, record)
        return
    _run_forked(tasks, min(jobs, len(tasks)), record)


def _run_task(task, report: Report) -> None:
    variant_index, batch, folder = task
    people = [_SHARED["recipients"][index] for index, _ in batch]
    _batch(_SHARED["variants"][variant_index], batch, people, folder, report)


STOP_GRACE = 1.0  # seconds a worker has to stop after SIGTERM before SIGKILL


def _run_forked(tasks: list, jobs: int, record: Report) -> None:
    """Forked workers inherit the laid-out pages instead of laying them out again.
    Each takes the next batch from a shared counter and sends a message per
    file renamed into place and per recipient done. Ctrl-C reaches the parent
    only (workers ignore it): the parent stops the workers with SIGTERM (they
    finish a rename in progress, nothing else), records what they sent, and
    raises KeyboardInterrupt."""
    from multiprocessing.connection import wait

    context = multiprocessing.get_context("fork")
    counter = context.Value("i", 0)
    workers, pipes = [], []
    with _interruptible(signal.SIGINT):
        try:
            for _ in range(jobs):
                receive, send = context.Pipe(duplex=False)
                worker = context.Process(target=_worker, args=(tasks, counter, send), daemon=True)
                worker.start()
                send.close()
                workers.append(worker)
                pipes.append(receive)
            while pipes:
                for pipe in wait(pipes):
                    with _INTERRUPT.critical():
                        try:
                            message = pipe.recv()
                        except (EOFError, OSError):
                            pipes.remove(pipe)
                            continue
                        record(*message)
        except BaseException:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C changes nothing
            _stop(workers, pipes, record)
            raise
        finally:
            for worker in workers:
                worker.join(STOP_GRACE)
                if worker.is_alive():
                    worker.kill()
                    worker.join()


def _stop(workers, pipes, record: Report) -> None:
    """SIGTERM each worker; record what they send until they have all exited."""
    import time
    from multiprocessing.connection import wait

    for worker in workers:
        if worker.is_alive():
            worker.terminate()
    deadline = time.monotonic() + STOP_GRACE
    while pipes and time.monotonic() < deadline:
        for pipe in wait(pipes, timeout=max(0.0, deadline - time.monotonic())):
            try:
                record(*pipe.recv())
            except (EOFError, OSError):
                pipes.remove(pipe)
            except Exception:  # a message cut short by SIGKILL: the worker is gone
                pipes.remove(pipe)


def _worker(tasks, counter, send) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    code = 0
    try:
        with _interruptible(signal.SIGTERM):
            def report(*message):
                send.send(message)

            while True:
                with counter.get_lock():
                    number = counter.value
                    counter.value += 1
                if number >= len(tasks):
                    break
                _run_task(tasks[number], report)
    except KeyboardInterrupt:  # SIGTERM from the parent: stop quietly
        code = 1
    except BaseException as exc:
        code = 1
        try:
            send.send(("done", -1, f"internal error: {type(exc).__name__}: {exc}"))
        except Exception:
            pass
    finally:
        try:
            send.close()
            weasy = sys.modules.get("briefgen.render.weasy")
            if weasy is not None:  # the fonts of renderers made in this worker
                weasy.remove_font_folders()
        finally:
            os._exit(code)  # no atexit handlers or tracebacks from a forked copy


# ---------------------------------------------------------------- a Dask cluster

_WORKER_VARIANTS: dict = {}  # on a Dask worker: variants laid out, reused by later batches

DASK_TIMEOUT = 10  # seconds to connect to a scheduler and hear its greeting


def _dask_batch(pack_dir: str, layout_spec: str | None, options: RenderOptions,
                formats: tuple[str, ...], encrypt: bool, variant_key: tuple, batch, people,
                folder: str):
    """A Dask task. The worker reads the pack from the same path as the client
    (a shared file system), lays out the variant once per worker process, and
    writes the editions into the output folder (shared too)."""
    key = (pack_dir, layout_spec, repr(options), formats, encrypt, variant_key)
    if key not in _WORKER_VARIANTS:
        pack = load_pack(pack_dir).pack
        layout = find_layout(layout_spec or pack.layout or None)
        _WORKER_VARIANTS[key] = _layout_variants(pack, [people[0]], layout,
                                                 replace(options, warnings=[]), formats,
                                                 encrypt)[0]
    messages = []
    _batch(_WORKER_VARIANTS[key], batch, people, folder,
           lambda *message: messages.append(message))
    return messages


_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")


def _check_scheduler(address: str) -> str:
    """`tcp://HOST:PORT` (or HOST:PORT); refuses other schemes up front."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        from ..install import install_command

        raise UsageError("--scheduler needs Dask's distributed package",
                         hint=f"install it: {install_command('dask')}") from None
    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    host, colon, port = rest.rpartition(":")
    if scheme not in _SCHEMES or not colon or not host or not port.isdigit():
        raise UsageError(f"--scheduler {address!r} is not the address of a Dask scheduler",
                         hint="give tcp://HOST:PORT (the address `dask scheduler` prints)")
    return f"{scheme}://{rest}"


def _greet_scheduler(address: str) -> None:
    """Check, within DASK_TIMEOUT seconds, that a tcp:// address answers as a Dask
    scheduler does: it sends a small msgpack handshake first. A silent server or
    one that speaks another protocol is refused here, where Dask's own client
    would wait for minutes or try to allocate what garbage claims as a length."""
    import socket
    import struct
    import time

    scheme, _, rest = address.partition("://")
    if scheme != "tcp":
        return
    host, _, port = rest.rpartition(":")
    host = host.strip("[]")

    def refuse(why: str):
        return UsageError(f"{address} is not a Dask scheduler: {why}",
                          hint="give the address that `dask scheduler` prints, or drop "
                               "--scheduler")

    deadline = time.monotonic() + DASK_TIMEOUT
    try:
        with socket.create_connection((host, int(port)), timeout=DASK_TIMEOUT) as conn:
            def read(count: int) -> bytes:
                data = b""
                while len(data) < count:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError
                    conn.settimeout(left)
                    chunk = conn.recv(count - len(data))
                    if not chunk:
                        raise refuse("it closed the connection without a greeting")
                    data += chunk
                return data

            (size,) = struct.unpack("<Q", read(8))
            if not 16 <= size <= 65536:
                raise refuse("its greeting is not Dask's")
            body = read(size)
            (frames,) = struct.unpack_from("<Q", body)
            lengths = struct.unpack_from(f"<{frames}Q", body, 8) if 0 < frames < 64 else ()
            if not lengths or 8 + 8 * frames + sum(lengths) != size:
                raise refuse("its greeting is not Dask's")
    except TimeoutError:
        raise refuse(f"no greeting within {DASK_TIMEOUT} s") from None
    except OSError as exc:
        raise UsageError(f"cannot reach the Dask scheduler {address}: {exc.strerror or exc}",
                         hint="start one with `dask scheduler`, or drop --scheduler") from None


def _run_on_dask(scheduler: str, pack_dir, layout_spec, options, formats, encrypt, variants,
                 recipients, tasks, record: Report, result: EditionsResult) -> None:
    from distributed import Client, as_completed  # present: _check_scheduler imported it

    try:
        client = Client(scheduler, timeout=f"{DASK_TIMEOUT}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler {scheduler}: {exc}",
                         hint="start one with `dask scheduler`, or drop --scheduler") from None
    pack_path = str(Path(pack_dir).resolve())
    worker_options = replace(options, warnings=None)
    futures = []
    try:
        for variant_index, batch, folder in tasks:
            variant = variants[variant_index]
            variant_key = (tuple(i.slug for i in variant.pack.issues),
                           tuple(a.id for a in variant.pack.annexes))
            people = [recipients[index] for index, _ in batch]
            futures.append(client.submit(_dask_batch, pack_path, layout_spec, worker_options,
                                         formats, encrypt, variant_key, batch, people, folder,
                                         pure=False))
        with _interruptible(signal.SIGINT):
            for future in as_completed(futures):
                messages = future.result()
                with _INTERRUPT.critical():
                    for message in messages:
                        record(*message)
    except KeyboardInterrupt:
        # Tasks already running on the cluster cannot be recalled.
        result.warnings.append("batches already running on the Dask cluster may still write "
                               "their editions after this")
        client.cancel(futures)
        raise
    finally:
        client.close(timeout=2)
