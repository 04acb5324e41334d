"""The editor's comments (review.yaml) back into the DOCX, as Word comments.

`briefgen import` of a revised DOCX keeps each Word comment in review.yaml with
a stable anchor (section, paragraph index, the paragraph's first characters);
the next build puts it back on the same paragraph, so source → DOCX → source →
DOCX keeps every comment. The anchors are found with the importer's own reading
of the document (importers.docx._Reader on the document just written), so what
the importer will read back is, by construction, where the comment goes.

Each comment is a `w:comment` in word/comments.xml (python-docx makes the part,
its content type and relationship), marked in the paragraph by
commentRangeStart / commentRangeEnd and a commentReference run. Comments
resolved in review.yaml go back as done (word/commentsExtended.xml, w15), as
Word itself records them. Nothing depends on the clock: dates come from
review.yaml, so the same input gives the same bytes.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from pathlib import Path

from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree

W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
W15 = "http://schemas.microsoft.com/office/word/2012/wordml"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
EXTENDED_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.commentsExtended+xml"
EXTENDED_REL = "http://schemas.microsoft.com/office/2011/relationships/commentsExtended"


def add_comments(doc, document, warnings: list | None = None) -> int:
    """Put `document`'s comments (an Issue's review.yaml) into `doc`, each on the
    paragraph its anchor names. Returns how many were placed; a comment whose
    paragraph is gone is left out with a warning (it stays in review.yaml)."""
    comments = getattr(document, "comments", ())
    if not comments:
        return 0
    document_ = getattr(doc, "document", doc)  # the writer's _Doc wraps a Document
    places = _places(document_)
    if places is None:
        if warnings is not None:
            warnings.append("review.yaml: the comments could not be placed in the DOCX")
        return 0
    part = document_.part._comments_part
    root = part.element
    root.set(f"{{{MC}}}Ignorable", "w14")  # paraIds, as Word writes them
    numbers = _numbers(comments)
    extended = []
    placed = 0
    for comment in comments:
        paragraph = _find(places, comment)
        if paragraph is None:
            if warnings is not None:
                warnings.append(f"review.yaml: comment {comment.id} by {comment.author or 'someone'}"
                                f" is anchored to a paragraph that is gone: left out of the DOCX")
            continue
        number = numbers[comment.id]
        element = root.add_comment()
        element.set(qn("w:id"), str(number))
        element.set(qn("w:author"), comment.author)
        initials = "".join(word[0] for word in comment.author.split() if word)
        element.set(qn("w:initials"), initials)
        date = _date(comment.date)
        if date:
            element.set(qn("w:date"), date)
        _comment_text(element, comment.text)
        last = element.findall(qn("w:p"))[-1]
        para_id = _para_id(comment.id, {e[0] for e in extended})
        last.set(f"{{{W14}}}paraId", para_id)
        extended.append((para_id, comment.resolved))
        _mark(paragraph, number)
        placed += 1
    if extended:
        _comments_extended(document_, extended)
    return placed


# ---------------------------------------------------------------- where each comment goes

class _Places:
    def __init__(self):
        self.order: dict = {}      # paragraph element → its position in the body
        self.anchors: dict = {}    # (section name, index or None) → paragraph elements
        self.sections: dict = {}   # section name → its paragraph elements
        self.title = None          # the cover's Title paragraph ("issue" comments)
        self.cover: list = []      # the cover's paragraphs (title, standfirst …)


def _places(document) -> _Places | None:
    """The anchor of every paragraph, as the importer reads them."""
    from ...content.importers.docx import _Reader
    from ...errors import BriefgenError

    found = _Places()
    body = document.element.body
    found.order = {p: n for n, p in enumerate(body.iter(qn("w:p")))}
    with tempfile.TemporaryDirectory(prefix="briefgen-comments-") as workdir:
        reader = _Reader(document, Path("document.docx"), Path(workdir))
        try:
            reader.read(date=dt.date(2000, 1, 1), lang=None)
        except (BriefgenError, OSError, ValueError, KeyError, AttributeError):
            return None
    for paragraph, (key, index) in reader.where.items():
        name = key if key == "lede" else reader.sections.get(key)
        if name is None:
            continue
        found.anchors.setdefault((name, index), []).append(paragraph)
        found.sections.setdefault(name, []).append(paragraph)
    for paragraph in document.paragraphs:
        style = paragraph.style.name if paragraph.style is not None else ""
        if style == "Heading 1":
            break
        if paragraph._p not in reader.where and not style.startswith("TOC"):
            found.cover.append(paragraph._p)
        if style == "Title" and found.title is None:
            found.title = paragraph._p
    for key in list(found.anchors):
        found.anchors[key].sort(key=lambda p: found.order.get(p, 0))
    for key in list(found.sections):
        found.sections[key].sort(key=lambda p: found.order.get(p, 0))
    return found


def _text(paragraph) -> str:
    return "".join(t.text or "" for t in paragraph.iter(qn("w:t"))).strip()


def _squash(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _find(places: _Places, comment):
    """The paragraph at the anchor (the one whose text starts with the quote, if
    several share it); else the paragraph of its section that starts with the
    quote; else the section's headline or name."""
    quote = _squash(comment.quote)[:40]

    def starts(paragraph) -> bool:
        return bool(quote) and _squash(_text(paragraph)).startswith(quote)

    if comment.section == "issue":  # on the cover: the title, the standfirst …
        return next((p for p in places.cover if starts(p)), places.title)

    here = places.anchors.get((comment.section, comment.paragraph), [])
    match = next((p for p in here if starts(p)), None)
    if match is not None:
        return match
    if here and not quote:
        return here[0]
    match = next((p for p in places.sections.get(comment.section, []) if starts(p)), None)
    if match is not None:
        return match
    if here:
        return here[0]  # the text was edited in the source: the same paragraph by place
    heads = places.anchors.get((comment.section, None)) or places.sections.get(comment.section)
    return heads[0] if heads else None


# ---------------------------------------------------------------- the XML

def _numbers(comments) -> dict[str, int]:
    """Word's w:id for each comment: its review.yaml id when that is a number."""
    numbers: dict[str, int] = {}
    used: set[int] = set()
    for comment in comments:
        if comment.id.isdigit() and int(comment.id) < 2 ** 31 and int(comment.id) not in used:
            numbers[comment.id] = int(comment.id)
            used.add(int(comment.id))
    following = max(used, default=-1) + 1
    for comment in comments:
        if comment.id not in numbers:
            numbers[comment.id] = following
            used.add(following)
            following += 1
    return numbers


def _date(text: str) -> str:
    """review.yaml's date as xsd:dateTime ("" when there is none or it is not a date)."""
    text = (text or "").strip()
    if not text:
        return ""
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.isoformat(timespec="seconds") + "Z"
    return value.isoformat(timespec="seconds") + "Z"


def _comment_text(element, text: str) -> None:
    """The comment's paragraphs: python-docx's first one holds the annotation mark."""
    lines = text.split("\n") or [""]
    first = element.findall(qn("w:p"))[0]
    for index, line in enumerate(lines):
        if index == 0:
            paragraph = first
        else:
            paragraph = OxmlElement("w:p")
            ppr = first.find(qn("w:pPr"))
            if ppr is not None:
                import copy

                paragraph.append(copy.deepcopy(ppr))
            element.append(paragraph)
        if line:
            run = OxmlElement("w:r")
            t = OxmlElement("w:t")
            t.text = line
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            run.append(t)
            paragraph.append(run)


def _para_id(key: str, taken: set[str]) -> str:
    """A w14:paraId (8 hex digits under 0x80000000) from the comment's id."""
    number = int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:8], 16) & 0x7FFFFFFF
    while f"{number:08X}" in taken or number == 0:
        number = (number + 1) & 0x7FFFFFFF
    return f"{number:08X}"


def _mark(paragraph, number: int) -> None:
    """commentRangeStart at the paragraph's start, commentRangeEnd and the
    reference run at its end: the whole paragraph is commented."""
    start = OxmlElement("w:commentRangeStart")
    start.set(qn("w:id"), str(number))
    ppr = paragraph.find(qn("w:pPr"))
    paragraph.insert(paragraph.index(ppr) + 1 if ppr is not None else 0, start)
    end = OxmlElement("w:commentRangeEnd")
    end.set(qn("w:id"), str(number))
    paragraph.append(end)
    run = OxmlElement("w:r")
    reference = OxmlElement("w:commentReference")
    reference.set(qn("w:id"), str(number))
    run.append(reference)
    paragraph.append(run)


def _comments_extended(document, entries: list[tuple[str, bool]]) -> None:
    """word/commentsExtended.xml: which comments are done (resolved)."""
    root = etree.Element(f"{{{W15}}}commentsEx", nsmap={"w15": W15, "mc": MC})
    root.set(f"{{{MC}}}Ignorable", "w15")
    for para_id, done in entries:
        etree.SubElement(root, f"{{{W15}}}commentEx",
                         {f"{{{W15}}}paraId": para_id, f"{{{W15}}}done": "1" if done else "0"})
    blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    package = document.part.package
    part = Part(PackURI("/word/commentsExtended.xml"), EXTENDED_TYPE, blob, package)
    document.part.relate_to(part, EXTENDED_REL)


__all__ = ["add_comments"]
