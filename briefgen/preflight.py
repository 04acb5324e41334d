"""Preflight: print quality as a number, read from the laid-out pages.

`check(laid_document, outline, layout)` walks WeasyPrint's page and box tree
(`document.pages[i]._page_box`: block, line and text boxes with their computed
styles and positions in CSS px, 1 px = 0.75 pt), not the PDF's text, and
returns a list of `Finding`s, each with its page and, where known, the source
`file:line` (an issue.md headline, a front-matter key, a contributors.yaml id).

The checks and their thresholds (all here, as constants):

- ``page-fill``: a page whose lowest text line or picture ends above
  FILL_MIN (35%) of the type area's height. The cover, the back page, chapter
  and annex dividers and annex pages are excepted.
- ``stranded-heading``: a heading whose bottom lies within HEADING_LINES (3)
  body lines of the type area's bottom with fewer than 2 lines of its own
  section after it on that page.
- ``split``: a pull quote, attribution or bio laid out on more than one page;
  ``separated``: an attribution on a later page than the last line of its
  piece's text, or a pull quote on a page of its own, away from the text
  before and after it.
- ``one-word-line``: a title, headline, pull quote or attribution of two
  lines or more whose last line is one word.
- ``hyphens``: HYPHENS_MAX (3) or more consecutive lines of one paragraph
  ending in a hyphen.
- ``measure``: body text (the lede's and the pieces' paragraphs) whose median
  line, counted over full lines (every line of a paragraph but its last), has
  fewer than 45 or more than 80 characters; one finding per chapter and kind.
- ``safe-area``: text, or a rule (a border), between the safe line (SAFE_MM,
  5 mm inside the trim) and the trim, or beyond the trim; ``bleed``: crop
  marks drawn inside the bleed (WeasyPrint's `marks` always are: the media
  box is the bleed box), and, with a bleed, a background that stops exactly
  at the trim instead of running into the bleed.
- ``contrast``: text whose contrast with what lies under it (the colours and
  images painted before it, composed with their alpha and opacity; an image
  is sampled with Pillow under the text and its 10th-percentile contrast is
  taken) is below 4.5:1, or 3:1 for large text (≥ 18 pt, or ≥ 14 pt bold).
- ``overset``: text or a picture reaching beyond a box whose `overflow` hides
  what does not fit.
- ``fonts``: text drawn in a font family that the layout does not bundle (a
  system fallback), or with glyphs that no font has (.notdef boxes).
"""
from __future__ import annotations

import bisect
import functools
import io
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

#: a page is under-filled when its content ends above this share of the type area
FILL_MIN = 0.35
#: a heading within this many body lines of the page bottom is stranded
HEADING_LINES = 3
#: this many hyphenated line ends in a row are too many
HYPHENS_MAX = 3
#: the body text measure, in characters per line
MEASURE = (45, 80)
#: text and rules stay this far inside the trim
SAFE_MM = 5.0
#: minimum contrast ratios (WCAG 2): normal text, large text
CONTRAST_MIN, CONTRAST_LARGE_MIN = 4.5, 3.0
PX_PER_MM = 96 / 25.4
#: line endings that count as hyphens: the hyphen-minus, hyphen, soft hyphen
HYPHENS = ("-", "\u2010", "\u00ad")

CHECKS = ("page-fill", "stranded-heading", "split", "separated", "one-word-line", "hyphens",
          "measure", "safe-area", "bleed", "contrast", "overset", "fonts")


@dataclass(frozen=True)
class Finding:
    check: str
    page: int | None
    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = f"page {self.page}: " if self.page else ""
        if self.file:
            where += f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        return where + self.message

    def as_dict(self) -> dict:
        return {"check": self.check, "page": self.page, "message": self.message,
                "source": {"file": self.file, "line": self.line}}

    @classmethod
    def from_dict(cls, data: dict) -> "Finding":
        source = data.get("source") or {}
        return cls(data["check"], data.get("page"), data["message"], source.get("file"),
                   source.get("line"))


# ------------------------------------------------------------------ sources


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class Sources:
    """Where a box's content comes from: element id (or contributor) → file:line.

    The model keeps no line numbers; they are read back from the files: the
    front matter's keys, the `## ` headlines in order, contributors' ids."""

    def __init__(self, outline):
        self.ids: dict[str, tuple[str, int | None]] = {}
        self.people: dict[str, tuple[str, int | None]] = {}
        self.cover: tuple[str, int | None] | None = None
        document = outline.document
        pack_dir = getattr(document, "source_dir", None)
        if outline.is_pack and pack_dir:
            pack_yaml = Path(pack_dir) / "pack.yaml"
            keys = _top_keys(pack_yaml)
            self.cover = (_shown(pack_yaml), keys.get("title"))
            self.ids["agenda"] = (_shown(pack_yaml), keys.get("agenda"))
            for annex in outline.annexes:
                self.ids[annex.id] = (_shown(pack_yaml), keys.get("annexes"))
                for page_id in annex.page_ids:
                    self.ids[page_id] = self.ids[annex.id]
        for chapter in outline.chapters:
            issue = chapter.issue
            if not issue.source_dir:
                continue
            issue_md = Path(issue.source_dir) / "issue.md"
            shown = _shown(issue_md)
            keys, headlines, body = _issue_lines(issue_md)
            self.ids[chapter.id] = (shown, keys.get("title"))
            if not outline.is_pack:
                self.cover = (shown, keys.get("title"))
                self.ids["overview"] = (shown, body)
                self.ids["experts"] = (shown, keys.get("experts_intro") or
                                       (headlines[0] if headlines else body))
                self.ids["back"] = (shown, keys.get("call_to_action"))
            for piece, line in zip(chapter.pieces, headlines):
                self.ids[piece.id] = (shown, line)
            people_yaml = Path(issue.source_dir) / "contributors.yaml"
            people_keys = _top_keys(people_yaml) if people_yaml.is_file() else {}
            for person in issue.contributors:
                if person.name in self.people:
                    continue
                if person.id in people_keys:
                    self.people[person.name] = (_shown(people_yaml), people_keys[person.id])
                else:
                    self.people[person.name] = (shown, keys.get("contributors"))
            if "contributors" not in self.ids:
                self.ids["contributors"] = ((_shown(people_yaml), 1) if people_keys
                                            else (shown, keys.get("contributors")))

    def of(self, chain) -> tuple[str | None, int | None]:
        """The source of the innermost box in `chain` (boxes from the root down)."""
        for box in reversed(chain):
            element = getattr(box, "element", None)
            if element is None:
                continue
            classes = _classes(box)
            if "bio" in classes:
                text = _text_of(box)
                for name, source in self.people.items():
                    if name in text:
                        return source
            ident = element.get("id")
            if ident in self.ids:
                return self.ids[ident]
            if "cover" in classes and self.cover:
                return self.cover
        return (None, None)


def _top_keys(path: Path) -> dict[str, int]:
    keys: dict[str, int] = {}
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except OSError:
        return keys
    for number, text in enumerate(lines, 1):
        match = re.match(r"([A-Za-z0-9_-]+)\s*:", text)
        if match:
            keys.setdefault(match.group(1), number)
    return keys


def _issue_lines(path: Path) -> tuple[dict[str, int], list[int], int | None]:
    """(front-matter key → line, the `## ` headlines' lines, the body's first line)."""
    keys: dict[str, int] = {}
    headlines: list[int] = []
    body = None
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except OSError:
        return keys, headlines, body
    end = 0
    if lines and lines[0].strip() == "---":
        for index in range(1, len(lines)):
            if lines[index].strip() in ("---", "..."):
                end = index + 1
                break
            match = re.match(r"([A-Za-z0-9_-]+)\s*:", lines[index])
            if match:
                keys.setdefault(match.group(1), index + 1)
    fence = None
    for index in range(end, len(lines)):
        text = lines[index]
        stripped = text.strip()
        if stripped.startswith(("```", "~~~")):
            fence = None if fence and stripped.startswith(fence) else (fence or stripped[:3])
            continue
        if fence:
            continue
        if body is None and stripped:
            body = index + 1
        if re.match(r"##(\s|$)", text):
            headlines.append(index + 1)
    return keys, headlines, body


# ------------------------------------------------------------------ boxes


def _classes(box) -> set[str]:
    element = getattr(box, "element", None)
    if element is None:
        return set()
    return set((element.get("class") or "").split())


def _tag(box) -> str:
    return getattr(box, "element_tag", "") or ""


def _text_of(box) -> str:
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.TextBox):
        return box.text
    children = getattr(box, "children", ())
    glue = " " if children and isinstance(children[0], (boxes.LineBox, boxes.BlockBox)) else ""
    return glue.join(_text_of(child) for child in children)


def walk_boxes(box, chain=()):
    """(box, ancestors from the root) in tree (painting) order."""
    if type(box).__name__ == "AbsolutePlaceholder":  # a positioned box, out of the flow
        box = box._box
    chain = chain + (box,)
    yield box, chain
    for child in getattr(box, "children", ()):
        yield from walk_boxes(child, chain)


def _block(chain):
    """The nearest block (not inline) box in `chain`: a paragraph, a heading."""
    from weasyprint.formatting_structure import boxes

    for box in reversed(chain):
        if isinstance(box, boxes.BlockContainerBox) and getattr(box, "element", None) is not None:
            return box
    return None


def _block_element(chain):
    block = _block(chain)
    return block.element if block is not None else None


def _rect(box) -> tuple[float, float, float, float]:
    return box.position_x, box.position_y, box.width or 0, box.height or 0


def _border_rect(box) -> tuple[float, float, float, float]:
    return box.border_box_x(), box.border_box_y(), box.border_width(), box.border_height()


def _snippet(text: str, size: int = 40) -> str:
    text = " ".join(text.split()).strip("“”\"")
    return f"“{text[:size]}…”" if len(text) > size else f"“{text}”"


@dataclass
class _Page:
    number: int
    box: object
    # the type area (page content box), in px
    top: float
    bottom: float
    left: float
    right: float
    width: float
    height: float
    bleed: dict
    excepted: bool
    # What the checks read, gathered in one walk of the page's boxes (_Run._collect):
    #: every box, in tree (painting) order: (box, its ancestors from the root)
    boxes: list
    #: where each box's descendants end in `boxes` (they follow it)
    ends: list
    #: each box's opacity times its ancestors'
    opacity: list
    #: the indices in `boxes` of the text boxes that hold more than white space
    texts: list
    #: the bottom of the lowest text line or picture outside the margin boxes (None: none)
    lowest: float | None
    #: the chain of the first text box (not blank) outside the margin boxes; () if none
    first_text: tuple


class _Run:
    """One run of the checks over a laid-out document."""

    def __init__(self, document, outline, layout, sources: Sources):
        from weasyprint.formatting_structure import boxes

        self.B = boxes
        self.outline, self.layout, self.sources = outline, layout, sources
        self.document = document
        self.findings: list[Finding] = []
        self.pages: list[_Page] = []
        #: element → [(page number, box, chain)] in order, for elements split over pages
        self.elements: dict = {}
        #: id(box) → (its page, its index in the page's boxes)
        self.where: dict[int, tuple[_Page, int]] = {}
        #: id(line box) → its text
        self.line_text: dict[int, str] = {}
        for number, page in enumerate(document.pages, 1):
            self.pages.append(self._collected(number, page))
        self.body_line = self._body_line_height()

    def _collected(self, number: int, page) -> _Page:
        """The page's walk (_collect), kept on its page box: a rebuild that keeps
        the page (render/repage.py, chapters.py) does not walk it again. What the
        walk finds is the page's alone; the run's maps are filled from it."""
        box = page._page_box
        kept = getattr(box, "_briefgen_walk", None)
        if kept is None or kept[0] != number:
            kept = box._briefgen_walk = (number, *self._collect(number, page))
        _, result, lines, placed = kept
        for index, (child, _) in enumerate(result.boxes):
            self.where[id(child)] = (result, index)
        self.line_text.update(lines)
        for element, entry in placed:
            self.elements.setdefault(element, []).append(entry)
        return result

    def _collect(self, number: int, page) -> tuple:
        """Walk the page's boxes once and keep what the checks read: the page, the
        text of its line boxes (by id), and the first box of each element on it."""
        B = self.B
        box = page._page_box
        x, y = box.content_box_x(), box.content_box_y()
        result = _Page(number, box, y, y + box.height, x, x + box.width, box.margin_width(),
                       box.margin_height(), page.bleed, False, boxes=[], ends=[], opacity=[],
                       texts=[], lowest=None, first_text=())
        classes: set[str] = set()
        ids: set[str] = set()
        lines: dict[int, str] = {}
        placed: list = []
        seen: set = set()

        def visit(child, chain, opacity, in_margin):
            if type(child).__name__ == "AbsolutePlaceholder":  # positioned, out of the flow
                child = child._box
            chain = chain + (child,)
            opacity *= child.style["opacity"]
            in_margin = in_margin or isinstance(child, B.MarginBox)
            index = len(result.boxes)
            result.boxes.append((child, chain))
            result.ends.append(None)
            result.opacity.append(opacity)
            element = getattr(child, "element", None)
            if element is not None:
                if not in_margin:
                    classes.update(_classes(child))
                    if element.get("id"):
                        ids.add(element.get("id"))
                if not isinstance(child, B.TextBox) and element not in seen:
                    seen.add(element)  # its first box on this page
                    placed.append((element, (number, child, chain)))
            if isinstance(child, B.TextBox) and child.text.strip():
                result.texts.append(index)
                if not result.first_text and not in_margin:
                    result.first_text = chain
            bottom = None
            if isinstance(child, B.LineBox):
                text = lines[id(child)] = _text_of(child)
                if text.strip() and not in_margin:
                    bottom = child.position_y + (child.height or 0)
            elif isinstance(child, B.ReplacedBox) and not in_margin:
                bottom = child.position_y + (child.height or 0)
            if bottom is not None:
                result.lowest = bottom if result.lowest is None else max(result.lowest, bottom)
            for grandchild in getattr(child, "children", ()):
                visit(grandchild, chain, opacity, in_margin)
            result.ends[index] = len(result.boxes)

        visit(box, (), 1.0, False)
        # (the back matter excepts its page only where it has a page of its own: run in
        # after the text, as a memo's, it is text like any other)
        back_page = str(getattr(box.page_type, "name", "") or "") == "back"
        result.excepted = bool(classes & {"cover", "annex-page", "annex-divider",
                                          "chapter-divider"}
                               or (back_page and ("back" in classes or "back" in ids))
                               or box.page_type.blank)  # a booklet's verso left blank
        return result, lines, placed

    def _subtree(self, box) -> list:
        """`box` and its descendants, (box, chain) in tree order, from its page's walk."""
        if type(box).__name__ == "AbsolutePlaceholder":
            box = box._box
        page, index = self.where.get(id(box), (None, None))
        if page is None:
            return list(walk_boxes(box))
        return page.boxes[index:page.ends[index]]

    def _lines(self, box) -> list:
        """The line boxes of a block, in order (nested blocks included)."""
        return [b for b, _ in self._subtree(box) if isinstance(b, self.B.LineBox)]

    def _line_text(self, line) -> str:
        text = self.line_text.get(id(line))
        return _text_of(line) if text is None else text

    def add(self, check: str, page: int | None, message: str, chain=()) -> None:
        file, line = self.sources.of(chain) if chain else (None, None)
        if chain and file is None and self.sources.cover and page == 1:
            file, line = self.sources.cover
        self.findings.append(Finding(check, page, message, file, line))

    # -------------------------------------------------------------- helpers

    def _is_body_paragraph(self, box, chain) -> bool:
        if _tag(box) != "p" or _classes(box) & {"attribution", "experts-intro"}:
            return False
        inside = [c for b in chain[:-1] for c in _classes(b)]
        ids = [getattr(b, "element", None) is not None and b.element.get("id") for b in chain]
        if {"pull-quote", "bio", "review-comment", "cover"} & set(inside):
            return False
        return "contribution" in inside or "overview" in ids or "lede" in inside

    def _body_paragraphs(self):
        """(element, [(page, box, chain)]) for the lede's and the pieces' paragraphs."""
        for element, placed in self.elements.items():
            number, box, chain = placed[0]
            if self._is_body_paragraph(box, chain):
                yield element, placed

    def _body_line_height(self) -> float:
        heights = [line.height for _, placed in self._body_paragraphs()
                   for _, box, _ in placed for line in self._lines(box) if line.height]
        return statistics.median(heights) if heights else 20.0

    # -------------------------------------------------------------- checks

    def page_fill(self) -> None:
        for page in self.pages:
            if page.excepted:
                continue
            lowest = page.lowest
            used = 0.0 if lowest is None else (lowest - page.top) / (page.bottom - page.top)
            if used < FILL_MIN:
                self.add("page-fill", page.number,
                         f"the page is {int(used * 100)}% full (under {FILL_MIN:.0%} of the type area) "
                         "— keep its content with the page before, or fill it", page.first_text)

    def stranded_headings(self) -> None:
        limit = HEADING_LINES * self.body_line
        for element, placed in self.elements.items():
            for number, box, chain in placed:
                if not re.fullmatch(r"h[1-6]", _tag(box)) or _tag(chain[-2]) == _tag(box):
                    continue
                page = self.pages[number - 1]
                if page.excepted:
                    continue
                bottom = box.border_box_y() + box.border_height()
                # lines of the heading's section after it on this page
                parent = chain[-2]
                after, seen = 0, False
                for sibling in parent.children:
                    if sibling is box:
                        seen = True
                    elif seen:
                        subtree = self._subtree(sibling)
                        after += sum(1 for b, _ in subtree if isinstance(b, self.B.LineBox)
                                     and self._line_text(b).strip())
                        if isinstance(sibling, self.B.ReplacedBox) or any(
                                isinstance(b, self.B.ReplacedBox) for b, _ in subtree):
                            after += 2
                # its section goes on after the page: the heading ends this page's part
                goes_on = any(len(self._pages_of(e)) and self._pages_of(e)[0] > number
                              for e in parent.element) or any(
                    p > number for p in self._pages_of(parent.element))
                near_bottom = page.bottom - bottom <= limit
                if (near_bottom and after < 2) or (after == 0 and goes_on):
                    self.add("stranded-heading", number,
                             f"heading {_snippet(_text_of(box))} is in the last lines of the "
                             f"page, with {after} line(s) of its text after it — keep it with "
                             "its text (break-after: avoid) or move it to the next page", chain)

    def splits(self) -> None:
        for element, placed in self.elements.items():
            number, box, chain = placed[0]
            classes = _classes(box)
            kind = next((k for k in ("pull-quote", "attribution", "bio") if k in classes), None)
            if kind and len(placed) > 1:
                self.add("split", number,
                         f"the {kind.replace('-', ' ')} {_snippet(_text_of(box))} is split over "
                         f"pages {placed[0][0]}–{placed[-1][0]} — keep it together "
                         "(break-inside: avoid)", chain)
            if kind == "attribution":
                last = self._last_text_page_before(chain[-2], element)
                if last is not None and number > last:
                    self.add("separated", number,
                             f"the attribution {_snippet(_text_of(box))} is alone at the top of "
                             f"page {number}, its piece ends on page {last} — keep it with the "
                             "last paragraph (break-before: avoid)", chain)
            if kind == "pull-quote":
                before, after = self._neighbour_pages(chain[-2], element)
                pages = {p for p, _, _ in placed}
                if before is not None and after is not None and before not in pages \
                        and after not in pages:
                    self.add("separated", number,
                             f"the pull quote {_snippet(_text_of(box))} is on page {number}, "
                             f"away from its text (pages {before} and {after})", chain)

    def _pages_of(self, element) -> list[int]:
        return [p for p, _, _ in self.elements.get(element, ())]

    def _last_text_page_before(self, parent_box, element):
        parent = parent_box.element
        last = None
        for child in parent:
            if child is element:
                return last
            if "pull-quote" in (child.get("class") or ""):
                continue
            pages = self._pages_of(child)
            if pages:
                last = pages[-1]
        return None

    def _neighbour_pages(self, parent_box, element):
        parent = parent_box.element
        children = [c for c in parent if self._pages_of(c)]
        if element not in children:
            return None, None
        index = children.index(element)
        before = self._pages_of(children[index - 1])[-1] if index > 0 else None
        after = self._pages_of(children[index + 1])[0] if index + 1 < len(children) else None
        return before, after

    def one_word_lines(self) -> None:
        for element, placed in self.elements.items():
            number, box, chain = placed[0]
            classes = _classes(box)
            tag = _tag(box)
            headline = re.fullmatch(r"h[1-6]", tag) and not classes & {"bio-name"} and (
                "title" in classes or "contribution" in _classes(chain[-2])
                or "chapter-title" in classes)
            kind = ("title" if "title" in classes else "headline" if headline else
                    "pull quote" if "pull-quote" in classes else
                    "attribution" if "attribution" in classes else None)
            if kind is None or (tag == "p" and "pull-quote" in _classes(chain[-2])):
                continue
            lines = [line for _, b, _ in placed for line in self._lines(b)]
            texts = [self._line_text(line).strip() for line in lines]
            texts = [t for t in texts if t]
            if len(texts) >= 2 and len(re.findall(r"\w+", texts[-1])) == 1 \
                    and len(texts[-1].split()) == 1:
                last_page = placed[-1][0]
                self.add("one-word-line", last_page,
                         f"the {kind} {_snippet(_text_of(box))} ends with the one word "
                         f"“{texts[-1]}” on its last line — rebreak it (no_widow, "
                         "text-wrap: balance) or shorten it", chain)

    def hyphens(self) -> None:
        for element, placed in self.elements.items():
            number, box, chain = placed[0]
            if not box.children or not all(isinstance(c, self.B.LineBox)
                                           for c in box.children):
                continue  # paragraphs only: blocks holding lines
            run, start = 0, None
            for page_number, b, _ in placed:
                for line in self._lines(b):
                    text = self._line_text(line).rstrip()
                    if text.endswith(HYPHENS):
                        run += 1
                        start = start or page_number
                        if run == HYPHENS_MAX:
                            self.add("hyphens", start,
                                     f"{HYPHENS_MAX} lines in a row end in a hyphen in "
                                     f"{_snippet(_text_of(box))} — rewrite, or allow fewer "
                                     "(hyphenate-limit-lines)", chain)
                    else:
                        run, start = 0, None

    def measure(self) -> None:
        groups: dict[tuple, list] = {}
        for element, placed in self._body_paragraphs():
            number, box, chain = placed[0]
            chapter = next((b.element.get("id") for b in chain
                            if getattr(b, "element", None) is not None
                            and (b.element.get("id") or "").startswith("issue-")), "")
            kind = "lede" if any("lede" in _classes(b) for b in chain) else "pieces"
            lines = [line for _, b, _ in placed for line in self._lines(b)]
            full = lines[:-1]
            group = groups.setdefault((chapter, kind), [number, chain, []])
            group[2] += [len(self._line_text(line).strip()) for line in full]
        for (chapter, kind), (number, chain, counts) in groups.items():
            if len(counts) < 5:
                continue
            median = statistics.median(counts)
            low, high = MEASURE
            if not low <= median <= high:
                what = "the lede" if kind == "lede" else "the pieces' text"
                self.add("measure", number,
                         f"{what} has a measure of {median:.0f} characters per line (want "
                         f"{low}–{high}) — change the column width or the type size", chain)

    def safe_area(self) -> None:
        safe = SAFE_MM * PX_PER_MM
        reported: set = set()
        for page in self.pages:
            W, H, bleed = page.width, page.height, page.bleed
            for box, chain in page.boxes:
                if isinstance(box, self.B.TextBox):
                    if not box.text.strip() or box.style["visibility"] != "visible":
                        continue
                    x, y, w, h = _rect(box)
                    if x < safe - 0.5 or y < safe - 0.5 or x + w > W - safe + 0.5 \
                            or y + h > H - safe + 0.5:
                        key = (page.number, _block_element(chain))
                        if key not in reported:
                            reported.add(key)
                            block = _block(chain)
                            self.add("safe-area", page.number,
                                     f"text {_snippet(_text_of(block) if block else box.text)} lies outside the safe area "
                                     f"({SAFE_MM:g} mm inside the trim) — move it inwards",
                                     chain)
                    continue
                if isinstance(box, self.B.PageBox) or not hasattr(box, "border_top_width"):
                    continue
                x, y, w, h = _border_rect(box)
                # how close the box comes to the trim, on its nearest side
                inset = min(x, y, W - (x + w), H - (y + h))
                for side in ("top", "right", "bottom", "left"):
                    if not box.style[f"border_{side}_width"] or \
                            box.style[f"border_{side}_style"] in ("none", "hidden"):
                        continue
                    if -0.5 <= inset < safe - 0.5 and not self._runs_off(box, W, H):
                        key = (page.number, id(box))
                        if key not in reported:
                            reported.add(key)
                            self.add("safe-area", page.number,
                                     f"a {side} rule of <{_tag(box) or 'box'}> comes within "
                                     f"{inset / PX_PER_MM:.1f} mm of the trim (safe area: "
                                     f"{SAFE_MM:g} mm) — move it inwards, or run it into the "
                                     "bleed", chain)
                        break
                if any(bleed.values()) and self._paints(box):
                    for side, inset in (("top", y), ("left", x), ("bottom", H - (y + h)),
                                        ("right", W - (x + w))):
                        if abs(inset) < 0.5 and bleed.get(side):
                            key = (page.number, id(box), side)
                            if key not in reported:
                                reported.add(key)
                                self.add("bleed", page.number,
                                         f"a background of <{_tag(box) or 'box'}> stops at the "
                                         f"{side} trim — extend it {bleed[side] / PX_PER_MM:.0f} "
                                         "mm into the bleed", chain)
        for page in self.pages:
            if page.box.style["marks"] and any(page.bleed.values()):
                self.add("bleed", page.number,
                         "crop marks are drawn inside the bleed (the media box is the bleed "
                         "box) — place them at least 3 mm outside the bleed, on a larger "
                         "media box", ())
                break

    def _runs_off(self, box, W, H) -> bool:
        x, y, w, h = _border_rect(box)
        return x <= 0.5 or y <= 0.5 or x + w >= W - 0.5 or y + h >= H - 0.5

    @staticmethod
    def _paints(box) -> bool:
        background = getattr(box, "background", None)
        if background is None:
            return False
        return background.color.alpha > 0 or any(layer.image for layer in background.layers)

    def overset(self) -> None:
        for page in self.pages:
            for index, (box, chain) in enumerate(page.boxes):
                if box.style["overflow"] == "visible" or isinstance(
                        box, (self.B.PageBox, self.B.TextBox, self.B.LineBox)) \
                        or not hasattr(box, "padding_box_x"):
                    continue
                x0, y0 = box.padding_box_x(), box.padding_box_y()
                x1, y1 = x0 + box.padding_width(), y0 + box.padding_height()
                # Text only: pictures are cropped on purpose (cover images).
                first = bisect.bisect_right(page.texts, index)
                last = bisect.bisect_left(page.texts, page.ends[index])
                for text_index in page.texts[first:last]:
                    child, inner = page.boxes[text_index]
                    x, y, w, h = _rect(child)
                    if x < x0 - 1 or y < y0 - 1 or x + w > x1 + 1 or y + h > y1 + 1:
                        self.add("overset", page.number,
                                 f"text {_snippet(_text_of(child))} is cut off by "
                                 f"<{_tag(box)}> (overflow: {box.style['overflow']}) — give "
                                 "it room or shorten the text", inner)
                        break

    def fonts(self) -> None:
        from weasyprint.text.ffi import ffi, pango

        bundled = {face.family.lower() for face in self.layout.faces}
        if _fonts_clean(self.document, bundled):
            return
        fallback: dict[str, list] = {}
        missing: dict[str, list] = {}
        for page in self.pages:
            for index in page.texts:
                box, chain = page.boxes[index]
                layout = box.pango_layout
                active = hasattr(layout, "layout")
                if not active:
                    layout.reactivate(box.style)
                try:
                    line, _ = layout.get_first_line()
                    run = line.runs
                    while run != ffi.NULL:
                        item = run.data
                        run = run.next
                        font = item.item.analysis.font
                        description = pango.pango_font_describe_with_absolute_size(font)
                        family = ffi.string(
                            pango.pango_font_description_get_family(description)).decode()
                        pango.pango_font_description_free(description)
                        if family.lower() not in bundled:
                            fallback.setdefault(family, [page.number, chain, box.text, 0])[3] += 1
                        glyphs = item.glyphs
                        for i in range(glyphs.num_glyphs):
                            if glyphs.glyphs[i].glyph & pango.PANGO_GLYPH_UNKNOWN_FLAG:
                                missing.setdefault(family, [page.number, chain, box.text, 0])[3] += 1
                finally:
                    if not active:
                        layout.deactivate()
        for family, (number, chain, text, count) in fallback.items():
            self.add("fonts", number,
                     f"{count} run(s) of text, first {_snippet(text)}, are set in {family}, a "
                     "font the layout does not bundle (a fallback) — add a face that has these "
                     "characters to layout.toml's [fonts]", chain)
        for family, (number, chain, text, count) in missing.items():
            self.add("fonts", number,
                     f"{count} character(s) that no font has (shown as boxes), first in "
                     f"{_snippet(text)} — add a font that covers them", chain)

    def contrast(self) -> None:
        worst: dict = {}
        images: dict = {}
        for page in self.pages:
            # what a page shows is its own: kept on its page box for a rebuild that
            # keeps the page (render/repage.py)
            key = (page.number, CONTRAST_MIN, CONTRAST_LARGE_MIN)
            kept = getattr(page.box, "_briefgen_contrast", None)
            if kept is None or kept[0] != key:
                kept = page.box._briefgen_contrast = (key, self._page_contrast(page, images))
            worst.update(kept[1])
        for ratio, need, number, chain, text, colour, under in worst.values():
            self.add("contrast", number,
                     f"text {_snippet(text)} has a contrast of {ratio:.2f}:1 (needs {need:g}:1): "
                     f"{colour} on {under} — darken or lighten the text or its background",
                     chain)

    def _page_contrast(self, page: _Page, images: dict) -> dict:
        """The worst contrast under the minimum of each block on the page."""
        worst: dict = {}
        paints = []
        for (box, chain), opacity in zip(page.boxes, page.opacity):
            if isinstance(box, self.B.TextBox):
                if not box.text.strip() or box.style["visibility"] != "visible":
                    continue
                ratio, colour, under = self._contrast(box, opacity, paints, images)
                if ratio is None:
                    continue
                size = box.style["font_size"]
                large = size >= 24 or (size >= 18.66 and box.style["font_weight"] >= 700)
                need = CONTRAST_LARGE_MIN if large else CONTRAST_MIN
                if ratio < need:
                    key = (page.number, _block_element(chain))
                    if key not in worst or worst[key][0] > ratio:
                        block = _block(chain)
                        text = _text_of(block) if block is not None else box.text
                        worst[key] = (ratio, need, page.number, chain, text, colour, under)
                continue
            self._collect_paints(box, opacity, paints)
        return worst

    def _collect_paints(self, box, opacity, paints) -> None:
        background = getattr(box, "background", None)
        if background is not None:
            colour = background.color
            if colour.alpha > 0 and background.layers:
                paints.append((tuple(background.layers[-1].painting_area), "colour",
                               (_rgb(colour), colour.alpha * opacity)))
            for layer in reversed(background.layers):
                image = layer.image
                if image is None or layer.size == "unused":
                    continue
                px, py = layer.positioning_area[:2] if layer.positioning_area != "unused" \
                    else (0, 0)
                x, y = px + layer.position[0], py + layer.position[1]
                w, h = layer.size
                if hasattr(image, "image_data"):
                    paints.append((tuple(layer.painting_area), "image",
                                   (image, (x, y, w, h), opacity)))
                elif hasattr(image, "colors"):  # a gradient: its stops' average
                    stops = [_rgb(c) for c in image.colors]
                    if stops:
                        mean = tuple(sum(c[i] for c in stops) / len(stops) for i in range(3))
                        alpha = sum(c.alpha for c in image.colors) / len(image.colors)
                        paints.append((tuple(layer.painting_area), "colour",
                                       (mean, alpha * opacity)))
        if isinstance(box, self.B.ReplacedBox) and hasattr(box.replacement, "image_data"):
            from weasyprint.layout import replaced

            try:
                w, h, x, y = replaced.replacedbox_layout(box)
            except Exception:  # noqa: BLE001 - an odd picture: not sampled
                return
            clip = (box.content_box_x(), box.content_box_y(), box.width, box.height)
            paints.append((clip, "image", (box.replacement, (x, y, w, h), opacity)))

    def _contrast(self, box, opacity, paints, images):
        x, y, w, h = _rect(box)
        cx, cy = x + w / 2, y + h / 2
        samples = [(1.0, 1.0, 1.0)]
        over_image = False
        under_colour = (1.0, 1.0, 1.0)
        for rect, kind, payload in paints:
            rx, ry, rw, rh = rect
            if not (rx <= cx <= rx + rw and ry <= cy <= ry + rh):
                continue
            if kind == "colour":
                rgb, alpha = payload
                samples = [tuple(alpha * rgb[i] + (1 - alpha) * s[i] for i in range(3))
                           for s in samples]
                under_colour = rgb
            else:
                image, (ix, iy, iw, ih), alpha = payload
                sampled = _sample(image, (ix, iy, iw, ih), (max(x, rx), max(y, ry),
                                  min(x + w, rx + rw), min(y + h, ry + rh)), images)
                if sampled:
                    base = samples[0]
                    samples = [tuple(alpha * p[i] + (1 - alpha) * base[i] for i in range(3))
                               for p in sampled]
                    over_image = True
        colour = box.style["color"]
        rgb, alpha = _rgb(colour), colour.alpha * opacity
        ratios = sorted(_ratio(tuple(alpha * rgb[i] + (1 - alpha) * s[i] for i in range(3)), s)
                        for s in samples)
        ratio = ratios[len(ratios) // 10]
        under = "the image under it" if over_image else _hex(
            samples[0] if len(samples) == 1 else under_colour)
        return ratio, _hex(rgb), under

    def run(self) -> list[Finding]:
        for check in (self.page_fill, self.stranded_headings, self.splits, self.one_word_lines,
                      self.hyphens, self.measure, self.safe_area, self.contrast, self.overset,
                      self.fonts):
            check()
        order = {name: i for i, name in enumerate(CHECKS)}
        return sorted(self.findings, key=lambda f: (f.page or 0, order.get(f.check, 99)))


def _fonts_clean(document, bundled: set[str]) -> bool:
    """True when the PDF written from `document` used only the layout's bundled
    families and drew no glyph that its font lacks: what the fonts check would
    find on the pages is then nothing, and the pages need not be shaped again
    to look (WeasyPrint keeps every font it drew with in `document.fonts`, with
    the characters it had no glyph for in `missing`). False when not written."""
    fonts = getattr(document, "fonts", None)
    if not fonts:
        return False
    return all(str(getattr(font, "family", "")).lower() in bundled
               and not getattr(font, "missing", True) for font in fonts.values())


def _rgb(colour) -> tuple[float, float, float]:
    try:
        srgb = colour.to("srgb")
        return tuple(min(1.0, max(0.0, c)) for c in srgb.coordinates[:3])
    except AttributeError:  # an RGBA tuple
        return (colour.red, colour.green, colour.blue)


def _hex(rgb) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


@functools.lru_cache(maxsize=4096)  # a page has few colours, drawn over few others
def _luminance(rgb) -> float:
    def channel(c):
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@functools.lru_cache(maxsize=4096)
def _ratio(a, b) -> float:
    la, lb = _luminance(a), _luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def _sample(image, drawn, area, cache) -> list:
    """The colours of `image` (drawn at `drawn` = x, y, w, h) under `area` (x0, y0, x1, y1)."""
    from PIL import Image

    ix, iy, iw, ih = drawn
    x0, y0 = max(area[0], ix), max(area[1], iy)
    x1, y1 = min(area[2], ix + iw), min(area[3], iy + ih)
    if x1 <= x0 or y1 <= y0 or iw <= 0 or ih <= 0:
        return []
    picture = cache.get(id(image))
    if picture is None:
        try:
            picture = Image.open(io.BytesIO(image.image_data.data)).convert("RGB")
        except Exception:  # noqa: BLE001 - unreadable: not sampled
            return []
        picture.thumbnail((400, 400))
        cache[id(image)] = picture
    pw, ph = picture.size
    box = (int((x0 - ix) / iw * pw), int((y0 - iy) / ih * ph),
           max(int((x1 - ix) / iw * pw), int((x0 - ix) / iw * pw) + 1),
           max(int((y1 - iy) / ih * ph), int((y0 - iy) / ih * ph) + 1))
    region = picture.crop(box)
    region.thumbnail((24, 24))
    data = region.tobytes()  # RGB, three bytes a pixel
    return [(data[i] / 255, data[i + 1] / 255, data[i + 2] / 255)
            for i in range(0, len(data) - 2, 3)]


def check(document, outline, layout) -> list[Finding]:
    """Every finding on a laid-out WeasyPrint document of `outline` in `layout`."""
    return _Run(document, outline, layout, Sources(outline)).run()


def check_path(path, *, layout: str | None = None, page_size: str | None = None,
               print_marks: bool = False) -> tuple[list[Finding], int]:
    """Load an issue or pack folder, lay it out and check it: (findings, pages)."""
    from .content.issue_folder import load_issue
    from .content.pack_folder import is_pack, load_pack, resolve_layout_spec
    from .layouts import find_layout
    from .outline import build_outline
    from .render import RenderOptions
    from .render.pdf import layout as lay_out

    if is_pack(path):
        document = load_pack(path).pack
        chosen = find_layout(resolve_layout_spec(layout, document))
    else:
        document = load_issue(path).issue
        chosen = find_layout(layout)
    chosen.page_size(page_size)
    outline = build_outline(document)
    laid = lay_out(document, chosen, RenderOptions(page_size=page_size, warnings=[],
                                                  print_marks=print_marks), outline=outline)
    return check(laid.document, outline, chosen), len(laid.document.pages)
