"""The preflight (briefgen check, and the warnings after every build): each check
catches a case made for it, in a small issue and a layout that extends
policy-brief with a few lines of CSS or a colour."""
from __future__ import annotations

import json
import textwrap

import pytest

from briefgen.preflight import Finding, check_path
from tests.conftest import run_cli

BODY = ("The river carries the region's future, and every government along it knows that "
        "the next drought will test the rules they have not yet written down together. ")

PEOPLE = """\
amira-haddad:
  name: Amira Haddad
  role: Senior Fellow
  organisation: Institute for Mediterranean Affairs
  bio: Amira Haddad works on water and security.
al-bo:
  name: Al Bo
  bio: Al Bo writes on energy.
"""


def make_issue(folder, *, title="The Nile in Dispute", standfirst="Five experts react.",
               headline="Without shared rules, the first drought will decide",
               text=BODY * 6, extra_front="", second_text=BODY * 4,
               pull_quote="Every megawatt sold across a border is a reason to keep the river "
                          "predictable."):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "contributors.yaml").write_text(PEOPLE, encoding="utf-8")
    (folder / "issue.md").write_text(textwrap.dedent(f"""\
        ---
        series: Mediterranean Brief
        date: 2026-11-20
        title: "{title}"
        standfirst: "{standfirst}"
        lang: en
        {extra_front}
        ---

        The lede: {BODY}

        ## {headline}

        by: amira-haddad
        pull-quote: {pull_quote}

        {text}

        {text}

        ## Electricity is a regional asset

        by: al-bo

        {second_text}
        """), encoding="utf-8")
    return folder


def make_layout(folder, css="", colours=""):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "layout.toml").write_text(textwrap.dedent(f"""\
        name = "crafted"
        description = "policy-brief with a crafted fault"
        extends = "policy-brief"
        margins_mm = [20, 20, 20, 20]

        [templates]
        stylesheets = ["extra.css"]
        """) + (f"\n[colours]\n{colours}\n" if colours else ""), encoding="utf-8")
    (folder / "extra.css").write_text(css, encoding="utf-8")
    return folder


def run(tmp_path, css="", colours="", **issue):
    folder = make_issue(tmp_path / "issue", **issue)
    layout = make_layout(tmp_path / "layout", css, colours)
    findings, pages = check_path(folder, layout=str(layout))
    return findings, pages


def line_of(folder, start):
    lines = (folder / "issue.md").read_text(encoding="utf-8").split("\n")
    return next(n for n, text in enumerate(lines, 1) if text.startswith(start))


def of(findings, check):
    return [f for f in findings if f.check == check]


def test_measure_outside_45_to_80_characters(tmp_path):
    findings, _ = run(tmp_path, css=".contribution > p { font-size: 6pt; }")
    measure = of(findings, "measure")
    assert measure, findings
    assert "characters per line" in measure[0].message
    assert int(measure[0].message.split("measure of ")[1].split()[0]) > 80
    assert measure[0].file.endswith("issue.md")
    assert measure[0].line == line_of(tmp_path / "issue", "## Without")  # the piece's headline


def test_heading_forced_to_the_page_bottom(tmp_path):
    css = (".contribution:first-of-type { break-before: page; }\n"
           ".contribution:first-of-type h3 { margin-top: 232mm !important; "
           "break-after: page !important; }")
    findings, _ = run(tmp_path, css=css)
    stranded = of(findings, "stranded-heading")
    assert stranded, findings
    headline = [f for f in stranded if "Without shared rules" in f.message]
    assert headline, stranded
    assert headline[0].line == line_of(tmp_path / "issue", "## Without")


def test_split_pull_quote_and_lone_attribution(tmp_path):
    css = (".pull-quote, .grid .pull-quote { float: none !important; width: auto !important; "
           "margin: 0 !important; break-inside: auto !important; }\n"
           ".pull-quote p, .grid .pull-quote p { display: block !important; "
           "font-size: 60pt !important; line-height: 1.2 !important; }\n"
           ".attribution { break-before: page !important; }")
    long_quote = " ".join(["Every megawatt sold across a border keeps the river predictable"] * 4)
    findings, _ = run(tmp_path, css=css, pull_quote=long_quote)
    assert any("pull quote" in f.message for f in of(findings, "split")), findings
    separated = of(findings, "separated")
    assert any("attribution" in f.message and "alone at the top" in f.message
               for f in separated), findings


def test_one_word_last_line_of_a_headline_and_an_attribution(tmp_path):
    css = (".contribution h3 { width: 80mm; }\n"
           ".attribution { width: 1mm; text-align: left !important; }")
    findings, _ = run(tmp_path, css=css,
                      headline="Why the dams matter for interconnectionalities")
    lines = of(findings, "one-word-line")
    assert any("headline" in f.message and "interconnectionalities" in f.message
               for f in lines), findings
    assert any("attribution" in f.message and "“Bo”" in f.message for f in lines), findings


def test_three_hyphens_in_a_row(tmp_path):
    words = ("internationalisation incomprehensibility characteristically "
             "representativeness electrification institutionalisation ") * 4
    css = (".contribution > p { width: 38mm; hyphens: auto; text-align: justify; "
           "hyphenate-limit-chars: 5 2 2; }")
    findings, _ = run(tmp_path, css=css, text=words)
    hyphens = of(findings, "hyphens")
    assert hyphens, findings
    assert "3 lines in a row end in a hyphen" in hyphens[0].message


def test_a_page_filled_below_the_threshold(tmp_path):
    css = ".bios { break-before: page !important; }"
    findings, pages = run(tmp_path, css=css)
    fill = of(findings, "page-fill")
    assert fill and fill[-1].page == pages, findings  # the bios' short last page
    assert fill[-1].file.endswith("contributors.yaml")
    assert not any(f.page == 1 for f in fill)  # the cover is excepted


def test_text_and_rules_outside_the_safe_area_and_marks_in_the_bleed(tmp_path):
    # fixed: placed against the page area (20 mm margins), 1 mm from the trim
    css = (".lede h2 { position: fixed; left: -19mm; top: 30mm; margin: 0 !important; "
           "border-bottom: 1pt solid black; }\n"
           "@page { bleed: 3mm; marks: crop; }")
    findings, _ = run(tmp_path, css=css)
    safe = of(findings, "safe-area")
    assert any("lies outside the safe area" in f.message for f in safe), findings
    assert any("rule" in f.message for f in safe), findings
    assert any("crop marks" in f.message for f in of(findings, "bleed")), findings


def test_low_contrast_colour_in_layout_toml(tmp_path):
    findings, _ = run(tmp_path, colours='text = "#bbbbbb"')
    contrast = of(findings, "contrast")
    assert contrast, findings
    assert any("#bbbbbb on #ffffff" in f.message for f in contrast), contrast
    ratio = float(contrast[0].message.split("contrast of ")[1].split(":")[0])
    assert ratio < 4.5


@pytest.mark.parametrize("shade, expected", [(250, True), (15, False)])
def test_contrast_sampled_on_the_cover_image(tmp_path, shade, expected):
    from PIL import Image

    folder = tmp_path / "issue"
    (folder / "images").mkdir(parents=True)
    Image.new("RGB", (60, 80), (shade, shade, shade)).save(folder / "images" / "cover.jpg")
    make_issue(folder, extra_front="cover_image: images/cover.jpg")
    css = (".cover { position: relative; }\n"
           ".cover-image { position: absolute; top: -24mm; left: -20mm; width: 210mm; "
           "height: 297mm; object-fit: cover; }\n"
           ".cover .title { position: relative; color: white !important; }\n"
           ".cover-band, .cover-main, .cover-contributors { background: none !important; }")
    layout = make_layout(tmp_path / "layout", css)
    findings, _ = check_path(folder, layout=str(layout))
    on_image = [f for f in of(findings, "contrast")
                if "The Nile" in f.message and "image" in f.message]
    assert bool(on_image) is expected, findings


def test_overset_text_that_is_cut_off(tmp_path):
    css = ".cover .standfirst { height: 6mm; overflow: hidden; }"
    findings, _ = run(tmp_path, css=css, standfirst=" ".join(["Five experts react."] * 20))
    overset = of(findings, "overset")
    assert overset and overset[0].page == 1, findings
    assert "cut off" in overset[0].message


def test_fallback_font_for_characters_the_layout_lacks(tmp_path):
    findings, _ = run(tmp_path, second_text=BODY + " नमस्ते दुनिया " + BODY)
    fonts = of(findings, "fonts")
    assert fonts, findings
    assert any("नमस्ते" in f.message for f in fonts)


def test_fonts_found_after_a_build_too(tmp_path):
    """A build checks the pages after writing the PDF, where the fonts check
    reads what WeasyPrint drew with: a fallback family, and a character no font
    has (a private-use code point), are still found, on their page."""
    from briefgen.pipeline.build import build

    folder = make_issue(tmp_path / "issue", second_text=BODY + " नमस्ते दुनिया \ue000 " + BODY)
    result = build(folder, output_dir=tmp_path / "out", formats=("pdf",))
    fonts = of(result.findings, "fonts")
    assert any("नमस्ते" in f.message and "bundle" in f.message for f in fonts), fonts
    assert any("no font has" in f.message for f in fonts), fonts
    clean = build(make_issue(tmp_path / "clean"), output_dir=tmp_path / "out2",
                  formats=("pdf",))
    assert not of(clean.findings, "fonts")


def test_json_findings_and_exit_code_3(tmp_path):
    folder = make_issue(tmp_path / "issue")
    layout = make_layout(tmp_path / "layout", colours='text = "#bbbbbb"')
    result = run_cli("check", folder, "--layout", layout, "--json")
    assert result.exit_code == 3, result.output
    data = json.loads(result.output)
    assert data["pages"] >= 2
    assert data["findings"]
    first = data["findings"][0]
    assert set(first) == {"check", "page", "message", "source"}
    assert set(first["source"]) == {"file", "line"}
    assert Finding.from_dict(first).as_dict() == first
    plain = run_cli("check", folder, "--layout", layout)
    assert plain.exit_code == 3
    assert "contrast" in plain.output and "page " in plain.output


def test_clean_exit_0_and_a_bad_page_size_exit_2(tmp_path, monkeypatch):
    import briefgen.preflight as preflight

    folder = make_issue(tmp_path / "issue")
    monkeypatch.setattr(preflight, "check", lambda *args: [])
    result = run_cli("check", folder, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["findings"] == []
    bad = run_cli("check", folder, "--page-size", "A5")
    assert bad.exit_code == 2


def test_every_build_prints_the_findings_as_warnings(tmp_path):
    folder = make_issue(tmp_path / "issue")
    layout = make_layout(tmp_path / "layout", colours='text = "#bbbbbb"')
    result = run_cli("build", folder, "--layout", layout, "-f", "pdf", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "issue.pdf").is_file()
    warnings = [line for line in result.output.splitlines() if line.startswith("warning: page ")]
    assert any("contrast" in line for line in warnings), result.output
