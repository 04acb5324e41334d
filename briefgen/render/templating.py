"""The Jinja environment layouts' templates run in: sandboxed, autoescaped, strict.

Layouts are shared between organisations, so a template is untrusted code:

- it gets plain data only: strings, numbers, dates, lists, mappings and the
  frozen model objects, in which every file path is replaced by its `file:`
  URL as a plain string (`template_context`);
- it may read attributes of that data only, and call only an allow-list of
  pure functions and methods (`LayoutSandbox`);
- it is read, like every template it includes or extends, from inside the
  layout folder it belongs to, links followed (`ConfinedLoader`).

Anything else stops the build with a one-line `template:line` error.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import os
import types
from pathlib import Path, PurePath

from jinja2 import ChoiceLoader, PrefixLoader, StrictUndefined, TemplateError, Undefined
from jinja2.environment import TemplateModule
from jinja2.exceptions import TemplateNotFound, TemplateSyntaxError
from jinja2.loaders import BaseLoader, split_template_path
from jinja2.runtime import BlockReference, LoopContext, Macro
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from jinja2.utils import Cycler, Joiner, Namespace
from markupsafe import Markup, escape

from .. import fsguard
from ..errors import BriefgenError, LayoutError
from ..layouts import Layout
from ..model import first_strong_direction, list_separator
from .common import format_date, issue_line, labels
from .html import blocks_html, spans_html

#: the largest template file read (a layout's templates are a few kilobytes)
TEMPLATE_LIMIT = 2_000_000
#: the longest text or list a template may make with `*` (the sandbox's range() limit is 100,000)
REPEAT_LIMIT = 1_000_000


# --- plain data ------------------------------------------------------------------------

class FileURL(str):
    """Where a picture or annex lies, as a `file:///…` string: it names a file but
    cannot open one. `.as_uri()` returns the string itself, so layouts written when
    templates got paths (`photo.path.as_uri()`) keep working."""

    __slots__ = ()

    def as_uri(self) -> str:
        return str(self)


def _file_url(path: PurePath) -> FileURL:
    return FileURL(Path(os.path.abspath(path)).as_uri())


def layout_data(layout: Layout) -> dict:
    """What a template may know about its layout: names, sizes, colours, fonts."""
    return {
        "name": layout.name, "description": layout.description,
        "page_sizes": tuple(layout.page_sizes), "margins_mm": tuple(layout.margins_mm),
        "bleed_mm": layout.bleed_mm, "fonts": dict(layout.fonts),
        "colours": dict(layout.colours), "docx_sizes": dict(layout.docx_sizes),
        "style": dict(layout.style),
        "docx_options": dict(layout.docx_options),
        "faces": tuple({"family": f.family, "weight": f.weight, "style": f.style}
                       for f in layout.faces),
        "pdf_template": layout.pdf_template, "pack_template": layout.pack_template,
        "ancestors": tuple(name for name, _ in layout.ancestors),
    }


_SCALARS = (str, int, float, type(None), dt.date, dt.time, dt.timedelta)


def _is_model(value) -> bool:
    return (dataclasses.is_dataclass(value) and not isinstance(value, type)
            and type(value).__module__ in ("briefgen.model", "briefgen.outline"))


def plain(value, _memo: dict | None = None):
    """`value` as data a template may hold: paths become `file:` URL strings, a
    Layout becomes a mapping, model objects are copied with their fields made
    plain. Anything else is a bug in the caller (TypeError)."""
    memo = {} if _memo is None else _memo
    if isinstance(value, _SCALARS):
        return value
    key = id(value)
    if key in memo:
        return memo[key][1]
    if isinstance(value, PurePath):
        result = _file_url(value)
    elif isinstance(value, Layout):
        result = layout_data(value)
    elif isinstance(value, dict):
        result = {plain(k, memo): plain(v, memo) for k, v in value.items()}
    elif isinstance(value, list):
        result = [plain(v, memo) for v in value]
    elif isinstance(value, tuple) and type(value) is tuple:
        result = tuple(plain(v, memo) for v in value)
    elif _is_model(value):
        fields = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            # The folder a document was read from is no business of a template.
            fields[f.name] = None if f.name == "source_dir" else plain(item, memo)
        result = type(value)(**fields)
    else:
        raise TypeError(f"{type(value).__name__} is not plain data for a template")
    memo[key] = (value, result)  # keep `value` alive, so its id is not reused
    return result


def template_context(layout: Layout, **context) -> dict:
    """The variables a layout's template gets: plain data only (see `plain`)."""
    context.setdefault("layout", layout)
    memo: dict = {}
    return {name: plain(value, memo) for name, value in context.items()}


# --- the sandbox -----------------------------------------------------------------------

_STR_METHODS = frozenset({
    "capitalize", "casefold", "center", "count", "endswith", "expandtabs", "find",
    "format", "format_map", "index", "isalnum", "isalpha", "isascii", "isdecimal",
    "isdigit", "isidentifier", "islower", "isnumeric", "isprintable", "isspace", "istitle",
    "isupper", "join", "ljust", "lower", "lstrip", "partition", "removeprefix",
    "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip",
    "split", "splitlines", "startswith", "strip", "swapcase", "title", "upper", "zfill",
    "striptags", "unescape", "as_uri"})
_MAPPING_METHODS = frozenset({"items", "keys", "values", "get"})
_SEQUENCE_METHODS = frozenset({"count", "index"})
_DATE_METHODS = frozenset({"strftime", "isoformat", "weekday", "isoweekday"})
#: model methods without side effects that templates use
_MODEL_METHODS = frozenset({"personalise", "grants", "entry"})
_LOOP_METHODS = frozenset({"cycle", "changed"})
_CYCLER_METHODS = frozenset({"next", "reset"})
#: jinja's own objects whose public attributes a template may read
_JINJA_OBJECTS = (LoopContext, Cycler, Namespace, TemplateModule, BlockReference)


def _plain_value(obj) -> bool:
    return isinstance(obj, (str, int, float, dt.date, dt.time, dt.timedelta, tuple, list,
                            dict)) or _is_model(obj)


class LayoutSandbox(SandboxedEnvironment):
    """Jinja's sandbox with an allow-list policy: attributes of plain data and model
    objects only, and calls to the registered functions and pure methods only."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator: str, left, right):
        # `'x' * 10**10` or `9 ** 9 ** 9` would exhaust the machine: refused instead.
        if operator == "**" and isinstance(right, (int, float)) and abs(right) > 1000:
            raise SecurityError(f"the power {right!r} is too large for a template")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if (isinstance(seq, (str, list, tuple)) and isinstance(times, int)
                        and len(seq) * times > REPEAT_LIMIT):
                    raise SecurityError(f"repeating {type(seq).__name__} {times} times "
                                        "is too much for a template")
        return super().call_binop(context, operator, left, right)

    def allow_registered(self) -> None:
        """Everything registered so far (filters, tests, globals) may be called."""
        self._allowed = {id(f) for f in (*self.globals.values(), *self.filters.values(),
                                         *self.tests.values()) if callable(f)}

    def is_safe_attribute(self, obj, attr: str, value) -> bool:
        if attr.startswith("_") or isinstance(value, PurePath):
            return False
        if not (_plain_value(obj) or isinstance(obj, _JINJA_OBJECTS)):
            return False
        return super().is_safe_attribute(obj, attr, value)

    def is_safe_callable(self, obj) -> bool:
        if id(obj) in getattr(self, "_allowed", ()):
            return True
        if isinstance(obj, Undefined):
            return True  # calling it raises the undefined error, which says what is missing
        if isinstance(obj, (Macro, BlockReference, LoopContext, Joiner)):
            return True  # the template's own macros, blocks and loops; joiner()
        if isinstance(obj, (types.MethodType, types.BuiltinMethodType)):
            owner, name = getattr(obj, "__self__", None), getattr(obj, "__name__", "")
            return ((isinstance(owner, str) and name in _STR_METHODS)
                    or (isinstance(owner, dict) and name in _MAPPING_METHODS)
                    or (isinstance(owner, (list, tuple)) and name in _SEQUENCE_METHODS)
                    or (isinstance(owner, dt.date) and name in _DATE_METHODS)
                    or (_is_model(owner) and name in _MODEL_METHODS)
                    or (isinstance(owner, LoopContext) and name in _LOOP_METHODS)
                    or (isinstance(owner, Cycler) and name in _CYCLER_METHODS))
        # str.format / format_map, which the sandbox hands out wrapped
        wrapped = getattr(obj, "__wrapped__", None)
        if isinstance(obj, types.FunctionType) and isinstance(
                wrapped, (types.MethodType, types.BuiltinMethodType)):
            return isinstance(wrapped.__self__, str) and wrapped.__name__ in (
                "format", "format_map")
        return False


# --- templates from inside their layout ------------------------------------------------

class ConfinedLoader(BaseLoader):
    """Templates from layout template folders. Each file, links followed, must lie
    inside the layout folder it belongs to; `files` collects the files read, so an
    error can be traced to a template line."""

    def __init__(self, folders: tuple[Path, ...], files: set[str]):
        # A layout's template folder is `<layout folder>/templates`.
        self.folders = tuple((Path(folder), Path(folder).parent) for folder in folders)
        self.files = files

    def get_source(self, environment, template):
        pieces = split_template_path(template)  # refuses '..'
        for folder, root in self.folders:
            relative = Path(folder.name, *pieces)
            if not os.path.lexists(root / relative):
                continue
            path = fsguard.inside(root, relative, what="template", error=LayoutError)
            if not path.is_file():
                continue
            data = fsguard.read_bytes(root, relative, limit=TEMPLATE_LIMIT, what="template",
                                      error=LayoutError)
            try:
                source = data.decode("utf-8")
            except UnicodeDecodeError:
                raise LayoutError("the template is not UTF-8 text", path=path,
                                  hint="save it as UTF-8") from None
            self.files.add(str(path))
            return source, str(path), _unchanged(root, relative, path)
        raise TemplateNotFound(template)


def _unchanged(root: Path, relative: Path, path: Path):
    """Jinja's `uptodate` for a template read from `root / relative`: the environment
    is kept between renders (see `environment`), so an edited template (another
    modification time or size, as a live preview sees it) or a link now leading out
    of the layout folder is read again, through the checks above."""
    def stamp():
        try:
            status = os.stat(path)
        except OSError:
            return None
        return status.st_mtime_ns, status.st_size, os.path.realpath(path)

    first = stamp()
    return lambda: first is not None and stamp() == first and fsguard.is_inside(root, relative)


def css_string(value) -> Markup:
    """A value as a CSS string literal, safe inside <style> (no `</style>` escape)."""
    text = str(value)
    for char, code in (("\\", "\\5c "), ('"', "\\22 "), ("<", "\\3c "), ("\n", "\\a ")):
        text = text.replace(char, code)
    return Markup(f'"{text}"')


def no_widow(text: str) -> Markup:
    """Keep the last two words on one line, so a title or headline never ends with
    one short word alone. A nowrap span, not a no-break space: the text (and the
    bookmarks and tags made from it) stays exactly as written."""
    words = str(text).split(" ")
    if len(words) >= 3 and len(words[-1]) <= 12:
        head, tail = " ".join(words[:-2]), " ".join(words[-2:])
        return escape(head) + Markup(' <span class="nowrap">') + escape(tail) + Markup("</span>")
    return escape(text)


def file_url(value) -> str:
    """`{{ person.photo | url }}`: the `file:` URL of a picture (or of an annex)."""
    target = getattr(value, "path", value)
    if not isinstance(target, str):
        raise TypeError(f"url needs a picture, not {type(value).__name__}")
    return str(target)


def _direction(text: str, default: str = "ltr") -> str:
    """"rtl" or "ltr" for a name or line, as HTML's dir="auto" would decide."""
    return first_strong_direction(text) or default


#: environments kept between renders, by the template folders they read from
_ENVIRONMENTS: dict[tuple, tuple[LayoutSandbox, set[str]]] = {}


def cached_environment(layout: Layout) -> tuple[LayoutSandbox, set[str]]:
    """The sandbox for a layout's templates and the set of template files it has
    read, kept between renders: a layout's templates are compiled once per process,
    not once per render (a build renders its template two to four times: the
    makeup passes, the fitted tokens, the editions' covers). Keyed by the template
    folders; a template edited since is compiled again (see `_unchanged`)."""
    key = (tuple(str(folder) for folder in layout.template_dirs),
           tuple((name, str(folder)) for name, folder in layout.ancestors))
    if key not in _ENVIRONMENTS:
        files: set[str] = set()
        _ENVIRONMENTS[key] = (environment(layout, files), files)
    return _ENVIRONMENTS[key]


def environment(layout: Layout, files: set[str] | None = None) -> LayoutSandbox:
    files = set() if files is None else files
    # A layout's own templates shadow its ancestors'; "policy-brief/issue.html.j2"
    # names an ancestor's template explicitly, for {% extends %}.
    loader = ChoiceLoader([
        ConfinedLoader(layout.template_dirs, files),
        PrefixLoader({name: ConfinedLoader((folder,), files)
                      for name, folder in layout.ancestors}),
    ])
    env = LayoutSandbox(loader=loader, autoescape=True, undefined=StrictUndefined,
                        trim_blocks=True, lstrip_blocks=True, auto_reload=True)
    env.filters.update(blocks=blocks_html, spans=spans_html, css_string=css_string,
                       date=format_date, no_widow=no_widow, url=file_url)
    env.globals.pop("lipsum", None)  # lipsum(10**9) would run for ever
    env.globals.update(labels=labels, issue_line=issue_line,
                       separator=list_separator, direction=_direction)
    env.allow_registered()
    return env


def _template_line(exc: BaseException, files: set[str]) -> tuple[str | None, int | None]:
    """The innermost template file and line in `exc`'s traceback (jinja rewrites the
    traceback so that template frames carry the template's file name and line)."""
    if isinstance(exc, TemplateSyntaxError) and exc.filename:
        return exc.filename, exc.lineno
    where: tuple[str | None, int | None] = (None, None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename in files:
            where = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return where


def render_template(layout: Layout, name: str, **context) -> str:
    variables = template_context(layout, **context)
    env, files = cached_environment(layout)
    try:
        return env.get_template(name).render(**variables)
    except BriefgenError:
        raise  # a template that leads outside its layout folder: already says which
    except SecurityError as exc:
        path, line = _template_line(exc, files)
        raise LayoutError(f"unsafe template code refused: {exc}",
                          path=path or layout.templates_dir / name, line=line,
                          hint="layout templates may only use the documented variables, "
                               "filters and functions") from None
    except TemplateError as exc:
        path, line = _template_line(exc, files)
        message = (f"template {exc.name} not found in the layout or its ancestors"
                   if isinstance(exc, TemplateNotFound) else f"template error: {exc.message}")
        raise LayoutError(message, path=path or layout.templates_dir / name, line=line,
                          hint="fix the template (see the layout docs)") from None
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, ZeroDivisionError,
            OverflowError, RecursionError) as exc:
        # A template doing arithmetic on text, indexing past an end…: the layout's mistake.
        path, line = _template_line(exc, files)
        raise LayoutError(f"template failed: {type(exc).__name__}: {exc}",
                          path=path or layout.templates_dir / name, line=line,
                          hint="fix the template (see the layout docs)") from None
