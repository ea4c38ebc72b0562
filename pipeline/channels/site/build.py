"""Build the whole site into its own staging copy of output/site; the caller swaps it into place."""

from __future__ import annotations

import gc
import hashlib
import re
import threading
import traceback
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from jinja2 import Environment, TemplateError, TemplateSyntaxError

from pipeline import urls
from pipeline.channels.site import feeds, files, search
from pipeline.channels.memo import Memo
from pipeline.channels.site.assets import Assets
from pipeline.channels.site.pages import EVENTS, GUIDES, HOME, ROUTES, SEARCH, COUNTIES, Page, TemplateSite, all_pages
from pipeline.channels.site.render import compile_all, make_environment, template_dirs
from pipeline.channels.site.views import COVER_SUFFIX, EventView, SiteData
from pipeline.config import Config
from pipeline.content.model import EVENT_CATEGORIES, Content
from pipeline.content.problems import UserError
from pipeline.fingerprint import Fingerprinter, built_anew, code_digest, folders_digest
from pipeline.outcache import OutputCache, file_stat
from pipeline.output import discard
from pipeline.parallel import collector_paused, fork_map, is_short_lived
from pipeline.plan import Month, MonthPlan, make_plan
from pipeline.state import cache_dir

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
    spare: Path | None = None  # for files.swap: where the replaced site is kept for the next build
    reused: int = 0  # files taken from the last build without rendering (their inputs did not change)
    # Waits for work left running (build_site's `background`); finish(failed=True) only cleans up.
    finish: Callable[..., None] = lambda failed=False: None


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


def pending_months(config: Config, content: Content, month: Month, output_root: Path,
                   batch_folder: Path | None = None) -> frozenset[Month]:
    """Archive months whose guide is not approved as it is now: their pages carry a 待审 banner."""
    from pipeline.review.approvals import guide_approved

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


@dataclass
class Prepared:
    """Everything the site's files are made from, built once; worker processes inherit it when forked."""
    site: SiteData
    env: Environment
    shared: dict[str, Any]
    pages: list[Page]
    events: list[EventView]  # every event, in the site's order
    css: bytes
    fingerprints: Fingerprinter


@dataclass(frozen=True, slots=True)
class Job:
    rel: str  # site path of the file
    kind: str  # "page", "ics" (one event) or "events-ics"
    index: int  # into Prepared.pages or Prepared.events


def prepare(config: Config, content: Content, month: Month, covers: dict[str, Path], existing: Path,
            pending: frozenset[Month] = frozenset(), only: frozenset[Month] | None = None) -> Prepared:
    """`pending` months get a 待审 banner (the preview); `only` limits the monthly guides to those months
    (the deployable copy, with approved months only)."""
    _check_ids(content)
    plans = archive_plans(config, content, month, only)
    if month not in plans:
        plans[month] = make_plan(content, month, config.featured_per_month)  # raises the usual "no guide" error
    sizes = Memo(config.root, "site-pictures")
    assets = Assets(existing, sizes)
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
        "home": HOME, "feed": feeds.FEED_PATH, "events_ics": feeds.ICS_PATH, "site": TemplateSite(config),
        "this_month": month, "urls": urls, "categories": EVENT_CATEGORIES,
    }
    pages = all_pages(site)
    sizes.save()
    for page in pages:
        if page.path == SEARCH:
            page.vars["search_index"] = f"{search.BUNDLE}/meta.json"
    # Every template is compiled here, once (not once per worker), and never reloaded: the pages are made
    # from the templates as they were now. Their files are hashed before and after, so a template saved
    # meanwhile turns reuse off for this build rather than pair old fingerprints with new pages.
    folders = template_dirs(config.root)
    before = folders_digest(folders)
    compile_all(env)
    steady = folders_digest(folders) == before
    # What every file depends on besides its own values: the code, the templates, the values all pages share
    # (`urls` is code). Templates see only these and the page: of the SiteData, only its configuration.
    context = [code_digest(), before, str(PAGE_LIMIT), repr([(k, v) for k, v in shared.items() if k != "urls"])]
    return Prepared(site, env, shared, pages, list(site.events.values()), css, Fingerprinter(*context, enabled=steady))


def jobs(prepared: Prepared) -> list[Job]:
    found = [Job(page.file, "page", n) for n, page in enumerate(prepared.pages)]
    found += [Job(view.ics_path, "ics", n) for n, view in enumerate(prepared.events)]
    found.append(Job(feeds.ICS_PATH, "events-ics", 0))
    return found


_PAGE_FIELDS = tuple(f.name for f in fields(Page))


def _key(prepared: Prepared, job: Job) -> str | None:
    """Fingerprint of everything the job's file is made from (besides the shared context)."""
    fp = prepared.fingerprints
    if job.kind == "page":
        page = prepared.pages[job.index]
        return fp.of("page", *[getattr(page, name) for name in _PAGE_FIELDS])
    if job.kind == "ics":
        return fp.of("ics", prepared.site.month, prepared.events[job.index])
    return fp.of("events-ics", prepared.site.month, prepared.events)


def _render(prepared: Prepared, job: Job) -> bytes:
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


_WORK: tuple[Prepared, Path, OutputCache] | None = None  # what forked workers render from
PARALLEL_FROM = 64  # files to consider; fewer are handled in the build's own process

Outcome = tuple[str, str | None, str, str | None]  # (kept | written | same | failed, key, sha256, error message)


_UNKNOWN = "?"  # a job's key not worked out yet (the worker does it)
PRECHECK_SAMPLE = 200  # jobs looked at in the build's own process before deciding whether most are reused


def _render_chunk(chunk: list[tuple[Job, str | None]]) -> list[Outcome]:
    """For each job: reuse its file if its fingerprint is unchanged, else render and write it.
    Runs in a forked worker, or in the build's own process for small sites."""
    assert _WORK is not None
    prepared, staging, cache = _WORK
    results: list[Outcome] = []
    for job, known_key in chunk:
        key = _key(prepared, job) if known_key == _UNKNOWN else known_key
        if known_key == _UNKNOWN and cache.reusable(job.rel, key) is not None:
            results.append(("kept", key, cache.known[job.rel][1], None))
            continue
        try:
            data = _render(prepared, job)
        except UserError as error:
            results.append(("failed", key, "", error.message))
            continue
        except TemplateError as error:  # an office's own template: say which file and line, no traceback
            results.append(("failed", key, "", _template_problem(error)))
            continue
        written = files.put(staging, job.rel, data)
        results.append(("written" if written else "same", key, hashlib.sha256(data).hexdigest(), None))
    return results


def _template_problem(error: TemplateError) -> str:
    if isinstance(error, TemplateSyntaxError):
        where = f"{error.filename or error.name} 第 {error.lineno} 行"
    else:  # raised while rendering: Jinja puts the template's file and line into the traceback
        frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename.endswith((".html", ".xml"))]
        where = f"{frames[-1].filename} 第 {frames[-1].lineno} 行" if frames else "templates/site/"
    return f"网站模板出错（{where}）：{error.message or type(error).__name__}"


def _reused_here(prepared: Prepared, every: list[Job], cache: OutputCache,
                 skip: dict[int, Any] | None = None) -> dict[int, Outcome | str | None]:
    """After a previous build most files are usually reused (one route changed): then deciding that here costs
    less than forking workers that would each describe the same values again. Returns, by job number, the
    outcome of a reused file or the key of a file to render; it stops deciding (leaving the rest to the workers)
    as soon as a sample shows that most files must be rendered anyway."""
    decided: dict[int, Outcome | str | None] = {}
    if not cache.known:
        return decided
    misses = 0
    for n, job in enumerate(every):
        if skip and n in skip:
            continue
        key = _key(prepared, job)
        if cache.reusable(job.rel, key) is not None:
            decided[n] = ("kept", key, cache.known[job.rel][1], None)
        else:
            decided[n] = key
            misses += 1
            if n + 1 >= PRECHECK_SAMPLE and misses * 4 > n + 1:
                break
    return decided


HOT_PAGES = 8  # more pages of changed content than this: not a small edit, none is rendered ahead


def _changed_pages(prepared: Prepared) -> list[str]:
    """Site paths of the pages of routes and events built anew in this run (their files changed)."""
    content = prepared.site.content
    paths = {urls.route_path(r.id) for r in content.routes.values() if built_anew(r)}
    paths |= {urls.event_path(e.id) for e in content.events.values() if built_anew(e)}
    return sorted(page.file for page in prepared.pages if page.path in paths and page.searchable)


def render_into(prepared: Prepared, staging: Path, cache: OutputCache,
                pages_done: Callable[[dict[str, str]], None] = lambda digests: None,
                settled: dict[int, Outcome | str | None] | None = None) -> files.SyncReport:
    """Write every file of the site except the search index into staging, rendering only what changed.
    pages_done(sha256 of every page by site path) is called as soon as the pages are in place, before the
    feeds, assets and clean-up (the search index is made from the pages alone).
    `settled`: by job number, the outcome or (for a file to render) the key that start_early and build_site
    already worked out with these values."""
    global _WORK
    report = files.SyncReport()
    every = jobs(prepared)
    _WORK = (prepared, staging, cache)
    # Everything built so far lives until the end of the build: keep the garbage collector from scanning
    # it again and again while pages are rendered (its full passes grow with the heap, so with the site),
    # and from touching its pages in the forked workers.
    gc.freeze()
    try:
        decided: dict[int, Outcome | str | None] = {}
        if settled is not None:
            decided.update(settled)
        decided.update(_reused_here(prepared, every, cache, skip=decided))
        todo = [n for n in range(len(every)) if not isinstance(decided.get(n), tuple)]
        if any(every[n].kind != "page" for n in todo):
            import icalendar  # noqa: F401 - loaded once here, not in every worker (feeds loads it when needed)
        rendered = fork_map(_render_chunk, [(every[n], decided.get(n, _UNKNOWN)) for n in todo], PARALLEL_FROM)
    finally:
        if not is_short_lived():  # else it stays frozen until the end (see collector_paused)
            gc.unfreeze()
        _WORK = None
    outcomes = dict(zip(todo, rendered))
    results: list[Outcome] = [outcomes[n] if n in outcomes else decided[n] for n in range(len(every))]  # type: ignore[misc]
    errors = list(dict.fromkeys(message for (_, _, _, message) in results if message))  # a broken template: once
    if errors:
        raise UserError("\n".join(errors))
    base = str(staging)
    for job, (state, key, digest, _) in zip(every, results):
        if key is not None and not (state == "kept" and cache.kept(job.rel, key)):  # else checked and current
            cache.record(job.rel, key, digest, {"stat": file_stat(f"{base}/{job.rel}")})
        report.digests[job.rel] = digest
        if state == "written":
            report.written.append(job.rel)
        else:
            report.unchanged += 1
            report.reused += state == "kept"
    pages_done({rel: sha for rel, sha in report.digests.items() if rel.endswith(".html")})
    site = prepared.site
    rest = {feeds.FEED_PATH: feeds.atom_feed(site), feeds.SITEMAP_PATH: feeds.sitemap(site.config, prepared.pages),
            "robots.txt": feeds.robots(site.config), **site.assets.files}
    for rel in sorted(rest):
        if rel.endswith(".html"):
            report.digests[rel] = hashlib.sha256(rest[rel]).hexdigest()
        if files.put(staging, rel, rest[rel]):
            report.written.append(rel)
        else:
            report.unchanged += 1
    wanted = {job.rel for job in every} | set(rest) | site.assets.kept
    report.removed = files.remove_others(staging, wanted, leave=(f"{search.BUNDLE}/",))
    report.written.sort()
    return report


class _Search:
    """The search index (see search.py), made in a thread from the written pages while the batch goes on
    (review checks, manifest), waited for by finish()."""

    def __init__(self, staging: Path, docs: list[search.Doc]) -> None:
        self.staging, self.docs = staging, docs
        self.thread: threading.Thread | None = None
        self.report: search.BundleReport | None = None
        self.error: BaseException | None = None

    def start(self, pages: dict[str, str]) -> None:
        self.thread = threading.Thread(target=self._run, name="xnwl-search", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.report = search.build_bundle(self.staging, self.docs)
        except BaseException as error:  # handed to finish(), in the batch's own thread
            self.error = error

    def cancel(self) -> None:
        if self.thread is not None:
            self.thread.join()

    def finish(self) -> search.BundleReport:
        if self.thread is None:
            raise RuntimeError("search index never started")
        self.thread.join()
        if self.error is not None:
            raise self.error
        assert self.report is not None
        return self.report


@dataclass
class _Early:
    """What start_early made: the site prepared with the covers and review state of the month's last batch, and
    the pages of the edit settled (reused or rendered, not yet written)."""
    covers: dict[str, str]  # sha256 of each cover's bytes, by article slug
    pending: frozenset[Month]
    prepared: Prepared
    cache: OutputCache
    every: list[Job]  # jobs(prepared)
    settled: dict[int, Outcome] = field(default_factory=dict)  # reused files, by job number
    rendered: dict[int, tuple[str | None, bytes]] = field(default_factory=dict)  # (key, bytes) by job number


_EARLY: dict[str, _Early] = {}  # by output folder: taken by the batch's build_site, or dropped (drop_early)


def _cover_digests(covers: dict[str, Path]) -> dict[str, str]:
    return {slug: hashlib.sha256(path.read_bytes()).hexdigest() for slug, path in covers.items()}


def _hot_pages(prepared: Prepared, every: list[Job]) -> list[int] | None:
    """After a small edit, the jobs (by number) of the pages of the changed content."""
    changed = set(_changed_pages(prepared))
    if not changed or len(changed) > HOT_PAGES:
        return None
    return [n for n, job in enumerate(every) if job.kind == "page" and job.rel in changed]


def start_early(config: Config, content: Content, month: Month, output_root: Path) -> None:
    """After a small edit (a few routes or events built anew), prepare the site and settle the edited pages right
    after the plan. The covers and review state are taken from the month's last batch: build_site uses all of
    this only if the new batch's are the same (else it prepares the site again). Nothing is written into the
    site's staging copy here (the head start's child may still be making it): reuse is checked against the
    live site it mirrors, and build_site writes the rendered pages. Never raises for a problem of the content:
    build_site meets and reports it."""
    anew = sum(1 for item in (*content.routes.values(), *content.events.values()) if built_anew(item))
    cache_path = cache_dir(config.root) / "site-outputs.marshal"
    live = output_root / files.SITE
    if not 0 < anew <= HOT_PAGES or not live.is_dir() or not cache_path.is_file():
        return
    try:
        covers = poster_covers(output_root, month, None)
        pending = pending_months(config, content, month, output_root)
        with collector_paused():
            prepared = prepare(config, content, month, covers, live, pending)
        cache = OutputCache(cache_path, live)
        every = jobs(prepared)
        early = _Early(_cover_digests(covers), pending, prepared, cache, every)
        hot = _hot_pages(prepared, every) if cache.known else None
        if hot is not None:
            for n in hot:
                key = _key(prepared, every[n])
                if cache.reusable(every[n].rel, key) is not None:
                    early.settled[n] = ("kept", key, cache.known[every[n].rel][1], None)
                else:
                    early.rendered[n] = (key, _render(prepared, every[n]))
    except Exception:  # noqa: BLE001 - build_site prepares again, and meets (and reports) the same problem
        return
    _EARLY[str(output_root)] = early


def drop_early(output_root: Path) -> None:
    """Discard what start_early made, if build_site did not take it (the batch failed before)."""
    _EARLY.pop(str(output_root), None)


def _take_early(early: _Early, covers: dict[str, Path], pending: frozenset[Month]) -> dict[int, Outcome | str | None] | None:
    """The outcomes start_early settled, and whether each other file is reused (else its key): decided against the
    live site, which the staging copy mirrors (hard links: the same files), so that the batch need not wait for
    that copy to be finished. None if the covers or review state differ from those start_early used."""
    if early.pending != pending or early.covers != _cover_digests(covers):
        return None
    decided: dict[int, Outcome | str | None] = dict(early.settled)
    decided.update(dict.fromkeys(early.rendered))  # written into the staging copy once it is there
    with collector_paused():
        decided.update(_reused_here(early.prepared, early.every, early.cache, skip=decided))
    return decided


def _write_early(early: _Early, staging: Path, decided: dict[int, Outcome | str | None]) -> None:
    """Write the pages start_early rendered into the staging copy; from now on reuse is checked there."""
    early.cache.folder = staging
    for n, (key, data) in early.rendered.items():
        written = files.put(staging, early.every[n].rel, data)
        decided[n] = ("written" if written else "same", key, hashlib.sha256(data).hexdigest(), None)


def build_site(config: Config, content: Content, month: Month, output_root: Path,
               batch_folder: Path | None = None, with_search: bool = True, background: bool = False) -> BuildResult:
    """Build into output/.staging/site.<pid>/ (a copy-on-write copy of output/site). Does not swap.
    background: return while the search index is still being made; BuildResult.finish() waits for it (and
    must be called, also when the batch fails: it then only cleans up)."""
    early = _EARLY.pop(str(output_root), None)
    spare = files.spare_folder(config.root, output_root)
    staging: Path | None = None
    bundle: _Search | None = None
    try:
        covers = poster_covers(output_root, month, batch_folder)
        pending = pending_months(config, content, month, output_root, batch_folder)
        settled = _take_early(early, covers, pending) if early is not None else None
        staging = files.open_staging(output_root, spare)
        if settled is not None:
            assert early is not None
            prepared, cache = early.prepared, early.cache
            _write_early(early, staging, settled)
        else:
            with collector_paused():
                prepared = prepare(config, content, month, covers, staging, pending)
            cache = OutputCache(cache_dir(config.root) / "site-outputs.marshal", staging)
        if with_search:
            bundle = _Search(staging, search.documents(prepared.pages, prepared.site.month))
        report = render_into(prepared, staging, cache, bundle.start if bundle is not None else lambda digests: None,
                             settled)
        cache.save()
    except BaseException:
        if bundle is not None:
            bundle.cancel()
        if staging is not None:
            discard(staging)
        raise
    result = BuildResult(staging, len(prepared.pages), report.written, report.removed, report.unchanged, spare,
                         report.reused)
    result.finish = lambda failed=False: _finish(result, bundle, failed)
    if not background:
        result.finish()
    return result


def _finish(result: BuildResult, bundle: _Search | None, failed: bool) -> None:
    """Wait for the search index and count its files; on failure (its own or the batch's), discard the build."""
    if bundle is None:
        return
    if failed:
        bundle.cancel()
        discard(result.staging)
        return
    try:
        made = bundle.finish()
    except BaseException:
        discard(result.staging)
        raise
    result.written = result.written + made.written
    result.removed += made.removed
    result.unchanged += made.unchanged
