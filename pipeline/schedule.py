"""The monthly schedule: APScheduler 3 with its jobs in SQLite under state/, building next month's batch.

- CronTrigger(day, hour, minute) from xnwl.toml, Asia/Shanghai.
- coalesce and a grace of days: a run missed while the machine was off happens once when it is back.
- The scheduler starts paused; the job is added only if missing (adding it with replace_existing would
  recompute its next run from now and lose a missed run); then it resumes.
- The job is referenced by its import path (JOB_FUNC) with the root as argument, as the job store pickles it.
- Each month is built at most once unless forced: state/runs.sqlite records every month's result, and a
  lock file around the job keeps two schedulers on the same state from building twice.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_SCHEDULER_STARTED,
    JobExecutionEvent,
    SchedulerEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import ConflictingIdError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from pipeline.batch import run_batch
from pipeline.batch_summary import warning_line
from pipeline.config import Config, load_config
from pipeline.content.problems import UserError
from pipeline.lock import Busy, describe_owner, exclusive
from pipeline.plan import Month
from pipeline.progress import LineReporter
from pipeline.runs import ERROR, OK, RunHistory
from pipeline.state import state_dir

TZ_NAME = "Asia/Shanghai"
TZ = ZoneInfo(TZ_NAME)
JOB_ID = "monthly-batch"
RESUME_JOB_ID = "monthly-batch-resume"
JOB_FUNC = "pipeline.schedule:run_monthly_job"
# Shorter than the shortest month, so a late catch-up never meets the next regular run.
MISFIRE_GRACE = timedelta(days=25)
BATCH_LOCK_WAIT = 30 * 60.0  # seconds the job waits for a batch someone started by hand
JOBS_FILE = "jobs.sqlite"
RUNS_FILE = "runs.sqlite"
LOG_FILE = "schedule.log"
LOGGER = "xnwl.schedule"


def now() -> datetime:
    return datetime.now(TZ)


def stamp(moment: datetime) -> str:
    return moment.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S")


def cron_trigger(config: Config) -> CronTrigger:
    return CronTrigger(day=config.schedule_day, hour=config.schedule_hour, minute=config.schedule_minute,
                       timezone=TZ)


def target_month(moment: datetime, day: int, hour: int, minute: int) -> Month:
    """The month a run at `moment` builds: the one after the month of the latest scheduled time at or before it.

    A run caught up on 2 April for the missed 20 March run still builds April, not May."""
    local = moment.astimezone(TZ)
    fire = local.replace(day=day, hour=hour, minute=minute, second=0, microsecond=0)
    month = Month(local.year, local.month)
    return (month if local >= fire else month.shift(-1)).shift(1)


def config_month(config: Config, moment: datetime) -> Month:
    return target_month(moment, config.schedule_day, config.schedule_hour, config.schedule_minute)


# -- logging ---------------------------------------------------------------------------------------

class _BeijingFormatter(logging.Formatter):
    LEVELS = {"DEBUG": "调试", "INFO": "信息", "WARNING": "警告", "ERROR": "错误", "CRITICAL": "严重"}

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, TZ).strftime("%Y-%m-%d %H:%M:%S")
        return f"{moment} [{self.LEVELS.get(record.levelname, record.levelname)}] {record.getMessage()}" + (
            "\n" + self.formatException(record.exc_info) if record.exc_info else "")


FORMATTER = _BeijingFormatter()


def job_logger(root: Path) -> logging.Logger:
    """The logger of one state folder, writing to state/schedule.log (and to whatever the CLI adds above it)."""
    log_path = state_dir(root) / LOG_FILE
    logger = logging.getLogger(f"{LOGGER}.{abs(hash(str(log_path.resolve())))}")
    if not logger.handlers:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_path, encoding="utf-8")
        handler.setFormatter(FORMATTER)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    return logger


# -- the job ---------------------------------------------------------------------------------------

def run_monthly_job(root: str, force: bool = False, use_cache: bool = True) -> str:
    """Pull feeds, then build next month's batch. Returns "built", "skipped" or "busy"; raises on failure."""
    base = Path(root)
    log = job_logger(base)
    config = load_config(base)
    month = config_month(config, now())
    holding = False
    try:
        with exclusive(state_dir(base) / "job.lock", "定时任务"):
            holding = True
            return _build_month(base, config, month, force, log, use_cache)
    except Busy as exc:
        if holding:  # the batch's own lock, not the job's: a real failure
            raise
        log.info(f"跳过 {month}：另一个调度进程正在执行定时任务（{describe_owner(exc.owner)}）。")
        return "busy"


def _build_month(root: Path, config: Config, month: Month, force: bool, log: logging.Logger,
                 use_cache: bool = True) -> str:
    history = RunHistory(state_dir(root) / RUNS_FILE)
    record = history.get(str(month))
    if record is not None and record.status == OK and not force:
        log.info(f"跳过 {month}：该月批次已于 {record.finished} 由定时任务生成（每月只生成一次；"
                 "需要重新生成时用 xnwl schedule --run-now --force）。")
        return "skipped"
    history.begin(str(month), stamp(now()))
    log.info(f"开始：拉取订阅源，然后生成 {month.label}批次。")
    try:
        pull_configured_feeds(root, config, log)
        result = run_batch(root, month, LineReporter(lambda line: log.info(f"  {line}")), force=force,
                           use_cache=use_cache, lock_wait=BATCH_LOCK_WAIT)
    except BaseException as exc:
        history.end(str(month), ERROR, stamp(now()), _reason(exc))
        raise
    if result.up_to_date:
        summary = f"{month.label}批次已是最新（输入未变化），未重新生成：{result.folder}"
    else:
        summary = (f"{month.label}批次已写入 {result.folder}（{result.files} 个文件；新增 {len(result.added)}，"
                   f"更新 {len(result.changed)}，删除 {len(result.removed)}；提醒 {len(result.warnings)} 条）")
    for warning in result.warnings:
        log.info(f"  {warning_line(warning)}")
    history.end(str(month), OK, stamp(now()), summary)
    log.info(f"完成：{summary}")
    return "built"


def pull_configured_feeds(root: Path, config: Config, log: logging.Logger) -> None:
    """Feeds first, so the editors see new candidates with the batch. A feed problem never stops the batch."""
    if not config.feeds:
        log.info("  订阅源：xnwl.toml 中没有配置，跳过。")
        return
    from pipeline.feeds.pull import pull_feeds

    try:
        reports, notes = pull_feeds(root, config.feeds, state_dir(root))
    except Exception as exc:  # noqa: BLE001 - logged; the batch still runs
        log.error(f"  订阅源拉取出错，已跳过：{_reason(exc)}")
        return
    for note in notes:
        log.warning(f"  [订阅源] {note}")
    for report in reports:
        for line in report.lines():
            (log.info if report.ok else log.warning)(f"  {line}")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UserError):
        return exc.render()
    return f"{exc.__class__.__name__}: {exc}"


# -- the scheduler ---------------------------------------------------------------------------------

class MonthlyScheduler:
    """A BlockingScheduler over state/jobs.sqlite. run() blocks until stop() (or a signal) ends it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = load_config(root)
        state = state_dir(root)
        state.mkdir(parents=True, exist_ok=True)
        self.log = job_logger(root)
        self.setup_error: BaseException | None = None
        self.stop_requested = False  # by a signal (see stop_on_signals)
        self.scheduler = BlockingScheduler(
            timezone=TZ,
            jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{(state / JOBS_FILE).resolve()}")},
            executors={"default": ThreadPoolExecutor(max_workers=1)},
        )
        self.scheduler.add_listener(self._on_started, EVENT_SCHEDULER_STARTED)
        self.scheduler.add_listener(
            self._on_job_event, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)

    def run(self) -> None:
        self.scheduler.start(paused=True)  # blocks; _on_started adds the job if missing, then resumes
        if self.setup_error is not None:
            raise self.setup_error

    def stop(self, wait: bool = True) -> None:
        try:
            if self.scheduler.running:
                self.scheduler.shutdown(wait=wait)
        except SchedulerNotRunningError:  # stopped meanwhile by another thread
            pass

    def stop_on_signals(self, signals: tuple[signal.Signals, ...]) -> None:
        """Stop, as stop(wait=False), when one of these signals comes (a batch running then still finishes).
        The handler only writes a byte to a pipe, and a thread does the stopping: a handler runs between two
        steps of the main thread, and stopping there (or raising) could wait forever on a lock the interrupted
        step holds, such as the one of the scheduler's wake-up event."""
        reader, writer = os.pipe()

        def on_signal(signum: int, frame: object) -> None:
            os.write(writer, b"\0")

        def stopper() -> None:
            os.read(reader, 1)
            self.stop_requested = True
            self.stop(wait=False)

        threading.Thread(target=stopper, name="xnwl-stop", daemon=True).start()
        for number in signals:
            signal.signal(number, on_signal)

    def wakeup(self) -> None:
        self.scheduler.wakeup()

    def job(self) -> Job | None:
        return self.scheduler.get_job(JOB_ID)

    # listeners run in the scheduler's threads; an exception in them is swallowed by APScheduler
    def _on_started(self, _event: SchedulerEvent) -> None:
        try:
            if not self.stop_requested:
                self._ensure_job()
                self._resume_interrupted()
                self.scheduler.resume()
        except BaseException as exc:  # noqa: BLE001 - re-raised by run()
            if not self.stop_requested:  # else it failed because the scheduler was stopped meanwhile
                self.setup_error = exc
        if self.stop_requested or self.setup_error is not None:  # a stop may have come before the start
            self.stop(wait=False)

    def _ensure_job(self) -> None:
        trigger = cron_trigger(self.config)
        grace = int(MISFIRE_GRACE.total_seconds())
        job = self.job()
        if job is None:
            try:
                job = self.scheduler.add_job(
                    JOB_FUNC, trigger, args=[str(self.root)], id=JOB_ID, name="每月批次", coalesce=True,
                    misfire_grace_time=grace, max_instances=1, replace_existing=False)
                self.log.info(f"已登记定时任务：每月 {self._when()}（北京时间）；下次运行 {stamp(job.next_run_time)}。")
                return
            except ConflictingIdError:  # another scheduler on the same state added it just now
                job = self.scheduler.get_job(JOB_ID)
                assert job is not None
        current = now()
        changes: dict[str, object] = {}
        if str(job.trigger) != str(trigger) or str(job.trigger.timezone) != TZ_NAME:
            # a missed run stays due; otherwise the new time decides the next run
            due = job.next_run_time is not None and job.next_run_time <= current
            changes["trigger"] = trigger
            changes["next_run_time"] = job.next_run_time if due else trigger.get_next_fire_time(None, current)
        if list(job.args) != [str(self.root)] or job.func_ref != JOB_FUNC:
            changes.update(func=JOB_FUNC, args=[str(self.root)])
        if job.misfire_grace_time != grace or not job.coalesce or job.max_instances != 1:
            changes.update(misfire_grace_time=grace, coalesce=True, max_instances=1)
        if changes:
            job = self.scheduler.modify_job(JOB_ID, **changes)
            self.log.info(f"已按 xnwl.toml 更新定时任务：每月 {self._when()}（北京时间）。")
        if job.next_run_time is not None and job.next_run_time <= current:
            missed = [job.next_run_time]
            while (following := job.trigger.get_next_fire_time(missed[-1], missed[-1])) and following <= current:
                missed.append(following)
            late = current - missed[-1] <= MISFIRE_GRACE
            self.log.info(f"关机或停机期间错过了 {len(missed)} 次运行（最近一次原定 {stamp(missed[-1])}）"
                          + ("，现在补跑一次。" if late else f"，已超过 {MISFIRE_GRACE.days} 天的宽限期，不再补跑。"))
        else:
            upcoming = stamp(job.next_run_time) if job.next_run_time else "（任务已暂停）"
            self.log.info(f"调度已启动：每月 {self._when()}（北京时间）；下次运行 {upcoming}。")

    def _resume_interrupted(self) -> None:
        month = config_month(self.config, now())
        record = RunHistory(state_dir(self.root) / RUNS_FILE).get(str(month))
        if record is None or not record.interrupted():
            return
        self.log.warning(f"{month} 的批次上次在运行中被中断（进程 {record.pid}，开始于 {record.started}），现在重新执行。")
        self.scheduler.add_job(
            JOB_FUNC, DateTrigger(run_date=now(), timezone=TZ), args=[str(self.root)], id=RESUME_JOB_ID,
            name="重新执行被中断的批次", replace_existing=True, coalesce=True,
            misfire_grace_time=int(MISFIRE_GRACE.total_seconds()))

    def _when(self) -> str:
        c = self.config
        return f"{c.schedule_day} 日 {c.schedule_hour:02d}:{c.schedule_minute:02d}"

    def _on_job_event(self, event: JobExecutionEvent) -> None:
        planned = stamp(event.scheduled_run_time)
        if event.code == EVENT_JOB_ERROR:
            exc = event.exception
            if isinstance(exc, UserError):
                self.log.error(f"定时任务失败（计划时间 {planned}），原因：\n{exc.render()}")
            else:
                self.log.error(f"定时任务出错（计划时间 {planned}）：{_reason(exc)}\n{event.traceback or ''}".rstrip())
        elif event.code == EVENT_JOB_MISSED:
            self.log.warning(
                f"错过了计划时间 {planned} 的运行：超过了 {MISFIRE_GRACE.days} 天的补跑宽限期（其间机器关机或调度进程"
                "未运行），本次不再补跑。需要时请手动运行 xnwl schedule --run-now。")
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            self.log.warning(f"计划时间 {planned} 的运行被跳过：上一次定时任务仍在进行。")
        elif event.code == EVENT_JOB_EXECUTED and event.retval == "built":
            self.log.info(f"定时任务结束（计划时间 {planned}）。")


# -- --show ----------------------------------------------------------------------------------------

def stored_job(root: Path) -> Job | None:
    """The job as the job store holds it, without starting a scheduler."""
    path = state_dir(root) / JOBS_FILE
    if not path.is_file():
        return None
    store = SQLAlchemyJobStore(url=f"sqlite:///{path.resolve()}")
    store.start(BlockingScheduler(timezone=TZ), "default")
    try:
        return store.lookup_job(JOB_ID)
    finally:
        store.shutdown()


def show_lines(root: Path, count: int = 3) -> list[str]:
    config = load_config(root)
    trigger = cron_trigger(config)
    current = now()
    job = stored_job(root)
    lines = [f"计划：每月 {config.schedule_day} 日 {config.schedule_hour:02d}:{config.schedule_minute:02d}"
             f"（北京时间）先拉取订阅源，再生成下个月的批次；错过的运行在 {MISFIRE_GRACE.days} 天内开机会补跑一次。"]
    if job is None:
        lines.append("调度进程还没有启动过（state/ 中没有任务）；下面的时间按 xnwl.toml 推算。")
        job_trigger, first = trigger, trigger.get_next_fire_time(None, current)
    else:
        job_trigger, first = job.trigger, job.next_run_time
        if str(job.trigger) != str(trigger):
            lines.append("注意：xnwl.toml 中的时间已修改，重启调度进程后生效；下面按调度进程现有的任务显示。")
    moment, missed = first, []
    while moment is not None and moment <= current:  # only while no scheduler runs: it would have run them
        missed.append(moment)
        moment = job_trigger.get_next_fire_time(moment, moment)
    if missed:
        latest = missed[-1]
        head = f"错过了 {len(missed)} 次运行（最近一次原定 {stamp(latest)[:16]}）"
        if current - latest <= MISFIRE_GRACE:
            lines.append(f"{head}：调度进程启动时补跑一次，生成 {config_month(config, latest)} 批次。")
        else:
            lines.append(f"{head}：已超过 {MISFIRE_GRACE.days} 天的宽限期，不再补跑；需要时运行 xnwl schedule --run-now。")
    lines.append(f"接下来 {count} 次运行：")
    for _ in range(count):
        if moment is None:
            lines.append("  （任务已暂停，没有下次运行）")
            break
        lines.append(f"  {stamp(moment)[:16]}  生成 {config_month(config, moment)} 批次")
        moment = job_trigger.get_next_fire_time(moment, moment)
    lines += last_result_lines(root)
    return lines


def last_result_lines(root: Path) -> list[str]:
    last = RunHistory(state_dir(root) / RUNS_FILE).last()
    if last is None:
        return ["上次结果：还没有运行过。"]
    head = (f"上次结果：{last.month} {last.status_name}（开始 {last.started}，结束 {last.finished or '—'}，"
            f"第 {last.attempts} 次执行）")
    if last.interrupted():
        head += "；该次运行被中断，调度进程启动时会重新执行"
    message = [f"  {line}" for line in last.message.splitlines()[:12]]
    return [head] + message
