"""The rebuild cache cannot be fooled: every input is keyed (streamed, no file cap),
every hit is checked against its recorded hash, and nothing found in the cache
is ever unpickled or trusted: a bad entry is a miss, rebuilt and replaced."""
from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import tracemalloc
import zipfile

import docx
import pytest

from briefgen import cache
from briefgen.render import docx as docx_writer
from briefgen.render import pdf as pdf_writer

from .conftest import SAMPLE, need_tool, run_cli


@pytest.fixture
def issue(tmp_path):
    folder = tmp_path / "content" / "nile-dispute"
    shutil.copytree(SAMPLE, folder)
    return folder


@pytest.fixture
def cache_on(tmp_path, monkeypatch):
    monkeypatch.setenv("BRIEFGEN_CACHE", "on")
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def counting(monkeypatch, module):
    """Count the files a writer module really writes (`finish` for the PDF writer,
    which lays out first and writes in a second step; `write` otherwise)."""
    calls = []
    name = "finish" if hasattr(module, "finish") else "write"
    real = getattr(module, name)
    monkeypatch.setattr(module, name, lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def entries(cache_dir, suffix):
    return sorted(cache_dir.rglob(f"*{suffix}"))


def docx_title(path):
    return docx.Document(str(path)).core_properties.title


class Boom:
    """A pickle that would leave a mark if anything unpickled it."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def plant(kind, file, record, tmp_path):
    """Damage a cached DOCX entry (its file and/or its JSON record) in one of several ways."""
    if kind == "garbage":
        file.write_bytes(b"not a zip at all" * 100)
    elif kind == "truncated":
        file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
    elif kind == "empty":
        file.write_bytes(b"")
    elif kind == "foreign-json":
        record.write_text(json.dumps({"pages": 3, "page_numbers": {"x": 1}}))
    elif kind == "json-list":
        record.write_text("[1, 2, 3]")
    elif kind == "wrong-hash":
        data = json.loads(record.read_text())
        data["sha256"] = "0" * 64
        record.write_text(json.dumps(data))
    elif kind == "bad-info":
        data = json.loads(record.read_text())
        data["info"] = {"dict": [[["a", "list"], 1]]}
        record.write_text(json.dumps(data))
    elif kind == "pickle":
        record.write_bytes(pickle.dumps(Boom(tmp_path / "pwned")))
        file.write_bytes(pickle.dumps(Boom(tmp_path / "pwned")))
    elif kind == "no-record":
        record.unlink()
    elif kind == "link":
        outside = tmp_path / "outside.docx"
        shutil.copyfile(file, outside)
        file.unlink()
        file.symlink_to(outside)


@pytest.mark.parametrize("kind", ["garbage", "truncated", "empty", "foreign-json", "json-list",
                                  "wrong-hash", "bad-info", "pickle", "no-record", "link"])
def test_a_damaged_or_foreign_entry_is_a_miss_rebuilt_and_replaced(issue, tmp_path, cache_on,
                                                                   monkeypatch, kind):
    calls = counting(monkeypatch, docx_writer)
    assert run_cli("build", issue, "-f", "docx", "-o", tmp_path / "a").exit_code == 0
    (file,) = entries(cache_on, ".docx")
    (record,) = [p for p in file.parent.iterdir() if p.stem == file.stem and p != file]
    good = file.read_bytes()
    plant(kind, file, record, tmp_path)

    result = run_cli("build", issue, "-f", "docx", "-o", tmp_path / "b")
    assert result.exit_code == 0, result.output
    assert len(calls) == 2  # rendered again
    built = tmp_path / "b" / "nile-dispute.docx"
    assert zipfile.ZipFile(built).testzip() is None
    assert docx_title(built).startswith("The Nile in Dispute")
    assert built.read_bytes() == good
    assert not (tmp_path / "pwned").exists()
    # The entry was replaced: the next build is served from the cache again.
    assert run_cli("build", issue, "-f", "docx", "-o", tmp_path / "c").exit_code == 0
    assert len(calls) == 2
    assert (tmp_path / "c" / "nile-dispute.docx").read_bytes() == good


def test_a_truncated_cached_pdf_is_never_served(issue, tmp_path, cache_on, monkeypatch):
    qpdf = need_tool("qpdf")
    calls = counting(monkeypatch, pdf_writer)
    first = run_cli("build", issue, "-f", "pdf", "-o", tmp_path / "a")
    assert first.exit_code == 0
    (file,) = entries(cache_on, ".pdf")
    file.write_bytes(file.read_bytes()[:-2000])

    result = run_cli("build", issue, "-f", "pdf", "-o", tmp_path / "b")
    assert result.exit_code == 0, result.output
    assert len(calls) == 2
    pdf = tmp_path / "b" / "nile-dispute.pdf"
    check = subprocess.run([qpdf, "--check", str(pdf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert pdf.read_bytes() == (tmp_path / "a" / "nile-dispute.pdf").read_bytes()
    # A hit still reports the page count it recorded (the record is JSON, not a pickle).
    again = run_cli("build", issue, "-f", "pdf", "-o", tmp_path / "c")
    assert len(calls) == 2
    assert first.output.split("(")[-1] == again.output.split("(")[-1]  # "6 pages)"


def test_a_changed_title_is_rebuilt_with_10001_files_in_images(issue, tmp_path, cache_on):
    images = issue / "images"
    for n in range(10_001):
        (images / f"scan-{n:05}.txt").write_bytes(b"")
    assert run_cli("build", issue, "-f", "docx", "-o", tmp_path / "a").exit_code == 0
    text = (issue / "issue.md").read_text(encoding="utf-8")
    (issue / "issue.md").write_text(text.replace('title: "The Nile in Dispute:',
                                                 'title: "The Nile Revisited:'), encoding="utf-8")
    assert run_cli("build", issue, "-f", "docx", "-o", tmp_path / "b").exit_code == 0
    assert docx_title(tmp_path / "b" / "nile-dispute.docx").startswith("The Nile Revisited")


def test_a_change_in_a_large_file_changes_the_key_and_hashing_streams(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    big = folder / "big.bin"
    with open(big, "wb") as fh:
        fh.truncate(200_000_000)  # sparse: 200 MB of zeros that take no disk space
    tracemalloc.start()
    try:
        before = cache.folder_digest(folder)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000  # chunks, never the whole file
    with open(big, "r+b") as fh:
        fh.seek(150_000_000)
        fh.write(b"x")
    assert cache.folder_digest(folder) != before


def test_links_outside_the_folder_are_not_read(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "issue.md").write_text("x", encoding="utf-8")
    secret = tmp_path / "secret.txt"
    secret.write_text("one", encoding="utf-8")
    (folder / "link.txt").symlink_to(secret)
    (folder / "up").symlink_to(tmp_path)  # a loop, were it followed
    before = cache.folder_digest(folder)
    secret.write_text("two", encoding="utf-8")
    assert cache.folder_digest(folder) == before
    (folder / "issue.md").write_text("y", encoding="utf-8")
    assert cache.folder_digest(folder) != before


def test_a_folder_over_the_limit_builds_without_the_cache(issue, tmp_path, cache_on,
                                                          monkeypatch):
    monkeypatch.setattr(cache, "MAX_FILES", 20)
    for n in range(25):
        (issue / "images" / f"extra-{n}.txt").write_bytes(b"")
    calls = counting(monkeypatch, docx_writer)
    for out in ("a", "b"):
        result = run_cli("build", issue, "-f", "docx", "-o", tmp_path / out)
        assert result.exit_code == 0, result.output
        assert "more than 20 files: built without the cache" in result.output
    assert len(calls) == 2
    assert not entries(cache_on, ".docx")


def test_info_round_trips_through_json_with_its_key_types(cache_on, tmp_path):
    source = tmp_path / "out.bin"
    source.write_bytes(b"%PDF- a body")
    info = {"pages": 7, "page_numbers": {"overview": 2, 3: 4, (1, "x"): 5, None: 0, 2.5: 1},
            "list": [1, "a", (2, 3)], "flag": True}
    cache.store("outputs", "ab" * 32, source, ".pdf", info)
    record = next(cache_on.rglob("*.json")).read_text()
    json.loads(record)  # plain JSON
    dest = tmp_path / "copy.bin"
    assert cache.fetch("outputs", "ab" * 32, ".pdf", dest) == info
    assert dest.read_bytes() == source.read_bytes()


def test_the_whole_pair_is_served_again_unchanged(issue, tmp_path, cache_on, monkeypatch):
    """PDF and DOCX together (the DOCX forked beside the PDF): a rebuild copies both."""
    calls = counting(monkeypatch, pdf_writer)
    assert run_cli("build", issue, "-o", tmp_path / "a").exit_code == 0
    assert run_cli("build", issue, "-o", tmp_path / "b").exit_code == 0
    assert len(calls) == 1
    for name in ("nile-dispute.pdf", "nile-dispute.docx"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert not any(path.suffix == ".pickle" for path in cache_on.rglob("*"))
    assert os.stat(cache.root()).st_mode & 0o077 == 0


def test_a_damaged_converted_annex_is_not_used(cache_on, tmp_path):
    converted = tmp_path / "memo.pdf"
    converted.write_bytes(b"%PDF-1.7\n" + b"0" * 5000 + b"\n%%EOF\n")
    key = cache.digest("annex", cache.file_digest(converted))
    stored = cache.store("annexes", key, converted, ".pdf")
    assert cache.verified_path("annexes", key, ".pdf") == stored
    stored.write_bytes(stored.read_bytes()[:100])  # truncated by a crash, say
    assert cache.verified_path("annexes", key, ".pdf") is None
    assert not stored.exists()  # dropped: the next conversion replaces it


@pytest.mark.parametrize("mode", [0o777, 0o770])
def test_a_cache_folder_others_can_write_is_never_used(issue, tmp_path, monkeypatch, mode):
    """Someone else could plant entries there: the build renders and stores nothing."""
    shared = tmp_path / "shared-cache"
    shared.mkdir()
    shared.chmod(mode)
    monkeypatch.setenv("BRIEFGEN_CACHE", "on")
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(shared))
    cache._safe.cache_clear()
    calls = counting(monkeypatch, pdf_writer)
    for _ in range(2):
        result = run_cli("build", issue, "-o", tmp_path / "out", "--format", "pdf")
        assert result.exit_code == 0, result.output
    assert len(calls) == 2  # rendered both times: nothing served from the shared folder
    assert entries(shared, ".pdf") == []
    cache._safe.cache_clear()
