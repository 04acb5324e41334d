"""The paint memo (briefgen/render/paint_memo.py): pages written again are replayed,
not drawn again, and the PDF is the same bytes as WeasyPrint's own."""
from __future__ import annotations

import base64
import gc
import os
import shutil
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from briefgen.pipeline.build import build
from briefgen.render import chapters, paint_memo

from .conftest import ROOT, SAMPLE, need_tool

pytestmark = pytest.mark.skipif(not paint_memo.ENABLED, reason="the paint memo is off")

#: a 1×1 PNG, drawn as an image XObject
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082")).decode()

#: text in several fonts and sizes, links, a list, a table, an image, translucent
#: colours, right-to-left text, a running footer: what a replay must give back
PAGE = f"""
<h1>Water and power {{word}}</h1>
<p lang="en">The <b>dam</b> fills <i>slowly</i>; see <a href="#end">the end</a> or
<a href="https://example.org/">the source</a>. <span style="font-size: 7pt">Small
print.</span> <span style="color: rgba(0, 0, 0, 0.5)">Half ink.</span></p>
<p dir="rtl" lang="ar">سد النهضة على النيل الأزرق</p>
<ul><li>one</li><li>two <span style="letter-spacing: 2pt">SPACED</span></li></ul>
<table><tr><th>Year</th><th>Flow</th></tr><tr><td>2024</td><td>49 bcm</td></tr></table>
<img src="data:image/png;base64,{PNG}" alt="a dot" style="width: 20mm">
"""


def html_text(word: str = "now", pages: int = 4, extra: str = "") -> str:
    body = "".join(f'<section style="break-after: page">{PAGE.format(word=word)}{extra}'
                   f"<p>Page {n}.</p></section>" for n in range(pages))
    return f"""<html lang="en"><head><title>Memo</title><style>
        @page {{ size: A5; @bottom-center {{ content: "p. " counter(page) }} }}
        body {{ font-family: serif; }} h1 {{ font-family: sans-serif; }}
        </style></head><body>{body}<p id="end">End.</p></body></html>"""


def render(text: str, font_config=None):
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    return HTML(string=text).render(font_config=font_config or FontConfiguration(),
                                    pdf_tags=True, pdf_variant="pdf/ua-1")


def write(document, memo: bool = True, **options) -> bytes:
    """The document's PDF as briefgen writes it (tagged, PDF/UA-1, the pdf_tags hooks)."""
    from briefgen.render import pdf_tags

    paint_memo.install()
    pdf_tags.prepare(document)
    previous, paint_memo.ENABLED = paint_memo.ENABLED, memo
    try:
        return document.write_pdf(finisher=pdf_tags.Finisher(None), pdf_tags=True,
                                  pdf_variant="pdf/ua-1", pdf_identifier=b"memo", **options)
    finally:
        paint_memo.ENABLED = previous


@pytest.fixture(autouse=True)
def fresh_memo():
    paint_memo.install()
    paint_memo.forget()
    paint_memo.reset_stats()
    yield
    paint_memo.reset_stats()


def test_a_document_written_again_is_replayed_page_by_page():
    document = render(html_text())
    pages = len(document.pages)
    first = write(document)
    assert paint_memo.stats["recorded"] == pages and paint_memo.stats["drawn"] == 0
    paint_memo.reset_stats()
    second = write(document)
    assert paint_memo.stats["replayed"] == pages and paint_memo.stats["recorded"] == 0
    assert paint_memo.stats["deflate_hits"] > 0
    off = write(render(html_text()), memo=False)
    assert first == second == off


def test_a_copy_in_another_order_is_replayed():
    """A new Document (its own fonts, images, resources) whose pages come in another
    order: the fonts are created, the glyphs registered, by the replays."""
    document = render(html_text(pages=5))
    write(document)
    mixed = document.copy(document.pages[::-1])
    paint_memo.reset_stats()
    replayed = write(mixed)
    assert paint_memo.stats["replayed"] == len(mixed.pages)
    assert replayed == write(document.copy(document.pages[::-1]), memo=False)


def test_pages_of_two_renders_one_word_apart():
    """The pages of A with one page of B, as an incremental layout would give them."""
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    a = render(html_text("now"), fonts)
    b = render(html_text("later, much later"), fonts)
    write(a)
    write(b)
    pages = list(a.pages)
    pages[0] = b.pages[0]
    paint_memo.reset_stats()
    mixed = write(a.copy(pages))
    assert paint_memo.stats["replayed"] == len(pages)
    assert mixed == write(a.copy(pages), memo=False)
    assert mixed != write(a, memo=False)


def test_pages_of_renders_with_their_own_fonts():
    a, b = render(html_text("now")), render(html_text("then"))
    write(a)
    write(b)
    pages = [b.pages[0]] + list(a.pages[1:])
    paint_memo.reset_stats()
    mixed = write(a.copy(pages))
    assert paint_memo.stats["replayed"] == len(pages)
    assert mixed == write(a.copy(pages), memo=False)


@pytest.mark.parametrize("extra,reason", [
    ('<p style="opacity: 0.5">Faint</p>', "group"),
    ('<p style="background: linear-gradient(red, blue)">Shaded</p>', "pattern"),
    ('<img alt="box" src="data:image/svg+xml;utf8,<svg xmlns=\'http://www.w3.org/2000/svg\''
     ' width=\'10\' height=\'10\'><rect width=\'10\' height=\'10\'/></svg>">', "SVG"),
    ('<p style="width: 20mm; white-space: nowrap; overflow: hidden; text-overflow: ellipsis">'
     "A line much too long for its box</p>", "ellipsis"),
])
def test_what_is_not_replayed_is_drawn(extra, reason):
    """Pages the memo cannot replay are drawn by WeasyPrint, on every write, and the
    writes are the same bytes as WeasyPrint's own (an ellipsis changes its text box
    each time it is drawn: the second write differs from the first, in both)."""
    document = render(html_text(pages=2, extra=extra))
    on = [write(document), write(document)]
    assert paint_memo.stats["drawn"] == 4  # the two pages with `extra`, twice
    for page in document.pages[:2]:
        assert reason in paint_memo._memo[page._page_box]
    plain = render(html_text(pages=2, extra=extra))
    assert on == [write(plain, memo=False), write(plain, memo=False)]


def test_a_glyph_width_kept_otherwise_is_drawn(monkeypatch):
    """WeasyPrint spaces a glyph by the width its document's font first kept for it
    (at whatever size): a page is not replayed over a width other than the one it
    was recorded with. Here the font is given another width for a glyph of the
    second page only, when the first page creates it."""
    from weasyprint.pdf.stream import Stream
    from weasyprint.text.fonts import get_pango_font_key

    document = render(html_text(pages=1).replace(
        "<p id=", '<p style="break-before: page">Quixotic zebras jump.</p><p id='))
    write(document)
    first, second = (paint_memo._memo[page._page_box] for page in document.pages[:2])
    used_first = {key: widths for key, _, _, widths in first.fonts}
    key, glyph, width = next((key, glyph, width) for key, _, _, widths in second.fonts
                             for glyph, width in widths.items()
                             if glyph not in used_first.get(key, {}))
    add_font = Stream.add_font

    def other_width(self, pango_font):
        new = get_pango_font_key(pango_font)[0] not in self._fonts
        font, size = add_font(self, pango_font)
        if new and font is self._fonts.get(key):
            font.widths[glyph] = width + 40
        return font, size

    monkeypatch.setattr(Stream, "add_font", other_width)
    order = document.pages[:2]
    paint_memo.reset_stats()
    on = write(document.copy(order))
    assert paint_memo.stats["replayed"] == 1 and paint_memo.stats["drawn"] == 1
    assert on == write(document.copy(order), memo=False)
    monkeypatch.setattr(paint_memo._Recording, "fits", lambda *args: True)
    assert write(document.copy(order)) != on  # what a replay would have given


def test_a_page_box_given_other_margin_boxes_is_drawn_again():
    """A page box whose children are not those it was recorded with (other margin
    boxes, as a new page count gives) is recorded again, not replayed."""
    from weasyprint.formatting_structure import boxes

    document = render(html_text(pages=3))
    write(document)
    first, third = (page._page_box for page in document.pages[::2])
    recorded = paint_memo._memo[first]
    footer = next(i for i, child in enumerate(first.children)
                  if isinstance(child, boxes.MarginBox))
    children = list(first.children)
    children[footer] = next(child for child in third.children
                            if isinstance(child, boxes.MarginBox))
    first.children = tuple(children)  # page 1 now says "p. 3"
    paint_memo.reset_stats()
    on = write(document.copy())
    assert paint_memo.stats["recorded"] == 1
    assert on == write(document.copy(), memo=False)
    # what a replay of the first recording ("p. 1") would have drawn
    assert paint_memo._memo[first].operators != recorded.operators


def test_the_memo_does_not_keep_pages_alive():
    boxes = []
    for round_ in range(20):
        document = render(html_text(str(round_), pages=2))
        write(document)
        boxes.append(weakref.ref(document.pages[0]._page_box))
        assert document.pages[0]._page_box in paint_memo._memo
        del document
    gc.collect()
    assert all(ref() is None for ref in boxes)
    assert len(paint_memo._memo) == 0


def test_deflated_streams_are_zlibs_and_kept_within_bounds(monkeypatch):
    import zlib

    monkeypatch.setattr(paint_memo, "DEFLATED_BYTES", 40_000)
    monkeypatch.setattr(paint_memo, "DEFLATED_LARGEST", 20_000)
    datas = [bytes(range(256)) * (20 + n) + b"%d" % n for n in range(20)]
    datas.append(b"x" * 30_000)  # larger than any kept
    for data in datas + datas[-3:]:  # the last ones kept, the first dropped
        compressor = zlib.compressobj(level=9)
        assert paint_memo._deflate(data) == compressor.compress(data) + compressor.flush()
        assert paint_memo._deflated_size[0] <= 40_000
    assert paint_memo.stats["deflate_hits"] == 2
    assert datas[0] not in paint_memo._deflated and b"x" * 30_000 not in paint_memo._deflated
    assert paint_memo._deflated_size[0] == sum(len(k) + len(v)
                                               for k, v in paint_memo._deflated.items())


def test_off_leaves_weasyprint_drawing():
    document = render(html_text(pages=2))
    write(document, memo=False)
    assert paint_memo.stats["drawn"] == len(document.pages)
    assert paint_memo.stats["replayed"] == paint_memo.stats["recorded"] == 0
    assert len(paint_memo._memo) == 0


# ---------------------------------------------------------------- briefgen's builds

OFF_BUILD = """
import ast, sys
from briefgen.pipeline.build import build
options = ast.literal_eval(sys.argv[3])
result = build(sys.argv[1], formats=("pdf",), output_dir=sys.argv[2], **options)
print(result.outputs[f"{result.document.slug}.pdf"])
"""


def built(folder, out, **options) -> bytes:
    result = build(folder, formats=("pdf",), output_dir=out, **options)
    return result.outputs[f"{result.document.slug}.pdf"].read_bytes()


def built_without_memo(folder, out, **options) -> bytes:
    env = dict(os.environ, BRIEFGEN_PAINT_MEMO="off", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", OFF_BUILD, str(folder), str(out), repr(options)],
                          env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    return Path(done.stdout.strip().splitlines()[-1]).read_bytes()


@pytest.mark.parametrize("source,options", [
    ("nile-dispute", {}),
    ("nile-dispute", {"print_marks": True, "page_size": "Letter"}),
    ("arabic-brief", {}),
    ("energy-forum", {}),
    ("board-pack", {}),
    ("board-pack", {"layout": "conference"}),
])
def test_builds_are_the_bytes_written_without_the_memo(tmp_path, source, options):
    """Built twice in this process (a pack's second build replays its kept chapters'
    pages), and once in a process with the memo off: the same bytes, qpdf-clean."""
    content = tmp_path / "content"
    shutil.copytree(ROOT / "content", content, ignore=shutil.ignore_patterns("output"))
    folder = content / source
    chapters.clear()
    first = built(folder, tmp_path / "first", **options)
    assert paint_memo.stats["recorded"] > 0
    paint_memo.reset_stats()
    second = built(folder, tmp_path / "second", **options)
    if source == "board-pack":
        assert paint_memo.stats["replayed"] > 0
    off = built_without_memo(folder, tmp_path / "off", **options)
    assert first == second == off
    qpdf = need_tool("qpdf")
    path = tmp_path / "first.pdf"
    path.write_bytes(first)
    check = subprocess.run([qpdf, "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_sample_is_drawn_by_replays(tmp_path):
    """The sample issue's pages are all replayable (no groups, SVG or ellipses in
    the policy-brief layout): a fallback creeping in would cost every rebuild."""
    build(SAMPLE, formats=("pdf",), output_dir=tmp_path)
    assert paint_memo.stats["drawn"] == 0 and paint_memo.stats["recorded"] > 0


def test_editions_are_the_bytes_written_without_the_memo(tmp_path):
    """Per-recipient editions (shared pages per variant, covers and stamps written
    alone) from this process and from one with the memo off."""
    from .conftest import run_cli

    source = tmp_path / "delegates.csv"
    source.write_text("name,organisation,groups\nAda Lovelace,Engines,board\n"
                      "Bob Smith,Council,\n", encoding="utf-8")
    pack = ROOT / "content" / "board-pack"
    chapters.clear()
    result = run_cli("build", pack, "--recipients", source, "-o", tmp_path / "on",
                     "--format", "pdf", "-j", "1")
    assert result.exit_code == 0, result.output
    assert paint_memo.stats["recorded"] > 0
    env = dict(os.environ, BRIEFGEN_PAINT_MEMO="off", PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-m", "briefgen", "build", str(pack), "--recipients",
                    str(source), "-o", str(tmp_path / "off"), "--format", "pdf", "-j", "1"],
                   env=env, check=True, capture_output=True, cwd=ROOT)
    on = sorted(p.relative_to(tmp_path / "on") for p in (tmp_path / "on").rglob("*.pdf"))
    off = sorted(p.relative_to(tmp_path / "off") for p in (tmp_path / "off").rglob("*.pdf"))
    assert on == off and len(on) >= 2
    for path in on:
        assert (tmp_path / "on" / path).read_bytes() == (tmp_path / "off" / path).read_bytes()
