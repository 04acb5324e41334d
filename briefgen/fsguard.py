"""The one way briefgen touches files on behalf of content or a layout.

Every file read for an issue, a pack or a layout, and every file written by a
build, an import or `layouts new`, is resolved here against the folder it
belongs to. The resolution follows symbolic links, so a link that points
outside its folder (or a `../` in a name that came from a document) is refused
with a one-line error instead of being followed.

    inside(folder, "images/a.jpg")           -> the real path, or OutsideFolder
    read_bytes(folder, "issue.md", limit=…)  -> bytes
    write_bytes(folder, "images/a.jpg", b)   -> atomic write inside the folder
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import BriefgenError


class OutsideFolder(BriefgenError):
    """A name (from a document, a manifest or a symbolic link) that leads out of its folder."""


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def is_inside(folder: str | Path, path: str | Path) -> bool:
    """True when `path` (links followed) lies in `folder` (links followed)."""
    root = _real(Path(folder))
    target = _real(Path(folder) / path)
    return target == root or root in target.parents


def inside(folder: str | Path, relative: str | Path, *, what: str = "file",
           error: type[BriefgenError] = OutsideFolder) -> Path:
    """`folder / relative`, refused unless it (links followed) stays inside `folder`.

    Returns the joined path as written (not the link target), so messages name
    what the user wrote; the check is made on the real path."""
    folder = Path(folder)
    rel = Path(relative)
    candidate = folder / rel
    if rel.is_absolute() or not is_inside(folder, rel):
        raise error(f"the {what} {str(relative)!r} leads outside {folder}",
                    path=candidate if not rel.is_absolute() else folder,
                    hint=f"keep every {what} inside its folder, without '..' or links "
                         "that point elsewhere")
    return candidate


def read_bytes(folder: str | Path, relative: str | Path, *, limit: int | None = None,
               what: str = "file", error: type[BriefgenError] = OutsideFolder) -> bytes:
    path = inside(folder, relative, what=what, error=error)
    with open(path, "rb") as fh:
        data = fh.read(limit + 1 if limit is not None else -1)
    if limit is not None and len(data) > limit:
        raise error(f"the {what} is larger than {limit:,} bytes", path=path,
                    hint="make it smaller")
    return data


def write_bytes(folder: str | Path, relative: str | Path, data: bytes, *,
                what: str = "file", error: type[BriefgenError] = OutsideFolder) -> Path:
    """Write `data` to `folder / relative` atomically (temporary file, then rename).

    Refused when the target, or any folder on the way, leads outside `folder`,
    and when the target itself is a symbolic link (a rename would replace the
    link, but a link planted there is never what the user meant)."""
    target = inside(folder, relative, what=what, error=error)
    if target.is_symlink():
        raise error(f"the {what} {str(relative)!r} is a symbolic link", path=target,
                    hint="remove the link first")
    target.parent.mkdir(parents=True, exist_ok=True)
    # The folders just created could only be inside: check again after mkdir
    # (a link created meanwhile by someone else is caught here).
    inside(folder, relative, what=what, error=error)
    handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target
