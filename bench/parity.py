"""Does the DOCX paginate like the PDF? A table for every sample × layout × page size.

For each combination it builds the PDF and the DOCX, converts the DOCX with
LibreOffice (the editor's view, and a stand-in for Word), and prints:

- pages: the PDF's page count and the DOCX's (through LibreOffice);
- headings: how many sections (the outline's contents) start on the same page
  in both, out of how many;
- cover: whether the DOCX's cover fits on one page (its page 2 holds no cover text);
- contents: whether every page number the DOCX's contents show (the cached
  PAGEREF results) equals the page the section really starts on in the DOCX.

    .venv/bin/python bench/parity.py [--only SAMPLE] [--layout NAME]

The functions are used by tests/test_parity.py too.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ("nile-dispute", "arabic-brief", "energy-forum", "board-pack")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass
class Parity:
    sample: str
    layout: str
    size: str
    pdf_pages: int
    docx_pages: int
    headings_matched: int
    headings: int
    cover_one_page: bool
    contents_right: bool
    mismatches: list

    @property
    def matches(self) -> bool:
        return (self.pdf_pages == self.docx_pages and self.headings_matched == self.headings
                and self.cover_one_page and self.contents_right)


def _bookmark_pages(pdf_path: Path) -> dict[str, int]:
    """Bookmark title → page (first occurrence), flattened."""
    import pypdf

    reader = pypdf.PdfReader(str(pdf_path))
    found: dict[str, int] = {}

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                title = " ".join(item.title.split())
                found.setdefault(title, reader.get_destination_page_number(item) + 1)

    walk(reader.outline)
    return found


def _page_texts(pdf_path: Path) -> list[str]:
    import pypdf

    return [" ".join((p.extract_text() or "").split()) for p in pypdf.PdfReader(str(pdf_path)).pages]


def docx_contents_numbers(docx_path: Path) -> dict[str, str]:
    """Bookmark name → the page number the DOCX's contents show for it (cached result)."""
    from defusedxml import ElementTree as ET

    with zipfile.ZipFile(docx_path) as z:
        root = ET.fromstring(z.read("word/document.xml"))
    numbers: dict[str, str] = {}
    for paragraph in root.iter(f"{W}p"):
        style = paragraph.find(f"{W}pPr/{W}pStyle")
        if style is None or not style.get(f"{W}val", "").lower().startswith("toc"):
            continue
        state, name, text = None, None, ""
        for node in paragraph.iter():
            if node.tag == f"{W}instrText" and "PAGEREF" in (node.text or ""):
                name, state, text = node.text.split()[1], "instr", ""
            elif node.tag == f"{W}fldChar" and state:
                kind = node.get(f"{W}fldCharType")
                if kind == "separate":
                    state = "result"
                elif kind == "end" and state == "result":
                    numbers[name] = text.strip()
                    state = None
            elif node.tag == f"{W}t" and state == "result":
                text += node.text or ""
    return numbers


def docx_heading_bookmarks(docx_path: Path) -> dict[str, str]:
    """Bookmark name (_Toc_…) → the text of the paragraph it marks."""
    from defusedxml import ElementTree as ET

    with zipfile.ZipFile(docx_path) as z:
        root = ET.fromstring(z.read("word/document.xml"))
    found = {}
    for paragraph in root.iter(f"{W}p"):
        for mark in paragraph.iter(f"{W}bookmarkStart"):
            name = mark.get(f"{W}name", "")
            if name.startswith("_Toc"):
                found[name] = " ".join("".join(t.text or "" for t in paragraph.iter(f"{W}t")).split())
    return found


def _cover_fits(texts: list[str], document, layout_name: str) -> bool:
    """The DOCX's cover is one page: the body (its contents page, the first thing
    after the cover) starts on page 2. Layouts without a cover page pass."""
    from briefgen.i18n import labels
    from briefgen.layouts import find_layout

    options = find_layout(layout_name).docx_options
    if options.get("cover") != "page" or not options.get("contents"):
        return True
    title = labels(document.lang)["contents"]
    first = next((i for i, text in enumerate(texts) if i and title in text), None)
    return first == 1


def convert(docx_path: Path, out_dir: Path) -> Path:
    profile = out_dir / "lo-profile"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(out_dir), str(docx_path)],
                   check=True, capture_output=True, timeout=180)
    return out_dir / (docx_path.stem + ".pdf")


def measure(sample: str, layout: str, size: str, work: Path) -> Parity:
    from briefgen.content.pack_folder import is_pack, load_pack
    from briefgen.content.issue_folder import load_issue
    from briefgen.outline import build_outline

    source = ROOT / "content" / sample
    out = work / f"{sample}-{layout}-{size}"
    env = dict(os.environ, BRIEFGEN_CACHE="off")
    subprocess.run([sys.executable, "-m", "briefgen", "build", str(source), "--layout", layout,
                    "--page-size", size, "-o", str(out)], check=True, capture_output=True, env=env,
                   cwd=work)
    pdf = next(out.glob("*.pdf"))
    docx = next(out.glob("*.docx"))
    converted = convert(docx, out / "lo")
    document = load_pack(source).pack if is_pack(source) else load_issue(source).issue
    outline = build_outline(document)
    pdf_marks, docx_marks = _bookmark_pages(pdf), _bookmark_pages(converted)
    mismatches = []
    matched = 0
    for entry in outline.contents:
        label = " ".join(entry.label.split())
        a, b = pdf_marks.get(label), docx_marks.get(label)
        if a is not None and a == b:
            matched += 1
        else:
            mismatches.append(f"{entry.id}: pdf p{a} docx p{b}")
    texts = _page_texts(converted)
    cover_one_page = _cover_fits(texts, document, layout)
    shown = docx_contents_numbers(docx)
    headings = docx_heading_bookmarks(docx)
    contents_right = True
    for name, number in shown.items():
        real = docx_marks.get(headings.get(name, ""))
        if not number or real is None or str(real) != number:
            contents_right = False
            mismatches.append(f"contents {headings.get(name, name)!r}: shows {number or '—'}, "
                              f"is p{real}")
    return Parity(sample, layout, size, len(_page_texts(pdf)), len(texts), matched,
                  len(outline.contents), cover_one_page, contents_right, mismatches)


def combinations(only: str | None = None, layout_only: str | None = None):
    from briefgen.layouts import list_layouts

    for layout in list_layouts():
        if layout_only and layout.name != layout_only:
            continue
        for sample in SAMPLES:
            if only and sample != only:
                continue
            for size in layout.page_sizes:
                yield sample, layout.name, size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only")
    parser.add_argument("--layout")
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args()
    if not shutil.which("soffice"):
        print("parity: LibreOffice (soffice) is needed", file=sys.stderr)
        return 1
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'sample':14} {'layout':13} {'size':7} {'pages pdf/docx':>15} "
              f"{'headings':>9} {'cover':>6} {'contents':>9}")
        for sample, layout, size in combinations(args.only, args.layout):
            row = measure(sample, layout, size, Path(tmp))
            rows.append(row)
            print(f"{sample:14} {layout:13} {size:7} {row.pdf_pages:>7}/{row.docx_pages:<7} "
                  f"{row.headings_matched:>4}/{row.headings:<4} "
                  f"{'yes' if row.cover_one_page else 'NO':>6} "
                  f"{'right' if row.contents_right else 'WRONG':>9}", flush=True)
            if args.verbose:
                for line in row.mismatches:
                    print(f"    {line}")
    good = sum(r.matches for r in rows)
    print(f"{good} of {len(rows)} combinations match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
