"""Markdown bodies -> HTML, the same way for every channel, with markdown-it-py. Raw HTML in Markdown is escaped,
not passed."""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # "commonmark" with html disabled: editors' raw HTML (and anything pasted from feeds) is shown as text.
    # markdown-it's validateLink already refuses javascript:, vbscript:, file: and most data: links.
    # Block rules that do not belong in a tourism article are off: an indented paragraph (the Chinese habit of
    # indenting a paragraph's first line) stays a paragraph instead of becoming a code block; a line of "---" or
    # "===" under a paragraph is a rule, not a heading; no fenced code, HTML blocks or link reference definitions.
    # Headings, lists, emphasis, links, quotes, rules and tables remain. (Each rule skipped is also a rule not
    # tried on every line: about a fifth of the rendering time.)
    return (MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
            .enable("table").disable(["code", "fence", "html_block", "reference", "lheading"]))


def render_markdown(text: str) -> str:
    return _parser().render(text)


def parse_markdown(text: str) -> list[Token]:
    """Token stream, for channels that build their own HTML (WeChat)."""
    return _parser().parse(text)


def first_paragraph(text: str) -> str:
    """The text of the body's first paragraph that has any (inline code kept, markup and line breaks dropped,
    entities decoded, stripped); "" when there is none. The posters' guide intro."""
    tokens = parse_markdown(text)
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open" and index + 1 < len(tokens):
            parts = []
            for child in tokens[index + 1].children or []:
                if child.type in ("text", "code_inline"):
                    parts.append(child.content)
            found = "".join(parts).strip()
            if found:
                return found
    return ""
