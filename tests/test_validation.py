"""Bad input: one clear line naming file, line and fix; exit 2; nothing written."""
from __future__ import annotations

import shutil

import pytest

from .conftest import SAMPLE, edit, line_of, run_cli


@pytest.fixture
def issue(tmp_path):
    folder = tmp_path / "issue"
    shutil.copytree(SAMPLE, folder)
    return folder


def fails(folder, tmp_path, *expected):
    out = tmp_path / "out"
    result = run_cli("build", folder, "-o", out)
    assert result.exit_code == 2, result.output
    for text in expected:
        assert text in result.output, result.output
    assert "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir()), "nothing may be written on bad input"
    validate = run_cli("validate", folder)
    assert validate.exit_code == 2 and expected[0] in validate.output
    return result.output


def test_unknown_contributor_reference(issue, tmp_path):
    md = issue / "issue.md"
    edit(md, "by: omar-el-tayeb", "by: omar-eltayeb")
    line = line_of(md, "by: omar-eltayeb")
    out = fails(issue, tmp_path, f"issue.md:{line}: unknown contributor `omar-eltayeb`",
                "did you mean `omar-el-tayeb`?")
    assert len(out.strip().splitlines()) == 1


def test_missing_title(issue, tmp_path):
    edit(issue / "issue.md", 'title: "The Nile in Dispute: Egypt, Ethiopia and the Renaissance Dam"\n', "")
    fails(issue, tmp_path, "issue.md:", "missing `title`", "add a `title:` line")


def test_bad_date(issue, tmp_path):
    md = issue / "issue.md"
    edit(md, "date: 2026-11-20", "date: 2026-13-45")
    fails(issue, tmp_path, f"issue.md:{line_of(md, 'date:')}: bad date `2026-13-45`", "YYYY-MM-DD")


@pytest.mark.parametrize("empty", ["date:", "date: ~", 'date: ""'])
def test_an_empty_date_is_an_error_not_1970(issue, tmp_path, empty):
    md = issue / "issue.md"
    edit(md, "date: 2026-11-20", empty)
    output = fails(issue, tmp_path, f"issue.md:{line_of(md, 'date:')}: `date` is empty",
                   "YYYY-MM-DD")
    assert "missing `date`" not in output


def test_an_empty_title_is_one_error_on_its_line(issue, tmp_path):
    md = issue / "issue.md"
    edit(md, 'title: "The Nile in Dispute: Egypt, Ethiopia and the Renaissance Dam"', "title:")
    output = fails(issue, tmp_path, f"issue.md:{line_of(md, 'title:')}: `title` is empty")
    assert "missing `title`" not in output


def test_image_not_found(issue, tmp_path):
    (issue / "images" / "omar-el-tayeb.jpg").unlink()
    line = line_of(issue / "contributors.yaml", "photo: images/omar-el-tayeb.jpg")
    fails(issue, tmp_path, f"contributors.yaml:{line}: image not found: images/omar-el-tayeb.jpg")


def test_image_outside_issue_folder(issue, tmp_path):
    edit(issue / "contributors.yaml", "photo: images/omar-el-tayeb.jpg", "photo: ../../etc/passwd")
    fails(issue, tmp_path, "contributors.yaml:", "is outside the issue folder")


def test_image_that_is_not_an_image(issue, tmp_path):
    (issue / "images" / "omar-el-tayeb.jpg").write_bytes(b"this is not a JPEG")
    fails(issue, tmp_path, "contributors.yaml:", "image omar-el-tayeb.jpg cannot be read")


def test_unknown_front_matter_key_suggests_the_right_one(issue, tmp_path):
    md = issue / "issue.md"
    edit(md, "standfirst:", "standfrist:")
    fails(issue, tmp_path, f"issue.md:{line_of(md, 'standfrist')}: unknown front-matter field",
          "did you mean `standfirst`?")


def test_invalid_yaml(issue, tmp_path):
    md = issue / "issue.md"
    edit(md, "series: Mediterranean Brief", "series: [Mediterranean Brief")
    fails(issue, tmp_path, "issue.md:", "invalid YAML")


def test_yaml_alias_bomb_is_refused(issue, tmp_path):
    edit(issue / "issue.md", "lang: en", "lang: en\nkeywords: &a [x, x]\nslug: *a")
    fails(issue, tmp_path, "issue.md:", "aliases")


def test_missing_front_matter(issue, tmp_path):
    (issue / "issue.md").write_text("# Just Markdown\n", encoding="utf-8")
    fails(issue, tmp_path, "issue.md:1: issue.md must start with a '---' line")


def test_contribution_without_by_line(issue, tmp_path):
    md = issue / "issue.md"
    edit(md, "by: karim-naguib\n", "")
    fails(issue, tmp_path, f"issue.md:{line_of(md, '## Cairo')}: no contributor",
          "add a line `by: contributor-id`")


def test_contributor_without_name(issue, tmp_path):
    edit(issue / "contributors.yaml", "  name: Karim Naguib\n", "")
    fails(issue, tmp_path, "contributors.yaml:", "contributor `karim-naguib` has no name")


def test_several_problems_are_reported_together(issue, tmp_path):
    edit(issue / "issue.md", "date: 2026-11-20", "date: soon")
    edit(issue / "issue.md", "by: amira-haddad", "by: nobody")
    out = fails(issue, tmp_path, "bad date `soon`", "unknown contributor `nobody`")
    assert len(out.strip().splitlines()) == 2


def test_not_an_issue_folder(tmp_path):
    result = run_cli("build", tmp_path / "nowhere", "-o", tmp_path / "out")
    assert result.exit_code == 2 and "issue folder not found" in result.output
    assert not (tmp_path / "out").exists()


def test_not_utf8(issue, tmp_path):
    (issue / "issue.md").write_bytes("---\ntitle: caf\xe9\n".encode("latin-1"))
    fails(issue, tmp_path, "issue.md:2: file is not UTF-8 text", "save it as UTF-8")


def test_unknown_layout_and_format(tmp_path):
    result = run_cli("build", SAMPLE, "-o", tmp_path / "o", "--layout", "policy-brif")
    assert result.exit_code == 2 and "did you mean 'policy-brief'?" in result.output
    result = run_cli("build", SAMPLE, "-o", tmp_path / "o", "--format", "pdf,odt")
    assert result.exit_code == 2 and "unknown format odt" in result.output
    result = run_cli("build", SAMPLE, "-o", tmp_path / "o", "--page-size", "A3")
    assert result.exit_code == 2 and "no page size A3" in result.output
    assert not (tmp_path / "o").exists()


def test_warnings_do_not_fail_the_build_but_strict_validate_does(issue, tmp_path):
    with (issue / "contributors.yaml").open("a", encoding="utf-8") as fh:
        fh.write("\nunused-person:\n  name: Unused Person\n")
    result = run_cli("build", issue, "-o", tmp_path / "out", "-f", "pdf")
    assert result.exit_code == 0
    assert "contributor `unused-person` is not credited" in result.output
    assert run_cli("validate", issue, "--strict").exit_code == 2
