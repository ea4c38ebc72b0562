"""Dates and times written the way Chinese articles write them: 4月3日（周六）, 19:30—21:00."""

from __future__ import annotations

from datetime import date

from pipeline.content.model import Event

WEEKDAYS = "一二三四五六日"


def weekday(day: date) -> str:
    return f"周{WEEKDAYS[day.weekday()]}"


def day_label(day: date, year: int | None = None, with_weekday: bool = True) -> str:
    """4月3日（周六）; the year is written only when it differs from `year`."""
    prefix = f"{day.year}年" if year is not None and day.year != year else ""
    text = f"{prefix}{day.month}月{day.day}日"
    return f"{text}（{weekday(day)}）" if with_weekday else text


def span_label(first: date, last: date, year: int | None = None) -> str:
    """4月3日至5日 / 4月30日至5月2日 (no weekdays: used in running text)."""
    if first == last:
        return day_label(first, year, with_weekday=False)
    start = day_label(first, year, with_weekday=False)
    if last.year != first.year:
        return f"{start}至{day_label(last, None if year is None else first.year, False)}"
    end = f"{last.day}日" if last.month == first.month else f"{last.month}月{last.day}日"
    return f"{start}至{end}"


def event_when(event: Event, year: int | None = None) -> str:
    start = day_label(event.start_date, year)
    end = day_label(event.end_date, year)
    s_time = event.start_time.strftime("%H:%M") if event.start_time else None
    e_time = event.end_time.strftime("%H:%M") if event.end_time else None
    if event.start_date == event.end_date:
        if s_time and e_time:
            return f"{start}{s_time}—{e_time}"
        return f"{start}{s_time}起" if s_time else start
    left = f"{start}{s_time}" if s_time else start
    right = f"{end}{e_time}" if e_time else end
    return f"{left}至{right}"
