"""Errors a user can fix, each able to say where (file:line) and how.

Anything that is not a BriefgenError is a bug in briefgen: the CLI reports it
with exit code 1 and asks for --debug, never as the user's fault.
"""
from __future__ import annotations

import errno
from pathlib import Path


class BriefgenError(Exception):
    """A mistake in the user's input: exit code 2, one clear line."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | Path | None = None,
                 line: int | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.hint = hint

    def where(self) -> str:
        if self.path is None:
            return ""
        return f"{self.path}:{self.line}" if self.line else str(self.path)

    def __str__(self) -> str:
        text = self.message
        if self.hint:
            text = f"{text} — {self.hint}"
        where = self.where()
        return f"{where}: {text}" if where else text


class ContentError(BriefgenError):
    """The issue folder (front matter, Markdown, contributors, images) is wrong."""


class LayoutError(BriefgenError):
    """The layout folder (manifest, templates, CSS, fonts) is wrong."""


class UsageError(BriefgenError):
    """A command-line choice that cannot work (unknown format, existing folder…)."""


class ErrorList(BriefgenError):
    """Several problems found in one pass, so the user can fix them all at once."""

    def __init__(self, errors: list[BriefgenError]):
        self.errors = errors
        first = errors[0]
        super().__init__(first.message, path=first.path, line=first.line, hint=first.hint)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


# OSErrors that the machine, not briefgen, causes: a full disk, a folder the user
# may not write to, a read-only file system. Reported as one line with exit 2.
_ENVIRONMENT_ERRNOS = {
    errno.ENOSPC: "no space left on the device — free some space, or choose another -o folder",
    errno.EDQUOT: "the disk quota is exceeded — free some space, or choose another -o folder",
    errno.EACCES: "permission denied — choose a folder you may write to (-o)",
    errno.EPERM: "operation not permitted — choose a folder you may write to (-o)",
    errno.EROFS: "the file system is read-only — choose another folder (-o)",
    errno.EMFILE: "too many open files — raise the limit (ulimit -n) or use fewer jobs (-j)",
    errno.ENAMETOOLONG: "a file name is too long — choose a shorter folder or slug",
}


def environment_problem(exc: OSError) -> str | None:
    """A one-line message for an OSError caused by the machine, else None (a bug)."""
    text = _ENVIRONMENT_ERRNOS.get(exc.errno)
    if text is None:
        return None
    where = exc.filename or ""
    return f"{where}: {text}" if where else text
