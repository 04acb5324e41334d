"""A pack folder (pack.yaml + annexes/) → `Pack`: issues, agenda and annexes.

pack.yaml follows the conventions of an issue's front matter; paths are
relative to the pack folder. Every problem is reported with pack.yaml:line.
"""
from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import replace
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .. import fsguard
from ..errors import BriefgenError, ContentError, ErrorList
from ..model import AgendaItem, Annex, Pack
from ..slugs import slugify
from .issue_folder import _LANG_TAG, _Problems, _check_keys, load_issue
from .markdown import smart_text
from .yamlsrc import LineDict, LineList, load_yaml, read_text

PACK_FILE = "pack.yaml"
PACK_KEYS = {"title", "subtitle", "date", "organiser", "organizer", "lang", "slug", "layout",
             "event", "issues", "agenda", "annexes", "edition"}
EDITION_KEYS = {"footer", "watermark", "closed_label"}
ISSUE_ENTRY_KEYS = {"path", "confidential"}
EVENT_KEYS = {"name", "place", "dates"}
AGENDA_KEYS = {"time", "title", "speakers", "paper", "day", "session"}
MAX_DAY_LABEL = 40  # a day that is not a date is a short label: "Day 1", "Pre-conference"
MAX_SESSION_LABEL = 120
ANNEX_KEYS = {"file", "title", "id", "confidential"}
MAX_ANNEX_BYTES = 50_000_000


@dataclass
class PackResult:
    pack: Pack
    warnings: list[BriefgenError] = field(default_factory=list)


def is_pack(folder: str | Path) -> bool:
    return (Path(folder) / PACK_FILE).is_file()


def load_pack(folder: str | Path, workdir: Path | None = None) -> PackResult:
    folder = Path(folder)
    path = folder / PACK_FILE
    data = load_yaml(read_text(fsguard.inside(folder, PACK_FILE, what="pack file",
                                              error=ContentError), 1_000_000), path)
    if not isinstance(data, LineDict):
        raise ContentError("pack.yaml must be `key: value` lines", path=path, line=1)
    p = _Problems()
    _check_keys(data, PACK_KEYS, path, p, "pack field")

    def text(key, required=False, mapping=data):
        value = mapping.get(key)
        if value is None or value == "":
            if required:
                p.error(f"missing `{key}`", path, mapping.line, f"add a `{key}:` line")
            return ""
        if isinstance(value, (dict, list)):
            p.error(f"`{key}` must be text", path, mapping.line_of(key))
            return ""
        return smart_text(str(value).strip(), str(data.get("lang") or "en"))

    title = text("title", required=True)
    lang = str(data.get("lang") or "en")
    if not _LANG_TAG.match(lang):
        p.error(f"`lang: {lang}` is not a language tag", path, data.line_of("lang"))
        lang = "en"
    date = dt.date(1970, 1, 1)
    if "date" not in data:
        p.error("missing `date`", path, data.line, "add a line such as `date: 2026-11-27`")
    else:
        try:
            date = dt.date.fromisoformat(str(data["date"]).strip())
        except ValueError:
            if data["date"] is None or not str(data["date"]).strip():
                p.error("`date` is empty", path, data.line_of("date"),
                        "write it as YYYY-MM-DD, e.g. 2026-11-27")
            else:
                p.error(f"bad date `{data['date']}`", path, data.line_of("date"),
                        "write it as YYYY-MM-DD")
    event = data.get("event") or LineDict()
    if not isinstance(event, LineDict):
        p.error("`event` needs indented name/place/dates fields", path, data.line_of("event"))
        event = LineDict()
    else:
        _check_keys(event, EVENT_KEYS, path, p, "event field")

    issues = []
    slugs: dict[str, int] = {}
    failed: set[str] = set()  # issues listed but not loadable: no follow-on errors about them
    entries = data.get("issues") or []
    if not isinstance(entries, list) or not entries:
        p.error("a pack needs `issues:`, a list of issue folders", path, data.line_of("issues"),
                "e.g. `issues: [../nile-dispute]`")
        entries = []
    confidential_issues = []
    for index, entry in enumerate(entries):
        line = entries.line_of(index) if isinstance(entries, LineList) else data.line_of("issues")
        groups: tuple[str, ...] = ()
        if isinstance(entry, LineDict):  # {path: …, confidential: [groups]}
            _check_keys(entry, ISSUE_ENTRY_KEYS, path, p, "issue field")
            groups = _groups(entry, path, p)
            line = entry.line
            entry = entry.get("path") or ""
        where = (folder / str(entry)).resolve()
        if not (where / "issue.md").is_file():
            p.error(f"issue folder not found: {entry}", path, line,
                    "give the path of a folder holding issue.md, relative to the pack")
            failed.add(slugify(where.name, fallback="issue"))
            continue
        try:
            loaded = load_issue(where)
        except BriefgenError as exc:
            p.errors.append(exc)
            failed.add(slugify(where.name, fallback="issue"))
            continue
        slug = loaded.issue.slug
        if slug in slugs:
            p.error(f"issue {entry} is in the pack twice", path, line,
                    f"it is already listed on line {slugs[slug]}")
            continue
        slugs[slug] = line
        issues.append(loaded.issue)
        if groups:
            confidential_issues.append((slug, groups))
        p.warnings += loaded.warnings

    annexes = []
    annex_entries = data.get("annexes") or []
    if not isinstance(annex_entries, list):
        p.error("`annexes` must be a list of file/title entries", path, data.line_of("annexes"))
        annex_entries = []
    for index, entry in enumerate(annex_entries):
        if not isinstance(entry, LineDict):
            p.error("each annex needs `file:` and `title:`", path, data.line_of("annexes"))
            continue
        _check_keys(entry, ANNEX_KEYS, path, p, "annex field")
        annex = p.guard(_annex, folder, entry, index, path, workdir, p.warnings)
        if annex is None:  # its error is reported; agenda items that point to it are not
            failed.add(_annex_id(entry, index))
        if annex is not None and any(a.id == annex.id for a in annexes):
            p.error(f"two annexes have the id `{annex.id}`", path, entry.line,
                    "give each annex its own `id:` (agenda items use it)")
        elif annex is not None:
            annexes.append(replace(annex, confidential=_groups(entry, path, p)))

    known_papers = {f"issue-{i.slug}": i for i in issues}
    known_papers.update({i.slug: i for i in issues})
    annex_ids = {a.id: a for a in annexes}
    people = {}
    for issue in issues:
        for person in issue.contributors:
            people.setdefault(person.id, person)
    agenda = []
    day: dt.date | str = ""  # an item without `day:` is on the day of the item before
    day_lines: dict = {}  # day → line of the first item on it
    agenda_entries = data.get("agenda") or []
    if not isinstance(agenda_entries, list):
        p.error("`agenda` must be a list of items", path, data.line_of("agenda"))
        agenda_entries = []
    for entry in agenda_entries:
        if not isinstance(entry, LineDict):
            p.error("each agenda item needs `time:` and `title:`", path, data.line_of("agenda"))
            continue
        _check_keys(entry, AGENDA_KEYS, path, p, "agenda field")
        speakers = []
        names = entry.get("speakers") or []
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",")]
        for cid in names:
            if cid in people:
                speakers.append(people[cid])
            elif not failed:  # a speaker may come from the issue that failed to load
                p.error(f"unknown speaker `{cid}`", path, entry.line_of("speakers"),
                        speaker_hint(str(cid), people))
        target = None
        paper = entry.get("paper")
        if paper:
            paper = str(paper)
            if paper in known_papers:
                target = ("issue", known_papers[paper].slug)
            elif paper in annex_ids:
                target = ("annex", paper)
            elif paper not in failed:
                choices = sorted([i.slug for i in issues] + list(annex_ids))
                close = difflib.get_close_matches(paper, choices, n=1)
                p.error(f"agenda item points to `{paper}`, which is neither an issue nor an annex",
                        path, entry.line_of("paper"),
                        f"did you mean `{close[0]}`?" if close else f"use one of: {', '.join(choices)}")
        if entry.get("day") not in (None, ""):
            given = _agenda_day(entry, path, p)
            if given != day and given in day_lines:
                p.error(f"the agenda comes back to day `{entry['day']}` after another day",
                        path, entry.line_of("day"),
                        f"keep each day's items together (its first item is on line "
                        f"{day_lines[given]})")
            day = given
            day_lines.setdefault(day, entry.line_of("day"))
        session = text("session", mapping=entry)
        if len(session) > MAX_SESSION_LABEL:
            p.error(f"agenda session is over {MAX_SESSION_LABEL} characters", path,
                    entry.line_of("session"), "a session is a short label, e.g. "
                    "`session: Morning session`")
        agenda.append(AgendaItem(time=text("time", mapping=entry),
                                 title=text("title", required=True, mapping=entry),
                                 speakers=tuple(speakers), paper=target, day=day,
                                 session=session))
    edition = data.get("edition") or LineDict()
    if not isinstance(edition, LineDict):
        p.error("`edition` needs indented footer/watermark fields", path, data.line_of("edition"))
        edition = LineDict()
    _check_keys(edition, EDITION_KEYS, path, p, "edition field")
    closed_label = None  # the language's "Closed session"
    if "closed_label" in edition:
        value = edition["closed_label"]
        if value in (None, False, ""):
            closed_label = ""  # closed items are left out of the edition's agenda
        elif isinstance(value, (dict, list, bool)):
            p.error("edition closed_label must be text (or \"\" to leave closed items out)",
                    path, edition.line_of("closed_label"),
                    'e.g. `closed_label: "Closed session"`')
        else:
            closed_label = text("closed_label", mapping=edition)
    for key in ("footer", "watermark"):
        if key in edition and not _placeholders_ok(str(edition[key])):
            p.error(f"edition {key} has a broken {{placeholder}}", path, edition.line_of(key),
                    "write {name}, {organisation} or {a-column-of-the-CSV}, braces closed")
    if p.errors:
        raise ErrorList(p.errors)
    slug = slugify(str(data.get("slug") or "") or folder.resolve().name, fallback="pack")
    return PackResult(Pack(
        title=title, date=date, slug=slug, issues=tuple(issues), lang=lang,
        subtitle=text("subtitle"), organiser=text("organiser") or text("organizer"),
        event_name=text("name", mapping=event), event_place=text("place", mapping=event),
        event_dates=text("dates", mapping=event), layout=str(data.get("layout") or ""),
        agenda=tuple(agenda), annexes=tuple(annexes),
        confidential_issues=tuple(confidential_issues),
        edition_footer=str(edition.get("footer") or ""),
        edition_watermark=str(edition.get("watermark") or ""), closed_label=closed_label,
        source_dir=folder.resolve()), p.warnings)


def _agenda_day(entry: LineDict, path: Path, p: _Problems) -> dt.date | str:
    """An agenda item's `day:`: a date (YYYY-MM-DD) or a short label."""
    value = entry.get("day")
    line = entry.line_of("day")
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (dict, list, bool)):
        p.error("`day` must be a date or a short label", path, line,
                "e.g. `day: 2026-11-27` or `day: Day 1`")
        return ""
    label = " ".join(str(value).split())
    if _DATE_LIKE.match(label):
        try:
            return dt.date.fromisoformat(label)
        except ValueError:
            p.error(f"bad date `{label}` in `day`", path, line,
                    "write it as YYYY-MM-DD, e.g. `day: 2026-11-27`")
            return ""
    if len(label) > MAX_DAY_LABEL:
        p.error(f"agenda day is over {MAX_DAY_LABEL} characters", path, line,
                "write a date (YYYY-MM-DD) or a short label such as `Day 1`")
        return ""
    return smart_text(label)


_DATE_LIKE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


def edition_placeholders(text: str) -> set[str]:
    """The {fields} an edition footer or watermark uses."""
    import string

    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _placeholders_ok(text: str) -> bool:
    try:
        names = edition_placeholders(text)
    except ValueError:
        return False
    return all(name.replace("_", "").replace("-", "").isalnum() for name in names)


def _groups(entry: LineDict, path: Path, p: _Problems) -> tuple[str, ...]:
    value = entry.get("confidential") or []
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",")]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        p.error("`confidential` must be a list of group names", path, entry.line_of("confidential"),
                "e.g. `confidential: [board, staff]`")
        return ()
    return tuple(value)


def _annex(folder: Path, entry: LineDict, index: int, path: Path, workdir: Path | None,
           warnings: list | None = None) -> Annex:
    import pikepdf

    from .images import resolve_inside

    line = entry.line_of("file")
    title = _annex_title(entry)
    if not title:
        raise ContentError("annex without `title`", path=path, line=entry.line,
                           hint="add `title:` (it is printed on the annex's divider page)")
    file = resolve_inside(folder, str(entry.get("file") or ""), path, line, "annex", "pack")
    if file.stat().st_size > MAX_ANNEX_BYTES:
        raise ContentError(f"annex {file.name} is over {MAX_ANNEX_BYTES // 1_000_000} MB",
                           path=path, line=line)
    name = file.name
    if file.suffix.lower() in (".odt", ".doc"):
        # Neither can be checked for links to outside files before LibreOffice opens it.
        raise ContentError(f"annex {name} is a {file.suffix[1:].upper()} file; annexes are PDF "
                           "or DOCX", path=path, line=line, hint="export it as PDF or DOCX")
    if file.suffix.lower() == ".docx":
        file = _convert_docx(file, path, line, workdir,
                             warnings if warnings is not None else [])
    try:
        with pikepdf.open(file) as pdf:
            pages = len(pdf.pages)
            if pdf.is_encrypted:
                raise ContentError(f"annex {name} is encrypted", path=path, line=line,
                                   hint="give an unprotected copy")
    except pikepdf.PasswordError:
        raise ContentError(f"the annex {name} is password-protected", path=path, line=line,
                           hint="remove the password (or export an unprotected copy)") from None
    except pikepdf.PdfError:
        raise ContentError(f"annex {name} is not a readable PDF", path=path, line=line,
                           hint="export it again as PDF") from None
    if pages == 0:
        raise ContentError(f"annex {name} has no pages", path=path, line=line)
    return Annex(_annex_id(entry, index), title, file, pages,
                 hashlib.sha256(file.read_bytes()).hexdigest())


def _annex_title(entry: LineDict) -> str:
    return smart_text(str(entry.get("title") or "").strip())


def _annex_id(entry: LineDict, index: int) -> str:
    """The annex's `id:`, or else its title, as a slug; `annex-<n>` when neither gives one."""
    return slugify(str(entry.get("id") or "") or _annex_title(entry), fallback=f"annex-{index + 1}")


_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted DOCX is an OLE container


def _convert_docx(file: Path, path: Path, line: int | None, workdir: Path | None,
                  warnings: list) -> Path:
    """Convert a copy of the DOCX rewritten without links to anything outside it
    (see annex_clean), warning for each link removed."""
    from .annex_clean import NotADocx, clean_docx

    data = file.read_bytes()
    if data.startswith(_CFB_MAGIC):
        raise ContentError(f"the annex {file.name} is password-protected", path=path, line=line,
                           hint="remove the password, or export it as PDF")
    try:
        cleaned, removed = clean_docx(data)
    except NotADocx:
        raise ContentError(f"annex {file.name} is not a readable DOCX", path=path, line=line,
                           hint="save it again as DOCX, or export it as PDF") from None
    for what in removed:
        warnings.append(ContentError(
            f"annex {file.name}: removed {what} before converting it", path=path, line=line,
            hint="LibreOffice would fetch it from outside the pack; put the picture or text "
                 "into the document itself"))
    base = workdir or _scratch()
    base.mkdir(parents=True, exist_ok=True)
    copy = Path(tempfile.mkdtemp(prefix="docx-", dir=base)) / file.name
    copy.write_bytes(cleaned)
    return _convert_with_libreoffice(copy, path, line)


# A fresh LibreOffice profile: linked pictures from documents outside trusted
# locations blocked, macros off. The DOCX is already rewritten without links;
# this is the second wall.
_LO_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" \
xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting">\
<prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting">\
<prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting">\
<prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
</oor:items>
"""


def _normalise_pdf(file: Path) -> None:
    """Drop what makes two conversions of the same DOCX differ: dates and /ID."""
    import pikepdf

    try:
        with pikepdf.open(file, allow_overwriting_input=True) as pdf:
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            if "/Metadata" in pdf.Root:
                del pdf.Root["/Metadata"]
            pdf.save(file, deterministic_id=True)
    except pikepdf.PdfError:
        pass  # not readable: _annex reports it


def _convert_with_libreoffice(file: Path, path: Path, line: int | None) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise ContentError(f"annex {file.name} is a document, and LibreOffice (soffice) is not "
                           "installed to convert it", path=path, line=line,
                           hint="export it as PDF, or install libreoffice-writer-nogui")
    from .. import cache

    key = cache.digest("annex", cache.file_digest(file))
    hit = cache.verified_path("annexes", key, ".pdf")  # checked against its recorded sha256
    if hit is not None:
        return hit
    out = file.parent  # the cleaned copy's own folder (_convert_docx)
    profile = out / "lo"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(_LO_PROFILE, encoding="utf-8")
    env = {key: value for key, value in os.environ.items()
           if key in ("PATH", "LANG", "LC_ALL", "TMPDIR", "SAL_USE_VCLPLUGIN")}
    env["HOME"] = str(out)
    try:
        result = subprocess.run([soffice, "--headless", "--norestore", "--nologo",
                                 f"-env:UserInstallation={profile.as_uri()}",
                                 "--convert-to", "pdf", "--outdir", str(out), str(file)],
                                capture_output=True, timeout=300, env=env)
    except subprocess.TimeoutExpired:
        raise ContentError(f"LibreOffice took over 5 minutes to convert annex {file.name}",
                           path=path, line=line, hint="export it as PDF yourself") from None
    converted = out / (file.stem + ".pdf")
    if result.returncode != 0 or not converted.is_file():
        raise ContentError(f"LibreOffice could not convert annex {file.name}", path=path,
                           line=line, hint="export it as PDF yourself")
    _normalise_pdf(converted)
    return cache.store("annexes", key, converted, ".pdf") or converted


def _scratch() -> Path:
    """A temporary folder removed when the process ends (converted annexes live there)."""
    import atexit

    folder = Path(tempfile.mkdtemp(prefix="briefgen-annex-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def speaker_hint(given: str, people: dict) -> str:
    """A suggestion for an unknown speaker: the id of a contributor whose id or name
    is close (`Amira Haddad` → `amira-haddad`), else the ids there are."""
    by_name = {slugify(str(person.name), fallback=""): cid for cid, person in people.items()}
    wanted = slugify(given, fallback="")
    if wanted in people:
        return f"did you mean `{wanted}`? speakers are contributor ids"
    if wanted in by_name:
        return f"did you mean `{by_name[wanted]}`? speakers are contributor ids, not names"
    close = difflib.get_close_matches(wanted or given, list(people) + list(by_name), n=1)
    if close:
        return f"did you mean `{by_name.get(close[0], close[0])}`?"
    ids = sorted(people)
    if not ids:
        return "speakers are contributor ids of the pack's issues, and they have none"
    shown = ", ".join(f"`{cid}`" for cid in ids[:8]) + (", …" if len(ids) > 8 else "")
    return f"speakers are contributor ids of the pack's issues: {shown}"


def resolve_layout_spec(cli_layout: str | None, pack: Pack) -> str | None:
    """--layout wins; else pack.yaml's `layout:`, a name or a path relative to the pack."""
    if cli_layout:
        return cli_layout
    from ..layouts import is_layout_path

    spec = pack.layout or None
    if spec and is_layout_path(spec) and pack.source_dir:
        return str((pack.source_dir / spec).resolve())
    return spec
