"""Design tokens: one [style] table in layout.toml, the same numbers in the PDF and the DOCX.

For every shipped layout each token is read back where a reader would see it:
in the PDF from WeasyPrint's computed styles (the boxes of the laid-out sample),
in the DOCX from the Word style XML and the picture extents. Both must equal
the token, so they equal each other.
"""
from __future__ import annotations

import re
import shutil
import zipfile
from functools import lru_cache

import pytest
from lxml import etree

from briefgen.content.issue_folder import load_issue
from briefgen.content.pack_folder import load_pack
from briefgen.layouts import STYLE_TOKENS, find_layout, list_layouts
from briefgen.render import RenderOptions
from briefgen.render.pdf import Renderer, build_html

from .conftest import ROOT, run_cli

LAYOUTS = [layout.name for layout in list_layouts()]
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
PX_PT, PX_MM = 0.75, 25.4 / 96


# ---------------------------------------------------------------- PDF side

def _walk(box):
    yield box
    for child in getattr(box, "children", ()):
        yield from _walk(child)


def _classes(element) -> set[str]:
    return set((element.get("class") or "").split())


_PARENTS: dict = {}  # element → its parent (WeasyPrint's ElementTree has no getparent)


def _inside(element, cls: str) -> bool:
    element = _PARENTS.get(element)
    while element is not None:
        if cls in _classes(element):
            return True
        element = _PARENTS.get(element)
    return False


@lru_cache(maxsize=None)
def _laid_out(layout_name: str, sample: str):
    folder = ROOT / "content" / sample
    document = (load_pack(folder) if (folder / "pack.yaml").exists() else load_issue(folder))
    document = getattr(document, "issue", None) or document.pack
    layout = find_layout(layout_name)
    options = RenderOptions()
    rendered = Renderer(document, layout, options).render(build_html(document, layout, options))
    boxes = [box for page in rendered.pages for box in _walk(page._page_box)]
    for box in boxes:
        element = getattr(box, "element", None)
        if element is not None and hasattr(element, "iter"):
            for parent in element.iter():
                for child in parent:
                    _PARENTS[child] = parent
            break  # the root element: every element below it is now mapped
    return boxes


def _pdf_box(layout_name: str, sample: str, match):
    """The first box that matches; of an element split over pages, its last part
    (the first part of a split box has no bottom margin or border)."""
    found = None
    for box in _laid_out(layout_name, sample):
        element = getattr(box, "element", None)
        if type(box).__name__ == "MarginBox":
            if match(box):
                return box
        elif element is not None and isinstance(element.tag, str):
            if found is not None:
                if element is found.element and type(box) is type(found):
                    found = box
            elif match(element):
                found = box
    return found


def _el(tag=None, cls=None, inside=None, not_cls=None):
    def match(element):
        if not hasattr(element, "iter"):
            return False
        return ((tag is None or element.tag == tag)
                and (cls is None or cls in _classes(element))
                and (not_cls is None or not (_classes(element) & set(not_cls.split())))
                and (inside is None or _inside(element, inside)))
    return match


def _margin_box(keyword):
    return lambda box: getattr(box, "at_keyword", None) == keyword


def _size(box):
    return box.style["font_size"] * PX_PT


def _leading(box):
    height = box.style["line_height"]
    value = getattr(height, "value", height)
    return value if getattr(height, "unit", None) is None else value / box.style["font_size"]


def _px(attribute, unit):
    scale = PX_PT if unit == "pt" else PX_MM
    return lambda box: getattr(box, attribute) * scale


def _em(attribute):
    return lambda box: getattr(box, attribute) / box.style["font_size"]


TITLE = _el(cls="title", not_cls="contents-title")
H2 = _el(tag="h2", inside="lede")
PIECE = _el(cls="contribution")
PIECE_H3 = _el(tag="h3", inside="contribution")
PULL = _el(cls="pull-quote")
#: token → (sample, what to find, what to measure), each read in the token's unit
PDF_PROBES = {
    "size_body": ("nile-dispute", _el(tag="html"), _size),
    "leading_body": ("nile-dispute", _el(tag="html"), _leading),
    "space_paragraph": ("nile-dispute", _el(tag="p", inside="lede"), _em("margin_bottom")),
    "size_lede": ("nile-dispute", _el(tag="p", inside="lede"), _size),
    "leading_lede": ("nile-dispute", _el(tag="p", inside="lede"), _leading),
    "size_running_head": ("nile-dispute", _margin_box("@top-left"), _size),
    "rule_running_head": ("nile-dispute", _margin_box("@top-left"),
                          _px("border_bottom_width", "pt")),
    "size_title": ("nile-dispute", TITLE, _size),
    "leading_title": ("nile-dispute", TITLE, _leading),
    "size_standfirst": ("nile-dispute", _el(cls="standfirst"), _size),
    "leading_standfirst": ("nile-dispute", _el(cls="standfirst"), _leading),
    "size_heading1": ("nile-dispute", H2, _size),
    "leading_heading": ("nile-dispute", H2, _leading),
    "space_heading1": ("nile-dispute", H2, _px("margin_bottom", "mm")),
    "pad_heading1": ("nile-dispute", H2, _px("padding_bottom", "mm")),
    "rule_heading1": ("nile-dispute", H2, _px("border_bottom_width", "pt")),
    "space_section": ("nile-dispute", _el(cls="lede"), _px("margin_bottom", "mm")),
    "size_heading2": ("nile-dispute", PIECE_H3, _size),
    "space_heading2": ("nile-dispute", PIECE_H3, _px("margin_bottom", "mm")),
    "space_piece": ("nile-dispute", PIECE, _px("margin_bottom", "mm")),
    "rule_piece": ("nile-dispute", PIECE, _px("border_bottom_width", "pt")),
    "size_pull_quote": ("nile-dispute", _el(tag="p", inside="pull-quote"), _size),
    "leading_pull_quote": ("nile-dispute", _el(tag="p", inside="pull-quote"), _leading),
    "space_pull_quote_before": ("nile-dispute", PULL, _px("margin_top", "mm")),
    "space_pull_quote_after": ("nile-dispute", PULL, _px("margin_bottom", "mm")),
    "pad_pull_quote": ("nile-dispute", PULL, _px("padding_top", "mm")),
    "indent_pull_quote": ("nile-dispute", PULL, _px("padding_left", "mm")),
    "rule_pull_quote": ("nile-dispute", PULL, _px("border_left_width", "pt")),
    "size_attribution": ("nile-dispute", _el(cls="attribution"), _size),
    "size_bio_name": ("nile-dispute", _el(cls="bio-name"), _size),
    "size_bio_affiliation": ("nile-dispute", _el(cls="bio-affiliation"), _size),
    "size_bio": ("nile-dispute", _el(tag="p", inside="bio", not_cls="bio-affiliation bio-name"),
                 _size),
    "photo": ("nile-dispute", _el(cls="photo"), _px("width", "mm")),
    "size_initials": ("nile-dispute", _el(cls="placeholder"), _size),
    "size_contents": ("nile-dispute", _el(tag="li", inside="contents"), _size),
    "size_cta": ("nile-dispute", _el(cls="cta-text"), _size),
    "size_back_heading": ("nile-dispute", _el(tag="h2", inside="back"), _size),
    "space_back": ("nile-dispute", _el(cls="back"), _px("margin_top", "mm")),
    "pad_back": ("nile-dispute", _el(cls="back"), _px("padding_left", "mm")),
    "rule_back": ("nile-dispute", _el(cls="back"), _px("border_top_width", "pt")),
    "size_label": ("nile-dispute", _el(cls="colophon"), _size),
    "size_agenda": ("board-pack", _el(tag="table", inside="agenda"), _size),
    "agenda_time": ("board-pack", _el(tag="td", cls="time"), _px("width", "mm")),
    "size_small": ("board-pack", _el(cls="speakers", inside="agenda"), _size),
    "size_chapter_title": ("board-pack", _el(cls="chapter-title", inside="chapter",
                                             not_cls="divider-title"), _size),
    "size_chapter_standfirst": ("board-pack", _el(cls="chapter-standfirst"), _size),
    "size_annex_title": ("board-pack", _el(tag="h2", inside="annex-divider"), _size),
    "size_divider_number": ("board-pack", _el(cls="divider-number"), _size),
    "size_divider_title": ("board-pack", _el(tag="h2", inside="chapter-divider"), _size),
    "space_divider": ("board-pack", _el(cls="chapter-divider"), _px("padding_top", "mm")),
    "rule_divider": ("board-pack", _el(tag="h2", inside="chapter-divider"),
                     _px("border_bottom_width", "pt")),
}
#: a pack in a layout with divider pages (policy-brief, conference) opens its chapters
#: with them, its title there: no chapter title at size_chapter_title; in one without
#: (memo) no divider. None: the layout does not show the token.
NOT_SHOWN = {"dividers": ("size_chapter_title",),
             "no dividers": ("size_divider_number", "size_divider_title", "space_divider",
                             "rule_divider")}
#: where a layout's issue does not show an element, the probe is read from its pack
#: or skipped (memo: no contents or cover page; its title block has its own classes)
LAYOUT_PROBES = {
    "memo": {"space_block": ("nile-dispute", _el(cls="memo-head"), _px("margin_bottom", "mm")),
             "pad_block": ("nile-dispute", _el(cls="memo-head"), _px("padding_bottom", "mm")),
             "rule_block": ("nile-dispute", _el(cls="memo-head"),
                            _px("border_bottom_width", "pt")),
             "space_block_inner": ("nile-dispute", _el(cls="title", inside="memo-head"),
                                   _px("margin_bottom", "mm")),
             "space_block_issue_line": ("nile-dispute", _el(cls="memo-issue"),
                                        _px("margin_bottom", "mm")),
             "size_series": ("nile-dispute", _el(cls="memo-series"), _size),
             "size_issue_line": ("nile-dispute", _el(cls="memo-issue"), _size),
             "size_cover_contributor": ("nile-dispute", _el(cls="memo-contributors"), _size),
             "size_contents": ("board-pack", _el(tag="li", inside="contents"), _size)},
    "conference": {"size_publisher": ("nile-dispute", _el(cls="publisher"), _size),
                   "size_series": ("nile-dispute", _el(cls="series"), _size),
                   "size_issue_line": ("nile-dispute", _el(cls="cover-issue"), _size),
                   "size_bio": ("nile-dispute", _el(tag="p", inside="speaker",
                                                    not_cls="bio-affiliation bio-name"), _size),
                   "size_cover_contributor": ("board-pack", _el(tag="li", inside="cover-contributors"),
                                              _size),
                   "size_contents": ("board-pack", _el(tag="li", inside="contents"), _size)},
    "policy-brief": {"size_publisher": ("nile-dispute", _el(cls="publisher"), _size),
                     "size_series": ("nile-dispute", _el(cls="series"), _size),
                     "size_issue_line": ("nile-dispute", _el(cls="cover-issue"), _size),
                     "rule_cover": ("nile-dispute", _el(cls="cover-issue"),
                                    _px("border_bottom_width", "pt")),
                     "size_cover_contributor": ("nile-dispute",
                                                _el(tag="li", inside="cover-contributors"), _size),
                     "agenda_page": ("board-pack", _el(tag="td", cls="paper"), _px("width", "mm")),
                     "leading_series": ("nile-dispute", _el(cls="series"), _leading),
                     "leading_cover_contributor": ("nile-dispute",
                                                   _el(tag="li", inside="cover-contributors"),
                                                   _leading)},
}


def pdf_value(layout_name: str, token: str):
    dividers = find_layout(layout_name).docx_options["dividers"]
    if token in NOT_SHOWN["dividers" if dividers else "no dividers"]:
        return None
    probe = LAYOUT_PROBES.get(layout_name, {}).get(token) or PDF_PROBES.get(token)
    if probe is None:
        return None
    sample, match, measure = probe
    box = _pdf_box(layout_name, sample, match)
    assert box is not None, f"{layout_name}: no element for {token} in {sample}"
    return measure(box)


@pytest.mark.parametrize("layout_name", LAYOUTS)
def test_pdf_computed_styles_are_the_tokens(layout_name):
    layout = find_layout(layout_name)
    checked, wrong = [], []
    for token in STYLE_TOKENS:
        value = pdf_value(layout_name, token)
        if value is None:
            continue
        checked.append(token)
        expected = layout.style[token]
        if abs(value - expected) > 0.02 * max(1, expected):
            wrong.append(f"{token}: PDF {value:.3g}, token {expected:g}")
    assert not wrong, wrong
    assert len(checked) >= 40, checked  # nearly every token is visible in the samples


# ---------------------------------------------------------------- the CSS itself

def _css_without_comments(path):
    return re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)


@pytest.mark.parametrize("layout_name", LAYOUTS)
def test_stylesheets_write_no_token_by_hand(layout_name):
    """Font sizes, line heights and the token-backed lengths are var()s, never numbers."""
    layout = find_layout(layout_name)
    found = []
    for sheet in layout.stylesheets:
        css = _css_without_comments(sheet)
        for number, line in enumerate(css.split("\n"), 1):
            for prop in ("font-size", "line-height", "width", "height", "gap"):
                for match in re.finditer(rf"(?<![-\w]){prop}\s*:\s*([^;}}]+)", line):
                    value = match.group(1).strip()
                    if prop == "font-size" and re.search(r"\d(pt|px|mm)", value):
                        found.append(f"{sheet.name}:{number}: {match.group(0)}")
                    if prop == "line-height" and re.fullmatch(r"[\d.]+", value):
                        found.append(f"{sheet.name}:{number}: {match.group(0)}")
                    if prop in ("width", "height", "gap") and value in {
                            f"{layout.style[t]:g}mm" for t in ("photo", "photo_gap",
                                                                "cover_image", "agenda_time",
                                                                "agenda_page")}:
                        found.append(f"{sheet.name}:{number}: {match.group(0)}")
    assert not found, found


def test_a_hand_written_size_is_caught(tmp_path):
    """The check above can fail: a stylesheet with `font-size: 10pt` is reported."""
    sheet = tmp_path / "style.css"
    sheet.write_text("/* font-size: 9pt */ .x { font-size: 10pt; }\n", encoding="utf-8")
    css = _css_without_comments(sheet)
    assert re.findall(r"font-size\s*:\s*([^;]+)", css) == ["10pt"]


def test_every_token_is_a_custom_property():
    from briefgen.render.pdf import page_css

    for layout in list_layouts():
        css = page_css(layout, RenderOptions())
        for token in STYLE_TOKENS:
            assert f"--{token.replace('_', '-')}: {layout.token_css(token)};" in css


# ---------------------------------------------------------------- layout.toml

def _manifest(tmp_path, text):
    folder = tmp_path / "house"
    folder.mkdir()
    (folder / "layout.toml").write_text('extends = "policy-brief"\n' + text, encoding="utf-8")
    return folder


def test_tokens_inherit_through_extends(tmp_path):
    folder = _manifest(tmp_path, "[style]\nsize_body = 11\n")
    house, memo = find_layout(str(folder)), find_layout("memo")
    assert house.style["size_body"] == 11
    assert house.style["size_title"] == find_layout("policy-brief").style["size_title"]
    assert memo.style["leading_body"] == 1.3 and memo.style["size_title"] == 19
    assert list(memo.style) == list(STYLE_TOKENS)


@pytest.mark.parametrize("text, message, line", [
    ("[style]\nsize_bdy = 11\n", "unknown style token 'size_bdy' — did you mean 'size_body'?", 3),
    ("[style]\nleading_body = \"tall\"\n", "[style] leading_body (body text) must be a number", 3),
    ("\n[style]\nphoto = 0\n", "[style] photo (contributor photo", 4),
    ("[style]\nsize_body = 11\n[docx]\nbody = 11\n", "[docx] body and [style] size_body", 3),
])
def test_token_errors_name_the_line(tmp_path, text, message, line):
    folder = _manifest(tmp_path, text)
    result = run_cli("validate", ROOT / "content" / "nile-dispute", "--layout", folder)
    assert result.exit_code == 2, result.output
    assert f"layout.toml:{line}: {message}" in result.output
    assert "Traceback" not in result.output


def test_old_docx_sizes_are_read_as_tokens(tmp_path):
    folder = _manifest(tmp_path, "[docx]\ntitle = 24\nsubtitle = 12\n")
    layout = find_layout(str(folder))
    assert layout.style["size_title"] == 24 and layout.style["size_standfirst"] == 12


def test_a_root_layout_must_set_every_token(tmp_path):
    source = find_layout("policy-brief")
    text = (source.path / "layout.toml").read_text(encoding="utf-8")
    folder = tmp_path / "root"
    shutil.copytree(source.path, folder)
    (folder / "layout.toml").write_text(re.sub(r"(?m)^size_cta = .*\n", "", text),
                                        encoding="utf-8")
    result = run_cli("validate", ROOT / "content" / "nile-dispute", "--layout", folder)
    assert result.exit_code == 2 and "[style] needs `size_cta`" in result.output, result.output


def test_layouts_new_writes_every_token(tmp_path):
    copy = tmp_path / "house-conference"
    assert run_cli("layouts", "new", "house-conference", "--from", "conference",
                   "-o", copy).exit_code == 0
    text = (copy / "layout.toml").read_text(encoding="utf-8")
    style = text.split("[style]")[1].split("\n[")[0]
    assert "size_title = 22" in style and "leading_body = 1.4" in style
    assert "body =" not in text.split("[docx]")[1]  # the DOCX table keeps structure only
    assert find_layout(str(copy)).style == find_layout("conference").style


# ---------------------------------------------------------------- DOCX side

@pytest.fixture(scope="module")
def docx_builds(tmp_path_factory):
    """layout → {sample: DOCX path}: the issue in every layout, the pack in the default."""
    out = tmp_path_factory.mktemp("token-docx")
    built = {}
    for layout_name in LAYOUTS:
        samples = ["nile-dispute"] + (["board-pack"] if layout_name == "policy-brief" else [])
        for sample in samples:
            result = run_cli("build", ROOT / "content" / sample, "--layout", layout_name,
                             "-f", "docx", "-o", out / layout_name)
            assert result.exit_code == 0, result.output
            built.setdefault(layout_name, {})[sample] = out / layout_name / f"{sample}.docx"
    return built


class _Word:
    """The parts of a DOCX a token shows in: its styles (inheritance resolved) and body."""

    def __init__(self, path):
        with zipfile.ZipFile(path) as z:
            self.styles = etree.fromstring(z.read("word/styles.xml"))
            self.body = etree.fromstring(z.read("word/document.xml"))
        # Word stores its built-in names in lower case ("heading 1", "header").
        self.by_name = {s.find(W + "name").get(W + "val").lower(): s
                        for s in self.styles.iter(W + "style") if s.find(W + "name") is not None}
        self.by_id = {s.get(W + "styleId"): s for s in self.styles.iter(W + "style")}

    def _find(self, name, path):
        style = self.by_name[name.lower()]
        while style is not None:
            found = style.find(path)
            if found is not None:
                return found
            based = style.find(W + "basedOn")
            style = self.by_id.get(based.get(W + "val")) if based is not None else None
        return None

    def attr(self, name, path, attribute):
        found = self._find(name, path)
        return None if found is None or found.get(W + attribute) is None \
            else float(found.get(W + attribute))

    def size(self, name):
        return self.attr(name, f"{W}rPr/{W}sz", "val") / 2


def _twips_mm(twips):
    return twips / 20 * 25.4 / 72


def _docx_size(style):
    return lambda word: word.size(style)


def _docx_leading(style):
    return lambda word: word.attr(style, f"{W}pPr/{W}spacing", "line") / 20 / word.size(style)


def _docx_space(style, side, minus=0.0):
    return lambda word: _twips_mm(word.attr(style, f"{W}pPr/{W}spacing", side)) - minus


def _docx_edge(style, side, attribute="sz"):
    def read(word):
        value = word.attr(style, f"{W}pPr/{W}pBdr/{W}{side}", attribute)
        if value is None:  # no border: a rule of width 0
            return 0.0 if attribute == "sz" else None
        return value / 8 if attribute == "sz" else value * 25.4 / 72
    return read


def _docx_photo(word):
    extents = [e for e in word.body.iter("{*}extent")]
    return min(float(e.get("cx")) for e in extents) / 36000  # EMU → mm


def _docx_agenda(column, padding=4):
    def read(word):
        grid = [float(c.get(W + "w")) for c in word.body.iter(W + "gridCol")]
        return _twips_mm(grid[column]) - padding  # Word's width holds the cell padding
    return read


def _pull_quote_padding(word, layout):
    return layout.style["pad_pull_quote"]


from briefgen.render.docx import names as N  # noqa: E402

#: token → (sample, reader) on the DOCX side, in the token's unit
DOCX_PROBES = {
    "size_body": _docx_size("Normal"),
    "leading_body": _docx_leading("Normal"),
    "space_paragraph": lambda w: w.attr(N.STYLE_BODY, f"{W}pPr/{W}spacing", "after") / 20
    / w.size(N.STYLE_BODY),
    "size_lede": _docx_size(N.STYLE_LEDE),
    "leading_lede": _docx_leading(N.STYLE_LEDE),
    "size_running_head": _docx_size("Header"),
    "rule_running_head": _docx_edge("Header", "bottom"),
    "size_title": _docx_size("Title"),
    "leading_title": _docx_leading("Title"),
    "size_standfirst": _docx_size(N.STYLE_STANDFIRST),
    "leading_standfirst": _docx_leading(N.STYLE_STANDFIRST),
    "size_publisher": _docx_size(N.STYLE_PUBLISHER),
    "size_series": _docx_size(N.STYLE_SERIES),
    "leading_series": _docx_leading(N.STYLE_SERIES),
    "size_issue_line": _docx_size(N.STYLE_ISSUE_LINE),
    "size_label": _docx_size(N.STYLE_COVER_LABEL),
    "size_cover_contributor": _docx_size(N.STYLE_COVER_CONTRIBUTOR),
    "leading_cover_contributor": _docx_leading(N.STYLE_COVER_CONTRIBUTOR),
    "size_heading1": _docx_size("Heading 1"),
    "leading_heading": _docx_leading("Heading 1"),
    "space_section": _docx_space("Heading 1", "before"),
    "space_heading1": _docx_space("Heading 1", "after"),
    "pad_heading1": _docx_edge("Heading 1", "bottom", "space"),
    "rule_heading1": _docx_edge("Heading 1", "bottom"),
    "size_heading2": _docx_size("Heading 2"),
    "space_piece": _docx_space("Heading 2", "before"),
    "space_heading2": _docx_space("Heading 2", "after"),
    "size_heading3": _docx_size("Heading 3"),
    "size_contents": _docx_size("TOC 2"),
    "size_pull_quote": _docx_size(N.STYLE_PULL_QUOTE),
    "leading_pull_quote": _docx_leading(N.STYLE_PULL_QUOTE),
    "indent_pull_quote": lambda w: _twips_mm(w.attr(N.STYLE_PULL_QUOTE, f"{W}pPr/{W}ind",
                                                    "left")),
    "rule_pull_quote": _docx_edge(N.STYLE_PULL_QUOTE, "left"),
    "size_attribution": _docx_size(N.STYLE_ATTRIBUTION),
    "size_bio_name": _docx_size(N.STYLE_BIO_NAME),
    "size_bio_affiliation": _docx_size(N.STYLE_BIO_AFFILIATION),
    "size_bio": _docx_size(N.STYLE_BIO),
    "size_cta": _docx_size(N.STYLE_CTA),
    "pad_back": _docx_edge(N.STYLE_CTA, "left", "space"),
    "rule_back": _docx_edge(N.STYLE_BACK_HEADING, "top"),
    "size_agenda": _docx_size(N.STYLE_AGENDA_ITEM),
    "size_small": _docx_size(N.STYLE_AGENDA_SPEAKERS),
    "size_prepared_for": _docx_size(N.STYLE_PREPARED_FOR),
    "rule_quote": _docx_edge("Quote", "left"),
    "photo": _docx_photo,
    # defined in every DOCX (a pack's divider pages, in layouts with dividers = true)
    "size_divider_number": _docx_size(N.STYLE_DIVIDER_NUMBER),
    "size_divider_title": _docx_size(N.STYLE_DIVIDER_TITLE),
    "space_divider": _docx_space(N.STYLE_DIVIDER_NUMBER, "before"),
    "rule_divider": _docx_edge(N.STYLE_DIVIDER_TITLE, "bottom"),
}
#: a title block's (memo: docx cover = "block"), read from its styles
DOCX_BLOCK_PROBES = {
    "space_block_inner": _docx_space("Title", "after"),
    "space_block_issue_line": _docx_space(N.STYLE_ISSUE_LINE, "after"),
    "space_block": _docx_space(N.STYLE_COVER_CONTRIBUTOR, "after"),
    "pad_block": _docx_edge(N.STYLE_COVER_CONTRIBUTOR, "bottom", "space"),
    "rule_block": _docx_edge(N.STYLE_COVER_CONTRIBUTOR, "bottom"),
}
#: read from the pack (the agenda is a table there)
DOCX_PACK_PROBES = {"agenda_time": _docx_agenda(0), "agenda_page": _docx_agenda(2)}
#: what the PDF and the DOCX must agree on, for every layout (the pull quote's space
#: in Word is the PDF box's margin plus its padding, so those are compared as a sum)
POINT_TOLERANCE = {"pt": 0.05, "mm": 0.2, "em": 0.02, "": 0.02}


@pytest.mark.parametrize("layout_name", LAYOUTS)
def test_docx_styles_are_the_tokens(docx_builds, layout_name):
    layout = find_layout(layout_name)
    word = _Word(docx_builds[layout_name]["nile-dispute"])
    probes = dict(DOCX_PROBES)
    if layout.docx_options["cover"] != "page":
        probes.pop("rule_cover", None)
        probes.update(DOCX_BLOCK_PROBES)
    wrong = []
    for token, read in probes.items():
        if token == "photo" and layout_name == "conference":
            pass
        value = read(word)
        expected = layout.style[token]
        if value is None or abs(value - expected) > POINT_TOLERANCE[STYLE_TOKENS[token][0]] \
                * max(1, expected):
            wrong.append(f"{token}: DOCX {value}, token {expected:g}")
    pull = _Word(docx_builds[layout_name]["nile-dispute"])
    before = _twips_mm(pull.attr(N.STYLE_PULL_QUOTE, f"{W}pPr/{W}spacing", "before"))
    after = _twips_mm(pull.attr(N.STYLE_PULL_QUOTE, f"{W}pPr/{W}spacing", "after"))
    style = layout.style
    if abs(before - style["space_pull_quote_before"] - style["pad_pull_quote"]) > 0.2:
        wrong.append(f"pull quote space before {before:.2f} mm")
    if abs(after - style["space_pull_quote_after"] - style["pad_pull_quote"]) > 0.2:
        wrong.append(f"pull quote space after {after:.2f} mm")
    if layout_name == "policy-brief":
        pack = _Word(docx_builds[layout_name]["board-pack"])
        for token, read in DOCX_PACK_PROBES.items():
            if abs(read(pack) - style[token]) > 0.2:
                wrong.append(f"{token}: DOCX {read(pack):.2f}, token {style[token]:g}")
    assert not wrong, wrong


@pytest.mark.parametrize("layout_name", LAYOUTS)
def test_pdf_and_docx_show_the_same_tokens(docx_builds, layout_name):
    """The comparison itself: each token visible in both, read from both, equal."""
    word = _Word(docx_builds[layout_name]["nile-dispute"])
    compared, wrong = [], []
    block = find_layout(layout_name).docx_options["cover"] != "page"
    for token, read in {**DOCX_PROBES, **(DOCX_BLOCK_PROBES if block else {})}.items():
        pdf = pdf_value(layout_name, token)
        if pdf is None:
            continue
        docx_value = read(word)
        unit = STYLE_TOKENS[token][0]
        compared.append(token)
        if abs(pdf - docx_value) > POINT_TOLERANCE[unit] * max(1, abs(pdf)):
            wrong.append(f"{token}: PDF {pdf:.3g} {unit}, DOCX {docx_value:.3g} {unit}")
    assert not wrong, wrong
    assert len(compared) >= 25, compared
