"""Parsed front matter, cached by the sha256 of the file's bytes, and parsed on every core for large trees.

YAML dominates loading (PyYAML builds its objects in Python even with the C parser), so a file whose bytes
were parsed before is not parsed again: <root>/state/cache/ keeps (meta, body) per file digest. The cache
holds only plain YAML values (marshal, no code runs on load); a file that fails to parse is never cached,
so its problems are always reported with their line numbers.
"""

from __future__ import annotations

import marshal
import sys
from pathlib import Path
from typing import Any, Generator, Iterator

from pipeline import output
from pipeline.parallel import fork_stream, worth_forking

# Change when what is cached changes (the front-matter split, the YAML loader's constructors).
_FORMAT = "front-matter-v1"
CACHE_NAME = "parsed.marshal"
PARALLEL_FROM = 300  # files to parse; below this a process pool costs more than it saves

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


def _parse_meta(text: str) -> Any:
    """YAML of one front matter; None when it does not parse (the caller reports it, with the line)."""
    import yaml

    from pipeline.content.sources import YAML_LOADER

    try:
        return yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError:
        return None


def _parse_chunk(texts: list[str]) -> list[Any]:
    return [_parse_meta(text) for text in texts]


class ParseCache:
    """Front matter by file digest: what earlier runs parsed, plus what this run parsed or prefetched."""

    def __init__(self, folder: Path | None) -> None:
        self.path = folder / CACHE_NAME if folder is not None else None
        self.stored: dict[str, Parsed] = self._read()
        self.used: dict[str, Parsed] = {}
        self.fresh = False  # something was parsed that the stored cache did not have
        self._coming: dict[str, str] = {}  # body by digest of the files the workers are parsing (see prefetch)
        self._stream: Generator[Any, None, None] | None = None
        self._results: Iterator[tuple[str, Any]] = iter(())

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
        if found is None and digest in self._coming:
            found = self._wait_for(digest)
        if found is not None:
            self.used[digest] = found
        return found

    def put(self, digest: str, meta: dict[str, Any], body: str) -> None:
        self.used[digest] = (meta, body)
        self.fresh = True

    def prefetch(self, texts: dict[str, str]) -> None:
        """Start parsing, on every core, the front matter of the files (digest -> text) the cache does not hold
        yet. get() takes each result as it comes (the files are parsed in the order given, which should be the
        order the loader asks for them): the loader builds the first objects while the rest are parsed."""
        missing: dict[str, tuple[str, str]] = {}
        for digest, text in texts.items():
            if self.get(digest) is None and digest not in missing:
                parts = split(text)
                if parts is not None:
                    missing[digest] = parts
        if not worth_forking(len(missing), PARALLEL_FROM):
            return  # parsed one by one as the loader meets them
        self._coming = {digest: body for digest, (_, body) in missing.items()}
        self._stream = fork_stream(_parse_chunk, [meta for meta, _ in missing.values()], PARALLEL_FROM)
        self._results = zip(missing, self._stream)

    def _wait_for(self, digest: str) -> Parsed | None:
        """Take the parsed front matter coming from the workers up to this file's."""
        for done, meta in self._results:
            body = self._coming.pop(done)
            if isinstance(meta, dict):  # else the loader parses it again, to report the problem with its line
                self.put(done, meta, body)
            if done == digest:
                break
        return self.used.get(digest)

    def close(self) -> None:
        """End the workers (all files are loaded, or loading stopped)."""
        self._coming = {}
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def save(self) -> None:
        """Keep what this run used (so the cache never grows beyond the tree), if anything new was parsed."""
        self.close()
        if self.path is None or not (self.fresh or len(self.used) != len(self.stored)):
            return
        try:
            output.replace_file(self.path, marshal.dumps((_stamp(), dict(sorted(self.used.items())))))
        except (OSError, ValueError):  # ValueError: a YAML value marshal cannot hold (e.g. a !!set of tuples)
            pass  # a cache that cannot be written only costs time next run
