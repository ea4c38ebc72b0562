"""The review page of a batch: every item as readers will see it, its findings, its state and what changed."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Config
from pipeline import urls
from pipeline.content.model import Content
from pipeline.outputs_layout import WECHAT_FOLDER
from pipeline.plan import MonthPlan
from pipeline.review.checks import Finding
from pipeline.review.decisions import ItemState, item_state, load_decisions
from pipeline.review.diff import DiffLine, line_diff
from pipeline.review.items import ReviewItem, html_text, month_items
from pipeline.templates import make_environment

_MONTH = re.compile(r"\d{4}-\d{2}")


@dataclass(frozen=True)
class ItemView:
    item: ReviewItem
    state: ItemState
    findings: list[Finding]
    fragment: str  # the article's HTML, shown in a phone-sized frame
    images: list[str]  # poster files, relative to the batch folder
    since_last_month: list[DiffLine] | None  # None: nothing comparable last month
    since_approval: list[DiffLine] | None  # None: never approved, or unchanged since

    @property
    def anchor(self) -> str:
        return "item-" + self.item.id.replace("/", "-")

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)


def built_review_months(output_root: Path) -> list[str]:
    """The months whose batch has a review page (output/<YYYY-MM>/review/index.html), newest first: what
    `xnwl serve` prints and links to."""
    found = [p.parent.parent.name for p in output_root.glob("*/review/index.html")]
    return sorted((m for m in found if _MONTH.fullmatch(m)), reverse=True)


def review_link_bar(output_root: Path, prefix: str, limit: int = 3) -> str:
    """The small 审核页 link `xnwl serve` adds to the site pages it serves (never to the built or deployed
    files): the newest months' review pages, at `prefix`<YYYY-MM>/review/index.html. Empty without a batch."""
    months = built_review_months(output_root)[:limit]
    if not months:
        return ""
    links = " · ".join(f'<a href="{html.escape(prefix)}{m}/review/index.html" style="color:#fff;'
                       f'text-decoration:underline">{m}</a>' for m in months)
    return ('<nav aria-label="审核页（仅本机预览）" style="position:fixed;right:10px;bottom:10px;z-index:2147483647;'
            'padding:6px 12px;border-radius:999px;background:#1f1f1f;color:#fff;font:13px/1.5 sans-serif;'
            f'box-shadow:0 1px 6px rgba(0,0,0,.3)">审核页：{links}</nav>')


def _previous_text(output_root: Path, plan: MonthPlan, item: ReviewItem) -> str | None:
    if item.kind != "article":
        return None
    slug = item.id.split("/", 1)[1]
    previous = plan.month.shift(-1)
    if slug.endswith(str(plan.month)):
        slug = slug[: -len(str(plan.month))] + str(previous)
    path = output_root / str(previous) / WECHAT_FOLDER / f"{slug}.html"
    return html_text(path.read_text(encoding="utf-8")) if path.is_file() else None


def item_views(config: Config, plan: MonthPlan, batch: Path, items: list[ReviewItem],
               findings: list[Finding]) -> list[ItemView]:
    decisions = load_decisions(config.root, plan.month)
    views = []
    for item in items:
        state = item_state(decisions, item)
        fragment = (batch / item.files[0]).read_text(encoding="utf-8") if item.kind == "article" else ""
        images = [f for f in item.files if f.endswith((".jpg", ".png"))]
        previous = _previous_text(config.output_dir, plan, item)
        since_approval = None
        if state.approved is not None and state.approved.hash != item.hash:
            since_approval = line_diff(state.approved.text, item.text) or [DiffLine(" ", (
                "标题和正文文字没有变化；改动在作者、摘要、封面、图片、留言设置、阅读原文链接，"
                "或在所介绍的指南、线路、活动的源文件中。"))]
        views.append(ItemView(item, state, [f for f in findings if f.item == item.id], fragment, images,
                              line_diff(previous, item.text) if previous is not None else None, since_approval))
    return views


def render_review_page(config: Config, content: Content, plan: MonthPlan, batch: Path,
                       findings: list[Finding], items: list[ReviewItem] | None = None) -> bytes:
    """`items`: the batch's month_items when the caller has them already."""
    if items is None:
        items = month_items(content, plan, batch)
    views = item_views(config, plan, batch, items, findings)
    site_pages = [("本月周末指南", urls.guide_path(plan.month)), ("本月活动日历", urls.events_month_path(plan.month))]
    site_pages += [(f"线路：{r.title}", urls.route_path(r.id)) for r in plan.featured]
    template = make_environment(config.root, autoescape=True).get_template("review/index.html")
    return template.render(
        config=config, plan=plan, views=views, site_pages=site_pages,
        general=[f for f in findings if f.item is None],
        counts={label: sum(v.state.label == label for v in views) for label in ("待审", "已通过", "退回修改")},
    ).encode("utf-8")
