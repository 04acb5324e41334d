"""The PDF is accessible and standards-clean by default (issue 15, PDF side).

Every sample under content/ (the pack too) is built once per layout, A4 where the
layout has it, and read back with pikepdf: the structure tree, the parent tree,
the link annotations, the XMP and the catalog. Text is read with pdfplumber (the
glyphs of each marked-content sequence), pdftotext and pypdf.
"""
from __future__ import annotations

import re
import subprocess
from collections import defaultdict
from functools import cache
from pathlib import Path

import pdfplumber
import pikepdf
import pypdf
import pytest
import tinyhtml5

from briefgen.content.issue_folder import load_issue
from briefgen.content.pack_folder import is_pack, load_pack
from briefgen.layouts import find_layout
from briefgen.render import RenderOptions
from briefgen.render.pdf import build_html

from .conftest import ROOT, need_tool, run_cli

SAMPLES = ("nile-dispute", "energy-forum", "arabic-brief", "board-pack")
LAYOUTS = ("policy-brief", "memo", "conference")
CASES = [(sample, layout) for sample in SAMPLES for layout in LAYOUTS]
IDS = [f"{sample}-{layout}" for sample, layout in CASES]

RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
HEADING = re.compile(r"/H([1-6])$")
ARABIC = re.compile(r"[\u0600-\u06ff]")


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """(sample, layout) → the PDF built with the layout's first page size (A4 for
    policy-brief and memo, A5 for conference), built once for the module."""
    out = tmp_path_factory.mktemp("a11y")
    built = {}
    for sample, layout in CASES:
        folder = out / layout
        result = run_cli("build", ROOT / "content" / sample, "--layout", layout,
                         "--format", "pdf", "-o", folder)
        assert result.exit_code == 0, result.output
        built[sample, layout] = folder / f"{sample}.pdf"
    return built


@pytest.fixture(params=CASES, ids=IDS)
def case(request, builds):
    sample, layout = request.param
    return sample, layout, builds[sample, layout]


# ------------------------------------------------------------------ reading the PDF

class Tagged:
    """A built PDF's structure tree, with the text of each marked-content sequence."""

    def __init__(self, path: Path):
        self.path = path
        self.pdf = pikepdf.open(path)
        self.page_index = {page.objgen: index for index, page in enumerate(self.pdf.pages)}
        self.root = self.pdf.Root.StructTreeRoot
        self.text = defaultdict(str)  # (page index, MCID) → its glyphs' text
        with pdfplumber.open(path) as doc:
            for index, page in enumerate(doc.pages):
                for char in page.chars:
                    if char.get("mcid") is not None:
                        self.text[index, char["mcid"]] += char["text"]
        self.elements = []  # [(depth, element, its own text)] in tree order
        self.reached = set()
        self.parent = {}  # element objgen → its parent element
        document = self.root.K[0] if isinstance(self.root.K, pikepdf.Array) else self.root.K
        self.document = document
        self._walk(document, 0)

    def _walk(self, element, depth):
        self.reached.add(element.objgen)
        page = self.page_index.get(element.Pg.objgen) if "/Pg" in element else None
        kids = element.get("/K", [])
        kids = kids if isinstance(kids, pikepdf.Array) else [kids]
        own = "".join(self.text.get((page, int(kid)), "") for kid in kids
                      if not isinstance(kid, pikepdf.Dictionary))
        self.elements.append((depth, element, own))
        for kid in kids:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                self.parent[kid.objgen] = element
                self._walk(kid, depth + 1)

    def ancestor(self, element, kind: str):
        while element.objgen in self.parent:
            element = self.parent[element.objgen]
            if element.S == kind:
                return element
        return None

    def words(self, element) -> str:
        """All the text under `element`, in tree order."""
        parts, inside, depth0 = [], False, None
        for depth, candidate, own in self.elements:
            if candidate.objgen == element.objgen:
                inside, depth0 = True, depth
                parts.append(own)
                continue
            if inside:
                if depth <= depth0:
                    break
                parts.append(own)
        return " ".join(" ".join(parts).split())

    def tree_text(self) -> str:
        return " ".join(" ".join(own for _, _, own in self.elements).split())

    def headings(self) -> list[tuple[int, str]]:
        return [(int(HEADING.match(str(element.S)).group(1)), self.words(element))
                for _, element, _ in self.elements if HEADING.match(str(element.S))]


@cache
def tagged(path: Path) -> Tagged:
    return Tagged(path)


@cache
def source_html(sample: str, layout: str) -> str:
    folder = ROOT / "content" / sample
    document = load_pack(folder).pack if is_pack(folder) else load_issue(folder).issue
    return build_html(document, find_layout(layout), RenderOptions())


def flat(text: str) -> str:
    return " ".join(text.split())


def dom_blocks(sample: str, layout: str) -> list[tuple[str, str]]:
    """(tag, words) of the headings, paragraphs and list items a reader meets, in
    the HTML's order: without what is hidden (aria-hidden) or decoration (the
    cover band)."""
    root = tinyhtml5.parse(source_html(sample, layout), namespace_html_elements=False)
    found = []

    def walk(element):
        if element.get("aria-hidden") == "true" or "cover-band" in (element.get("class") or ""):
            return
        if element.tag in ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li"):
            # The words of its first text: CSS may put words between its children.
            words = next((flat(piece) for piece in element.itertext() if piece.strip()), "")
            if words:
                found.append((element.tag, words))
            return
        for child in element:
            walk(child)

    walk(root.find("body"))
    return found


# ------------------------------------------------------------------ the tests

def test_root_children_in_reading_order(case):
    """The Document element's children come page by page, and the tree reads the
    headings, paragraphs and list items in the order of the source."""
    sample, layout, path = case
    doc = tagged(path)
    pages = [doc.page_index[kid.Pg.objgen] for kid in doc.document.K if "/Pg" in kid]
    assert pages == sorted(pages)
    text = doc.tree_text().casefold()
    position = 0
    for tag, words in dom_blocks(sample, layout):
        if ARABIC.search(words):
            continue  # pdfplumber gives right-to-left glyphs in visual order
        # The first words of each block: hyphenation may split a later one.
        start = " ".join(words.split()[:2]).casefold().rstrip(",.:;")
        found = text.find(start, position)
        assert found >= 0, f"{tag} {words[:60]!r} is missing or out of order in the tree"
        position = found + len(start)


def test_bios_read_person_by_person(case):
    """In the tree, each contributor's name, then their role, then the next
    contributor, in the source's order: also in the memo's two columns."""
    sample, layout, path = case
    doc = tagged(path)
    html = source_html(sample, layout)
    people = re.findall(r'class="bio-name">([^<]+)</h3>\s*(?:<p class="bio-affiliation">'
                        r'([^<]+)</p>)?', html)
    assert people
    names = [flat(name) for name, _ in people]
    if ARABIC.search(html):
        return  # pdfplumber gives right-to-left glyphs in visual order
    in_tree = [doc.words(element) for _, element, _ in doc.elements
               if str(element.S) == "/H3" and doc.words(element) in names]
    assert in_tree == names
    # The tree's text from each bio's name to the next one's.
    joined, starts = "", []
    for _, element, own in doc.elements:
        if str(element.S) == "/H3" and doc.words(element) in names:
            starts.append(len(joined))
        joined += own + " "
    for (name, role), start, stop in zip(people, starts, starts[1:] + [len(joined)]):
        bio = flat(joined[start:stop])
        assert bio.startswith(flat(name))
        assert not any(other in bio for other in names if other != flat(name))
        if role:
            assert flat(role).split()[0] in bio, (name, role)


def test_headings_have_no_skipped_level(case):
    _, _, path = case
    levels = [level for level, _ in tagged(path).headings()]
    assert levels and levels[0] == 1, levels
    for before, after in zip(levels, levels[1:]):
        assert after <= before + 1, f"H{before} is followed by H{after}: {levels}"
    assert max(levels) <= 3


def test_every_figure_has_alt(case):
    _, _, path = case
    figures = [element for _, element, _ in tagged(path).elements if element.S == "/Figure"]
    for figure in figures:
        assert str(figure.get("/Alt", "")).strip(), figure


def test_running_heads_and_footers_are_pagination_artifacts(case):
    """The margin boxes' text is drawn as /Artifact /Pagination (Header, Footer)
    and is in no structure element; nothing in the parent tree points outside the
    tree."""
    sample, layout, path = case
    doc = tagged(path)
    chosen = find_layout(layout)
    top, _, bottom, _ = chosen.margins_mm
    subtypes = set()
    for page in doc.pdf.pages:
        for operands, operator in pikepdf.parse_content_stream(page):
            if str(operator) == "BDC" and operands[0] == "/Artifact" \
                    and operands[1].get("/Type") == "/Pagination":
                subtypes.add(str(operands[1].get("/Subtype")))
    assert subtypes == {"/Header", "/Footer"}
    with pdfplumber.open(path) as plumber:
        for index, page in enumerate(plumber.pages[1:], 1):
            margin = [c for c in page.chars if c["bottom"] < top * 72 / 25.4
                      or c["top"] > page.height - bottom * 72 / 25.4]
            tagged_there = "".join(c["text"] for c in margin if c.get("mcid") is not None)
            assert not tagged_there, f"page {index + 1}: {tagged_there!r} is tagged"
    assert not re.search(r"\bPage \d+ of \d+\b", doc.tree_text())
    nums = doc.root.ParentTree.Nums
    for i in range(0, len(nums), 2):
        value = nums[i + 1]
        for parent in (value if isinstance(value, pikepdf.Array) else [value]):
            if isinstance(parent, pikepdf.Dictionary):
                assert parent.objgen in doc.reached, "the parent tree points outside the tree"


def test_initials_and_cover_band_are_artifacts(case):
    """The initials that stand in for a photo (aria-hidden) are neither in the
    tree nor extracted; the cover band is decoration, outside the tree."""
    sample, layout, path = case
    doc = tagged(path)
    html = source_html(sample, layout)
    initials = re.findall(r'class="photo placeholder" aria-hidden="true">([^<]+)<', html)
    tree = doc.tree_text()
    for letters in initials:
        assert not re.search(rf"(^| ){re.escape(letters)}( |$)", tree), letters
    plain = subprocess.run([need_tool("pdftotext"), str(path), "-"], capture_output=True,
                           text=True, check=True).stdout
    for letters in initials:
        assert not re.search(rf"^{re.escape(letters)}$", plain, re.M), letters
    band = re.search(r'<header class="cover-band">(.*?)</header>', html, re.S)
    if band:
        first_page = {own for _, element, own in doc.elements
                      if "/Pg" in element and doc.page_index[element.Pg.objgen] == 0}
        for line in re.findall(r">([^<>]+)</p>", band.group(1)):
            assert flat(line).casefold() not in {flat(own).casefold() for own in first_page}, line


def test_one_labelled_printable_link_per_entry_in_the_tree(case):
    """A contents entry is one link annotation (not one per box of the entry),
    printed, with /Contents naming its target in words; every link annotation
    hangs from a Link structure element through an OBJR and the parent tree."""
    sample, layout, path = case
    doc = tagged(path)
    nums = doc.root.ParentTree.Nums
    parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    html = source_html(sample, layout)
    ids = set(re.findall(r' id="([^"]+)"', html))
    entries = re.findall(r'<li class="level-\d"><a href="#([^"]+)">', html)
    per_list = defaultdict(lambda: defaultdict(int))  # L element → target → annotations
    annotations = 0
    for page in doc.pdf.pages:
        for annotation in page.get("/Annots", []):
            if annotation.get("/Subtype") != "/Link":
                continue
            annotations += 1
            assert int(annotation.get("/F", 0)) & 4, "the Print flag"
            words = str(annotation.get("/Contents", ""))
            assert words and words not in ids, f"/Contents {words!r} names no target in words"
            parent = parents[int(annotation.StructParent)]
            assert parent.S == "/Link" and parent.objgen in doc.reached
            assert any(isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR"
                       and kid.Obj.objgen == annotation.objgen for kid in parent.K)
            ancestor = doc.ancestor(parent, "/L")
            if ancestor is not None and "/Dest" in annotation:
                per_list[ancestor.objgen][str(annotation.Dest)] += 1
    if entries:
        contents = max(per_list.values(), key=len)
        assert dict(contents) == {target: 1 for target in entries}
    links_in_tree = [element for _, element, _ in doc.elements if element.S == "/Link"]
    assert len(links_in_tree) == annotations, "a Link element per annotation, no more"


def test_contents_entry_names_its_target(builds):
    """The sample's contents: 9 entries, 9 annotations, each named by the title of
    what it leads to."""
    with pikepdf.open(builds["nile-dispute", "policy-brief"]) as pdf:
        annotations = [(str(a.get("/Dest", "")), str(a.Contents)) for a in pdf.pages[1].Annots]
    assert len(annotations) == 9
    assert annotations[0] == ("overview", "Overview")
    assert annotations[2] == ("contribution-1", "Without shared rules, the first drought will "
                                                "decide the relationship")
    assert annotations[-1] == ("back", "Stay informed")


def test_catalog_and_xmp_identify_pdf_ua_1(case):
    _, _, path = case
    doc = tagged(path)
    root = doc.pdf.Root
    assert root.MarkInfo.Marked is True
    assert root.ViewerPreferences.DisplayDocTitle is True
    lang = str(root.Lang)
    assert lang in ("en", "ar")
    with doc.pdf.open_metadata() as meta:
        assert meta.get("dc:title")
        assert meta.get("dc:language") == {lang}
        assert meta.get("pdfuaid:part") == "1"
    assert doc.pdf.pdf_version == "1.7"


def test_letter_spaced_capitals_extract_as_words(case):
    sample, layout, path = case
    plain = subprocess.run([need_tool("pdftotext"), str(path), "-"], capture_output=True,
                           text=True, check=True).stdout
    pypdf_text = "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    spaced = re.compile(r"\b(?:[A-ZÀ-Þ] ){3,}")
    assert not spaced.search(plain), spaced.search(plain).group(0)
    assert not spaced.search(pypdf_text), spaced.search(pypdf_text).group(0)
    # The letter-spaced labels of the covers (policy-brief, and a pack's on any layout).
    expected = []
    if layout == "policy-brief" and sample != "arabic-brief":
        publisher = re.search(r'<p class="publisher">([^<]+)</p>', source_html(sample, layout))
        expected.append(publisher.group(1).upper())
    if sample == "board-pack":
        expected.append("IN THIS PACK")
    elif layout == "policy-brief" and sample != "arabic-brief":
        expected.append("IN THIS ISSUE")
    for words in expected:
        assert words in plain, words
        assert words in pypdf_text, words


def test_outputs_pass_qpdf_check(case):
    qpdf = need_tool("qpdf")
    _, _, path = case
    result = subprocess.run([qpdf, "--check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_memo_bios_read_in_logical_order_with_pdftotext(builds):
    path = builds["nile-dispute", "memo"]
    plain = subprocess.run([need_tool("pdftotext"), str(path), "-"], capture_output=True,
                           text=True, check=True).stdout
    bios = plain[plain.rindex("Contributors"):]
    order = [bios.index(s) for s in ("Amira Haddad", "Senior Fellow", "Tesfaye Bekele",
                                     "Energy Economist", "Omar el-Tayeb", "Research Associate")]
    assert order == sorted(order), order


def test_memo_bios_in_logical_order_in_the_content_and_pypdf(builds):
    path = builds["nile-dispute", "memo"]
    raw = subprocess.run([need_tool("pdftotext"), "-raw", str(path), "-"], capture_output=True,
                         text=True, check=True).stdout
    pypdf_text = "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    for text in (raw, pypdf_text):
        bios = text[text.rindex("Contributors"):]
        order = [bios.index(s) for s in ("Amira Haddad", "Senior Fellow", "Tesfaye Bekele",
                                         "Energy Economist", "Omar el-Tayeb", "Research Associate")]
        assert order == sorted(order), order


@pytest.mark.parametrize("variant, ua", [("pdf/a-2u", "1"), ("pdf/a-3b", "1"),
                                         ("pdf/ua-2", "2"), ("pdf/a-1b", None)])
def test_pdf_variant_still_chooses_and_pdf_a_2_3_stay_ua(tmp_path, variant, ua):
    result = run_cli("build", ROOT / "content" / "nile-dispute", "--format", "pdf",
                     "--pdf-variant", variant, "-o", tmp_path)
    assert result.exit_code == 0, result.output
    with pikepdf.open(tmp_path / "nile-dispute.pdf") as pdf:
        with pdf.open_metadata() as meta:
            assert meta.get("pdfaid:part", None) == (variant[6] if "/a-" in variant else None)
            assert meta.get("pdfuaid:part", None) == ua
            assert meta.get("dc:language") == {"en"}
        xmp = pdf.Root.Metadata.read_bytes()
        # PDF/A accepts pdfuaid:part only with its extension schema.
        assert (b"<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>" in xmp) == \
            (ua is not None and "/a-" in variant)


def test_docx_accessibility_title_header_row_headings_and_languages(tmp_path):
    """Issue 15, the DOCX: a title in the core properties, the agenda's header row
    marked, headings without a skipped level, and the language on every run that
    differs from the document's (an English piece inside an Arabic issue)."""
    import docx as python_docx
    from docx.oxml.ns import qn

    out = tmp_path / "out"
    for sample in ("board-pack", "arabic-brief"):
        assert run_cli("build", ROOT / "content" / sample, "--format", "docx",
                       "-o", out).exit_code == 0
    pack = python_docx.Document(str(out / "board-pack.docx"))
    assert pack.core_properties.title == "Water and Energy in the Mediterranean"
    agenda = pack.tables[0]
    assert agenda.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    levels = [int(p.style.name.split()[-1]) for p in pack.paragraphs
              if p.style.name.startswith("Heading ")]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:]))
    arabic = python_docx.Document(str(out / "arabic-brief.docx"))
    assert arabic.core_properties.title
    english = next(p for p in arabic.paragraphs if p.text.startswith("Local jobs"))
    for run in english.runs:
        lang = run._r.rPr.find(qn("w:lang"))
        assert lang is not None and lang.get(qn("w:val")) == "en"
