"""Editions under pressure: privacy between recipients, file names that cannot
clobber, Ctrl-C, byte-reproducible output, unwritable folders, bad schedulers."""
from __future__ import annotations

import errno
import io
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pikepdf
import pytest
from fontTools.ttLib import TTFont

from briefgen.pipeline import editions
from briefgen.model import Recipient

from .conftest import ROOT, run_cli

PACK = ROOT / "content" / "board-pack"


def csv_file(tmp_path, text, name="delegates.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- privacy

def embedded_characters(path):
    """Every character that the PDF's embedded fonts can draw, read the way a
    curious recipient would: the ToUnicode map of every font, in pages and in
    form XObjects alike. Also checks that each embedded font file holds no
    outline beyond those glyphs (and the parts of accented letters they are
    built from), so nothing hides in the subset behind the map."""
    chars = set()
    with pikepdf.open(path) as pdf:
        for font in pdf.objects:
            if not (isinstance(font, pikepdf.Dictionary) and "/ToUnicode" in font):
                continue
            cmap = font.ToUnicode.read_bytes().decode("latin-1")
            cids = set()
            for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
                for cid, text in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                    cids.add(int(cid, 16))
                    chars.update(bytes.fromhex(text).decode("utf-16-be"))
            for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
                for first, last, start in re.findall(
                        r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                    for k in range(int(last, 16) - int(first, 16) + 1):
                        cids.add(int(first, 16) + k)
                        chars.add(chr(int(start, 16) + k))
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.FontDescriptor
                if "/FontFile2" not in descriptor:
                    continue
                tt = TTFont(io.BytesIO(descriptor.FontFile2.read_bytes()))
                glyf, order = tt["glyf"], tt.getGlyphOrder()
                allowed, todo = {0}, [c for c in cids if c < len(order)]
                while todo:  # glyphs mapped, and the components they are built from
                    gid = todo.pop()
                    if gid in allowed:
                        continue
                    allowed.add(gid)
                    glyph = glyf[order[gid]]
                    if glyph.isComposite():
                        todo += [tt.getGlyphID(n) for n in glyph.getComponentNames(glyf)]
                drawn = {i for i, n in enumerate(order) if glyf[n].numberOfContours != 0}
                assert drawn <= allowed, (path.name, font.BaseFont, sorted(drawn - allowed))
    return chars


def test_each_edition_embeds_only_its_own_recipients_characters(tmp_path):
    # Same batch, same variant: the footer and watermark carry the names too.
    zofia, oystein = "Žofia Ďurčová", "Øystein Ærø"
    source = csv_file(tmp_path, f"name;organisation;groups\n{zofia};Řád;board\n"
                                f"{oystein};Þing;board\n")
    out = tmp_path / "out"
    result = run_cli("build", PACK, "--recipients", source, "-o", out, "-j", "1")
    assert result.exit_code == 0, result.output
    only_zofia = set("ŽĎčŘ") - set(oystein)
    only_oystein = set("ØÆøÞ") - set(zofia)
    chars_zofia = embedded_characters(out / "zofia-durcova.pdf")
    chars_oystein = embedded_characters(out / "øystein-ærø.pdf")
    assert only_zofia <= chars_zofia and only_oystein <= chars_oystein  # the check sees names
    assert not chars_zofia & only_oystein, sorted(chars_zofia & only_oystein)
    assert not chars_oystein & only_zofia, sorted(chars_oystein & only_zofia)


# ---------------------------------------------------------------- reproducible

def test_unencrypted_editions_are_byte_identical_and_keep_their_tags(tmp_path):
    source = csv_file(tmp_path, "name;organisation;groups\nAda Lovelace;AEL;board\n"
                                "Bob Smith;City Council;\n")
    for run in ("one", "two"):
        result = run_cli("build", PACK, "--recipients", source, "-o", tmp_path / run, "-j", "1",
                         "--format", "pdf,docx", "--source-date-epoch", "1700000000")
        assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert names == ["ada-lovelace.docx", "ada-lovelace.pdf", "bob-smith.docx", "bob-smith.pdf"]
    for name in names:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), \
            name
    # The footer, watermark and annex drawn over a page are artifacts; the page's
    # own tagged text stays outside them, in the structure tree.
    with pikepdf.open(tmp_path / "one" / "ada-lovelace.pdf") as pdf:
        for number, page in enumerate(pdf.pages, 1):
            stack, tagged, hidden = [], 0, 0
            for operands, operator in pikepdf.parse_content_stream(page):
                if str(operator) == "BDC" and isinstance(operands[1], pikepdf.Dictionary) \
                        and "/MCID" in operands[1]:
                    if "/Artifact" in stack:
                        hidden += 1
                    else:
                        tagged += 1
                if str(operator) in ("BMC", "BDC"):
                    stack.append(str(operands[0]))
                elif str(operator) == "EMC":
                    stack.pop()
            assert not hidden, f"page {number}: {hidden} tagged runs inside an artifact"
            if number <= 2:
                assert tagged, f"page {number} has tagged text"


def test_a_pack_with_a_pdf_annex_is_byte_identical(tmp_path):
    # The annex pages are drawn with the same overlay helper as edition stamps.
    for run in ("one", "two"):
        result = run_cli("build", PACK, "-o", tmp_path / run, "--format", "pdf",
                         "--source-date-epoch", "1700000000")
        assert result.exit_code == 0, result.output
    one = (tmp_path / "one" / "board-pack.pdf").read_bytes()
    assert one == (tmp_path / "two" / "board-pack.pdf").read_bytes()


# ---------------------------------------------------------------- file names

def test_a_recipient_named_like_the_pack_does_not_overwrite_its_files(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "board-pack.pdf").write_bytes(b"the pack, built earlier")
    (out / "board-pack-booklet.pdf").write_bytes(b"its booklet")
    source = csv_file(tmp_path, "name\nBoard Pack\nBoard-Pack Booklet\nAda\n")
    result = run_cli("build", PACK, "--recipients", source, "-o", out, "-j", "1")
    assert result.exit_code == 0, result.output
    assert (out / "board-pack.pdf").read_bytes() == b"the pack, built earlier"
    assert (out / "board-pack-booklet.pdf").read_bytes() == b"its booklet"
    assert sorted(p.name for p in out.glob("*.pdf")) == [
        "ada.pdf", "board-pack-2.pdf", "board-pack-booklet-2.pdf", "board-pack-booklet.pdf",
        "board-pack.pdf"]
    assert f"{source}:2: board-pack is the pack's own file name; this edition is board-pack-2" \
        in result.output


def test_file_names_never_collide_and_fit_the_file_system():
    pack = type("P", (), {"slug": "board-pack"})()
    people = [Recipient(name=n, organisation="", groups=(), password="", extra=(), line=i + 2)
              for i, n in enumerate(["Ada", "Ada 2", "Ada", "Ada", "漢" * 80, "漢" * 80])]
    names, _ = editions._file_names(pack, people, ROOT / "x.csv")
    assert len(set(names.values())) == len(people)
    assert names[0] == "ada" and names[1] == "ada-2"
    for name in names.values():
        assert len(f".{name}.docx.abcdefgh.part".encode()) <= 255


# ---------------------------------------------------------------- Ctrl-C

@pytest.mark.parametrize("jobs", ["2", "1"])
def test_ctrl_c_stops_within_two_seconds_and_says_what_was_written(tmp_path, jobs):
    rows = "".join(f"Delegate {i:03d};Org {i % 7};{'board' if i % 5 == 0 else ''}\n"
                   for i in range(120))
    source = csv_file(tmp_path, "name;organisation;groups\n" + rows)
    out = tmp_path / "out"
    env = dict(os.environ, BRIEFGEN_CACHE="off", HOME=str(tmp_path))
    process = subprocess.Popen(
        [sys.executable, "-m", "briefgen", "build", str(PACK), "--recipients", str(source),
         "-o", str(out), "-j", jobs], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=env, cwd=tmp_path, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while not list(out.glob("*.pdf")):
            assert process.poll() is None and time.monotonic() < deadline, "no edition appeared"
            time.sleep(0.02)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        sent = time.monotonic()
        stdout, stderr = process.communicate(timeout=10)
        stopped = time.monotonic() - sent
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert stopped < 2, f"took {stopped:.1f} s to stop"
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "no output was changed" not in stderr
    written = sorted(out.glob("*.pdf"))
    message = re.search(r"interrupted: (\d+) files? written in .*, (\d+) recipients? not done",
                        stderr)
    assert message, stderr
    assert int(message.group(1)) == len(written) > 0
    assert int(message.group(2)) == 120 - len(written)
    assert sorted(re.findall(r"^wrote (.+)$", stderr, re.M)) == [str(p) for p in written]
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]
    for path in written:  # each one complete
        with pikepdf.open(path) as pdf:
            assert len(pdf.pages) >= 9


# ---------------------------------------------------------------- unwritable output

def refuse_writes(monkeypatch, folder, when=lambda prefix: True, code=errno.EROFS):
    """Writes into `folder` fail as on a read-only mount (chmod does not stop root)."""
    real = tempfile.mkstemp

    def mkstemp(suffix=None, prefix=None, dir=None, text=False):
        if dir is not None and os.path.realpath(dir) == os.path.realpath(folder) \
                and when(prefix or ""):
            raise OSError(code, os.strerror(code), os.path.join(str(dir), prefix or ""))
        return real(suffix, prefix, dir, text)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


def test_read_only_output_folder_is_one_line_and_exit_2(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    refuse_writes(monkeypatch, out)
    source = csv_file(tmp_path, "name\nAda\nBob\n")
    result = run_cli("build", PACK, "--recipients", source, "-o", out, "-j", "1")
    assert result.exit_code == 2, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {out}: cannot write in the output folder: Read-only file system"
                      " — make it writable, free some space, or choose another -o folder"]
    assert "internal error" not in result.output and not list(out.iterdir())


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only folder")
def test_really_read_only_output_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        result = run_cli("build", PACK, "--recipients", csv_file(tmp_path, "name\nAda\n"),
                         "-o", out)
    finally:
        out.chmod(0o755)
    assert result.exit_code == 2 and "cannot write in the output folder" in result.output


def test_a_row_that_cannot_be_written_fails_alone_with_exit_2(tmp_path, monkeypatch):
    # The folder fills up (or turns read-only) during the run: Bob's file cannot be written.
    out = tmp_path / "out"
    refuse_writes(monkeypatch, out, when=lambda prefix: prefix.startswith(".bob"),
                  code=errno.ENOSPC)
    source = csv_file(tmp_path, "name\nAda\nBob\nCarla\n")
    result = run_cli("build", PACK, "--recipients", source, "-o", out, "-j", "1",
                     "--format", "pdf,docx")
    assert result.exit_code == 2, result.output
    assert f"error: {source}:3: cannot write {out.resolve() / 'bob.pdf'}: No space" in result.output
    assert "No space left on device — make the output folder writable, free some space" \
        in result.output
    assert "internal error" not in result.output and "bug" not in result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "ada.docx", "ada.pdf", "carla.docx", "carla.pdf"]
    assert "4 files written" in result.output and "1 row failed" in result.output


# ---------------------------------------------------------------- schedulers that are not Dask

class Server:
    """A loopback TCP server that accepts and then says nothing, or garbage."""

    def __init__(self, reply: bytes | None):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.reply, self.conns = reply, []
        self.address = f"tcp://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            if self.reply:
                conn.sendall(self.reply)

    def close(self):
        for conn in self.conns:
            conn.close()
        self.sock.close()


def run_bounded(*args, limit=30):
    """run_cli in a thread, so that a hang fails the test instead of stalling the suite."""
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("result", run_cli(*args)),
                              daemon=True)
    start = time.monotonic()
    thread.start()
    thread.join(limit)
    assert not thread.is_alive(), f"still running after {limit} s"
    return box["result"], time.monotonic() - start


@pytest.mark.parametrize("reply", [None, b"HTTP/1.0 200 OK\r\n\r\n" + b"\xff" * 4096],
                         ids=["silent", "garbage"])
def test_a_server_that_is_not_dask_fails_in_bounded_time(tmp_path, monkeypatch, reply):
    pytest.importorskip("distributed")
    monkeypatch.setattr(editions, "DASK_TIMEOUT", 2)
    server = Server(reply)
    try:
        result, seconds = run_bounded("build", PACK, "--recipients",
                                      csv_file(tmp_path, "name\nAda\n"), "-o", tmp_path / "out",
                                      "--scheduler", server.address)
    finally:
        server.close()
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {server.address} is not a Dask scheduler: ")
    assert len(result.output.strip().splitlines()) == 1 and seconds < 10
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("address", ["file:///x", "http://127.0.0.1:8786", "tcp://127.0.0.1"])
def test_a_scheduler_address_that_is_not_one_is_refused(tmp_path, address):
    pytest.importorskip("distributed")
    result, seconds = run_bounded("build", PACK, "--recipients", csv_file(tmp_path, "name\nA\n"),
                                  "-o", tmp_path / "out", "--scheduler", address)
    assert result.exit_code == 2, result.output
    assert result.output == (f"error: --scheduler {address!r} is not the address of a Dask "
                             "scheduler — give tcp://HOST:PORT (the address `dask scheduler` "
                             "prints)\n")
