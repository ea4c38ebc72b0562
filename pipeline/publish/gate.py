"""The publish gate: what may leave the building. Only approved items, unless forced (and recorded).

An approval stands for the bytes that are sent (pipeline/review/payload.py). An article approved once and
different now (or sent back since) is not skipped quietly: push and deploy refuse, naming it, unless forced.
Forcing is recorded by the caller only once something was actually published.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.config import Config, load_config
from pipeline.content.model import Content
from pipeline.content.problems import UserError
from pipeline.plan import Month, make_plan
from pipeline.review.checks import example_base_url, example_base_url_message
from pipeline.review.decisions import APPROVED, REJECTED, ItemState, item_state, load_decisions
from pipeline.review.items import ReviewItem, month_items, source_files
from pipeline.review.payload import sources_digest
from pipeline.review.session import open_batch


def refuse_example_base_url(config: Config, action: str) -> None:
    if example_base_url(config):
        raise UserError(f"没有{action}：" + example_base_url_message(config))


def _pending_line(month: Month, item: ReviewItem, state: ItemState) -> str:
    why = "通过后被退回修改" if state.state == REJECTED else "通过审核后内容有改动，现为待审"
    return f"  {item.id}（{item.title}，{month.label}）：{why}"


@dataclass
class PushGate:
    expected: dict[str, str] | None  # slug -> approved hash; None when forced (everything is sent)
    sources: dict[str, str]  # slug -> sources digest of the article now (for the recomputed hash)
    titles: dict[str, str]
    overridden: list[str] = field(default_factory=list)  # item ids sent without a valid approval (--force)


def push_gate(root: Path, month: Month, force: bool, by: str | None) -> PushGate:
    """What `wechat push` may send: the approved articles, each with the hash its approval stands for."""
    if force and not (by or "").strip():
        raise UserError("使用 --force 时必须用 --by 写明是谁决定跳过审核。")
    config = load_config(root)
    refuse_example_base_url(config, "推送任何文章")
    batch = open_batch(root, month)
    decisions = load_decisions(root, month)
    articles = [i for i in batch.items if i.kind == "article"]
    states = {i.id: item_state(decisions, i) for i in articles}
    slug = {i.id: i.id.split("/", 1)[1] for i in articles}
    sources = {slug[i.id]: sources_digest(source_files(batch.content, batch.plan, i.route_ids, i.event_ids,
                                                       i.id.startswith("wechat/guide-"))) for i in articles}
    titles = {slug[i.id]: i.title for i in articles}
    if force:
        return PushGate(None, sources, titles, [i.id for i in articles if states[i.id].state != APPROVED])
    changed = [i for i in articles if states[i.id].approved is not None and states[i.id].state != APPROVED]
    if changed:
        raise UserError("以下文章通过审核后又有改动（或被退回），没有推送任何内容：\n"
                        + "\n".join(_pending_line(month, i, states[i.id]) for i in changed)
                        + f"\n请在审核页查看改动并重新审核：xnwl review approve <项目> --month {month} --by 姓名；"
                          "确需跳过审核时用 --force --by 姓名（会记录在审核记录中）。")
    approved = {slug[i.id]: i.hash for i in articles if states[i.id].state == APPROVED}
    if not approved:
        pending = "、".join(i.id for i in articles)
        raise UserError(f"{month.label}还没有通过审核的公众号文章（{pending}），没有推送任何内容。"
                        f"请先审核：xnwl review approve <项目> --month {month} --by 姓名；"
                        "确需跳过审核时用 --force --by 姓名（会记录在审核记录中）。")
    return PushGate(approved, sources, titles)


@dataclass
class DeployGate:
    approved: list[Month]  # months whose guide is approved as it is now
    overridden: dict[Month, list[str]]  # with --force: per month, the items published without a valid approval


def deploy_gate(config: Config, content: Content, months: list[Month], force: bool) -> DeployGate:
    """Which built months `site deploy` publishes. An article approved once and changed since (its own text or
    a source it presents, such as a route page's body) stops the deploy, unless forced."""
    approved: list[Month] = []
    overridden: dict[Month, list[str]] = {}
    changed: list[str] = []
    for month in months:
        folder = config.output_dir / str(month)
        try:
            plan = make_plan(content, month, config.featured_per_month)
        except UserError:
            continue
        decisions = load_decisions(config.root, month)
        articles = [i for i in month_items(content, plan, folder) if i.kind == "article"]
        states = {i.id: item_state(decisions, i) for i in articles}
        stale = [i for i in articles if states[i.id].approved is not None and states[i.id].state != APPROVED]
        changed += [_pending_line(month, i, states[i.id]) for i in stale]
        guide = next((i for i in articles if i.id == f"wechat/guide-{month}"), None)
        guide_ok = guide is not None and states[guide.id].state == APPROVED
        if guide_ok and not stale:
            approved.append(month)
        forced = ([] if guide_ok or guide is None else [guide.id]) + [i.id for i in stale if i is not guide]
        if forced:
            overridden[month] = forced
    if changed and not force:
        raise UserError("以下项目通过审核后内容有改动（或被退回），网站没有发布：\n" + "\n".join(changed)
                        + "\n请在审核页查看改动并重新审核：xnwl review approve <项目> --month <YYYY-MM> --by 姓名；"
                          "确需跳过审核时用 --force --by 姓名（会记录在审核记录中）。目标目录没有任何改动。")
    return DeployGate(approved, overridden)
