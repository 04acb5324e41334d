"""An issue folder (issue.md + optional contributors.yaml + images/) → `Issue`.

issue.md is YAML front matter between `---` lines, then Markdown:

* everything before the first `## ` heading is the lede;
* each `## Headline` starts a contribution; the paragraph right after it holds
  meta lines — `by: contributor-id` (required), `lang: ar`, `pull-quote: …`;
* `==a sentence==` in a contribution marks its pull quote.

Problems are collected and raised together, each with file:line and a fix.
"""
from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import fsguard
from ..errors import BriefgenError, ContentError, ErrorList
from ..model import (CallToAction, Colophon, Contribution, Contributor, Image, Issue, Paragraph,
                     PullQuote, is_allowed_link, plain_text)
from ..i18n import clean_line
from ..slugs import slugify
from .images import check_image, resolve_inside
from .markdown import MAX_BLOCKS, block_count, parse_top_blocks, smart_text, to_blocks
from .pullquotes import pick_pull_quote
from .review import load_review
from .yamlsrc import LineDict, load_yaml, read_text

ISSUE_FILE = "issue.md"
CONTRIBUTORS_FILE = "contributors.yaml"
MAX_ISSUE_BYTES = 5_000_000
MAX_CONTRIBUTIONS = 1_000  # far beyond any briefing; keeps a hostile file's cost bounded
MAX_CONTRIBUTORS = 1_000

FRONT_MATTER_KEYS = {
    "title", "date", "publisher", "series", "issue", "short_title", "standfirst", "lang",
    "slug", "experts_intro", "call_to_action", "keywords", "contributors", "cover_image",
    "cover_focus",
    "colophon",
}
CONTRIBUTOR_KEYS = {"name", "role", "organisation", "organization", "bio", "photo", "photo_alt"}
CTA_KEYS = {"heading", "text", "url"}
COLOPHON_KEYS = {"address", "issn", "copyright", "disclaimer"}
META_KEYS = {"by", "lang", "pull-quote"}
_META_LINE = re.compile(r"^([A-Za-z][\w-]*)\s*:\s*(.*)$")
_LANG_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass
class LoadResult:
    issue: Issue
    warnings: list[BriefgenError] = field(default_factory=list)


class _Problems:
    def __init__(self):
        self.errors: list[BriefgenError] = []
        self.warnings: list[BriefgenError] = []
        # Contributors that could not be read: their `by:` lines are not reported
        # again as unknown contributors (the real error is already there).
        self.unreadable_contributors = False      # a whole source (not a mapping, empty)
        self.rejected_ids: set[str] = set()       # entries defined, but with errors
        self.no_contributors_file: Path | None = None  # neither the file nor the field

    def error(self, message, path, line=None, hint=None):
        self.errors.append(ContentError(message, path=path, line=line, hint=hint))

    def warn(self, message, path, line=None, hint=None):
        self.warnings.append(ContentError(message, path=path, line=line, hint=hint))

    def guard(self, func, *args):
        """Run a check that raises, recording its error instead of stopping."""
        try:
            return func(*args)
        except BriefgenError as exc:
            self.errors.append(exc)
            return None


def split_front_matter(text: str, path: Path) -> tuple[str, str, int]:
    """Return (yaml_text, markdown_text, first line number of the markdown)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ContentError("issue.md must start with a '---' line opening the front matter",
                           path=path, line=1, hint="see `briefgen new` for the layout of the file")
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1:]), index + 2
    raise ContentError("front matter is not closed", path=path, line=1,
                       hint="add a '---' line after the last front-matter field")


def load_issue(folder: str | Path) -> LoadResult:
    folder = Path(folder)
    issue_path = folder / ISSUE_FILE
    if folder.is_file():
        raise ContentError("this is a file, not an issue folder", path=folder,
                           hint=f"give the folder that holds it: {folder.parent}")
    if not folder.is_dir():
        raise ContentError("issue folder not found", path=folder,
                           hint="give the folder that holds issue.md (`briefgen new DIR` makes one)")
    if not issue_path.is_file():
        raise ContentError(f"no {ISSUE_FILE} in this folder", path=folder,
                           hint="`briefgen new DIR` scaffolds one")
    # A link that leads outside the folder is refused, not followed (fsguard).
    text = read_text(fsguard.inside(folder, ISSUE_FILE, what="issue file", error=ContentError),
                     MAX_ISSUE_BYTES)
    yaml_text, body, body_line = split_front_matter(text, issue_path)
    meta = load_yaml(yaml_text, issue_path, first_line=2)
    if meta is None:
        meta = LineDict()
        meta.line, meta.key_lines = 1, {}
    if not isinstance(meta, LineDict):
        raise ContentError("front matter must be `key: value` lines", path=issue_path, line=2)
    p = _Problems()
    _check_keys(meta, FRONT_MATTER_KEYS, issue_path, p, "front-matter field")

    def text_field(key, required=False):
        value = meta.get(key)
        if value is None:
            if required and key not in meta:  # (`key:` with nothing after it: "empty")
                p.error(f"missing `{key}`", issue_path, meta.line,
                        f"add a `{key}:` line to the front matter")
            return ""
        if isinstance(value, (dict, list)):
            p.error(f"`{key}` must be text", issue_path, meta.line_of(key))
            return ""
        return smart_text(str(value).strip(), lang)

    lang = str(meta.get("lang") or "en").strip()
    if not _LANG_TAG.match(lang):
        p.error(f"`lang: {lang}` is not a language tag", issue_path, meta.line_of("lang"),
                "use a code such as en, fr, ar or en-GB")
        lang = "en"
    title = text_field("title", required=True)
    if "title" in meta and not title:
        p.error("`title` is empty", issue_path, meta.line_of("title"), "give the issue a title")
    date = _parse_date(str(meta.get("date") or "").strip(), issue_path, meta, p)
    if "date" not in meta:
        p.error("missing `date`", issue_path, meta.line, "add a line such as `date: 2026-11-20`")
    elif not str(meta.get("date") or "").strip():
        p.error("`date` is empty", issue_path, meta.line_of("date"),
                "write it as YYYY-MM-DD, e.g. 2026-11-20")
    slug_source = str(meta.get("slug") or "").strip() or folder.resolve().name
    slug = slugify(slug_source, fallback="issue")

    contributors = _load_contributors(folder, meta, issue_path, lang, p)
    lede, contributions, used = _parse_body(body, body_line, issue_path, lang, contributors, p)
    if len(contributions) > MAX_CONTRIBUTIONS:
        p.error(f"{len(contributions)} contributions, over the limit of {MAX_CONTRIBUTIONS}",
                issue_path, body_line, "split the issue into several issues or a pack")
    if len(contributors) > MAX_CONTRIBUTORS:
        p.error(f"{len(contributors)} contributors, over the limit of {MAX_CONTRIBUTORS}",
                issue_path, None, "split the issue")
    if not contributions:
        p.warn("no contributions (no `## Headline` sections)", issue_path, body_line,
               "add one `## Headline` section per expert")
    for cid, (contributor, source, line) in contributors.items():
        if cid not in used:
            p.warn(f"contributor `{cid}` is not credited in any contribution", source, line,
                   f"add `by: {cid}` under a headline, or remove the entry")

    cta = _call_to_action(meta, issue_path, lang, p)
    colophon = _colophon(meta, issue_path, lang, p)
    if colophon and not cta:
        p.warn("`colophon` is printed on the back page, which only an issue with a "
               "`call_to_action` has", issue_path, meta.line_of("colophon"),
               "add a `call_to_action:`, or remove the colophon")
    cover_image = _cover_image(folder, meta, issue_path, p)
    cover_focus = _cover_focus(meta, issue_path, p)
    keywords = meta.get("keywords") or ()
    if isinstance(keywords, str):
        keywords = [k.strip() for k in keywords.split(",")]
    if not isinstance(keywords, (list, tuple)):
        p.error("`keywords` must be a list", issue_path, meta.line_of("keywords"))
        keywords = ()
    if p.errors:
        raise ErrorList(p.errors)

    ordered = [contributors[cid][0] for cid in used]
    issue = Issue(
        title=title, date=date, slug=slug, lang=lang,
        publisher=text_field("publisher"), series=text_field("series"),
        number=text_field("issue"), short_title=text_field("short_title"),
        standfirst=text_field("standfirst"), lede=lede,
        experts_intro=text_field("experts_intro"),
        contributions=tuple(contributions), contributors=tuple(ordered),
        call_to_action=cta, colophon=colophon, cover_image=cover_image, cover_focus=cover_focus, keywords=tuple(str(k) for k in keywords if str(k).strip()),
        comments=tuple(load_review(folder)),
        source_dir=folder.resolve(),
    )
    return LoadResult(issue, p.warnings)


def _check_keys(mapping: LineDict, allowed: set[str], path: Path, p: _Problems, what: str):
    for key in mapping:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f"did you mean `{close[0]}`?" if close else f"known: {', '.join(sorted(allowed))}"
            p.error(f"unknown {what} `{key}`", path, mapping.line_of(key), hint)


def _parse_date(value: str, path: Path, meta: LineDict, p: _Problems) -> dt.date:
    if not value:
        return dt.date(1970, 1, 1)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        p.error(f"bad date `{value}`", path, meta.line_of("date"),
                "write it as YYYY-MM-DD, e.g. 2026-11-20")
        return dt.date(1970, 1, 1)


def _load_contributors(folder: Path, meta: LineDict, issue_path: Path, lang: str,
                       p: _Problems) -> dict[str, tuple[Contributor, Path, int]]:
    """Contributors from contributors.yaml and/or the front matter's `contributors:`."""
    sources: list[tuple[Path, object, int]] = []
    file = folder / CONTRIBUTORS_FILE
    if file.is_file() or file.is_symlink():
        # A link that leads outside the folder stops the load at once (one line, no
        # follow-on "unknown contributor" errors): it is refused, never followed.
        fsguard.inside(folder, CONTRIBUTORS_FILE, what="contributors file", error=ContentError)
        errors_before = len(p.errors)
        data = p.guard(lambda: load_yaml(read_text(file, MAX_ISSUE_BYTES), file))
        if len(p.errors) > errors_before:  # unreadable: not every `by:` line unknown too
            raise ErrorList(p.errors)
        if data is None:
            p.error(f"{CONTRIBUTORS_FILE} is empty", file, 1,
                    "add an entry per id used after `by:`: `maria-rossi:` then indented "
                    "`name:`, `role:`… lines")
            p.unreadable_contributors = True
        else:
            sources.append((file, data, 1))
    elif "contributors" not in meta:
        p.no_contributors_file = file
    if "contributors" in meta:
        sources.append((issue_path, meta["contributors"], meta.line_of("contributors")))
    found: dict[str, tuple[Contributor, Path, int]] = {}
    for path, data, line in sources:
        if not isinstance(data, LineDict):
            p.error("contributors must be a mapping of id → details", path, line,
                    "a `:` is missing after an id? " * isinstance(data, str) +
                    "write `maria-rossi:` then indented `name:`, `role:`… lines")
            p.unreadable_contributors = True
            continue
        for cid, entry in data.items():
            cline = data.line_of(cid)
            if cid in found:
                p.error(f"contributor `{cid}` is defined twice", path, cline,
                        f"it is also defined in {found[cid][1].name}:{found[cid][2]}")
                continue
            if slugify(cid, fallback="") != cid:
                p.error(f"contributor id `{cid}` must be lower-case words joined by '-'",
                        path, cline, f"use `{slugify(cid, fallback='someone')}`")
                p.rejected_ids.add(cid)
                continue
            contributor = _contributor(cid, entry, folder, path, cline, lang, p)
            if contributor is not None:
                found[cid] = (contributor, path, cline)
            else:
                p.rejected_ids.add(cid)
    total = 0  # each bio is limited on its own; all of them together too
    for cid, (contributor, path, cline) in found.items():
        total += block_count(contributor.bio)
        if total > MAX_BLOCKS:
            p.error(f"the bios hold more than {MAX_BLOCKS:,} paragraphs, headings and list "
                    f"items together (counting up to `{cid}`)", path, cline, "shorten the bios")
            break
    return found


def _contributor(cid, entry, folder, path, line, lang, p: _Problems) -> Contributor | None:
    if not isinstance(entry, LineDict):
        p.error(f"contributor `{cid}` needs indented fields (name, role, organisation, bio)",
                path, line)
        return None
    _check_keys(entry, CONTRIBUTOR_KEYS, path, p, "contributor field")
    name = str(entry.get("name") or "").strip()
    if not name:
        p.error(f"contributor `{cid}` has no name", path, line, "add `name: Full Name`")
        return None
    photo = None
    if entry.get("photo"):
        photo_line = entry.line_of("photo")
        target = p.guard(resolve_inside, folder, str(entry["photo"]), path, photo_line)
        errors_before = len(p.errors)
        if target is not None:
            p.guard(check_image, target, path, photo_line)
        if target is not None and len(p.errors) == errors_before:
            alt = str(entry.get("photo_alt") or "").strip() or name
            photo = Image(target, alt, hashlib.sha256(target.read_bytes()).hexdigest())
    organisation = entry.get("organisation", entry.get("organization")) or ""
    return Contributor(
        id=cid, name=smart_text(name, lang), role=smart_text(str(entry.get("role") or "").strip(), lang),
        organisation=smart_text(str(organisation).strip(), lang),
        bio=to_blocks(str(entry.get("bio") or ""), lang, path=path,
                      first_line=entry.line_of("bio")), photo=photo)


def _parse_body(body, body_line, path, lang, contributors, p: _Problems):
    """Split the Markdown into lede blocks and contributions."""
    tops = parse_top_blocks(body, lang, path=path, first_line=body_line)
    lede = []
    sections: list[tuple[str, int, list]] = []  # (headline, line, top blocks)
    for top in tops:
        line = top.line + body_line
        if top.heading_level == 1:
            p.error("a `# ` heading in the body", path, line,
                    "the title goes in the front matter; use `## ` for each contribution")
        elif top.heading_level == 2:
            sections.append((top.heading_text.strip(), line, []))
        elif sections:
            sections[-1][2].append(top)
        else:
            lede.append(top.block)

    used: dict[str, None] = {}  # ordered set
    uncredited: dict[str, None] = {}  # ids credited while there is no contributors file
    contributions = []
    for headline, line, tops in sections:
        meta = _meta_lines(tops, path, body_line, p)
        where = f"under `## {headline}`" if headline else "in a contribution without headline"
        by = [c.strip() for c in (meta.get("by", ("", line))[0]).split(",") if c.strip()]
        if not by:
            p.error(f"no contributor {where}", path, line,
                    "add a line `by: contributor-id` right below the headline")
        people = []
        for cid in by:
            if cid in contributors:
                people.append(contributors[cid][0])
                used[cid] = None
            elif p.unreadable_contributors or cid in p.rejected_ids:
                continue  # its entry's (or its file's) error is already reported
            elif p.no_contributors_file is not None:
                uncredited[cid] = None
            else:
                known = difflib.get_close_matches(cid, list(contributors), n=1)
                hint = (f"did you mean `{known[0]}`?" if known else
                        f"define `{cid}:` in {CONTRIBUTORS_FILE}")
                p.error(f"unknown contributor `{cid}`", path, meta.get("by", ("", line))[1], hint)
        c_lang = meta.get("lang", (None, 0))[0] or None
        if c_lang and not _LANG_TAG.match(c_lang):
            p.error(f"`lang: {c_lang}` is not a language tag", path, meta["lang"][1],
                    "use a code such as en, fr or ar")
            c_lang = None
        blocks = tuple(t.block for t in tops)
        if not plain_text(blocks).strip():
            p.warn(f"empty contribution {where}", path, line, "write its text below the `by:` line")
        pull = _pull_quote(blocks, meta)
        contributions.append(Contribution(headline=clean_line(headline), contributors=tuple(people),
                                          body=blocks, pull_quote=pull,
                                          lang=c_lang if c_lang != lang else None))
    if uncredited:  # one line for the missing file, not one per `by:`
        ids = list(uncredited)
        shown = ", ".join(f"`{cid}`" for cid in ids[:3]) + (", …" if len(ids) > 3 else "")
        p.error(f"{CONTRIBUTORS_FILE} not found: the contributions credit "
                f"{len(ids)} contributor{'s' if len(ids) != 1 else ''} ({shown})",
                p.no_contributors_file, None,
                f"create it with an entry per id (`{ids[0]}:` then indented `name:`, `role:`… "
                "lines), or list them under `contributors:` in the front matter")
    return tuple(lede), contributions, used


def _meta_lines(tops: list, path: Path, body_line: int, p: _Problems) -> dict:
    """Take the `key: value` paragraph right after a headline off the section.

    Returns {key: (value, line)}. A first paragraph that is ordinary prose is
    left alone; one that looks like a misspelt meta line (`bi: x`) is an error.
    """
    if not tops or not isinstance(tops[0].block, Paragraph):
        return {}
    first_line = tops[0].line + body_line
    raw_lines = tops[0].tokens[1].content.split("\n")  # the inline token keeps the source text
    matches = [_META_LINE.match(text.strip()) for text in raw_lines]
    keys = [m.group(1).lower().replace("_", "-") if m else None for m in matches]
    if not all(key in META_KEYS for key in keys):
        if len(raw_lines) == 1 and keys[0] and len(raw_lines[0]) < 80:
            close = difflib.get_close_matches(keys[0], sorted(META_KEYS), n=1, cutoff=0.5)
            if close:
                p.error(f"unknown meta line `{matches[0].group(1)}:`", path, first_line,
                        f"did you mean `{close[0]}:`?")
        return {}
    tops.pop(0)
    return {key: (match.group(2).strip(), first_line + offset)
            for offset, (key, match) in enumerate(zip(keys, matches))}


def _pull_quote(blocks, meta: dict) -> PullQuote | None:
    given = meta.get("pull-quote", (None, 0))[0]
    if given is not None:
        text = given.strip().strip("\"“”«»'")
        if text.lower() in ("none", "no", "off"):
            return None
        if text:
            return PullQuote(smart_text(text), "given")
    marked = _first_marked(blocks)
    if marked:
        return PullQuote(marked, "marked")
    auto = pick_pull_quote(blocks)
    return PullQuote(auto, "auto") if auto else None


def _first_marked(blocks) -> str:
    for block in blocks:
        if isinstance(block, Paragraph):
            run = []
            for span in block.spans:
                if span.marked:
                    run.append(span.text)
                elif run:
                    break
            if run:
                return " ".join("".join(run).split())
    return ""


def _cover_image(folder: Path, meta: LineDict, path: Path, p: _Problems) -> Image | None:
    """`cover_image: images/x.jpg` or `cover_image: {file: …, alt: …}`."""
    value = meta.get("cover_image")
    if not value:
        return None
    line = meta.line_of("cover_image")
    if isinstance(value, str):
        file, alt = value, ""
    elif isinstance(value, LineDict):
        _check_keys(value, {"file", "alt"}, path, p, "cover_image field")
        file, alt = str(value.get("file") or ""), str(value.get("alt") or "").strip()
    else:
        p.error("`cover_image` must be a file path or file/alt fields", path, line)
        return None
    if not alt:
        p.warn("the cover image has no alt text", path, line,
               "add `alt:` describing the picture, for readers of the tagged PDF")
    errors_before = len(p.errors)
    target = p.guard(resolve_inside, folder, file, path, line)
    if target is not None:
        p.guard(check_image, target, path, line)
    if target is None or len(p.errors) != errors_before:
        return None
    return Image(target, alt, hashlib.sha256(target.read_bytes()).hexdigest())


_FOCUS = re.compile(r"^\s*(\d+(?:\.\d+)?)%\s+(\d+(?:\.\d+)?)%\s*$")


def _cover_focus(meta: LineDict, path: Path, p: _Problems) -> tuple[float, float]:
    """`cover_focus: 50% 70%`: the cover picture's focal point, across then down."""
    value = meta.get("cover_focus")
    if value is None:
        return (50.0, 50.0)
    match = _FOCUS.match(str(value))
    if match is None or not all(0 <= float(v) <= 100 for v in match.groups()):
        p.error(f"bad cover_focus {str(value)!r}", path, meta.line_of("cover_focus"),
                "give two percentages from 0% to 100%, across then down: cover_focus: 50% 70%")
        return (50.0, 50.0)
    if not meta.get("cover_image"):
        p.warn("`cover_focus` has no `cover_image` to crop", path, meta.line_of("cover_focus"),
               "add a cover_image, or remove cover_focus")
    return (float(match.group(1)), float(match.group(2)))


def _call_to_action(meta: LineDict, path: Path, lang: str, p: _Problems) -> CallToAction | None:
    value = meta.get("call_to_action")
    if value is None:
        return None
    line = meta.line_of("call_to_action")
    if isinstance(value, str):
        return CallToAction(heading="", text=smart_text(value.strip(), lang))
    if not isinstance(value, LineDict):
        p.error("`call_to_action` must be text or heading/text/url fields", path, line)
        return None
    _check_keys(value, CTA_KEYS, path, p, "call_to_action field")
    url = str(value.get("url") or "").strip() or None
    if url and not is_allowed_link(url):
        p.error(f"call_to_action url `{url}` must start with https://, http:// or mailto:",
                path, value.line_of("url"))
    text = smart_text(str(value.get("text") or "").strip(), lang)
    if not text and not url:
        p.error("call_to_action needs `text` (and usually `url`)", path, line)
    return CallToAction(heading=smart_text(str(value.get("heading") or "").strip(), lang),
                        text=text, url=url)


def _colophon(meta: LineDict, path: Path, lang: str, p: _Problems) -> Colophon | None:
    """`colophon:` — address, issn, copyright, disclaimer: each text, each optional."""
    value = meta.get("colophon")
    if value is None:
        return None
    line = meta.line_of("colophon")
    if not isinstance(value, LineDict):
        p.error("`colophon` must be address/issn/copyright/disclaimer fields", path, line,
                "indent them under `colophon:`, e.g. `  issn: 0000-0000`")
        return None
    _check_keys(value, COLOPHON_KEYS, path, p, "colophon field")
    fields = {}
    for key in sorted(COLOPHON_KEYS):
        item = value.get(key)
        if isinstance(item, (dict, list)):
            p.error(f"colophon `{key}` must be text", path, value.line_of(key),
                    "write it on one line, or as a `|` block")
            item = None
        text = "" if item is None else " ".join(str(item).split())  # one line each
        fields[key] = smart_text(text, lang) if text else ""
    if not any(fields.values()):
        return None
    return Colophon(**fields)

