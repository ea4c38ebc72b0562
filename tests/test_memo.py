"""The channels' memo of pure results: used only by the same code, a damaged file is ignored, size is capped."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest

from pipeline.channels import memo as memo_module
from pipeline.channels.memo import Memo, text_key


def _counting(value: object) -> tuple[list[int], object]:
    calls: list[int] = []

    def make() -> object:
        calls.append(1)
        return value

    return calls, make


def test_an_answer_is_remembered_across_runs_and_given_back_equal(tmp_path: Path) -> None:
    first = Memo(tmp_path, "m")
    calls, make = _counting(("段落", [1, 2], None))
    assert first.get("kind", text_key("正文"), make) == ("段落", [1, 2], None)
    assert first.get("kind", text_key("正文"), make) == ("段落", [1, 2], None)
    first.save()
    second = Memo(tmp_path, "m")
    assert second.get("kind", text_key("正文"), make) == ("段落", [1, 2], None)
    assert len(calls) == 1
    other_calls, other = _counting("别的")
    assert second.get("other-kind", text_key("正文"), other) == "别的"  # the kind is part of the key
    assert second.get("kind", text_key("正文 "), other) == "别的"
    assert len(other_calls) == 2


def test_other_code_or_a_damaged_file_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    memo = Memo(tmp_path, "m")
    memo.get("kind", "k", lambda: "旧")
    memo.save()
    monkeypatch.setattr(memo_module, "code_digest", lambda: "another code")
    assert Memo(tmp_path, "m").get("kind", "k", lambda: "新") == "新"
    monkeypatch.undo()
    memo.path.write_bytes(b"\x00garbage")
    assert Memo(tmp_path, "m").get("kind", "k", lambda: "新") == "新"


def test_nothing_new_writes_nothing_and_the_oldest_go_first(tmp_path: Path) -> None:
    memo = Memo(tmp_path, "m", cap=3)
    for n in range(5):
        memo.get("kind", str(n), lambda n=n: n)
    memo.save()
    entries = marshal.loads(memo.path.read_bytes())["entries"]
    assert list(entries.values()) == [2, 3, 4]
    stamp = memo.path.stat().st_mtime_ns
    again = Memo(tmp_path, "m", cap=3)
    assert again.get("kind", "4", lambda: -1) == 4
    again.save()
    assert memo.path.stat().st_mtime_ns == stamp
