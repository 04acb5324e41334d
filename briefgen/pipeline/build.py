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
from ..content.issue_folder import load_issue
from ..errors import BriefgenError, UsageError
from ..layouts import Layout, find_layout
from ..model import Issue, Pack
from ..outline import build_outline
from ..preflight import Finding
from ..render import RenderOptions
from .publish import Publication, inputs_digest, output_key, through_cache


@dataclass
class BuildResult:
    document: Issue | Pack
    layout: Layout
    outputs: dict[str, Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    pages: int | None = None
    #: the output whose page count `pages` is
    pages_of: str | None = None
    #: the preflight's findings on the laid-out pages (also in `warnings`)
    findings: list = field(default_factory=list)
    #: the other warnings as they were raised (BriefgenError, or text), in the order of
    #: `warnings`: what `--json` reports with their file and line
    warning_items: list = field(default_factory=list)


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
          allow_remote: bool = False, reference_docx: Path | None = None,
          comments: bool = False, print_links: bool = False) -> BuildResult:
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
        loaded = load_issue(issue_dir)
        document = loaded.issue
        chosen = find_layout(layout)
    chosen.page_size(page_size)  # fail on a bad size before anything is written
    publication = Publication.open(output_dir)

    result = BuildResult(document, chosen, warnings=[str(w) for w in loaded.warnings],
                         warning_items=list(loaded.warnings))
    inputs = ""
    if cache.enabled():
        try:
            # (--impose booklet mirrors the pages of the PDF and the DOCX themselves)
            inputs = inputs_digest(document, chosen, (page_size, epoch, print_marks, pdf_variant,
                                                      allow_remote, _file_key(reference_docx),
                                                      comments, print_links, impose))
        except cache.Uncacheable as exc:
            result.warnings.append(f"{exc.where()}: {exc.message}: built without the cache")
            result.warning_items.append(result.warnings[-1])
    render_warnings: list[str] = []
    options = RenderOptions(page_size=page_size, source_date_epoch=epoch,
                            warnings=render_warnings, print_marks=print_marks,
                            pdf_variant=pdf_variant, allow_remote=allow_remote,
                            reference_docx=reference_docx, impose=impose, comments=comments,
                            print_links=print_links)
    outline = build_outline(document)
    facts: dict = {}

    def _checked(writer, found: dict) -> dict:
        """A writer's facts, with its preflight findings (if any) under "preflight"."""
        checked = writer.findings(outline, chosen, options)
        return found if checked is None else {**found, "preflight": checked}
    # Writers in worker processes, by index: forked before anything is laid out (the
    # worker is small: it does not carry the laid-out pages, which the parent holds
    # while it writes the PDF), each waiting for the facts it needs from an earlier
    # writer. Without fork (or served from the cache), a writer runs in this process.
    running: dict[int, ForkedWrite] = {}
    try:
        temps = [publication.stage(f"{document.slug}{w.suffix}") for w in writers]
        keys = [output_key(w.name, inputs) if inputs and w.cacheable else "" for w in writers]
        for later, waiting in enumerate(writers):
            earlier = set().union(*(w.provides for w in writers[:later]))
            if waiting.needs and waiting.needs <= earlier and hasattr(os, "fork") \
                    and not (keys[later] and cache.has("outputs", keys[later], waiting.suffix)):
                running[later] = ForkedWrite.start(waiting(), outline, chosen, temps[later],
                                                   options)

        def hand_over(known: dict) -> None:
            """Send the workers waiting for facts the facts known so far, once they suffice."""
            for later, job in running.items():
                if not job.sent and writers[later].needs <= set(known):
                    job.send(known)

        for index, (writer_class, temp) in enumerate(zip(writers, temps)):
            writer = writer_class()
            if index in running:
                hand_over(facts)
                found = running.pop(index).join(options)
                if keys[index] and not render_warnings:
                    cache.store("outputs", keys[index], temp, writer.suffix, found)
            else:
                def make(writer=writer, index=index, temp=temp) -> dict:
                    for fact, supplier in render.suppliers([type(writer)]).items():
                        if fact not in facts:  # nobody requested writes it: measure it
                            facts.update(supplier().measure(outline, chosen, options))
                    started = writer.start(outline, chosen, temp, options, dict(facts))
                    if started is None:
                        return _checked(writer, writer.write(outline, chosen, temp, options,
                                                             dict(facts)))
                    # The facts are known before the file is written (the PDF's page
                    # numbers, once laid out): the workers waiting for them write
                    # their files while this one finishes.
                    hand_over({**facts, **started.facts})
                    return _checked(writer, started.finish())

                found = through_cache(keys[index], writer.suffix, temp, make,
                                      keep=lambda: not render_warnings)
                # The preflight's findings (cached with the output's facts): warnings.
                found = dict(found)
                for item in found.pop("preflight", None) or ():
                    result.findings.append(Finding.from_dict(item))
            facts.update(found)
            hand_over(facts)  # a writer served from the cache: its facts, at once
            if "pages" in writer.provides and result.pages is None:
                result.pages, result.pages_of = found.get("pages"), f"{document.slug}{writer.suffix}"
            for ending in writer.companions(options):
                folder = ending.endswith("/")
                staged = publication.stage(f"{document.slug}{ending.rstrip('/')}", folder=folder)
                writer.write_companion(ending, temp, staged, options)
        result.outputs = publication.publish()
    except BaseException:
        for job in running.values():
            job.stop()
        publication.discard()
        raise
    result.warnings += render_warnings
    result.warning_items += render_warnings
    result.warnings += [str(finding) for finding in result.findings]
    return result


class ForkedWrite:
    """One writer's `write` in a forked worker process, started before the facts it
    needs are known: it prepares (`Writer.prepare`: its imports) and waits for them
    on a pipe (`send`), then writes while the parent goes on with its own work. Its
    facts and warnings come back as JSON through another pipe; a user's mistake
    comes back as the same one-line error. A worker whose parent dies reads the end
    of its pipe and leaves."""

    def __init__(self, pid: int, pipe: int, facts_pipe: int):
        self.pid, self.pipe, self.facts_pipe = pid, pipe, facts_pipe
        self.sent = False

    @classmethod
    def start(cls, writer, outline, layout, target: Path,
              options: RenderOptions) -> "ForkedWrite":
        import json
        from dataclasses import replace

        read_end, write_end = os.pipe()
        facts_in, facts_out = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: write, report, leave without the parent's clean-up
            os.close(read_end)
            os.close(facts_out)
            status = 0
            try:
                writer.prepare(outline, layout, options)
                with os.fdopen(facts_in, "r", encoding="utf-8") as pipe:
                    # one line: another fork of the parent may hold the pipe open
                    text = pipe.readline()
                if not text:  # the parent stopped (or died) before the facts were known
                    os._exit(1)
                facts = cache.decode_info(json.loads(text))
                warnings: list = []
                found = writer.write(outline, layout, target, replace(options, warnings=warnings),
                                     facts)
                report = {"facts": cache.encode_info(found), "warnings": [str(w) for w in warnings]}
            except BriefgenError as exc:
                report = {"error": {"message": exc.message, "hint": exc.hint, "line": exc.line,
                                    "path": str(exc.path) if exc.path else None}}
                status = 1
            except BaseException as exc:  # a bug: reported to the parent, which raises it
                report = {"bug": f"{type(exc).__name__}: {exc}"}
                status = 1
            try:
                with os.fdopen(write_end, "w", encoding="utf-8") as pipe:
                    json.dump(report, pipe)
            finally:
                os._exit(status)
        os.close(write_end)
        os.close(facts_in)
        return cls(pid, read_end, facts_out)

    def send(self, facts: dict) -> None:
        """The facts the worker waits for: it writes its file now."""
        import json

        self.sent = True
        try:
            with os.fdopen(self.facts_pipe, "w", encoding="utf-8") as pipe:
                pipe.write(json.dumps(cache.encode_info(facts)) + "\n")
        except BrokenPipeError:
            pass  # the worker failed while preparing: join() reports why

    def join(self, options: RenderOptions) -> dict:
        import json

        if not self.sent:  # nothing will provide them now: the worker leaves
            self.sent = True
            os.close(self.facts_pipe)
        with os.fdopen(self.pipe, "r", encoding="utf-8") as pipe:
            text = pipe.read()
        os.waitpid(self.pid, 0)
        try:
            report = json.loads(text)
        except ValueError:
            raise RuntimeError("a writer's worker process ended without a report") from None
        if "error" in report:
            raise BriefgenError(**report["error"])
        if "bug" in report:
            raise RuntimeError(f"a writer failed in its worker process: {report['bug']}")
        if options.warnings is not None:
            options.warnings.extend(report["warnings"])
        return cache.decode_info(report["facts"])

    def stop(self) -> None:
        import signal

        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        for pipe in (self.pipe, None if self.sent else self.facts_pipe):
            try:
                if pipe is not None:
                    os.close(pipe)
            except OSError:
                pass


def _file_key(path: Path | None) -> str | None:
    """A file given as an option, keyed by its contents (the cache must see edits)."""
    return cache.file_digest(path) if path is not None else None


__all__ = ["BriefgenError", "BuildResult", "build", "parse_formats", "source_date_epoch"]
