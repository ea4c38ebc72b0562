"""Typed field readers for one front-matter mapping: each bad value becomes a Problem, never an exception."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any, Iterable

from pipeline.content.problems import MISSING, ProblemList

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Written by `xnwl inbox accept` into the fields an editor must fill; never a valid value.
PLACEHOLDER = "待填写"
_DATETIME_TEXT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")


class Fields:
    """Reads fields of one mapping found at `prefix` in file `file`."""

    def __init__(self, file: str, data: dict[str, Any], problems: ProblemList, prefix: str = "") -> None:
        self.file = file
        self.data = data
        self.problems = problems
        self.prefix = prefix

    def path(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def bad(self, key: str, value: Any, expected: str) -> None:
        self.problems.add(self.file, self.path(key), value, expected)

    def check_known(self, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in self.data:
            if key not in allowed:
                self.bad(str(key), self.data[key], f"未知字段“{key}”；可用字段：{'、'.join(allowed)}")

    def raw(self, key: str, required: bool) -> Any:
        value = self.data.get(key, MISSING)
        if value is MISSING or (value is None and required):
            if required:
                self.bad(key, MISSING, "缺少必填字段")
            return MISSING
        if isinstance(value, str) and value.strip() == PLACEHOLDER:
            self.bad(key, value, f"尚未填写：请把“{PLACEHOLDER}”换成实际内容（见该行的注释）")
            return MISSING
        return value

    def text(self, key: str, required: bool = True, max_len: int | None = None) -> str | None:
        value = self.data.get(key)
        if type(value) is str:  # the usual case, decided at once (tens of thousands of fields on a large tree)
            stripped = value.strip()
            if stripped and stripped != PLACEHOLDER and (max_len is None or len(stripped) <= max_len):
                return stripped
        value = self.raw(key, required)
        if value is MISSING or value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.bad(key, value, "应为文字")
            return None
        value = value.strip()
        if required and not value:
            self.bad(key, value, "不能为空")
            return None
        if max_len is not None and len(value) > max_len:
            self.bad(key, value, f"最多 {max_len} 个字符，现有 {len(value)} 个")
        return value

    def slug(self, key: str) -> str | None:
        value = self.text(key)
        if value is not None and not SLUG.match(value):
            self.bad(key, value, "应为网址安全的编号：小写字母、数字和连字符（如 chibi-sanguo）")
            return None
        return value

    def integer(self, key: str, low: int, high: int, required: bool = True) -> int | None:
        value = self.raw(key, required)
        if value is MISSING or value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.bad(key, value, f"应为 {low} 到 {high} 之间的整数")
            return None
        if not low <= value <= high:
            self.bad(key, value, f"应为 {low} 到 {high} 之间的整数")
            return None
        return value

    def choice(self, key: str, choices: Iterable[str], what: str) -> str | None:
        choices = tuple(choices)
        value = self.text(key)
        if value is not None and value not in choices:
            self.bad(key, value, f"不是已知的{what}；应为：{'、'.join(choices)}")
            return None
        return value

    def items(self, key: str, required: bool = True) -> list[Any]:
        value = self.raw(key, required)
        if value is MISSING or value is None:
            return []
        if not isinstance(value, list):
            self.bad(key, value, "应为列表（每项一行，以“- ”开头）")
            return []
        return value

    def mapping(self, key: str, required: bool = True) -> dict[str, Any] | None:
        value = self.raw(key, required)
        if value is MISSING or value is None:
            return None
        if not isinstance(value, dict):
            self.bad(key, value, "应为键值对（下一行缩进写各项）")
            return None
        return value

    def day(self, key: str, required: bool = False) -> date | None:
        value = self.raw(key, required)
        if value is MISSING or value is None or value == "":
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            match = _DATETIME_TEXT.match(value.strip())
            if match and match.group(4) is None:
                try:
                    return date(int(match[1]), int(match[2]), int(match[3]))
                except ValueError:
                    pass
        self.bad(key, value, "应为日期，如 2027-04-10")
        return None

    def moment(self, key: str) -> tuple[date, time | None] | None:
        """A date, or a date with a time of day (Asia/Shanghai)."""
        value = self.raw(key, True)
        if value is MISSING or value is None:
            return None
        if isinstance(value, datetime):
            return value.date(), value.time().replace(tzinfo=None, microsecond=0)
        if isinstance(value, date):
            return value, None
        if isinstance(value, str):
            match = _DATETIME_TEXT.match(value.strip())
            if match:
                try:
                    day = date(int(match[1]), int(match[2]), int(match[3]))
                    if match.group(4) is None:
                        return day, None
                    return day, time(int(match[4]), int(match[5]), int(match[6] or 0))
                except ValueError:
                    pass
        self.bad(key, value, "应为日期或日期加时间，如 2027-04-10 或 \"2027-04-10 19:30\"")
        return None

    def nested(self, key: str, index: int | None, value: Any) -> Fields | None:
        path = f"{key}[{index}]" if index is not None else key
        if not isinstance(value, dict):
            self.bad(path, value, "应为键值对")
            return None
        return Fields(self.file, value, self.problems, self.path(path))
