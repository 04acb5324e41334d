"""Pathological content: huge or deeply nested Markdown and YAML, and escapes
that no file can hold, stop early with one `file:line` line (exit 2) instead of
running for minutes or ending as "a bug in briefgen" (exit 1)."""
from __future__ import annotations

import shutil
import time

import docx
import pytest

from briefgen.content.markdown import MAX_BLOCKS

from .conftest import SAMPLE, run_cli


@pytest.fixture
def issue(tmp_path):
    folder = tmp_path / "content" / "nile-dispute"
    shutil.copytree(SAMPLE, folder)
    return folder


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path, needle):
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1)
                if needle in line)


def minimal_issue(folder, body):
    folder.mkdir(parents=True)
    (folder / "contributors.yaml").write_text("ann:\n  name: Ann Author\n", encoding="utf-8")
    (folder / "issue.md").write_text(
        f"---\ntitle: Stress\ndate: 2026-01-01\n---\n\nA lede.\n\n## One\n\nby: ann\n\n{body}",
        encoding="utf-8")
    return folder


def one_error_line(result):
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2, result.output
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    return lines[0]


@pytest.mark.parametrize("command", ["validate", "build"])
def test_a_lone_surrogate_escape_in_the_front_matter_is_one_line(issue, tmp_path, command):
    edit(issue / "issue.md", "short_title: The Nile in Dispute", 'short_title: "\\ud800 Nile"')
    args = ("build", issue, "-f", "docx", "-o", tmp_path / "out") if command == "build" \
        else ("validate", issue)
    line = one_error_line(run_cli(*args))
    where = line_of(issue / "issue.md", "short_title:")
    assert f"issue.md:{where}: " in line and "\\ud800" in line
    assert not (tmp_path / "out").exists()


def test_a_lone_surrogate_escape_in_contributors_yaml_is_one_line(issue, tmp_path):
    path = issue / "contributors.yaml"
    edit(path, "  role: ", '  role: "\\udfff" #')
    line = one_error_line(run_cli("build", issue, "-f", "docx", "-o", tmp_path / "out"))
    assert f"contributors.yaml:{line_of(path, 'role:')}: " in line and "\\udfff" in line
    assert not (tmp_path / "out").exists()


def test_surrogate_pair_escapes_are_the_character_they_encode(issue, tmp_path):
    edit(issue / "issue.md", 'title: "The Nile in Dispute:', 'title: "\\ud83c\\udf0a The Nile:')
    result = run_cli("build", issue, "-f", "docx", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    title = docx.Document(str(tmp_path / "out" / "nile-dispute.docx")).core_properties.title
    assert title.startswith("\N{WATER WAVE} The Nile:")


@pytest.mark.parametrize("command", ["validate", "build"])
def test_20000_nested_brackets_in_the_front_matter_are_one_line(issue, tmp_path, command):
    edit(issue / "issue.md", "keywords: [Nile", "keywords: " + "[" * 20_000 + "Nile")
    args = ("build", issue, "-f", "docx", "-o", tmp_path / "out") if command == "build" \
        else ("validate", issue)
    line = one_error_line(run_cli(*args))
    assert f"issue.md:{line_of(issue / 'issue.md', 'keywords:')}: " in line
    assert "nested more than" in line


def test_20000_nested_brackets_in_contributors_yaml_are_one_line(issue):
    path = issue / "contributors.yaml"
    path.write_text("x: " + "[" * 20_000 + "\n" + path.read_text(encoding="utf-8"),
                    encoding="utf-8")
    line = one_error_line(run_cli("validate", issue))
    assert "contributors.yaml:1: " in line and "nested more than" in line


def test_20000_nested_brackets_in_the_markdown_build(issue, tmp_path):
    edit(issue / "issue.md", "by: amira-haddad\n", "by: amira-haddad\n\n" + "[" * 20_000 + "\n")
    result = run_cli("build", issue, "-f", "docx", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output


def test_30000_paragraphs_stop_early_with_the_line_of_the_first_one_over(tmp_path):
    body = "".join(f"Paragraph {n} says something about the river.\n\n" for n in range(30_000))
    folder = minimal_issue(tmp_path / "big", body)
    for args in (("validate", folder), ("build", folder, "-o", tmp_path / "out")):
        start = time.perf_counter()
        line = one_error_line(run_cli(*args))
        assert time.perf_counter() - start < 15
        # The lede, the `## One` heading and the `by:` line come first: the block over
        # the limit is paragraph number MAX_BLOCKS - 3 (counted from 0).
        over = line_of(folder / "issue.md", f"Paragraph {MAX_BLOCKS - 3} says")
        assert f"issue.md:{over}: more than {MAX_BLOCKS:,} paragraphs" in line
    assert not (tmp_path / "out").exists()


def test_20000_headings_stop_early(tmp_path):
    folder = minimal_issue(tmp_path / "heads", "".join(f"### Heading {n}\n\n"
                                                       for n in range(20_000)))
    line = one_error_line(run_cli("build", folder, "-f", "docx", "-o", tmp_path / "out"))
    assert f"more than {MAX_BLOCKS:,} paragraphs, headings" in line


def test_an_issue_at_the_limit_is_accepted(tmp_path):
    # lede + heading + by: line + the paragraphs = exactly MAX_BLOCKS blocks
    body = "".join(f"Paragraph {n}.\n\n" for n in range(MAX_BLOCKS - 3))
    result = run_cli("validate", minimal_issue(tmp_path / "full", body))
    assert result.exit_code == 0, result.output


def test_a_bio_over_the_limit_names_contributors_yaml(issue):
    path = issue / "contributors.yaml"
    bio = "".join(f"    Line {n}.\n\n" for n in range(MAX_BLOCKS + 1))
    path.write_text(path.read_text(encoding="utf-8") + f"huge-bio:\n  name: Huge Bio\n  bio: |\n{bio}",
                    encoding="utf-8")
    line = one_error_line(run_cli("validate", issue))
    assert "contributors.yaml:" in line and f"more than {MAX_BLOCKS:,}" in line


def test_many_bios_are_limited_together(issue):
    path = issue / "contributors.yaml"
    people = "".join(f"extra-{n}:\n  name: Extra {n}\n  bio: |\n" +
                     "".join(f"    Line {k}.\n\n" for k in range(MAX_BLOCKS // 4))
                     for n in range(5))
    path.write_text(path.read_text(encoding="utf-8") + people, encoding="utf-8")
    line = one_error_line(run_cli("validate", issue))
    where = line_of(path, "extra-3:")
    assert f"contributors.yaml:{where}: the bios hold more than {MAX_BLOCKS:,}" in line
