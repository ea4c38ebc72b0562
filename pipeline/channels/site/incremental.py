"""Reusing files of the last site build whose inputs did not change.

state/cache/site-outputs.json maps each generated file to the fingerprint of everything that produced it
(pipeline.fingerprint: code, templates, the values given to the renderer) and the sha256 of the bytes that
came out. A file is reused only when its fingerprint is the same and the file in the staging copy of the
site still has exactly those bytes; anything else is rendered again. A stale or missing cache therefore
only costs time, never correctness.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pipeline import output

CACHE_NAME = "site-outputs.json"
_FORMAT = 1


class OutputCache:
    def __init__(self, folder: Path | None, staging: Path) -> None:
        self.path = folder / CACHE_NAME if folder is not None else None
        self.staging = staging
        self.known: dict[str, list[str]] = self._read()
        self.current: dict[str, list[str]] = {}

    def _read(self) -> dict[str, list[str]]:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("format") != _FORMAT or not isinstance(data.get("files"), dict):
            return {}
        return data["files"]

    def reusable(self, rel: str, key: str | None) -> bool:
        """True when staging/rel is what rendering with this fingerprint gave last time (and is kept so)."""
        entry = self.known.get(rel)
        if key is None or entry is None or entry[0] != key:
            return False
        try:
            if output.sha256_file(self.staging / rel) != entry[1]:
                return False
        except OSError:
            return False
        self.current[rel] = entry
        return True

    def record(self, rel: str, key: str | None, digest: str) -> None:
        if key is not None:
            self.current[rel] = [key, digest]

    def save(self) -> None:
        if self.path is None or self.current == self.known:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(json.dumps({"format": _FORMAT, "files": dict(sorted(self.current.items()))},
                                       separators=(",", ":")).encode())
            os.replace(tmp, self.path)
        except OSError:
            pass  # without the cache the next build renders everything
