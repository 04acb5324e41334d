"""Shared fixtures: the sample issue, a seed-shaped issue, built outputs."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefgen.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "content" / "nile-dispute"
SEED = ROOT.parent / "shared" / "seeds" / "med-this-week-iraq.txt"
IN_CI = bool(os.environ.get("CI"))


def pytest_configure(config):
    """Session- and module-scoped builds run before any function fixture: the cache
    is off, and kept out of ~/.cache, for them too."""
    import tempfile

    os.environ["BRIEFGEN_CACHE"] = "off"
    os.environ["BRIEFGEN_CACHE_DIR"] = tempfile.mkdtemp(prefix="briefgen-test-cache-")
    # an error while a kept layout is laid out again fails the test (a build would
    # lay the document out whole instead: render/repage.py)
    os.environ["BRIEFGEN_REPAGE_STRICT"] = "1"


@pytest.fixture(autouse=True)
def no_build_cache(monkeypatch, tmp_path_factory):
    """Tests render for real; the cache's own tests turn it back on."""
    monkeypatch.setenv("BRIEFGEN_CACHE", "off")
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


def need_tool(name: str) -> str:
    """A system tool a test needs: in CI it must be there; locally, skip without it."""
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is not installed, but CI must run this test")
        pytest.skip(f"{name} is not installed")
    return path


def run_cli(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def edit(path, old, new):
    """Replace the first `old` in a test's copy of a source file (it must be there)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test set-up: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path, needle):
    """The line number of the first line of `path` that contains `needle`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(needle)


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample-out")
    result = run_cli("build", SAMPLE, "-o", out)
    assert result.exit_code == 0, result.output
    return out / "nile-dispute.pdf", out / "nile-dispute.docx"


def seed_to_issue(seed: Path, folder: Path) -> dict:
    """Write an issue folder holding the seed newsletter's structure and facts.

    A deliberately plain reading of the seed (title line, lede, intro line, then
    headline / quote / "Name, Role, Organisation" triples), independent of
    briefgen's own importer so the two can check each other.
    """
    text = seed.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\xa0", " ")
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
    publisher, title_line = blocks[0], blocks[1]
    series, _, title = title_line.partition(" | ")
    quote_at = [i for i, b in enumerate(blocks) if b[0] in "“\""]
    first = quote_at[0] - 1  # the headline before the first quote
    lede, intro = blocks[2:first - 1], blocks[first - 1]
    contributions = []
    for q in quote_at:
        name, _, rest = blocks[q + 1].partition(", ")
        role, _, org = rest.rpartition(", ")  # "Name, Org" has no role
        contributions.append({"headline": blocks[q - 1], "quote": blocks[q], "name": name,
                              "role": role, "org": org})
    cta = blocks[quote_at[-1] + 2:]
    folder.mkdir(parents=True, exist_ok=True)
    import yaml

    front = {"publisher": publisher, "series": series, "date": "2021-07-15", "title": title,
             "lang": "en", "experts_intro": intro,
             "call_to_action": {"heading": cta[0], "text": cta[-1]} if cta else None}
    body = "\n\n".join(lede) + "\n"
    people = {}
    for c in contributions:
        cid = re.sub(r"[^a-z]+", "-", c["name"].lower()).strip("-")
        people[cid] = {"name": c["name"], "role": c["role"], "organisation": c["org"]}
        body += f"\n## {c['headline']}\n\nby: {cid}\n\n{c['quote']}\n"
    (folder / "issue.md").write_text(
        "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n\n" + body,
        encoding="utf-8")
    (folder / "contributors.yaml").write_text(
        yaml.safe_dump(people, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return {"contributions": contributions, "title": title, "series": series}


@pytest.fixture(scope="session")
def seed_issue(tmp_path_factory):
    if not SEED.is_file():
        pytest.skip(f"seed newsletter not found at {SEED} (the shared/ folder is absent)")
    folder = tmp_path_factory.mktemp("seed") / "iraq-instability"
    facts = seed_to_issue(SEED, folder)
    return folder, facts


def soffice_to_pdf(docx: Path, outdir: Path) -> Path:
    soffice = need_tool("soffice")
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{outdir}/lo-profile",
                    "--convert-to", "pdf", "--outdir", str(outdir), str(docx)],
                   check=True, capture_output=True, timeout=240)
    converted = outdir / (docx.stem + ".pdf")
    assert converted.is_file(), "LibreOffice did not convert the DOCX"
    return converted


def make_varied_issue(folder: Path, experts: int = 12) -> Path:
    """An issue unlike the seed: many experts, Arabic text, a very long piece,
    no headline, missing bios and roles, a co-written contribution, lists."""
    folder.mkdir(parents=True, exist_ok=True)
    people = {
        "layla-mansour": {"name": "ليلى منصور", "role": "باحثة أولى",
                          "organisation": "مركز الدراسات المتوسطية",
                          "bio": "تعمل على قضايا المياه والطاقة في شمال أفريقيا."},
        "elodie-ouedraogo": {"name": "Élodie Ouédraogo", "organisation": "Université de Ouagadougou"},
        "jan-de-vries": {"name": "Jan de Vries"},
    }
    for n in range(len(people), experts):
        people[f"expert-{n}"] = {"name": f"Expert Number{n}", "role": f"Role {n}, Programme; Unit",
                                 "organisation": f"Institute {n} (I{n})",
                                 "bio": f"Works on topic {n}. " * 3}
    import yaml

    (folder / "contributors.yaml").write_text(yaml.safe_dump(people, allow_unicode=True),
                                              encoding="utf-8")
    long_text = "\n\n".join(
        f"Paragraph {i} of a very long contribution. " + "The argument develops with care, "
        "evidence and qualifications that a policy reader expects to weigh. " * 12
        for i in range(1, 16))
    sections = [
        "## الاستقرار يبدأ من الداخل\n\nby: layla-mansour\nlang: ar\n\n"
        "«إن أي اتفاق حول السد يجب أن يبدأ بتبادل البيانات بشكل منتظم وشفاف بين الدول الثلاث. "
        "==لا يمكن بناء الثقة من دون أرقام مشتركة يمكن التحقق منها.== وهذا ما تحتاجه المنطقة الآن.»",
        "##\n\nby: elodie-ouedraogo\n\nA contribution without a headline. It still needs an "
        "attribution and a place in the contents, named after its author. Short pieces like this "
        "one happen when an editor receives a quote at the last minute.",
        f"## A very long contribution that runs over several pages\n\nby: jan-de-vries\n\n{long_text}",
        "## Two authors, one view\n\nby: expert-3, expert-4\n\n- First point with a [link]"
        "(https://example.org).\n- Second point, **strong** and *emphasised* and ***both***.\n\n"
        "> A quoted passage inside a contribution.\n\nClosing sentence of the co-written piece.",
    ]
    for n in range(5, experts):
        sections.append(f"## Headline number {n}\n\nby: expert-{n}\n\nA view from expert {n}, "
                        "with one sentence long enough to become the automatic pull quote for "
                        "this section of the issue. And a short one.")
    (folder / "issue.md").write_text(
        "---\ntitle: A varied issue\ndate: 2026-03-01\nseries: Stress Test\nlang: en\n"
        "standfirst: Twelve voices, two scripts, one very long piece.\n---\n\n"
        "A one-paragraph lede.\n\n" + "\n\n".join(sections) + "\n", encoding="utf-8")
    return folder


@pytest.fixture
def pack(tmp_path):
    """A copy of the sample pack, with the issues it binds, to change freely."""
    folder = tmp_path / "content"
    for name in ("board-pack", "nile-dispute", "energy-forum"):
        shutil.copytree(ROOT / "content" / name, folder / name)
    return folder / "board-pack"
