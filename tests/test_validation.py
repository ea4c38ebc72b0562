"""Bad input: a clear message naming file, field and value; exit 1; no traceback; output/ untouched."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable

import pytest

from conftest import FIXTURE, snapshot, xnwl


def edit(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        path = root / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"fixture changed: {old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return apply


def write(rel: str, data: bytes) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return apply


def symlink_image(root: Path) -> None:
    outside = root / "secret.png"
    (root / "content/images/sample.png").rename(outside)
    os.symlink(outside, root / "content/images/sample.png")


def symlink_route_outside(root: Path) -> None:
    outside = root.parent / "elsewhere.md"  # beside the project, not in it
    (root / ROUTE).rename(outside)
    os.symlink(outside, root / ROUTE)


ROUTE = "routes/chibi-sanguo.md"
EVENT = "content/events/2027-04-azalea.md"
GUIDE = "content/weekend/04.md"

# (name, mutation, file named in the message, field named, a fragment of the explanation)
CASES = [
    ("broken-yaml", edit(ROUTE, "days: 1", "days: [1"), ROUTE, ":", "YAML 格式错误"),
    ("missing-field", edit(ROUTE, "theme: sanguo\n", ""), ROUTE, "theme", "缺少必填字段"),
    ("unknown-field", edit(ROUTE, "days: 1", "days: 1\nbest_month: [4]"), ROUTE, "best_month", "未知字段"),
    ("wrong-type", edit(ROUTE, "days: 1", "days: 一天"), ROUTE, "days", "整数"),
    ("unknown-theme", edit(ROUTE, "theme: sanguo", "theme: history"), ROUTE, "theme", "主题编号"),
    ("unknown-stop-county", edit(ROUTE, "  - name: 赤壁城区\n    county: chibi", "  - name: 赤壁城区\n    county: xianning"),
     ROUTE, "stops[1].county", "县市区编号"),
    ("unknown-route-ref", edit(EVENT, "routes: [xianan-hotspring]", "routes: [no-such-route]"), EVENT, "routes[0]", "找不到"),
    ("unknown-event-ref", edit(GUIDE, "event: 2027-04-azalea", "event: 2027-04-nothing"), GUIDE, "picks[3].event", "找不到"),
    ("duplicate-id", edit("routes/tongshan-cool.md", "id: tongshan-cool", "id: chibi-sanguo"), "routes/", "id", "编号重复"),
    ("bad-slug", edit(ROUTE, "id: chibi-sanguo", "id: Chibi_三国"), ROUTE, "id", "网址安全"),
    ("end-before-start", edit(EVENT, "end: 2027-04-25", "end: 2027-04-01"), EVENT, "end", "结束时间早于开始时间"),
    ("month-out-of-range", edit(ROUTE, "best_months: [3, 4, 5, 10]", "best_months: [3, 13]"), ROUTE, "best_months[1]", "1 到 12"),
    ("image-missing", edit(ROUTE, "src: sample.png", "src: nothing.jpg"), ROUTE, "images[0].src", "不存在"),
    ("image-not-image", write("content/images/sample.png", b"this is not a png"), ROUTE, "images[0].src", "不是可读取的图片"),
    ("image-parent-path", edit(ROUTE, "src: sample.png", "src: ../../xnwl.toml"), ROUTE, "images[0].src", ".."),
    ("image-absolute-path", edit(ROUTE, "src: sample.png", "src: /etc/passwd"), ROUTE, "images[0].src", "绝对路径"),
    ("image-symlink", symlink_image, ROUTE, "images[0].src", "链接"),
    ("route-symlink-outside", symlink_route_outside, ROUTE, "", "项目之外"),
    ("yaml-alias", edit(ROUTE, "days: 1", "days: &d 1\nbest_days: *d"), ROUTE, ":", "锚点"),
    ("non-utf8", write(ROUTE, "---\ntitle: 赤壁\n---\n正文\n".encode("gbk")), ROUTE, "", "UTF-8"),
    ("empty-file", write(EVENT, b""), EVENT, "", "文件为空"),
    ("bad-event-status", edit(EVENT, "status: tentative", "status: maybe"), EVENT, "status", "日期状态"),
    ("bad-datetime", edit(EVENT, "start: 2027-04-10", "start: 2027-04-31"), EVENT, "start", "日期"),
    ("bad-guide-name", write("content/weekend/13.md", b"---\ntitle: x\npicks: []\n---\nx\n"), "content/weekend/13.md",
     "文件名", "01.md–12.md"),
    ("pick-without-target", edit(GUIDE, "  - route: chibi-sanguo\n", "  - place: chibi-sanguo\n"), GUIDE, "picks[0]", "有且只有一个"),
    ("no-front-matter", write(ROUTE, "# 只有正文\n".encode()), ROUTE, "", "---"),
    ("swapped-lnglat", edit(ROUTE, "lnglat: [113.64, 29.86]", "lnglat: [29.86, 113.64]"), ROUTE, "stops[0].lnglat", "经度"),
    ("bad-themes-color", edit("content/themes.yaml", 'color: "#8c2f1b"', 'color: red'), "content/themes.yaml", "[0].color", "#RRGGBB"),
    ("bad-config", edit("xnwl.toml", "day = 20", "day = 31"), "xnwl.toml", "schedule.day", "1 到 28"),
]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture tree with a good 2027-04 batch in output/, built once and copied by each case."""
    root = tmp_path_factory.mktemp("built") / "site"
    shutil.copytree(FIXTURE, root)
    first = xnwl("batch", "--month", "2027-04", root=root)
    assert first.code == 0, first.text
    return root


@pytest.mark.parametrize("name,mutate,file,field,fragment", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_reported_and_output_kept(built: Path, tmp_path: Path, name, mutate, file, field,
                                                fragment) -> None:
    tree = tmp_path / "site"
    shutil.copytree(built, tree, symlinks=True)
    before = snapshot(tree / "output")

    mutate(tree)
    for command in (["validate"], ["batch", "--month", "2027-04"]):
        run = xnwl(*command, root=tree)
        assert run.code == 1, (command, run.text)
        assert "Traceback" not in run.text
        lines = [line for line in run.err.splitlines() if line.startswith("[错误]") and file in line]
        assert lines, f"{name}: no error line names {file}:\n{run.err}"
        assert any(field in line and fragment in line for line in lines), f"{name}:\n{run.err}"
    assert snapshot(tree / "output") == before


def test_every_problem_is_listed_in_one_run(tree: Path) -> None:
    edit(ROUTE, "theme: sanguo", "theme: history")(tree)
    edit(EVENT, "status: tentative", "status: maybe")(tree)
    edit(GUIDE, "event: 2027-04-azalea", "event: 2027-04-nothing")(tree)
    edit("routes/tongshan-cool.md", "days: 2", "days: 0")(tree)
    run = xnwl("validate", root=tree)
    assert run.code == 1
    errors = [line for line in run.err.splitlines() if line.startswith("[错误]")]
    assert len(errors) == 4, run.err
    assert "4 处错误" in run.err


def test_problem_line_shows_value_and_expectation(tree: Path) -> None:
    edit(ROUTE, "  - name: 赤壁城区\n    county: chibi", "  - name: 赤壁城区\n    county: xianning")(tree)
    run = xnwl("validate", root=tree)
    line = next(line for line in run.err.splitlines() if "stops[1].county" in line)
    assert "“xianning”" in line and "xianan" in line and ROUTE in line


def test_broken_yaml_names_the_line(tree: Path) -> None:
    edit(ROUTE, "days: 1", "days: [1")(tree)
    run = xnwl("validate", root=tree)
    line = next(line for line in run.err.splitlines() if ROUTE in line)
    # the front matter starts on line 2; the broken value sits on line 7 of the file
    assert f"{ROUTE}:" in line
    reported = int(line.split(f"{ROUTE}:")[1].split(" ")[0].rstrip("：").split("：")[0])
    assert 7 <= reported <= 9


def test_warnings_do_not_fail(tree: Path) -> None:
    (tree / "content/weekend/05.md").write_text(
        "---\ntitle: 五月\npicks:\n  - route: chibi-sanguo\n    reason: 好。\n---\n五月导语。\n", encoding="utf-8")
    run = xnwl("validate", root=tree)
    assert run.code == 0, run.text
    assert "[提醒] content/weekend/05.md · picks = 1：每月至少推荐 4 处好去处" in run.out


def test_missing_root_is_a_message(tmp_path: Path) -> None:
    run = xnwl("validate", cwd=tmp_path)
    assert run.code == 1
    assert "找不到 xnwl.toml" in run.err and "Traceback" not in run.text
    run = xnwl("validate", root=tmp_path)
    assert run.code == 1 and "--root" in run.err


def test_bad_month_argument(tree: Path) -> None:
    run = xnwl("batch", "--month", "2027-13", root=tree)
    assert run.code == 1
    assert "2027-13" in run.err and "YYYY-MM" in run.err and "Traceback" not in run.text


def test_month_without_guide_fails_cleanly(built: Path, tmp_path: Path) -> None:
    tree = tmp_path / "site"
    shutil.copytree(built, tree, symlinks=True)
    before = snapshot(tree / "output")
    run = xnwl("batch", "--month", "2027-09", root=tree)
    assert run.code == 1 and "content/weekend/09.md" in run.err
    assert snapshot(tree / "output") == before
    assert not (tree / "output/2027-09").exists()


def test_yaml_problems_of_every_file_at_once_with_file_and_line(tmp_path: Path) -> None:
    """Loading (no CLI): broken YAML, an anchor, an unsafe tag and an impossible date in four files, each reported
    with its file and the line in that file, and the other files still loaded."""
    from pipeline.content.load import load_content

    root = tmp_path / "site"
    shutil.copytree(FIXTURE, root)
    edit("routes/tongshan-cool.md", "days: 2", "days: [2")(root)  # line 7 of the file
    edit(EVENT, "venue: 大幕山\n", "venue: &v 大幕山\nsummary_x: *v\n")(root)
    edit(ROUTE, "days: 1", "days: !!python/object:os.system x")(root)
    edit(GUIDE, "title:", "when: 2027-02-30\ntitle:")(root)  # a date YAML would reject: text, an unknown field
    content, problems = load_content(root)
    by_file = {p.file: p for p in problems.errors}
    broken = by_file["routes/tongshan-cool.md"]
    assert "YAML 格式错误" in broken.expected and broken.line in (7, 8)
    anchor = by_file[EVENT]
    lines = (root / EVENT).read_text(encoding="utf-8").split("\n")
    assert "锚点" in anchor.expected and anchor.line == lines.index("venue: &v 大幕山") + 1
    unsafe = by_file[ROUTE]
    lines = (root / ROUTE).read_text(encoding="utf-8").split("\n")
    assert "YAML 格式错误" in unsafe.expected and "python/object" in unsafe.expected
    assert unsafe.line == next(n for n, line in enumerate(lines, 1) if line.startswith("days: !!python"))
    guide = by_file[GUIDE]
    assert guide.field == "when" and guide.value == "2027-02-30"
    for file in ("routes/tongshan-cool.md", EVENT, ROUTE, GUIDE):
        assert [p.file for p in problems.errors].count(file) == 1, file
    assert "tongshan-cool" not in content.routes and "chibi-sanguo" not in content.routes
    assert "xianan-hotspring" in content.routes and "2027-04-azalea" not in content.events and content.events


def test_files_read_by_workers_give_the_same_content_and_problems(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large tree's files are read and parsed by forked workers while this process validates: the content, the
    input digests and every problem, in order, are those of reading them one by one."""
    from pipeline.content.load import load_content

    for _, mutate, *_ in [c for c in CASES if c[0] in ("unknown-theme", "yaml-alias", "bad-datetime")]:
        mutate(tree)
    (tree / "routes" / "broken-gbk.md").write_bytes("---\ntitle: 赤壁\n---\n正文\n".encode("gbk"))
    (tree / "content" / "events" / "empty.md").write_bytes(b"")
    (tree / "routes" / "no-front-matter.md").write_text("# 只有正文\n", encoding="utf-8")
    for n in range(12):  # enough files that every worker gets some
        (tree / "routes" / f"extra-{n:02d}.md").write_text(
            (tree / "routes" / "tongshan-cool.md").read_text(encoding="utf-8").replace(
                "id: tongshan-cool", f"id: tongshan-cool-{n:02d}"), encoding="utf-8")
    monkeypatch.setenv("XNWL_WORKERS", "1")
    one_by_one, problems_one_by_one = load_content(tree)
    monkeypatch.setenv("XNWL_WORKERS", "2")
    monkeypatch.setenv("XNWL_PARALLEL_FROM", "1")
    by_workers, problems_by_workers = load_content(tree)
    assert problems_by_workers.items == problems_one_by_one.items
    assert len(problems_one_by_one.errors) >= 5
    assert by_workers == one_by_one
    assert len(by_workers.routes) >= 12
