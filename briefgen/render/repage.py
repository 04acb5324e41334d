"""A document laid out whole, kept, and after an edit of its text laid out again
from the pages the edit touched only.

An issue does not split into parts as a pack does (chapters.py): its
contributions run on from page to page, so no part begins on a page of its own.
But WeasyPrint paginates page by page, and remembers for each page where it
began in the box tree (the page maker's skip stacks, counters, page side):
`make_all_pages` makes again only the pages marked as changed, and the pages
after one when it ends somewhere else than before, and takes the kept page for
every other. A one-word edit touches one or two pages; the rest are kept.

So a document laid out whole here keeps its box tree, its layout context (the
page maker, the targets of `target-counter()`), its pages before and after the
margin boxes. A new HTML whose tags are those of a kept one, and whose text
differs only in the <body> (not in a <style> or <title>), is laid out again so:

1. WeasyPrint builds the new HTML's box tree (parse, cascade, boxes) as usual.
2. The kept tree and the new one are walked side by side: the same boxes, of the
   same kinds, for the same elements, with the same children, or the document is
   laid out whole. The text of each text box that differs is set in the kept
   tree, with the bookmark labels and named strings made from it; the elements'
   text in the kept element tree follows.
3. The pages holding a box of an element whose text changed are marked as
   changed; `make_all_pages` runs its rounds over the kept pages (WeasyPrint's
   own repagination: it follows a changed page on until the next one begins
   where it did, and makes again the contents whose page numbers moved).
4. The bookmarks and named strings are collected again over all pages, and each
   page gets its margin boxes, from the kept page that had them when nothing
   they show changed (the same page, counters, page count, and named strings
   everywhere).

The result is the document a cold layout of the new HTML gives, byte for byte:
tests/test_repage.py compares them after edits of body text, a headline (in the
contents and the bookmarks too), a quote and a bio, in several layouts. Anything
this does not cover - tags, attributes, text in the head, text emptied or filled
(`:empty`), footnotes, fixed boxes - lays the document out whole.

Kept in this process only, with the renderer (fonts, stylesheets) that laid
them out: WeasyPrint's boxes do not pickle. `chapters.clear()` forgets them.
"""
from __future__ import annotations

import copy
import re
from collections import OrderedDict, defaultdict
from dataclasses import dataclass

#: a document's tags and the text between them
_TOKEN = re.compile(r"(<[^>]*>)")
#: elements whose text is no page text (CSS, the title, scripts)
_RAW = re.compile(r"<(?:style|title|script|textarea)[\s>]", re.I)
#: whole documents kept per renderer, the least recently used dropped first (the
#: makeup passes lay out a few variants of one document: hyphen ladders, fitting)
WHOLES_KEPT = 4


class NotIncremental(Exception):
    """An edit the kept layout cannot follow: the document is laid out whole."""


@dataclass
class Whole:
    """A document laid out whole, and what laying it out again needs."""
    html_text: str
    tokens: list
    html: object                 # weasyprint.HTML (its element tree kept in step)
    root_box: object
    context: object
    boxes: list                  # the page boxes before their margin boxes
    pages: list                  # weasyprint.document.Page, with margin boxes
    document: object
    warnings: list
    states: list = None          # each page maker entry's page state, as laid out
    strings: dict = None         # the named strings, as laid out

    def snapshot(self) -> None:
        self.states = [copy.deepcopy(entry[3]) for entry in self.context.page_maker]
        self.strings = _strings(self.context)


def _strings(context) -> dict:
    return {name: {page: list(values) for page, values in pages.items() if values}
            for name, pages in context.string_set.items()}


def tokens(html_text: str) -> list:
    return _TOKEN.split(html_text)


#: the attributes briefgen's makeup passes set (pdf.page_css styles them on the
#: element itself): a paragraph set without automatic hyphens, a piece moved to
#: the next page, the back matter run in
MAKEUP = ("data-no-ladder", "data-balance", "data-run-in")
_MAKEUP = re.compile(r' (?:%s)\b(?:="[^"]*")?' % "|".join(MAKEUP))
#: an inline style's value (a measure the templates fit to the text: a pull
#: quote's width): it styles its element alone, as the makeup attributes do
_STYLE = re.compile(r' style="[^"]*"')
#: the attributes whose change restyles their element (and what inherits from it)
RESTYLING = MAKEUP + ("style",)


def _bare(tag: str) -> str:
    if " data-" in tag:
        tag = _MAKEUP.sub("", tag)
    return _STYLE.sub(' style=""', tag) if ' style="' in tag else tag


def signature(parts: list) -> tuple:
    """What must be equal for an incremental layout: the tags, in order, but for the
    makeup passes' attributes."""
    return tuple(_bare(tag) for tag in parts[1::2])


def text_edits(old: list, new: list) -> list[int]:
    """The indexes of the text tokens that differ, when all of them are page text in
    the <body>: text between tags, not in a raw-text element, not emptied or filled;
    tags may differ only in the makeup passes' attributes."""
    body = next((i for i, token in enumerate(old) if token.startswith("<body")), None)
    if body is None or len(old) != len(new):
        raise NotIncremental()
    head = "".join(old[:body + 1])
    if "[style" in head or any(name in head for name in MAKEUP):
        raise NotIncremental()  # the head's CSS selects them: more than the element
    changed = [i for i in range(0, len(old), 2) if old[i] != new[i]]
    for i in changed:
        if i < body or _RAW.match(old[i - 1]) or not old[i].strip() or not new[i].strip():
            raise NotIncremental()
    return changed


# ---------------------------------------------------------------- the two trees

def _walk_pairs(old, new, found: list, restyled: set) -> None:
    """Walk the kept box tree and the new one side by side; collect (kept box,
    new box) where a text box's text, a bookmark label or named strings differ, or
    the box is of a restyled element (its style is the new one)."""
    stack = [(old, new)]
    while stack:
        a, b = stack.pop()
        if type(a) is not type(b) or a.element_tag != b.element_tag:
            raise NotIncremental()
        if a.element in restyled:
            found.append((a, b))
        if a.missing_link is not None or b.missing_link is not None:
            # content of page-based counters (the contents' page numbers): made by
            # the kept layout's lookups, the same whatever the text
            continue
        if hasattr(a, "text"):
            if a.text != b.text:
                found.append((a, b))
        elif (a.bookmark_label != b.bookmark_label or a.string_set != b.string_set):
            found.append((a, b))
        children_a = getattr(a, "children", None)
        if children_a is None:
            if getattr(b, "children", None) is not None:
                raise NotIncremental()
            continue
        children_b = b.children
        if len(children_a) != len(children_b):
            raise NotIncremental()
        stack.extend(zip(children_a, children_b))


def _restyled(old, new) -> set:
    """The kept elements whose makeup attributes differ from the new tree's, and
    their descendants (which inherit); any other difference of tags, children or
    attributes raises NotIncremental."""
    found = set()
    stack = [(old, new)]
    while stack:
        a, b = stack.pop()
        if a.tag != b.tag or len(a) != len(b):
            raise NotIncremental()
        if a.attrib != b.attrib:
            keys = set(a.attrib) | set(b.attrib)
            if any(a.get(k) != b.get(k) for k in keys if k not in RESTYLING):
                raise NotIncremental()
            found.update(a.iter())
        stack.extend(zip(a, b))
    return found


def _walk_elements(old, new) -> None:
    """Set the kept element tree's text, tails and attributes to the new tree's."""
    stack = [(old, new)]
    while stack:
        a, b = stack.pop()
        if a.text != b.text:
            a.text = b.text
        if a.tail != b.tail:
            a.tail = b.tail
        if a.attrib != b.attrib:
            a.attrib.clear()
            a.attrib.update(b.attrib)
        stack.extend(zip(a, b))


def _apply(kept: Whole, html, root_box) -> set:
    """The new tree's text and makeup styles set in the kept one; the elements
    whose text or style changed."""
    restyled = _restyled(kept.html.etree_element, html.etree_element)
    found: list = []
    _walk_pairs(kept.root_box, root_box, found, restyled)
    changed = set()
    for a, b in found:
        if a.element in restyled:
            a.style = b.style
        if hasattr(a, "text"):
            a.text = b.text
        else:
            a.bookmark_label, a.string_set = b.bookmark_label, b.string_set
        changed.add(a.element)
    _walk_elements(kept.html.etree_element, html.etree_element)
    return changed


def _touched(boxes: list, elements: set) -> list[int]:
    """The indexes of the pages that show a box of one of `elements`."""
    pages = []
    for index, page in enumerate(boxes):
        for box in page.descendants():
            if box.element in elements:
                pages.append(index)
                break
    return pages


# ---------------------------------------------------------------- laying out again

def relay(kept: Whole, html, root_box, context) -> tuple[list, list]:
    """The pages of the new HTML (`html`, `root_box` and `context` just built by
    WeasyPrint from it), laid out again from the kept document: (page boxes before
    their margin boxes, Pages with them). Raises NotIncremental before changing
    anything kept when the trees differ beyond text."""
    from . import chapters

    if (kept.context.footnotes or context.footnotes or kept.context.reported_footnotes
            or any(page.fixed_boxes for page in kept.boxes)):
        raise NotIncremental()
    changed = _apply(kept, html, root_box)
    touched = _touched(kept.boxes, changed)
    if touched and touched[0] > 0:
        # the page before: where it broke looked at what follows it (orphans and
        # widows, a heading kept with its text, a named page beginning)
        touched.insert(0, touched[0] - 1)
    old = kept.context
    for index in touched:
        old.page_maker[index][-1]["content_changed"] = True
    old.tables.clear()
    before = _targets(old)
    boxes = chapters._loops(kept.html, kept.root_box, old, kept.boxes)
    for _ in range(ROUNDS):
        after = _targets(old)
        if not _retarget(old, {name for name, values in after.items()
                               if values != before.get(name)}):
            break
        before = after
        boxes = chapters._loops(kept.html, kept.root_box, old, boxes)
    else:
        raise NotIncremental()  # the page numbers did not settle
    old.string_set = defaultdict(lambda: defaultdict(list))
    boxes = chapters._collect(old, boxes)
    if any(page.fixed_boxes for page in boxes) or old.footnotes:
        raise NotIncremental()
    pages = _margins(kept, boxes)
    return boxes, pages


#: rounds of pagination after the anchors moved (the contents' numbers changing
#: the contents' length, which moves the anchors again …)
ROUNDS = 6


def _targets(context) -> dict:
    """The page counters of each anchor targeted (`target-counter()`), as laid out."""
    return {name: copy.deepcopy(item.cached_page_counter_values)
            for name, item in context.target_collector.target_lookup_items.items()}


def _retarget(context, moved: set) -> bool:
    """Have the content that shows a moved anchor's page number made again, and mark
    its page changed; whether there was any. (WeasyPrint 70 tells such content itself
    only when its anchor is a name, not an `attr(href)`: its lookups are filed
    under None. A cold layout makes that content again in its later rounds.)"""
    page_maker = context.page_maker
    marked = False
    for (_, token), item in context.target_collector.counter_lookup_items.items():
        names = item.missing_target_counters.keys()
        if token != "content" or not moved or not (None in names or moved & set(names)):
            continue
        index = item.page_maker_index
        if index is None or index >= len(page_maker):
            continue
        item.parse_again(item.cached_page_counter_values)
        page_maker[index][-1]["content_changed"] = True
        marked = True
    return marked


def _margins(kept: Whole, boxes: list) -> list:
    """Each page with its margin boxes: the kept Page where the page and everything
    its margin boxes show is as before, else made (chapters._margins)."""
    from . import chapters

    context = kept.context
    total = len(boxes)
    same_doc = total == len(kept.boxes) and _strings(context) == kept.strings
    pages = []
    for i, box in enumerate(boxes):
        if (same_doc and box is kept.boxes[i]
                and context.page_maker[i + 1][3] == kept.states[i + 1]):
            pages.append(kept.pages[i])
        else:
            pages.append(chapters.page_margins(context, boxes, i, total))
    return pages


# ---------------------------------------------------------------- the cache

def kept_for(store: OrderedDict, parts: list) -> Whole | None:
    key = signature(parts)
    whole = store.get(key)
    if whole is not None:
        store.move_to_end(key)
    return whole


def keep(store: OrderedDict, whole: Whole) -> None:
    key = signature(whole.tokens)
    store[key] = whole
    store.move_to_end(key)
    while len(store) > WHOLES_KEPT:
        store.popitem(last=False)


# ---------------------------------------------------------------- the entry

def render(renderer, store: OrderedDict, html_text: str):
    """The pages of `html_text` (a weasyprint Document): the kept document's again
    when the HTML is the same, laid out again from the pages an edit of its text
    touched, or laid out whole; kept in `store` for the next build."""
    parts = tokens(html_text)
    whole = kept_for(store, parts)
    if whole is not None and whole.html_text == html_text:
        for warning in whole.warnings:
            if warning not in renderer.fetcher.warnings:
                renderer.fetcher.warnings.append(warning)
        return whole.document.copy(whole.pages)
    if whole is not None:
        try:
            text_edits(whole.tokens, parts)
        except NotIncremental:
            whole = None
    if whole is not None:
        # the kept layout changes as it is laid out again: kept again only when done
        store.pop(signature(parts))
        try:
            return _again(renderer, store, whole, html_text, parts)
        except NotIncremental:
            pass
    return _whole(renderer, store, html_text, parts)


def _render(renderer, html_text: str, layout_document):
    """WeasyPrint's Document._render of `html_text`, its layout_document replaced."""
    from weasyprint import DEFAULT_OPTIONS, HTML
    from weasyprint import document as weasy_document

    from . import chapters
    from .pdf import _quiet_weasyprint

    chapters._install()
    html = HTML(string=html_text, base_url=str(renderer.roots[0]) + "/",
                url_fetcher=renderer.fetcher)
    options = DEFAULT_OPTIONS.copy()
    options.update(renderer.pdf_options(b""))
    original = weasy_document.layout_document
    weasy_document.layout_document = layout_document
    try:
        with _quiet_weasyprint():
            return weasy_document.Document._render(html, renderer.fonts, None, None, options)
    finally:
        weasy_document.layout_document = original


def _whole(renderer, store: OrderedDict, html_text: str, parts: list):
    from . import chapters

    held = {}

    def layout_document(html, root_box, context, max_loops=8):
        held.update(html=html, root_box=root_box, context=context)
        held["boxes"] = chapters._paginate(html, root_box, context, 0, True, max_loops)
        return []

    warnings = renderer.fetcher.warnings
    before = len(warnings)
    document = _render(renderer, html_text, layout_document)
    pages = chapters._margins(held["context"], held["boxes"], len(held["boxes"]))
    document = document.copy(pages)
    whole = Whole(html_text, parts, held["html"], held["root_box"], held["context"],
                  held["boxes"], pages, document, list(warnings[before:]))
    whole.snapshot()
    keep(store, whole)
    return document


def _again(renderer, store: OrderedDict, whole: Whole, html_text: str, parts: list):
    held = {}

    def layout_document(html, root_box, context, max_loops=8):
        held["boxes"], held["pages"] = relay(whole, html, root_box, context)
        return []

    warnings = renderer.fetcher.warnings
    before = len(warnings)
    document = _render(renderer, html_text, layout_document).copy(held["pages"])
    whole.html_text, whole.tokens = html_text, parts
    whole.boxes, whole.pages, whole.document = held["boxes"], held["pages"], document
    whole.warnings = list(warnings[before:])
    whole.snapshot()
    keep(store, whole)
    return document
