"""Incremental work is only a shortcut: after any single change, a batch that reuses what it can (parsed
content, posters, site pages, search bundle, the staging copy of the site) writes exactly the bytes a clean
batch writes from scratch. The no-op fast path notices a change anywhere the batch reads, and only there."""

from __future__ import annotations

import marshal
import multiprocessing
import os
import re
import shutil
from pathlib import Path
from typing import Callable

import pytest
from PIL import Image

from conftest import FIXTURE, REPO, snapshot, xnwl
from pipeline.content.load import load_content
from pipeline.sourcetree import snapshot as tree_snapshot

MONTH = "2027-04"
# Run the forked paths (parallel parsing, site pages rendered in worker processes) even on this small tree.
FORKED = {"XNWL_PARALLEL_FROM": "1", "XNWL_WORKERS": "2"}


def batch(root: Path) -> str:
    run = xnwl("batch", "--month", MONTH, root=root, env=FORKED)
    assert run.code == 0, run.text
    assert "已写入" in run.out, run.text
    return run.text


def _notes(text: str) -> list[str]:
    return [line for line in text.splitlines() if "提醒" in line]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("incremental") / "site"
    shutil.copytree(FIXTURE, root)
    batch(root)
    return root


def edit_route(root: Path) -> None:
    route = root / "routes" / "tongshan-cool.md"
    route.write_text(route.read_text(encoding="utf-8") + "\n## 补记\n\n山里傍晚起风，带一件外套。\n", encoding="utf-8")


def add_event(root: Path) -> None:
    (root / "content" / "events" / "2027-04-tea-fair.md").write_text(
        "---\nid: 2027-04-tea-fair\ntitle: 羊楼洞砖茶文化节\nsummary: 看压砖茶，喝青砖茶。\nstart: 2027-04-24\n"
        "end: 2027-04-25\ncounty: chibi\nvenue: 羊楼洞古镇\ncategory: festival\nroutes: [chibi-sanguo]\n"
        "status: confirmed\nsource: 测试\nverified: 2027-03-01\n---\n古镇明清石板街上的茶事。\n", encoding="utf-8")


def edit_template(root: Path) -> None:
    target = root / "templates" / "site" / "base.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = (REPO / "templates" / "site" / "base.html").read_text(encoding="utf-8")
    target.write_text(text.replace("线路与活动信息仅供参考", "线路与活动信息以现场为准，仅供参考"), encoding="utf-8")


def edit_poster_template(root: Path) -> None:
    """A template the poster layouts include: every layout made from it (kept in the cache) is stale."""
    target = root / "templates" / "posters" / "_card.j2"
    target.parent.mkdir(parents=True, exist_ok=True)
    text = (REPO / "templates" / "posters" / "_card.j2").read_text(encoding="utf-8")
    assert 'color: "#333333"' in text
    target.write_text(text.replace('color: "#333333"', 'color: "#222222"'), encoding="utf-8")


def delete_file(root: Path) -> None:
    (root / "content" / "weekend" / "2026-10.md").unlink()  # its month's guide page leaves the site


def replace_image(root: Path) -> None:
    Image.new("RGB", (64, 48), (200, 80, 40)).save(root / "content" / "images" / "sample.png")


def retitle_route(root: Path) -> None:
    """Shown beyond its own page: theme and county lists, neighbours' prev/next links, picks, feeds, articles."""
    route = root / "routes" / "chibi-sanguo.md"
    text = route.read_text(encoding="utf-8")
    title = re.search(r"^title: (.+)$", text, re.M)[1]
    route.write_text(text.replace(f"title: {title}", f"title: {title}（新版）", 1), encoding="utf-8")


def locate_stop(root: Path) -> None:
    """A stop gets coordinates: the route's map and JSON-LD (worked out from the route when its page is rendered)."""
    route = root / "routes" / "chibi-sanguo.md"
    text = route.read_text(encoding="utf-8")
    assert "  - name: 陆水湖\n    county: chibi\n" in text
    route.write_text(text.replace("  - name: 陆水湖\n    county: chibi\n",
                                  "  - name: 陆水湖\n    county: chibi\n    lnglat: [113.95, 29.70]\n"), encoding="utf-8")


def edit_config(root: Path) -> None:
    config = root / "xnwl.toml"
    text = config.read_text(encoding="utf-8")
    assert 'title = "咸宁文旅·周末好去处"' in text
    config.write_text(text.replace('title = "咸宁文旅·周末好去处"', 'title = "咸宁文旅·周末去哪儿"'), encoding="utf-8")


def edit_guide_picks(root: Path) -> None:
    """Down to three picks: the guide's pages, home and articles change, and the file now has a warning."""
    guide = root / "content" / "weekend" / "04.md"
    text = guide.read_text(encoding="utf-8")
    guide.write_text(re.sub(r"  - route: tongshan-cool\n    reason: .+\n", "", text), encoding="utf-8")


def edit_guide_body(root: Path) -> None:
    """The guide's first paragraph is its posters' summary (remembered by the body's digest) and opens its article."""
    guide = root / "content" / "weekend" / "04.md"
    text = guide.read_text(encoding="utf-8")
    assert "四月的咸宁，山花烂漫。" in text
    guide.write_text(text.replace("四月的咸宁，山花烂漫。", "四月的咸宁，杜鹃映山红。"), encoding="utf-8")


def _override(root: Path, rel: str, old: str, new: str) -> None:
    """The content tree's own copy of a shipped template, with one change."""
    target = root / "templates" / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    text = (REPO / "templates" / rel).read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new), encoding="utf-8")


def edit_article_template(root: Path) -> None:
    """A part every article includes: the WeChat-safe pass and its checks (remembered by the HTML) see new HTML."""
    _override(root, "wechat/_parts.html.j2", '<span class="label">地点：</span>', '<span class="label">地址：</span>')


def edit_planner_template(root: Path) -> None:
    """The year planner (output/plan/, kept by the fingerprint of its templates and values)."""
    _override(root, "review/planner.html", "年内容规划</h1>", "年内容规划表</h1>")


def edit_picked_route_summary(root: Path) -> None:
    """A featured route's summary is on its posters and article: those are laid out and drawn again, the rest reused."""
    route = root / "routes" / "chibi-sanguo.md"
    text = route.read_text(encoding="utf-8")
    summary = re.search(r"^summary: (.+)$", text, re.M)[1]
    route.write_text(text.replace(f"summary: {summary}", f"summary: {summary}（含新开放的展馆）", 1), encoding="utf-8")


CHANGES: dict[str, Callable[[Path], None]] = {
    "route-edited": edit_route, "event-added": add_event, "template-edited": edit_template,
    "poster-template-edited": edit_poster_template,
    "file-deleted": delete_file, "image-replaced": replace_image,
    "route-retitled": retitle_route, "stop-located": locate_stop, "config-edited": edit_config, "guide-picks-edited": edit_guide_picks,
    "guide-body-edited": edit_guide_body, "article-template-edited": edit_article_template,
    "planner-template-edited": edit_planner_template, "route-summary-edited": edit_picked_route_summary,
}


def warmed(built: Path, tmp_path: Path) -> Path:
    """A copy of the built tree whose caches belong to its own path (fingerprints name the content root)."""
    root = tmp_path / "site"
    shutil.copytree(built, root)
    run = xnwl("batch", "--month", MONTH, "--force", root=root, env=FORKED)
    assert run.code == 0, run.text
    return root


@pytest.mark.parametrize("change", list(CHANGES))
def test_incremental_batch_equals_a_clean_batch(built: Path, tmp_path: Path, change: str) -> None:
    root = warmed(built, tmp_path)  # the same path for both builds: outputs may name files by absolute path
    CHANGES[change](root)

    incremental_run = batch(root)
    incremental = snapshot(root / "output")

    shutil.rmtree(root / "output")
    shutil.rmtree(root / "state")
    clean_run = batch(root)
    clean = snapshot(root / "output")

    assert _notes(incremental_run) == _notes(clean_run)  # the same warnings, from cached objects or not

    assert sorted(incremental) == sorted(clean)
    differing = [rel for rel in clean if incremental[rel] != clean[rel]]
    assert differing == [], f"after {change}, these differ from a clean batch: {differing}"


def test_a_body_image_credit_edit_equals_a_clean_batch(built: Path, tmp_path: Path) -> None:
    """An image shown in a featured route's body: its article HTML is remembered by the body and the item's
    images (src, alt, credit), so a new credit alone makes it anew."""
    root = warmed(built, tmp_path)
    route = root / "routes" / "tongshan-cool.md"  # featured in the month
    text = route.read_text(encoding="utf-8")
    assert "images: []\n" in text
    route.write_text(text.replace("images: []\n", "images:\n  - src: sample.png\n    alt: 山里\n    credit: 测试图片\n")
                     + "\n![山里](sample.png)\n", encoding="utf-8")
    batch(root)
    text = route.read_text(encoding="utf-8")
    assert "credit: 测试图片\n" in text
    route.write_text(text.replace("credit: 测试图片\n", "credit: 测试图片二\n"), encoding="utf-8")
    incremental_run = batch(root)
    incremental = snapshot(root / "output")
    article = (root / "output" / MONTH / "wechat" / "route-tongshan-cool.html").read_text(encoding="utf-8")
    assert article.count("测试图片二") >= 2  # the cover image and the one in the body

    shutil.rmtree(root / "output")
    shutil.rmtree(root / "state")
    clean_run = batch(root)
    assert _notes(incremental_run) == _notes(clean_run)
    clean = snapshot(root / "output")
    assert sorted(incremental) == sorted(clean)
    assert [rel for rel in clean if incremental[rel] != clean[rel]] == []


def test_posters_of_unchanged_inputs_are_taken_from_the_last_batch(built: Path, tmp_path: Path) -> None:
    """A route's body is on no poster: every poster (and the index) is the last batch's file, linked, not laid out
    or drawn again; nothing new is remembered about photos, paragraphs or articles' HTML that did not change."""
    root = warmed(built, tmp_path)
    posters = root / "output" / MONTH / "posters"
    cache = root / "state" / "cache"
    before = {p.name: p.stat().st_ino for p in posters.iterdir()}
    kept = {name: (cache / name).stat().st_mtime_ns for name in ("poster-layouts.pickle", "poster-inputs.marshal")}
    edit_route(root)
    batch(root)
    assert {p.name: p.stat().st_ino for p in posters.iterdir()} == before
    assert {name: (cache / name).stat().st_mtime_ns for name in kept} == kept


def test_after_a_small_edit_the_site_equals_a_clean_one(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.channels.site.standalone import build_and_swap
    from pipeline.plan import Month

    root = warmed(built, tmp_path)
    edit_route(root)
    for name, value in {**FORKED, "XNWL_WORKERS": "1"}.items():
        monkeypatch.setenv(name, value)
    build_and_swap(root, Month.parse(MONTH))
    site = root / "output" / "site"
    incremental = snapshot(site)

    shutil.rmtree(site)
    shutil.rmtree(root / "state")
    build_and_swap(root, Month.parse(MONTH))
    clean = snapshot(site)
    assert sorted(incremental) == sorted(clean)
    assert [rel for rel in clean if incremental[rel] != clean[rel]] == []


def retitle_featured_route(root: Path) -> None:
    """A route featured this month: its article's cover poster shows the new title."""
    route = root / "routes" / "tongshan-cool.md"
    text = route.read_text(encoding="utf-8")
    title = re.search(r"^title: (.+)$", text, re.M)[1]
    route.write_text(text.replace(f"title: {title}", f"title: {title}·夏", 1), encoding="utf-8")


def test_a_damaged_search_index_is_made_whole_again_after_a_small_edit(built: Path, tmp_path: Path) -> None:
    """A file of the index the edit does not touch, lost or altered, is written again; the site equals a clean one."""
    root = warmed(built, tmp_path)
    site = root / "output" / "site"
    victim = site / "search-index" / "d" / "0.json"
    victim.unlink()
    (site / "search-index" / "p" / "0.json").write_bytes(b"{}")
    edit_route(root)
    batch(root)
    assert victim.is_file()
    incremental = snapshot(root / "output")
    shutil.rmtree(root / "output")
    shutil.rmtree(root / "state")
    batch(root)
    clean = snapshot(root / "output")
    assert sorted(incremental) == sorted(clean)
    assert [rel for rel in clean if incremental[rel] != clean[rel]] == []


@pytest.mark.parametrize("where", ["templates/site/extra.html", "content/images/new.png", "xnwl.toml",
                                   "content/counties.yaml"])
def test_any_input_change_ends_the_fast_path(built: Path, tmp_path: Path, where: str) -> None:
    root = tmp_path / "site"
    shutil.copytree(built, root)
    path = root / where
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.write_bytes(path.read_bytes() + b"\n# \n")
    else:
        path.write_bytes(b"<p>x</p>\n")
    run = xnwl("batch", "--month", MONTH, root=root)
    assert run.code == 0, run.text
    # The full check then decides: a file nothing reads (an unused template or image) leaves the month as it is.
    assert "[1/" in run.out and "校验内容 完成" in run.out, run.text


def test_inbox_changes_keep_the_fast_path(built: Path, tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(built, root)
    inbox = root / "content" / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "candidate.md").write_text("---\ntitle: 候选\n---\n正文\n", encoding="utf-8")
    run = xnwl("batch", "--month", MONTH, root=root)
    assert run.code == 0 and "已是最新" in run.out, run.text
    assert "校验内容 完成" not in run.out


def test_a_rewrite_in_the_same_second_is_seen(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    (root / "routes").mkdir(parents=True)
    page = root / "routes" / "a.md"
    page.write_text("one\n", encoding="utf-8")
    first = tree_snapshot(root)
    assert "routes/a.md" not in first.files  # just written: its stat is not trusted next time
    page.write_text("two\n", encoding="utf-8")  # same size, very likely the same mtime
    assert tree_snapshot(root, first.files).digest != first.digest
    # An old file is trusted by its stat only while size, inode and ctime are all unchanged.
    old = tree_snapshot(root).files
    os.utime(page, ns=(1_000_000_000, 1_000_000_000))
    aged = tree_snapshot(root, old)
    forged = {"routes/a.md": ((page.stat().st_size, 0, page.stat().st_ino), "0" * 64)}
    assert tree_snapshot(root, forged).digest == aged.digest


def test_parse_cache_gives_the_same_content_and_reports_yaml_errors_every_time(tmp_path: Path) -> None:
    root = tmp_path / "site"
    shutil.copytree(FIXTURE, root)
    cache = tmp_path / "cache"
    plain, plain_problems = load_content(root)
    cold, _ = load_content(root, cache)
    warm, _ = load_content(root, cache)
    assert plain == cold == warm and (cache / "parsed.marshal").is_file()

    broken = root / "routes" / "tongshan-cool.md"
    broken.write_text(broken.read_text(encoding="utf-8").replace("title:", "title: [未闭合", 1), encoding="utf-8")
    for _ in range(2):
        _, problems = load_content(root, cache)
        errors = [p for p in problems.errors if p.file == "routes/tongshan-cool.md"]
        assert errors and errors[0].line is not None and "YAML" in errors[0].expected


def test_front_matter_parsed_on_other_cores_gives_what_one_process_gives(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files read and parsed by forked workers and taken as they come: the same content and the same problems
    (a file that cannot be read; broken YAML is parsed again here, so its line is reported)."""
    from pipeline.content import load

    root = tmp_path / "site"
    shutil.copytree(FIXTURE, root)
    broken = root / "routes" / "tongshan-cool.md"
    broken.write_text(broken.read_text(encoding="utf-8").replace("title:", "title: [未闭合", 1), encoding="utf-8")
    (root / "content" / "events" / "empty.md").write_bytes(b"")
    monkeypatch.setenv("XNWL_WORKERS", "1")
    alone, alone_problems = load_content(root, tmp_path / "cache-alone")

    streams: list[int] = []
    real_stream = load.fork_stream
    monkeypatch.setattr(load, "fork_stream", lambda func, items, least: streams.append(len(items))
                        or real_stream(func, items, least))
    monkeypatch.setenv("XNWL_WORKERS", "2")
    monkeypatch.setenv("XNWL_PARALLEL_FROM", "1")
    forked, forked_problems = load_content(root, tmp_path / "cache-forked")
    assert streams and streams[0] >= 7  # the routes, the events (the empty one too) and the guides
    assert forked == alone
    assert [p.render() for p in forked_problems.sorted()] == [p.render() for p in alone_problems.sorted()]
    errors = [p for p in forked_problems.errors if p.file == "routes/tongshan-cool.md"]
    assert errors and errors[0].line is not None and "YAML" in errors[0].expected
    kept = [marshal.loads((tmp_path / name / "parsed.marshal").read_bytes())
            for name in ("cache-alone", "cache-forked")]
    assert kept[0] == kept[1] and len(kept[0][1]) >= 6


def test_fork_stream_gives_results_in_order_and_can_stop_early(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.parallel import fork_stream

    monkeypatch.setenv("XNWL_WORKERS", "2")
    items = list(range(500))
    assert list(fork_stream(_squares, items, 1)) == [n * n for n in items]
    stream = fork_stream(_squares, items, 1)
    assert [next(stream) for _ in range(3)] == [0, 1, 4]
    stream.close()
    assert not multiprocessing.active_children()  # the workers have ended


def _squares(chunk: list[int]) -> list[int]:
    return [n * n for n in chunk]


def test_built_objects_give_the_same_content_and_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Objects taken from state/cache/built.pickle: the same content, the same warnings in the same order, and the
    checks across files (duplicate ids, references) still made on every object."""
    from pipeline.content import load

    root = tmp_path / "site"
    shutil.copytree(FIXTURE, root)
    guide = root / "content" / "weekend" / "04.md"
    guide.write_text(re.sub(r"  - route: tongshan-cool\n    reason: .+\n", "", guide.read_text(encoding="utf-8")),
                     encoding="utf-8")  # a warning
    twin = root / "routes" / "zz-twin.md"
    twin.write_text((root / "routes" / "tongshan-cool.md").read_text(encoding="utf-8"), encoding="utf-8")  # same id
    event = root / "content" / "events" / "2027-04-azalea.md"
    event.write_text(event.read_text(encoding="utf-8").replace("routes: [", "routes: [no-such-route, ", 1),
                     encoding="utf-8")
    cache = tmp_path / "cache"
    plain, plain_problems = load_content(root)
    cold, cold_problems = load_content(root, cache)
    assert (cache / "built.pickle").is_file()

    built_again: list[str] = []
    for kind in ("route", "event", "guide"):
        make = getattr(load._Loader, kind)
        monkeypatch.setattr(load._Loader, kind, lambda self, path, make=make: built_again.append(path.name) or make(self, path))
    warm, warm_problems = load_content(root, cache)
    # every valid file came from the cache (the event with a bad reference is valid on its own, so it did too),
    # except a route with images: those are checked and hashed every time
    with_images = sorted(Path(r.source).name for r in plain.routes.values() if r.images)
    assert with_images == ["chibi-sanguo.md"] and built_again == with_images
    assert plain == cold == warm
    rendered = [p.render() for p in plain_problems.sorted()]
    assert rendered == [p.render() for p in cold_problems.sorted()] == [p.render() for p in warm_problems.sorted()]
    assert any("每月至少推荐 4 处" in line for line in rendered)
    assert any("线路编号重复" in line for line in rendered) and any("no-such-route" in line for line in rendered)

    # a changed file is built again, the others are not; known digests (the batch's snapshot) are trusted
    edit_route(root)
    known = tree_snapshot(root).digests
    changed, _ = load_content(root, cache, known)
    assert built_again == with_images * 2 + ["tongshan-cool.md"]
    assert "补记" in changed.routes["tongshan-cool"].body and changed.routes["xianan-hotspring"] == plain.routes["xianan-hotspring"]


def test_built_cache_of_other_code_or_damaged_is_not_used(tmp_path: Path) -> None:
    from pipeline.content import built

    root = tmp_path / "site"
    shutil.copytree(FIXTURE, root)
    cache = tmp_path / "cache"
    plain, _ = load_content(root, cache)
    stored = built.BuiltCache(cache).stored
    assert stored and all(isinstance(v, bytes) for v in stored.values())
    built.write_entries(cache / built.CACHE_NAME, "built-v0|other code", stored.items())
    assert built.BuiltCache(cache).stored == {}
    (cache / built.CACHE_NAME).write_bytes(b"\x00garbage")
    assert built.BuiltCache(cache).stored == {}
    built.write_entries(cache / built.CACHE_NAME, built._stamp(), stored.items())
    assert built.BuiltCache(cache).stored == stored
    (cache / built.CACHE_NAME).write_bytes((cache / built.CACHE_NAME).read_bytes()[:-5])  # cut short
    assert built.BuiltCache(cache).stored == {}
    again, _ = load_content(root, cache)
    assert again == plain and built.BuiltCache(cache).stored.keys() == stored.keys()
