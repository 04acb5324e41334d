"""`briefgen import` treats a DOCX as untrusted: no name inside it can steer a write.

Each hostile DOCX here is a real briefgen DOCX (built from the sample issue)
whose XML or part names were rewritten with zipfile. Every test points HOME at
a folder holding a `.bashrc` sentinel and snapshots everything in tmp_path
outside the import's target, so a write anywhere else is caught.
"""
from __future__ import annotations

import errno
import hashlib
import io
import os
import stat
import zipfile
from pathlib import Path

import pytest
from PIL import Image as PILImage

import briefgen.fsguard
from briefgen.content.issue_folder import load_issue

from .conftest import SAMPLE, run_cli
from .newsletters import newsletter_text

BASHRC = b"# the user's own shell settings\n"
PHOTO_PART = "word/media/image1.jpg"        # Amira Haddad's photo in the sample DOCX
BOOKMARK = b"_Contributor_amira_haddad"


@pytest.fixture(scope="module")
def sample_docx(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample-docx")
    result = run_cli("build", SAMPLE, "-o", out, "-f", "docx")
    assert result.exit_code == 0, result.output
    return (out / "nile-dispute.docx").read_bytes()


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_bytes(BASHRC)
    monkeypatch.setenv("HOME", str(home))
    return home


def snapshot(root: Path, skip: Path | None = None) -> dict:
    """Every file, folder and link under `root` (except `skip`): kind, mode and content."""
    seen = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            if skip is not None and (path == skip or skip in path.parents):
                continue
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                seen[path] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                seen[path] = ("dir", stat.S_IMODE(info.st_mode))
            else:
                seen[path] = ("file", stat.S_IMODE(info.st_mode),
                              hashlib.sha256(path.read_bytes()).hexdigest())
    return seen


def crafted(base: bytes, target: Path, *, bookmark: str | None = None,
            photo_target: str | None = None, photo_bytes: bytes | None = None) -> Path:
    """The sample DOCX with Amira Haddad's bookmark renamed and/or her photo part renamed
    (the relationship's Target is `photo_target`, written as given, e.g. with `../`)."""
    with zipfile.ZipFile(io.BytesIO(base)) as zin, \
            zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        part_name = PHOTO_PART
        if photo_target is not None:
            # python-docx resolves the target against /word/, as Word does
            part_name = os.path.normpath("/word/" + photo_target).lstrip("/")
        for info in zin.infolist():
            data = zin.read(info)
            name = info.filename
            if name == "word/document.xml" and bookmark is not None:
                escaped = bookmark.replace("&", "&amp;").replace('"', "&quot;").encode()
                data = data.replace(BOOKMARK + b'"', escaped + b'"')
            if name == "word/_rels/document.xml.rels" and photo_target is not None:
                data = data.replace(b'Target="media/image1.jpg"',
                                    f'Target="{photo_target}"'.encode())
            if name == "[Content_Types].xml" and photo_target is not None:
                data = data.replace(b"</Types>", f'<Override PartName="/{part_name}" '
                                    f'ContentType="image/jpeg"/></Types>'.encode())
            if name == PHOTO_PART:
                name = part_name
                if photo_bytes is not None:
                    data = photo_bytes
            zout.writestr(name, data)
    return target


def run_import(source: Path, target: Path, *args):
    return run_cli("import", source, "-o", target, *args)


# ---------------------------------------------------------------- names from the DOCX

@pytest.mark.parametrize("bookmark, photo_target, named", [
    # the reported overwrite: "images/" + "../../home/" + ".bashrc" (the part's suffix)
    # wrote the photo over ~/.bashrc. The photo part is read first, and refused.
    ("_Contributor_../../home/", "media/image1.bashrc", "photo part"),
    ("_Contributor_../../home/", None, "bookmark"),
    ("_Contributor_../../home/.bashrc", None, "bookmark"),
    ("_Contributor_/abs", None, "bookmark"),
    ("_Contributor_..", None, "bookmark"),
    ("_Contributor_a/../../../x", None, "bookmark"),
    ("_Contributor_Amira Haddad", None, "bookmark"),
    ("_Contributor_.hidden", None, "bookmark"),
])
def test_hostile_contributor_bookmark_is_refused(bookmark, photo_target, named, sample_docx,
                                                 home, tmp_path):
    source = crafted(sample_docx, tmp_path / "hostile.docx", bookmark=bookmark,
                     photo_target=photo_target)
    before = snapshot(tmp_path)
    result = run_import(source, tmp_path / "out")
    assert (home / ".bashrc").read_bytes() == BASHRC
    assert snapshot(tmp_path) == before  # nothing written, not even a staging folder
    assert result.exit_code == 2, result.output
    assert "hostile.docx" in result.output and named in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("photo_target", [
    "../../../home/evil.sh",      # the part lies outside word/, named .sh
    "media/image1.pth",
    "media/image1.sh",
    "media/image1.jpg/../x",      # no suffix at all
])
def test_photo_part_with_a_name_outside_the_image_list_is_refused(photo_target, sample_docx,
                                                                  home, tmp_path):
    source = crafted(sample_docx, tmp_path / "hostile.docx", photo_target=photo_target)
    before = snapshot(tmp_path)
    result = run_import(source, tmp_path / "out")
    assert (home / ".bashrc").read_bytes() == BASHRC
    assert snapshot(tmp_path) == before
    assert result.exit_code == 2, result.output
    assert "hostile.docx" in result.output and "photo" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_photo_that_is_not_an_image_is_refused(sample_docx, home, tmp_path):
    source = crafted(sample_docx, tmp_path / "hostile.docx",
                     photo_bytes=b"#!/bin/sh\nrm -rf ~\n")
    before = snapshot(tmp_path)
    result = run_import(source, tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "hostile.docx" in result.output and "not a JPEG, PNG, GIF or WebP image" in result.output
    assert snapshot(tmp_path) == before


def test_photo_suffix_comes_from_the_bytes_not_the_part_name(sample_docx, home, tmp_path):
    png = io.BytesIO()
    PILImage.new("RGB", (40, 40), (200, 30, 30)).save(png, "PNG")
    source = crafted(sample_docx, tmp_path / "renamed.docx", photo_bytes=png.getvalue())
    before = snapshot(tmp_path)
    result = run_import(source, tmp_path / "out")  # a PNG inside a part named image1.jpg
    assert result.exit_code == 0, result.output
    issue = load_issue(tmp_path / "out").issue
    amira = next(c for c in issue.contributors if c.id == "amira-haddad")
    assert amira.photo.path.name == "amira-haddad.png"
    assert "images/amira-haddad.png" in (tmp_path / "out" / "contributors.yaml").read_text()
    assert sorted(p.name for p in (tmp_path / "out" / "images").iterdir()) == [
        "amira-haddad.png", "omar-el-tayeb.jpg"]
    assert snapshot(tmp_path, skip=tmp_path / "out") == before


def test_writer_refuses_ids_and_suffixes_that_are_not_safe(tmp_path):
    """The writer is the funnel for every importer: it checks again, whatever the model says."""
    import dataclasses

    from briefgen.content.issue_writer import write_issue_folder
    from briefgen.errors import BriefgenError

    issue = load_issue(SAMPLE).issue
    person = issue.contributors[0]
    work = tmp_path / "work"
    work.mkdir()
    for bad in ("../../x", "/abs", "a/b", ".."):
        hostile = dataclasses.replace(issue, contributors=(dataclasses.replace(person, id=bad),)
                                      + issue.contributors[1:])
        with pytest.raises(BriefgenError):
            write_issue_folder(hostile, work / "out")
        assert sorted(tmp_path.rglob("*")) == [work]
    odd = tmp_path / "photo.sh"
    odd.write_bytes(person.photo.path.read_bytes())
    hostile = dataclasses.replace(issue, contributors=(
        dataclasses.replace(person, photo=dataclasses.replace(person.photo, path=odd)),)
        + issue.contributors[1:])
    folder = write_issue_folder(hostile, work / "out").folder
    assert (folder / "images" / f"{person.id}.jpg").is_file()  # named from its bytes
    assert not list(folder.rglob("*.sh"))


# ---------------------------------------------------------------- import -o EXISTING --force

def wire(tmp_path) -> Path:
    source = tmp_path / "wire.txt"
    source.write_text(newsletter_text(), encoding="utf-8")
    return source


def test_force_keeps_files_briefgen_does_not_own(sample_docx, tmp_path):
    folder = tmp_path / "issue"
    folder.mkdir()
    (folder / "NOTES.md").write_text("my notes")
    (folder / "drafts").mkdir()
    (folder / "drafts" / "v1.md").write_text("first draft")
    (folder / "images").mkdir()
    (folder / "images" / "unused.jpg").write_bytes(b"an old picture")
    (folder / "issue.md").write_text("old issue")
    source = tmp_path / "sample.docx"
    source.write_bytes(sample_docx)
    result = run_import(source, folder, "--force")
    assert result.exit_code == 0, result.output
    assert (folder / "NOTES.md").read_text() == "my notes"
    assert (folder / "drafts" / "v1.md").read_text() == "first draft"
    assert (folder / "images" / "unused.jpg").read_bytes() == b"an old picture"
    assert load_issue(folder).issue.title == load_issue(SAMPLE).issue.title
    assert "replaced issue.md" in result.output
    assert "kept NOTES.md, drafts, images/unused.jpg" in result.output
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left
    assert run_cli("validate", folder).exit_code == 0


def test_force_never_writes_through_a_link_in_the_existing_issue(sample_docx, tmp_path):
    folder = tmp_path / "issue"
    folder.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (folder / "images").symlink_to(elsewhere)
    source = tmp_path / "sample.docx"
    source.write_bytes(sample_docx)
    before = snapshot(tmp_path)
    result = run_import(source, folder, "--force")
    assert snapshot(tmp_path) == before and list(elsewhere.iterdir()) == []
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1 and "images" in result.output


def test_force_onto_a_file_is_refused_and_touches_nothing(tmp_path):
    source = wire(tmp_path)
    folder = tmp_path / "issue"
    assert run_import(source, folder, "--date", "2026-05-01").exit_code == 0
    before = snapshot(tmp_path)
    result = run_import(source, folder / "issue.md", "--date", "2026-05-01", "--force")
    assert result.exit_code == 2, result.output
    assert "is a file" in result.output and len(result.output.strip().splitlines()) == 1
    assert snapshot(tmp_path) == before
    assert run_cli("validate", folder).exit_code == 0


def test_imported_folders_and_files_follow_the_umask(sample_docx, tmp_path):
    source = tmp_path / "sample.docx"
    source.write_bytes(sample_docx)
    old = os.umask(0o027)
    try:
        assert run_import(source, tmp_path / "a" / "out").exit_code == 0
    finally:
        os.umask(old)
    out = tmp_path / "a" / "out"
    modes = {p.relative_to(out).as_posix(): stat.S_IMODE(p.stat().st_mode)
             for p in [out, *out.rglob("*")]}
    assert modes == {".": 0o750, "issue.md": 0o640, "contributors.yaml": 0o640,
                     "images": 0o750, "images/amira-haddad.jpg": 0o640,
                     "images/omar-el-tayeb.jpg": 0o640}
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o750


# ---------------------------------------------------------------- the environment fails

def deny_writes_in(monkeypatch, folder: Path):
    """Make `folder` read-only. Root ignores permissions, so for root the same refusal
    is made by the system calls themselves (mkdir, open for writing, rename into it)."""
    folder.chmod(0o555)
    if os.geteuid() != 0:
        return
    folder = folder.resolve()

    def denied(path) -> bool:
        return Path(os.path.abspath(path)).parent == folder

    def refuse(path):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

    real_mkdir, real_open, real_replace, real_rename = os.mkdir, os.open, os.replace, os.rename

    def mkdir(path, *args, **kw):
        if denied(path):
            refuse(path)
        return real_mkdir(path, *args, **kw)

    def open_(path, flags, *args, **kw):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and denied(path):
            refuse(path)
        return real_open(path, flags, *args, **kw)

    def replace(src, dst, *args, **kw):
        if denied(src) or denied(dst):
            refuse(dst)
        return real_replace(src, dst, *args, **kw)

    def rename(src, dst, *args, **kw):
        if denied(src) or denied(dst):
            refuse(dst)
        return real_rename(src, dst, *args, **kw)

    monkeypatch.setattr(os, "mkdir", mkdir)
    monkeypatch.setattr(os, "open", open_)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "rename", rename)


def test_read_only_parent_folder(tmp_path, monkeypatch):
    source = wire(tmp_path)
    parent = tmp_path / "locked"
    parent.mkdir()
    deny_writes_in(monkeypatch, parent)
    try:
        result = run_import(source, parent / "out", "--date", "2026-05-01")
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "permission denied" in lines[0] and "locked" in lines[0]
        assert list(parent.iterdir()) == []
    finally:
        parent.chmod(0o755)


def test_read_only_existing_issue_with_force_loses_nothing(sample_docx, tmp_path, monkeypatch):
    source = wire(tmp_path)
    folder = tmp_path / "issue"
    assert run_import(source, folder, "--date", "2026-05-01").exit_code == 0
    (folder / "NOTES.md").write_text("my notes")
    docx_source = tmp_path / "sample.docx"
    docx_source.write_bytes(sample_docx)
    before = snapshot(tmp_path)
    deny_writes_in(monkeypatch, folder)
    try:
        result = run_import(docx_source, folder, "--force")
    finally:
        monkeypatch.undo()
        folder.chmod(0o755)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "permission denied" in lines[0]
    folder.chmod(stat.S_IMODE(before[folder][1]))
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("existing", [False, True])
def test_full_disk_during_import_is_one_line_and_nothing_half_written(existing, sample_docx,
                                                                      tmp_path, monkeypatch):
    folder = tmp_path / "issue"
    if existing:
        assert run_import(wire(tmp_path), folder, "--date", "2026-05-01").exit_code == 0
    source = tmp_path / "sample.docx"
    source.write_bytes(sample_docx)
    before = snapshot(tmp_path)
    real_write = briefgen.fsguard.write_bytes
    calls = []

    def write_bytes(folder, relative, data, **kw):
        calls.append(str(relative))
        if relative == "issue.md":  # the last file: the photos and contributors.yaml are written
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(folder, relative, data, **kw)

    monkeypatch.setattr(briefgen.fsguard, "write_bytes", write_bytes)
    result = run_import(source, folder, "--force")
    # every write of the import goes through fsguard.write_bytes
    assert {"images/amira-haddad.jpg", "contributors.yaml", "issue.md"} <= set(calls)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "no space left on the device" in lines[0]
    assert snapshot(tmp_path) == before
