"""The content model as loaded from an issue folder, and the pull-quote rule."""
from __future__ import annotations

from briefgen.content.issue_folder import load_issue
from briefgen.content.markdown import to_blocks
from briefgen.content.pullquotes import pick_pull_quote
from briefgen.model import Contributor
from briefgen.slugs import slugify

from .conftest import SAMPLE


def test_sample_issue_model():
    issue = load_issue(SAMPLE).issue
    assert issue.series == "Mediterranean Brief" and issue.number == "42"
    assert issue.date.isoformat() == "2026-11-20"
    assert len(issue.contributions) == 5 and len(issue.contributors) == 5
    assert [c.pull_quote.source for c in issue.contributions] == [
        "marked", "given", "auto", "auto", "auto"]
    first = issue.contributions[0]
    assert first.pull_quote.text.startswith("The real test comes in a sequence of dry years")
    assert issue.contributors[3].name == "Élodie Marchetti"
    assert issue.call_to_action.url == "https://example.org/subscribe"
    assert "everyone’s" in issue.standfirst  # print typography for front-matter text


def test_auto_pull_quote_rule_is_deterministic_and_documented():
    blocks = to_blocks(
        "Short opener here. "
        "This sentence has exactly eight words in it. "
        "Here is a sentence that runs to about twenty words so that it sits right at the ideal "
        "length we aim for. "
        "Tiny.")
    quote = pick_pull_quote(blocks)
    assert quote.startswith("Here is a sentence that runs to about twenty words")
    assert pick_pull_quote(blocks) == quote
    assert pick_pull_quote(to_blocks("Too short. Also short.")) == ""


def test_initials_and_slugs_handle_any_script():
    assert Contributor("x", "Élodie Ouédraogo").initials == "ÉO"
    assert Contributor("x", "Karim al-Najjar").initials == "KN"
    assert Contributor("x", "كريم النجار").initials == "ك. ن."  # not joined into a word
    assert slugify("Élodie Ouédraogo") == "elodie-ouedraogo"
    assert slugify("../../etc/passwd") == "etc-passwd"
    assert slugify("كريم النجار") == "كريم-النجار"
