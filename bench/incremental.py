"""Warm rebuilds after a one-word change, against cold builds, in one warm process
(the preview's path: the library's build, PDF only, rebuild cache off).

For the sample pack (content/board-pack) and an issue of 100 contributions
(bench/scale.py's), ROUNDS times: one word changed (and changed back the next
round), a warm build, then a cold build of the same content (everything kept in
the process forgotten first: the laid-out chapters and issues,
briefgen.render.chapters.clear; the pages' drawings and deflated streams,
paint_memo.forget; the parsed YAML).
Prints the medians and their ratio, and whether each warm build's PDF has the
bytes of the cold build of the same content. With --baseline PATH, also runs the
same in a process on the briefgen code of another checkout (PATH: a git worktree
of an older commit, say), for the cold build's cost before a change.

    PYTHONPATH=. .venv/bin/python bench/incremental.py [--rounds N] [--baseline PATH]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

#: the issue's word changed, in the middle of the issue (its 50th contribution's)
WORDS = ("removed", "taken")


def make_pack(work: Path) -> tuple[Path, Path, tuple[str, str] | None]:
    """The sample pack; one word of the text of its second chapter's first piece."""
    content = work / "content"
    shutil.copytree(ROOT / "content", content)
    return (content / "board-pack", content / "energy-forum" / "issue.md",
            ("not five years later", "not six years later"))


def make_pack_headline(work: Path) -> tuple[Path, Path, tuple[str, str] | None]:
    """The sample pack; one word added to a piece's headline (bench/pack_rebuild.py's
    change), which the contents, the agenda and the bookmarks show too."""
    source, changed, _ = make_pack(work)
    return source, changed, ("Grids first", "Grids come first")


def make_issue(work: Path) -> tuple[Path, Path, tuple[str, str] | None]:
    from scale import make_issue as scaled

    folder = scaled(work / "issue-100", 100)
    return folder, folder / "issue.md", None


def edit(path: Path, round_: int, phrases: tuple[str, str] | None) -> None:
    """One word changed, and changed back the next round: the phrase given, else the
    first WORDS after the middle of the file."""
    text = path.read_text(encoding="utf-8")
    if phrases is not None:
        old, new = phrases[::-1] if round_ % 2 else phrases
        if old not in text:
            raise SystemExit(f"{old!r} not in {path}")
        text = text.replace(old, new, 1)
    else:
        a, b = WORDS[::-1] if round_ % 2 else WORDS
        found = text.find(a, len(text) // 2)
        if found < 0:
            raise SystemExit(f"{a!r} not found after the middle of {path}")
        text = text[:found] + b + text[found + len(a):]
    path.write_text(text, encoding="utf-8")


def cold_start(chapters) -> None:
    """Forget what the process keeps for a next build (what this checkout has)."""
    chapters.clear()
    try:
        from briefgen.render import paint_memo
        paint_memo.forget()
    except ImportError:
        pass
    try:
        from briefgen.content import yamlsrc
        yamlsrc._PARSED.clear()
    except (ImportError, AttributeError):
        pass


SAMPLES = (("sample pack, a word of text", make_pack),
           ("sample pack, a word of a headline", make_pack_headline),
           ("issue of 100 contributions", make_issue))


def run(rounds: int) -> dict:
    os.environ["BRIEFGEN_CACHE"] = "off"
    from briefgen.pipeline.build import build
    try:
        from briefgen.render import chapters
    except ImportError:  # before the split: nothing kept
        chapters = None
    results = {}
    for name, make in SAMPLES:
        work = Path(tempfile.mkdtemp(prefix="briefgen-incr-"))
        source, changed, phrases = make(work)

        def once(out: str) -> tuple[float, bytes]:
            start = time.perf_counter()
            result = build(source, formats=("pdf",), output_dir=work / out)
            seconds = time.perf_counter() - start
            return seconds, result.outputs[f"{result.document.slug}.pdf"].read_bytes()

        cold, warm, same = [], [], []
        once("warmup")  # imports, fonts, and the parts kept
        for round_ in range(rounds):
            edit(changed, round_, phrases)
            seconds, warm_bytes = once("warm")
            warm.append(seconds)
            if chapters:  # forget what is kept: a cold build of the same content
                cold_start(chapters)
            seconds, cold_bytes = once("cold")
            cold.append(seconds)
            same.append(warm_bytes == cold_bytes)
        shutil.rmtree(work)
        results[name] = {"cold": statistics.median(cold), "warm": statistics.median(warm),
                         "ratio": statistics.median(w / c for w, c in zip(warm, cold)),
                         "identical": same}
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", metavar="PATH", default=None,
                        help="another checkout whose code to measure the same way")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.json:
        print(json.dumps(run(args.rounds)))
        return
    here = run(args.rounds)
    base = None
    if args.baseline:
        env = dict(os.environ, PYTHONPATH=args.baseline)
        out = subprocess.run([sys.executable, __file__, "--json", "--rounds", str(args.rounds)],
                             env=env, capture_output=True, text=True, check=True, cwd="/")
        base = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"medians of {args.rounds} rounds, one process, PDF only; ratio: the median of "
          "each round's warm / cold")
    for name, r in here.items():
        line = (f"{name}: cold {r['cold']:.2f} s, warm after one word {r['warm']:.2f} s, "
                f"ratio {r['ratio']:.2f}; warm = cold bytes: "
                f"{sum(r['identical'])}/{len(r['identical'])}")
        if base:
            b = base[name]
            line += (f"\n   before ({args.baseline}): cold {b['cold']:.2f} s, warm {b['warm']:.2f} s, "
                     f"ratio {b['ratio']:.2f}; cold now / before "
                     f"{r['cold'] / b['cold']:.2f}")
        print(line, flush=True)


if __name__ == "__main__":
    main()
