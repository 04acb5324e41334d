"""Page makeup (issue 14): the measure of the grid's text column, and pull quotes
skipped on short pieces and set in the side column."""
from __future__ import annotations

import statistics
from dataclasses import replace

import pdfplumber
import pytest

from briefgen.content.issue_folder import load_issue
from briefgen.model import Paragraph, Span
from briefgen.outline import PULL_QUOTE_MIN_WORDS, build_outline, shows_pull_quote

from .conftest import ROOT, run_cli

SAMPLE = ROOT / "content" / "nile-dispute"


def _chars_per_line(pdf, size):
    """The median length of the full body-text lines (pdfplumber's lines, body size)."""
    lengths = []
    with pdfplumber.open(pdf) as doc:
        for page in doc.pages[1:]:
            for line in page.extract_text_lines(return_chars=True):
                chars = [c for c in line["chars"] if c["text"].strip()]
                body = [c for c in chars if abs(c["size"] - size) < 0.2
                        and "Bold" not in c["fontname"]]
                if chars and len(body) >= 0.9 * len(chars):
                    lengths.append(len(line["text"]))
    full = [n for n in lengths if n >= 0.75 * max(lengths)]
    return statistics.median(full)


@pytest.mark.parametrize("layout, size, body", [("policy-brief", "A4", 10.5),
                                                ("policy-brief", "Letter", 10.5),
                                                ("memo", "A4", 10.5), ("memo", "Letter", 10.5)])
def test_body_text_has_a_measure_of_60_to_75_characters(tmp_path, layout, size, body):
    result = run_cli("build", SAMPLE, "--layout", layout, "--page-size", size, "-f", "pdf",
                     "-o", tmp_path)
    assert result.exit_code == 0, result.output
    assert 60 <= _chars_per_line(tmp_path / "nile-dispute.pdf", body) <= 75


def test_short_pieces_show_no_pull_quote():
    issue = load_issue(SAMPLE).issue
    piece = issue.contributions[0]
    assert piece.pull_quote is not None and shows_pull_quote(piece)
    short = replace(piece, body=(Paragraph((Span("Two short sentences. Nothing more."),)),))
    assert not shows_pull_quote(short)
    outline = build_outline(replace(issue, contributions=(short,) + issue.contributions[1:]))
    assert outline.pieces[0].pull_quote is None
    assert outline.pieces[1].pull_quote == issue.contributions[1].pull_quote
    assert PULL_QUOTE_MIN_WORDS == 75  # the documented threshold


def test_pull_quotes_hang_in_the_side_column(tmp_path):
    """Every pull quote's words sit left of the text column (A4: 20 mm + 48 mm side column)."""
    result = run_cli("build", SAMPLE, "-f", "pdf", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    text_left = (20 + 48) / 25.4 * 72
    with pdfplumber.open(tmp_path / "nile-dispute.pdf") as doc:
        quote = [c for page in doc.pages for c in page.chars
                 if "Italic" in c["fontname"] and round(c["size"]) == 12]
    assert quote and all(c["x1"] < text_left for c in quote)
