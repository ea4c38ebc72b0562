"""An existing batch, opened for review commands: its content, plan, folder and reviewable items."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Config, load_config
from pipeline.content.load import load_content
from pipeline.content.model import Content
from pipeline.content.problems import UserError
from pipeline.plan import Month, MonthPlan, make_plan
from pipeline.review.items import ReviewItem, month_items


@dataclass
class BatchUnderReview:
    config: Config
    content: Content
    plan: MonthPlan
    folder: Path
    items: list[ReviewItem]


def valid_content(root: Path) -> Content:
    """The content tree, loaded and validated; UserError listing every problem if anything is wrong (the same
    message as the batch's)."""
    content, problems = load_content(root)
    if problems.errors:
        raise UserError(f"内容校验发现 {len(problems.errors)} 处错误，请逐条修改后重试（output/ 未改动）。",
                        problems.sorted())
    return content


def open_batch(root: Path, month: Month) -> BatchUnderReview:
    config = load_config(root)
    folder = config.output_dir / str(month)
    if not (folder / "manifest.json").is_file():
        raise UserError(f"还没有{month.label}的批次：请先运行 xnwl batch --month {month}。")
    content = valid_content(root)
    plan = make_plan(content, month, config.featured_per_month)
    return BatchUnderReview(config, content, plan, folder, month_items(content, plan, folder))
