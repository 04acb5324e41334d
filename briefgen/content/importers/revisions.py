"""Tracked changes in a DOCX: count them, and resolve them as Word's Accept All / Reject All.

WordprocessingML marks revisions with:
- `w:ins` / `w:del` around runs (deleted text is in `w:delText`), and
  `w:moveTo` / `w:moveFrom` around moved runs, with range markers
  (`w:moveFromRangeStart` …) that carry no text;
- the same elements inside a paragraph mark's properties (`w:pPr/w:rPr/w:ins`
  …): an inserted or deleted paragraph mark. Removing a paragraph mark joins
  the paragraph with the next one (a deleted paragraph is its deleted text
  plus its deleted mark, so it disappears whole);
- `w:rPrChange` / `w:pPrChange`: formatting-only changes, holding the old
  properties.

`resolve(root, "accept")` leaves the text Word shows after Accept All, and
`resolve(root, "reject")` the text after Reject All. Formatting changes are
accepted (their record dropped) or, on reject, their old properties restored.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TEXT_KINDS = ("ins", "del", "moveFrom", "moveTo")
_MARKERS = ("moveFromRangeStart", "moveFromRangeEnd", "moveToRangeStart", "moveToRangeEnd")
_FORMAT_KINDS = ("rPrChange", "pPrChange")


def _is_mark(element) -> bool:
    """A revision on a paragraph mark (inside w:pPr/w:rPr), not around runs."""
    parent = element.getparent()
    return parent is not None and parent.tag == _W + "rPr" and \
        parent.getparent() is not None and parent.getparent().tag == _W + "pPr"


@dataclass
class Revisions:
    """The pending text revisions of a document, counted as Word lists them."""
    by_author: Counter = field(default_factory=Counter)
    formatting: int = 0

    @property
    def total(self) -> int:
        return sum(self.by_author.values())

    def summary(self) -> str:
        parts = []
        for n, (author, count) in enumerate(self.by_author.most_common()):
            noun = ("tracked change" if count == 1 else "tracked changes") if n == 0 else ""
            parts.append(f"{count} {noun + ' ' if noun else ''}by {author}")
        return ", ".join(parts)


def count_revisions(roots) -> Revisions:
    """Count the text revisions in the parts' XML roots, by author.

    The text is walked in order; a stretch of text under one revision (same
    kind, author and date), with the paragraph marks inside it, counts once,
    as Word lists one edit that spans several runs or paragraphs."""
    found = Revisions()
    kinds = {_W + k for k in _TEXT_KINDS}
    for root in roots:
        found.formatting += sum(1 for _ in root.iter(*(_W + k for k in _FORMAT_KINDS)))
        last = None
        # A paragraph mark's revision sits in its paragraph's properties, ahead of
        # the text in the XML; it counts where the mark is, after that text.
        mark, mark_paragraph = None, None

        def count(key):
            nonlocal last
            if key != last:
                found.by_author[key[1]] += 1
            last = key

        for element in root.iter(_W + "t", _W + "delText", *kinds):
            if mark is not None and mark_paragraph not in element.iterancestors(_W + "p"):
                count(mark)
                mark = None
            if element.tag in kinds:
                if _is_mark(element):
                    mark, mark_paragraph = _key(element), next(element.iterancestors(_W + "p"),
                                                               None)
                    continue
                if any(True for _ in element.iter(_W + "t", _W + "delText")):
                    continue  # counted through its text
                key = _key(element)  # a revision without text (a picture, a tab)
            else:
                owner = next(element.iterancestors(*kinds), None)
                if owner is None:
                    if element.text:
                        last = None
                    continue
                key = _key(owner)
            count(key)
        if mark is not None:
            count(mark)
    return found


def _key(element) -> tuple:
    return (element.tag, element.get(_W + "author") or "an unknown author",
            element.get(_W + "date"))


def resolve(root, policy: str) -> list[str]:
    """Accept or reject every revision under `root`, in place.

    Returns the text of each paragraph that lost text, as the opposite policy
    reads it (used to tell a sentence the editor removed from a kept one)."""
    assert policy in ("accept", "reject")
    drop, keep = (("del", "moveFrom"), ("ins", "moveTo")) if policy == "accept" else \
        (("ins", "moveTo"), ("del", "moveFrom"))
    removed_from: list[str] = []  # the paragraphs' text as the other policy reads it
    seen: set = set()
    # 1. Paragraph marks: a dropped mark joins its paragraph with the next one.
    joins = []
    for kind in _TEXT_KINDS:
        for mark in list(root.iter(_W + kind)):
            if not _is_mark(mark):
                continue
            rpr = mark.getparent()
            paragraph = rpr.getparent().getparent()
            rpr.remove(mark)
            if kind in drop:
                joins.append(paragraph)
    # 2. Runs: dropped revisions go with their content, kept ones are unwrapped.
    for kind in drop:
        for element in list(root.iter(_W + kind)):
            paragraph = next((a for a in element.iterancestors(_W + "p")), None)
            if paragraph is not None and paragraph not in seen:
                seen.add(paragraph)
                removed_from.append(_text_without(paragraph, keep))
            if element.getparent() is not None:
                element.getparent().remove(element)
    for kind in keep:
        for element in list(root.iter(_W + kind)):
            _unwrap(element)
    for marker in _MARKERS:
        for element in list(root.iter(_W + marker)):
            element.getparent().remove(element)
    if policy == "reject":  # what was deleted is text again
        for tag, new in (("delText", "t"), ("delInstrText", "instrText")):
            for element in list(root.iter(_W + tag)):
                element.tag = _W + new
    # 3. Formatting changes: drop the record, or restore the old properties.
    for kind in _FORMAT_KINDS:
        for change in list(root.iter(_W + kind)):
            props = change.getparent()
            props.remove(change)
            if policy == "reject":
                _restore(props, change)
    for paragraph in joins:
        _join_with_next(paragraph)
    return removed_from


def _text_without(paragraph, kinds) -> str:
    """The paragraph's text leaving out what revisions of `kinds` hold."""
    tags = tuple(_W + k for k in kinds)
    return "".join(node.text or "" for node in paragraph.iter(_W + "t", _W + "delText")
                   if next(node.iterancestors(*tags), None) is None)


def _unwrap(element) -> None:
    parent = element.getparent()
    if parent is None:
        return
    index = parent.index(element)
    for child in list(element):
        parent.insert(index, child)
        index += 1
    parent.remove(element)


def _restore(props, change) -> None:
    """Put back the properties a w:rPrChange / w:pPrChange recorded."""
    old = next(iter(change), None)  # w:rPr or w:pPr with the old values
    keep = {_W + "rPr", _W + "sectPr", _W + "pPrChange"} if props.tag == _W + "pPr" else set()
    for child in list(props):
        if child.tag not in keep:
            props.remove(child)
    if old is not None:
        for n, child in enumerate(old):
            props.insert(n, child)


def _join_with_next(paragraph) -> None:
    """Word's removal of a paragraph mark: the text flows into the next paragraph,
    which keeps its own properties. The last paragraph of its container stays."""
    following = paragraph.getnext()
    while following is not None and following.tag in (_W + "bookmarkStart", _W + "bookmarkEnd"):
        following = following.getnext()
    parent = paragraph.getparent()
    if following is None or following.tag != _W + "p" or parent is None:
        return
    content = [child for child in paragraph if child.tag != _W + "pPr"]
    ppr = following.find(_W + "pPr")
    index = 0 if ppr is None else following.index(ppr) + 1
    for child in content:
        following.insert(index, child)
        index += 1
    parent.remove(paragraph)


__all__ = ["Revisions", "count_revisions", "resolve"]
