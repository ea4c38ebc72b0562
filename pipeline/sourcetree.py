"""A digest of every input file of a batch, taken without parsing anything: the no-op fast path.

The inputs are every file under routes/, content/ (except content/inbox/ and content/review/, which the
batch does not read), templates/, and xnwl.toml. The digest covers each file's path and the sha256 of its
bytes. Hashing photos on every run would cost more than the rest, so a file's hash is reused from the
previous snapshot when its size, inode and ctime are unchanged (ctime moves on every write and cannot be set
back, unlike mtime) and it was already older than that snapshot by a safe margin (a file changed twice
within one clock tick is hashed again, as git does with its "racily clean" entries).
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

WATCHED = ("routes", "content", "templates")
CONFIG = "xnwl.toml"
NOT_INPUTS = ("content/inbox", "content/review")
RACY_NS = 2_000_000_000  # a file changed less than 2 s ago may change again within the same clock tick: not trusted by its stat

Stat = tuple[int, int, int]  # size, ctime_ns, inode


@dataclass
class Snapshot:
    digest: str
    files: dict[str, tuple[Stat, str]] = field(default_factory=dict)  # rel -> (stat, sha256), reusable ones only
    digests: dict[str, str] = field(default_factory=dict)  # rel -> sha256 of every regular file that could be read


def _walk(root: Path) -> list[tuple[str, os.stat_result | str]]:
    """Every entry under the watched folders: regular files with their stat; links and anything else by what
    they are (the loader refuses links, so a file replaced by a link to the same bytes is a change)."""
    found: list[tuple[str, os.stat_result | str]] = []
    config = root / CONFIG
    if os.path.lexists(config):
        found.append((CONFIG, config.lstat() if not config.is_symlink() else f"link:{os.readlink(config)}"))
    stack = [name for name in WATCHED if (root / name).is_dir()]
    while stack:
        rel_dir = stack.pop()
        if rel_dir in NOT_INPUTS:
            continue
        with os.scandir(root / rel_dir) as entries:
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}"
                if entry.is_symlink():
                    found.append((rel, f"link:{os.readlink(entry.path)}"))
                elif entry.is_dir():
                    stack.append(rel)
                elif entry.is_file():
                    found.append((rel, entry.stat()))
                else:
                    found.append((rel, "special"))
    found.sort(key=lambda item: item[0])
    return found


def snapshot(root: Path, previous: dict[str, tuple[Stat, str]] | None = None) -> Snapshot:
    previous = previous or {}
    now = time.time_ns()
    total = hashlib.sha256()
    reusable: dict[str, tuple[Stat, str]] = {}
    digests: dict[str, str] = {}
    for rel, info in _walk(root):
        if isinstance(info, str):
            total.update(f"{rel}\0{info}\n".encode())
            continue
        stat: Stat = (info.st_size, info.st_ctime_ns, info.st_ino)
        known = previous.get(rel)
        if known is not None and tuple(known[0]) == stat:
            digest = known[1]
        else:
            try:
                digest = hashlib.sha256((root / rel).read_bytes()).hexdigest()
            except OSError:
                digest = "unreadable"
        if now - info.st_ctime_ns > RACY_NS:
            reusable[rel] = (stat, digest)
        if digest != "unreadable":
            digests[rel] = digest
        total.update(f"{rel}\0{digest}\n".encode())
    return Snapshot(total.hexdigest(), reusable, digests)
