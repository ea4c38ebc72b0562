"""A tiny HTML tree: parse trusted, well-formed HTML (our templates, markdown-it output), edit it, write it back.

The standard library's parser is enough here: the input is never raw user HTML (markdown-it escapes it and
Jinja autoescapes), so this only needs to be exact, not forgiving.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from typing import Iterator

VOID = frozenset({"img", "br", "hr", "meta", "link", "input", "wbr", "col", "source"})
# Characters between which a soft line break is no space (tests compare join_cjk_lines with a regex of them).
_CJK = r"\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"


def _is_cjk(char: str) -> bool:
    return "\u2e80" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\uff00" <= char <= "\uffef"


def join_cjk_lines(text: str) -> str:
    """Drop every line break between two CJK characters: re.sub(rf"(?<=[{_CJK}])\\n(?=[{_CJK}])", "", text),
    without compiling that class (some 27,000 characters: ~5 ms at every start)."""
    if "\n" not in text[1:-1]:
        return text
    pieces = text.split("\n")
    parts = [pieces[0]]
    for before, after in zip(pieces, pieces[1:]):
        if not (before and after and _is_cjk(before[-1]) and _is_cjk(after[0])):
            parts.append("\n")
        parts.append(after)
    return "".join(parts)


@dataclass(eq=False)
class Element:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)

    def iter(self) -> Iterator[Element]:
        """This element and every element below it, in document order."""
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def append(self, *nodes: Node) -> Element:
        self.children.extend(nodes)
        return self


Node = Element | str


def el(tag: str, attrs: dict[str, str] | None = None, *children: Node) -> Element:
    return Element(tag, dict(attrs or {}), list(children))


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#fragment")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Element(tag, {k: v if v is not None else "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {k: v if v is not None else "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return
        raise ValueError(f"unbalanced </{tag}>")

    def handle_data(self, data: str) -> None:
        children = self.stack[-1].children
        if children and isinstance(children[-1], str):
            children[-1] += data
        else:
            children.append(data)


def parse(html: str) -> Element:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    if len(builder.stack) != 1:
        raise ValueError(f"unclosed <{builder.stack[-1].tag}>")
    return builder.root


def tidy_text(root: Element, blocks: frozenset[str]) -> None:
    """Drop whitespace between block elements; a soft line break between two CJK characters is no space."""
    for node in root.iter():
        kept: list[Node] = []
        for child in node.children:
            if isinstance(child, str):
                if not child.strip() and (node.tag in blocks or node.tag == "#fragment"):
                    continue
                child = join_cjk_lines(child)
            kept.append(child)
        node.children = kept


def serialize(node: Node) -> str:
    if isinstance(node, str):
        return escape(node, quote=False)
    inner = "".join(serialize(c) for c in node.children)
    if node.tag == "#fragment":
        return inner
    attrs = "".join(f' {k}="{escape(v, quote=True)}"' for k, v in node.attrs.items())
    if node.tag in VOID:
        return f"<{node.tag}{attrs}>"
    return f"<{node.tag}{attrs}>{inner}</{node.tag}>"
