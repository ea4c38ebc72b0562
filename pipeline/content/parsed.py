"""Parsed front matter, cached by the sha256 of the file's bytes.

YAML dominates loading (PyYAML builds its objects in Python even with the C parser), so a file whose bytes
were parsed before is not parsed again: <root>/state/cache/ keeps (meta, body) per file digest. The cache
holds only plain YAML values (marshal, no code runs on load); a file that fails to parse is never cached,
so its problems are always reported with their line numbers.
"""

from __future__ import annotations

import marshal
import sys
from pathlib import Path
from typing import Any

from pipeline import output

# Change when what is cached changes (the front-matter split, the YAML loader's constructors).
_FORMAT = "front-matter-v1"
CACHE_NAME = "parsed.marshal"

Parsed = tuple[dict[str, Any], str]  # (meta, body)


def _stamp() -> str:
    import yaml

    return f"{_FORMAT}|{sys.version}|{yaml.__version__}"


def split(text: str) -> tuple[str, str] | None:
    """(front matter text, body) of a Markdown file, or None when it has no complete front matter block."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        return None
    return "\n".join(lines[1:end]), "\n".join(lines[end + 1:]).strip() + "\n"


def parse_meta(text: str) -> Any:
    """YAML of one front matter; None when it does not parse (the caller reports it, with the line)."""
    import yaml

    from pipeline.content.sources import YAML_LOADER, anchor_line

    try:
        if anchor_line(text) is not None:
            return None  # refused: the loader reports it, with the line (see anchor_line)
        return yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError:
        return None


class ParseCache:
    """Front matter by file digest: what earlier runs parsed, plus what this run parsed."""

    def __init__(self, folder: Path | None) -> None:
        self.path = folder / CACHE_NAME if folder is not None else None
        self.stored: dict[str, Parsed] = self._read()
        self.used: dict[str, Parsed] = {}
        self.fresh = False  # something was parsed that the stored cache did not have

    def _read(self) -> dict[str, Parsed]:
        if self.path is None:
            return {}
        try:
            stamp, entries = marshal.loads(self.path.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return {}
        return entries if stamp == _stamp() and isinstance(entries, dict) else {}

    def get(self, digest: str) -> Parsed | None:
        found = self.used.get(digest) or self.stored.get(digest)
        if found is not None:
            self.used[digest] = found
        return found

    def put(self, digest: str, meta: dict[str, Any], body: str) -> None:
        self.used[digest] = (meta, body)
        self.fresh = True

    def adopt(self, digest: str, parsed: Parsed) -> None:
        """Front matter another process looked up in this cache or parsed (see pipeline.content.load)."""
        self.used[digest] = parsed
        if digest not in self.stored:
            self.fresh = True

    def save(self) -> None:
        """Keep what this run used (so the cache never grows beyond the tree), if anything new was parsed."""
        if self.path is None or not (self.fresh or len(self.used) != len(self.stored)):
            return
        try:
            output.replace_file(self.path, marshal.dumps((_stamp(), dict(sorted(self.used.items())))))
        except (OSError, ValueError):  # ValueError: a YAML value marshal cannot hold (e.g. a !!set of tuples)
            pass  # a cache that cannot be written only costs time next run
