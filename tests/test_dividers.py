"""Chapter divider pages in packs (issue 14): before each chapter of a pack, a page
that says what the chapter is — "Chapter 2" (in the chapter's language), its title,
series and date, its pieces and their authors — without running head or folio.

A layout decision made once: `dividers` in layout.toml's [docx] table (on in
policy-brief and conference, off in memo), with the divider's sizes as design
tokens (test_tokens.py reads them in both writers). The contents and the bookmarks
point to the divider page; the DOCX has the same page (bench/parity.py,
tests/test_parity.py); an issue alone has none.
"""
from __future__ import annotations

import shutil

import docx
import pdfplumber
import pypdf
import pytest
from docx.oxml.ns import qn

from briefgen.content.pack_folder import load_pack
from briefgen.errors import LayoutError
from briefgen.layouts import find_layout, load_layout
from briefgen.outline import build_outline, for_layout
from briefgen.render import RenderOptions
from briefgen.render.pdf import build_html

from .conftest import ROOT, SAMPLE, run_cli
from .test_build_pdf import flat, pdf_pages_text

PACK = ROOT / "content" / "board-pack"
NILE = "The Nile in Dispute: Egypt, Ethiopia and the Renaissance Dam"
SUN = "Sun for Export: Solar Power across North Africa"
NILE_HEADLINES = ("Without shared rules, the first drought will decide the relationship",
                  "Cairo’s water problem is bigger than the dam")


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """layout → (PDF, DOCX) of the sample pack."""
    out = tmp_path_factory.mktemp("dividers")
    built = {}
    for layout in ("policy-brief", "conference", "memo"):
        result = run_cli("build", PACK, "--layout", layout, "-o", out / layout)
        assert result.exit_code == 0, result.output
        built[layout] = (out / layout / "board-pack.pdf", out / layout / "board-pack.docx")
    return built


def _bookmarks(path) -> dict[str, int]:
    """Bookmark title → 1-based page, flattened."""
    reader = pypdf.PdfReader(str(path))
    found = {}

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                found.setdefault(item.title, reader.get_destination_page_number(item) + 1)
    walk(reader.outline)
    return found


# ---------------------------------------------------------------- the outline and the layout

def test_the_outline_gives_each_chapter_of_a_pack_its_divider():
    pack = load_pack(PACK).pack
    outline = build_outline(pack, dividers=True)
    first, second = (chapter.divider for chapter in outline.chapters)
    assert (first.number, first.label, second.label) == (1, "Chapter 1", "Chapter 2")
    assert first.line == "Mediterranean Brief · Issue 42 · 20 November 2026"
    assert first.heading == "In this chapter"
    assert [item.headline for item in first.items][0] == NILE_HEADLINES[0]
    assert second.items[-1].names == ("Sofia Marchetti", "Amira Haddad")  # co-authors
    # the contents point to the chapter (its divider carries the chapter's id)
    assert [e.label for e in outline.contents if e.kind == "chapter"] == [NILE, SUN]
    assert all(chapter.divider is None for chapter in build_outline(pack).chapters)


def test_the_layout_decides_and_an_issue_never_has_one():
    from briefgen.content.issue_folder import load_issue

    pack = build_outline(load_pack(PACK).pack)
    issue = build_outline(load_issue(SAMPLE).issue)
    brief, conference, memo = (find_layout(n) for n in ("policy-brief", "conference", "memo"))
    assert brief.docx_options["dividers"] and conference.docx_options["dividers"]
    assert memo.docx_options["dividers"] is False
    assert for_layout(pack, brief).chapters[0].divider is not None
    assert for_layout(pack, conference).dividers
    assert not for_layout(pack, memo).dividers  # (its links as notes, memo's way)
    assert for_layout(pack, memo).chapters[0].divider is None
    assert not for_layout(issue, brief).dividers
    assert for_layout(issue, brief).chapters[0].divider is None


def test_a_layout_of_its_own_has_none_and_a_bad_value_names_its_line(tmp_path):
    folder = tmp_path / "house"
    folder.mkdir()
    (folder / "layout.toml").write_text('extends = "policy-brief"\n\n[docx]\ndividers = false\n',
                                        encoding="utf-8")
    assert load_layout(folder).docx_options["dividers"] is False
    (folder / "layout.toml").write_text('extends = "policy-brief"\n\n[docx]\ndividers = "yes"\n',
                                        encoding="utf-8")
    with pytest.raises(LayoutError) as error:
        load_layout(folder)
    assert "dividers must be one of false, true" in str(error.value)
    assert ":4" in str(error.value)  # layout.toml, line 4


def test_a_layout_of_its_own_written_before_dividers_still_loads(tmp_path):
    """A root layout (no `extends`) without the divider tokens or setting: no dividers,
    and the tokens' defaults (set, the layout's own values win)."""
    import re

    source = find_layout("policy-brief")
    text = (source.path / "layout.toml").read_text(encoding="utf-8")
    folder = tmp_path / "root"
    shutil.copytree(source.path, folder)
    older = re.sub(r"(?m)^(size_divider_\w+|space_divider|rule_divider|dividers) = .*\n", "",
                   text)
    assert "divider" not in older.split("[docx]")[0].replace("annex divider", "")
    (folder / "layout.toml").write_text(older, encoding="utf-8")
    layout = load_layout(folder)
    assert layout.docx_options["dividers"] is False
    assert (layout.style["size_divider_title"], layout.style["space_divider"]) == (30, 70)
    (folder / "layout.toml").write_text(older.replace("[style]", "[style]\nspace_divider = 50"),
                                        encoding="utf-8")
    assert load_layout(folder).style["space_divider"] == 50


def test_layouts_new_keeps_the_setting(tmp_path):
    copy = tmp_path / "house-brief"
    assert run_cli("layouts", "new", "house-brief", "--from", "policy-brief",
                   "-o", copy).exit_code == 0
    assert "dividers = true" in (copy / "layout.toml").read_text(encoding="utf-8")
    assert find_layout(str(copy)).docx_options["dividers"] is True


def test_the_divider_is_in_the_chapters_language_arabic_included(tmp_path):
    """An Arabic chapter's divider says الفصل, in the chapter's direction."""
    content = tmp_path / "content"
    for name in ("arabic-brief", "nile-dispute"):
        shutil.copytree(ROOT / "content" / name, content / name)
    (content / "pack").mkdir()
    (content / "pack" / "pack.yaml").write_text(
        "title: Two briefs\ndate: 2026-11-27\nlang: en\n"
        "issues:\n  - ../arabic-brief\n  - ../nile-dispute\n", encoding="utf-8")
    pack = load_pack(content / "pack").pack
    layout = find_layout("policy-brief")
    outline = for_layout(build_outline(pack), layout)
    arabic, english = (chapter.divider for chapter in outline.chapters)
    assert arabic.label == "الفصل 1" and arabic.heading == "في هذا الفصل"
    assert english.label == "Chapter 2"
    html = build_html(pack, layout, RenderOptions(), outline=outline)
    section = html.split('class="chapter"')[1]
    assert 'lang="ar" dir="rtl"' in section.split(">")[0]
    assert "الفصل 1" in section
    result = run_cli("build", content / "pack", "-f", "docx", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    word = docx.Document(str(tmp_path / "out" / "pack.docx"))
    numbers = [p for p in word.paragraphs if p.style.name == "Divider Number"]
    assert [p.text for p in numbers] == ["الفصل 1", "Chapter 2"]
    # the Arabic chapter's paragraphs are marked right to left
    assert numbers[0]._p.pPr.find(qn("w:bidi")) is not None


# ---------------------------------------------------------------- the PDF

@pytest.mark.parametrize("layout", ["policy-brief", "conference"])
def test_each_chapter_opens_with_its_divider_page(builds, layout):
    pdf, _ = builds[layout]
    pages = pdf_pages_text(pdf)
    marks = _bookmarks(pdf)
    for number, title in ((1, NILE), (2, SUN)):
        page = marks[title]  # the bookmark (and the contents) go to the divider page
        text = flat(pages[page - 1])
        assert text.startswith(f"CHAPTER {number}"), text[:80]
        assert title.replace(": ", ":") in text.replace(": ", ":")
        assert "IN THIS CHAPTER" in text
        # no running head, no folio
        assert "Water and Energy in the Mediterranean" not in text
        assert f"Page {page} of" not in text
        # the chapter's text starts on the next page, its running head naming it
        following = flat(pages[page])
        assert following.startswith("Water and Energy in the Mediterranean")
        assert (NILE if number == 1 else SUN).split(":")[0] in following.split("\n")[0][:200]
    first = flat(pages[marks[NILE] - 1])
    for headline in NILE_HEADLINES:
        assert headline in first
    assert "Amira Haddad" in first and "Mediterranean Brief · Issue 42" in first


@pytest.mark.parametrize("layout", ["policy-brief", "conference"])
def test_the_contents_give_the_divider_page(builds, layout):
    pdf, _ = builds[layout]
    pages = pdf_pages_text(pdf)
    marks = _bookmarks(pdf)
    contents = next(flat(p) for p in pages if "Contents" in p)
    for title in (NILE, SUN):
        entry = contents.split(title, 1)[1].split("\n")[0] if "\n" in contents else \
            contents.split(title, 1)[1]
        assert entry.lstrip(". ").split(" ")[0] == str(marks[title]), entry[:40]


def test_a_memo_pack_has_no_divider(builds):
    pdf, word_path = builds["memo"]
    text = flat(" ".join(pdf_pages_text(pdf)))
    assert "In this chapter" not in text and "IN THIS CHAPTER" not in text
    assert "CHAPTER 1" not in text
    word = docx.Document(str(word_path))
    assert not [p for p in word.paragraphs if p.style.name.startswith("Divider")]
    assert NILE in [p.text for p in word.paragraphs if p.style.name == "Heading 1"]


def test_a_divider_page_is_exempt_from_the_page_fill_check(tmp_path):
    """A chapter of a lede alone, its divider's number at the type area's top (a house
    layout's space_divider = 0): the divider page holds a few lines, well under the
    page-fill threshold, and is not a finding."""
    from briefgen.preflight import FILL_MIN, check_path

    house = tmp_path / "house"
    house.mkdir()
    (house / "layout.toml").write_text('extends = "policy-brief"\n[style]\nspace_divider = 0\n',
                                       encoding="utf-8")

    content = tmp_path / "content"
    (content / "short").mkdir(parents=True)
    (content / "short" / "issue.md").write_text(
        "---\ntitle: A short chapter\ndate: 2026-11-27\nlang: en\n---\n\n"
        "One paragraph of lede.\n", encoding="utf-8")
    shutil.copytree(ROOT / "content" / "nile-dispute", content / "nile-dispute")
    (content / "pack").mkdir()
    (content / "pack" / "pack.yaml").write_text(
        "title: Short\ndate: 2026-11-27\nlang: en\nissues:\n  - ../short\n  - ../nile-dispute\n",
        encoding="utf-8")
    findings, pages = check_path(content / "pack", layout=str(house))
    result = run_cli("build", content / "pack", "--layout", house, "-f", "pdf",
                     "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    divider = _bookmarks(tmp_path / "out" / "pack.pdf")["A short chapter"]
    with pdfplumber.open(tmp_path / "out" / "pack.pdf") as pdf:
        page = pdf.pages[divider - 1]
        assert "CHAPTER 1" in page.extract_text()
        lowest = max(word["bottom"] for word in page.extract_words())
        top, bottom = 24 / 25.4 * 72, page.height - 22 / 25.4 * 72  # the type area
        assert (lowest - top) / (bottom - top) < FILL_MIN  # under-filled, as designed
    assert not [f for f in findings if f.check == "page-fill" and f.page == divider]


# ---------------------------------------------------------------- the DOCX

def _section_of(paragraph):
    """The w:sectPr that ends the section holding `paragraph`."""
    node = paragraph._p
    while node is not None:
        ppr = node.find(qn("w:pPr"))
        if ppr is not None and ppr.find(qn("w:sectPr")) is not None:
            return ppr.find(qn("w:sectPr"))
        node = node.getnext()
    return None


@pytest.mark.parametrize("layout", ["policy-brief", "conference"])
def test_the_docx_has_the_divider_page_in_named_styles(builds, layout):
    pdf, word_path = builds[layout]
    word = docx.Document(str(word_path))
    paragraphs = word.paragraphs
    marks = _bookmarks(pdf)
    titles = [p for p in paragraphs if p.style.name == "Divider Title"]
    assert [p.text for p in titles] == [NILE, SUN]
    for title in titles:
        before = title._p.getprevious()
        assert before is not None
        # the number above it, on a new page: a section break ends the paragraph before
        number = next(p for p in paragraphs if p._p is before)
        assert number.style.name == "Divider Number" and number.text.startswith("Chapter ")
        assert _section_of(next(p for p in paragraphs if p._p is number._p.getprevious())) \
            is not None
        # the chapter's bookmark is on the title: the contents' PAGEREF finds it
        names = [b.get(qn("w:name")) for b in title._p.iter(qn("w:bookmarkStart"))]
        assert any(n.startswith("_Toc_issue_") for n in names), names
        # no direct formatting: the look is the named style's
        assert title._p.pPr.find(qn("w:rPr")) is None
        assert all(run._r.rPr is None for run in title.runs)
    # the divider's section has an empty running head and footer
    section = _section_of(titles[0])
    header_ids = [ref.get(qn("r:id")) for ref in section.findall(qn("w:headerReference"))]
    assert header_ids
    for rid in header_ids:
        part = word.part.related_parts[rid]
        assert "".join(part.element.itertext()).strip() == ""
    # the contents' cached page numbers are the PDF's divider pages
    cached = _toc_numbers(word)
    assert cached[NILE] == marks[NILE] and cached[SUN] == marks[SUN]
    # what the divider lists
    lines = [p.text for p in paragraphs if p.style.name in ("Divider Headline", "Divider Names")]
    assert lines[:2] == [NILE_HEADLINES[0], "Amira Haddad"]


def _toc_numbers(word) -> dict[str, int]:
    found = {}
    for paragraph in word.paragraphs:
        if paragraph.style.name not in ("TOC 1", "TOC 2"):
            continue
        # the entry's text, a tab (w:tab) and the PAGEREF's cached number
        text = "".join(t.text for t in paragraph._p.iter(qn("w:t")))
        label = text.rstrip("0123456789")
        if label != text:
            found[label.strip()] = int(text[len(label):])
    return found


def test_an_import_leaves_the_divider_out(builds, tmp_path):
    """The divider is made from the issues: a DOCX import never reads it back as text."""
    _, word_path = builds["policy-brief"]
    result = run_cli("import", word_path, "-o", tmp_path / "imported")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "imported" / "issue.md").read_text(encoding="utf-8")
    assert "Chapter 1" not in text and "In this chapter" not in text
    assert "Divider" not in result.output
    assert NILE_HEADLINES[0] in text  # the pieces themselves do come back
