"""Files under routes/ and content/ -> validated Content. Every problem is collected; nothing raises."""

from __future__ import annotations

import os
import re
from datetime import time
from pathlib import Path
from typing import Any, Callable, Iterator

from pipeline.content.fields import Fields
from pipeline.content.images import read_images
from pipeline.content.model import (
    COUNTY_IDS,
    EVENT_CATEGORIES,
    EVENT_STATUSES,
    STOP_KINDS,
    THEME_IDS,
    Content,
    County,
    Event,
    FromWuhan,
    Guide,
    InputFile,
    Pick,
    Route,
    Stop,
    Theme,
)
from pipeline.content.problems import MISSING, Problem, ProblemList
from pipeline.content.sources import (
    FrontMatterFile,
    SourceText,
    load_yaml,
    read_text,
    relative,
    split_front_matter,
)

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_GUIDE_NAME = re.compile(r"^(?:(\d{4})-)?(\d{2})$")

ROUTE_FIELDS = ("id", "title", "summary", "theme", "counties", "days", "best_months", "stops",
                "from_wuhan", "images", "verified", "sources")
STOP_FIELDS = ("name", "county", "kind", "lnglat", "lnglat_source", "stay", "note")
EVENT_FIELDS = ("id", "title", "summary", "start", "end", "county", "venue", "category", "routes",
                "status", "source", "verified", "images")
GUIDE_FIELDS = ("title", "picks")
PICK_FIELDS = ("route", "event", "reason")
TAXONOMY_FIELDS = ("id", "name", "description", "color")


class _Loader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._resolved_root = root.resolve()
        self.problems = ProblemList()
        self.inputs: dict[str, str] = {}  # sha256 of every file read, by path under root ("" when unreadable)
        # ids of every file that names one, valid or not, so one broken file does not cascade into
        # "not found" errors in every file that refers to it
        self.named: dict[str, set[str]] = {"route": set(), "event": set()}

    def text(self, path: Path) -> SourceText | None:
        source = read_text(self.root, path, self.problems)
        if source is not None:
            self.inputs[source.rel] = source.sha256
        else:
            self.inputs[relative(self.root, path)] = ""
        return source

    def page(self, path: Path) -> FrontMatterFile | None:
        source = self.text(path)
        return split_front_matter(source, self.problems) if source else None

    def pages(self, paths: list[Path]) -> Iterator[FrontMatterFile | None]:
        """page(path) of each path, in order: with many files, read and parsed by forked workers while this
        process validates the ones before (the result, the problems and their order are the same)."""
        from pipeline.parallel import fork_stream

        for rel, digest, page, problems in fork_stream(_read_pages, [(self.root, p) for p in paths], PARALLEL_FROM):
            self.inputs[rel] = digest
            self.problems.items.extend(problems)
            yield page

    def outside(self, path: Path, rel: str) -> bool:
        """Whether path is a link (symlink) to somewhere outside the project: reported as an error, and the
        file is not read (what it points to could be any file of the machine, published on the site)."""
        try:
            path.resolve(strict=True).relative_to(self._resolved_root)
        except (OSError, RuntimeError):
            self.problems.add(rel, "", None, "是无法打开的链接（symlink），请放入真实文件")
            return True
        except ValueError:
            self.problems.add(rel, "", None, "是指向项目之外的链接（symlink），不允许；请把文件本身放进项目")
            return True
        return False

    def markdown_files(self, folder: str) -> list[Path]:
        directory = self.root / folder
        if not directory.is_dir():
            return []
        if directory.is_symlink() and self.outside(directory, f"{folder}/"):
            return []
        files = []
        with os.scandir(directory) as entries:  # one folder: by name is the order of the paths
            for entry in sorted(entries, key=lambda entry: entry.name):
                if entry.name.startswith("."):
                    continue
                path = directory / entry.name
                if entry.is_symlink() and self.outside(path, f"{folder}/{entry.name}"):
                    continue
                if not entry.name.endswith(".md") or not entry.is_file():
                    self.problems.warn(relative(self.root, path), "", None, "不是 .md 文件，已忽略")
                    continue
                files.append(path)
        return files

    # themes.yaml, counties.yaml ------------------------------------------------------------
    def taxonomy(self, name: str, ids: tuple[str, ...], what: str, make: Callable[..., Any]) -> dict[str, Any]:
        path = self.root / "content" / name
        rel = f"content/{name}"
        if not path.is_file():
            self.problems.add(rel, "", None, f"缺少文件：应列出全部{what}（{'、'.join(ids)}）")
            return {}
        if path.is_symlink() and self.outside(path, rel):
            return {}
        source = self.text(path)
        data = load_yaml(source, self.problems) if source else None
        if data is None:
            return {}
        if not isinstance(data, list):
            self.problems.add(rel, "", None, "应为列表，每项含 id、name、description、color")
            return {}
        found: dict[str, Any] = {}
        for index, item in enumerate(data):
            if not isinstance(item, dict):
                self.problems.add(rel, f"[{index}]", item, "应为键值对（id、name、description、color）")
                continue
            fields = Fields(rel, item, self.problems, f"[{index}]")
            fields.check_known(TAXONOMY_FIELDS)
            item_id = fields.choice("id", ids, what)
            name_ = fields.text("name", max_len=16)
            description = fields.text("description", max_len=120)
            color = fields.text("color")
            if color is not None and not _COLOR.match(color):
                fields.bad("color", color, "应为 #RRGGBB 形式的颜色")
                color = None
            if item_id in found:
                fields.bad("id", item_id, f"重复：{what}编号已在前面出现")
                continue
            if None not in (item_id, name_, description, color):
                found[item_id] = make(item_id, name_, description, color)
        for missing in ids:
            if missing not in found and not self.problems.errors_for(rel):
                self.problems.add(rel, "", missing, f"缺少{what}“{missing}”")
        return {key: found[key] for key in ids if key in found}

    # routes/<id>.md ---------------------------------------------------------------------
    def route(self, page: FrontMatterFile | None) -> Route | None:
        if page is None:
            return None
        f = Fields(page.rel, page.meta, self.problems)
        f.check_known(ROUTE_FIELDS)
        route_id = f.slug("id")
        self.named["route"].add(route_id)
        title = f.text("title", max_len=64)
        summary = f.text("summary", max_len=160)
        theme = f.choice("theme", THEME_IDS, "主题编号")
        counties = self.county_list(f, "counties")
        days = f.integer("days", 1, 15)
        best_months = self.month_list(f, "best_months")
        stops = self.stops(f, counties)
        from_wuhan = self.from_wuhan(f)
        images = read_images(f, self.root, self.inputs)
        verified = f.day("verified")
        sources = self.text_list(f, "sources")
        if not page.body.strip():
            f.bad("正文", "", "缺少正文：请在第二个“---”之后写线路介绍")
        if self.problems.errors_for(page.rel):
            return None
        return Route(route_id, title, summary, theme, tuple(counties), days, tuple(best_months), tuple(stops),
                     from_wuhan, images, verified, page.body, page.rel, tuple(sources))

    @staticmethod
    def text_list(f: Fields, key: str) -> list[str]:
        """An optional list of non-empty strings (e.g. a route's `sources`)."""
        texts: list[str] = []
        for index, value in enumerate(f.items(key, required=False)):
            if not isinstance(value, str) or not value.strip():
                f.bad(f"{key}[{index}]", value, "应为一段文字（网址、日期与要点）")
            else:
                texts.append(value.strip())
        return texts

    def county_list(self, f: Fields, key: str) -> list[str]:
        counties: list[str] = []
        raw = f.items(key)
        if f.data.get(key) == []:
            f.bad(key, [], "至少列出一个县市区")
        for index, value in enumerate(raw):
            if value not in COUNTY_IDS:
                f.bad(f"{key}[{index}]", value, f"不是已知的县市区编号；应为：{'、'.join(COUNTY_IDS)}")
            elif value in counties:
                f.bad(f"{key}[{index}]", value, "重复列出")
            else:
                counties.append(value)
        return counties

    def month_list(self, f: Fields, key: str) -> list[int]:
        months: list[int] = []
        raw = f.items(key)
        if f.data.get(key) == []:
            f.bad(key, [], "至少列出一个月份（1–12）")
        for index, value in enumerate(raw):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 12:
                f.bad(f"{key}[{index}]", value, "月份应为 1 到 12 之间的整数")
            elif value not in months:
                months.append(value)
        return sorted(months)

    def stops(self, f: Fields, counties: list[str]) -> list[Stop]:
        stops: list[Stop] = []
        raw = f.items("stops")
        if isinstance(f.data.get("stops"), list) and len(raw) < 2:
            f.bad("stops", len(raw), "一条线路至少要有 2 个站点")
        for index, item in enumerate(raw):
            s = f.nested("stops", index, item)
            if s is None:
                continue
            s.check_known(STOP_FIELDS)
            name = s.text("name", max_len=40)
            county = s.choice("county", COUNTY_IDS, "县市区编号")
            if county is not None and counties and county not in counties:
                s.bad("county", county, f"该站点所在县市区不在线路的 counties 中（{'、'.join(counties)}）")
            kind = s.choice("kind", STOP_KINDS, "站点类型")
            lnglat = self.lnglat(s)
            lnglat_source = s.text("lnglat_source", required=False, max_len=300)
            stay = s.text("stay", required=False, max_len=30)
            note = s.text("note", required=False, max_len=200)
            if name and county and kind:
                stops.append(Stop(name, county, kind, lnglat, stay, note, lnglat_source))
        return stops

    @staticmethod
    def lnglat(s: Fields) -> tuple[float, float] | None:
        value = s.raw("lnglat", False)
        if value is MISSING or value is None:
            return None
        if (not isinstance(value, list) or len(value) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)):
            s.bad("lnglat", value, "应为两个数字 [经度, 纬度]")
            return None
        lng, lat = float(value[0]), float(value[1])
        # Xianning lies around 113.5–114.9 E, 28.9–30.3 N; anything far outside is a swapped or mistyped pair.
        if not (112.5 <= lng <= 116.0 and 28.0 <= lat <= 31.0):
            s.bad("lnglat", value, "坐标不在咸宁附近：应为 [经度, 纬度]，经度约 113.5–114.9，纬度约 28.9–30.3")
            return None
        return (lng, lat)

    def from_wuhan(self, f: Fields) -> FromWuhan:
        data = f.mapping("from_wuhan")
        if data is None:
            return FromWuhan(None, None)
        sub = Fields(f.file, data, self.problems, "from_wuhan")
        sub.check_known(("rail", "drive"))
        rail = sub.text("rail", required=False, max_len=300)
        drive = sub.text("drive", required=False, max_len=300)
        if not rail and not drive:
            f.bad("from_wuhan", data, "至少写一种从武汉出发的方式：rail（铁路）或 drive（自驾）")
        return FromWuhan(rail, drive)

    # content/events/<id>.md ----------------------------------------------------------------
    def event(self, page: FrontMatterFile | None) -> Event | None:
        if page is None:
            return None
        f = Fields(page.rel, page.meta, self.problems)
        f.check_known(EVENT_FIELDS)
        event_id = f.slug("id")
        self.named["event"].add(event_id)
        title = f.text("title", max_len=64)
        summary = f.text("summary", max_len=160)
        start = f.moment("start")
        end = f.moment("end")
        if start and end:
            if (end[0], end[1] or start[1] or _MIDNIGHT) < (start[0], start[1] or _MIDNIGHT):
                f.bad("end", f"{end[0]}" + (f" {end[1]:%H:%M}" if end[1] else ""),
                      f"结束时间早于开始时间（start = {start[0]}" + (f" {start[1]:%H:%M}" if start[1] else "") + "）")
        county = f.choice("county", COUNTY_IDS, "县市区编号")
        venue = f.text("venue", max_len=60)
        category = f.choice("category", EVENT_CATEGORIES, "活动类别")
        routes = self.id_list(f, "routes")
        status = f.choice("status", EVENT_STATUSES, "日期状态")
        source_ref = f.text("source", max_len=300)
        verified = f.day("verified")
        images = read_images(f, self.root, self.inputs)
        if self.problems.errors_for(page.rel):
            return None
        return Event(event_id, title, summary, start[0], end[0], start[1], end[1], county, venue, category,
                     tuple(routes), status, source_ref, verified, images, page.body, page.rel)

    @staticmethod
    def id_list(f: Fields, key: str) -> list[str]:
        values: list[str] = []
        for index, value in enumerate(f.items(key, required=False)):
            if not isinstance(value, str):
                f.bad(f"{key}[{index}]", value, "应为线路编号（文字）")
            else:
                values.append(value)
        return values

    # content/weekend/MM.md or YYYY-MM.md -------------------------------------------------------
    def guide(self, path: Path) -> Guide | None:
        match = _guide_month(path)
        rel = relative(self.root, path)
        if match is None:
            self.problems.add(rel, "文件名", path.name, "周末指南文件名应为 01.md–12.md，或 YYYY-MM.md（只用于某一年的某月）")
            return None
        page = self.page(path)
        if page is None:
            return None
        f = Fields(page.rel, page.meta, self.problems)
        f.check_known(GUIDE_FIELDS)
        title = f.text("title", max_len=64)
        picks: list[Pick] = []
        for index, item in enumerate(f.items("picks")):
            p = f.nested("picks", index, item)
            if p is None:
                continue
            p.check_known(PICK_FIELDS)
            has_route, has_event = "route" in p.data, "event" in p.data
            if has_route == has_event:
                p.bad("", item, "每个推荐项要有且只有一个 route（线路编号）或 event（活动编号）")
                continue
            kind = "route" if has_route else "event"
            ref = p.text(kind)
            reason = p.text("reason", max_len=120)
            if ref and reason:
                picks.append(Pick(kind, ref, reason))
        if not page.body.strip():
            f.bad("正文", "", "缺少本月导语：请在第二个“---”之后写")
        if len(picks) < 4 and not self.problems.errors_for(page.rel):
            self.problems.warn(page.rel, "picks", len(picks), "每月至少推荐 4 处好去处")
        if self.problems.errors_for(page.rel):
            return None
        year = int(match[1]) if match[1] else None
        return Guide(path.stem, int(match[2]), year, title, tuple(picks), page.body, page.rel)

    # cross-file checks -----------------------------------------------------------------------
    def check_unique(self, items: list[Any], what: str) -> dict[str, Any]:
        by_id: dict[str, Any] = {}
        for item in items:
            if item.id in by_id:
                self.problems.add(item.source, "id", item.id, f"{what}编号重复：已在 {by_id[item.id].source} 中使用")
            else:
                by_id[item.id] = item
        return by_id

    def check_references(self, events: dict[str, Event], guides: dict[str, Guide]) -> None:
        for event in events.values():
            for index, ref in enumerate(event.routes):
                if ref not in self.named["route"]:
                    self.problems.add(event.source, f"routes[{index}]", ref, "找不到这条线路（routes/ 下没有这个编号）")
        for guide in guides.values():
            for index, pick in enumerate(guide.picks):
                if pick.ref not in self.named[pick.kind]:
                    folder = "routes/" if pick.kind == "route" else "content/events/"
                    self.problems.add(guide.source, f"picks[{index}].{pick.kind}", pick.ref, f"找不到（{folder} 下没有这个编号）")


_MIDNIGHT = time(0, 0)


PARALLEL_FROM = 300  # front-matter files; fewer are read in this process (forking costs more than it saves)


def _read_pages(items: list[tuple[Path, Path]]) -> list[tuple[str, str, FrontMatterFile | None, list[Problem]]]:
    """Read each file and parse its front matter: (its path, its sha256 or "", the page, the problems found)."""
    found = []
    for root, path in items:
        problems = ProblemList()
        source = read_text(root, path, problems)
        page = split_front_matter(source, problems) if source else None
        found.append((source.rel if source else relative(root, path), source.sha256 if source else "", page,
                      problems.items))
    return found


def _guide_month(path: Path) -> re.Match[str] | None:
    """The name's (year, month) match for a well-named guide file (01.md–12.md, YYYY-MM.md), else None."""
    match = _GUIDE_NAME.match(path.stem)
    return match if match and 1 <= int(match[2]) <= 12 else None


def load_content(root: Path) -> tuple[Content, ProblemList]:
    """Load and validate everything. The Content holds only the items that validated."""
    loader = _Loader(root)
    themes = loader.taxonomy("themes.yaml", THEME_IDS, "主题", Theme)
    counties = loader.taxonomy("counties.yaml", COUNTY_IDS, "县市区", County)
    routes = loader.check_unique([r for page in loader.pages(loader.markdown_files("routes"))
                                  if (r := loader.route(page)) is not None], "线路")
    events = loader.check_unique([e for page in loader.pages(loader.markdown_files("content/events"))
                                  if (e := loader.event(page)) is not None], "活动")
    guides = {g.key: g for p in loader.markdown_files("content/weekend") if (g := loader.guide(p)) is not None}
    loader.check_references(events, guides)
    inputs = tuple(InputFile(path, digest) for path, digest in sorted(loader.inputs.items()))
    content = Content(root, themes, counties, dict(sorted(routes.items())), dict(sorted(events.items())),
                      dict(sorted(guides.items())), inputs)
    return content, loader.problems
