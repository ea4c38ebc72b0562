"""The month's WeChat articles: rendered by the batch, WeChat-safe, within the API's limits.

The article checks here parse the HTML with their own small parser (not the pipeline's) so that a bug in the
pipeline's own checks cannot hide a bad article.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import REPO, snapshot, xnwl
from pipeline.channels.wechat import theme
from pipeline.channels.wechat.wechatsafe import make_safe
from pipeline.config import load_config

MARKER = re.compile(r"^(• |◦ |\d+\. )")
URL = re.compile(r"https?://\S+")
VOID = {"img", "br", "hr"}
TENTATIVE = "日期待定（以官方发布为准）"


@dataclass
class Scan:
    tags: list[str] = field(default_factory=list)
    attrs: list[tuple[str, str, str]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    images: list[dict[str, str]] = field(default_factory=list)
    list_items: list[str] = field(default_factory=list)
    max_list_depth: int = 0
    list_in_item: bool = False
    top_level: list[str] = field(default_factory=list)
    # (index of the article's child block the text is in, text) for every URL written as text
    url_texts: list[tuple[int, str]] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)  # text of each child block of the article section


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = Scan()
        self.stack: list[str] = []
        self.item_text: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        scan = self.scan
        values = {k: v or "" for k, v in attrs}
        scan.tags.append(tag)
        scan.attrs += [(tag, k, v) for k, v in values.items()]
        if not self.stack:
            scan.top_level.append(tag)
        if len(self.stack) == 1:
            scan.blocks.append("")
        if tag == "a":
            scan.links.append(values.get("href", ""))
        if tag == "img":
            scan.images.append(values)
        if tag in ("ul", "ol"):
            depth = sum(1 for t in self.stack if t in ("ul", "ol")) + 1
            scan.max_list_depth = max(scan.max_list_depth, depth)
            scan.list_in_item |= "li" in self.stack
        if tag == "li":
            self.item_text.append([])
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.stack and self.stack[-1] == tag, f"unbalanced </{tag}> in {self.stack}"
        self.stack.pop()
        if tag == "li":
            self.scan.list_items.append("".join(self.item_text.pop()))

    def handle_data(self, data: str) -> None:
        for item in self.item_text:
            item.append(data)
        if len(self.stack) >= 2:
            self.scan.blocks[-1] += data
            for url in URL.findall(data):
                self.scan.url_texts.append((len(self.scan.blocks) - 1, url))


def scan(html: str) -> Scan:
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    assert not scanner.stack, f"unclosed tags {scanner.stack}"
    return scanner.scan


def assert_wechat_safe(html: str) -> Scan:
    s = scan(html)
    assert s.top_level == ["section"], "one <section> wraps the article"
    assert not {"style", "script", "link", "iframe", "form", "input"} & set(s.tags)
    bad = [(t, k) for t, k, _ in s.attrs if k in ("class", "id") or k.startswith("on") or k.startswith("data-")]
    assert bad == []
    assert all(v for t, k, v in s.attrs if k == "style"), "no empty style"
    for href in s.links:
        parts = urlsplit(href)
        assert parts.scheme == "https" and parts.hostname == "mp.weixin.qq.com", href
    for image in s.images:
        assert image.get("alt", "").strip(), image
        style = dict(part.split(":", 1) for part in image.get("style", "").replace(" ", "").split(";") if ":" in part)
        # full width, or (the QR code) a small fixed width that never overflows the column
        small = re.fullmatch(r"(\d+)px", style.get("width", ""))
        assert style.get("width") == "100%" or (style.get("max-width") == "100%" and small and int(small[1]) <= 300)
    assert all(MARKER.match(item) for item in s.list_items), s.list_items
    assert s.max_list_depth <= 2 and not s.list_in_item
    # URLs written as text: only in the 参考链接 block or the footer (the last block)
    refs = [i for i, text in enumerate(s.blocks) if text.startswith("参考链接")]
    for index, url in s.url_texts:
        assert index == len(s.blocks) - 1 or (refs and index == refs[0]), f"URL outside refs/footer: {url}"
    return s


def read_month(root: Path, month: str) -> tuple[dict, dict[str, str]]:
    folder = root / "output" / month / "wechat"
    drafts = json.loads((folder / "drafts.json").read_text(encoding="utf-8"))
    pages = {a["slug"]: (folder / f"{a['slug']}.html").read_text(encoding="utf-8") for a in drafts["articles"]}
    return drafts, pages


def assert_limits(drafts: dict) -> None:
    for article in drafts["articles"]:
        assert 0 < len(article["title"]) <= 32, article["title"]
        assert len(article["digest"]) <= 128 and len(article["author"]) <= 16
        assert len(article["content"]) < 20_000 and len(article["content"].encode("utf-8")) < 1024 * 1024
        assert article["content_source_url"].startswith("https://")
        assert article["need_open_comment"] in (0, 1)
        assert article["thumb_image"].startswith("posters/") and article["thumb_image"].endswith(".jpg")


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped content (30 routes, 32 events, 12 guides) batched for 2027-04 in a private copy."""
    root = tmp_path_factory.mktemp("shipped")
    for name in ("routes", "content", "xnwl.toml"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / name)
    run = xnwl("batch", "--month", "2027-04", root=root)
    assert run.code == 0, run.text
    return root


def test_shipped_month_has_safe_articles_within_limits(shipped: Path) -> None:
    drafts, pages = read_month(shipped, "2027-04")
    kinds = [a["slug"].split("-")[0] for a in drafts["articles"]]
    assert kinds[:2] == ["guide", "events"] and kinds.count("route") >= 2 and len(kinds) >= 3
    assert_limits(drafts)
    for article in drafts["articles"]:
        html = pages[article["slug"]]
        assert article["content"] == html
        assert_wechat_safe(html)
        assert (shipped / "output/2027-04/wechat" / f"{article['slug']}.preview.html").is_file()
    config = load_config(shipped)
    assert drafts["articles"][0]["content_source_url"] == config.url("weekend/2027-04/")
    assert drafts["articles"][2]["content_source_url"].startswith(config.url("routes/"))


def test_article_typography_and_brand_colours(shipped: Path) -> None:
    _, pages = read_month(shipped, "2027-04")
    config = load_config(shipped)
    html = next(iter(pages.values()))
    paragraph = re.search(r'<p style="([^"]*)"', html)
    assert paragraph and "font-size:15px" in paragraph[1] and "line-height:1.75" in paragraph[1]
    assert f"color:{config.text_color}" in paragraph[1]
    assert f"color:{config.primary_color}" in html
    assert "#000000" not in html and "color:#000;" not in html


def test_guide_sections_per_weekend_and_events_grouped(shipped: Path) -> None:
    _, pages = read_month(shipped, "2027-04")
    guide, events = pages["guide-2027-04"], pages["events-2027-04"]
    for number, (sat, sun) in enumerate([(3, 4), (10, 11), (17, 18), (24, 25)], start=1):
        assert f"第{number}个周末 · 4月{sat}日至{sun}日" in guide
    assert "2027年的放假安排尚未公布" in guide  # no 2027 holiday data in chinesecalendar yet
    assert "https://xnwl.example.com/weekend/2027-04/" not in guide  # the closing card has a QR code instead
    # every event starts a dated group (one begun in March says so); tentative ones say so
    assert events.count(TENTATIVE) >= 2
    assert events.index("3月27日（周六）起") < events.index("4月11日（周日）")
    route = pages["route-chadao-qingzhuancha-2d"]
    assert "行程安排" in route and "从武汉出发" in route and "1. " in route


class _Figures(HTMLParser):
    """The article's child blocks, each with the images in it and its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.blocks: list[dict] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth == 1:
            self.blocks.append({"tag": tag, "style": dict(attrs).get("style") or "", "images": [], "text": ""})
        if tag == "img":
            self.blocks[-1]["images"].append(dict(attrs))
        elif tag not in VOID:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth >= 2:
            self.blocks[-1]["text"] += data


def test_articles_open_with_their_cover_and_close_with_a_qr_card(shipped: Path) -> None:
    import zxingcpp
    from PIL import Image

    drafts, pages = read_month(shipped, "2027-04")
    config = load_config(shipped)
    folder = shipped / "output/2027-04/wechat"
    for article in drafts["articles"]:
        slug = article["slug"]
        parser = _Figures()
        parser.feed(pages[slug])
        first, last = parser.blocks[0], parser.blocks[-1]
        # the cover the posters channel made, as the first picture of the body (pushed with uploadimg)
        (cover,) = first["images"]
        assert cover["src"] == f"images/xnwl-cover-{slug}.jpg" and cover["alt"].strip()
        assert (folder / cover["src"]).read_bytes() == (shipped / "output/2027-04/posters" /
                                                       f"{slug}-cover-900x383.jpg").read_bytes()
        assert first["text"].strip() == ""  # no caption repeating the title under the cover
        # the closing card: a QR code of the article's page, the 关注 line, the brand; no bare URL
        (qr,) = last["images"]
        decoded = zxingcpp.read_barcodes(Image.open(folder / qr["src"]))
        assert [d.text for d in decoded] == [article["content_source_url"] + "?from=mp"]
        assert "长按识别二维码" in last["text"] and "阅读原文" in last["text"]
        assert f"关注「{config.brand_short_name}」公众号" in last["text"] and config.brand_name in last["text"]
        assert "http" not in last["text"]
        assert "width:150px" in qr["style"] and last["tag"] == "section" and "background-color" in last["style"]


def test_fixture_links_images_and_tentative_marks(tree: Path) -> None:
    run = xnwl("batch", "--month", "2027-04", root=tree)
    assert run.code == 0, run.text
    drafts, pages = read_month(tree, "2027-04")
    assert_limits(drafts)
    for html in pages.values():
        assert_wechat_safe(html)
    events = pages["events-2027-04"]
    # the confirmed event's source URL became reference [1]; no link to it survives in the body
    assert "<sup" in events and "[1]" in events and "参考链接" in events
    assert "[1] 主办方发布：https://example.com/notice" in events
    assert 'href="https://example.com' not in events
    gala = events[events.index("春季村晚"):]
    assert TENTATIVE not in gala[:gala.index("</section>")]
    assert TENTATIVE in events[events.index("大幕山杜鹃花季"):]
    route = pages["route-xianan-hotspring"]
    assert "大幕山杜鹃花季" in route and TENTATIVE in route  # the month's related, tentative event
    # the guide shows the picked route's photo with its caption from alt and credit; the file is copied
    guide = pages["guide-2027-04"]
    assert 'src="images/sample.png"' in guide and "江边的石壁（摄影：测试图片）" in guide
    assert (tree / "output/2027-04/wechat/images/sample.png").read_bytes() == \
        (tree / "content/images/sample.png").read_bytes()
    assert TENTATIVE in pages["route-xianan-hotspring"]


def test_long_weekends_and_makeup_days_are_called_out(tree: Path) -> None:
    run = xnwl("batch", "--month", "2026-10", root=tree)
    assert run.code == 0, run.text
    _, pages = read_month(tree, "2026-10")
    guide = pages["guide-2026-10"]
    assert "国庆节长假：10月1日至7日，连休7天" in guide
    assert "10月10日（周六）调休上班" in guide
    first, second = guide.index("第1个周末"), guide.index("第2个周末")
    # a two-day route goes to the National Day long weekend, not the weekend with a make-up workday
    assert "温泉城里慢两天" in guide[first:second] or "九宫山避暑" in guide[first:second]
    for title in ("赤壁怀古一日行", "温泉城里慢两天", "九宫山避暑"):
        assert guide.count(f">{title}</h3>") == 1
    assert "暂无已收录的节庆活动" in pages["events-2026-10"]


def test_batch_output_is_deterministic(tree: Path) -> None:
    assert xnwl("batch", "--month", "2027-04", root=tree).code == 0
    first = snapshot(tree / "output/2027-04/wechat")
    assert xnwl("batch", "--month", "2027-04", root=tree).code == 0
    assert snapshot(tree / "output/2027-04/wechat") == first


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


ROUTE = "routes/xianan-hotspring.md"


@pytest.mark.parametrize("mutate, expected", [
    (lambda p: _edit(p, "title: 温泉城里慢两天", "title: " + "温泉" * 17), "标题 34 个字符，超过公众号上限 32 个字符"),
    (lambda p: _edit(p, "summary: ", "summary: " + "泡" * 130), "摘要 1"),
    (lambda p: _append(p, ("长" * 99 + "\n\n") * 210), "公众号要求少于 20000 个字符"),
], ids=["title", "digest", "content"])
def test_a_post_over_a_limit_fails_the_batch(tree: Path, mutate, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert xnwl("batch", "--month", "2027-04", root=tree).code == 0
    before = snapshot(tree / "output")
    mutate(tree / ROUTE)
    run = xnwl("batch", "--month", "2027-04", root=tree)
    assert run.code == 1, run.text
    assert "route-xianan-hotspring" in run.err and expected in run.err and "不会自动截断" in run.err
    assert "Traceback" not in run.text
    assert snapshot(tree / "output") == before


def test_brand_colour_too_light_to_read_fails_the_batch(tree: Path) -> None:
    _edit(tree / "xnwl.toml", 'primary_color = "#1f5f5b"', 'primary_color = "#9fd8d2"')
    run = xnwl("batch", "--month", "2027-04", root=tree)
    assert run.code == 1
    assert "#9fd8d2" in run.err and "对比度" in run.err and "公众号文章 guide-2027-04" in run.err
    assert not (tree / "output/2027-04").exists()


# the WeChat-safe pass on its own -----------------------------------------------------------------------
STYLES = theme.stylesheet(load_config(REPO))


def safe(html: str) -> str:
    return make_safe(f'<section class="article">{html}<section class="footer"><p>页脚</p></section></section>',
                     STYLES).html


def test_lists_get_text_markers_and_at_most_two_levels() -> None:
    html = safe("<ul><li>一<ul><li>二<ul><li>三</li></ul></li></ul></li><li><p>松散</p><p>两段</p></li></ul>"
                '<ol start="3"><li>丙</li><li>丁</li></ol>')
    s = assert_wechat_safe(html)
    assert s.list_items == ["• 一", "◦ 二", "◦ 三", "• 松散两段", "3. 丙", "4. 丁"]
    assert s.max_list_depth == 2
    assert "松散<br>两段" in html and "list-style:none" in html


def test_links_become_numbered_references_except_wechat_articles() -> None:
    html = safe('<p><a href="https://a.example/x">甲</a>、<a href="https://mp.weixin.qq.com/s/abc">公众号文章</a>、'
                '<a href="#top">锚点</a>、<a href="https://b.example/">https://b.example/</a>、'
                '<a href="https://a.example/x">再提甲</a></p>')
    s = assert_wechat_safe(html)
    assert s.links == ["https://mp.weixin.qq.com/s/abc"]
    assert "甲<sup" in html and "再提甲<sup" in html and html.count(">[1]</sup>") == 2
    assert ">[1] 甲：https://a.example/x</p>" in html and ">[2] https://b.example/</p>" in html
    assert html.index("参考链接") < html.index("页脚")
    assert "锚点" in html and "#top" not in html


def test_body_headings_start_at_h2() -> None:
    html = safe("<h1>大标题</h1><h5>小标题</h5>")
    assert "<h2 " in html and "<h4 " in html and "<h1" not in html and "<h5" not in html


def test_images_become_full_width_figures_with_captions() -> None:
    html = safe('<p>前文<img src="images/a.png" alt="石壁" data-credit="张三">后文</p>')
    s = assert_wechat_safe(html)
    assert s.images[0]["src"] == "images/a.png" and "石壁（摄影：张三）" in html
    assert html.index("后文") < html.index("<img")  # hoisted out of the paragraph, after it


def test_an_image_is_full_width_or_a_small_fixed_width_that_cannot_overflow() -> None:
    from pipeline.channels.wechat.wechatsafe import html_problems

    def problems(style: str) -> list[str]:
        return html_problems(f'<section><img src="images/a.png" alt="二维码" style="{style}"></section>', "#3f3f3f")

    assert problems("display:block;width:100%;height:auto") == []
    assert problems("display:block;width:150px;max-width:100%") == []
    assert problems("width:800px") and problems("width:150px") and problems("max-width:100%")


def test_qr_image_keeps_its_style_class_and_a_given_empty_caption() -> None:
    html = safe('<img class="qr" src="images/q.png" alt="二维码" data-caption="">'
                '<img src="images/c.jpg" alt="封面" data-caption="">')
    s = assert_wechat_safe(html)
    assert "width:150px" in s.images[0]["style"] and "width:100%" in s.images[1]["style"]
    assert "caption" not in html and ">封面<" not in html and ">二维码<" not in html
