"""Plain-text newsletters → blocks (paragraphs separated by blank lines)."""
from __future__ import annotations

from pathlib import Path

from ..yamlsrc import read_text
from .newsletter import SourceBlock, normalise

MAX_TEXT_BYTES = 5_000_000


def text_blocks(path: Path) -> list[SourceBlock]:
    """Paragraphs with their first line number; hard-wrapped lines are joined."""
    lines = read_text(path, MAX_TEXT_BYTES).split("\n")  # UTF-8 (BOM ok), CRLF → LF
    blocks: list[SourceBlock] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(lines + [""], 1):
        if normalise(line):
            if not current:
                start = number
            current.append(line)
        elif current:
            blocks.append(SourceBlock(normalise(" ".join(current)), start))
            current = []
    return blocks
