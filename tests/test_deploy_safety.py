"""`xnwl site deploy DIR` never deletes or overwrites what it did not write.

Every test runs inside its own tmp folder with HOME pointed at a tmp folder. Each refusal asserts the exit code,
the message, and that every byte that was there before is still there.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from conftest import xnwl
from publishing import built_publishable

MONTH = "2027-04"
MARKER = ".xnwl-deploy.json"
ALLOWED = "xnwl site deploy 只写入不存在的文件夹、空文件夹，或它以前写出的文件夹（含 .xnwl-deploy.json）。"
UNTOUCHED = "目标目录没有任何改动。"


def approve(root: Path, item: str, month: str = MONTH) -> None:
    run = xnwl("review", "approve", item, "--month", month, "--by", "张三", root=root)
    assert run.code == 0, run.text


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = built_publishable(tmp_path_factory, MONTH, "2027-05")
    approve(root, f"wechat/guide-{MONTH}")
    return root


@pytest.fixture
def place(built: Path, tmp_path: Path) -> dict:  # type: ignore[type-arg]
    """A private copy of the project at tmp/work/site, a file beside it, and a fake home folder with files."""
    work = tmp_path / "work"
    root = work / "site"
    shutil.copytree(built, root)
    (work / "beside.txt").write_text("一个放在项目旁边的文件\n", encoding="utf-8")
    home = tmp_path / "home"
    (home / "文档").mkdir(parents=True)
    (home / "文档" / "计划.txt").write_text("别删我\n", encoding="utf-8")
    (home / ".bashrc").write_text("export A=1\n", encoding="utf-8")
    return {"root": root, "work": work, "home": home, "tmp": tmp_path, "env": {"HOME": str(home)}}


def every_byte(*folders: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and folder (None) under these folders, by absolute path."""
    found: dict[str, bytes | None] = {}
    for folder in folders:
        if folder.is_file():
            found[str(folder)] = folder.read_bytes()
            continue
        for path in [folder, *sorted(folder.rglob("*"))]:
            found[str(path)] = path.read_bytes() if path.is_file() and not path.is_symlink() else None
    return found


def deploy(place: dict, *args: str, cwd: Path | None = None):  # type: ignore[no-untyped-def,type-arg]
    return xnwl("site", "deploy", *args, "--no-search", root=None if cwd else place["root"], cwd=cwd,
                env=place["env"])


def no_leftovers(folder: Path) -> None:
    assert not [p.name for p in folder.iterdir() if ".xnwl-deploy-" in p.name or ".xnwl-old-" in p.name]


# refused, whatever is inside ---------------------------------------------------------------------
@pytest.mark.parametrize(("target", "reason"), [
    ("routes", "它在项目目录 {root} 里面（routes/、content/、output/ 等都在这里）"),
    ("content/review", "它在项目目录 {root} 里面（routes/、content/、output/ 等都在这里）"),
    (".git", "它在项目目录 {root} 里面（routes/、content/、output/ 等都在这里）"),
    ("output/site", "它在项目目录 {root} 里面（routes/、content/、output/ 等都在这里）"),
    (".", "这是项目目录本身"),
    ("..", "它包含项目目录 {root}"),
])
def test_project_and_its_parents_and_children_are_refused(place: dict, target: str, reason: str) -> None:  # type: ignore[type-arg]
    root = place["root"]
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    assert (root / "content/review" / f"{MONTH}.json").is_file() and len(list((root / "routes").iterdir())) == 3
    before = every_byte(place["work"], place["home"])
    run = deploy(place, target, cwd=root)
    resolved = (root / target).resolve()
    assert run.code == 1, run.text
    assert run.err.strip() == f"不能发布到 {resolved}：{reason.format(root=root)}。{ALLOWED}请另选一个专用的文件夹。{UNTOUCHED}"
    assert "Traceback" not in run.text and run.out == ""
    assert every_byte(place["work"], place["home"]) == before
    no_leftovers(resolved.parent)


def test_home_folder_and_its_parent_are_refused(place: dict) -> None:  # type: ignore[type-arg]
    home = place["home"]
    before = every_byte(place["tmp"])
    run = deploy(place, str(home))
    assert run.code == 1
    assert run.err.strip() == f"不能发布到 {home}：这是用户主目录（HOME）。{ALLOWED}请另选一个专用的文件夹。{UNTOUCHED}"
    # a folder that holds the home folder (and not the project)
    holder = place["tmp"] / "users"
    (holder / "me").mkdir(parents=True)
    (holder / "me" / "照片.txt").write_text("x", encoding="utf-8")
    before = every_byte(place["tmp"])
    run = xnwl("site", "deploy", str(holder), "--no-search", root=place["root"], env={"HOME": str(holder / "me")})
    assert run.code == 1
    assert f"不能发布到 {holder}：它包含用户主目录 {holder / 'me'}。" in run.err
    assert every_byte(place["tmp"]) == before


def test_filesystem_root_is_refused(place: dict) -> None:  # type: ignore[type-arg]
    run = deploy(place, "/")
    assert run.code == 1 and run.err.strip() == f"不能发布到 /：这是文件系统的根目录。{ALLOWED}请另选一个专用的文件夹。{UNTOUCHED}"


def test_a_git_repository_is_refused(place: dict) -> None:  # type: ignore[type-arg]
    repo = place["tmp"] / "website"
    (repo / ".git" / "refs").mkdir(parents=True)
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    (repo / MARKER).write_text(json.dumps({"tool": "xnwl site deploy", "files": {}}), encoding="utf-8")  # even so
    (repo / "index.html").write_text("<p>别人的网站</p>", encoding="utf-8")
    before = every_byte(place["tmp"])
    run = deploy(place, str(repo))
    assert run.code == 1
    assert run.err.strip() == f"不能发布到 {repo}：它是一个 git 仓库（含 .git）。{ALLOWED}请另选一个专用的文件夹。{UNTOUCHED}"
    run = deploy(place, str(repo / ".git"))
    assert run.code == 1
    assert run.err.strip() == (f"不能发布到 {repo / '.git'}：它是 git 仓库的 .git 文件夹。{ALLOWED}"
                               f"请另选一个专用的文件夹。{UNTOUCHED}")
    assert every_byte(place["tmp"]) == before
    no_leftovers(place["tmp"])


def test_a_link_to_the_project_is_refused(place: dict) -> None:  # type: ignore[type-arg]
    link = place["tmp"] / "public"
    link.symlink_to(place["root"] / "routes")
    before = every_byte(place["work"])
    run = deploy(place, str(link))
    assert run.code == 1 and f"不能发布到 {place['root'] / 'routes'}：它在项目目录" in run.err
    assert every_byte(place["work"]) == before


# refused because of what is inside ---------------------------------------------------------------
def test_an_unrelated_folder_is_refused(place: dict) -> None:  # type: ignore[type-arg]
    other = place["tmp"] / "资料"
    other.mkdir()
    (other / "notes.txt").write_text("会议记录\n", encoding="utf-8")
    before = every_byte(place["tmp"])
    run = deploy(place, str(other))
    assert run.code == 1
    assert run.err.strip() == (f"不能发布到 {other}：这个文件夹不是空的（其中有 notes.txt），也不是 xnwl site deploy 写出的"
                               f"（没有 {MARKER}）。{ALLOWED}请另选一个空文件夹或一个不存在的文件夹名。{UNTOUCHED}")
    assert every_byte(place["tmp"]) == before
    no_leftovers(place["tmp"])


def test_an_existing_plain_file_is_refused(place: dict) -> None:  # type: ignore[type-arg]
    plain = place["tmp"] / "public.html"
    plain.write_text("<p>已经在那里的文件</p>", encoding="utf-8")
    before = every_byte(place["tmp"])
    run = deploy(place, str(plain))
    assert run.code == 1
    assert run.err.strip() == f"不能发布到 {plain}：这是一个已有的文件，不是文件夹。{ALLOWED}请另选一个文件夹。{UNTOUCHED}"
    assert every_byte(place["tmp"]) == before


def test_a_damaged_marker_is_refused(place: dict) -> None:  # type: ignore[type-arg]
    target = place["tmp"] / "public"
    target.mkdir()
    (target / MARKER).write_text('{"tool": "xnwl site deploy", "files": {"../../etc/passwd": "x"}}', encoding="utf-8")
    (target / "index.html").write_text("x", encoding="utf-8")
    before = every_byte(place["tmp"])
    run = deploy(place, str(target))
    assert run.code == 1 and f"不能发布到 {target}：其中的 {MARKER} 已损坏" in run.err and UNTOUCHED in run.err
    assert every_byte(place["tmp"]) == before


# written ------------------------------------------------------------------------------------------
def _marker(target: Path) -> dict[str, str]:
    return json.loads((target / MARKER).read_text(encoding="utf-8"))["files"]


@pytest.mark.parametrize("empty", [False, True])
def test_absent_or_empty_target_is_written_with_its_marker(place: dict, empty: bool) -> None:  # type: ignore[type-arg]
    target = place["tmp"] / "out" / "public"
    if empty:
        target.mkdir(parents=True)
    run = deploy(place, str(target))
    assert run.code == 0, run.text
    assert f"已发布网站到 {target}" in run.out
    listed = _marker(target)
    files = {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()} - {MARKER}
    assert set(listed) == files and "index.html" in files and f"weekend/{MONTH}/index.html" in files
    assert all(hashlib.sha256((target / rel).read_bytes()).hexdigest() == sha for rel, sha in listed.items())
    assert oct(target.stat().st_mode & 0o777) != oct(0o700)  # not the temporary folder's private mode
    no_leftovers(target.parent)


def test_redeploy_removes_only_its_own_files_and_keeps_hand_added_ones(place: dict) -> None:  # type: ignore[type-arg]
    root, target = place["root"], place["tmp"] / "public"
    run = deploy(place, str(target), "--force", "--by", "王五")  # April and the unapproved May
    assert run.code == 0, run.text
    may = target / "weekend/2027-05/index.html"
    assert may.is_file()
    (target / "notes.txt").write_text("上传说明：别删\n", encoding="utf-8")
    (target / "weekend/2027-05/手工.html").write_text("<p>手工页面</p>", encoding="utf-8")
    (target / "空文件夹").mkdir()
    hand = every_byte(target / "notes.txt", target / "weekend/2027-05/手工.html")

    dry = deploy(place, str(target), "--dry-run")
    assert dry.code == 0, dry.text
    assert "试运行：没有写入任何文件" in dry.out and "  weekend/2027-05/index.html" in dry.out
    assert "删除 " in dry.out and "  notes.txt" in dry.out
    assert may.is_file() and json.loads((root / "content/review/2027-05.json").read_text())["overrides"]

    run = deploy(place, str(target))  # May is not approved: its pages go, the hand-made files stay
    assert run.code == 0, run.text
    assert not may.exists() and (target / f"weekend/{MONTH}/index.html").is_file()
    assert every_byte(target / "notes.txt", target / "weekend/2027-05/手工.html") == hand
    assert (target / "空文件夹").is_dir()
    assert "保留了 2 个不是发布写出的" in run.out and "  notes.txt" in run.out and "  weekend/2027-05/手工.html" in run.out
    assert "notes.txt" not in _marker(target) and "weekend/2027-05/index.html" not in _marker(target)
    assert "未通过审核、没有发布的月份：2027年5月" in run.out
    no_leftovers(target.parent)


def test_dry_run_writes_nothing(place: dict) -> None:  # type: ignore[type-arg]
    target = place["tmp"] / "public"
    before = every_byte(place["tmp"])
    run = deploy(place, str(target), "--dry-run", "--force", "--by", "王五")
    assert run.code == 0, run.text
    assert "试运行：没有写入任何文件" in run.out and "新增 " in run.out and "  index.html" in run.out
    assert every_byte(place["tmp"]) == before  # no target, no override recorded, nothing beside it


@pytest.mark.parametrize("hand_made", ["weekend/2027-05/index.html", "weekend/2027-05"])
def test_a_failure_leaves_the_previous_deploy_as_it_was(place: dict, hand_made: str) -> None:  # type: ignore[type-arg]
    target = place["tmp"] / "public"
    assert deploy(place, str(target)).code == 0
    # someone put a file where the new site needs a file or folder of its own: the deploy stops after
    # building, before the switch
    approve(place["root"], "wechat/guide-2027-05", "2027-05")
    (target / hand_made).parent.mkdir(parents=True, exist_ok=True)
    (target / hand_made).write_text("<p>手工</p>", encoding="utf-8")
    before = every_byte(place["tmp"] / "public")
    run = deploy(place, str(target))
    assert run.code == 1 and "Traceback" not in run.text
    assert f"不能发布到 {target}：其中有不是发布时写出的文件，与网站的文件同名（{hand_made}）" in run.err
    assert every_byte(place["tmp"] / "public") == before
    no_leftovers(place["tmp"])


# the gate -----------------------------------------------------------------------------------------
def test_a_route_changed_after_approval_is_not_published(place: dict) -> None:  # type: ignore[type-arg]
    root, target = place["root"], place["tmp"] / "public"
    assert deploy(place, str(target)).code == 0
    published = every_byte(target)
    route = root / "routes/chibi-sanguo.md"
    route.write_text(route.read_text(encoding="utf-8").replace("江边", "江畔"), encoding="utf-8")
    run = deploy(place, str(target))
    assert run.code == 1
    assert ("以下项目通过审核后内容有改动（或被退回），网站没有发布：\n"
            f"  wechat/guide-{MONTH}（4月周末好去处｜四月·山花烂漫，2027年4月）：通过审核后内容有改动，现为待审") in run.err
    assert every_byte(target) == published
    run = deploy(place, str(target), "--force")
    assert run.code == 1 and "--by" in run.err and every_byte(target) == published
    overrides = json.loads((root / f"content/review/{MONTH}.json").read_text(encoding="utf-8"))["overrides"]
    # refused targets record no override either
    run = deploy(place, str(root / "routes"), "--force", "--by", "王五")
    assert run.code == 1
    assert json.loads((root / f"content/review/{MONTH}.json").read_text(encoding="utf-8"))["overrides"] == overrides
    run = deploy(place, str(target), "--force", "--by", "王五")
    assert run.code == 0, run.text
    assert "江畔" in (target / "routes/chibi-sanguo/index.html").read_text(encoding="utf-8")
    after = json.loads((root / f"content/review/{MONTH}.json").read_text(encoding="utf-8"))["overrides"]
    assert after[len(overrides):] == [{**after[-1], "action": "site deploy --force", "by": "王五",
                                       "items": [f"wechat/guide-{MONTH}"]}]
    approve(root, f"wechat/guide-{MONTH}")
    assert deploy(place, str(target)).code == 0


def test_example_base_url_is_refused(place: dict) -> None:  # type: ignore[type-arg]
    root = place["root"]
    (root / "xnwl.toml").write_text((root / "xnwl.toml").read_text(encoding="utf-8")
                                    .replace("https://xnwl.xianning.gov.cn/", "https://xnwl.example.com/"), encoding="utf-8")
    target = place["tmp"] / "public"
    run = deploy(place, str(target))
    assert run.code == 1 and not target.exists()
    assert run.err.startswith("没有发布网站：xnwl.toml 的 [site] base_url 仍是示例地址 https://xnwl.example.com/")


def test_help_says_what_deploy_does_to_the_target() -> None:
    run = xnwl("site", "deploy", "--help")
    assert run.code == 0
    for phrase in (".xnwl-deploy.json", "总是拒绝", "用户主目录", "含 .git", "手工放进去的文件保留不动", "--dry-run"):
        assert phrase in run.out, phrase
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "xnwl site deploy" in readme and ".xnwl-deploy.json" in readme
