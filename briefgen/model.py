"""The format-neutral document model: what a briefing *is*, not how it looks.

Loaders build it, writers read it. Rich text is a small tree of blocks whose
leaves are `Span`s (text plus emphasis flags), enough for Markdown's prose and
equally easy to turn into HTML or Word runs. Everything is immutable and
comparable, so two models (say, before and after a DOCX round trip) can be
checked field by field.
"""
from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Union

RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur", "ps", "ku", "yi", "dv", "sd", "ug"})
#: the links a document may carry (anything else, javascript: or file:, is shown as text)
LINK_SCHEMES = ("http://", "https://", "mailto:")


def is_allowed_link(url: str | None) -> bool:
    """True for an http(s) or mailto link, the only ones any writer makes clickable."""
    return bool(url) and url.strip().lower().startswith(LINK_SCHEMES)


def list_separator(*texts: str) -> str:
    """", " — or the Arabic comma "، " when the joined texts are in Arabic script."""
    return "، " if any("\u0600" <= ch <= "\u06ff" for text in texts for ch in text) else ", "


def first_strong_direction(text: str) -> Literal["ltr", "rtl"] | None:
    """The direction of the first strongly directional character (as HTML's dir=auto)."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind == "L":
            return "ltr"
        if kind in ("R", "AL"):
            return "rtl"
    return None


def text_direction(lang: str | None) -> Literal["ltr", "rtl"]:
    primary = (lang or "").split("-")[0].lower()
    return "rtl" if primary in RTL_LANGUAGES else "ltr"


@dataclass(frozen=True)
class Span:
    """A run of text with uniform formatting. A line break is the text "\\n"."""

    text: str
    strong: bool = False
    emphasis: bool = False
    code: bool = False
    link: str | None = None
    #: marked (==like this==) as the contribution's pull quote in the source
    marked: bool = False


@dataclass(frozen=True)
class Paragraph:
    spans: tuple[Span, ...]

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)


@dataclass(frozen=True)
class Heading:
    """A heading *inside* a text (lede, contribution, bio); level 3 or deeper."""

    level: int
    spans: tuple[Span, ...]

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.spans)


@dataclass(frozen=True)
class ListBlock:
    ordered: bool
    items: tuple[tuple["Block", ...], ...]


@dataclass(frozen=True)
class Quote:
    blocks: tuple["Block", ...]


Block = Union[Paragraph, Heading, ListBlock, Quote]


def plain_text(blocks: tuple[Block, ...]) -> str:
    """The blocks' text, one paragraph per line (for search, checks and quotes)."""
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, (Paragraph, Heading)):
            lines.append(block.text)
        elif isinstance(block, ListBlock):
            for item in block.items:
                lines.append(plain_text(item))
        elif isinstance(block, Quote):
            lines.append(plain_text(block.blocks))
    return "\n".join(lines)


@dataclass(frozen=True)
class Image:
    """A picture file. Two images are equal when their bytes and alt text are,
    wherever the files lie (an issue folder, a DOCX, an imported copy)."""

    path: Path = field(compare=False)
    alt: str
    digest: str = ""  # sha256 of the file's bytes


@dataclass(frozen=True)
class Contributor:
    id: str
    name: str
    role: str = ""
    organisation: str = ""
    bio: tuple[Block, ...] = ()
    photo: Image | None = None

    @property
    def attribution(self) -> str:
        """"Name, Role, Organisation", skipping what is missing."""
        parts = [part for part in (self.name, self.role, self.organisation) if part]
        return list_separator(*parts).join(parts)

    @property
    def affiliation(self) -> str:
        parts = [part for part in (self.role, self.organisation) if part]
        return list_separator(*parts).join(parts)

    @property
    def initials(self) -> str:
        """Up to two initials for the photo placeholder ("Élodie Ouédraogo" → "ÉO").

        Particles (al-, de, van…) are skipped so "Karim al-Najjar" gives "KN".
        """
        particles = {"al", "el", "de", "da", "di", "du", "van", "von", "der", "bin", "ibn", "la", "le"}
        words = []
        for word in self.name.replace("-", " ").split():
            if word.lower().strip(".") in particles:
                continue
            if word.startswith("ال") and len(word) > 3:
                word = word[2:]  # the Arabic article, as "al-" above
            letter = next((ch for ch in word if ch.isalpha()), "")
            if letter:
                words.append(letter)
        if not words:
            return "?"
        picked = words[0] + (words[-1] if len(words) > 1 else "")
        if any("\u0600" <= ch <= "\u06ff" for ch in picked):
            # Arabic letters side by side would join into a word ("لم" reads "did
            # not"): abbreviated as Arabic writes initials, each with a full stop.
            picked = " ".join(letter + "." for letter in picked)
        return unicodedata.normalize("NFC", picked.upper())


@dataclass(frozen=True)
class PullQuote:
    text: str
    #: where it came from: marked in the body, given in the meta lines, or picked by rule
    source: Literal["marked", "given", "auto"]


@dataclass(frozen=True)
class Contribution:
    headline: str
    contributors: tuple[Contributor, ...]
    body: tuple[Block, ...]
    pull_quote: PullQuote | None = None
    lang: str | None = None

    @property
    def dir(self) -> str:
        return text_direction(self.lang)

    @property
    def attribution(self) -> str:
        return "; ".join(c.attribution for c in self.contributors)

    @property
    def label(self) -> str:
        """What a contents entry or bookmark shows: the headline, else the names."""
        return self.headline or " & ".join(c.name for c in self.contributors)


@dataclass(frozen=True)
class CallToAction:
    heading: str
    text: str
    url: str | None = None


@dataclass(frozen=True)
class Colophon:
    """The small print on the back page (front matter `colophon:`): the publisher's
    address, the ISSN, the copyright line and a disclaimer. Each may be empty."""

    address: str = ""
    issn: str = ""
    copyright: str = ""
    disclaimer: str = ""


@dataclass(frozen=True)
class Comment:
    """An editor's comment on the issue (review.yaml), anchored to a paragraph by a
    reference that survives re-imports: the section ("lede", "issue" for the cover,
    "contribution:<first author's id>" with "-2", "-3" … for a second piece by the
    same author, or "bio:<contributor id>"), the paragraph's index in that section's
    text (None: its headline or name) and the paragraph's first characters."""

    id: str
    author: str
    date: str
    text: str
    section: str
    paragraph: int | None
    quote: str
    resolved: bool = False


@dataclass(frozen=True)
class Issue:
    title: str
    date: dt.date
    slug: str
    lang: str = "en"
    publisher: str = ""
    series: str = ""
    number: str = ""
    short_title: str = ""
    standfirst: str = ""
    lede: tuple[Block, ...] = ()
    experts_intro: str = ""
    contributions: tuple[Contribution, ...] = ()
    #: every contributor of the issue, in the order of first appearance
    contributors: tuple[Contributor, ...] = ()
    call_to_action: CallToAction | None = None
    #: the back page's small print (address, ISSN, copyright, disclaimer)
    colophon: Colophon | None = None
    keywords: tuple[str, ...] = ()
    #: a picture for the cover (layouts that show one print it full-bleed)
    cover_image: Image | None = None
    #: where the cover picture's subject is, across and down, in percent: a crop of
    #: the picture keeps that point in view (`cover_focus: 50% 70%`)
    cover_focus: tuple[float, float] = (50.0, 50.0)
    #: the editor's comments (review.yaml): put back into the DOCX as Word comments,
    #: into the PDF only on request. Not part of the content's equality.
    comments: tuple[Comment, ...] = field(default=(), compare=False)
    #: the folder the issue was read from: images and other files are resolved inside it
    source_dir: Path | None = field(default=None, compare=False)

    @property
    def dir(self) -> str:
        return text_direction(self.lang)

    @property
    def running_title(self) -> str:
        return self.short_title or self.title

    @property
    def authors(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.contributors)


@dataclass(frozen=True)
class AgendaItem:
    time: str
    title: str
    speakers: tuple[Contributor, ...] = ()
    #: the paper the item points to: ("issue", slug) or ("annex", annex id), if any
    paper: tuple[str, str] | None = None
    #: the day the item is on: a date, or a short label ("Day 1"); "" for none
    day: dt.date | str = ""
    #: the session it belongs to ("Morning session"); "" for none
    session: str = ""
    #: in an edition, an item whose paper the recipient may not see: its slot kept,
    #: its title replaced by the pack's closed-session label, no speakers, no paper
    closed: bool = False


@dataclass(frozen=True)
class Annex:
    id: str
    title: str
    #: the annex as a PDF (a DOCX annex is converted when the pack is loaded)
    path: Path = field(compare=False)
    pages: int = 0
    digest: str = ""
    #: groups allowed to see it in per-recipient editions (empty: everyone)
    confidential: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recipient:
    """One row of a recipients list: whom an edition of a pack is prepared for."""

    name: str
    organisation: str = ""
    groups: tuple[str, ...] = ()
    password: str = ""
    #: the row's other columns, for layouts' templates
    extra: tuple[tuple[str, str], ...] = ()
    line: int = 0

    @property
    def fields(self) -> dict[str, str]:
        """Every column of the row, for templates: recipient.fields.seat …"""
        return {"name": self.name, "organisation": self.organisation,
                "organization": self.organisation, **dict(self.extra)}

    def grants(self, confidential: tuple[str, ...]) -> bool:
        return not confidential or bool(set(confidential) & set(self.groups))


@dataclass(frozen=True)
class Pack:
    """Several issues bound with a cover, contents, agenda, one contributors
    section and annexes. A single issue is the smallest pack."""

    title: str
    date: dt.date
    slug: str
    issues: tuple[Issue, ...]
    lang: str = "en"
    subtitle: str = ""
    organiser: str = ""
    event_name: str = ""
    event_place: str = ""
    event_dates: str = ""
    layout: str = ""
    agenda: tuple[AgendaItem, ...] = ()
    annexes: tuple[Annex, ...] = ()
    #: issue slug → groups allowed to see it in editions (issues not listed: everyone)
    confidential_issues: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: editions: a line on every page, and a diagonal watermark ({name}, {organisation})
    edition_footer: str = ""
    edition_watermark: str = ""
    #: what an edition shows instead of an agenda item whose paper its recipient may
    #: not see: None, the language's "Closed session"; "", the item is left out
    closed_label: str | None = None
    #: the recipient of this edition, if it is one
    recipient: Recipient | None = None
    source_dir: Path | None = field(default=None, compare=False)

    @property
    def dir(self) -> str:
        return text_direction(self.lang)

    def for_recipient(self, recipient: Recipient) -> "Pack":
        """The edition a recipient may see: confidential issues and annexes are left
        out, unless the recipient's groups grant them. An agenda item pointing to one
        keeps its slot (time, day, session) as a closed session: the pack's
        `closed_label` instead of its title, without speakers or paper; with an empty
        label the item is left out."""
        from dataclasses import replace

        hidden = {slug for slug, groups in self.confidential_issues
                  if not recipient.grants(groups)}
        issues = tuple(i for i in self.issues if i.slug not in hidden)
        annexes = tuple(a for a in self.annexes if recipient.grants(a.confidential))
        kept = {("issue", i.slug) for i in issues} | {("annex", a.id) for a in annexes}
        label = self.closed_label
        if label is None:
            from .i18n import labels

            label = labels(self.lang)["closed_session"]
        agenda = []
        for item in self.agenda:
            if item.paper is None or item.paper in kept:
                agenda.append(item)
            elif label:
                agenda.append(AgendaItem(time=item.time, title=label, day=item.day,
                                         session=item.session, closed=True))
        return replace(self, issues=issues, annexes=annexes, agenda=tuple(agenda),
                       recipient=recipient)

    def personalise(self, text: str) -> str:
        """`text` with {name}, {organisation} and any other {column} of the recipient's row."""
        if not self.recipient:
            return ""
        return text.format_map(self.recipient.fields).strip(" ,—-")

    @property
    def contributors(self) -> tuple[Contributor, ...]:
        """Everyone who writes in the pack, once each, in order of first appearance."""
        seen: dict[str, Contributor] = {}
        for issue in self.issues:
            for person in issue.contributors:
                seen.setdefault(person.id, person)
        return tuple(seen.values())

    @property
    def authors(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.contributors)
