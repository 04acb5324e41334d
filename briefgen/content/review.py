"""review.yaml: the editor's comments on an issue, kept beside issue.md.

`briefgen import` of a revised DOCX writes each Word comment here, with its
author, date, text, whether it is resolved, and its anchor: a reference that
survives re-imports, made of the section ("lede", "contribution:<first
author's id>" with "-2", "-3" … for a second piece by the same author, or
"bio:<contributor id>"), the paragraph's index in that section's text (null:
the headline or name), and the first 60 characters of the paragraph.
`briefgen validate` lists the open ones as notes.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

REVIEW_FILE = "review.yaml"
QUOTE_CHARS = 60
_HEADER = ("# The editor's comments, imported from the revised DOCX by `briefgen import`.\n"
           "# Set `resolved: true` (or resolve the comment in Word) when it is dealt with.\n")


@dataclass(frozen=True)
class Comment:
    id: str
    author: str
    date: str
    text: str
    section: str            # "lede", "contribution:<id>", "bio:<id>"
    paragraph: int | None   # index in the section's text; None: its headline or name
    quote: str              # the first characters of the paragraph
    resolved: bool = False


def dump_review(comments: list[Comment]) -> str:
    entries = []
    for c in comments:
        entry = asdict(c)
        anchor = {k: entry.pop(k) for k in ("section", "paragraph", "quote")}
        entry["anchor"] = anchor
        entries.append(entry)
    return _HEADER + yaml.safe_dump({"comments": entries}, allow_unicode=True,
                                    sort_keys=False, width=1000)


def load_review(folder: str | Path) -> list[Comment]:
    """The comments in folder/review.yaml ([] when there is none or it is unusable)."""
    path = Path(folder) / REVIEW_FILE
    if not path.is_file() or path.stat().st_size > 5_000_000:
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return []
    comments = []
    for entry in (data or {}).get("comments") or [] if isinstance(data, dict) else []:
        if not isinstance(entry, dict):
            continue
        anchor = entry.get("anchor") if isinstance(entry.get("anchor"), dict) else {}
        paragraph = anchor.get("paragraph")
        comments.append(Comment(
            id=str(entry.get("id", "")), author=str(entry.get("author") or ""),
            date=str(entry.get("date") or ""), text=str(entry.get("text") or ""),
            section=str(anchor.get("section") or "lede"),
            paragraph=paragraph if isinstance(paragraph, int) else None,
            quote=str(anchor.get("quote") or ""), resolved=bool(entry.get("resolved"))))
    return comments


def _squash(text: str) -> str:
    """Letters and digits only: compares a DOCX quote with hard-wrapped Markdown."""
    return re.sub(r"[\W_]+", "", text).lower()


def comment_location(folder: str | Path, comment: Comment) -> tuple[str, int | None]:
    """(file name, line) of the paragraph a comment is anchored to, as well as can be told."""
    folder = Path(folder)
    if comment.section.startswith("bio:"):
        cid = comment.section[4:]
        for name in ("contributors.yaml", "issue.md"):
            path = folder / name
            if path.is_file():
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                    if line.strip().startswith(f"{cid}:"):
                        return name, number
        return "contributors.yaml", None
    path = folder / "issue.md"
    if not path.is_file():
        return "issue.md", None
    lines = path.read_text(encoding="utf-8").splitlines()
    start = 1
    if comment.section.startswith("contribution:"):
        cid = re.sub(r"-\d+$", "", comment.section.split(":", 1)[1])
        for number, line in enumerate(lines, 1):
            if line.startswith("by:") and cid in [x.strip() for x in line[3:].split(",")]:
                start = max(1, number - 1)
                break
    quote = _squash(comment.quote)[:20]
    if quote:
        for number in range(start, len(lines) + 1):
            window = _squash(" ".join(lines[number - 1:number + 2]))
            if lines[number - 1].strip() and window.startswith(quote):
                return "issue.md", number
    return "issue.md", start


__all__ = ["Comment", "REVIEW_FILE", "comment_location", "dump_review", "load_review"]
