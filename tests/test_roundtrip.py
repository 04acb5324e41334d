"""The editor's round trip, as an editor makes it, for every sample (all languages).

build → DOCX → ten kinds of editor change (plain and tracked, with comments) →
`briefgen import --force --track-changes accept` into a copy of the source →
the imported folder says what the editor changed, review.yaml holds the
comments, and the source diff touches only the edited paragraphs → build
again: the DOCX carries the comments on the same paragraphs → import that
DOCX: nothing changes (review.yaml's ids are stable).
"""
from __future__ import annotations

import copy
import difflib
import re
import shutil

import docx
import pytest
import yaml
from docx.text.paragraph import Paragraph as DocxParagraph
from lxml import etree

from briefgen.content.issue_folder import load_issue
from briefgen.content.review import load_review
from briefgen.model import plain_text

from .conftest import ROOT, run_cli
from .test_revisions import Tracker

SAMPLES = ["nile-dispute", "arabic-brief", "energy-forum"]
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
EDITOR = "Rania Editor"


def w(tag):
    return f"{{{W}}}{tag}"


def squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text).lower()


class Doc:
    """A built DOCX, its paragraphs found by their named styles (tables included)."""

    def __init__(self, path):
        self.tracker = Tracker(path)
        self.document = self.tracker.document
        self.paragraphs = [DocxParagraph(p, self.document.part)
                           for p in self.document.element.body.iter(w("p"))]

    def style(self, paragraph) -> str:
        return paragraph.style.name if paragraph.style is not None else ""

    def first(self, style):
        return next(p for p in self.paragraphs if self.style(p) == style)

    def all(self, style):
        return [p for p in self.paragraphs if self.style(p) == style]

    def piece(self, index: int):
        """(body paragraphs, attribution paragraph) of the index-th contribution."""
        heads = [n for n, p in enumerate(self.paragraphs) if self.style(p) == "Heading 2"]
        start = heads[index]
        end = next((n for n, p in enumerate(self.paragraphs)
                    if n > start and self.style(p) in ("Heading 1", "Heading 2")),
                   len(self.paragraphs))
        chunk = self.paragraphs[start + 1:end]
        body = [p for p in chunk if self.style(p).startswith("Body Text") and p.text.strip()]
        attribution = next(p for p in chunk if self.style(p) == "Attribution")
        return body, attribution

    def lede(self):
        start = next(n for n, p in enumerate(self.paragraphs) if self.style(p) == "Lede")
        found = []
        for p in self.paragraphs[start:]:
            if self.style(p) not in ("Lede", "Body Text"):
                break
            found.append(p)
        return found


def set_text(paragraph, text: str) -> None:
    """A plain edit: the paragraph's first run holds the new text, the others none,
    and its links are gone with their words (python-docx's runs leave them out)."""
    runs = paragraph.runs
    runs[0].text = text
    for run in runs[1:]:
        run.text = ""
    for link in paragraph._p.findall(w("hyperlink")):
        paragraph._p.remove(link)


def append_text(paragraph, text: str) -> None:
    run = copy.deepcopy(paragraph.runs[-1]._r)
    paragraph._p.append(run)
    for t in run.findall(w("t")):
        run.remove(t)
    node = etree.SubElement(run, w("t"))
    node.text = text
    node.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")


def tracked_append(tracker, paragraph, text: str) -> None:
    run = copy.deepcopy(paragraph.runs[-1]._r)
    paragraph._p.append(tracker._wrap([tracker._run(run, text)], "ins", EDITOR))


def middle_word(text: str) -> str:
    """A word from the middle of a run's text, with the space before it."""
    words = text.split(" ")
    return " " + words[len(words) // 2]


def edit(built, target):
    """Ten kinds of editor change; returns what the import must show."""
    d = Doc(built)
    t = d.tracker
    expect = {}
    original = {}
    # 1. a headline, retyped
    heading = d.all("Heading 2")[0]
    original["headline"] = heading.text
    set_text(heading, "An editor’s new headline")
    # 2. a sentence added to a body paragraph
    body0, _ = d.piece(0)
    original["sentence"] = body0[0].text
    append_text(body0[-1], " The editor added this sentence.")
    # 3. a new paragraph after the second piece's text
    body1, _ = d.piece(1)
    new = copy.deepcopy(body1[-1]._p)
    body1[-1]._p.addnext(new)
    set_text(DocxParagraph(new, d.document.part), "A paragraph the editor wrote.")
    # 4. the lede's last paragraph deleted
    lede = d.lede()
    original["deleted"] = lede[-1].text
    lede[-1]._p.getparent().remove(lede[-1]._p)
    # 5. a bio changed
    bio = d.all("Bio")[0]
    original["bio"] = bio.text
    append_text(bio, " The editor updated this bio.")
    # 6. an attribution: the last piece gets the first piece's author as co-author
    names = [p.text.strip() for p in d.all("Bio Name")]
    _, attribution = d.piece(len(d.all("Heading 2")) - 1)
    original["attribution"] = attribution.text
    coauthor = next(n for n in names if n not in attribution.text)
    append_text(attribution, f"; {coauthor}")
    expect["coauthor"] = coauthor
    # 7. a tracked insertion in the third piece
    body2, _ = d.piece(2)
    original["inserted"] = body2[0].text
    tracked_append(t, body2[-1], " A tracked insertion.")
    # 8. a tracked deletion of a word in the lede's first paragraph
    run_text = max((r.text for r in lede[0].runs), key=len)
    word = middle_word(run_text)
    before = lede[0].text
    t.replace(lede[0]._p, word, "", EDITOR)
    expect["after_deletion"] = before.replace(word, "", 1)
    original["deletion"] = before
    # 9. comments: on the last piece's text and on the last bio
    last_body, _ = d.piece(len(d.all("Heading 2")) - 1)
    original["commented"] = last_body[0].text
    t.comment(last_body[0]._p, "Is this figure from 2025?", EDITOR)
    last_bio_name = d.all("Bio Name")[-1]
    t.comment(last_bio_name._p, "Title to confirm with the author.", EDITOR)
    expect["bio_comment_name"] = last_bio_name.text.strip()
    # 10. a front-matter value: the standfirst
    standfirst = d.first("Subtitle")
    original["standfirst"] = standfirst.text
    set_text(standfirst, "A standfirst the editor rewrote.")
    t.save(target)
    return original, expect


@pytest.fixture(scope="module", params=SAMPLES)
def sample(request, tmp_path_factory):
    """A sample built to DOCX, edited, and imported into a copy of its folder."""
    name = request.param
    tmp = tmp_path_factory.mktemp(f"roundtrip-{name}")
    source = ROOT / "content" / name
    result = run_cli("build", source, "-o", tmp / "built", "-f", "docx")
    assert result.exit_code == 0, result.output
    revised = tmp / "revised.docx"
    original, expect = edit(tmp / "built" / f"{name}.docx", revised)
    folder = tmp / name  # the same name: the slug stays implicit
    shutil.copytree(source, folder)
    result = run_cli("import", revised, "-o", folder, "--force", "--track-changes", "accept")
    assert result.exit_code == 0, result.output
    return dict(name=name, tmp=tmp, source=source, folder=folder, original=original,
                expect=expect, output=result.output)


def test_the_imported_folder_says_what_the_editor_changed(sample):
    issue = load_issue(sample["folder"]).issue
    original, expect = sample["original"], sample["expect"]
    first, second, third = issue.contributions[:3]
    assert first.headline == "An editor’s new headline"
    assert plain_text(first.body).endswith("The editor added this sentence.")
    assert plain_text(second.body).endswith("A paragraph the editor wrote.")
    assert squash(original["deleted"]) not in squash(plain_text(issue.lede))
    assert squash(issue.lede[0].text) == squash(expect["after_deletion"])
    assert plain_text(third.body).endswith("A tracked insertion.")
    assert plain_text(issue.contributors[0].bio).endswith("The editor updated this bio.")
    assert expect["coauthor"] in [p.name for p in issue.contributions[-1].contributors]
    assert issue.standfirst == "A standfirst the editor rewrote."
    # what the editor did not touch is as it was
    before = load_issue(sample["source"]).issue
    assert issue.title == before.title and issue.date == before.date
    assert issue.contributions[3:-1] == before.contributions[3:-1]
    assert issue.contributors[1:] == before.contributors[1:]


def test_comments_are_in_review_yaml(sample):
    comments = load_review(sample["folder"])
    assert [(c.author, c.text) for c in comments] == [
        (EDITOR, "Is this figure from 2025?"), (EDITOR, "Title to confirm with the author.")]
    issue = load_issue(sample["folder"]).issue
    last = issue.contributions[-1]
    piece, bio = comments
    assert piece.section == f"contribution:{last.contributors[0].id}" and piece.paragraph == 0
    assert squash(piece.quote)[:30] == squash(sample["original"]["commented"])[:30]
    person = next(p for p in issue.contributors if p.name == sample["expect"]["bio_comment_name"])
    assert bio.section == f"bio:{person.id}" and bio.paragraph is None
    assert issue.comments == tuple(comments)  # the model carries them


def _source_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(first, last) line index of each blank-line separated block."""
    blocks, start = [], None
    for n, line in enumerate(lines + [""]):
        if line.strip() and start is None:
            start = n
        elif not line.strip() and start is not None:
            blocks.append((start, n - 1))
            start = None
    return blocks


def _allowed(lines: list[str], texts: list[str], keys: list[str]) -> set[int]:
    """Lines of the source blocks that hold `texts`, and of the YAML keys `keys`
    (with their continuation lines)."""
    allowed: set[int] = set()
    blocks = _source_blocks(lines)
    for text in texts:
        wanted = squash(text)[:40]
        for first, last in blocks:
            if squash(" ".join(lines[first:last + 1])).startswith(wanted):
                allowed.update(range(first, last + 1))
                allowed.update(n for n in (first - 1, last + 1)  # a deleted block's blank line
                               if 0 <= n < len(lines) and not lines[n].strip())
    for key in keys:
        for n, line in enumerate(lines):
            if re.match(rf"^\s*{re.escape(key)}", line):
                indent = len(line) - len(line.lstrip())
                allowed.add(n)
                for m in range(n + 1, len(lines)):
                    if lines[m].strip() and len(lines[m]) - len(lines[m].lstrip()) > indent:
                        allowed.add(m)
                    else:
                        break
    return allowed


def _changes(before: str, after: str) -> tuple[list[int], list[str]]:
    """(indexes of the removed source lines, the added lines)."""
    a, b = before.splitlines(), after.splitlines()
    removed, added = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += range(i1, i2)
            added += b[j1:j2]
    return removed, added


def test_the_source_diff_touches_only_the_edited_lines(sample):
    source, folder, original = sample["source"], sample["folder"], sample["original"]
    # issue.md: the headline, the three edited paragraphs of text, the deleted one,
    # the `by:` line of the co-authored piece and the standfirst; nothing else
    before = (source / "issue.md").read_text(encoding="utf-8")
    after = (folder / "issue.md").read_text(encoding="utf-8")
    lines = before.splitlines()
    last = load_issue(source).issue.contributions[-1]
    by_line = "by: " + ", ".join(p.id for p in last.contributors)
    allowed = _allowed(lines, [original["sentence"], original["deleted"],
                               original["inserted"], original["deletion"]],
                       ["standfirst:", "## " + original["headline"][:20], by_line])
    removed, added = _changes(before, after)
    stray = [lines[n] for n in removed if n not in allowed]
    assert not stray, "\n".join(stray)
    # what comes in: the edited lines again, one new paragraph (and its blank line),
    # and a `pull-quote:` meta line where a changed text changed the automatic pick
    assert len(added) <= len(removed) + 4, "\n".join(added)
    assert "A paragraph the editor wrote." in added
    # contributors.yaml: the edited bio only, comments and quoting kept
    before = (source / "contributors.yaml").read_text(encoding="utf-8")
    after = (folder / "contributors.yaml").read_text(encoding="utf-8")
    person = load_issue(source).issue.contributors[0]
    lines = before.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith(f"{person.id}:"))
    bio = next(n for n in range(start, len(lines)) if lines[n].strip().startswith("bio:"))
    allowed = {bio} | {n for n in range(bio + 1, len(lines))
                       if lines[n].startswith("    ") and all(
                           lines[m].startswith("    ") for m in range(bio + 1, n + 1))}
    removed, added = _changes(before, after)
    stray = [lines[n] for n in removed if n not in allowed]
    assert not stray, "\n".join(stray)
    assert len(added) <= len(removed) + 1
    assert [line for line in lines if line.startswith("#")] == \
        [line for line in after.splitlines() if line.startswith("#")]
    # every other file as it was, byte for byte
    for path in source.rglob("*"):
        if path.is_file() and path.name not in ("issue.md", "contributors.yaml"):
            assert (folder / path.relative_to(source)).read_bytes() == path.read_bytes(), path


@pytest.fixture(scope="module")
def rebuilt(sample):
    """The imported folder built again, and that DOCX imported into a copy of it."""
    tmp, folder = sample["tmp"], sample["folder"]
    result = run_cli("build", folder, "-o", tmp / "rebuilt", "-f", "docx")
    assert result.exit_code == 0, result.output
    built = tmp / "rebuilt" / f"{sample['name']}.docx"
    again = tmp / "again" / sample["name"]
    shutil.copytree(folder, again)
    result = run_cli("import", built, "-o", again, "--force")
    assert result.exit_code == 0, result.output
    return built, again


def test_the_next_docx_carries_the_comments_on_the_same_paragraphs(sample, rebuilt):
    built, _ = rebuilt
    document = docx.Document(str(built))
    comments = {c.comment_id: c for c in document.comments}
    assert sorted((c.author, c.text) for c in comments.values()) == sorted(
        (c.author, c.text) for c in load_review(sample["folder"]))
    anchored = {}
    for start in document.element.body.iter(w("commentRangeStart")):
        paragraph = next(start.iterancestors(w("p")))
        text = "".join(t.text or "" for t in paragraph.iter(w("t")))
        anchored[comments[int(start.get(w("id")))].text] = text
    assert squash(anchored["Is this figure from 2025?"])[:30] == \
        squash(sample["original"]["commented"])[:30]
    assert anchored["Title to confirm with the author."].strip() == \
        sample["expect"]["bio_comment_name"]


def test_importing_the_next_docx_changes_nothing(sample, rebuilt):
    _, again = rebuilt
    folder = sample["folder"]
    assert (again / "review.yaml").read_bytes() == (folder / "review.yaml").read_bytes()
    for path in folder.rglob("*"):
        if path.is_file():
            assert (again / path.relative_to(folder)).read_bytes() == path.read_bytes(), path


def test_resolved_comments_come_back_resolved(tmp_path):
    """A comment resolved in review.yaml is done in the DOCX (commentsExtended), and
    an import keeps it resolved; an open one stays open."""
    folder = tmp_path / "nile-dispute"
    shutil.copytree(ROOT / "content" / "nile-dispute", folder)
    (folder / "review.yaml").write_text(yaml.safe_dump({"comments": [
        {"id": "7", "author": "Ann Lee", "date": "2026-11-20T09:00:00Z", "text": "Done already.",
         "resolved": True, "anchor": {"section": "lede", "paragraph": 0, "quote": "The Grand"}},
        {"id": "8", "author": "Ann Lee", "date": "2026-11-20T09:05:00Z", "text": "Still open.",
         "resolved": False, "anchor": {"section": "contribution:omar-el-tayeb",
                                       "paragraph": None, "quote": ""}},
    ]}), encoding="utf-8")
    result = run_cli("build", folder, "-o", tmp_path / "out", "-f", "docx")
    assert result.exit_code == 0, result.output
    built = tmp_path / "out" / "nile-dispute.docx"
    document = docx.Document(str(built))
    assert {c.comment_id: c.text for c in document.comments} == {7: "Done already.",
                                                                 8: "Still open."}
    copy_ = tmp_path / "copy" / "nile-dispute"
    shutil.copytree(folder, copy_)
    result = run_cli("import", built, "-o", copy_, "--force")
    assert result.exit_code == 0, result.output
    back = {c.id: c for c in load_review(copy_)}
    assert back["7"].resolved and not back["8"].resolved
    assert back["7"].date == "2026-11-20T09:00:00Z"
    assert back["8"].section == "contribution:omar-el-tayeb" and back["8"].paragraph is None
    assert back["7"].quote.startswith("The Grand Ethiopian")


def test_the_pdf_shows_comments_only_for_a_review_print(tmp_path):
    """Without --comments the PDF never shows review.yaml; with it, the open comments
    are notes in the right margin, beside their paragraphs (a resolved one is not)."""
    import pdfplumber

    folder = tmp_path / "nile-dispute"
    shutil.copytree(ROOT / "content" / "nile-dispute", folder)
    (folder / "review.yaml").write_text(yaml.safe_dump({"comments": [
        {"id": "1", "author": "Ann Lee", "text": "Check the inauguration date.",
         "anchor": {"section": "lede", "paragraph": 0, "quote": "The Grand Ethiopian"}},
        {"id": "2", "author": "Ann Lee", "text": "Shorten to two sentences.",
         "anchor": {"section": "bio:tesfaye-bekele", "paragraph": 0, "quote": "Tesfaye"}},
        {"id": "3", "author": "Ann Lee", "text": "Dealt with already.", "resolved": True,
         "anchor": {"section": "lede", "paragraph": 1, "quote": "Downstream"}},
    ]}), encoding="utf-8")
    pages = {}
    for name, extra in (("plain", ()), ("review", ("--comments",))):
        result = run_cli("build", folder, "-o", tmp_path / name, "-f", "pdf", *extra)
        assert result.exit_code == 0, result.output
        with pdfplumber.open(tmp_path / name / "nile-dispute.pdf") as pdf:
            pages[name] = [(page.extract_text() or "", page.extract_words(), page.width)
                           for page in pdf.pages]
    plain = " ".join(text for text, _, _ in pages["plain"])
    assert "Ann Lee" not in plain and "inauguration date." not in plain
    review = " ".join(" ".join(text.split()) for text, _, _ in pages["review"])
    assert "Check the inauguration date." in review and "Shorten to two sentences." in review
    assert "Dealt with already." not in review
    for text, words, width in pages["review"]:
        if "Check the" in " ".join(text.split()):
            note = next(w for w in words if w["text"] == "inauguration")
            lede = next(w for w in words if w["text"] == "Grand")
            assert note["x0"] > width - 60 * 72 / 25.4  # in the right margin
            assert abs(note["top"] - lede["top"]) < 40  # beside its paragraph


def test_round_trip_yaml_rewrites_only_the_changed_values_in_their_style():
    from briefgen.content.issue_writer import round_trip_yaml

    text = ("# Kept: a comment.\n"
            "issue: 42\n"
            "date: 2026-11-20\n"
            "title: \"The Nile: in dispute\"\n"
            "series: 'Brief'\n"
            "keywords: [Nile, Egypt]\n"
            "standfirst: >-\n"
            "  The dam is built and filling, the talks have stalled, and a drought\n"
            "  year would test everyone's patience.\n"
            "lang: en  # kept too\n")
    old = {"issue": "42", "date": "2026-11-20", "title": "The Nile: in dispute",
           "series": "Brief", "keywords": ["Nile", "Egypt"],
           "standfirst": "The dam is built and filling, the talks have stalled, and a "
                         "drought year would test everyone’s patience.", "lang": "en"}
    assert round_trip_yaml(text, old, dict(old)) == text
    new = dict(old, issue="43", date="2026-11-27", title="The Nile: a deal",
               keywords=["Nile", "Sudan"], standfirst="The talks resumed in Khartoum on "
               "Monday, and both sides say a drought protocol is within reach this year.")
    del new["series"]
    assert round_trip_yaml(text, old, new) == (
        "# Kept: a comment.\n"
        "issue: 43\n"
        "date: 2026-11-27\n"
        "title: \"The Nile: a deal\"\n"
        "keywords: [Nile, Sudan]\n"
        "standfirst: >-\n"  # folded as wide as the old text's longest line
        "  The talks resumed in Khartoum on Monday, and both sides say a\n"
        "  drought protocol is within reach this year.\n"
        "lang: en  # kept too\n")


def test_a_reimport_keeps_comment_ids_however_word_renumbers_them(tmp_path):
    from briefgen.content.review import Comment, dump_review, keep_ids

    def comment(id_, text, author="Ann"):
        return Comment(id_, author, "2026-11-20T09:00:00Z", text, "lede", 0, "The")

    (tmp_path / "review.yaml").write_text(dump_review([comment("7", "First."),
                                                       comment("9", "Second.")]))
    # Word saved them as 0 and 1, in another order, and the editor added one
    renumbered = [comment("0", "Second."), comment("1", "New one.", "Bo"),
                  comment("2", "First.")]
    assert [(c.id, c.text) for c in keep_ids(renumbered, tmp_path)] == [
        ("9", "Second."), ("10", "New one."), ("7", "First.")]


def test_a_comment_on_the_cover_stays_on_its_paragraph(tmp_path):
    folder = tmp_path / "nile-dispute"
    shutil.copytree(ROOT / "content" / "nile-dispute", folder)
    (folder / "review.yaml").write_text(yaml.safe_dump({"comments": [
        {"id": "4", "author": "Ann Lee", "text": "Too long for the cover.",
         "anchor": {"section": "issue", "paragraph": None, "quote": "The dam is built"}}]}),
        encoding="utf-8")
    result = run_cli("build", folder, "-o", tmp_path / "out", "-f", "docx")
    assert result.exit_code == 0, result.output
    document = docx.Document(str(tmp_path / "out" / "nile-dispute.docx"))
    start = next(document.element.body.iter(w("commentRangeStart")))
    paragraph = DocxParagraph(next(start.iterancestors(w("p"))), document.part)
    assert paragraph.style.name == "Subtitle" and paragraph.text.startswith("The dam is built")
    copy_ = tmp_path / "copy" / "nile-dispute"
    shutil.copytree(folder, copy_)
    assert run_cli("import", tmp_path / "out" / "nile-dispute.docx", "-o", copy_,
                   "--force").exit_code == 0
    (back,) = load_review(copy_)
    assert (back.id, back.section, back.paragraph) == ("4", "issue", None)
    assert back.quote.startswith("The dam is built")
