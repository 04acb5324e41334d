"""A document laid out whole, kept, and after an edit of its text laid out again
from the pages the edit touched only.

An issue does not split into parts as a pack does (chapters.py): its
contributions run on from page to page, so no part begins on a page of its own.
But WeasyPrint paginates page by page, and remembers for each page where it
began in the box tree (the page maker's skip stacks, counters, page side):
`make_all_pages` makes again only the pages marked as changed, and the pages
after one when it ends somewhere else than before, and takes the kept page for
every other. A one-word edit touches a page or two; the rest are kept.

So a document laid out whole here (paginate.py: WeasyPrint 70's
layout_document in halves) keeps its element tree, box tree, layout
context (the page maker, the styles, the targets of `target-counter()`) and its
pages before and after their margin boxes. A new HTML whose tags are a kept
one's, and whose text differs only in the <body> (not in a <style> or <title>,
not emptied or filled: `:empty`), is laid out again so (_again):

1. The new HTML is parsed (not styled). Its element tree must have the kept
   one's tags, children and attributes, but for the attributes that restyle
   their element alone: an inline style (a pull quote's fitted measure) and the
   makeup passes' marks (pdf.page_css: a paragraph without hyphens, a piece
   moved to the next page, the back matter run in). Its text and attributes are
   set in the kept element tree.
2. The styles of the elements whose attributes changed are computed again as
   WeasyPrint's StyleFor computes them (their rules matched, cascaded), and their
   descendants' (which inherit from them): _restyle. Not when the layout's
   stylesheets select those attributes (a rule for the element after a marked
   one would restyle more): the document is laid out whole then.
3. The boxes are made again from the kept element tree with the kept styles (no
   cascade of the whole document) and walked side by side with the kept box tree:
   the same kinds of boxes, for the same elements, with the same children, or the
   document is laid out whole. Each kept box takes the new text, bookmark label,
   named strings, and the new style where its element was restyled.
4. The pages holding a box of a changed element, and the page before the first
   (where it broke looked at what follows it), are marked as changed, and
   WeasyPrint's pagination rounds run over the kept pages. When anchors moved,
   the content that shows their page numbers is made again and its page marked
   (_retarget: WeasyPrint 70 does that itself only for anchors named in the CSS,
   not for `attr(href)`), until the numbers settle.
5. The bookmarks and named strings are collected again over all pages, and each
   page gets its margin boxes: the kept page's where nothing they show changed
   (the same page box, counters and page count, the same named strings).

The result is the document a cold layout of the new HTML gives, byte for byte:
tests/test_repage.py compares them after edits of body text, a headline (in
the cover, the contents and the bookmarks too), the lede, a bio, a contributor's
role, text long enough to move every page after it, in three layouts and right
to left, and the makeup passes' variants. What this does not follow lays the
document out whole: other tags or attributes, text in the head, footnotes,
fixed boxes; and so does any error while laying out again
(BRIEFGEN_REPAGE_STRICT=1 raises it instead: the tests set it).

Kept in this process only, with the renderer (fonts, stylesheets) that laid
them out: WeasyPrint's boxes do not pickle. `chapters.clear()` forgets them;
`briefgen build`, which builds once, lets them go before writing the PDF
(render.KEEP_LAYOUTS).
"""
from __future__ import annotations

import copy
import os
import re
from collections import OrderedDict, defaultdict
from dataclasses import dataclass

from . import paginate

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
    running: dict = None         # the running elements, as laid out
    images: dict = None          # the image files it read: path → (mtime, size)

    def release(self) -> None:
        """Let go of the kept trees now, not at the next full garbage collection: the
        layout context is in a cycle of its own (its image loader is a partial of it),
        and holds the page maker, the styles and the targets. The pages laid out,
        which the document being written holds, are left as they are."""
        if self.context is not None:
            self.context.__dict__.clear()
        self.root_box = self.html = self.boxes = self.context = None

    def snapshot(self) -> None:
        self.states = [copy.deepcopy(entry[3]) for entry in self.context.page_maker]
        self.strings = _strings(self.context)
        self.running = _running(self.context)
        self.images = paginate.image_files(self.context)


def _running(context) -> dict:
    """The running elements placed on each page (the boxes themselves)."""
    return {name: {page: tuple(map(id, values)) for page, values in pages.items() if values}
            for name, pages in context.running_elements.items()}


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


def _touched(boxes: list, elements: set) -> list[int]:
    """The indexes of the pages that show a box of one of `elements`."""
    pages = []
    for index, page in enumerate(boxes):
        for box in page.descendants(placeholders=True):  # positioned boxes too
            if box.element in elements:
                pages.append(index)
                break
    return pages


# ---------------------------------------------------------------- laying out again

def _relayout(kept: Whole, changed: set) -> tuple[list, list]:
    """The kept document laid out again, its pages showing `changed` elements
    marked as changed: (page boxes before their margin boxes, Pages with them)."""
    boxes = repaginate(kept, changed)
    return boxes, _margins(kept, boxes)


def repaginate(kept: Whole, changed: set) -> list:
    """The kept document's pages made again where they show `changed` elements (and
    what follows from that), before their margin boxes (chapters.py gives a pack's
    part its margin boxes itself, for the whole pack's page count)."""
    if (kept.context.footnotes or kept.context.reported_footnotes
            or any(page.fixed_boxes for page in kept.boxes)):
        raise NotIncremental()
    touched = _touched(kept.boxes, changed)
    # and the page before each: where it broke looked at what follows it (orphans
    # and widows, a heading kept with its text, a forced break, a named page)
    touched[:] = sorted(set(touched) | {index - 1 for index in touched if index > 0})
    old = kept.context
    for index in touched:
        old.page_maker[index][-1]["content_changed"] = True
    old.tables.clear()
    before = _targets(old)
    boxes = paginate.rounds(kept.html, kept.root_box, old, kept.boxes)
    for _ in range(ROUNDS):
        after = _targets(old)
        if not _retarget(old, {name for name, values in after.items()
                               if values != before.get(name)}):
            break
        before = after
        boxes = paginate.rounds(kept.html, kept.root_box, old, boxes)
    else:
        raise NotIncremental()  # the page numbers did not settle
    old.string_set = defaultdict(lambda: defaultdict(list))
    boxes = paginate.collect(old, boxes)
    if any(page.fixed_boxes for page in boxes) or old.footnotes:
        raise NotIncremental()
    return boxes


def patched(kept: Whole, html, *, restyle: bool) -> set:
    """The new HTML (parsed, not styled) set in the kept document: its text and
    attributes in the kept element tree; the styles of the elements whose makeup
    attributes or inline style changed computed again (_restyle); the boxes made
    again from the kept tree with the kept styles (no cascade of the whole
    document), and their text, labels and styles set in the kept box tree.
    The elements whose text or style changed. NotIncremental when the trees differ
    otherwise, or attributes differ and `restyle` is False."""
    from weasyprint.css.targets import TargetCollector
    from weasyprint.formatting_structure.build import build_formatting_structure

    roots = _restyled_roots(kept.html.etree_element, html.etree_element)
    if roots and not restyle:
        raise NotIncremental()
    _walk_elements(kept.html.etree_element, html.etree_element)
    restyled = _restyle(kept, roots) if roots else set()
    context = kept.context
    collector = TargetCollector()
    for name in context.target_collector.target_lookup_items:
        collector.collect_anchor(name)
    root_box = build_formatting_structure(
        kept.html.etree_element, context.style_for, context.get_image_from_uri,
        kept.html.base_url, collector, context.counter_style, [])
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
    return changed


def _restyled_roots(old, new) -> list:
    """The kept elements whose restyling attributes differ from the new tree's, in
    document order; any other difference of tags, children or attributes raises
    NotIncremental."""
    found = []
    stack = [(old, new)]
    while stack:
        a, b = stack.pop()
        if a.tag != b.tag or len(a) != len(b):
            raise NotIncremental()
        if a.attrib != b.attrib:
            keys = set(a.attrib) | set(b.attrib)
            if any(a.get(k) != b.get(k) for k in keys if k not in RESTYLING):
                raise NotIncremental()
            found.append(a)
        stack.extend(reversed(list(zip(a, b))))
    return found


def _restyle(kept: Whole, roots: list) -> set:
    """The computed styles of `roots` (elements whose attributes changed) made
    again as WeasyPrint 70's StyleFor makes them (their style attribute and the
    stylesheets' rules that match them, cascaded), and those of their descendants
    and pseudo-elements from their own cascade (they inherit); the elements
    restyled."""
    from math import inf

    from weasyprint.css import declaration_precedence, find_style_attributes
    from weasyprint.css.validation import preprocess_declarations

    style_for, html = kept.context.style_for, kept.html
    root = html.etree_element
    computed, cascaded_styles = style_for._computed_styles, style_for._cascaded_styles
    wrappers = {w.etree_element: w for w in html.wrapper_element.iter_subtree()}
    parents = {child: parent for parent in root.iter() for child in parent}
    pseudos: dict = {}
    for key in computed:
        if key[1] is not None and key[0] in parents:
            pseudos.setdefault(key[0], []).append(key[1])
    restyled: set = set()
    for top in roots:
        for element in top.iter():
            if element in restyled:
                continue
            restyled.add(element)
            if element is top:
                styles: dict = {(element, None): {}}
                layer_order = inf
                for specificity, owner, declarations, base_url in find_style_attributes(
                        element, False, html.base_url):
                    if owner is not element:
                        continue
                    style = styles[(element, None)]
                    for name, values, importance in preprocess_declarations(base_url,
                                                                            declarations):
                        weight = (declaration_precedence("author", importance), layer_order,
                                  specificity)
                        if style.get(name, (None, None))[1] is None or \
                                style[name][1] <= weight:
                            style[name] = values, weight
                for sheet, origin, sheet_specificity in style_for._sheets:
                    for selector in sheet.matcher.match(wrappers[element]):
                        specificity, _, pseudo_type, (declarations, layer) = selector
                        layer_order = inf if layer is None else sheet.layers.index(layer)
                        specificity = sheet_specificity or specificity
                        style = styles.setdefault((element, pseudo_type), {})
                        for name, values, importance in declarations:
                            weight = (declaration_precedence(origin, importance), layer_order,
                                      specificity)
                            old_weight = style.get(name, (None, None))[1]
                            if old_weight is None or old_weight <= weight:
                                style[name] = values, weight
            else:
                styles = {(element, None): computed[element, None].cascaded}
                for pseudo in pseudos.get(element, ()):
                    styles[(element, pseudo)] = computed[element, pseudo].cascaded
            for key, style in styles.items():
                cascaded_styles[key] = style
            try:
                style_for.set_computed_styles(element, parent=parents[element], root=root,
                                              base_url=html.base_url)
                for (_, pseudo) in styles:
                    if pseudo:
                        style_for.set_computed_styles(element, pseudo_type=pseudo,
                                                      parent=element, root=root,
                                                      base_url=html.base_url)
            finally:
                for key in styles:
                    cascaded_styles.pop(key, None)
            for pseudo in pseudos.get(element, ()):
                if (element, pseudo) not in styles:  # no longer matched
                    computed.pop((element, pseudo), None)
    return restyled


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
    """Each page with its margin boxes (see margins_again)."""
    return margins_again(kept.context, boxes, len(boxes), kept.boxes, kept.pages,
                         kept.states, kept.strings, kept.running)


def margins_again(context, boxes: list, total: int, old_boxes: list, old_pages: list,
                  states: list, strings: dict, running: dict) -> list:
    """Each page with its margin boxes for the page count `total`: the Page it had
    (`old_pages`, laid out with `old_boxes`, `states`, `strings` and `running` as
    they were) where the page box and everything its margin boxes show are as
    before, else made (paginate.page_margins)."""
    same = (len(boxes) == len(old_boxes) and _strings(context) == strings
            and _running(context) == running)
    pages = []
    for i, box in enumerate(boxes):
        if (same and box is old_boxes[i]
                and _counters(context.page_maker[i + 1][3]) == _counters(states[i + 1])):
            pages.append(old_pages[i])
        else:
            pages.append(paginate.page_margins(context, boxes, i, total))
    return pages


def _counters(state) -> tuple:
    """A page state but for `pages` (the page count, set for the margin boxes)."""
    quotes, counters, scopes, groups = state
    return quotes, {k: v for k, v in counters.items() if k != "pages"}, scopes, groups


# ---------------------------------------------------------------- the cache

def kept_for(store: OrderedDict, parts: list) -> Whole | None:
    """The kept document with these very tags, else one whose tags differ only in
    the makeup attributes and inline styles. (One document is kept per text: the
    makeup passes' variants of it are laid out again, one from the other.)"""
    whole = store.get(tuple(parts[1::2]))
    if whole is None:
        key = signature(parts)
        whole = next((w for w in reversed(store.values()) if signature(w.tokens) == key), None)
    if whole is not None:
        store.move_to_end(tuple(whole.tokens[1::2]))
    return whole


def keep(store: OrderedDict, whole: Whole) -> None:
    key = tuple(whole.tokens[1::2])
    store[key] = whole
    store.move_to_end(key)
    while len(store) > WHOLES_KEPT:
        store.popitem(last=False)[1].release()


# ---------------------------------------------------------------- the entry

def render(renderer, store: OrderedDict, html_text: str):
    """The pages of `html_text` (a weasyprint Document): the kept document's again
    when the HTML is the same, laid out again from the pages an edit of its text
    touched, or laid out whole; kept in `store` for the next build."""
    parts = tokens(html_text)
    whole = kept_for(store, parts)
    if whole is not None and not paginate.files_unchanged(whole.images):
        # an image replaced under its name: laid out with its old size
        store.pop(tuple(whole.tokens[1::2])).release()
        whole = None
    if whole is not None and whole.html_text == html_text:
        renderer.warn_again(whole.warnings)
        return whole.document.copy(whole.pages)
    if whole is not None:
        try:
            text_edits(whole.tokens, parts)
        except NotIncremental:
            whole = None
    if whole is not None:
        # the kept layout changes as it is laid out again: kept again only when done
        store.pop(tuple(whole.tokens[1::2]))
        warnings = renderer.fetcher.warnings
        before = len(warnings)
        document = or_whole(whole, lambda: _again(renderer, store, whole, html_text, parts))
        if document is not None:
            return document
        del warnings[before:]
    return _whole(renderer, store, html_text, parts)


def or_whole(kept: Whole, lay_out_again):
    """What `lay_out_again()` gives, or None when it raises: NotIncremental (an edit
    this does not follow) or any error, which BRIEFGEN_REPAGE_STRICT raises (the
    tests set it) and a build does not (it lays the document out whole, as a cold
    build is right). The kept layout is let go then: it was spoilt on the way."""
    try:
        return lay_out_again()
    except NotIncremental:
        pass
    except Exception:  # noqa: BLE001 - see above
        if os.environ.get("BRIEFGEN_REPAGE_STRICT"):
            kept.release()
            raise
    kept.release()
    return None


def _whole(renderer, store: OrderedDict, html_text: str, parts: list):

    held = {}

    def layout_document(html, root_box, context, max_loops=8):
        held.update(html=html, root_box=root_box, context=context)
        held["boxes"] = paginate.whole(html, root_box, context, max_loops)
        return []

    warnings = renderer.fetcher.warnings
    before = len(warnings)
    document = renderer.render(html_text, layout_document)
    pages = paginate.margins(held["context"], held["boxes"], len(held["boxes"]))
    document = document.copy(pages)
    whole = Whole(html_text, parts, held["html"], held["root_box"], held["context"],
                  held["boxes"], pages, document, list(warnings[before:]))
    whole.snapshot()
    keep(store, whole)
    return document


_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def selects_restyling(renderer) -> bool:
    """Whether the layout's stylesheets select the restyling attributes (a rule for
    the element after a marked one, say: _restyle restyles the marked elements
    alone), or import a stylesheet (not read here): an edit that changes those
    attributes then lays the document out whole."""
    known = getattr(renderer, "_briefgen_selects_restyling", None)
    if known is None:
        texts = ["[style" if text is None else _COMMENT.sub("", text)  # unread: the worst
                 for text in renderer.layout_css]
        known = any("[style" in text or "@import" in text  # an import is not read here
                    or any(name in text for name in MAKEUP) for text in texts)
        renderer._briefgen_selects_restyling = known
    return known


def _again(renderer, store: OrderedDict, whole: Whole, html_text: str, parts: list):
    changed = patched(whole, renderer.parse(html_text),
                      restyle=not selects_restyling(renderer))
    boxes, pages = _relayout(whole, changed)
    # the same URLs as the kept document's (only text and styles changed): its
    # warnings, as a cold build of the new HTML gives them
    renderer.warn_again(whole.warnings)
    document = whole.document.copy(pages)
    whole.html_text, whole.tokens = html_text, parts
    whole.boxes, whole.pages, whole.document = boxes, pages, document
    whole.snapshot()
    keep(store, whole)
    return document
