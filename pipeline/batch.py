"""One month's batch: validate -> plan -> channels -> manifest, built in staging and swapped in at the end.

Only one batch runs at a time on an output folder (a lock file in it). A batch whose inputs, tool
version and channels match the month's existing manifest, and whose files are intact, does nothing
unless forced.
"""

from __future__ import annotations

import json
import os
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pipeline import __version__, batch_record, interrupts, output
from pipeline.articles import is_large
from pipeline.channels import ChannelContext, check_wechat_limits, registered_channels
from pipeline.config import CONFIG_NAME, Config, load_config
from pipeline.content.model import Content
from pipeline.content.problems import Problem, UserError
from pipeline.lock import exclusive
from pipeline.plan import Month, MonthPlan, make_plan
from pipeline.progress import LineReporter, Reporter
from pipeline.state import cache_dir

STAGE_VALIDATE = "校验内容"
STAGE_PLAN = "生成月度计划"
STAGE_MANIFEST = "写入清单"
STAGE_SWAP = "替换输出"
LOCK_NAME = output.LOCK_NAME


@dataclass
class BatchResult:
    month: Month
    folder: Path
    files: int
    warnings: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    up_to_date: bool = False  # nothing was done: inputs unchanged
    added: list[str] = field(default_factory=list)  # paths inside the month folder, against the last batch
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0


def validated_content(root: Path, known: dict[str, str] | None = None) -> tuple[Content, list[Problem]]:
    """Load and validate; raise UserError listing every problem if anything is wrong. `known`: sha256 of input
    files by path, just taken (see pipeline.content.load.load_content)."""
    from pipeline.content.load import load_content  # YAML and the validators: not needed when up to date

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
    channels = [f"channel-{index}" for index, _ in enumerate(registered_channels(), start=1)]
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


def input_hashes(config: Config, content: Content) -> dict[str, str]:
    hashes = {item.path: item.sha256 for item in content.inputs}
    hashes[CONFIG_NAME] = output.sha256_file(config.root / CONFIG_NAME)
    templates = config.root / "templates"
    if templates.is_dir():
        for rel, digest in output.tree_hashes(templates).items():
            hashes[f"templates/{rel}"] = digest
    return dict(sorted(hashes.items()))


def stage_names() -> list[str]:
    return [STAGE_VALIDATE, STAGE_PLAN, *(c.name for c in registered_channels()), STAGE_MANIFEST, STAGE_SWAP]


def run_batch(root: Path, month: Month, progress: Reporter | Callable[[str], None] | None = None, *,
              force: bool = False, lock_wait: float = 0.0) -> BatchResult:
    """Build output/<month>/. Raises UserError (nothing changed) for bad input, a failing channel or a busy lock."""
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
        return _locked_batch(config, out_root, month, reporter, force, [held.note] if held.note else [])


def _as_reporter(progress: Reporter | Callable[[str], None] | None) -> Reporter:
    if progress is None:
        return Reporter()
    if isinstance(progress, Reporter):
        return progress
    return LineReporter(progress)


def _occupied_places(out_root: Path, month: Month) -> None:
    """The folders a batch replaces must be folders: a plain file in the way is the user's, never deleted."""
    blocked = [out_root / name for name in (str(month), "site", "plan")
               if os.path.lexists(out_root / name) and not (out_root / name).is_dir()]
    if blocked:
        raise UserError("\n".join(f"[错误] {path} 是一个文件，但这里应是批处理生成的文件夹。" for path in blocked)
                        + "\n请把上面的文件移走或改名后重试（xnwl 不会删除不是它写的文件）；output/ 中其他内容未改动。")


def _locked_batch(config: Config, out_root: Path, month: Month, reporter: Reporter, force: bool,
                  notes: list[str]) -> BatchResult:
    repairs = notes + output.recover(out_root)
    _occupied_places(out_root, month)
    channels = registered_channels()
    stages = stage_names()
    reporter.begin(stages)
    folder = out_root / str(month)
    finished = not _unfinished_marker(out_root, month).exists()
    sources = batch_record.take_snapshot(config.root, str(month))
    if not force and finished:
        # Fast path: the same input files as the batch that wrote this manifest, without loading anything.
        known = batch_record.still_current(config.root, str(month), folder, sources, [c.name for c in channels])
        if known is not None:
            for stage in stages:
                reporter.skip(stage, "输入未变化")
            files = sum(1 for p in folder.rglob("*") if p.is_file())
            return BatchResult(month, folder, files, known, repairs, up_to_date=True, unchanged=files)

    with ExitStack() as head_starts:
        for channel in channels:
            if channel.head_start is not None:
                head_starts.callback(channel.head_start(config, out_root))
        reporter.start(STAGE_VALIDATE)
        content, content_warnings = validated_content(config.root, sources.digests)
        inputs = input_hashes(config, content)
        previous = read_manifest(folder)
        reporter.finish(STAGE_VALIDATE)
        _hold_for_tests("validate")
        interrupts.check()
        content_notes = [w.render() for w in content_warnings]
        if not force and finished and is_up_to_date(previous, folder, inputs, [c.name for c in channels]):
            for stage in stages[1:]:
                reporter.skip(stage, "输入未变化")
            files = sum(1 for p in folder.rglob("*") if p.is_file())
            batch_record.remember(config.root, str(month), folder, sources, content_notes)
            return BatchResult(month, folder, files, content_notes, repairs, up_to_date=True, unchanged=files)

        reporter.start(STAGE_PLAN)
        plan = make_plan(content, month, config.featured_per_month)
        staging = output.new_staging(out_root, str(month))
        context: ChannelContext | None = None
        try:
            output.write_bytes(staging / "plan.json", output.json_bytes(plan.to_json()))
            reporter.finish(STAGE_PLAN)
            _hold_for_tests("plan")
            interrupts.check()
            context = ChannelContext(config, content, plan, staging, out_root, progress=reporter.advance)
            for channel in channels:
                if channel.ahead is not None:
                    channel.ahead(context)
            failures: list[UserError] = []
            quick_failed = False  # a quick check failed on a large month: the costly channels are not run
            if is_large(plan):
                try:
                    check_wechat_limits(context)
                except UserError as failure:
                    failures.append(failure)
                    quick_failed = True
            for index, channel in enumerate(channels, start=1):
                if quick_failed:
                    reporter.skip(channel.name, "前面的检查未通过，未运行")
                    continue
                reporter.start(channel.name)
                try:
                    channel.render(context)
                except UserError as failure:
                    # Keep going: the other channels' problems are reported in the same run.
                    failures.append(failure)
                    reporter.skip(channel.name, "出错")
                    continue
                reporter.finish(channel.name)
                _hold_for_tests(f"channel-{index}")
                interrupts.check()
            # Every input has been read: check now, while the site's search index is still being made.
            unchanged = batch_record.unchanged_since(config.root, sources)
            failures += _settle(context, failed=bool(failures))
            if failures:
                raise combined_error(failures)
            reporter.start(STAGE_MANIFEST)
            manifest = write_manifest(config, plan, staging, inputs, [c.name for c in channels])
            reporter.finish(STAGE_MANIFEST)
            _hold_for_tests("manifest")
            reporter.start(STAGE_SWAP)
            unfinished = _unfinished_marker(out_root, month)
            interrupts.check()  # the last moment a Ctrl-C leaves the previous output as it was
            with interrupts.deferred():  # the switch is never cut in two by one; it is raised after it
                unfinished.touch()
                # The month and the site together: a reader sees the whole previous batch or the whole new one.
                output.switch(out_root, [output.Move(staging, str(month)), *context.switch_in],
                              midway=lambda: _hold_for_tests("swap"))
                _hold_for_tests("after-swap")
                for finish in context.after_swap:
                    finish()
                unfinished.unlink()
            reporter.finish(STAGE_SWAP)
        except BaseException:
            if context is not None:
                _settle(context, failed=True)
            if not output.switch_left(out_root):
                output.discard(staging)
            raise
        files = sum(1 for p in folder.rglob("*") if p.is_file())
        batch_record.remember(config.root, str(month), folder, sources, content_notes, unchanged)
        notes = content_notes + list(plan.warnings) + context.warnings
        result = BatchResult(month, folder, files, notes, repairs)
        _compare(result, previous, manifest)
        return result


def _settle(context: ChannelContext, failed: bool) -> list[UserError]:
    """Wait for the work the channels left running (or, when the batch failed, stop it); its failures."""
    errors = []
    while context.waiting:
        finish = context.waiting.pop(0)
        try:
            finish(failed=failed)
        except UserError as error:
            errors.append(error)
    return errors


def _unfinished_marker(out_root: Path, month: Month) -> Path:
    # Present from just before the swap until the channels' after-swap steps (the site) are done: a batch
    # killed in between is not "up to date" even though its month folder is already in place.
    return out_root / f".unfinished-{month}"


def read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / "manifest.json").read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_up_to_date(manifest: dict[str, Any] | None, folder: Path, inputs: dict[str, str], channels: list[str]) -> bool:
    """Same inputs, tool version and channels as the existing batch, and its files are as it wrote them."""
    if manifest is None:
        return False
    if (manifest.get("version") != __version__ or manifest.get("inputs") != inputs
            or manifest.get("channels") != channels):
        return False
    present = {rel: digest for rel, digest in output.tree_hashes(folder).items() if rel != "manifest.json"}
    return present == manifest.get("outputs")


def _compare(result: BatchResult, previous: dict[str, Any] | None, manifest: dict[str, Any]) -> None:
    old: dict[str, str] = (previous or {}).get("outputs") or {}
    new: dict[str, str] = manifest["outputs"]
    result.added = sorted(set(new) - set(old))
    result.removed = sorted(set(old) - set(new))
    result.changed = sorted(rel for rel in set(new) & set(old) if new[rel] != old[rel])
    result.unchanged = sum(1 for rel in set(new) & set(old) if new[rel] == old[rel])


def write_manifest(config: Config, plan: MonthPlan, staging: Path, inputs: dict[str, str],
                   channels: list[str]) -> dict[str, Any]:
    manifest = {
        "tool": "xnwl",
        "version": __version__,
        "month": str(plan.month),
        "channels": channels,
        "inputs": inputs,
        "outputs": {rel: digest for rel, digest in output.tree_hashes(staging).items() if rel != "manifest.json"},
    }
    output.write_bytes(staging / "manifest.json", output.json_bytes(manifest))
    return manifest
