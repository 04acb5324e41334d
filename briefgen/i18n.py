"""Words and dates in the issue's language: layout labels, date lines and their inverse."""
from __future__ import annotations

import datetime as dt
import re

#: Bidi embeddings, overrides and isolates (U+202A–202E, U+2066–2069) and the
#: Unicode line separators (U+0085, U+2028, U+2029). In a one-line field (a
#: title, a name, a headline) they only serve to disguise text: "U+202E" makes
#: "exe.pdf" read "fdp.exe". They are removed from such fields, from document
#: metadata and from file names; the writers set each line's direction themselves.
LINE_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u0085\u2028\u2029]")


def clean_line(text: str) -> str:
    """A one-line field without bidi overrides, isolates or line separators."""
    return LINE_CONTROLS.sub("", text)

# Fixed words of the layout in each language; English is the fallback.
LABELS = {
    "en": {"chapter": "Chapter", "in_this_chapter": "In this chapter",
           "prepared_for": "Prepared for", "annex_in_pdf": "The pages of this annex ({pages}) are in the PDF edition of the pack.",
           "in_this_pack": "In this pack", "agenda": "Agenda", "annex": "Annex", "time": "Time", "item": "Item", "paper": "Paper", "closed_session": "Closed session", "pages": "pages",
           "issue": "Issue", "overview": "Overview", "experts": "Experts react",
           "contributors": "Contributors", "in_this_issue": "In this issue",
           "page": "Page", "of": "of", "contents": "Contents", "pull_quote": "Pull quote",
           "photo_of": "Photo of"},
    "fr": {"chapter": "Chapitre", "in_this_chapter": "Dans ce chapitre",
           "prepared_for": "Préparé pour", "annex_in_pdf": "Les pages de cette annexe ({pages}) figurent dans l’édition PDF du dossier.",
           "in_this_pack": "Dans ce dossier", "agenda": "Ordre du jour", "annex": "Annexe", "time": "Heure", "item": "Point", "paper": "Document", "closed_session": "Séance à huis clos", "pages": "pages",
           "issue": "Numéro", "overview": "Présentation", "experts": "L’avis des experts",
           "contributors": "Contributeurs", "in_this_issue": "Dans ce numéro",
           "page": "Page", "of": "sur", "contents": "Sommaire", "pull_quote": "Citation",
           "photo_of": "Photo de"},
    "it": {"chapter": "Capitolo", "in_this_chapter": "In questo capitolo",
           "prepared_for": "Preparato per", "annex_in_pdf": "Le pagine di questo allegato ({pages}) sono nell’edizione PDF del dossier.",
           "in_this_pack": "In questo dossier", "agenda": "Ordine del giorno", "annex": "Allegato", "time": "Ora", "item": "Punto", "paper": "Documento", "closed_session": "Sessione riservata", "pages": "pagine",
           "issue": "Numero", "overview": "Introduzione", "experts": "Gli esperti",
           "contributors": "Autori", "in_this_issue": "In questo numero",
           "page": "Pagina", "of": "di", "contents": "Indice", "pull_quote": "Citazione",
           "photo_of": "Foto di"},
    "es": {"chapter": "Capítulo", "in_this_chapter": "En este capítulo",
           "prepared_for": "Preparado para", "annex_in_pdf": "Las páginas de este anexo ({pages}) están en la edición PDF del dosier.",
           "in_this_pack": "En este dosier", "agenda": "Orden del día", "annex": "Anexo", "time": "Hora", "item": "Punto", "paper": "Documento", "closed_session": "Sesión a puerta cerrada", "pages": "páginas",
           "issue": "Número", "overview": "Introducción", "experts": "Opinan los expertos",
           "contributors": "Autores", "in_this_issue": "En este número",
           "page": "Página", "of": "de", "contents": "Índice", "pull_quote": "Cita",
           "photo_of": "Foto de"},
    "de": {"chapter": "Kapitel", "in_this_chapter": "In diesem Kapitel",
           "prepared_for": "Vorbereitet für", "annex_in_pdf": "Die Seiten dieses Anhangs ({pages}) stehen in der PDF-Ausgabe der Mappe.",
           "in_this_pack": "In dieser Mappe", "agenda": "Tagesordnung", "annex": "Anhang", "time": "Zeit", "item": "Punkt", "paper": "Unterlage", "closed_session": "Nichtöffentliche Sitzung", "pages": "Seiten",
           "issue": "Ausgabe", "overview": "Überblick", "experts": "Stimmen der Experten",
           "contributors": "Autorinnen und Autoren", "in_this_issue": "In dieser Ausgabe",
           "page": "Seite", "of": "von", "contents": "Inhalt", "pull_quote": "Zitat",
           "photo_of": "Foto von"},
    "ar": {"chapter": "الفصل", "in_this_chapter": "في هذا الفصل",
           "prepared_for": "أُعدّ من أجل", "annex_in_pdf": "صفحات هذا الملحق ({pages}) موجودة في نسخة PDF من الملف.",
           "in_this_pack": "في هذا الملف", "agenda": "جدول الأعمال", "annex": "ملحق", "time": "الوقت", "item": "البند", "paper": "الوثيقة", "closed_session": "جلسة مغلقة", "pages": "صفحات",
           "issue": "العدد", "overview": "مقدمة", "experts": "آراء الخبراء",
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


_WEEKDAYS = {
    "en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche",
    "it": "lunedì martedì mercoledì giovedì venerdì sabato domenica",
    "es": "lunes martes miércoles jueves viernes sábado domingo",
    "de": "Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag",
    "ar": "الاثنين الثلاثاء الأربعاء الخميس الجمعة السبت الأحد",
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


def format_day(date: dt.date, lang: str) -> str:
    """"Friday 27 November 2026": an agenda's day heading in the pack's language
    ("vendredi 27 novembre 2026", "الجمعة 27 نوفمبر 2026"); ISO for unknown languages."""
    days = _WEEKDAYS.get(lang.split("-")[0].lower())
    if not days:
        return date.isoformat()
    weekday = days.split()[date.weekday()]
    separator = ", " if lang.startswith(("de", "es")) else " "
    return f"{weekday}{separator}{format_date(date, lang)}"


def issue_line(issue, lang: str | None = None) -> str:
    """"Issue 42 · 20 November 2026" (the number part only when there is one)."""
    lang = lang or issue.lang
    parts = []
    if issue.number:
        parts.append(f"{labels(lang)['issue']} {issue.number}")
    parts.append(format_date(issue.date, lang))
    return " · ".join(parts)


def parse_issue_line(text: str, lang: str) -> tuple[str, dt.date | None]:
    """The inverse of issue_line: "Issue 42 · 20 November 2026" → ("42", date)."""
    number, date = "", None
    for part in (p.strip() for p in text.split("·")):
        found = parse_date(part, lang)
        if found:
            date = found
            continue
        label = labels(lang)["issue"]
        if part.startswith(label):
            number = part[len(label):].strip()
    return number, date


def parse_date(text: str, lang: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        pass
    months = _MONTHS.get(lang.split("-")[0].lower(), _MONTHS["en"]).split()
    match = re.search(r"(\d{1,2})\.?\s+(?:de\s+)?(\w+)\s+(?:de\s+)?(\d{4})", text)
    if match and match.group(2) in months:
        try:
            return dt.date(int(match.group(3)), months.index(match.group(2)) + 1,
                           int(match.group(1)))
        except ValueError:
            return None
    return None
