"""Model → issue folder (issue.md, contributors.yaml, images/): what importers save.

The inverse of issue_folder.load_issue: loading what this writes gives back
the same model. The folder is staged beside its destination and renamed into
place only once it loads cleanly, so an import never leaves half a folder.

Nothing in the model is trusted as a file name: it may come from a DOCX that
someone else wrote. Contributor ids must be slugs, image suffixes come from
the images' bytes (JPEG, PNG, GIF or WebP only), and every file is written by
`_write`, which resolves it inside the staging folder (fsguard) or refuses.
`--force` onto an existing issue replaces only the files this writes
(issue.md, contributors.yaml and their images) and keeps everything else.
"""
from __future__ import annotations

import errno
import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .. import fsguard
from ..errors import BriefgenError, ContentError, UsageError, folder_problem
from ..model import Block, Contribution, Heading, Issue, ListBlock, Paragraph, Quote, Span
from ..slugs import slugify
from .pullquotes import pick_pull_quote

# Characters that start Markdown syntax inside a line, and at the start of a line.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>!])")
_ENTITY = re.compile(r"&(?=#?\w+;)")
_LINE_START = re.compile(r"^(\s*)([#>+\-|]|\d+[.)]|=+\s*$|-+\s*$)")


def escape_text(text: str) -> str:
    text = _INLINE_SPECIAL.sub(r"\\\1", text)
    text = _ENTITY.sub(r"\\&", text)
    return text.replace("==", "=\\=")


def spans_markdown(spans: tuple[Span, ...]) -> str:
    out = []
    marked = False
    for span in spans:
        if span.marked != marked:
            out.append("==")
            marked = span.marked
        text = span.text
        if span.code:
            fence = "``" if "`" in text else "`"
            piece = f"{fence}{text}{fence}"
        else:
            lead = text[: len(text) - len(text.lstrip())]
            trail = text[len(text.rstrip()):]
            core = escape_text(text.strip()).replace("\n", "\\\n")
            if core and (span.strong or span.emphasis):
                marker = "***" if span.strong and span.emphasis else "**" if span.strong else "*"
                core = f"{marker}{core}{marker}"
            piece = f"{lead}{core}{trail}" if core else text
        if span.link:
            piece = f"[{piece}](<{span.link}>)"
        out.append(piece)
    if marked:
        out.append("==")
    line = "".join(out)
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), line)


def blocks_markdown(blocks: tuple[Block, ...]) -> str:
    return "\n\n".join(_block_markdown(b) for b in blocks)


def _block_markdown(block: Block) -> str:
    if isinstance(block, Paragraph):
        return spans_markdown(block.spans)
    if isinstance(block, Heading):
        return "### " + spans_markdown(block.spans)
    if isinstance(block, ListBlock):
        lines = []
        for number, item in enumerate(block.items, 1):
            marker = f"{number}. " if block.ordered else "- "
            text = blocks_markdown(item).replace("\n", "\n" + " " * len(marker))
            lines.append(marker + text)
        return "\n".join(lines)
    if isinstance(block, Quote):
        return "\n".join("> " + line if line else ">"
                         for line in blocks_markdown(block.blocks).split("\n"))
    raise TypeError(type(block).__name__)


def _meta_lines(contribution: Contribution) -> list[str]:
    lines = [f"by: {', '.join(c.id for c in contribution.contributors)}"]
    if contribution.lang:
        lines.append(f"lang: {contribution.lang}")
    quote = contribution.pull_quote
    if quote is None:
        if pick_pull_quote(contribution.body):
            lines.append("pull-quote: none")
    elif quote.source == "given" or (quote.source == "auto"
                                     and pick_pull_quote(contribution.body) != quote.text):
        lines.append(f"pull-quote: {quote.text}")
    return lines


def issue_markdown(issue: Issue, folder_name: str, cover_name: str | None = None,
                   source: "_Source | None" = None) -> str:
    """The issue as issue.md. With `source` (the existing issue.md), what the
    model did not change keeps its exact source text: the front matter when its
    values are the same, and each unchanged block, headline and meta lines,
    wrapping and comments included."""
    keep = source or _Source()
    front = _front(issue, folder_name, cover_name)
    if keep.front == front:
        front_text = keep.front_text
    elif keep.front is not None:  # only the changed values, in the source's own YAML
        front_text = round_trip_yaml(keep.front_text, keep.front, front) or _yaml(front)
    else:
        front_text = _yaml(front)
    parts = ["---\n" + front_text + "---",
             "\n\n".join(keep.block(b) for b in issue.lede)]
    for contribution in issue.contributions:
        heading = f"## {escape_text(contribution.headline)}".rstrip()
        parts.append(keep.headings.get(heading, heading))
        meta = "\n".join(_meta_lines(contribution))
        parts.append(keep.metas.get(meta, meta))
        parts.append("\n\n".join(keep.block(b) for b in contribution.body))
    return "\n\n".join(p for p in parts if p) + "\n"


class _Source:
    """The existing issue.md, read so that unchanged parts can be written as they were."""

    def __init__(self, folder: Path | None = None, old: Issue | None = None):
        """`old`: the issue `folder` holds, when the caller has loaded it already."""
        self.front: dict | None = None
        self.front_text = ""
        self.blocks: dict = {}    # model block → its source text
        self.headings: dict = {}  # generated "## headline" line → the source's line
        self.metas: dict = {}     # generated meta lines → the source's meta lines
        self.wrap: int | None = None  # the source's line width, when it hard-wraps paragraphs
        self.straight = False
        self.lang = "en"
        if folder is None:
            return
        from .issue_folder import load_issue, split_front_matter
        from .markdown import parse_top_blocks

        path = folder / "issue.md"
        try:
            if old is None:
                old = load_issue(folder).issue
            text = path.read_text(encoding="utf-8")
            front_text, body, _ = split_front_matter(text, path)
            tops = parse_top_blocks(body, old.lang)
        except (BriefgenError, OSError, UnicodeDecodeError):
            return  # nothing usable: everything is written afresh
        cover = None
        if old.cover_image:
            try:
                cover = str(Path(old.cover_image.path).resolve().relative_to(folder.resolve()))
            except ValueError:
                pass
        self.front = _front(old, folder.name, cover)
        self.front_text = front_text + "\n" if front_text else ""
        self.lang = old.lang
        lines = body.split("\n")
        widths = []

        def source_of(top):
            start, end = top.tokens[0].map or (top.line, top.line + 1)
            return "\n".join(lines[start:end]).rstrip()

        contributions = iter(old.contributions)
        after_heading = None
        for top in tops:
            if top.heading_level == 2:
                contribution = next(contributions, None)
                if contribution is not None:
                    generated = f"## {escape_text(contribution.headline)}".rstrip()
                    self.headings.setdefault(generated, source_of(top))
                    after_heading = contribution
                continue
            if after_heading is not None:  # the meta lines right under a headline
                self.metas.setdefault("\n".join(_meta_lines(after_heading)), source_of(top))
                after_heading = None
                continue
            if top.block is not None:
                text = source_of(top)
                self.blocks.setdefault(top.block, text)
                if isinstance(top.block, Paragraph) and "\n" in text:
                    widths.append(max(len(line) for line in text.split("\n")))
        self.wrap = max(widths) if widths else None
        # the source types straight apostrophes (the loader curls them): so do edits
        self.straight = body.count("'") > body.count("’")

    def block(self, block: Block) -> str:
        """The block's source text if it is unchanged; else its Markdown, hard-wrapped
        as the source wraps its paragraphs (so that a diff shows the edited lines)."""
        try:
            known = self.blocks.get(block)
        except TypeError:  # an unhashable block
            known = None
        if known:
            return known
        text = _block_markdown(block)
        if not isinstance(block, Paragraph):
            return text
        if self.straight and "’" in text and self._same(text.replace("’", "'"), block):
            text = text.replace("’", "'")
        return self._wrapped(text, block) if self.wrap else text

    def _same(self, text: str, block: Block) -> bool:
        """`text` reads back as `block`."""
        from .markdown import parse_top_blocks

        try:
            tops = parse_top_blocks(text, self.lang)
        except BriefgenError:
            return False
        return len(tops) == 1 and tops[0].block == block

    def _wrapped(self, text: str, block: Paragraph) -> str:
        """`text` broken at spaces into lines of at most self.wrap characters, if
        it reads back as the same paragraph (no line may start Markdown syntax)."""
        if "\n" in text or "  " in text or len(text) <= self.wrap:
            return text
        lines: list[str] = []
        for word in text.split(" "):
            if lines and len(lines[-1]) + 1 + len(word) <= self.wrap:
                lines[-1] += " " + word
            elif lines and (not word or _LINE_START.match(word) or word.startswith("==")
                            and not lines[-1]):
                lines[-1] += " " + word  # a line starting with it would be syntax
            else:
                lines.append(word)
        wrapped = "\n".join(lines)
        return wrapped if self._same(wrapped, block) else text


def _front(issue: Issue, folder_name: str, cover_name: str | None) -> dict:
    front: dict = {}
    for key, value in (("publisher", issue.publisher), ("series", issue.series),
                       ("issue", issue.number), ("date", issue.date.isoformat()),
                       ("title", issue.title), ("short_title", issue.short_title),
                       ("standfirst", issue.standfirst), ("lang", issue.lang),
                       ("slug", issue.slug if issue.slug != slugify(folder_name, fallback="issue") else ""),
                       ("experts_intro", issue.experts_intro)):
        if value:
            front[key] = value
    if issue.keywords:
        front["keywords"] = list(issue.keywords)
    if issue.cover_image:
        front["cover_image"] = {"file": cover_name or
                                f"images/cover{issue.cover_image.path.suffix.lower()}"}
        if issue.cover_image.alt:
            front["cover_image"]["alt"] = issue.cover_image.alt
        if issue.cover_focus != (50.0, 50.0):
            front["cover_focus"] = " ".join(f"{v:g}%" for v in issue.cover_focus)
    cta = issue.call_to_action
    if cta:
        front["call_to_action"] = {k: v for k, v in (("heading", cta.heading), ("text", cta.text),
                                                     ("url", cta.url)) if v}
    if issue.colophon:
        front["colophon"] = {k: v for k in ("address", "issn", "copyright", "disclaimer")
                             for v in (getattr(issue.colophon, k),) if v}
    return front


def contributors_data(issue: Issue, photo_names: dict[str, str]) -> dict:
    """contributors.yaml as data: id → name, role, organisation, bio, photo …"""
    data = {}
    for person in issue.contributors:
        entry = {"name": person.name}
        if person.role:
            entry["role"] = person.role
        if person.organisation:
            entry["organisation"] = person.organisation
        if person.bio:
            entry["bio"] = blocks_markdown(person.bio)
        if person.photo and person.id in photo_names:
            entry["photo"] = photo_names[person.id]
            if person.photo.alt != person.name:
                entry["photo_alt"] = person.photo.alt
        data[person.id] = entry
    return data


def _yaml(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000,
                          default_flow_style=False) if data else ""


# ---------------------------------------------------------------- round-trip YAML

#: the source's spelling of a key the model writes otherwise
_ALIASES = {"organisation": "organization"}
_FOLD_WIDTH = 76


def round_trip_yaml(text: str, old: dict, new: dict) -> str | None:
    """`text` (YAML the model `old` was read from) changed to say `new`, touching
    only the values that differ between `old` and `new`: comments, key order,
    quoting, folding and untouched values stay as they were (ruamel.yaml's
    round trip). A changed value keeps the style of the one it replaces
    (quoted, folded, a flow list, a number, a date). None when `text` cannot
    be read that way (the caller writes the YAML afresh)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096  # never re-wrap what was not changed
    rt.indent(mapping=2, sequence=2, offset=0)
    try:
        data = rt.load(text) if text.strip() else None
    except (YAMLError, ValueError, TypeError):
        return None
    if data is None:
        from ruamel.yaml.comments import CommentedMap

        data = CommentedMap()
    if not isinstance(data, dict):
        return None
    _update(data, old, new, depth=0)
    out = io.StringIO()
    try:
        rt.dump(data, out)
    except (YAMLError, ValueError, TypeError):
        return None
    return out.getvalue() if data else ""


def _update(node, old: dict, new: dict, depth: int) -> None:
    for key in old:
        if key not in new:
            for name in (key, _ALIASES.get(key)):
                if name in node:
                    del node[name]
    for key, value in new.items():
        name = _ALIASES.get(key) if key not in node and _ALIASES.get(key) in node else key
        before = old.get(key)
        if key in old and before == value and name in node:
            continue
        current = node.get(name)
        if isinstance(value, dict) and isinstance(current, dict) and depth < 3:
            _update(current, before if isinstance(before, dict) else {}, value, depth + 1)
        else:
            node[name] = _styled(value, current, depth)


def _styled(value, current, depth: int):
    """`value` in the YAML style of `current`, the value it replaces."""
    import datetime as dt

    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import (DoubleQuotedScalarString, FoldedScalarString,
                                          LiteralScalarString, SingleQuotedScalarString)

    if isinstance(value, dict):
        return CommentedMap((k, _styled(v, None, depth + 1)) for k, v in value.items())
    if isinstance(value, list):
        seq = CommentedSeq(value)
        if isinstance(current, CommentedSeq) and current.fa.flow_style():
            seq.fa.set_flow_style()
        return seq
    if not isinstance(value, str):
        return value
    if isinstance(current, bool):
        return value
    if isinstance(current, int) and value.isdigit():
        return int(value)
    if isinstance(current, dt.date) and not isinstance(current, dt.datetime):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(current, LiteralScalarString) or "\n" in value:
        return LiteralScalarString(value)
    if isinstance(current, FoldedScalarString):
        return _folded(value, _fold_width(current, _FOLD_WIDTH - 2 * (depth + 1)))
    if isinstance(current, DoubleQuotedScalarString):
        return DoubleQuotedScalarString(value)
    if isinstance(current, SingleQuotedScalarString):
        return SingleQuotedScalarString(value)
    return value


def _fold_width(current, fallback: int) -> int:
    """The longest line of the folded scalar `current`, as its source wraps it."""
    positions = getattr(current, "fold_pos", None) or []
    if not positions:
        return fallback
    edges = [-1] + sorted(positions) + [len(current)]
    return max(40, max(b - a - 1 for a, b in zip(edges, edges[1:])))


def _folded(text: str, width: int):
    """A folded (>-) scalar broken at spaces into lines of at most `width` characters."""
    from ruamel.yaml.scalarstring import FoldedScalarString

    folded = FoldedScalarString(text)
    positions, start = [], 0
    while len(text) - start > width:
        cut = text.rfind(" ", start, start + width + 1)
        if cut <= start:
            cut = text.find(" ", start + width)
            if cut < 0:
                break
        if cut + 1 < len(text) and text[cut + 1] == " ":
            break  # a double space would not survive folding
        positions.append(cut)
        start = cut + 1
    folded.fold_pos = positions
    return folded


# Pillow's format → the suffix an imported image is saved with (nothing else is written).
IMAGE_SUFFIXES = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "WEBP": ".webp"}
ALLOWED_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp"}

# OSErrors the machine causes while an import writes: one line, exit 2.
_ENVIRONMENT = {
    errno.ENOSPC: ("no space left on the device", "free some space, or choose another -o folder"),
    errno.EDQUOT: ("the disk quota is exceeded", "free some space, or choose another -o folder"),
    errno.EACCES: ("permission denied", "choose a folder you may write to with -o"),
    errno.EPERM: ("permission denied", "choose a folder you may write to with -o"),
    errno.EROFS: ("the file system is read-only", "choose another folder with -o"),
}


def is_slug(text: str) -> bool:
    """An id as the content format defines it: lower-case words joined by '-'."""
    return bool(text) and slugify(text, fallback="") == text


def image_suffix(data: bytes) -> str | None:
    """The suffix for an image, from what Pillow reads in its bytes; None if not allowed."""
    from PIL import Image as PILImage

    try:
        with PILImage.open(io.BytesIO(data)) as img:
            kind = img.format
    except Exception:  # Pillow raises many types for what is not an image
        return None
    return IMAGE_SUFFIXES.get(kind)


@dataclass
class Written:
    folder: Path
    replaced: list[str] = field(default_factory=list)  # briefgen's files that were replaced
    kept: list[str] = field(default_factory=list)      # other files left as they were


def check_destination(destination: Path, *, force: bool) -> None:
    """Refuse a destination that is a file, or a file's name (`-o x/issue.md`), or an
    existing folder without --force."""
    folder_hint = (f"give -o the issue folder: -o {destination.parent}"
                   if destination.name in ("issue.md", "contributors.yaml", "pack.yaml")
                   else "give -o the issue folder, not a file in it")
    if destination.exists() and not destination.is_dir() or (
            destination.is_symlink() and not destination.exists()):
        raise UsageError("this is a file, not a folder", path=destination, hint=folder_hint)
    if not destination.exists() and destination.suffix.lower() in (
            ".md", ".yaml", ".yml", ".txt", ".html", ".htm", ".docx", ".pdf", ".csv"):
        raise UsageError(f"-o names the issue folder to create, and {destination.name} is a "
                         "file's name", path=destination,
                         hint=folder_hint if destination.name in ("issue.md", "contributors.yaml")
                         else f"e.g. -o {destination.with_suffix('')}")
    for parent in destination.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise UsageError(f"{parent} is a file, not a folder", path=destination,
                                 hint="choose an issue folder elsewhere (-o)")
            break
    if destination.exists() and not force:
        raise UsageError("the issue folder already exists", path=destination,
                         hint="choose another -o folder, or add --force to replace it")


def _write(staging: Path, relative: str, data: bytes) -> None:
    """The one way an import writes: inside `staging`, or refused (fsguard)."""
    fsguard.write_bytes(staging, relative, data, what="imported file")


def _image_bytes(image, what: str, destination: Path) -> tuple[bytes, str]:
    data = Path(image.path).read_bytes()
    suffix = image_suffix(data)
    if suffix is None:
        raise ContentError(f"the {what} is not a JPEG, PNG, GIF or WebP image",
                           path=destination, hint="replace it with a JPEG or PNG")
    return data, suffix


def _files(issue: Issue, destination: Path) -> dict[str, bytes]:
    """Every file of the folder, by its name inside the folder (images first)."""
    people = {c.id: c for c in issue.contributors}
    for contribution in issue.contributions:
        people.update((c.id, c) for c in contribution.contributors)
    for cid in people:
        if not is_slug(cid):
            raise ContentError(f"contributor id {cid!r} is not lower-case words joined by '-'",
                               path=destination,
                               hint=f"use {slugify(cid, fallback='contributor')!r}")
    files: dict[str, bytes] = {}
    photo_names: dict[str, str] = {}
    old = _old_issue(destination)
    old_photos = {}  # sha256 → the existing file's name, kept when the bytes are the same
    old_names = {}   # contributor id → the existing photo's name
    for person in old.contributors if old is not None else ():
        if person.photo:
            try:
                name = Path(person.photo.path).resolve() \
                    .relative_to(destination.resolve()).as_posix()
            except ValueError:
                continue
            old_names[person.id] = name
            if person.photo.digest:
                old_photos[person.photo.digest] = name
    for person in issue.contributors:
        if person.photo:
            data, suffix = _image_bytes(person.photo, f"photo of {person.name}", destination)
            name = old_photos.get(person.photo.digest) or f"images/{person.id}{suffix}"
            files[name] = data
            photo_names[person.id] = name
    cover_name = None
    if issue.cover_image:
        data, suffix = _image_bytes(issue.cover_image, "cover image", destination)
        base, n = "images/cover", 2
        cover_name = base + suffix
        while cover_name in files:  # a contributor whose id is `cover`
            cover_name, n = f"{base}-{n}{suffix}", n + 1
        files[cover_name] = data
    people = contributors_data(issue, photo_names)
    people_text = _yaml(people)
    old_people = destination / "contributors.yaml"
    if old is not None and old_people.is_file() and not old_people.is_symlink():
        old_text = old_people.read_text(encoding="utf-8")
        before = contributors_data(old, old_names)
        if before == people:
            people_text = old_text  # unchanged: kept as it was
        else:  # only the changed values, in the file's own YAML
            people_text = round_trip_yaml(old_text, before, people) or people_text
    files["contributors.yaml"] = people_text.encode("utf-8")
    source = _Source(destination, old) if old is not None else None
    files["issue.md"] = issue_markdown(issue, destination.name, cover_name,
                                       source).encode("utf-8")
    return files


def _old_issue(destination: Path) -> Issue | None:
    """The issue already in `destination` (an import with --force), if it loads."""
    from .issue_folder import load_issue

    if not (destination / "issue.md").is_file():
        return None
    try:
        return load_issue(destination).issue
    except (BriefgenError, OSError, UnicodeDecodeError):
        return None


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def write_issue_folder(issue: Issue, destination: Path, *, force: bool = False,
                       extra: dict[str, bytes] | None = None) -> Written:
    """Write `issue` as a folder at `destination`; refuses to overwrite without `force`.

    A new folder is staged beside `destination` and renamed into place. An
    existing one (with `force`) is staged inside itself, then only the files
    written here are moved into place, each replacing its old version; if one
    move fails, the ones already made are undone."""
    from .issue_folder import load_issue  # the folder must load back before it is published

    destination = Path(destination)
    check_destination(destination, force=force)
    files = _files(issue, destination)
    files.update(extra or {})  # review.yaml
    existing = destination.exists()
    try:
        if existing:
            staging = Path(tempfile.mkdtemp(prefix=".briefgen-import.", dir=destination))
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.",
                                            dir=destination.parent))
    except OSError as exc:
        if not existing and exc.errno in (errno.ENOENT, errno.ENOTDIR):  # /proc/x
            raise folder_problem(destination, exc, what="issue folder") from None
        raise _environment_error(exc, destination) from None
    keep_staging = False
    try:
        for name, data in files.items():
            _write(staging, name, data)
        load_issue(staging)  # raises if what we wrote would not validate
        if not existing:
            os.chmod(staging, 0o777 & ~_umask())  # mkdtemp made it 0o700
            os.rename(staging, destination)
            return Written(destination)
        return _merge(staging, destination, list(files))
    except _RollbackFailed:
        keep_staging = True
        raise
    except OSError as exc:
        raise _environment_error(exc, destination) from None
    finally:
        if not keep_staging:
            shutil.rmtree(staging, ignore_errors=True)


def folder_diff(issue: Issue, destination: Path, *, extra: dict[str, bytes] | None = None) -> str:
    """What writing `issue` into `destination` would change, as a unified diff; writes nothing."""
    import difflib

    destination = Path(destination)
    files = _files(issue, destination)
    files.update(extra or {})
    out: list[str] = []
    for name, data in files.items():
        target = destination / name
        old = target.read_bytes() if target.is_file() else None
        if old == data:
            continue
        if name.endswith((".md", ".yaml")):
            before = old.decode("utf-8", "replace").splitlines(keepends=True) if old else []
            after = data.decode("utf-8").splitlines(keepends=True)
            diff = list(difflib.unified_diff(before, after, f"a/{name}" if old else "/dev/null",
                                             f"b/{name}"))
            out += [line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                    for line in diff]
        else:
            out.append(f"Binary files {'a/' + name if old else '/dev/null'} and b/{name} differ\n")
    return "".join(out)


class _RollbackFailed(BriefgenError):
    pass


def _environment_error(exc: OSError, destination: Path) -> BriefgenError | OSError:
    if exc.errno not in _ENVIRONMENT:
        return exc  # not the machine's doing: a bug, reported as one
    what, hint = _ENVIRONMENT[exc.errno]
    return UsageError(f"cannot write the imported issue: {what}; nothing was changed",
                      path=destination, hint=hint)


def _merge(staging: Path, destination: Path, names: list[str]) -> Written:
    """Move `names` from `staging` into `destination`, replacing their old versions."""
    images = destination / "images"
    if images.is_symlink() or images.exists() and not images.is_dir():
        raise UsageError("images is a link or a file in the existing issue, not a folder",
                         path=images, hint="move it away, or import into another -o folder")
    for name in names:
        target = fsguard.inside(destination, name, what="imported file")
        if target.is_dir() and not target.is_symlink():
            raise UsageError(f"{name} is a folder in the existing issue", path=target,
                             hint="move it away, or import into another -o folder")
    backup = staging / ".replaced"
    made_images = False
    done: list[tuple[str, Path | None]] = []
    try:
        if any(n.startswith("images/") for n in names) and not images.exists():
            images.mkdir()
            made_images = True
        for name in names:
            target = destination / name
            old = None
            if target.exists() or target.is_symlink():
                old = backup / name
                old.parent.mkdir(parents=True, exist_ok=True)
                os.replace(target, old)
            done.append((name, old))
            os.replace(staging / name, target)
    except BaseException:
        try:
            for name, old in reversed(done):
                target = destination / name
                if not (staging / name).exists() and (target.exists() or target.is_symlink()):
                    os.replace(target, staging / name)
                if old is not None:
                    os.replace(old, target)
            if made_images:
                images.rmdir()
        except OSError:
            raise _RollbackFailed(
                "the import stopped half-way and could not put the old files back",
                path=destination, hint=f"they are in {backup}; copy them back by hand") from None
        raise
    ours = set(names)
    kept = sorted(p.name for p in destination.iterdir()
                  if p.name not in ours and p.name != "images"
                  and not p.name.startswith(".briefgen-import."))
    if images.is_dir():
        kept += sorted(f"images/{p.name}" for p in images.iterdir()
                       if f"images/{p.name}" not in ours)
    return Written(destination, replaced=[name for name, old in done if old is not None],
                   kept=kept)
