"""The preview's web server: Starlette on uvicorn, bound to loopback.

What it serves, and nothing else (every other path is 404, whatever its
encoding: there is no static-files mount and no path is ever joined to a
folder from a request):

    GET  /                      the page (static/index.html)
    GET  /static/NAME           the page's script, stylesheet and icon, from a fixed list
    GET  /state                 the current state as JSON
    GET  /events                server-sent events: `state` after each build, `building`
    GET  /pages/KEY.png         a page image of the current or the previous build
    GET  /download/NAME         the current build's PDF or DOCX (exact names only)
    POST /choose                {"layout", "page_size"}: rebuild with another choice

Requests must name the preview's own address in their Host header (so that a
web page cannot reach it through DNS rebinding), and /choose takes JSON only
from the preview's own origin.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
import time
from importlib import resources
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.responses import StreamingResponse
from starlette.routing import Route

from ..content.pack_folder import is_pack
from ..layouts import DEFAULT_LAYOUT

#: the page's own files: name → media type (nothing else under /static/)
STATIC = {"index.html": "text/html; charset=utf-8",
          "preview.js": "text/javascript; charset=utf-8",
          "preview.css": "text/css; charset=utf-8",
          "icon.svg": "image/svg+xml"}
_KEY = re.compile(r"^[0-9a-f]{32}$")
#: seconds between keep-alive comments on an idle event stream
KEEPALIVE = 15.0
#: the preview's private rebuild cache is emptied when it grows past this (every save
#: with a new text stores a new PDF; the cache itself never evicts)
CACHE_LIMIT = 200_000_000
SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
     b"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


def _static(name: str) -> bytes:
    return resources.files(__package__).joinpath("static", name).read_bytes()


def not_found() -> Response:
    return PlainTextResponse("not found", status_code=404)


class BuildWorker:
    """The warm build process (worker.py), one request at a time."""

    def __init__(self, env: dict):
        self.env = env
        self.process: asyncio.subprocess.Process | None = None
        self.counter = 0
        self.lock = asyncio.Lock()  # one request at a time: builds and DOCX downloads

    async def _start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "briefgen.preview.worker",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=self.env,
            start_new_session=True,  # Ctrl-C stops the server, which stops the worker
            limit=64 * 1024 * 1024)
        ready = await self.process.stdout.readline()
        if not ready:
            raise RuntimeError("the preview's build worker did not start (see above)")

    async def build(self, request: dict) -> dict:
        async with self.lock:
            return await self._request(request)

    async def _request(self, request: dict) -> dict:
        if self.process is None or self.process.returncode is not None:
            await self._start()
        self.counter += 1
        request = {**request, "id": self.counter}
        try:
            self.process.stdin.write((json.dumps(request) + "\n").encode())
            await self.process.stdin.drain()
            line = await self.process.stdout.readline()
        except (BrokenPipeError, ConnectionResetError):
            line = b""
        if not line:  # the worker died (a crash in a native library): start a new one
            await self.stop()
            return {"ok": False, "seconds": 0, "problems": [{
                "severity": "error", "check": None, "file": None, "line": None, "page": None,
                "message": "internal error: the build process stopped — this is a bug in "
                           "briefgen or a library; save again to retry"}]}
        return json.loads(line)

    async def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.returncode is not None:
            return
        try:
            process.stdin.close()
            await asyncio.wait_for(process.wait(), 2)
        except (asyncio.TimeoutError, OSError):
            process.kill()
            await process.wait()


class Preview:
    """The state of one preview: the choice of layout and size, the last build,
    the last good pages, and the browsers listening for updates."""

    def __init__(self, source: Path, workdir: Path, *, layout: str | None = None,
                 page_size: str | None = None, env: dict | None = None, log=None):
        from ..layouts import list_layouts

        self.source, self.workdir = Path(source), Path(workdir)
        self.out, self.pages_dir = self.workdir / "out", self.workdir / "pages"
        self.layout, self.page_size = layout, page_size
        self.log = log or (lambda text: None)
        env = dict(os.environ if env is None else env)
        env["BRIEFGEN_CACHE_DIR"] = str(self.workdir / "cache")  # the user's cache stays clean
        self.worker = BuildWorker(env)
        shipped = list_layouts()
        self.layouts = {layout.name: {"name": layout.name, "page_sizes": list(layout.page_sizes),
                                      "description": layout.description}
                        for layout in shipped}
        self.shipped_paths = {layout.name: str(layout.path.resolve()) for layout in shipped}
        #: the picker's name for the layout of the last good build
        self.layout_label: str | None = None
        #: layouts that are not shipped ones (a path given, a pack's own): name → spec
        self.custom: dict[str, str | None] = {}
        self.custom_info: dict[str, dict] = {}
        self.builds = 0
        self.building = False
        self.last: dict | None = None          # the last answer of the worker
        self.good: dict | None = None          # the last answer with pages
        self.good_at: float | None = None
        self.pages: dict[str, Path] = {}       # servable page images: key → file
        self.downloads: dict[str, Path] = {}   # servable outputs: name → file
        self.slug: str | None = None           # the last good build's output name
        self.docx_of: int | None = None        # the good build the DOCX was made from
        self.good_build: int | None = None
        self.docx_lock = asyncio.Lock()
        self.listeners: set[asyncio.Queue] = set()
        self.watch_paths: list[str] = [str(self.source.resolve())]
        self.rewatch = asyncio.Event()
        self.wanted = asyncio.Event()
        self.closing = False

    # ------------------------------------------------------------ state

    def state(self) -> dict:
        good, last = self.good or {}, self.last or {}
        layout = good.get("layout") or {}
        layouts = dict(self.layouts)
        for name, item in self.custom_info.items():
            layouts.setdefault(name, item)
        # The layout the picker shows: the one asked for, else the one built (a path's,
        # a pack's own), else the default.
        fallback = None if is_pack(self.source) else DEFAULT_LAYOUT
        shown = self.layout if self.layout in self.layouts else (self.layout_label or fallback)
        sizes = layouts.get(shown, {}).get("page_sizes", [])
        asked = next((s for s in sizes if self.page_size and s.lower() == self.page_size.lower()),
                     None)
        size = asked or (layout.get("page_size") if shown == self.layout_label else None) \
            or (sizes[0] if sizes else None)
        return {
            "source": str(self.source),
            "build": self.builds,
            "building": self.building,
            "ok": bool(last.get("ok")) if last else None,
            "problems": [{**item, "where": self._short(item.get("file"))}
                         for item in last.get("problems", [])],
            "seconds": last.get("seconds"),
            "pages": [{**page, "src": f"/pages/{page['key']}.png"}
                      for page in good.get("pages", [])],
            "page_count": len(good.get("pages", [])),
            "good_seconds": good.get("seconds"),
            "good_at": self.good_at,
            "layout": shown,
            "page_size": size,
            "layouts": sorted(layouts.values(), key=lambda item: item["name"]),
            "page_sizes": sizes,
            "downloads": [{"name": f"{self.slug}{suffix}",
                           "href": f"/download/{self.slug}{suffix}", "kind": suffix[1:].upper(),
                           # the DOCX is built on download, from a source without errors
                           "ready": suffix == ".pdf" or bool(last.get("ok"))}
                          for suffix in (".pdf", ".docx")] if self.slug else [],
        }

    def _short(self, file: str | None) -> str | None:
        """A problem's file as the panel shows it: from the source folder's parent."""
        if not file:
            return None
        path, base = os.path.abspath(file), str(self.source.resolve().parent)
        return os.path.relpath(path, base) if path.startswith(base + os.sep) else file

    def _send(self, event: str, data: dict) -> None:
        message = f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
        for queue in list(self.listeners):
            queue.put_nowait(message)

    # ------------------------------------------------------------ building

    def request_build(self) -> None:
        self.wanted.set()

    async def build_loop(self) -> None:
        """Build whenever asked; saves during a build make one more build after it."""
        while not self.closing:
            await self.wanted.wait()
            self.wanted.clear()
            await self.build_once()

    async def build_once(self) -> dict:
        self.building = True
        self._send("building", {"build": self.builds + 1})
        answer = await self.worker.build({
            "source": str(self.source), "layout": self.layout, "page_size": self.page_size,
            "out": str(self.out), "pages": str(self.pages_dir)})
        self.builds += 1
        self.building = False
        self.last = answer
        if answer.get("ok"):
            previous = self.good
            self.good, self.good_at = answer, time.time()
            keep = {page["key"] for page in answer["pages"]}
            if previous:  # a browser may still be fetching the previous build's images
                keep |= {page["key"] for page in previous.get("pages", [])}
            self.pages = {key: self.pages_dir / f"{key}.png" for key in keep}
            self._prune(keep)
            self.good_build = self.builds
            pdf = Path(next(p for p in answer["outputs"].values() if p.endswith(".pdf")))
            self.slug = pdf.stem
            self.downloads = {pdf.name: pdf}
            built = answer["layout"]
            label = built["name"]
            if self.shipped_paths.get(label) != str(Path(built["path"]).resolve()):
                if label in self.layouts:  # a local copy named as a shipped layout
                    label = f"{label} ({built['path']})"
                self.custom[label] = self.layout
                self.custom_info[label] = {"name": label, "page_sizes": built["page_sizes"],
                                           "description": f"from {built['path']}"}
            self.layout_label = label
        watch = answer.get("watch") or self.watch_paths
        if sorted(watch) != sorted(self.watch_paths):
            self.watch_paths = list(watch)
            self.rewatch.set()
        self._send("state", self.state())
        self.log(self._summary(answer))
        self._trim_cache()
        return answer

    def _trim_cache(self) -> None:
        folder = self.workdir / "cache"
        total = 0
        for root, _dirs, files in os.walk(folder):
            for name in files:
                try:
                    total += os.lstat(os.path.join(root, name)).st_size
                except OSError:
                    pass
        if total > CACHE_LIMIT:  # safe to delete at any time: it is only a cache
            shutil.rmtree(folder, ignore_errors=True)

    async def docx(self) -> Path | None:
        """The DOCX of the pages shown, built now unless it was already (None while the
        source has errors: it would not be the document on the screen)."""
        async with self.docx_lock:
            name = f"{self.slug}.docx"
            if self.good_build is None or not (self.last or {}).get("ok"):
                return None
            if self.docx_of == self.good_build and name in self.downloads:
                return self.downloads[name]
            built = self.good_build
            answer = await self.worker.build({
                "kind": "docx", "source": str(self.source), "layout": self.layout,
                "page_size": self.page_size, "out": str(self.out)})
            if not answer.get("ok") or name not in answer.get("outputs", {}):
                return None
            self.downloads[name] = Path(answer["outputs"][name])
            self.docx_of = built
            self.log(f"preview: DOCX built in {answer['seconds']:.2f} s")
            return self.downloads[name]

    def _prune(self, keep: set[str]) -> None:
        """Page images of older builds are deleted: the folder holds two builds' worth."""
        for path in self.pages_dir.glob("*.png"):
            if path.stem not in keep:
                path.unlink(missing_ok=True)

    @staticmethod
    def _summary(answer: dict) -> str:
        problems = answer.get("problems", [])
        errors = sum(1 for p in problems if p["severity"] == "error")
        if not answer.get("ok"):
            return (f"preview: build failed in {answer.get('seconds', 0):.2f} s, "
                    f"{errors} error{'s' * (errors != 1)}; the last good pages stay shown")
        pages = len(answer.get("pages", []))
        return (f"preview: built in {answer['seconds']:.2f} s: {pages} page{'s' * (pages != 1)}, "
                f"{len(problems)} problem{'s' * (len(problems) != 1)}")

    # ------------------------------------------------------------ watching

    async def watch_loop(self) -> None:
        """Rebuild on every change to an input: the source folder(s) and the layout's
        folders, as the last build reported them (a new layout: new folders)."""
        from watchfiles import awatch

        while not self.closing:
            self.rewatch.clear()
            paths = [p for p in self.watch_paths if Path(p).exists()]
            if not paths:
                await asyncio.sleep(0.5)
                continue
            async for changes in awatch(*paths, stop_event=self.rewatch, debounce=400,
                                        step=30, recursive=True):
                if self._relevant(changes):
                    self.request_build()

    def _relevant(self, changes) -> bool:
        """Changes to inputs, not to the preview's own files (when the source folder
        holds its temporary folder) or an editor's swap files."""
        workdir = str(self.workdir.resolve())
        for _change, path in changes:
            if not path.startswith(workdir):
                return True
        return False

    async def close(self) -> None:
        self.closing = True
        self.rewatch.set()
        for queue in list(self.listeners):
            queue.put_nowait(None)
        await self.worker.stop()


def create_app(preview: Preview, *, allowed_hosts: set[str] | None) -> Starlette:
    """The Starlette app of a preview. `allowed_hosts`: the Host headers accepted
    (None: any, for --public)."""

    async def index(request: Request) -> Response:
        return Response(_static("index.html"), media_type=STATIC["index.html"],
                        headers={"cache-control": "no-store"})

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return not_found()
        return Response(_static(name), media_type=STATIC[name],
                        headers={"cache-control": "no-cache"})

    async def state(request: Request) -> Response:
        return JSONResponse(preview.state(), headers={"cache-control": "no-store"})

    async def page(request: Request) -> Response:
        key = request.path_params["key"]
        path = preview.pages.get(key) if _KEY.match(key) else None
        if path is None or not path.is_file():
            return not_found()
        # Named by their pixels' hash: a name always means the same image.
        return FileResponse(path, media_type="image/png",
                            headers={"cache-control": "private, max-age=31536000, immutable"})

    async def download(request: Request) -> Response:
        name = request.path_params["name"]
        if preview.slug is None or name not in (f"{preview.slug}.pdf", f"{preview.slug}.docx"):
            return not_found()
        if name.endswith(".docx"):
            path = await preview.docx()
            if path is None:
                return PlainTextResponse("the source has errors: fix them, then download the "
                                         "DOCX", status_code=409)
        else:
            path = preview.downloads.get(name)
        if path is None or not path.is_file():
            return not_found()
        return FileResponse(path, filename=name, headers={"cache-control": "no-store"})

    async def events(request: Request) -> Response:
        queue: asyncio.Queue = asyncio.Queue()
        preview.listeners.add(queue)

        async def stream():
            try:
                yield "retry: 1000\n\n"
                yield (f"event: state\ndata: "
                       f"{json.dumps(preview.state(), ensure_ascii=False)}\n\n")
                while not preview.closing:
                    try:
                        message = await asyncio.wait_for(queue.get(), KEEPALIVE)
                    except asyncio.TimeoutError:
                        yield ": still here\n\n"
                        continue
                    if message is None:
                        break
                    yield message
            finally:
                preview.listeners.discard(queue)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"cache-control": "no-store",
                                          "x-accel-buffering": "no"})

    async def choose(request: Request) -> Response:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return PlainTextResponse("send JSON", status_code=415)
        origin = request.headers.get("origin")
        if origin is not None and allowed_hosts is not None and \
                origin.split("://", 1)[-1] not in allowed_hosts:
            return not_found()
        if int(request.headers.get("content-length") or 0) > 10_000:
            return PlainTextResponse("too large", status_code=413)
        try:
            body = json.loads(await request.body())
        except ValueError:
            return PlainTextResponse("bad JSON", status_code=400)
        if not isinstance(body, dict):
            return PlainTextResponse("bad JSON", status_code=400)
        current = preview.state()
        offered = {item["name"]: item for item in current["layouts"]}
        layout = body.get("layout", current["layout"])
        if layout not in offered:
            return PlainTextResponse("unknown layout", status_code=400)
        size = body.get("page_size")
        if size not in offered[layout]["page_sizes"]:
            size = None  # the layout's first size
        preview.layout = layout if layout in preview.layouts else preview.custom[layout]
        preview.page_size = size
        preview.request_build()
        return Response(status_code=204)

    async def missing(request: Request, exc) -> Response:
        return not_found()

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/static/{name}", static, methods=["GET"]),
        Route("/state", state, methods=["GET"]),
        Route("/events", events, methods=["GET"]),
        Route("/pages/{key}.png", page, methods=["GET"]),
        Route("/download/{name}", download, methods=["GET"]),
        Route("/choose", choose, methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: missing, 405: missing})
    return _Guard(app, allowed_hosts)


class _Guard:
    """ASGI middleware: the Host check (404 for another host) and the security
    headers on every response."""

    def __init__(self, app, allowed_hosts: set[str] | None):
        self.app, self.allowed_hosts = app, allowed_hosts

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.allowed_hosts is not None:
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1").lower()
            if host not in self.allowed_hosts:
                return await not_found()(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": list(message.get("headers", []))
                           + SECURITY_HEADERS}
            await send(message)

        await self.app(scope, receive, send_with_headers)
