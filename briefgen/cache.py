"""A build cache keyed by content hashes, so a late one-word change rebuilds fast.

Lives in $BRIEFGEN_CACHE_DIR, else $XDG_CACHE_HOME/briefgen, else ~/.cache/briefgen,
in a folder per briefgen version: entries written by another version are never
read. Everything in it can be deleted at any time; a missing or unreadable
entry is simply rebuilt. `BRIEFGEN_CACHE=off` disables it.

What it keeps:
- loaded issues (the parsed model, photos checked), keyed by the issue folder's files;
- annexes converted from DOCX by LibreOffice, keyed by the file's bytes;
- finished outputs, keyed by every input (content, layout, options): a rebuild
  with nothing changed copies them instead of rendering.
"""
from __future__ import annotations

import functools
import hashlib
import os
import pickle
import shutil
import tempfile
from pathlib import Path

from . import __version__

MAX_FILES_HASHED = 10_000


def enabled() -> bool:
    if os.environ.get("BRIEFGEN_CACHE", "on").lower() in ("off", "0", "no", "false"):
        return False
    return _safe(root())


@functools.lru_cache(maxsize=4)
def _safe(folder: Path) -> bool:
    """Only a cache folder that this user owns and others cannot write is used:
    entries are unpickled, so someone else's files must never be read."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for path in (folder, folder.parent):
            info = path.stat()
            if hasattr(os, "getuid") and info.st_uid != os.getuid():
                return False
            if info.st_mode & 0o022:
                return False
        return True
    except OSError:
        return False


def root() -> Path:
    base = os.environ.get("BRIEFGEN_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        base = str(Path(xdg) / "briefgen")
    return Path(base) / f"v{__version__}"


@functools.lru_cache(maxsize=1)
def _code_digest() -> bytes:
    """briefgen's own code: a development checkout changes it without a new version."""
    h = hashlib.sha256(__version__.encode())
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        h.update(path.read_bytes())
    return h.digest()


def digest(*parts) -> str:
    h = hashlib.sha256(_code_digest())
    for part in parts:
        h.update(b"\0")
        h.update(part if isinstance(part, bytes) else str(part).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def folder_digest(folder: Path) -> str:
    """A hash of every file under `folder`: relative path, size and bytes."""
    h = hashlib.sha256()
    files = sorted(p for p in Path(folder).rglob("*") if p.is_file())[:MAX_FILES_HASHED]
    for path in files:
        h.update(str(path.relative_to(folder)).encode("utf-8", "surrogatepass") + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _entry(kind: str, key: str, suffix: str = "") -> Path:
    return root() / kind / key[:2] / f"{key}{suffix}"


def get_file(kind: str, key: str, suffix: str = "") -> Path | None:
    if not enabled():
        return None
    path = _entry(kind, key, suffix)
    return path if path.is_file() else None


def put_file(kind: str, key: str, source: Path, suffix: str = "") -> None:
    """Copy `source` into the cache (atomically; a failure only skips caching)."""
    if not enabled():
        return
    target = _entry(kind, key, suffix)
    temp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=target.parent, suffix=".part")
        os.close(handle)
        shutil.copyfile(source, temp)
        os.replace(temp, target)
    except OSError:
        if temp and os.path.exists(temp):
            os.unlink(temp)


def get_object(kind: str, key: str):
    path = get_file(kind, key, ".pickle")
    if path is None:
        return None
    try:
        # Our own cache, in a folder only this user can write (see _safe), from this version.
        return pickle.loads(path.read_bytes())  # noqa: S301
    except Exception:  # a truncated or foreign entry: rebuild it
        return None


def put_object(kind: str, key: str, value) -> None:
    if not enabled():
        return
    target = _entry(kind, key, ".pickle")
    temp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=target.parent, suffix=".part")
        with os.fdopen(handle, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, target)
    except (OSError, pickle.PicklingError):
        if temp and os.path.exists(temp):
            os.unlink(temp)
