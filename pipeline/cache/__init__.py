"""The one cache: whether a month's batch already in output/ may stand as it is, decided from one key.

The batch's top level is the only caller. A batch is reused whole or not at all: when anything differs, every
channel renders everything afresh, so an incremental run gives the output of a clean run by construction.

The key (`Key.digest`) is a sha256 over
- the code: every file of the `pipeline` package that runs (modules, bundled fonts and data), path and bytes;
- the Python version;
- every input byte: xnwl.toml and every file under routes/, content/ (content/review/ and content/inbox/
  included), templates/ of the content root, and the shipped templates beside the package;
- what the batch reads from other months' batches in output/ (the site's archive: their covers, articles and
  plans): the manifest.json of each of those months, which lists the sha256 of every file it holds.

Beside the digest, the manifest records the version of every distribution the build ran on: xnwl's declared
requirements and theirs, and each distribution a module imported by the build came from. A later batch checks
each of them again (`importlib.metadata`), so an upgraded library rebuilds the month.

A batch may stand when its manifest records the same digest and distribution versions, and the files of
output/<month>/, output/site/ and the year planner are byte for byte those it wrote. `--no-cache` (and
`batch --force`) skip the check.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from pipeline.config import CONFIG_NAME, Config

PACKAGE = Path(__file__).resolve().parents[1]
INPUT_FOLDERS = ("routes", "content", "templates")
MANIFEST = "manifest.json"
_OWN_DISTRIBUTION = "xnwl"


@dataclass(frozen=True)
class Key:
    digest: str  # sha256 over the parts below
    inputs: dict[str, str]  # input path (relative to the root, or shipped-templates/...) -> sha256
    code: str  # sha256 of the package's files
    python: str


def sha256_file(path: Path | str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def _walk(folder: str, prefix: str = "") -> Iterable[tuple[str, str, bool]]:
    """(path relative to folder, full path, whether it is a link) of every file under folder, sorted by path; a
    link to a folder is one entry, not walked into. Plain strings and the directory entries' own types: this runs
    over every file of a no-op batch."""
    with os.scandir(folder) as found:
        entries = sorted(found, key=lambda entry: entry.name)
    for entry in entries:
        if entry.is_symlink():
            yield prefix + entry.name, entry.path, True
        elif entry.is_dir():
            if entry.name != "__pycache__":
                yield from _walk(entry.path, prefix + entry.name + "/")
        elif not entry.name.endswith(".pyc"):
            yield prefix + entry.name, entry.path, False


def tree_digests(folder: Path) -> dict[str, str]:
    """sha256 of every file under folder, by its path relative to folder (empty when there is no folder)."""
    if not folder.is_dir():
        return {}
    return {rel: sha256_file(full) for rel, full, link in _walk(str(folder)) if not link or os.path.isfile(full)}


def digest_of(mapping: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(mapping, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def code_digest() -> str:
    return digest_of(tree_digests(PACKAGE))


def _input_entry(path: str, link: bool) -> str:
    """A file's sha256; for a link, where it points as well (the loader treats a link differently from a file)."""
    if link:
        return f"link:{os.readlink(path)}:" + (sha256_file(path) if os.path.isfile(path) else "-")
    return sha256_file(path)


def _input_tree(folder: Path) -> dict[str, str]:
    if not folder.is_dir():
        return {}
    return {rel: _input_entry(full, link) for rel, full, link in _walk(str(folder))}


def input_digests(config: Config) -> dict[str, str]:
    """Every file the batch reads from the content root and the shipped templates, by path."""
    from pipeline.templates import PROJECT_TEMPLATES

    root = config.root
    config_file = str(root / CONFIG_NAME)
    found = {CONFIG_NAME: _input_entry(config_file, os.path.islink(config_file))}
    for name in INPUT_FOLDERS:
        for rel, digest in _input_tree(root / name).items():
            found[f"{name}/{rel}"] = digest
    own_templates = (root / "templates").resolve()
    if PROJECT_TEMPLATES.is_dir() and PROJECT_TEMPLATES.resolve() != own_templates:
        for rel, digest in _input_tree(PROJECT_TEMPLATES).items():
            found[f"shipped-templates/{rel}"] = digest
    return dict(sorted(found.items()))


def batch_key(config: Config, other_batches: Iterable[Path]) -> Key:
    """The key of a month's batch; other_batches: the other months' folders in output/ that the batch reads."""
    inputs = input_digests(config)
    others = {folder.name: (sha256_file(folder / MANIFEST) if (folder / MANIFEST).is_file() else "-")
              for folder in sorted(other_batches)}
    code = code_digest()
    python = sys.version
    digest = digest_of({"code": code, "python": python, "inputs": digest_of(inputs), "other-months": digest_of(others)})
    return Key(digest, inputs, code, python)


# ---- distributions -------------------------------------------------------------------------------------

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _declared_closure() -> set[str]:
    """xnwl's requirements (without extras such as [test]) and theirs, as installed; empty when xnwl runs
    from a checkout that was never installed."""
    from importlib import metadata

    seen: set[str] = set()
    todo = [_OWN_DISTRIBUTION]
    while todo:
        name = todo.pop()
        try:
            requirements = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for requirement in requirements:
            if "extra ==" in requirement.replace('extra=="', 'extra == "'):
                continue
            match = _NAME.match(requirement)
            if match:
                dep = _normalised(match.group(1))
                if dep not in seen:
                    seen.add(dep)
                    todo.append(dep)
    return seen


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def distributions_in_use() -> dict[str, str]:
    """Name -> version of every distribution this process runs on: the declared closure and the distribution
    of every top-level module imported so far. Called by the batch after the channels ran."""
    from importlib import metadata

    names = _declared_closure()
    owners = metadata.packages_distributions()
    for module in list(sys.modules):
        if "." not in module:
            names.update(_normalised(owner) for owner in owners.get(module, ()))
    names.discard(_OWN_DISTRIBUTION)  # its code is in the digest, byte for byte
    return {name: version for name in sorted(names) if (version := installed_version(name)) is not None}


def installed_version(name: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def changed_distributions(recorded: dict[str, str]) -> list[str]:
    """The recorded distributions whose installed version is not the recorded one, as 'name 1.0 → 2.0'."""
    changed = []
    for name, version in sorted(recorded.items()):
        now = installed_version(name)
        if now != version:
            changed.append(f"{name} {version} → {now or '未安装'}")
    return changed


# ---- the record in the manifest ------------------------------------------------------------------------

def record(key: Key, distributions: dict[str, str], site_digest: str, files: dict[str, str],
           warnings: list[str]) -> dict[str, Any]:
    """What the manifest keeps for the next batch's check: the key, the distributions, the digest of the site
    it built (`digest_of(tree_digests(site))`), the sha256 of the other files it writes outside its month folder
    (the year planner, by its path in output/), and the warnings to repeat when it stands."""
    return {
        "key": key.digest,
        "code": key.code,
        "python": key.python,
        "distributions": distributions,
        "site": site_digest,
        "files": dict(sorted(files.items())),
        "warnings": warnings,
    }


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def why_not_reusable(manifest: dict[str, Any] | None, key: Key, folder: Path, site: Path,
                     extra_files: dict[str, Path]) -> str | None:
    """None when the month's batch may stand as it is; else the first reason it may not (for the progress line)."""
    if manifest is None:
        return "还没有这个月的批次"
    cached = manifest.get("cache")
    if not isinstance(cached, dict):
        return "清单中没有缓存记录（由旧版本生成）"
    if cached.get("key") != key.digest:
        return _what_changed(manifest, cached, key)
    recorded = cached.get("distributions")
    if not isinstance(recorded, dict):
        return "清单不完整"
    changed = changed_distributions(recorded)
    if changed:
        return "依赖库的版本有变化：" + "，".join(changed)
    outputs = {rel: digest for rel, digest in tree_digests(folder).items() if rel != MANIFEST}
    if outputs != manifest.get("outputs"):
        return f"output/{folder.name}/ 中的文件与上次生成的不同"
    if cached.get("site") != digest_of(tree_digests(site)):
        return "output/site/ 与这个月上次生成的不同"
    files = cached.get("files")
    if not isinstance(files, dict) or set(files) != set(extra_files) or any(
            not path.is_file() or sha256_file(path) != files[name] for name, path in extra_files.items()):
        return "年度规划页与上次生成的不同"
    return None


def _what_changed(manifest: dict[str, Any], cached: dict[str, Any], key: Key) -> str:
    before = manifest.get("inputs") if isinstance(manifest.get("inputs"), dict) else {}
    changed = sorted(name for name in set(before) | set(key.inputs) if before.get(name) != key.inputs.get(name))
    if changed:
        more = f" 等 {len(changed)} 个文件" if len(changed) > 3 else ""
        return "输入有变化：" + "、".join(changed[:3]) + more
    if cached.get("code") != key.code:
        return "程序（pipeline 程序包）有变化"
    if cached.get("python") != key.python:
        return "Python 版本有变化"
    return "网站存档中其他月份的批次有变化"


def recorded_warnings(manifest: dict[str, Any]) -> list[str]:
    warnings = (manifest.get("cache") or {}).get("warnings")
    return [w for w in warnings if isinstance(w, str)] if isinstance(warnings, list) else []
