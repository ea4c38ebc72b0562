"""Markdown bodies -> HTML, the same way for every channel. Raw HTML in Markdown is escaped, not passed."""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # "commonmark" with html disabled: editors' raw HTML (and anything pasted from feeds) is shown as text.
    # markdown-it's validateLink already refuses javascript:, vbscript:, file: and most data: links.
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def render_markdown(text: str) -> str:
    return _parser().render(text)


def parse_markdown(text: str):  # type: ignore[no-untyped-def]
    """Token stream, for channels that build their own HTML (WeChat)."""
    return _parser().parse(text)
