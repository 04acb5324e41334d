"""PDF editions made by copying: the shared pages written once per variant, each
edition's own cover page grafted onto them with pikepdf (render/pdf_editions.py).
The copy must be a whole, valid, tagged document: qpdf finds nothing wrong, the
recipient's cover is in the structure tree, bookmarks and links land where they
do in the pack, and nothing of another recipient is in any edition."""
from __future__ import annotations

import subprocess

import pdfplumber
import pikepdf
import pytest

from .conftest import ROOT, need_tool, run_cli
from .test_editions_more import pdf_everything
from .test_packs import outline as bookmarks
from .test_trust_editions import embedded_characters

PACK = ROOT / "content" / "board-pack"
# two board members (the annex), two others; all in one batch, one variant each
PEOPLE = {"ada-lovelace": ("Ada Lovelace", "Analytical Engines", "board"),
          "zofia-durcova": ("Žofia Ďurčová", "Řád", "board"),
          "bob-smith": ("Bob Smith", "City Council", ""),
          "oystein-aero": ("Øystein Ærø", "Þing", "")}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("copied")
    source = tmp / "list.csv"
    source.write_text("name;organisation;groups\n" + "".join(
        f"{name};{org};{groups}\n" for name, org, groups in PEOPLE.values()), encoding="utf-8")
    out = tmp / "out"
    result = run_cli("build", PACK, "--recipients", source, "-o", out, "--format", "pdf")
    assert result.exit_code == 0, result.output
    whole = run_cli("build", PACK, "-o", tmp / "pack", "--format", "pdf")
    assert whole.exit_code == 0, whole.output
    # the edition files are named by slugify: find each by its recipient
    files = {}
    for path in out.glob("*.pdf"):
        with pdfplumber.open(path) as pdf:
            cover = pdf.pages[0].extract_text() or ""
        files[next(key for key, (name, _, _) in PEOPLE.items()
                   if name in " ".join(cover.split()))] = path
    assert sorted(files) == sorted(PEOPLE)
    return files, tmp / "pack" / "board-pack.pdf"


def test_every_edition_passes_qpdf_check(built):
    files, _ = built
    for path in files.values():
        check = subprocess.run([need_tool("qpdf"), "--check", str(path)], capture_output=True,
                               text=True)
        assert check.returncode == 0, (path.name, check.stdout, check.stderr)
        assert "No syntax or stream encoding errors" in check.stdout


def mcids_drawn(page) -> set[int]:
    """The MCIDs of a page's tagged content (outside artifacts)."""
    found, stack = set(), []
    for operands, operator in pikepdf.parse_content_stream(page):
        op = str(operator)
        if op == "BDC":
            properties = operands[1]
            if isinstance(properties, pikepdf.Dictionary) and "/MCID" in properties \
                    and "/Artifact" not in stack:
                found.add(int(properties.MCID))
        if op in ("BMC", "BDC"):
            stack.append(str(operands[0]))
        elif op == "EMC":
            stack.pop()
    return found


def tree(pdf):
    """(element objgen → (element, parent objgen)) of every structure element reached
    from the StructTreeRoot, and (page index, MCID) → element objgen of the MCIDs
    the tree holds."""
    root = pdf.Root.StructTreeRoot
    elements, marked = {}, {}
    pages = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
    stack = [(kid, root.objgen) for kid in root.K]
    while stack:
        element, parent = stack.pop()
        assert element.objgen not in elements, "an element reached twice"
        elements[element.objgen] = (element, parent)
        assert element.P.objgen == parent, (str(element.S), "its /P is not its parent")
        if element.S != "/Document":
            assert element.Pg.objgen in pages, (str(element.S), "its /Pg is not a page")
        for kid in element.K:
            if isinstance(kid, int):
                key = (pages[element.Pg.objgen], kid)
                assert key not in marked, ("an MCID in two elements", key)
                marked[key] = element.objgen
            elif kid.get("/Type") == "/OBJR":
                assert kid.Pg.objgen in pages
            else:
                stack.append((kid, element.objgen))
    return elements, marked


def test_the_structure_tree_holds_every_page_and_the_recipients_cover(built):
    files, _ = built
    for key, path in files.items():
        name = PEOPLE[key][0]
        with pikepdf.open(path) as pdf:
            elements, marked = tree(pdf)
            nums = pdf.Root.StructTreeRoot.ParentTree.Nums
            parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
            for index, page in enumerate(pdf.pages):
                drawn = mcids_drawn(page)
                if index <= 1:
                    assert drawn, f"{path.name}: page {index + 1} has no tagged text"
                mapping = parents[int(page.obj.StructParents)]
                for mcid in drawn:
                    # in the tree, on this page, and the parent tree says so
                    assert (index, mcid) in marked, (path.name, index + 1, mcid)
                    assert mapping[mcid].objgen == marked[index, mcid], (path.name, index, mcid)
            # every annotation's StructParent leads to an element holding it
            for page in pdf.pages:
                for annotation in page.obj.get("/Annots", ()):
                    if "/StructParent" in annotation:
                        element = parents[int(annotation.StructParent)]
                        assert element.objgen in elements
        # The recipient's name on the cover: tagged text, its element in a P of
        # the cover's Sect, reachable from the root.
        with pdfplumber.open(path) as pdf:
            found = pdf.pages[0].search(f"Prepared for {name}", regex=False, return_chars=True)
            assert len(found) == 1, (path.name, found)
            ids = {c.get("mcid") for c in found[0]["chars"] if c["text"] in name}
            assert None not in ids, f"{path.name}: the name is not tagged"
        with pikepdf.open(path) as pdf:
            elements, marked = tree(pdf)
            for mcid in ids:
                chain, objgen = [], marked[0, mcid]
                while objgen in elements:
                    element, objgen = elements[objgen]
                    chain.append(str(element.S))
                assert objgen == pdf.Root.StructTreeRoot.objgen
                assert "/P" in chain and chain[-2:] == ["/Sect", "/Document"], chain


def destinations(pdf) -> list[tuple[int, int]]:
    """(page index of the link, page index of its target) of every internal link."""
    pages = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
    named = {}
    if "/Names" in pdf.Root and "/Dests" in pdf.Root.Names:
        named = {str(k): v for k, v in pikepdf.NameTree(pdf.Root.Names.Dests).items()}
    found = []
    for index, page in enumerate(pdf.pages):
        for annotation in page.obj.get("/Annots", ()):
            dest = annotation.get("/Dest")
            if dest is None and "/A" in annotation and annotation.A.get("/S") == "/GoTo":
                dest = annotation.A.D
            if dest is None:
                continue
            if isinstance(dest, (pikepdf.String, pikepdf.Name)):
                dest = named[str(dest).lstrip("/")]
            found.append((index, pages[dest[0].objgen]))
    return found


def test_bookmarks_and_links_land_where_they_do_in_the_pack(built):
    files, whole = built
    with pikepdf.open(whole) as pdf:
        pack_links = destinations(pdf)
    assert pack_links  # the contents and the agenda link to their pages
    for key in ("ada-lovelace", "zofia-durcova"):  # the board: the whole pack
        assert bookmarks(files[key]) == bookmarks(whole)
        with pikepdf.open(files[key]) as pdf:
            assert destinations(pdf) == pack_links
            named = pikepdf.NameTree(pdf.Root.Names.Dests)
            pages = {page.obj.objgen for page in pdf.pages}
            assert all(dest[0].objgen in pages for _, dest in named.items())
    for key in ("bob-smith", "oystein-aero"):
        marks = bookmarks(files[key])
        assert marks[0][2] == 1 and len({page for _, _, page in marks}) > 5
        with pikepdf.open(files[key]) as pdf:
            links = destinations(pdf)
            assert links and all(0 <= target < len(pdf.pages) for _, target in links)


#: letters of a recipient's name and organisation found nowhere in the pack's own text
LETTERS = {"zofia-durcova": set("ŽĎčŘ"), "oystein-aero": set("ØÆøÞ")}


def test_no_edition_holds_anything_of_another_recipient(built):
    files, _ = built
    for key, path in files.items():
        everything = pdf_everything(path)  # streams decompressed: text, tags, metadata
        for other, (name, organisation, _) in PEOPLE.items():
            if other != key:
                for text in (name, organisation):
                    assert text.encode("utf-8") not in everything, (path.name, text)
                    assert text.encode("utf-16-be") not in everything, (path.name, text)
        # font subsets (the cover's, the stamp's, the shared pages'): only own letters
        chars = embedded_characters(path)
        own = set("".join(PEOPLE[key][:2]))
        assert LETTERS.get(key, set()) <= chars, path.name
        for other, letters in LETTERS.items():
            if other != key:
                assert not chars & (letters - own), (path.name, sorted(chars & letters))


def test_encrypted_and_printed_editions_pass_qpdf_check(tmp_path):
    source = tmp_path / "list.csv"
    source.write_text("name;organisation;password\nAda Lovelace;AEL;pw-ada\n", encoding="utf-8")
    for extra, name in ((("--encrypt",), "locked"), (("--print",), "marked")):
        out = tmp_path / name
        result = run_cli("build", PACK, "--recipients", source, "-o", out, "--format", "pdf",
                         *extra)
        assert result.exit_code == 0, result.output
        path = out / "ada-lovelace.pdf"
        password = "pw-ada" if "--encrypt" in extra else ""
        check = subprocess.run([need_tool("qpdf"), "--check", f"--password={password}",
                                str(path)], capture_output=True, text=True)
        assert check.returncode == 0, (name, check.stdout, check.stderr)
        with pikepdf.open(path, password=password) as pdf:
            assert pdf.is_encrypted == bool(password)
            _, marked = tree(pdf)
            assert any(page == 0 for page, _ in marked)


def test_the_graft_keeps_links_on_the_cover_and_to_it(tmp_path):
    """graft_cover on small tagged PDFs: a neutral cover with a link, pages that
    link back to it, and a recipient's cover with a link of its own."""
    import io

    from weasyprint import HTML

    from briefgen.render.pdf_editions import graft_cover

    def tagged(body: str) -> bytes:
        return HTML(string=f'<html lang="en"><head><title>T</title><style>section '
                           f'{{ break-after: page; }}</style></head><body>{body}</body></html>'
                    ).write_pdf(pdf_tags=True)

    shared = tagged('<section id="top"><h1>Neutral</h1><p><a href="#two">to two</a></p>'
                    '</section><section id="two"><h2>Two</h2><p><a href="#top">back</a> '
                    '<a href="https://example.org/shared">web</a></p></section>'
                    '<section><h2>Three</h2><p>Text</p></section>')
    cover = tagged('<section><h1>Cover</h1><p>Prepared for <strong>Ada</strong> '
                   '<a href="https://example.org/ada">her page</a></p></section>')
    with pikepdf.open(io.BytesIO(shared)) as pdf, pikepdf.open(io.BytesIO(cover)) as one:
        first = pdf.pages[0].obj.objgen
        graft_cover(pdf, one)
        assert pdf.pages[0].obj.objgen == first
        pdf.save(tmp_path / "grafted.pdf")
    check = subprocess.run([need_tool("qpdf"), "--check", str(tmp_path / "grafted.pdf")],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    with pikepdf.open(tmp_path / "grafted.pdf") as pdf:
        elements, marked = tree(pdf)
        nums = pdf.Root.StructTreeRoot.ParentTree.Nums
        keys = [int(nums[i]) for i in range(0, len(nums), 2)]
        assert keys == sorted(keys) and len(set(keys)) == len(keys)
        parents = dict(zip(keys, [nums[i] for i in range(1, len(nums), 2)]))
        for index, page in enumerate(pdf.pages):
            for mcid in mcids_drawn(page):
                assert parents[index][mcid].objgen == marked[index, mcid]
        uris, links = [], 0
        for page in pdf.pages:
            for annotation in page.obj.get("/Annots", ()):
                element = parents[int(annotation.StructParent)]
                assert str(element.S) == "/Link" and element.objgen in elements
                assert any(not isinstance(k, int) and k.get("/Type") == "/OBJR"
                           and k.Obj.objgen == annotation.objgen for k in element.K)
                assert "/P" not in annotation or annotation.P.objgen == page.obj.objgen
                links += 1
                if "/A" in annotation and "/URI" in annotation.A:
                    uris.append(str(annotation.A.URI))
        # the cover's link in, the neutral cover's out; page two's links kept
        assert sorted(uris) == ["https://example.org/ada", "https://example.org/shared"]
        assert links == 3
        assert destinations(pdf) == [(1, 0)]  # "back" still lands on page 1
        words = [str(e.S) for e, _ in elements.values()]
        assert "/H1" in words
    with pdfplumber.open(tmp_path / "grafted.pdf") as pdf:
        assert "Prepared for Ada" in pdf.pages[0].extract_text()
        assert "Neutral" not in pdf.pages[0].extract_text()


def test_variants_laid_out_apart_give_the_same_bytes(tmp_path, monkeypatch):
    """With -j 2 the second variant's shared pages are laid out and written in a
    forked process (pipeline/editions.py `_prepared_apart`); its editions are the
    bytes -j 1 writes, every variant laid out in one process."""
    from briefgen.render import pdf_editions

    prepared = []
    real = pdf_editions.PdfEditions.__init__

    def counting(self, writer, outline, *args, **kwargs):
        prepared.append(id(outline.document) in pdf_editions.PREPARED)
        real(self, writer, outline, *args, **kwargs)

    monkeypatch.setattr(pdf_editions.PdfEditions, "__init__", counting)
    source = tmp_path / "list.csv"
    source.write_text("name;organisation;groups\nAda Lovelace;AEL;board\nBob Smith;City;\n"
                      "Carla Rossi;Ministry;\n", encoding="utf-8")
    for jobs in ("1", "2"):
        result = run_cli("build", PACK, "--recipients", source, "-o", tmp_path / jobs, "-j", jobs,
                         "--format", "pdf", "--source-date-epoch", "1700000000")
        assert result.exit_code == 0, result.output
    assert prepared == [False, False, False, True]  # -j 2: the second variant apart
    assert not pdf_editions.PREPARED
    for name in ("ada-lovelace.pdf", "bob-smith.pdf", "carla-rossi.pdf"):
        assert (tmp_path / "1" / name).read_bytes() == (tmp_path / "2" / name).read_bytes(), name


def test_a_variant_that_fails_apart_is_laid_out_here(tmp_path, monkeypatch):
    from briefgen.render import pdf_editions

    def broken(*args, **kwargs):
        raise RuntimeError("the forked process fails")

    monkeypatch.setattr(pdf_editions, "prepare", broken)  # the fork inherits it
    source = tmp_path / "list.csv"
    source.write_text("name;groups\nAda Lovelace;board\nBob Smith;\n", encoding="utf-8")
    result = run_cli("build", PACK, "--recipients", source, "-o", tmp_path / "out", "-j", "2",
                     "--format", "pdf")
    assert result.exit_code == 0, result.output
    assert "2 files written" in result.output
    with pikepdf.open(tmp_path / "out" / "bob-smith.pdf") as pdf:
        assert len(pdf.pages) == 10


def shape(data: bytes) -> list[tuple]:
    """The structure tree in document order: depth, type, page, MCIDs, Alt and
    ActualText of each element (and each annotation reference)."""
    import io

    found = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pages = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}

        def walk(element, depth):
            if element.get("/Type") == "/OBJR":
                found.append((depth, "OBJR", pages[element.Pg.objgen]))
                return
            found.append((depth, str(element.S), pages.get(element.Pg.objgen)
                          if "/Pg" in element else None,
                          tuple(k for k in element.K if isinstance(k, int)),
                          str(element.get("/Alt", "")), str(element.get("/ActualText", ""))))
            for kid in element.K:
                if isinstance(kid, pikepdf.Dictionary):
                    walk(kid, depth + 1)

        walk(pdf.Root.StructTreeRoot.K[0], 0)
    return found


def test_the_copy_has_the_tree_of_the_whole_edition_written_at_once():
    """The grafted edition's structure tree is the one WeasyPrint writes for the
    cover and the shared pages written together (as editions were made before)."""
    import io

    from briefgen.content.pack_folder import load_pack
    from briefgen.layouts import find_layout
    from briefgen.model import Recipient
    from briefgen.outline import build_outline
    from briefgen.render import RenderOptions
    from briefgen.render.pdf import build_html, layout
    from briefgen.render.pdf_editions import graft_cover, shared_pdf, tagged_pdf

    pack = load_pack(PACK).pack
    chosen = find_layout(pack.layout)
    options = RenderOptions(warnings=[])
    laid = layout(pack, chosen, options, outline=build_outline(pack))
    shared = shared_pdf(laid, pack)
    covers = laid.renderer.render(build_html(pack, chosen, options, covers=[
        Recipient("Ada Lovelace", organisation="Analytical Engines")]))
    whole = tagged_pdf(laid.renderer, laid.document.copy(covers.pages[:1] +
                                                         laid.document.pages[1:]), b"0" * 32)
    cover = tagged_pdf(laid.renderer, covers.copy(covers.pages[:1]), b"0" * 32)
    with pikepdf.open(io.BytesIO(shared)) as pdf, pikepdf.open(io.BytesIO(cover)) as one:
        graft_cover(pdf, one)
        out = io.BytesIO()
        pdf.save(out)
    assert shape(out.getvalue()) == shape(whole)
    assert len(shape(whole)) > 500
