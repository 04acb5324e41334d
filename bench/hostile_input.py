"""Cost of hostile or oversized input: bounded time and memory, or a documented refusal.

Builds, each in a fresh process (PDF + DOCX), and prints wall time and peak RSS:
  - an issue with 200 contributors and 200 contributions;
  - an issue whose lede is one 100 kB paragraph;
  - an issue whose YAML uses an alias bomb (refused by design: exit 2);
  - an issue with 1,001 contributions (over the documented limit: exit 2).

Then (issue 11):
  - the Markdown curve: 1k, 10k and 30k paragraphs in one contribution. The parse
    alone (in this process, limit lifted) shows that the work grows linearly;
    `validate` and a full build each in a fresh process. 30k paragraphs are over
    the documented limit of 10,000 blocks per text (markdown.MAX_BLOCKS): both
    stop early with exit 2. The "10k" issue holds 9,997 paragraphs, so that with
    the lede, headline and `by:` line it has exactly 10,000 blocks.
  - a 10,000-file folder: the time to key it for the cache (every file hashed);
  - the cache's verify cost: copying a cached PDF out while checking its sha256,
    against rendering it.

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


def run(folder: Path, out: Path, command: str = "build") -> tuple[float, int, int]:
    start = time.perf_counter()
    argv = [sys.executable, "-m", "briefgen", command, str(folder)]
    if command == "build":
        argv += ["-o", str(out)]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=dict(os.environ, BRIEFGEN_CACHE="off"))
    _, status, usage = os.wait4(process.pid, 0)
    return time.perf_counter() - start, usage.ru_maxrss // 1024, os.waitstatus_to_exitcode(status)


def write_long_issue(folder: Path, paragraphs: int) -> None:
    folder.mkdir(parents=True)
    (folder / "contributors.yaml").write_text("ann:\n  name: Ann Author\n  role: Analyst\n",
                                              encoding="utf-8")
    body = "".join(f"Paragraph {n} weighs the river, the dam and the talks at some length, "
                   "enough to fill a line or two of the printed page.\n\n"
                   for n in range(paragraphs))
    (folder / "issue.md").write_text(
        f"---\ntitle: Long\ndate: 2026-01-01\n---\n\nA lede.\n\n## One\n\nby: ann\n\n{body}",
        encoding="utf-8")


def markdown_curve(work: Path) -> None:
    import tracemalloc

    from briefgen.content import markdown

    print(f"\n{'paragraphs':>10} {'MB':>5} {'parse s':>8} {'parse peak':>10} "
          f"{'validate':>13} {'build (PDF+DOCX)':>22}")
    for label, count in (("1k", 1_000), ("10k", 9_997), ("30k", 30_000)):
        folder = work / f"long-{label}"
        write_long_issue(folder, count)
        text = (folder / "issue.md").read_text(encoding="utf-8")
        limit, markdown.MAX_BLOCKS = markdown.MAX_BLOCKS, 10**9
        try:
            tracemalloc.start()
            start = time.perf_counter()
            markdown.parse_top_blocks(text)
            parse = time.perf_counter() - start
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        finally:
            markdown.MAX_BLOCKS = limit
        v_seconds, v_rss, v_code = run(folder, work / "out", "validate")
        b_seconds, b_rss, b_code = run(folder, work / "out")
        print(f"{label:>10} {len(text) / 1e6:>5.1f} {parse:>8.2f} {peak / 1e6:>7.0f} MB "
              f"{v_seconds:>5.2f} s {v_rss:>4} MB {b_seconds:>6.2f} s {b_rss:>5} MB "
              f"exit {b_code}")


def folder_and_cache(work: Path) -> None:
    from briefgen import cache

    folder = work / "many-files"
    folder.mkdir()
    for n in range(10_000):
        (folder / f"file-{n:05}.txt").write_bytes(os.urandom(1024))
    start = time.perf_counter()
    cache.folder_digest(folder)
    print(f"\n10,000-file folder (1 kB each): keyed for the cache in "
          f"{time.perf_counter() - start:.2f} s")

    sample = Path(__file__).resolve().parent.parent / "content" / "nile-dispute"
    os.environ.update(BRIEFGEN_CACHE="on", BRIEFGEN_CACHE_DIR=str(work / "cache"))
    cache._safe.cache_clear()
    from briefgen.pipeline.build import build

    start = time.perf_counter()
    build(sample, formats=("pdf",), output_dir=work / "cached-a")
    rendered = time.perf_counter() - start
    (entry,) = (work / "cache").rglob("*.pdf")
    key = entry.stem
    start = time.perf_counter()
    info = cache.fetch("outputs", key, ".pdf", work / "copy.pdf")
    verify = time.perf_counter() - start
    assert info is not None
    start = time.perf_counter()
    build(sample, formats=("pdf",), output_dir=work / "cached-b")
    rebuilt = time.perf_counter() - start
    print(f"cache verify cost, sample PDF ({entry.stat().st_size / 1e6:.1f} MB): render "
          f"{rendered:.2f} s; fetch with sha256 check {verify * 1000:.1f} ms; whole cached "
          f"rebuild (load, key, verify, copy) {rebuilt:.2f} s")


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
    markdown_curve(work)
    folder_and_cache(work)


if __name__ == "__main__":
    main()
