"""The DOCX, through LibreOffice, paginates like the PDF (bench/parity.py measures
every combination; this checks a representative subset that matches today).

Each combination builds both formats and converts the DOCX once (module fixture).
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from .conftest import ROOT, need_tool

_spec = importlib.util.spec_from_file_location("parity", ROOT / "bench" / "parity.py")
parity = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("parity", parity)  # its dataclasses look their module up
_spec.loader.exec_module(parity)

#: every sample × layout × page size (bench/parity.py prints the same table)
MATCHING = list(parity.combinations())


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    need_tool("soffice")
    work = tmp_path_factory.mktemp("parity")
    return {combo: parity.measure(*combo, work) for combo in MATCHING}


@pytest.mark.parametrize("combo", MATCHING, ids=["-".join(c) for c in MATCHING])
def test_docx_paginates_like_the_pdf(measured, combo):
    row = measured[combo]
    assert row.docx_pages == row.pdf_pages
    assert row.headings_matched == row.headings, row.mismatches
    assert row.cover_one_page
    assert row.contents_right, row.mismatches


def test_pack_running_head_names_each_chapter(tmp_path):
    """Each chapter starts a section whose STYLEREF head shows its title in LibreOffice."""
    need_tool("soffice")
    out = tmp_path / "out"
    subprocess.run([str(ROOT / ".venv" / "bin" / "briefgen"), "build",
                    str(ROOT / "content" / "board-pack"), "--format", "docx", "-o", str(out)],
                   check=True, capture_output=True, cwd=tmp_path)
    converted = parity.convert(next(out.glob("*.docx")), tmp_path / "lo")
    texts = [subprocess.run([need_tool("pdftotext"), "-f", str(n), "-l", str(n), str(converted),
                             "-"], capture_output=True, text=True).stdout
             for n in range(1, 30)]
    heads = [" ".join(t.split("\n")[:3]) for t in texts if t.strip()]
    chapters = ["The Nile in Dispute", "Sun for Export"]
    seen = [next((c for c in chapters if c in head), None) for head in heads]
    # Nile pages come first, then Solar pages, each head naming its own chapter.
    named = [s for s in seen if s]
    assert named and named == sorted(named, key=chapters.index)
    assert set(named) == set(chapters)
    assert any("Contributors" in head for head in heads)
