"""The energy-forum sample has Markdown links (issue 14): the printed layouts (memo,
conference: links = "notes") show each as a numbered note and a "Links" list with
its URL, in the PDF and the DOCX; policy-brief keeps them as live links."""
from __future__ import annotations

import docx
import pypdf
import pytest
from docx.oxml.ns import qn

from briefgen.render.docx.names import CHAR_LINK_NUMBER, STYLE_LINK_NOTE, STYLE_LINK_NOTES_HEADING

from .conftest import ROOT, run_cli
from .test_build_pdf import flat, pdf_pages_text

SAMPLE = ROOT / "content" / "energy-forum"
#: the sample's links, in reading order: (the linked words, the URL)
LINKS = [("strongest sunlight on Earth", "https://globalsolaratlas.info"),
         ("plan transmission",
          "https://www.iea.org/reports/electricity-grids-and-secure-energy-transitions"),
         ("hydrogen", "https://www.iea.org/energy-system/low-emission-fuels/hydrogen"),
         ("water that is already scarce", "https://www.worldbank.org/en/topic/water")]


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample-links")
    built = {}
    for layout in ("memo", "policy-brief"):
        result = run_cli("build", SAMPLE, "--layout", layout, "-o", out / layout)
        assert result.exit_code == 0, result.output
        built[layout] = (out / layout / "energy-forum.pdf", out / layout / "energy-forum.docx")
    return built


def _uris(pdf) -> list[str]:
    reader = pypdf.PdfReader(str(pdf))
    return [a["/A"]["/URI"] for page in reader.pages for a in page.get("/Annots", []) or []
            if a.get_object().get("/A", {}).get("/URI")]


def test_the_memo_pdf_prints_the_notes_and_their_urls(builds):
    pdf, _ = builds["memo"]
    text = flat(" ".join(pdf_pages_text(pdf)))
    for words, url in LINKS:
        # the words, then their number: each text counts from 1 (lede, then a piece each)
        assert f"{words.split()[-1]} 1" in text or f"{words.split()[-1]}1" in text, words
        assert f"1 {url}" in text, url
    assert text.count("Links") >= len(LINKS)  # a list after the lede and each linked piece
    assert set(url for _, url in LINKS) <= set(_uris(pdf))  # and the URLs stay live


def test_the_memo_docx_has_the_numbers_and_the_links_lists(builds):
    _, path = builds["memo"]
    word = docx.Document(str(path))
    numbers = [run.text for p in word.paragraphs for run in p.runs
               if run.style is not None and run.style.name == CHAR_LINK_NUMBER]
    assert numbers == ["1"] * len(LINKS)
    headings = [p.text for p in word.paragraphs if p.style.name == STYLE_LINK_NOTES_HEADING]
    assert headings == ["Links"] * len(LINKS)
    notes = [p for p in word.paragraphs if p.style.name == STYLE_LINK_NOTE]
    assert [p.text for p in notes] == [f"1 {url}" for _, url in LINKS]
    targets = [word.part.rels[h.get(qn("r:id"))].target_ref
               for p in notes for h in p._p.iter(qn("w:hyperlink"))]
    assert targets == [url for _, url in LINKS]


def test_policy_brief_keeps_live_links_without_notes(builds):
    pdf, path = builds["policy-brief"]
    text = flat(" ".join(pdf_pages_text(pdf)))
    assert "Links" not in text and "globalsolaratlas.info" not in text
    assert "strongest sunlight on Earth." in text  # no number after the words
    assert set(url for _, url in LINKS) <= set(_uris(pdf))
    word = docx.Document(str(path))
    assert not [p for p in word.paragraphs if p.style.name == STYLE_LINK_NOTE]
