"""China's statutory holidays and make-up working days, from the chinesecalendar library's yearly data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


@dataclass(frozen=True, slots=True)
class DayInfo:
    day: date
    rest: bool  # a day off: weekend or statutory holiday, and not a make-up working day
    holiday: str | None  # Chinese name of the statutory holiday, if any
    makeup_workday: bool  # a Saturday or Sunday that is a working day (调休上班)


@lru_cache(maxsize=None)
def has_year(year: int) -> bool:
    import chinese_calendar

    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def data_note(year: int) -> str:
    import chinese_calendar

    version = getattr(chinese_calendar, "__version__", "?")
    return (f"{year} 年的法定节假日与调休安排尚无数据（chinesecalendar {version} 未收录），"
            "周末按普通双休列出；国务院办公厅公布放假安排后，升级 chinesecalendar 再重新生成。")


@lru_cache(maxsize=None)  # the library checks its whole table's year range on every call; a plan asks 3 times a day
def day_info(day: date) -> DayInfo:
    weekend = day.weekday() >= 5
    if not has_year(day.year):
        return DayInfo(day, weekend, None, False)
    import chinese_calendar

    on_holiday, name = chinese_calendar.get_holiday_detail(day)
    holiday_name = HOLIDAY_NAMES.get(name, name) if name else None
    workday = chinese_calendar.is_workday(day)
    return DayInfo(day, not workday, holiday_name if on_holiday and holiday_name else None, weekend and workday)
