"""Untrusted feed HTML -> safe Markdown text for content/inbox/.

nh3 removes everything but a few text tags and http(s)/mailto links (feedparser's own sanitizer lets
forms, ids and classes through). The safe HTML then becomes Markdown text in which < and > are
entities, so no markup at all reaches the inbox.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import nh3

_TAGS = {"p", "br", "div", "a", "strong", "b", "em", "i", "ul", "ol", "li", "blockquote",
         "h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = {"p", "div", "ul", "ol", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"}
_SAFE_URL = re.compile(r"^(https?://[^\s<>\"']+|mailto:[^\s<>\"']+)$", re.I)


def sanitize_html(fragment: str) -> str:
    return nh3.clean(fragment, tags=_TAGS, clean_content_tags={"script", "style"},
                     attributes={"a": {"href"}}, url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow", strip_comments=True)


def safe_url(url: str | None) -> str | None:
    """An absolute http(s) or mailto URL, or None (javascript:, data:, relative and odd URLs are dropped)."""
    if not url:
        return None
    url = url.strip()
    return url if _SAFE_URL.match(url) else None


def escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain_text(fragment: str) -> str:
    """A title: all tags dropped, entities decoded, angle brackets made full-width, one line."""
    text = html.unescape(nh3.clean(fragment, tags=set(), clean_content_tags={"script", "style"}))
    text = text.replace("<", "＜").replace(">", "＞")
    return re.sub(r"\s+", " ", text).strip()


def to_markdown(fragment: str) -> str:
    """Sanitize, then write the safe HTML as Markdown paragraphs."""
    writer = _MarkdownWriter()
    writer.feed(sanitize_html(fragment))
    writer.close()
    return writer.text()


class _MarkdownWriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.line: list[str] = []
        self.links: list[str | None] = []

    def _break(self) -> None:
        text = re.sub(r"[ \t\r\f\v]+", " ", "".join(self.line)).strip()
        text = "\n".join(part.strip() for part in text.split("\n") if part.strip())
        if text.strip("-* "):
            self.blocks.append(text)
        self.line = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self._break()
        if tag == "li":
            self.line.append("- ")
        elif tag == "br":
            self.line.append("\n")
        elif tag in ("strong", "b"):
            self.line.append("**")
        elif tag in ("em", "i"):
            self.line.append("*")
        elif tag == "a":
            href = safe_url(dict(attrs).get("href"))
            self.links.append(href)
            if href:
                self.line.append("[")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("strong", "b"):
            self.line.append("**")
        elif tag in ("em", "i"):
            self.line.append("*")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href:
                self.line.append(f"]({href.replace('(', '%28').replace(')', '%29')})")
        if tag in _BLOCKS:
            self._break()

    def handle_data(self, data: str) -> None:
        # brackets escaped so that text can never form a Markdown link or image of its own
        self.line.append(escape_text(data.replace("\n", " ")).replace("[", "\\[").replace("]", "\\]"))

    def text(self) -> str:
        self._break()
        out = ""
        for index, block in enumerate(self.blocks):
            if index:  # list items stay together; other blocks are paragraphs
                out += "\n" if block.startswith("- ") and self.blocks[index - 1].startswith("- ") else "\n\n"
            out += block
        return out + "\n" if out else ""
