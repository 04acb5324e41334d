"""The Jinja environment layouts' templates run in: sandboxed, autoescaped, strict."""
from __future__ import annotations

from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from markupsafe import Markup, escape

from ..errors import LayoutError
from ..layouts import Layout
from ..model import first_strong_direction, list_separator
from .common import format_date, issue_line, labels, section_anchors, split_for_pull_quote
from .html import blocks_html, spans_html


def css_string(value) -> Markup:
    """A value as a CSS string literal, safe inside <style> (no `</style>` escape)."""
    text = str(value)
    for char, code in (("\\", "\\5c "), ('"', "\\22 "), ("<", "\\3c "), ("\n", "\\a ")):
        text = text.replace(char, code)
    return Markup(f'"{text}"')


def no_widow(text: str) -> Markup:
    """Keep the last two words on one line, so a title or headline never ends with
    one short word alone. A nowrap span, not a no-break space: the text (and the
    bookmarks and tags made from it) stays exactly as written."""
    words = str(text).split(" ")
    if len(words) >= 3 and len(words[-1]) <= 12:
        head, tail = " ".join(words[:-2]), " ".join(words[-2:])
        return escape(head) + Markup(' <span class="nowrap">') + escape(tail) + Markup("</span>")
    return escape(text)


def _direction(text: str, default: str = "ltr") -> str:
    """"rtl" or "ltr" for a name or line, as HTML's dir="auto" would decide."""
    return first_strong_direction(text) or default


def environment(layout: Layout) -> SandboxedEnvironment:
    # A layout's own templates shadow its ancestors'; "policy-brief/issue.html.j2"
    # names an ancestor's template explicitly, for {% extends %}.
    loader = ChoiceLoader([
        FileSystemLoader([str(d) for d in layout.template_dirs]),
        PrefixLoader({name: FileSystemLoader(str(folder)) for name, folder in layout.ancestors}),
    ])
    env = SandboxedEnvironment(loader=loader,
                               autoescape=True, undefined=StrictUndefined,
                               trim_blocks=True, lstrip_blocks=True)
    env.filters.update(blocks=blocks_html, spans=spans_html, css_string=css_string,
                       date=format_date, no_widow=no_widow)
    env.globals.update(labels=labels, issue_line=issue_line, section_anchors=section_anchors,
                       separator=list_separator, direction=_direction,
                       split_for_pull_quote=split_for_pull_quote)
    return env


def render_template(layout: Layout, name: str, **context) -> str:
    context.setdefault("layout", layout)
    try:
        return environment(layout).get_template(name).render(**context)
    except SecurityError as exc:
        raise LayoutError(f"template {name} tried something unsafe: {exc}",
                          path=layout.templates_dir / name,
                          hint="layout templates may only use the documented variables") from None
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = getattr(exc, "filename", None) or layout.templates_dir / name
        raise LayoutError(f"template error: {exc.message}", path=where,
                          line=line, hint="fix the template (see the layout docs)") from None
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, ZeroDivisionError) as exc:
        # A template doing arithmetic on text, indexing past an end…: the layout's mistake.
        raise LayoutError(f"template failed: {type(exc).__name__}: {exc}",
                          path=layout.templates_dir / name,
                          hint="fix the template (see the layout docs)") from None
