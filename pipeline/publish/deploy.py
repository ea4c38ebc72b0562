"""`xnwl site deploy DIR`: the publishable copy of the site, with only the approved monthly guides.

The preview in output/site shows everything (待审 banners on unapproved months); the deployable copy
holds a month's guide only once its guide article was approved as it is now. --force publishes every
built month and is recorded, with who and when, in the month's review file (only once the copy is in place).

What deploy does to the target folder (xnwl never deletes or overwrites a file it did not write):
- The target must be absent, an empty folder, or a folder an earlier deploy wrote: that one holds
  `.xnwl-deploy.json`, the list of the files it wrote with their SHA-256. Anything else is refused, untouched.
- Always refused: the filesystem root, the home folder (and folders holding it), the project, folders that
  hold the project or lie inside it, and git repositories (a folder holding or being `.git`).
- The new site is written into a sibling folder `.<name>.xnwl-deploy-*`, files in the target that the
  previous deploy did not write (or that were edited since) are linked or copied into it, and then it is
  switched in with two renames: readers see the old site or the new one, never a half-written one. On any
  failure the sibling is removed and the target stays as it was.
- A redeploy removes only files the previous deploy listed, still unedited, that the new site no longer has.
- `--dry-run` builds the site in a temporary folder elsewhere, prints what would be added, changed, removed
  and kept, and writes nothing beside or into the target.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.archive import covers
from pipeline.channels.site import SiteInputs, render
from pipeline.config import load_config
from pipeline.content.problems import UserError
from pipeline.plan import Month
from pipeline.publish.gate import deploy_gate, refuse_example_base_url
from pipeline.review.decisions import record_override
from pipeline.review.session import valid_content

_MONTH_FOLDER = re.compile(r"^\d{4}-\d{2}$")
MARKER = ".xnwl-deploy.json"
MARKER_TOOL = "xnwl site deploy"
_UNTOUCHED = "目标目录没有任何改动。"


@dataclass
class Changes:
    """What a deploy does to the target, by path relative to it."""
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # written by the previous deploy, gone from the new site
    kept: list[str] = field(default_factory=list)  # not written by a deploy (or edited since): left as they are
    unchanged: int = 0


@dataclass
class DeployResult:
    target: Path
    months: list[Month]
    pages: int
    changes: Changes
    dry_run: bool = False
    left_out: list[Month] = field(default_factory=list)  # built months whose guide is not approved


def built_months(output_root: Path) -> list[Month]:
    if not output_root.is_dir():
        return []
    return sorted(Month.parse(p.name) for p in output_root.iterdir()
                  if p.is_dir() and _MONTH_FOLDER.match(p.name) and (p / "manifest.json").is_file())


# the target ----------------------------------------------------------------------------------------
def home_folder() -> Path:
    home = os.environ.get("HOME") or str(Path.home())
    return Path(home).resolve()


def forbidden_reason(target: Path, project: Path, home: Path) -> str | None:
    """Why `target` (resolved) may never be a deploy target, whatever it holds; None when it may."""
    if target == Path(target.anchor):
        return "这是文件系统的根目录"
    if target == project:
        return "这是项目目录本身"
    if target in project.parents:
        return f"它包含项目目录 {project}"
    if project in target.parents:
        return f"它在项目目录 {project} 里面（routes/、content/、output/ 等都在这里）"
    if target == home:
        return "这是用户主目录（HOME）"
    if target in home.parents:
        return f"它包含用户主目录 {home}"
    if target.name == ".git" or ".git" in target.parts:
        return "它是 git 仓库的 .git 文件夹"
    if (target / ".git").exists():
        return "它是一个 git 仓库（含 .git）"
    return None


def read_marker(target: Path) -> dict[str, str] | None:
    """The files the previous deploy wrote ({path: sha256}); None when the folder has no marker."""
    path = target / MARKER
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError):
        data = None
    files = data.get("files") if isinstance(data, dict) and data.get("tool") == MARKER_TOOL else None
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) and _safe_rel(k)
                                              for k, v in files.items()):
        raise UserError(f"不能发布到 {target}：其中的 {MARKER} 已损坏，无法确认哪些文件是上次发布写出的。"
                        f"请换一个空文件夹，或人工核对后删除这个文件夹。{_UNTOUCHED}")
    return files


def _safe_rel(rel: str) -> bool:
    parts = rel.split("/")
    return bool(rel) and not rel.startswith("/") and ".." not in parts and "" not in parts and rel != MARKER


def check_target(target: Path, project: Path, home: Path) -> dict[str, str] | None:
    """Refuse a target deploy may not write to; else the previous deploy's file list (None: nothing there)."""
    what = "xnwl site deploy 只写入不存在的文件夹、空文件夹，或它以前写出的文件夹（含 .xnwl-deploy.json）。"
    reason = forbidden_reason(target, project, home)
    if reason:
        raise UserError(f"不能发布到 {target}：{reason}。{what}请另选一个专用的文件夹。{_UNTOUCHED}")
    if target.exists() and not target.is_dir():
        raise UserError(f"不能发布到 {target}：这是一个已有的文件，不是文件夹。{what}请另选一个文件夹。{_UNTOUCHED}")
    if not target.exists():
        return None
    previous = read_marker(target)
    if previous is not None:
        return previous
    entries = sorted(p.name for p in target.iterdir())
    if entries:
        shown = "、".join(entries[:5]) + (f" 等 {len(entries)} 项" if len(entries) > 5 else "")
        raise UserError(f"不能发布到 {target}：这个文件夹不是空的（其中有 {shown}），也不是 xnwl site deploy 写出的"
                        f"（没有 {MARKER}）。{what}请另选一个空文件夹或一个不存在的文件夹名。{_UNTOUCHED}")
    return None


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(folder: Path) -> dict[str, Path]:
    """Every file (and symlink) under folder by relative path; the marker left out."""
    found: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        base = Path(dirpath)
        for name in filenames + [d for d in dirnames if (base / d).is_symlink()]:
            path = base / name
            rel = path.relative_to(folder).as_posix()
            if rel != MARKER:
                found[rel] = path
    return found


def compare(target: Path, new: dict[str, str], previous: dict[str, str] | None) -> Changes:
    """What replacing target's deploy by the `new` files ({path: sha256}) adds, changes, removes and keeps."""
    present = _files(target) if target.is_dir() else {}
    listed = previous or {}
    changes = Changes()
    for rel, path in sorted(present.items()):
        ours = rel in listed and not path.is_symlink() and path.is_file() and _digest(path) == listed[rel]
        if rel in new:
            if rel not in listed:
                changes.kept.append(rel)  # a hand-made file where the site now has one: refused below
            elif path.is_symlink() or not path.is_file() or _digest(path) != new[rel]:
                changes.changed.append(rel)
            else:
                changes.unchanged += 1
        elif ours:
            changes.removed.append(rel)
        else:
            changes.kept.append(rel)
    changes.added = sorted(rel for rel in new if rel not in present)
    folders = {parent for rel in new for parent in _parents(rel)}
    clashes = [rel for rel in changes.kept
               if rel in new or rel in folders or any(parent in new for parent in _parents(rel))]
    if clashes:
        shown = "、".join(clashes[:10])
        raise UserError(f"不能发布到 {target}：其中有不是发布时写出的文件，与网站的文件同名（{shown}），"
                        f"发布会覆盖它们。请先把这些文件移走。{_UNTOUCHED}")
    return changes


def _parents(rel: str) -> list[str]:
    parts = rel.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _empty_folders(folder: Path) -> list[str]:
    """Empty folders someone made in the target: the new copy gets them too."""
    if not folder.is_dir():
        return []
    return sorted(Path(d).relative_to(folder).as_posix() for d, dirs, files in os.walk(folder)
                  if not dirs and not files and Path(d) != folder)


# the deploy --------------------------------------------------------------------------------------
def deploy(root: Path, target: Path, force: bool = False, by: str | None = None, with_search: bool = True,
           dry_run: bool = False) -> DeployResult:
    config = load_config(root)
    target = Path(os.path.abspath(target)).resolve()
    previous = check_target(target, config.root.resolve(), home_folder())
    if force and not (by or "").strip():
        raise UserError("使用 --force 时必须用 --by 写明是谁决定跳过审核。")
    refuse_example_base_url(config, "发布网站")
    output_root = config.output_dir.resolve()
    content = valid_content(root)
    months = built_months(output_root)
    if not months:
        raise UserError("output/ 中还没有任何批次：请先运行 xnwl batch。")
    gate = deploy_gate(config, content, months, force)
    published = months if force else gate.approved
    if not published:
        raise UserError("还没有通过审核的月份，没有发布任何内容。请先审核各月的周末指南："
                        "xnwl review approve wechat/guide-<YYYY-MM> --month <YYYY-MM> --by 姓名。")
    latest = published[-1]
    if dry_run:
        work = Path(tempfile.mkdtemp(prefix="xnwl-deploy-dry-run-"))
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.xnwl-deploy-"))
    try:
        inputs = SiteInputs(covers(output_root, latest, None), frozenset(), guides=frozenset(published))
        render(config, content, latest, inputs, work, search=with_search)
        pages = sum(1 for rel in _files(work) if rel.endswith(".html"))
        new = {rel: _digest(path) for rel, path in _files(work).items()}
        changes = compare(target, new, previous)
        result = DeployResult(target, published, pages, changes, dry_run,
                              [m for m in months if m not in published])
        if dry_run:
            return result
        for rel in changes.kept:
            _carry(target / rel, work / rel)
        for rel in _empty_folders(target):
            try:
                (work / rel).mkdir(parents=True, exist_ok=True)
            except OSError:
                raise UserError(f"不能发布到 {target}：其中手工建的空文件夹 {rel} 与网站的文件同名，请先移走。"
                                f"{_UNTOUCHED}") from None
        marker = {"tool": MARKER_TOOL, "files": dict(sorted(new.items()))}
        (work / MARKER).write_text(json.dumps(marker, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        _set_mode(work, target)
        _switch(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    for month, items in gate.overridden.items():
        if month in published:
            record_override(root, month, "site deploy --force", by or "", items)
    return result


def _carry(source: Path, destination: Path) -> None:
    """A file deploy did not write, into the new copy: a hard link (same file), else a copy."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    if source.is_symlink():
        os.symlink(os.readlink(source), destination)
        return
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def _set_mode(work: Path, target: Path) -> None:
    """The new folder gets the old one's permissions (mkdtemp makes it 0700); a new target the usual 0755."""
    if target.is_dir():
        shutil.copymode(target, work)
        return
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(work, 0o777 & ~umask)


def _switch(work: Path, target: Path) -> None:
    """Put `work` in target's place: two renames, undone if the second fails; the old copy removed last."""
    if not target.exists():
        try:
            work.rename(target)
        except OSError as exc:
            raise UserError(f"无法写出 {target}（{exc.strerror}）。{_UNTOUCHED}") from None
        return
    old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.xnwl-old-"))
    try:
        target.rename(old / "site")
    except OSError as exc:
        old.rmdir()
        raise UserError(f"无法替换 {target}（{exc.strerror}）。{_UNTOUCHED}") from None
    try:
        work.rename(target)
    except OSError as exc:
        (old / "site").rename(target)
        old.rmdir()
        raise UserError(f"无法替换 {target}（{exc.strerror}）。{_UNTOUCHED}") from None
    shutil.rmtree(old, ignore_errors=True)
