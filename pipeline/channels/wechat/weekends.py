"""The 周末好去处 guide's plan: which pick goes to which weekend.

Every event of the month (MonthPlan.events) is shown, picked or not: events go to a weekend on their own
dates (a long festival to the least busy of its weekends); routes are spread over the weekends that have days
off, a multi-day route preferring weekends with enough days off in a row (a long weekend). Everything is
ordered and tie-broken deterministically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pipeline.content.model import Content, Event, Route
from pipeline.plan import MonthPlan, RestPeriod, Weekend


@dataclass
class WeekendSlot:
    number: int  # 1-based, for "第1个周末"
    weekend: Weekend
    rest_days: tuple[date, ...]
    period: RestPeriod | None  # the long weekend / holiday run this weekend belongs to
    routes: list[tuple[Route, str]] = field(default_factory=list)  # (route, reason)
    events: list[tuple[Event, str]] = field(default_factory=list)

    @property
    def load(self) -> int:
        return len(self.routes) + len(self.events)

    def free_run(self) -> int:
        """Days off in a row available to a trip starting on this weekend."""
        if self.period is not None:
            return self.period.length
        days = self.rest_days
        return 2 if len(days) == 2 else len(days)


@dataclass
class GuidePlan:
    slots: list[WeekendSlot]
    weekday_events: list[tuple[Event, str]]  # events with no day off inside their dates
    skipped_events: list[Event]  # event picks that do not take place this month (evergreen guides)

    @property
    def events(self) -> list[Event]:
        """Every event the guide shows: all of the month's events, each once."""
        return [e for s in self.slots for e, _ in s.events] + [e for e, _ in self.weekday_events]


def plan_guide(plan: MonthPlan, content: Content) -> GuidePlan:
    slots = [_slot(i + 1, w, plan.rest_periods) for i, w in enumerate(plan.weekends)]
    open_slots = [s for s in slots if s.rest_days]
    weekday_events: list[tuple[Event, str]] = []
    skipped: list[Event] = []

    # Every event of the month (plan.events, the one list every channel shows), picked or not: a pick brings
    # its reason; picks first, so that they get the quieter weekends.
    this_month = {e.id for e in plan.events}
    reasons: dict[str, str] = {}
    for pick in plan.guide.picks:
        if pick.kind != "event":
            continue
        if pick.ref not in this_month:
            skipped.append(content.events[pick.ref])
            continue
        reasons.setdefault(pick.ref, pick.reason)
    events = [content.events[ref] for ref in reasons] + [e for e in plan.events if e.id not in reasons]
    for event in events:
        reason = reasons.get(event.id, "")
        fitting = [s for s in open_slots if any(event.start_date <= d <= event.end_date for d in s.rest_days)]
        if not fitting:
            weekday_events.append((event, reason))
            continue
        min(fitting, key=lambda s: (s.load, s.number)).events.append((event, reason))

    # Longer trips first, so that they get the long weekends before day trips fill them.
    route_picks = [(content.routes[p.ref], p.reason) for p in plan.guide.picks if p.kind == "route"]
    for route, reason in sorted(route_picks, key=lambda item: -item[0].days):
        if not open_slots:
            break

        def preference(slot: WeekendSlot, route: Route = route) -> tuple[int, int, int, int]:
            fits = slot.free_run() >= route.days
            long_trip = route.days >= 2 and slot.period is not None
            return (0 if fits else 1, slot.load, 0 if long_trip else 1, slot.number)

        min(open_slots, key=preference).routes.append((route, reason))
    return GuidePlan(slots, weekday_events, skipped)


def _slot(number: int, weekend: Weekend, periods: tuple[RestPeriod, ...]) -> WeekendSlot:
    rest = tuple(info.day for info in weekend.days if info.rest)
    period = next((p for p in periods if any(p.first <= d <= p.last for d in rest)), None)
    return WeekendSlot(number, weekend, rest, period)
