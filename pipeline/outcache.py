"""Reusing generated files whose inputs did not change since they were made.

A cache file under state/cache/ maps each generated file to the fingerprint of everything that produced it
(pipeline.fingerprint: code, templates, the values given to the renderer) and the sha256 of the bytes that
came out. A file is reused only when its fingerprint is the same and the copy found on disk (the staging
copy of the site, or the month's current batch folder) still has exactly those bytes; anything else is
made again. A stale, missing or damaged cache therefore only costs time, never correctness.
"""

from __future__ import annotations

import marshal
import os
from pathlib import Path
from typing import Any

from pipeline import output

_FORMAT = "outputs-v2"  # marshal: written and read several times faster than JSON, and only this tool reads it


def file_stat(path: Path | str) -> list[int] | None:
    """Size, modification time and inode: a file with all three unchanged since it was hashed is not read again
    (a rewrite makes a new inode or a new mtime)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


class OutputCache:
    """Entries by name: [fingerprint, sha256 of the file, extra]; extra may name the file ("file"), give its
    stat when it was hashed ("stat", see file_stat) and hold whatever else the maker needs besides the bytes."""

    def __init__(self, path: Path | None, folder: Path) -> None:
        self.path = path
        self.folder = folder  # where reusable files are found
        self.known: dict[str, list[Any]] = self._read()
        self.current: dict[str, list[Any]] = {}

    def _read(self) -> dict[str, list[Any]]:
        if self.path is None:
            return {}
        try:
            data = marshal.loads(self.path.read_bytes())
        except (OSError, ValueError, EOFError, TypeError):
            return {}
        if not isinstance(data, dict) or data.get("format") != _FORMAT or not isinstance(data.get("files"), dict):
            return {}
        return {k: v for k, v in data["files"].items() if isinstance(v, list) and len(v) == 3}

    def reusable(self, name: str, key: str | None) -> dict[str, Any] | None:
        """The entry's extra when the file is what this fingerprint made last time (it is then kept), else None."""
        entry = self.known.get(name)
        if key is None or entry is None or entry[0] != key or not isinstance(entry[2], dict):
            return None
        path = os.path.join(self.folder, entry[2].get("file", name))  # not a Path: this runs for every file of a site
        stat = entry[2].get("stat")
        try:
            now = file_stat(path) if stat is not None else None
            if (stat is None or now != stat) and output.sha256_file(Path(path)) != entry[1]:
                return None
        except OSError:
            return None
        if stat is not None and now != stat:  # the same bytes in another file: remember this one's stat
            entry = [entry[0], entry[1], {**entry[2], "stat": now}]
        self.current[name] = entry
        return entry[2]

    def kept(self, name: str, key: str | None) -> bool:
        """Whether reusable() kept this file for this fingerprint in this process (its entry is then current)."""
        entry = self.current.get(name)
        return key is not None and entry is not None and entry[0] == key

    def record(self, name: str, key: str | None, digest: str, extra: dict[str, Any] | None = None) -> None:
        if key is not None:
            self.current[name] = [key, digest, extra or {}]

    def save(self) -> None:
        if self.path is None or self.current == self.known:
            return
        try:
            data = {"format": _FORMAT, "files": dict(sorted(self.current.items()))}
            output.replace_file(self.path, marshal.dumps(data))
        except (OSError, ValueError):  # ValueError: a value marshal cannot hold (none is expected)
            pass  # without the cache the next run makes everything again
