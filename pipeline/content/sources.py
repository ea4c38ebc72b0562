"""Reading raw files: UTF-8 text, YAML front matter, with line numbers for broken YAML."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from pipeline.content.problems import ProblemList

if TYPE_CHECKING:
    from pipeline.content.parsed import ParseCache

try:  # the C loader is several times faster; both are safe loaders
    _Base: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Base = yaml.SafeLoader


_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


class _Unusual(Exception):
    """A document the direct construction below does not handle: PyYAML's own construction does it."""


class _Loader(_Base):  # type: ignore[misc, valid-type]
    """Safe loader that keeps dates as text, so an impossible date is a field problem, not a crash."""

    def construct_document(self, node: yaml.Node) -> Any:
        # PyYAML builds every value through construct_object, generators and per-node bookkeeping, which is
        # most of the time spent on front matter. Plain documents (text keys, lists and maps, each node used
        # once) are built here directly, with the same results; anything else, or any error, starts over
        # with PyYAML's construction, so values and messages are exactly PyYAML's.
        try:
            data = self._direct(node, set())
        except Exception:  # noqa: BLE001 - PyYAML's own construction below raises the right error, if any
            self.constructed_objects = {}
            self.recursive_objects = {}
            self.state_generators = []
            self.deep_construct = False
            return super().construct_document(node)
        self.constructed_objects = {}
        return data

    def _direct(self, node: yaml.Node, seen: set[int]) -> Any:
        kind = type(node)
        if kind is yaml.ScalarNode:
            return node.value if node.tag == _STR else self.construct_object(node, deep=True)
        if id(node) in seen:  # an alias: PyYAML gives the same object twice
            raise _Unusual
        seen.add(id(node))
        if kind is yaml.SequenceNode and node.tag == _SEQ:
            return [self._direct(child, seen) for child in node.value]
        if kind is yaml.MappingNode and node.tag == _MAP:
            mapping = {}
            for key_node, value_node in node.value:
                if type(key_node) is not yaml.ScalarNode or key_node.tag != _STR:  # merge keys, odd keys
                    raise _Unusual
                mapping[key_node.value] = self._direct(value_node, seen)
            return mapping
        raise _Unusual

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # The parser asks this for every node (some 130,000 times for 2,000 routes). For a plain scalar the
        # answer depends on its text alone (this loader has no path resolvers), and short texts recur: keys,
        # ids, numbers. Long texts are not kept (few of them recur; most begin with a letter no resolver knows).
        if kind is yaml.ScalarNode and implicit[0] and len(value) <= _REMEMBERED_LENGTH:
            tag = _PLAIN_TAGS.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_PLAIN_TAGS) < _REMEMBERED_TEXTS:  # a long-running process (the scheduler) stays bounded
                    _PLAIN_TAGS[value] = tag
            return tag
        return super().resolve(kind, value, implicit)


_PLAIN_TAGS: dict[str, str] = {}  # tag of a plain scalar by its text, as the implicit resolvers decide it
_REMEMBERED_LENGTH = 32
_REMEMBERED_TEXTS = 200_000
_Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
assert not _Loader.yaml_path_resolvers  # else a tag would depend on where a scalar is, not only on its text
YAML_LOADER = _Loader


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


def split_front_matter(source: SourceText, problems: ProblemList,
                       cache: ParseCache | None = None) -> FrontMatterFile | None:
    if cache is not None:
        hit = cache.get(source.sha256)
        if hit is not None:
            return FrontMatterFile(source.rel, hit[0], hit[1])
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
    if cache is not None:
        cache.put(source.sha256, meta, body)
    return FrontMatterFile(source.rel, meta, body)
