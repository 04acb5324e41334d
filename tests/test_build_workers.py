"""A writer that needs the PDF's page numbers runs in a worker process forked
before the PDF is laid out, and gets the numbers through a pipe. What it writes,
and how it fails, is what the user sees of a writer run in the build itself."""
from __future__ import annotations

import os

import pytest

from briefgen import render
from briefgen.errors import BriefgenError
from briefgen.render.base import Writer

from .conftest import SAMPLE, run_cli
from .test_build_pdf import outline_titles


class PagesWriter(Writer):
    """Each section id and its page, one a line, and the process that wrote them."""

    name, suffix = "pages", ".txt"
    needs = frozenset({"page_numbers"})

    def prepare(self, outline, layout, options) -> None:
        self.prepared_in = os.getpid()

    def write(self, outline, layout, target, options, facts) -> dict:
        numbers = facts["page_numbers"]
        lines = [f"{entry.label}\t{numbers[entry.id]}" for entry in outline.contents]
        lines.append(f"pid\t{os.getpid()}\tprepared\t{getattr(self, 'prepared_in', None)}")
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return {}


class FailingWriter(PagesWriter):
    name = "failing"

    def write(self, outline, layout, target, options, facts) -> dict:
        target.write_text("half", encoding="utf-8")
        raise BriefgenError(f"page {facts['page_numbers'][outline.contents[0].id]} is too full",
                            hint="shorten it")


@pytest.fixture
def writers():
    render.register(PagesWriter)
    render.register(FailingWriter)
    yield
    render.base.unregister("pages")
    render.base.unregister("failing")


def test_the_worker_writes_with_the_pdfs_page_numbers(writers, tmp_path):
    result = run_cli("build", SAMPLE, "--format", "pdf,pages", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "nile-dispute.txt").read_text(encoding="utf-8").splitlines()
    *entries, process = lines
    bookmarks = dict(outline_titles(tmp_path / "nile-dispute.pdf"))
    listed = {label: int(page) for label, page in (line.split("\t") for line in entries)}
    assert len(listed) >= 5 and listed == {label: bookmarks[label] for label in listed}
    # written in another process, which prepared itself there before writing
    _, pid, _, prepared = process.split("\t")
    assert pid == prepared and int(pid) != os.getpid()


def test_a_mistake_in_the_worker_is_one_line_and_nothing_is_written(writers, tmp_path):
    out = tmp_path / "out"
    result = run_cli("build", SAMPLE, "--format", "pdf,failing", "-o", out)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "is too full" in lines[0] and "shorten it" in lines[0], lines
    assert not out.exists() or not list(out.iterdir())


def test_the_docx_prepared_ahead_is_the_docx_written_at_once(tmp_path):
    """The DOCX worker styles its document, draws the initials and reads the fonts
    while the PDF is laid out (DocxWriter.prepare): what it then writes is byte
    for byte what is written with nothing prepared, for an issue with initials
    circles and a pack; the prepared document is used once, and only for the
    layout it was made for (a fitted layout styles its own)."""
    from briefgen.content.issue_folder import load_issue
    from briefgen.content.pack_folder import load_pack
    from briefgen.layouts import find_layout
    from briefgen.outline import build_outline
    from briefgen.render import RenderOptions
    from briefgen.render.docx import DocxWriter, writer
    from briefgen.render.pdf import PdfWriter

    for document in (load_issue(SAMPLE).issue, load_pack(SAMPLE.parent / "board-pack").pack):
        layout = find_layout(None)
        options = RenderOptions(source_date_epoch=1700000000, warnings=[])
        outline = build_outline(document)
        facts = {**PdfWriter().measure(outline, layout, options), "fitted": False}
        DocxWriter().write(outline, layout, tmp_path / "plain.docx", options, facts)
        DocxWriter().prepare(outline, layout, options)
        assert writer._PREPARED
        DocxWriter().write(outline, layout, tmp_path / "prepared.docx", options, facts)
        assert not writer._PREPARED  # used, and only once
        assert (tmp_path / "prepared.docx").read_bytes() == (tmp_path / "plain.docx").read_bytes()
        DocxWriter().prepare(outline, layout, options)
        DocxWriter().write(outline, layout, tmp_path / "fitted.docx", options,
                           {**facts, "fitted": True})
        assert (tmp_path / "fitted.docx").read_bytes() != (tmp_path / "plain.docx").read_bytes()


def test_the_cli_leaves_without_a_last_garbage_collection():
    """A finished command does not walk the objects still alive (a build keeps its
    laid-out pages for a next one) before the process ends: at exit the collector
    is off and what is alive frozen (~130 ms of the sample's 1-second build)."""
    import subprocess
    import sys

    probe = ("import atexit, gc\n"
             "atexit.register(lambda: print(gc.isenabled(), gc.get_freeze_count() > 0))\n"
             "import briefgen.cli\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "True"]


@pytest.mark.parametrize("extra", [(), ("--recipients", "delegates.csv", "-j", "2")])
def test_a_build_leaves_no_temporary_font_folders(extra, tmp_path):
    """WeasyPrint copies a layout's fonts into a temporary folder that it removes
    when the fonts are collected; the CLI ends without that last collection, and
    its forked workers with os._exit, so they remove their own folders: none is
    left, for a build and for editions laid out in two processes."""
    import shutil
    import subprocess
    import sys

    shutil.copytree(SAMPLE.parent, tmp_path / "content")
    pack = tmp_path / "content" / "board-pack"
    temp = tmp_path / "tmp"
    temp.mkdir()
    argv = [sys.executable, "-m", "briefgen", "build", str(pack), "-f", "pdf",
            "-o", str(tmp_path / "out")]
    if extra:
        argv += [extra[0], str(pack / extra[1]), *extra[2:]]
    result = subprocess.run(argv, capture_output=True, text=True, cwd=tmp_path,
                            env={**os.environ, "TMPDIR": str(temp), "BRIEFGEN_CACHE": "off"})
    assert result.returncode == 0, result.stderr
    assert list((tmp_path / "out").glob("*.pdf"))
    assert not [p.name for p in temp.iterdir() if p.name.startswith("weasyprint-")]
