"""One month's batch: validate -> plan -> channels -> manifest, built in staging and swapped in at the end."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from pipeline import __version__, output
from pipeline.channels import ChannelContext, registered_channels
from pipeline.config import CONFIG_NAME, Config, load_config
from pipeline.content.load import load_content
from pipeline.content.model import Content
from pipeline.content.problems import Problem, UserError
from pipeline.plan import Month, MonthPlan, make_plan


@dataclass
class BatchResult:
    month: Month
    folder: Path
    files: int
    warnings: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)


def validated_content(root: Path) -> tuple[Content, list[Problem]]:
    """Load and validate; raise UserError listing every problem if anything is wrong."""
    content, problems = load_content(root)
    if problems.errors:
        raise UserError(f"内容校验发现 {len(problems.errors)} 处错误，请逐条修改后重试（output/ 未改动）。",
                        problems.sorted())
    return content, problems.warnings


def _hold_for_tests(stage: str) -> None:
    # Fault injection for the crash-safety tests: park the batch at a stage so a test can SIGKILL it there.
    if os.environ.get("XNWL_TEST_HOLD_AT") == stage:
        time.sleep(60)


def input_hashes(config: Config, content: Content) -> dict[str, str]:
    hashes = {item.path: item.sha256 for item in content.inputs}
    hashes[CONFIG_NAME] = output.sha256_file(config.root / CONFIG_NAME)
    templates = config.root / "templates"
    if templates.is_dir():
        for rel, digest in output.tree_hashes(templates).items():
            hashes[f"templates/{rel}"] = digest
    return dict(sorted(hashes.items()))


def run_batch(root: Path, month: Month, progress: Callable[[str], None] = lambda _: None) -> BatchResult:
    config = load_config(root)
    out_root = config.output_dir
    out_root.mkdir(parents=True, exist_ok=True)
    repairs = output.recover(out_root)

    progress("校验内容")
    content, warnings = validated_content(root)
    progress("生成月度计划")
    plan = make_plan(content, month, config.featured_per_month)
    staging = output.new_staging(out_root, str(month))
    try:
        output.write_bytes(staging / "plan.json", output.json_bytes(plan.to_json()))
        _hold_for_tests("plan")
        context = ChannelContext(config, content, plan, staging, out_root)
        for channel in registered_channels():
            progress(channel.name)
            channel.render(context)
        progress("写入清单")
        write_manifest(config, content, plan, staging)
        _hold_for_tests("manifest")
        output.swap_into_place(staging, out_root, str(month))
        for finish in context.after_swap:
            finish()
    except BaseException:
        output.discard(staging)
        raise
    folder = out_root / str(month)
    files = sum(1 for p in folder.rglob("*") if p.is_file())
    notes = [w.render() for w in warnings] + list(plan.warnings) + context.warnings
    return BatchResult(month, folder, files, notes, repairs)


def write_manifest(config: Config, content: Content, plan: MonthPlan, staging: Path) -> None:
    manifest = {
        "tool": "xnwl",
        "version": __version__,
        "month": str(plan.month),
        "inputs": input_hashes(config, content),
        "outputs": {rel: digest for rel, digest in output.tree_hashes(staging).items() if rel != "manifest.json"},
    }
    output.write_bytes(staging / "manifest.json", output.json_bytes(manifest))
