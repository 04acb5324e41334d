"""The command line: parse, call the library, print, set the exit code.

Exit codes: 0 done, 2 the user's input is wrong (one line per problem, with
file:line and a fix), 1 a bug in briefgen (re-run with --debug for details),
3 `check` found print-quality problems (the findings are listed).
"""
from __future__ import annotations

import atexit
import gc
import json
import sys
import traceback
from pathlib import Path

import click
from click.core import ParameterSource

from . import __version__
from .errors import BriefgenError, ErrorList, UsageError, as_problem, environment_problem
from .layouts import PAGE_SIZES
from .project import PDF_VARIANTS


def _exit_without_collecting() -> None:
    """At exit, no last garbage collection: the system takes the memory back at
    once. Python's final collection walks every object still alive, such as the
    laid-out pages kept for a next build (render/chapters.py), and took about
    130 ms of a 1-second build of the sample. What that collection would have
    cleaned up is cleaned up here: WeasyPrint's temporary font folders.
    (weakref.finalize's and the other atexit handlers still run.)"""
    weasy = sys.modules.get("briefgen.render.weasy")  # not imported: nothing to remove
    if weasy is not None:
        weasy.remove_font_folders()
    gc.disable()
    gc.freeze()


atexit.register(_exit_without_collecting)


class _Group(click.Group):
    """Turns exceptions into the documented messages and exit codes."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BriefgenError as exc:
            problems = exc.errors if isinstance(exc, ErrorList) else [exc]
            for problem in problems:
                click.echo(f"error: {problem}", err=True)
            if ctx.obj and ctx.obj.get("json"):  # --json: the same problems, on stdout
                _json({"command": ctx.obj["json"], "ok": False,
                       "errors": [as_problem(p) for p in problems]})
            ctx.exit(2)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except OSError as exc:
            problem = environment_problem(exc)
            if problem is None:
                self._bug(ctx, exc)
            click.echo(f"error: {problem}", err=True)
            if ctx.obj and ctx.obj.get("json"):
                _json({"command": ctx.obj["json"], "ok": False,
                       "errors": [as_problem(problem, "environment")]})
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo("interrupted: no output was changed", err=True)
            ctx.exit(130)
        except Exception as exc:  # a bug, not the user's fault
            self._bug(ctx, exc)

    @staticmethod
    def _bug(ctx, exc: BaseException) -> None:
        if ctx.obj and ctx.obj.get("debug"):
            traceback.print_exception(exc)
        click.echo(f"internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo("this is a bug in briefgen; re-run with --debug for the traceback "
                   "and report it", err=True)
        ctx.exit(1)


LAYOUT_HELP = ("A shipped layout's name (policy-brief, memo, conference), or a layout "
               "folder's path, which has a / (./house) (default: policy-brief, the pack's "
               "layout, or briefgen.toml's).")
PAGE_SIZE_HELP = (f"Page size: {', '.join(PAGE_SIZES)}, among the layout's sizes (policy-brief "
                  "and memo: A4, Letter; conference: A5; default: the layout's first).")
JSON_HELP = ('Print the result as JSON on stdout; each warning, error or finding as '
             '{"check", "page", "message", "source": {"file", "line"}}.')


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _warn(warnings) -> None:
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


def _json(payload: dict) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


def _json_mode(ctx, command: str, on: bool) -> bool:
    """Remember --json, so that an error is reported as JSON too."""
    if on:
        ctx.obj = {**(ctx.obj or {}), "json": command}
        ctx.find_root().obj = ctx.obj
    return on


def _given(ctx, **params) -> dict:
    """The settings given on the command line: {setting: value} for each `setting=param`
    whose option the user wrote (not a default), so briefgen.toml fills in the rest."""
    return {name: ctx.params[param] for name, param in params.items()
            if ctx.get_parameter_source(param) in (ParameterSource.COMMANDLINE,
                                                    ParameterSource.ENVIRONMENT)}


def _complete_layout(ctx, param, incomplete: str):
    """Shell completion for --layout: the shipped names, or folders for a path."""
    from click.shell_completion import CompletionItem

    from .layouts import MANIFEST, builtin_layouts_dir, is_layout_path

    if is_layout_path(incomplete) or incomplete.startswith("."):
        return [CompletionItem(incomplete, type="dir")]
    return [CompletionItem(p.name) for p in sorted(builtin_layouts_dir().iterdir())
            if (p / MANIFEST).is_file() and p.name.startswith(incomplete)]


def _as_path_spec(folder: Path) -> str:
    """A folder as --layout takes it: with a / (`./house`), so it is not a name."""
    text = str(folder)
    return text if "/" in text else f"./{text}"


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="briefgen")
@click.option("--debug", is_flag=True,
              help="Show tracebacks of internal errors (put it before the command).")
@click.pass_context
def main(ctx, debug):
    """Build briefing issues into print-ready PDF and editable DOCX."""
    ctx.obj = {"debug": debug}


@main.command()
@click.argument("issue_dir", type=click.Path(path_type=Path), metavar="ISSUE_DIR|PACK_DIR")
@click.option("--layout", "-l", metavar="NAME|PATH", shell_complete=_complete_layout,
              help=LAYOUT_HELP)
@click.option("--format", "-f", "formats", metavar="pdf,docx",
              help="Comma-separated output formats (default: pdf,docx; editions: pdf). "
                   "html: the HTML the PDF is laid out from, with <slug>-assets/ beside it "
                   "(stylesheets, fonts, pictures), to debug a layout's CSS in a browser.")
@click.option("--output", "-o", "output_dir", type=click.Path(path_type=Path), metavar="DIR",
              help="Folder for the outputs (default: output/ in the current folder).")
@click.option("--page-size", metavar="SIZE", help=PAGE_SIZE_HELP)
@click.option("--source-date-epoch", type=str, default=None,
              help="Timestamp for reproducible output (default: $SOURCE_DATE_EPOCH, "
                   "else the issue's date).")
@click.option("--print/--no-print", "print_marks", default=False,
              help="Print production: the layout's bleed (3 mm), crop marks 3 mm outside "
                   "it and a slug line.")
@click.option("--impose", type=click.Choice(["booklet"]),
              help="Also write <slug>-booklet.pdf, imposed for saddle-stitching: two pages "
                   "a side on the smallest sheet that holds them at full size (A5 on A4, "
                   "A4 on A3), bound on the right for right-to-left documents.")
@click.option("--pdf-variant", type=click.Choice(PDF_VARIANTS), metavar="VARIANT",
              help="Archival or accessible PDF: " + ", ".join(PDF_VARIANTS) + ".")
@click.option("--allow-remote", is_flag=True,
              help="Let the layout load http(s) resources (off: local files only).")
@click.option("--recipients", type=click.Path(path_type=Path), metavar="CSV",
              help="A pack only: one edition per row (name, organisation, groups, password…).")
@click.option("--only", metavar="NAME[,NAME]",
              help="With --recipients: write only these recipients' editions, named as in "
                   "the name column (any case) or by file name (maria-rossi-2), or the rows "
                   "where COLUMN=VALUE (groups=board: rows in that group). Editions whose "
                   "inputs did not change are left alone in any case.")
@click.option("--no-recipients", is_flag=True,
              help="Build the pack once, although briefgen.toml names recipients.")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), metavar="N",
              help="Editions (with --recipients) written in parallel (default: one per core).")
@click.option("--encrypt/--no-encrypt", default=False,
              help="Editions: set each PDF's open password from the `password` column (AES-256).")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="Editions: a Dask scheduler.")
@click.option("--reference-docx", type=click.Path(path_type=Path), metavar="HOUSE.DOTX",
              help="A Word template whose styles replace the DOCX's by name (the PDF keeps "
                   "the layout).")
@click.option("--comments/--no-comments", default=False,
              help="A review print: the PDF shows the editor's open comments (review.yaml) "
                   "as notes in a wider right margin. The DOCX always carries them.")
@click.option("--print-links/--no-print-links", "print_links", default=False,
              help="Links as numbered notes (a superscript, and the URLs listed after each "
                   "piece) in any layout; memo and conference always print them so.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_context
def build(ctx, issue_dir, layout, formats, output_dir, page_size, source_date_epoch,
          print_marks, impose, pdf_variant, allow_remote, recipients, only, no_recipients,
          jobs, encrypt, scheduler, reference_docx, comments, print_links, as_json):
    """Build ISSUE_DIR (an issue or a pack) into OUTPUT/<slug>.pdf and .docx;
    with --recipients, one edition of a pack per recipient. Defaults come from
    briefgen.toml (see `briefgen config`); the options given here win."""
    from . import render
    from .pipeline.build import build as run_build, parse_formats, source_date_epoch as epoch_of
    from .project import settings

    # one build, then the process exits (as it was after, for a caller in process)
    kept, render.KEEP_LAYOUTS = render.KEEP_LAYOUTS, False
    ctx.call_on_close(lambda: setattr(render, "KEEP_LAYOUTS", kept))

    _json_mode(ctx, "build", as_json)
    given = _given(ctx, layout="layout", page_size="page_size", formats="formats",
                   output="output_dir", pdf_variant="pdf_variant", print="print_marks",
                   reference_docx="reference_docx", comments="comments",
                   recipients="recipients", jobs="jobs", encrypt="encrypt")
    if "formats" in given:
        given["formats"] = parse_formats(given["formats"])
    if no_recipients and recipients:
        raise UsageError("--recipients and --no-recipients contradict each other",
                         hint="give one of them")
    chosen = settings(issue_dir, "build", given)
    recipients = None if no_recipients else chosen.value("recipients")
    output_dir = chosen.value("output") or Path("output")
    reference_docx = chosen.value("reference_docx")
    if reference_docx is not None:  # checked before anything is rendered
        from .render.docx.reference import check_reference

        check_reference(reference_docx)
    only_names = tuple(n.strip() for n in (only or "").split(",") if n.strip())
    if only is not None and not recipients:
        raise UsageError("--only picks recipients of --recipients CSV, and none is given",
                         hint="add --recipients CSV, or leave out --only")
    if only is not None and not only_names:
        raise UsageError("--only needs at least one name",
                         hint="e.g. --only 'Ada Lovelace,bob-smith'")
    if recipients or encrypt or scheduler:
        if impose:
            raise UsageError("--impose is not available for editions",
                             hint="impose a single build of the pack instead")
        return _editions(issue_dir, recipients, chosen.value("layout"), chosen.value("formats"),
                         output_dir, chosen.value("page_size"), epoch_of(source_date_epoch),
                         chosen.value("pdf_variant"), allow_remote,
                         chosen.value("jobs"), bool(chosen.value("encrypt")), scheduler,
                         bool(chosen.value("print")), reference_docx, as_json, print_links,
                         only_names)
    if "jobs" in given:
        raise UsageError("-j sets how many editions are written at once, and only "
                         "--recipients makes editions",
                         hint="add --recipients CSV to build a pack's editions, or leave out -j")

    result = run_build(issue_dir, layout=chosen.value("layout"),
                       formats=chosen.value("formats"), output_dir=output_dir,
                       page_size=chosen.value("page_size"), epoch=epoch_of(source_date_epoch),
                       print_marks=bool(chosen.value("print")), impose=impose,
                       pdf_variant=chosen.value("pdf_variant"), allow_remote=allow_remote,
                       reference_docx=reference_docx, comments=bool(chosen.value("comments")),
                       print_links=print_links)
    if as_json:
        _json({"command": "build", "ok": True, "source": str(issue_dir),
               "layout": result.layout.name,
               "outputs": [{"path": str(path), "format": path.suffix.lstrip("."),
                            "pages": result.pages if name == result.pages_of else None}
                           for name, path in result.outputs.items()],
               "pages": result.pages,
               "warnings": [as_problem(w) for w in result.warning_items],
               "findings": [f.as_dict() for f in result.findings]})
        return
    _warn(result.warnings)
    for name, path in result.outputs.items():
        extra = f" ({result.pages} pages)" if name == result.pages_of else ""
        click.echo(f"wrote {path}{extra}")


def _editions(pack_dir, recipients, layout, fmts, output_dir, page_size, epoch, pdf_variant,
              allow_remote, jobs, encrypt, scheduler, print_marks, reference_docx=None,
              as_json=False, print_links=False, only=()):
    from .content.pack_folder import is_pack
    from .pipeline.editions import build_editions
    from .render import RenderOptions

    if not recipients:
        raise UsageError("--encrypt and --scheduler need --recipients CSV")
    if not is_pack(pack_dir):
        raise UsageError("editions are made from a pack (a folder with pack.yaml)",
                         path=pack_dir, hint="`briefgen new --pack DIR` makes one")
    # fmts None: the editions' default, the first format
    options = RenderOptions(page_size=page_size, source_date_epoch=epoch, print_marks=print_marks,
                            pdf_variant=pdf_variant, allow_remote=allow_remote,
                            reference_docx=reference_docx, print_links=print_links)
    if as_json:
        result = build_editions(pack_dir, recipients, layout=layout, formats=fmts,
                                output_dir=output_dir, jobs=jobs, encrypt=encrypt,
                                options=options, scheduler=scheduler, only=only)
    elif sys.stderr.isatty():
        from rich.progress import Progress

        with Progress(transient=True, console=None) as bar:
            task = bar.add_task("editions", total=None)
            result = build_editions(pack_dir, recipients, layout=layout, formats=fmts,
                                    output_dir=output_dir, jobs=jobs, encrypt=encrypt,
                                    options=options, scheduler=scheduler, only=only,
                                    progress=lambda path: bar.advance(task))
    else:
        result = build_editions(pack_dir, recipients, layout=layout, formats=fmts,
                                output_dir=output_dir, jobs=jobs, encrypt=encrypt,
                                options=options, scheduler=scheduler, only=only,
                                progress=lambda path: click.echo(f"wrote {path}", err=True))
    if as_json:
        _json({"command": "build", "ok": not result.failures and not result.internal
               and not result.interrupted, "source": str(pack_dir),
               "recipients": str(recipients),
               "outputs": [{"path": str(path), "format": Path(path).suffix.lstrip("."),
                            "pages": None} for path in result.outputs],
               "failures": [{"check": "edition", "page": None, "message": message,
                             "source": {"file": str(recipients), "line": line}}
                            for line, message in result.failures],
               "warnings": [as_problem(w) for w in result.warnings],
               "unchanged": [str(path) for path in result.unchanged],
               "interrupted": result.interrupted, "not_done": result.not_done})
        if result.interrupted:
            sys.exit(130)
        if result.internal:
            sys.exit(1)
        if result.failures:
            sys.exit(2)
        return
    _warn(result.warnings)
    for line, message in result.failures:
        click.echo(f"error: {recipients}:{line}: {message}" if line else f"error: {message}",
                   err=True)
    if result.interrupted:
        # Exactly the files renamed into place before the stop; nothing half-written.
        click.echo(f"interrupted: {_plural(len(result.outputs), 'file')} written in "
                   f"{output_dir} (each complete), {_plural(result.not_done, 'recipient')} "
                   "not done; no partial file was left", err=True)
        sys.exit(130)
    click.echo(f"{_plural(len(result.outputs), 'file')} written in {output_dir}, "
               f"{len(result.unchanged)} unchanged, "
               f"{_plural(len(result.failures), 'row')} failed")
    if result.internal:
        click.echo("some editions failed because of a bug in briefgen; re-run with --debug "
                   "and report it", err=True)
        sys.exit(1)
    if result.failures:
        sys.exit(2)


@main.command()
@click.argument("issue_dir", type=click.Path(path_type=Path), metavar="ISSUE_DIR|PACK_DIR")
@click.option("--layout", "-l", metavar="NAME|PATH", shell_complete=_complete_layout,
              help="Also check this layout: a shipped name, or a folder's path (with a /).")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@click.pass_context
def validate(ctx, issue_dir, layout, strict, as_json):
    """Check ISSUE_DIR (an issue or a pack) without rendering anything."""
    from .content.issue_folder import load_issue
    from .content.pack_folder import is_pack, load_pack, resolve_layout_spec
    from .layouts import find_layout

    _json_mode(ctx, "validate", as_json)
    if is_pack(issue_dir):
        loaded = load_pack(issue_dir)
        pack = loaded.pack
        find_layout(resolve_layout_spec(layout, pack))
        notes = []
        counts = {"issues": len(pack.issues), "agenda_items": len(pack.agenda),
                  "annexes": len(pack.annexes), "contributors": len(pack.contributors)}
        summary = (f"pack “{pack.title}”: {_plural(len(pack.issues), 'issue')}, "
                   f"{_plural(len(pack.agenda), 'agenda item')}, "
                   f"{_plural(len(pack.annexes), 'annex', 'annexes')}, "
                   f"{_plural(len(pack.contributors), 'contributor')}, "
                   f"{_plural(len(loaded.warnings), 'warning')}")
        kind, title = "pack", pack.title
    else:
        loaded = load_issue(issue_dir)
        if layout:
            find_layout(layout)
        notes = _review_notes(issue_dir)
        issue = loaded.issue
        counts = {"contributions": len(issue.contributions),
                  "contributors": len(issue.contributors)}
        summary = (f"“{issue.title}”, {_plural(len(issue.contributions), 'contribution')}, "
                   f"{_plural(len(issue.contributors), 'credited contributor')}, "
                   f"{_plural(len(loaded.warnings), 'warning')}")
        kind, title = "issue", issue.title
    failed = bool(strict and loaded.warnings)
    if as_json:
        _json({"command": "validate", "ok": not failed, "source": str(issue_dir), "kind": kind,
               "title": title, **counts, "strict": strict,
               "warnings": [as_problem(w) for w in loaded.warnings],
               "notes": [as_problem(n, "comment") for n in notes]})
    else:
        _warn(loaded.warnings)
        for note in notes:
            click.echo(f"note: {note}", err=True)
        if failed:
            click.echo(f"failed (--strict): {issue_dir}: {summary}", err=True)
        else:
            click.echo(f"ok: {issue_dir}: {summary}")
    if failed:
        sys.exit(2)


@main.command()
@click.argument("issue_dir", type=click.Path(path_type=Path), metavar="ISSUE_DIR|PACK_DIR")
@click.option("--layout", "-l", metavar="NAME|PATH", shell_complete=_complete_layout,
              help=LAYOUT_HELP)
@click.option("--page-size", metavar="SIZE", help=PAGE_SIZE_HELP)
@click.option("--print/--no-print", "print_marks", default=False,
              help="Check the print production version (bleed and crop marks).")
@click.option("--json", "as_json", is_flag=True,
              help='Print the findings as JSON: {"findings": [{"check", "page", "message", '
                   '"source": {"file", "line"}}], "pages": N}.')
@click.pass_context
def check(ctx, issue_dir, layout, page_size, print_marks, as_json):
    """Preflight ISSUE_DIR (an issue or a pack): lay it out and report what would
    print badly, each finding with its page and source line. Exit code 3 when
    there are findings, 0 when clean. Defaults come from briefgen.toml."""
    from .preflight import check_path
    from .project import settings

    _json_mode(ctx, "check", as_json)
    chosen = settings(issue_dir, "check", _given(ctx, layout="layout", page_size="page_size",
                                                print="print_marks"))
    findings, pages = check_path(issue_dir, layout=chosen.value("layout"),
                                 page_size=chosen.value("page_size"),
                                 print_marks=bool(chosen.value("print")))
    if as_json:
        _json({"command": "check", "ok": not findings, "source": str(issue_dir),
               "findings": [f.as_dict() for f in findings], "pages": pages})
    else:
        for finding in findings:
            click.echo(f"{finding.check}: {finding}")
        click.echo(f"{'clean' if not findings else 'checked'}: {issue_dir}: "
                   f"{_plural(pages, 'page')}, {_plural(len(findings), 'finding')}",
                   err=bool(findings))
    if findings:
        sys.exit(3)


def _review_notes(issue_dir: Path) -> list[BriefgenError]:
    """The editor's open comments (review.yaml), as notes: not errors, not warnings."""
    from .content.review import comment_location, load_review

    notes = []
    for comment in load_review(issue_dir):
        if comment.resolved:
            continue
        name, line = comment_location(issue_dir, comment)
        text = " ".join(comment.text.split())
        notes.append(BriefgenError(f"comment by {comment.author or 'someone'}: {text}",
                                   path=Path(issue_dir) / name, line=line))
    return notes


@main.command()
@click.argument("issue_dir", type=click.Path(path_type=Path))
@click.option("--pack", "pack", is_flag=True, help="Create a pack (pack.yaml) instead of an issue.")
def new(issue_dir, pack):
    """Create ISSUE_DIR with an issue.md and contributors.yaml (or a pack.yaml) to fill in."""
    from .content.scaffold import scaffold_issue, scaffold_pack

    paths = scaffold_pack(issue_dir) if pack else scaffold_issue(issue_dir)
    for path in paths:
        click.echo(f"created {path}")
    click.echo(f"next: edit {paths[0]}, then `briefgen build {issue_dir}`")


@main.command("import")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--output", "-o", "issue_dir", type=click.Path(path_type=Path), required=True,
              metavar="ISSUE_DIR", help="The issue folder to create (a folder, not issue.md).")
@click.option("--force", is_flag=True,
              help="Write into the -o folder even if it exists: replaces issue.md, "
                   "contributors.yaml and their images, keeps every other file.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors (nothing is written).")
@click.option("--date", "date_text", metavar="YYYY-MM-DD",
              help="The issue's date, when the source has none.")
@click.option("--lang", metavar="CODE", help="The issue's language (default: detected, else en).")
@click.option("--track-changes", type=click.Choice(["accept", "reject"]),
              help="A DOCX with tracked changes: import the text as after Word's "
                   "Accept All, or Reject All (without it, such a DOCX is refused).")
@click.option("--dry-run", is_flag=True,
              help="Print what the import would change, as a unified diff; write nothing.")
def import_(source, issue_dir, force, strict, date_text, lang, track_changes, dry_run):
    """Turn a newsletter (.txt, .html) or a revised briefgen .docx, SOURCE, into the
    issue folder ISSUE_DIR (-o)."""
    import datetime as dt

    from .content.importers import import_issue

    date = None
    if date_text:
        try:
            date = dt.date.fromisoformat(date_text)
        except ValueError:
            raise UsageError(f"bad --date {date_text!r}", hint="write it as YYYY-MM-DD") from None
    result = import_issue(source, issue_dir, force=force, strict=strict, date=date, lang=lang,
                          track_changes=track_changes, dry_run=dry_run)
    _warn(result.warnings)
    if dry_run:
        click.echo(result.diff, nl=False)
        click.echo(f"dry run: {'no change' if not result.diff else 'the diff above'} "
                   f"for {issue_dir}; nothing was written", err=True)
        return
    issue = result.issue
    click.echo(f"imported {source} → {result.folder}: "
               f"{_plural(len(issue.contributions), 'contribution')}, "
               f"{_plural(len(issue.contributors), 'contributor')}, "
               f"{_plural(len(result.warnings), 'warning')}")
    if result.replaced:
        click.echo(f"replaced {', '.join(result.replaced)}")
    if result.kept:
        click.echo(f"kept {', '.join(result.kept)} (not written by briefgen)")


@main.group()
def layouts():
    """List the shipped layouts, or start a new one from a copy."""


@layouts.command("list")
def layouts_list():
    """List the shipped layouts with their page sizes."""
    from .layouts import list_layouts

    for layout in list_layouts():
        parent = f" (extends {layout.ancestors[0][0]})" if layout.ancestors else ""
        click.echo(f"{layout.name:14} {'/'.join(layout.page_sizes):10} "
                   f"{layout.description}{parent}")


@layouts.command("new")
@click.argument("name")
@click.option("--from", "source", default="policy-brief", show_default=True,
              metavar="NAME|PATH", help="The layout to copy.")
@click.option("--output", "-o", type=click.Path(path_type=Path),
              help="Where to create it (default: ./NAME).")
def layouts_new(name, source, output):
    """Copy a layout into a new folder NAME to change freely; use it with --layout ./NAME."""
    import errno

    from .errors import folder_problem
    from .layouts import copy_layout

    destination = output or Path(name)
    try:
        folder = copy_layout(source, name, destination)
    except OSError as exc:
        if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
            raise
        raise folder_problem(destination, exc, what="layout folder") from None
    click.echo(f"created {folder} from {source}")
    click.echo(f"next: edit {folder / 'layout.toml'} and {folder / 'style.css'}, then "
               f"`briefgen build ISSUE_DIR --layout {_as_path_spec(folder)}`")


@main.command()
@click.argument("folder", type=click.Path(path_type=Path), default=Path("."),
                metavar="[FOLDER]")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
@click.pass_context
def config(ctx, folder, as_json):
    """Print the settings that build, check and preview use for FOLDER (an issue or a
    pack; default: the current folder), each with where it comes from: a
    briefgen.toml (file:line), pack.yaml, or the default."""
    from .project import KEYS, settings

    _json_mode(ctx, "config", as_json)
    found = settings(folder, None)
    if as_json:
        _json({"command": "config", "ok": True, **found.as_dict()})
        return
    if found.files:
        click.echo("from " + ", ".join(str(f) for f in found.files) + " (nearest first)")
    else:
        click.echo(f"no briefgen.toml applies to {folder} (see `briefgen config --help`)")
    for name, item in found.items.items():
        used = "" if len(KEYS[name].commands) == 3 else f"  ({', '.join(KEYS[name].commands)})"
        click.echo(f"{name:15} {item.shown:28} {item.where}{used}")
        if item.note:
            click.echo(f"{'':15} note: {item.note}")


def _add_preview() -> None:
    from .preview.command import preview

    main.add_command(preview)


_add_preview()


if __name__ == "__main__":  # pragma: no cover
    main()
