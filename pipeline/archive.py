"""What a month's batch reads from the other months' batches in output/: the site's archive.

The site shows up to twelve months (pipeline.channels.site.archive_months). For each it needs the month's
cover images (made by that month's posters) and whether its guide is approved as it is now (the decisions in
content/review/ against that month's articles). Those folders are inputs of the batch: the cache key covers
their manifests (pipeline.cache.batch_key).
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.channels.site import SiteInputs, archive_months
from pipeline.config import Config
from pipeline.content.model import Content
from pipeline.plan import Month

_MONTH_FOLDER = re.compile(r"^\d{4}-\d{2}$")


def other_batches(output_root: Path, month: Month) -> list[Path]:
    """The folders of the archive's other months (present or not: a month built later changes the key)."""
    return [output_root / str(m) for m in archive_months(month) if m != month]


def covers(output_root: Path, month: Month, batch: Path | None) -> dict[str, Path]:
    """Cover images by article slug, from the archive months' batch folders (the newest month wins);
    `batch`: the folder of `month` itself when it is being built (its staging folder)."""
    from pipeline.channels.site.views import COVER_SUFFIX

    found: dict[str, Path] = {}
    for m in archive_months(month):  # oldest first, so a newer month's cover replaces an older one's
        folder = batch if (m == month and batch is not None) else output_root / str(m)
        posters = folder / "posters"
        if posters.is_dir():
            for cover in sorted(posters.glob(f"*{COVER_SUFFIX}")):
                found[cover.name[: -len(COVER_SUFFIX)]] = cover
    return found


def site_inputs(config: Config, content: Content, month: Month, batch: Path | None = None) -> SiteInputs:
    from pipeline.review.approvals import pending_guides  # (the no-op batch imports this module, not the review)

    output_root = config.output_dir

    def folder_of(m: Month) -> Path:
        return batch if (m == month and batch is not None) else output_root / str(m)

    with_guide = [m for m in archive_months(month) if content.guide_for(m.year, m.month) is not None]
    return SiteInputs(covers=covers(output_root, month, batch),
                      pending=pending_guides(config, content, with_guide, folder_of))


def built_months(output_root: Path) -> list[Month]:
    """Months with a finished batch in output/, oldest first."""
    if not output_root.is_dir():
        return []
    return [Month.parse(p.name) for p in sorted(output_root.iterdir())
            if p.is_dir() and _MONTH_FOLDER.match(p.name) and (p / "manifest.json").is_file()]
