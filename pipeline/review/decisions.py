"""Editors' decisions, one JSON file per month under content/review/, kept in version control with the content.

An approval is tied to the content hash of the item it approved: when the item changes, it is 待审 again.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pipeline.content.problems import UserError
from pipeline.plan import Month
from pipeline.review.items import ReviewItem

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
STATE_LABELS = {PENDING: "待审", APPROVED: "已通过", REJECTED: "退回修改"}
DECISIONS_FOLDER = "content/review"


@dataclass(frozen=True)
class Decision:
    item: str
    state: str  # approved | rejected
    by: str
    at: str  # ISO time, Asia/Shanghai
    note: str
    hash: str
    text: str  # the item's text when decided, for "what changed since the last approval"


@dataclass(frozen=True)
class ItemState:
    state: str
    last: Decision | None  # the latest decision, whatever it was
    approved: Decision | None  # the latest approval, even if the item changed since

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def changed_since_decision(self) -> bool:
        return self.last is not None and self.state == PENDING


def decisions_path(root: Path, month: Month) -> Path:
    return root / DECISIONS_FOLDER / f"{month}.json"


DECISION_KEYS = ("item", "state", "by", "at", "note", "hash", "text")
OVERRIDE_KEYS = ("action", "by", "at", "items")
TOP_KEYS = ("month", "decisions", "overrides")


def load_decisions(root: Path, month: Month) -> dict[str, Any]:
    """The month's decisions file, checked entry by entry: a file of the wrong shape is a UserError naming
    the file and every bad entry (it is edited by hand and merged in version control)."""
    path = decisions_path(root, month)
    if not path.is_file():
        return {"month": str(month), "decisions": [], "overrides": []}
    shown = f"{DECISIONS_FOLDER}/{path.name}"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{shown}：审核记录文件已损坏（{exc}），请从版本库恢复。") from None
    problems = shape_problems(data)
    if problems:
        raise UserError(f"{shown}：审核记录文件的格式不对，请从版本库恢复或按下面的说明改正：\n"
                        + "\n".join(f"  {shown} · {p}" for p in problems))
    data.setdefault("decisions", [])
    data.setdefault("overrides", [])
    return data


def shape_problems(data: Any) -> list[str]:
    """Every way the parsed file differs from {"month", "decisions": [...], "overrides": [...]}, in Chinese."""
    if not isinstance(data, dict):
        kind = "列表" if isinstance(data, list) else type(data).__name__
        return [f"最外层应为对象（{{\"month\": …, \"decisions\": […], \"overrides\": […]}}），实际是{kind}"]
    problems = [f"多了不认识的键“{k}”（只允许 {'、'.join(TOP_KEYS)}）" for k in data if k not in TOP_KEYS]
    if "month" in data and not isinstance(data["month"], str):
        problems.append(f"month 应为文字（如 \"2027-04\"），实际是 {json.dumps(data['month'], ensure_ascii=False)}")
    for name, keys, check in (("decisions", DECISION_KEYS, _decision_problems),
                              ("overrides", OVERRIDE_KEYS, _override_problems)):
        entries = data.get(name, [])
        if not isinstance(entries, list):
            problems.append(f"{name} 应为列表，实际是 {json.dumps(entries, ensure_ascii=False)[:40]}")
            continue
        for index, entry in enumerate(entries):
            where = f"{name}[{index}]（第 {index + 1} 条）"
            if not isinstance(entry, dict):
                problems.append(f"{where} 应为对象，实际是 {json.dumps(entry, ensure_ascii=False)[:40]}")
                continue
            missing = [k for k in keys if k not in entry]
            extra = [k for k in entry if k not in keys]
            if missing:
                problems.append(f"{where} 缺少 {'、'.join(missing)}")
            if extra:
                problems.append(f"{where} 多了不认识的键 {'、'.join(extra)}")
            problems += [f"{where} {p}" for p in check(entry)]
    return problems


def _decision_problems(entry: dict[str, Any]) -> list[str]:
    problems = [f"{k} 应为文字" for k in DECISION_KEYS if k in entry and not isinstance(entry[k], str)]
    state = entry.get("state")
    if isinstance(state, str) and state not in (APPROVED, REJECTED):
        problems.append(f"state 的值“{state}”无效：应为 {APPROVED}（通过）或 {REJECTED}（退回修改）")
    return problems


def _override_problems(entry: dict[str, Any]) -> list[str]:
    problems = [f"{k} 应为文字" for k in ("action", "by", "at") if k in entry and not isinstance(entry[k], str)]
    items = entry.get("items", [])
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        problems.append("items 应为文字的列表")
    return problems


def _save(root: Path, month: Month, data: dict[str, Any]) -> None:
    path = decisions_path(root, month)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as handle:
        handle.write(payload)
    os.replace(temp, path)


def _now() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).isoformat(timespec="seconds")


def item_state(data: dict[str, Any], item: ReviewItem) -> ItemState:
    history = [Decision(**d) for d in data["decisions"] if d["item"] == item.id]
    if not history:
        return ItemState(PENDING, None, None)
    last = history[-1]
    approvals = [d for d in history if d.state == APPROVED]
    approved = approvals[-1] if approvals else None
    state = last.state if last.hash == item.hash else PENDING
    return ItemState(state, last, approved)


def decide(root: Path, month: Month, item: ReviewItem, state: str, by: str, note: str = "") -> Decision:
    if state not in (APPROVED, REJECTED):
        raise AssertionError(state)
    by = by.strip()
    if not by:
        raise UserError("请用 --by 写明审核人姓名。")
    if state == REJECTED and not note.strip():
        raise UserError("退回修改时请用 --note 写明要改什么。")
    data = load_decisions(root, month)
    decision = Decision(item.id, state, by, _now(), note.strip(), item.hash, item.text)
    data["decisions"].append(decision.__dict__)
    _save(root, month, data)
    return decision


def record_override(root: Path, month: Month, action: str, by: str, items: list[str]) -> None:
    """--force on a publish step: who forced what, when. Kept beside the decisions."""
    if not by.strip():
        raise UserError("使用 --force 时必须用 --by 写明是谁决定跳过审核。")
    data = load_decisions(root, month)
    data["overrides"].append({"action": action, "by": by.strip(), "at": _now(), "items": items})
    _save(root, month, data)


def find_item(items: list[ReviewItem], item_id: str) -> ReviewItem:
    for item in items:
        if item.id == item_id:
            return item
    known = "、".join(i.id for i in items) or "（本批次没有可审核的项目）"
    raise UserError(f"本批次没有“{item_id}”这一项。可审核的项目：{known}")
