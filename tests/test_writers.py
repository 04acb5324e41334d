"""Writers are modules behind one interface: a format is one class and its
registration. A plain-text writer that lives only in this test proves it, and
the registry puts the writers that need page numbers after the one that
provides them (or has the numbers measured when no provider was requested)."""
from __future__ import annotations

import subprocess
import sys

import docx
import pytest
from docx.oxml.ns import qn

from briefgen import render
from briefgen.render.base import Writer

from .conftest import ROOT, SAMPLE, run_cli
from .test_build_pdf import outline_titles, sample_headlines


class TxtWriter(Writer):
    """The contents (label and page) then each piece: headline and paragraphs."""

    name, suffix = "txt", ".txt"
    needs = frozenset({"page_numbers"})

    def write(self, outline, layout, target, options, facts) -> dict:
        numbers = facts.get("page_numbers") or {}
        lines = [outline.title, ""]
        lines += [f"{'  ' * (entry.level - 1)}{entry.label} ... {numbers.get(entry.id, '?')}"
                  for entry in outline.contents]
        for piece in outline.pieces:
            lines += ["", piece.label, ""]
            lines += [block.text for block in piece.contribution.body if hasattr(block, "text")]
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return {"lines": len(lines)}


@pytest.fixture
def txt_writer():
    render.register(TxtWriter)
    yield TxtWriter
    render.base.unregister("txt")


def contents_lines(path):
    text = path.read_text(encoding="utf-8")
    return [line for line in text.splitlines() if " ... " in line]


def test_a_third_format_is_one_class_and_its_registration(txt_writer, tmp_path):
    result = run_cli("build", SAMPLE, "--format", "txt", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nile-dispute.txt"]
    text = (tmp_path / "nile-dispute.txt").read_text(encoding="utf-8")
    for headline in sample_headlines():
        assert headline in text
    # No PDF was requested, yet the contents carry page numbers: measured, not written.
    lines = contents_lines(tmp_path / "nile-dispute.txt")
    assert lines and all(line.rsplit(" ... ", 1)[1].isdigit() for line in lines), lines
    assert f"wrote {tmp_path / 'nile-dispute.txt'}" in result.output


def test_the_text_writer_beside_the_pdf_uses_the_pdfs_page_numbers(txt_writer, tmp_path):
    result = run_cli("build", SAMPLE, "--format", "txt,pdf", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nile-dispute.pdf", "nile-dispute.txt"]
    bookmarks = dict(outline_titles(tmp_path / "nile-dispute.pdf"))
    listed = dict(line.strip().rsplit(" ... ", 1)
                  for line in contents_lines(tmp_path / "nile-dispute.txt"))
    assert len(listed) >= 5
    assert {label: int(page) for label, page in listed.items()} == \
        {label: bookmarks[label] for label in listed}
    # the page count is reported for the PDF, the writer that provides it
    assert "nile-dispute.pdf (" in result.output and "nile-dispute.txt (" not in result.output


def test_an_unregistered_format_is_a_usage_error_that_lists_the_registered_ones(tmp_path):
    result = run_cli("build", SAMPLE, "--format", "txt", "-o", tmp_path)
    assert result.exit_code == 2
    assert "unknown format txt" in result.output and "pdf, docx" in result.output
    assert not tmp_path.joinpath("nile-dispute.txt").exists()


def test_the_registry_orders_providers_before_the_writers_that_need_them(txt_writer):
    assert [w.name for w in render.ordered(["txt", "docx", "pdf"])] == ["pdf", "txt", "docx"]
    assert [w.name for w in render.ordered(["docx", "txt"])] == ["docx", "txt"]
    # nobody requested provides page numbers: the PDF writer is asked to measure them
    assert {fact: w.name for fact, w in render.suppliers(render.ordered(["txt"])).items()} == \
        {"page_numbers": "pdf"}
    assert render.defaults() == ("pdf", "docx")  # a registered format is not a default one


def test_help_and_validate_import_no_writer():
    code = ("import sys; from briefgen.cli import main\n"
            "try: main(['validate', sys.argv[1]])\n"
            "except SystemExit: pass\n"
            "print(sorted(m for m in ('weasyprint', 'docx') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(SAMPLE)], capture_output=True,
                         text=True, cwd=ROOT, check=True).stdout
    assert out.strip().endswith("[]"), out


def toc_numbers(path) -> list[int]:
    """The results of the PAGEREF fields in the DOCX's contents (what Word shows
    before any field update)."""
    document = docx.Document(str(path))
    numbers = []
    for paragraph in document.paragraphs:
        if paragraph.style.name not in ("TOC 1", "TOC 2"):
            continue
        state, result = None, ""
        for node in paragraph._p.iter(qn("w:instrText"), qn("w:fldChar"), qn("w:t")):
            if node.tag == qn("w:instrText") and "PAGEREF" in (node.text or ""):
                state = "code"
            elif node.tag == qn("w:fldChar") and state:
                kind = node.get(qn("w:fldCharType"))
                if kind == "separate":
                    state = "result"
                elif kind == "end":
                    break
            elif node.tag == qn("w:t") and state == "result":
                result += node.text or ""
        if state is None:
            continue  # the paragraph that closes the TOC field
        assert result.strip().isdigit(), (paragraph.text, result)
        numbers.append(int(result))
    return numbers


def test_docx_alone_has_the_contents_numbers_of_the_pdf(tmp_path):
    both, alone = tmp_path / "both", tmp_path / "alone"
    assert run_cli("build", SAMPLE, "-o", both).exit_code == 0
    result = run_cli("build", SAMPLE, "--format", "docx", "-o", alone)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in alone.iterdir()) == ["nile-dispute.docx"]
    # the PDF's bookmarks: the title (the cover), then one per contents entry
    pages = [page for _, page in outline_titles(both / "nile-dispute.pdf")][1:]
    numbers = toc_numbers(alone / "nile-dispute.docx")
    assert len(numbers) >= 5 and numbers == pages
    # and no placeholder or empty number is left anywhere in the document
    xml = docx.Document(str(alone / "nile-dispute.docx")).element.xml
    assert "\u2060" not in xml


def test_the_docx_written_beside_the_pdf_in_a_worker_equals_the_docx_alone(tmp_path):
    """With pdf and docx, the DOCX is written in a worker process as soon as the
    PDF is laid out (while the PDF is written): the same bytes as on its own."""
    both, alone = tmp_path / "both", tmp_path / "alone"
    epoch = ("--source-date-epoch", "1763596800")
    assert run_cli("build", SAMPLE, "-o", both, *epoch).exit_code == 0
    assert run_cli("build", SAMPLE, "-f", "docx", "-o", alone, *epoch).exit_code == 0
    assert (both / "nile-dispute.docx").read_bytes() == (alone / "nile-dispute.docx").read_bytes()


def test_a_mistake_found_in_the_worker_is_one_line_and_nothing_is_written(tmp_path, monkeypatch):
    from briefgen.errors import ContentError
    from briefgen.render.docx import DocxWriter

    def refuse(self, *args, **kwargs):
        raise ContentError("the photo cannot be embedded", path=SAMPLE / "issue.md", line=7,
                           hint="use a JPEG or PNG")

    monkeypatch.setattr(DocxWriter, "write", refuse)
    out = tmp_path / "out"
    result = run_cli("build", SAMPLE, "-o", out)
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        f"error: {SAMPLE / 'issue.md'}:7: the photo cannot be embedded — use a JPEG or PNG"]
    assert not out.exists() or list(out.iterdir()) == []
