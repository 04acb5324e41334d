"""`briefgen import`: newsletters (text, HTML) and revised DOCX back into issue folders."""
from __future__ import annotations

import dataclasses
import io
import shutil
import subprocess
import zipfile

import docx
import pytest

from briefgen.content.importers.newsletter import split_attribution
from briefgen.content.issue_folder import load_issue
from briefgen.docx_styles import STYLE_BODY

from .conftest import SAMPLE, SEED, make_varied_issue, need_tool, run_cli
from .newsletters import EXPERTS, newsletter_html, newsletter_parts, newsletter_text
from .test_build_pdf import flat, pdf_pages_text


def differences(a, b, path="issue"):
    """Field-by-field differences between two models, as readable lines."""
    if a == b:
        return []
    if dataclasses.is_dataclass(a) and type(a) is type(b):
        return [d for f in dataclasses.fields(a) if f.compare
                for d in differences(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}")]
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]")]
    return [f"{path}: {a!r} != {b!r}"]


def imported(source, tmp_path, *args, name="imported"):
    folder = tmp_path / name
    result = run_cli("import", source, "-o", folder, *args)
    assert result.exit_code == 0, result.output
    assert run_cli("validate", folder).exit_code == 0
    return load_issue(folder).issue, result.output


# ---------------------------------------------------------------- the seed newsletter

SEED_PEOPLE = [  # name, role, organisation: what a reader of the seed's attribution lines sees
    ("Maria Fantappie", "Special Adviser for the Middle East and North Africa region",
     "Centre for Humanitarian Dialogue (HD)"),
    ("Marsin Alshamary", "Post-doctoral Research Fellow, Foreign Policy Program",
     "The Brookings Institution"),
    ("Tamer Badawi", "Analyst", "CARPO; and Al-Sharq Institute"),
    ("Francesco Salesio Schiavi", "", "ISPI"),
    ("Christian Koch", "Director of Research", "Gulf Research Center (GRC)"),
]


@pytest.fixture(scope="module")
def seed_import(tmp_path_factory):
    if not SEED.is_file():
        pytest.skip(f"seed newsletter not found at {SEED} (the shared/ folder is absent)")
    tmp = tmp_path_factory.mktemp("seed-import")
    issue, output = imported(SEED, tmp, "--date", "2021-07-15", name="iraq")
    return issue, output, tmp / "iraq"


def test_seed_imports_five_contributions_with_names_roles_organisations(seed_import, seed_issue):
    issue, output, _ = seed_import
    _, facts = seed_issue
    assert "5 contributions, 5 contributors" in output
    assert [(c.name, c.role, c.organisation) for c in issue.contributors] == SEED_PEOPLE
    assert [c.headline for c in issue.contributions] == [
        c["headline"].replace("'", "’") for c in facts["contributions"]]
    assert [c.contributors[0].name for c in issue.contributions] == [p[0] for p in SEED_PEOPLE]
    assert issue.series == "MED This Week" and issue.publisher == "ISPI"
    assert issue.title.startswith("Iraq’s (In)Stability")
    assert len(issue.lede) == 2 and issue.experts_intro.startswith("Experts from")
    assert issue.call_to_action.text == "Subscribe to MED newsletter"
    assert all(c.body[0].text.startswith("“") for c in issue.contributions)


def test_seed_import_builds(seed_import, tmp_path):
    _, _, folder = seed_import
    result = run_cli("build", folder, "-o", tmp_path)
    assert result.exit_code == 0, result.output
    text = flat(" ".join(pdf_pages_text(tmp_path / "iraq.pdf")))
    assert "Tamer Badawi, Analyst, CARPO; and Al-Sharq Institute" in text
    assert "Not only a local dilemma" in text


# ---------------------------------------------------------------- hard cases, our fixtures

def test_attribution_with_commas_semicolons_ampersands_and_parentheses():
    assert split_attribution("Paolo Rinaldi, Head of Research, Energy Desk; Visiting Fellow, "
                             "Centre for Euro-Mediterranean Studies (CEMS), Rome") == (
        "Paolo Rinaldi", "Head of Research, Energy Desk; Visiting Fellow",
        "Centre for Euro-Mediterranean Studies (CEMS), Rome")
    assert split_attribution("A B, Professor, Department of Politics & IR, Some University") == (
        "A B", "Professor, Department of Politics & IR", "Some University")
    assert split_attribution("Solo Name") == ("Solo Name", "", "")
    assert split_attribution("A B, Consultant") == ("A B", "Consultant", "")


@pytest.mark.parametrize("variant", [
    {}, {"crlf": True}, {"nbsp": True}, {"straight": True}, {"trailing_blank": False},
    {"crlf": True, "nbsp": True, "straight": True}])
def test_text_newsletter_variants_give_the_same_issue(variant, tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text(newsletter_text(), encoding="utf-8", newline="")
    odd = tmp_path / "odd.txt"
    odd.write_bytes(newsletter_text(**variant).encode("utf-8"))
    a, _ = imported(plain, tmp_path, "--date", "2026-05-01", name="a")
    b, _ = imported(odd, tmp_path, "--date", "2026-05-01", name="b")
    assert differences(dataclasses.replace(a, slug="x"), dataclasses.replace(b, slug="x")) == []


def test_text_newsletter_hard_cases(tmp_path):
    source = tmp_path / "wire.txt"
    source.write_text(newsletter_text(), encoding="utf-8")
    issue, _ = imported(source, tmp_path, "--date", "2026-05-01")
    headlines = [c.headline for c in issue.contributions]
    assert headlines == ["Water talks need a drought clause", "", "أمن المياه يبدأ من البيانات",
                         "Europe’s leverage is smaller than it thinks"]
    paolo = issue.contributions[1].contributors[0]
    assert (paolo.role, paolo.organisation) == (
        "Head of Research, Energy Desk; Visiting Fellow",
        "Centre for Euro-Mediterranean Studies (CEMS), Rome")
    arabic = issue.contributions[2]
    assert arabic.lang == "ar" and arabic.contributors[0].name == "سلمى العطار"
    assert arabic.contributors[0].id == "سلمى-العطار"
    assert issue.contributors[3].id == "elodie-ouedraogo"
    assert issue.call_to_action.url == "https://example.org/wire"
    assert issue.call_to_action.heading == "Stay in touch"


def test_twelve_contributors(tmp_path):
    source = tmp_path / "big.txt"
    source.write_text(newsletter_text(newsletter_parts(extra=8)), encoding="utf-8")
    issue, output = imported(source, tmp_path, "--date", "2026-05-01")
    assert len(issue.contributions) == 12 and len(issue.contributors) == 12
    assert "12 contributions, 12 contributors" in output


def test_html_newsletter_gives_the_same_issue_as_text(tmp_path):
    text, html = tmp_path / "wire.txt", tmp_path / "wire.html"
    text.write_text(newsletter_text(), encoding="utf-8")
    html.write_text(newsletter_html(), encoding="utf-8")
    a, _ = imported(text, tmp_path, "--date", "2026-05-01", name="t")
    b, output = imported(html, tmp_path, "--date", "2026-05-01", name="h")
    assert differences(dataclasses.replace(a, slug="x"), dataclasses.replace(b, slug="x")) == []
    assert "dropped image https://tracker.example.com/pixel.gif" in output
    markdown = (tmp_path / "h" / "issue.md").read_text(encoding="utf-8")
    assert "tracking" not in markdown and "evil.example.com" not in markdown
    assert "color: red" not in markdown


def test_unrecognised_text_is_kept_and_reported_with_its_line(tmp_path):
    text = newsletter_text().replace("Europe's leverage", "A stray note from the editor.\n\n"
                                     "Europe's leverage")
    source = tmp_path / "stray.txt"
    source.write_text(text, encoding="utf-8")
    issue, output = imported(source, tmp_path, "--date", "2026-05-01")
    line = text.split("\n").index("A stray note from the editor.") + 1
    assert f"stray.txt:{line}: text between two contributions was not recognised" in output
    assert "A stray note from the editor." in issue.contributions[2].body[-1].text


def test_strict_turns_warnings_into_errors_and_writes_nothing(tmp_path):
    source = tmp_path / "wire.txt"
    source.write_text(newsletter_text(), encoding="utf-8")
    result = run_cli("import", source, "-o", tmp_path / "out", "--strict")  # no date: a warning
    assert result.exit_code == 2 and "the source has no date" in result.output
    assert not (tmp_path / "out").exists()


def test_import_never_overwrites_without_force(tmp_path):
    source = tmp_path / "wire.txt"
    source.write_text(newsletter_text(), encoding="utf-8")
    folder = tmp_path / "issue"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep me")
    result = run_cli("import", source, "-o", folder, "--date", "2026-05-01")
    assert result.exit_code == 2 and "--force" in result.output
    assert (folder / "mine.txt").read_text() == "keep me"
    result = run_cli("import", source, "-o", folder, "--date", "2026-05-01", "--force")
    assert result.exit_code == 0 and "kept mine.txt (not written by briefgen)" in result.output
    assert (folder / "mine.txt").read_text() == "keep me" and (folder / "issue.md").is_file()


def test_import_errors_are_clear(tmp_path):
    result = run_cli("import", tmp_path / "missing.txt", "-o", tmp_path / "x")
    assert result.exit_code == 2 and "source file not found" in result.output
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.7")
    result = run_cli("import", tmp_path / "a.pdf", "-o", tmp_path / "x")
    assert result.exit_code == 2 and "cannot import .pdf files" in result.output
    assert not (tmp_path / "x").exists()


# ---------------------------------------------------------------- DOCX round trips

def docx_of(folder, tmp_path):
    out = tmp_path / "built"
    assert run_cli("build", folder, "-o", out, "-f", "docx").exit_code == 0
    return next(out.glob("*.docx"))


@pytest.mark.parametrize("which", ["sample", "varied", "energy-forum", "arabic-brief"])
def test_docx_round_trip_gives_the_same_model(which, tmp_path):
    folder = {"sample": SAMPLE, "varied": None}.get(which, SAMPLE.parent / which) \
        if which != "varied" else make_varied_issue(tmp_path / "varied")
    original = load_issue(folder).issue
    back, output = imported(docx_of(folder, tmp_path), tmp_path, name=f"back/{folder.name}")
    assert "0 warnings" in output
    assert differences(original, back) == []


def test_docx_round_trip_through_libreoffice(tmp_path):
    soffice = need_tool("soffice")
    folder = make_varied_issue(tmp_path / "varied")
    original = load_issue(folder).issue
    resaved = tmp_path / "resaved"
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(resaved),
                    str(docx_of(folder, tmp_path))], check=True, capture_output=True, timeout=240)
    back, _ = imported(resaved / "varied.docx", tmp_path, name="back/varied")
    assert differences(original, back) == []


def test_editor_changes_come_back(tmp_path):
    path = docx_of(SAMPLE, tmp_path)
    document = docx.Document(str(path))
    paragraphs = document.paragraphs
    by_text = {p.text: p for p in paragraphs}
    # 1. rename a headline
    by_text["Europe should fund the data, not take sides"].runs[0].text = \
        "Europe should pay for shared data"
    # 2. edit text inside a contribution
    body = next(p for p in paragraphs if p.text.startswith("“Seen from Addis Ababa"))
    body.runs[0].text = body.runs[0].text.replace("about light", "about lighting homes")
    # 3. add a paragraph after it, in the body style, and one in a style briefgen does not know
    added = body.insert_paragraph_before("An editor's added sentence, in its own paragraph.")
    added.style = document.styles[STYLE_BODY]
    from docx.enum.style import WD_STYLE_TYPE
    document.styles.add_style("Editor Note", WD_STYLE_TYPE.PARAGRAPH)
    note = body.insert_paragraph_before("A note in an unknown style.")
    note.style = document.styles["Editor Note"]
    # 4. delete the Sudan contribution: its headline and everything up to the next headline
    start = paragraphs.index(by_text["Sudan is the country with the most to gain — and to lose"])
    for paragraph in paragraphs[start:]:
        if paragraph is not paragraphs[start] and paragraph.style.name in ("Heading 2",
                                                                           "Heading 1"):
            break
        paragraph._p.getparent().remove(paragraph._p)
    edited = tmp_path / "edited.docx"
    document.save(str(edited))

    issue, output = imported(edited, tmp_path, name="nile-dispute")
    headlines = [c.headline for c in issue.contributions]
    assert "Europe should pay for shared data" in headlines
    assert not any(h.startswith("Sudan is the country") for h in headlines)
    assert len(issue.contributions) == 4
    tesfaye = next(c for c in issue.contributions if c.contributors[0].id == "tesfaye-bekele")
    texts = [b.text for b in tesfaye.body]
    assert any("about lighting homes" in t for t in texts)
    assert "An editor’s added sentence, in its own paragraph." in texts
    assert "A note in an unknown style." in texts
    assert "unknown style “Editor Note”: kept as body text" in output
    assert "contributor Omar el-Tayeb has a bio but no contribution" in output
    # and the next build carries the edits
    out = tmp_path / "rebuilt"
    assert run_cli("build", tmp_path / "nile-dispute", "-o", out, "-f", "pdf").exit_code == 0
    text = flat(" ".join(pdf_pages_text(out / "nile-dispute.pdf")))
    assert "Europe should pay for shared data" in text and "about lighting homes" in text


# ---------------------------------------------------------------- hostile DOCX files

def rewritten_docx(source, target, part, transform):
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            zout.writestr(info.filename, transform(data) if info.filename == part else data)
        if part not in zin.namelist():
            zout.writestr(part, transform(b""))


def test_xml_bomb_docx_is_refused(tmp_path):
    bomb = tmp_path / "bomb.docx"
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')
    rewritten_docx(docx_of(SAMPLE, tmp_path), bomb, "word/document.xml",
                   lambda data: laughs + data.split(b"?>", 1)[1])
    result = run_cli("import", bomb, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "word/document.xml declares a DTD or entities: refused as unsafe" in result.output
    assert not (tmp_path / "out").exists()


def test_zip_bomb_docx_is_refused(tmp_path):
    bomb = tmp_path / "zipbomb.docx"
    rewritten_docx(docx_of(SAMPLE, tmp_path), bomb, "word/media/huge.bin",
                   lambda _: b"\0" * 120_000_000)
    result = run_cli("import", bomb, "-o", tmp_path / "out")
    assert result.exit_code == 2 and "refused as a zip bomb" in result.output


def test_not_a_docx(tmp_path):
    fake = tmp_path / "fake.docx"
    fake.write_bytes(b"not a zip at all")
    result = run_cli("import", fake, "-o", tmp_path / "out")
    assert result.exit_code == 2 and "not a DOCX file" in result.output
    other = tmp_path / "other.docx"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("hello.txt", "hi")
    result = run_cli("import", other, "-o", tmp_path / "out")
    assert result.exit_code == 2 and "not a Word document" in result.output
