"""The PDF a policy office prints: text, structure, fonts, metadata, validity."""
from __future__ import annotations

import subprocess

import pdfplumber
import pikepdf
import pypdf
import pytest
import yaml

from .conftest import SAMPLE, need_tool, run_cli


def pdf_pages_text(path):
    with pdfplumber.open(path) as pdf:
        return [page.extract_text() or "" for page in pdf.pages]


def outline_titles(path):
    reader = pypdf.PdfReader(path)
    titles = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append((item.title, reader.get_destination_page_number(item) + 1))

    walk(reader.outline)
    return titles


def sample_contributors():
    return yaml.safe_load((SAMPLE / "contributors.yaml").read_text(encoding="utf-8"))


def sample_headlines():
    return [line[3:].strip().replace("'", "’") for line in
            (SAMPLE / "issue.md").read_text(encoding="utf-8").splitlines()
            if line.startswith("## ")]


def flat(text: str) -> str:
    """Text without line breaks and hyphenation breaks, for phrase searches."""
    return " ".join(text.replace("-\n", "").split())


def test_sample_pdf_has_every_name_headline_and_attribution(sample_build):
    pdf, _ = sample_build
    text = flat(" ".join(pdf_pages_text(pdf)))
    for person in sample_contributors().values():
        assert person["name"] in text
        assert person["organisation"] in text
    for headline in sample_headlines():
        assert headline in text, headline
    # the attribution line: "— Name, Role, Organisation"
    assert "— Tesfaye Bekele, Energy Economist, Horn of Africa Policy Centre" in text


def test_sample_pdf_page_count_and_cover_without_page_number(sample_build):
    pdf, _ = sample_build
    pages = pdf_pages_text(pdf)
    assert 3 <= len(pages) <= 8
    assert "The Nile in Dispute" in pages[0]
    assert "Page 1" not in pages[0] and "of {}".format(len(pages)) not in pages[0]
    # every page between the covers carries the running head and "Page N of M"
    for number, text in enumerate(pages[1:-1], 2):
        assert f"Page {number} of {len(pages)}" in text
        assert "Mediterranean Brief" in text and "The Nile in Dispute" in text
    # the back page holds the call to action, without running head or number
    assert "Stay informed" in pages[-1] and f"Page {len(pages)} of" not in pages[-1]


def test_sample_pdf_bookmarks_cover_every_section(sample_build):
    pdf, _ = sample_build
    titles = [title for title, _ in outline_titles(pdf)]
    for expected in ["Overview", "Experts react", "Contributors", "Stay informed",
                     *sample_headlines()]:
        assert expected in titles
    pages = dict(outline_titles(pdf))
    assert pages["Overview"] >= 2, "the lede starts after the cover"


def test_sample_pdf_fonts_are_bundled_and_embedded(sample_build):
    pdf, _ = sample_build
    families = set()
    with pikepdf.open(pdf) as doc:
        for page in doc.pages:
            for font in page.resources.get("/Font", {}).values():
                descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
                descriptor = descendant.FontDescriptor
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), \
                    f"{font.BaseFont} is not embedded"
                families.add(str(font.BaseFont).split("+", 1)[1])
    assert families <= {"Noto-Serif", "Noto-Serif-Italic", "Noto-Serif-Bold",
                        "Noto-Serif-BoldItalic", "Noto-Sans", "Noto-Sans-Bold",
                        "Noto-Naskh-Arabic", "Noto-Naskh-Arabic-Bold"}, families


def test_sample_pdf_metadata(sample_build):
    pdf, _ = sample_build
    with pikepdf.open(pdf) as doc:
        info = doc.docinfo
        assert str(info["/Title"]).startswith("The Nile in Dispute")
        assert "Amira Haddad" in str(info["/Author"]) and "Élodie Marchetti" in str(info["/Author"])
        assert "drought" in str(info["/Subject"])
        assert str(doc.Root.Lang) == "en"
        assert doc.Root.MarkInfo.Marked  # tagged PDF


def test_qpdf_check_passes(sample_build):
    qpdf = need_tool("qpdf")
    pdf, _ = sample_build
    result = subprocess.run([qpdf, "--check", str(pdf)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pull_quotes_are_set_apart(sample_build):
    """A pull quote is a separate, large block: its words appear at a bigger size."""
    pdf, _ = sample_build
    with pdfplumber.open(pdf) as doc:
        sizes = {round(ch["size"]) for page in doc.pages[1:] for ch in page.chars
                 if ch["text"].strip()}
    assert max(sizes) >= 14  # pull quotes (15 pt) against 10.5 pt text


def test_letter_page_size(tmp_path):
    result = run_cli("build", SAMPLE, "-o", tmp_path, "--format", "pdf", "--page-size", "letter")
    assert result.exit_code == 0, result.output
    with pikepdf.open(tmp_path / "nile-dispute.pdf") as doc:
        box = [round(float(v)) for v in doc.pages[0].MediaBox]
    assert box == [0, 0, 612, 792]


def test_seed_shaped_issue_builds(seed_issue, tmp_path):
    folder, facts = seed_issue
    result = run_cli("build", folder, "-o", tmp_path)
    assert result.exit_code == 0, result.output
    text = flat(" ".join(pdf_pages_text(tmp_path / "iraq-instability.pdf")))
    assert len(facts["contributions"]) == 5
    for c in facts["contributions"]:
        assert c["name"] in text
        assert c["headline"].split()[0] in text
    assert "Tamer Badawi, Analyst, CARPO; and Al-Sharq Institute" in text
    titles = [t for t, _ in outline_titles(tmp_path / "iraq-instability.pdf")]
    assert sum(1 for c in facts["contributions"] if c["headline"] in titles) == 5


def test_raw_html_in_markdown_is_shown_as_text(tmp_path):
    folder = tmp_path / "html"
    folder.mkdir()
    (folder / "issue.md").write_text(
        "---\ntitle: Escapes\ndate: 2026-01-02\ncontributors:\n  a-b:\n    name: A B\n---\n\n"
        "Lede with <script>alert(1)</script> and <b>bold tags</b>.\n\n## Head\n\nby: a-b\n\n"
        "Body <img src=\"file:///etc/passwd\"> end.\n", encoding="utf-8")
    result = run_cli("build", folder, "-o", tmp_path / "out", "-f", "pdf")
    assert result.exit_code == 0, result.output
    text = flat(" ".join(pdf_pages_text(tmp_path / "out" / "html.pdf")))
    assert "<script>alert(1)</script>" in text
    assert "Body <img src=“file:///etc/passwd”> end." in text  # shown, with print quotes
