"""What the review commands do: re-run checks, list states, record a decision and refresh the review page.

The preview site's 待审 banners follow a decision when the site is rebuilt: the caller's job (cli, the preview
server in pipeline/publish/serve.py); review imports no channel."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pipeline.output import json_bytes, write_bytes
from pipeline.plan import Month
from pipeline.review.checks import Finding, base_url_findings, check_batch
from pipeline.review.decisions import APPROVED, REJECTED, decide, find_item, item_state, load_decisions
from pipeline.review.session import open_batch
from pipeline.review.stage import FINDINGS_FILE, read_findings, refresh_review_page


def run_checks(root: Path, month: Month) -> list[Finding]:
    """The checks again, now: an event past at publish time counts from today (or the 1st of the month)."""
    batch = open_batch(root, month)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    findings = check_batch(batch.config, batch.content, batch.plan, batch.folder, batch.items,
                           max(today, month.first_day), None, batch.config.output_dir / "site")
    findings += base_url_findings(batch.config)  # before publishing; a batch may be built with the placeholder
    write_bytes(batch.folder / FINDINGS_FILE, json_bytes([asdict(f) for f in findings]))
    refresh_review_page(batch.config, batch.content, batch.plan, batch.folder)
    return findings


def item_rows(root: Path, month: Month) -> list[str]:
    batch = open_batch(root, month)
    decisions = load_decisions(root, month)
    findings = read_findings(batch.folder)
    rows = [f"{month.label}批次：{len(batch.items)} 项（审核页：output/{month}/review/index.html）"]
    for item in batch.items:
        state = item_state(decisions, item)
        errors = sum(f.item == item.id and f.severity == "error" for f in findings)
        warnings = sum(f.item == item.id and f.severity == "warning" for f in findings)
        who = f"（{state.last.by}，{state.last.at[:16].replace('T', ' ')}）" if state.last and state.state != "pending" else ""
        rows.append(f"  {state.label:<4}{who} {item.id}  {item.title}  [错误 {errors}，提醒 {warnings}]")
    return rows


def record_decision(root: Path, month: Month, item_id: str, action: str, by: str, note: str) -> str:
    batch = open_batch(root, month)
    item = find_item(batch.items, item_id)
    decision = decide(root, month, item, APPROVED if action == "approve" else REJECTED, by, note)
    refresh_review_page(batch.config, batch.content, batch.plan, batch.folder)
    label = "已通过" if decision.state == APPROVED else "已退回修改"
    return f"{item.id}（{item.title}）{label}：{decision.by}，{decision.at[:16].replace('T', ' ')}。审核记录：content/review/{month}.json"


def decide_from_form(root: Path, form: dict[str, str]) -> str:
    """The review page's form, posted to `xnwl serve`. Returns the review page to go back to."""
    from pipeline.content.problems import UserError

    action = form.get("action", "")
    if action not in ("approve", "reject"):
        raise UserError("表单缺少“通过”或“退回修改”。")
    # in the page's words (its fields), not the command line's flags
    if not form.get("by", "").strip():
        raise UserError("请在“审核人”里填写你的姓名。")
    if action == "reject" and not form.get("note", "").strip():
        raise UserError("退回修改时，请在“意见”里写明要改什么。")
    month = Month.parse(form.get("month", ""))
    item = form.get("item", "")
    # the preview server's file watcher sees content/review/ change and rebuilds the site itself
    record_decision(root, month, item, action, form.get("by", ""), form.get("note", ""))
    return f"{month}/review/index.html#item-{item.replace('/', '-')}"
