"""How briefgen was installed, for hints that name the right install command."""
from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path


def install_command(extra: str) -> str:
    """The command that adds the optional dependencies `extra` (e.g. "dask") to this
    installation: an editable checkout, a pipx or uv tool, a virtual environment,
    or the user's site-packages."""
    python = shlex.quote(_shown(Path(sys.executable)))
    checkout = _editable_checkout()
    if checkout is not None:
        return f"{python} -m pip install -e {shlex.quote(f'{_shown(checkout)}[{extra}]')}"
    prefix = Path(sys.prefix).as_posix()
    if "/pipx/venvs/" in prefix:
        return f"pipx install --force 'briefgen[{extra}]'"
    if "/uv/tools/" in prefix:
        return f"uv tool install --force 'briefgen[{extra}]'"
    if sys.prefix != sys.base_prefix:  # a virtual environment
        return f"{python} -m pip install 'briefgen[{extra}]'"
    return f"{python} -m pip install --user 'briefgen[{extra}]'"


def _editable_checkout() -> Path | None:
    """The source folder of an editable install (`pip install -e .`, as setup.sh does)."""
    from importlib import metadata

    from urllib.parse import unquote, urlparse

    # Every installed copy's record (a checkout's own briefgen.egg-info has none).
    for dist in metadata.distributions(name="briefgen"):
        try:
            info = json.loads(dist.read_text("direct_url.json") or "{}")
        except ValueError:
            continue
        url = info.get("url", "")
        if info.get("dir_info", {}).get("editable") and url.startswith("file://"):
            return Path(unquote(urlparse(url).path))
    return None


def _shown(path: Path) -> str:
    try:
        relative = path.relative_to(Path.cwd())
    except ValueError:
        return str(path)
    return str(relative) if relative.parts else "."
