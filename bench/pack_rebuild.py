"""Cold and warm rebuilds of the sample pack (PDF + DOCX, fresh process each).

Prints: a cold build (empty cache), a rebuild with nothing changed, and a
rebuild after one word changed in one issue. Works on a copy of content/ and
a private cache folder, so your own cache is untouched.

    .venv/bin/python bench/pack_rebuild.py
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build(pack: Path, out: Path, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "briefgen", "build", str(pack), "-o", str(out)],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="briefgen-rebuild-"))
    content = work / "content"
    shutil.copytree(ROOT / "content", content)
    env = dict(os.environ, BRIEFGEN_CACHE="on", BRIEFGEN_CACHE_DIR=str(work / "cache"))
    pack = content / "board-pack"
    cold = build(pack, work / "out", env)
    same = build(pack, work / "out", env)
    issue = content / "energy-forum" / "issue.md"
    issue.write_text(issue.read_text(encoding="utf-8").replace("Grids first", "Grids come first"),
                     encoding="utf-8")
    changed = build(pack, work / "out", env)
    env_off = dict(env, BRIEFGEN_CACHE="off")
    uncached = build(pack, work / "out", env_off)
    print("sample pack: 2 issues, agenda, 1 annex; PDF + DOCX; fresh process each")
    print(f"cold build (empty cache):        {cold:.2f} s")
    print(f"rebuild, nothing changed:        {same:.2f} s")
    print(f"rebuild, one word changed:       {changed:.2f} s")
    print(f"same change with the cache off:  {uncached:.2f} s")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
