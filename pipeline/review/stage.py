"""The review stage of a batch: run the checks, keep their findings, write the review page.

Errors fail the batch (nothing is published from a batch that breaks a rule); warnings go to editors.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from pipeline.channels import ChannelContext
from pipeline.channels.memo import Memo
from pipeline.config import Config
from pipeline.content.model import Content
from pipeline.content.problems import ERROR, Problem, UserError
from pipeline.output import json_bytes, replace_file, write_bytes
from pipeline.plan import MonthPlan
from pipeline.review.checks import Finding, check_batch, previous_month_featured
from pipeline.review.items import month_items
from pipeline.review.page import render_review_page
from pipeline.review.planner import planner_path, render_planner

FINDINGS_FILE = "review/findings.json"
PAGE_FILE = "review/index.html"


def render_review(ctx: ChannelContext) -> None:
    items = month_items(ctx.content, ctx.plan, ctx.out)
    site = ctx.built.get("site", ctx.output_root / "site")
    memo = Memo(ctx.config.root, "review-checks")
    findings = check_batch(ctx.config, ctx.content, ctx.plan, ctx.out, items, ctx.plan.month.first_day,
                           previous_month_featured(ctx.output_root, ctx.plan.month), site, memo)
    memo.save()
    errors = [f for f in findings if f.severity == ERROR]
    if errors:
        raise UserError(f"审核检查发现 {len(errors)} 处错误，请修改后重试（output/ 未改动）。",
                        [Problem(f.item or "本批次", f.check, None, f.message) for f in errors])
    write_bytes(ctx.out / FINDINGS_FILE, json_bytes([asdict(f) for f in findings]))
    write_bytes(ctx.out / PAGE_FILE, render_review_page(ctx.config, ctx.content, ctx.plan, ctx.out, findings, items))
    planner = render_planner(ctx.config, ctx.content, ctx.plan.month.year, remember=True)
    ctx.after_swap.append(lambda: replace_file(planner_path(ctx.output_root, ctx.plan.month.year), planner))


def read_findings(batch: Path) -> list[Finding]:
    path = batch / FINDINGS_FILE
    if not path.is_file():
        return []
    return [Finding(**item) for item in json.loads(path.read_text(encoding="utf-8"))]


def refresh_review_page(config: Config, content: Content, plan: MonthPlan, batch: Path) -> None:
    """Re-render the page after a decision, with the findings the batch recorded."""
    write_bytes(batch / PAGE_FILE, render_review_page(config, content, plan, batch, read_findings(batch)))
