"""Which months' guides are approved as they are now: the site shows a 待审 banner on the others, and the
deployable copy holds only the approved ones. Reads the batch folders and content/review/; imports no channel."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from pipeline.config import Config
from pipeline.content.model import Content
from pipeline.content.problems import UserError
from pipeline.outputs_layout import WECHAT_FOLDER
from pipeline.plan import Month, make_plan
from pipeline.review.decisions import APPROVED, item_state, load_decisions
from pipeline.review.items import month_items


def guide_approved(config: Config, content: Content, month: Month, folder: Path) -> bool:
    """A month's guide is published once its guide article (in the batch folder `folder`) is approved as it is
    now (same approval hash)."""
    if not (folder / WECHAT_FOLDER / f"guide-{month}.html").is_file():
        return False
    try:
        plan = make_plan(content, month, config.featured_per_month)
    except UserError:
        return False
    guide = next(iter(month_items(content, plan, folder, only=f"wechat/guide-{month}")), None)
    return guide is not None and item_state(load_decisions(config.root, month), guide).state == APPROVED


def pending_guides(config: Config, content: Content, months: list[Month],
                   folder_of: Callable[[Month], Path]) -> frozenset[Month]:
    """Of `months`, those that have a guide not approved as it is now (`folder_of(month)`: its batch folder)."""
    return frozenset(m for m in months if content.guide_for(m.year, m.month) is not None
                     and not guide_approved(config, content, m, folder_of(m)))
