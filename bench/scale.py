"""How briefgen scales with an issue's size, against bare WeasyPrint on the same HTML.

For 1, 5, 25, 100 and 400 contributions (the sample issue's five pieces and
contributors repeated, each contributor a new person), prints the wall time
and peak RSS (largest single process) of `briefgen build` (PDF + DOCX, fresh
process, rebuild cache off) and of a bare
`weasyprint.HTML(filename=…).write_pdf()` of the HTML that build lays out
(`briefgen build --format html`), and of that bare render with the build's PDF
options (tagged, PDF/UA-1), run in turn; their ratios, which stay steady when
briefgen adds nothing that grows faster than WeasyPrint's own work; and the
build's time per contribution. Target: peak RSS for 400 contributions ≤ 1.05 × bare.

    .venv/bin/python bench/scale.py [--sizes 1,5,25,100,400] [--runs N]
"""
from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_speed import BARE, BARE_TAGGED, ROOT, reference_html, run  # noqa: E402

SAMPLE = ROOT / "content" / "nile-dispute"


def make_issue(folder: Path, count: int) -> Path:
    """The sample issue with `count` contributions, by `count` contributors."""
    text = (SAMPLE / "issue.md").read_text(encoding="utf-8")
    head, _, rest = text.partition("\n## ")
    pieces = ["## " + piece for piece in rest.split("\n## ")]
    people = yaml.safe_load((SAMPLE / "contributors.yaml").read_text(encoding="utf-8"))
    shutil.copytree(SAMPLE / "images", folder / "images")
    body, persons = [], {}
    for number in range(count):
        piece = pieces[number % len(pieces)]
        old = re.search(r"^by: (\S+)", piece, re.M).group(1)
        new = f"{old}-{number}"
        headline, _, after = piece.partition("\n")
        body.append(f"{headline} ({number + 1})\n" + after.replace(f"by: {old}", f"by: {new}"))
        person = dict(people[old])
        person["name"] = f"{person['name']} {number + 1}"
        persons[new] = person
    (folder / "issue.md").write_text(head.rstrip("\n") + "\n\n" + "\n".join(body),
                                     encoding="utf-8")
    (folder / "contributors.yaml").write_text(yaml.safe_dump(persons, allow_unicode=True),
                                              encoding="utf-8")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,5,25,100,400")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="briefgen-scale-"))
    print("contributions  build s  bare s  ratio  tagged s  ratio  build/contrib ms  "
          "build MB  bare MB  RSS ratio  tagged MB")
    for count in (int(n) for n in args.sizes.split(",")):
        issue = make_issue(work / f"issue-{count}", count)
        html = reference_html(str(issue), None, work / f"ref-{count}")
        build = [sys.executable, "-m", "briefgen", "build", str(issue), "-o",
                 str(work / f"out-{count}")]
        bare = [sys.executable, "-c", BARE, str(html), str(work / f"bare-{count}.pdf")]
        tagged = [sys.executable, "-c", BARE_TAGGED, str(html), str(work / f"tagged-{count}.pdf")]
        walls = {"build": [], "bare": [], "tagged": []}
        rss = {"build": [], "bare": [], "tagged": []}
        for _ in range(args.runs):  # in turn: build, bare, tagged, build …
            for name, argv in (("build", build), ("bare", bare), ("tagged", tagged)):
                seconds, peak = run(argv)
                walls[name].append(seconds)
                rss[name].append(peak)
        b, w = statistics.median(walls["build"]), statistics.median(walls["bare"])
        t = statistics.median(walls["tagged"])
        ratio = statistics.median(x / y for x, y in zip(walls["build"], walls["bare"]))
        tagged_ratio = statistics.median(x / y for x, y in zip(walls["build"], walls["tagged"]))
        print(f"{count:13d}  {b:7.2f}  {w:6.2f}  {ratio:5.2f}  {t:8.2f}  {tagged_ratio:5.2f}  "
              f"{b / count * 1000:16.0f}  {max(rss['build']):8d}  {max(rss['bare']):7d}  "
              f"{max(rss['build']) / max(rss['bare']):9.2f}  {max(rss['tagged']):9d}",
              flush=True)


if __name__ == "__main__":
    main()
