"""Markdown bodies -> HTML, the same way for every channel. Raw HTML in Markdown is escaped, not passed.

markdown-it-py defines the output. It is pure Python, though, and rendering every body of a large site with
it is the biggest single cost of a cold build; so plain bodies (paragraphs, headings, lists, rules and
entities: what our routes and events are made of) are rendered by cmark-gfm, CommonMark's reference parser
in C, whose HTML for them is byte for byte the same. Everything else goes to markdown-it-py, where the two
may differ: emphasis (cmark-gfm follows CommonMark 0.29, markdown-it-py 0.31, whose rules for delimiters
next to punctuation differ), links (normalisation, unsafe schemes), raw HTML, code, GFM tables, quotes
and edge cases of lazy lines, blank list items and whitespace. tests/test_markdown.py holds the two to the same output on the shipped
bodies and on generated ones.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import unescape
from typing import TYPE_CHECKING

import cmarkgfm

if TYPE_CHECKING:
    from markdown_it import MarkdownIt


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    from markdown_it import MarkdownIt  # only when a body needs it: the import alone takes 80 ms

    # "commonmark" with html disabled: editors' raw HTML (and anything pasted from feeds) is shown as text.
    # markdown-it's validateLink already refuses javascript:, vbscript:, file: and most data: links.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


# Text that sends a body to markdown-it: emphasis and * bullets (* _), raw HTML and autolinks (<), code (` and ~~~ fences), links and
# reference definitions (]( and ]:), tables (|), a backslash before a space or line break, tabs, control
# characters and Unicode spaces (markdown-it strips them where cmark keeps them), numeric character references
# (markdown-it turns those of control characters and non-characters into U+FFFD, cmark-gfm does not).
_NOT_PLAIN = re.compile(r"[*_<`]|~~~|\]\(|\]:|\||\\[ \n]|&#|"
                        r"[\t\x00-\x08\x0b-\x1f\x7f-\xa0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]")
# Every alternative of _NOT_PLAIN begins with one of these characters: a text with none of them (most bodies) is
# plain by a scan for single characters, far cheaper than the alternation tried at every position.
_NOT_PLAIN_FIRST = re.compile(r"[*_<`~\]|\\&\t\x00-\x08\x0b-\x1f\x7f-\xa0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]")


def _not_plain(text: str) -> bool:
    """`_NOT_PLAIN.search(text) is not None`."""
    return _NOT_PLAIN_FIRST.search(text) is not None and _NOT_PLAIN.search(text) is not None


# Every line of a plain body: blank, an ATX heading, a list item of one level (marker, one space, text) or
# text; none indented, none opening a quote, a rule, a setext underline or a second marker.
_START = r"(?![ \n>#=+\-]|\d{1,9}[.)](?: |\n))"
_PLAIN_LINES = re.compile(rf"(?:(?:#{{1,6}} (?! )|(?:[-+]|\d{{1,9}}[.)]) {_START}|{_START})[^\n]*\n|\n)*")
# Output where the renderers may differ: quotes (lazy lines), items that open with a rule (tight or loose),
# lists nested deeper than a few levels (markdown-it stops at 20 levels of nesting).
_LIST_TAG = re.compile(r"<(/?)(?:ul|ol)\b")
_MAX_DEPTH = 6


def _fast(text: str) -> str | None:
    """cmark-gfm's HTML for a plain body, None for a body only markdown-it may render."""
    if not text.endswith("\n") or _not_plain(text) or not _PLAIN_LINES.fullmatch(text):
        return None
    try:
        html: str = cmarkgfm.markdown_to_html(text)
    except UnicodeDecodeError:  # cmark-gfm writes &#xFFFE; as bytes that are not UTF-8
        return None
    if "<blockquote" in html or "<li>\n<hr" in html or _deeper_lists(html):
        return None
    return html


def _deeper_lists(html: str) -> bool:
    """Lists nested more than _MAX_DEPTH deep; no more lists than that in all (most bodies) needs no walk."""
    return html.count("<ul") + html.count("<ol") > _MAX_DEPTH and _list_depth(html) > _MAX_DEPTH


def _list_depth(html: str) -> int:
    depth = deepest = 0
    for match in _LIST_TAG.finditer(html):
        depth += -1 if match.group(1) else 1
        deepest = max(deepest, depth)
    return deepest


def render_markdown(text: str) -> str:
    fast = _fast(text)
    return fast if fast is not None else render_markdown_reference(text)


def fast_markdown(text: str) -> str | None:
    """cmark-gfm's HTML when the body is plain (what render_markdown returns then), else None."""
    return _fast(text)


def render_markdown_reference(text: str) -> str:
    """markdown-it-py's HTML, always: what render_markdown must equal (and returns for a body fast_markdown refused)."""
    return _parser().render(text)


# In a plain body's HTML, the paragraphs markdown-it's tokens hold, in order: <p> blocks and the items of tight
# lists (whose paragraph is hidden); a loose item's "<li>\n<p>" is matched at its <p>.
_PARAGRAPH = re.compile(r"<p>(.*?)</p>|<li>(?!\n)(.*?)</li>", re.S)


def plain_first_paragraph(text: str) -> str | None:
    """For a plain body, the text of its first paragraph with any text (line breaks dropped, entities decoded,
    stripped; "" when none): what markdown-it's tokens give, without importing markdown-it (~40 ms).
    None when only markdown-it may parse the body."""
    html = _fast(text if text.endswith("\n") else text + "\n")
    if html is None:
        return None
    for match in _PARAGRAPH.finditer(html):
        inline = match.group(1) if match.group(1) is not None else match.group(2)
        found = unescape(inline.replace("<br />\n", "").replace("\n", "")).strip()
        if found:
            return found
    return ""


def parse_markdown(text: str):  # type: ignore[no-untyped-def]
    """Token stream, for channels that build their own HTML (WeChat)."""
    return _parser().parse(text)
