"""Speed and memory of `briefgen build` against bare WeasyPrint on the same HTML.

The reference is the HTML the build lays out: `briefgen build --format html`
writes it (and its assets), and the bare command is what a layout's author
would run on it, in a fresh process:

    python -c "import weasyprint; weasyprint.HTML(filename=HTML).write_pdf(PDF)"

Prints, runs interleaved (build, bare, bare tagged, build, …; fresh processes,
the rebuild cache off): the median wall time of `briefgen build` (PDF + DOCX),
of the bare render, and of the bare render with the build's PDF options
(tagged, PDF/UA-1); the median of the ratios taken run by run (target: build /
bare ≤ 1.10); and each one's peak RSS (the largest single process).

--phases: one more build in a fresh process, timed inside (the DOCX written
after the PDF, not in a worker, so that the phases add up): import WeasyPrint
(of which find_library), renderer setup (CSS, @font-face, FontConfiguration),
WeasyPrint render (every makeup pass), write_pdf (with the tags finisher), the
DOCX writer, and briefgen's own (the rest: loading, templates, checks, saving).
Also what the stock ctypes find_library costs for the same library names.

    .venv/bin/python bench/build_speed.py [ISSUE_DIR] [--layout NAME] [--runs N] [--phases]
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
#: this checkout's briefgen, whatever is installed
ENV = dict(os.environ, BRIEFGEN_CACHE="off",
           PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))

BARE = "import sys, weasyprint; weasyprint.HTML(filename=sys.argv[1]).write_pdf(sys.argv[2])"
BARE_TAGGED = ("import sys, weasyprint; weasyprint.HTML(filename=sys.argv[1]).write_pdf("
               "sys.argv[2], pdf_tags=True, pdf_variant='pdf/ua-1')")

PHASES = r'''
import json, os, sys, time
start = time.perf_counter()
import briefgen.render.weasy as weasy           # imports WeasyPrint
imported = time.perf_counter() - start
from briefgen.pipeline.build import build
from briefgen.render import pdf
from briefgen.render.docx import DocxWriter

spent = {"setup": 0.0, "render": 0.0, "write_pdf": 0.0, "docx": 0.0, "html": 0.0}
calls = {"render": 0}

def timed(owner, name, key):
    real = getattr(owner, name)
    def wrapper(*args, **kwargs):
        began = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            spent[key] += time.perf_counter() - began
            calls[key] = calls.get(key, 0) + 1
    setattr(owner, name, wrapper)

timed(pdf.Renderer, "__init__", "setup")
timed(pdf.Renderer, "render", "render")
timed(pdf.Renderer, "write", "write_pdf")
timed(DocxWriter, "write", "docx")
timed(pdf, "build_html", "html")
del os.fork                                     # the DOCX after the PDF: phases add up
issue, layout, out = sys.argv[1:4]
build(issue, layout=layout or None, output_dir=out)
spent["total"] = time.perf_counter() - start
spent["import"] = imported
spent["find_library"] = weasy.lookups["seconds"]
spent["find_library_calls"] = weasy.lookups["calls"]
spent["renders"] = calls["render"]
print(json.dumps(spent))
'''

STOCK_LOOKUP = r'''
import ctypes.util, json, time
real, names = ctypes.util.find_library, []
ctypes.util.find_library = lambda name: names.append(name) or real(name)
import weasyprint
ctypes.util.find_library = real
began = time.perf_counter()
for name in names:
    real(name)
print(json.dumps({"calls": len(names), "seconds": time.perf_counter() - began}))
'''


def run(argv: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (MB) of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV,
                               cwd=ROOT)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{process.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss // 1024


def reference_html(issue: str, layout: str | None, work: Path) -> Path:
    """`briefgen build --format html`: the HTML the build lays out, with its assets."""
    argv = [sys.executable, "-m", "briefgen", "build", issue, "--format", "html",
            "-o", str(work / "ref")] + (["--layout", layout] if layout else [])
    subprocess.run(argv, check=True, env=ENV, cwd=ROOT, stdout=subprocess.DEVNULL)
    return next((work / "ref").glob("*.html"))


def compare(commands: dict[str, list[str]], runs: int) -> dict[str, dict]:
    """Each command `runs` times, interleaved after one warm-up each: wall times, peaks."""
    for argv in commands.values():
        run(argv)  # file-system cache, .pyc files
    figures = {name: {"wall": [], "rss": []} for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            seconds, peak = run(argv)
            figures[name]["wall"].append(seconds)
            figures[name]["rss"].append(peak)
    return figures


def ratio(figures, a: str, b: str) -> float:
    return statistics.median(x / y for x, y in zip(figures[a]["wall"], figures[b]["wall"]))


def phases(issue: str, layout: str | None, work: Path) -> None:
    out = subprocess.run([sys.executable, "-c", PHASES, issue, layout or "", str(work / "ph")],
                         check=True, env=ENV, cwd=ROOT, capture_output=True, text=True)
    spent = __import__("json").loads(out.stdout.strip().splitlines()[-1])
    stock = __import__("json").loads(subprocess.run(
        [sys.executable, "-c", STOCK_LOOKUP], check=True, env=ENV, capture_output=True,
        text=True).stdout)
    own = spent["total"] - sum(spent[k] for k in ("import", "setup", "render", "write_pdf",
                                                    "docx"))
    rows = [("import weasyprint", spent["import"]),
            (f"  of which find_library ({spent['find_library_calls']} names)",
             spent["find_library"]),
            ("renderer setup (CSS, @font-face, FontConfiguration)", spent["setup"]),
            (f"WeasyPrint render ({spent['renders']} layout passes)", spent["render"]),
            ("write_pdf (with the tags finisher)", spent["write_pdf"]),
            ("DOCX writer", spent["docx"]),
            ("briefgen's own (load, templates, checks, save)", own),
            (f"  of which templates (build_html)", spent["html"]),
            ("total (in process, DOCX not forked)", spent["total"])]
    print("\nphase                                                  ms    share")
    for label, seconds in rows:
        print(f"{label:<52} {seconds * 1000:7.0f}  {seconds / spent['total']:6.1%}")
    print(f"stock ctypes find_library for the same {stock['calls']} names: "
          f"{stock['seconds'] * 1000:.0f} ms (a bare `import weasyprint` pays it)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("issue", nargs="?", default=str(ROOT / "content" / "nile-dispute"))
    parser.add_argument("--layout")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--phases", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="briefgen-bench-"))
    html = reference_html(args.issue, args.layout, work)
    build = [sys.executable, "-m", "briefgen", "build", args.issue, "-o", str(work / "out")]
    build += ["--layout", args.layout] if args.layout else []
    commands = {"build": build,
                "bare": [sys.executable, "-c", BARE, str(html), str(work / "bare.pdf")],
                "bare tagged": [sys.executable, "-c", BARE_TAGGED, str(html),
                                str(work / "tagged.pdf")]}
    figures = compare(commands, args.runs)
    print(f"issue: {args.issue}, layout {args.layout or 'default'}; {args.runs} runs each, "
          "interleaved, fresh processes; reference: briefgen build --format html")
    for name, label in (("build", "briefgen build (PDF + DOCX)"),
                        ("bare", "bare WeasyPrint HTML(filename).write_pdf()"),
                        ("bare tagged", "bare, pdf_tags + pdf/ua-1 as the build")):
        wall, rss = figures[name]["wall"], figures[name]["rss"]
        print(f"{label:<44} {statistics.median(wall):6.3f} s median "
              f"(min {min(wall):.3f}, max {max(wall):.3f}), peak RSS {max(rss)} MB")
    print(f"ratio build / bare: {ratio(figures, 'build', 'bare'):.2f} (target <= 1.10)")
    print(f"ratio build / bare tagged: {ratio(figures, 'build', 'bare tagged'):.2f}")
    print(f"peak RSS build / bare: {max(figures['build']['rss']) / max(figures['bare']['rss']):.2f}")
    if args.phases:
        phases(args.issue, args.layout, work)


if __name__ == "__main__":
    main()
