"""How fast `briefgen preview` shows a one-word change.

Copies content/nile-dispute to a temporary folder, starts `briefgen preview` on
it (a free port, in its own process, as a user would), follows its event stream
as the browser does, then saves a one-word change in one contribution ROUNDS
times. For each save it prints:

- save → event: from the file's write until the server's `state` event for the
  new build arrives (watching, the build, the page images, the event);
- build: the time the server reports for that build (the library's build of the
  PDF and DOCX, the page images, the problems);
- save → page served: until the image of the changed page has been fetched,
  which is what a browser does next.

    .venv/bin/python bench/preview_speed.py [ROUNDS] [--pack]

--pack: the sample pack (content/board-pack) instead, the same word changed in
its first chapter.
"""
from __future__ import annotations

import http.client
import json
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "content" / "nile-dispute"
#: the word changed, in the third contribution (Omar el-Tayeb's): "Sudan's civil war
#: has removed Khartoum from the negotiating table"
WORD = "removed"


def start(source: Path) -> tuple[subprocess.Popen, str, int]:
    process = subprocess.Popen(
        [sys.executable, "-c", "from briefgen.preview.command import preview; "
                               "preview.main(prog_name='briefgen preview')", str(source)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    line = process.stdout.readline()
    url = line.split()[1]
    host, port = url.split("//")[1].rstrip("/").split(":")
    return process, host, int(port)


def follow(host: str, port: int, events: queue.Queue) -> None:
    """The event stream, each `state` event put on the queue with its arrival time."""
    connection = http.client.HTTPConnection(host, port)
    connection.request("GET", "/events")
    response = connection.getresponse()
    name, data = None, []
    for raw in response:
        line = raw.decode("utf-8").rstrip("\n")
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif not line and name:
            if name == "state":
                events.put((time.perf_counter(), json.loads("\n".join(data))))
            name, data = None, []


def fetch(host: str, port: int, path: str) -> bytes:
    connection = http.client.HTTPConnection(host, port)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    assert response.status == 200, (path, response.status)
    return body


def wait_build(events: queue.Queue, after: int) -> tuple[float, dict]:
    while True:
        arrived, state = events.get(timeout=60)
        if state["build"] > after and not state["building"]:
            return arrived, state


def main(rounds: int = 8, pack: bool = False) -> None:
    work = Path(tempfile.mkdtemp(prefix="briefgen-preview-bench-"))
    if pack:  # the sample pack, the word changed in its first chapter (nile-dispute)
        shutil.copytree(ROOT / "content", work / "content",
                        ignore=shutil.ignore_patterns("output"))
        source = work / "content" / "board-pack"
        issue = work / "content" / "nile-dispute" / "issue.md"
    else:
        source = work / "nile-dispute"
        shutil.copytree(SAMPLE, source)
        issue = source / "issue.md"
    text = issue.read_text(encoding="utf-8")
    assert text.count(WORD) == 1, f"{WORD!r} is not once in the sample any more: pick another"
    process, host, port = start(source)
    try:
        events: queue.Queue = queue.Queue()
        threading.Thread(target=follow, args=(host, port, events), daemon=True).start()
        _, state = wait_build(events, 0)
        assert state["ok"], state["problems"]
        print(f"sample: {state['page_count']} pages, first build {state['seconds']:.2f} s")
        to_event, builds, to_page = [], [], []
        for number in range(1, rounds + 1):
            word = f"{WORD}{'x' * number}"  # a new word each time: never a cache hit
            changed = text.replace(WORD, word, 1)
            time.sleep(0.3)
            saved = time.perf_counter()
            issue.write_text(changed, encoding="utf-8")
            arrived, state = wait_build(events, state["build"])
            assert state["ok"], state["problems"]
            page = next(p for p in state["pages"] if word in p["text"])
            fetch(host, port, page["src"])
            served = time.perf_counter()
            to_event.append(arrived - saved)
            builds.append(state["seconds"])
            to_page.append(served - saved)
            print(f"save {number}: page {page['number']} updated — save → event "
                  f"{arrived - saved:.3f} s (build {state['seconds']:.3f} s), "
                  f"save → page served {served - saved:.3f} s")
        print(f"median of {rounds}: save → event {statistics.median(to_event):.3f} s, "
              f"build {statistics.median(builds):.3f} s, "
              f"save → updated page served {statistics.median(to_page):.3f} s")
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "--pack"]
    main(int(arguments[0]) if arguments else 8, pack="--pack" in sys.argv[1:])
