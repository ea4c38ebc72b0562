"""(content, month) -> MonthPlan: weekends and holidays, the month's guide, its events, featured routes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import lru_cache
from typing import Any, Iterable

from pipeline import calendar_cn
from pipeline.content.model import Content, Event, Guide, Route
from pipeline.content.problems import UserError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, slots=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        match = _MONTH.match(text.strip())
        if not match or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2100:
            raise UserError(f"月份“{text}”格式不对：应为 YYYY-MM，如 2027-04。")
        return cls(int(match[1]), int(match[2]))

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        following = date(self.year + self.month // 12, self.month % 12 + 1, 1)
        return date.fromordinal(following.toordinal() - 1)

    @property
    def index(self) -> int:
        return self.year * 12 + self.month - 1

    @classmethod
    def from_index(cls, index: int) -> Month:
        return cls(index // 12, index % 12 + 1)

    def shift(self, months: int) -> Month:
        return Month.from_index(self.index + months)

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"


@dataclass(frozen=True, slots=True)
class Weekend:
    saturday: calendar_cn.DayInfo
    sunday: calendar_cn.DayInfo

    @property
    def days(self) -> tuple[calendar_cn.DayInfo, calendar_cn.DayInfo]:
        return (self.saturday, self.sunday)


@dataclass(frozen=True, slots=True)
class RestPeriod:
    """A run of three or more consecutive days off (小长假 / 长假) touching the month."""
    first: date
    last: date
    holiday: str | None

    @property
    def length(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True, slots=True)
class MonthPlan:
    month: Month
    weekends: tuple[Weekend, ...]
    rest_periods: tuple[RestPeriod, ...]
    makeup_workdays: tuple[date, ...]
    holiday_data: bool
    guide: Guide
    events: tuple[Event, ...]
    featured: tuple[Route, ...]
    warnings: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "month": str(self.month),
            "holiday_data": self.holiday_data,
            "weekends": [
                {"saturday": _day_json(w.saturday), "sunday": _day_json(w.sunday)} for w in self.weekends
            ],
            "rest_periods": [
                {"first": p.first.isoformat(), "last": p.last.isoformat(), "days": p.length, "holiday": p.holiday}
                for p in self.rest_periods
            ],
            "makeup_workdays": [d.isoformat() for d in self.makeup_workdays],
            "guide": {"key": self.guide.key, "source": self.guide.source, "title": self.guide.title,
                      "picks": [{p.kind: p.ref, "reason": p.reason} for p in self.guide.picks]},
            "events": [
                {"id": e.id, "title": e.title, "start": e.start_date.isoformat(), "end": e.end_date.isoformat(),
                 "status": e.status}
                for e in self.events
            ],
            "featured_routes": [r.id for r in self.featured],
            "warnings": list(self.warnings),
        }


def _day_json(info: calendar_cn.DayInfo) -> dict[str, Any]:
    return {"date": info.day.isoformat(), "rest": info.rest, "holiday": info.holiday,
            "makeup_workday": info.makeup_workday}


def make_plan(content: Content, month: Month, featured_per_month: int = 2) -> MonthPlan:
    """The month's plan: a pure function of the content and the month."""
    warnings: list[str] = []
    guide = content.guide_for(month.year, month.month)
    if guide is None:
        raise UserError(f"{month.label}没有周末指南：请写 content/weekend/{month.month:02d}.md "
                        f"（或只用于这个月的 content/weekend/{month}.md）。")
    holiday_data = calendar_cn.has_year(month.year)
    if not holiday_data:
        warnings.append(calendar_cn.data_note(month.year))
    weekends = _weekends(month)
    rest_periods = _rest_periods(month)
    makeup = tuple(d for d in _days(month.first_day, month.last_day) if calendar_cn.day_info(d).makeup_workday)
    events = month_events(content, month)
    featured = tuple(content.routes[rid] for rid in featured_route_ids(content, month, featured_per_month))
    if len(featured) < featured_per_month:
        warnings.append(f"{month.label}适合的线路不足：只推荐了 {len(featured)} 条（配置要求 {featured_per_month} 条，"
                        "且不与上月重复）。可在线路的 best_months 中加入本月。")
    return MonthPlan(month, weekends, rest_periods, makeup, holiday_data, guide, events, featured, tuple(warnings))


def event_order(event: Event) -> tuple[date, time, str]:
    """The order events are listed in everywhere: start date, start time (none: midnight), id."""
    return (event.start_date, event.start_time or time.min, event.id)


def events_by_month(events: Iterable[Event]) -> dict[Month, tuple[Event, ...]]:
    """The one rule for which events are a month's events, used by every channel (the WeChat guide and
    calendar, their digests, the posters and the site's month pages through MonthPlan.events or this):
    an event belongs to every month its dates touch, from its start to its end date inclusive (exactly the
    months m with event.overlaps(m.first_day, m.last_day)), listed in event_order. Tentative events count."""
    groups: dict[Month, list[Event]] = {}
    for event in sorted(events, key=event_order):
        month = Month(event.start_date.year, event.start_date.month)
        while month.first_day <= event.end_date:
            groups.setdefault(month, []).append(event)
            month = month.shift(1)
    return {month: tuple(found) for month, found in groups.items()}


def month_events(content: Content, month: Month) -> tuple[Event, ...]:
    """The month's events (see events_by_month): MonthPlan.events. Only the events touching the month are
    grouped (the same rule, applied to one month), so a plan costs one pass over the events."""
    touching = (e for e in content.events.values() if e.overlaps(month.first_day, month.last_day))
    return events_by_month(touching).get(month, ())


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _weekends(month: Month) -> tuple[Weekend, ...]:
    """Saturday–Sunday pairs with at least one day in the month."""
    first = month.first_day - timedelta(days=1)  # a Sunday on the 1st belongs to the Saturday before it
    pairs = []
    for day in _days(first, month.last_day):
        sunday = day + timedelta(days=1)
        if day.weekday() == 5 and (month.first_day <= day <= month.last_day or month.first_day <= sunday <= month.last_day):
            pairs.append(Weekend(calendar_cn.day_info(day), calendar_cn.day_info(sunday)))
    return tuple(pairs)


def _rest_periods(month: Month) -> tuple[RestPeriod, ...]:
    span = _days(month.first_day - timedelta(days=10), month.last_day + timedelta(days=10))
    infos = [calendar_cn.day_info(d) for d in span]
    periods: list[RestPeriod] = []
    run: list[calendar_cn.DayInfo] = []
    for info in infos + [None]:
        if info is not None and info.rest:
            run.append(info)
            continue
        if len(run) >= 3 and run[0].day <= month.last_day and run[-1].day >= month.first_day:
            names = [i.holiday for i in run if i.holiday]
            periods.append(RestPeriod(run[0].day, run[-1].day, names[0] if names else None))
        run = []
    return tuple(periods)


# Rotation starts here; months before it are planned without the "not two months running" rule.
_ROTATION_EPOCH = Month(2024, 1)


def featured_route_ids(content: Content, month: Month, count: int) -> tuple[str, ...]:
    """Routes in season, rotating so that no route is featured two months running.

    Walks month by month from a fixed epoch so the result depends only on content and month.
    """
    return _rotate(_month_pools(content), month.index, count)


def _month_pools(content: Content) -> tuple[tuple[str, ...], ...]:
    """For months 1–12, the ids of the routes in season (best_months), in content order: one pass over the routes."""
    pools: dict[int, list[str]] = {m: [] for m in range(1, 13)}
    for route in content.routes.values():
        for m in set(route.best_months):
            if m in pools:
                pools[m].append(route.id)
    return tuple(tuple(pools[m]) for m in range(1, 13))


@lru_cache(maxsize=64)
def _rotate(pools: tuple[tuple[str, ...], ...], target: int, count: int) -> tuple[str, ...]:
    previous: tuple[str, ...] = ()
    chosen: tuple[str, ...] = ()
    for index in range(min(_ROTATION_EPOCH.index, target), target + 1):
        pool = pools[index % 12]
        if not pool:
            chosen = ()
        else:
            offset = (index * count) % len(pool)
            # the first `count` of pool[offset:] + pool[:offset] not chosen last month (without copying the pool)
            # (count is 1–10: the configuration is checked)
            picked: list[str] = []
            for n in range(len(pool)):
                rid = pool[(offset + n) % len(pool)]
                if rid not in previous:
                    picked.append(rid)
                    if len(picked) == count:
                        break
            chosen = tuple(picked)
        previous = chosen
    return chosen
