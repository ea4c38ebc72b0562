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
import json
import os
import pickle
import sys
import time
from pathlib import Path
from typing import Any

from pipeline.sourcetree import RACY_NS

PACKAGE = Path(__file__).resolve().parent
# Libraries whose version is part of the code digest; and others whose version a cache key names.
_ALSO_VERSIONED: tuple[str, ...] = ()
_LIBRARIES = ("jinja2", "markupsafe", "markdown-it-py", "mdurl", "cmarkgfm", "nh3", "icalendar", "pillow", "numpy", "segno",
              "fonttools", "pyyaml", "autocorrect-py", "chinesecalendar")


CODE_CACHE = "code.json"
_code: tuple[str, dict[str, str]] | None = None  # this process's code digest and library versions
_cache_folder: Path | None = None


def keep_code_digest_in(folder: Path | None) -> None:
    """Where code_digest may keep its result between runs (the project's state/cache/): worked out from the
    files again only when a stat of the package's files or of the folders libraries are found in changed."""
    global _cache_folder
    _cache_folder = folder


def code_digest() -> str:
    """The package's own files (code, bundled fonts) and the versions of the libraries it renders with."""
    return _code_and_versions()[0]


def library_version(name: str) -> str:
    """The installed version of one of the libraries the outputs depend on ("-" when not installed)."""
    return _code_and_versions()[1].get(name, "-")


def _code_and_versions() -> tuple[str, dict[str, str]]:
    global _code
    if _code is None:
        signature, settled = _signature()
        _code = _remembered(signature)
        if _code is None:
            _code = _worked_out()
            if settled:
                _remember(signature, _code)
    return _code


def _worked_out() -> tuple[str, dict[str, str]]:
    from importlib import metadata

    digest = hashlib.sha256(sys.version.encode())
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    versions = {}
    for name in (*_LIBRARIES, *_ALSO_VERSIONED):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "-"
    for name in _LIBRARIES:
        digest.update(f"{name}={versions[name]}\n".encode())
    return digest.hexdigest(), versions


def _signature() -> tuple[str, bool]:
    """Stats of every file of the package and of every folder on sys.path (installing or removing a library
    changes its folder), as a digest; and whether none of them changed in the last moments (else not kept)."""
    lines = [sys.version, str(PACKAGE)]
    newest = 0
    for folder, dirs, names in os.walk(PACKAGE):
        dirs[:] = sorted(name for name in dirs if name != "__pycache__")
        for name in sorted(names):
            path = os.path.join(folder, name)
            info = os.stat(path)
            lines.append(f"{path} {info.st_size} {info.st_mtime_ns} {info.st_ctime_ns} {info.st_ino}")
            newest = max(newest, info.st_ctime_ns)
    for entry in sys.path:
        try:
            info = os.stat(entry)  # not "" (the working folder): it changes all the time, and holds no library
        except OSError:
            continue
        lines.append(f"path {entry} {info.st_mtime_ns} {info.st_ctime_ns} {info.st_ino}")
        newest = max(newest, info.st_ctime_ns)
    signature = hashlib.sha256("\n".join(lines).encode("utf-8", "surrogateescape")).hexdigest()
    return signature, time.time_ns() - newest > RACY_NS


def _remembered(signature: str) -> tuple[str, dict[str, str]] | None:
    if _cache_folder is None:
        return None
    try:
        data = json.loads((_cache_folder / CODE_CACHE).read_bytes())
        if data["signature"] == signature and isinstance(data["digest"], str) and isinstance(data["versions"], dict):
            return data["digest"], data["versions"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def _remember(signature: str, code: tuple[str, dict[str, str]]) -> None:
    if _cache_folder is None:
        return
    from pipeline import output

    try:
        _cache_folder.mkdir(parents=True, exist_ok=True)
        output.replace_file(_cache_folder / CODE_CACHE, json.dumps(
            {"signature": signature, "digest": code[0], "versions": code[1]}, sort_keys=True).encode())
    except OSError:
        pass  # worked out again next time


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
_NEW: set[int] = set()  # ids of the known objects that were built anew, not taken from a cache


def known_digest(value: Any, digest: str, new: bool = False) -> None:
    """Describe this object by `digest` wherever it appears: for an object that is a pure function of bytes
    whose digest is known (a content item built from its file, see pipeline.content.built), so that it is not
    walked again. The digest must change whenever anything the object holds could. `new`: built from bytes
    that no cache knew (a file that changed), see built_anew."""
    _KNOWN[id(value)] = (value, digest)
    if new:
        _NEW.add(id(value))


def built_anew(value: Any) -> bool:
    """Whether this object was described as built anew: a hint of what changed since the last run (to do
    that work first), never a reason to reuse anything."""
    return id(value) in _NEW and id(value) in _KNOWN


def forget_known() -> None:
    """Drop every known_digest (a new content load replaces the objects; the old ones need not stay alive)."""
    _KNOWN.clear()
    _NEW.clear()


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
        if self.memoise:
            done = self.fingerprinter.reduced.get(id(obj))
            if done is not None:
                return done[1]
        kind = type(obj)
        names = _field_names(kind)
        if names is not None:
            known = _KNOWN.get(id(obj))
            if known is not None:
                reduced = (_described, ("known", known[1]))
            elif self.memoise:
                reduced = (_described, (self.fingerprinter.digest_of(obj, names),))
            else:
                return (_described, (f"{kind.__module__}.{kind.__qualname__}", tuple([getattr(obj, n) for n in names])))
            if self.memoise:  # the object kept alive with it, so that its id stays its own
                self.fingerprinter.reduced[id(obj)] = (obj, reduced)
            return reduced
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
        self.reduced: dict[int, tuple[Any, Any]] = {}  # id -> (the object, how _Describer writes it), likewise
        self.context = "\n".join(context)
        self._start = hashlib.sha256(self.context.encode() + b"\n")  # copied for each fingerprint
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
        digest = self._start.copy()
        digest.update(data)
        return digest.hexdigest()
