"""Editions of a pack, continued: --only, unchanged editions left alone, agenda days
and sessions, closed sessions in the editions of those who may not see an item."""
from __future__ import annotations

import datetime as dt
import io
import re
import subprocess
import zipfile

import docx
import pdfplumber
import pikepdf
import pytest
from docx.oxml.ns import qn

from briefgen.layouts import find_layout

from briefgen.content.pack_folder import load_pack
from briefgen.model import AgendaItem, Recipient
from briefgen.outline import agenda_rows, build_outline
from briefgen.pipeline import editions as editions_module

from .conftest import edit, line_of, need_tool, run_cli
from .test_build_pdf import flat, pdf_pages_text
from .test_packs import outline as bookmarks

ROWS = ("name;organisation;groups;seat\n"
        "Ada Lovelace;Analytical Engines Ltd;board;A1\n"
        "Bob Smith;City Council;;B2\n"
        "Carla Rossi;Ministry of Water;staff;C3\n")


def write_csv(folder, text=ROWS):
    path = folder / "list.csv"
    path.write_text(text, encoding="utf-8")
    return path


def stamp(path):
    """What changes when a file is written again (a new file renamed into place)."""
    info = path.stat()
    return info.st_ino, info.st_mtime_ns


def agenda_page(pages):
    return next(flat(p) for p in pages if "Agenda" in p and "TIME" in p.upper())


def edition_agenda(path):
    """The agenda page's text without the edition's diagonal watermark."""
    with pdfplumber.open(path) as pdf:
        pages = [page.filter(lambda o: o.get("object_type") != "char" or not o["matrix"][1])
                 .extract_text() or "" for page in pdf.pages]
    return agenda_page(pages)


# ---------------------------------------------------------------- --only

def only(pack, tmp_path, names, rows=ROWS):
    """Build the pack's editions of `rows` with --only `names`: (result, output folder)."""
    out = tmp_path / "out"
    return run_cli("build", pack, "--recipients", write_csv(tmp_path, rows), "-o", out,
                   "--only", names), out


def test_only_writes_the_named_editions_by_name_or_file_name(pack, tmp_path):
    result, out = only(pack, tmp_path, "ada LOVELACE, carla-rossi")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["ada-lovelace.pdf", "carla-rossi.pdf"]
    assert "Prepared for Carla Rossi" in flat(pdf_pages_text(out / "carla-rossi.pdf")[0])


def test_only_picks_one_of_two_namesakes_by_file_name_and_keeps_its_name(pack, tmp_path):
    result, out = only(pack, tmp_path, "ada-lovelace-2",
                       rows=ROWS + "Ada Lovelace;Second Office;;D4\n")
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir()] == ["ada-lovelace-2.pdf"]
    cover = flat(pdf_pages_text(out / "ada-lovelace-2.pdf")[0])
    assert "Prepared for Ada Lovelace, Second Office" in cover


def test_only_a_row_filter_picks_the_rows_of_a_group(pack, tmp_path):
    result, out = only(pack, tmp_path, "groups=staff,seat=a1")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["ada-lovelace.pdf", "carla-rossi.pdf"]
    result, _ = only(pack, tmp_path, "group=board")
    assert result.exit_code == 2
    assert "has no `group` column — filter on one of: groups, name, organisation, seat" \
        in result.output


def test_an_unknown_name_is_one_line_with_the_closest_name_and_nothing_written(pack, tmp_path):
    result, out = only(pack, tmp_path, "Ada Lovelace,Bob Smyth")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert "--only 'Bob Smyth': no recipient of that name" in lines[0]
    assert "did you mean 'Bob Smith'?" in lines[0]
    assert not out.exists() or not any(out.iterdir())


def test_only_without_recipients_is_an_error(pack, tmp_path):
    result = run_cli("build", pack, "-o", tmp_path / "out", "--only", "Ada Lovelace")
    assert result.exit_code == 2
    assert "--only picks recipients of --recipients CSV" in result.output
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- unchanged editions

@pytest.fixture
def cache_on(monkeypatch, tmp_path):
    monkeypatch.setenv("BRIEFGEN_CACHE", "on")
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def layouts(monkeypatch):
    """How many times the shared pages of a variant are laid out."""
    calls = []
    real = editions_module._lay_out

    def counting(variant, *args, **kwargs):
        calls.append(len(variant.members))
        return real(variant, *args, **kwargs)

    monkeypatch.setattr(editions_module, "_lay_out", counting)
    return calls


def test_a_rerun_leaves_unchanged_editions_alone_and_rewrites_what_changed(
        pack, tmp_path, cache_on, layouts):
    # The list and the output folder inside the pack folder: not inputs of the editions.
    source = write_csv(pack)
    out = pack / "output"
    argv = ("build", pack, "--recipients", source, "-o", out, "-f", "pdf,docx")
    first = run_cli(*argv)
    assert first.exit_code == 0, first.output
    assert "6 files written" in first.output and "0 unchanged" in first.output
    assert len(layouts) == 2  # board and the others: two variants, each laid out once
    files = sorted(out.iterdir())
    before = {p.name: stamp(p) for p in files}

    layouts.clear()
    again = run_cli(*argv)
    assert again.exit_code == 0, again.output
    assert "0 files written" in again.output and "6 unchanged" in again.output
    assert {p.name: stamp(p) for p in files} == before
    assert layouts == []  # nothing laid out at all

    # One row changed: that edition only, and its variant laid out once.
    edit(source, "Bob Smith;City Council", "Bob Smith;Town Council")
    one_row = run_cli(*argv)
    assert one_row.exit_code == 0, one_row.output
    assert "2 files written" in one_row.output and "4 unchanged" in one_row.output
    changed = {p.name for p in files if stamp(p) != before[p.name]}
    assert changed == {"bob-smith.pdf", "bob-smith.docx"}
    assert "Prepared for Bob Smith, Town Council" in flat(
        pdf_pages_text(out / "bob-smith.pdf")[0])
    assert layouts == [1]
    before = {p.name: stamp(p) for p in files}

    # A late bio change: every edition, the shared pages once per variant.
    layouts.clear()
    people = pack.parent / "nile-dispute" / "contributors.yaml"
    edit(people, "Omar el-Tayeb is a hydrologist",
         "Omar el-Tayeb, newly appointed, is a hydrologist")
    late = run_cli(*argv)
    assert late.exit_code == 0, late.output
    assert "6 files written" in late.output and "0 unchanged" in late.output
    assert all(stamp(p) != before[p.name] for p in files)
    assert sorted(layouts) == [1, 2]
    # (poppler reads the diagonal watermark apart from the text it crosses)
    text = subprocess.run([need_tool("pdftotext"), str(out / "carla-rossi.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "newly appointed" in flat(text)


def test_an_edition_edited_or_deleted_by_hand_is_written_again(pack, tmp_path, cache_on):
    source = write_csv(tmp_path)
    out = tmp_path / "out"
    assert run_cli("build", pack, "--recipients", source, "-o", out).exit_code == 0
    good = (out / "ada-lovelace.pdf").read_bytes()
    (out / "ada-lovelace.pdf").write_bytes(good[:-10] + b"tampered\n")
    (out / "bob-smith.pdf").unlink()
    carla = stamp(out / "carla-rossi.pdf")
    result = run_cli("build", pack, "--recipients", source, "-o", out)
    assert result.exit_code == 0, result.output
    assert "2 files written" in result.output and "1 unchanged" in result.output
    assert (out / "ada-lovelace.pdf").read_bytes() == good
    assert (out / "bob-smith.pdf").is_file() and stamp(out / "carla-rossi.pdf") == carla


def test_other_options_or_a_layout_are_new_inputs(pack, tmp_path, cache_on):
    source = write_csv(tmp_path)
    out = tmp_path / "out"
    assert run_cli("build", pack, "--recipients", source, "-o", out).exit_code == 0
    result = run_cli("build", pack, "--recipients", source, "-o", out, "--page-size", "letter")
    assert "3 files written" in result.output and "0 unchanged" in result.output
    with pikepdf.open(out / "ada-lovelace.pdf") as pdf:
        assert round(float(pdf.pages[0].mediabox[2])) == 612  # US Letter width, 8.5 in
    result = run_cli("build", pack, "--recipients", source, "-o", out, "--page-size", "letter",
                     "--layout", "memo")
    assert "3 files written" in result.output


def test_without_the_cache_every_edition_is_written(pack, tmp_path):
    source = write_csv(tmp_path)
    out = tmp_path / "out"
    assert run_cli("build", pack, "--recipients", source, "-o", out).exit_code == 0
    result = run_cli("build", pack, "--recipients", source, "-o", out)
    assert "3 files written" in result.output and "0 unchanged" in result.output


# ---------------------------------------------------------------- days and sessions

TWO_DAYS = ('''    title: Welcome and adoption of the agenda
''', '''    day: 2026-11-27
    title: Welcome and adoption of the agenda
''')
SECOND_DAY = ('''  - time: "11:30"
    session: "Session 2: Energy"''', '''  - time: "11:30"
    day: 2026-11-28
    session: "Session 2: Energy"''')
VISIT = ('''  - time: "12:30"
    title: Conclusions''', '''  - time: "15:00"
    day: Field visit
    title: The Aswan barrage
  - time: "12:30"
    day: 2026-11-28
    title: Conclusions''')


def test_the_agenda_groups_by_day_with_sessions_in_pdf_and_docx(pack, tmp_path):
    yaml = pack / "pack.yaml"
    edit(yaml, *TWO_DAYS)
    edit(yaml, *SECOND_DAY)
    out = tmp_path / "out"
    result = run_cli("build", pack, "-o", out)
    assert result.exit_code == 0, result.output
    agenda = agenda_page(pdf_pages_text(out / "board-pack.pdf"))
    assert re.search(r"Friday 27 November 2026 09:30 Welcome .* SESSION 1: WATER 09:45 The Nile"
                     r".* 11:15 Coffee break Saturday 28 November 2026 SESSION 2: ENERGY "
                     r"11:30 Solar power", agenda), agenda

    document = docx.Document(str(out / "board-pack.docx"))
    table = next(t for t in document.tables
                 if t.rows[0].cells[0].paragraphs[0].style.name == "Agenda Heading")
    rows = [(row.cells[0].paragraphs[0].style.name, row.cells[0].text) for row in table.rows]
    assert rows[1:4] == [("Agenda Day", "Friday 27 November 2026"),
                         ("Agenda Time", "09:30"), ("Agenda Session", "Session 1: Water")]
    assert ("Agenda Day", "Saturday 28 November 2026") in rows
    assert rows.index(("Agenda Day", "Saturday 28 November 2026")) + 1 == \
        rows.index(("Agenda Session", "Session 2: Energy"))
    for row in table.rows:
        style = row.cells[0].paragraphs[0].style.name
        if style in ("Agenda Day", "Agenda Session"):
            # One cell across the table, its look from the named style alone.
            cells = row._tr.findall(qn("w:tc"))
            assert len(cells) == 1
            assert cells[0].tcPr.find(qn("w:gridSpan")).get(qn("w:val")) == "3"
            assert all(run._r.rPr is None for run in row.cells[0].paragraphs[0].runs)
            # the rule under it, as the PDF's: a day's in the accent colour
            rule = cells[0].tcPr.find(qn("w:tcBorders")).find(qn("w:bottom"))
            colour = find_layout("policy-brief").colours["accent" if style == "Agenda Day"
                                                         else "rule"]
            assert rule.get(qn("w:color")) == colour[1:].upper()
    styles = {s.name: s for s in document.styles}
    assert styles["Agenda Day"].font.bold and styles["Agenda Session"].font.all_caps


def test_the_same_grouped_rows_for_both_writers_in_the_packs_language():
    items = (AgendaItem("09:00", "Opening", day=dt.date(2026, 11, 27), session="A"),
             AgendaItem("10:00", "Talk", day=dt.date(2026, 11, 27), session="A"),
             AgendaItem("11:00", "Break", day=dt.date(2026, 11, 27)),
             AgendaItem("12:00", "Panel", day=dt.date(2026, 11, 27), session="A"),
             AgendaItem("09:00", "Visit", day="Day 2", session="A"))
    rows = [(r.kind, r.title) for r in agenda_rows(items, "ar", {})]
    assert rows == [("day", "الجمعة 27 نوفمبر 2026"), ("session", "A"), ("item", "Opening"),
                    ("item", "Talk"), ("item", "Break"), ("session", "A"), ("item", "Panel"),
                    ("day", "Day 2"), ("session", "A"), ("item", "Visit")]
    assert agenda_rows(items[:1], "fr", {})[0].title == "vendredi 27 novembre 2026"
    # No day or session anywhere: the rows are the items, as before.
    plain = (AgendaItem("09:00", "Opening"), AgendaItem("10:00", "Talk"))
    assert [r.kind for r in agenda_rows(plain, "en", {})] == ["item", "item"]


@pytest.mark.parametrize("change, needle, message", [
    (('    day: 2026-11-27\n', '    day: 2026-11-31\n'), "day: 2026-11-31",
     "bad date `2026-11-31` in `day` — write it as YYYY-MM-DD"),
    (('    day: 2026-11-27\n', '    day: The first day of the autumn meeting in Rome\n'),
     "day: The first", "agenda day is over 40 characters"),
    (('    session: "Session 1: Water"', '    session: [Water]'), "session: [Water]",
     "`session` must be text"),
    (('    title: Coffee break\n', '    title: Coffee break\n    day: 2026-11-27\n'),
     "title: Coffee break", "the agenda comes back to day `2026-11-27` after another day"),
])
def test_bad_days_and_sessions_are_one_line_with_their_line(pack, tmp_path, change, needle,
                                                              message):
    yaml = pack / "pack.yaml"
    edit(yaml, *TWO_DAYS)
    edit(yaml, '''  - time: "10:45"
''', '''  - time: "10:45"
    day: 2026-11-28
''')
    edit(yaml, *change)
    line = line_of(yaml, needle) + (1 if needle == "title: Coffee break" else 0)
    result = run_cli("build", pack, "-o", tmp_path / "out")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"pack.yaml:{line}: {message}" in result.output, result.output
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- closed sessions

HIDDEN = ("Timeline of the negotiations", "Timeline of the Nile dam", "nile-timeline",
          "Questions for the Board")


def pdf_everything(path) -> bytes:
    """Every byte of a PDF, streams decompressed: text, bookmarks, links, metadata."""
    buffer = io.BytesIO()
    with pikepdf.open(path) as pdf:
        pdf.save(buffer, qdf=True, compress_streams=False,
                 stream_decode_level=pikepdf.StreamDecodeLevel.generalized,
                 object_stream_mode=pikepdf.ObjectStreamMode.disable)
    return buffer.getvalue()


def test_a_hidden_item_is_a_closed_session_that_leaks_nothing(pack, tmp_path):
    out = tmp_path / "out"
    result = run_cli("build", pack, "--recipients", write_csv(tmp_path), "-o", out,
                     "-f", "pdf,docx", "--only", "Bob Smith,Ada Lovelace")
    assert result.exit_code == 0, result.output
    bob_pages = pdf_pages_text(out / "bob-smith.pdf")
    agenda = edition_agenda(out / "bob-smith.pdf")
    assert "SESSION 1: WATER 09:45 The Nile in dispute" in agenda
    # The slot is there, its speakers and page are not.
    assert re.search(r"Amira Haddad, Tesfaye Bekele 10:45 Closed session 11:15 Coffee break",
                     agenda), agenda
    assert "Omar el-Tayeb" not in agenda
    everything = pdf_everything(out / "bob-smith.pdf")
    for text in HIDDEN:
        assert text not in flat(" ".join(bob_pages))
        assert text.encode() not in everything, text
    assert not any("Timeline" in title for _, title, _ in bookmarks(out / "bob-smith.pdf"))
    with pikepdf.open(out / "bob-smith.pdf") as pdf:
        meta = str(dict(pdf.docinfo)) + str(pdf.open_metadata())
    assert "Timeline" not in meta

    document = docx.Document(str(out / "bob-smith.docx"))
    table = next(t for t in document.tables
                 if t.rows[0].cells[0].paragraphs[0].style.name == "Agenda Heading")
    closed = [row for row in table.rows if row.cells[0].text == "10:45"]
    assert len(closed) == 1
    assert [c.text for c in closed[0].cells] == ["10:45", "Closed session", ""]
    assert closed[0].cells[1].paragraphs[0].style.name == "Agenda Closed"
    assert document.styles["Agenda Closed"].font.italic
    with zipfile.ZipFile(out / "bob-smith.docx") as package:
        for name in package.namelist():
            data = package.read(name)
            for text in HIDDEN:
                assert text.encode() not in data, (name, text)

    # The board member's edition has the item itself.
    ada = edition_agenda(out / "ada-lovelace.pdf")
    assert re.search(r"10:45 Timeline of the negotiations and questions for the Board \d+ "
                     r"Omar el-Tayeb 11:15", ada), ada
    assert "Closed session" not in ada


def test_the_closed_label_is_configurable_or_drops_the_slot(pack, tmp_path):
    yaml = pack / "pack.yaml"
    edit(yaml, "closed_label: Closed session", 'closed_label: "Board only"')
    out = tmp_path / "out"
    source = write_csv(tmp_path)
    assert run_cli("build", pack, "--recipients", source, "-o", out, "--only", "bob smith"
                   ).exit_code == 0
    assert "10:45 Board only 11:15" in edition_agenda(out / "bob-smith.pdf")
    edit(yaml, 'closed_label: "Board only"', 'closed_label: ""')
    assert run_cli("build", pack, "--recipients", source, "-o", out, "--only", "bob smith"
                   ).exit_code == 0
    agenda = edition_agenda(out / "bob-smith.pdf")
    assert "10:45" not in agenda and "Board only" not in agenda
    assert re.search(r"Amira Haddad, Tesfaye Bekele 11:15 Coffee break", agenda), agenda


def test_the_default_label_is_in_the_packs_language(pack):
    yaml = pack / "pack.yaml"
    edit(yaml, "  closed_label: Closed session", "")
    edit(yaml, "lang: en", "lang: fr")
    loaded = load_pack(pack).pack
    assert loaded.closed_label is None
    bob = loaded.for_recipient(Recipient("Bob Smith"))
    rows = build_outline(bob).agenda
    closed = [r for r in rows if r.closed]
    assert [(r.time, r.title, r.speakers, r.target) for r in closed] == [
        ("10:45", "Séance à huis clos", (), None)]
    ada = loaded.for_recipient(Recipient("Ada Lovelace", groups=("board",)))
    assert not any(r.closed for r in build_outline(ada).agenda)


def test_editions_written_into_the_pack_folder_itself_are_unchanged_on_a_rerun(
        pack, cache_on):
    """-o the pack's own folder: the editions land among its inputs, and are still
    not inputs of the next run (which leaves them alone)."""
    source = write_csv(pack)
    argv = ("build", pack, "--recipients", source, "-o", pack)
    first = run_cli(*argv)
    assert first.exit_code == 0, first.output
    assert "3 files written" in first.output
    before = stamp(pack / "ada-lovelace.pdf")
    again = run_cli(*argv)
    assert again.exit_code == 0, again.output
    assert "0 files written" in again.output and "3 unchanged" in again.output
    assert stamp(pack / "ada-lovelace.pdf") == before
