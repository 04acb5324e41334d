"""YAML for hand-written content: safe, size-limited, alias-free, with line numbers.

Every mapping loads as a `LineDict`, which remembers the line of each key so
that validation messages can point at `issue.md:12` rather than at "somewhere".
"""
from __future__ import annotations

import copy
import re
from collections import OrderedDict
from pathlib import Path

import yaml
from yaml.events import AliasEvent

from ..errors import ContentError
from ..i18n import clean_line

MAX_YAML_BYTES = 1_000_000
#: hand-written metadata nests two or three levels; 20,000 `[` would exhaust the stack
MAX_YAML_DEPTH = 50
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")  # a briefing's metadata is a few kB; this is generous


class LineDict(dict):
    """A dict that knows the (1-based) line of itself and of each of its keys."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A list that knows the (1-based) line of each of its items."""

    item_lines: list

    def line_of(self, index: int) -> int | None:
        return self.item_lines[index] if index < len(self.item_lines) else None


class _Loader(yaml.SafeLoader):
    _depth = 0

    def compose_node(self, parent, index):
        # Aliases let a 1 kB file expand to gigabytes ("billion laughs");
        # hand-written content never needs them, so refuse them outright.
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise yaml.constructor.ConstructorError(
                None, None, "YAML aliases (*name) are not allowed in briefgen content",
                event.start_mark)
        # Composing recurses once per level: stop long before Python's stack does.
        if self._depth >= MAX_YAML_DEPTH:
            raise yaml.constructor.ConstructorError(
                None, None, f"lists or mappings nested more than {MAX_YAML_DEPTH} levels deep",
                self.peek_event().start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _construct_mapping(loader, node):
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) or key is None:
            raise yaml.constructor.ConstructorError(
                None, None, "mapping keys must be plain words", key_node.start_mark)
        key = str(key)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader, node):
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)

# YAML 1.1 turns `date: 2026-13-01` into a crash and `lang: no` into False.
# Dates stay strings (validated with a line number later); only true/false are booleans.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool",
                              re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load_yaml(text: str, path: Path, first_line: int = 1):
    """Parse YAML text that starts at `first_line` of `path`; errors carry file:line."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_YAML_BYTES:
        raise ContentError(f"YAML is larger than {MAX_YAML_BYTES // 1000} kB", path=path,
                           hint="move long text into the Markdown body")
    key = (text, first_line)
    parsed = _PARSED.get(key)
    if parsed is not None:  # a file parsed before in this process (a warm rebuild)
        _PARSED.move_to_end(key)
        return copy.deepcopy(parsed)
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ContentError(f"invalid YAML: {problem}", path=path, line=line,
                           hint="check indentation, colons and quotes") from None
    except yaml.YAMLError as exc:
        raise ContentError(f"invalid YAML: {exc}", path=path) from None
    except RecursionError:  # a safety net: MAX_YAML_DEPTH stops nesting long before
        raise ContentError("invalid YAML: nested too deeply", path=path, line=first_line,
                           hint="flatten the lists and mappings") from None
    _shift_lines(data, first_line - 1)
    data = _without_controls(data, path, first_line)
    _PARSED[key] = data
    while len(_PARSED) > PARSED_KEPT:
        _PARSED.popitem(last=False)
    return copy.deepcopy(data)


#: YAML texts parsed in this process, by their text and first line, and what they
#: gave (handed out as copies: callers may change theirs): a rebuild after an edit of
#: issue.md parses contributors.yaml (100 people: about 0.15 s) again for nothing
PARSED_KEPT = 16
_PARSED: OrderedDict = OrderedDict()


def _joined_surrogates(value: str, path: Path, line: int | None) -> str:
    """Surrogate escapes ("\\ud83d\\ude00", as JSON tools write them) joined into the
    character they encode; a lone one ("\\ud800") is no character at all: refused."""
    if not any("\ud800" <= ch <= "\udfff" for ch in value):
        return value
    try:
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeDecodeError:
        lone = next(ch for ch in value if "\ud800" <= ch <= "\udfff")
        raise ContentError(f"the escape \"\\u{ord(lone):04x}\" is half of a surrogate pair, "
                           "not a character", path=path, line=line,
                           hint="write the character itself, or its \\U0001xxxx escape") from None


def _without_controls(data, path: Path, line: int | None):
    """YAML escapes ("\\x1f") can bring back the control characters read_text removed.
    Bidi overrides and line separators go too: YAML values are titles, names and
    other fields that end up in metadata (see i18n.clean_line). Surrogate escapes
    are joined or refused with the value's line (_joined_surrogates)."""
    if isinstance(data, str):
        return clean_line(_CONTROL.sub("", _joined_surrogates(data, path, line)))
    if isinstance(data, LineDict):
        for key in list(data):
            key_line = data.line_of(key)
            value = _without_controls(data[key], path, key_line)
            clean = _joined_surrogates(key, path, key_line)
            if clean != key:
                del data[key]
                data.key_lines[clean] = data.key_lines.pop(key, key_line)
            data[clean] = value
        return data
    if isinstance(data, list):
        for index, value in enumerate(data):
            item_line = data.line_of(index) if isinstance(data, LineList) else None
            data[index] = _without_controls(value, path, item_line or line)
        return data
    return data


def _shift_lines(data, offset: int) -> None:
    if not offset:
        return
    if isinstance(data, LineDict):
        data.line += offset
        data.key_lines = {k: v + offset for k, v in data.key_lines.items()}
        for value in data.values():
            _shift_lines(value, offset)
    elif isinstance(data, list):
        if isinstance(data, LineList):
            data.item_lines = [line + offset for line in data.item_lines]
        for value in data:
            _shift_lines(value, offset)


def read_text(path: Path, limit: int) -> str:
    """Read a UTF-8 text file, refusing oversize or undecodable files clearly."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ContentError(f"cannot read file: {exc.strerror}", path=path) from None
    if size > limit:
        raise ContentError(f"file is {size // 1_000_000} MB, over the {limit // 1_000_000} MB limit",
                           path=path, hint="split it or remove embedded data")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ContentError("file is not UTF-8 text", path=path, line=line,
                           hint="save it as UTF-8") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # Control characters (other than tab and newline) cannot be printed and are
    # invalid in the DOCX's XML: they are removed.
    return _CONTROL.sub("", text)
