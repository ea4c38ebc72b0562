"""Building the site outside a batch (`xnwl site build`, `xnwl serve`): the same code, swapped in at once."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pipeline.channels.site import files, head_start
from pipeline.channels.site.build import BuildResult, build_site
from pipeline.config import load_config
from pipeline.plan import Month

_MONTH_FOLDER = re.compile(r"^\d{4}-\d{2}$")


def site_dir(root: Path) -> Path:
    return load_config(root).output_dir / files.SITE


def base_path(root: Path) -> str:
    return urlsplit(load_config(root).base_url).path or "/"


def default_month(output_root: Path) -> Month:
    """The newest month with a finished batch (the site shows what was published), else next month."""
    if output_root.is_dir():
        done = sorted(p.name for p in output_root.iterdir()
                      if p.is_dir() and _MONTH_FOLDER.match(p.name) and (p / "manifest.json").is_file())
        if done:
            return Month.parse(done[-1])
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    return Month(now.year, now.month).shift(1)


def build_and_swap(root: Path, month: Month | None, with_search: bool = True) -> BuildResult:
    from pipeline import output
    from pipeline.batch import validated_content

    config = load_config(root)
    config.output_dir.mkdir(parents=True, exist_ok=True)
    output.recover(config.output_dir)
    finish_head_start = head_start(config, config.output_dir)
    try:
        content, _ = validated_content(root)
        month = month or default_month(config.output_dir)
        result = build_site(config, content, month, config.output_dir, with_search=with_search)
    finally:
        finish_head_start()
    files.swap(result.staging, config.output_dir, result.spare)
    return result
