"""A controlled clock for the real APScheduler: `now` is the real time shifted by an offset the test sets.

APScheduler 3 reads the time with datetime.now() in its scheduler loop (due jobs, next wakeup) and in its
executor (the misfire check); the job reads it to pick the month. Those three module globals are
replaced; everything else (job store, triggers, SQLite, threads, locks) is the real thing.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import apscheduler.executors.base
import apscheduler.schedulers.base

import pipeline.schedule

MODULES = (apscheduler.schedulers.base, apscheduler.executors.base, pipeline.schedule)
_real = datetime


class FakeClock:
    def __init__(self, moment: datetime) -> None:
        self.offset = timedelta(0)
        self.set(moment)

    def set(self, moment: datetime, real_at: float | None = None) -> None:
        """From now on (or from the real epoch `real_at`), the time reads `moment` and runs on."""
        base = _real.now(timezone.utc) if real_at is None else _real.fromtimestamp(real_at, timezone.utc)
        self.offset = moment - base

    def now(self, tz: Any = None) -> datetime:
        moment = _real.now(timezone.utc) + self.offset
        return moment.astimezone(tz) if tz is not None else moment.astimezone().replace(tzinfo=None)

    def datetime_class(self) -> type:
        clock = self

        class ShiftedDatetime(_real):
            @classmethod
            def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
                return clock.now(tz)

        return ShiftedDatetime

    def install(self, setattr_: Any) -> None:
        """setattr_ is monkeypatch.setattr, or plain setattr in a child process."""
        shifted = self.datetime_class()
        for module in MODULES:
            setattr_(module, "datetime", shifted)
