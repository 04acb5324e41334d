"""The command line: parse, call the library, print, set the exit code.

Exit codes: 0 done, 2 the user's input is wrong (one line per problem, with
file:line and a fix), 1 a bug in briefgen (re-run with --debug for details),
3 `check` found print-quality problems (the findings are listed).
"""
from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click

from . import __version__
from .errors import BriefgenError, ErrorList, environment_problem


class _Group(click.Group):
    """Turns exceptions into the documented messages and exit codes."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BriefgenError as exc:
            problems = exc.errors if isinstance(exc, ErrorList) else [exc]
            for problem in problems:
                click.echo(f"error: {problem}", err=True)
            ctx.exit(2)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except OSError as exc:
            problem = environment_problem(exc)
            if problem is None:
                self._bug(ctx, exc)
            click.echo(f"error: {problem}", err=True)
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


# WeasyPrint's variants (weasyprint.pdf.VARIANTS), listed here so that --help
# does not import WeasyPrint.
PDF_VARIANTS = ["pdf/a-1a", "pdf/a-1b", "pdf/a-2a", "pdf/a-2b", "pdf/a-2u", "pdf/a-3a",
                "pdf/a-3b", "pdf/a-3u", "pdf/a-4e", "pdf/a-4f", "pdf/a-4u", "pdf/ua-1",
                "pdf/ua-2", "pdf/x-1a", "pdf/x-3", "pdf/x-4", "pdf/x-5g"]


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _warn(warnings) -> None:
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="briefgen")
@click.option("--debug", is_flag=True,
              help="Show tracebacks of internal errors (put it before the command).")
@click.pass_context
def main(ctx, debug):
    """Build briefing issues into print-ready PDF and editable DOCX."""
    ctx.obj = {"debug": debug}


@main.command()
@click.argument("issue_dir", type=click.Path(path_type=Path))
@click.option("--layout", "-l", metavar="NAME|PATH",
              help="Shipped layout name or a layout folder (default: policy-brief).")
@click.option("--format", "-f", "formats", metavar="pdf,docx",
              help="Comma-separated output formats (default: pdf,docx; editions: pdf).")
@click.option("--output", "-o", "output_dir", type=click.Path(path_type=Path),
              default=Path("output"), show_default=True, help="Folder for the outputs.")
@click.option("--page-size", metavar="A4|Letter", help="Page size, among the layout's sizes.")
@click.option("--source-date-epoch", type=str, default=None,
              help="Timestamp for reproducible output (default: $SOURCE_DATE_EPOCH, "
                   "else the issue's date).")
@click.option("--print", "print_marks", is_flag=True,
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
@click.option("--jobs", "-j", type=click.IntRange(1, 256), metavar="N",
              help="Editions written in parallel (default: one per core).")
@click.option("--encrypt", is_flag=True,
              help="Editions: set each PDF's open password from the `password` column (AES-256).")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="Editions: a Dask scheduler.")
@click.option("--reference-docx", type=click.Path(path_type=Path), metavar="HOUSE.DOTX",
              help="A Word template whose styles replace the DOCX's by name (the PDF keeps "
                   "the layout).")
@click.option("--comments", is_flag=True,
              help="A review print: the PDF shows the editor's open comments (review.yaml) "
                   "as notes in a wider right margin. The DOCX always carries them.")
def build(issue_dir, layout, formats, output_dir, page_size, source_date_epoch, print_marks,
          impose, pdf_variant, allow_remote, recipients, jobs, encrypt, scheduler,
          reference_docx, comments):
    """Build ISSUE_DIR (an issue or a pack) into OUTPUT/<slug>.pdf and .docx;
    with --recipients, one edition of a pack per recipient."""
    from .pipeline.build import build as run_build, parse_formats, source_date_epoch as epoch_of

    if reference_docx is not None:  # checked before anything is rendered
        from .render.docx.reference import check_reference

        check_reference(reference_docx)
    if recipients or encrypt or scheduler:
        if impose:
            from .errors import UsageError

            raise UsageError("--impose is not available for editions",
                             hint="impose a single build of the pack instead")
        return _editions(issue_dir, recipients, layout, formats, output_dir, page_size,
                         epoch_of(source_date_epoch), pdf_variant, allow_remote, jobs, encrypt,
                         scheduler, print_marks, reference_docx)

    result = run_build(issue_dir, layout=layout, formats=parse_formats(formats),
                       output_dir=output_dir, page_size=page_size,
                       epoch=epoch_of(source_date_epoch), print_marks=print_marks,
                       impose=impose, pdf_variant=pdf_variant, allow_remote=allow_remote,
                       reference_docx=reference_docx, comments=comments)
    _warn(result.warnings)
    for name, path in result.outputs.items():
        extra = f" ({result.pages} pages)" if name == result.pages_of else ""
        click.echo(f"wrote {path}{extra}")


def _editions(pack_dir, recipients, layout, formats, output_dir, page_size, epoch, pdf_variant,
              allow_remote, jobs, encrypt, scheduler, print_marks, reference_docx=None):
    from .pipeline.build import parse_formats
    from .content.pack_folder import is_pack
    from .pipeline.editions import build_editions
    from .errors import UsageError
    from .render import RenderOptions

    if not recipients:
        raise UsageError("--encrypt and --scheduler need --recipients CSV")
    if not is_pack(pack_dir):
        raise UsageError("editions are made from a pack (a folder with pack.yaml)",
                         path=pack_dir, hint="`briefgen new --pack DIR` makes one")
    fmts = parse_formats(formats) if formats else None  # editions' default: the first format
    options = RenderOptions(page_size=page_size, source_date_epoch=epoch, print_marks=print_marks,
                            pdf_variant=pdf_variant, allow_remote=allow_remote,
                            reference_docx=reference_docx)
    if sys.stderr.isatty():
        from rich.progress import Progress

        with Progress(transient=True, console=None) as bar:
            task = bar.add_task("editions", total=None)
            result = build_editions(pack_dir, recipients, layout=layout, formats=fmts,
                                    output_dir=output_dir, jobs=jobs, encrypt=encrypt,
                                    options=options, scheduler=scheduler,
                                    progress=lambda path: bar.advance(task))
    else:
        result = build_editions(pack_dir, recipients, layout=layout, formats=fmts,
                                output_dir=output_dir, jobs=jobs, encrypt=encrypt,
                                options=options, scheduler=scheduler,
                                progress=lambda path: click.echo(f"wrote {path}", err=True))
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
               f"{_plural(len(result.failures), 'row')} failed")
    if result.internal:
        click.echo("some editions failed because of a bug in briefgen; re-run with --debug "
                   "and report it", err=True)
        sys.exit(1)
    if result.failures:
        sys.exit(2)


@main.command()
@click.argument("issue_dir", type=click.Path(path_type=Path))
@click.option("--layout", "-l", metavar="NAME|PATH", help="Also check this layout.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def validate(issue_dir, layout, strict):
    """Check ISSUE_DIR (an issue or a pack) without rendering anything."""
    from .content.issue_folder import load_issue
    from .content.pack_folder import is_pack, load_pack, resolve_layout_spec
    from .layouts import find_layout

    if is_pack(issue_dir):
        loaded = load_pack(issue_dir)
        pack = loaded.pack
        find_layout(resolve_layout_spec(layout, pack))
        _warn(loaded.warnings)
        summary = (f"pack “{pack.title}”: {_plural(len(pack.issues), 'issue')}, "
                   f"{_plural(len(pack.agenda), 'agenda item')}, "
                   f"{_plural(len(pack.annexes), 'annex', 'annexes')}, "
                   f"{_plural(len(pack.contributors), 'contributor')}, "
                   f"{_plural(len(loaded.warnings), 'warning')}")
        if strict and loaded.warnings:
            click.echo(f"failed (--strict): {issue_dir}: {summary}", err=True)
            sys.exit(2)
        click.echo(f"ok: {issue_dir}: {summary}")
        return
    loaded = load_issue(issue_dir)
    if layout:
        find_layout(layout)
    _warn(loaded.warnings)
    _review_notes(issue_dir)
    issue = loaded.issue
    count = len(loaded.warnings)
    summary = (f"“{issue.title}”, {_plural(len(issue.contributions), 'contribution')}, "
               f"{_plural(len(issue.contributors), 'credited contributor')}, "
               f"{_plural(count, 'warning')}")
    if strict and count:
        click.echo(f"failed (--strict): {issue_dir}: {summary}", err=True)
        sys.exit(2)
    click.echo(f"ok: {issue_dir}: {summary}")


@main.command()
@click.argument("issue_dir", type=click.Path(path_type=Path))
@click.option("--layout", "-l", metavar="NAME|PATH",
              help="Shipped layout name or a layout folder (default: policy-brief).")
@click.option("--page-size", metavar="A4|Letter", help="Page size, among the layout's sizes.")
@click.option("--print", "print_marks", is_flag=True,
              help="Check the print production version (bleed and crop marks).")
@click.option("--json", "as_json", is_flag=True,
              help='Print the findings as JSON: {"findings": [{"check", "page", "message", '
                   '"source": {"file", "line"}}], "pages": N}.')
def check(issue_dir, layout, page_size, print_marks, as_json):
    """Preflight ISSUE_DIR (an issue or a pack): lay it out and report what would
    print badly, each finding with its page and source line. Exit code 3 when
    there are findings, 0 when clean."""
    import json

    from .preflight import check_path

    findings, pages = check_path(issue_dir, layout=layout, page_size=page_size,
                                 print_marks=print_marks)
    if as_json:
        click.echo(json.dumps({"findings": [f.as_dict() for f in findings], "pages": pages},
                              ensure_ascii=False, indent=2))
    else:
        for finding in findings:
            click.echo(f"{finding.check}: {finding}")
        click.echo(f"{'clean' if not findings else 'checked'}: {issue_dir}: "
                   f"{_plural(pages, 'page')}, {_plural(len(findings), 'finding')}",
                   err=bool(findings))
    if findings:
        sys.exit(3)


def _review_notes(issue_dir: Path) -> None:
    """The editor's open comments (review.yaml), as notes: not errors, not warnings."""
    from .content.review import comment_location, load_review

    for comment in load_review(issue_dir):
        if comment.resolved:
            continue
        name, line = comment_location(issue_dir, comment)
        where = f"{Path(issue_dir) / name}" + (f":{line}" if line else "")
        text = " ".join(comment.text.split())
        click.echo(f"note: {where}: comment by {comment.author or 'someone'}: {text}", err=True)


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
              help="The issue folder to create.")
@click.option("--force", is_flag=True,
              help="Write into ISSUE_DIR even if it exists: replaces issue.md, "
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
    """Turn a newsletter (.txt, .html) or a revised briefgen .docx into an issue folder."""
    import datetime as dt

    from .content.importers import import_issue
    from .errors import UsageError

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
    from .layouts import copy_layout

    folder = copy_layout(source, name, output or Path(name))
    click.echo(f"created {folder} from {source}")
    click.echo(f"next: edit {folder / 'layout.toml'} and {folder / 'style.css'}, then "
               f"`briefgen build ISSUE_DIR --layout {folder}`")


if __name__ == "__main__":  # pragma: no cover
    main()
