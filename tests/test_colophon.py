"""The back page's colophon (front matter `colophon:`): read with file:line errors,
printed under the call to action in the PDF and the DOCX, kept by a DOCX import;
and the small rebreaks of issue 14 (attribution and pack title, memo bios heading)."""
from __future__ import annotations

import shutil

import docx
import pytest

from briefgen.content.issue_folder import load_issue
from briefgen.errors import BriefgenError
from briefgen.render.docx.names import STYLE_COLOPHON_FIELDS

from .conftest import ROOT, SAMPLE, run_cli
from .test_build_pdf import flat, pdf_pages_text

COLOPHON = {
    "address": "Via dell’Esempio 12, 00100 Rome, Italy",
    "issn": "ISSN 0000-0000",
    "copyright": "© 2026 Institute for Mediterranean and African Affairs. "
                 "Published under CC BY 4.0.",
    "disclaimer": "The views expressed are the authors’ own and do not necessarily "
                  "reflect those of the Institute.",
}


def copy_sample(tmp_path, colophon_yaml: str | None):
    """The sample issue with its `colophon:` block replaced (None: removed)."""
    folder = tmp_path / "issue"
    shutil.copytree(SAMPLE, folder)
    path = folder / "issue.md"
    text = path.read_text(encoding="utf-8")
    start = text.index("colophon:\n")
    end = text.index("---\n", start)
    path.write_text(text[:start] + (colophon_yaml or "") + text[end:], encoding="utf-8")
    return folder, text[:start].count("\n") + 1  # the line of `colophon:`


def test_sample_colophon_is_loaded():
    colophon = load_issue(SAMPLE).issue.colophon
    assert {k: getattr(colophon, k) for k in COLOPHON} == COLOPHON


@pytest.mark.parametrize("block, wanted", [
    ("colophon:\n  isbn: 0000\n", "unknown colophon field `isbn` — did you mean `issn`?"),
    ("colophon: just text\n", "`colophon` must be address/issn/copyright/disclaimer fields"),
    ("colophon:\n  issn: [1, 2]\n", "colophon `issn` must be text"),
])
def test_colophon_mistakes_name_file_and_line(tmp_path, block, wanted):
    folder, line = copy_sample(tmp_path, block)
    with pytest.raises(BriefgenError) as caught:
        load_issue(folder)
    message = str(caught.value)
    assert wanted in message
    field_line = line + (1 if block.startswith("colophon:\n") else 0)
    assert f"issue.md:{field_line}:" in message


def test_no_colophon_is_none_and_empty_fields_are_dropped(tmp_path):
    folder, _ = copy_sample(tmp_path, None)
    assert load_issue(folder).issue.colophon is None
    folder, _ = copy_sample(tmp_path / "b", "colophon:\n  issn: ISSN 1234-5678\n")
    colophon = load_issue(folder).issue.colophon
    assert colophon.issn == "ISSN 1234-5678" and colophon.address == colophon.disclaimer == ""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("colophon-out")
    result = run_cli("build", SAMPLE, "-o", out)
    assert result.exit_code == 0, result.output
    return out / "nile-dispute.pdf", out / "nile-dispute.docx"


def test_pdf_back_page_prints_the_colophon_under_the_call_to_action(built):
    back = flat(pdf_pages_text(built[0])[-1])
    assert back.index("Stay informed") < back.index("example.org/subscribe")
    positions = [back.index(value) for value in COLOPHON.values()]
    assert positions == sorted(positions)
    assert positions[0] > back.index("example.org/subscribe")
    # on the back page only
    assert not any("ISSN 0000-0000" in page for page in pdf_pages_text(built[0])[:-1])


def test_docx_back_section_has_one_styled_paragraph_per_field(built):
    document = docx.Document(str(built[1]))
    texts = [(p.style.name, p.text) for p in document.paragraphs]
    found = [(s, t) for s, t in texts if s in STYLE_COLOPHON_FIELDS.values()]
    assert found == [(STYLE_COLOPHON_FIELDS[k], v) for k, v in COLOPHON.items()]
    names = [t for _, t in texts]
    assert names.index("Stay informed") < names.index(COLOPHON["address"])
    # the style comes from the tokens: the colophon's size (size_label) and colour
    style = document.styles[STYLE_COLOPHON_FIELDS["issn"]]
    assert style.base_style.name == "Colophon"
    assert style.base_style.font.size.pt == 8


def test_docx_import_keeps_the_colophon(built, tmp_path):
    result = run_cli("import", built[1], "-o", tmp_path / "imported")
    assert result.exit_code == 0, result.output
    colophon = load_issue(tmp_path / "imported").issue.colophon
    assert {k: getattr(colophon, k) for k in COLOPHON} == COLOPHON


def test_attribution_and_pack_title_keep_their_last_two_words_together(built):
    """Preflight's one-word-line: "… Mediterranean Water Forum" and the pack title
    "… the Mediterranean" no longer end with one word alone."""
    for source in (SAMPLE, ROOT / "content" / "board-pack"):
        result = run_cli("check", source, "--json")
        assert "one-word-line" not in result.output, result.output


@pytest.mark.parametrize("sample", ["nile-dispute", "arabic-brief"])
def test_memo_letter_keeps_contributors_heading_with_a_bio(sample):
    result = run_cli("check", ROOT / "content" / sample, "--layout", "memo",
                     "--page-size", "Letter", "--json")
    assert "stranded-heading" not in result.output, result.output
