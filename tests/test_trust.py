"""Trustworthy output: hostile input contained, nothing half-written, reproducible,
accessible and archival PDFs."""
from __future__ import annotations

import os
import shutil
import subprocess
import zlib
import struct

import docx
import pikepdf
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from briefgen.render import pdf as pdf_writer

from .conftest import ROOT, SAMPLE, need_tool, run_cli
from .test_build_pdf import flat, pdf_pages_text


@pytest.fixture
def issue(tmp_path):
    folder = tmp_path / "issue"
    shutil.copytree(SAMPLE, folder)
    return folder


def hostile_layout(tmp_path):
    layout = tmp_path / "shared-layout"
    (layout / "templates").mkdir(parents=True)
    (layout / "layout.toml").write_text('extends = "policy-brief"\n', encoding="utf-8")
    (layout / "passwd-link").symlink_to("/etc/passwd")
    (layout / "style.css").write_text(
        "@import url(file:///etc/passwd);\n"
        "@import \"../../../../etc/hostname\";\n"
        ".cover { background: url(https://tracker.example.com/pixel.png); }\n"
        ".bios { background-image: url(passwd-link); }\n", encoding="utf-8")
    return layout


def test_layout_css_cannot_read_outside_or_remote(tmp_path):
    layout = hostile_layout(tmp_path)
    result = run_cli("build", SAMPLE, "--layout", layout, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    css = layout / "style.css"
    for line, what in ((1, "url(file:///etc/passwd)"), (2, "url(../../../../etc/hostname)"),
                       (3, "remote resources are off (use --allow-remote)"),
                       (4, "url(passwd-link)")):
        assert f"{css}:{line}: refused" in result.output and what in result.output
    text = " ".join(pdf_pages_text(tmp_path / "out" / "nile-dispute.pdf"))
    assert "root:" not in text and "The Nile in Dispute" in text


def test_template_images_are_confined_at_render_time(tmp_path):
    layout = tmp_path / "img-layout"
    (layout / "templates").mkdir(parents=True)
    (layout / "layout.toml").write_text('extends = "policy-brief"\n', encoding="utf-8")
    (layout / "templates" / "issue.html.j2").write_text(
        '{% extends "policy-brief/issue.html.j2" %}{% block contents %}'
        '<img src="file:///etc/passwd" alt="x"><img src="http://example.com/a.png" alt="y">'
        '{% endblock %}', encoding="utf-8")
    result = run_cli("build", SAMPLE, "--layout", layout, "-o", tmp_path / "out", "-f", "pdf")
    assert result.exit_code == 0, result.output
    assert "refused file:///etc/passwd: it is outside the issue and layout folders" in \
        result.output
    assert "refused http://example.com/a.png: remote resources are off" in result.output


def test_photo_symlink_pointing_outside_is_refused(issue, tmp_path):
    link = issue / "images" / "omar-el-tayeb.jpg"
    link.unlink()
    link.symlink_to("/etc/passwd")
    result = run_cli("build", issue, "-o", tmp_path / "out")
    assert result.exit_code == 2 and "is outside the issue folder" in result.output
    assert not (tmp_path / "out").exists()


def png_bytes(width, height):
    """A valid, tiny PNG whose header claims width × height (a decompression bomb)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = zlib.compress(b"\0" * (1 + width // 8) * 8, 9)  # a few rows; enough for the header
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + \
        chunk(b"IEND", b"")


@pytest.mark.parametrize("kind, message", [
    ("bomb", "has too many pixels"),
    ("truncated", "cannot be read"),
    ("mislabeled", "cannot be read"),
    ("oversize", "over the 20 MB limit"),
])
def test_hostile_images_give_a_clear_error(issue, tmp_path, kind, message):
    photo = issue / "images" / "omar-el-tayeb.jpg"
    if kind == "bomb":
        photo.write_bytes(png_bytes(30000, 30000))
    elif kind == "truncated":
        photo.write_bytes(photo.read_bytes()[:600])
    elif kind == "mislabeled":
        photo.write_bytes(b"%PDF-1.7\n% not a picture at all\n")
    else:
        with photo.open("wb") as fh:  # sparse: 21 MB on paper, nothing on disk
            fh.truncate(21_000_000)
    result = run_cli("build", issue, "-o", tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "contributors.yaml:" in result.output and "omar-el-tayeb.jpg" in result.output
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_oversize_yaml_is_refused(issue, tmp_path):
    with (issue / "contributors.yaml").open("a", encoding="utf-8") as fh:
        fh.write("# " + "x" * 1_100_000 + "\n")
    result = run_cli("validate", issue)
    assert result.exit_code == 2 and "YAML is larger than 1000 kB" in result.output


def test_slug_cannot_escape_the_output_folder(issue, tmp_path):
    md = issue / "issue.md"
    md.write_text(md.read_text(encoding="utf-8").replace("lang: en", "lang: en\nslug: ../../x"),
                  encoding="utf-8")
    out = tmp_path / "deep" / "out"
    result = run_cli("build", issue, "-o", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["x.docx", "x.pdf"]
    assert not (tmp_path / "x.pdf").exists()


def test_ctrl_c_mid_render_leaves_previous_outputs(tmp_path, monkeypatch):
    assert run_cli("build", SAMPLE, "-o", tmp_path).exit_code == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real = pdf_writer._quiet_weasyprint.__enter__

    def interrupted(self):
        real(self)
        raise KeyboardInterrupt

    monkeypatch.setattr(pdf_writer._quiet_weasyprint, "__enter__", interrupted)
    result = run_cli("build", SAMPLE, "-o", tmp_path)
    assert result.exit_code == 130 and "interrupted: no output was changed" in result.output
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_control_characters_and_odd_text_are_safe(issue, tmp_path):
    md = issue / "issue.md"
    text = md.read_text(encoding="utf-8").replace(
        "The Grand Ethiopian", "Bell\x07 and null\x00 and\u200f RTL mark, emoji 🌍, Ethiopian")
    md.write_text(text, encoding="utf-8")
    result = run_cli("build", issue, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    document = docx.Document(str(tmp_path / "out" / "issue.docx"))
    assert any("Bell and null and" in p.text for p in document.paragraphs)


def issue_text(title, paragraphs, people):
    import yaml

    front = {"title": title, "date": "2026-01-01", "lang": "en",
             "contributors": {f"p-{i}": {"name": name or "X"} for i, name in enumerate(people)}}
    body = "\n\n".join(p.replace("\n", " ") for p in paragraphs)
    for i, _ in enumerate(people):
        body += f"\n\n## Headline {i}\n\nby: p-{i}\n\n{paragraphs[i % len(paragraphs)] if paragraphs else 'Text.'}"
    return "---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n\n" + body + "\n"


odd_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300) | \
    st.sampled_from(["", " ", "\u200f\u202e", "🌍🔥" * 20, "ـ" * 50, "<script>x</script>",
                     "==", "## not a heading", "---", "\t\x0b\x0c", "a" * 2000])


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(title=odd_text, paragraphs=st.lists(odd_text, max_size=4),
       people=st.lists(odd_text, max_size=4))
@example(title="Huge paragraph", paragraphs=["word " * 20_000], people=["A"])
@example(title="Many contributors", paragraphs=["Short text."],
         people=[f"Person {i}" for i in range(200)])
def test_odd_content_gives_pdf_and_docx_or_a_clear_error(tmp_path_factory, title, paragraphs,
                                                         people):
    folder = tmp_path_factory.mktemp("odd") / "odd"
    folder.mkdir()
    (folder / "issue.md").write_text(issue_text(title, paragraphs, people), encoding="utf-8")
    out = folder.parent / "out"
    result = run_cli("build", folder, "-o", out)
    assert "Traceback" not in result.output and "internal error" not in result.output, \
        result.output
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 0:
        with pikepdf.open(out / "odd.pdf") as pdf:
            assert len(pdf.pages) >= 2
        docx.Document(str(out / "odd.docx"))
    else:
        assert result.output.startswith("error: ") and not out.exists()


def test_reproducible_with_source_date_epoch(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    for name in ("a", "b"):
        assert run_cli("build", SAMPLE, "-o", tmp_path / name).exit_code == 0
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert run_cli("build", SAMPLE, "-o", tmp_path / "c").exit_code == 0
    for file in ("nile-dispute.pdf", "nile-dispute.docx"):
        a, b, c = ((tmp_path / n / file).read_bytes() for n in "abc")
        assert a == b and a != c
    with pikepdf.open(tmp_path / "a" / "nile-dispute.pdf") as pdf:
        assert str(pdf.docinfo["/CreationDate"]).startswith("D:20231114")
    created = docx.Document(str(tmp_path / "a" / "nile-dispute.docx")).core_properties.created
    assert created.isoformat().startswith("2023-11-14T22:13:20")


def structure(pdf_path):
    """(role, alt) of every structure element, in document order."""
    out = []
    with pikepdf.open(pdf_path) as pdf:
        def walk(node):
            if isinstance(node, pikepdf.Array):
                for item in node:
                    walk(item)
            elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
                out.append((str(node.S), str(node.get("/Alt", ""))))
                walk(node.get("/K", pikepdf.Array()))
        walk(pdf.Root.StructTreeRoot.K)
    return out


def test_tagged_pdf_headings_in_order_and_alt_text(sample_build):
    pdf, _ = sample_build
    elements = structure(pdf)
    headings = [int(role[2:]) for role, _ in elements if role[:2] == "/H" and role[2:].isdigit()]
    assert headings[0] == 1
    assert all(b - a <= 1 for a, b in zip(headings, headings[1:])), headings  # no level skipped
    figures = [alt for role, alt in elements if role == "/Figure"]
    assert "Portrait of Amira Haddad" in figures and "Omar el-Tayeb" in figures
    assert all(figures)


def test_cover_image_without_alt_text_is_a_warning(tmp_path):
    folder = tmp_path / "forum"
    shutil.copytree(ROOT / "content" / "energy-forum", folder)
    md = folder / "issue.md"
    md.write_text(md.read_text(encoding="utf-8").replace(
        "  alt: Rows of solar panels in the desert at sunset\n", ""), encoding="utf-8")
    result = run_cli("validate", folder)
    assert result.exit_code == 0 and "the cover image has no alt text" in result.output


@pytest.mark.parametrize("variant, key, value", [
    ("pdf/a-3b", "{http://www.aiim.org/pdfa/ns/id/}part", "3"),
    ("pdf/a-2u", "{http://www.aiim.org/pdfa/ns/id/}part", "2"),
    ("pdf/ua-1", "{http://www.aiim.org/pdfua/ns/id/}part", "1"),
])
def test_pdf_variants_pass_through(tmp_path, variant, key, value):
    result = run_cli("build", SAMPLE, "-o", tmp_path, "-f", "pdf", "--pdf-variant", variant)
    assert result.exit_code == 0, result.output
    with pikepdf.open(tmp_path / "nile-dispute.pdf") as pdf:
        assert pdf.open_metadata().get(key) == value
    check = subprocess.run([need_tool("qpdf"), "--check", str(tmp_path / "nile-dispute.pdf")],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_unknown_pdf_variant_is_a_usage_error(tmp_path):
    result = run_cli("build", SAMPLE, "-o", tmp_path, "--pdf-variant", "pdf/z-9")
    assert result.exit_code == 2 and "pdf/a-3b" in result.output
