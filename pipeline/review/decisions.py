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


def load_decisions(root: Path, month: Month) -> dict[str, Any]:
    path = decisions_path(root, month)
    if not path.is_file():
        return {"month": str(month), "decisions": [], "overrides": []}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path.relative_to(root)}：审核记录文件已损坏（{exc}），请从版本库恢复。") from None
    data.setdefault("decisions", [])
    data.setdefault("overrides", [])
    return data


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
