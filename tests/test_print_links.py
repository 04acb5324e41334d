"""Links that survive paper (issue 15): external links printed as numbered notes.

In a printed layout (memo, conference: `links = "notes"`) or with
RenderOptions.print_links (`--print-links`) in any other, each external link
gets a small superscript number after its words, and the piece (the lede, a bio)
ends with a "Links" list giving each number its URL: in the PDF and in the DOCX,
from the one numbering the outline makes. policy-brief prints links inline, as
before. A DOCX with notes imports back to the same model: the numbers and lists
are made from the links, not read as text.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
from pathlib import Path

import docx
import pdfplumber
import pytest

from briefgen import render
from briefgen.content.issue_folder import load_issue
from briefgen.errors import LayoutError
from briefgen.layouts import find_layout, load_layout
from briefgen.model import Contribution, Contributor, Issue, ListBlock, Paragraph, Quote, Span
from briefgen.outline import (LinkNote, NotedSpan, build_outline, wants_link_notes,
                              with_link_notes)
from briefgen.render import RenderOptions
from briefgen.render.docx.names import CHAR_LINK_NUMBER, STYLE_LINK_NOTE, STYLE_LINK_NOTES_HEADING

from .conftest import ROOT, need_tool, run_cli
from .test_build_pdf import flat, pdf_pages_text
from .test_import import differences

DECLARATION = "https://www.sis.gov.eg/Story/86888/Declaration-of-Principles-on-the-Grand-Ethiopian-Renaissance-Dam?lang=en-us"
WORLD_BANK = "https://www.worldbank.org/en/topic/water/publication/high-and-dry-climate-change-water-and-the-economy"
NILE_BASIN = "https://nilebasin.org/about"
POWER_TRADE = "https://entro.nilebasin.org/power-trade"
PAPER = "https://example.org/papers/haddad-2026"
EDITORS = "mailto:editors@example.org"

ISSUE_MD = f"""---
publisher: Institute for Testing
series: Link Brief
issue: 7
date: 2026-11-20
title: Links that survive paper
standfirst: Every source a printed reader can find.
lang: en
---

The lede cites the [Nile Basin Initiative]({NILE_BASIN}) and a plain address,
<https://example.org/plain>, which prints as it is.

## Shared data before shared rules

by: amira-haddad

The basin's states agreed in 2015 to share data, as the [Declaration of Principles]({DECLARATION}) says. Nothing since has made that promise real. The dam fills each summer, and downstream planners guess. A drought year would test every assumption the three capitals have made. The [World Bank's water report]({WORLD_BANK}) shows what such a year costs. Again, the [declaration]({DECLARATION}) is the place to start. Write to [the editors]({EDITORS}) with corrections.

## A second view

by: tesfaye-bekele

Electricity sold across borders is a reason to keep the river predictable, says the [Eastern Nile Power Trade study]({POWER_TRADE}). Every megawatt counts.
"""

CONTRIBUTORS_YAML = f"""amira-haddad:
  name: Amira Haddad
  role: Senior Fellow
  organisation: Institute for Testing
  bio: Writes on water. Her latest paper is on the [institute's site]({PAPER}).
tesfaye-bekele:
  name: Tesfaye Bekele
  role: Energy Economist
  organisation: Addis Policy Centre
  bio: Works on power trade in East Africa.
"""

#: every superscript in reading order: (the last letter of the linked words, its number):
#: the lede, the first piece (the declaration twice: one number), the second, a bio
SUPERSCRIPTS = [("e", "1"), ("s", "1"), ("t", "2"), ("n", "1"), ("s", "3"), ("y", "1"),
                ("e", "1")]
LISTED = [NILE_BASIN, DECLARATION, WORLD_BANK, "editors@example.org", POWER_TRADE, PAPER]


def make_linked_issue(folder: Path) -> Path:
    """An issue with external links in its lede, two pieces and a bio."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "issue.md").write_text(ISSUE_MD, encoding="utf-8")
    (folder / "contributors.yaml").write_text(CONTRIBUTORS_YAML, encoding="utf-8")
    return folder


def write_both(folder: Path, layout_name: str, out: Path, print_links: bool = False):
    """The PDF and the DOCX of the issue, written through the writers' API."""
    issue = load_issue(folder).issue
    layout = find_layout(layout_name)
    options = RenderOptions(print_links=print_links, warnings=[])
    outline = build_outline(issue)
    out.mkdir(parents=True, exist_ok=True)
    pdf, word = out / f"{layout_name}.pdf", out / f"{layout_name}.docx"
    facts = render.get("pdf")().write(outline, layout, pdf, options, {})
    render.get("docx")().write(outline, layout, word, options, facts)
    assert options.warnings == []
    return pdf, word


@pytest.fixture(scope="module")
def linked(tmp_path_factory):
    return make_linked_issue(tmp_path_factory.mktemp("linked") / "linked")


@pytest.fixture(scope="module")
def builds(linked, tmp_path_factory):
    out = tmp_path_factory.mktemp("linked-out")
    return {"memo": write_both(linked, "memo", out / "memo"),
            "print": write_both(linked, "policy-brief", out / "print", print_links=True),
            "inline": write_both(linked, "policy-brief", out / "inline")}


# ---------------------------------------------------------------- the outline

def _issue(*contributions, lede=(), people=()) -> Issue:
    return Issue(title="T", date=dt.date(2026, 1, 1), slug="t", series="S", lede=lede,
                 contributions=contributions, contributors=people)


def _piece(*spans, lang=None, by=()) -> Contribution:
    return Contribution(headline="H", contributors=by, body=(Paragraph(tuple(spans)),),
                        lang=lang)


def test_the_outline_numbers_each_piece_from_one_and_a_url_once():
    first = _piece(Span("See "), Span("one", link="https://a.org/x"), Span(" and "),
                   Span("two", link="https://b.org"), Span(", "), Span("one again",
                                                                      link="https://a.org/x"))
    second = _piece(Span("Also "), Span("b", link="https://b.org"), Span("."))
    outline = build_outline(_issue(first, second), link_notes=True)
    one, two = outline.pieces
    assert one.links.label == "Links"
    assert one.links.notes == (LinkNote(1, "one", "https://a.org/x"),
                               LinkNote(2, "two", "https://b.org"))
    assert [getattr(s, "note", 0) for s in one.after[0].spans] == [0, 1, 0, 2, 0, 1]
    assert two.links.notes == (LinkNote(1, "b", "https://b.org"),)  # every piece from 1
    # The text itself is unchanged: the numbers are not words of the model.
    assert one.after[0].text == first.body[0].text


def test_a_link_over_several_spans_gets_one_number_after_its_last_words():
    piece = _piece(Span("The "), Span("World Bank's ", link="https://wb.org/r"),
                   Span("water", strong=True, link="https://wb.org/r"),
                   Span(" report", link="https://wb.org/r"), Span(" says so."))
    placed = build_outline(_issue(piece), link_notes=True).pieces[0]
    spans = placed.after[0].spans
    assert [type(s) for s in spans] == [Span, Span, Span, NotedSpan, Span]
    assert spans[3].note == 1 and spans[2].strong
    assert placed.links.notes == (LinkNote(1, "World Bank's water report", "https://wb.org/r"),)


def test_what_gets_a_note_mailto_yes_anchors_and_shown_addresses_no():
    piece = _piece(Span("Mail "), Span("the editors", link="mailto:ed@example.org"),
                   Span(", see "), Span("the overview", link="#overview"),
                   Span(" or "), Span("https://example.org/", link="https://example.org"),
                   Span(" or "), Span("www.example.net", link="http://www.example.net/"),
                   Span(" or "), Span("a script", link="javascript:alert(1)"))
    placed = build_outline(_issue(piece), link_notes=True).pieces[0]
    assert placed.links.notes == (LinkNote(1, "the editors", "mailto:ed@example.org"),)
    assert placed.links.notes[0].shown == "ed@example.org"
    assert [getattr(s, "note", 0) for s in placed.after[0].spans] == [0, 1] + [0] * 8


def test_links_in_lists_quotes_lede_and_bios_are_numbered_too():
    listed = Contribution(headline="H", contributors=(), body=(
        ListBlock(False, ((Paragraph((Span("a", link="https://a.org"),)),),)),
        Quote((Paragraph((Span("b", link="https://b.org"),)),))))
    person = Contributor("p", "P", bio=(Paragraph((Span("c", link="https://c.org"),)),))
    outline = build_outline(_issue(listed, lede=(Paragraph((Span("d", link="https://d.org"),)),),
                                   people=(person,)), link_notes=True)
    assert [n.url for n in outline.pieces[0].links.notes] == ["https://a.org", "https://b.org"]
    assert outline.chapters[0].lede_links.notes == (LinkNote(1, "d", "https://d.org"),)
    assert outline.chapters[0].lede[0].spans[0].note == 1
    assert outline.bio_links["p"].notes == (LinkNote(1, "c", "https://c.org"),)
    assert outline.bios["p"][0].spans[0].note == 1


def test_a_piece_in_arabic_lists_its_links_under_an_arabic_heading():
    piece = _piece(Span("انظر "), Span("التقرير", link="https://a.org"), lang="ar")
    assert build_outline(_issue(piece), link_notes=True).pieces[0].links.label == "الروابط"


def test_without_notes_the_outline_places_the_model_as_it_is(linked):
    issue = load_issue(linked).issue
    outline = build_outline(issue)
    assert not outline.link_notes and outline.bio_links == {}
    assert outline.chapters[0].lede == issue.lede and outline.chapters[0].lede_links is None
    assert all(p.links is None for p in outline.pieces)
    assert outline.bios == {p.id: p.bio for p in issue.contributors}
    assert not any(isinstance(s, NotedSpan) for p in outline.pieces
                   for b in p.before + p.after for s in getattr(b, "spans", ()))
    # The ids and the contents are the same with notes (PDF anchors, DOCX bookmarks).
    noted = build_outline(issue, link_notes=True)
    assert noted.contents == outline.contents and noted.ids == outline.ids


# ---------------------------------------------------------------- the option

def test_printed_layouts_print_links_as_notes_and_print_links_forces_them():
    assert wants_link_notes(find_layout("memo")) and wants_link_notes(find_layout("conference"))
    brief = find_layout("policy-brief")
    assert brief.docx_options["links"] == "inline" and not wants_link_notes(brief)
    assert not wants_link_notes(brief, RenderOptions())
    assert wants_link_notes(brief, RenderOptions(print_links=True))
    outline = build_outline(_issue(_piece(Span("x", link="https://x.org"))))
    assert with_link_notes(outline, brief, RenderOptions()) is outline
    assert with_link_notes(outline, brief, RenderOptions(print_links=True)).link_notes


def _layout(folder: Path, text: str) -> Path:
    folder.mkdir()
    (folder / "layout.toml").write_text(text, encoding="utf-8")
    return folder


def test_the_layout_option_is_inherited_and_checked(tmp_path):
    child = load_layout(_layout(tmp_path / "handout", 'name = "handout"\nextends = "memo"\n'))
    assert child.docx_options["links"] == "notes"
    back = load_layout(_layout(tmp_path / "screen", 'name = "screen"\nextends = "memo"\n'
                                                    '[docx]\nlinks = "inline"\n'))
    assert back.docx_options["links"] == "inline"
    with pytest.raises(LayoutError, match="links must be one of 'inline', 'notes'"):
        load_layout(_layout(tmp_path / "bad", 'name = "bad"\nextends = "memo"\n'
                                              '[docx]\nlinks = "footnotes"\n'))


# ---------------------------------------------------------------- the PDF

def superscripts(path: Path) -> list[tuple[str, str]]:
    """(the character before, the digit) for each digit set smaller than the text it
    follows on its line, and raised above that text's baseline: in reading order."""
    found = []
    with pdfplumber.open(path) as pdf:
        for number, page in enumerate(pdf.pages):
            chars = page.chars
            for char in chars:
                if not char["text"].isdigit():
                    continue
                # the character just before it on its line, drawn larger
                before = [c for c in chars if c["size"] > char["size"] / 0.8
                          and c["top"] <= char["bottom"] <= c["bottom"]
                          and -0.5 <= char["x0"] - c["x1"] <= 3]
                if before and char["bottom"] < before[0]["bottom"] - 0.5:
                    found.append(((number, round(char["top"]), char["x0"]),
                                  (before[0]["text"], char["text"])))
    return [pair for _, pair in sorted(found)]


@pytest.mark.parametrize("build", ["memo", "print"])
def test_the_pdf_shows_the_numbers_and_lists_the_urls(builds, build):
    pdf, _ = builds[build]
    assert superscripts(pdf) == SUPERSCRIPTS
    pages = pdf_pages_text(pdf)
    squeezed = "".join("".join(pages).split())  # a URL broken over lines, whole again
    for url in LISTED:
        assert url in squeezed, url
    text = flat(" ".join(pages))
    assert text.count("Links 1 ") == 4  # the lede, two pieces, one bio
    # The list after the piece, under its attribution; the numbers in order.
    start = text.index("— Amira Haddad")
    piece = text[start:text.index("A second view", start)]
    assert piece.index("Links 1 https://www.sis.gov.eg") < piece.index("2 https://www.worldbank") \
        < piece.index("3 editors@example.org")
    # The linked words stay links, and the list's URLs are links too.
    with pdfplumber.open(pdf) as document:
        uris = [link.get("uri") for page in document.pages for link in page.hyperlinks]
    for url in (NILE_BASIN, DECLARATION, WORLD_BANK, EDITORS, POWER_TRADE, PAPER):
        assert uris.count(url) >= 2, url  # the words, and the URL in the list


def test_policy_brief_prints_links_inline_by_default(builds):
    pdf, _ = builds["inline"]
    assert superscripts(pdf) == []
    text = flat(" ".join(pdf_pages_text(pdf)))
    assert "Links" not in text.replace("Links that survive paper", "")
    assert "worldbank" not in text and "Declaration of Principles says" in text


# ---------------------------------------------------------------- the DOCX

def _paragraphs(path: Path):
    document = docx.Document(str(path))
    body = document.element.body
    from docx.text.paragraph import Paragraph as DocxParagraph

    return [DocxParagraph(p, document.part) for p in body.iter(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}p")], document


def _style(paragraph) -> str:
    return paragraph.style.name if paragraph.style is not None else ""


@pytest.mark.parametrize("build", ["memo", "print"])
def test_the_docx_shows_the_same_numbers_and_lists(builds, build):
    _, word = builds[build]
    paragraphs, document = _paragraphs(word)
    numbers = [(p.text, r.text) for p in paragraphs for r in p.runs
               if r.style is not None and r.style.name == CHAR_LINK_NUMBER]
    assert [n for _, n in numbers] == [d for _, d in SUPERSCRIPTS]
    style = document.styles[CHAR_LINK_NUMBER]
    assert style.font.superscript and style.type == 2  # a character style
    headings = [p.text for p in paragraphs if _style(p) == STYLE_LINK_NOTES_HEADING]
    assert headings == ["Links"] * 4
    notes = [p for p in paragraphs if _style(p) == STYLE_LINK_NOTE]
    assert [p.text for p in notes] == ["1 " + NILE_BASIN, "1 " + DECLARATION, "2 " + WORLD_BANK,
                                       "3 editors@example.org", "1 " + POWER_TRADE, "1 " + PAPER]
    assert [h.address for p in notes for h in p.hyperlinks] == [
        NILE_BASIN, DECLARATION, WORLD_BANK, EDITORS, POWER_TRADE, PAPER]
    # after the piece's attribution
    styles = [_style(p) for p in paragraphs]
    attribution = styles.index("Attribution")
    assert styles[attribution + 1:attribution + 5] == [STYLE_LINK_NOTES_HEADING] + \
        [STYLE_LINK_NOTE] * 3


def test_the_inline_docx_has_no_numbers_or_lists(builds):
    paragraphs, _ = _paragraphs(builds["inline"][1])
    assert not [p for p in paragraphs if _style(p) in (STYLE_LINK_NOTE, STYLE_LINK_NOTES_HEADING)]
    assert not [r for p in paragraphs for r in p.runs
                if r.style is not None and r.style.name == CHAR_LINK_NUMBER]


def _imported(source: Path, folder: Path):
    result = run_cli("import", source, "-o", folder)
    assert result.exit_code == 0, result.output
    assert "0 warnings" in result.output
    return load_issue(folder).issue


@pytest.mark.parametrize("build", ["memo", "print"])
def test_a_docx_with_link_notes_imports_to_the_same_model(builds, linked, tmp_path, build):
    back = _imported(builds[build][1], tmp_path / "back")
    assert differences(load_issue(linked).issue, back) == []


def test_a_docx_with_link_notes_survives_libreoffice(builds, linked, tmp_path):
    soffice = need_tool("soffice")
    resaved = tmp_path / "resaved"
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(resaved),
                    str(builds["memo"][1])], check=True, capture_output=True, timeout=240)
    back = _imported(resaved / "memo.docx", tmp_path / "back")
    assert differences(load_issue(linked).issue, back) == []


def test_the_sample_pack_builds_in_the_conference_layout_with_notes_on(tmp_path):
    """The pack template draws its chapters' ledes and its bios from the outline."""
    result = run_cli("build", ROOT / "content" / "board-pack", "--layout", "conference",
                     "-o", tmp_path, "-f", "pdf")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "board-pack.pdf").is_file()


def test_the_model_is_a_dataclass_tree_the_templates_can_copy():
    """NotedSpan lives in briefgen.outline, so templates get it as plain data."""
    from briefgen.render.templating import plain

    span = NotedSpan("x", link="https://x.org", note=2)
    copied = plain(span)
    assert copied == span and copied is not span and dataclasses.is_dataclass(copied)


def test_build_print_links_on_the_command_line_and_not_from_a_cached_inline_build(linked,
                                                                                 tmp_path,
                                                                                 monkeypatch):
    """`build --print-links`: notes in the default layout; the build cache keeps the
    inline build and the noted one apart."""
    monkeypatch.setenv("BRIEFGEN_CACHE", "on")
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path / "cache"))
    for flag, out in (((), "inline"), (("--print-links",), "noted"), ((), "inline-again")):
        result = run_cli("build", linked, "-f", "pdf", "-o", tmp_path / out, *flag)
        assert result.exit_code == 0, result.output
    texts = {out: flat(" ".join(pdf_pages_text(next((tmp_path / out).glob("*.pdf")))))
             for out in ("inline", "noted", "inline-again")}
    # the noted build lists the URLs the inline one only links
    assert texts["noted"].count("https://") > texts["inline"].count("https://")
    assert texts["inline"] == texts["inline-again"]
