"""The monthly scheduler, driven by a controlled clock: real APScheduler, real SQLAlchemy job store on a
real SQLite file under state/, real locks; only the time is shifted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Callable, Iterator

import pytest
from apscheduler.schedulers.base import STATE_RUNNING

from clock import FakeClock
from conftest import REPO, xnwl
from feed_server import FeedServer
from pipeline.lock import exclusive
from pipeline.runs import ERROR, OK, RUNNING, RunHistory
from pipeline.schedule import TZ, MonthlyScheduler, run_monthly_job, show_lines, stored_job

DRIVER = Path(__file__).parent / "schedule_driver.py"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def set_schedule(root: Path, day: int, hour: int, minute: int, feeds: list[str] | None = None) -> None:
    path = root / "xnwl.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("day = 20\nhour = 9\nminute = 0", f"day = {day}\nhour = {hour}\nminute = {minute}")
    if feeds is not None:
        text = text.replace("urls = []", "urls = [" + ", ".join(f'"{u}"' for u in feeds) + "]")
    path.write_text(text, encoding="utf-8")


def wait_for(condition: Callable[[], object], timeout: float = 120.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or condition}")


def history(root: Path) -> RunHistory:
    return RunHistory(root / "state" / "runs.sqlite")


def log_text(root: Path) -> str:
    path = root / "state" / "schedule.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock(at("2027-03-01 00:00"))
    fake.install(monkeypatch.setattr)
    return fake


class Running:
    """A MonthlyScheduler running in a thread, as `xnwl schedule` runs it in its main thread."""

    def __init__(self, root: Path) -> None:
        self.app = MonthlyScheduler(root)
        self.thread = threading.Thread(target=self.app.run, daemon=True)
        self.thread.start()
        wait_for(lambda: self.app.scheduler.state == STATE_RUNNING or not self.thread.is_alive(), 10, "scheduler start")
        assert self.thread.is_alive(), self.app.setup_error

    def advance(self, clock: FakeClock, moment: datetime) -> None:
        clock.set(moment)
        self.app.wakeup()

    def stop(self) -> None:
        self.app.stop(wait=True)
        self.thread.join(10)


@pytest.fixture
def running() -> Iterator[Callable[[Path], Running]]:
    started: list[Running] = []

    def start(root: Path) -> Running:
        started.append(Running(root))
        return started[-1]

    yield start
    for item in started:
        if item.thread.is_alive():
            item.stop()


def test_job_fires_on_the_configured_day_after_pulling_feeds(tree: Path, clock: FakeClock, running) -> None:
    with FeedServer() as server:
        set_schedule(tree, 12, 7, 30, feeds=[server.url("/rss2.xml")])
        clock.set(at("2027-03-11 12:00"))
        scheduler = running(tree)
        job = scheduler.app.job()
        assert job is not None and job.next_run_time == at("2027-03-12 07:30")
        assert job.func_ref == "pipeline.schedule:run_monthly_job" and job.args == (str(tree),)

        scheduler.advance(clock, at("2027-03-12 07:29:50"))
        time.sleep(0.5)
        assert history(tree).all() == [] and not (tree / "output/2027-04").exists()

        scheduler.advance(clock, at("2027-03-12 07:30:01"))
        wait_for(lambda: (r := history(tree).get("2027-04")) is not None and r.status == OK, what="April batch")
    assert (tree / "output/2027-04/manifest.json").is_file()
    assert len(list((tree / "content/inbox").glob("*.md"))) == 3, "feeds are pulled by the scheduled job"
    log = log_text(tree)
    assert log.index("订阅源") < log.index("生成月度计划"), "feeds come before the batch"
    assert scheduler.app.job().next_run_time == at("2027-04-12 07:30")


def test_downtime_across_the_scheduled_time_gives_one_catch_up_at_start(tree: Path, clock: FakeClock, running) -> None:
    clock.set(at("2027-03-10 10:00"))
    running(tree).stop()  # the job is in the store, next run 2027-03-20 09:00
    assert stored_job(tree).next_run_time == at("2027-03-20 09:00")

    # off across 20 March and 20 April; back on 25 April, within the grace of the latest missed run
    clock.set(at("2027-04-25 10:00"))
    scheduler = running(tree)
    wait_for(lambda: (r := history(tree).get("2027-05")) is not None and r.status == OK, what="catch-up run")
    time.sleep(0.5)
    runs = history(tree).all()
    assert [(r.month, r.status, r.attempts) for r in runs] == [("2027-05", OK, 1)]
    log = log_text(tree)
    assert log.count("开始：拉取订阅源") == 1 and "跳过 2027" not in log, log
    assert "错过了 2 次运行（最近一次原定 2027-04-20 09:00:00），现在补跑一次" in log
    assert not (tree / "output/2027-04").exists()
    assert scheduler.app.job().next_run_time == at("2027-05-20 09:00")
    scheduler.stop()

    clock.set(at("2027-04-25 10:05"))  # a restart does not run it again
    running(tree)
    time.sleep(0.5)
    assert [(r.month, r.attempts) for r in history(tree).all()] == [("2027-05", 1)]


def test_show_tells_of_a_pending_catch_up(tree: Path, clock: FakeClock, running) -> None:
    clock.set(at("2027-03-10 10:00"))
    running(tree).stop()
    clock.set(at("2027-04-25 10:00"))
    lines = show_lines(tree)
    assert "错过了 2 次运行（最近一次原定 2027-04-20 09:00）：调度进程启动时补跑一次，生成 2027-05 批次。" in lines
    upcoming = lines[lines.index("接下来 3 次运行：") + 1:][:3]
    assert [line.split("  ")[1] for line in upcoming] == ["2027-05-20 09:00", "2027-06-20 09:00", "2027-07-20 09:00"]


def test_a_miss_beyond_the_grace_is_logged_with_the_reason(tree: Path, clock: FakeClock, running) -> None:
    clock.set(at("2027-03-10 10:00"))
    running(tree).stop()
    clock.set(at("2027-04-17 10:00"))  # 28 days after the 20 March run: beyond the 25-day grace
    scheduler = running(tree)
    wait_for(lambda: "错过了计划时间 2027-03-20 09:00:00" in log_text(tree), what="miss logged")
    assert "宽限期" in log_text(tree)
    assert history(tree).all() == []
    assert scheduler.app.job().next_run_time == at("2027-04-20 09:00")


def test_a_failing_job_is_logged_and_the_next_month_still_runs(tree: Path, clock: FakeClock, running) -> None:
    clock.set(at("2027-03-19 12:00"))
    scheduler = running(tree)
    route = tree / "routes/chibi-sanguo.md"
    good = route.read_text(encoding="utf-8")
    route.write_text(good.replace("theme: sanguo", "theme: history"), encoding="utf-8")

    scheduler.advance(clock, at("2027-03-20 09:00:02"))
    wait_for(lambda: (r := history(tree).get("2027-04")) is not None and r.status == ERROR, what="failed run")
    wait_for(lambda: "定时任务失败" in log_text(tree), what="failure logged")
    log = log_text(tree)
    assert "routes/chibi-sanguo.md" in log and "theme" in log and "history" in log
    assert "Traceback" not in log
    assert not (tree / "output/2027-04").exists()

    route.write_text(good, encoding="utf-8")
    scheduler.advance(clock, at("2027-04-20 09:00:02"))
    wait_for(lambda: (r := history(tree).get("2027-05")) is not None and r.status == OK, what="next month")
    assert (tree / "output/2027-05/manifest.json").is_file()
    show = xnwl("schedule", "--show", root=tree)
    assert show.code == 0 and "上次结果：2027-05 成功" in show.out


def test_the_job_builds_each_month_once_and_yields_to_a_running_one(tree: Path, clock: FakeClock) -> None:
    clock.set(at("2027-03-21 08:00"))
    assert run_monthly_job(str(tree)) == "built"
    assert run_monthly_job(str(tree)) == "skipped"
    assert "每月只生成一次" in log_text(tree)
    with exclusive(tree / "state" / "job.lock", "定时任务"):
        assert run_monthly_job(str(tree), force=True) == "busy"
    assert f"进程 {os.getpid()}" in log_text(tree)
    assert run_monthly_job(str(tree), force=True) == "built"
    assert history(tree).get("2027-04").attempts == 2


def _driver(root: Path, moment: str, real_at: float, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{Path(__file__).parent}", **(extra_env or {})}
    return subprocess.Popen([sys.executable, str(DRIVER), str(root), moment, repr(real_at)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def registered(tree: Path, clock: FakeClock, running) -> None:
    """State with the job in the store, next run 2027-03-20 09:00 (so a late-starting process still finds it due)."""
    clock.set(at("2027-03-10 10:00"))
    running(tree).stop()


def test_two_scheduler_processes_on_the_same_state_build_once(tree: Path, clock: FakeClock, running) -> None:
    registered(tree, clock, running)
    # both processes reach 09:00 at the same real instant
    go = time.time() + 4.0
    drivers = [_driver(tree, "2027-03-20T08:59:58", go - 2.0) for _ in range(2)]
    outputs = [d.communicate(timeout=90) for d in drivers]
    for driver, (out, err) in zip(drivers, outputs):
        assert driver.returncode == 0, err
    runs = history(tree).all()
    assert [(r.month, r.status, r.attempts) for r in runs] == [("2027-04", OK, 1)], outputs
    log = log_text(tree)
    assert log.count("开始：拉取订阅源") == 1, log
    assert (tree / "output/2027-04/manifest.json").is_file()


def test_a_scheduler_killed_mid_batch_finishes_the_month_when_restarted(tree: Path, clock: FakeClock, running) -> None:
    registered(tree, clock, running)
    driver = _driver(tree, "2027-03-20T09:00:01", time.time(), {"XNWL_TEST_HOLD_AT": "plan"})
    try:
        line = ""
        while "XNWL_TEST_HELD" not in line:
            line = driver.stderr.readline()
            assert line, "the driver ended before the batch reached the plan stage"
    finally:
        driver.send_signal(signal.SIGKILL)
        driver.wait(10)
    record = history(tree).get("2027-04")
    assert record is not None and record.status == RUNNING and record.interrupted()
    assert not (tree / "output/2027-04").exists()

    clock.set(at("2027-03-20 09:05"))
    running(tree)
    wait_for(lambda: history(tree).get("2027-04").status == OK, what="resumed batch")
    assert history(tree).get("2027-04").attempts == 2
    assert (tree / "output/2027-04/manifest.json").is_file()
    assert not (tree / "output/.staging").exists()
    assert "被中断" in log_text(tree)


def test_show_lists_the_next_three_runs(tree: Path) -> None:
    run = xnwl("schedule", "--show", root=tree)
    assert run.code == 0, run.text
    assert "还没有启动过" in run.out and "上次结果：还没有运行过" in run.out
    times = [line for line in run.out.splitlines() if line.startswith("  20")]
    assert len(times) == 3 and all(" 09:00  生成 " in line for line in times)
    days = [line.split()[0] for line in times]
    assert all(day.endswith("-20") for day in days) and days == sorted(days)


def test_run_now_builds_next_month_once(tree: Path) -> None:
    # the month depends on today's date: give the fixture a guide for every month
    for number in range(1, 13):
        guide = tree / f"content/weekend/{number:02d}.md"
        if not guide.exists():
            guide.write_bytes((tree / "content/weekend/05.md").read_bytes())
    first = xnwl("schedule", "--run-now", root=tree)
    assert first.code == 0, first.text
    assert "定时任务已执行完毕" in first.out and "开始：拉取订阅源" in first.err
    second = xnwl("schedule", "--run-now", root=tree)
    assert second.code == 0 and "未重复生成" in second.out
    assert xnwl("schedule", "--force", root=tree).code == 1


def test_the_systemd_example_runs_a_valid_command() -> None:
    import configparser
    import shlex

    from pipeline.cli import build_parser

    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment]
    unit.read(REPO / "docs" / "xnwl-schedule.service", encoding="utf-8")
    command = shlex.split(unit["Service"]["ExecStart"])
    assert command[0].endswith("/xnwl")
    args = build_parser().parse_args(command[1:])
    assert args.command == "schedule" and not args.show and not args.run_now
    assert unit["Service"]["Restart"] == "on-failure" and unit["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_the_command_runs_until_sigterm(tree: Path, stop: signal.Signals) -> None:
    # PYTHONFAULTHANDLER: should it ever hang, SIGABRT makes it print every thread's stack (shown below).
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONFAULTHANDLER": "1"}
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "--root", str(tree), "schedule"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        while not any("已登记定时任务" in line for line in lines):
            line = process.stderr.readline()
            assert line, "".join(lines)
            lines.append(line)
    finally:
        process.send_signal(stop)
        # A catch-up batch may be running when the signal comes; the scheduler lets it finish (slow on a busy machine).
        try:
            _, rest = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGABRT)
            _, stacks = process.communicate(timeout=30)
            pytest.fail(f"xnwl schedule did not stop within 120 s of {stop.name}; its threads:\n{stacks[-6000:]}")
    assert process.returncode == 0, rest
    assert "收到停止信号" in rest and "Traceback" not in rest
    assert stored_job(tree) is not None
    assert "已登记定时任务" in log_text(tree)
    show = xnwl("schedule", "--show", root=tree)
    assert "还没有启动过" not in show.out and "上次结果：还没有运行过" in show.out


def test_a_stop_asked_for_before_the_start_ends_the_run_at_once(tree: Path) -> None:
    """A signal may come while the scheduler is still starting: run() then returns without an error, and the
    job store is left as it was (nothing registered)."""
    app = MonthlyScheduler(tree)
    app.stop_requested = True
    thread = threading.Thread(target=app.run, daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive() and app.setup_error is None and not app.scheduler.running
    assert stored_job(tree) is None

