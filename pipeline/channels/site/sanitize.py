"""Markdown bodies -> HTML that is safe inside a page: raw HTML already escaped by the parser, then nh3."""

from __future__ import annotations

import re

import nh3
from markupsafe import Markup

from pipeline.markdown import fast_markdown, render_markdown_reference

# Images in bodies are dropped: pictures come from the `images:` field (sized, credited, local), and a body
# image could load from another host.
_TAGS = {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre", "blockquote",
         "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "del"}
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"style"}, "td": {"style"}}
_HEADING = re.compile(r"<(/?)h([1-6])>")
# cmark-gfm's HTML for a plain body (pipeline/markdown.py) made only of these tags, the four entities it
# escapes text with and ordinary characters: nh3 keeps every tag as it is and only writes `&quot;` as `"`
# (html5ever escapes &, <, > and no-break spaces in text, nothing else). Anything else goes through nh3.
# One search per kind of thing that is not as is: characters, entities, tags (far cheaper than one alternation
# of the three tried at every position; tests/test_markdown.py compares them with that alternation).
_NOT_AS_IS_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\xa0\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_NOT_AS_IS_ENTITY = re.compile(r"&(?!(?:amp|lt|gt|quot);)")
_NOT_AS_IS_TAG = re.compile(r'<(?!(?:/?(?:p|h[1-6]|ul|ol|li)|ol start="\d{1,9}")>)')


def clean_as_is(html: str) -> bool:
    """Every '<' opens one of those tags, and its '>' is the only one (text has &gt;): searches, no nh3."""
    return (html.count("<") == html.count(">") and _NOT_AS_IS_CHARS.search(html) is None
            and ("&" not in html or _NOT_AS_IS_ENTITY.search(html) is None) and _NOT_AS_IS_TAG.search(html) is None)


def markdown_html(text: str, top_level: int = 2) -> Markup:
    """Render Markdown, shift its headings so the body's highest one becomes h<top_level>, sanitize."""
    fast = fast_markdown(text)
    html = fast if fast is not None else render_markdown_reference(text)
    html = shift_headings(html, top_level)
    if fast is not None and clean_as_is(html):
        return Markup(html.replace("&quot;", '"'))
    return Markup(nh3_clean(html))


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
    """What every body's HTML would go through: the reference for the shortcut in markdown_html."""
    return nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                      link_rel="noopener nofollow", strip_comments=True,
                      filter_style_properties={"text-align"})
