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
import marshal
import pickle
from pathlib import Path
from typing import Any

from pipeline import output
from pipeline.content import model
from pipeline.content.problems import Problem
from pipeline.fingerprint import forget_known, known_digest

CACHE_NAME = "built.pickle"
_FORMAT = "built-v2"

Entry = tuple[Any, tuple[Problem, ...]]  # (the object, the warnings its file produced, in order)


def _reducer(cls: type) -> Any:
    names = tuple(f.name for f in dataclasses.fields(cls))
    return lambda obj: (cls, tuple([getattr(obj, name) for name in names]))


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


def _describe_by(item: Any, data: bytes) -> None:
    # The pickled entry holds every field of the object (see _DISPATCH): its digest describes the object for
    # the site's fingerprints, so that pages do not walk every route again.
    known_digest(item, hashlib.sha256(b"built\0" + data).hexdigest())


class BuiltCache:
    """What earlier runs built, and what this run used or built (only that is kept for the next run)."""

    def __init__(self, folder: Path | None) -> None:
        self.path = folder / CACHE_NAME if folder is not None else None
        forget_known()
        self.stored: dict[str, bytes] = self._read()  # each entry pickled on its own: only new ones are pickled
        self.used: dict[str, bytes] = {}
        self.fresh = False

    def _read(self) -> dict[str, bytes]:
        if self.path is None:
            return {}
        try:
            stamp, entries = marshal.loads(self.path.read_bytes())
        except Exception:  # missing, damaged or from another version: only costs time
            return {}
        return entries if stamp == _stamp() and isinstance(entries, dict) else {}

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
        self.used[name] = data
        _describe_by(entry[0], data)
        return entry  # type: ignore[no-any-return]

    def put(self, name: str, item: Any, warnings: tuple[Problem, ...]) -> None:
        try:
            data = self.used[name] = _dumps((item, warnings))
        except (pickle.PicklingError, TypeError, AttributeError):
            return  # not kept: built again next time
        _describe_by(item, data)
        self.fresh = True

    def save(self) -> None:
        if self.path is None or not (self.fresh or len(self.used) != len(self.stored)):
            return
        try:
            output.replace_file(self.path, marshal.dumps((_stamp(), dict(sorted(self.used.items())))))
        except OSError:
            pass  # without the cache the next run builds every object again
