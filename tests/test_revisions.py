"""Tracked changes and comments in a revised DOCX, with LibreOffice as the reference.

The documents are real briefgen DOCX files, edited here the way Word records
an editor's changes with Track Changes on (w:ins, w:del, moves, paragraph
marks, formatting changes). LibreOffice accepts or rejects all of them
(`.uno:AcceptAllTrackedChanges` / `.uno:RejectAllTrackedChanges`, run by a
Basic macro in a throw-away profile, one session for the module), and the
imports must give the same text, paragraph by paragraph.
"""
from __future__ import annotations

import copy
import subprocess
from xml.sax.saxutils import escape

import docx
import pytest
from lxml import etree

from briefgen.content.importers.revisions import resolve
from briefgen.content.issue_folder import load_issue
from briefgen.content.review import load_review

from .conftest import SAMPLE, need_tool, run_cli

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
JANE, LO_USER = "Jane Editor", "LibreOffice user"


def w(tag):
    return f"{{{W}}}{tag}"


class Tracker:
    """Edits a DOCX the way Word writes tracked changes."""

    def __init__(self, path):
        self.document = docx.Document(str(path))
        self.next_id = 9000

    def para(self, start, style=None):
        from docx.text.paragraph import Paragraph

        every = (Paragraph(p, self.document.part) for p in self.document.element.body.iter(w("p")))
        return next(p._p for p in every if p.text.startswith(start)  # tables included
                    and (style is None or p.style.name.split(" Last")[0] == style))

    def _rev(self, kind, author):
        self.next_id += 1
        return etree.Element(w(kind), {w("id"): str(self.next_id), w("author"): author,
                                       w("date"): "2026-11-21T10:00:00Z"})

    def _mark(self, p, kind, author):
        ppr = p.find(w("pPr"))
        if ppr is None:
            ppr = etree.SubElement(p, w("pPr"))
            p.insert(0, ppr)
        rpr = ppr.find(w("rPr"))
        if rpr is None:
            rpr = etree.SubElement(ppr, w("rPr"))
        rpr.append(self._rev(kind, author))

    @staticmethod
    def _run(template, text, deleted=False):
        run = copy.deepcopy(template)
        for t in run.findall(w("t")):
            run.remove(t)
        t = etree.SubElement(run, w("delText" if deleted else "t"))
        t.text = text
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        return run

    def _wrap(self, runs, kind, author, deleted=False):
        wrapper = self._rev(kind, author)
        for run in runs:
            if deleted:
                for t in run.findall(w("t")):
                    t.tag = w("delText")
            wrapper.append(run)
        return wrapper

    def replace(self, p, old, new, author=JANE):
        """Delete `old` (a piece of one run) and insert `new` in its place."""
        for run in p.iter(w("r")):
            t = run.find(w("t"))
            if t is None or old not in (t.text or ""):
                continue
            before, after = t.text.split(old, 1)
            pieces = []
            if before:
                pieces.append(self._run(run, before))
            if old:
                pieces.append(self._wrap([self._run(run, old, deleted=True)], "del", author))
            if new:
                pieces.append(self._wrap([self._run(run, new)], "ins", author))
            if after:
                pieces.append(self._run(run, after))
            parent, index = run.getparent(), run.getparent().index(run)
            parent.remove(run)
            for n, piece in enumerate(pieces):
                parent.insert(index + n, piece)
            return
        raise AssertionError(f"{old!r} not found")

    def delete_run(self, p, start, author=JANE):
        """Delete a whole run (e.g. the marked pull-quote sentence)."""
        run = next(r for r in p.iter(w("r")) if (r.findtext(w("t")) or "").startswith(start))
        parent, index = run.getparent(), run.getparent().index(run)
        parent.insert(index, self._wrap([run], "del", author, deleted=True))

    def delete_paragraph(self, p, author=JANE):
        runs = [c for c in p if c.tag == w("r")]
        p.append(self._wrap(runs, "del", author, deleted=True))
        self._mark(p, "del", author)

    def insert_paragraph_after(self, p, text, author=JANE):
        new = etree.Element(w("p"))
        if p.find(w("pPr")) is not None:
            new.append(copy.deepcopy(p.find(w("pPr"))))
        template = p.find(w("r"))
        new.append(self._wrap([self._run(template, text)], "ins", author))
        self._mark(new, "ins", author)
        p.addnext(new)
        return new

    def split(self, p, at, author=JANE):
        """Press Enter inside a paragraph: the first half ends with an inserted mark."""
        run = next(r for r in p.iter(w("r")) if at in (r.findtext(w("t")) or ""))
        t = run.find(w("t"))
        before, after = t.text.split(at, 1)
        first = etree.Element(w("p"))
        if p.find(w("pPr")) is not None:
            first.append(copy.deepcopy(p.find(w("pPr"))))
        for sibling in [c for c in p if c.tag != w("pPr")]:
            if sibling is run:
                break
            first.append(sibling)
        first.append(self._run(run, before))
        t.text = at + after
        self._mark(first, "ins", author)
        p.addprevious(first)

    def move_before(self, p, target, author=JANE, name="move1"):
        moved = copy.deepcopy(p)
        runs = [c for c in p if c.tag == w("r")]
        p.append(self._wrap(runs, "moveFrom", author, deleted=True))
        p.insert(1, etree.Element(w("moveFromRangeStart"), {w("id"): "8001", w("name"): name,
                                                               w("author"): author}))
        p.append(etree.Element(w("moveFromRangeEnd"), {w("id"): "8001"}))
        self._mark(p, "moveFrom", author)
        runs = [c for c in moved if c.tag == w("r")]
        moved.append(self._wrap(runs, "moveTo", author))
        moved.insert(1, etree.Element(w("moveToRangeStart"), {w("id"): "8002", w("name"): name,
                                                               w("author"): author}))
        moved.append(etree.Element(w("moveToRangeEnd"), {w("id"): "8002"}))
        self._mark(moved, "moveTo", author)
        target.addprevious(moved)

    def embolden(self, p, word, author=LO_USER):
        """A formatting-only change: `word` made bold, the old run properties recorded."""
        self.replace(p, word, word, author)  # split the run around the word …
        ins = next(i for i in p.iter(w("ins")) if i.findtext(f"{w('r')}/{w('t')}") == word)
        dele = ins.getprevious()
        run = ins[0]
        ins.getparent().replace(ins, run)  # … then keep the word, untracked, as its own run
        dele.getparent().remove(dele)
        rpr = run.find(w("rPr"))
        if rpr is None:
            rpr = etree.Element(w("rPr"))
            run.insert(0, rpr)
        old = copy.deepcopy(rpr)
        etree.SubElement(rpr, w("b"))
        change = self._rev("rPrChange", author)
        change.append(old)
        rpr.append(change)

    def comment(self, p, text, author=JANE):
        from docx.text.paragraph import Paragraph

        paragraph = Paragraph(p, self.document.part)
        self.document.add_comment(paragraph.runs[:1], text=text, author=author,
                                  initials="".join(w[0] for w in author.split()))

    def save(self, path):
        self.document.save(str(path))
        return path


def tracked_sample(tmp_path):
    """The sample issue's DOCX with every kind of tracked change in it."""
    out = tmp_path / "built"
    assert run_cli("build", SAMPLE, "-o", out, "-f", "docx").exit_code == 0
    t = Tracker(out / "nile-dispute.docx")
    # body text: "no longer" → "not", and the marked pull-quote sentence deleted
    amira = t.para("“The dam is no longer the issue", "Body Text")
    t.replace(amira, "no longer", "not")
    t.delete_run(amira, "The real test comes")
    # a headline replaced by a deletion plus an insertion
    t.replace(t.para("Electricity for Ethiopia", "Heading 2"),
              "Electricity for Ethiopia is a regional asset, not a threat",
              "Ethiopia’s power is everyone’s asset")
    # a change inside a given pull quote, and a paragraph split in two
    t.replace(t.para("Every megawatt", "Pull Quote"), "Every megawatt", "Each megawatt",
              LO_USER)
    t.split(t.para("“Seen from Addis Ababa", "Body Text"), "Roughly half")
    # an inserted paragraph, a deleted paragraph, a moved paragraph (the lede)
    t.insert_paragraph_after(t.para("“Focusing on the dam", "Body Text"),
                             "An editor’s tracked addition, in a paragraph of its own.")
    t.delete_paragraph(t.para("Downstream, the view", "Body Text"))
    t.move_before(t.para("With the reservoir filled", "Body Text"),
                  t.para("The Grand Ethiopian", "Lede"))
    # an attribution: the Europe piece credited to another contributor
    t.replace(t.para("— Élodie", "Attribution"), "Élodie Marchetti", "Omar el-Tayeb")
    # a bio, and a formatting-only change
    t.replace(t.para("Amira Haddad works", "Bio"), "Amira Haddad works", "Amira Haddad worked")
    t.embolden(t.para("“The European Union", "Body Text"), "European Union", LO_USER)
    # comments: on a body paragraph, the lede, a bio
    t.comment(amira, "Source for the drought protocol?")
    t.comment(t.para("The Grand Ethiopian", "Lede"), "Check the inauguration date.", LO_USER)
    t.comment(t.para("Tesfaye Bekele studies", "Bio"), "Shorten to two sentences.")
    return t.save(tmp_path / "tracked.docx")


MACRO = """
Sub Resolve(folder As String)
  Dim load(0) As New com.sun.star.beans.PropertyValue
  load(0).Name = "Hidden" : load(0).Value = True
  Dim store(0) As New com.sun.star.beans.PropertyValue
  store(0).Name = "FilterName" : store(0).Value = "MS Word 2007 XML"
  helper = createUnoService("com.sun.star.frame.DispatchHelper")
  name = Dir(folder & "/in/", 0)
  Dim names(100) As String
  n = 0
  Do While name <> ""
    names(n) = name : n = n + 1
    name = Dir()
  Loop
  For i = 0 To n - 1
    For Each mode In Array("accept", "reject")
      doc = StarDesktop.loadComponentFromURL(ConvertToURL(folder & "/in/" & names(i)), _
                                              "_blank", 0, load())
      If mode = "accept" Then
        helper.executeDispatch(doc.CurrentController.Frame, ".uno:AcceptAllTrackedChanges", "", 0, Array())
      Else
        helper.executeDispatch(doc.CurrentController.Frame, ".uno:RejectAllTrackedChanges", "", 0, Array())
      End If
      doc.storeToURL(ConvertToURL(folder & "/" & mode & "/" & names(i)), store())
      doc.close(True)
    Next
  Next
  StarDesktop.terminate()
End Sub
"""


def _install_macro(profile):
    basic = profile / "user" / "basic"
    (basic / "Standard").mkdir(parents=True, exist_ok=True)
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    (basic / "Standard" / "Module1.xba").write_text(
        head + '<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" '
        '"module.dtd">\n<script:module xmlns:script="http://openoffice.org/2000/script" '
        'script:name="Module1" script:language="StarBasic">' + escape(MACRO)
        + "</script:module>\n")
    for kind, element in (("script", '<library:element library:name="Module1"/>'),
                          ("dialog", "")):
        (basic / "Standard" / f"{kind}.xlb").write_text(
            head + '<!DOCTYPE library:library PUBLIC "-//OpenOffice.org//DTD OfficeDocument '
            '1.0//EN" "library.dtd">\n<library:library '
            'xmlns:library="http://openoffice.org/2000/library" library:name="Standard" '
            f'library:readonly="false" library:passwordprotected="false">{element}'
            "</library:library>\n")
        (basic / f"{kind}.xlc").write_text(
            head + '<!DOCTYPE library:libraries PUBLIC "-//OpenOffice.org//DTD OfficeDocument '
            '1.0//EN" "libraries.dtd">\n<library:libraries '
            'xmlns:library="http://openoffice.org/2000/library" '
            'xmlns:xlink="http://www.w3.org/1999/xlink"><library:library '
            f'library:name="Standard" xlink:href="$(USER)/basic/Standard/{kind}.xlb/" '
            'xlink:type="simple" library:link="false"/></library:libraries>\n')


def libreoffice_resolve(folder):
    """Accept all and reject all through LibreOffice: folder/in/*.docx → folder/accept|reject/."""
    soffice = need_tool("soffice")
    profile = folder / "profile"
    # A first start makes the profile (it would replace a Basic library put there before).
    subprocess.run([soffice, "--headless", "--norestore", "--terminate_after_init",
                    f"-env:UserInstallation=file://{profile}"],
                   check=True, capture_output=True, timeout=240)
    _install_macro(profile)
    for mode in ("accept", "reject"):
        (folder / mode).mkdir()
    subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
                    f'macro:///Standard.Module1.Resolve("{folder}")'],
                   check=True, capture_output=True, timeout=240)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The tracked sample, and LibreOffice's Accept All / Reject All of it."""
    tmp = tmp_path_factory.mktemp("revisions")
    (tmp / "in").mkdir()
    tracked = tracked_sample(tmp)
    (tmp / "in" / "tracked.docx").write_bytes(tracked.read_bytes())
    libreoffice_resolve(tmp)
    missing = [m for m in ("accept", "reject") if not (tmp / m / "tracked.docx").is_file()]
    assert not missing, f"LibreOffice wrote no {missing} document"
    return tmp, tracked


def paragraphs(document):
    """(style, text) of each paragraph with text, from the first section heading on."""
    found = []
    for p in document.paragraphs:
        style = p.style.name if p.style is not None else ""
        if style == "Heading 1":
            found.append(True)
        if found and p.text.strip() and not style.startswith("TOC"):
            found.append((style, p.text.strip()))
    return [f for f in found if f is not True]


@pytest.mark.parametrize("policy", ["accept", "reject"])
def test_resolved_paragraphs_match_libreoffice(reference, policy):
    tmp, tracked = reference
    ours = docx.Document(str(tracked))
    resolve(ours.element, policy)
    theirs = docx.Document(str(tmp / policy / "tracked.docx"))
    assert [t for _, t in paragraphs(ours)] == [t for _, t in paragraphs(theirs)]


def issue_text(folder):
    """What a reader sees of an issue, as comparable lines."""
    issue = load_issue(folder).issue
    lines = [("lede", b.text) for b in issue.lede]
    for c in issue.contributions:
        lines.append(("headline", c.headline))
        lines.append(("by", ",".join(p.id for p in c.contributors)))
        lines += [("body", b.text) for b in c.body]
    for person in issue.contributors:
        lines += [(f"bio {person.id}", b.text) for b in person.bio]
    return issue, lines


@pytest.mark.parametrize("policy", ["accept", "reject"])
def test_import_matches_libreoffice(reference, policy, tmp_path):
    tmp, tracked = reference
    result = run_cli("import", tracked, "-o", tmp_path / "ours", "--track-changes", policy)
    assert result.exit_code == 0, result.output
    result = run_cli("import", tmp / policy / "tracked.docx", "-o", tmp_path / "theirs")
    assert result.exit_code == 0, result.output
    ours, our_lines = issue_text(tmp_path / "ours")
    theirs, their_lines = issue_text(tmp_path / "theirs")
    assert our_lines == their_lines
    texts = " ".join(t for _, t in our_lines)
    headlines = [c.headline for c in ours.contributions]
    if policy == "accept":
        assert "The dam is not the issue" in texts and "no longer" not in texts
        assert "Ethiopia’s power is everyone’s asset" in headlines
        assert "An editor’s tracked addition, in a paragraph of its own." in texts
        assert "Downstream, the view" not in texts
        assert our_lines[0][1].startswith("With the reservoir filled")
        assert ours.contributions[1].pull_quote.text.startswith("Each megawatt")
        assert "Amira Haddad worked" in texts
        assert ("by", "omar-el-tayeb") == our_lines[our_lines.index(
            ("headline", "Europe should fund the data, not take sides")) + 1]
        # the deleted marked sentence is not pinned back as the pull quote
        amira = ours.contributions[0]
        assert "The real test comes" not in amira.pull_quote.text
        assert amira.pull_quote.source == "auto"
        europe = next(c for c in ours.contributions if c.headline.startswith("Europe"))
        assert any(s.strong and s.text == "European Union" for s in europe.body[0].spans)
    else:
        original, original_lines = issue_text(SAMPLE)
        assert our_lines == original_lines
        assert ours.contributions[0].pull_quote == original.contributions[0].pull_quote
        assert ours.contributions[1].pull_quote == original.contributions[1].pull_quote


def test_pending_changes_are_refused_with_a_count_by_author(reference, tmp_path):
    _, tracked = reference
    result = run_cli("import", tracked, "-o", tmp_path / "out")
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    # Word lists a replacement as a deletion and an insertion; a move as two
    assert ": 14 tracked changes by Jane Editor, 2 by LibreOffice user pending" in lines[0]
    assert "choose --track-changes accept or reject, or accept/reject them in Word" in lines[0]
    assert not (tmp_path / "out").exists()


def test_comments_go_to_review_yaml_and_validate_lists_them(reference, tmp_path):
    _, tracked = reference
    folder = tmp_path / "nile-dispute"
    result = run_cli("import", tracked, "-o", folder, "--track-changes", "accept")
    assert result.exit_code == 0, result.output
    comments = load_review(folder)
    assert sorted((c.author, c.text, c.section, c.paragraph) for c in comments) == sorted([
        (LO_USER, "Check the inauguration date.", "lede", 1),  # the moved paragraph is first
        (JANE, "Source for the drought protocol?", "contribution:amira-haddad", 0),
        (JANE, "Shorten to two sentences.", "bio:tesfaye-bekele", 0)])
    amira = next(c for c in comments if c.section == "contribution:amira-haddad")
    assert amira.quote.startswith("“The dam is not the issue")
    assert all(c.date == "" or c.date.startswith("20") for c in comments)
    result = run_cli("validate", folder)
    assert result.exit_code == 0, result.output
    lines = (folder / "issue.md").read_text().splitlines()
    notes = [line for line in result.output.splitlines() if line.startswith("note:")]
    assert len(notes) == 3, result.output
    where = {n.split(": comment by ")[1]: n.split(": ")[1] for n in notes}
    lede_line = int(where[f"{LO_USER}: Check the inauguration date."].rsplit(":", 1)[1])
    assert lines[lede_line - 1].startswith("The Grand Ethiopian")
    amira_line = int(where[f"{JANE}: Source for the drought protocol?"].rsplit(":", 1)[1])
    assert lines[amira_line - 1].startswith("“The dam is not the issue")
    assert where[f"{JANE}: Shorten to two sentences."].startswith(str(folder / "contributors.yaml"))
    assert "ok:" in result.output


# ---------------------------------------------------------------- diffs an editor can review

@pytest.fixture(scope="module")
def sample_docx(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample-docx")
    assert run_cli("build", SAMPLE, "-o", out, "-f", "docx").exit_code == 0
    return out / "nile-dispute.docx"


def copy_of_sample(tmp_path):
    import shutil

    folder = tmp_path / "nile-dispute"  # the same name: the slug stays implicit
    shutil.copytree(SAMPLE, folder)
    return folder


def test_unchanged_import_leaves_every_file_byte_identical(sample_docx, tmp_path):
    folder = copy_of_sample(tmp_path)
    before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    result = run_cli("import", sample_docx, "-o", folder, "--dry-run")
    assert result.exit_code == 0 and "no change" in result.output, result.output
    assert run_cli("import", sample_docx, "-o", folder, "--force").exit_code == 0
    after = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before


def test_tracked_import_changes_only_the_edited_paragraphs(reference, tmp_path):
    import difflib

    _, tracked = reference
    folder = copy_of_sample(tmp_path)
    original = (folder / "issue.md").read_text().splitlines()
    dry = run_cli("import", tracked, "-o", folder, "--dry-run", "--track-changes", "accept")
    assert dry.exit_code == 0, dry.output
    assert (folder / "issue.md").read_text().splitlines() == original  # nothing written
    # (written with a straight apostrophe, as the source types them)
    assert "+An editor's tracked addition, in a paragraph of its own." in dry.output
    result = run_cli("import", tracked, "-o", folder, "--force", "--track-changes", "accept")
    assert result.exit_code == 0, result.output
    changed = [line for line in difflib.unified_diff(
        original, (folder / "issue.md").read_text().splitlines(), n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    # the paragraphs the editor touched (as source lines), and no other line
    assert "-experts_intro: >-" not in changed and "-issue: 42" not in changed
    assert len([c for c in changed if c.startswith("-")]) <= 45, "\n".join(changed)
    assert (folder / "images" / "amira-haddad.jpg").is_file()
    assert not list((folder / "images").glob("*.jpeg"))
