"""The publish gate: what may leave the building. Only approved items, unless forced (and recorded)."""

from __future__ import annotations

from pathlib import Path

from pipeline.config import Config
from pipeline.content.model import Content
from pipeline.content.problems import UserError
from pipeline.plan import Month, make_plan
from pipeline.review.decisions import APPROVED, item_state, load_decisions, record_override
from pipeline.review.session import open_batch


def approved_articles(root: Path, month: Month, force: bool, by: str | None) -> set[str] | None:
    """Slugs of the month's approved articles; None (everything) when forced, which is recorded."""
    batch = open_batch(root, month)
    articles = [i for i in batch.items if i.kind == "article"]
    if force:
        record_override(root, month, "wechat push --force", by or "", [i.id for i in articles])
        return None
    decisions = load_decisions(root, month)
    approved = {i.id.split("/", 1)[1] for i in articles if item_state(decisions, i).state == APPROVED}
    if not approved:
        pending = "、".join(i.id for i in articles)
        raise UserError(f"{month.label}还没有通过审核的公众号文章（{pending}），没有推送任何内容。"
                        f"请先审核：xnwl review approve <项目> --month {month} --by 姓名；"
                        "确需跳过审核时用 --force --by 姓名（会记录在审核记录中）。")
    return approved


def guide_approved(config: Config, content: Content, month: Month, folder: Path | None = None) -> bool:
    """A month's guide is published once its guide article is approved as it is now (same content hash)."""
    from pipeline.review.items import month_items

    folder = folder or config.output_dir / str(month)
    if not (folder / "wechat" / f"guide-{month}.html").is_file():
        return False
    try:
        plan = make_plan(content, month, config.featured_per_month)
    except UserError:
        return False
    guide = next(iter(month_items(plan, folder, only=f"wechat/guide-{month}")), None)
    return guide is not None and item_state(load_decisions(config.root, month), guide).state == APPROVED
