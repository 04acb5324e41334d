"""Import WeasyPrint without spawning compilers.

WeasyPrint loads Pango, HarfBuzz and fontconfig through cffi, trying several
names per library (`libgobject-2.0-0`, `gobject-2.0-0`, `gobject-2.0` …). For
each name that is not a file name, cffi asks `ctypes.util.find_library`, which
on Linux runs `ldconfig -p`, `gcc` and `ld` in subprocesses: about 140 ms of
every cold build went there (`python -X importtime`: weasyprint.text.ffi).

While WeasyPrint is imported, `find_library` is answered from the dynamic
loader's own folders instead (`/etc/ld.so.conf`, the multiarch defaults,
`$LD_LIBRARY_PATH`): `lib{name}.so*` found there gives its file name, which
the loader then opens as usual. If that import fails all the same (an unusual
system), it is tried once more with the standard lookup.
"""
from __future__ import annotations

import ctypes.util
import glob
import os
import shutil
import sys
import time
import weakref

_DEFAULT_DIRS = ("/lib", "/usr/lib", "/lib64", "/usr/lib64", "/usr/local/lib")


def _conf_dirs(path: str, seen: set[str]) -> list[str]:
    """The folders an ld.so.conf file lists, following its `include` lines."""
    if path in seen:
        return []
    seen.add(path)
    found: list[str] = []
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return found
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line.startswith("include "):
            pattern = line.split(None, 1)[1]
            if not os.path.isabs(pattern):
                pattern = os.path.join(os.path.dirname(path), pattern)
            for included in sorted(glob.glob(pattern)):
                found += _conf_dirs(included, seen)
        elif line:
            found.append(line)
    return found


def library_dirs() -> list[str]:
    dirs = [d for d in os.environ.get("LD_LIBRARY_PATH", "").split(":") if d]
    dirs += _conf_dirs("/etc/ld.so.conf", set())
    dirs += list(_DEFAULT_DIRS)
    return [d for d in dict.fromkeys(dirs) if os.path.isdir(d)]


def _libraries(dirs: list[str]) -> list[str]:
    """The `lib*.so*` file names in the folders, in the folders' order (listed once)."""
    names: list[str] = []
    for folder in dirs:
        try:
            names += sorted(e.name for e in os.scandir(folder)
                            if e.name.startswith("lib") and ".so" in e.name)
        except OSError:
            pass
    return names


def fast_find_library(name: str, _libs: list[str] | None = None) -> str | None:
    """`lib{name}.so…` in the loader's folders, as `ctypes.util.find_library` would
    name it (the file name), or None; no subprocess."""
    libs = _libs if _libs is not None else _libraries(library_dirs())
    stem = f"lib{name}.so"
    matches = [n for n in libs if n == stem or n.startswith(stem + ".")]
    # Prefer the versioned soname (libfoo.so.0) over a development link (libfoo.so).
    matches.sort(key=lambda m: (m == stem, len(m)))
    return matches[0] if matches else None


#: the font configurations made here (see font_configuration), with their process
_MADE: "weakref.WeakSet" = weakref.WeakSet()


def font_configuration():
    """A WeasyPrint FontConfiguration, remembered with the process that made it, so
    that its temporary font folder can be removed when the process ends."""
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    fonts._briefgen_pid = os.getpid()
    _MADE.add(fonts)
    return fonts


def remove_font_folders() -> None:
    """Remove the temporary font folders (/tmp/weasyprint-*) of the font
    configurations this process made and still holds. WeasyPrint removes one when
    its configuration is collected, which a process that ends without a last
    collection (the CLI: cli._exit_without_collecting) or by os._exit (a forked
    worker) never does. A configuration a parent process made is left alone."""
    for fonts in list(_MADE):
        if getattr(fonts, "_briefgen_pid", None) == os.getpid() and fonts._folder:
            shutil.rmtree(fonts._folder, ignore_errors=True)
            fonts._folder = None


#: what answering the lookups cost while WeasyPrint was imported (bench/build_speed.py --phases)
lookups = {"calls": 0, "seconds": 0.0}


def load():
    """Import WeasyPrint (once), its native libraries found without subprocesses."""
    if "weasyprint" in sys.modules:
        return sys.modules["weasyprint"]
    original = ctypes.util.find_library
    start = time.perf_counter()
    libs = _libraries(library_dirs())
    lookups["seconds"] += time.perf_counter() - start

    def find_library(name: str) -> str | None:
        start = time.perf_counter()
        try:
            return fast_find_library(name, libs)
        finally:
            lookups["calls"] += 1
            lookups["seconds"] += time.perf_counter() - start

    ctypes.util.find_library = find_library
    try:
        import weasyprint
    except OSError:
        ctypes.util.find_library = original
        for module in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[module]
        import weasyprint
    finally:
        ctypes.util.find_library = original
    remember_page_references()
    return weasyprint


def remember_page_references() -> None:
    """pydyf's `PDF.page_references` formats the reference of every page each time
    it is read, and WeasyPrint's tagged PDF reads it once per structure element
    (tags.py: `pdf.page_references[page_number]`): pages × elements, 0.15 s of a
    65-page issue's write and growing with the square of its length. The tuple is
    kept with the page list it was made from, and made again when a page is added
    (`add_page` extends "Kids"): the same references, read in constant time."""
    import pydyf

    prop = pydyf.PDF.__dict__.get("page_references")
    if not isinstance(prop, property) or getattr(prop.fget, "remembered", False):
        return
    made = prop.fget

    def page_references(self):
        kids = self.pages["Kids"]
        kept = self.__dict__.get("_briefgen_page_references")
        if kept is None or kept[0] is not kids or kept[1] != len(kids):
            kept = self.__dict__["_briefgen_page_references"] = (kids, len(kids), made(self))
        return kept[2]

    page_references.remembered = True
    page_references.made = made
    pydyf.PDF.page_references = property(page_references)


load()
