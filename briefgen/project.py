"""Project defaults: `briefgen.toml`, and the settings a command runs with.

A `briefgen.toml` in an issue's (or pack's) folder, or in any folder above it up
to the repository root (the first folder holding `.git`, else the file system's
root), gives defaults to `build`, `check` and `preview`:

    layout = "memo"              # a shipped name, or a folder's path (with a /)
    page_size = "Letter"
    formats = ["pdf"]            # or "pdf,docx"
    output = "dist"              # relative to this file
    pdf_variant = "pdf/a-3b"

Several files apply together, the nearest one winning key by key; a flag given
on the command line wins over all of them. Paths in a file are relative to the
file and stay inside its folder (as every path briefgen reads from a document
does), and what would open the network (`allow_remote`, `scheduler`) is for the
command line only: a folder received from elsewhere may carry a briefgen.toml.

    settings(folder, "build", given={"page_size": "A4"})  -> Settings
    settings(...).value("layout")                         -> what to pass on
    settings(...).items["layout"].origin                  -> "briefgen.toml:3"

`briefgen config [FOLDER]` prints every setting with where it came from; the
preview calls `settings(folder, "preview", given=…)` as build and check do.
"""
from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BriefgenError, ErrorList, UsageError

CONFIG_FILE = "briefgen.toml"
#: the largest briefgen.toml read
CONFIG_LIMIT = 100_000

# WeasyPrint's variants (weasyprint.pdf.VARIANTS), listed here so that --help
# and `config` do not import WeasyPrint.
PDF_VARIANTS = ("pdf/a-1a", "pdf/a-1b", "pdf/a-2a", "pdf/a-2b", "pdf/a-2u", "pdf/a-3a",
                "pdf/a-3b", "pdf/a-3u", "pdf/a-4e", "pdf/a-4f", "pdf/a-4u", "pdf/ua-1",
                "pdf/ua-2", "pdf/x-1a", "pdf/x-3", "pdf/x-4", "pdf/x-5g")
COMMANDS = ("build", "check", "preview")


@dataclass(frozen=True)
class Key:
    """One setting: its kind, the commands that use it, what it is when not set."""

    kind: str            # layout, page_size, formats, path, bool, int, choice
    commands: tuple[str, ...]
    default: str         # shown by `briefgen config` when nothing sets it
    what: str
    choices: tuple[str, ...] = ()


KEYS: dict[str, Key] = {
    "layout": Key("layout", COMMANDS, "policy-brief",
                  "a shipped layout's name, or a layout folder's path (with a /)"),
    "page_size": Key("page_size", COMMANDS, "the layout's first size",
                     "A4, Letter or A5, among the layout's sizes"),
    "print": Key("bool", ("build", "check"), "false", "print production: bleed and crop marks"),
    "formats": Key("formats", ("build",), "pdf,docx (editions: pdf)",
                   'output formats: a list, or "pdf,docx"'),
    "output": Key("path", ("build",), "output/ (current folder)",
                  "the output folder"),
    "pdf_variant": Key("choice", ("build",), "none (tagged PDF 1.7)", "a PDF variant",
                       PDF_VARIANTS),
    "reference_docx": Key("path", ("build",), "none", "a Word template for the DOCX's styles"),
    "comments": Key("bool", ("build",), "false", "a review print with the open comments"),
    "recipients": Key("path", ("build",), "none",
                      "a pack's recipients (CSV): `build` then makes one edition each"),
    "jobs": Key("int", ("build",), "one per core", "editions written in parallel"),
    "encrypt": Key("bool", ("build",), "false", "editions: a password on each PDF"),
}
#: keys refused in a file, with why: a folder received from elsewhere may carry one
COMMAND_LINE_ONLY = {
    "allow_remote": "it would let a received folder's briefgen.toml open the network; "
                    "give --allow-remote on the command line",
    "scheduler": "it would let a received folder's briefgen.toml send the content to "
                 "another machine; give --scheduler on the command line",
    "source_date_epoch": "give --source-date-epoch or set $SOURCE_DATE_EPOCH",
}


@dataclass(frozen=True)
class Setting:
    name: str
    #: what to pass to the library; None: the library's own default
    value: object
    #: "command line", "briefgen.toml", "pack.yaml" or "default"
    origin: str
    path: Path | None = None
    line: int | None = None
    #: the value as `briefgen config` shows it
    shown: str = ""
    #: why a value set in a file does not apply (e.g. recipients for an issue)
    note: str = ""

    @property
    def where(self) -> str:
        """`path:line` for a value from a file, else the origin."""
        if self.path is None:
            return self.origin
        return f"{_shown(self.path)}:{self.line}" if self.line else _shown(self.path)


@dataclass
class Settings:
    folder: Path
    command: str | None
    items: dict[str, Setting]
    #: the briefgen.toml files that apply, nearest first
    files: tuple[Path, ...] = ()
    notes: list[str] = field(default_factory=list)

    def value(self, name: str):
        return self.items[name].value

    def as_dict(self) -> dict:
        return {"folder": str(self.folder), "files": [str(f) for f in self.files],
                "settings": {name: {"value": _jsonable(s.value), "shown": s.shown,
                                    "origin": s.origin,
                                    "source": {"file": str(s.path) if s.path else None,
                                               "line": s.line},
                                    **({"note": s.note} if s.note else {})}
                             for name, s in self.items.items()}}


def config_files(folder: str | Path) -> list[Path]:
    """The briefgen.toml files that apply to `folder`, nearest first: its own and its
    parents' up to the repository root (a folder with .git) or the file system's root."""
    found = []
    start = Path(os.path.abspath(folder))
    for directory in (start, *start.parents):
        candidate = directory / CONFIG_FILE
        if candidate.is_file():
            found.append(Path(_shown(candidate)))
        if (directory / ".git").exists():
            break
    return found


def read_config(path: Path) -> dict[str, Setting]:
    """One briefgen.toml, checked: every problem at once (ErrorList), each with its line."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(CONFIG_LIMIT + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {CONFIG_FILE}: {exc.strerror or exc}", path=path,
                         hint="make it readable, or remove it") from None
    if len(data) > CONFIG_LIMIT:
        raise UsageError(f"{CONFIG_FILE} is larger than {CONFIG_LIMIT:,} bytes", path=path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{CONFIG_FILE} is not UTF-8 text", path=path,
                         hint="save it as UTF-8") from None
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        if line is None and "end of document" in str(exc):
            line = len(text.rstrip("\n").split("\n"))
        raise UsageError(f"invalid TOML: {str(exc).split(' (at')[0]}", path=path, line=line,
                         hint="check quotes and brackets") from None
    lines = text.split("\n")
    errors: list[BriefgenError] = []
    found: dict[str, Setting] = {}
    for name, raw in table.items():
        line = _line_of(lines, name)
        if name in COMMAND_LINE_ONLY:
            errors.append(UsageError(f"`{name}` cannot be set in {CONFIG_FILE}", path=path,
                                     line=line, hint=COMMAND_LINE_ONLY[name]))
            continue
        if name not in KEYS:
            close = difflib.get_close_matches(name, list(KEYS), n=1)
            errors.append(UsageError(
                f"unknown key `{name}`", path=path, line=line,
                hint=f"did you mean `{close[0]}`?" if close else f"known: {', '.join(KEYS)}"))
            continue
        try:
            value, shown = _checked(name, raw, path.parent)
        except _Bad as bad:
            errors.append(UsageError(f"`{name}` {bad.args[0]}", path=path, line=line,
                                     hint=bad.args[1] if len(bad.args) > 1 else None))
            continue
        found[name] = Setting(name, value, CONFIG_FILE, path, line, shown)
    if errors:
        raise errors[0] if len(errors) == 1 else ErrorList(errors)
    return found


def settings(folder: str | Path, command: str | None = "build",
             given: dict | None = None) -> Settings:
    """The settings `command` runs with for `folder`: the command line's `given`
    values, then the briefgen.toml files (nearest first), then the defaults. With
    `command` None, every setting (for `briefgen config`)."""
    folder = Path(folder)
    given = {k: v for k, v in (given or {}).items() if v is not None}
    unknown = set(given) - set(KEYS) - set(COMMAND_LINE_ONLY)
    if unknown:  # a caller's mistake, not the user's
        raise KeyError(", ".join(sorted(unknown)))
    files = config_files(folder)
    from_files: dict[str, Setting] = {}
    errors: list[BriefgenError] = []
    for path in files:  # nearest first: a nearer file's key is kept
        try:
            for name, setting in read_config(path).items():
                from_files.setdefault(name, setting)
        except ErrorList as exc:
            errors += exc.errors
        except BriefgenError as exc:
            errors.append(exc)
    if errors:
        raise errors[0] if len(errors) == 1 else ErrorList(errors)
    pack_layout = _pack_layout(folder)
    items: dict[str, Setting] = {}
    for name, key in KEYS.items():
        if command is not None and command not in key.commands:
            continue
        if name in given:
            items[name] = Setting(name, given[name], "command line", shown=_show(given[name]))
        elif name == "layout" and pack_layout is not None:
            # The pack's own `layout:` is more specific than a project's default.
            items[name] = Setting(name, None, "pack.yaml", folder / "pack.yaml", pack_layout[1],
                                  shown=pack_layout[0],
                                  note=f"{CONFIG_FILE}'s layout is not used for this pack"
                                  if name in from_files else "")
        elif name in from_files:
            items[name] = from_files[name]
        else:
            items[name] = Setting(name, None, "default", shown=key.default)
    _drop_inapplicable(items, folder)
    return Settings(folder, command, items, tuple(files))


def _drop_inapplicable(items: dict[str, Setting], folder: Path) -> None:
    """A file's recipients apply to a pack only; its jobs and encrypt to editions only."""
    from .content.pack_folder import is_pack

    def ignore(name, why):
        setting = items.get(name)
        if setting is not None and setting.origin == CONFIG_FILE:
            items[name] = Setting(name, None, "default", shown=KEYS[name].default,
                                  note=f"{setting.where} sets {setting.shown}, not used: {why}")

    if not is_pack(folder):
        ignore("recipients", "editions are made from a pack")
    if "recipients" in items and items["recipients"].value is None:
        ignore("jobs", "no recipients, so no editions")
        ignore("encrypt", "no recipients, so no editions")


class _Bad(Exception):
    """(what is wrong, how to fix it) of one value."""


def _checked(name: str, raw, base: Path) -> tuple[object, str]:
    """A value from a file → (what to pass to the library, how `config` shows it)."""
    key = KEYS[name]
    if key.kind == "bool":
        if not isinstance(raw, bool):
            raise _Bad("must be true or false")
        return raw, str(raw).lower()
    if key.kind == "int":
        if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 256:
            raise _Bad("must be a whole number from 1 to 256")
        return raw, str(raw)
    if key.kind == "formats":
        from . import render

        items = raw.split(",") if isinstance(raw, str) else raw
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise _Bad('must be a list of formats, e.g. ["pdf", "docx"]')
        formats = tuple(dict.fromkeys(i.strip().lower() for i in items if i.strip()))
        unknown = [f for f in formats if f not in render.names()]
        if unknown or not formats:
            raise _Bad(f"has an unknown format {', '.join(unknown) or repr(raw)}",
                       f"choose from {', '.join(render.names())}")
        return formats, ",".join(formats)
    if not isinstance(raw, str) or not raw.strip():
        raise _Bad("must be text in quotes")
    raw = raw.strip()
    if key.kind == "choice":
        if raw.lower() not in key.choices:
            close = difflib.get_close_matches(raw.lower(), key.choices, n=1)
            raise _Bad(f"{raw!r} is not one of the choices",
                       f"did you mean {close[0]!r}?" if close else
                       f"choose one of: {', '.join(key.choices)}")
        return raw.lower(), raw.lower()
    if key.kind == "page_size":
        from .layouts import PAGE_SIZES

        for size in PAGE_SIZES:
            if size.lower() == raw.lower():
                return size, size
        raise _Bad(f"{raw!r} is not a page size", f"choose one of: {', '.join(PAGE_SIZES)}")
    if key.kind == "layout":
        from .layouts import builtin_layouts_dir, is_layout_path, MANIFEST

        if not is_layout_path(raw):
            names = sorted(p.name for p in builtin_layouts_dir().iterdir()
                           if (p / MANIFEST).is_file())
            if raw not in names:
                close = difflib.get_close_matches(raw, names, n=1)
                raise _Bad(f"names no shipped layout: {raw!r}",
                           f"did you mean {close[0]!r}?" if close else
                           f"shipped: {', '.join(names)}; a layout folder is a path with a "
                           f"/, e.g. \"./{raw}\"")
            return raw, raw
        folder = _inside(raw, base)
        if not (folder / MANIFEST).is_file():
            raise _Bad(f"{raw!r} is not a layout folder (no {MANIFEST} in it)",
                       "`briefgen layouts new NAME` makes one")
        return _shown(folder) if "/" in _shown(folder) else str(folder), raw
    path = Path(_shown(_inside(raw, base)))  # output, recipients, reference_docx
    return path, str(path)


def _inside(raw: str, base: Path) -> Path:
    relative = Path(raw)
    if relative.is_absolute() or ".." in relative.parts:
        raise _Bad(f"{raw!r} leads outside the folder of {CONFIG_FILE}",
                   f"give a path inside {_shown(base) or '.'}, or use the command-line flag")
    path = base / relative
    real, root = Path(os.path.realpath(path)), Path(os.path.realpath(base))
    if real != root and root not in real.parents:
        raise _Bad(f"{raw!r} leads outside the folder of {CONFIG_FILE} (through a link)",
                   "use the command-line flag")
    return path


def _pack_layout(folder: Path) -> tuple[str, int] | None:
    """pack.yaml's `layout:` (value, line), when the folder is a pack that sets one."""
    from .content.pack_folder import PACK_FILE
    from .content.yamlsrc import LineDict, load_yaml, read_text

    path = folder / PACK_FILE
    if not path.is_file():
        return None
    try:
        data = load_yaml(read_text(path, 1_000_000), path)
    except (BriefgenError, OSError):
        return None  # the build reports it
    if isinstance(data, LineDict) and isinstance(data.get("layout"), str) and data["layout"]:
        return data["layout"], data.line_of("layout")
    return None


def _line_of(lines: list[str], key: str) -> int | None:
    pattern = re.compile(rf"^\s*(\[+\s*)?[\"']?{re.escape(key)}[\"']?\s*[\]=.]")
    for number, text in enumerate(lines, 1):
        if pattern.search(text):
            return number
    return None


def _shown(path: Path) -> str:
    """A path relative to the current folder when it lies inside it."""
    try:
        return str(Path(os.path.abspath(path)).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _show(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (tuple, list)):
        return ",".join(map(str, value))
    if isinstance(value, Path):
        return _shown(value)
    return str(value)


def _jsonable(value):
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value
