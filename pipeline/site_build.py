"""`xnwl site build` and `xnwl serve`: the site alone, outside a batch, from the same channel code.

Loads the content, works out the site's inputs from output/ (pipeline.archive), renders into a staging folder
beside output/site and switches it in at once. A failed build leaves output/site as it was.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pipeline import output
from pipeline.archive import built_months, site_inputs
from pipeline.batch import SITE, validated_content
from pipeline.channels.site import render
from pipeline.config import load_config
from pipeline.plan import Month

@dataclass
class SiteBuild:
    site: Path  # output/site
    pages: int
    files: int
    warnings: list[str] = field(default_factory=list)


def site_dir(root: Path) -> Path:
    return load_config(root).output_dir / SITE


def base_path(root: Path) -> str:
    return urlsplit(load_config(root).base_url).path or "/"


def default_month(output_root: Path) -> Month:
    """The newest month with a finished batch (the site shows what was published), else next month."""
    done = built_months(output_root)
    if done:
        return done[-1]
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    return Month(now.year, now.month).shift(1)


def build_and_swap(root: Path, month: Month | None, with_search: bool = True) -> SiteBuild:
    config = load_config(root)
    output_root = config.output_dir
    output_root.mkdir(parents=True, exist_ok=True)
    output.recover(output_root)
    content, _ = validated_content(root)
    month = month or default_month(output_root)
    inputs = site_inputs(config, content, month)
    staging = output.new_staging(output_root, SITE)
    try:
        warnings = render(config, content, month, inputs, staging, search=with_search)
        names = [name for _, _, found in os.walk(staging) for name in found]
        files, pages = len(names), sum(1 for name in names if name.endswith(".html"))
        output.swap_into_place(staging, output_root, SITE)
    except BaseException:
        if not output.switch_left(output_root):
            output.discard(staging)
        raise
    return SiteBuild(output_root / SITE, pages, files, warnings)
