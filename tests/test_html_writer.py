"""--format html: the HTML WeasyPrint lays out, with its assets, for a layout's
author to open in a browser. A bare WeasyPrint of it gives the build's pages."""
from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import unquote

import pytest

from .conftest import ROOT, SAMPLE, run_cli
from .test_build_pdf import pdf_pages_text

#: resources a page loads: src="…", href="…" of a <link>, url(…) in CSS
RESOURCE = re.compile(r"""(?:\bsrc=|<link[^>]*\bhref=)["']([^"']*)["']|url\(\s*["']?([^"')]*)""")


def resources(text: str) -> list[str]:
    return [a or b for a, b in RESOURCE.findall(text)]


@pytest.fixture(scope="module", params=["policy-brief", "conference"])
def built(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"html-{request.param}")
    result = run_cli("build", SAMPLE, "-l", request.param, "-f", "pdf,html", "-o", out)
    assert result.exit_code == 0, result.output
    return out


def test_bare_weasyprint_of_the_html_gives_the_builds_pages(built, tmp_path):
    import weasyprint

    bare = tmp_path / "bare.pdf"
    weasyprint.HTML(filename=str(built / "nile-dispute.html")).write_pdf(str(bare))
    build_pages = pdf_pages_text(built / "nile-dispute.pdf")
    bare_pages = pdf_pages_text(bare)
    assert len(build_pages) >= 5
    assert len(bare_pages) == len(build_pages)
    for number, (ours, theirs) in enumerate(zip(build_pages, bare_pages), 1):
        assert theirs == ours, f"page {number} differs"


def test_the_html_loads_only_files_in_its_assets_folder(built):
    html = (built / "nile-dispute.html").read_text(encoding="utf-8")
    assets = built / "nile-dispute-assets"
    loaded = resources(html)
    sheets = [ref for ref in loaded if ref.endswith(".css")]
    # the page CSS from layout.toml, then each layout's style.css, ancestors first
    layouts = ["policy-brief"] + (["conference"] if "conference" in built.name else [])
    assert sheets == ["nile-dispute-assets/page.css"] + [f"nile-dispute-assets/{name}.css"
                                                          for name in layouts]
    # the fonts (page.css), the contributors' photos (the HTML) and, for the
    # conference's cover, its picture are there, all under relative names
    css = "".join((assets / Path(ref).name).read_text(encoding="utf-8") for ref in sheets)
    fonts = resources(css)
    assert fonts and all(ref.endswith((".ttf", ".otf", ".woff", ".woff2")) for ref in fonts)
    assert any(ref.endswith(".jpg") for ref in loaded)
    for ref in loaded:
        assert not re.match(r"[a-z]+:", ref), ref  # no file:, http:, about: …
        assert (built / unquote(ref)).is_file(), ref
    for ref in fonts:
        assert (assets / unquote(ref)).is_file(), ref
    assert "file:" not in html + css


def test_html_alone_is_the_same_document(built, tmp_path):
    layout = "conference" if "conference" in built.name else "policy-brief"
    result = run_cli("build", SAMPLE, "-l", layout, "--format", "html", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nile-dispute-assets",
                                                          "nile-dispute.html"]
    assert (tmp_path / "nile-dispute.html").read_text(encoding="utf-8") == \
        (built / "nile-dispute.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in (tmp_path / "nile-dispute-assets").iterdir()) == \
        sorted(p.name for p in (built / "nile-dispute-assets").iterdir())


def test_a_rebuild_replaces_the_assets_folder_whole(tmp_path):
    stale = tmp_path / "nile-dispute-assets"
    stale.mkdir()
    (stale / "old-photo.jpg").write_bytes(b"stale")
    result = run_cli("build", SAMPLE, "--format", "html", "-o", tmp_path)
    assert result.exit_code == 0, result.output
    assert not (stale / "old-photo.jpg").exists()
    assert (stale / "policy-brief.css").is_file()
    # no temporary file or folder is left beside them
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nile-dispute-assets",
                                                          "nile-dispute.html"]


def test_an_assets_name_taken_by_a_file_is_one_line_and_nothing_is_written(tmp_path):
    (tmp_path / "nile-dispute-assets").write_text("mine", encoding="utf-8")
    result = run_cli("build", SAMPLE, "--format", "pdf,html", "-o", tmp_path)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "nile-dispute-assets" in lines[0] and "not a folder" in lines[0]
    assert "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nile-dispute-assets"]
    assert (tmp_path / "nile-dispute-assets").read_text(encoding="utf-8") == "mine"


def test_the_format_is_documented_in_help_and_readme():
    help_text = run_cli("build", "--help").output
    assert "html" in help_text and "assets" in help_text
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "--format html" in readme and "-assets/" in readme


@pytest.mark.parametrize("compiled_cache", ["off", "on"])
def test_an_edited_template_is_read_again_in_the_same_process(tmp_path, monkeypatch,
                                                              compiled_cache):
    """Templates are compiled once per process and layout; an edit (as the live
    preview sees one) is compiled again. Nothing compiled is kept in the cache
    folder: the cache never loads code."""
    monkeypatch.setenv("BRIEFGEN_CACHE", compiled_cache)
    monkeypatch.setenv("BRIEFGEN_CACHE_DIR", str(tmp_path / "cache"))
    from briefgen.content.issue_folder import load_issue
    from briefgen.layouts import find_layout
    from briefgen.render import RenderOptions
    from briefgen.render.pdf import build_html

    folder = tmp_path / "my-layout"
    shutil.copytree(ROOT / "layouts" / "policy-brief", folder)
    template = folder / "templates" / "issue.html.j2"
    issue = load_issue(SAMPLE).issue
    first = build_html(issue, find_layout(str(folder)), RenderOptions())
    assert "Edited by the layout's author" not in first
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace("</body>", "<p>Edited by the layout's author</p></body>"),
                        encoding="utf-8")
    second = build_html(issue, find_layout(str(folder)), RenderOptions())
    assert "Edited by the layout's author" in second
    assert not list((tmp_path / "cache").rglob("*.cache"))


def test_a_layouts_own_pictures_come_along_and_refused_files_stay_out(tmp_path):
    """A layout's style.css loading a picture from its folder (relative url()) and
    one from outside it: the first is copied to the assets, the second left out,
    as in the PDF."""
    from PIL import Image

    folder = tmp_path / "textured"
    shutil.copytree(ROOT / "layouts" / "policy-brief", folder)
    (folder / "images").mkdir()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(folder / "images" / "texture.png")
    secret = tmp_path / "secret.png"
    Image.new("RGB", (8, 8), (0, 0, 0)).save(secret)
    style = folder / "style.css"
    style.write_text(style.read_text(encoding="utf-8")
                     + "\n.cover { background-image: url(images/texture.png); }\n"
                     + f'.back {{ background-image: url("{secret.as_uri()}"); }}\n',
                     encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("build", SAMPLE, "-l", folder, "-f", "pdf,html", "-o", out)
    assert result.exit_code == 0, result.output
    assets = out / "nile-dispute-assets"
    assert (assets / "texture.png").read_bytes() == (folder / "images" / "texture.png").read_bytes()
    assert not (assets / "secret.png").exists()
    css = (assets / "textured.css").read_text(encoding="utf-8")
    assert "url(texture.png)" in css and "secret" not in css and "file:" not in css
    import weasyprint

    bare = tmp_path / "bare.pdf"
    weasyprint.HTML(filename=str(out / "nile-dispute.html")).write_pdf(str(bare))
    assert pdf_pages_text(bare) == pdf_pages_text(out / "nile-dispute.pdf")


def test_a_url_inside_a_css_string_is_text_not_a_resource(tmp_path):
    """url(…) in a CSS string (a bookmark label, generated content) is text: only the
    url() values the browser would load point at the assets, in a <style> element
    and in a style="" attribute (read through its entities)."""
    import html

    from PIL import Image

    from briefgen.render.html_writer import Assets, css_urls, rewrite_html

    Image.new("RGB", (4, 4), (10, 20, 30)).save(tmp_path / "a.png")
    assets = Assets((tmp_path,), False, [])
    page = ('<html><head><style>.x { background: url(a.png) } '
            '.y::after { content: "url(a.png)" }</style></head><body>'
            '<h2 style="bookmark-label: &#34;see url(a.png)&#34;; '
            'background: url(&#34;a.png&#34;)">T</h2><p style="color: red">x</p></body></html>')
    out = rewrite_html(page, tmp_path.as_uri() + "/", assets, "x-assets/")
    assert '.y::after { content: "url(a.png)" }' in out
    assert "see url(a.png)" in html.unescape(out)
    assert out.count("x-assets/a.png") == 2
    assert '<p style="color: red">' in out  # untouched where nothing loads
    assert assets.files == {"a.png": (tmp_path / "a.png").read_bytes()}
    # @import's string, and a comment that mentions url() left alone
    sheet = '@import "b.css"; /* url(no.png) */ .z { src: url( "c.woff" ) format("woff") }'
    assert css_urls(sheet, str.upper) == \
        '@import "B.CSS"; /* url(no.png) */ .z { src: url( "C.WOFF" ) format("woff") }'


def test_an_escaped_url_is_found_too():
    """CSS escapes can spell url( and @import (u\\72l(…), @\\69mport): the tokenizer
    reads them as the browser does, and they point at the assets like the others."""
    from briefgen.render.html_writer import css_urls

    assert css_urls("a{background:u\\72l(x.png)}", lambda url: "R") == "a{background:url(R)}"
    assert css_urls('@\\69mport "b.css";', lambda url: "R") == '@import "R";'
