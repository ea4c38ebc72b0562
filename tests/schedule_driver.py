"""Runs `xnwl schedule`'s scheduler in its own process with a shifted clock, for the scheduler tests.

usage: schedule_driver.py ROOT FAKE_TIME REAL_EPOCH
The clock reads FAKE_TIME (Beijing time) at the real moment REAL_EPOCH and runs on from there. The
process stops once the month the job targets is recorded as done (or after 40 s).
"""

from __future__ import annotations

import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from clock import FakeClock
from pipeline.runs import ERROR, OK, RunHistory
from pipeline.schedule import RUNS_FILE, TZ, MonthlyScheduler, config_month
from pipeline.state import state_dir


def main() -> int:
    root = Path(sys.argv[1])
    moment = datetime.fromisoformat(sys.argv[2]).replace(tzinfo=TZ)
    clock = FakeClock(moment)
    clock.set(moment, real_at=float(sys.argv[3]))
    clock.install(setattr)
    app = MonthlyScheduler(root)
    month = str(config_month(app.config, moment + timedelta(minutes=1)))
    thread = threading.Thread(target=app.run, daemon=True)
    thread.start()
    history = RunHistory(state_dir(root) / RUNS_FILE)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        record = history.get(month)
        if record is not None and record.status in (OK, ERROR):
            break
        time.sleep(0.1)
    time.sleep(0.5)
    app.stop(wait=True)
    thread.join(10)
    if app.setup_error is not None:
        raise app.setup_error
    return 0


if __name__ == "__main__":
    sys.exit(main())
