"""The site's pages: what each one is called, where it lives, what it shows and how it is described."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from pipeline import urls
from pipeline.channels.site import jsonld
from pipeline.channels.site.assets import Picture
from pipeline.channels.site.views import SiteData, scene_of
from pipeline.config import Config
from pipeline.plan import Month

HOME = ""
ROUTES = "routes/"
COUNTIES = "counties/"
GUIDES = "weekend/"
EVENTS = "events/"
SEARCH = "search/"
NOT_FOUND = "404.html"
UPCOMING_ON_HOME = 5
# Routes or events on one page of a long list. With the paging links below, a list page of routes or events
# with long titles and summaries stays under the size limit (build.PAGE_LIMIT), however long the list.
PER_PAGE = 12
PAGING_AROUND = 2  # a long list's paging links: the first page, the last, and those this close to the current one
SHORT_LIST = 6  # "related events" and per-theme previews
INDEX_MONTHS = 3  # months listed in full on the events index

Link = tuple[str, str]  # (label, site path)


@dataclass(frozen=True)
class TemplateSite:
    """`site` as templates see it: only the configuration. Everything else reaches a template through its page."""
    config: Config


@dataclass
class Page:
    path: str  # "" for home, "routes/x/" (written as routes/x/index.html) or a file name
    template: str
    title: str
    description: str
    crumbs: list[Link] = field(default_factory=list)  # ancestors, home first; the page itself is added
    vars: dict[str, Any] = field(default_factory=dict)
    image: Picture | None = None
    og_type: str = "website"
    indexed: bool = True  # listed in the sitemap
    searchable: bool = True  # its main content goes into the search index
    absolute_links: bool = False  # the 404 page is served at any address: its links start from the site root
    prev: Link | None = None
    next: Link | None = None
    paging: list[Link | None] = field(default_factory=list)  # a long list's pages (see _paging); None: some left out
    structured: list[dict[str, Any]] = field(default_factory=list)  # JSON-LD of the page's own subject

    @property
    def file(self) -> str:
        return self.path + "index.html" if self.path == "" or self.path.endswith("/") else self.path

    def jsonld(self, site: SiteData | TemplateSite) -> list[dict[str, Any]]:
        extra = [jsonld.breadcrumbs(site.config, self.crumbs + [(self.title, self.path)])] if self.crumbs else []
        return self.structured + extra


def _neighbours(items: list[Link], index: int) -> tuple[Link | None, Link | None]:
    return (items[index - 1] if index > 0 else None, items[index + 1] if index + 1 < len(items) else None)


def _paged(path: str, items: list[Any]) -> list[tuple[str, list[Any]]]:
    """A long list split into pages: path, path/2/, path/3/, ..."""
    chunks = [items[i:i + PER_PAGE] for i in range(0, len(items), PER_PAGE)] or [[]]
    return [(path if n == 0 else f"{path}{n + 1}/", chunk) for n, chunk in enumerate(chunks)]


def _paging(links: list[Link], current: int) -> list[Link | None]:
    """The paging links of page `current` (0-based) of a long list: the first, the last and those near the current
    one, None where pages are left out: at most 2 * PAGING_AROUND + 5 entries, however many pages there are."""
    if len(links) < 2:
        return []
    near = range(current - PAGING_AROUND, current + PAGING_AROUND + 1)
    shown: list[Link | None] = []
    for index, link in enumerate(links):
        if index in near or index in (0, len(links) - 1):
            shown.append(link)
        elif shown[-1] is not None:
            shown.append(None)
    return shown


def _list_pages(first: Page, items: list[Any], key: str) -> list[Page]:
    """first, repeated for each page of items (put under vars[key]); later pages are numbered in their title."""
    parts = _paged(first.path, items)
    links = [(str(n), path) for n, (path, _) in enumerate(parts, 1)]
    pages = []
    for n, (path, chunk) in enumerate(parts, 1):
        page = replace(first, path=path, vars={**first.vars, key: chunk}, paging=_paging(links, n - 1))
        if n > 1:
            page = replace(page, title=f"{first.title}（第{n}页）", prev=None, next=None,
                           structured=[], image=None)
        pages.append(page)
    return pages


def all_pages(site: SiteData) -> list[Page]:
    pages = [home(site), routes_index(site), counties_index(site), guides_index(site), events_index(site),
             search(site), not_found(site)]
    pages += theme_pages(site) + route_pages(site) + county_pages(site) + guide_pages(site)
    pages += event_month_pages(site) + event_pages(site)
    return pages


def home(site: SiteData) -> Page:
    plan = site.plan
    return Page(HOME, "home.html", site.config.site_title,
                f"{site.config.brand_name}：{plan.month.label}周末好去处、近期节庆活动与八大主题精品线路。",
                vars={"plan": plan, "picks": _picks(site, site.month), "intro": first_sentence(plan.guide.body), "upcoming": site.upcoming(limit=UPCOMING_ON_HOME),
                      "themes": [(t, len(site.routes_of_theme(t.id))) for t in site.content.themes.values()],
                      "featured": [site.routes[r.id] for r in plan.featured],
                      "pending": site.month in site.pending, "scene": guide_scene(site, site.month)},
                image=site.cover(f"guide-{site.month}", plan.guide.title),
                structured=[jsonld.website(site.config, SEARCH)])


def guide_scene(site: SiteData, month: Month) -> str:
    """A month's hero scene: the theme of its first route pick."""
    first = next((site.routes[p.ref] for p in site.plans[month].guide.picks if p.kind == "route" and p.ref in site.routes), None)
    return scene_of(first.theme.id if first else None)


def first_sentence(markdown: str) -> str:
    """The first sentence of a guide's introduction, for the home page (plain text, no Markdown marks)."""
    for block in markdown.split("\n\n"):
        block = block.strip()
        if block and block[0] not in "#->|![":
            end = block.find("。")
            return (block[: end + 1] if 0 <= end < 80 else "").replace("*", "").replace("`", "")
    return ""


def _picks(site: SiteData, month: Month) -> list[dict[str, Any]]:
    picks = []
    for pick in site.plans[month].guide.picks:
        if pick.kind == "route" and pick.ref in site.routes:
            picks.append({"kind": "route", "view": site.routes[pick.ref], "reason": pick.reason})
        elif pick.kind == "event" and pick.ref in site.events:
            picks.append({"kind": "event", "view": site.events[pick.ref], "reason": pick.reason})
    return picks


def routes_index(site: SiteData) -> Page:
    groups = [(t, site.routes_of_theme(t.id)[:SHORT_LIST], len(site.routes_of_theme(t.id)))
              for t in site.content.themes.values()]
    return Page(ROUTES, "routes.html", "精品线路", f"咸宁八大主题 {len(site.routes)} 条精品旅游线路，按主题浏览。",
                crumbs=[("首页", HOME)], vars={"groups": groups})


def _group_pages(groups: list[tuple[Any, str, list[Any], list[Any]]], key: str, template: str,
                 crumbs: list[Link]) -> list[Page]:
    """One page (or a few, paged) per theme or county: its routes and upcoming events, prev/next in order."""
    links = [(g.name, path) for g, path, _, _ in groups]
    pages = []
    for index, (group, path, routes, events) in enumerate(groups):
        prev, nxt = _neighbours(links, index)
        first = Page(path, template, group.name, group.description, crumbs=crumbs,
                     vars={key: group, "count": len(routes), "events": events[:SHORT_LIST]}, prev=prev, next=nxt)
        pages += _list_pages(first, routes, "routes")
    return pages


def theme_pages(site: SiteData) -> list[Page]:
    groups = []
    for theme in site.content.themes.values():
        routes = site.routes_of_theme(theme.id)
        route_ids = {v.route.id for v in routes}
        events = site.upcoming([v for v in site.events.values() if route_ids & set(v.event.routes)])
        groups.append((theme, urls.theme_path(theme.id), routes, events))
    return _group_pages(groups, "theme", "theme.html", [("首页", HOME), ("精品线路", ROUTES)])


def route_pages(site: SiteData) -> list[Page]:
    pages = []
    links: dict[str, list[Link]] = {}  # per theme, in order: the neighbours of each route
    position: dict[str, int] = {}
    for theme in {v.route.theme for v in site.routes.values()}:
        siblings = site.routes_of_theme(theme)
        links[theme] = [(v.route.title, v.path) for v in siblings]
        position.update((v.route.id, n) for n, v in enumerate(siblings))
    for view in site.routes.values():
        prev, nxt = _neighbours(links[view.route.theme], position[view.route.id])
        pages.append(Page(view.path, "route.html", view.route.title, view.route.summary,
                          crumbs=[("首页", HOME), ("精品线路", ROUTES), (view.theme.name, urls.theme_path(view.theme.id))],
                          vars={"view": view, "events": site.upcoming(site.events_of_route(view.route.id), SHORT_LIST)},
                          image=view.cover, og_type="article", prev=prev, next=nxt,
                          structured=[jsonld.tourist_trip(site.config, view)]))
    return pages


def counties_index(site: SiteData) -> Page:
    counties = [(c, len(site.routes_of_county(c.id))) for c in site.content.counties.values()]
    return Page(COUNTIES, "counties.html", "县市区", "咸宁市六个县市区的精品线路与节庆活动。",
                crumbs=[("首页", HOME)], vars={"counties": counties})


def county_pages(site: SiteData) -> list[Page]:
    groups = [(c, urls.county_path(c.id), site.routes_of_county(c.id),
               site.upcoming([v for v in site.events.values() if v.event.county == c.id]))
              for c in site.content.counties.values()]
    return _group_pages(groups, "county", "county.html", [("首页", HOME), ("县市区", COUNTIES)])


def guides_index(site: SiteData) -> Page:
    months = [site.plans[m] for m in reversed(site.guide_months)]
    return Page(GUIDES, "guides.html", "周末好去处", "每月一期的咸宁周末出游指南：往期回顾。",
                crumbs=[("首页", HOME)], vars={"plans": months})


def guide_pages(site: SiteData) -> list[Page]:
    months = site.guide_months
    links = [(f"{m.label}", urls.guide_path(m)) for m in months]
    pages = []
    for index, month in enumerate(months):
        plan = site.plans[month]
        prev, nxt = _neighbours(links, index)
        pages.append(Page(urls.guide_path(month), "guide.html", f"{month.label}周末好去处：{plan.guide.title}",
                          f"{month.label}咸宁周末去哪儿：{plan.guide.title}。本月周末与假期、推荐去处和节庆活动。",
                          crumbs=[("首页", HOME), ("周末好去处", GUIDES)],
                          vars={"plan": plan, "picks": _picks(site, month), "events": site.events_in(month)[:PER_PAGE], "event_count": len(site.events_in(month)),
                                "featured": [site.routes[r.id] for r in plan.featured],
                                "events_page": urls.events_month_path(month) if month in site.event_months else None,
                                "pending": month in site.pending, "scene": guide_scene(site, month)},
                          image=site.cover(f"guide-{month}", plan.guide.title), og_type="article",
                          prev=prev, next=nxt))
    return pages


def events_index(site: SiteData) -> Page:
    months = site.event_months
    upcoming = [(m, site.events_in(m)[:SHORT_LIST], len(site.events_in(m))) for m in months if m >= site.month]
    later = [m for m, _, _ in upcoming[INDEX_MONTHS:]]
    upcoming = upcoming[:INDEX_MONTHS]
    past = [m for m in months if m < site.month]
    return Page(EVENTS, "events.html", "活动日历", "咸宁节庆、村晚、非遗与演出活动日历，可加入手机日历。",
                crumbs=[("首页", HOME)], vars={"upcoming": upcoming, "later": later, "past": list(reversed(past))})


def event_month_pages(site: SiteData) -> list[Page]:
    months = site.event_months
    links = [(m.label, urls.events_month_path(m)) for m in months]
    pages = []
    for index, month in enumerate(months):
        events = site.events_in(month)
        prev, nxt = _neighbours(links, index)
        first = Page(urls.events_month_path(month), "events_month.html", f"{month.label}活动日历",
                     f"{month.label}咸宁的 {len(events)} 项节庆与文化活动。",
                     crumbs=[("首页", HOME), ("活动日历", EVENTS)],
                     vars={"month": month, "count": len(events), "tentative": sum(v.event.tentative for v in events),
                           "guide": urls.guide_path(month) if month in site.plans else None},
                     image=site.cover(f"events-{month}", f"{month.label}活动"), prev=prev, next=nxt)
        pages += _list_pages(first, events, "events")
    return pages


def event_pages(site: SiteData) -> list[Page]:
    views = list(site.events.values())
    links = [(v.event.title, v.path) for v in views]
    pages = []
    for index, view in enumerate(views):
        prev, nxt = _neighbours(links, index)
        pages.append(Page(view.path, "event.html", view.event.title, view.event.summary,
                          crumbs=[("首页", HOME), ("活动日历", EVENTS),
                                  (view.month.label, urls.events_month_path(view.month))],
                          vars={"view": view, "related": [site.routes[r.id] for r in view.routes]},
                          image=view.cover, og_type="article", prev=prev, next=nxt,
                          structured=[jsonld.event(site.config, view)]))
    return pages


def search(site: SiteData) -> Page:
    return Page(SEARCH, "search.html", "搜索", "搜索咸宁精品线路、周末好去处与节庆活动。",
                crumbs=[("首页", HOME)], searchable=False)


def not_found(site: SiteData) -> Page:
    return Page(NOT_FOUND, "404.html", "页面不存在", "您要找的页面不存在或已移动。", indexed=False, searchable=False,
                absolute_links=True)
