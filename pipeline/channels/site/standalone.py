"""Building the site outside a batch (`xnwl site build`, `xnwl serve`): rendered into a staging folder beside
output/site, then switched in at once. A failed build leaves output/site as it was.

This is the publish/CLI side of the site, not the channel: it reads output/ and the review state to work out the
site's inputs. (Issue 21, transitional: pending_months and poster_covers move to the batch and publish code.)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pipeline import output
from pipeline.channels.site import SiteInputs, archive_months, render
from pipeline.channels.site.views import COVER_SUFFIX
from pipeline.config import Config, load_config
from pipeline.content.model import Content
from pipeline.plan import Month

SITE = "site"
_MONTH_FOLDER = re.compile(r"^\d{4}-\d{2}$")


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
    if output_root.is_dir():
        done = sorted(p.name for p in output_root.iterdir()
                      if p.is_dir() and _MONTH_FOLDER.match(p.name) and (p / "manifest.json").is_file())
        if done:
            return Month.parse(done[-1])
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    return Month(now.year, now.month).shift(1)


def pending_months(config: Config, content: Content, month: Month, output_root: Path,
                   batch_folder: Path | None = None) -> frozenset[Month]:
    """Archive months whose guide is not approved as it is now: their pages carry a 待审 banner."""
    from pipeline.review.gate import guide_approved

    pending = set()
    for m in archive_months(month):
        if content.guide_for(m.year, m.month) is None:
            continue
        folder = batch_folder if (m == month and batch_folder is not None) else output_root / str(m)
        if not guide_approved(config, content, m, folder):
            pending.add(m)
    return frozenset(pending)


def poster_covers(output_root: Path, month: Month, batch_folder: Path | None) -> dict[str, Path]:
    """Cover images by article slug, from the archive months' batch folders (the newest wins)."""
    covers: dict[str, Path] = {}
    for m in archive_months(month):
        folder = batch_folder if (m == month and batch_folder is not None) else output_root / str(m)
        posters = folder / "posters"
        if posters.is_dir():
            for cover in sorted(posters.glob(f"*{COVER_SUFFIX}")):
                covers[cover.name[: -len(COVER_SUFFIX)]] = cover
    return covers


def site_inputs(config: Config, content: Content, month: Month, output_root: Path,
                batch_folder: Path | None = None) -> SiteInputs:
    """The site's inputs from output/ (the month's batch folder being `batch_folder` when it is not in place yet)."""
    return SiteInputs(poster_covers(output_root, month, batch_folder),
                      pending_months(config, content, month, output_root, batch_folder))


def build_and_swap(root: Path, month: Month | None, with_search: bool = True) -> SiteBuild:
    from pipeline.batch import validated_content

    config = load_config(root)
    output_root = config.output_dir
    output_root.mkdir(parents=True, exist_ok=True)
    output.recover(output_root)
    content, _ = validated_content(root)
    month = month or default_month(output_root)
    inputs = site_inputs(config, content, month, output_root)
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
