"""Run a preview: the temporary folder, the build worker, the watcher and
uvicorn, until Ctrl-C (or SIGTERM); then everything is stopped and removed."""
from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import sys
import tempfile
import webbrowser
from pathlib import Path

from .command import is_loopback
from .server import Preview, create_app


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::"):
        shown = "127.0.0.1"
    return f"http://{shown}:{port}/"


def allowed_hosts(sock: socket.socket, public: bool) -> set[str] | None:
    """The Host headers a request may carry: this port on a loopback name (None with
    --public: other machines name this one as they know it)."""
    if public:
        return None
    host, port = sock.getsockname()[:2]
    names = {"127.0.0.1", "localhost", "[::1]"}
    if is_loopback(host):
        names.add(f"[{host}]" if ":" in host else host)
    return {f"{name}:{port}" for name in names}


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def serve(source: Path, sock: socket.socket, *, layout: str | None = None,
          page_size: str | None = None, public: bool = False,
          open_browser: bool = False) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="briefgen-preview-"))
    previous = signal.getsignal(signal.SIGTERM)

    def terminate(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    try:
        asyncio.run(_main(source, sock, workdir, layout, page_size, public, open_browser))
    finally:
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(workdir, ignore_errors=True)


async def _main(source, sock, workdir, layout, page_size, public, open_browser) -> None:
    import uvicorn

    preview = Preview(source, workdir, layout=layout, page_size=page_size, log=log)
    app = create_app(preview, allowed_hosts=allowed_hosts(sock, public))

    class Server(uvicorn.Server):
        async def shutdown(self, sockets=None):
            # End the event streams first: uvicorn waits for open responses.
            await preview.close()
            await super().shutdown(sockets)

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            timeout_graceful_shutdown=1, ws="none")
    server = Server(config)
    url = url_of(sock)
    print(f"preview: {url} — {source} (Ctrl-C to stop)", flush=True)
    preview.request_build()
    tasks = [asyncio.create_task(preview.build_loop()),
             asyncio.create_task(preview.watch_loop())]
    if open_browser:
        asyncio.get_running_loop().call_later(0.3, webbrowser.open, url)
    try:
        await server.serve(sockets=[sock])
    finally:
        await preview.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
