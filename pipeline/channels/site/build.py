"""Render the whole site into an empty folder: prepare the data, render every file, write the search index."""

from __future__ import annotations

import gc
import os
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from jinja2 import Environment, TemplateError, TemplateSyntaxError

from pipeline import urls
from pipeline.channels.site import feeds
from pipeline.channels.site import search as site_search
from pipeline.channels.site.assets import Assets
from pipeline.channels.site.environment import make_site_environment
from pipeline.channels.site.pages import COUNTIES, EVENTS, GUIDES, HOME, ROUTES, SEARCH, Page, TemplateSite, all_pages
from pipeline.channels.site.views import EventView, SiteData
from pipeline.config import Config
from pipeline.content.model import EVENT_CATEGORIES, Content
from pipeline.content.problems import UserError
from pipeline.parallel import fork_map
from pipeline.plan import Month, MonthPlan

PAGE_LIMIT = 30 * 1024  # HTML + CSS of one page, uncompressed, images excluded
PARALLEL_FROM = 64  # files to render; fewer are rendered in this process (forking costs more than it saves)
_MONTH_ID = re.compile(r"^\d{4}-\d{2}$")


def _check_ids(content: Content) -> None:
    clashes = sorted(e.source for e in content.events.values() if _MONTH_ID.match(e.id))
    if clashes:
        raise UserError(f"{clashes[0]} · id：活动编号不能是 YYYY-MM 的形式（与网站的月度活动日历 events/YYYY-MM/ 冲突），"
                        "请在编号后加上名称，如 2027-04-azalea。")


@dataclass
class Prepared:
    """Everything the site's files are made from; forked workers inherit it."""
    site: SiteData
    env: Environment
    shared: dict[str, Any]  # what every page's template sees besides its page
    pages: list[Page]
    events: list[EventView]  # every event, in the site's order
    css: bytes


@dataclass(frozen=True, slots=True)
class Job:
    rel: str  # site path of the file
    kind: str  # "page", "ics" (one event) or "events-ics"
    index: int  # into Prepared.pages or Prepared.events


def prepare(config: Config, content: Content, month: Month, plans: dict[Month, MonthPlan],
            covers: Mapping[str, Path], pending: frozenset[Month]) -> Prepared:
    _check_ids(content)
    assets = Assets()
    site = SiteData(config, content, month, plans, dict(covers), assets, pending)
    env = make_site_environment(config.root)
    try:
        css = env.get_template("site.css").render(config=config).encode()
        search_js = env.get_template("search.js").render().encode()
        icon = env.get_template("icon.svg").render(config=config).encode()
    except TemplateError as error:
        raise UserError(template_problem(error)) from None
    shared = {
        "config": config,
        "base_path": urlsplit(config.base_url).path or "/",
        "css": assets.add("site", "css", css),
        "search_js": assets.add("search", "js", search_js),
        "icon": assets.add("icon", "svg", icon),
        "nav": [("周末", GUIDES), ("线路", ROUTES), ("活动", EVENTS), ("县市区", COUNTIES), ("搜索", SEARCH)],
        "home": HOME, "feed": feeds.FEED_PATH, "events_ics": feeds.ICS_PATH, "site": TemplateSite(config),
        "this_month": month, "urls": urls, "categories": EVENT_CATEGORIES,
    }
    # Every template compiled here, once, rather than once in each worker. A broken one is reported by the pages
    # that use it (once, see render_all); one that no page uses is never reported.
    for name in sorted(env.list_templates(extensions=["html"])):
        try:
            env.get_template(name)
        except TemplateError:
            pass
    pages = all_pages(site)
    for page in pages:
        if page.path == SEARCH:
            page.vars["search_index"] = f"{site_search.BUNDLE}/meta.json"
    return Prepared(site, env, shared, pages, list(site.events.values()), css)


def jobs(prepared: Prepared) -> list[Job]:
    found = [Job(page.file, "page", n) for n, page in enumerate(prepared.pages)]
    found += [Job(view.ics_path, "ics", n) for n, view in enumerate(prepared.events)]
    found.append(Job(feeds.ICS_PATH, "events-ics", 0))
    return found


def render_file(prepared: Prepared, job: Job) -> bytes:
    if job.kind == "page":
        page = prepared.pages[job.index]
        html = prepared.env.get_template(page.template).render(page=page, **prepared.shared, **page.vars).encode()
        if len(html) + len(prepared.css) > PAGE_LIMIT:
            raise UserError(f"网站页面 {page.file}（{page.title}）的 HTML 与 CSS 共 {(len(html) + len(prepared.css)) / 1024:.1f} KB，"
                            f"超过 {PAGE_LIMIT // 1024} KB 的上限：请缩短该页内容（正文或列表）。")
        return html
    if job.kind == "ics":
        return feeds.event_calendar(prepared.site, prepared.events[job.index])
    return feeds.events_calendar(prepared.site)


def template_problem(error: TemplateError) -> str:
    """An office's own template with a mistake: its file and line, no traceback."""
    if isinstance(error, TemplateSyntaxError):
        where = f"{error.filename or error.name} 第 {error.lineno} 行"
    else:  # raised while rendering: Jinja puts the template's file and line into the traceback
        frames = [frame for frame in traceback.extract_tb(error.__traceback__)
                  if frame.filename.endswith((".html", ".xml", ".css", ".js", ".svg"))]
        where = f"{frames[-1].filename} 第 {frames[-1].lineno} 行" if frames else "templates/site/"
    return f"网站模板出错（{where}）：{error.message or type(error).__name__}"


def write_file(out: Path, rel: str, data: bytes, made: set[str] | None = None) -> None:
    """`made`: folders this process already made in `out` (one mkdir per folder, not one per file)."""
    folder = os.path.dirname(rel)
    if made is None or folder not in made:
        (out / folder).mkdir(parents=True, exist_ok=True)  # (workers may race to make a folder: either one does)
        if made is not None:
            made.add(folder)
    with open(out / rel, "wb") as handle:
        handle.write(data)


_WORK: tuple[Prepared, Path, bool] | None = None  # what the forked workers of one render_all call work from

# What rendering one file gives back: ("ok", the text the search index takes from the page, or None) or
# ("problem", its message).
Outcome = tuple[str, str | None]


def _render_chunk(chunk: list[Job]) -> list[Outcome]:
    """Render and write each job's file, and take a searchable page's text for the index while its HTML is at
    hand. Runs in a forked worker (or in this process for a small site)."""
    assert _WORK is not None
    prepared, out, searching = _WORK
    outcomes: list[Outcome] = []
    made: set[str] = set()
    for job in chunk:
        try:
            data = render_file(prepared, job)
        except UserError as error:
            outcomes.append(("problem", error.message))
            continue
        except TemplateError as error:
            outcomes.append(("problem", template_problem(error)))
            continue
        write_file(out, job.rel, data, made)
        searchable = searching and job.kind == "page" and prepared.pages[job.index].searchable
        outcomes.append(("ok", site_search.page_text(data) if searchable else None))
    return outcomes


def render_all(prepared: Prepared, out: Path, searching: bool) -> dict[str, str | None]:
    """Every page and calendar file, rendered by forked workers on every core; then the feed, the sitemap and the
    assets. Raises UserError naming each problem once (a broken template breaks many pages the same way).
    Returns, when `searching`, the search text of every searchable page by its site file."""
    global _WORK
    every = jobs(prepared)
    site = prepared.site
    rest = {feeds.FEED_PATH: feeds.atom_feed(site), feeds.SITEMAP_PATH: feeds.sitemap(site.config, prepared.pages),
            "robots.txt": feeds.robots(site.config), **site.assets.files}
    _WORK = (prepared, out, searching)
    gc.freeze()  # the workers' collector leaves the prepared data alone: its memory stays shared, not copied
    try:
        outcomes = fork_map(_render_chunk, every, PARALLEL_FROM)
    finally:
        gc.unfreeze()
        _WORK = None
    errors = list(dict.fromkeys(value for state, value in outcomes if state == "problem" and value))
    if errors:
        raise UserError("\n".join(errors))
    for rel in sorted(rest):
        write_file(out, rel, rest[rel])
    return {job.rel: text for job, (_, text) in zip(every, outcomes) if job.kind == "page"}


def build_site(config: Config, content: Content, month: Month, plans: dict[Month, MonthPlan],
               covers: Mapping[str, Path], pending: frozenset[Month], out: Path, *, search: bool = True,
               progress: Callable[[int, int], None] = lambda done, total: None) -> list[str]:
    """See pipeline.channels.site.render."""
    if any(out.iterdir()):
        raise ValueError(f"the site is rendered into an empty folder, not into {out}")
    steps = 3 if search else 2
    progress(0, steps)
    prepared = prepare(config, content, month, plans, covers, pending)
    progress(1, steps)
    texts = render_all(prepared, out, search)
    progress(2, steps)
    if search:
        site_search.build_bundle(out, site_search.documents(prepared.pages, month), texts)
        progress(3, steps)
    return []
