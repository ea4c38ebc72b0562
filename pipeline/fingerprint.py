"""Fingerprints for skipping work: of the code, of template folders, and of the values a renderer is given.

A rendered output may be reused only when everything that produced it is the same: the code (every module
of the package and the versions of the libraries that render), the templates, and the values passed in.
Values are fingerprinted through a serialisation that describes them completely: plain values and containers
as pickle writes them, every field of a dataclass (memoised per instance), anything else by its type and repr;
a value whose repr does not describe it (an object shown by its address) makes the fingerprint None, and
None means "render it".
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import pickle
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


_FIELDS: dict[type, tuple[str, ...] | None] = {}  # dataclass -> its fields' names; None: not a dataclass


def _field_names(kind: type) -> tuple[str, ...] | None:
    names = _FIELDS.get(kind, ())
    if names == ():
        names = _FIELDS[kind] = (tuple(f.name for f in dataclasses.fields(kind))
                                 if dataclasses.is_dataclass(kind) and isinstance(kind, type) else None)
    return names


_KNOWN: dict[int, tuple[Any, str]] = {}  # id -> (object, kept alive; digest): see known_digest


def known_digest(value: Any, digest: str) -> None:
    """Describe this object by `digest` wherever it appears: for an object that is a pure function of bytes
    whose digest is known (a content item built from its file, see pipeline.content.built), so that it is not
    walked again. The digest must change whenever anything the object holds could."""
    _KNOWN[id(value)] = (value, digest)


def forget_known() -> None:
    """Drop every known_digest (a new content load replaces the objects; the old ones need not stay alive)."""
    _KNOWN.clear()


class _Unstable(Exception):
    """A value whose description would not be the same in another run (shown by its address)."""


def _described(*parts: str) -> None:
    """Stands in a description for a value described by text (never called: descriptions are only hashed)."""


class _Describer(pickle.Pickler):
    """Writes values as pickle does (plain values, lists, tuples, dicts, sets: in C, exactly), a dataclass
    instance as its class and its fields' values, and anything else as its type and repr. The dataclass
    instances a page's values hold directly are written as the digest of their description, memoised, so a
    route shown on many pages is described once; those inside them are written out in that description."""

    def __init__(self, fingerprinter: Fingerprinter, memoise: bool) -> None:
        self.buffer = io.BytesIO()
        super().__init__(self.buffer, protocol=5)
        # No memo (but for _described, below): a value shown twice is written twice, so the bytes depend on the values alone, not on which
        # equal values happen to be one object (a route loaded from the cache shares its strings differently).
        self.fast = True
        # The one object in the memo: every description is written as a call of _described, and the memo makes
        # pickle refer to it by a two-byte reference instead of looking it up and writing its name each time.
        self.memo = {id(_described): (0, _described)}
        self.fingerprinter = fingerprinter
        self.memoise = memoise

    def described(self, value: Any) -> bytes:
        self.buffer.seek(0)
        self.buffer.truncate()
        self.dump(value)
        return self.buffer.getvalue()

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        names = _field_names(kind)
        if names is not None:
            known = _KNOWN.get(id(obj))
            if known is not None:
                return (_described, ("known", known[1]))
            if self.memoise:
                return (_described, (self.fingerprinter.digest_of(obj, names),))
            return (_described, (f"{kind.__module__}.{kind.__qualname__}", tuple([getattr(obj, n) for n in names])))
        text = repr(obj)
        if " at 0x" in text:
            raise _Unstable(text)
        return (_described, (f"{kind.__module__}.{kind.__qualname__}", text))


class Fingerprinter:
    """sha256 of values, each dataclass instance described once per build however many pages show it.

    A dataclass instance is described by its class and all its fields (those its repr shows and any left out),
    a nested instance by the digest of its own description; any other object by its type and repr."""

    def __init__(self, *context: Any, enabled: bool = True) -> None:
        self._memo: dict[int, tuple[Any, str]] = {}  # id -> (the object, kept alive so its id stays unique; digest)
        self.context = "\n".join(context)
        self.enabled = enabled  # off: every fingerprint is None, so nothing is reused or remembered
        self._describers: dict[bool, _Describer] = {}  # by `memoise`; made again after a failure

    def _pickled(self, values: Any, memoise: bool = True) -> bytes:
        describer = self._describers.get(memoise)
        if describer is None:
            describer = self._describers[memoise] = _Describer(self, memoise)
        return describer.described(values)

    def digest_of(self, value: Any, names: tuple[str, ...]) -> str:
        known = self._memo.get(id(value))
        if known is None:
            kind = type(value)
            data = self._pickled(tuple([getattr(value, name) for name in names]), memoise=False)
            digest = hashlib.sha256(f"{kind.__module__}.{kind.__qualname__}\0".encode() + data).hexdigest()
            known = self._memo[id(value)] = (value, digest)
        return known[1]

    def of(self, *values: Any) -> str | None:
        if not self.enabled:
            return None
        try:
            data = self._pickled(values)
        except (_Unstable, pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError):
            self._describers.clear()  # a pickler left in the middle of a dump is not used again
            return None
        return hashlib.sha256(self.context.encode() + b"\n" + data).hexdigest()
