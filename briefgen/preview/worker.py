"""The preview's build worker: one warm process that builds on request.

The server starts it once (`python -m briefgen.preview.worker`) and sends it
one JSON request per line on stdin; it answers one JSON line on stdout. It
stays alive between builds, so WeasyPrint, python-docx, pypdfium2 and the
fonts' caches are loaded once. Being a process of its own, its layouts hold
neither the server's event loop (nor the GIL) while the browser asks for pages,
and it is single-threaded, as the pipeline expects where it forks a writer (the
server runs threads: uvicorn, watchfiles). A build is the library's own
`briefgen.pipeline.build.build` into the preview's temporary output folder,
through a rebuild cache private to the preview (switching back to a layout, or
undoing an edit, is a cache hit), then the pages rendered as images with their
text, and the problems with file:line and page. A pack's laid-out chapters stay
in this process (briefgen/render/chapters.py): a save lays out again only the
chapters it changed, and what their page count moves. A save builds the PDF only; the
DOCX is built when it is downloaded ("kind": "docx"), so that writing it does
not delay the pages (it cost about 0.2 s a save on 2 cores).

Request:  {"source", "layout", "page_size", "out", "pages", "kind": "pages" | "docx"}
Answer:   {"ok", "seconds", "pages": [...], "problems": [...], "outputs": {...},
           "layout": {"name", "page_sizes", "path", "page_size"}, "watch": [...]}
"""
from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

from ..errors import BriefgenError, ErrorList

#: `file:line: message` (the CLI's form of every warning), or `file: message`
_WHERE = re.compile(r"^(?P<file>[^\n]+?):(?P<line>\d+): (?P<message>.*)$", re.S)
_FILE = re.compile(r"^(?P<file>[^:\n]+?\.(?:md|ya?ml|toml|css|j2|html?|csv|docx?|pdf|png|"
                   r"jpe?g|gif|webp|ttf|otf|woff2?)): (?P<message>.*)$", re.S | re.I)


def problem(severity: str, message: str, file=None, line=None, page=None,
            check: str | None = None) -> dict:
    return {"severity": severity, "check": check, "message": message,
            "file": _shown(file) if file else None, "line": line, "page": page}


def _shown(file) -> str:
    """A file as the CLI shows it: relative to the current folder when inside it."""
    path = os.path.abspath(os.fspath(file))
    try:
        return os.path.relpath(path) if path.startswith(os.getcwd() + os.sep) else path
    except ValueError:
        return path


def parse_warning(text: str) -> tuple[str | None, int | None, str]:
    """(file, line, message) of a warning in the CLI's `file:line: message` form."""
    match = _WHERE.match(text)
    if match:
        return match["file"], int(match["line"]), match["message"]
    match = _FILE.match(text)
    if match:
        return match["file"], None, match["message"]
    return None, None, text


def error_problems(exc: BriefgenError, sources) -> list[dict]:
    """One problem per error of a failed build, each with the page (of the last
    good build) its line belongs to."""
    errors = exc.errors if isinstance(exc, ErrorList) else [exc]
    found = []
    for error in errors:
        message = error.message + (f" — {error.hint}" if error.hint else "")
        path = str(error.path) if error.path else None
        found.append(problem("error", message, path, error.line,
                             sources.page_of(path, error.line) if path else None))
    return found


class Worker:
    def __init__(self):
        from .pages import SourceMap

        #: where the last good build's source lines landed (errors point into it)
        self.sources = SourceMap()
        self.watch: list[str] = []

    def handle(self, request: dict) -> dict:
        started = time.perf_counter()
        source = Path(request["source"])
        try:
            if request.get("kind") == "docx":
                answer = self._docx(request, source)
            else:
                answer = self._build(request, source)
        except BriefgenError as exc:
            answer = {"ok": False, "problems": error_problems(exc, self.sources)}
        except OSError as exc:
            from ..errors import environment_problem

            text = environment_problem(exc) or f"{type(exc).__name__}: {exc}"
            answer = {"ok": False, "problems": [problem("error", text)]}
        except Exception as exc:  # a bug in briefgen: shown, and the preview goes on
            import traceback

            traceback.print_exc(file=sys.stderr)
            answer = {"ok": False, "problems": [problem(
                "error", f"internal error: {type(exc).__name__}: {exc} — this is a bug in "
                         "briefgen; the traceback is in the terminal")]}
        answer["seconds"] = round(time.perf_counter() - started, 3)
        answer.setdefault("watch", sorted(set(self.watch) | {str(source.resolve())}))
        return answer

    def _build(self, request: dict, source: Path) -> dict:
        from ..pipeline.build import build
        from ..render.common import source_folders
        from .pages import SourceMap, named_destinations, render_pages

        begun = time.perf_counter()
        result = build(source, layout=request.get("layout"), page_size=request.get("page_size"),
                       formats=("pdf",), output_dir=Path(request["out"]))
        built = time.perf_counter()
        document, layout = result.document, result.layout
        pdf = result.outputs[f"{document.slug}.pdf"]
        pages = render_pages(pdf, Path(request["pages"]))
        self.sources = SourceMap.of(document, named_destinations(pdf))
        problems = []
        # build() lists the loader's and writers' warnings, then the findings as text.
        plain = result.warnings[:len(result.warnings) - len(result.findings)]
        for text in plain:
            file, line, message = parse_warning(text)
            problems.append(problem("warning", message, file, line,
                                    self.sources.page_of(file, line)))
        for finding in result.findings:
            problems.append(problem("finding", finding.message, finding.file, finding.line,
                                    finding.page, check=finding.check))
        watch = {str(Path(p).resolve()) for p in source_folders(document)}
        watch |= {str(Path(p).resolve()) for p in layout.folders}
        watch.add(str(source.resolve()))
        self.watch = sorted(watch)
        return {"ok": True, "pages": [page.as_dict() for page in pages], "problems": problems,
                "outputs": {name: str(path) for name, path in result.outputs.items()},
                "layout": {"name": layout.name, "page_sizes": list(layout.page_sizes),
                           "path": str(layout.path),
                           "page_size": layout.page_size(request.get("page_size"))},
                "build_seconds": round(built - begun, 3),
                "watch": self.watch}


    def _docx(self, request: dict, source: Path) -> dict:
        """The DOCX, built when it is downloaded: the library's build of the DOCX alone
        (which lays the PDF out for the contents' page numbers, without writing it)."""
        from ..pipeline.build import build

        result = build(source, layout=request.get("layout"), page_size=request.get("page_size"),
                       formats=("docx",), output_dir=Path(request["out"]))
        return {"ok": True, "problems": [],
                "outputs": {name: str(path) for name, path in result.outputs.items()}}


def main() -> None:
    # The answers go to the real stdout; anything else printed (a library's chatter)
    # goes to stderr, so it cannot break the protocol.
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    worker = Worker()
    # Warm up: import what every build uses before the first request arrives.
    import pypdfium2  # noqa: F401
    import weasyprint  # noqa: F401

    from ..pipeline import build  # noqa: F401
    from ..render import get

    get("pdf"), get("docx")
    answers.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        answer = worker.handle(request)
        answer["id"] = request.get("id")
        answers.write(json.dumps(answer, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
