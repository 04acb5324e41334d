"""The DOCX style names now live in briefgen/render/docx/names.py (kept importable here)."""
from .render.docx.names import *  # noqa: F401,F403
