"""Project defaults (briefgen.toml, `briefgen config`), `--json` on build, validate and
check, and layout names versus layout folders (issue 16)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from briefgen import project
from briefgen.layouts import builtin_layouts_dir

from .conftest import ROOT, SAMPLE, run_cli


def errors(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("error:")]


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository (.git) with the sample issue in issues/nile; the current folder."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    shutil.copytree(SAMPLE, root / "issues" / "nile")
    monkeypatch.chdir(root)
    return root


def stdout_json(result) -> dict:
    return json.loads(result.stdout)


# ------------------------------------------------------------------ briefgen.toml

def test_settings_come_from_the_nearest_file_then_the_next_then_the_defaults(repo):
    (repo / "briefgen.toml").write_text('# house\nlayout = "memo"\npage_size = "letter"\n'
                                        'output = "dist"\n')
    (repo / "issues" / "briefgen.toml").write_text('page_size = "A4"\n')
    found = project.settings("issues/nile", "build")
    assert found.files == (Path("issues/briefgen.toml"), Path("briefgen.toml"))
    assert (found.value("layout"), found.items["layout"].where) == ("memo", "briefgen.toml:2")
    assert (found.value("page_size"), found.items["page_size"].where) == \
        ("A4", "issues/briefgen.toml:1")
    assert found.value("output") == Path("dist")
    assert found.items["formats"].origin == "default" and found.value("formats") is None
    given = project.settings("issues/nile", "build", given={"page_size": "Letter"})
    assert given.items["page_size"].origin == "command line"
    # check and the preview read the settings they use, and only those
    assert set(project.settings("issues/nile", "check").items) == {"layout", "page_size", "print"}
    assert set(project.settings("issues/nile", "preview").items) == {"layout", "page_size"}


def test_the_search_stops_at_the_repository_root(tmp_path, repo):
    (tmp_path / "briefgen.toml").write_text('layout = "memo"\n')  # above .git: not read
    assert project.settings("issues/nile").items["layout"].origin == "default"


def test_build_uses_the_file_and_the_command_line_wins(repo):
    (repo / "briefgen.toml").write_text('layout = "memo"\nformats = ["pdf"]\n'
                                        'output = "dist"\n')
    result = run_cli("build", "issues/nile", "--json")
    assert result.exit_code == 0, result.output
    report = stdout_json(result)
    assert report["layout"] == "memo"
    assert [o["path"] for o in report["outputs"]] == ["dist/nile.pdf"]
    assert (repo / "dist" / "nile.pdf").is_file()
    result = run_cli("build", "issues/nile", "-f", "docx", "-o", "elsewhere", "--json")
    assert result.exit_code == 0, result.output
    assert [o["path"] for o in stdout_json(result)["outputs"]] == ["elsewhere/nile.docx"]


def test_every_problem_of_the_file_is_one_line_with_its_line(repo):
    (repo / "briefgen.toml").write_text(
        'layuot = "memo"\npage_size = "B5"\nallow_remote = true\noutput = "../out"\n'
        'formats = "pdf,odt"\nlayout = "./nowhere"\n[build]\njobs = 2\n')
    result = run_cli("build", "issues/nile")
    assert result.exit_code == 2
    assert errors(result) == [
        "error: briefgen.toml:1: unknown key `layuot` — did you mean `layout`?",
        "error: briefgen.toml:2: `page_size` 'B5' is not a page size — choose one of: A4, "
        "Letter, A5",
        "error: briefgen.toml:3: `allow_remote` cannot be set in briefgen.toml — it would let a "
        "received folder's briefgen.toml open the network; give --allow-remote on the command "
        "line",
        "error: briefgen.toml:4: `output` '../out' leads outside the folder of briefgen.toml — "
        "give a path inside ., or use the command-line flag",
        "error: briefgen.toml:5: `formats` has an unknown format odt — choose from pdf, docx, html",
        "error: briefgen.toml:6: `layout` './nowhere' is not a layout folder (no layout.toml in "
        "it) — `briefgen layouts new NAME` makes one",
        "error: briefgen.toml:7: unknown key `build` — known: " + ", ".join(project.KEYS),
    ]
    assert not (repo / "output").exists()


def test_invalid_toml_is_one_line(repo):
    (repo / "briefgen.toml").write_text('layout = "memo"\npage_size = [\n')
    result = run_cli("check", "issues/nile")
    assert result.exit_code == 2
    assert errors(result) == ["error: briefgen.toml:2: invalid TOML: Invalid value — check "
                              "quotes and brackets"]


def test_config_prints_each_setting_and_where_it_came_from(repo):
    (repo / "briefgen.toml").write_text('layout = "memo"\n\nrecipients = "people.csv"\n')
    result = run_cli("config", "issues/nile")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "from briefgen.toml (nearest first)"
    assert lines[1].split() == ["layout", "memo", "briefgen.toml:1"]
    assert lines[2].split()[-1] == "default"
    # recipients make editions of a pack only: the setting is shown, and why it is not used
    assert "note: briefgen.toml:3 sets people.csv, not used: editions are made from a pack" \
        in result.output
    report = stdout_json(run_cli("config", "issues/nile", "--json"))
    assert report["settings"]["layout"] == {"value": "memo", "shown": "memo",
                                            "origin": "briefgen.toml",
                                            "source": {"file": "briefgen.toml", "line": 1}}


def test_a_pack_s_own_layout_wins_over_the_file(tmp_path, monkeypatch):
    content = tmp_path / "content"
    for name in ("board-pack", "nile-dispute", "energy-forum"):
        shutil.copytree(ROOT / "content" / name, content / name)
    (content / "briefgen.toml").write_text('layout = "memo"\n')
    monkeypatch.chdir(content)
    layout = project.settings("board-pack", "build").items["layout"]
    assert (layout.value, layout.shown, layout.where) == (None, "policy-brief",
                                                          "board-pack/pack.yaml:8")
    assert project.settings("nile-dispute").value("layout") == "memo"


def test_recipients_from_the_file_make_editions_and_no_recipients_builds_once(tmp_path,
                                                                           monkeypatch):
    content = tmp_path / "content"
    for name in ("board-pack", "nile-dispute", "energy-forum"):
        shutil.copytree(ROOT / "content" / name, content / name)
    (content / "board-pack" / "people.csv").write_text("name\nAda Lovelace\n")
    (content / "board-pack" / "briefgen.toml").write_text('recipients = "people.csv"\n'
                                                          'jobs = 1\n')
    monkeypatch.chdir(content)
    result = run_cli("build", "board-pack", "-o", "editions", "--json")
    assert result.exit_code == 0, result.output
    assert [Path(o["path"]).name for o in stdout_json(result)["outputs"]] == ["ada-lovelace.pdf"]
    result = run_cli("build", "board-pack", "--no-recipients", "-f", "pdf", "-o", "once")
    assert result.exit_code == 0, result.output
    assert [p.name for p in (content / "once").iterdir()] == ["board-pack.pdf"]


# ------------------------------------------------------------------ --json

def test_build_json_lists_outputs_pages_and_warnings_with_file_and_line(tmp_path):
    folder = tmp_path / "issue"
    shutil.copytree(SAMPLE, folder)
    with open(folder / "contributors.yaml", "a", encoding="utf-8") as fh:
        fh.write("\nnobody-credited:\n  name: Nobody Credited\n")
    line = len((folder / "contributors.yaml").read_text().splitlines()) - 1
    result = run_cli("build", folder, "-o", tmp_path / "out", "--json")
    assert result.exit_code == 0, result.output
    report = stdout_json(result)
    assert report["ok"] is True and report["command"] == "build"
    assert [(Path(o["path"]).name, o["format"]) for o in report["outputs"]] == \
        [("issue.pdf", "pdf"), ("issue.docx", "docx")]
    assert report["outputs"][0]["pages"] == report["pages"] > 1
    assert report["warnings"] == [{
        "check": "content", "page": None,
        "message": "contributor `nobody-credited` is not credited in any contribution — add "
                   "`by: nobody-credited` under a headline, or remove the entry",
        "source": {"file": str(folder / "contributors.yaml"), "line": line}}]
    assert all(set(f) == {"check", "page", "message", "source"} for f in report["findings"])
    assert "warning:" not in result.stderr  # the warnings are in the JSON


def test_validate_json(tmp_path):
    report = stdout_json(run_cli("validate", SAMPLE, "--json"))
    assert report == {"command": "validate", "ok": True, "source": str(SAMPLE), "kind": "issue",
                      "title": report["title"], "contributions": 5, "contributors": 5,
                      "strict": False, "warnings": [], "notes": []}


def test_errors_are_json_too_with_exit_code_2(tmp_path):
    folder = tmp_path / "issue"
    shutil.copytree(SAMPLE, folder)
    (folder / "contributors.yaml").unlink()
    for command in ("validate", "build", "check"):
        result = run_cli(command, folder, "--json")
        assert result.exit_code == 2
        report = stdout_json(result)
        assert report["command"] == command and report["ok"] is False
        [error] = report["errors"]
        assert error["check"] == "content" and error["page"] is None
        assert error["source"] == {"file": str(folder / "contributors.yaml"), "line": None}
        assert error["message"].startswith("contributors.yaml not found")


def test_check_json_keeps_its_shape(tmp_path):
    result = run_cli("check", SAMPLE, "--layout", "memo", "--json")
    report = stdout_json(result)
    assert {"findings", "pages"} <= set(report) and report["command"] == "check"
    assert report["ok"] is (result.exit_code == 0)
    assert all(set(f) == {"check", "page", "message", "source"} for f in report["findings"])


# ------------------------------------------------------------------ layout names and paths

@pytest.fixture
def local_memo(tmp_path, monkeypatch):
    """A layout folder called memo in the current folder, as `layouts new memo` makes."""
    monkeypatch.chdir(tmp_path)
    assert run_cli("layouts", "new", "my-memo", "--from", "memo", "-o", "memo").exit_code == 0
    return tmp_path / "memo"


def test_a_name_that_is_also_a_local_layout_folder_is_an_error(local_memo):
    result = run_cli("validate", SAMPLE, "--layout", "memo")
    assert result.exit_code == 2
    assert errors(result) == ["error: layout 'memo' is ambiguous: it names the shipped layout, "
                              "and ./memo is a layout folder — write ./memo for the folder (a "
                              "path has a /); for the shipped memo, rename the folder or run "
                              "from elsewhere"]
    assert run_cli("validate", SAMPLE, "--layout", "./memo").exit_code == 0


def test_a_path_needs_a_slash(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run_cli("layouts", "new", "house").exit_code == 0
    result = run_cli("validate", SAMPLE, "--layout", "house")
    assert errors(result) == ["error: unknown layout 'house': a name is a shipped layout's — "
                              "for the layout folder, write a path: ./house"]
    assert run_cli("validate", SAMPLE, "--layout", "./house").exit_code == 0
    assert run_cli("validate", SAMPLE, "--layout", tmp_path / "house").exit_code == 0


def test_layouts_new_suggests_a_path_that_is_not_a_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli("layouts", "new", "house")
    assert "`briefgen build ISSUE_DIR --layout ./house`" in result.output


def test_the_shipped_layouts_folder_itself_is_not_ambiguous(monkeypatch):
    monkeypatch.chdir(builtin_layouts_dir())
    assert run_cli("validate", SAMPLE, "--layout", "memo").exit_code == 0
