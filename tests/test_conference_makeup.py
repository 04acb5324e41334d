"""The conference layout (A5 booklet) passes the preflight an editor would run:
running heads inside the safe area, a readable pack cover, no lone speaker or
agenda rows on a near-empty page, no stacked hyphens (issue 14)."""
from __future__ import annotations

import json

import pytest

from .conftest import ROOT, run_cli

# arabic-brief still has a measure finding (Naskh at the Latin point size sets
# 88 characters a line on A5): every other check is clean there too.
CLEAN = ["nile-dispute", "energy-forum", "board-pack"]


def _findings(sample: str) -> list[dict]:
    result = run_cli("check", ROOT / "content" / sample, "--layout", "conference", "--json")
    assert result.exit_code in (0, 3), result.output
    return json.loads(result.output)["findings"]


@pytest.mark.parametrize("sample", CLEAN)
def test_conference_samples_have_no_findings(sample):
    findings = _findings(sample)
    assert findings == [], "\n".join(f"p{f['page']} {f['check']}: {f['message']}"
                                     for f in findings)


def test_conference_arabic_only_measure():
    checks = {f["check"] for f in _findings("arabic-brief")}
    assert checks <= {"measure"}, checks


@pytest.mark.parametrize("sample", ["nile-dispute", "board-pack"])
def test_conference_print_covers_run_into_the_bleed(sample):
    """--print: the cover's colour, its panel and the pack's band reach past the trim."""
    result = run_cli("check", ROOT / "content" / sample, "--layout", "conference", "--print",
                     "--json")
    assert result.exit_code in (0, 3), result.output
    findings = json.loads(result.output)["findings"]
    assert [f for f in findings if f["check"] in ("bleed", "safe-area")] == [], findings
