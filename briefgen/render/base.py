"""The Writer interface and the registry of writers, in the spirit of Sphinx builders.

A writer turns the format-neutral `Outline` into one file of its format:

    class TxtWriter(Writer):
        name, suffix = "txt", ".txt"
        needs = frozenset({"page_numbers"})     # facts it uses, if any

        def write(self, outline, layout, target, options, facts) -> dict:
            ...                                 # write `target`
            return {}                           # new facts, for writers after it

    register(TxtWriter)

Facts are what one writer learns and another uses: the PDF writer `provides`
"page_numbers" (section id → page) and "pages"; the DOCX writer `needs`
"page_numbers" for its contents. `ordered(names)` puts providers before the
writers that need them. When no requested writer provides a needed fact, the
pipeline asks a registered provider to `measure` it: the facts without the file.

Built-in writers are registered by import path (`register_lazy`) and imported
only when used, so `--help` and `validate` import neither WeasyPrint nor
python-docx. A writer module registers its class with `register` on import.
"""
from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:  # pragma: no cover
    from ..layouts import Layout
    from ..model import Recipient
    from ..outline import Outline
    from . import RenderOptions


class Writer:
    """One output format. Subclasses set the class attributes and `write`."""

    #: the format's name, as given to --format
    name: ClassVar[str] = ""
    #: the file name's ending, with its dot
    suffix: ClassVar[str] = ""
    #: facts this writer reads from `facts` (another writer provides them)
    needs: ClassVar[frozenset[str]] = frozenset()
    #: facts this writer returns from `write` (and from `measure`, if it can)
    provides: ClassVar[frozenset[str]] = frozenset()
    #: build options beyond the common ones that this writer honours ("impose", "encrypt")
    supports: ClassVar[frozenset[str]] = frozenset()
    #: whether the rebuild cache may serve this writer's file (and its facts)
    cacheable: ClassVar[bool] = True

    def write(self, outline: "Outline", layout: "Layout", target: Path,
              options: "RenderOptions", facts: dict) -> dict:
        """Write `target`; return the facts learnt on the way (at least `provides`)."""
        raise NotImplementedError

    def prepare(self, outline: "Outline", layout: "Layout", options: "RenderOptions") -> None:
        """Optionally, what this writer can do before the facts it needs are known
        (its imports, and whatever needs no fact): the build calls it in the worker
        that waits for them, while the writer that provides them works."""

    def start(self, outline: "Outline", layout: "Layout", target: Path,
              options: "RenderOptions", facts: dict) -> "Started | None":
        """Optionally write in two steps: do the work that yields the facts (for the
        PDF: lay out the pages) and return a `Started` whose `facts` the writers
        after this one can use while `finish()` writes the file. None (the
        default): the writer only knows `write`."""
        return None

    def findings(self, outline: "Outline", layout: "Layout",
                 options: "RenderOptions") -> list[dict] | None:
        """Optionally, after `start`/`write`: the preflight's findings on what this
        writer laid out (plain dicts, `briefgen.preflight.Finding.as_dict`), which
        the build prints as warnings. None (the default): nothing to check."""
        return None

    def measure(self, outline: "Outline", layout: "Layout", options: "RenderOptions") -> dict:
        """The facts `write` would return, without writing a file (as cheaply as it can)."""
        raise NotImplementedError(f"the {self.name} writer cannot measure without writing")

    def companions(self, options: "RenderOptions") -> tuple[str, ...]:
        """Endings of further files written beside the target (e.g. "-booklet.pdf");
        an ending with a final "/" is a folder (published whole, like a file)."""
        return ()

    def write_companion(self, ending: str, written: Path, target: Path,
                        options: "RenderOptions") -> None:
        """Write the companion `ending` to `target` (a new empty folder for a folder's
        ending), from this writer's file `written`."""
        raise NotImplementedError

    def editions(self, outline: "Outline", layout: "Layout", options: "RenderOptions",
                 facts: dict, *, encrypt: bool = False) -> "Editions":
        """What many editions of one document share (laid out once); the default
        writes each edition whole."""
        return Editions(self, outline, layout, options, facts)


class Started:
    """A write begun by `Writer.start`: its facts are known, its file is not written yet."""

    def __init__(self, facts: dict, finish):
        self.facts = facts
        self._finish = finish

    def finish(self) -> dict:
        """Write the file; return every fact (at least `facts`)."""
        return self._finish()


class Editions:
    """Writes editions (one per recipient) of one document with one writer.

    `facts` are the shared document's facts (for the writers after this one);
    `batch(people)` prepares a batch of recipients and returns, per recipient,
    a problem (one line, the user's to fix) or None; `write(position, recipient,
    target)` then writes the edition of the batch's `position`-th recipient."""

    def __init__(self, writer: Writer, outline: "Outline", layout: "Layout",
                 options: "RenderOptions", facts: dict):
        self.writer, self.outline, self.layout, self.options = writer, outline, layout, options
        self.shared_facts = dict(facts)
        self.facts: dict = {}

    def batch(self, people: "list[Recipient]") -> list[str | None]:
        return [None] * len(people)

    def write(self, position: int, recipient: "Recipient", target: Path) -> None:
        from dataclasses import replace

        from ..outline import build_outline

        document = replace(self.outline.document, recipient=recipient)
        self.writer.write(build_outline(document), self.layout, target, self.options,
                          self.shared_facts)


# ---------------------------------------------------------------- the registry

_LAZY: dict[str, str] = {}            # name → "module:Class", until first used
_LOADED: dict[str, type[Writer]] = {}
_DEFAULTS: list[str] = []


def register(writer_class: type[Writer]) -> type[Writer]:
    """Make a writer available under its name (usable as a class decorator)."""
    if not writer_class.name or not writer_class.suffix.startswith("."):
        raise ValueError(f"{writer_class.__name__} needs a name and a suffix such as '.txt'")
    _LOADED[writer_class.name] = writer_class
    return writer_class


def register_lazy(name: str, path: str, *, default: bool = False) -> None:
    """Register `module:Class` under `name` without importing it yet."""
    _LAZY[name] = path
    if default and name not in _DEFAULTS:
        _DEFAULTS.append(name)


def unregister(name: str) -> None:
    _LOADED.pop(name, None)
    _LAZY.pop(name, None)
    if name in _DEFAULTS:
        _DEFAULTS.remove(name)


def names() -> tuple[str, ...]:
    """Every registered format, built-in ones first."""
    return tuple(dict.fromkeys([*_LAZY, *_LOADED]))


def defaults() -> tuple[str, ...]:
    """The formats a build writes when --format is not given."""
    return tuple(_DEFAULTS)


def get(name: str) -> type[Writer]:
    if name not in _LOADED:
        if name not in _LAZY:
            raise KeyError(name)
        module, _, attribute = _LAZY[name].partition(":")
        found = getattr(import_module(module), attribute)
        _LOADED.setdefault(name, found)
    return _LOADED[name]


def ordered(requested) -> list[type[Writer]]:
    """The writers named, providers of a fact before the writers that need it
    (otherwise in the order given). A cycle is a bug in the writers."""
    writers = [get(n) for n in dict.fromkeys(requested)]
    done: list[type[Writer]] = []
    waiting = list(writers)
    while waiting:
        for writer in waiting:
            blockers = [w for w in waiting if w is not writer and writer.needs & w.provides]
            if not blockers:
                done.append(writer)
                waiting.remove(writer)
                break
        else:
            raise RuntimeError("writers need each other's facts: "
                               + ", ".join(w.name for w in waiting))
    return done


def suppliers(writers) -> dict[str, type[Writer]]:
    """For each fact the writers need but none of them provides: a registered
    writer that provides it (it will `measure` it)."""
    provided = set().union(*(w.provides for w in writers)) if writers else set()
    missing = sorted(set().union(*(w.needs for w in writers)) - provided) if writers else []
    found: dict[str, type[Writer]] = {}
    for fact in missing:
        for name in names():
            candidate = get(name)
            if fact in candidate.provides and candidate.measure is not Writer.measure:
                found[fact] = candidate
                break
        else:
            raise RuntimeError(f"no registered writer provides {fact!r}")
    return found


def supporting(option: str) -> tuple[str, ...]:
    """Names of the registered writers that honour a build option (imports them)."""
    return tuple(n for n in names() if option in get(n).supports)
