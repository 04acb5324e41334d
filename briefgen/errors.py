"""Errors a user can fix, each able to say where (file:line) and how.

Anything that is not a BriefgenError is a bug in briefgen: the CLI reports it
with exit code 1 and asks for --debug, never as the user's fault.
"""
from __future__ import annotations

import errno
import re
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


def folder_problem(out: Path, exc: OSError, create: bool = True,
                   what: str = "output folder", option: str = "-o") -> "UsageError":
    """One line saying why the folder `out` cannot be made (`create`) or written in."""
    other = f"another {option} folder" if option else "another folder"
    if not create:
        return UsageError(f"cannot write in the {what}: {exc.strerror or exc}", path=out,
                          hint=f"make it writable, free some space, or choose {other}")
    existing = next((p for p in out.parents if p.exists() or p.is_symlink()), None)
    if existing is not None and not existing.is_dir():
        reason = f"{existing} is {'a broken link' if not existing.exists() else 'a file'}, " \
                 "not a folder"
    elif exc.errno in (errno.EACCES, errno.EPERM):
        reason = f"you may not create folders in {existing or out.parent}"
    elif exc.errno == errno.EROFS:
        reason = f"{existing or out.parent} is on a read-only file system"
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT):
        reason = "no space left on the device"
    elif exc.errno == errno.ENOENT and existing is not None:
        # The parent is there, yet no folder can be made in it: /proc, /sys…
        reason = f"{existing} does not accept new folders"
    else:
        reason = exc.strerror or str(exc)
    return UsageError(f"cannot create the {what}: {reason}", path=out, hint=f"choose {other}")


# `path:line: message` (or `path: message`) at the start of a warning given as text
_LOCATED = re.compile(r"^(?P<file>[^\s:]+\.[A-Za-z0-9]+)(?::(?P<line>\d+))?: (?P<message>.+)$",
                      re.S)


def as_problem(item, check: str | None = None) -> dict:
    """An error, a warning or a preflight finding in one JSON shape, the preflight's:
    {"check", "page", "message", "source": {"file", "line"}}. `check` names what
    found it: a preflight check, else content, layout, usage or render."""
    if hasattr(item, "as_dict"):  # a preflight Finding
        return item.as_dict()
    if isinstance(item, BriefgenError):
        kind = check or next((name for cls, name in _KINDS if isinstance(item, cls)), "error")
        message = f"{item.message} — {item.hint}" if item.hint else item.message
        return {"check": kind, "page": None, "message": message,
                "source": {"file": str(item.path) if item.path else None, "line": item.line}}
    text = str(item)
    match = _LOCATED.match(text)
    if match is None:
        return {"check": check or "render", "page": None, "message": text,
                "source": {"file": None, "line": None}}
    return {"check": check or "render", "page": None, "message": match["message"],
            "source": {"file": match["file"],
                       "line": int(match["line"]) if match["line"] else None}}


_KINDS = ((ContentError, "content"), (LayoutError, "layout"), (UsageError, "usage"))
