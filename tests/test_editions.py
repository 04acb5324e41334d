"""Editions: one personalised, confidential-aware copy of a pack per recipient."""
from __future__ import annotations

import pdfplumber
import pikepdf
import pytest
import docx

from briefgen.pipeline.editions import read_recipients

from .conftest import ROOT, run_cli
from .test_build_pdf import flat, pdf_pages_text
from .test_packs import outline

PACK = ROOT / "content" / "board-pack"
NAMES = ["Ada Lovelace", "Bob Smith", "Carla Rossi"]


def csv_file(tmp_path, text, encoding="utf-8-sig"):
    path = tmp_path / "delegates.csv"
    path.write_bytes(text.encode(encoding))
    return path


EXCEL_CSV = ("name;organisation;groups;password;seat\r\n"
             "Ada Lovelace;Analytical Engines Ltd;board;pw-ada;A1\r\n"
             "Bob Smith;City Council;;pw-bob;B2\r\n"
             "Carla Rossi;\"Ministry of\r\nWater\";staff;pw-carla;C3\r\n")


@pytest.fixture(scope="module")
def editions(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("editions")
    source = csv_file(tmp, EXCEL_CSV)  # UTF-8 with BOM, semicolons, CRLF, a quoted newline
    out = tmp / "out"
    result = run_cli("build", PACK, "--recipients", source, "-o", out, "--format", "pdf,docx")
    assert result.exit_code == 0, result.output
    return out


def test_one_pdf_per_row_with_only_its_own_name(editions):
    pdfs = sorted(p.name for p in editions.glob("*.pdf"))
    assert pdfs == ["ada-lovelace.pdf", "bob-smith.pdf", "carla-rossi.pdf"]
    for name in NAMES:
        path = editions / f"{name.lower().replace(' ', '-')}.pdf"
        pages = pdf_pages_text(path)
        assert f"Prepared for {name}" in flat(pages[0])
        everything = flat(" ".join(pages))
        for other in NAMES:
            if other != name:
                assert other not in everything, (name, other)


def test_confidential_annex_only_in_the_granted_edition(editions):
    ada = outline(editions / "ada-lovelace.pdf")
    bob = outline(editions / "bob-smith.pdf")
    assert any(t == "Annex A: Timeline of the Nile dam negotiations" for _, t, _ in ada)
    assert not any(t == "Annex A: Timeline of the Nile dam negotiations" for _, t, _ in bob)
    ada_text = flat(" ".join(pdf_pages_text(editions / "ada-lovelace.pdf")))
    bob_pages = pdf_pages_text(editions / "bob-smith.pdf")
    assert "Questions for the Board" in ada_text
    assert "Timeline" not in flat(" ".join(bob_pages))  # not in the contents, agenda or cover
    assert len(bob_pages) == len(pdf_pages_text(editions / "ada-lovelace.pdf")) - 3


def test_editions_are_complete_documents(editions):
    for name in ("ada-lovelace", "bob-smith"):
        path = editions / f"{name}.pdf"
        with pikepdf.open(path) as pdf:
            assert pdf.Root.MarkInfo.Marked and "/StructTreeRoot" in pdf.Root
            assert str(pdf.Root.Lang) == "en"
            assert str(pdf.docinfo["/Title"]) == "Water and Energy in the Mediterranean"
        pages = pdf_pages_text(path)
        marks = {title: page for _, title, page in outline(path)}
        contents = pages[1]
        for title in ("Agenda", "Contributors", "Sun for Export: Solar Power across North Africa"):
            number = marks[title]
            assert any(line.strip().startswith(title[:20]) and line.strip().endswith(str(number))
                       for line in contents.split("\n")), (name, title, number)
        dividers = 0
        for number, text in enumerate(pages[1:], 2):
            if text.lstrip().startswith("CHAPTER"):  # a chapter's divider: no folio
                dividers += 1
                continue
            assert f"Page {number} of {len(pages)}" in text
        assert dividers == 2


def test_personalised_cover_is_tagged_and_the_footer_is_an_artifact(editions):
    with pdfplumber.open(editions / "ada-lovelace.pdf") as pdf:
        cover = pdf.pages[0].chars
        name_chars = [c for c in cover if c["text"] in "Lovelace" and c.get("mcid") is not None]
        assert name_chars, "the recipient's name is in the structure tree"
        page = pdf.pages[3]
        footer = [c for c in page.chars if c["top"] > page.height - 30]
        assert "Confidential — prepared for Ada Lovelace" in "".join(c["text"] for c in footer)
        assert all(c.get("mcid") is None for c in footer)  # not in the structure tree
    with pikepdf.open(editions / "ada-lovelace.pdf") as pdf:
        streams = pdf.pages[3].obj.Contents
        last = streams[-1] if isinstance(streams, pikepdf.Array) else streams
        assert last.read_bytes().startswith(b"/Artifact BMC")  # drawn as an artifact


def test_excel_csv_with_a_bad_row_reports_it_and_writes_the_others(tmp_path):
    source = csv_file(tmp_path, "name,organisation\nAda Lovelace,AEL\n,No Name Org\n"
                                "Bob Smith,City Council,extra cell\nCarla Rossi,Ministry\n",
                      encoding="cp1252")
    result = run_cli("build", PACK, "--recipients", source, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert f"{source}:3: no name" in result.output
    assert f"{source}:4: 3 cells but 2 columns" in result.output
    assert sorted(p.name for p in (tmp_path / "out").glob("*.pdf")) == [
        "ada-lovelace.pdf", "carla-rossi.pdf"]


def test_windows_1252_and_name_collisions(tmp_path):
    source = csv_file(tmp_path, "name;organisation\nJosé Núñez;Ayuntamiento\n"
                                "José Núñez;Otra Entidad\n", encoding="cp1252")
    recipients, failures = read_recipients(source)
    assert [r.name for r in recipients] == ["José Núñez", "José Núñez"] and not failures
    result = run_cli("build", PACK, "--recipients", source, "-o", tmp_path / "out", "-j", "1")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out").glob("*.pdf")) == [
        "jose-nunez-2.pdf", "jose-nunez.pdf"]


def test_encrypted_editions_open_only_with_their_password(tmp_path):
    source = csv_file(tmp_path, EXCEL_CSV.replace("pw-bob", ""))
    result = run_cli("build", PACK, "--recipients", source, "-o", tmp_path / "out", "--encrypt")
    assert result.exit_code == 2 and f"{source}:3: no password for --encrypt" in result.output
    path = tmp_path / "out" / "ada-lovelace.pdf"
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(path)
    with pytest.raises(pikepdf.PasswordError):
        pikepdf.open(path, password="pw-carla")
    with pikepdf.open(path, password="pw-ada") as pdf:
        assert pdf.is_encrypted and pdf.encryption.R == 6
        assert len(pdf.pages) == 13  # the whole pack (cover, agenda, dividers, annex)
    assert not (tmp_path / "out" / "bob-smith.pdf").exists()


def test_docx_editions(editions):
    document = docx.Document(str(editions / "carla-rossi.docx"))
    prepared = [p.text for p in document.paragraphs if p.style.name == "Prepared For"]
    assert prepared == ["Prepared for Carla Rossi, Ministry of Water"]
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert not any(h.startswith("Annex") for h in headings)  # staff, not board
    # Every page after the cover carries the line: every body section's footer.
    for section in document.sections[1:]:
        footer = " ".join(p.text for p in section.footer.paragraphs)
        assert "Confidential — prepared for Carla Rossi, Ministry of Water" in footer


def test_editions_need_a_pack(tmp_path):
    source = csv_file(tmp_path, "name\nAda\n")
    result = run_cli("build", ROOT / "content" / "nile-dispute", "--recipients", source,
                     "-o", tmp_path / "out")
    assert result.exit_code == 2 and "editions are made from a pack" in result.output
    result = run_cli("build", PACK, "--recipients", tmp_path / "missing.csv", "-o", tmp_path)
    assert result.exit_code == 2 and "recipients file not found" in result.output


def test_dask_cluster_gives_the_same_editions(tmp_path, editions):
    distributed = pytest.importorskip("distributed")
    source = csv_file(tmp_path, EXCEL_CSV)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        result = run_cli("build", PACK, "--recipients", source, "-o", tmp_path / "dask",
                         "--scheduler", cluster.scheduler_address)
    assert result.exit_code == 0, result.output
    assert "3 files written" in result.output
    for name in NAMES:
        file = f"{name.lower().replace(' ', '-')}.pdf"
        assert pdf_pages_text(tmp_path / "dask" / file) == pdf_pages_text(editions / file)


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    pytest.importorskip("distributed")
    source = csv_file(tmp_path, "name\nAda\n")
    result = run_cli("build", PACK, "--recipients", source, "-o", tmp_path / "out",
                     "--scheduler", "tcp://127.0.0.1:9")
    assert result.exit_code == 2 and "cannot reach the Dask scheduler" in result.output


def test_footer_placeholders_are_checked(tmp_path):
    import shutil

    content = tmp_path / "content"
    for name in ("board-pack", "nile-dispute", "energy-forum"):
        shutil.copytree(ROOT / "content" / name, content / name)
    pack_yaml = content / "board-pack" / "pack.yaml"
    text = pack_yaml.read_text(encoding="utf-8")
    pack_yaml.write_text(text.replace("{name}, {organisation}\"", "{name}, {organisation\""),
                         encoding="utf-8")
    result = run_cli("validate", content / "board-pack")
    assert result.exit_code == 2 and "edition footer has a broken {placeholder}" in result.output
    pack_yaml.write_text(text.replace("{name}, {organisation}\"", "{name}, {seat}\""),
                         encoding="utf-8")
    source = csv_file(tmp_path, "name;organisation\nAda;AEL\n")
    result = run_cli("build", content / "board-pack", "--recipients", source, "-o", tmp_path / "o")
    assert result.exit_code == 2 and "has no `seat` column" in result.output
    assert not (tmp_path / "o").exists()
    source = csv_file(tmp_path, "name;organisation;seat\nAda Lovelace;AEL;A1\n")
    result = run_cli("build", content / "board-pack", "--recipients", source, "-o", tmp_path / "o")
    assert result.exit_code == 0, result.output
    assert "prepared for Ada Lovelace, A1" in flat(pdf_pages_text(tmp_path / "o" / "ada-lovelace.pdf")[2])


def test_unclosed_quote_is_reported_with_its_line(tmp_path):
    source = csv_file(tmp_path, "name,organisation\nAda,AEL\n\"Unclosed,Org\nBob,City\n")
    result = run_cli("build", PACK, "--recipients", source, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert f"{source}:3: the recipients file cannot be read here" in result.output
    assert "a quote is probably not closed" in result.output and not (tmp_path / "out").exists()


def test_a_cover_that_overflows_fails_that_row_only(tmp_path):
    long_org = "Organisation " + "with a very long name " * 120
    source = csv_file(tmp_path, f"name;organisation\nAda Lovelace;AEL\nBob Smith;{long_org}\n"
                                "Carla Rossi;Ministry\n")
    result = run_cli("build", PACK, "--recipients", source, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert f"{source}:3: the cover runs over" in result.output
    assert sorted(p.name for p in (tmp_path / "out").glob("*.pdf")) == [
        "ada-lovelace.pdf", "carla-rossi.pdf"]
    carla = flat(pdf_pages_text(tmp_path / "out" / "carla-rossi.pdf")[0])
    assert "Prepared for Carla Rossi" in carla and "very long name" not in carla


def test_docx_editions_cannot_be_encrypted(tmp_path):
    source = csv_file(tmp_path, EXCEL_CSV)
    result = run_cli("build", PACK, "--recipients", source, "-o", tmp_path / "out",
                     "--encrypt", "--format", "pdf,docx")
    assert result.exit_code == 2 and "--encrypt protects PDFs only" in result.output
