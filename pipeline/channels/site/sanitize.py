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
    """Render Markdown, shift its headings so the body's highest one becomes h<top_level>, sanitize with nh3."""
    return Markup(clean(shift_headings(render_markdown(text), top_level)))


def shift_headings(html: str, top_level: int) -> str:
    """Heading tags (exactly `<hN>` and `</hN>`) moved so the highest opened becomes top_level, within h1-h6."""
    levels = [int(m.group(2)) for m in _HEADING.finditer(html) if not m.group(1)]
    if not levels:
        return html
    shift = top_level - min(levels)
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, max(1, int(m.group(2)) + shift))}>", html)


def clean(html: str) -> str:
    """Untrusted HTML made safe: only the tags and attributes above, links to the web or mail only."""
    return nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener nofollow", strip_comments=True, filter_style_properties={"text-align"})
