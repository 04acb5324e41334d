"""The DOCX an editor revises: named styles, no direct formatting, real sections."""
from __future__ import annotations

import subprocess

import docx
import pytest
from docx.oxml.ns import qn

from briefgen.render import docx as docx_writer

from .conftest import need_tool, run_cli, soffice_to_pdf
from .test_build_pdf import flat, sample_contributors, sample_headlines


@pytest.fixture(scope="module")
def document(sample_build):
    return docx.Document(str(sample_build[1]))


def paragraphs_in(document, style):
    """Paragraphs in `style`, in reading order, with those of tables (the bios)."""
    from docx.text.paragraph import Paragraph

    body = document.element.body
    found = [Paragraph(p, document._body) for child in body.iterchildren()
             for p in ([child] if child.tag == qn("w:p") else child.iter(qn("w:p"))
                       if child.tag == qn("w:tbl") else [])]
    return [p for p in found if p.style.name == style]


def test_named_styles_carry_the_structure(document):
    assert [p.text for p in paragraphs_in(document, "Title")] == [
        "The Nile in Dispute: Egypt, Ethiopia and the Renaissance Dam"]
    assert [p.text for p in paragraphs_in(document, "Heading 1")] == [
        "Overview", "Experts react", "Contributors"]
    # the back page's heading: a Heading 1 (by its base) without the rule, as the PDF's
    back = paragraphs_in(document, docx_writer.STYLE_BACK_HEADING)
    assert [p.text for p in back] == ["Stay informed"]
    assert back[0].style.base_style.name == "Heading 1"
    assert [p.text for p in paragraphs_in(document, "Heading 2")] == sample_headlines()
    assert len(paragraphs_in(document, docx_writer.STYLE_PULL_QUOTE)) == 5
    attributions = [p.text for p in paragraphs_in(document, docx_writer.STYLE_ATTRIBUTION)]
    assert "— Tesfaye Bekele, Energy Economist, Horn of Africa Policy Centre" in attributions
    assert len(attributions) == 5
    names = [p.text for p in paragraphs_in(document, docx_writer.STYLE_BIO_NAME)]
    assert names == [c["name"] for c in sample_contributors().values()]
    assert len(paragraphs_in(document, docx_writer.STYLE_BIO)) == 5
    assert paragraphs_in(document, "Subtitle")[0].text.startswith("The dam is built")


def test_custom_styles_are_real_styles_an_editor_can_reuse(document):
    styles = {s.name: s for s in document.styles}
    for name in (docx_writer.STYLE_PULL_QUOTE, docx_writer.STYLE_ATTRIBUTION,
                 docx_writer.STYLE_BIO, docx_writer.STYLE_LEDE):
        assert name in styles
        assert styles[name].quick_style  # shown in Word's style gallery
    pull = styles[docx_writer.STYLE_PULL_QUOTE]
    # a quote, not a second headline: italic text type, below the 13 pt headlines
    assert pull.font.size.pt == 12 and pull.font.italic and not pull.font.bold
    assert styles["Normal"].font.name == "Noto Serif"
    assert styles["Heading 1"].font.name == "Noto Sans"


def test_no_direct_run_formatting(document):
    """Bold, italic, size and font come from styles, never from the runs."""
    for paragraph in document.paragraphs:
        for run in paragraph.runs:
            font = run.font
            assert font.bold is None and font.italic is None, (paragraph.text, run.text)
            assert font.size is None and font.name is None and font.color.rgb is None
    emphasised = [r for p in document.paragraphs for r in p.runs if r.style.name == "Emphasis"]
    assert any(r.text == "whether" for r in emphasised)
    strong = [r for p in document.paragraphs for r in p.runs if r.style.name == "Strong"]
    assert any("dam irrelevant" in r.text for r in strong)


def test_cover_section_has_no_header_and_body_has_page_fields(document):
    cover, body, back = document.sections
    assert cover.header.is_linked_to_previous and cover.footer.is_linked_to_previous
    # The back page is a cover too: its own empty header and footer.
    assert not back.header.is_linked_to_previous and not back.footer.is_linked_to_previous
    assert not back.header.paragraphs[0].text and not back.footer.paragraphs[0].text
    assert not body.header.is_linked_to_previous
    assert "Mediterranean Brief" in body.header.paragraphs[0].text
    instructions = " ".join(node.text for node in body.footer._element.iter(qn("w:instrText")))
    assert "PAGE" in instructions and "NUMPAGES" in instructions
    assert round(cover.page_width.mm) == 210 and round(cover.page_height.mm) == 297


def test_contents_is_a_filled_toc_field(document):
    body = document.element.body
    instructions = [n.text for n in body.iter(qn("w:instrText"))]
    assert any(i.strip().startswith("TOC") for i in instructions)
    entries = [p.text for p in document.paragraphs if p.style.name in ("TOC 1", "TOC 2")]
    assert any(e.startswith("Overview") for e in entries)
    assert any(sample_headlines()[0] in e for e in entries)
    # page numbers are pre-filled from the PDF laid out in the same build
    assert all(e.rstrip()[-1].isdigit() for e in entries if e.strip())


def test_core_properties_and_photos_with_alt_text(document):
    props = document.core_properties
    assert props.title.startswith("The Nile in Dispute")
    assert "Amira Haddad" in props.author
    assert props.language == "en"
    assert "drought" in props.subject
    pictures = list(document.element.body.iter(
        "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"))
    photos = [p for p in pictures if p.get("name") != "Initials (decorative)"]
    assert [p.get("descr") for p in photos] == ["Portrait of Amira Haddad", "Omar el-Tayeb"]
    # The three contributors without a photo get an initials circle, decorative.
    circles = [p for p in pictures if p.get("name") == "Initials (decorative)"]
    assert len(circles) == 3 and all(p.get("descr") == "" for p in circles)


def test_libreoffice_opens_the_docx(sample_build, tmp_path):
    converted = soffice_to_pdf(sample_build[1], tmp_path)
    text = subprocess.run([need_tool("pdftotext"), str(converted), "-"], capture_output=True,
                          text=True, check=True).stdout
    text = flat(text)
    for headline in sample_headlines():
        assert headline in text
    assert "Karim Naguib" in text and "Page 2 of" in text


def test_docx_only_build_writes_no_pdf(tmp_path):
    from .conftest import SAMPLE

    result = run_cli("build", SAMPLE, "-o", tmp_path, "--format", "docx")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nile-dispute.docx"]


def test_each_numbered_list_starts_at_one(tmp_path):
    folder = tmp_path / "lists"
    folder.mkdir()
    (folder / "issue.md").write_text(
        "---\ntitle: Lists\ndate: 2026-01-01\ncontributors:\n  a-b:\n    name: A B\n---\n\n"
        "1. first\n2. second\n\nBetween.\n\n1. again one\n2. again two\n\n"
        "## Head\n\nby: a-b\n\nText.\n", encoding="utf-8")
    assert run_cli("build", folder, "-o", tmp_path / "out", "-f", "docx").exit_code == 0
    document = docx.Document(str(tmp_path / "out" / "lists.docx"))
    items = [p for p in document.paragraphs if p.style.name == "List Number"]
    ids = [p._p.pPr.numPr.numId.val for p in items]
    assert [p.text for p in items] == ["first", "second", "again one", "again two"]
    assert ids[0] == ids[1] != ids[2] == ids[3]
    numbering = document.part.numbering_part.element
    for num_id in (ids[0], ids[2]):
        start = numbering.num_having_numId(num_id).find(qn("w:lvlOverride")).find(qn("w:startOverride"))
        assert start.get(qn("w:val")) == "1"
