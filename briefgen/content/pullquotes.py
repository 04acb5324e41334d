"""The automatic pull quote: a documented, deterministic choice of one sentence.

Rule (README, "Pull quotes"): split the contribution's paragraphs into
sentences; the candidates are sentences of 8 to 30 words; prefer candidates
that are not the contribution's first sentence (a pull quote repeating the
opening line beside it reads as a stutter); among them take the one whose
length is closest to 20 words, the earliest on a tie. No candidate, no quote.
"""
from __future__ import annotations

import re

from ..model import Block, Paragraph

MIN_WORDS, MAX_WORDS, IDEAL_WORDS = 8, 30, 20

# A sentence ends at . ! ? … (or Arabic ؟ ۔), possibly followed by closing quotes/brackets,
# then whitespace. Abbreviations like "U.S." rarely matter at these lengths.
_SENTENCE_END = re.compile(r"(?<=[.!?…؟۔])[\"'”’»)\]]*\s+")


def sentences(blocks: tuple[Block, ...]) -> list[str]:
    found = []
    for block in blocks:
        if isinstance(block, Paragraph):
            text = " ".join(block.text.split())
            found.extend(s.strip() for s in _SENTENCE_END.split(text) if s.strip())
    return found


def pick_pull_quote(blocks: tuple[Block, ...]) -> str:
    all_sentences = sentences(blocks)
    candidates = [(i, s) for i, s in enumerate(all_sentences)
                  if MIN_WORDS <= len(s.split()) <= MAX_WORDS]
    later = [c for c in candidates if c[0] > 0]
    pool = later or candidates
    if not pool:
        return ""
    _, best = min(pool, key=lambda c: (abs(len(c[1].split()) - IDEAL_WORDS), c[0]))
    return best.strip("\"'“”«»")
