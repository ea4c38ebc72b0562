"""What a batch no longer does at every start gives the same results as before.

- Checks written without a regex of all CJK characters (compiling one takes several milliseconds: re builds
  a map of every character in a range with a Python loop) answer as those regexes, on random strings built
  from the characters at every edge of the classes and on every character of the Basic Multilingual Plane.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys

from pipeline.channels.wechat.dom import _CJK as WECHAT_CJK, join_cjk_lines
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
