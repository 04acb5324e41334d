"""Model → issue folder (issue.md, contributors.yaml, images/): what importers save.

The inverse of issue_folder.load_issue: loading what this writes gives back
the same model. The folder is staged beside its destination and renamed into
place only once it loads cleanly, so an import never leaves half a folder.
"""
from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import yaml

from ..errors import UsageError
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


def issue_markdown(issue: Issue, folder_name: str) -> str:
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
        front["cover_image"] = {"file": f"images/cover{issue.cover_image.path.suffix.lower()}"}
        if issue.cover_image.alt:
            front["cover_image"]["alt"] = issue.cover_image.alt
    cta = issue.call_to_action
    if cta:
        front["call_to_action"] = {k: v for k, v in (("heading", cta.heading), ("text", cta.text),
                                                     ("url", cta.url)) if v}
    parts = ["---\n" + _yaml(front) + "---", blocks_markdown(issue.lede)]
    for contribution in issue.contributions:
        parts.append(f"## {escape_text(contribution.headline)}".rstrip())
        parts.append("\n".join(_meta_lines(contribution)))
        parts.append(blocks_markdown(contribution.body))
    return "\n\n".join(p for p in parts if p) + "\n"


def contributors_yaml(issue: Issue, photo_names: dict[str, str]) -> str:
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
    return _yaml(data)


def _yaml(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000,
                          default_flow_style=False) if data else ""


def write_issue_folder(issue: Issue, destination: Path, *, force: bool = False) -> Path:
    """Write `issue` as a folder at `destination`; refuses to overwrite without `force`."""
    from .issue_folder import load_issue  # the folder must load back before it is published

    destination = Path(destination)
    if destination.exists() and not force:
        raise UsageError("the issue folder already exists", path=destination,
                         hint="choose another -o folder, or add --force to replace it")
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}.", dir=destination.parent))
    try:
        photo_names = {}
        images = staging / "images"
        images.mkdir()
        for person in issue.contributors:
            if person.photo:
                name = f"images/{person.id}{person.photo.path.suffix.lower() or '.jpg'}"
                shutil.copyfile(person.photo.path, staging / name)
                photo_names[person.id] = name
        if issue.cover_image:
            shutil.copyfile(issue.cover_image.path,
                            images / f"cover{issue.cover_image.path.suffix.lower()}")
        (staging / "issue.md").write_text(issue_markdown(issue, destination.name),
                                          encoding="utf-8")
        (staging / "contributors.yaml").write_text(contributors_yaml(issue, photo_names),
                                                   encoding="utf-8")
        load_issue(staging)  # raises if what we wrote would not validate
        if destination.exists():
            backup = Path(tempfile.mkdtemp(prefix=f".{destination.name}.old.",
                                           dir=destination.parent))
            backup.rmdir()
            destination.rename(backup)
            staging.rename(destination)
            shutil.rmtree(backup)
        else:
            staging.rename(destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return destination
