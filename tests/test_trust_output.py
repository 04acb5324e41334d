"""Output that cannot be disguised or lost: no bidi tricks in metadata and file
names, no stale `.part` files, and the machine's own problems (a full disk, a
read-only folder) reported as one line with exit 2, never as a bug."""
from __future__ import annotations

import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import docx
import pikepdf
import pytest

from .conftest import ROOT, SAMPLE, run_cli
from .test_build_pdf import outline_titles, pdf_pages_text

TRICKS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u0085\u2028\u2029"
TRICK_RE = re.compile(f"[{TRICKS}]")


@pytest.fixture
def issue(tmp_path):
    folder = tmp_path / "issue"
    shutil.copytree(SAMPLE, folder)
    return folder


def test_bidi_overrides_and_line_separators_never_reach_metadata_cover_or_file_names(issue, tmp_path):
    source = (issue / "issue.md").read_text(encoding="utf-8")
    source = source.replace(
        'title: "The Nile in Dispute: Egypt, Ethiopia and the Renaissance Dam"',
        'title: "The Nile in Dispute\\u202e fdp.exe\\u2066 x\\u2069\\u2028 y"\n'
        'slug: "nile\\u202egpj.pdf"', 1)
    source = source.replace("publisher: Institute for", 'publisher: "\\u2067Institute\\u2069\\u0085" # for', 1)
    source = source.replace("## Without shared rules", "## Without\u202e shared rules", 1)
    (issue / "issue.md").write_text(source, encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("build", issue, "-o", out)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names and not any(TRICK_RE.search(n) for n in names), names
    pdf_path = next(out.glob("*.pdf"))
    with pikepdf.open(pdf_path) as pdf:
        title = str(pdf.docinfo["/Title"])
        assert "fdp.exe" in title and not TRICK_RE.search(title)
        with pdf.open_metadata() as xmp:
            assert not TRICK_RE.search(str(xmp.get("dc:title", "")))
        for key in ("/Author", "/Subject", "/Keywords"):
            if key in pdf.docinfo:
                assert not TRICK_RE.search(str(pdf.docinfo[key])), key
    bookmarks = [title for title, _ in outline_titles(pdf_path)]
    assert any("Without shared rules" in t for t in bookmarks), bookmarks
    assert not any(TRICK_RE.search(t) for t in bookmarks)
    cover = pdf_pages_text(pdf_path)[0]
    assert "fdp.exe" in cover and not TRICK_RE.search(cover)
    props = docx.Document(next(out.glob("*.docx"))).core_properties
    for value in (props.title, props.author, props.subject, props.keywords, props.identifier):
        assert not TRICK_RE.search(value or "")


def test_stale_part_files_of_a_killed_build_are_removed_at_the_next_build(issue, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    # A build killed with SIGKILL leaves its .part behind: simulate one from a
    # process that has since ended, and one of an old briefgen without a pid.
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    stale = [out / f".issue.pdf.{child.pid}.abc123.part", out / ".issue.docx.k2j3h4.part"]
    for path in stale:
        path.write_bytes(b"%PDF-1.7 half")
    alive = out / f".issue.pdf.{os.getppid()}.live.part"  # a concurrent build's: kept
    alive.write_bytes(b"in progress")
    other = out / "notes.part"
    other.write_text("not ours")
    result = run_cli("build", issue, "-o", out)
    assert result.exit_code == 0, result.output
    assert not any(p.exists() for p in stale)
    assert alive.exists() and other.exists()
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == \
        ["issue.docx", "issue.pdf", "notes.part"]


def test_a_sigkilled_build_leaves_parts_that_the_next_build_clears(issue, tmp_path):
    out = tmp_path / "out"
    env = dict(os.environ, BRIEFGEN_CACHE="off")
    proc = subprocess.Popen([sys.executable, "-m", "briefgen", "build", str(issue), "-o", str(out)],
                            env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(out.glob(".*.part")):
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = list(out.glob(".*.part"))
    assert left, "the build was killed before it staged anything"
    result = run_cli("build", issue, "-o", out)
    assert result.exit_code == 0, result.output
    assert not list(out.glob("*.part")) and not list(out.glob(".*.part"))


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES, errno.EROFS])
def test_a_full_disk_or_read_only_folder_is_exit_2_and_keeps_the_previous_outputs(
        issue, tmp_path, monkeypatch, code):
    out = tmp_path / "out"
    assert run_cli("build", issue, "-o", out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    def failing(*args, **kwargs):
        raise OSError(code, os.strerror(code), str(out / ".issue.pdf.part"))

    # The disk fills (or the folder turns read-only) while the PDF is written.
    from briefgen.pipeline.publish import Publication

    monkeypatch.setattr(Publication, "stage", lambda self, name: failing())
    result = run_cli("build", issue, "-o", out, "--format", "pdf")
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.output
    assert str(out) in lines[0]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_really_read_only_output_folder_is_exit_2(issue, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o500)
    try:
        result = run_cli("build", issue, "-o", out)
    finally:
        out.chmod(0o700)
    assert result.exit_code == 2, result.output
    assert "permission denied" in result.output and list(out.iterdir()) == []


def test_layouts_new_into_a_folder_it_cannot_write_is_exit_2(tmp_path, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "house"))

    # Root writes anywhere: the folder's refusal is simulated where files are created.
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    result = run_cli("layouts", "new", "house", "-o", tmp_path / "house")
    assert result.exit_code == 2, result.output
    assert "permission denied" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "house").exists()


def test_a_folder_that_cannot_take_its_place_leaves_the_old_one_there(tmp_path, monkeypatch):
    """Publishing a folder (--format html's assets) moves the old one aside first;
    when the new one then cannot be renamed into place, the old one is put back,
    whole: the output folder keeps the previous build's assets, and no part."""
    from briefgen.pipeline import publish

    out = tmp_path / "out"
    (out / "doc-assets").mkdir(parents=True)
    (out / "doc-assets" / "old.css").write_text("old", encoding="utf-8")
    publication = publish.Publication.open(out)
    staged = publication.stage("doc-assets", folder=True)
    (staged / "new.css").write_text("new", encoding="utf-8")
    real = os.rename

    def refuse_the_new_folder(source, target):
        if str(source) == str(staged):
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        return real(source, target)

    monkeypatch.setattr(publish.os, "rename", refuse_the_new_folder)
    with pytest.raises(OSError):
        publication.publish()
    publication.discard()
    assert sorted(p.name for p in out.iterdir()) == ["doc-assets"]
    assert [p.name for p in (out / "doc-assets").iterdir()] == ["old.css"]
