"""Warm rebuilds of a document laid out whole (an issue): after an edit of its
text, laid out again from the pages the edit touched (briefgen/render/repage.py),
it has the bytes of a cold build."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from briefgen.pipeline.build import build
from briefgen.render import chapters, repage

from .conftest import ROOT, edit

sys.path.insert(0, str(ROOT / "bench"))
from scale import make_issue  # noqa: E402


#: the preflight's findings and the warnings of each build, in order
FOUND: list = []


def pdf_bytes(source, out, **options) -> bytes:
    result = build(source, formats=("pdf",), output_dir=out, **options)
    FOUND.append((result.findings, result.warnings))
    return result.outputs[f"{result.document.slug}.pdf"].read_bytes()


@pytest.fixture
def content(tmp_path):
    folder = tmp_path / "content"
    shutil.copytree(ROOT / "content", folder, ignore=shutil.ignore_patterns("output"))
    return folder


@pytest.fixture
def relaid(monkeypatch):
    """The pages each incremental layout marked as touched by the edit."""
    touched = []
    original = repage._touched

    def counting(boxes, elements):
        found = original(boxes, elements)
        touched.append(found)
        return found

    monkeypatch.setattr(repage, "_touched", counting)
    return touched


PLAIN = """
import json, sys
from briefgen.pipeline.build import build
result = build(sys.argv[1], formats=("pdf",), output_dir=sys.argv[2], **json.loads(sys.argv[3]))
print(result.outputs[result.document.slug + ".pdf"])
"""


def plain_bytes(source, out, **options) -> bytes:
    """The PDF WeasyPrint lays out on its own, nothing kept or laid out again (a
    process with BRIEFGEN_SPLIT=off): a cold build lays the makeup passes' variants
    out again from the first layout, so warm = cold alone would not test that."""
    env = dict(os.environ, BRIEFGEN_SPLIT="off", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", PLAIN, str(source), str(out),
                           json.dumps(options)], env=env, capture_output=True, text=True,
                          check=True)
    return open(done.stdout.strip().splitlines()[-1], "rb").read()


def warm_and_cold(source, path, old, new, out, **options) -> tuple[bytes, bytes, bytes]:
    """(the PDF before the edit, warm after it, cold after it); the warm build's
    preflight findings and warnings are the cold one's (the preflight keeps its
    walk of a kept page: preflight._Run._collected)."""
    chapters.clear()
    before = pdf_bytes(source, out / "before", **options)
    edit(path, old, new)
    warm = pdf_bytes(source, out / "warm", **options)
    chapters.clear()
    cold = pdf_bytes(source, out / "cold", **options)
    assert FOUND[-2] == FOUND[-1]
    return before, warm, cold


NILE = {
    # a word of a contribution's text (in its pull quote too: the ==…== mark)
    "word": ("issue.md", "every cubic metre\nheld upstream", "every single cubic metre\nheld upstream"),
    # a word of a headline: the cover's list, the contents and the bookmarks show it
    "headline": ("issue.md", "Europe should fund the data", "Europe should fund the river data"),
    # the lede's text
    "lede": ("issue.md", "is the largest hydroelectric", "is by far the largest hydroelectric"),
    # a contributor's bio, on the contributors' page
    "bio": ("contributors.yaml", "She previously advised", "She formerly advised"),
    # a contributor's role: the cover's list (placed at the page's foot), the
    # piece's attribution and the bio
    "role": ("contributors.yaml", "Energy Economist", "Energy Market Economist"),
    # a number too long for the column: it runs into the margin (a preflight
    # finding, the same warm and cold)
    "findings": ("issue.md", "than from any speech about sovereignty.",
                 "than from any speech about sovereignty, " + "1234567890" * 12 + "."),
    # much more text: the pages after it move, and the contents' numbers with them
    "longer": ("issue.md", "start negotiating one on its operation.",
               "start negotiating one on its operation. " + "More words here. " * 150),
}


@pytest.mark.parametrize("layout,change", [("policy-brief", name) for name in NILE]
                         + [("conference", "word"), ("memo", "headline")])
def test_an_edited_issue_laid_out_again_is_the_cold_build(content, tmp_path, relaid,
                                                          layout, change):
    issue = content / "nile-dispute"
    path, old, new = NILE[change]
    before, warm, cold = warm_and_cold(issue, issue / path, old, new, tmp_path, layout=layout)
    assert warm != before
    assert warm == cold == plain_bytes(issue, tmp_path / "plain", layout=layout)
    assert relaid, "the warm build was not laid out again from the kept pages"
    if change == "findings":
        assert FOUND[-1][0], "the edit was meant to leave the preflight something to find"
    if change in ("word", "bio"):  # its page or two, and the one before, of six
        assert all(1 <= len(pages) <= 3 for pages in relaid)


def test_a_right_to_left_issue(content, tmp_path, relaid):
    issue = content / "arabic-brief"
    before, warm, cold = warm_and_cold(issue, issue / "issue.md", "بالتوازي مع المحطات",
                                       "بالتوازي التام مع المحطات", tmp_path)
    assert warm != before and warm == cold and relaid


def test_a_long_issue_makes_a_page_or_two_again(tmp_path, relaid):
    """Twenty contributions (about fifteen pages): an edit in the middle makes its
    page again, not the pages before or after it; back and forth, each warm build
    is the cold build (one direction sets a paragraph without hyphens: the makeup
    pass's attribute restyles the kept paragraph)."""
    issue = make_issue(tmp_path / "issue-20", 20)
    text = (issue / "issue.md").read_text(encoding="utf-8")
    at = text.find("removed", len(text) // 2)
    assert at > 0
    chapters.clear()
    pdf_bytes(issue, tmp_path / "first")
    for round_, (old, new) in enumerate((("removed", "taken"), ("taken", "removed"))):
        (issue / "issue.md").write_text(text[:at] + new + text[at + len("removed"):]
                                        if new != "removed" else text, encoding="utf-8")
        relaid.clear()
        warm = pdf_bytes(issue, tmp_path / f"warm-{round_}")
        chapters.clear()
        cold = pdf_bytes(issue, tmp_path / f"cold-{round_}")
        assert warm == cold
        assert relaid and all(len(pages) <= 3 for pages in relaid)
        pdf_bytes(issue, tmp_path / f"kept-{round_}")  # the next round starts warm


def test_a_new_paragraph_lays_the_issue_out_whole(content, tmp_path, relaid):
    """A change of the HTML's tags (a paragraph more) is no text edit: laid out
    whole, and the kept layout is left as it was for the next."""
    issue = content / "nile-dispute"
    before, warm, cold = warm_and_cold(issue, issue / "issue.md", "reservoir levels than from",
                                       "reservoir levels.\n\nThan from", tmp_path)
    assert not relaid
    assert warm != before and warm == cold


def test_text_edits_are_page_text_in_the_body():
    page = '<html><head><title>T</title><style>p{}</style></head><body><p>one</p><p>two</p></body></html>'
    old = repage.tokens(page)
    assert repage.text_edits(old, repage.tokens(page.replace("two", "three"))) != []
    assert repage.text_edits(old, old) == []
    for changed in (page.replace("<title>T", "<title>U"),   # the head
                    page.replace("p{}", "p{color:red}"),      # CSS
                    page.replace("two", ""),                  # emptied (:empty)
                    page.replace("<p>two", "<p class=x>two")):  # a tag
        with pytest.raises(repage.NotIncremental):
            new = repage.tokens(changed)
            if repage.signature(new) != repage.signature(old):
                raise repage.NotIncremental()
            repage.text_edits(old, new)
    # the makeup passes' attribute is no change of the tags
    marked = repage.tokens(page.replace("<p>two", "<p data-no-ladder>two"))
    assert repage.signature(marked) == repage.signature(old)


def test_briefgen_build_lets_the_kept_layout_go_before_writing(tmp_path):
    """`briefgen build` builds once: the layout kept for a next build is let go
    before the PDF is written (its memory then is WeasyPrint's own), and a caller
    in the same process keeps layouts again afterwards."""
    from briefgen import render
    from briefgen.render import pdf_tags

    from .conftest import run_cli

    seen = []
    original = pdf_tags.prepare

    def prepare(rendered):  # the first thing of a write, after the layouts are let go
        seen.append(sum(len(kept.wholes) for kept in chapters._KEPT.values()))
        return original(rendered)

    chapters.clear()
    pdf_tags.prepare = prepare
    try:
        result = run_cli("build", str(ROOT / "content" / "nile-dispute"), "-o",
                         str(tmp_path / "out"), "--format", "pdf")
        assert result.exit_code == 0, result.output
        assert seen == [0]
        assert render.KEEP_LAYOUTS
        pdf_bytes(ROOT / "content" / "nile-dispute", tmp_path / "library")
        assert seen[-1] >= 1  # kept (the library's build, as the preview's)
    finally:
        pdf_tags.prepare = original


def test_a_failure_while_laying_out_again_lays_the_document_out_whole(content, tmp_path,
                                                                       monkeypatch):
    """A case the incremental layout does not follow, failing in it, costs a whole
    layout, not the build (tests set BRIEFGEN_REPAGE_STRICT to see such failures)."""
    def broken(kept, changed):
        raise RuntimeError("not followed")

    monkeypatch.delenv("BRIEFGEN_REPAGE_STRICT")
    monkeypatch.setattr(repage, "_relayout", broken)
    issue = content / "nile-dispute"
    path, old, new = NILE["word"]
    before, warm, cold = warm_and_cold(issue, issue / path, old, new, tmp_path)
    assert warm != before and warm == cold
    monkeypatch.setenv("BRIEFGEN_REPAGE_STRICT", "1")
    edit(issue / path, new, old)
    with pytest.raises(RuntimeError):
        pdf_bytes(issue, tmp_path / "strict")


def test_two_edits_in_one_save_after_a_balanced_layout(content, tmp_path, relaid):
    """A save that changes a page's text and the length of a bio far after it, the
    kept layout being the balanced variant (a bio moved to the next page): every
    touched page's page before is made again, and the pages are WeasyPrint's own."""
    issue = content / "nile-dispute"
    more = "More words here, and more again, so that the text runs on. " * 12
    steps = [
        [("issue.md", "start negotiating one on its operation.",
          "start negotiating one on its operation. " + more.strip()),
         ("issue.md", "Sudan sits closest", "Sudan sits very closest"),
         ("issue.md", "Every\nmegawatt sold", "Every\nsingle megawatt sold")],
        [("issue.md", "Sudan stands in between", "Sudan stands right in between"),
         ("contributors.yaml", "demand in Egypt and North Africa.",
          "demand in Egypt and North Africa. " + "He also writes on the politics of "
          "water, energy and food across the wider region. " * 6)],
    ]
    chapters.clear()
    pdf_bytes(issue, tmp_path / "first")
    for number, step in enumerate(steps):
        for name, old, new in step:
            edit(issue / name, old, new)
        warm = pdf_bytes(issue, tmp_path / f"warm-{number}")
        assert warm == plain_bytes(issue, tmp_path / f"plain-{number}"), f"step {number}"
    assert relaid


@pytest.mark.parametrize("sample", ["nile-dispute", "board-pack"])
def test_an_image_replaced_under_its_name_is_laid_out_again(content, tmp_path, sample):
    """A photo replaced by one of another shape, under the same name: the kept
    layout (which holds the old one's size) is not used."""
    from PIL import Image

    source = content / sample
    photo = next((content / "nile-dispute" / "images").glob("*.jpg"))
    chapters.clear()
    before = pdf_bytes(source, tmp_path / "before")
    Image.new("RGB", (600, 150), (40, 90, 160)).save(photo)
    warm = pdf_bytes(source, tmp_path / "warm")
    chapters.clear()
    cold = pdf_bytes(source, tmp_path / "cold")
    assert warm != before and warm == cold
