"""An existing batch, opened for review commands: its content, plan, folder and reviewable items."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Config, load_config
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


def open_batch(root: Path, month: Month) -> BatchUnderReview:
    from pipeline.batch import validated_content

    config = load_config(root)
    folder = config.output_dir / str(month)
    if not (folder / "manifest.json").is_file():
        raise UserError(f"还没有{month.label}的批次：请先运行 xnwl batch --month {month}。")
    content, _ = validated_content(root)
    plan = make_plan(content, month, config.featured_per_month)
    return BatchUnderReview(config, content, plan, folder, month_items(content, plan, folder))
