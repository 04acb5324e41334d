"""WeasyPrint 70's `layout_document`, in the halves that laying out again needs.

`layout_document` paginates (`make_all_pages`, in rounds until the page-based
counters settle), collects the bookmark labels and named strings, then gives
each page its margin boxes, in place. Here the same steps are apart:

- `whole` / `rounds`: the pagination rounds, over pages kept from an earlier
  layout (only those the page maker marks are made again) or none (all made);
- `collect`: the labels and named strings, over all pages;
- `margins` / `page_margins`: the margin boxes, on copies of the page boxes, so
  that a page laid out once can be given margin boxes again (another page count)
  while the pages already written keep theirs.

chapters.py lays a pack's parts out with them, repage.py an issue and lays it
out again; both only under WeasyPrint 70 (chapters.supported), whose code this
follows line for line.
"""
from __future__ import annotations

import functools
import os
from urllib.parse import unquote, urlsplit


def whole(html, root_box, context, max_loops=8) -> list:
    """The pages of a document laid out whole, before their margin boxes."""
    from weasyprint.layout import initialize_page_maker

    initialize_page_maker(context, root_box)
    return collect(context, rounds(html, root_box, context, [], max_loops))


def rounds(html, root_box, context, pages: list, max_loops=8) -> list:
    """WeasyPrint 70's pagination rounds: the pages made again where their
    page_maker entries say so (all of them when `pages` is empty)."""
    from weasyprint.layout import make_all_pages
    from weasyprint.logger import PROGRESS_LOGGER

    original_footnotes = []
    actual_total_pages = len(pages)
    for loop in range(max_loops):
        if loop > 0:
            PROGRESS_LOGGER.info("Step 5 - Creating layout - Repagination #%d", loop)
            context.footnotes = original_footnotes.copy()
        initial_total_pages = actual_total_pages
        if loop == 0:
            original_footnotes = context.footnotes.copy()
        pages = list(make_all_pages(context, root_box, html, pages))
        actual_total_pages = len(pages)
        reloop_content = False
        reloop_pages = False
        for page_data in context.page_maker:
            _, _, _, page_state, remake_state = page_data
            page_counter_values = page_state[1]
            page_counter_values["pages"] = [actual_total_pages]
            if remake_state["content_changed"]:
                reloop_content = True
            if remake_state["pages_wanted"]:
                reloop_pages = initial_total_pages != actual_total_pages
        if not reloop_content and not reloop_pages:
            break
    return pages


def collect(context, pages: list) -> list:
    """WeasyPrint 70's layout_document after the pagination rounds, before the
    margin boxes: bookmark labels (once per element) and the named strings."""
    watch_elements, watch_elements_before, watch_elements_after = [], [], []
    for i, page in enumerate(pages):
        _, _, _, page_state, _ = context.page_maker[i + 1]
        page_counter_values = page_state[1]
        for child in page.descendants():
            if child.bookmark_label:
                if child.element_tag.endswith("::before"):
                    checklist = watch_elements_before
                elif child.element_tag.endswith("::after"):
                    checklist = watch_elements_after
                else:
                    checklist = watch_elements
                if child.element in checklist:
                    child.bookmark_label = ""
                else:
                    checklist.append(child.element)
            if child.missing_link:
                for (box, css_token), item in (
                        context.target_collector.counter_lookup_items.items()):
                    if child.missing_link == box and css_token != "content":
                        if css_token == "bookmark-label" and not child.bookmark_label:
                            continue
                        item.parse_again(page_counter_values)
                        if css_token == "bookmark-label":
                            child.bookmark_label = box.bookmark_label
            string_sets = child.string_set
            if string_sets and string_sets != "none":
                for string_name, text in string_sets:
                    context.string_set[string_name][i + 1].append(text)
    for page in pages:  # what margins starts from, each time
        page._briefgen_areas = page.children
        page._briefgen_root_children = list(page.children[0].children)
    return pages


def margins(context, pages, total: int):
    """WeasyPrint 70's layout_document from the margin boxes on, `counter(pages)`
    being `total`: the pages (weasyprint.document.Page) with their margin boxes."""
    return [page_margins(context, pages, i, total) for i in range(len(pages))]


def page_margins(context, pages, i: int, total: int):
    """`margins` for the page at index i alone."""
    from weasyprint.document import Page
    from weasyprint.layout import layout_fixed_boxes, make_margin_boxes
    from weasyprint.layout.background import layout_backgrounds

    laid_out = pages[i]
    # Copies of the page and root boxes: the pages made for another page count
    # (another document sharing this part) keep their own margin boxes.
    page = laid_out.copy()
    root, footnote_area, note_area = laid_out._briefgen_areas
    root = root.copy()
    root_children = []
    root_children.extend(layout_fixed_boxes(context, pages[:i], page))
    root_children.extend(laid_out._briefgen_root_children)
    root_children.extend(layout_fixed_boxes(context, pages[i + 1:], page))
    root.children = root_children
    context.current_page = i + 1
    state = context.page_maker[context.current_page][3]
    state[1]["pages"] = [total]
    children = [root]
    if footnote_area.children:
        children.append(footnote_area)
    if note_area.children:
        children.append(note_area)
    children.extend(make_margin_boxes(context, page, state))
    page.children = tuple(children)
    layout_backgrounds(page, context.get_image_from_uri)
    return Page(page)


def image_files(context) -> dict:
    """The local image files a layout read (the image cache of its context, by URL):
    path → (modification time, size). A kept layout whose images were replaced under
    their names holds their old sizes: it is laid out again (files_unchanged)."""
    get, cache = context.get_image_from_uri, None
    while isinstance(get, functools.partial):
        cache = get.keywords.get("cache", cache)
        get = get.func
    return {path: _stamp(path) for path in
            (unquote(urlsplit(url).path) for url in (cache or ())
             if isinstance(url, str) and url.startswith("file:"))}


def files_unchanged(files: dict | None) -> bool:
    return all(_stamp(path) == stamp for path, stamp in (files or {}).items())


def _stamp(path: str):
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size
