"""Problems found in user input: each names the file, the field path, the value and what was expected."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    field: str
    value: Any
    expected: str
    severity: str = ERROR
    line: int | None = None

    def render(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        label = "错误" if self.severity == ERROR else "提醒"
        value = _show_value(self.value)
        field_part = f" · {self.field}" if self.field else ""
        value_part = f" = {value}" if value is not None else ""
        return f"[{label}] {where}{field_part}{value_part}：{self.expected}"


def _show_value(value: Any) -> str | None:
    if value is _MISSING:
        return "（缺失）"
    if value is None:
        return None
    text = repr(value) if not isinstance(value, str) else f"“{value}”"
    return text if len(text) <= 80 else text[:77] + "…"


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()
MISSING: Any = _MISSING


@dataclass
class ProblemList:
    items: list[Problem] = field(default_factory=list)

    def add(self, file: str, field_path: str, value: Any, expected: str, *, line: int | None = None) -> None:
        self.items.append(Problem(file, field_path, value, expected, ERROR, line))

    def warn(self, file: str, field_path: str, value: Any, expected: str) -> None:
        self.items.append(Problem(file, field_path, value, expected, WARNING))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == ERROR]

    def errors_for(self, file: str) -> bool:
        return any(p.file == file and p.severity == ERROR for p in self.items)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == WARNING]

    def sorted(self) -> list[Problem]:
        return sorted(self.items, key=lambda p: (p.severity != ERROR, p.file, p.line or 0, p.field))


class UserError(Exception):
    """A mistake in the user's input or command: shown as a message, never as a traceback."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def render(self) -> str:
        lines = [p.render() for p in self.problems]
        lines.append(self.message)
        return "\n".join(lines)
