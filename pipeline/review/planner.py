"""Year planner: what the guides, featured routes and events cover, month by month, by theme and county.

A theme is seasonal: its season is the months its routes are best in (their best_months, together). A month
out of a theme's season with nothing for it is not a gap (沐泉滑雪 in summer); an empty month in season is.
Counties have no season: a county with half the year empty is a gap."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pipeline.colors import mix, readable_text
from pipeline.config import Config
from pipeline.content.model import Content
from pipeline.content.problems import UserError
from pipeline.outputs_layout import planner_file
from pipeline.plan import Month, make_plan
from pipeline.templates import make_environment


@dataclass(frozen=True)
class CoverageRow:
    id: str
    name: str
    color: str
    counts: tuple[int, ...]  # one per month, January first
    season: tuple[int, ...] = tuple(range(1, 13))  # months (1–12) it is in season: a theme's routes' best_months

    def in_season(self, month: int) -> bool:
        return month in self.season

    def gaps(self) -> list[int]:
        """Months in season with nothing for the row."""
        return [i + 1 for i, c in enumerate(self.counts) if c == 0 and self.in_season(i + 1)]


@dataclass(frozen=True)
class YearCoverage:
    year: int
    guide_titles: tuple[str | None, ...]
    themes: tuple[CoverageRow, ...]
    counties: tuple[CoverageRow, ...]
    totals: tuple[int, ...]  # items per month (guide picks + featured routes + events)

    def cell(self, color: str, count: int, in_season: bool = True) -> tuple[str, str]:
        """Background and text colour of a heat-map cell: darker for more items, white for none in season
        (a gap, in red), grey for none out of season."""
        if count == 0:
            return ("#ffffff", "#8a1c1c") if in_season else ("#ececea", "#595959")
        background = mix(color, 0.2 + 0.8 * min(count, self.peak) / self.peak)
        return background, readable_text(background)

    @property
    def peak(self) -> int:
        return max([1, *(c for row in self.themes + self.counties for c in row.counts)])

    def gaps(self) -> list[str]:
        notes = []
        for index, title in enumerate(self.guide_titles):
            if title is None:
                notes.append(f"{index + 1}月没有周末指南")
        for row in self.themes:
            empty = row.gaps()
            if empty:
                season = "、".join(str(m) for m in row.season) + "月" if len(row.season) < 12 else "全年"
                notes.append(f"{row.name}当季（{season}）有 {len(empty)} 个月没有内容："
                             f"{'、'.join(str(m) for m in empty)}月")
        for row in self.counties:
            empty = row.gaps()
            if len(empty) >= 6:
                notes.append(f"{row.name}全年有 {len(empty)} 个月没有内容（{'、'.join(str(m) for m in empty)}月）")
        return notes


def theme_seasons(content: Content) -> dict[str, tuple[int, ...]]:
    """Each theme's season: the months any of its routes is best in. A theme without routes: all year."""
    months: dict[str, set[int]] = {t: set() for t in content.themes}
    for route in content.routes.values():
        months.setdefault(route.theme, set()).update(m for m in route.best_months if 1 <= m <= 12)
    return {t: tuple(sorted(found)) if found else tuple(range(1, 13)) for t, found in months.items()}


def year_coverage(content: Content, year: int, featured_per_month: int) -> YearCoverage:
    themes = {t: [0] * 12 for t in content.themes}
    seasons = theme_seasons(content)
    counties = {c: [0] * 12 for c in content.counties}
    titles: list[str | None] = []
    totals = [0] * 12
    for index in range(12):
        month = Month(year, index + 1)
        try:
            plan = make_plan(content, month, featured_per_month)
        except UserError:
            titles.append(None)
            continue
        titles.append(plan.guide.title)
        routes = [content.routes[p.ref] for p in plan.guide.picks if p.kind == "route"] + list(plan.featured)
        events = {e.id: e for e in plan.events}  # the month's events, as every channel shows them
        theme_hits: Counter[str] = Counter(r.theme for r in routes)
        county_hits: Counter[str] = Counter(c for r in routes for c in r.counties)
        for event in events.values():
            county_hits[event.county] += 1
            for rid in event.routes:
                theme_hits[content.routes[rid].theme] += 1
        for key, count in theme_hits.items():
            themes[key][index] += count
        for key, count in county_hits.items():
            counties[key][index] += count
        totals[index] = len(routes) + len(events)
    return YearCoverage(
        year,
        tuple(titles),
        tuple(CoverageRow(t.id, t.name, t.color, tuple(themes[t.id]), seasons[t.id]) for t in content.themes.values()),
        tuple(CoverageRow(c.id, c.name, c.color, tuple(counties[c.id])) for c in content.counties.values()),
        tuple(totals),
    )


def render_planner(config: Config, content: Content, year: int) -> bytes:
    """The year planner page (output/plan/<year>.html)."""
    coverage = year_coverage(content, year, config.featured_per_month)
    template = make_environment(config.root, autoescape=True).get_template("review/planner.html")

    def review_href(month: int) -> str:  # from output/plan/<year>.html to output/<YYYY-MM>/review/index.html
        return f"../{coverage.year:04d}-{month:02d}/review/index.html"

    return template.render(config=config, coverage=coverage, months=range(1, 13),
                           review_href=review_href).encode("utf-8")


def planner_path(output_root: Path, year: int) -> Path:
    return output_root / planner_file(year)
