"""The rough corners a new user met (issue 16): each is one line naming the file
(and line) with a fix, exit code 2, and nothing half-written."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from briefgen.content.issue_folder import load_issue

from .conftest import ROOT, SAMPLE, run_cli

PACK = ROOT / "content" / "board-pack"


def errors(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("error:")]


def issue_copy(tmp_path: Path, name: str = "issue") -> Path:
    folder = tmp_path / name
    shutil.copytree(SAMPLE, folder)
    return folder


def newsletter(tmp_path: Path, dated: bool = True) -> Path:
    """A small newsletter the text importer reads: one expert, with or without a date."""
    path = tmp_path / "newsletter.txt"
    path.write_text("Mediterranean Brief | The Nile in Dispute\n\n"
                    + ("20 November 2026\n\n" if dated else "")
                    + "What a drought year would mean for the river's neighbours.\n\n"
                    "Shared rules first\n\n"
                    "“Without shared rules, the first drought will decide the relationship "
                    "between the two countries, and nobody wants that.”\n\n"
                    "Amira Haddad, Senior Fellow, Institute for Mediterranean Affairs\n",
                    encoding="utf-8")
    return path


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# ------------------------------------------------------------------ import: a folder as source

def test_import_of_a_folder_says_it_is_a_folder(tmp_path):
    result = run_cli("import", SAMPLE, "-o", tmp_path / "x")
    assert result.exit_code == 2, result.output
    assert errors(result) == [f"error: {SAMPLE}: this is an issue folder already; `import` "
                              "makes one from a newsletter file — check it with `briefgen "
                              f"validate {SAMPLE}`, or give the .txt, .html or .docx file to "
                              "import"]
    assert not (tmp_path / "x").exists()


def test_import_of_a_folder_of_newsletters_names_a_file_in_it(tmp_path):
    source = tmp_path / "newsletters"
    source.mkdir()
    newsletter(source)
    result = run_cli("import", source, "-o", tmp_path / "x")
    assert result.exit_code == 2
    assert errors(result) == [f"error: {source}: this is a folder; `import` reads one "
                              f"newsletter file — give a file in it, e.g. "
                              f"{source / 'newsletter.txt'}"]


# ------------------------------------------------------------------ new: a file as the folder

def test_new_on_a_file_says_it_is_a_file(tmp_path):
    csv = tmp_path / "recipients.csv"
    csv.write_text("name\nAda\n")
    result = run_cli("new", csv)
    assert result.exit_code == 2
    assert errors(result) == [f"error: {csv}: this is a file, not a folder: `new` creates a "
                              f"folder — give a new folder's name, e.g. `briefgen new "
                              f"{tmp_path / 'recipients'}`"]
    assert csv.read_text() == "name\nAda\n"


def test_new_refuses_a_file_name_and_writes_nothing(tmp_path):
    result = run_cli("new", tmp_path / "notes.md")
    assert result.exit_code == 2 and "is a file's name" in errors(result)[0]
    assert listing(tmp_path) == []


def test_new_writes_the_whole_folder_or_nothing(tmp_path, monkeypatch):
    from briefgen.content import scaffold

    def broken(folder):
        (folder / "issue.md").write_text("half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(scaffold, "_write_issue", broken)
    result = run_cli("new", tmp_path / "a" / "b" / "my-issue")
    assert result.exit_code == 2, result.output
    assert listing(tmp_path) == [], "no half-written folder, no empty parents"


# ------------------------------------------------------------------ import -o x/issue.md

def test_import_into_an_issue_md_names_the_folder(tmp_path):
    folder = issue_copy(tmp_path, "my-issue")
    result = run_cli("import", newsletter(tmp_path), "-o", folder / "issue.md")
    assert result.exit_code == 2
    assert errors(result) == [f"error: {folder / 'issue.md'}: this is a file, not a folder — "
                              f"give -o the issue folder: -o {folder}"]


def test_import_into_a_new_issue_md_creates_nothing(tmp_path):
    target = tmp_path / "fresh" / "issue.md"
    result = run_cli("import", newsletter(tmp_path), "-o", target)
    assert result.exit_code == 2, result.output
    assert errors(result) == [f"error: {target}: -o names the issue folder to create, and "
                              f"issue.md is a file's name — give -o the issue folder: "
                              f"-o {tmp_path / 'fresh'}"]
    assert not (tmp_path / "fresh").exists()


# ------------------------------------------------------------------ -o /proc/x

@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
@pytest.mark.parametrize("command", [
    ["build", SAMPLE, "-f", "docx", "-o"],
    ["new"],
    ["layouts", "new", "house", "-o"],
    ["import", "NEWSLETTER", "-o"],
])
def test_a_folder_that_cannot_be_made_is_one_line(tmp_path, command):
    args = [newsletter(tmp_path) if a == "NEWSLETTER" else a for a in command]
    result = run_cli(*args, "/proc/briefgen-x")
    assert result.exit_code == 2, result.output
    [line] = errors(result)
    assert line.startswith("error: /proc/briefgen-x: cannot create the ")
    assert line.endswith(": /proc does not accept new folders — choose another -o folder") or \
        line.endswith(": /proc does not accept new folders — choose another folder")
    assert "No such file or directory" not in result.output


def test_an_output_folder_under_a_file_names_the_file(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = run_cli("build", SAMPLE, "-f", "docx", "-o", tmp_path / "notes.txt" / "out")
    assert result.exit_code == 2
    assert errors(result) == [f"error: {tmp_path / 'notes.txt' / 'out'}: cannot create the "
                              f"output folder: {tmp_path / 'notes.txt'} is a file, not a "
                              "folder — choose another -o folder"]


# ------------------------------------------------------------------ contributors.yaml

def test_a_missing_contributors_file_is_reported_as_missing(tmp_path):
    folder = issue_copy(tmp_path)
    (folder / "contributors.yaml").unlink()
    result = run_cli("validate", folder)
    assert result.exit_code == 2
    [line] = errors(result)
    assert line.startswith(f"error: {folder / 'contributors.yaml'}: contributors.yaml not "
                           "found: the contributions credit 5 contributors (`amira-haddad`, ")
    assert "unknown contributor" not in result.output


@pytest.mark.parametrize("text, message", [
    ("amira-haddad\n  name Amira Haddad\n", "contributors must be a mapping of id → details "
                                            "— a `:` is missing after an id?"),
    ("", "contributors.yaml is empty"),
    ("amira-haddad:\n\tname: Amira Haddad\n", "invalid YAML"),
])
def test_one_yaml_mistake_gives_one_error_not_one_per_id(tmp_path, text, message):
    folder = issue_copy(tmp_path)
    (folder / "contributors.yaml").write_text(text, encoding="utf-8")
    result = run_cli("validate", folder)
    assert result.exit_code == 2
    [line] = errors(result)
    assert f"contributors.yaml:" in line and message in line
    assert "unknown contributor" not in result.output


def test_an_entry_with_an_error_is_not_also_an_unknown_contributor(tmp_path):
    folder = issue_copy(tmp_path)
    path = folder / "contributors.yaml"
    path.write_text(path.read_text().replace("  name: Amira Haddad\n", "", 1))
    result = run_cli("validate", folder)
    assert result.exit_code == 2
    [line] = errors(result)
    assert "contributor `amira-haddad` has no name" in line


# ------------------------------------------------------------------ layout.toml: all at once

def test_every_layout_toml_problem_is_reported_at_once(tmp_path):
    layout = tmp_path / "house"
    layout.mkdir()
    (layout / "layout.toml").write_text(
        'name = "house"\nextends = "policy-brief"\ncolor = "#000000"\n'
        'page_sizes = ["A4", "B5"]\n[colours]\naccent = "red"\n[docx]\ncover = "none"\n')
    result = run_cli("validate", SAMPLE, "--layout", layout)
    assert result.exit_code == 2
    manifest = layout / "layout.toml"
    assert errors(result) == [
        f"error: {manifest}:3: unknown key 'color' — did you mean 'colours'?",
        f"error: {manifest}:4: unknown page size 'B5' — use A4, Letter, A5",
        f"error: {manifest}:6: bad colour accent = 'red' — write colours as #rrggbb",
        f"error: {manifest}:8: [docx] cover must be one of 'page', 'block'",
    ]


# ------------------------------------------------------------------ import --strict without a date

def test_import_strict_without_a_date_does_not_send_the_user_to_issue_md(tmp_path):
    result = run_cli("import", newsletter(tmp_path, dated=False), "-o", tmp_path / "out",
                     "--strict")
    assert result.exit_code == 2
    [line] = [line for line in errors(result) if "date" in line]
    assert line.endswith("the source has no date — pass --date YYYY-MM-DD (with --strict, "
                         "nothing was written)")
    assert "issue.md" not in result.output and not (tmp_path / "out").exists()
    result = run_cli("import", newsletter(tmp_path, dated=False), "-o", tmp_path / "out",
                     "--strict", "--date", "2026-11-20")
    assert result.exit_code == 0, result.output


# ------------------------------------------------------------------ the scaffolded title

def test_the_scaffolded_title_is_a_title(tmp_path):
    assert run_cli("new", tmp_path / "my-issue").exit_code == 0
    issue = load_issue(tmp_path / "my-issue").issue
    assert "|" not in issue.title and "Series" not in issue.title
    assert issue.title == "The Issue’s Title: What It Is About"


# ------------------------------------------------------------------ help texts

@pytest.mark.parametrize("command", ["build", "check"])
def test_page_size_help_lists_every_size(command):
    result = run_cli(command, "--help")
    assert "--page-size SIZE" in result.output and "A5" in result.output


def test_import_help_names_the_folder_as_its_option_does():
    text = " ".join(run_cli("import", "--help").output.split())
    assert "-o, --output ISSUE_DIR" in text
    assert "Write into the -o folder even if it exists" in text


def test_jobs_without_recipients_is_an_error(tmp_path):
    result = run_cli("build", SAMPLE, "-j", "2", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert errors(result) == ["error: -j sets how many editions are written at once, and only "
                              "--recipients makes editions — add --recipients CSV to build a "
                              "pack's editions, or leave out -j"]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("speaker, hint", [
    ("Omar El-Tayeb", "did you mean `omar-el-tayeb`? speakers are contributor ids"),
    ("nobody", "speakers are contributor ids of the pack's issues: `amira-haddad`, "
               "`elodie-marchetti`, "),
])
def test_an_unknown_speaker_gets_a_suggestion(pack, speaker, hint):
    path = pack / "pack.yaml"
    path.write_text(path.read_text().replace("speakers: [omar-el-tayeb]",
                                             f"speakers: [{speaker}]"))
    result = run_cli("validate", pack)
    assert result.exit_code == 2
    [line] = errors(result)
    assert f"unknown speaker `{speaker}` — {hint}" in line


# ------------------------------------------------------------------ the Dask hint

def test_the_dask_hint_names_this_installation_s_command(tmp_path, monkeypatch):
    from briefgen.install import install_command

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    csv = tmp_path / "delegates.csv"
    csv.write_text("name\nAda\n")
    result = run_cli("build", PACK, "--recipients", csv, "--scheduler", "tcp://127.0.0.1:1",
                     "-o", tmp_path / "out")
    assert result.exit_code == 2
    command = install_command("dask")
    assert errors(result) == ["error: --scheduler needs Dask's distributed package — "
                              f"install it: {command}"]
    # This checkout is installed editable (setup.sh): the hint installs the checkout.
    assert f"{os.path.relpath(sys.executable)} -m pip install -e " in command \
        or f"{sys.executable} -m pip install -e " in command
