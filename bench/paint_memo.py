"""`write_pdf` with the paint memo (briefgen/render/paint_memo.py) off and on.

For the sample issue grown to 100 contributions (scale.py's `make_issue`) and for
the sample pack, lays the document out once (a build, in this process, the
build cache off), then times briefgen's write of it (`Renderer.write`: tagged,
PDF/UA-1) with the memo off and on, in turn, `--runs` times each, and prints the
medians and their ratio. With the memo on, every page was recorded by an earlier
write: this is the write of a document all of whose pages were written before;
and again with the memo emptied before each write (what recording costs).

Then the warm rebuild the memo is for, simulated: the 100-contribution issue
laid out a second time with one word changed; the pages of the first layout
with the one page of the second that differs (as an incremental layout would
hand them over), written with the memo off, and on with that page new to the
memo (its recording forgotten before each write). Also checks that on and off
give the same bytes each time.

    .venv/bin/python bench/paint_memo.py [--runs 7] [--count 100]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import make_issue  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def laid_out(folder: Path, out: Path):
    """(renderer, laid-out document, identifier) of a PDF build of `folder`."""
    from briefgen.pipeline.build import build
    from briefgen.render import pdf

    seen = []
    write = pdf.Renderer.write

    def keep(self, rendered, target, identifier):
        seen.append((self, rendered, identifier))
        return write(self, rendered, target, identifier)

    pdf.Renderer.write = keep
    try:
        build(folder, formats=("pdf",), output_dir=out)
    finally:
        pdf.Renderer.write = write
    return seen[-1]


def timed(renderer, document, identifier, memo: bool, before=None) -> tuple[float, bytes]:
    from briefgen.render import paint_memo

    paint_memo.ENABLED = memo
    if before is not None:
        before()
    start = time.perf_counter()
    data = renderer.write(document, None, identifier)
    return time.perf_counter() - start, data


def compare(label: str, renderer, document, identifier, runs: int, before=None) -> None:
    from briefgen.render import paint_memo

    times = {False: [], True: []}
    reference = None
    for _ in range(runs):
        for memo in (False, True):
            seconds, data = timed(renderer, document, identifier, memo, before)
            times[memo].append(seconds)
            reference = reference or data
            assert data == reference, "the memo changed the bytes"
    paint_memo.ENABLED = True
    off, on = statistics.median(times[False]), statistics.median(times[True])
    print(f"{label}: {len(document.pages)} pages, write_pdf memo off {off:.3f} s, "
          f"on {on:.3f} s, ratio {on / off:.2f} (medians of {runs})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--count", type=int, default=100)
    args = parser.parse_args()
    os.environ["BRIEFGEN_CACHE"] = "off"
    from briefgen.render import paint_memo

    if not paint_memo.ENABLED:
        sys.exit("the paint memo is off (BRIEFGEN_PAINT_MEMO=off, or another WeasyPrint)")
    work = Path(tempfile.mkdtemp(prefix="briefgen-paint-memo-"))
    try:
        issue = make_issue(work / "issue", args.count)
        renderer, document, identifier = laid_out(issue, work / "out-a")
        compare(f"issue of {args.count} contributions, the same pages",
                renderer, document, identifier, args.runs)
        compare(f"issue of {args.count}, a first write (nothing recorded: the cost of recording)",
                renderer, document, identifier, args.runs, paint_memo.forget)

        # One word changed: a second layout, its one differing page among the first's.
        text = (issue / "issue.md").read_text(encoding="utf-8")
        at = text.index(" Ethiopia ", text.index("\n## "))  # in the first contribution
        (issue / "issue.md").write_text(text[:at] + " Abyssinia " + text[at + 10:],
                                        encoding="utf-8")
        renderer_b, changed, _ = laid_out(issue, work / "out-b")
        paint_memo.forget()  # only the first layout's pages are known
        renderer.write(document, None, identifier)
        differing = [i for i, (a, b) in enumerate(zip(document.pages, changed.pages))
                     if renderer.write(document.copy([a]), None, identifier)
                     != renderer.write(changed.copy([b]), None, identifier)]
        assert len(document.pages) == len(changed.pages) and differing, differing
        pages = list(document.pages)
        for i in differing:
            pages[i] = changed.pages[i]
        mixed = document.copy(pages)
        new_boxes = [changed.pages[i]._page_box for i in differing]

        def forget_new():
            for box in new_boxes:
                paint_memo._memo.pop(box, None)

        compare(f"issue of {args.count}, one word changed ({len(differing)} page(s) new)",
                renderer, mixed, identifier, args.runs, forget_new)

        from briefgen.render import chapters

        chapters.clear()
        shutil.copytree(ROOT / "content", work / "content",
                        ignore=shutil.ignore_patterns("output"))
        renderer, document, identifier = laid_out(work / "content" / "board-pack",
                                                  work / "out-pack")
        compare("sample pack, the same pages", renderer, document, identifier, args.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
