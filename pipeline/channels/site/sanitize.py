"""Markdown bodies -> HTML that is safe inside a page: raw HTML already escaped by the parser, then nh3."""

from __future__ import annotations

import re

import nh3
from markupsafe import Markup

from pipeline.markdown import render_markdown

# Images in bodies are dropped: pictures come from the `images:` field (sized, credited, local), and a body
# image could load from another host.
_TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre", "blockquote",
         "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "del"}
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"style"}, "td": {"style"}}
_HEADING = re.compile(r"<(/?)h([1-6])>")


def markdown_html(text: str, top_level: int = 2) -> Markup:
    """Render Markdown, shift its headings so the body's highest one becomes h<top_level>, sanitize."""
    return Markup(nh3_clean(shift_headings(render_markdown(text), top_level)))


def shift_headings(html: str, top_level: int) -> str:
    """Heading tags (exactly `<hN>` and `</hN>`) moved so the highest opened becomes top_level, within h1-h6.
    The same as rewriting every tag in one pass of _HEADING.sub, done with str.replace one level at a time, the
    level moved towards first: a tag already moved is never moved again (tests/test_markdown.py compares the two)."""
    found = set(_HEADING.findall(html))
    opened = [int(level) for close, level in found if not close]
    if not opened:
        return html
    shift = top_level - min(opened)
    if shift == 0:
        return html
    for n in sorted({int(level) for _, level in found}, reverse=shift > 0):
        to = min(6, max(1, n + shift))
        if to != n:
            html = html.replace(f"<h{n}>", f"<h{to}>").replace(f"</h{n}>", f"</h{to}>")
    return html


def nh3_clean(html: str) -> str:
    """What every body's HTML goes through."""
    return nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                      link_rel="noopener nofollow", strip_comments=True,
                      filter_style_properties={"text-align"})
