"""Warm rebuilds: a pack laid out chapter by chapter, the unchanged chapters kept in
the process (briefgen/render/chapters.py), gives the bytes of a cold build."""
from __future__ import annotations

import shutil

import pytest

from briefgen.pipeline.build import build
from briefgen.render import chapters

from .conftest import ROOT, edit
from .test_repage import plain_bytes


@pytest.fixture
def content(tmp_path):
    folder = tmp_path / "content"
    shutil.copytree(ROOT / "content", folder, ignore=shutil.ignore_patterns("output"))
    return folder


def pdf_bytes(source, out, **options) -> bytes:
    result = build(source, formats=("pdf",), output_dir=out, **options)
    return result.outputs[f"{result.document.slug}.pdf"].read_bytes()


@pytest.fixture
def laid_parts(monkeypatch):
    """The parts laid out, from scratch or again from an earlier version of theirs
    (not taken from those kept), as (first, offset); those laid out again are also
    in `laid_parts.again`."""
    laid = _Counted()
    original, again = chapters._lay_out, chapters._lay_out_again

    def counting(renderer, part, offset, external):
        laid.append((part.first, offset))
        return original(renderer, part, offset, external)

    def counting_again(renderer, kept, part, offset, external):
        done = again(renderer, kept, part, offset, external)
        if done is not None:
            laid.append((part.first, offset))
            laid.again.append((part.first, offset))
        return done

    monkeypatch.setattr(chapters, "_lay_out", counting)
    monkeypatch.setattr(chapters, "_lay_out_again", counting_again)
    return laid


class _Counted(list):
    def __init__(self):
        super().__init__()
        self.again = []

    def clear(self):
        super().clear()
        self.again.clear()


CHANGES = {
    # a word of text in the second chapter: that chapter alone is laid out again
    "word": ("energy-forum/issue.md", "not five years later", "not six years later"),
    # a word of a headline: the contents and the agenda show it too
    "headline": ("energy-forum/issue.md", "Grids first", "Grids come first"),
    # a long paragraph in the first chapter: its page count changes, and with it
    # the offset of all that follows and the contents' numbers
    "longer": ("nile-dispute/issue.md", "removed Khartoum from the negotiating table",
               "removed Khartoum from the negotiating table. " + "More words here. " * 120),
}


@pytest.mark.parametrize("layout,change", [("policy-brief", "word"), ("policy-brief", "headline"),
                                           ("policy-brief", "longer"), ("conference", "longer")])
def test_warm_rebuild_is_the_cold_build(content, tmp_path, laid_parts, layout, change):
    pack = content / "board-pack"
    chapters.clear()
    before = pdf_bytes(pack, tmp_path / "cold-before", layout=layout)
    laid_parts.clear()
    path, old, new = CHANGES[change]
    edit(content / path, old, new)
    warm = pdf_bytes(pack, tmp_path / "warm", layout=layout)
    relaid = list(laid_parts)
    assert warm == plain_bytes(pack, tmp_path / "plain", layout=layout)
    chapters.clear()
    cold = pdf_bytes(pack, tmp_path / "cold", layout=layout)
    assert warm != before
    assert warm == cold
    if change == "word":  # the second chapter only (offset: cover, contents, first chapter)
        assert relaid and all(not first for first, _ in relaid)
        assert len({offset for _, offset in relaid}) == 1
        # laid out again from its kept version: the pages the word touched
        assert relaid == laid_parts.again


@pytest.mark.parametrize("options", [{}, {"layout": "conference"}, {"impose": "booklet"},
                                     {"page_size": "Letter"}])
def test_split_is_the_whole_document(tmp_path, monkeypatch, options):
    """Laid out chapter by chapter or whole, the pack's PDF has the same bytes:
    folios, blank versos, contents numbers, links, bookmarks and tags."""
    pack = ROOT / "content" / "board-pack"
    chapters.clear()
    split = pdf_bytes(pack, tmp_path / "split", **options)
    monkeypatch.setattr(chapters, "ENABLED", False)
    whole = pdf_bytes(pack, tmp_path / "whole", **options)
    assert split == whole


def test_split_parts():
    html = ('<html><head></head><body>\n<section class="cover"><p>c</p></section>\n'
            '<main class="body">\n  <nav><a href="#ch-1">1</a><a href="#ch-2">2</a></nav>\n'
            '  <section class="chapter" id="ch-1"><p>a</p><p>b</p></section>\n'
            '  <section class="chapter" id="ch-2"><p>d</p><a href="#ch-1">x</a></section>\n'
            '  <section class="bios" id="contributors"><p>e</p></section>\n</main>\n</body></html>')
    parts = chapters.split(html)
    assert [p.first for p in parts] == [True, False, False, False]
    assert parts[0].external == ("ch-1", "ch-2")
    assert parts[2].external == ("ch-1",)
    assert parts[3].html.count(chapters.TAIL_SIBLING) == 1
    # each part's paragraphs counted from where its slice of the whole begins
    assert [p.p_base for p in parts] == [0, 1, 3, 4]
    assert chapters.split(html.replace('class="chapter"', 'class="other"')) is None


def test_a_document_keeps_its_page_count_when_another_shares_its_parts():
    """Two documents sharing the laid-out front and chapters, the second longer
    (its tail grew): the first one's folios still say its own page count."""
    from weasyprint.formatting_structure import boxes

    from briefgen.content.pack_folder import load_pack
    from briefgen.layouts import find_layout
    from briefgen.render import RenderOptions
    from briefgen.render.pdf import Renderer, build_html

    pack = load_pack(ROOT / "content" / "board-pack").pack
    chosen = find_layout("policy-brief")
    options = RenderOptions()
    chapters.clear()
    renderer = Renderer(pack, chosen, options)
    html = build_html(pack, chosen, options)
    longer = html.replace('<section class="bios" id="contributors">',
                          '<section class="bios" id="contributors">'
                          + "<p>More about the contributors.</p>" * 150, 1)
    assert longer != html

    def folios(document):
        found = []
        for page in document.pages:
            text = "".join(box.text for margin in page._page_box.children
                           if isinstance(margin, boxes.MarginBox)
                           for box in margin.descendants() if isinstance(box, boxes.TextBox))
            found.append(text)
        return found

    first = chapters.render(renderer, html)
    before = folios(first)
    second = chapters.render(renderer, longer)
    assert len(second.pages) > len(first.pages)
    assert folios(first) == before
    assert any(f"of {len(first.pages)}" in text for text in before)
    assert any(f"of {len(second.pages)}" in text for text in folios(second))


def test_a_layout_with_counters_of_its_own_is_laid_out_whole():
    """A CSS counter (a figure number running through the pack, footnote numbers)
    would start again in each part: such a layout's documents are not split."""
    own = chapters._own_counters
    assert own("figure { counter-increment: figure; }")
    assert own("body{counter-reset:note 0}")
    assert own("body { counter-reset: page 1 figure; }")  # a second name counts too
    assert own("a.note { float: footnote; }")  # footnotes: the implicit counter
    assert not own("@page { counter-increment: page; }")
    assert not own("@page :first { counter-reset: page 5 }")
    assert not own("p { counter-reset: none; }")
    from briefgen.layouts import find_layout
    from briefgen.render.pdf import _read_css

    for name in ("policy-brief", "conference", "memo"):
        layout = find_layout(name)
        assert layout.stylesheets
        assert not chapters.counters_used([""] + [_read_css(css) for css in layout.stylesheets])


def test_the_split_follows_one_weasyprint_release():
    """The split follows WeasyPrint 70's pagination and wraps two of its lookups:
    under another release it is off, and packs are laid out whole (as with
    BRIEFGEN_SPLIT=off, tested above)."""
    import weasyprint

    from briefgen.render import chapters

    assert chapters.supported("70.0") and chapters.supported("70.2")
    assert not chapters.supported("71.0") and not chapters.supported("66.0")
    assert chapters.ENABLED is (chapters.supported(weasyprint.__version__)
                                and chapters.os.environ.get("BRIEFGEN_SPLIT", "on") != "off")


def test_a_kept_chapter_learns_that_an_earlier_part_has_more_paragraphs():
    """A chapter kept from the last build, after a paragraph was added before it
    (its pages unchanged): its paragraphs' indexes in the whole document move on,
    which the hyphen-ladder pass reads (pdf.ladders), so the kept pages carry the
    new base, not the one they were first laid out with."""
    from briefgen.content.pack_folder import load_pack, resolve_layout_spec
    from briefgen.layouts import find_layout
    from briefgen.render import RenderOptions, pdf

    pack = load_pack(ROOT / "content" / "board-pack").pack
    chosen = find_layout(resolve_layout_spec(None, pack))
    options = RenderOptions(warnings=[])
    html = pdf.build_html(pack, chosen, options)
    first = chapters.render(pdf.Renderer(pack, chosen, options), html)
    start = html.find('<main class="body">') + len('<main class="body">')
    more = html[:start] + '<p style="display: none">x</p>' * 2 + html[start:]
    second = chapters.render(pdf.Renderer(pack, chosen, options), more)
    for document, text in ((first, html), (second, more)):
        bases = sorted({page._briefgen_p_base for page in document.pages})
        assert bases == [part.p_base for part in chapters.split(text)]


def test_target_text_of_another_chapter_lays_the_pack_out_whole():
    """A layout's target-text() pointing into another chapter (a contents entry
    repeating a heading's text) cannot be told by the chapter laid out alone: the
    pack is laid out whole, with the same pages as without the split."""
    from weasyprint import CSS

    from briefgen.content.pack_folder import load_pack, resolve_layout_spec
    from briefgen.layouts import find_layout
    from briefgen.render import RenderOptions, pdf

    pack = load_pack(ROOT / "content" / "board-pack").pack
    chosen = find_layout(resolve_layout_spec(None, pack))
    options = RenderOptions(warnings=[])
    html = pdf.build_html(pack, chosen, options)
    rule = 'a[href^="#"]::after { content: " (" target-text(attr(href url)) ")" }'
    renderer = pdf.Renderer(pack, chosen, options)
    split = chapters.render(renderer, html.replace("</head>", f"<style>{rule}</style></head>"))
    whole = renderer.render(html.replace("</head>", f"<style>{rule}</style></head>"))
    assert [p._page_box.children[0].element_tag for p in split.pages] == \
        [p._page_box.children[0].element_tag for p in whole.pages]
    assert len(split.pages) == len(whole.pages)
