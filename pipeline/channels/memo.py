"""Results of pure functions of text or file bytes, kept between runs: a channel whose inputs did not change
asks for the answer instead of working it out again (parsing Markdown, probing a photo, checking a text).

Each entry is keyed by what it was computed from (a digest of the text or of the file's bytes, and the name
of the function); the whole file is stamped with the code digest (every module of the package and the
versions of the libraries that compute), so new code never sees an old answer. Stored as marshal in
state/cache/<name>.marshal; a missing or damaged file only costs time. Values must be marshal-able
(str, int, float, None, tuples, lists, dicts of them).
"""

from __future__ import annotations

import hashlib
import marshal
from pathlib import Path
from typing import Any, Callable, TypeVar

from pipeline.fingerprint import code_digest
from pipeline.state import cache_dir

T = TypeVar("T")
_FORMAT = 1
_MISSING = object()
CAP = 20_000  # entries kept at most (the oldest go first): a few per month's article, poster and photo


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class Memo:
    def __init__(self, root: Path, name: str, cap: int = CAP) -> None:
        self.path = cache_dir(root) / f"{name}.marshal"
        self.cap = cap
        self.stamp = code_digest()
        self._known: dict[str, Any] | None = None  # read when first asked
        self.new: dict[str, Any] = {}

    @property
    def known(self) -> dict[str, Any]:
        if self._known is None:
            try:
                data = marshal.loads(self.path.read_bytes())
                ok = isinstance(data, dict) and data.get("format") == _FORMAT and data.get("code") == self.stamp
                self._known = data["entries"] if ok and isinstance(data.get("entries"), dict) else {}
            except (OSError, ValueError, EOFError, TypeError, KeyError):
                self._known = {}
        return self._known

    def get(self, kind: str, key: str, make: Callable[[], T]) -> T:
        """make()'s answer, from the memo when kind(key) was worked out before by this very code."""
        name = f"{kind}\0{key}"
        value = self.new.get(name, _MISSING)
        if value is _MISSING:
            value = self.known.get(name, _MISSING)
        if value is _MISSING:
            value = self.new[name] = make()
        return value  # type: ignore[return-value]

    def save(self) -> None:
        if not self.new:
            return
        from pipeline import output

        entries = {**self.known, **self.new}
        if len(entries) > self.cap:
            entries = dict(list(entries.items())[-self.cap:])
        try:
            data = marshal.dumps({"format": _FORMAT, "code": self.stamp, "entries": entries})
            output.replace_file(self.path, data)
        except (OSError, ValueError):
            pass  # worked out again next time
