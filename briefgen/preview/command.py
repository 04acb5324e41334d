"""`briefgen preview ISSUE|PACK`: the live preview's command.

Register it in briefgen/cli.py with `main.add_command(preview)`. On its own it
also reports a user's mistake as `error: …` with exit code 2, as the CLI does.
"""
from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import click

from ..errors import BriefgenError, UsageError


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and `localhost`: reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(host: str, public: bool) -> str | None:
    """None for a loopback host; the warning to print for another host with
    --public; a UsageError without it."""
    if is_loopback(host):
        return None
    if not public:
        raise UsageError(f"refusing to serve the preview on {host}: anyone who can reach this "
                         "machine could read the document",
                         hint="leave out --host (127.0.0.1), or add --public if that is what "
                              "you want")
    return (f"serving the preview on {host} (--public): anyone who can reach this machine "
            "on that address can read the document and its pages")


def check_source(source: Path) -> None:
    from ..content.issue_folder import ISSUE_FILE
    from ..content.pack_folder import PACK_FILE

    if not source.is_dir():
        raise UsageError("no such folder" if not source.exists() else "not a folder",
                         path=source, hint="give an issue folder (issue.md) or a pack folder "
                                           "(pack.yaml)")
    if not ((source / ISSUE_FILE).is_file() or (source / PACK_FILE).is_file()):
        raise UsageError(f"no {ISSUE_FILE} or {PACK_FILE} in this folder", path=source,
                         hint="`briefgen new DIR` makes an issue folder")


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one)."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                         hint="choose another --port, or leave it out for a free one") from None
    sock.listen(64)
    sock.setblocking(False)
    return sock


@click.command("preview")
@click.argument("source", type=click.Path(path_type=Path), metavar="ISSUE_DIR|PACK_DIR")
@click.option("--layout", "-l", metavar="NAME|PATH",
              help="Shipped layout name or a layout folder (a path has a /; default: "
                   "policy-brief, the pack's layout, or briefgen.toml's).")
@click.option("--page-size", metavar="SIZE", help="Page size, among the layout's sizes.")
@click.option("--port", type=click.IntRange(0, 65535), default=0, metavar="PORT",
              help="Port to listen on (default: a free one, printed).")
@click.option("--host", default="127.0.0.1", show_default=True, metavar="ADDRESS",
              help="Address to listen on; anything but loopback needs --public.")
@click.option("--public", is_flag=True,
              help="Allow --host to be an address other machines can reach.")
@click.option("--open", "open_browser", is_flag=True, help="Open the preview in a browser.")
@click.pass_context
def preview(ctx, source, layout, page_size, port, host, public, open_browser):
    """Serve a live preview of an issue or a pack in the browser: its pages as they
    will print, rebuilt on every save of any input, with the problems listed.
    Defaults come from briefgen.toml (see `briefgen config`); the options given win."""
    try:
        warning = check_host(host, public)
        check_source(source)
        # Defaults from briefgen.toml (see `briefgen config`); the options given win.
        from ..project import settings

        chosen = settings(source, "preview", {"layout": layout, "page_size": page_size})
        layout, page_size = chosen.value("layout"), chosen.value("page_size")
        if warning:
            click.echo(f"warning: {warning}", err=True)
        sock = bind(host, port)
    except BriefgenError as exc:
        click.echo(f"error: {exc}", err=True)
        ctx.exit(2)
    from .run import serve

    try:
        serve(source, sock, layout=layout, page_size=page_size, public=public,
              open_browser=open_browser)
    except KeyboardInterrupt:
        pass
    click.echo("preview: stopped", err=True)
