"""Reading raw files: UTF-8 text, YAML front matter, with line numbers for broken YAML."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipeline.content.problems import ProblemList

try:  # the C parser is several times faster; both are safe loaders
    _Base: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Base = yaml.SafeLoader


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """Safe loader that keeps dates as text, so an impossible date is a field problem, not a crash."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


@dataclass(frozen=True, slots=True)
class SourceText:
    rel: str
    text: str
    sha256: str


@dataclass(frozen=True, slots=True)
class FrontMatterFile:
    rel: str
    meta: dict[str, Any]
    body: str


def relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def read_text(root: Path, path: Path, problems: ProblemList) -> SourceText | None:
    rel = relative(root, path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.add(rel, "", None, f"无法读取文件（{exc.strerror}）")
        return None
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        problems.add(rel, "", None, "文件为空")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.add(rel, "", None, "文件不是 UTF-8 编码（可能是 GBK），请用 UTF-8 另存", line=line)
        return None
    return SourceText(rel, text.removeprefix("\ufeff").replace("\r\n", "\n"), digest)


def anchor_line(text: str) -> int | None:
    """The line (counted from 0) of the first anchor or alias in this YAML, or None when it has none.

    Content never needs them, and nested aliases ("billion laughs") would make the constructed value grow
    exponentially from a few kilobytes: the events are scanned first (nothing is built), and a document with
    an anchor is refused before it is constructed. Raises yaml.YAMLError for YAML that does not parse."""
    if "&" not in text and "*" not in text:  # neither an anchor nor an alias can be written without them
        return None
    for event in yaml.parse(text, Loader=_Base):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            return event.start_mark.line
    return None


ANCHOR_REFUSED = "YAML 中不能使用锚点（&）或别名（*）：内容文件不需要它们，嵌套的别名会耗尽内存。请把值直接写出来"


def load_yaml(source: SourceText, problems: ProblemList, line_offset: int = 0, text: str | None = None) -> Any:
    text = source.text if text is None else text
    try:
        line = anchor_line(text)
        if line is not None:
            problems.add(source.rel, "", None, ANCHOR_REFUSED, line=line + 1 + line_offset)
            return None
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark is not None else None
        reason = exc.problem or exc.context or "无法解析"
        problems.add(source.rel, "", None, f"YAML 格式错误：{reason}", line=line)
    except yaml.YAMLError as exc:
        problems.add(source.rel, "", None, f"YAML 格式错误：{exc}")
    return None


def split_front_matter(source: SourceText, problems: ProblemList) -> FrontMatterFile | None:
    lines = source.text.split("\n")
    if not lines or lines[0].strip() != "---":
        problems.add(source.rel, "", None, "文件应以一行“---”开头，后接 YAML 头信息，再以一行“---”结束", line=1)
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        problems.add(source.rel, "", None, "YAML 头信息没有结束行“---”", line=1)
        return None
    meta = load_yaml(source, problems, line_offset=1, text="\n".join(lines[1:end]))
    if meta is None and not problems.errors_for(source.rel):
        meta = {}
    if meta is None:
        return None
    if not isinstance(meta, dict):
        problems.add(source.rel, "", None, "YAML 头信息应为“字段: 值”的键值对", line=2)
        return None
    body = "\n".join(lines[end + 1 :]).strip() + "\n"
    return FrontMatterFile(source.rel, meta, body)
