"""`briefgen preview`: the live preview, in a real browser (Debian's chromium driven
by Playwright, nothing downloaded), plus what it serves and where it listens.

One preview server runs for the module, on a copy of the sample, from a folder
of its own (so that a stray output/ would show)."""
from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefgen.preview import command as preview_command
from briefgen.preview.command import is_loopback, preview

from .conftest import IN_CI, SAMPLE

OLD_HEADLINE = "Electricity for Ethiopia is a regional asset, not a threat"
NEW_HEADLINE = "Power from Ethiopia is a shared asset"
BY_LINE = "by: tesfaye-bekele"
SLUG = "nile-dispute"


class Server:
    def __init__(self, process: subprocess.Popen, host: str, port: int, source: Path,
                 cwd: Path, log: Path):
        self.process, self.host, self.port = process, host, port
        self.source, self.cwd, self.log = source, cwd, log
        self.url = f"http://{host}:{port}/"

    def request(self, path: str, *, method: str = "GET", headers: dict | None = None,
                body: bytes | None = None) -> tuple[int, dict, bytes]:
        """A raw request: the path goes out exactly as written (no normalising)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        sent = {"Host": f"{self.host}:{self.port}", **(headers or {})}
        if body is not None:
            sent["Content-Length"] = str(len(body))
        for name, value in sent.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def state(self) -> dict:
        status, _, body = self.request("/state")
        assert status == 200
        return json.loads(body)

    def wait_build(self, after: int = 0, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.state()
            if state["build"] > after and not state["building"]:
                return state
            time.sleep(0.1)
        raise AssertionError(f"no build after {after} within {timeout} s:\n"
                             + self.log.read_text())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("preview-cwd")
    source = cwd / SLUG
    shutil.copytree(SAMPLE, source)
    log = cwd.parent / "preview-server.log"
    env = dict(os.environ, BRIEFGEN_CACHE="off")
    with log.open("w") as errors:
        process = subprocess.Popen(
            [sys.executable, "-c", "from briefgen.preview.command import preview; "
                                   "preview.main(prog_name='briefgen preview')", SLUG],
            cwd=cwd, stdout=subprocess.PIPE, stderr=errors, text=True, env=env)
    line = process.stdout.readline()
    assert line.startswith("preview: http://127.0.0.1:"), line + log.read_text()
    host, port = line.split()[1].split("//")[1].rstrip("/").split(":")
    running = Server(process, host, int(port), source, cwd, log)
    first = running.wait_build()
    assert first["ok"], first["problems"]
    yield running
    process.send_signal(signal.SIGINT)
    assert process.wait(15) == 0, log.read_text()
    assert "preview: stopped" in log.read_text()
    # The builds went to the preview's temporary folder, never to output/.
    assert not (cwd / "output").exists() and not (source / "output").exists()


# ------------------------------------------------------------------ what it listens on


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_hosts(host):
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.1.2.3", "192.0.2.7", "example.org", ""])
def test_other_hosts_are_not_loopback(host):
    assert not is_loopback(host)


def _no_serving(monkeypatch):
    served = []
    monkeypatch.setattr("briefgen.preview.run.serve", lambda *a, **k: served.append(a))
    monkeypatch.setattr(preview_command, "bind", lambda host, port: ("bound", host, port))
    return served


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.7"])
def test_a_public_host_is_refused_without_public(host, monkeypatch):
    served = _no_serving(monkeypatch)
    result = CliRunner().invoke(preview, [str(SAMPLE), "--host", host])
    assert result.exit_code == 2, result.output
    assert f"error: refusing to serve the preview on {host}" in result.output
    assert "--public" in result.output
    assert not served


def test_public_serves_with_a_warning(monkeypatch):
    served = _no_serving(monkeypatch)
    result = CliRunner().invoke(preview, [str(SAMPLE), "--host", "0.0.0.0", "--public"])
    assert result.exit_code == 0, result.output
    assert "warning: serving the preview on 0.0.0.0 (--public)" in result.stderr
    assert len(served) == 1


def test_briefgen_toml_gives_the_preview_its_defaults_and_flags_win(tmp_path, monkeypatch):
    import shutil as sh

    calls = []
    monkeypatch.setattr("briefgen.preview.run.serve", lambda *a, **k: calls.append(k))
    monkeypatch.setattr(preview_command, "bind", lambda host, port: ("bound", host, port))
    sh.copytree(SAMPLE, tmp_path / "issue")
    (tmp_path / "briefgen.toml").write_text('layout = "memo"\npage_size = "Letter"\n')
    assert CliRunner().invoke(preview, [str(tmp_path / "issue")]).exit_code == 0
    assert calls[-1]["layout"] == "memo" and calls[-1]["page_size"] == "Letter"
    assert CliRunner().invoke(preview, [str(tmp_path / "issue"), "-l", "conference",
                                        "--page-size", "A5"]).exit_code == 0
    assert calls[-1]["layout"] == "conference" and calls[-1]["page_size"] == "A5"
    (tmp_path / "briefgen.toml").write_text('layot = "memo"\n')
    result = CliRunner().invoke(preview, [str(tmp_path / "issue")])
    assert result.exit_code == 2 and "briefgen.toml:1" in result.output


def test_a_missing_folder_is_one_error(tmp_path, monkeypatch):
    served = _no_serving(monkeypatch)
    result = CliRunner().invoke(preview, [str(tmp_path / "nope")])
    assert result.exit_code == 2 and "no such folder" in result.output and not served
    result = CliRunner().invoke(preview, [str(tmp_path)])
    assert result.exit_code == 2 and "no issue.md or pack.yaml" in result.output


def test_it_listens_on_loopback_only(server):
    # The port is bound to 127.0.0.1: another address of this machine does not answer.
    assert server.host == "127.0.0.1"
    ss = shutil.which("ss")
    if ss:
        listening = subprocess.run([ss, "-ltnH", f"sport = :{server.port}"],
                                   capture_output=True, text=True).stdout
        local = {line.split()[3] for line in listening.splitlines() if line.strip()}
        assert local == {f"127.0.0.1:{server.port}"}, listening


# ------------------------------------------------------------------ what it serves


def test_it_serves_its_own_files(server):
    state = server.wait_build()
    status, headers, body = server.request("/")
    assert status == 200 and b"/static/preview.js" in body
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    for name in ("preview.js", "preview.css", "icon.svg"):
        assert server.request(f"/static/{name}")[0] == 200
    page = state["pages"][0]
    status, headers, body = server.request(page["src"])
    assert status == 200 and headers["content-type"] == "image/png"
    assert body.startswith(b"\x89PNG")
    status, headers, body = server.request(f"/download/{SLUG}.docx")
    assert status == 200 and "attachment" in headers["content-disposition"]
    assert zipfile.is_zipfile(__import__("io").BytesIO(body))
    assert server.request(f"/download/{SLUG}.pdf")[2].startswith(b"%PDF")


NOT_SERVED = [
    "/issue.md", f"/{SLUG}/issue.md", "/contributors.yaml", "/etc/passwd", "//etc/passwd",
    "/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static/../../../../etc/passwd", "/static/..%2f..%2f..%2fetc%2fpasswd",
    "/static/%2e%2e%2fserver.py", "/static/server.py", "/static/", "/static/index.html/..",
    "/static/preview.js%00.png", "/static/PREVIEW.JS",
    "/pages/..%2f..%2fout%2fnile-dispute.pdf", "/pages/%2e%2e%2fcache.png",
    "/pages/../out/nile-dispute.pdf", "/pages/0123456789abcdef0123456789abcdef.png",
    "/pages/../../../../etc/passwd.png",
    "/download/issue.md", "/download/..%2fissue.md", "/download/../out/nile-dispute.pdf",
    f"/download/%2e%2e%2f{SLUG}%2fissue.md", "/download/nile-dispute.DOCX",
    "/download/", "/output/nile-dispute.pdf", "/out/nile-dispute.pdf", "/cache",
    "/state/../static/preview.js/../../worker.py", "/events/..", "/\\..\\..\\etc\\passwd",
    "/%5c..%5c..%5cetc%5cpasswd", "/%252e%252e/%252e%252e/etc/passwd",
]


def test_anything_else_is_404(server):
    server.wait_build()
    for path in NOT_SERVED:
        status, _, body = server.request(path)
        assert status == 404, (path, status, body[:200])
        assert b"root:" not in body and b"by:" not in body
    # Wrong methods too, and a page image of an older, pruned build.
    assert server.request("/choose")[0] == 404
    assert server.request("/state", method="POST", body=b"")[0] == 404
    assert server.request("/", method="DELETE")[0] == 404


def test_the_host_header_must_name_the_preview(server):
    # A web page reaching the port through DNS rebinding sends its own host name.
    for host in ("evil.example", f"evil.example:{server.port}", "127.0.0.1:1"):
        assert server.request("/state", headers={"Host": host})[0] == 404
    assert server.request("/state", headers={"Host": f"localhost:{server.port}"})[0] == 200


def test_choose_takes_json_from_its_own_origin_only(server):
    body = json.dumps({"layout": "memo"}).encode()
    status, _, _ = server.request("/choose", method="POST", body=body,
                                  headers={"Content-Type": "text/plain"})
    assert status == 415
    status, _, _ = server.request("/choose", method="POST", body=body,
                                  headers={"Content-Type": "application/json",
                                           "Origin": "http://evil.example"})
    assert status == 404
    status, _, _ = server.request("/choose", method="POST", body=b'{"layout": "../../x"}',
                                  headers={"Content-Type": "application/json"})
    assert status == 400
    assert server.state()["layout"] == "policy-brief"


# ------------------------------------------------------------------ in a real browser


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    reason = ("Debian's chromium is not installed (`sh setup.sh --test` installs it); "
              "the browser test drives the system browser and downloads none")
    if IN_CI:
        pytest.fail(reason + ", but CI must run this test")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if IN_CI:
            pytest.fail("playwright is not installed (it is in the test extras)")
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable)
        yield launched
        launched.close()


def _page_texts(page) -> list[str]:
    return page.eval_on_selector_all(
        ".page .page-text", "nodes => nodes.map(n => n.textContent.replace(/\\s+/g, ' '))")


def _wait_build_shown(page, after: int) -> None:
    page.wait_for_function("n => Number(document.body.dataset.build) > n", arg=after,
                           timeout=30_000)


def _reading(page) -> str:
    return page.text_content("#page-indicator") or ""


def test_live_preview_in_the_browser(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url)
    state = server.wait_build()
    _wait_build_shown(page, 0)
    # The page count, shown and laid out.
    page.wait_for_selector(f"#page-count[data-count='{state['page_count']}']")
    assert page.locator(".page img").count() == state["page_count"] == 6
    assert page.locator(".page img").first.get_attribute("alt") == "Page 1 of 6"

    # Reading page 3, the editor renames its second headline: the pages update and the
    # reader stays on page 3.
    page.eval_on_selector("#page-3", "node => node.scrollIntoView()")
    page.wait_for_function("() => document.getElementById('page-indicator')"
                           ".textContent.startsWith('Page 3 ')")
    assert any(OLD_HEADLINE in text for text in _page_texts(page))
    issue = server.source / "issue.md"
    original = issue.read_text(encoding="utf-8")
    build = int(page.evaluate("document.body.dataset.build"))
    issue.write_text(original.replace(OLD_HEADLINE, NEW_HEADLINE), encoding="utf-8")
    page.wait_for_function(
        "t => [...document.querySelectorAll('.page-text')]"
        ".some(n => n.textContent.replace(/\\s+/g, ' ').includes(t))", arg=NEW_HEADLINE,
        timeout=30_000)
    texts = _page_texts(page)
    assert not any(OLD_HEADLINE in text for text in texts)
    assert NEW_HEADLINE in texts[2], "the new headline is on page 3, where the old one was"
    assert _reading(page).startswith("Page 3 of 6")
    assert page.locator(".problem.error").count() == 0

    # An unknown contributor: the problems panel shows it with its line; the last good
    # pages stay, with the error above them.
    build = int(page.evaluate("document.body.dataset.build"))
    edited = original.replace(OLD_HEADLINE, NEW_HEADLINE)
    line = edited.split("\n").index(BY_LINE) + 1
    issue.write_text(edited.replace(BY_LINE, "by: tesfaye-bekel"), encoding="utf-8")
    _wait_build_shown(page, build)
    problem = page.locator(".problem.error")
    problem.first.wait_for()
    assert problem.count() == 1
    assert "unknown contributor `tesfaye-bekel`" in problem.inner_text()
    assert "did you mean `tesfaye-bekele`" in problem.inner_text()
    assert problem.locator(".where").inner_text() == f"{SLUG}/issue.md:{line}"
    assert page.is_visible("#banner") and "last good pages" in page.inner_text("#banner")
    assert page.locator(".page img").count() == 6
    assert any(NEW_HEADLINE in text for text in _page_texts(page))
    # The PDF shown can still be downloaded; the DOCX (built on download) waits for a fix.
    assert page.get_attribute("#downloads a.disabled", "title").endswith("the DOCX")
    assert server.request(f"/download/{SLUG}.docx")[0] == 409
    assert server.request(f"/download/{SLUG}.pdf")[0] == 200
    # Clicking it goes to its page (the piece's page in the last good build).
    page.evaluate("window.scrollTo(0, 0)")
    problem.locator("button").click()
    page.wait_for_function("() => document.getElementById('page-indicator')"
                           ".textContent.startsWith('Page 3 ')")

    # Fixed: the panel clears, the banner goes.
    build = int(page.evaluate("document.body.dataset.build"))
    issue.write_text(edited, encoding="utf-8")
    _wait_build_shown(page, build)
    page.wait_for_function("() => !document.querySelector('.problem.error')"
                           " && document.getElementById('banner').hidden")
    assert page.locator(".page img").count() == 6

    # The page-size picker rebuilds on Letter pages.
    build = int(page.evaluate("document.body.dataset.build"))
    page.select_option("#page-size", "Letter")
    _wait_build_shown(page, build)
    ratio = page.eval_on_selector(".page img", "i => i.naturalHeight / i.naturalWidth")
    assert abs(ratio - 11 / 8.5) < 0.01, ratio

    # The layout picker: memo, with its own page count.
    build = int(page.evaluate("document.body.dataset.build"))
    page.select_option("#layout", "memo")
    _wait_build_shown(page, build)
    state = server.state()
    assert state["layout"] == "memo" and state["ok"]
    assert page.locator(".page img").count() == state["page_count"]
    assert page.get_attribute("#page-count", "data-count") == str(state["page_count"])

    # The DOCX downloads from the page, with the edit in it.
    with page.expect_download() as waiting:
        page.click("#downloads a[download$='.docx']")
    saved = tmp_path / "downloaded.docx"
    waiting.value.save_as(saved)
    with zipfile.ZipFile(saved) as docx:
        assert "Ethiopia" in docx.read("word/document.xml").decode()
        assert "shared asset" in docx.read("word/document.xml").decode()
    assert not errors, errors
    page.close()


def test_the_wheel_carries_the_page(tmp_path):
    """The page's HTML, CSS and script are package data: an installed briefgen serves them."""
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path),
                    str(root)], check=True, capture_output=True)
    names = set(zipfile.ZipFile(next(tmp_path.glob("briefgen-*.whl"))).namelist())
    from briefgen.preview.server import STATIC

    assert {f"briefgen/preview/static/{name}" for name in STATIC} <= names


def test_warnings_and_findings_carry_file_line_and_page(tmp_path):
    """The worker, in this process: a loader warning gets its file, line and the page
    its line belongs to; an error points into the last good build's pages."""
    from briefgen.preview.worker import Worker, parse_warning

    source = tmp_path / SLUG
    shutil.copytree(SAMPLE, source)
    people = source / "contributors.yaml"
    people.write_text(people.read_text(encoding="utf-8") + "\nnadia-farouk:\n"
                      "  name: Nadia Farouk\n", encoding="utf-8")
    line = people.read_text(encoding="utf-8").split("\n").index("nadia-farouk:") + 1
    worker = Worker()
    request = {"source": str(source), "out": str(tmp_path / "out"),
               "pages": str(tmp_path / "pages")}
    answer = worker.handle(request)
    assert answer["ok"], answer["problems"]
    assert len(answer["pages"]) == 6 and all(p["text"] for p in answer["pages"])
    contributors_page = next(p["number"] for p in answer["pages"]  # the bios' page
                             if "Karim Naguib writes on" in p["text"])
    warning, = [p for p in answer["problems"] if p["severity"] == "warning"]
    assert "`nadia-farouk` is not credited" in warning["message"]
    assert os.path.samefile(warning["file"], people) and warning["line"] == line
    assert warning["page"] == contributors_page
    assert all(p["page"] for p in answer["problems"] if p["severity"] == "finding")
    assert str(source.resolve()) in answer["watch"]
    assert any(w.endswith("layouts/policy-brief") for w in answer["watch"])
    # An error: no pages, its line mapped into the last good build (a piece's `by:`
    # line lands on that piece's page).
    issue = source / "issue.md"
    text = issue.read_text(encoding="utf-8")
    by_line = text.split("\n").index(BY_LINE) + 1
    issue.write_text(text.replace(BY_LINE, "by: nobody-known"), encoding="utf-8")
    failed = worker.handle(request)
    assert not failed["ok"] and "pages" not in failed
    error, = failed["problems"]
    assert error["line"] == by_line and "unknown contributor `nobody-known`" in error["message"]
    piece_page = [p["number"] for p in answer["pages"]  # the contents, then the piece
                  if OLD_HEADLINE in p["text"].replace("\n", " ")][-1]
    assert error["page"] == piece_page
    # The CLI's warning lines, read back.
    assert parse_warning("a/issue.md:12: bad — fix") == ("a/issue.md", 12, "bad — fix")
    assert parse_warning("layout/style.css: refused") == ("layout/style.css", None, "refused")
    assert parse_warning("something odd") == (None, None, "something odd")
