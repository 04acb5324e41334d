"""The command line a user meets: help, version, scaffolding, exit codes, safe writes."""
from __future__ import annotations

import pytest

import briefgen
from briefgen.render.docx import writer as docx_module_writer

from .conftest import SAMPLE, run_cli


def test_version():
    result = run_cli("--version")
    assert result.exit_code == 0 and briefgen.__version__ in result.output


@pytest.mark.parametrize("command", [[], ["build"], ["validate"], ["new"], ["layouts"],
                                     ["layouts", "list"]])
def test_help_on_every_command(command):
    result = run_cli(*command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_build_prints_where_it_wrote(tmp_path):
    result = run_cli("build", SAMPLE, "-o", tmp_path)
    assert result.exit_code == 0
    assert f"wrote {tmp_path / 'nile-dispute.pdf'}" in result.output
    assert f"wrote {tmp_path / 'nile-dispute.docx'}" in result.output


def test_new_scaffolds_an_issue_that_validates_and_builds(tmp_path):
    folder = tmp_path / "my-issue"
    result = run_cli("new", folder)
    assert result.exit_code == 0, result.output
    text = (folder / "issue.md").read_text(encoding="utf-8")
    for field in ("publisher:", "series:", "issue:", "date:", "title:", "short_title:",
                  "standfirst:", "lang:", "experts_intro:", "call_to_action:", "by:",
                  "pull-quote:", "=="):
        assert field in text
    assert "# " in text  # commented
    assert "# photo: images/first-expert.jpg" in (folder / "contributors.yaml").read_text()
    result = run_cli("validate", folder, "--strict")
    assert result.exit_code == 0, result.output
    result = run_cli("build", folder, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "my-issue.pdf").is_file()


def test_new_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    result = run_cli("new", tmp_path / "x")
    assert result.exit_code == 2 and "not empty" in result.output
    assert (tmp_path / "x" / "keep.txt").read_text() == "mine"


def test_failure_mid_render_leaves_previous_outputs_untouched(tmp_path, monkeypatch):
    assert run_cli("build", SAMPLE, "-o", tmp_path).exit_code == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(docx_module_writer, "core_properties", broken)
    result = run_cli("build", SAMPLE, "-o", tmp_path)
    assert result.exit_code == 1
    assert "internal error" in result.output and "--debug" in result.output
    assert "Traceback" not in result.output
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before, "old PDF/DOCX kept, no partial or temporary file left"


def test_debug_shows_the_traceback(tmp_path, monkeypatch):
    monkeypatch.setattr(docx_module_writer, "core_properties",
                        lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    result = run_cli("--debug", "build", SAMPLE, "-o", tmp_path)
    assert result.exit_code == 1 and "Traceback" in result.output


def test_same_input_gives_the_same_bytes(tmp_path):
    for name in ("a", "b"):
        assert run_cli("build", SAMPLE, "-o", tmp_path / name).exit_code == 0
    for file in ("nile-dispute.pdf", "nile-dispute.docx"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()
