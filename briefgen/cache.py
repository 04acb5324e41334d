"""A build cache keyed by content hashes, so a late one-word change rebuilds fast.

Lives in $BRIEFGEN_CACHE_DIR, else $XDG_CACHE_HOME/briefgen, else ~/.cache/briefgen,
in a folder per briefgen version: entries written by another version are never
read. Everything in it can be deleted at any time; a missing, unreadable,
truncated or foreign entry is simply a miss, and is rebuilt and replaced.
`BRIEFGEN_CACHE=off` disables it.

What it keeps (files plus a JSON record each; nothing is ever unpickled or run):
- annexes converted from DOCX by LibreOffice, keyed by the file's bytes;
- finished outputs, keyed by every input (content, layout, options): a rebuild
  with nothing changed copies them instead of rendering. The output's facts
  (pages, page numbers of sections) are kept in the JSON record.
- records without a file (`vouch`/`vouched`) for the editions of a pack: each
  edition's sha256 and size under a key of everything it was made from, so that
  a rerun leaves an edition that is still exactly that file alone.

How it is kept honest:
- The key covers every file of every input folder: its relative path, size
  and bytes, read in chunks of 1 MiB (memory stays flat for any file size).
  Symbolic links are not followed outside their folder (their text is hashed,
  not what they point to); links to folders are not descended into.
- Limits: a folder of more than MAX_FILES (100,000) files or MAX_BYTES (10 GB)
  is not keyed at all: the build then runs without the cache and says so in a
  warning (hashing it would cost more than it saves).
- Each entry's record holds the sha256 and size of its file. The file is
  checked against them while it is copied out; a mismatch deletes the entry
  and counts as a miss.
- Only a cache folder that this user owns and nobody else may write to is used
  (hashes catch damage, not someone who can write both file and record).
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path

from . import __version__
from .errors import BriefgenError

MAX_FILES = 100_000
MAX_BYTES = 10_000_000_000
CHUNK = 1 << 20
MAX_RECORD_BYTES = 20_000_000  # a record holds page numbers: a few kB, at most a few MB


class Uncacheable(BriefgenError):
    """An input folder over the cache's limits, or unreadable: build without the cache."""


def enabled() -> bool:
    if os.environ.get("BRIEFGEN_CACHE", "on").lower() in ("off", "0", "no", "false"):
        return False
    return _safe(root())


@functools.lru_cache(maxsize=4)
def _safe(folder: Path) -> bool:
    """Only a cache folder that this user owns and others cannot write is used:
    someone else's files must never be served as our outputs."""
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


def _encode_name(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def _hash_stream(fh, h, out=None) -> int:
    """Feed an open binary file to `h` in chunks, and write them to `out` when
    given; return the number of bytes read."""
    size = 0
    while True:
        chunk = fh.read(CHUNK)
        if not chunk:
            return size
        h.update(chunk)
        size += len(chunk)
        if out is not None:
            out.write(chunk)


def file_digest(path: str | Path) -> str:
    """sha256 of a file's bytes, read in chunks (memory stays flat)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        _hash_stream(fh, h)
    return h.hexdigest()


def folder_digest(folder: str | Path, exclude=()) -> str:
    """A hash of every file under `folder`: relative path, size and bytes; files
    and folders in `exclude` (absolute paths) are left out: an editions' recipients
    list or output folder kept inside the pack folder is not one of its inputs.

    Raises Uncacheable over MAX_FILES files or MAX_BYTES bytes, or when a file
    cannot be read (the loaders report that one properly)."""
    from .fsguard import is_inside

    folder = Path(folder)
    skip = {os.path.abspath(p) for p in exclude}
    h = hashlib.sha256()
    files = 0
    total = 0
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if os.path.join(os.path.abspath(dirpath), d)
                             not in skip)
        filenames = [f for f in filenames
                     if os.path.join(os.path.abspath(dirpath), f) not in skip]
        here = Path(dirpath)
        entries = []
        for name in dirnames:
            if (here / name).is_symlink():
                entries.append(name)  # a link to a folder: hashed as a link, not descended
        entries += filenames
        for name in sorted(entries):
            path = here / name
            relative = path.relative_to(folder)
            files += 1
            if files > MAX_FILES:
                raise Uncacheable(f"more than {MAX_FILES:,} files", path=folder)
            h.update(b"F" + _encode_name(str(relative)) + b"\0")
            try:
                if path.is_symlink():
                    h.update(b"L" + _encode_name(os.readlink(path)) + b"\0")
                    if not is_inside(folder, relative) or path.is_dir():
                        continue  # never read what a link outside points to
                if not path.is_file():
                    continue  # sockets, FIFOs, broken links: nothing to read
                fh = open(path, "rb")
            except OSError as exc:
                raise Uncacheable(f"cannot read {relative}: {exc.strerror}", path=folder) from None
            with fh:
                file_hash = hashlib.sha256()
                try:
                    size = _hash_stream(fh, file_hash)
                except OSError as exc:
                    raise Uncacheable(f"cannot read {relative}: {exc.strerror}",
                                      path=folder) from None
            total += size
            if total > MAX_BYTES:
                raise Uncacheable(f"more than {MAX_BYTES // 1_000_000_000} GB", path=folder)
            h.update(size.to_bytes(8, "big") + file_hash.digest())
    return h.hexdigest()


# --- entries: a file plus a JSON record {"sha256", "size", "info"} ---------------------

def _entry(kind: str, key: str, suffix: str = "") -> Path:
    return root() / kind / key[:2] / f"{key}{suffix}"


def _record_path(kind: str, key: str) -> Path:
    return _entry(kind, key, ".json")


def encode_info(value):
    """A JSON-safe form of an info value that keeps dict key types and tuples.

    Dicts become {"dict": [[key, value], …]} and tuples {"tuple": […]}, so a dict
    keyed by numbers comes back keyed by numbers. Raises TypeError for anything
    else than None, bool, int, float, str, list, tuple and dict."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [encode_info(v) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [encode_info(v) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[encode_info(k), encode_info(v)] for k, v in value.items()]}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def decode_info(value):
    """The inverse of encode_info; raises ValueError for anything it did not write."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [decode_info(v) for v in value]
    if isinstance(value, dict) and len(value) == 1:
        if isinstance(value.get("tuple"), list):
            return tuple(decode_info(v) for v in value["tuple"])
        if isinstance(value.get("dict"), list):
            result = {}
            for pair in value["dict"]:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise ValueError("not a key/value pair")
                key = decode_info(pair[0])
                if isinstance(key, list):
                    raise ValueError("a list cannot be a key")
                result[key] = decode_info(pair[1])
            return result
    raise ValueError("not a cache record")


def _read_record(kind: str, key: str):
    """(sha256, size, info) from an entry's record, or None when missing or not ours."""
    try:
        with _open_entry(_record_path(kind, key)) as fh:
            raw = fh.read(MAX_RECORD_BYTES + 1)
        if len(raw) > MAX_RECORD_BYTES:
            return None
        record = json.loads(raw.decode("utf-8"))
        sha, size = record["sha256"], record["size"]
        if not (isinstance(sha, str) and len(sha) == 64 and isinstance(size, int)
                and not isinstance(size, bool) and size >= 0):
            return None
        int(sha, 16)
        return sha, size, decode_info(record["info"])
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        return None


def _open_entry(path: Path):
    """An entry's file or record opened for reading: a regular file, never
    through a symbolic link."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    fh = os.fdopen(fd, "rb")
    if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
        fh.close()
        raise OSError("not a regular file")
    return fh


def drop(kind: str, key: str, suffix: str = "") -> None:
    """Forget an entry (a bad one is removed so that the rebuild replaces it)."""
    for path in (_record_path(kind, key), _entry(kind, key, suffix)):
        try:
            path.unlink()
        except OSError:
            pass


def has(kind: str, key: str, suffix: str = "") -> bool:
    """A cheap look (no hashing): an entry seems to be there. fetch() still verifies."""
    if not enabled():
        return False
    return _entry(kind, key, suffix).is_file() and _record_path(kind, key).is_file()


def _enabled_record(kind: str, key: str):
    """The record (sha256, size, info) kept under `key`, when the cache is on and has one."""
    return _read_record(kind, key) if enabled() else None


def fetch(kind: str, key: str, suffix: str, dest: str | Path):
    """Copy a verified entry to `dest` and return its info (a miss: None).

    The bytes are hashed as they are copied, so what lands in `dest` is exactly
    what was checked. On a mismatch `dest` is emptied and the entry dropped."""
    record = _enabled_record(kind, key)
    if record is None:
        return None
    sha, size, info = record
    h = hashlib.sha256()
    copied = 0
    try:
        with _open_entry(_entry(kind, key, suffix)) as src, open(dest, "wb") as out:
            while True:
                chunk = src.read(CHUNK)
                if not chunk:
                    break
                copied += len(chunk)
                if copied > size:
                    break
                h.update(chunk)
                out.write(chunk)
    except OSError:
        _empty(dest)
        return None
    if copied != size or h.hexdigest() != sha:
        _empty(dest)
        drop(kind, key, suffix)
        return None
    return info


def verified_path(kind: str, key: str, suffix: str = "") -> Path | None:
    """The entry's file when its bytes match its record, else None (and the entry is dropped).

    For callers that read the file in place (converted annexes)."""
    if not enabled():
        return None
    record = _read_record(kind, key)
    if record is None:
        return None
    sha, size, _ = record
    path = _entry(kind, key, suffix)
    try:
        with _open_entry(path) as fh:
            h = hashlib.sha256()
            read = _hash_stream(fh, h)
    except OSError:
        return None
    if read != size or h.hexdigest() != sha:
        drop(kind, key, suffix)
        return None
    return path


# --- records that vouch for a file outside the cache -----------------------------------

def vouch(kind: str, key: str, path: str | Path, info=None) -> bool:
    """Keep a record (sha256 and size, no copy) of the file at `path` under `key`:
    `vouched` later tells whether that file is still exactly what was written
    for these inputs. Any failure only skips the record."""
    if not enabled():
        return False
    record_path = _record_path(kind, key)
    temp = None
    try:
        h = hashlib.sha256()
        with _open_entry(Path(path)) as fh:
            size = _hash_stream(fh, h)
        record = json.dumps({"sha256": h.hexdigest(), "size": size,
                             "info": encode_info(info if info is not None else {})},
                            ensure_ascii=True).encode("ascii")
        record_path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=record_path.parent, suffix=".part")
        with os.fdopen(handle, "wb") as out:
            out.write(record)
        os.replace(temp, record_path)
        return True
    except (OSError, ValueError, TypeError, RecursionError):
        if temp and os.path.exists(temp):
            os.unlink(temp)
        return False


def vouched(kind: str, key: str, path: str | Path) -> bool:
    """Whether the file at `path` (a regular file, not a link) has the size and
    sha256 recorded by `vouch` under `key`: what was written for the same inputs,
    unchanged since."""
    record = _enabled_record(kind, key)
    if record is None:
        return False
    sha, size, _ = record
    try:
        with _open_entry(Path(path)) as fh:
            if os.fstat(fh.fileno()).st_size != size:
                return False
            h = hashlib.sha256()
            read = _hash_stream(fh, h)
    except OSError:
        return False
    return read == size and h.hexdigest() == sha


def _empty(dest) -> None:
    try:
        with open(dest, "wb"):
            pass
    except OSError:
        pass


def store(kind: str, key: str, source: str | Path, suffix: str = "", info=None) -> Path | None:
    """Copy `source` into the cache with its record (atomically; any failure
    only skips caching). The file goes in first, then the record that vouches for it.
    Returns the entry's file, or None when nothing was stored."""
    if not enabled():
        return None
    try:
        encoded = encode_info(info if info is not None else {})
    except (TypeError, RecursionError):
        return None
    target = _entry(kind, key, suffix)
    temps: list[str] = []
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(dir=target.parent, suffix=".part")
        temps.append(temp)
        h = hashlib.sha256()
        with open(source, "rb") as src, os.fdopen(handle, "wb") as out:
            size = _hash_stream(src, h, out)
        record = json.dumps({"sha256": h.hexdigest(), "size": size, "info": encoded},
                            ensure_ascii=True).encode("ascii")
        handle, record_temp = tempfile.mkstemp(dir=target.parent, suffix=".part")
        temps.append(record_temp)
        with os.fdopen(handle, "wb") as out:
            out.write(record)
        os.replace(temp, target)
        os.replace(record_temp, _record_path(kind, key))
        return target
    except (OSError, ValueError):
        for temp in temps:
            if os.path.exists(temp):
                os.unlink(temp)
        return None
