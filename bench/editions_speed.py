"""Per-recipient editions of the sample pack against naive full builds.

Prints the time of the editions for 1, 200 and 1,000 recipients (one CLI run
each, PDF only, one worker per core), their peak memory, the per-edition
marginal cost, and the naive cost extrapolated from 10 full builds (one CLI
process each). Targets: 200 editions in at most 1/10 of the naive time
(stretch 1/30); peak memory about the same for 200 and 1,000 rows. Also
prints how long a 200-row run takes to stop after Ctrl-C (target: under 2 s),
and whether two runs give byte-identical editions.

Then, with the rebuild cache on (a fresh cache folder), 150 editions of a copy
of the pack: the first run, a rerun with nothing changed (every edition left
alone), a rerun after one row of the list changed (one edition written) and
after one contributor's bio changed (every edition written, the shared layout
once per variant: 2 here, board and the others), with the number of files
each run wrote. `--rerun-only` prints these figures alone.

    .venv/bin/python bench/editions_speed.py [--skip-1000] [--rerun-only]
"""
from __future__ import annotations

import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "content" / "board-pack"
ENV = dict(os.environ, BRIEFGEN_CACHE="off")


def run(argv: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(argv)}")
    # ru_maxrss of a waited child covers its own waited-for children (the workers)
    return time.perf_counter() - start, usage.ru_maxrss // 1024


def recipients(path: Path, count: int) -> Path:
    rows = ["name;organisation;groups"]
    rows += [f"Delegate {i:04d};Organisation {i % 37};{'board' if i % 5 == 0 else ''}"
             for i in range(count)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def stop_time(argv: list[str], out: Path) -> tuple[float, int]:
    """Ctrl-C (SIGINT to the process group, as a terminal does) once the first
    edition is there: seconds until the run has exited, and files written."""
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=ENV, start_new_session=True)
    while not list(out.glob("*.pdf")):
        if process.poll() is not None:
            sys.exit(f"finished before any edition appeared: {' '.join(argv)}")
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGINT)
    start = time.perf_counter()
    process.wait()
    return time.perf_counter() - start, len(list(out.glob("*.pdf")))


def reruns(work: Path) -> None:
    """Seconds of 150 editions written, rerun unchanged, one row and one bio changed."""
    content = work / "content"
    for name in ("board-pack", "nile-dispute", "energy-forum"):
        shutil.copytree(ROOT / "content" / name, content / name)
    pack = content / "board-pack"
    env = dict(os.environ, BRIEFGEN_CACHE="on", BRIEFGEN_CACHE_DIR=str(work / "cache"))
    csv_path = recipients(work / "r150.csv", 150)
    out = work / "editions-150"
    argv = [sys.executable, "-m", "briefgen", "build", str(pack), "--format", "pdf",
            "--recipients", str(csv_path), "-o", str(out)]

    def timed() -> tuple[float, str]:
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            sys.exit(f"failed: {' '.join(argv)}\n{done.stderr}")
        return time.perf_counter() - start, done.stdout.strip().splitlines()[-1]

    first = timed()
    unchanged = timed()
    text = csv_path.read_text(encoding="utf-8")
    csv_path.write_text(text.replace("Delegate 0007;Organisation 7;",
                                          "Delegate 0007;Organisation 7 (new address);"),
                        encoding="utf-8")
    one_row = timed()
    people = content / "nile-dispute" / "contributors.yaml"
    people.write_text(people.read_text(encoding="utf-8").replace("bio: ", "bio: Newly "
                                                                 "appointed. ", 1),
                      encoding="utf-8")
    one_bio = timed()
    print("150 editions, PDF only, rebuild cache on:")
    for label, (seconds, summary) in (("first run", first), ("rerun, nothing changed", unchanged),
                                      ("one row changed", one_row),
                                      ("one bio changed", one_bio)):
        print(f"  {label:<24} {seconds:6.2f} s   ({summary})")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="briefgen-editions-"))
    if "--rerun-only" in sys.argv:
        reruns(work)
        shutil.rmtree(work)
        return
    cli = [sys.executable, "-m", "briefgen", "build", str(PACK), "--format", "pdf"]
    naive = [run(cli + ["-o", str(work / f"naive-{i}")])[0] for i in range(10)]
    naive_one = statistics.mean(naive)
    figures = {}
    counts = [1, 200] + ([] if "--skip-1000" in sys.argv else [1000])
    for count in counts:
        csv_path = recipients(work / f"r{count}.csv", count)
        out = work / f"editions-{count}"
        figures[count] = run(cli + ["--recipients", str(csv_path), "-o", str(out)])
        assert len(list(out.glob("*.pdf"))) == count
        shutil.rmtree(out)
    csv_path = work / "r200.csv"
    stopped, files = stop_time(cli + ["--recipients", str(csv_path), "-o", str(work / "stop")],
                               work / "stop")
    small = recipients(work / "r5.csv", 5)
    for name in ("same-1", "same-2"):
        run(cli + ["--recipients", str(small), "-o", str(work / name),
                   "--source-date-epoch", "1700000000"])
    identical = all((work / "same-1" / p.name).read_bytes() == p.read_bytes()
                    for p in (work / "same-2").glob("*.pdf"))
    t200, rss200 = figures[200]
    marginal = (t200 - figures[1][0]) / 199
    print(f"sample pack (12 pages, 1 annex), PDF only, {os.cpu_count()} cores")
    print(f"naive full build, one CLI process: {naive_one:.2f} s mean of 10 "
          f"-> 200 recipients ~ {200 * naive_one:.0f} s")
    for count, (seconds, rss) in figures.items():
        print(f"editions for {count:>4} recipients: {seconds:7.2f} s   peak RSS {rss} MB")
    print(f"per-edition marginal cost: {marginal * 1000:.0f} ms")
    print(f"200 editions vs naive: 1/{200 * naive_one / t200:.1f} (target 1/10, stretch 1/30)")
    print(f"Ctrl-C after the first edition: stopped in {stopped:.2f} s with {files} complete "
          "files (target under 2 s)")
    print(f"two runs of 5 editions byte-identical: {'yes' if identical else 'NO'}")
    reruns(work)
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
