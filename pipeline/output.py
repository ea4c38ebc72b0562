"""Output folder handling: build in a staging folder, swap it into place only when everything succeeded.

Layout inside the output folder:
  <name>/            a finished batch (e.g. 2027-04) or the site
  .staging/<name>.<pid>/   a batch being built; removed when its process is gone
  .retired/<name>.<pid>/   the previous <name> during the swap; restored if the swap was cut short
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any, Callable

STAGING = ".staging"
RETIRED = ".retired"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_pid(path: Path) -> int | None:
    _, _, pid = path.name.rpartition(".")
    return int(pid) if pid.isdigit() else None


def recover(output_root: Path) -> list[str]:
    """Undo what a killed batch left behind. Returns a line per repair, for the user."""
    notes: list[str] = []
    retired = output_root / RETIRED
    if retired.is_dir():
        for old in sorted(retired.iterdir()):
            pid = _owner_pid(old)
            if pid is not None and _alive(pid):
                continue
            name = old.name.rpartition(".")[0]
            target = output_root / name
            if not target.exists():
                old.rename(target)
                notes.append(f"上次批处理在替换 {name} 时中断，已恢复原来的 {name}。")
            else:
                shutil.rmtree(old)
    staging = output_root / STAGING
    if staging.is_dir():
        for leftover in sorted(staging.iterdir()):
            pid = _owner_pid(leftover)
            if pid is None or not _alive(pid):
                shutil.rmtree(leftover, ignore_errors=True)
                notes.append(f"已清理上次未完成批处理的临时文件夹 {leftover.name}。")
    return notes


def new_staging(output_root: Path, name: str) -> Path:
    path = output_root / STAGING / f"{name}.{os.getpid()}"
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def swap_into_place(staging: Path, output_root: Path, name: str,
                    midway: Callable[[], None] = lambda: None, keep_retired: Path | None = None) -> None:
    """Replace output_root/name with staging. Each rename is atomic; recover() mends a cut between them.

    `midway` runs between the two renames (the crash tests park a batch there). The replaced folder is
    deleted, or moved to keep_retired (outside the output folder) for the next build to start from."""
    target = output_root / name
    if target.exists():
        retired = output_root / RETIRED / f"{name}.{os.getpid()}"
        retired.parent.mkdir(parents=True, exist_ok=True)
        if retired.exists():
            shutil.rmtree(retired)
        target.rename(retired)
        midway()
        staging.rename(target)
        _retire(retired, keep_retired)
    else:
        staging.rename(target)
    for helper in (output_root / STAGING, output_root / RETIRED):
        try:
            helper.rmdir()  # only when empty: another batch of another month may be using it
        except OSError:
            pass
    _fsync_dir(output_root)


def _retire(retired: Path, keep: Path | None) -> None:
    if keep is not None:
        try:
            if keep.exists():
                shutil.rmtree(keep)
            keep.parent.mkdir(parents=True, exist_ok=True)
            retired.rename(keep)
            return
        except OSError:
            pass
    shutil.rmtree(retired)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def json_bytes(data: Any) -> bytes:
    """Stable JSON: real UTF-8 (WeChat rejects \\u escapes), fixed indentation, trailing newline."""
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def replace_file(path: Path, data: bytes) -> None:
    """Write atomically: readers see the old bytes or the new ones, never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_bytes(data)
    os.replace(temp, path)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write only when the bytes differ. Returns True when the file was written."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_bytes(path, data)
    return True


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def tree_hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): sha256_file(p)
            for p in sorted(folder.rglob("*")) if p.is_file()}
