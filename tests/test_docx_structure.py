"""The DOCX behaves like a file Word wrote: its style gallery, its properties, its
fields and keeps; and it has the PDF's structure when LibreOffice lays it out."""
from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from briefgen.content.issue_folder import load_issue
from briefgen.content.pack_folder import load_pack
from briefgen.layouts import find_layout
from briefgen.render import RenderOptions
from briefgen.render import docx as docx_writer

from .conftest import ROOT, need_tool, soffice_to_pdf

EPOCH = 1763596800


def write_docx(sample: str, layout: str, out: Path, *, recipient=None) -> Path:
    folder = ROOT / "content" / sample
    if (folder / "pack.yaml").exists():
        document = load_pack(folder).pack
    else:
        document = load_issue(folder).issue
    if recipient is not None:
        from dataclasses import replace

        document = replace(document, recipient=recipient)
    target = out / f"{sample}-{layout}.docx"
    docx_writer.write(document, find_layout(layout), target,
                      RenderOptions(source_date_epoch=EPOCH, warnings=[]))
    return target


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("docx-structure")
    return {name: write_docx(name, layout, out) for name, layout in
            (("nile-dispute", "policy-brief"), ("board-pack", "policy-brief"),
             ("arabic-brief", "policy-brief"))}


def part(path: Path, name: str) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(name).decode("utf-8")


def styles_of(path: Path) -> list[dict]:
    xml = part(path, "word/styles.xml")
    found = []
    for match in re.finditer(r"<w:style [^>]*>.*?</w:style>", xml, re.S):
        block = match.group(0)
        found.append({"id": re.search(r'w:styleId="([^"]*)"', block).group(1),
                      "name": re.search(r'<w:name w:val="([^"]*)"', block).group(1),
                      "type": re.search(r'w:type="(\w+)"', block).group(1),
                      "gallery": "<w:qFormat" in block,
                      "hidden": "<w:semiHidden" in block and "<w:unhideWhenUsed" in block,
                      "xml": block})
    return found


def gallery(path: Path) -> set[str]:
    return {s["name"] for s in styles_of(path) if s["gallery"]}


# ---------------------------------------------------------------- Word behaviours

def test_quick_style_gallery_offers_the_styles_of_this_issue(built):
    issue = gallery(built["nile-dispute"])
    assert {"Title", "heading 1", "heading 2", "Body Text", "Lede", "Pull Quote",
            "Attribution", "Bio", "Strong"} <= issue
    # Pack-only styles and machinery (contents lines, header, footer) are not offered.
    assert not issue & {"Agenda Item", "Agenda Time", "Prepared For", "Bio Pages", "toc 1",
                        "header", "footer", "Hyperlink", "Intense Quote", "No Spacing"}
    by_name = {s["name"]: s for s in styles_of(built["nile-dispute"])}
    for name in ("Agenda Item", "Prepared For"):
        assert name not in by_name or by_name[name]["hidden"], name


def test_quick_style_gallery_of_a_pack_offers_its_agenda(built):
    pack = gallery(built["board-pack"])
    assert {"Title", "heading 1", "Agenda Item", "Agenda Time", "Bio Pages"} <= pack
    assert "Call to Action" not in pack  # a pack has no back page


def test_no_template_bloat(built):
    """python-docx's template brings 195 styles, 100 of them table styles, 137
    latent-style exceptions and a second copy of the styles (stylesWithEffects)."""
    styles = styles_of(built["nile-dispute"])
    # briefgen's own (about 85, pack-only ones hidden in an issue) and what they need
    assert len(styles) < 95
    # (the agenda's own table style defined, hidden until a pack's agenda uses it)
    assert {s["name"] for s in styles if s["type"] == "table"} == {"Normal Table",
                                                                   "Agenda Table"}
    assert "<w:lsdException" not in part(built["nile-dispute"], "word/styles.xml")
    with zipfile.ZipFile(built["nile-dispute"]) as z:
        assert "word/stylesWithEffects.xml" not in z.namelist()
    # Every style a paragraph or run names is still defined.
    ids = {s["id"] for s in styles}
    document = part(built["nile-dispute"], "word/document.xml")
    assert set(re.findall(r'<w:[pr]Style w:val="([^"]*)"', document)) <= ids


def test_word_does_not_ask_to_update_fields(built):
    for path in built.values():
        assert "updateFields" not in part(path, "word/settings.xml")


def test_justified_text_is_hyphenated(built):
    settings = part(built["nile-dispute"], "word/settings.xml")
    assert re.search(r'<w:autoHyphenation( w:val="(true|1)")?/>', settings)
    body = next(s for s in styles_of(built["nile-dispute"]) if s["name"] == "Body Text")
    assert '<w:jc w:val="both"/>' in body["xml"]
    # …and only what the PDF hyphenates: not headings, pull quotes, cover lines
    styles = {s["name"]: s["xml"] for s in styles_of(built["nile-dispute"])}
    assert "suppressAutoHyphens" not in styles["Body Text"]
    for name in ("Title", "heading 1", "heading 2", "Pull Quote", "Attribution", "Subtitle",
                 "Cover Series", "Bio Affiliation"):
        assert "<w:suppressAutoHyphens/>" in styles[name], name


def test_app_properties_name_briefgen_and_count_the_text(built):
    path = built["nile-dispute"]
    app = part(path, "docProps/app.xml")
    value = {name: re.search(rf"<{name}>([^<]*)</{name}>", app).group(1)
             for name in ("Application", "AppVersion", "Pages", "Words", "Characters")}
    assert value["Application"] == "briefgen"
    assert re.fullmatch(r"\d\d\.\d{4}", value["AppVersion"])  # the form Word requires
    assert int(value["Pages"]) > 1
    body = docx.Document(str(path)).element.body  # with the paragraphs of tables (bios)
    words = sum(len("".join(t.text or "" for t in p.iter(qn("w:t"))).split())
                for p in body.iter(qn("w:p")))
    assert abs(int(value["Words"]) - words) <= words * 0.05
    assert int(value["Characters"]) > 5 * words


def test_keeps_are_in_the_styles_not_on_body_paragraphs(built):
    for path in built.values():
        document = docx.Document(str(path))
        for paragraph in document.paragraphs:
            ppr = paragraph._p.pPr
            if paragraph.style.name.startswith("Body Text") and ppr is not None:
                assert ppr.find(qn("w:keepNext")) is None, paragraph.text[:40]
    document = docx.Document(str(built["nile-dispute"]))
    last = document.styles["Body Text Last"]
    assert last.base_style.name == "Body Text" and last.paragraph_format.keep_with_next
    # The paragraph before each credit line is kept with it by its style.
    paragraphs = document.paragraphs
    before = [paragraphs[i - 1] for i, p in enumerate(paragraphs) if p.style.name == "Attribution"]
    index = {p._p: i for i, p in enumerate(paragraphs)}
    for p in before:
        if p.style.name in ("Body Text", "Body Text Continued"):
            # Not after the headline's or pull quote's keep chain, which LibreOffice
            # would move whole, paragraph and all, to the next page.
            assert paragraphs[index[p._p] - 1].style.name in ("Pull Quote", "Heading 2")
        else:
            assert p.style.name in ("Body Text Last", "Pull Quote", "List Bullet",
                                    "List Number", "Quote"), p.style.name
        if paragraphs[index[p._p] - 1].style.name in ("Body Text", "Body Text Last"):
            assert p.style.name == "Body Text Last"


def test_a_chapter_opens_as_in_the_pdf(tmp_path):
    """A pack's chapter without a divider page, in the PDF's order: the small kicker
    above the title (a Heading 1, which the running head finds), the chapter's own
    standfirst, then the lede in body text; not the cover's issue line, rule and lede
    size. (With dividers, tests/test_dividers.py.)"""
    from dataclasses import replace

    layout = find_layout("policy-brief")
    layout = replace(layout, docx_options={**layout.docx_options, "dividers": False})
    target = tmp_path / "board-pack.docx"
    docx_writer.write(load_pack(ROOT / "content" / "board-pack").pack, layout, target,
                      RenderOptions(source_date_epoch=EPOCH, warnings=[]))
    document = docx.Document(str(target))
    paragraphs = document.paragraphs
    kickers = [i for i, p in enumerate(paragraphs) if p.style.name == "Chapter Kicker"]
    assert len(kickers) == 2
    for i in kickers:
        kicker, title, standfirst, lede = paragraphs[i:i + 4]
        assert "Issue" in kicker.text or "·" in kicker.text, kicker.text
        assert title.style.name == "Heading 1"
        assert title.runs[0].font.size.pt == 20  # size_chapter_title, not Heading 1's 17
        assert title.paragraph_format.space_before.pt == 0
        assert standfirst.style.name == "Chapter Standfirst"
        assert lede.style.name == "Body Text"
    styles = document.styles
    assert styles["Chapter Kicker"].font.size.pt == 8.5
    assert styles["Chapter Kicker"].paragraph_format.keep_with_next
    assert styles["Chapter Standfirst"].font.size.pt == 12
    assert styles["Chapter Standfirst"].font.italic
    assert "Cover Issue Line" not in {p.style.name for p in paragraphs[kickers[0]:]}


def test_an_english_contents_entry_of_an_arabic_issue_lines_up_with_the_others(built):
    """An Arabic issue's contents list an English headline: its entry keeps the
    document's direction (title at the right, page at the left, as the PDF's), where
    an English paragraph of text would take its own (dir="auto")."""
    document = docx.Document(str(built["arabic-brief"]))
    entries = [p for p in document.paragraphs if p.style.name.startswith("TOC")]
    english = [p for p in entries if p.text.startswith("Local jobs")]
    assert english and len(entries) > len(english)
    for paragraph in entries:
        bidi = paragraph._p.pPr.find(qn("w:bidi"))
        assert bidi is None or bidi.get(qn("w:val")) in (None, "1", "true"), paragraph.text
    # English text elsewhere still runs left to right: the piece's heading itself
    heading = next(p for p in document.paragraphs
                   if p.style.name == "Heading 2" and p.text.startswith("Local jobs"))
    assert heading._p.pPr.find(qn("w:bidi")).get(qn("w:val")) == "0"
