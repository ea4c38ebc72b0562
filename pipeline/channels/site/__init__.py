"""The website channel: a month's whole static site, rendered into an empty folder.

`render` is the entry point; its caller (the batch, or `xnwl site build`) works out the SiteInputs from the
batch folders and swaps the folder into output/site. The channel reads no output/, state/ or review files
(`xnwl site build` is pipeline/site_build.py; deploy and serve are in pipeline/publish/).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

from pipeline.config import Config
from pipeline.content.model import Content
from pipeline.plan import Month

ARCHIVE_MONTHS = 12  # monthly guides kept on the site: the batch month and the eleven before it


@dataclass(frozen=True)
class SiteInputs:
    """What the site takes from outside the content."""
    covers: Mapping[str, Path]  # poster cover image by article slug (archive months' batch folders, newest wins)
    pending: frozenset[Month]  # archive months whose guide is not approved as it is now: their pages say 待审
    # Archive months whose guide the site shows; None: every one with a guide. The deployable copy passes the
    # approved months only.
    guides: frozenset[Month] | None = None


def archive_months(month: Month) -> list[Month]:
    """The months whose guide the site of `month` keeps, oldest first (the batch month last)."""
    return [month.shift(-back) for back in range(ARCHIVE_MONTHS - 1, -1, -1)]


def render(config: Config, content: Content, month: Month, inputs: SiteInputs, out: Path, *, search: bool = True,
           progress: Callable[[int, int], None] = lambda done, total: None) -> list[str]:
    """Write the whole site of `month` (pages, feeds, calendars, sitemap, assets, images and, with `search`, the
    search index) into the empty folder `out`. Returns warnings; raises UserError for a problem of the content
    or of a template (a page over the size limit, a broken office template)."""
    from pipeline.channels.site.build import build_site
    from pipeline.plan import make_plan

    plans = {m: make_plan(content, m, config.featured_per_month) for m in archive_months(month)
             if content.guide_for(m.year, m.month) is not None and (inputs.guides is None or m in inputs.guides)}
    if month not in plans:
        plans[month] = make_plan(content, month, config.featured_per_month)  # raises the usual "no guide" error
    return build_site(config, content, month, plans, inputs.covers, inputs.pending, out, search=search,
                      progress=progress)
