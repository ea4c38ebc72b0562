"""One month's batch, top to bottom: validate -> plan -> posters -> WeChat -> site -> review -> manifest -> switch.

Everything is built in staging folders and switched into output/ only when all of it succeeded. Only one
batch runs at a time on an output folder (a lock file in it). Whether the month's existing batch may stand as
it is, is decided here and only here, by the one cache key (pipeline.cache): reused whole, or rebuilt whole.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pipeline import __version__, cache, interrupts, output
from pipeline.config import CONFIG_NAME, Config, load_config
from pipeline.content.model import Content
from pipeline.content.problems import Problem, UserError
from pipeline.lock import exclusive
from pipeline.outputs_layout import planner_file
from pipeline.plan import Month, MonthPlan
from pipeline.progress import LineReporter, Reporter

STAGE_VALIDATE = "校验内容"
STAGE_PLAN = "生成月度计划"
STAGE_POSTERS = "海报"
STAGE_WECHAT = "公众号文章"
STAGE_SITE = "网站"
STAGE_REVIEW = "审核"
STAGE_MANIFEST = "写入清单"
STAGE_SWAP = "替换输出"
CHANNEL_STAGES = (STAGE_POSTERS, STAGE_WECHAT, STAGE_SITE, STAGE_REVIEW)
LOCK_NAME = output.LOCK_NAME
SITE = "site"


@dataclass
class BatchResult:
    month: Month
    folder: Path
    files: int
    warnings: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    up_to_date: bool = False  # nothing was done: the month's batch stands as it is (pipeline.cache)
    added: list[str] = field(default_factory=list)  # paths inside the month folder, against the last batch
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    reason: str | None = None  # why the month was built again (pipeline.cache.why_not_reusable), None when forced


def validated_content(root: Path) -> tuple[Content, list[Problem]]:
    """Load and validate; raise UserError listing every problem if anything is wrong."""
    from pipeline.content.load import load_content

    content, problems = load_content(root)
    if problems.errors:
        raise UserError(f"内容校验发现 {len(problems.errors)} 处错误，请逐条修改后重试（output/ 未改动）。",
                        problems.sorted())
    return content, problems.warnings


def combined_error(failures: list[UserError]) -> UserError:
    if len(failures) == 1:
        return failures[0]
    problems = [p for f in failures for p in f.problems]
    return UserError("\n".join(f.message for f in failures), problems)


def hold_points() -> list[str]:
    """Every stage boundary a test can park the batch at (XNWL_TEST_HOLD_AT) to SIGKILL it there."""
    channels = [f"channel-{index}" for index, _ in enumerate(CHANNEL_STAGES, start=1)]
    return ["validate", "plan", *channels, "manifest", "swap", "after-swap"]


_HOLDING_AFTER_FORK = False


def _hold_after_first_fork() -> None:
    # XNWL_TEST_HOLD_AT=fork parks the batch inside the hook Python runs in the parent right after its first
    # fork, where an exception (a KeyboardInterrupt) is only printed, never raised: see pipeline.interrupts.
    global _HOLDING_AFTER_FORK
    if not _HOLDING_AFTER_FORK:
        _HOLDING_AFTER_FORK = True
        _hold_for_tests("fork")


def _hold_for_tests(point: str) -> None:
    # Fault injection for the crash-safety tests: announce on stderr, then park so the test can SIGKILL here.
    if os.environ.get("XNWL_TEST_HOLD_AT") == point:
        print(f"XNWL_TEST_HELD {point}", file=sys.stderr, flush=True)
        time.sleep(60)


def stage_names() -> list[str]:
    return [STAGE_VALIDATE, STAGE_PLAN, *CHANNEL_STAGES, STAGE_MANIFEST, STAGE_SWAP]


def run_batch(root: Path, month: Month, progress: Reporter | Callable[[str], None] | None = None, *,
              force: bool = False, use_cache: bool = True, lock_wait: float = 0.0) -> BatchResult:
    """Build output/<month>/ and output/site/. Raises UserError (nothing changed) for bad input, a failing
    channel or a busy lock. `force` or `use_cache=False`: build even when the existing batch could stand."""
    reporter = _as_reporter(progress)
    if os.environ.get("XNWL_TEST_HOLD_AT") == "fork" and not _HOLDING_AFTER_FORK:
        os.register_at_fork(after_in_parent=_hold_after_first_fork)
    config = load_config(root)
    out_root = config.output_dir
    if os.path.lexists(out_root) and not out_root.is_dir():
        raise UserError(f"输出目录 {out_root} 是一个文件，不是文件夹。请把这个文件移走或改名"
                        f"（或在 {CONFIG_NAME} 的 [output] dir 中改用别的目录）后重试；xnwl 不会删除不是它写的文件。")
    out_root.mkdir(parents=True, exist_ok=True)
    with exclusive(out_root / LOCK_NAME, f"输出目录（{out_root}）", wait=lock_wait) as held:
        repairs = ([held.note] if held.note else []) + output.recover(out_root)
        _occupied_places(out_root, month)
        return _locked_batch(config, month, reporter, use_cache and not force, repairs)


def _as_reporter(progress: Reporter | Callable[[str], None] | None) -> Reporter:
    if progress is None:
        return Reporter()
    if isinstance(progress, Reporter):
        return progress
    return LineReporter(progress)


def _occupied_places(out_root: Path, month: Month) -> None:
    """The folders a batch replaces must be folders: a plain file in the way is the user's, never deleted."""
    blocked = [out_root / name for name in (str(month), SITE, "plan")
               if os.path.lexists(out_root / name) and not (out_root / name).is_dir()]
    if blocked:
        raise UserError("\n".join(f"[错误] {path} 是一个文件，但这里应是批处理生成的文件夹。" for path in blocked)
                        + "\n请把上面的文件移走或改名后重试（xnwl 不会删除不是它写的文件）；output/ 中其他内容未改动。")


def _planner_file(config: Config, month: Month) -> tuple[str, Path]:
    name = planner_file(month.year)
    return name, config.output_dir / name


def _locked_batch(config: Config, month: Month, reporter: Reporter, use_cache: bool, repairs: list[str]) -> BatchResult:
    from pipeline.archive import other_batches

    out_root = config.output_dir
    stages = stage_names()
    reporter.begin(stages)
    folder = out_root / str(month)
    planner_name, planner_file = _planner_file(config, month)
    key = cache.batch_key(config, other_batches(out_root, month))
    previous = read_manifest(folder)
    reason: str | None = None
    if use_cache and _unfinished_marker(out_root, month).exists():
        reason = "上一次批处理在替换输出时被中断"
    elif use_cache:
        reason = cache.why_not_reusable(previous, key, folder, out_root / SITE, {planner_name: planner_file})
        if reason is None:
            assert previous is not None
            for stage in stages:
                reporter.skip(stage, "输入未变化")
            files = sum(1 for p in folder.rglob("*") if p.is_file())
            return BatchResult(month, folder, files, cache.recorded_warnings(previous), repairs,
                               up_to_date=True, unchanged=files)

    reporter.start(STAGE_VALIDATE)
    content, content_warnings = validated_content(config.root)
    reporter.finish(STAGE_VALIDATE)
    _hold_for_tests("validate")
    interrupts.check()

    reporter.start(STAGE_PLAN)
    from pipeline.plan import make_plan

    plan = make_plan(content, month, config.featured_per_month)
    staging = output.new_staging(out_root, str(month))
    site_staging = output.new_staging(out_root, SITE)
    try:
        output.write_bytes(staging / "plan.json", output.json_bytes(plan.to_json()))
        reporter.finish(STAGE_PLAN)
        _hold_for_tests("plan")
        interrupts.check()
        rendered = _render_channels(config, content, plan, staging, site_staging, reporter)
        notes = [w.render() for w in content_warnings] + list(plan.warnings) + rendered.warnings

        reporter.start(STAGE_MANIFEST)
        record = cache.record(key, cache.distributions_in_use(), cache.digest_of(cache.tree_digests(site_staging)),
                              {planner_name: cache.sha256_bytes(rendered.planner)}, notes)
        manifest = write_manifest(plan, staging, key, record)
        reporter.finish(STAGE_MANIFEST)
        _hold_for_tests("manifest")

        reporter.start(STAGE_SWAP)
        unfinished = _unfinished_marker(out_root, month)
        interrupts.check()  # the last moment a Ctrl-C leaves the previous output as it was
        with interrupts.deferred():  # the switch is never cut in two by one; it is raised after it
            unfinished.touch()
            # The month and the site together: a reader sees the whole previous batch or the whole new one.
            output.switch(out_root, [output.Move(staging, str(month)), output.Move(site_staging, SITE)],
                          midway=lambda: _hold_for_tests("swap"))
            _hold_for_tests("after-swap")
            output.replace_file(planner_file, rendered.planner)
            unfinished.unlink()
        reporter.finish(STAGE_SWAP)
    except BaseException:
        if not output.switch_left(out_root):
            output.discard(staging)
            output.discard(site_staging)
        raise
    files = sum(1 for p in folder.rglob("*") if p.is_file())
    result = BatchResult(month, folder, files, notes, repairs, reason=reason)
    _compare(result, previous, manifest)
    return result


@dataclass
class _Rendered:
    planner: bytes
    warnings: list[str]


def _render_channels(config: Config, content: Content, plan: MonthPlan, staging: Path, site_staging: Path,
                     reporter: Reporter) -> _Rendered:
    """Posters, then the WeChat articles (each opens with its cover), then the site (it shows the covers and
    whether each month's guide is approved), then the review of what they made. A failing channel does not stop
    the others: every channel's problems are reported in the same run."""
    from pipeline import archive
    from pipeline.articles import is_large
    from pipeline.channels import ChannelContext, posters, site, wechat
    from pipeline.review.stage import render_review

    ctx = ChannelContext(config, content, plan, staging, progress=reporter.advance)
    failures: list[UserError] = []
    if is_large(plan):  # a month with very many events: the articles' limits first, in memory
        try:
            wechat.check_limits(ctx)
        except UserError as failure:
            for stage in CHANNEL_STAGES:
                reporter.skip(stage, "前面的检查未通过，未运行")
            raise combined_error([failure]) from None

    def site_render() -> None:
        inputs = archive.site_inputs(config, content, plan.month, staging)
        ctx.warnings.extend(site.render(config, content, plan.month, inputs, site_staging, progress=reporter.advance))

    planner = b""

    def review_render() -> None:
        nonlocal planner
        planner = render_review(config, content, plan, staging, site_staging)

    steps: list[tuple[str, Callable[[], None]]] = [
        (STAGE_POSTERS, lambda: posters.render(ctx)),
        (STAGE_WECHAT, lambda: wechat.render(ctx)),
        (STAGE_SITE, site_render),
        (STAGE_REVIEW, review_render),
    ]
    for index, (stage, step) in enumerate(steps, start=1):
        if stage == STAGE_REVIEW and failures:
            reporter.skip(stage, "前面的渠道出错，未运行")
            continue
        reporter.start(stage)
        try:
            step()
        except UserError as failure:
            failures.append(failure)
            reporter.skip(stage, "出错")
            continue
        reporter.finish(stage)
        _hold_for_tests(f"channel-{index}")
        interrupts.check()
    if failures:
        raise combined_error(failures)
    return _Rendered(planner, ctx.warnings)


def _unfinished_marker(out_root: Path, month: Month) -> Path:
    # Present from just before the switch until the planner is written: a batch killed in between is not
    # "up to date" even though its month folder is already in place.
    return out_root / f".unfinished-{month}"


def read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / cache.MANIFEST).read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _compare(result: BatchResult, previous: dict[str, Any] | None, manifest: dict[str, Any]) -> None:
    old: dict[str, str] = (previous or {}).get("outputs") or {}
    new: dict[str, str] = manifest["outputs"]
    result.added = sorted(set(new) - set(old))
    result.removed = sorted(set(old) - set(new))
    result.changed = sorted(rel for rel in set(new) & set(old) if new[rel] != old[rel])
    result.unchanged = sum(1 for rel in set(new) & set(old) if new[rel] == old[rel])


def write_manifest(plan: MonthPlan, staging: Path, key: cache.Key, record: dict[str, Any]) -> dict[str, Any]:
    manifest = {
        "tool": "xnwl",
        "version": __version__,
        "month": str(plan.month),
        "inputs": key.inputs,
        "outputs": {rel: digest for rel, digest in cache.tree_digests(staging).items() if rel != cache.MANIFEST},
        "cache": record,
    }
    output.write_bytes(staging / cache.MANIFEST, output.json_bytes(manifest))
    return manifest
