"""Layouts as data: find a layout folder, read and check its `layout.toml`.

A layout folder holds `layout.toml`, `templates/*.html.j2`, CSS and `fonts/`.
The manifest's fonts, colours and sizes drive both writers, so the PDF and the
DOCX of one layout look like siblings.

`extends = "policy-brief"` (a shipped name, or a path relative to the layout)
inherits everything the layout does not set: tables (colours, fonts, style,
docx) merge key by key, templates are looked up in the layout first and then in its
ancestors, and its stylesheets are applied after theirs.

Design tokens: `[style]` holds every size, leading, spacing, rule width and
picture size, once, for both writers (STYLE_TOKENS lists them with their units).
The PDF gets them as CSS custom properties (`size_body` → `--size-body: 10.5pt`)
that style.css uses; the DOCX builds its Word styles from the same numbers. A
root layout sets them all; a layout that extends another sets only what differs.
The sizes an older `[docx]` table held (body, small, title, subtitle, heading1,
heading2, pull_quote) are still read there, as the tokens they became
(DOCX_SIZES); setting one both there and in `[style]` is an error.
"""
from __future__ import annotations

import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import fsguard
from .errors import ErrorList, LayoutError

MANIFEST = "layout.toml"
#: the largest layout.toml read
MANIFEST_LIMIT = 1_000_000
DEFAULT_LAYOUT = "policy-brief"
PAGE_SIZES = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4), "A5": (148.0, 210.0)}
FONT_ROLES = ("body", "heading", "display", "arabic")
COLOUR_NAMES = ("accent", "accent_light", "text", "muted", "rule", "on_accent")
#: design tokens: name → (unit, lowest, highest, what it sets). Units: pt, mm, em, or
#: "" for a line height (a multiple of the font size). Order: as `layouts new` writes them.
STYLE_TOKENS: dict[str, tuple[str, float, float, str]] = {
    # font sizes
    "size_body": ("pt", 5, 96, "body text"),
    "size_lede": ("pt", 5, 96, "the lede's first paragraph"),
    "size_small": ("pt", 4, 96, "small print: cover contributors, agenda speakers, kickers"),
    "size_label": ("pt", 4, 96, "labels: 'In this issue', colophon, agenda heads"),
    "size_running_head": ("pt", 4, 96, "running heads and page numbers"),
    "size_publisher": ("pt", 4, 96, "publisher on the cover"),
    "size_series": ("pt", 5, 96, "series on the cover"),
    "size_issue_line": ("pt", 4, 96, "issue number and date on the cover"),
    "size_title": ("pt", 5, 96, "title"),
    "size_standfirst": ("pt", 5, 96, "standfirst under the title"),
    "size_cover_contributor": ("pt", 4, 96, "contributors listed on the cover"),
    "size_heading1": ("pt", 5, 96, "section headings"),
    "size_heading2": ("pt", 5, 96, "contribution headlines"),
    "size_heading3": ("pt", 5, 96, "headings inside a contribution"),
    "size_contents": ("pt", 4, 96, "contents entries"),
    "size_pull_quote": ("pt", 5, 96, "pull quotes"),
    "size_attribution": ("pt", 4, 96, "the name under a pull quote"),
    "size_initials": ("pt", 4, 96, "initials in place of a photo"),
    "size_bio_name": ("pt", 5, 96, "contributor name in the bios"),
    "size_bio_affiliation": ("pt", 4, 96, "contributor affiliation in the bios"),
    "size_bio": ("pt", 4, 96, "bio text"),
    "size_back_heading": ("pt", 5, 96, "back page heading"),
    "size_cta": ("pt", 5, 96, "back page call to action"),
    "size_agenda": ("pt", 4, 96, "agenda rows"),
    "size_chapter_title": ("pt", 5, 96, "pack chapter titles"),
    "size_chapter_standfirst": ("pt", 5, 96, "pack chapter standfirsts"),
    "size_annex_title": ("pt", 5, 96, "pack annex divider titles"),
    "size_prepared_for": ("pt", 4, 96, "'Prepared for' panel"),
    "size_divider_number": ("pt", 4, 96, "pack divider pages: the chapter's number ('Chapter 2')"),
    "size_divider_title": ("pt", 5, 96, "pack divider pages: the chapter's title"),
    # line heights, multiples of the font size
    "leading_body": ("", 0.8, 3, "body text"),
    "leading_lede": ("", 0.8, 3, "the lede's first paragraph"),
    "leading_heading": ("", 0.8, 3, "headings"),
    "leading_title": ("", 0.8, 3, "title"),
    "leading_series": ("", 0.8, 3, "series on the cover"),
    "leading_standfirst": ("", 0.8, 3, "standfirst"),
    "leading_pull_quote": ("", 0.8, 3, "pull quotes"),
    "leading_cover_contributor": ("", 0.8, 3, "contributors listed on the cover"),
    # spacing
    "space_paragraph": ("em", 0, 5, "space after a paragraph, in its own font size"),
    "space_section": ("mm", 0, 80, "space before a section heading"),
    "space_heading1": ("mm", 0, 80, "space after a section heading (below its rule)"),
    "pad_heading1": ("mm", 0, 30, "space between a section heading and its rule"),
    "space_piece": ("mm", 0, 80, "space before a contribution headline"),
    "space_heading2": ("mm", 0, 80, "space after a contribution headline"),
    "space_pull_quote_before": ("mm", 0, 80, "space before a pull quote"),
    "space_pull_quote_after": ("mm", 0, 80, "space after a pull quote"),
    "pad_pull_quote": ("mm", 0, 30, "pull quote padding above and below"),
    "indent_pull_quote": ("mm", 0, 50, "pull quote indent from its rule"),
    "space_bio": ("mm", 0, 50, "space after each bio"),
    # the back page's panel (call to action, colophon)
    "space_back": ("mm", 0, 200, "space above the back page's panel"),
    "pad_back": ("mm", 0, 10.9, "the back panel's padding (at most 31 pt: Word's limit)"),
    "rule_back": ("pt", 0, 12, "rule along the top of the back panel"),
    # a title block on page 1 (docx cover = "block", as memo's)
    "space_block_inner": ("mm", 0, 30, "title block: space after its title and standfirst"),
    "space_block_issue_line": ("mm", 0, 30, "title block: space after its issue line"),
    "pad_block": ("mm", 0, 30, "title block: space between its last line and its rule"),
    "space_block": ("mm", 0, 50, "title block: space below its rule"),
    "rule_block": ("pt", 0, 12, "title block: the rule that closes it"),
    "space_agenda_day": ("mm", 0, 30, "space before a day heading in a pack's agenda"),
    "pad_agenda": ("mm", 0, 10, "space between an agenda day or session heading and its rule"),
    "rule_agenda_day": ("pt", 0, 12, "rule under an agenda day heading (a session's: rule_piece)"),
    "space_divider_number": ("mm", 0, 30, "divider page: space under the chapter's number"),
    "space_divider_title": ("mm", 0, 30, "divider page: space under the title's rule"),
    "space_divider_line": ("mm", 0, 60, "divider page: space under the series and date"),
    "space_divider_label": ("mm", 0, 30, "divider page: space under 'In this chapter'"),
    "space_divider_item": ("mm", 0, 30, "divider page: space after each piece listed"),
    "space_divider": ("mm", 0, 200, "pack divider pages: space above the chapter's number"),
    # rule widths
    "rule_running_head": ("pt", 0, 12, "rule under the running head"),
    "rule_heading1": ("pt", 0, 12, "rule under section headings"),
    "rule_pull_quote": ("pt", 0, 12, "bar beside pull quotes and the 'Prepared for' panel"),
    "rule_cover": ("pt", 0, 12, "rule under the issue line on the cover"),
    "rule_piece": ("pt", 0, 12, "rule between contributions"),
    "rule_quote": ("pt", 0, 12, "bar beside block quotes"),
    "rule_divider": ("pt", 0, 12, "pack divider pages: rule under the chapter's title"),
    # pictures and columns
    "photo": ("mm", 5, 100, "contributor photo (and initials circle) size"),
    "photo_gap": ("mm", 0, 50, "gap between a bio photo and its text"),
    "cover_image": ("mm", 10, 300, "cover image height"),
    "agenda_time": ("mm", 5, 100, "agenda time column width"),
    "agenda_page": ("mm", 5, 100, "agenda page column width"),
    # scripts
    "scale_arabic": ("", 0.5, 2, "Arabic text's size, a factor on every size token: Naskh "
                     "at a Latin point size looks 15–20% smaller"),
    # the grid
    "side_column": ("mm", 0, 150, "an empty column on the text's start side of the body "
                    "pages, into which headings hang: it sets the measure (0: the text "
                    "takes the whole width)"),
}
#: tokens a layout of its own (without `extends`) may leave out, and their values
TOKEN_DEFAULTS = {"side_column": 0.0, "space_bio": 4.5, "scale_arabic": 1.0,
                  "space_block_inner": 2.0, "space_block_issue_line": 3.0, "pad_block": 4.0,
                  "space_block": 6.0, "rule_block": 1.5,
                  "space_back": 70.0, "pad_back": 10.0, "rule_back": 3.0,
                  "space_agenda_day": 5.0, "pad_agenda": 1.5, "rule_agenda_day": 1.0,
                  "space_divider_number": 3.0, "space_divider_title": 4.0,
                  "space_divider_line": 12.0, "space_divider_label": 2.0,
                  "space_divider_item": 2.5,

                  # the divider pages' (newer than most layouts; dividers are off by default)
                  "size_divider_number": 11.0, "size_divider_title": 30.0,
                  "space_divider": 70.0, "rule_divider": 2.0}
#: Fitting (see Layout.fitted): the tokens a document is set tighter by, where its
#: pages would leave a near-empty page, and how much (a factor on each). Small
#: enough that a reader does not notice: 4% of the leading, half the paragraph space.
FIT = {"leading_body": 0.96, "leading_lede": 0.96, "space_paragraph": 0.5, "space_piece": 0.6,
       "space_section": 0.7, "space_pull_quote_before": 0.6, "space_pull_quote_after": 0.6,
       "space_bio": 0.55}
#: the font sizes an older `[docx]` table held, and the tokens they are now
DOCX_SIZES = {"body": "size_body", "small": "size_small", "title": "size_title",
              "subtitle": "size_standfirst", "heading1": "size_heading1",
              "heading2": "size_heading2", "pull_quote": "size_pull_quote"}
#: ([docx] table; running_title, links and dividers shape the PDF too: links = "notes"
#: gives each external link a numbered note, a superscript and a list of URLs after the
#: piece; dividers = true gives each chapter of a pack a divider page before it)
DOCX_OPTIONS = {"cover": ("page", "block"), "contents": (True, False), "bio_columns": (1, 2),
                "bios": ("beside", "cards"), "running_title": ("full", "short"),
                "links": ("inline", "notes"), "dividers": (False, True)}

_TOP_KEYS = {"name", "description", "extends", "page_sizes", "margins_mm", "bleed_mm",
             "templates", "fonts", "colours", "style", "docx"}
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class FontFace:
    family: str
    file: Path
    weight: int = 400
    style: str = "normal"


@dataclass(frozen=True)
class Layout:
    name: str
    path: Path
    description: str
    page_sizes: tuple[str, ...]
    #: template folders, the layout's own first, then its ancestors'
    template_dirs: tuple[Path, ...]
    pdf_template: str
    #: the template of a pack (cover, contents, agenda, chapters, annexes)
    pack_template: str
    #: stylesheets in cascade order: ancestors' first, the layout's own last
    stylesheets: tuple[Path, ...]
    fonts: dict[str, str]
    faces: tuple[FontFace, ...]
    colours: dict[str, str]
    #: design tokens (STYLE_TOKENS): numbers in each token's unit, for both writers
    style: dict[str, float] = field(default_factory=dict)
    #: page margins in mm: top, right, bottom, left (shared by the PDF and the DOCX)
    margins_mm: tuple[float, float, float, float] = (24.0, 20.0, 22.0, 20.0)
    #: bleed added around the trimmed page when printing with --print
    bleed_mm: float = 3.0
    #: DOCX structure: cover ("page" or "block"), contents (bool), bio_columns (1 or 2)
    docx_options: dict = field(default_factory=dict)
    #: (name, template folder) of each ancestor, for `{% extends "policy-brief/…" %}`
    ancestors: tuple[tuple[str, Path], ...] = ()
    #: the folders of its ancestors, nearest first
    ancestor_folders: tuple[Path, ...] = ()

    @property
    def templates_dir(self) -> Path:
        return self.template_dirs[0]

    @property
    def folders(self) -> tuple[Path, ...]:
        """The layout's folder and its ancestors': what its files may be read from."""
        return (self.path,) + self.ancestor_folders

    def page_size(self, requested: str | None) -> str:
        if requested is None:
            return self.page_sizes[0]
        for size in self.page_sizes:
            if size.lower() == requested.lower():
                return size
        raise LayoutError(f"layout {self.name} has no page size {requested}",
                          hint=f"choose one of: {', '.join(self.page_sizes)}")

    @property
    def docx_sizes(self) -> dict[str, float]:
        """The older [docx] font sizes, read from the tokens they became."""
        return {old: self.style[token] for old, token in DOCX_SIZES.items()}

    def fitted(self) -> "Layout":
        """The layout set tighter by FIT: what both writers use for a document whose
        pages, set normally, would leave a section's last lines on a near-empty page."""
        style = dict(self.style)
        for token, factor in FIT.items():
            style[token] = round(style[token] * factor, 3)
        return replace(self, style=style)

    def token_css(self, name: str) -> str:
        """A token as a CSS value: `10.5pt`, `20mm`, `0.6em`, `1.45`."""
        return f"{self.style[name]:g}{STYLE_TOKENS[name][0]}"

    def style_css(self) -> str:
        """Every token as a custom property (`--size-body: 10.5pt`), on :root for the
        document and on @page for the margin boxes, which do not inherit from :root."""
        props = "; ".join(f"--{name.replace('_', '-')}: {self.token_css(name)}"
                          for name in self.style)
        return f":root {{ {props}; }}\n@page {{ {props}; }}"

    def font_face_css(self) -> str:
        """@font-face rules for the bundled fonts, so no system font is ever used."""
        rules = []
        for face in self.faces:
            rules.append(
                "@font-face { font-family: %s; src: url(%s); font-weight: %d; font-style: %s; }"
                % (_css_string(face.family), _css_string(face.file.as_uri()), face.weight,
                   face.style))
        return "\n".join(rules)

    def colour_css(self) -> str:
        props = "; ".join(f"--{name.replace('_', '-')}: {value}"
                          for name, value in self.colours.items())
        fonts = "; ".join(f"--font-{role}: {_css_string(family)}"
                          for role, family in self.fonts.items())
        return f":root {{ {props}; {fonts}; }}"


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def builtin_layouts_dir() -> Path:
    """The shipped layouts: the checkout's layouts/ folder, else the installed copy."""
    checkout = Path(__file__).resolve().parent.parent / "layouts"
    if checkout.is_dir():
        return checkout
    import briefgen_layouts  # the same folder, installed as package data

    return Path(next(iter(briefgen_layouts.__path__)))


def list_layouts() -> list[Layout]:
    root = builtin_layouts_dir()
    return [load_layout(p) for p in sorted(root.iterdir()) if (p / MANIFEST).is_file()]


def find_layout(name_or_path: str | None) -> Layout:
    """A shipped layout by name (`memo`), or a layout folder by path (`./memo`): a
    spec with a `/` is a path, anything else a name (see is_layout_path)."""
    return load_layout(_locate(name_or_path or DEFAULT_LAYOUT, None))


def is_layout_path(spec: str) -> bool:
    """True for a layout folder's path (it holds a `/`, or is `.` or `..`); false for
    a shipped layout's name. A folder named like a shipped layout is `./memo`."""
    return "/" in spec or "\\" in spec or spec in (".", "..")


def _locate(spec: str, relative_to: Path | None) -> Path:
    """The folder of a layout spec: a path (relative to `relative_to`, else to the
    current folder), or a shipped name. A name that is also a layout folder where
    a path would be looked for is an error, never a silent choice."""
    local = Path(spec) if relative_to is None or Path(spec).is_absolute() \
        else relative_to / spec
    if is_layout_path(spec):
        if not local.is_dir():
            raise LayoutError("layout folder not found", path=local,
                              hint="`briefgen layouts list` shows the shipped layouts")
        if not (local / MANIFEST).is_file():
            raise LayoutError(f"no {MANIFEST} in the layout folder", path=local,
                              hint="`briefgen layouts new NAME` makes a layout to start from")
        return local
    root = builtin_layouts_dir()
    shipped = root / spec
    as_path = f"./{spec}" if relative_to is None else str(local)
    local_layout = (local / MANIFEST).is_file() and (
        not shipped.is_dir() or not os.path.samefile(local, shipped))
    if (shipped / MANIFEST).is_file():
        if local_layout:
            raise LayoutError(f"layout {spec!r} is ambiguous: it names the shipped layout, "
                              f"and {as_path} is a layout folder",
                              hint=f"write {as_path} for the folder (a path has a /); for the "
                                   f"shipped {spec}, rename the folder or run from elsewhere")
        return shipped
    if local_layout:
        raise LayoutError(f"unknown layout {spec!r}: a name is a shipped layout's",
                          hint=f"for the layout folder, write a path: {as_path}")
    names = sorted(p.name for p in root.iterdir() if (p / MANIFEST).is_file())
    close = difflib.get_close_matches(spec, names, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"shipped layouts: {', '.join(names)}"
    raise LayoutError(f"unknown layout {spec!r}", hint=hint)


def _read_manifest(folder: Path) -> tuple[dict, list[str]]:
    manifest_path = folder / MANIFEST
    try:
        # Inside the layout folder, links followed: a manifest linked from elsewhere
        # is refused, like any file a layout brings.
        text = fsguard.read_bytes(folder, MANIFEST, limit=MANIFEST_LIMIT, what="layout manifest",
                                  error=LayoutError).decode("utf-8")
    except UnicodeDecodeError:
        raise LayoutError("layout.toml is not UTF-8 text", path=manifest_path,
                          hint="save it as UTF-8") from None
    try:
        return tomllib.loads(text), text.split("\n")
    except tomllib.TOMLDecodeError as exc:
        line = _line_from_message(str(exc))
        raise LayoutError(f"invalid TOML: {str(exc).split(' (at')[0]}", path=manifest_path,
                          line=line, hint="check quotes and brackets") from None


class LayoutErrors(ErrorList, LayoutError):
    """Every problem of one layout.toml, reported together."""


def load_layout(folder: Path, _children: tuple[Path, ...] = ()) -> Layout:
    """Read and check a layout folder. Every problem of its manifest is reported at
    once (LayoutErrors), as an issue's are; one alone as a LayoutError."""
    problems: list[LayoutError] = []
    try:
        return _load_layout(Path(folder), _children, problems)
    except (TypeError, ValueError, KeyError, AttributeError):
        if not problems:  # not a consequence of a problem already found: a bug
            raise
    _raise_problems(problems)


def _raise_problems(problems: list[LayoutError]) -> None:
    raise problems[0] if len(problems) == 1 else LayoutErrors(problems)


def _load_layout(folder: Path, _children: tuple[Path, ...],
                 problems: list[LayoutError]) -> Layout:
    folder = folder.resolve()
    manifest_path = folder / MANIFEST
    if folder in _children:
        raise LayoutError("layouts extend each other in a circle", path=manifest_path,
                          hint="remove one of the `extends` lines")
    data, lines = _read_manifest(folder)

    def fail(message, key=None, hint=None):
        # Recorded, and the checks go on: every problem is reported at once.
        problems.append(LayoutError(message, path=manifest_path, line=_line_of(lines, key),
                                    hint=hint))

    _known(data, _TOP_KEYS, fail, "key")
    for table in ("templates", "fonts", "colours", "style", "docx"):
        if table in data and not isinstance(data[table], dict):
            fail(f"`{table}` must be a table: a [{table}] line, then `key = value` lines",
                 table)
            data[table] = {}
    parent = None
    if "extends" in data:
        if not isinstance(data["extends"], str):
            fail("extends must be a layout name or folder", "extends")
        else:
            try:
                parent = load_layout(_locate(data["extends"], folder), _children + (folder,))
            except LayoutError as exc:
                if exc.path == manifest_path or isinstance(exc, ErrorList):
                    raise
                fail(f"cannot extend {data['extends']!r}: {exc.message}", "extends", exc.hint)
        if parent is None:  # what it would inherit is unknown: no follow-on "needs" lines
            _raise_problems(problems)

    name = str(data.get("name") or folder.name)
    sizes = data.get("page_sizes", list(parent.page_sizes) if parent else ["A4"])
    if not isinstance(sizes, list) or not sizes:
        fail("page_sizes must be a list such as [\"A4\", \"Letter\"]", "page_sizes")
        sizes = []
    for size in sizes:
        if size not in PAGE_SIZES:
            fail(f"unknown page size {size!r}", "page_sizes", f"use {', '.join(PAGE_SIZES)}")
    margins = data.get("margins_mm", list(parent.margins_mm) if parent else [24, 20, 22, 20])
    if (not isinstance(margins, list) or len(margins) != 4
            or not all(isinstance(m, (int, float)) and 0 <= m <= 60 for m in margins)):
        fail("margins_mm must be four numbers 0–60: [top, right, bottom, left]", "margins_mm")
        margins = [0, 0, 0, 0]
    bleed = data.get("bleed_mm", parent.bleed_mm if parent else 3.0)
    if not isinstance(bleed, (int, float)) or not 0 <= bleed <= 10:
        fail("bleed_mm must be a number from 0 to 10", "bleed_mm")
        bleed = 0

    templates = data.get("templates", {})
    _known(templates, {"pdf", "pack", "stylesheets"}, fail, "templates key")
    own_templates = folder / "templates"
    if own_templates.is_dir():
        fsguard.inside(folder, "templates", what="templates folder", error=LayoutError)
    template_dirs = ((own_templates,) if own_templates.is_dir() else ()) + \
        (parent.template_dirs if parent else ())
    if not template_dirs:
        fail("the layout has no templates/ folder", None, "add templates/issue.html.j2")
    pdf_template = templates.get("pdf", parent.pdf_template if parent else "issue.html.j2")
    if not any((d / pdf_template).is_file() for d in template_dirs):
        fail(f"missing template templates/{pdf_template}", "pdf",
             "create it or fix [templates] pdf")
    pack_template = templates.get("pack", parent.pack_template if parent else "pack.html.j2")
    if not any((d / pack_template).is_file() for d in template_dirs):
        fail(f"missing template templates/{pack_template}", "pack",
             "create it or fix [templates] pack")
    stylesheets = list(parent.stylesheets) if parent else []
    default_css = [] if parent and not (folder / "style.css").is_file() else ["style.css"]
    for css in templates.get("stylesheets", default_css):
        path = (folder / css).resolve()
        if not path.is_relative_to(folder):
            fail(f"stylesheet {css} leads outside the layout folder", "stylesheets",
                 "keep it inside, without '..' or links that point elsewhere")
        if not path.is_file():
            fail(f"stylesheet {css} not found in the layout folder", "stylesheets")
        stylesheets.append(path)

    fonts_table = data.get("fonts", {})
    _known(fonts_table, set(FONT_ROLES) | {"faces"}, fail, "fonts key")
    fonts = dict(parent.fonts) if parent else {}
    fonts.update({role: str(fonts_table[role]) for role in FONT_ROLES if role in fonts_table})
    for role in ("body", "heading"):
        if role not in fonts:
            fail(f"[fonts] needs `{role}`", "fonts", "name a family listed in [[fonts.faces]]")
    # `display` (title, headings, pull quotes) defaults to the heading family,
    # which also sets the small print (running heads, attributions).
    if "display" not in fonts_table and (parent is None or "heading" in fonts_table):
        fonts["display"] = fonts["heading"]
    faces = list(parent.faces) if parent else []
    for face in fonts_table.get("faces", []):
        found = len(problems)
        _known(face, {"family", "file", "weight", "style"}, fail, "font face key")
        if not isinstance(face, dict):
            continue
        if not isinstance(face.get("family"), str) or not face["family"].strip():
            fail("each [[fonts.faces]] needs `family`", "faces")
        if not isinstance(face.get("weight", 400), int) or not 100 <= face.get("weight", 400) <= 900:
            fail("a font weight is a number from 100 to 900 (400 regular, 700 bold)", "weight")
        path = (folder / str(face.get("file", ""))).resolve()
        if not path.is_relative_to(folder):
            fail(f"font file {face.get('file')} leads outside the layout folder",
                 face.get("file"), "keep it inside, without '..' or links that point elsewhere")
        if not path.is_file():
            fail(f"font file {face.get('file')} not found in the layout folder", face.get("file"))
        if face.get("style", "normal") not in ("normal", "italic"):
            fail("font style must be normal or italic", "style")
        if len(problems) > found:
            continue
        faces.append(FontFace(str(face["family"]), path, int(face.get("weight", 400)),
                              face.get("style", "normal")))
    families = {f.family for f in faces}
    for role, family in fonts.items():
        if family not in families:
            fail(f"font {family!r} ({role}) has no [[fonts.faces]] entry", role,
                 "bundle the font files with the layout and list them")

    colours = dict(parent.colours) if parent else {}
    own_colours = data.get("colours", {})
    _known(own_colours, set(COLOUR_NAMES), fail, "colour")
    for cname, value in own_colours.items():
        if not isinstance(value, str) or not _HEX.match(value):
            fail(f"bad colour {cname} = {value!r}", cname, "write colours as #rrggbb")
    colours.update(own_colours)
    for cname in COLOUR_NAMES:
        if cname not in colours:
            fail(f"[colours] needs `{cname}`", "colours")

    docx = data.get("docx", {})
    _known(docx, set(DOCX_SIZES) | set(DOCX_OPTIONS), fail, "docx key")
    own_style = data.get("style", {})
    _known(own_style, set(STYLE_TOKENS), fail, "style token")
    own_style = dict(own_style)
    for old, token in DOCX_SIZES.items():  # the sizes of an older [docx] table
        if old in docx:
            if token in own_style:
                fail(f"[docx] {old} and [style] {token} both set the same size", token,
                     f"keep only [style] {token}")
            own_style[token] = docx[old]
    style = dict(parent.style) if parent else {}
    for token, (unit, low, high, what) in STYLE_TOKENS.items():
        if token in own_style:
            value = own_style[token]
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or not low <= value <= high:
                where = next((o for o, t in DOCX_SIZES.items() if t == token and o in docx),
                             token)
                fail(f"[style] {token} ({what}) must be a number from {low:g} to {high:g}"
                     + (f" ({unit})" if unit else " (a multiple of the font size)"), where)
            style[token] = float(value)
        elif token not in style and token in TOKEN_DEFAULTS:
            style[token] = TOKEN_DEFAULTS[token]
        elif token not in style:
            fail(f"[style] needs `{token}` ({what})", "style" if "style" in data else None,
                 'set it, or inherit the others with extends = "policy-brief"')
    options = dict(parent.docx_options) if parent else {"cover": "page", "contents": True,
                                                         "bio_columns": 1, "bios": "beside",
                                                         "running_title": "full",
                                                         "links": "inline",
                                                         "dividers": False}
    for key, allowed in DOCX_OPTIONS.items():
        if key in docx:
            if docx[key] not in allowed or type(docx[key]) is not type(allowed[0]):
                shown = (str(v).lower() if isinstance(v, bool) else repr(v) for v in allowed)
                fail(f"[docx] {key} must be one of {', '.join(shown)}", key)
            options[key] = docx[key]

    if problems:
        _raise_problems(problems)
    ancestors = ((parent.name, parent.templates_dir),) + parent.ancestors if parent else ()
    ancestor_folders = (parent.path,) + parent.ancestor_folders if parent else ()
    return Layout(name=name, path=folder, description=str(data.get("description", "")),
                  page_sizes=tuple(sizes), template_dirs=template_dirs,
                  pdf_template=pdf_template, pack_template=pack_template,
                  stylesheets=tuple(stylesheets), fonts=fonts,
                  faces=tuple(faces), colours=colours, style=style,
                  margins_mm=tuple(float(m) for m in margins), bleed_mm=float(bleed),
                  docx_options=options, ancestors=ancestors, ancestor_folders=ancestor_folders)


def _known(table, allowed, fail, what):
    if not isinstance(table, dict):
        fail(f"expected a table of {what}s")
        return
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            fail(f"unknown {what} {key!r}", key,
                 f"did you mean {close[0]!r}?" if close else f"known: {', '.join(sorted(allowed))}")


def _line_of(lines: list[str], key) -> int | None:
    if key is None:
        return None
    # The key's own line (`key =` or `[key]`) first; a mention elsewhere only failing that.
    exact = re.compile(rf"^\s*\[*\s*{re.escape(str(key))}\s*[\]=]")
    for number, text in enumerate(lines, 1):
        if exact.search(text):
            return number
    for number, text in enumerate(lines, 1):
        if str(key) in text.split("#")[0]:
            return number
    return None


def _line_from_message(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


def copy_layout(source: str, name: str, destination: Path) -> Path:
    """Copy a layout (and what it inherits) into a stand-alone folder named `name`.

    The copy is flattened: the ancestors' templates, stylesheets and fonts come
    along, so it keeps working wherever the folder goes. Files are copied, never
    what a link points to: a symbolic link (or a special file) in the layout or
    its ancestors stops the copy before anything is written.
    """
    import shutil

    from .errors import UsageError
    from .slugs import slugify

    if slugify(name, fallback="") != name:
        raise UsageError(f"layout name {name!r} must be lower-case words joined by '-'",
                         hint=f"e.g. {slugify(name, fallback='my-layout')}")
    layout = find_layout(source)
    destination = Path(destination)
    if os.path.lexists(destination):
        raise UsageError("folder already exists", path=destination, hint="choose another name")
    chain = list(layout.folders)
    # target (relative to the copy) -> (folder, file relative to it), later entries winning
    files: dict[Path, tuple[Path, Path]] = {}
    for folder in reversed(chain):  # ancestors first, so the layout's own files win
        for relative in _plain_files(folder):
            if MANIFEST not in relative.parts:
                files[relative] = (folder, relative)
    # The copy's stylesheets: each ancestor's style.css would be overwritten by its
    # child's, so keep them all under distinct names, in cascade order.
    sheets = []
    for index, sheet in enumerate(layout.stylesheets):
        target = Path(sheet.name if index == len(layout.stylesheets) - 1
                      else f"{sheet.stem}-{index}{sheet.suffix}")
        owner = next(f for f in chain if sheet.is_relative_to(f))
        files[target] = (owner, sheet.relative_to(owner))
        sheets.append(target.name)
    for ancestor, folder in layout.ancestors:
        for relative in _plain_files(folder, skip=()):
            files[Path("templates", ancestor, relative)] = (folder.parent,
                                                            Path(folder.name, relative))
    manifest = _flat_manifest(layout, name).replace(
        "@@STYLESHEETS@@", ", ".join(f'"{s}"' for s in sheets))
    destination.mkdir(parents=True)
    try:
        for target, (folder, relative) in files.items():
            fsguard.write_bytes(destination, target,
                                fsguard.read_bytes(folder, relative, error=LayoutError),
                                error=LayoutError)
        fsguard.write_bytes(destination, MANIFEST, manifest.encode("utf-8"), error=LayoutError)
        load_layout(destination)  # the copy must be a valid layout
    except BaseException:
        shutil.rmtree(destination, ignore_errors=True)
        raise
    return destination


def _plain_files(folder: Path, skip: tuple[str, ...] = ("__pycache__",)) -> list[Path]:
    """Every regular file under `folder`, relative to it. A symbolic link or a
    special file (a FIFO would block the copy) is an error naming it."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in skip)
        for entry in dirnames + sorted(filenames):
            path = Path(dirpath) / entry
            if path.is_symlink():
                raise LayoutError(f"{path.relative_to(folder)} is a symbolic link; `layouts new` "
                                  "copies files, never what a link points to", path=path,
                                  hint="replace the link with a copy of the file it points to")
            if entry in filenames:
                if not path.is_file():
                    raise LayoutError(f"{path.relative_to(folder)} is not a regular file",
                                      path=path, hint="remove it from the layout folder")
                found.append(path.relative_to(folder))
    return found


def _flat_manifest(layout: Layout, name: str) -> str:
    def q(text):
        return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [f"# {name}: copied from {layout.name} by `briefgen layouts new`.",
             f"name = {q(name)}", f"description = {q(layout.description)}",
             f"page_sizes = [{', '.join(q(s) for s in layout.page_sizes)}]",
             f"margins_mm = [{', '.join(f'{m:g}' for m in layout.margins_mm)}]",
             f"bleed_mm = {layout.bleed_mm:g}", "",
             "[templates]", f"pdf = {q(layout.pdf_template)}", f"pack = {q(layout.pack_template)}",
             "stylesheets = [@@STYLESHEETS@@]",
             "", "[fonts]"]
    lines += [f"{role} = {q(family)}" for role, family in layout.fonts.items()]
    for face in layout.faces:
        lines += ["", "[[fonts.faces]]", f"family = {q(face.family)}",
                  f"file = {q('fonts/' + face.file.name)}", f"weight = {face.weight}",
                  f"style = {q(face.style)}"]
    lines += ["", "[colours]"] + [f"{k} = {q(v)}" for k, v in layout.colours.items()]
    lines += ["", "[style]  # design tokens: pt, mm, em or a line-height multiple (see layouts.py)"]
    lines += [f"{k} = {v:g}" for k, v in layout.style.items()]
    lines += ["", "[docx]  # DOCX structure"]
    for key, value in layout.docx_options.items():
        lines.append(f"{key} = {q(value) if isinstance(value, str) else str(value).lower()}")
    return "\n".join(lines) + "\n"
