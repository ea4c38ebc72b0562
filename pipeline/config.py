"""xnwl.toml -> Config."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.content.problems import MISSING, ProblemList, UserError

CONFIG_NAME = "xnwl.toml"
_HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True, slots=True)
class Config:
    root: Path
    site_title: str
    base_url: str
    brand_name: str
    brand_short_name: str
    primary_color: str
    accent_color: str
    text_color: str
    wechat_author: str
    need_open_comment: bool
    schedule_day: int
    schedule_hour: int
    schedule_minute: int
    feeds: tuple[str, ...]
    output_dir: Path
    featured_per_month: int

    def url(self, path: str) -> str:
        """Absolute URL of a site path such as 'routes/x/'."""
        return self.base_url + path.lstrip("/")


def find_root(start: Path) -> Path | None:
    """The nearest folder upwards from start that holds xnwl.toml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return None


def load_config(root: Path) -> Config:
    path = root / CONFIG_NAME
    rel = CONFIG_NAME
    if not path.is_file():
        raise UserError(f"在 {root} 找不到配置文件 {CONFIG_NAME}。")
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise UserError(f"{rel}：文件不是 UTF-8 编码，请另存为 UTF-8。") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{rel}：TOML 格式错误（{exc}）。") from None

    problems = ProblemList()

    def get(section: str, key: str, kind: type, default: Any = MISSING) -> Any:
        table = data.get(section, {})
        value = table.get(key, default) if isinstance(table, dict) else default
        if value is MISSING:
            problems.add(rel, f"{section}.{key}", MISSING, "缺少此项")
            return kind()
        if kind is int and isinstance(value, bool) or not isinstance(value, kind):
            problems.add(rel, f"{section}.{key}", value, f"应为{_KIND_NAMES[kind]}")
            return kind()
        return value

    def color(section: str, key: str, default: str) -> str:
        value = get(section, key, str, default)
        if value and not _HEX_COLOR.match(value):
            problems.add(rel, f"{section}.{key}", value, "应为 #RRGGBB 形式的颜色")
        return value

    base_url = get("site", "base_url", str)
    if base_url and not re.match(r"^https?://[^\s/]+(/[^\s]*)?$", base_url):
        problems.add(rel, "site.base_url", base_url, "应为 http:// 或 https:// 开头的网址")
    elif base_url and not base_url.endswith("/"):
        base_url += "/"
    day = get("schedule", "day", int, 20)
    hour = get("schedule", "hour", int, 9)
    minute = get("schedule", "minute", int, 0)
    for key, value, low, high in (("day", day, 1, 28), ("hour", hour, 0, 23), ("minute", minute, 0, 59)):
        if not low <= value <= high:
            problems.add(rel, f"schedule.{key}", value, f"应为 {low} 到 {high} 之间的整数")
    feeds = get("feeds", "urls", list, [])
    for index, url in enumerate(feeds):
        if not isinstance(url, str) or not re.match(r"^https?://", url):
            problems.add(rel, f"feeds.urls[{index}]", url, "应为 http:// 或 https:// 开头的网址")
    featured = get("plan", "featured_per_month", int, 2)
    if not 1 <= featured <= 10:
        problems.add(rel, "plan.featured_per_month", featured, "应为 1 到 10 之间的整数")
    output_dir = get("output", "dir", str, "output")

    config = Config(
        root=root,
        site_title=get("site", "title", str),
        base_url=base_url,
        brand_name=get("brand", "name", str),
        brand_short_name=get("brand", "short_name", str, "咸宁文旅"),
        primary_color=color("brand", "primary_color", "#1f5f5b"),
        accent_color=color("brand", "accent_color", "#b5562a"),
        text_color=color("brand", "text_color", "#3f3f3f"),
        wechat_author=get("wechat", "author", str),
        need_open_comment=get("wechat", "need_open_comment", bool, True),
        schedule_day=day,
        schedule_hour=hour,
        schedule_minute=minute,
        feeds=tuple(u for u in feeds if isinstance(u, str)),
        output_dir=(root / output_dir),
        featured_per_month=featured,
    )
    if len(config.wechat_author) > 16:
        problems.add(rel, "wechat.author", config.wechat_author, "公众号作者名最多 16 个字符")
    if problems.errors:
        raise UserError(f"配置文件 {rel} 有 {len(problems.errors)} 处问题，请修改后重试。", problems.sorted())
    return config


_KIND_NAMES = {str: "文字", int: "整数", bool: "true 或 false", list: "列表"}
