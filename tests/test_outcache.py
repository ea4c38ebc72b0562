"""The record of generated files: a file is reused only when its fingerprint is the same and the file on disk still
holds the recorded bytes; a damaged or stale record only costs time."""

from __future__ import annotations

import hashlib
import marshal
import os
from pathlib import Path

from pipeline.outcache import OutputCache, file_stat


def _made(tmp_path: Path, data: bytes = b"<p>page</p>") -> tuple[Path, Path]:
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "a.html").write_bytes(data)
    record = tmp_path / "record.marshal"
    cache = OutputCache(record, folder)
    cache.record("a.html", "key1", hashlib.sha256(data).hexdigest(), {"stat": file_stat(folder / "a.html")})
    cache.save()
    return folder, record


def test_reused_only_for_the_same_fingerprint_and_bytes(tmp_path: Path) -> None:
    folder, record = _made(tmp_path)
    cache = OutputCache(record, folder)
    assert cache.reusable("a.html", "key2") is None and not cache.kept("a.html", "key2")  # an input changed
    assert cache.reusable("a.html", None) is None
    assert cache.reusable("b.html", "key1") is None
    assert cache.reusable("a.html", "key1") is not None and cache.kept("a.html", "key1")
    (folder / "a.html").write_bytes(b"<p>edited by hand</p>")  # the file is no longer what was made
    assert OutputCache(record, folder).reusable("a.html", "key1") is None
    (folder / "a.html").unlink()
    assert OutputCache(record, folder).reusable("a.html", "key1") is None


def test_the_same_bytes_in_a_new_file_are_reused_and_its_stat_remembered(tmp_path: Path) -> None:
    folder, record = _made(tmp_path)
    old = file_stat(folder / "a.html")
    (folder / "a.html").unlink()
    (folder / "a.html").write_bytes(b"<p>page</p>")  # a new inode: the stat no longer matches, the bytes do
    os.utime(folder / "a.html", ns=(1, 1))
    assert file_stat(folder / "a.html") != old
    cache = OutputCache(record, folder)
    assert cache.reusable("a.html", "key1") == {"stat": file_stat(folder / "a.html")}
    assert cache.kept("a.html", "key1")
    cache.save()
    assert OutputCache(record, folder).known["a.html"][2]["stat"] == file_stat(folder / "a.html")


def test_a_damaged_record_reuses_nothing(tmp_path: Path) -> None:
    folder, record = _made(tmp_path)
    good = record.read_bytes()
    for damaged in (b"{not json", b"", good[:-5], good[:1] + b"\xff" + good[2:], marshal.dumps([]),
                    marshal.dumps({"format": "outputs-v2", "files": {"a.html": "x"}}),
                    marshal.dumps({"format": 1, "files": {}})):
        record.write_bytes(damaged)
        cache = OutputCache(record, folder)
        assert cache.reusable("a.html", "key1") is None and not cache.kept("a.html", "key1")
