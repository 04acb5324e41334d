"""Speed and memory of `briefgen build` against a bare WeasyPrint render.

Prints, for the sample issue (PDF + DOCX, fresh process each run, as a user
runs it): the median wall time of the CLI build; the median wall time of a
fresh process that only imports WeasyPrint and writes the same HTML and CSS
to PDF; their ratio (target ≤ 1.25); and the CLI's peak RSS (target < 150 MB).

    .venv/bin/python bench/build_speed.py [ISSUE_DIR] [--runs N]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BARE = """
import sys
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
html, page_css, css, base, target = sys.argv[1:6]
fonts = FontConfiguration()
sheets = [CSS(string=open(page_css).read(), font_config=fonts),
          CSS(filename=css, font_config=fonts)]
HTML(filename=html, base_url=base).write_pdf(target, stylesheets=sheets, font_config=fonts,
                                             pdf_tags=True)
"""


def run(argv: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (kB) of one child process."""
    start = time.perf_counter()
    # The rebuild cache would turn later runs into file copies: measure real builds.
    env = dict(os.environ, BRIEFGEN_CACHE="off")
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{process.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("issue", nargs="?", default=str(ROOT / "content" / "nile-dispute"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from briefgen.content.issue_folder import load_issue
    from briefgen.layouts import find_layout
    from briefgen.render import RenderOptions
    from briefgen.render.pdf import build_html, page_css

    issue = load_issue(args.issue).issue
    layout = find_layout(None)
    work = Path(tempfile.mkdtemp(prefix="briefgen-bench-"))
    html = work / "issue.html"
    html.write_text(build_html(issue, layout, RenderOptions()), encoding="utf-8")
    (work / "page.css").write_text(page_css(layout, RenderOptions()), encoding="utf-8")
    bare_argv = [sys.executable, "-c", BARE, str(html), str(work / "page.css"),
                 str(layout.stylesheets[0]), str(issue.source_dir) + "/", str(work / "bare.pdf")]
    cli_argv = [sys.executable, "-m", "briefgen", "build", args.issue, "-o", str(work / "out")]

    run(cli_argv)  # warm the file-system cache and .pyc files for both
    run(bare_argv)
    cli, bare, rss = [], [], []
    for _ in range(args.runs):
        seconds, peak = run(cli_argv)
        cli.append(seconds)
        rss.append(peak)
        bare.append(run(bare_argv)[0])
    cli_s, bare_s = statistics.median(cli), statistics.median(bare)
    print(f"issue: {args.issue} ({len(issue.contributions)} contributions), {args.runs} runs each")
    print(f"briefgen build (PDF + DOCX, fresh process): {cli_s:.3f} s median")
    print(f"bare WeasyPrint (import + write_pdf, fresh process): {bare_s:.3f} s median")
    print(f"ratio: {cli_s / bare_s:.2f} (target <= 1.25)")
    print(f"briefgen build peak RSS: {max(rss) / 1024:.0f} MB (target < 150 MB)")


if __name__ == "__main__":
    main()
