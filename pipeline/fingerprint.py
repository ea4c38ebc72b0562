"""Fingerprints for skipping work: of the code, of template folders, and of the values a renderer is given.

A rendered output may be reused only when everything that produced it is the same: the code (every module
of the package and the versions of the libraries that render), the templates, and the values passed in.
Values are fingerprinted through their repr, which for the frozen dataclasses of the model and the views
names every field; a value whose repr does not describe it (an object shown by its address) makes the
fingerprint None, and None means "render it".
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

PACKAGE = Path(__file__).resolve().parent
_LIBRARIES = ("jinja2", "markupsafe", "markdown-it-py", "mdurl", "cmarkgfm", "nh3", "icalendar", "pillow", "numpy", "segno",
              "fonttools", "pyyaml", "autocorrect-py", "chinesecalendar")


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The package's own files (code, bundled fonts) and the versions of the libraries it renders with."""
    from importlib import metadata

    digest = hashlib.sha256(sys.version.encode())
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for name in _LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{name}={version}\n".encode())
    return digest.hexdigest()


def folders_digest(folders: list[Path]) -> str:
    """Every file under the folders, by path and bytes (template lookups depend on which folder holds what)."""
    digest = hashlib.sha256()
    for number, folder in enumerate(folders):
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                digest.update(f"{number}:{path.relative_to(folder).as_posix()}\0".encode() + path.read_bytes() + b"\0")
    return digest.hexdigest()


_PLAIN = {str, int, float, bool, type(None)}
_UNSTABLE = "\0unstable"  # repr never yields a NUL character, so this cannot come from a value


class Fingerprinter:
    """sha256 of values, each dataclass instance described once per build however many pages show it."""

    def __init__(self, *context: Any, enabled: bool = True) -> None:
        self._memo: dict[int, tuple[Any, str]] = {}  # id -> (the object, kept alive so its id stays unique; repr)
        self.context = "\n".join(context)
        self.enabled = enabled  # off: every fingerprint is None, so nothing is reused or remembered

    def _describe(self, value: Any) -> str:
        kind = type(value)
        if kind in _PLAIN:
            return repr(value)
        if kind is list:
            return "[" + ",".join([self._describe(v) for v in value]) + "]"
        if kind is tuple:
            return "(" + ",".join([self._describe(v) for v in value]) + ")"
        if kind is dict:
            return "{" + ",".join([f"{k!r}:{self._describe(v)}" for k, v in value.items()]) + "}"
        if dataclasses.is_dataclass(kind):
            known = self._memo.get(id(value))
            if known is None:
                text = repr(value)
                known = self._memo[id(value)] = (value, hashlib.sha256(text.encode()).hexdigest()
                                                 if " at 0x" not in text else "")
            return f"{kind.__qualname__}#{known[1]}" if known[1] else _UNSTABLE
        text = repr(value)
        return _UNSTABLE if " at 0x" in text else text

    def of(self, *values: Any) -> str | None:
        if not self.enabled:
            return None
        text = "\n".join(self._describe(v) for v in values)
        if _UNSTABLE in text:
            return None
        return hashlib.sha256((self.context + "\n" + text).encode()).hexdigest()
