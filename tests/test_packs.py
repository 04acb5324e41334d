"""Briefing packs: issues, agenda and annexes bound into one PDF and one DOCX."""
from __future__ import annotations

import re
import shutil
import subprocess

import docx
import pikepdf
import pypdf
import pytest
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from briefgen.layouts import find_layout

from .conftest import ROOT, need_tool, run_cli, soffice_to_pdf
from .test_build_pdf import flat, pdf_pages_text

PACK = ROOT / "content" / "board-pack"


@pytest.fixture(scope="module")
def pack_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("pack")
    result = run_cli("build", PACK, "-o", out)
    assert result.exit_code == 0, result.output
    return out / "board-pack.pdf", out / "board-pack.docx"


def outline(pdf_path):
    """[(depth, title, page)] of the PDF's bookmarks."""
    reader = pypdf.PdfReader(pdf_path)
    found = []

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                found.append((depth, item.title, reader.get_destination_page_number(item) + 1))

    walk(reader.outline, 0)
    return found


def test_pack_builds_a_valid_pdf_with_every_part(pack_build):
    pdf, _ = pack_build
    check = subprocess.run([need_tool("qpdf"), "--check", str(pdf)], capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout
    pages = pdf_pages_text(pdf)
    text = flat(" ".join(pages))
    for part in ("Water and Energy in the Mediterranean", "Contents", "Agenda",
                 "The Nile in Dispute", "Sun for Export", "Contributors",
                 "Annex A", "Timeline of the Nile dam negotiations", "Questions for the Board"):
        assert part in text, part
    assert "Page" not in pages[0]  # the cover has no page number


def test_contents_page_numbers_are_the_real_pages(pack_build):
    pdf, _ = pack_build
    pages = pdf_pages_text(pdf)
    real = {title: page for _, title, page in outline(pdf)}
    contents = pages[1]
    checked = 0
    for line in contents.split("\n"):
        match = re.match(r"^(.*?)[ .]*\.{3,}\s*(\d+)$", line.strip())
        if match and match.group(1).strip() in real:
            assert int(match.group(2)) == real[match.group(1).strip()], line
            checked += 1
    assert checked >= 10  # agenda, 2 chapters, 9 contributions, contributors, annex


def test_bookmarks_nest_pack_chapter_contribution(pack_build):
    pdf, _ = pack_build
    marks = outline(pdf)
    assert marks[0][:2] == (0, "Water and Energy in the Mediterranean")
    depth = {title: d for d, title, _ in marks}
    assert depth["The Nile in Dispute: Egypt, Ethiopia and the Renaissance Dam"] == 1
    assert depth["Without shared rules, the first drought will decide the relationship"] == 2
    assert depth["Grids first, megaprojects second"] == 2
    assert depth["Annex A: Timeline of the Nile dam negotiations"] == 1


def test_shared_contributor_appears_once_with_both_pages(pack_build):
    pdf, _ = pack_build
    pages = pdf_pages_text(pdf)
    marks = {title: page for _, title, page in outline(pdf)}
    bios_from = marks["Contributors"]
    bios = flat(" ".join(pages[bios_from - 1:marks["Annex A: Timeline of the Nile dam negotiations"] - 1]))
    assert bios.count("Amira Haddad Senior Fellow") == 1  # her entry (name, then role), once
    nile = marks["Without shared rules, the first drought will decide the relationship"]
    water = marks["Water is the hidden cost"]
    assert f"pp. {nile}, {water}" in bios


def test_every_annex_page_is_present_numbered_and_bookmarked(pack_build):
    pdf, _ = pack_build
    pages = pdf_pages_text(pdf)
    with pikepdf.open(ROOT / "content" / "board-pack" / "annexes" / "nile-timeline.pdf") as a:
        annex_pages = len(a.pages)
    marks = {title: page for _, title, page in outline(pdf)}
    divider = marks["Annex A: Timeline of the Nile dam negotiations"]
    assert "ANNEX A" in pages[divider - 1].upper()
    placed = pages[divider:divider + annex_pages]
    assert len(placed) == annex_pages == len(pages) - divider
    assert "Annex: Timeline of the Nile dam negotiations" in placed[0]
    assert "Questions for the Board" in placed[-1]
    for number, text in enumerate(placed, divider + 1):
        assert f"Page {number} of {len(pages)}" in text


def test_agenda_items_link_to_their_papers(pack_build):
    pdf, _ = pack_build
    pages = pdf_pages_text(pdf)
    marks = {title: page for _, title, page in outline(pdf)}
    agenda = flat(pages[marks["Agenda"] - 1])
    nile = marks["The Nile in Dispute: Egypt, Ethiopia and the Renaissance Dam"]
    assert re.search(rf"what a drought year would mean .*?{nile}", agenda)
    with pikepdf.open(pdf) as doc:
        page = doc.pages[marks["Agenda"] - 1]
        links = [a for a in page.get("/Annots", []) if a.get("/Subtype") == "/Link"]
        assert len(links) >= 3 + 12  # contents entries and agenda papers are links


def test_pack_docx_has_a_filled_toc_and_opens_in_libreoffice(pack_build, tmp_path):
    _, path = pack_build
    document = docx.Document(str(path))
    instructions = [n.text for n in document.element.body.iter(qn("w:instrText"))]
    assert any(i.strip().startswith("TOC") for i in instructions)
    entries = [p.text for p in document.paragraphs if p.style.name in ("TOC 1", "TOC 2")]
    assert any(e.startswith("Agenda") for e in entries)
    assert any(e.startswith("Sun for Export") for e in entries)
    assert any(e.startswith("Annex A: Timeline") for e in entries)
    # The sections' headings: Heading 1, a chapter's on its divider page (policy-brief's
    # packs have them) a Divider Title, a heading based on Heading 1
    assert [p.text for p in document.paragraphs
            if p.style.name in ("Heading 1", "Divider Title")][:3] == [
        "Agenda", "The Nile in Dispute: Egypt, Ethiopia and the Renaissance Dam",
        "Sun for Export: Solar Power across North Africa"]
    assert document.styles["Divider Title"].base_style.name == "Heading 1"
    # The agenda (a header row, six items, two session headings); the bios are a
    # table of their own.
    agenda = [t for t in document.tables
              if t.rows[0].cells[0].paragraphs[0].style.name == "Agenda Heading"]
    assert len(agenda) == 1 and len(agenda[0].rows) == 9
    sessions = [row.cells[0].text for row in agenda[0].rows
                if row.cells[0].paragraphs[0].style.name == "Agenda Session"]
    assert sessions == ["Session 1: Water", "Session 2: Energy"]
    # Ruled as the PDF's table, by its named style: a line under each row, none
    # around or between the columns, the header row's in the accent colour; the
    # paper's page at the column's end.
    assert agenda[0].style.name == "Agenda Table"
    edges = {e.tag.split("}")[1]: e.get(qn("w:val"))
             for e in agenda[0].style.element.find(qn("w:tblPr")).find(qn("w:tblBorders"))}
    assert edges == {"top": "nil", "left": "nil", "bottom": "single", "right": "nil",
                     "insideH": "single", "insideV": "nil"}
    header = agenda[0].style.element.find(qn("w:tblStylePr"))
    assert header.get(qn("w:type")) == "firstRow"
    accent = find_layout("policy-brief").colours["accent"][1:].upper()
    assert header.find(".//" + qn("w:bottom")).get(qn("w:color")) == accent
    pages = [row.cells[2].paragraphs[0] for row in agenda[0].rows[1:]
             if row.cells[2].paragraphs[0].style.name == "Agenda Page"]
    assert [p.text for p in pages if p.text] == ["3", "11", "7"]
    assert pages[0].style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    names = [p.text for t in document.tables for row in t.rows for cell in row.cells
             for p in cell.paragraphs if p.style.name == "Bio Name"]
    assert names.count("Amira Haddad") == 1
    converted = soffice_to_pdf(path, tmp_path)
    text = flat(subprocess.run([need_tool("pdftotext"), str(converted), "-"],
                               capture_output=True, text=True, check=True).stdout)
    assert "Sun for Export" in text and "Annex A: Timeline of the Nile dam negotiations" in text


def test_new_pack_scaffold_validates_and_builds(tmp_path):
    folder = tmp_path / "meeting"
    assert run_cli("new", "--pack", folder).exit_code == 0
    assert run_cli("validate", folder).exit_code == 0
    result = run_cli("build", folder, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "meeting.pdf").is_file()


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path, needle):
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


@pytest.mark.parametrize("old, new, needle, message", [
    ("  - ../energy-forum", "  - ../energy-forum\n  - ../no-such-issue", "../no-such-issue",
     "issue folder not found: ../no-such-issue"),
    ("  - ../energy-forum", "  - ../energy-forum\n  - ../nile-dispute", "  - ../nile-dispute",
     "issue ../nile-dispute is in the pack twice"),
    ("    paper: energy-forum", "    paper: energy-forun", "paper: energy-forun",
     "agenda item points to `energy-forun`, which is neither an issue nor an annex"),
    ("[yasmine-benali, lukas-brenner, amira-haddad]", "[yasmine-benali, nobody]",
     "nobody", "unknown speaker `nobody`"),
])
def test_pack_validation_errors(pack, tmp_path, old, new, needle, message):
    yaml_path = pack / "pack.yaml"
    edit(yaml_path, old, new)
    text = yaml_path.read_text().split("\n")
    line = max(n for n, l in enumerate(text, 1) if needle in l)  # the last mention
    result = run_cli("build", pack, "-o", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert f"pack.yaml:{line}: {message}" in result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


def test_annex_that_is_not_a_pdf(pack, tmp_path):
    (pack / "annexes" / "nile-timeline.pdf").write_bytes(b"not a pdf at all")
    result = run_cli("validate", pack)
    line = line_of(pack / "pack.yaml", "file: annexes/nile-timeline.pdf")
    assert result.exit_code == 2
    assert f"pack.yaml:{line}: annex nile-timeline.pdf is not a readable PDF" in result.output


def test_rebuild_cache_reuses_unchanged_work(pack, tmp_path, monkeypatch):
    monkeypatch.setenv("BRIEFGEN_CACHE", "on")
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path / "cache"))
    from briefgen.render import pdf as pdf_writer

    calls = []
    real = pdf_writer.finish
    monkeypatch.setattr(pdf_writer, "finish", lambda *a, **k: calls.append(1) or real(*a, **k))
    assert run_cli("build", pack, "-o", tmp_path / "a").exit_code == 0
    assert run_cli("build", pack, "-o", tmp_path / "b").exit_code == 0  # nothing changed
    assert len(calls) == 1
    for name in ("board-pack.pdf", "board-pack.docx"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    edit(pack.parent / "energy-forum" / "issue.md", "Grids first", "Grids come first")
    assert run_cli("build", pack, "-o", tmp_path / "c").exit_code == 0  # one word changed
    assert len(calls) == 2
    assert "Grids come first" in flat(" ".join(pdf_pages_text(tmp_path / "c" / "board-pack.pdf")))
    shutil.rmtree(tmp_path / "cache")  # safe to delete at any time
    assert run_cli("build", pack, "-o", tmp_path / "d").exit_code == 0
    assert len(calls) == 3


def test_docx_annex_is_converted_with_libreoffice(pack, tmp_path):
    need_tool("soffice")
    built = tmp_path / "built"
    assert run_cli("build", ROOT / "content" / "nile-dispute", "-o", built, "-f", "docx",
                   "-l", "memo").exit_code == 0
    shutil.copyfile(built / "nile-dispute.docx", pack / "annexes" / "memo.docx")
    edit(pack / "pack.yaml", "edition:", "  - file: annexes/memo.docx\n"
         "    title: The Nile issue as a memo\nedition:")
    result = run_cli("build", pack, "-o", tmp_path / "out", "-f", "pdf")
    assert result.exit_code == 0, result.output
    pages = pdf_pages_text(tmp_path / "out" / "board-pack.pdf")
    marks = {title: page for _, title, page in outline(tmp_path / "out" / "board-pack.pdf")}
    assert "Annex B" in pages[marks["Annex B: The Nile issue as a memo"] - 1].title()
    assert "The Nile in Dispute" in pages[marks["Annex B: The Nile issue as a memo"]]  # its first page
