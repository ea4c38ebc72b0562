"""Chinese wording of dates, times and month lists shown on the site."""

from __future__ import annotations

from datetime import date, time

from pipeline.content.model import Event

WEEKDAYS = "一二三四五六日"


def day_text(day: date, year: bool = True) -> str:
    prefix = f"{day.year}年" if year else ""
    return f"{prefix}{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"


def short_day(day: date) -> str:
    return f"{day.month}月{day.day}日"


def _clock(value: time | None) -> str:
    return f" {value:%H:%M}" if value else ""


def event_when(event: Event) -> str:
    """2027年4月3日（周六）至4月25日（周日）; times when the event has them."""
    start, end = event.start_date, event.end_date
    first = day_text(start) + _clock(event.start_time)
    if start == end:
        if event.start_time and event.end_time:
            return f"{first}—{event.end_time:%H:%M}"
        return first
    sep = " 至 " if event.start_time or event.end_time else "至"
    return f"{first}{sep}{day_text(end, year=end.year != start.year)}{_clock(event.end_time)}"


def event_short_when(event: Event) -> str:
    if event.start_date == event.end_date:
        return short_day(event.start_date)
    return f"{short_day(event.start_date)}—{short_day(event.end_date)}"


def months_text(months: tuple[int, ...]) -> str:
    """[12, 1, 2] -> 12月、1月、2月, in the editor's order (seasons may wrap the year)."""
    return "、".join(f"{m}月" for m in months)


def days_text(days: int) -> str:
    return "一日游" if days == 1 else f"{days}天"
