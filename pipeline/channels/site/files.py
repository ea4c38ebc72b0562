"""The site's own staging: a copy-on-write copy of output/site, synced to what the build produced.

The copy is made of hard links, so it costs almost nothing; a file that changed is unlinked and written
anew (never written through a link), so the live site is never touched before the swap. Files whose bytes
did not change keep their inode and mtime, which is what makes a rebuild incremental.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import output

SITE = "site"
_CLEANUP: set[Path] = set()  # staging folders to remove at exit if still there (a batch failed after the build)


@dataclass
class SyncReport:
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0


def open_staging(output_root: Path) -> Path:
    """A fresh staging folder holding hard links to every file of the current output/site."""
    staging = output.new_staging(output_root, SITE)
    if staging not in _CLEANUP:
        _CLEANUP.add(staging)
        atexit.register(output.discard, staging)
    live = output_root / SITE
    if live.is_dir():
        for source in sorted(live.rglob("*")):
            target = staging / source.relative_to(live)
            if source.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            elif source.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(source, target)
                except OSError:  # another file system or no link support: a plain copy keeps mtimes too
                    shutil.copy2(source, target)
    return staging


def swap(staging: Path, output_root: Path) -> None:
    output.swap_into_place(staging, output_root, SITE)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def replace_file(path: Path, data: bytes) -> None:
    """Write as a new file (new inode): a hard link shared with the live site is left alone."""
    output.replace_file(path, data)


def sync(staging: Path, files: dict[str, bytes], keep: set[str] = frozenset(), leave: tuple[str, ...] = ()) -> SyncReport:
    """Make staging hold exactly `files` (plus `keep`, files known to be current, and anything under `leave`).

    A file is rewritten only when its content hash differs; files no longer produced are removed.
    """
    report = SyncReport()
    for rel in sorted(files):
        data = files[rel]
        path = staging / rel
        if path.is_file() and path.stat().st_size == len(data) and output.sha256_file(path) == _digest(data):
            report.unchanged += 1
            continue
        replace_file(path, data)
        report.written.append(rel)
    wanted = set(files) | set(keep)
    for path in sorted(staging.rglob("*"), reverse=True):
        rel = path.relative_to(staging).as_posix()
        if any(rel == prefix.rstrip("/") or rel.startswith(prefix) for prefix in leave):
            continue
        if path.is_file() and rel not in wanted:
            path.unlink()
            report.removed.append(rel)
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    report.removed.sort()
    return report
