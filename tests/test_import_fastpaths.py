"""What a batch no longer does at every start gives the same results as before.

- Checks written without a regex of all CJK characters (compiling one takes several milliseconds: re builds
  a map of every character in a range with a Python loop) answer as those regexes, on random strings built
  from the characters at every edge of the classes and on every character of the Basic Multilingual Plane.
- The posters' first paragraph of a plain body, taken without markdown-it, equals the one from its tokens.
- Dataclasses built from the kept code of their methods (pipeline.dataclass_code) are the same classes.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys

from pipeline.channels.posters.context import first_paragraph, first_paragraph_by_tokens
from pipeline.channels.wechat.dom import _CJK as WECHAT_CJK, join_cjk_lines
from pipeline.markdown import plain_first_paragraph
from pipeline.review.checks import _CJK as HANZI, halfwidth_after_cjk, space_between_cjk

# Edges of every range in both classes, their neighbours outside, and what the patterns look for around them.
_EDGES = [chr(c) for c in (0x2E7F, 0x2E80, 0x2FFF, 0x3000, 0x303F, 0x3040, 0x33FF, 0x3400, 0x4DBF, 0x4DC0,
                           0x4DFF, 0x4E00, 0x9FFF, 0xA000, 0xF8FF, 0xF900, 0xFAFF, 0xFB00, 0xFEFF, 0xFF00,
                           0xFFEF, 0xFFF0, 0x20000)]
_OTHERS = list("中文字，。：a Z09٣３\n\t/:,;!?\u3000 ") + ["//", "  ", "\n\n", "：//"]


def _strings(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    pool = _EDGES + _OTHERS
    return [""] + ["".join(rng.choice(pool) for _ in range(rng.randint(1, 12))) for _ in range(count)]


def test_hanzi_checks_equal_their_regexes() -> None:
    space = re.compile(rf"[{HANZI}] +[{HANZI}]")
    halfwidth = re.compile(rf"[{HANZI}][,;!?](?!\d)|[{HANZI}]:(?!//|\d)")
    hits = [0, 0]
    for text in _strings(1, 40000):
        expected = (space.search(text) is not None, halfwidth.search(text) is not None)
        assert (space_between_cjk(text), halfwidth_after_cjk(text)) == expected, repr(text)
        hits[0] += expected[0]
        hits[1] += expected[1]
    assert min(hits) > 100  # the strings do exercise both answers


def test_hanzi_checks_on_every_bmp_character() -> None:
    space = re.compile(rf"[{HANZI}] +[{HANZI}]")
    halfwidth = re.compile(rf"[{HANZI}][,;!?](?!\d)|[{HANZI}]:(?!//|\d)")
    for code in range(0x10000):
        char = chr(code)
        for text in (f"{char} 中", f"中  {char}", f"{char},", f"{char}:x", f"{char}:1", f"{char}!{char}"):
            assert space_between_cjk(text) == (space.search(text) is not None), repr(text)
            assert halfwidth_after_cjk(text) == (halfwidth.search(text) is not None), repr(text)


def test_join_cjk_lines_equals_its_regex() -> None:
    soft_break = re.compile(rf"(?<=[{WECHAT_CJK}])\n(?=[{WECHAT_CJK}])")
    changed = 0
    for text in _strings(2, 40000):
        expected = soft_break.sub("", text)
        assert join_cjk_lines(text) == expected, repr(text)
        changed += expected != text
    assert changed > 500
    for code in range(0x10000):
        text = f"{chr(code)}\n中\n{chr(code)}\n\n{chr(code)}"
        assert join_cjk_lines(text) == soft_break.sub("", text), repr(text)


def test_batch_modules_compile_no_big_pattern_at_import() -> None:
    """The modules a batch imports compile no CJK class, and the line breaker's pattern waits for its first use."""
    code = ("import re\n"
            "compiled = []\n"
            "original = re._compile\n"
            "def spy(pattern, flags):\n"
            "    compiled.append(str(pattern))\n"
            "    return original(pattern, flags)\n"
            "re._compile = spy\n"
            "import pipeline.review.checks, pipeline.channels.wechat.dom\n"
            "from pipeline.channels.posters import linebreak\n"
            "print(any('\\u9fff' in p for p in compiled), linebreak._ATOM_PATTERN in compiled)\n"
            "linebreak.clusters('2027年4月3日')\n"
            "print(linebreak._ATOM_PATTERN in compiled)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False", "True"], out


def test_first_paragraph_without_markdown_it_equals_tokens() -> None:
    from test_markdown import SNIPPETS, _generated, _shipped_bodies, make_corpus

    rng = random.Random(3)
    # Paragraphs and list items first or after headings and blank lines, loose and tight, empty, with entities.
    pieces = ["# 标题", "## 小标题", "- 项目", "- &nbsp;", "1. 第一", "2) 第二", "正文，第一段。", "&amp; &lt;b&gt; &copy;",
              "&nbsp;", "续行", "行尾  ", "\\#号", "\"引号\" 'x'", "", "", "  ", "&bogus;", "a > b"]
    shaped = ["\n".join(rng.choice(pieces) for _ in range(rng.randint(1, 8))) for _ in range(3000)]
    bodies = (_shipped_bodies() + [make_corpus.body(rng, 300, 800) for _ in range(100)] + _generated(4, 3000)
              + shaped + [body.rstrip("\n") for body in shaped[:500]] + SNIPPETS)
    plain = 0
    for body in bodies:
        expected = first_paragraph_by_tokens(body)
        assert first_paragraph(body) == expected, repr(body)
        plain += plain_first_paragraph(body) is not None
    assert plain > 2500  # the comparison covers the fast path (shipped, corpus and most shaped bodies)


_DESCRIBE_CLASSES = r"""
import dataclasses, hashlib, importlib, json, marshal, pkgutil, sys
from pathlib import Path
import pipeline
from pipeline import dataclass_code
if sys.argv[1] != "-":
    dataclass_code.keep_dataclass_code_in(Path(sys.argv[1]))
names = sorted(m.name for m in pkgutil.walk_packages(pipeline.__path__, "pipeline.") if m.name != "pipeline.__main__")
described = {}
for name in names:
    try:
        module = importlib.import_module(name)
    except Exception:  # a module needing what this machine lacks: skipped the same way in every run
        continue
    for cls in vars(module).values():
        if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == name:
            methods = {}
            for key, value in sorted(vars(cls).items()):
                function = getattr(value, "__wrapped__", value)
                code = getattr(function, "__code__", None)
                if code is not None and code.co_filename == "<string>":
                    methods[key] = [hashlib.sha256(marshal.dumps(code)).hexdigest(), function.__qualname__,
                                    function.__globals__ is vars(module), sorted(function.__annotations__)]
            described[f"{name}.{cls.__qualname__}"] = [repr(cls.__dataclass_params__), sorted(vars(cls)), methods]
print(json.dumps({"compiled": dataclass_code.compiled_here(), "classes": described}))
"""


def test_dataclasses_from_kept_code_are_the_same(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    def describe(folder: str) -> dict:  # type: ignore[type-arg]
        run = subprocess.run([sys.executable, "-c", _DESCRIBE_CLASSES, folder], capture_output=True, text=True,
                             check=True)
        return json.loads(run.stdout)

    plain = describe("-")
    first = describe(str(tmp_path))  # compiles every method, keeps them
    kept = describe(str(tmp_path))  # takes every method's code from the file
    assert len(plain["classes"]) > 80 and sum(len(c[2]) for c in plain["classes"].values()) > 400
    assert first["compiled"] > 400 and kept["compiled"] == 0
    assert first["classes"] == kept["classes"] == plain["classes"]

    stored = next(tmp_path.iterdir())
    stored.write_bytes(b"not marshal")  # a damaged file is ignored and written anew
    assert describe(str(tmp_path))["compiled"] > 400
    assert describe(str(tmp_path))["compiled"] == 0
