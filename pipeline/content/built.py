"""Validated content objects, cached per source file, so an unchanged file is not turned into objects again.

Turning a file's front matter into a Route, Event or Guide (checking every field) costs more than reading
the cache, and depends only on the file's path and bytes and on the code: <root>/state/cache/built.pickle
keeps, per (kind, path, sha256 of the bytes), the object and the warnings its file produced, stamped with
the code digest (pipeline.fingerprint.code_digest: the package's files and the libraries' versions). Only
files that validated without any error are kept, and only objects that do not depend on another file
(no images: those are checked and hashed every time). Checks across files (duplicate ids, references)
always run on every object, cached or not, so the problems reported are exactly those of a full load.
"""

from __future__ import annotations

import copyreg
import dataclasses
import hashlib
import io
import operator
import os
import pickle
import struct
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator

from pipeline.content import model
from pipeline.content.problems import Problem
from pipeline.fingerprint import forget_known, known_digest

CACHE_NAME = "built.pickle"
_FORMAT = "built-v3"
_LENGTHS = struct.Struct("<II")  # each record: the length of its name and of its data, then both

Entry = tuple[Any, tuple[Problem, ...]]  # (the object, the warnings its file produced, in order)


def _reducer(cls: type) -> Any:
    names = tuple(f.name for f in dataclasses.fields(cls))
    if len(names) == 1:
        return lambda obj: (cls, (getattr(obj, names[0]),))
    values = operator.attrgetter(*names)  # a tuple of the fields, in order
    return lambda obj: (cls, values(obj))


# The model's frozen dataclasses are rebuilt through their constructors: several times faster to load than
# pickle's default for slotted dataclasses (which looks up their fields again for every object).
_DISPATCH = copyreg.dispatch_table.copy()
for _cls in [*vars(model).values(), Problem]:
    if (isinstance(_cls, type) and dataclasses.is_dataclass(_cls) and hasattr(_cls, "__slots__")
            and all(f.init for f in dataclasses.fields(_cls))):
        _DISPATCH[_cls] = _reducer(_cls)


def _dumps(entry: Entry) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(entry)
    return buffer.getvalue()


def _stamp() -> str:
    from pipeline.fingerprint import code_digest

    return f"{_FORMAT}|{code_digest()}"


def key(kind: str, rel: str, digest: str) -> str:
    return f"{kind}\0{rel}\0{digest}"


def _describe_by(item: Any, data: bytes, new: bool = False) -> None:
    # The pickled entry holds every field of the object (see _DISPATCH): its digest describes the object for
    # the site's fingerprints, so that pages do not walk every route again.
    known_digest(item, hashlib.sha256(b"built\0" + data).hexdigest(), new)


def _record(name: str, data: bytes) -> bytes:
    encoded = name.encode()
    return _LENGTHS.pack(len(encoded), len(data)) + encoded + data


def _records(data: bytes) -> Iterator[tuple[str, bytes]]:
    view = memoryview(data)
    at = 0
    while at < len(view):
        name_size, size = _LENGTHS.unpack_from(view, at)
        at += _LENGTHS.size
        name = str(view[at:at + name_size], "utf-8")
        at += name_size
        if at + size > len(view):
            raise ValueError("truncated")
        yield name, bytes(view[at:at + size])
        at += size


def write_entries(path: Path, stamp: str, entries: Iterable[tuple[str, bytes]]) -> None:
    """The cache file: the stamp, then one record per entry (see BuiltCache)."""
    with open(path, "wb") as file:
        file.write(_record(stamp, b""))
        for name, data in entries:
            file.write(_record(name, data))


class BuiltCache:
    """What earlier runs built, and what this run used or built (only that is kept for the next run).

    Entries this run builds are written to a spool file next to the cache as they are made, not kept in memory:
    on a large tree built from nothing, the pickled entries of every object would add tens of megabytes to
    the peak memory of the whole build (the forked site workers inherit it)."""

    def __init__(self, folder: Path | None) -> None:
        self.path = folder / CACHE_NAME if folder is not None else None
        forget_known()
        self.stored: dict[str, bytes] = self._read()  # each entry pickled on its own: only new ones are pickled
        self.kept: dict[str, None] = {}  # names of the entries used or built this run, in order
        self._spool: BinaryIO | None = None
        self.fresh = False

    def _read(self) -> dict[str, bytes]:
        if self.path is None:
            return {}
        try:
            records = _records(self.path.read_bytes())
            stamp, _ = next(records)
            return dict(records) if stamp == _stamp() else {}
        except Exception:  # missing, damaged or from another version: only costs time
            return {}

    def __contains__(self, name: str) -> bool:
        return name in self.stored

    def get(self, name: str) -> Entry | None:
        data = self.stored.get(name)
        if data is None:
            return None
        try:
            entry = pickle.loads(data)
        except Exception:
            return None
        self._keep(name, data)
        _describe_by(entry[0], data)
        return entry  # type: ignore[no-any-return]

    def put(self, name: str, item: Any, warnings: tuple[Problem, ...]) -> None:
        try:
            data = _dumps((item, warnings))
        except (pickle.PicklingError, TypeError, AttributeError):
            return  # not kept: built again next time
        _describe_by(item, data, new=True)
        if self.path is None:
            return
        if self._spool is None:
            self._open_spool()
        self.fresh = True
        self._keep(name, data)

    def _keep(self, name: str, data: bytes) -> None:
        if name in self.kept:
            return
        self.kept[name] = None
        if self._spool is not None:
            self._spool.write(_record(name, data))

    def _open_spool(self) -> None:
        """Start the new cache file, with the entries kept so far (all of them from the old one)."""
        assert self.path is not None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._spool = open(self._spool_path(), "wb", buffering=1 << 20)  # one write per MB, not per entry
            self._spool.write(_record(_stamp(), b""))
            for name in self.kept:
                self._spool.write(_record(name, self.stored[name]))
        except OSError:
            self._spool = None
            self.path = None  # without the cache the next run builds every object again

    def _spool_path(self) -> Path:
        assert self.path is not None
        return self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")

    def save(self) -> None:
        if self.path is None:
            return
        if self._spool is None and len(self.kept) != len(self.stored):  # entries dropped: write what was used
            self._open_spool()
        if self._spool is None:
            return
        try:
            self._spool.close()
            os.replace(self._spool_path(), self.path)
        except OSError:
            pass  # without the cache the next run builds every object again
        self._spool = None

    def discard(self) -> None:
        """After a failed load: drop the new cache file if one was started (the old one stays)."""
        if self._spool is not None:
            self._spool.close()
            self._spool_path().unlink(missing_ok=True)
            self._spool = None
