"""A pack laid out chapter by chapter: each part its own WeasyPrint layout, kept
in this process, and the pages combined with `Document.copy(pages)`.

A pack's HTML (pack.html.j2) breaks to a new page before each chapter and
before the contributors and annexes, so it splits there into parts laid out
apart without changing a line: the front (cover, contents, agenda), each
chapter, the tail (contributors, annexes). Each part is laid out as the whole
HTML's head and body with that part alone in <main>, and told what the whole
document would have told it:

- its page offset: the page counter starts there (folios), its first page is a
  left or right one as in the whole (mirrored margins; a booklet's `recto`
  break adds its blank verso), `:first` and `:nth()` count from the whole
  document's first page;
- the page numbers of the anchors it points at in other parts (the contents,
  the agenda's and the bios' page references: `target-counter()`);
- the whole document's page count (`counter(pages)` in the folios), set on its
  margin boxes once every part is laid out: margin boxes never change the flow,
  so a changed page count only makes them again.

Laid-out parts are kept (in this process: WeasyPrint's pages do not pickle),
keyed by their HTML, offset and outside page numbers, with the renderer (fonts,
stylesheets) that laid them out. A rebuild lays out again only the parts whose
HTML changed, and those after a part whose page count changed. A cold build
takes the same path, so both give the same pages, and the same bytes.

The front part is laid out before the others know their pages, with the page
numbers of the last document laid out by these fonts (0 at first); when they
differ from the final ones it is laid out again, and if its page count then
changes, the rest follows. The result is the fixed point where every part was
laid out with the numbers and offset it ends up with, whatever the guess.

Documents this does not split (an issue, whose contributions run on from page
to page; HTML without the pack's page-broken parts) are laid out whole, as
before (repage.py keeps them, and lays them out again after an edit).
WeasyPrint 70's `layout_document` is followed in paginate.py (the pagination
and the margin boxes, apart) and `_paginate` (a part's start).
"""
from __future__ import annotations

import os
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from . import paginate, weasy  # noqa: F401 - weasy: WeasyPrint without spawning compilers

#: <p> tags as pdf._mark_paragraphs counts them
_P = re.compile(r"<p(?=[\s>])")
#: where a pack's parts begin: its chapters, then its contributors (or annexes)
_CHAPTER = re.compile(r'\n[ \t]*<section class="chapter"')
_TAIL = re.compile(r'\n[ \t]*<section class="(?:bios|annex-divider)"')
_MAIN = re.compile(r'<main class="body">')
_HREF = re.compile(r'href="#([^"]+)"')
_ID = re.compile(r' id="([^"]+)"')
#: a CSS counter of the layout's own (not the page's): it would start again in
#: each part, so a document whose CSS has one is laid out whole
_COUNTER_RULES = re.compile(r"counter-(?:reset|increment|set)\s*:([^;}]*)")
#: footnotes number themselves with the implicit `footnote` counter
_FOOTNOTES = re.compile(r"float\s*:\s*footnote|::?footnote-(?:call|marker)|counter\(\s*footnote")


def _own_counters(css: str) -> bool:
    """Whether CSS sets a counter other than the page's (in any of a rule's names:
    `counter-reset: page 1 figure` sets `figure`), or numbers footnotes."""
    for match in _COUNTER_RULES.finditer(css):
        names = re.findall(r"-?[A-Za-z_][\w-]*", match.group(1))
        if any(name not in ("page", "pages", "none") for name in names):
            return True
    return bool(_FOOTNOTES.search(css))
#: before the tail part, so that `.chapter ~ .bios` holds as in the whole
TAIL_SIBLING = '\n<section class="chapter" style="display: none"></section>'

#: kept renderers (fonts and stylesheets) and their parts, newest last
RENDERERS_KEPT = 3
#: laid-out parts kept per renderer, the least recently used dropped first: at
#: least four times a document's parts (the makeup passes lay some out again)
PARTS_KEPT = 48
#: the WeasyPrint release whose pagination paginate.py and `_paginate` follow, and
#: whose two lookups `_install` wraps: any other lays documents out whole
FOLLOWS = "70."


def supported(version: str) -> bool:
    """Whether this WeasyPrint release is the one the split follows."""
    return version.startswith(FOLLOWS)


#: whether documents are split at all (BRIEFGEN_SPLIT=off lays them out whole, as
#: does a WeasyPrint the split does not follow)
ENABLED = (os.environ.get("BRIEFGEN_SPLIT", "on") != "off"
           and supported(weasy.load().__version__))


@dataclass
class Part:
    #: the whole HTML's head and <body>, with this part alone in <main>
    html: str
    #: a paragraph's index among this part's <p> elements plus p_base: its index
    #: in the whole HTML (the hyphen-ladder pass marks paragraphs by it)
    p_base: int
    #: anchors it points at and does not hold
    external: tuple[str, ...]
    first: bool
    #: the anchors it holds
    ids: frozenset = frozenset()


def split(html_text: str) -> list[Part] | None:
    """The parts of a pack's HTML, or None when it has no page-broken parts."""
    chapters = [m.start() for m in _CHAPTER.finditer(html_text)]
    main = _MAIN.search(html_text)
    end = html_text.rfind("</main>")
    body = html_text.find("<body>")
    if not chapters or main is None or end < chapters[-1] or body < 0 or body > main.start():
        return None
    tail = _TAIL.search(html_text, chapters[-1])
    starts = chapters + ([tail.start()] if tail and tail.start() < end else [])
    bounds = list(zip(starts, starts[1:] + [end]))
    head = html_text[:body + len("<body>")] + "\n" + main.group(0)
    closing = html_text[end:]
    parts = [_part(html_text, html_text[:starts[0]] + closing, 0, 0, starts[0], True)]
    for start, stop in bounds:
        lead = head + (TAIL_SIBLING if tail and start == tail.start() else "")
        parts.append(_part(html_text, lead + html_text[start:stop] + closing,
                           len(lead), start, stop, False))
    return parts


def _part(whole: str, html: str, lead: int, start: int, stop: int, first: bool) -> Part:
    piece = whole[start:stop]
    ids = set(_ID.findall(piece))
    external = tuple(sorted({a for a in _HREF.findall(piece) if a not in ids}))
    base = len(_P.findall(whole, 0, start)) - len(_P.findall(html, 0, lead))
    return Part(html, base, external, first, frozenset(ids))


# ---------------------------------------------------------------- WeasyPrint hooks

class _Active:
    """The part being laid out (one at a time: the build is single-threaded)."""
    offset = 0
    external: dict[str, int] | None = None


_active = _Active()
_installed = False


def _install() -> None:
    """Wrap the two WeasyPrint lookups a part needs told (once; inert outside a part)."""
    global _installed
    if _installed:
        return
    from weasyprint.css import StyleFor
    from weasyprint.css.targets import TargetCollector, TargetLookupItem, anchor_name_from_token
    from weasyprint.urls import get_url_tuple

    match = StyleFor._page_type_match

    def page_type_match(selector, page_type):
        if _active.offset:
            page_type = page_type._replace(index=page_type.index + _active.offset)
        return match(selector, page_type)

    StyleFor._page_type_match = staticmethod(page_type_match)
    lookup = TargetCollector.lookup_target

    def lookup_target(self, anchor_token, source_box, css_token, parse_again):
        external = _active.external
        if external:
            token = anchor_token
            if token[0] == "attr()":
                attr_name, type_, fallback = token[1]
                value = source_box.element.get(attr_name, fallback)
                token = (("string", value) if type_ == "string" else
                         ("url", get_url_tuple(value, source_box.style.base_url))
                         if type_ == "url" else token)
            name = anchor_name_from_token(token)
            if name not in self.target_lookup_items and name in external:
                item = TargetLookupItem("up-to-date")
                item.target_box = _Elsewhere(cached_counter_values={"page": [external[name]]})
                item.cached_page_counter_values = {"page": [external[name]]}
                return item
        return lookup(self, anchor_token, source_box, css_token, parse_again)

    TargetCollector.lookup_target = lookup_target
    _installed = True


class _Unsplittable(Exception):
    """A part that does not begin with a forced page break, that would need a
    running head from the parts before it, or the text of an anchor in another."""


class _Elsewhere(SimpleNamespace):
    """The target of target-counter() in another part: its page number only. Its
    text (target-text()) is not known here: the document is laid out whole."""

    def extract_text(self, *args):
        raise _Unsplittable()


def _first_break(root_box) -> str | None:
    """The forced break before the part's first content, as the whole document would
    resolve it: a side (recto …) wins over `page`; None when there is none."""
    found, box = [], root_box
    while box is not None:
        found.append(box.style["break_before"])
        children = [c for c in getattr(box, "children", ())
                    if not (c.is_absolutely_positioned() or c.is_floated())
                    and getattr(c, "style", None) is not None and hasattr(c, "children")]
        box = children[0] if children else None
    for value in found:
        if value in ("left", "right", "recto", "verso"):
            return value
    return "page" if "page" in found else None


def _start_at(root_box) -> dict:
    """The skip stack of the part's first content: {body: {main: {first: None}}}."""
    path, box = [], root_box
    for tag in ("body", "main", None):
        children = list(getattr(box, "children", ()))
        index = next((i for i, child in enumerate(children)
                      if (child.element_tag == tag if tag else
                          not (child.is_absolutely_positioned() or child.is_floated()))), None)
        if index is None:
            raise _Unsplittable()
        path.append(index)
        box = children[index]
    return {path[0]: {path[1]: {path[2]: None}}}


def _paginate(html, root_box, context, offset: int, first: bool, max_loops=8):
    """WeasyPrint 70's layout_document up to (not including) the margin boxes,
    the page counter starting at `offset` on the side the whole would give."""
    from weasyprint.layout import initialize_page_maker

    initialize_page_maker(context, root_box)
    if not first:
        forced = _first_break(root_box)
        if forced is None:
            raise _Unsplittable()
        resume_at, next_page, right_page, page_state, remake_state = context.page_maker[0]
        # Start at the part's first content, as the whole does after the break: <html>,
        # <body> and <main> go on from the page before (no start decorations), and
        # a blank verso before it leaves it to the next page.
        resume_at = _start_at(root_box)
        if offset % 2:
            right_page = not right_page
        next_page = dict(next_page, **{"break": forced})
        page_state[1]["page"] = [offset]
        page_state[2][0].add("page")
        context.page_maker[0] = (resume_at, next_page, right_page, page_state, remake_state)
    return paginate.collect(context, paginate.rounds(html, root_box, context, [], max_loops))


@dataclass
class _Laid:
    """One part laid out: its page boxes and layout context (for its margin boxes),
    its Document (metadata, fonts), and the pages for the page count `total`."""
    document: object
    context: object
    boxes: list
    warnings: list
    #: the named strings and running elements set on its first page that is not
    #: blank, and on any of its pages
    strings_first: frozenset = frozenset()
    strings: frozenset = frozenset()
    #: the pages with their margin boxes, for each page count and paragraph base
    #: asked (an earlier part with a paragraph more moves this part's base: the
    #: hyphen-ladder pass counts paragraphs across the whole document)
    pages: dict = field(default_factory=dict)
    anchors: dict = field(default_factory=dict)
    #: the image files it read (paginate.image_files): one replaced, it is laid out again
    images: dict = field(default_factory=dict)
    #: what laying it out again after an edit needs (repage.py): its HTML, and
    #: WeasyPrint's HTML and box tree of it (the context is above)
    html_text: str = ""
    html: object = None
    root_box: object = None

    def finish(self, total: int, p_base: int) -> list:
        if (total, p_base) not in self.pages:
            pages = self.pages[(total, p_base)] = paginate.margins(self.context, self.boxes,
                                                                   total)
            for page in pages:
                page._briefgen_p_base = p_base
        return self.pages[(total, p_base)]


def _lay_out(renderer, part: Part, offset: int, external: dict[str, int]) -> _Laid:
    held = {}

    def layout_document(html_, root_box, context, max_loops=8):
        held.update(context=context, html=html_, root_box=root_box)
        held["boxes"] = _paginate(html_, root_box, context, offset, part.first, max_loops)
        return held["boxes"]

    warnings = renderer.fetcher.warnings
    before = len(warnings)
    _install()
    _active.offset, _active.external = offset, external
    try:
        document = renderer.render(part.html, layout_document)
    finally:
        _active.offset, _active.external = 0, None
    laid = _Laid(document, held["context"], held["boxes"], list(warnings[before:]),
                 html_text=part.html, html=held["html"], root_box=held["root_box"])
    return _described(laid, document.pages, offset)


def _described(laid: _Laid, pages, offset: int) -> _Laid:
    """`laid` with what the other parts read of it: its images, named strings, and
    where its anchors are (`pages`: weasyprint Pages of its page boxes)."""
    laid.images = paginate.image_files(laid.context)
    laid.strings_first, laid.strings = _named(laid.context, laid.boxes)
    for number, page in enumerate(pages, offset + 1):  # as pdf.page_anchors()
        for anchor in page.anchors:
            laid.anchors.setdefault(anchor, number)
    return laid


def _lay_out_again(renderer, kept: _Kept, part: Part, offset: int,
                   external: dict[str, int]) -> _Laid | None:
    """The part laid out again from an earlier version of it kept at the same offset
    with the same outside page numbers, whose HTML differs in text only: the pages
    the edit touched made again (repage.py). The earlier version is used up (its
    layout becomes this one's); None when there is none, or the edit is not one
    repage follows."""
    from weasyprint.document import Page

    from . import repage

    parts = repage.tokens(part.html)
    # The same tags: an edit of the text. (The makeup passes' variants of a part,
    # whose tags differ in their marks, are kept side by side, not made one from
    # the other: each build asks for all of them.)
    outside = tuple(sorted(external.items()))
    for old_key, earlier in reversed(kept.parts.items()):
        if (old_key[1:] == (offset, outside) and earlier.root_box is not None
                and earlier.html_text != part.html and paginate.files_unchanged(earlier.images)):
            earlier_parts = repage.tokens(earlier.html_text)
            if earlier_parts[1::2] == parts[1::2]:
                break
    else:
        return None
    del kept.parts[old_key]
    whole = repage.Whole(earlier.html_text, earlier_parts, earlier.html,
                         earlier.root_box, earlier.context, earlier.boxes, [],
                         earlier.document, earlier.warnings)
    whole.snapshot()  # (the page states, strings and running elements it had)

    def again():
        repage.text_edits(whole.tokens, parts)
        changed = repage.patched(whole, renderer.parse(part.html),
                                 restyle=not repage.selects_restyling(renderer))
        return repage.repaginate(whole, changed)

    _install()
    _active.offset, _active.external = offset, external
    try:
        boxes = repage.or_whole(whole, again)
    finally:
        _active.offset, _active.external = 0, None
    if boxes is None:
        return None
    renderer.warn_again(earlier.warnings)
    laid = _Laid(earlier.document, earlier.context, boxes, earlier.warnings,
                 html_text=part.html, html=earlier.html, root_box=earlier.root_box)
    # the pages with margin boxes it had, for the page counts it was asked: kept
    # where nothing they show changed (the paint memo replays those)
    for (total, p_base), pages in earlier.pages.items():
        laid.pages[(total, p_base)] = again = repage.margins_again(
            earlier.context, boxes, total, earlier.boxes, pages, whole.states,
            whole.strings, whole.running)
        for page in again:
            page._briefgen_p_base = p_base
    return _described(laid, [Page(box) for box in boxes], offset)


def _named(context, boxes) -> tuple[frozenset, frozenset]:
    """(the names of the strings and running elements set on the part's first page
    that is not blank, those set on any of its pages)."""
    first = next((number for number, box in enumerate(boxes, 1)
                  if not box.page_type.blank), None)
    on_first, anywhere = set(), set()
    for kind, store in (("string", context.string_set), ("running", context.running_elements)):
        for name, pages in list(store.items()):
            numbers = {number for number, values in pages.items() if values}
            if numbers:
                anywhere.add((kind, name))
            if first in numbers:
                on_first.add((kind, name))
    return frozenset(on_first), frozenset(anywhere)


# ---------------------------------------------------------------- the cache

class _Kept:
    """A renderer's fonts and stylesheets, and the parts it laid out."""

    def __init__(self, fonts, stylesheets):
        self.fonts, self.stylesheets = fonts, stylesheets
        self.parts: OrderedDict = OrderedDict()
        #: anchor → page number in the last document laid out: the first guess of
        #: the next (a one-word change seldom moves them)
        self.numbers: dict[str, int] = {}
        #: documents laid out whole, by their tags (repage.py)
        self.wholes: OrderedDict = OrderedDict()


_KEPT: OrderedDict = OrderedDict()


def clear() -> None:
    """Forget every kept part and renderer (the next build is a cold one)."""
    _KEPT.clear()


def let_go_of_wholes(but=None) -> None:
    """Forget the documents laid out whole (not the renderers, nor a pack's parts),
    but those in the store `but`; their memory is freed at once (repage.Whole.release)."""
    for kept in _KEPT.values():
        if kept.wholes is not but:
            for whole in kept.wholes.values():
                whole.release()
            kept.wholes.clear()


def renderer_key(layout, options, roots, css_text: str) -> tuple:
    files = []
    for css in layout.stylesheets:
        try:
            stat = Path(css).stat()
            files.append((str(css), stat.st_mtime_ns, stat.st_size))
        except OSError:
            files.append((str(css), None, None))
    fonts = []
    for folder in layout.folders:
        fonts_dir = Path(folder) / "fonts"
        if fonts_dir.is_dir():
            fonts += [(str(p), p.stat().st_mtime_ns) for p in sorted(fonts_dir.iterdir())]
    return (css_text, tuple(files), tuple(fonts), tuple(str(r) for r in roots),
            bool(options.allow_remote))


def kept_fonts(key: tuple):
    """(fonts, stylesheets) kept for this key, or None."""
    if not ENABLED or key not in _KEPT:
        return None
    _KEPT.move_to_end(key)
    kept = _KEPT[key]
    return kept.fonts, kept.stylesheets


def keep(key: tuple, fonts, stylesheets) -> None:
    if not ENABLED:
        return
    _KEPT[key] = _Kept(fonts, stylesheets)
    _KEPT.move_to_end(key)
    while len(_KEPT) > RENDERERS_KEPT:
        _KEPT.popitem(last=False)


def counters_used(texts: list) -> bool:
    """Whether a layout's CSS (its page CSS, its stylesheets' texts; None for one
    unread) sets a counter of its own."""
    return any(_own_counters(text) for text in texts if text is not None)


def render(renderer, html_text: str):
    """The pages of `html_text`: its parts laid out (or kept) and combined, or the
    whole laid out at once when it does not split."""
    head = html_text[:html_text.find("<body>")]
    splittable = ENABLED and not getattr(renderer, "counters", True) \
        and not _own_counters(head)
    parts = split(html_text) if splittable else None
    kept = _KEPT.get(getattr(renderer, "key", None)) if ENABLED else None
    if kept is None or kept.fonts is not renderer.fonts:
        return renderer.render(html_text)
    if parts is not None:
        try:
            return _render_parts(renderer, kept, parts)
        except _Unsplittable:
            pass
    # laid out whole, kept, and after an edit of its text laid out again from the
    # pages the edit touched (repage.py)
    from . import KEEP_LAYOUTS, repage

    if not KEEP_LAYOUTS:  # one build: the layouts of another renderer (the fitted
        let_go_of_wholes(but=kept.wholes)  # tokens) are not worth their memory
    return repage.render(renderer, kept.wholes, html_text)


#: how many times the front is laid out again for the others' page numbers
MAX_ROUNDS = 4


def _render_parts(renderer, kept: _Kept, parts: list[Part]):
    numbers = kept.numbers
    # an anchor no part holds stays undefined, as in the whole document
    held = frozenset().union(*(part.ids for part in parts))
    for _ in range(MAX_ROUNDS):
        offset, found, laid_parts, used = 0, {}, [], []
        for part in parts:
            external = {a: found.get(a, numbers.get(a, 0)) for a in part.external if a in held}
            key = (part.html, offset, tuple(sorted(external.items())))
            laid = kept.parts.get(key)
            if laid is not None and not paginate.files_unchanged(laid.images):
                laid = None  # an image replaced under its name: its size may differ
            if laid is None:
                laid = (_lay_out_again(renderer, kept, part, offset, external)
                        or _lay_out(renderer, part, offset, external))
                kept.parts[key] = laid
            else:
                kept.parts.move_to_end(key)
                renderer.warn_again(laid.warnings)
            while len(kept.parts) > max(PARTS_KEPT, 4 * len(parts)):
                kept.parts.popitem(last=False)
            for anchor, number in laid.anchors.items():
                found.setdefault(anchor, number)
            laid_parts.append(laid)
            used.append(external)
            offset += len(laid.boxes)
        if all(found.get(a, 0) == n for external in used for a, n in external.items()):
            break
        numbers = found
    else:  # the page numbers did not settle: no parts laid out with the final ones
        raise _Unsplittable()
    kept.numbers = found
    # A running head or element set in an earlier part and not set again where a
    # part begins would, in the whole, go on there: lay the document out whole.
    earlier: set = set()
    for part, laid in zip(parts, laid_parts):
        if not part.first and not earlier <= laid.strings_first:
            raise _Unsplittable()
        earlier |= laid.strings
    total = offset
    pages = [page for part, laid in zip(parts, laid_parts)
             for page in laid.finish(total, part.p_base)]
    return laid_parts[0].document.copy(pages)
