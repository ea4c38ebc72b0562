"""Typed content model. Every later stage gets these objects, never raw files or dicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path

THEME_IDS = ("sanguo", "chadao", "kangyang", "xiangcun", "bishu", "shanghua", "quanxue", "hongse")
COUNTY_IDS = ("xianan", "chibi", "jiayu", "tongcheng", "chongyang", "tongshan")
EVENT_CATEGORIES = {
    "festival": "节庆",
    "village-gala": "村晚",
    "heritage": "非遗与遗产",
    "exhibition": "展览",
    "performance": "演出",
    "sports": "体育",
}
EVENT_STATUSES = {"confirmed": "已确定", "tentative": "日期待定"}
STOP_KINDS = {
    "scenic": "景区",
    "town": "古镇街区",
    "village": "村落",
    "museum": "展馆",
    "memorial": "纪念地",
    "heritage": "遗址非遗",
    "nature": "山林自然",
    "water": "江湖水岸",
    "cave": "溶洞",
    "hotspring": "温泉",
    "ski": "滑雪",
    "farm": "田园采摘",
    "food": "美食",
    "stay": "住宿",
}


@dataclass(frozen=True, slots=True)
class Theme:
    id: str
    name: str
    description: str
    color: str


@dataclass(frozen=True, slots=True)
class County:
    id: str
    name: str
    description: str
    color: str


@dataclass(frozen=True, slots=True)
class Image:
    src: str  # relative to content/images/
    path: Path  # resolved file on disk
    alt: str
    credit: str
    focal: tuple[float, float] = (0.5, 0.5)  # x, y in 0..1, for cover-cropping


@dataclass(frozen=True, slots=True)
class Stop:
    name: str
    county: str
    kind: str
    lnglat: tuple[float, float] | None = None  # GCJ-02
    stay: str | None = None
    note: str | None = None
    lnglat_source: str | None = None  # where the coordinates come from (web address, date, datum)

    @property
    def kind_label(self) -> str:
        return STOP_KINDS[self.kind]


@dataclass(frozen=True, slots=True)
class FromWuhan:
    rail: str | None
    drive: str | None


@dataclass(frozen=True, slots=True)
class Route:
    id: str
    title: str
    summary: str
    theme: str
    counties: tuple[str, ...]
    days: int
    best_months: tuple[int, ...]
    stops: tuple[Stop, ...]
    from_wuhan: FromWuhan
    images: tuple[Image, ...]
    verified: date | None
    body: str  # Markdown
    source: str  # path relative to the content root
    sources: tuple[str, ...] = ()  # public references (web address and date) for the facts in the route


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    title: str
    summary: str
    start_date: date
    end_date: date  # inclusive
    start_time: time | None
    end_time: time | None
    county: str
    venue: str
    category: str
    routes: tuple[str, ...]
    status: str
    source_ref: str  # the `source` field: where the date comes from
    verified: date | None
    images: tuple[Image, ...]
    body: str
    source: str

    @property
    def tentative(self) -> bool:
        return self.status == "tentative"

    def overlaps(self, first: date, last: date) -> bool:
        return self.start_date <= last and self.end_date >= first


@dataclass(frozen=True, slots=True)
class Pick:
    kind: str  # "route" or "event"
    ref: str
    reason: str


@dataclass(frozen=True, slots=True)
class Guide:
    key: str  # "04" (evergreen) or "2027-04" (one month's override)
    month: int
    year: int | None
    title: str
    picks: tuple[Pick, ...]
    body: str
    source: str


@dataclass(frozen=True, slots=True)
class InputFile:
    path: str  # relative to the content root, with forward slashes
    sha256: str


@dataclass(frozen=True)
class Content:
    root: Path
    themes: dict[str, Theme]
    counties: dict[str, County]
    routes: dict[str, Route]
    events: dict[str, Event]
    guides: dict[str, Guide]
    inputs: tuple[InputFile, ...] = field(default=())

    def guide_for(self, year: int, month: int) -> Guide | None:
        return self.guides.get(f"{year:04d}-{month:02d}") or self.guides.get(f"{month:02d}")
