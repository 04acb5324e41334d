"""review.yaml: the editor's comments on an issue, kept beside issue.md.

`briefgen import` of a revised DOCX writes each Word comment here, with its
author, date, text, whether it is resolved, and its anchor: a reference that
survives re-imports, made of the section ("lede", "contribution:<first
author's id>" with "-2", "-3" … for a second piece by the same author, or
"bio:<contributor id>"), the paragraph's index in that section's text (null:
the headline or name), and the first 60 characters of the paragraph.
`briefgen validate` lists the open ones as notes. The next DOCX build puts
each back as a Word comment on the same paragraph (render/docx/comments.py),
so source → DOCX → source → DOCX keeps them; a re-import keeps their ids
(`keep_ids`), however Word numbers them.
"""
from __future__ import annotations

import re
from dataclasses import asdict, replace
from pathlib import Path

import yaml

from ..model import Comment

REVIEW_FILE = "review.yaml"
QUOTE_CHARS = 60
_HEADER = ("# The editor's comments, imported from the revised DOCX by `briefgen import`.\n"
           "# Set `resolved: true` (or resolve the comment in Word) when it is dealt with.\n")


def keep_ids(comments: list[Comment], folder: str | Path) -> list[Comment]:
    """`comments` (just imported) with the ids they had in folder/review.yaml.

    Word and LibreOffice renumber comments when they save, so a comment is
    known again by its author and text (and date, when two are alike); a new
    one gets the next free number."""
    old = load_review(folder)
    if not old:
        return comments
    unclaimed = list(old)
    kept: list[Comment | None] = []
    for comment in comments:
        match = next((o for o in unclaimed if (o.author, o.text, o.date) ==
                      (comment.author, comment.text, comment.date)), None) or next(
            (o for o in unclaimed if (o.author, o.text) == (comment.author, comment.text)), None)
        if match is None:
            kept.append(None)
            continue
        unclaimed.remove(match)
        kept.append(replace(comment, id=match.id))
    used = {c.id for c in kept if c is not None}
    numbers = [int(i) for i in used | {o.id for o in old} if i.isdigit()]
    following = max(numbers, default=-1) + 1
    result = []
    for comment, known in zip(comments, kept):
        if known is None:
            known = replace(comment, id=str(following))
            following += 1
        result.append(known)
    return result


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
    from .. import fsguard

    path = Path(folder) / REVIEW_FILE
    if not path.is_file() or path.stat().st_size > 5_000_000 or \
            not fsguard.is_inside(folder, REVIEW_FILE):  # a link out of the folder: ignored
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


def piece_section(counts: dict[str, int], authors, position: int) -> str:
    """The anchor section of a piece: "contribution:<first author's id>" (its
    position, from 1, when it has no author), with "-2", "-3" … for a later piece
    by the same author. `counts` is shared by the pieces of one issue, in order."""
    base = f"contribution:{authors[0].id if authors else position}"
    counts[base] = counts.get(base, 0) + 1
    return base + (f"-{counts[base]}" if counts[base] > 1 else "")


def review_notes(outline) -> dict[str, list[Comment]]:
    """The open comments of each chapter's issue, by where a review print shows
    them: a piece's id, "<chapter id>:lede" (the cover's too), "bio:<id>"."""
    notes: dict[str, list[Comment]] = {}
    for chapter in outline.chapters:
        comments = [c for c in getattr(chapter.issue, "comments", ()) if not c.resolved]
        if not comments:
            continue
        pieces, counts = {}, {}
        for index, piece in enumerate(chapter.pieces):
            pieces[piece_section(counts, piece.contribution.contributors, index + 1)] = piece.id
        for comment in comments:
            if comment.section in pieces:
                key = pieces[comment.section]
            elif comment.section.startswith("bio:"):
                key = comment.section
            elif comment.section == "lede":
                key = f"{chapter.id}:lede"
            else:
                key = f"{chapter.id}:lede"  # the cover's: shown with the lede's
            notes.setdefault(key, []).append(comment)
    return notes


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


__all__ = ["Comment", "REVIEW_FILE", "comment_location", "dump_review", "keep_ids",
           "load_review", "piece_section", "review_notes"]
