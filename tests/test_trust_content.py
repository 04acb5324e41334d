"""Content cannot reach outside its folder: DOCX annexes, symbolic links, protected annexes.

Issue 11, items 3, 4 (content), 7 (an annex with a user password) and the
reproducibility of a pack with a DOCX annex.
"""
from __future__ import annotations

import http.server
import io
import shutil
import subprocess
import threading
import zipfile

import docx
import pikepdf
import pytest

from .conftest import ROOT, need_tool, run_cli

SECRET_TEXT = "ZEBRA-QUOKKA-4711-SECRET"
SECRET_SIZE = (37, 23)  # an image of this size in the PDF can only be the secret picture


def add_annex(pack, file, title="The extra annex"):
    yaml_path = pack / "pack.yaml"
    text = yaml_path.read_text(encoding="utf-8")
    assert "edition:" in text
    yaml_path.write_text(text.replace("edition:", f"  - file: {file}\n    title: {title}\n"
                                                  "edition:", 1), encoding="utf-8")
    return next(n for n, line in enumerate(yaml_path.read_text().splitlines(), 1)
                if f"file: {file}" in line)


@pytest.fixture
def loopback():
    """An HTTP server on 127.0.0.1 that records every request it receives."""
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _record(self):
            requests.append((self.command, self.path))
            self.send_response(404)
            self.end_headers()

        do_GET = do_HEAD = do_OPTIONS = do_PROPFIND = _record

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], requests
    server.shutdown()
    server.server_close()


_PICTURE = (
    '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:drawing>'
    '<wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing">'
    '<wp:extent cx="914400" cy="914400"/><wp:docPr id="{n}" name="p{n}"/>'
    '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
    '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
    '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
    '<pic:nvPicPr><pic:cNvPr id="{n}" name="p{n}.png"/><pic:cNvPicPr/></pic:nvPicPr>'
    '<pic:blipFill><a:blip xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships" r:link="{rid}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
    '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="914400" cy="914400"/></a:xfrm>'
    '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData>'
    '</a:graphic></wp:inline></w:drawing></w:r>')


def hostile_docx(path, port, secret_png, secret_txt):
    """A DOCX (made with python-docx) that links pictures at the loopback server and at
    a local file outside the pack, and includes a local text file and a remote picture
    through fields."""
    document = docx.Document()
    for marker in ("Harmless annex text.", "HTTP-PICTURE", "FILE-PICTURE", "INCLUDE-TEXT",
                   "INCLUDE-PICTURE"):
        document.add_paragraph(marker)
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    body = parts["word/document.xml"].decode()

    def replace(marker, xml):
        nonlocal body
        old = f"<w:r><w:t>{marker}</w:t></w:r>"
        assert old in body
        body = body.replace(old, xml)

    replace("HTTP-PICTURE", _PICTURE.format(n=91, rid="rIdOut1"))
    replace("FILE-PICTURE", _PICTURE.format(n=92, rid="rIdOut2"))
    replace("INCLUDE-TEXT",
            '<w:r><w:fldChar w:fldCharType="begin" w:dirty="true"/></w:r>'
            f'<w:r><w:instrText xml:space="preserve"> INCLUDETEXT "{secret_txt.as_uri()}" '
            '</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>'
            '<w:r><w:t>shown result</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>')
    replace("INCLUDE-PICTURE",
            f'<w:fldSimple w:instr=" INCLUDEPICTURE &quot;http://127.0.0.1:{port}/field.png'
            '&quot; \\d "><w:r><w:t>picture</w:t></w:r></w:fldSimple>')
    parts["word/document.xml"] = body.encode()
    rels = parts["word/_rels/document.xml.rels"].decode()
    image = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
    rels = rels.replace("</Relationships>",
                        f'<Relationship Id="rIdOut1" Type="{image}" TargetMode="External" '
                        f'Target="http://127.0.0.1:{port}/x.png"/>'
                        f'<Relationship Id="rIdOut2" Type="{image}" TargetMode="External" '
                        f'Target="{secret_png.as_uri()}"/></Relationships>')
    parts["word/_rels/document.xml.rels"] = rels.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)


def images_in(pdf_path):
    with pikepdf.open(pdf_path) as pdf:
        return [(int(obj.Width), int(obj.Height)) for obj in pdf.objects
                if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"]


def pdf_text(pdf_path):
    return subprocess.run([need_tool("pdftotext"), str(pdf_path), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_docx_annex_fetches_nothing_and_reads_no_outside_file(pack, tmp_path, loopback):
    need_tool("soffice")
    from PIL import Image

    port, requests = loopback
    outside = tmp_path / "outside"
    outside.mkdir()
    Image.new("RGB", SECRET_SIZE, (250, 20, 140)).save(outside / "secret.png")
    (outside / "secret.txt").write_text(SECRET_TEXT + "\n", encoding="utf-8")
    hostile_docx(pack / "annexes" / "hostile.docx", port, outside / "secret.png",
                 outside / "secret.txt")
    line = add_annex(pack, "annexes/hostile.docx", "A hostile annex")

    result = run_cli("build", pack, "-o", tmp_path / "out", "-f", "pdf")
    assert result.exit_code == 0, result.output
    assert requests == []  # LibreOffice asked the loopback server for nothing
    built = tmp_path / "out" / "board-pack.pdf"
    assert SECRET_SIZE not in images_in(built)  # the outside picture is not in the pack
    text = pdf_text(built)
    assert SECRET_TEXT not in text
    assert "Harmless annex text." in text  # the annex itself is there
    warnings = [w for w in result.output.splitlines() if "annex hostile.docx: removed" in w]
    assert len(warnings) == 4, result.output
    assert all(w.startswith("warning: ") and f"pack.yaml:{line}:" in w for w in warnings)
    joined = "\n".join(warnings)
    for what in (f"http://127.0.0.1:{port}/x.png", (outside / "secret.png").as_uri(),
                 "INCLUDETEXT", "INCLUDEPICTURE"):
        assert what in joined, what


def test_clean_docx_removes_ole_links_and_keeps_hyperlinks():
    from briefgen.content.annex_clean import clean_docx

    document = docx.Document()
    paragraph = document.add_paragraph("See ")
    part = document.part
    rid = part.relate_to("https://example.org/", docx.opc.constants.RELATIONSHIP_TYPE.HYPERLINK,
                         is_external=True)
    link = paragraph._p.makeelement(docx.oxml.ns.qn("w:hyperlink"),
                                    {docx.oxml.ns.qn("r:id"): rid})
    run = paragraph.add_run("the source")._r
    link.append(run)
    paragraph._p.append(link)
    ole_rid = part.relate_to("file:///etc/hostname",
                             docx.opc.constants.RELATIONSHIP_TYPE.OLE_OBJECT, is_external=True)
    document.add_paragraph("OLE-HERE")
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer) as source:
        parts = {name: source.read(name) for name in source.namelist()}
    body = parts["word/document.xml"].decode().replace(
        "<w:r><w:t>OLE-HERE</w:t></w:r>",
        '<w:r><w:object><o:OLEObject xmlns:o="urn:schemas-microsoft-com:office:office" '
        f'Type="Link" ProgID="Word.Document.12" r:id="{ole_rid}" UpdateMode="Always"/>'
        "</w:object></w:r>")
    parts["word/document.xml"] = body.encode()
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as target:
        for name, content in parts.items():
            target.writestr(name, content)

    cleaned, removed = clean_docx(data.getvalue())
    assert removed == ["a linked OLE object (file:///etc/hostname)"]
    with zipfile.ZipFile(io.BytesIO(cleaned)) as result:
        rels = result.read("word/_rels/document.xml.rels").decode()
        body = result.read("word/document.xml").decode()
    assert "/etc/hostname" not in rels and "OLEObject" not in body
    assert "https://example.org/" in rels  # a hyperlink is never fetched: kept
    assert docx.Document(io.BytesIO(cleaned)).paragraphs[0].text == "See the source"
    assert clean_docx(cleaned) == (cleaned, [])  # the same input gives the same bytes


@pytest.mark.parametrize("what", ["contributors.yaml", "issue.md"])
def test_issue_file_linked_outside_is_refused(tmp_path, what):
    issue = tmp_path / "nile-dispute"
    shutil.copytree(ROOT / "content" / "nile-dispute", issue)
    outside = tmp_path / f"outside-{what}"
    shutil.move(issue / what, outside)
    outside.write_text(outside.read_text(encoding="utf-8").replace("Amira", "Zoltana"),
                       encoding="utf-8")
    (issue / what).symlink_to(outside)
    result = run_cli("validate", issue)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and what in lines[0] and "leads outside" in lines[0], result.output
    assert "Zoltana" not in result.output
    result = run_cli("build", issue, "-o", tmp_path / "out", "-f", "docx")
    assert result.exit_code == 2 and not (tmp_path / "out").exists()


def test_links_that_stay_inside_the_folder_are_fine(tmp_path):
    issue = tmp_path / "nile-dispute"
    shutil.copytree(ROOT / "content" / "nile-dispute", issue)
    (issue / "data").mkdir()
    shutil.move(issue / "contributors.yaml", issue / "data" / "people.yaml")
    (issue / "contributors.yaml").symlink_to("data/people.yaml")
    photo = next((issue / "images").iterdir())
    shutil.move(photo, issue / "data" / photo.name)
    photo.symlink_to(issue / "data" / photo.name)
    result = run_cli("validate", issue)
    assert result.exit_code == 0, result.output


def test_photo_linked_outside_is_refused(tmp_path):
    issue = tmp_path / "nile-dispute"
    shutil.copytree(ROOT / "content" / "nile-dispute", issue)
    photo = next((issue / "images").iterdir())
    shutil.move(photo, tmp_path / photo.name)
    photo.symlink_to(tmp_path / photo.name)
    result = run_cli("build", issue, "-o", tmp_path / "out", "-f", "docx")
    assert result.exit_code == 2, result.output
    assert f"'images/{photo.name}' is outside the issue folder" in result.output
    assert not (tmp_path / "out").exists()


def test_pack_file_and_annex_linked_outside_are_refused(pack, tmp_path):
    annex = pack / "annexes" / "nile-timeline.pdf"
    shutil.move(annex, tmp_path / "timeline.pdf")
    annex.symlink_to(tmp_path / "timeline.pdf")
    result = run_cli("validate", pack)
    assert result.exit_code == 2, result.output
    assert "annex 'annexes/nile-timeline.pdf' is outside the pack folder" in result.output
    annex.unlink()
    shutil.move(tmp_path / "timeline.pdf", annex)

    shutil.move(pack / "pack.yaml", tmp_path / "pack.yaml")
    (pack / "pack.yaml").symlink_to(tmp_path / "pack.yaml")
    result = run_cli("validate", pack)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "pack.yaml" in lines[0] and "leads outside" in lines[0]


def test_annex_with_a_user_password(pack, tmp_path):
    annex = pack / "annexes" / "nile-timeline.pdf"
    with pikepdf.open(annex) as pdf:
        pdf.save(tmp_path / "locked.pdf", encryption=pikepdf.Encryption(user="u", owner="o"))
    shutil.copyfile(tmp_path / "locked.pdf", annex)
    result = run_cli("build", pack, "-o", tmp_path / "out")
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "the annex nile-timeline.pdf is password-protected — remove the password" in lines[0]
    assert not (tmp_path / "out").exists()


def test_docx_annex_with_a_password_and_odt_annex(pack, tmp_path):
    # A DOCX saved with a password is an OLE compound file, not a zip.
    (pack / "annexes" / "locked.docx").write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000)
    add_annex(pack, "annexes/locked.docx")
    result = run_cli("validate", pack)
    assert result.exit_code == 2, result.output
    assert "the annex locked.docx is password-protected" in result.output

    edit = pack / "pack.yaml"
    edit.write_text(edit.read_text().replace("locked.docx", "notes.odt"))
    (pack / "annexes" / "notes.odt").write_bytes(b"PK\x03\x04")
    result = run_cli("validate", pack)
    assert result.exit_code == 2, result.output
    assert "annex notes.odt is a ODT file; annexes are PDF or DOCX" in result.output


def test_pack_with_a_docx_annex_is_byte_reproducible(pack, tmp_path):
    need_tool("soffice")
    built = tmp_path / "built"
    assert run_cli("build", ROOT / "content" / "nile-dispute", "-o", built, "-f", "docx",
                   "-l", "memo").exit_code == 0
    shutil.copyfile(built / "nile-dispute.docx", pack / "annexes" / "memo.docx")
    add_annex(pack, "annexes/memo.docx", "The Nile issue as a memo")
    outputs = []
    for run in ("a", "b"):  # the cache is off (conftest): LibreOffice converts twice
        result = run_cli("build", pack, "-o", tmp_path / run, "-f", "pdf",
                         "--source-date-epoch", "1700000000")
        assert result.exit_code == 0, result.output
        assert "removed" not in result.output  # briefgen's own DOCX links to nothing outside
        outputs.append((tmp_path / run / "board-pack.pdf").read_bytes())
    assert outputs[0] == outputs[1]
