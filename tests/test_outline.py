"""The outline: what goes on the pages, said once for every writer."""
from __future__ import annotations

from briefgen.content.issue_folder import load_issue
from briefgen.content.pack_folder import load_pack
from briefgen.outline import annex_letter, build_outline

from .conftest import ROOT, SAMPLE


def test_an_issue_is_a_one_chapter_outline_with_its_sections_in_reading_order():
    issue = load_issue(SAMPLE).issue
    outline = build_outline(issue)
    assert outline.kind == "issue" and len(outline.chapters) == 1
    chapter = outline.chapters[0]
    assert chapter.issue is issue
    assert [p.contribution for p in chapter.pieces] == list(issue.contributions)
    ids = [e.id for e in outline.contents]
    assert ids == ["overview", "experts"] + [f"contribution-{n}" for n in range(1, 6)] + \
        ["contributors", "back"]
    assert [e.level for e in outline.contents] == [1, 1, 2, 2, 2, 2, 2, 1, 1]
    assert [e.label for e in outline.contents if e.kind == "piece"] == \
        [c.headline for c in issue.contributions]
    assert outline.ids[:len(ids)] == tuple(ids)


def test_pull_quotes_go_after_the_first_paragraph_and_never_last():
    outline = build_outline(load_issue(SAMPLE).issue)
    for piece in outline.pieces:
        assert piece.before + piece.after == piece.contribution.body
        if len(piece.contribution.body) >= 2:
            assert len(piece.before) == 1 and piece.after
        assert piece.pull_quote == piece.contribution.pull_quote


def test_a_pack_outline_has_chapters_agenda_targets_annex_letters_and_appearances():
    pack = load_pack(ROOT / "content" / "board-pack").pack
    outline = build_outline(pack)
    assert outline.kind == "pack"
    assert [c.id for c in outline.chapters] == [f"issue-{i.slug}" for i in pack.issues]
    kinds = [e.kind for e in outline.contents]
    assert kinds[0] == "agenda" and kinds[-1] == "annex" and "contributors" in kinds
    assert [a.letter for a in outline.annexes] == ["A"]
    annex = outline.annexes[0]
    assert annex.page_ids == tuple(f"{annex.id}-p{n}" for n in range(1, annex.annex.pages + 1))
    targets = [row.target for row in outline.agenda if row.target]
    assert targets == ["issue-nile-dispute", "annex-nile-timeline", "issue-energy-forum"]
    assert set(targets) <= set(outline.ids)
    assert len(outline.ids) == len(outline.contents) + annex.annex.pages
    # Amira Haddad writes in both issues: one bio, two places.
    amira = outline.appearances["amira-haddad"]
    assert len(amira) == 2 and amira[0].startswith("c-nile-dispute-") \
        and amira[1].startswith("c-energy-forum-")
    assert [p.id for p in outline.contributors] == list(dict.fromkeys(
        p.id for i in pack.issues for p in i.contributors))


def test_annex_letters_run_past_z():
    assert [annex_letter(i) for i in (0, 1, 25, 26, 27, 51, 52)] == \
        ["A", "B", "Z", "AA", "AB", "AZ", "BA"]
