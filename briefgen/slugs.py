"""Stable, file-system-safe identifiers from human text (any script)."""
from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[^\w]+|_+")


def slugify(text: str, fallback: str = "item", max_length: int = 80) -> str:
    """"Élodie Ouédraogo" → "elodie-ouedraogo"; Arabic letters are kept as they are.

    Latin diacritics are folded to ASCII; other scripts keep their letters, so
    two Arabic names never collapse to the same empty slug. The result never
    contains a path separator or starts with a dot, so it is safe as a file name.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    # Combining marks of the Latin-diacritics block go (é → e); Arabic harakat
    # and other scripts' marks stay part of the word.
    kept = "".join(ch for ch in decomposed if not 0x0300 <= ord(ch) <= 0x036F)
    kept = unicodedata.normalize("NFC", kept).lower()
    slug = _SEPARATORS.sub("-", kept).strip("-")[:max_length].strip("-")
    return slug or fallback

