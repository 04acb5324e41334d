"""The preflight's findings for every sample × layout × page size, and the pack in every layout.

For each combination it lays the document out (as `briefgen check` does) and
prints one row: the page count, the number of findings by check, then every
finding (`page N: file:line: message`). Nothing is asserted: the table shows
how far the shipped layouts are from zero findings.

    .venv/bin/python bench/preflight_table.py [--only SAMPLE] [--layout NAME] [--brief]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ("nile-dispute", "arabic-brief", "energy-forum", "board-pack")


def combinations(only: str | None = None, layout_name: str | None = None):
    from briefgen.layouts import list_layouts

    for sample in SAMPLES:
        if only and sample != only:
            continue
        for layout in list_layouts():
            if layout_name and layout.name != layout_name:
                continue
            for size in layout.page_sizes:
                yield sample, layout.name, size


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="one sample (a folder of content/)")
    parser.add_argument("--layout", help="one layout")
    parser.add_argument("--brief", action="store_true", help="the table only, no findings")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    from briefgen.errors import BriefgenError
    from briefgen.preflight import CHECKS, check_path

    rows, details = [], []
    total = 0
    for sample, layout, size in combinations(args.only, args.layout):
        started = time.perf_counter()
        try:
            findings, pages = check_path(Path("content") / sample, layout=layout, page_size=size)
        except BriefgenError as exc:
            rows.append((sample, layout, size, "-", "-", f"error: {exc}", ""))
            continue
        took = time.perf_counter() - started
        counts = Counter(f.check for f in findings)
        total += len(findings)
        summary = ", ".join(f"{check} {counts[check]}" for check in CHECKS if counts[check])
        rows.append((sample, layout, size, str(pages), str(len(findings)),
                     summary or "clean", f"{took:.1f}s"))
        details.append((f"{sample} × {layout} × {size}", findings))
    header = ("sample", "layout", "size", "pages", "findings", "by check", "time")
    widths = [max(len(str(r[i])) for r in rows + [header] if not str(r[5]).startswith("error"))
              for i in range(len(header) - 1)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)) + "  time")
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)) + "  " +
              (row[6] if len(row) > 6 else ""))
    print(f"\n{total} findings in {len(rows)} combinations "
          f"({sum(1 for r in rows if r[5] == 'clean')} clean)")
    if not args.brief:
        for title, findings in details:
            if findings:
                print(f"\n{title}:")
                for finding in findings:
                    print(f"  [{finding.check}] {finding}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
