"""Build the whole site into its own staging copy of output/site; the caller swaps it into place."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pipeline.channels.site import feeds, files, search
from pipeline.channels.site.assets import Assets
from pipeline.channels.site.pages import EVENTS, GUIDES, HOME, ROUTES, SEARCH, COUNTIES, Page, all_pages
from pipeline.channels.site.render import make_environment
from pipeline.channels.site.views import COVER_SUFFIX, SiteData
from pipeline import urls
from pipeline.config import Config
from pipeline.content.model import EVENT_CATEGORIES, Content
from pipeline.content.problems import UserError
from pipeline.output import discard
from pipeline.plan import Month, MonthPlan, make_plan

ARCHIVE_MONTHS = 12  # monthly guides kept on the site: the batch month and the eleven before it
PAGE_LIMIT = 30 * 1024  # HTML + CSS of one page, uncompressed, images excluded
_MONTH_ID = re.compile(r"^\d{4}-\d{2}$")


@dataclass
class BuildResult:
    staging: Path
    pages: int
    written: list[str]
    removed: list[str]
    unchanged: int


def archive_months(month: Month) -> list[Month]:
    return [month.shift(-back) for back in range(ARCHIVE_MONTHS - 1, -1, -1)]


def archive_plans(config: Config, content: Content, month: Month,
                  only: frozenset[Month] | None = None) -> dict[Month, MonthPlan]:
    plans = {}
    for m in archive_months(month):
        if only is not None and m not in only:
            continue
        if content.guide_for(m.year, m.month) is not None:
            plans[m] = make_plan(content, m, config.featured_per_month)
    return plans


def poster_covers(output_root: Path, month: Month, batch_folder: Path | None) -> dict[str, Path]:
    """Cover images by article slug, from the archive months' batch folders (the newest wins)."""
    covers: dict[str, Path] = {}
    for back in range(ARCHIVE_MONTHS - 1, -1, -1):
        m = month.shift(-back)
        folder = batch_folder if (back == 0 and batch_folder is not None) else output_root / str(m)
        posters = folder / "posters"
        if posters.is_dir():
            for cover in sorted(posters.glob(f"*{COVER_SUFFIX}")):
                covers[cover.name[: -len(COVER_SUFFIX)]] = cover
    return covers


def _check_ids(content: Content) -> None:
    clashes = sorted(e.source for e in content.events.values() if _MONTH_ID.match(e.id))
    if clashes:
        raise UserError(f"{clashes[0]} · id：活动编号不能是 YYYY-MM 的形式（与网站的月度活动日历 events/YYYY-MM/ 冲突），"
                        "请在编号后加上名称，如 2027-04-azalea。")


def render_files(config: Config, content: Content, month: Month, covers: dict[str, Path],
                 existing: Path, pending: frozenset[Month] = frozenset(),
                 only: frozenset[Month] | None = None) -> tuple[dict[str, bytes], set[str], list[Page]]:
    """Every file of the site except the search bundle: (produced bytes, image variants kept as they are, pages).

    `pending` months get a 待审 banner (the preview); `only` limits the monthly guides to those months
    (the deployable copy, with approved months only).
    """
    _check_ids(content)
    plans = archive_plans(config, content, month, only)
    if month not in plans:
        plans[month] = make_plan(content, month, config.featured_per_month)  # raises the usual "no guide" error
    assets = Assets(existing)
    site = SiteData(config, content, month, plans, covers, assets, pending)
    env = make_environment(config.root)
    css = env.get_template("site.css").render(config=config).encode()
    shared = {
        "config": config,
        "base_path": urlsplit(config.base_url).path or "/",
        "css": assets.add("site", "css", css),
        "search_js": assets.add("search", "js", env.get_template("search.js").render().encode()),
        "icon": assets.add("icon", "svg", env.get_template("icon.svg").render(config=config).encode()),
        "nav": [("周末", GUIDES), ("线路", ROUTES), ("活动", EVENTS), ("县市区", COUNTIES), ("搜索", SEARCH)],
        "home": HOME, "feed": feeds.FEED_PATH, "events_ics": feeds.ICS_PATH, "site": site,
        "this_month": month, "urls": urls, "categories": EVENT_CATEGORIES,
    }
    pages = all_pages(site)
    out: dict[str, bytes] = {}
    for page in pages:
        html = env.get_template(page.template).render(page=page, **shared, **page.vars).encode()
        if len(html) + len(css) > PAGE_LIMIT:
            raise UserError(f"网站页面 {page.file}（{page.title}）的 HTML 与 CSS 共 {(len(html) + len(css)) / 1024:.1f} KB，"
                            f"超过 {PAGE_LIMIT // 1024} KB 的上限：请缩短该页内容（正文或列表）。")
        out[page.file] = html
    out[feeds.FEED_PATH] = feeds.atom_feed(site)
    out[feeds.ICS_PATH] = feeds.events_calendar(site)
    for view in site.events.values():
        out[view.ics_path] = feeds.event_calendar(site, view)
    out[feeds.SITEMAP_PATH] = feeds.sitemap(config, pages)
    out["robots.txt"] = feeds.robots(config)
    out.update(assets.files)
    return out, assets.kept, pages


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


def build_site(config: Config, content: Content, month: Month, output_root: Path,
               batch_folder: Path | None = None, with_search: bool = True) -> BuildResult:
    """Build into output/.staging/site.<pid>/ (a copy-on-write copy of output/site). Does not swap."""
    staging = files.open_staging(output_root)
    try:
        covers = poster_covers(output_root, month, batch_folder)
        pending = pending_months(config, content, month, output_root, batch_folder)
        produced, kept, pages = render_files(config, content, month, covers, staging, pending)
        report = files.sync(staging, produced, kept, leave=(f"{search.BUNDLE}/",))
        if with_search:
            bundle = search.index(staging)
            bundle_report = files.sync(staging / search.BUNDLE, {k[len(search.BUNDLE) + 1:]: v for k, v in bundle.items()})
            report.written += [f"{search.BUNDLE}/{p}" for p in bundle_report.written]
            report.removed += [f"{search.BUNDLE}/{p}" for p in bundle_report.removed]
            report.unchanged += bundle_report.unchanged
    except BaseException:
        discard(staging)
        raise
    return BuildResult(staging, len(pages), report.written, report.removed, report.unchanged)
