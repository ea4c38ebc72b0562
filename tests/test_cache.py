"""The one cache (pipeline.cache): after every kind of change, an incremental batch gives byte for byte the output
of a batch run with --no-cache, and an unchanged project is recognised as up to date.

Each case changes one thing in a built copy of the fixture, runs `xnwl batch` (which must not say 已是最新),
snapshots output/, then runs `xnwl --no-cache batch` and compares. The package and the shipped templates are
copied too (a private checkout on PYTHONPATH), so that code, templates and library versions can be changed
without touching the project.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Callable

import pytest
from PIL import Image

from conftest import FIXTURE, REPO, xnwl

MONTH = "2027-04"
UP_TO_DATE = "已是最新"
FIRST_MONTH_OF_ARCHIVE_CASE = "2027-05"


def output_snapshot(root: Path) -> dict[str, bytes]:
    """Every file of output/ but the lock (held open by no one after a batch, but not part of the result)."""
    out = root / "output"
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != ".batch.lock"}


class Project:
    """A private copy of the fixture content and of the package and shipped templates that build it."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.root = base / "site"
        self.checkout = base / "checkout"
        self.extra_path: list[Path] = []
        self.home = base / "home"
        self.home.mkdir(parents=True, exist_ok=True)

    @classmethod
    def copy_of(cls, source: Project, base: Path) -> Project:
        shutil.copytree(source.base, base, symlinks=True)
        project = cls(base)
        project.extra_path = [base / p.relative_to(source.base) for p in source.extra_path]
        return project

    def env(self) -> dict[str, str]:
        path = os.pathsep.join(str(p) for p in [*self.extra_path, self.checkout])
        return {"PYTHONPATH": path, "HOME": str(self.home), "XNWL_WORKERS": "1"}

    def run(self, *args: str):
        # From the project's base folder: `python -m` puts the working folder first on sys.path, and the
        # repository's own pipeline/ must not shadow the private checkout's.
        return xnwl(*args, root=self.root, cwd=self.base, env=self.env(), timeout=300)

    def batch(self, *options: str, month: str = MONTH):
        return self.run(*options, "batch", "--month", month)


def make_project(base: Path) -> Project:
    project = Project(base)
    shutil.copytree(FIXTURE, project.root)
    shutil.copytree(REPO / "pipeline", project.checkout / "pipeline",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "templates", project.checkout / "templates")
    return project


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = make_project(tmp_path_factory.mktemp("cache") / "p")
    run = project.batch()
    assert run.code == 0, run.text
    return project


@pytest.fixture
def project(built: Project, tmp_path: Path) -> Project:
    return Project.copy_of(built, tmp_path / "p")


def assert_rebuilt_equals_clean(project: Project, month: str = MONTH, reason: str = "") -> dict[str, bytes]:
    """The incremental batch rebuilds (saying why), and its output/ equals that of a --no-cache batch run right after."""
    run = project.batch(month=month)
    assert run.code == 0, run.text
    assert UP_TO_DATE not in run.out, f"the change was not seen: {run.out}"
    assert reason in run.out, run.out
    incremental = output_snapshot(project.root)
    clean = project.batch("--no-cache", month=month)
    assert clean.code == 0, clean.text
    assert UP_TO_DATE not in clean.out
    again = output_snapshot(project.root)
    differing = sorted(name for name in set(incremental) | set(again) if incremental.get(name) != again.get(name))
    assert not differing, f"incremental output differs from --no-cache output: {differing[:10]}"
    return incremental


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def site_text(project: Project) -> str:
    site = project.root / "output" / "site"
    return "".join(p.read_text(encoding="utf-8") for p in sorted(site.rglob("*.html")))


# ---- nothing changed --------------------------------------------------------------------------------------

def test_unchanged_project_is_up_to_date_and_equals_a_clean_build(project: Project) -> None:
    before = output_snapshot(project.root)
    run = project.batch()
    assert run.code == 0, run.text
    assert UP_TO_DATE in run.out
    assert output_snapshot(project.root) == before
    clean = project.batch("--no-cache")
    assert clean.code == 0 and UP_TO_DATE not in clean.out, clean.text
    assert output_snapshot(project.root) == before


def test_manifest_records_the_key_and_the_distributions(project: Project) -> None:
    manifest = json.loads((project.root / "output" / MONTH / "manifest.json").read_text(encoding="utf-8"))
    cache = manifest["cache"]
    assert re.fullmatch(r"[0-9a-f]{64}", cache["key"])
    for name in ("jinja2", "pillow", "pyyaml", "markdown-it-py", "chinesecalendar", "nh3", "icalendar", "segno"):
        assert name in cache["distributions"], name
    assert "content/weekend/04.md" in manifest["inputs"]
    assert any(name.startswith("shipped-templates/site/") for name in manifest["inputs"])
    assert list(cache["files"]) == ["plan/2027.html"]


# ---- the matrix: each change, incremental == --no-cache ---------------------------------------------------

def edit_route(project: Project) -> None:
    route = next(iter(sorted((project.root / "routes").glob("*.md"))))
    text = route.read_text(encoding="utf-8")
    route.write_text(text.rstrip("\n") + "\n\n沿途另有一处观景台，适合拍摄日落。\n", encoding="utf-8")


def add_event(project: Project) -> None:
    source = project.root / "content" / "events" / "2027-04-gala.md"
    text = source.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^id:.*$", "id: 2027-04-tea-fair", text)
    text = re.sub(r"(?m)^title:.*$", "title: 羊楼洞茶文化市集", text)
    (project.root / "content" / "events" / "2027-04-tea-fair.md").write_text(text, encoding="utf-8")


def edit_shipped_template(project: Project) -> None:
    # The fixture has no templates/ of its own: the shipped ones beside the package are what it renders with.
    base = project.checkout / "templates" / "site" / "base.html"
    text = base.read_text(encoding="utf-8")
    base.write_text(text.replace("</body>", "<!-- 模板已修改 --></body>", 1), encoding="utf-8")


def add_own_template(project: Project) -> None:
    own = project.root / "templates" / "site"
    own.mkdir(parents=True)
    text = (project.checkout / "templates" / "site" / "base.html").read_text(encoding="utf-8")
    (own / "base.html").write_text(text.replace("</body>", "<!-- 本局自己的模板 --></body>", 1), encoding="utf-8")


def replace_image(project: Project) -> None:
    image = project.root / "content" / "images" / "sample.png"
    with Image.open(image) as old:
        size = old.size
    Image.new("RGB", size, (200, 40, 40)).save(image)


def edit_config(project: Project) -> None:
    config = project.root / "xnwl.toml"
    text = config.read_text(encoding="utf-8")
    changed = re.sub(r'(?m)^(title\s*=\s*)"([^"]*)"', r'\1"\2（测试）"', text, count=1)
    assert changed != text, "xnwl.toml has no [site] title to change"
    config.write_text(changed, encoding="utf-8")


def simulate_library_upgrade(project: Project) -> None:
    # A distribution's metadata found first on sys.path: importlib.metadata reports chinesecalendar 99.0.
    shadow = project.base / "upgraded"
    info = shadow / "chinesecalendar-99.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: chinesecalendar\nVersion: 99.0\n", encoding="utf-8")
    project.extra_path.insert(0, shadow)


def change_code_without_visible_effect(project: Project) -> None:
    # The YAML loader's code (a stale parse cache once hid such a change) and the route map's (once said 已是最新).
    for module in ("content/sources.py", "channels/site/routemap.py"):
        path = project.checkout / "pipeline" / module
        path.write_text(path.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")


def change_code_with_visible_effect(project: Project) -> None:
    pages = project.checkout / "pipeline" / "channels" / "site" / "pages.py"
    replace_in(pages, '"精品线路"', '"精品旅游线路"')


CHANGES: dict[str, Callable[[Project], None]] = {
    "route-edit": edit_route,
    "added-event": add_event,
    "shipped-template-edit": edit_shipped_template,
    "own-template-added": add_own_template,
    "replaced-image": replace_image,
    "config-change": edit_config,
    "library-version-change": simulate_library_upgrade,
    "code-change": change_code_without_visible_effect,
    "code-change-visible": change_code_with_visible_effect,
}


REASONS = {  # what the batch says it rebuilt for
    "route-edit": "重新生成的原因：输入有变化：routes/",
    "added-event": "重新生成的原因：输入有变化：content/events/2027-04-tea-fair.md",
    "shipped-template-edit": "重新生成的原因：输入有变化：shipped-templates/site/base.html",
    "own-template-added": "重新生成的原因：输入有变化：templates/site/base.html",
    "replaced-image": "重新生成的原因：输入有变化：content/images/sample.png",
    "config-change": "重新生成的原因：输入有变化：xnwl.toml",
    "library-version-change": "重新生成的原因：依赖库的版本有变化：chinesecalendar",
    "code-change": "重新生成的原因：程序（pipeline 程序包）有变化",
    "code-change-visible": "重新生成的原因：程序（pipeline 程序包）有变化",
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_incremental_equals_no_cache_after(change: str, project: Project) -> None:
    before = output_snapshot(project.root)
    CHANGES[change](project)
    after = assert_rebuilt_equals_clean(project, reason=REASONS[change])
    if change not in ("library-version-change", "code-change"):
        assert after != before, "the change should show in the output"


def test_visible_changes_reach_the_output(project: Project) -> None:
    edit_route(project)
    add_event(project)
    edit_shipped_template(project)
    change_code_with_visible_effect(project)
    assert_rebuilt_equals_clean(project)
    text = site_text(project)
    assert "沿途另有一处观景台" in text
    assert "羊楼洞茶文化市集" in text
    assert "<!-- 模板已修改 -->" in text
    assert "精品旅游线路" in text


def test_library_upgrade_is_named(project: Project) -> None:
    simulate_library_upgrade(project)
    run = project.batch()
    assert run.code == 0, run.text
    assert UP_TO_DATE not in run.out
    assert "重新生成的原因：依赖库的版本有变化：chinesecalendar " in run.out and "→ 99.0" in run.out, run.out
    manifest = json.loads((project.root / "output" / MONTH / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["cache"]["distributions"]["chinesecalendar"] == "99.0"


# ---- decisions arriving (as a git pull brings them) -----------------------------------------------------

def test_decisions_file_arriving_updates_review_page_and_site(project: Project, tmp_path: Path) -> None:
    # Approve the guide in another copy of the project, then bring only its decisions file over.
    other = Project.copy_of(project, tmp_path / "other")
    run = other.run("review", "approve", f"wechat/guide-{MONTH}", "--month", MONTH, "--by", "王编辑")
    assert run.code == 0, run.text
    decisions = other.root / "content" / "review" / f"{MONTH}.json"
    assert decisions.is_file()
    page_before = (project.root / "output" / MONTH / "review" / "index.html").read_text(encoding="utf-8")
    (project.root / "content" / "review").mkdir(parents=True, exist_ok=True)
    shutil.copy2(decisions, project.root / "content" / "review" / decisions.name)
    assert_rebuilt_equals_clean(project, reason=f"重新生成的原因：输入有变化：content/review/{MONTH}.json")
    page_after = (project.root / "output" / MONTH / "review" / "index.html").read_text(encoding="utf-8")
    assert page_after != page_before
    assert "王编辑" in page_after


# ---- what the batch reads outside its inputs -------------------------------------------------------------

def test_another_months_batch_in_the_archive_changes_the_key(project: Project) -> None:
    # The site of 2027-05 shows April's covers and approval: April rebuilt from other content makes May's batch
    # stale even when May's own inputs are back to what they were.
    first = project.batch(month=FIRST_MONTH_OF_ARCHIVE_CASE)
    assert first.code == 0, first.text
    add_event(project)
    april = project.batch(month=MONTH)
    assert april.code == 0 and UP_TO_DATE not in april.out, april.text
    (project.root / "content" / "events" / "2027-04-tea-fair.md").unlink()
    assert_rebuilt_equals_clean(project, month=FIRST_MONTH_OF_ARCHIVE_CASE,
                                reason="重新生成的原因：网站存档中其他月份的批次有变化")


def test_hand_edited_output_is_rebuilt(project: Project) -> None:
    before = output_snapshot(project.root)
    page = project.root / "output" / "site" / "index.html"
    page.write_text(page.read_text(encoding="utf-8") + "<!-- 手改 -->", encoding="utf-8")
    run = project.batch()
    assert run.code == 0 and UP_TO_DATE not in run.out, run.text
    assert "重新生成的原因：output/site/ 与这个月上次生成的不同" in run.out
    assert output_snapshot(project.root) == before


def test_another_months_site_is_not_taken_for_this_months(project: Project) -> None:
    # After May's batch, output/site/ is May's: April's batch may not stand on April's manifest alone.
    may = project.batch(month=FIRST_MONTH_OF_ARCHIVE_CASE)
    assert may.code == 0, may.text
    run = project.batch(month=MONTH)
    assert run.code == 0 and UP_TO_DATE not in run.out, run.text


def test_no_cache_is_a_global_option(project: Project) -> None:
    run = project.run("--no-cache", "schedule")
    assert run.code == 1
    assert "--no-cache" in run.err and "--run-now" in run.err
    assert "Traceback" not in run.err
