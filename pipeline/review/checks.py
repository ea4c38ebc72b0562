"""Automatic checks of a built batch. Errors fail the batch; warnings are shown to editors."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.config import Config
from pipeline.content.model import Content
from pipeline.content.problems import ERROR, WARNING
from pipeline.outputs_layout import POSTERS_FOLDER, WECHAT_DRAFTS, WECHAT_FOLDER
from pipeline.plan import MonthPlan, featured_route_ids
from pipeline.review.items import ReviewItem

# Advertising Law art. 9(3): no absolute claims. Ordinals and true official designations are fine.
ABSOLUTE_CLAIMS = ("最佳", "最好", "最美", "最优", "最高级", "最大", "顶级", "第一", "唯一", "国家级", "世界级",
                   "极品", "首选", "独一无二", "全国领先", "史无前例", "万能")
ALLOWED_PHRASES = ("国家5A级旅游景区", "国家4A级旅游景区", "国家3A级旅游景区", "国家森林公园", "国家级旅游度假区",
                   "国家级非物质文化遗产", "第一天", "第一站", "第一晚", "第一次", "第一届", "第一批", "第一期")
ALLOW_FILE = "content/review/allow.txt"
WECHAT_LIMITS = {"title": 32, "author": 16, "digest": 128}
# Hanzi for the spacing checks below. Each check is a regex with this class written as a test of the
# character before or after a match of a small pattern: compiling the class (some 27,000 characters) took
# ~10 ms at every start. Tests compare each check with the regex it stands for (in the comment).
_CJK = "\u4e00-\u9fff\u3400-\u4dbf"
_SPACES = re.compile(" +")
_HALFWIDTH = re.compile(r"[,;!?](?!\d)|:(?!//|\d)")


def _is_hanzi(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


def space_between_cjk(line: str) -> bool:
    """re.search(rf"[{_CJK}] +[{_CJK}]", line) is not None."""
    for match in _SPACES.finditer(line):
        start, end = match.span()
        if start and end < len(line) and _is_hanzi(line[start - 1]) and _is_hanzi(line[end]):
            return True
    return False


def halfwidth_after_cjk(line: str) -> bool:
    r"""re.search(rf"[{_CJK}][,;!?](?!\d)|[{_CJK}]:(?!//|\d)", line) is not None."""
    return any(match.start() and _is_hanzi(line[match.start() - 1]) for match in _HALFWIDTH.finditer(line))


@dataclass(frozen=True)
class Finding:
    item: str | None  # review item id; None for the batch as a whole
    severity: str
    check: str  # short code: wechat-limit, absolute-claim, copywriting, ...
    message: str  # Chinese, for editors

    @property
    def label(self) -> str:
        return "错误" if self.severity == ERROR else "提醒"


def allowed_phrases(root: Path) -> tuple[str, ...]:
    extra: list[str] = []
    path = root / ALLOW_FILE
    if path.is_file():
        extra = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                 if line.strip() and not line.startswith("#")]
    return ALLOWED_PHRASES + tuple(extra)


def absolute_claims(text: str, allowed: tuple[str, ...]) -> list[str]:
    """The absolute words used as a boast in text (after removing allowed phrases), with context."""
    masked = text
    for phrase in sorted(allowed, key=len, reverse=True):
        masked = masked.replace(phrase, "\0" * len(phrase))
    hits = []
    for word in ABSOLUTE_CLAIMS:
        for match in re.finditer(re.escape(word), masked):
            start = max(0, match.start() - 8)
            hits.append(f"“{word}”（…{text[start:match.end() + 8].strip()}…）")
    return hits


@lru_cache(maxsize=1)
def _autocorrect():  # type: ignore[no-untyped-def]
    import autocorrect_py

    # Our house style writes no spaces between hanzi and Latin/digits (“G4京港澳高速”, “3小时”), as most
    # government publications do; keep autocorrect's punctuation rules, switch its spacing rules off.
    autocorrect_py.load_config(json.dumps({"rules": {
        "space-word": 0, "space-punctuation": 0, "space-bracket": 0, "space-dash": 0,
        "space-backticks": 0, "space-dollar": 0, "spellcheck": 0}}))
    return autocorrect_py


def copywriting_problems(text: str, exempt: tuple[str, ...] = ()) -> list[str]:
    """Punctuation and spacing problems, line by line; `exempt` phrases (the brand line) are left alone."""
    problems = []
    corrector = _autocorrect()
    for phrase in exempt:
        text = text.replace(phrase, "")
    for line in text.splitlines():
        fixed = corrector.format(line)
        if fixed != line:
            problems.append(f"标点：“{_clip(line)}” 应为 “{_clip(fixed)}”")
        elif space_between_cjk(line) or halfwidth_after_cjk(line):
            problems.append(f"中文之间多了空格或用了半角标点：“{_clip(line)}”")
    return problems


def _clip(text: str, size: int = 40) -> str:
    return text if len(text) <= size else text[:size] + "…"


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        if tag == "img":
            self.images.append(values)


def _links_and_images(body: str) -> tuple[list[str], list[dict[str, str | None]]]:
    collector = _LinkCollector()
    collector.feed(body)
    return collector.links, collector.images


def check_batch(config: Config, content: Content, plan: MonthPlan, batch: Path, items: list[ReviewItem],
                publish_day: date, previous_featured: tuple[str, ...] | None, site: Path) -> list[Finding]:
    """Every check on a built batch. `site` is the built site the articles' links must resolve in.
    `previous_featured`: the routes featured the month before; None: those the plan features then (a pure
    function of the content, never read from another month's output)."""
    findings: list[Finding] = []
    add = findings.append
    allowed = allowed_phrases(config.root)

    drafts = _drafts(batch)
    for item in items:
        if item.kind == "article":
            slug = item.id.split("/", 1)[1]
            for field, limit in WECHAT_LIMITS.items():
                value = drafts.get(slug, {}).get(field, "")
                if len(value) > limit:
                    add(Finding(item.id, ERROR, "wechat-limit", f"{field} 有 {len(value)} 个字符，公众号上限 {limit}"))
            body = (drafts.get(slug, {}).get("content")
                    or (batch / WECHAT_FOLDER / f"{slug}.html").read_text(encoding="utf-8"))
            if len(body) >= 20000 or len(body.encode("utf-8")) >= 1_000_000:
                add(Finding(item.id, ERROR, "wechat-limit", f"正文 {len(body)} 个字符，公众号要求少于 20000 字符且小于 1 MB"))
            links, images = _links_and_images(body)
            for image in images:
                if not (image.get("alt") or "").strip():
                    add(Finding(item.id, ERROR, "image-alt", f"图片 {image.get('src')} 没有替代文字（alt）"))
            for href in links:
                problem = _link_problem(href, config, site)
                if problem:
                    add(Finding(item.id, ERROR, "broken-link", problem))
        for hit in absolute_claims(item.text, allowed):
            add(Finding(item.id, ERROR, "absolute-claim", f"广告法禁用的绝对化用语 {hit}；如是真实的官方称号，加入 {ALLOW_FILE}"))
        if item.kind == "article":
            for problem in copywriting_problems(item.text, (config.brand_name,)):
                add(Finding(item.id, WARNING, "copywriting", problem))
        for route_id in item.route_ids:
            route = content.routes.get(route_id)
            if route is not None and route.verified is None:
                add(Finding(item.id, WARNING, "unverified", f"线路“{route.title}”尚未核实（{route.source} 的 verified 为空）"))
            if route is not None:
                for image in route.images:
                    if not image.credit.strip():
                        add(Finding(item.id, ERROR, "image-credit", f"{route.source} 的图片 {image.src} 没有署名"))
        for event_id in item.event_ids:
            event = content.events.get(event_id)
            if event is None:
                continue
            if event.verified is None:
                add(Finding(item.id, WARNING, "unverified", f"活动“{event.title}”尚未核实（{event.source} 的 verified 为空）"))
            if event.tentative:
                marked = "待定" in item.text or item.kind == "posters"
                add(Finding(item.id, WARNING if marked else ERROR, "tentative",
                            f"活动“{event.title}”日期待定" + ("" if marked else "，但文中没有注明“日期待定”")))
            if event.end_date < publish_day:
                add(Finding(item.id, WARNING, "event-past", f"活动“{event.title}”已于 {event.end_date} 结束（发布日 {publish_day}）"))

    guide_items = [i.id for i in items if i.id.startswith("wechat/guide-")] or [None]
    if len(plan.guide.picks) < 4:
        add(Finding(guide_items[0], WARNING, "few-picks", f"本月指南只有 {len(plan.guide.picks)} 处推荐，少于 4 处"))
    if previous_featured is None:
        previous_featured = featured_route_ids(content, plan.month.shift(-1), config.featured_per_month)
    for route in plan.featured:
        if route.id in previous_featured:
            add(Finding(f"wechat/route-{route.id}", ERROR, "featured-repeat",
                        f"线路“{route.title}”上个月已推荐过，连续两个月重复"))
    findings.extend(_poster_findings(batch))
    return findings


def _drafts(batch: Path) -> dict[str, dict[str, str]]:
    path = batch / WECHAT_FOLDER / WECHAT_DRAFTS
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    articles = data.get("articles", [])
    slugs = data.get("slugs") or [a.get("slug") for a in articles]
    return {slug: article for slug, article in zip(slugs, articles) if slug}


def _link_problem(href: str, config: Config, site: Path) -> str | None:
    if href.startswith(("javascript:", "vbscript:", "data:")):
        return f"不安全的链接：{href[:40]}"
    if href.startswith("#") or href.startswith("mailto:"):
        return None
    if not href.startswith(("http://", "https://")):
        return f"链接不是完整网址：{href[:60]}"
    if href.startswith(config.base_url) and site.is_dir():
        path = href[len(config.base_url):].split("?", 1)[0].split("#", 1)[0]
        target = site / path
        if not (target.is_file() or (target / "index.html").is_file()):
            return f"站内链接指向不存在的页面：{href}"
    return None


def _poster_findings(batch: Path) -> list[Finding]:
    """Contrast and glyph results the posters channel recorded in posters/index.json."""
    path = batch / POSTERS_FOLDER / "index.json"
    if not path.is_file():
        return []
    findings: list[Finding] = []
    data = json.loads(path.read_text(encoding="utf-8"))
    for poster in data.get("posters", []):
        subject = poster.get("subject", "")
        item = f"posters/{subject}" if "-cover-" not in poster.get("file", "") else f"wechat/{subject}"
        for box in poster.get("texts", []):
            ratio, required = box.get("contrast"), box.get("required", 4.5)
            if ratio is not None and ratio < required:
                findings.append(Finding(item, ERROR, "poster-contrast",
                                        f"{poster.get('file')} 的“{box.get('field')}”对比度 {ratio:.2f}，低于 {required}"))
            for char in box.get("missing_glyphs", []):
                findings.append(Finding(item, ERROR, "poster-glyph", f"{poster.get('file')} 的“{box.get('field')}”缺字：{char}"))
    return findings


EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org")
EXAMPLE_SUFFIXES = (".example", ".invalid", ".test", ".localhost")


def example_base_url(config: Config) -> bool:
    """True while [site] base_url is still a placeholder domain (RFC 2606): links and QR codes lead nowhere."""
    host = (urlsplit(config.base_url).hostname or "").lower().rstrip(".")
    return (host in EXAMPLE_DOMAINS or any(host.endswith("." + d) for d in EXAMPLE_DOMAINS)
            or host.endswith(EXAMPLE_SUFFIXES) or host in ("localhost", ""))


def example_base_url_message(config: Config) -> str:
    return (f"xnwl.toml 的 [site] base_url 仍是示例地址 {config.base_url}：公众号文章的“阅读原文”、网站的链接和"
            "海报上的二维码都会指向一个不存在的网站。请改为网站的正式地址，重新运行 xnwl batch 后再发布。")


def base_url_findings(config: Config) -> list[Finding]:
    """`xnwl check` before publishing: a placeholder base_url is an error (push and deploy refuse it too)."""
    return [Finding(None, ERROR, "base-url", example_base_url_message(config))] if example_base_url(config) else []
