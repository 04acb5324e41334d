"""Hostile layouts (issue 11, items 1 and 4): a shared layout's templates get plain
data in a strict sandbox, and every file a layout brings (manifest, templates,
stylesheets, fonts) must lie inside its own folder. `layouts new` never copies
what a link points to."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import shutil
from pathlib import Path, PurePath

import pytest

from .conftest import ROOT, SAMPLE, run_cli

PACK = ROOT / "content" / "board-pack"
ATTACK_LINE = 4


def snapshot(root: Path, skip: Path) -> dict:
    """Every file, folder and link under `root` (but `skip`): what a user would compare."""
    seen = {}
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if here / d != skip]
        for name in dirnames + filenames:
            path = here / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                seen[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                seen[rel] = ("dir",)
            else:
                seen[rel] = ("file", hashlib.sha256(path.read_bytes()).hexdigest(),
                             path.stat().st_mode)
    return seen


@pytest.fixture
def world(tmp_path, monkeypatch):
    """A home folder with a secret and a victim file, an issue, and room for layouts."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "secret.txt").write_text("TOP-SECRET-CONTENT\n", encoding="utf-8")
    (home / "victim.txt").write_text("keep me\n", encoding="utf-8")
    (home / ".bashrc").write_text("# mine\n", encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    issue = tmp_path / "issue"
    shutil.copytree(SAMPLE, issue)
    return tmp_path


def hostile_layout(folder: Path, attack: str, *, kind: str = "issue") -> Path:
    """A layout extending policy-brief whose template runs `attack` on line 4."""
    (folder / "templates").mkdir(parents=True)
    (folder / "layout.toml").write_text('extends = "policy-brief"\n', encoding="utf-8")
    block = "contents" if kind == "issue" else "page_style"
    (folder / "templates" / f"{kind}.html.j2").write_text(
        f'{{% extends "policy-brief/{kind}.html.j2" %}}\n'
        f"{{% block {block} %}}\n"
        "<p>an ordinary line</p>\n"
        f"<p>{attack}</p>\n"
        "{% endblock %}\n", encoding="utf-8")
    return folder


SECRET = "'{home}/secret.txt'"
VICTIM = "'{home}/victim.txt'"

# Each of these worked (or reached a Path) on the code before issue 11, or is an
# escape that the sandbox must keep closed.
ATTACKS = {
    "read_text": "{{ layout.path.joinpath(SECRET).read_text() }}",
    "write_text": "{{ layout.path.joinpath(VICTIM).write_text('pwned') }}",
    "open": "{{ issue.source_dir.joinpath(SECRET).open().read() }}",
    "unlink": "{{ issue.source_dir.joinpath(VICTIM).unlink() }}",
    "iterdir": "{{ issue.source_dir.parent.iterdir() | list }}",
    "photo-path": "{{ issue.contributors[0].photo.path.with_name('x').joinpath(SECRET)"
                  ".read_bytes() }}",
    "home-bashrc": "{{ layout.path.home().joinpath('.bashrc').write_text('echo owned') }}",
    "attr-filter": "{{ (layout | attr('path') | attr('joinpath'))(VICTIM).unlink() }}",
    "templates-dir": "{{ layout.template_dirs[0].joinpath(SECRET).read_text() }}",
    "font-file": "{{ layout.faces[0].file.joinpath(SECRET).read_text() }}",
    "os": "{{ cycler.__init__.__globals__.os.remove(VICTIM) }}",
    "subprocess": "{{ namespace.__init__.__globals__.__builtins__.__import__('subprocess')"
                  ".run(['rm', VICTIM]) }}",
    "__globals__": "{{ labels.__globals__ }}",
    "self": "{{ self.__init__.__globals__ }}",
    "self-context": "{{ self._TemplateReference__context.parent }}",
    "cycler": "{{ cycler.__init__.__globals__.os }}",
    "joiner": "{{ joiner.__init__.__globals__ }}",
    "namespace": "{{ namespace.__init__.__globals__ }}",
    "class-mro": "{{ namespace.mro() }}",
    "method-of-a-method": "{{ issue.contributors[0].name.upper.__self__ }}",
    "str-format": "{{ '{0.path}'.format(layout) }}",
    "subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_hostile_template_is_refused_with_file_and_line(world, name):
    home = world / "home"
    attack = ATTACKS[name].replace("SECRET", SECRET.format(home=home)) \
        .replace("VICTIM", VICTIM.format(home=home))
    layout = hostile_layout(world / "layout", attack)
    out = world / "out"
    before = snapshot(world, skip=out)
    result = run_cli("build", world / "issue", "--layout", layout, "-o", out, "-f", "pdf")
    assert result.exit_code == 2, result.output
    template = layout.resolve() / "templates" / "issue.html.j2"
    assert f"{template}:{ATTACK_LINE}:" in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert snapshot(world, skip=out) == before
    assert not out.exists() or not any(out.iterdir())
    assert "TOP-SECRET" not in result.output


def test_hostile_pack_template_cannot_reach_annex_or_pack_paths(world):
    pack = world / "pack"
    shutil.copytree(PACK, pack)
    for name in ("nile-dispute", "energy-forum"):
        shutil.copytree(ROOT / "content" / name, world / name)
    home = world / "home"
    layout = hostile_layout(world / "layout", "{{ pack.annexes[0].path.with_name('x')"
                            f".joinpath('{home}/victim.txt').unlink() }}}}", kind="pack")
    out = world / "out"
    before = snapshot(world, skip=out)
    result = run_cli("build", pack, "--layout", layout, "-o", out, "-f", "pdf")
    assert result.exit_code == 2, result.output
    assert f"{layout.resolve() / 'templates' / 'pack.html.j2'}:{ATTACK_LINE}:" in result.stderr
    assert snapshot(world, skip=out) == before


def test_templates_receive_plain_data_only():
    """Nothing a template can reach is a file path or a method with side effects."""
    from briefgen.content.issue_folder import load_issue
    from briefgen.layouts import find_layout
    from briefgen.model import Annex, Pack, Recipient
    from briefgen.render.templating import template_context

    issue = load_issue(SAMPLE).issue
    pack = Pack(title="P", date=dt.date(2026, 1, 1), slug="p", issues=(issue,),
                annexes=(Annex(id="a", title="A", path=PACK / "annexes" / "nile-timeline.pdf",
                               pages=1),),
                recipient=Recipient(name="R"), source_dir=PACK)
    context = template_context(find_layout("conference"), issue=issue, pack=pack,
                               covers=[Recipient(name="R")], t={"a": "b"}, created="x")
    plain_types = (str, int, float, bool, type(None), dt.date)
    seen = set()

    def walk(value, where):
        if id(value) in seen:
            return
        seen.add(id(value))
        assert not isinstance(value, PurePath), where
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{where}[{key!r}]")
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                walk(item, f"{where}[{index}]")
        elif dataclasses.is_dataclass(value):
            assert type(value).__module__ == "briefgen.model", where
            assert type(value).__dataclass_params__.frozen, where
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name), f"{where}.{f.name}")
        else:
            assert isinstance(value, plain_types), f"{where}: {type(value).__name__}"

    walk(context, "context")
    assert context["layout"]["name"] == "conference"
    assert context["layout"]["colours"]["accent"].startswith("#")
    photo = context["issue"].contributors[0].photo
    assert str(photo.path).startswith("file:///") and str(photo.path).endswith(".jpg")


def test_shipped_templates_still_render_photos(tmp_path):
    """The photos reach the PDF by URL: the conference layout shows both portraits."""
    import pikepdf

    result = run_cli("build", SAMPLE, "--layout", "conference", "-o", tmp_path, "-f", "pdf")
    assert result.exit_code == 0, result.output
    with pikepdf.open(tmp_path / "nile-dispute.pdf") as pdf:
        images = sum(len(page.get_images()) for page in pdf.pages)
    assert images >= 2


# --- symbolic links -------------------------------------------------------------------

def linked_layout(world: Path) -> Path:
    layout = world / "layout"
    (layout / "templates").mkdir(parents=True)
    (layout / "layout.toml").write_text('extends = "policy-brief"\n', encoding="utf-8")
    return layout


def test_included_template_linked_outside_is_refused(world):
    layout = linked_layout(world)
    (layout / "templates" / "secret.html.j2").symlink_to(world / "home" / "secret.txt")
    (layout / "templates" / "issue.html.j2").write_text(
        '{% extends "policy-brief/issue.html.j2" %}\n{% block contents %}\n'
        '{% include "secret.html.j2" %}\n{% endblock %}\n', encoding="utf-8")
    out = world / "out"
    result = run_cli("build", world / "issue", "--layout", layout, "-o", out, "-f", "pdf")
    assert result.exit_code == 2, result.output
    assert "secret.html.j2" in result.stderr and "outside" in result.stderr
    assert "TOP-SECRET" not in result.output and "Traceback" not in result.output
    assert not list(out.glob("*.pdf"))


def test_templates_folder_linked_outside_is_refused(world):
    outside = world / "elsewhere"
    (outside / "templates").mkdir(parents=True)
    (outside / "templates" / "issue.html.j2").write_text(
        '{% extends "policy-brief/issue.html.j2" %}', encoding="utf-8")
    layout = world / "layout"
    layout.mkdir()
    (layout / "layout.toml").write_text('extends = "policy-brief"\n', encoding="utf-8")
    (layout / "templates").symlink_to(outside / "templates")
    result = run_cli("build", world / "issue", "--layout", layout, "-o", world / "out",
                     "-f", "pdf")
    assert result.exit_code == 2, result.output
    assert "templates" in result.stderr and "outside" in result.stderr
    assert not list((world / "out").glob("*.pdf"))


def test_manifest_linked_outside_is_refused(world):
    outside = world / "elsewhere"
    outside.mkdir()
    (outside / "layout.toml").write_text('extends = "policy-brief"\n', encoding="utf-8")
    layout = world / "layout"
    layout.mkdir()
    (layout / "layout.toml").symlink_to(outside / "layout.toml")
    result = run_cli("build", world / "issue", "--layout", layout, "-o", world / "out",
                     "-f", "pdf")
    assert result.exit_code == 2, result.output
    assert "layout.toml" in result.stderr and "outside" in result.stderr


@pytest.mark.parametrize("what", ["stylesheet", "font"])
def test_stylesheet_or_font_linked_outside_is_refused(world, what):
    layout = linked_layout(world)
    outside = world / "elsewhere"
    outside.mkdir()
    if what == "stylesheet":
        (outside / "evil.css").write_text("body { color: red }\n", encoding="utf-8")
        (layout / "style.css").symlink_to(outside / "evil.css")
    else:
        shutil.copy(ROOT / "layouts" / "policy-brief" / "fonts" / "NotoSans-Regular.ttf",
                    outside / "Evil.ttf")
        (layout / "fonts").mkdir()
        (layout / "fonts" / "Evil.ttf").symlink_to(outside / "Evil.ttf")
        (layout / "layout.toml").write_text(
            'extends = "policy-brief"\n[fonts]\nbody = "Evil"\n'
            '[[fonts.faces]]\nfamily = "Evil"\nfile = "fonts/Evil.ttf"\n', encoding="utf-8")
    result = run_cli("build", world / "issue", "--layout", layout, "-o", world / "out",
                     "-f", "pdf")
    assert result.exit_code == 2, result.output
    assert str(layout.resolve() / "layout.toml") in result.stderr
    assert "outside" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("target", ["file-outside", "file-inside", "folder-outside"])
def test_layouts_new_refuses_links_and_copies_nothing(world, target):
    source = world / "shared"
    shutil.copytree(ROOT / "layouts" / "memo", source)
    outside = world / "elsewhere"
    (outside / "fonts").mkdir(parents=True)
    (outside / "big.ttf").write_bytes(b"\0" * 100_000)
    link = source / "fonts" / "system.ttf"
    if target == "file-outside":
        link.symlink_to(outside / "big.ttf")
    elif target == "file-inside":
        link.symlink_to(source / "fonts" / "Carlito-Regular.ttf")
    else:
        link = source / "system-fonts"
        link.symlink_to(outside / "fonts")
    destination = world / "copy"
    result = run_cli("layouts", "new", "copy", "--from", source, "-o", destination)
    assert result.exit_code == 2, result.output
    assert link.name in result.stderr and "link" in result.stderr
    assert "Traceback" not in result.output
    assert not destination.exists()


def test_layouts_new_copy_of_a_clean_layout_still_works(world):
    source = world / "shared"
    source.mkdir()
    (source / "layout.toml").write_text('extends = "memo"\n[colours]\naccent = "#112233"\n',
                                        encoding="utf-8")
    result = run_cli("layouts", "new", "copy", "--from", source, "-o", world / "copy")
    assert result.exit_code == 0, result.output
    assert (world / "copy" / "templates" / "issue.html.j2").is_file()
    assert (world / "copy" / "templates" / "memo" / "issue.html.j2").is_file()
    assert not any(p.is_symlink() for p in (world / "copy").rglob("*"))
    result = run_cli("build", world / "issue", "--layout", world / "copy", "-o",
                     world / "out", "-f", "pdf")
    assert result.exit_code == 0, result.output


def test_fetcher_reads_real_paths_inside_its_folders_only(tmp_path):
    from briefgen.render.fetch import ConfinedFetcher, RefusedURL

    root = tmp_path / "layout"
    root.mkdir()
    (tmp_path / "secret.txt").write_text("TOP-SECRET", encoding="utf-8")
    (root / "style.css").write_text("p { color: red }", encoding="utf-8")
    (root / "inner.css").symlink_to(root / "style.css")
    (root / "outer.css").symlink_to(tmp_path / "secret.txt")
    warnings: list = []
    fetcher = ConfinedFetcher((root,), warnings)
    response = fetcher.fetch((root / "inner.css").as_uri())
    assert response.read() == b"p { color: red }" and response.content_type == "text/css"
    for url in ((root / "outer.css").as_uri(), root.as_uri() + "/%2e%2e/secret.txt",
                root.as_uri() + "/../secret.txt?x", "file:///etc/passwd"):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
    assert len(warnings) == 4 and all("outside" in w for w in warnings)


def test_ordinary_jinja_still_works_in_a_layout(world):
    """The allow-list keeps what layouts legitimately use: blocks, super(), macros
    with caller(), loops, namespace/cycler/joiner, pure str/dict/date methods."""
    layout = linked_layout(world)
    (layout / "templates" / "issue.html.j2").write_text(
        '{% extends "policy-brief/issue.html.j2" %}\n'
        "{% macro panel(title) %}<div>{{ title }}:{{ caller() }}</div>{% endmacro %}\n"
        "{% block contents %}{{ super() }}\n"
        "{% set ns = namespace(n=0) %}{% set rows = cycler('odd', 'even') %}"
        "{% set comma = joiner(', ') %}\n"
        "{% call panel('Check') %}{% for p in issue.contributors %}{% set ns.n = ns.n + 1 %}"
        "{{ comma() }}{{ rows.next() }}-{{ loop.cycle('a', 'b') }}-"
        "{{ p.name.upper().replace(' ', '_') }}{% endfor %}{% endcall %}\n"
        "<p>{{ ns.n }} {{ layout.colours.get('accent') }} "
        "{{ layout.fonts.items() | list | length }} {{ issue.date.strftime('%Y') }} "
        "{{ '{}+{}'.format(1, 2) }} {{ self.lede() | length > 0 }} "
        "{{ issue.contributors[0].photo.path.as_uri()[:8] }} "
        "{{ issue.contributors[0].photo | url | truncate(11, True, '') }}</p>\n"
        "{% endblock %}\n", encoding="utf-8")
    result = run_cli("build", world / "issue", "--layout", layout, "-o", world / "out",
                     "-f", "pdf")
    assert result.exit_code == 0, result.output
    from .test_build_pdf import pdf_pages_text

    text = " ".join(pdf_pages_text(world / "out" / "issue.pdf"))
    assert "Check:odd-a-AMIRA_HADDAD" in text.replace("\n", "")
    assert "5 #" in text and "2026" in text and "1+2 True file:/// file:///" in text


@pytest.mark.parametrize("attack", ["{{ 'x' * 10 ** 9 }}", "{{ 2 ** 100000000 }}",
                                    "{{ lipsum(10 ** 8) }}", "{{ [0] * 10 ** 9 }}"])
def test_templates_cannot_exhaust_the_machine(world, attack):
    layout = hostile_layout(world / "layout", attack)
    result = run_cli("build", world / "issue", "--layout", layout, "-o", world / "out",
                     "-f", "pdf")
    assert result.exit_code == 2, result.output
    assert f"{layout.resolve() / 'templates' / 'issue.html.j2'}:{ATTACK_LINE}:" in result.stderr


def test_a_refused_stylesheet_url_is_reported_once_with_its_line(tmp_path):
    """A url() a layout may not load is named once, with its file and line, also
    when it is spelt with a CSS escape, and when the build reads the stylesheets
    a second time (a renderer for the fitted tokens)."""
    import shutil

    from briefgen.layouts import find_layout
    from briefgen.render.fetch import report_stylesheet_urls

    folder = tmp_path / "evil"
    shutil.copytree(ROOT / "layouts" / "policy-brief", folder)
    (folder / "layout.toml").write_text((folder / "layout.toml").read_text(encoding="utf-8")
                                        .replace('name = "policy-brief"', 'name = "evil"'),
                                        encoding="utf-8")
    style = folder / "style.css"
    lines = style.read_text(encoding="utf-8").count("\n")
    with style.open("a", encoding="utf-8") as out:
        out.write('.cover { background-image: u\\72l("file:///etc/passwd"); }\n'
                  '.back::after { content: "url(file:///etc/hostname)"; }\n')
    layout = find_layout(str(folder))
    warnings: list = []
    for _ in range(2):
        refused = report_stylesheet_urls(layout, tuple(layout.folders), warnings, False)
    assert refused == {"file:///etc/passwd"}
    assert warnings == [f"{style}:{lines + 1}: refused url(file:///etc/passwd): it is outside "
                        "the issue and layout folders; left out of the PDF"]
