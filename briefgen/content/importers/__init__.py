"""Importers: a newsletter (text, HTML) or a revised briefgen DOCX → an issue folder.

`import_issue` picks the importer from the file's extension, builds the model,
and writes it as an issue folder that `briefgen validate` accepts.
"""
from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import BriefgenError, ContentError, ErrorList, UsageError
from ...model import Issue
from ...slugs import slugify
from ..issue_writer import check_destination, folder_diff, write_issue_folder

TEXT_SUFFIXES = {".txt", ".text", ".eml", ""}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
DOCX_SUFFIXES = {".docx"}


@dataclass
class ImportResult:
    issue: Issue
    folder: Path
    warnings: list[BriefgenError] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # briefgen's files replaced (--force)
    kept: list[str] = field(default_factory=list)      # other files in the folder, left alone
    comments: list = field(default_factory=list)       # the editor's comments (review.yaml)
    diff: str | None = None                            # --dry-run: what would change


def check_source(source: Path) -> None:
    """The source must be a newsletter file: a folder (an issue folder, or one that
    holds newsletters) is told apart from a missing file."""
    if source.is_file():
        return
    if source.is_dir():
        if (source / "issue.md").is_file():
            raise UsageError("this is an issue folder already; `import` makes one from a "
                             "newsletter file", path=source,
                             hint=f"check it with `briefgen validate {source}`, or give the "
                                  ".txt, .html or .docx file to import")
        files = sorted(p.name for p in source.iterdir() if p.is_file() and
                       p.suffix.lower() in HTML_SUFFIXES | DOCX_SUFFIXES | {".txt", ".text"})
        raise UsageError("this is a folder; `import` reads one newsletter file", path=source,
                         hint=f"give a file in it, e.g. {source / files[0]}" if files else
                         "give a .txt, .html or .docx file")
    raise UsageError("source file not found", path=source,
                     hint="give a .txt, .html or .docx newsletter")


def _strict(warning: BriefgenError) -> BriefgenError:
    """With --strict nothing is written, so a fix that edits issue.md afterwards
    cannot be made: say what can be done on the command line instead."""
    hint = warning.hint or ""
    if "in issue.md" not in hint:
        return warning
    message = warning.message.replace(": today's date was used", "")
    if "--date" in hint:
        hint = "pass --date YYYY-MM-DD (with --strict, nothing was written)"
    else:
        hint = f"with --strict nothing was written: import without --strict, then {hint}"
    return type(warning)(message, path=warning.path, line=warning.line, hint=hint)


def import_issue(source: str | Path, destination: str | Path, *, force: bool = False,
                 strict: bool = False, date: dt.date | None = None,
                 lang: str | None = None, track_changes: str | None = None,
                 dry_run: bool = False) -> ImportResult:
    source, destination = Path(source), Path(destination)
    check_source(source)
    check_destination(destination, force=force or dry_run)
    slug = slugify(destination.name, fallback="imported")
    suffix = source.suffix.lower()
    workdir = Path(tempfile.mkdtemp(prefix="briefgen-import-"))
    extra: dict[str, bytes] = {}  # files beside issue.md: review.yaml
    comments: list = []
    try:
        if suffix in DOCX_SUFFIXES:
            from .docx import import_docx

            result = import_docx(source, workdir, date=date, lang=lang,
                                 track_changes=track_changes)
            issue, warnings = result.issue, result.warnings
            if result.comments:
                from ..review import REVIEW_FILE, dump_review, keep_ids

                result.comments = keep_ids(result.comments, destination)
                extra[REVIEW_FILE] = dump_review(result.comments).encode("utf-8")
            comments = result.comments
        elif suffix in HTML_SUFFIXES or suffix in TEXT_SUFFIXES:
            from .newsletter import recognise

            if suffix in HTML_SUFFIXES:
                from .html import html_blocks

                blocks, dropped = html_blocks(source)
            else:
                from .text import text_blocks

                blocks, dropped = text_blocks(source), []
            recognised = recognise(blocks, source, lang=lang, date=date, slug=slug)
            issue, warnings = recognised.issue, recognised.warnings
            warnings += [ContentError(f"dropped {what}: images in newsletters are not fetched",
                                      path=source, line=line) for what, line in dropped]
        else:
            raise UsageError(f"cannot import {suffix} files", path=source,
                             hint="import a .txt, .html or .docx file")
        if strict and warnings:
            raise ErrorList([_strict(w) for w in warnings])
        if dry_run:  # nothing is written: the diff is computed while the photos exist
            return ImportResult(issue, destination, warnings, comments=comments,
                                diff=folder_diff(issue, destination, extra=extra))
        written = write_issue_folder(issue, destination, force=force, extra=extra)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return ImportResult(issue, written.folder, warnings, written.replaced, written.kept,
                        comments)
