"""The outline: what goes on the pages, said once for every writer."""
from __future__ import annotations

import datetime as dt

from briefgen.content.issue_folder import load_issue
from briefgen.content.pack_folder import load_pack
from briefgen.model import Contribution, Issue, Paragraph, PullQuote, Span
from briefgen.outline import (PULL_QUOTE_MAX_SHARE, PULL_QUOTE_MIN_WORDS, _piece,
                              annex_letter, build_outline)

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


def _words(blocks) -> int:
    return sum(len(b.text.split()) for b in blocks if isinstance(b, Paragraph))


def test_pull_quotes_stand_mid_text_and_only_in_pieces_long_enough():
    outline = build_outline(load_issue(SAMPLE).issue)
    shown = 0
    for piece in outline.pieces:
        c = piece.contribution
        words = _words(c.body)
        # The text is all there, in order: a paragraph cut by the quote runs on after it.
        joined = [b.text for b in piece.before + piece.after]
        if piece.continued:
            joined[len(piece.before) - 1:len(piece.before) + 1] = [
                joined[len(piece.before) - 1] + " " + joined[len(piece.before)]]
        assert [" ".join(t.split()) for t in joined] == [" ".join(b.text.split()) for b in c.body]
        long_enough = words >= PULL_QUOTE_MIN_WORDS and \
            len(c.pull_quote.text.split()) <= PULL_QUOTE_MAX_SHARE * words
        assert (piece.pull_quote is not None) == long_enough, piece.id
        if piece.pull_quote is None:
            assert piece.before == () and not piece.continued
            continue
        shown += 1
        # mid-text: never under the headline, never after the last words; a shorter
        # side only where every other place stands beside the quoted sentence
        before = _words(piece.before)
        assert 10 <= before <= words - 10, (piece.id, before, words)
        # never beside its own sentence: the reader would meet it twice in a row
        last = " ".join(piece.before[-1].text.split()) if piece.before else ""
        first = " ".join(piece.after[0].text.split()) if piece.after else ""
        quote = " ".join(piece.pull_quote.text.split())
        assert not last.endswith(quote) and not first.startswith(quote), piece.id
    assert shown == 4  # the sample's fifth piece is 81 words: under the threshold


def test_a_quote_from_the_middle_of_a_one_paragraph_piece_is_set_apart_from_it():
    """Where both places with 25 words either side stand beside the quoted sentence,
    the quote goes to a place with a shorter side instead."""
    sentences = ["One two three four five six seven eight nine ten eleven twelve.",
                 "Thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty "
                 "twenty-one twenty-two twenty-three twenty-four twenty-five twenty-six.",
                 "This is the sentence that the editor marked as the piece's pull quote.",
                 "Then more words follow here, one after another, until the piece ends "
                 "with a long closing sentence of its own that runs on for a while yet, "
                 "and on, and on, to the very end of it all, and a little further still, "
                 "so that the piece is long enough for a pull quote to be shown at all."]
    piece = _piece("c-1", 1, _contribution(" ".join(sentences), quote=sentences[2]), "en",
                   "en")
    assert piece.continued
    assert not piece.after[0].text.startswith(sentences[2])
    assert not piece.before[-1].text.endswith(sentences[2])


def _contribution(*paragraphs: str, quote: str) -> Contribution:
    return Contribution(headline="H", body=tuple(Paragraph((Span(p),)) for p in paragraphs),
                        contributors=(), pull_quote=PullQuote(quote, "given"))


def test_a_short_piece_shows_no_pull_quote_and_a_long_one_puts_it_between_paragraphs():
    sentence = "Water policy needs shared data and patient diplomacy across the basin. "
    short = _contribution(sentence * 3, quote="Water policy needs shared data.")
    piece = build_outline(Issue(series="S", date=dt.date(2026, 1, 1), title="T", slug="t",
                                contributions=(short,))).pieces[0]
    assert piece.pull_quote is None and piece.after == short.body
    long = _contribution(sentence * 5, sentence * 5, sentence * 5,
                         quote="Water policy needs shared data.")
    piece = build_outline(Issue(series="S", date=dt.date(2026, 1, 1), title="T", slug="t",
                                contributions=(long,))).pieces[0]
    assert piece.pull_quote is not None and not piece.continued
    assert len(piece.before) in (1, 2) and piece.before + piece.after == long.body
    one = _contribution(sentence * 12, quote="Dams are slow to build and quick to argue over.")
    piece = build_outline(Issue(series="S", date=dt.date(2026, 1, 1), title="T", slug="t",
                                contributions=(one,))).pieces[0]
    assert piece.continued and len(piece.before) == 1 and len(piece.after) == 1
    assert _words(piece.before) == 6 * 11  # cut at the sentence end nearest the middle


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
