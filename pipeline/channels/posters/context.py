"""What a poster template gets: the subject's texts, prepared in Chinese, plus brand, theme and photo.

Each text also names where it comes from (file · field), so an overflowing or undrawable text is reported
to the editor at its source.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from typing import Any

from pipeline.articles import Article, PosterSubject
from pipeline.channels.posters.linebreak import Names, keep_whole
from pipeline.config import Config
from pipeline.content.model import EVENT_CATEGORIES, Content, Event, Guide, Image, Route
from pipeline.markdown import first_paragraph
from pipeline.plan import MonthPlan

_CN_MONTHS = "一二三四五六七八九十"
_WEEKDAYS = "一二三四五六日"
_DAYS = {1: "一日游", 2: "两日游", 3: "三日游", 4: "四日游", 5: "五日游"}
# Guides have no theme: their background motif follows the season.
_SEASON_MOTIF = {12: "quanxue", 1: "quanxue", 2: "quanxue", 3: "shanghua", 4: "shanghua", 5: "xiangcun",
                 6: "bishu", 7: "bishu", 8: "bishu", 9: "shanghua", 10: "chadao", 11: "sanguo"}


# Stations named in the routes' directions (from_wuhan) are "<city>站" or "<city>北站"…: made from these.
_STATION_CITIES = ("武汉", "咸宁", "赤壁", "嘉鱼", "通城", "崇阳", "通山", "咸安", "汉口", "武昌")
_STATION_SUFFIXES = ("站", "北站", "南站", "东站", "西站")


def place_names(content: Content) -> Names:
    """The place names the line breaker keeps whole, from the content model: route stop names, event
    venues, county names (赤壁市 and 赤壁), and the railway stations of the county seats and Wuhan."""
    names: set[str] = set()
    for route in content.routes.values():
        names.update(stop.name for stop in route.stops)
    names.update(event.venue for event in content.events.values() if event.venue)
    cities = set(_STATION_CITIES)
    for county in content.counties.values():
        names.add(county.name)
        if len(county.name) >= 3 and county.name[-1] in "区市县":
            names.add(county.name[:-1])
            cities.add(county.name[:-1])
    names.update(city + suffix for city in cities for suffix in _STATION_SUFFIXES)
    return Names(names)


@dataclass
class Subject:
    """The template variables for one subject, and where each text came from."""
    values: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)
    photo: Image | None = None


def month_cn(month: int) -> str:
    if month <= 10:
        return _CN_MONTHS[month - 1] + "月"
    return "十" + _CN_MONTHS[month - 11] + "月"


def split_title(title: str) -> tuple[str, str]:
    """'大幕山杜鹃花节：漫山映山红' -> ('大幕山杜鹃花节', '漫山映山红')."""
    for mark in ("：", ":"):
        if mark in title:
            main, _, sub = title.partition(mark)
            if main.strip() and sub.strip():
                return main.strip(), sub.strip()
    return title, ""


def months_text(months: tuple[int, ...]) -> str:
    """(3, 4, 5, 10) -> '3—5月、10月'."""
    runs: list[list[int]] = []
    for m in sorted(months):
        if runs and m == runs[-1][-1] + 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    return "、".join(f"{r[0]}—{r[-1]}月" if len(r) > 2 else "、".join(f"{m}月" for m in r) for r in runs)


def _day(d: date, with_year: bool) -> str:
    return (f"{d.year}年" if with_year else "") + f"{d.month}月{d.day}日"


def date_text(event: Event, year: int) -> str:
    start, end = event.start_date, event.end_date
    with_year = start.year != year or end.year != start.year
    if start == end:
        text = f"{_day(start, with_year)}（周{_WEEKDAYS[start.weekday()]}）"
    elif start.year == end.year and start.month == end.month:
        text = f"{_day(start, with_year)}—{end.day}日"
    else:
        text = f"{_day(start, with_year)}—{_day(end, with_year and end.year != start.year)}"
    return text


def time_text(start: time | None, end: time | None) -> str:
    if start is None:
        return ""
    return f"{start:%H:%M}" + (f"—{end:%H:%M}" if end is not None and end != start else "")


def rest_text(plan: MonthPlan) -> str:
    parts = []
    for period in plan.rest_periods:
        name = period.holiday or "连休"
        span = f"{period.first.month}月{period.first.day}日—"
        span += f"{period.last.day}日" if period.last.month == period.first.month else f"{period.last.month}月{period.last.day}日"
        parts.append(f"{name}{span}放假{period.length}天")
    return "；".join(parts)


class Builder:
    """Makes the template variables of every subject of a month."""

    def __init__(self, config: Config, content: Content, plan: MonthPlan) -> None:
        self.config = config
        self.content = content
        self.plan = plan
        self.brand = {"name": config.brand_name, "short": config.brand_short_name, "primary": config.primary_color,
                      "accent": config.accent_color, "text": config.text_color, "site": config.site_title}
        month = plan.month
        self.month = {"year": month.year, "num": month.month, "label": month.label, "cn": month_cn(month.month)}
        self.names = place_names(content)

    def protect(self, values: dict[str, Any]) -> dict[str, Any]:
        """Place names in the texts that are broken into lines joined, so no line break splits one."""
        p = self.names.protect
        for key in ("title_main", "title_sub", "summary", "date"):
            if isinstance(values.get(key), str):
                values[key] = p(values[key])
        values["facts"] = [{**fact, "text": p(fact["text"])} for fact in values["facts"]]
        values["picks"] = [{**pick, "name": p(pick["name"]), "reason": p(pick["reason"])} for pick in values["picks"]]
        return values

    def _theme(self, theme_id: str | None) -> dict[str, str]:
        theme = self.content.themes.get(theme_id or "")
        if theme is None:
            return {"id": _SEASON_MOTIF[self.plan.month.month], "name": "周末好去处", "color": self.config.primary_color}
        return {"id": theme.id, "name": theme.name, "color": theme.color}

    def _base(self, kind: str, theme: dict[str, str]) -> dict[str, Any]:
        return {"kind": kind, "brand": self.brand, "month": self.month, "theme": theme, "photo": None,
                "kicker": "", "title": "", "title_main": "", "title_sub": "", "summary": "", "chips": [],
                "facts": [], "picks": [], "tentative": False, "status": ""}

    def _titled(self, values: dict[str, Any], title: str) -> None:
        values["title"] = title
        values["title_main"], values["title_sub"] = split_title(title)

    def guide(self) -> Subject:
        guide: Guide = self.plan.guide
        values = self._base("guide", self._theme(None))
        self._titled(values, guide.title)
        # "四月·杜鹃映山采春茶": the month is already in the kicker, the rest is the title.
        head, dot, rest = guide.title.partition("·")
        if dot and rest.strip() and head.strip() == month_cn(self.plan.month.month):
            values["title_main"] = rest.strip()
        values["kicker"] = f"周末好去处·{self.month['label']}"
        values["summary"] = first_paragraph(guide.body)
        picks, photo = [], None
        for pick in guide.picks:
            item: Route | Event | None = (self.content.routes.get(pick.ref) if pick.kind == "route"
                                          else self.content.events.get(pick.ref))
            if item is None:
                continue
            tag = "线路" if pick.kind == "route" else "活动"
            picks.append({"name": split_title(item.title)[0], "title": item.title, "reason": pick.reason, "tag": tag})
            if photo is None and item.images:
                photo = item.images[0]
        values["picks"] = picks
        rest = rest_text(self.plan)
        values["facts"] = [{"label": "假期", "text": rest}] if rest else []
        values["chips"] = [f"{len(self.plan.weekends)}个周末", f"{len(self.plan.events)}场活动"]
        src = guide.source
        sources = {"title": f"{src} · title", "title_main": f"{src} · title", "title_sub": f"{src} · title",
                   "summary": f"{src} · 正文第一段", "picks": f"{src} · picks", "facts": "节假日安排"}
        return Subject(values, sources, photo)

    def route(self, route: Route) -> Subject:
        values = self._base("route", self._theme(route.theme))
        self._titled(values, route.title)
        values["kicker"] = f"精品线路·{values['theme']['name']}"
        values["summary"] = route.summary
        counties = [self.content.counties[c].name for c in route.counties if c in self.content.counties]
        values["chips"] = [_DAYS.get(route.days, f"{route.days}日游"), *counties]
        values["stops"] = " → ".join(keep_whole(s.name) for s in route.stops)
        facts = [{"label": "行程", "text": values["stops"]}, {"label": "时节", "text": f"适宜 {months_text(route.best_months)}"}]
        if route.from_wuhan.rail:
            facts.append({"label": "交通", "text": route.from_wuhan.rail})
        elif route.from_wuhan.drive:
            facts.append({"label": "自驾", "text": route.from_wuhan.drive})
        values["facts"] = facts
        src = route.source
        sources = {"title": f"{src} · title", "title_main": f"{src} · title", "title_sub": f"{src} · title",
                   "summary": f"{src} · summary", "chips": f"{src} · days / counties", "facts": f"{src} · stops / from_wuhan",
                   "stops": f"{src} · stops"}
        return Subject(values, sources, route.images[0] if route.images else None)

    def event(self, event: Event) -> Subject:
        route_ids = [r for r in event.routes if r in self.content.routes]
        theme_id = self.content.routes[route_ids[0]].theme if route_ids else None
        values = self._base("event", self._theme(theme_id))
        self._titled(values, event.title)
        county = self.content.counties[event.county].name if event.county in self.content.counties else ""
        values["kicker"] = "活动·" + EVENT_CATEGORIES.get(event.category, "活动")
        values["summary"] = event.summary
        values["tentative"] = event.tentative
        values["status"] = "日期待定" if event.tentative else ""
        when = date_text(event, self.plan.month.year)
        clock = time_text(event.start_time, event.end_time)
        if event.tentative:
            when = f"日期待定：往年约{when}，以官方发布为准"
        elif clock:
            when = f"{when} {clock}"
        values["date"] = when
        values["chips"] = [c for c in ("日期待定" if event.tentative else "", county) if c]
        values["facts"] = [{"label": "时间", "text": when}, {"label": "地点", "text": f"{county}·{event.venue}"}]
        src = event.source
        sources = {"title": f"{src} · title", "title_main": f"{src} · title", "title_sub": f"{src} · title",
                   "summary": f"{src} · summary", "chips": f"{src} · status / county",
                   "facts": f"{src} · start / end / venue", "date": f"{src} · start / end"}
        photo = event.images[0] if event.images else None
        if photo is None:
            photo = next((self.content.routes[r].images[0] for r in route_ids if self.content.routes[r].images), None)
        return Subject(values, sources, photo)

    def events_overview(self) -> Subject:
        values = self._base("events", self._theme(None))
        count = len(self.plan.events)
        self._titled(values, f"{self.month['cn']}节庆活动")
        values["kicker"] = f"咸宁·{self.month['label']}"
        values["summary"] = f"本月 {count} 场活动" if count else "本月暂无已收录的活动"
        values["picks"] = [{"name": split_title(e.title)[0], "title": e.title, "reason": e.summary, "tag": "活动"}
                           for e in self.plan.events]
        photo = next((e.images[0] for e in self.plan.events if e.images), None)
        return Subject(values, {"title": "月份", "summary": "本月活动", "picks": "content/events/ · title"}, photo)

    def for_subject(self, subject: PosterSubject) -> Subject:
        if subject.kind == "route" and subject.route is not None:
            made = self.route(subject.route)
        elif subject.kind == "event" and subject.event is not None:
            made = self.event(subject.event)
        else:
            made = self.guide()
        self.protect(made.values)
        return made

    def for_article(self, article: Article) -> Subject:
        if article.kind == "route" and article.route is not None:
            made = self.route(article.route)
        elif article.kind == "events":
            made = self.events_overview()
        else:
            made = self.guide()
        self.protect(made.values)
        return made
