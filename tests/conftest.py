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
