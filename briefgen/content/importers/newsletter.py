"""Recognise the shape of an "experts react" newsletter in a list of text blocks.

Both the plain-text and the HTML importer reduce their source to blocks (one
paragraph each, with its line), then call `recognise`. The shape:

    Publisher line
    Series | Title
    lede paragraph(s)
    an introduction line ("Experts from … react to …")
    then per expert: [headline] / “quoted text…” (one or more paragraphs) /
                     Name, Role, Organisation
    closing call to action (heading, text, link)

Anything that does not fit is kept (as text of the nearest part) and reported
as a warning with its line, never dropped silently.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from ...errors import BriefgenError, ContentError
from ...model import (CallToAction, Contribution, Contributor, Issue, Paragraph, PullQuote,
                      Span, text_direction)
from ...slugs import slugify
from ..pullquotes import pick_pull_quote

OPENING_QUOTES = "“\"«„‘'"
CLOSING_QUOTES = "”\"»“’'"
_URL = re.compile(r"https?://[^\s<>\"”»)]+")
_INTRO_WORDS = re.compile(r"\b(react|reacts|respond|comment|weigh|views?|experts?|analysts?)\b",
                          re.IGNORECASE)
# Words that mark a segment of an attribution as an organisation rather than a role.
_ORG_WORDS = re.compile(
    r"\b(institute|institution|institut|istituto|centre|center|centro|university|université|"
    r"universit[àa]|college|school|foundation|fondation|fondazione|council|forum|agency|ministry|"
    r"bank|fund|commission|association|network|society|group|organi[sz]ation|observatory|"
    r"academy|trust|corporation|company|partners|initiative|lab|laboratory|think[- ]tank|"
    r"chatham|brookings|carnegie|rand)\b", re.IGNORECASE)
_ACRONYM = re.compile(r"^\(?[A-Z][A-Z0-9&.\-]{1,}\)?$")
# Units inside an organisation belong with the role: "Fellow, Foreign Policy Program, X".
_UNIT_WORDS = re.compile(r"\b(department|dept|program|programme|desk|unit|division|faculty|"
                         r"chair|team|section|office)\b", re.IGNORECASE)


@dataclass
class SourceBlock:
    text: str
    line: int
    #: what the source said the block is, when it says (HTML: "h1", "h2", "p", "li" …)
    tag: str = ""
    links: list[str] = field(default_factory=list)


@dataclass
class Recognised:
    issue: Issue
    warnings: list[BriefgenError]


def normalise(text: str) -> str:
    """One paragraph's text: NBSPs and runs of whitespace become single spaces."""
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u200b", "")
    return " ".join(text.split())


def split_attribution(line: str) -> tuple[str, str, str]:
    """"Name, Role, Organisation" → (name, role, organisation).

    The name ends at the first comma. Of the rest, the organisation starts at
    the first comma-separated segment that names one (Institute, Centre,
    University, an acronym such as CARPO…), so "Fellow, Foreign Policy Program,
    The Brookings Institution" keeps the programme in the role; without such a
    segment the last one is the organisation.
    """
    name, _, rest = line.partition(",")
    segments = [s.strip() for s in rest.split(",") if s.strip()]
    if not segments:
        return name.strip(), "", ""
    if len(segments) == 1:
        only = segments[0]
        looks_org = _ORG_WORDS.search(only) or all(_ACRONYM.match(w) for w in only.split())
        return (name.strip(), "", only) if looks_org else (name.strip(), only, "")
    start = next((i for i, s in enumerate(segments[1:], 1) if _is_org(s)), len(segments) - 1)
    return name.strip(), ", ".join(segments[:start]), ", ".join(segments[start:])


def _is_org(segment: str) -> bool:
    if _ORG_WORDS.search(segment):
        return True
    words = segment.replace(";", " ").split()
    return not _UNIT_WORDS.search(segment) and any(_ACRONYM.match(w) for w in words)


def _starts_quote(text: str) -> bool:
    return bool(text) and text[0] in OPENING_QUOTES


def _ends_quote(text: str) -> bool:
    return bool(text) and text.rstrip(".")[-1:] in CLOSING_QUOTES


def _looks_like_attribution(block: SourceBlock) -> bool:
    text = block.text
    if not text or len(text) > 300 or _starts_quote(text) or block.tag in ("h1", "h2", "h3"):
        return False
    # Sentences end with a full stop; attribution lines rarely do ("Inc." aside).
    return not text.endswith((".", "!", "?", ":")) or text.endswith((" Inc.", " Ltd.", " Co."))


def _looks_like_headline(block: SourceBlock) -> bool:
    if block.tag in ("h2", "h3", "h4"):
        return True
    text = block.text
    return bool(text) and len(text) <= 200 and not _starts_quote(text) and \
        not text.endswith((".", ":", ";", ","))


def script_language(text: str, default: str) -> str:
    """"ar" when most letters are Arabic script, else `default`."""
    letters = [ch for ch in text if ch.isalpha()]
    arabic = sum(1 for ch in letters if "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f")
    return "ar" if letters and arabic * 2 > len(letters) else default


def recognise(blocks: list[SourceBlock], source, *, lang: str | None = None,
              date: dt.date | None = None, slug: str = "imported") -> Recognised:
    warnings: list[BriefgenError] = []

    def warn(message, line, hint=None):
        warnings.append(ContentError(message, path=source, line=line, hint=hint))

    blocks = [b for b in blocks if b.text]
    if not blocks:
        raise ContentError("no text found", path=source, hint="is this the right file?")
    all_text = " ".join(b.text for b in blocks)
    issue_lang = lang or script_language(all_text, "en")

    # Title: "Series | Title", else the first heading, else the first line.
    position = 0
    publisher = series = title = ""
    title_at = next((i for i, b in enumerate(blocks[:4]) if " | " in b.text and len(b.text) < 300),
                    None)
    if title_at is not None:
        series, _, title = (part.strip() for part in blocks[title_at].text.partition(" | "))
        before = blocks[:title_at]
        position = title_at + 1
    else:
        title_at = next((i for i, b in enumerate(blocks[:4]) if b.tag == "h1"), 0)
        title = blocks[title_at].text
        before = blocks[:title_at]
        position = title_at + 1
    if before:
        publisher = " ".join(b.text for b in before)
        if series and publisher.endswith(series) and publisher != series:
            publisher = publisher[: -len(series)].strip()
        elif publisher == series:
            publisher = ""

    # Contributions: a quote (one or more blocks) followed by an attribution line.
    found = []  # (start index incl. headline, headline, quote blocks, attribution block)
    i = position
    while i < len(blocks):
        if _starts_quote(blocks[i].text):
            # A quote runs over a few paragraphs at most: looking further would make
            # a file full of unclosed quotes cost quadratic time.
            end, limit = i, min(len(blocks), i + 40)
            while end < limit and not _ends_quote(blocks[end].text):
                end += 1
            if end < limit and end < len(blocks) - 1 and _looks_like_attribution(blocks[end + 1]):
                start, headline = i, ""
                previous_end = found[-1][4] if found else position - 1
                if i - 1 > previous_end and _looks_like_headline(blocks[i - 1]):
                    start, headline = i - 1, blocks[i - 1].text
                found.append((start, headline, blocks[i:end + 1], blocks[end + 1], end + 1))
                i = end + 2
                continue
        i += 1
    if not found:
        warn("no expert contributions recognised (a quoted paragraph followed by a "
             "“Name, Role, Organisation” line)", blocks[0].line,
             "the whole text was kept as the lede")

    first_start = found[0][0] if found else len(blocks)
    lede_blocks = blocks[position:first_start]
    intro = ""
    # The line introducing the experts: the lede's last paragraph, when it is
    # short and says so ("… react to …", "Our analysts comment …").
    if found and lede_blocks and len(lede_blocks[-1].text) <= 400 \
            and _INTRO_WORDS.search(lede_blocks[-1].text):
        intro = lede_blocks[-1].text
        lede_blocks = lede_blocks[:-1]

    people: dict[str, Contributor] = {}
    ids_by_name: dict[str, str] = {}
    contributions = []
    for index, (start, headline, quote_blocks, attribution, end) in enumerate(found):
        name, role, organisation = split_attribution(attribution.text)
        if name not in ids_by_name:
            base = slugify(name, fallback="contributor")
            cid, n = base, 2
            while cid in people:
                cid, n = f"{base}-{n}", n + 1
            ids_by_name[name] = cid
            people[cid] = Contributor(cid, name, role, organisation)
            if not role and not organisation:
                warn(f"attribution of {name} has no role or organisation", attribution.line)
        person = people[ids_by_name[name]]
        body = [Paragraph((Span(b.text),)) for b in quote_blocks]
        # Blocks between this attribution and the next contribution: kept, reported.
        next_start = found[index + 1][0] if index + 1 < len(found) else None
        if next_start is not None:
            for stray in blocks[end + 1:next_start]:
                warn(f"text between two contributions was not recognised: “{stray.text[:40]}…”",
                     stray.line, "kept as a paragraph of the contribution before it")
                body.append(Paragraph((Span(stray.text),)))
        text = " ".join(b.text for b in quote_blocks) + " " + headline
        c_lang = script_language(text, issue_lang)
        body_blocks = tuple(body)
        auto = pick_pull_quote(body_blocks)
        contributions.append(Contribution(
            headline=headline, contributors=(person,), body=body_blocks,
            pull_quote=PullQuote(auto, "auto") if auto else None,
            lang=c_lang if c_lang != issue_lang else None))

    # The closing call to action: what follows the last attribution.
    cta = None
    tail = blocks[found[-1][4] + 1:] if found else []
    if tail:
        url = next((m.group(0) for b in tail for m in [_URL.search(b.text)] if m), None) or \
            next((link for b in tail for link in b.links if link.startswith("http")), None)
        texts = [b.text for b in tail if b.text != url]
        heading = texts[0] if len(texts) > 1 else ""
        body_text = " ".join(texts[1:] if len(texts) > 1 else texts)
        cta = CallToAction(heading=heading, text=body_text or heading, url=url)
        if len(texts) > 2:
            warn("several closing paragraphs were joined into the call to action",
                 tail[0].line)

    if date is None:
        date = dt.date.today()
        warn("the source has no date: today's date was used", blocks[0].line,
             "set `date:` in issue.md, or pass --date")
    issue = Issue(
        title=title or "Untitled", date=date, slug=slug, lang=issue_lang, publisher=publisher,
        series=series, lede=tuple(Paragraph((Span(b.text),)) for b in lede_blocks),
        experts_intro=intro, contributions=tuple(contributions),
        contributors=tuple(people.values()), call_to_action=cta)
    if text_direction(issue_lang) == "rtl" and not lang:
        warn("most of the text is in Arabic script: the issue's language was set to `ar`",
             blocks[0].line, "pass --lang to choose another")
    return Recognised(issue, warnings)
