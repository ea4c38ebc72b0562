"""Article HTML -> HTML that survives the 公众号 editor, and the checks that prove it.

What the editor keeps (doocs/md, mdnice, wenyan): inline style="" only (no <style>, class, id, script),
<section> wrappers, lists with their markers as text and at most two levels, images at full width, and links
only to mp.weixin.qq.com: every other link becomes a numbered 参考链接 at the end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from pipeline.channels.wechat import dom, theme
from pipeline.channels.wechat.dom import Element, Node, el
from pipeline.colors import contrast, rgb

LISTS = frozenset({"ul", "ol"})
BLOCKS = frozenset({"section", "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "pre",
                    "table", "thead", "tbody", "tr", "th", "td", "hr"})
ALLOWED_TAGS = (BLOCKS - {"h1", "h5", "h6"}) | {"span", "strong", "em", "b", "i", "code", "sup", "sub", "br", "img", "a", "del", "s"}
ALLOWED_ATTRS = {"a": {"href", "style"}, "img": {"src", "alt", "style"}, "th": {"style", "colspan", "rowspan", "align"},
                 "td": {"style", "colspan", "rowspan", "align"}}
BULLETS = ("• ", "◦ ")
MARKER = re.compile(r"^(• |◦ |\d+\. )")
WECHAT_HOST = "mp.weixin.qq.com"
MIN_BRIGHTNESS_GAP = 65  # mp-darkmode's rule for text against its background


@dataclass(frozen=True)
class Reference:
    number: int
    text: str
    url: str


@dataclass(frozen=True)
class SafeHtml:
    html: str
    references: tuple[Reference, ...]


def make_safe(html: str, styles: dict[str, str]) -> SafeHtml:
    root = dom.parse(html)
    dom.tidy_text(root, BLOCKS)
    _demote_headings(root)
    _figures(root)
    references = _links_to_references(root)
    _rewrite_lists(root)
    if references:
        _insert_references(root, references)
    _inline_styles(root, styles)
    return SafeHtml(dom.serialize(root), tuple(references))


def _demote_headings(root: Element) -> None:
    """The article title is WeChat's own: body headings start at h2 and stop at h4."""
    for node in root.iter():
        if node.tag == "h1":
            node.tag = "h2"
        elif node.tag in ("h5", "h6"):
            node.tag = "h4"


# images --------------------------------------------------------------------------------------------
def _figures(root: Element) -> None:
    """<img data-credit> -> a full-width figure section with a caption from alt and the credit."""
    for parent in list(root.iter()):
        new_children: list[Node] = []
        hoisted: list[Node] = []
        for child in parent.children:
            if isinstance(child, Element) and child.tag == "img":
                figure = _figure(child)
                if parent.tag == "p":
                    hoisted.append(figure)  # a block may not sit inside a paragraph
                else:
                    new_children.append(figure)
            else:
                new_children.append(child)
        parent.children = new_children
        if hoisted:
            _place_after(root, parent, hoisted)


def _figure(img: Element) -> Element:
    """data-caption, when given, is the caption (empty: none, for the cover); else alt and the credit. A class
    (img.qr) picks the image's style and is dropped with the others."""
    alt = img.attrs.get("alt", "").strip()
    credit = img.attrs.get("data-credit", "").strip()
    caption = f"{alt}（摄影：{credit}）" if credit else alt
    if "data-caption" in img.attrs:
        caption = img.attrs["data-caption"].strip()
    attrs = {"src": img.attrs.get("src", ""), "alt": alt}
    if img.attrs.get("class"):
        attrs["class"] = img.attrs["class"]
    image = el("img", attrs)
    figure = el("section", {"class": "figure"}, image)
    if caption:
        figure.append(el("p", {"class": "caption"}, caption))
    return figure


def _place_after(root: Element, target: Element, nodes: list[Node]) -> None:
    for node in root.iter():
        if target in node.children:
            index = node.children.index(target)
            keep = [target] if any(isinstance(c, Element) or c.strip() for c in target.children) else []
            node.children[index:index + 1] = keep + nodes
            return


# links ---------------------------------------------------------------------------------------------
def is_wechat_article(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and parts.hostname == WECHAT_HOST


def _links_to_references(root: Element) -> list[Reference]:
    numbers: dict[str, Reference] = {}

    def visit(node: Element) -> None:
        replaced: list[Node] = []
        for child in node.children:
            if isinstance(child, Element):
                visit(child)
            if not (isinstance(child, Element) and child.tag == "a"):
                replaced.append(child)
                continue
            href = child.attrs.get("href", "").strip()
            if is_wechat_article(href):
                replaced.append(el("a", {"href": href}, *child.children))
            elif not href or href.startswith("#"):
                replaced.extend(child.children)  # in-page anchors do not survive; keep the words
            else:
                text = child.text().strip()
                ref = numbers.get(href)
                if ref is None:
                    ref = numbers[href] = Reference(len(numbers) + 1, "" if text == href else text, href)
                # a bare URL as link text would put the address in the body: it is listed at the end instead
                replaced.extend(child.children if text != href else ["链接"])
                replaced.append(el("sup", {}, f"[{ref.number}]"))
        node.children = replaced

    visit(root)
    return sorted(numbers.values(), key=lambda r: r.number)


def _insert_references(root: Element, references: list[Reference]) -> None:
    block = el("section", {"class": "refs"}, el("p", {"class": "refs-title"}, "参考链接"))
    for ref in references:
        label = f"[{ref.number}] {ref.text}：{ref.url}" if ref.text else f"[{ref.number}] {ref.url}"
        block.append(el("p", {"class": "ref"}, label))
    article = next((c for c in root.children if isinstance(c, Element)), root)
    footer = next((c for c in article.children if isinstance(c, Element) and c.attrs.get("class") == "footer"), None)
    index = article.children.index(footer) if footer is not None else len(article.children)
    article.children.insert(index, block)


# lists ---------------------------------------------------------------------------------------------
def _rewrite_lists(root: Element) -> None:
    def walk(node: Element) -> None:
        for child in node.children:
            if isinstance(child, Element):
                if child.tag in LISTS:
                    child.children = _list_items(child, 1)
                else:
                    walk(child)

    walk(root)


def _list_items(lst: Element, level: int) -> list[Node]:
    """The list's new children: markers as text, nested lists moved beside their item, deeper levels flattened."""
    out: list[Node] = []
    number = int(lst.attrs.pop("start", "1") or 1)
    for item in lst.children:
        if not isinstance(item, Element) or item.tag != "li":
            continue
        nested = [c for c in item.children if isinstance(c, Element) and c.tag in LISTS]
        item.children = _unwrap_paragraphs([c for c in item.children if c not in nested])
        marker = f"{number}. " if lst.tag == "ol" else BULLETS[min(level, 2) - 1]
        item.children.insert(0, marker)
        number += 1
        out.append(item)
        for sub in nested:
            if level == 1:
                sub.children = _list_items(sub, 2)
                out.append(sub)
            else:
                out.extend(_list_items(sub, 2))  # a third level joins the second
    return out


def _unwrap_paragraphs(children: list[Node]) -> list[Node]:
    """Loose-list items hold <p>s; the editor mangles those, so keep the words with <br> between paragraphs."""
    out: list[Node] = []
    for child in children:
        if isinstance(child, Element) and child.tag == "p":
            if out:
                out.append(el("br"))
            out.extend(child.children)
        else:
            out.append(child)
    return out


# styles --------------------------------------------------------------------------------------------
def parse_style(style: str) -> dict[str, str]:
    props: dict[str, str] = {}
    for part in style.split(";"):
        name, sep, value = part.partition(":")
        if sep and name.strip():
            props[name.strip().lower()] = value.strip()
    return props


def _selectors(node: Element, parent: Element) -> list[str]:
    own = [node.tag] + ([f"{node.tag}.{node.attrs['class']}"] if node.attrs.get("class") else [])
    above = [parent.tag] + ([f"{parent.tag}.{parent.attrs['class']}"] if parent.attrs.get("class") else [])
    found = [(s.count(".") + 0, 1, s) for s in own]
    found += [(a.count(".") + s.count("."), 2, f"{a} {s}") for a in above for s in own]
    return [s for _, _, s in sorted(found, key=lambda f: (f[0], f[1]))]


def _inline_styles(root: Element, styles: dict[str, str]) -> None:
    """Give every element its inline style, then drop class, id and data-* (selectors read the classes first)."""
    new_attrs: list[tuple[Element, dict[str, str]]] = []

    def visit(node: Element, parent: Element) -> None:
        if node.tag != "#fragment":
            props: dict[str, str] = {}
            for selector in _selectors(node, parent):
                if selector in styles:
                    props.update(parse_style(styles[selector]))
            props.update(parse_style(node.attrs.get("style", "")))
            attrs = {k: v for k, v in node.attrs.items()
                     if k in ALLOWED_ATTRS.get(node.tag, {"style"}) and k != "style"}
            if props:
                attrs["style"] = ";".join(f"{k}:{v}" for k, v in props.items())
            new_attrs.append((node, attrs))
        for child in node.children:
            if isinstance(child, Element):
                visit(child, node)

    visit(root, root)
    for node, attrs in new_attrs:
        node.attrs = attrs


# checks --------------------------------------------------------------------------------------------
def html_problems(html: str, default_color: str) -> list[str]:
    """Everything in the final HTML that the WeChat editor would drop or mangle, or that is hard to read."""
    problems: list[str] = []
    root = dom.parse(html)

    def visit(node: Element, lists: int, in_li: bool, color: str, background: str, size: float, bold: bool) -> None:
        tag = node.tag
        if tag not in ALLOWED_TAGS:
            problems.append(f"含有公众号不支持的标签 <{tag}>")
        for name in node.attrs:
            if name not in ALLOWED_ATTRS.get(tag, {"style"}):
                problems.append(f"<{tag}> 含有会被公众号丢弃的属性 {name}")
        props = parse_style(node.attrs.get("style", ""))
        if "background-image" in props or "url(" in node.attrs.get("style", ""):
            problems.append(f"<{tag}> 使用了背景图，深色模式下无法转换")
        if "background-color" in props or "background" in props:
            if tag not in theme.CONTAINERS:
                problems.append(f"<{tag}> 上设了背景色：背景色只能放在容器（section）上，深色模式才能正确转换")
            background = props.get("background-color") or props.get("background", background)
        color = props.get("color", color)
        size = _px(props.get("font-size"), size)
        bold = props.get("font-weight", "bold" if bold else "normal") in ("bold", "700", "800", "900")
        if tag == "a" and not is_wechat_article(node.attrs.get("href", "")):
            problems.append(f"外部链接 {node.attrs.get('href', '')} 没有转为文末参考链接")
        if tag == "img":
            if not node.attrs.get("alt", "").strip():
                problems.append(f"图片 {node.attrs.get('src', '')} 缺少说明文字（alt）")
            props_img = parse_style(node.attrs.get("style", "").replace(" ", ""))
            full = props_img.get("width") == "100%"
            fixed = props_img.get("max-width") == "100%" and re.fullmatch(r"\d+px", props_img.get("width", ""))
            if not (full or fixed):  # full width, or a small fixed width (the QR code) that never overflows
                problems.append(f"图片 {node.attrs.get('src', '')} 没有设为通栏宽度（或不超过正文宽度的固定宽度）")
        if tag in LISTS:
            lists += 1
            if lists > 2:
                problems.append("列表嵌套超过两层")
            if in_li:
                problems.append("列表嵌在列表项里（应放在列表项旁边）")
        if tag == "li" and not MARKER.match(node.text()):
            problems.append(f"列表项“{node.text()[:12]}”缺少文字形式的项目符号")
        if any(isinstance(c, str) and c.strip() for c in node.children):
            problems.extend(_legibility(tag, color, background, size, bold))
        for child in node.children:
            if isinstance(child, Element):
                visit(child, lists, in_li or tag == "li", color, background, size, bold)

    top = [c for c in root.children if isinstance(c, Element) or c.strip()]
    if len(top) != 1 or not isinstance(top[0], Element) or top[0].tag != "section":
        problems.append("正文最外层应是唯一的一个 <section>")
    for child in top:
        if isinstance(child, Element):
            visit(child, 0, False, default_color, "#ffffff", 15.0, False)
    return sorted(set(problems), key=problems.index)


def _px(value: str | None, inherited: float) -> float:
    if value and value.endswith("px"):
        try:
            return float(value[:-2])
        except ValueError:
            return inherited
    if value and value.endswith("%"):
        try:
            return inherited * float(value[:-1]) / 100
        except ValueError:
            return inherited
    return inherited


def brightness(color: str) -> float:
    """The perceived brightness (0–255) mp-darkmode compares text with its background by (W3C's colour
    brightness formula; not the WCAG contrast, which colors.contrast gives)."""
    r, g, b = rgb(color)
    return (r * 299 + g * 587 + b * 114) / 1000


_HEX = re.compile(r"^#[0-9a-fA-F]{3}([0-9a-fA-F]{3})?$")


def _legibility(tag: str, color: str, background: str, size: float, bold: bool) -> list[str]:
    if not (_HEX.match(color) and _HEX.match(background)):
        return [f"<{tag}> 的颜色 {color} / 背景 {background} 不是 #RRGGBB 形式，无法检查可读性"]
    problems = []
    if color.lower() in ("#000", "#000000"):
        problems.append(f"<{tag}> 用了纯黑文字：公众号会吞掉纯黑，请用近黑色（如 #3f3f3f）")
    gap = abs(brightness(color) - brightness(background))
    if gap < MIN_BRIGHTNESS_GAP:
        problems.append(f"<{tag}> 文字 {color} 与背景 {background} 的亮度差只有 {gap:.0f}（至少 {MIN_BRIGHTNESS_GAP}，"
                        "否则深色模式下难以辨认）")
    large = size >= 24 or (size >= 18.5 and bold)
    needed = 3.0 if large else 4.5
    ratio = contrast(color, background)
    if ratio < needed:
        problems.append(f"<{tag}> 文字 {color} 与背景 {background} 的对比度 {ratio:.2f}:1 低于 {needed}:1")
    return problems
