"""What both writers need to agree on: labels, dates, and where pull quotes go."""
from __future__ import annotations

import datetime as dt

from ..model import Block, Contribution, Paragraph

# Fixed words of the layout in each language; English is the fallback.
LABELS = {
    "en": {"issue": "Issue", "overview": "Overview", "experts": "Experts react",
           "contributors": "Contributors", "in_this_issue": "In this issue",
           "page": "Page", "of": "of", "contents": "Contents", "pull_quote": "Pull quote",
           "photo_of": "Photo of"},
    "fr": {"issue": "Numéro", "overview": "Présentation", "experts": "L’avis des experts",
           "contributors": "Contributeurs", "in_this_issue": "Dans ce numéro",
           "page": "Page", "of": "sur", "contents": "Sommaire", "pull_quote": "Citation",
           "photo_of": "Photo de"},
    "it": {"issue": "Numero", "overview": "Introduzione", "experts": "Gli esperti",
           "contributors": "Autori", "in_this_issue": "In questo numero",
           "page": "Pagina", "of": "di", "contents": "Indice", "pull_quote": "Citazione",
           "photo_of": "Foto di"},
    "es": {"issue": "Número", "overview": "Introducción", "experts": "Opinan los expertos",
           "contributors": "Autores", "in_this_issue": "En este número",
           "page": "Página", "of": "de", "contents": "Índice", "pull_quote": "Cita",
           "photo_of": "Foto de"},
    "de": {"issue": "Ausgabe", "overview": "Überblick", "experts": "Stimmen der Experten",
           "contributors": "Autorinnen und Autoren", "in_this_issue": "In dieser Ausgabe",
           "page": "Seite", "of": "von", "contents": "Inhalt", "pull_quote": "Zitat",
           "photo_of": "Foto von"},
    "ar": {"issue": "العدد", "overview": "مقدمة", "experts": "آراء الخبراء",
           "contributors": "المساهمون", "in_this_issue": "في هذا العدد",
           "page": "صفحة", "of": "من", "contents": "المحتويات", "pull_quote": "اقتباس",
           "photo_of": "صورة"},
}

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "ar": "يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر",
}


def labels(lang: str) -> dict[str, str]:
    return LABELS.get(lang.split("-")[0].lower(), LABELS["en"])


def format_date(date: dt.date, lang: str) -> str:
    """"20 November 2026" in the issue's language (ISO date for unknown languages)."""
    months = _MONTHS.get(lang.split("-")[0].lower())
    if not months:
        return date.isoformat()
    month = months.split()[date.month - 1]
    if lang.startswith("de"):
        return f"{date.day}. {month} {date.year}"
    if lang.startswith(("es",)):
        return f"{date.day} de {month} de {date.year}"
    return f"{date.day} {month} {date.year}"


def issue_line(issue, lang: str | None = None) -> str:
    """"Issue 42 · 20 November 2026" (the number part only when there is one)."""
    lang = lang or issue.lang
    parts = []
    if issue.number:
        parts.append(f"{labels(lang)['issue']} {issue.number}")
    parts.append(format_date(issue.date, lang))
    return " · ".join(parts)


def section_anchors(issue) -> list[tuple[str, int, str]]:
    """(anchor id, level, label) of every section in reading order.

    The ids are a contract between the layouts' HTML templates (element ids)
    and the DOCX writer (bookmarks, contents), so both number sections alike.
    """
    t = labels(issue.lang)
    anchors = []
    if issue.lede:
        anchors.append(("overview", 1, t["overview"]))
    if issue.contributions:
        anchors.append(("experts", 1, t["experts"]))
        anchors += [(f"contribution-{n}", 2, c.label)
                    for n, c in enumerate(issue.contributions, 1)]
    if issue.contributors:
        anchors.append(("contributors", 1, t["contributors"]))
    if issue.call_to_action:
        cta = issue.call_to_action
        anchors.append(("back", 1, cta.heading or issue.publisher or issue.series or "—"))
    return anchors


def split_for_pull_quote(contribution: Contribution) -> tuple[tuple[Block, ...], tuple[Block, ...]]:
    """(blocks before the pull quote, blocks after it).

    The quote goes after the first paragraph when more text follows, else
    right under the headline, so it is never the last thing in a section.
    """
    body = contribution.body
    if len(body) >= 2 and isinstance(body[0], Paragraph):
        return body[:1], body[1:]
    return (), body
