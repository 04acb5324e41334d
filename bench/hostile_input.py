"""Cost of hostile or oversized input: bounded time and memory, or a documented refusal.

Builds, each in a fresh process (PDF + DOCX), and prints wall time and peak RSS:
  - an issue with 200 contributors and 200 contributions;
  - an issue whose lede is one 100 kB paragraph;
  - an issue whose YAML uses an alias bomb (refused by design: exit 2);
  - an issue with 1,001 contributions (over the documented limit: exit 2).

    .venv/bin/python bench/hostile_input.py
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_issue(folder: Path, people: int, lede: str = "A lede.", front_extra: str = "") -> None:
    folder.mkdir(parents=True)
    contributors = "".join(
        f"p-{i}:\n  name: Person Number{i}\n  role: Role {i}\n  organisation: Institute {i}\n"
        f"  bio: Works on topic {i} and writes about it often.\n" for i in range(people))
    (folder / "contributors.yaml").write_text(contributors, encoding="utf-8")
    body = "".join(f"\n## Headline {i}\n\nby: p-{i}\n\nPerson {i} argues that this sentence "
                   "is long enough to be chosen as the automatic pull quote of the piece. "
                   "And another one follows.\n" for i in range(people))
    (folder / "issue.md").write_text(
        f"---\ntitle: Stress\ndate: 2026-01-01\n{front_extra}---\n\n{lede}\n{body}",
        encoding="utf-8")


def run(folder: Path, out: Path) -> tuple[float, int, int]:
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "briefgen", "build", str(folder), "-o",
                                str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=dict(os.environ, BRIEFGEN_CACHE="off"))
    _, status, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss // 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="briefgen-hostile-"))
    cases = {
        "200 contributors": lambda f: write_issue(f, 200),
        "100 kB paragraph": lambda f: write_issue(f, 3, lede="word " * 20_000),
        "YAML alias bomb": lambda f: write_issue(
            f, 1, front_extra="a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a]\n"
                              "keywords: [*b, *b, *b, *b, *b, *b, *b, *b]\n"),
        "1,001 contributions": lambda f: write_issue(f, 1001),
    }
    print(f"{'case':22} {'exit':>4} {'seconds':>8} {'peak RSS':>9}")
    for name, make in cases.items():
        folder = work / name.replace(" ", "-").replace(",", "")
        make(folder)
        seconds, rss_mb, code = run(folder, work / "out")
        print(f"{name:22} {code:>4} {seconds:>8.2f} {rss_mb:>6} MB")


if __name__ == "__main__":
    main()
