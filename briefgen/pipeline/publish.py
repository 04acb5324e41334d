"""Publishing into an output folder: the one way builds and editions write files.

    publication = Publication.open(out)          # checks the folder, creates it
    temp = publication.stage("issue.pdf")        # .issue.pdf.<pid>.<random>.part
    ...write temp...
    publication.publish()                        # every staged file renamed into place

Nothing reaches its name until it is complete: each file is written to a
temporary `.part` beside its target and renamed (atomic on one file system).
A build publishes all its files together, after every format has rendered;
editions publish each file as soon as it is written (`commit`). `discard()`
removes what was staged (and the folder, when this run created it and it is
still empty). Temporary names carry the writing process's id, so the `.part`
files a killed run left behind (SIGKILL runs no clean-up) are recognised and
removed by the next run writing the same name, while a live run's are kept: a
build sweeps for each name as it stages it; editions, which stage hundreds of
files, sweep the folder once for all their names (`swept=True`, then
`remove_stale_parts` at the end of the run).

`through_cache` serves an output from the rebuild cache (briefgen.cache) when
nothing it depends on changed, and stores what was written otherwise.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable, Iterable

from .. import cache
from ..errors import UsageError, folder_problem


class Publication:
    """Files staged for one output folder."""

    def __init__(self, folder: Path, created: bool, *, swept: bool = False):
        self.folder, self.created = folder, created
        #: the caller sweeps the folder's stale parts itself, once for the whole run
        self.swept = swept
        self.staged: list[tuple[Path, Path]] = []  # (temporary file, target)

    @classmethod
    def open(cls, folder: str | Path, *, probe: bool = False) -> "Publication":
        """Check (and create) the output folder; `probe`: also prove it writable
        now, so a read-only or full folder is one clear error before any work."""
        out = Path(folder)
        if out.exists() and not out.is_dir():
            raise UsageError("output path exists and is not a folder", path=out,
                             hint="choose another -o folder")
        created = not out.exists()
        made = [p for p in reversed(out.parents) if not p.exists()] + [out] * created
        try:
            out.mkdir(parents=True, exist_ok=True)
            if probe:
                handle, name = tempfile.mkstemp(prefix=".briefgen-probe.", suffix=".part",
                                                dir=out)
                os.close(handle)
                os.unlink(name)
        except OSError as exc:
            for folder in reversed(made):  # leave no empty folder behind
                try:
                    folder.rmdir()
                except OSError:
                    pass
            raise folder_problem(out, exc, created) from None
        return cls(out, created)

    def stage(self, name: str, *, folder: bool = False) -> Path:
        """A new temporary file for `name` in the folder, remembered for publishing;
        with `folder`, a temporary folder (published whole, replacing the old one)."""
        if not self.swept:
            remove_stale_parts(self.folder, (name,))
        if folder:
            target = self.folder / name
            if target.is_symlink() or (target.exists() and not target.is_dir()):
                raise UsageError("output path exists and is not a folder", path=target,
                                 hint="remove it, or choose another -o folder")
            temp = tempfile.mkdtemp(prefix=f".{name}.{os.getpid()}.", suffix=".part",
                                    dir=self.folder)
        else:
            handle, temp = tempfile.mkstemp(prefix=f".{name}.{os.getpid()}.", suffix=".part",
                                            dir=self.folder)
            os.close(handle)
        self.staged.append((Path(temp), self.folder / name))
        return Path(temp)

    def commit(self, temp: Path) -> Path:
        """Rename one staged file into place now; returns its target."""
        for index, (staged, target) in enumerate(self.staged):
            if staged == temp:
                _rename(staged, target)
                del self.staged[index]
                return target
        raise KeyError(temp)

    def publish(self) -> dict[str, Path]:
        """Rename every staged file into place, in the order staged."""
        published = {}
        # folders first: a file that loads from one (an HTML page's assets) never
        # stands in its place before it does
        self.staged.sort(key=lambda staged: not staged[0].is_dir())
        while self.staged:
            temp, target = self.staged[0]
            _rename(temp, target)
            self.staged.pop(0)
            published[target.name] = target
        return published

    def discard(self) -> None:
        """Remove every staged file; and the folder if this run made it and left it empty."""
        for temp, _ in self.staged:
            _remove(temp)
        self.staged.clear()
        try:
            if self.created and not any(self.folder.iterdir()):
                self.folder.rmdir()  # leave no trace of a build that did not happen
        except OSError:
            pass


def _rename(temp: Path, target: Path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    if temp.is_dir():  # a staged folder: complete before it takes the name
        os.chmod(temp, 0o777 & ~umask)
        old = None
        if target.is_dir() and not target.is_symlink():
            # moved aside under a part's name (swept by a later run if this one dies)
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.",
                                        suffix=".part", dir=target.parent))
            os.rmdir(old)
            os.rename(target, old)
        try:
            os.rename(temp, target)
        except OSError:
            if old is not None:  # the old folder back under its name, as it was
                os.rename(old, target)
            raise
        if old is not None:
            _remove(old)
        return
    os.chmod(temp, 0o666 & ~umask)
    os.replace(temp, target)


def _remove(path: Path) -> None:
    """A staged file or folder, gone."""
    if path.is_dir() and not path.is_symlink():
        import shutil

        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def remove_stale_parts(out: Path, names: Iterable[str], *, own: bool = False) -> list[Path]:
    """Delete the `.NAME.PID.*.part` files in `out`, for every NAME in `names`, whose
    process is gone (and, with `own`, this process's); parts without a pid come
    from an older briefgen. The folder is listed once, however many the names."""
    names = {names} if isinstance(names, str) else set(names)
    removed = []
    try:
        candidates = [p for p in out.iterdir()
                      if p.name.startswith(".") and p.name.endswith(".part")]
    except OSError:
        return removed
    for path in candidates:
        stem = path.name[1:]
        # NAME may hold dots itself: each dot could end it.
        cuts = [i for i, c in enumerate(stem) if c == "." and stem[:i] in names]
        if not any(_stale(stem[cut + 1:].split(".", 1)[0], own) for cut in cuts):
            continue
        try:
            if path.is_dir() and not path.is_symlink():
                import shutil

                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
        except OSError:
            pass
    return removed


def _stale(pid_text: str, own: bool) -> bool:
    """Whether a part whose name carries `pid_text` where the pid goes may be removed."""
    return not (pid_text.isdigit() and _alive(int(pid_text))
                and not (own and int(pid_text) == os.getpid()))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    except OSError:
        return False
    return True


# ---------------------------------------------------------------- the rebuild cache

def inputs_digest(document, layout, options: tuple, exclude=()) -> str:
    """Everything an output depends on: content folders, annexes, layout files, options
    (less the files and folders in `exclude`, see cache.folder_digest).
    Raises cache.Uncacheable when the inputs are too many to key."""
    from ..model import Pack
    from ..render.common import source_folders  # not .pdf: that imports WeasyPrint

    annexes = [a.digest for a in document.annexes] if isinstance(document, Pack) else []
    parts = [cache.folder_digest(f, exclude) for f in source_folders(document)] + annexes
    parts += [cache.folder_digest(f) for f in layout.folders]
    return cache.digest("inputs", *parts, repr(options))


def output_key(writer_name: str, inputs: str) -> str:
    """The cache key of one writer's output. The facts a writer reads from
    another (page numbers) are themselves a function of the same inputs."""
    return cache.digest("output", writer_name, inputs)


def through_cache(key: str, suffix: str, temp: Path, make: Callable[[], dict],
                  keep: Callable[[], bool]) -> dict:
    """The facts of the output in `temp`: copied from the cache entry `key` (checked
    against its recorded sha256 on the way), or made by `make()` and stored when
    `keep()` says it may be (no key: the cache is off for this build)."""
    info = cache.fetch("outputs", key, suffix, temp) if key else None
    if isinstance(info, dict):
        return info
    info = make() or {}
    if key and keep():
        cache.store("outputs", key, temp, suffix, info)
    return info
