"""The review stage of a batch: run the checks on the files the channels wrote, keep their findings, write the
review page, render the year planner.

Errors fail the batch (nothing is published from a batch that breaks a rule); warnings go to editors.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from pipeline.config import Config
from pipeline.content.model import Content
from pipeline.content.problems import ERROR, Problem, UserError
from pipeline.output import json_bytes, write_bytes
from pipeline.plan import MonthPlan
from pipeline.review.checks import Finding, check_batch
from pipeline.review.items import month_items
from pipeline.review.page import render_review_page
from pipeline.review.planner import render_planner

FINDINGS_FILE = "review/findings.json"
PAGE_FILE = "review/index.html"


def render_review(config: Config, content: Content, plan: MonthPlan, batch: Path, site: Path) -> bytes:
    """Check the month folder `batch` (the articles' links resolved in the site folder `site`); UserError on
    any error. Writes batch/review/ and returns the year planner page (output/plan/<year>.html)."""
    items = month_items(content, plan, batch)
    findings = check_batch(config, content, plan, batch, items, plan.month.first_day, None, site)
    errors = [f for f in findings if f.severity == ERROR]
    if errors:
        raise UserError(f"审核检查发现 {len(errors)} 处错误，请修改后重试（output/ 未改动）。",
                        [Problem(f.item or "本批次", f.check, None, f.message) for f in errors])
    write_bytes(batch / FINDINGS_FILE, json_bytes([asdict(f) for f in findings]))
    write_bytes(batch / PAGE_FILE, render_review_page(config, content, plan, batch, findings, items))
    return render_planner(config, content, plan.month.year)


def read_findings(batch: Path) -> list[Finding]:
    path = batch / FINDINGS_FILE
    if not path.is_file():
        return []
    return [Finding(**item) for item in json.loads(path.read_text(encoding="utf-8"))]


def refresh_review_page(config: Config, content: Content, plan: MonthPlan, batch: Path) -> None:
    """Re-render the page after a decision, with the findings the batch recorded."""
    write_bytes(batch / PAGE_FILE, render_review_page(config, content, plan, batch, read_findings(batch)))
