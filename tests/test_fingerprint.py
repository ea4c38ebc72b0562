"""Fingerprints decide what is reused: every difference in a value must change them, and a value that cannot be
described the same way in another run must give None (render it)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from markupsafe import Markup

from pipeline.fingerprint import Fingerprinter, known_digest


@dataclass(frozen=True, slots=True)
class Leaf:
    name: str
    where: tuple[float, float] | None = None
    hidden: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class Node:
    leaf: Leaf
    leaves: tuple[Leaf, ...]
    extra: dict[str, object]


@dataclass
class Page:
    path: str
    vars: dict[str, object]


def node(**changes: object) -> Node:
    base = Node(Leaf("a", (1.0, 2.0)), (Leaf("b"), Leaf("c")), {"n": 1, "when": date(2027, 4, 1)})
    return replace(base, **changes)


def test_every_difference_changes_the_fingerprint() -> None:
    values = [
        node(),
        node(leaf=Leaf("a", (1.0, 2.5))),
        node(leaf=Leaf("a", (1.0, 2.0), hidden="x")),  # a field left out of repr still counts
        node(leaves=(Leaf("b"),)),
        node(leaves=(Leaf("c"), Leaf("b"))),
        node(extra={"n": True, "when": date(2027, 4, 1)}),  # 1 and True are different values
        node(extra={"n": 1.0, "when": date(2027, 4, 1)}),
        node(extra={"n": 1, "when": date(2027, 4, 2)}),
        node(extra={"when": date(2027, 4, 1), "n": 1}),  # the order a template iterates in
        node(extra={"n": "1", "when": date(2027, 4, 1)}),
        node(extra={"n": Markup("1"), "when": date(2027, 4, 1)}),
        node(extra={"n": [1], "when": date(2027, 4, 1)}),
        node(extra={"n": (1,), "when": date(2027, 4, 1)}),
        Leaf("a", (1.0, 2.0)),
    ]
    keys = [Fingerprinter("ctx").of("page", Page("x/", {"v": v})) for v in values]
    assert None not in keys and len(set(keys)) == len(keys)
    assert Fingerprinter("other").of("page", Page("x/", {"v": values[0]})) != keys[0]  # the shared context counts


def test_equal_values_give_equal_fingerprints_across_fingerprinters_and_runs() -> None:
    one = Fingerprinter("ctx")
    shared = node()
    first = one.of("page", Page("x/", {"v": shared, "again": shared}))
    assert one.of("page", Page("x/", {"v": node(), "again": node()})) == first  # memoised or not
    assert Fingerprinter("ctx").of("page", Page("x/", {"v": node(), "again": node()})) == first
    text = "".join(["山", "水"])  # one string object shown twice, or two equal ones: the same
    assert one.of(Page("x/", {"a": text, "b": text})) == one.of(Page("x/", {"a": "山水", "b": "".join(["山", "水"])}))
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import test_fingerprint as t; "
              "from pipeline.fingerprint import Fingerprinter; "
              "print(Fingerprinter('ctx').of('page', t.Page('x/', {'v': t.node(), 'again': t.node()})))")
    other = subprocess.run([sys.executable, "-c", script, str(Path(__file__).parent)], capture_output=True, text=True,
                           check=True, env={"PYTHONHASHSEED": "123"})
    assert other.stdout.strip() == first


def test_values_shown_by_their_address_are_never_reused() -> None:
    class Opaque:
        pass

    fp = Fingerprinter("ctx")
    assert fp.of("page", Page("x/", {"v": Opaque()})) is None
    assert fp.of("page", Page("x/", {"v": node(extra={"f": lambda: 1})})) is None
    assert fp.of("page", Page("x/", {"v": node()})) is not None
    assert Fingerprinter("ctx", enabled=False).of("page", Page("x/", {})) is None


def test_a_fingerprinter_gives_the_same_fingerprints_as_a_new_one_after_any_value() -> None:
    """It writes every value with the same two picklers: nothing of one value (nor of a value that could not be
    described, left half written) may show in the next one's fingerprint."""
    class Opaque:
        pass

    values = [node(), Leaf("z", (3.0, 4.0)), node(extra={"f": Opaque()}), node(leaves=(Leaf("b"),)),
              node(leaf=Leaf("q", hidden="h")), {"deep": [node(extra={"f": Opaque()})]}, node()]
    one = Fingerprinter("ctx")
    for value in values:
        assert one.of("page", Page("x/", {"v": value})) == Fingerprinter("ctx").of("page", Page("x/", {"v": value}))
    assert [one.of("page", Page("x/", {"v": v})) for v in values].count(None) == 2


def test_a_known_digest_stands_for_its_object() -> None:
    fp = Fingerprinter("ctx")
    leaf = Leaf("a")
    plain = fp.of(leaf)
    known_digest(leaf, "d1")
    described = Fingerprinter("ctx").of(leaf)
    assert described != plain and Fingerprinter("ctx").of(Leaf("a")) == plain  # only that object
    known_digest(leaf, "d2")
    assert Fingerprinter("ctx").of(leaf) != described


def test_code_digest_is_kept_only_while_the_stats_it_depends_on_hold(tmp_path: Path, monkeypatch) -> None:
    import json

    from pipeline import fingerprint

    monkeypatch.setattr(fingerprint, "_code", None)
    monkeypatch.setattr(fingerprint, "_cache_folder", None)
    truth = fingerprint._worked_out()
    assert truth[1]["jinja2"] != "-"

    def fresh_process_digest() -> tuple[str, str]:
        monkeypatch.setattr(fingerprint, "_code", None)
        fingerprint.keep_code_digest_in(tmp_path)
        return fingerprint.code_digest(), fingerprint.library_version("jinja2")

    signature = {"value": ("one", True)}
    monkeypatch.setattr(fingerprint, "_signature", lambda: signature["value"])
    assert fresh_process_digest() == (truth[0], truth[1]["jinja2"])
    kept = json.loads((tmp_path / "code.json").read_text())
    assert kept["signature"] == "one" and kept["digest"] == truth[0]

    # Taken from the file while the signature is the same: what is written there is what comes back.
    (tmp_path / "code.json").write_text(json.dumps({**kept, "digest": "from-the-cache"}))
    assert fresh_process_digest()[0] == "from-the-cache"
    # Any stat changed: worked out again (and kept again).
    signature["value"] = ("two", True)
    assert fresh_process_digest()[0] == truth[0]
    assert json.loads((tmp_path / "code.json").read_text())["signature"] == "two"
    # A damaged file only costs time.
    (tmp_path / "code.json").write_text("{not json")
    assert fresh_process_digest()[0] == truth[0]
    # Something changed a moment ago (it may change again within the clock's tick): not kept.
    (tmp_path / "code.json").unlink()
    signature["value"] = ("three", False)
    assert fresh_process_digest()[0] == truth[0]
    assert not (tmp_path / "code.json").exists()
    assert fingerprint.library_version("no-such-library") == "-"


def test_code_signature_follows_package_files_and_library_folders() -> None:
    from pipeline import fingerprint

    first, _ = fingerprint._signature()
    assert fingerprint._signature()[0] == first
    original = list(sys.path)
    try:
        sys.path.append(str(Path(__file__).parent))  # a new folder where libraries could be found
        assert fingerprint._signature()[0] != first
    finally:
        sys.path[:] = original
