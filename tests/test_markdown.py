"""render_markdown renders plain bodies with cmark-gfm: its HTML must be markdown-it-py's, byte for byte."""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import pytest

from pipeline import markdown
from pipeline.markdown import render_markdown, render_markdown_reference

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
import make_corpus  # noqa: E402

SNIPPETS = [
    "*强调*", "**加粗**", "`代码`", "[链接](https://example.com/路径?a=1&b=2)", "[x](javascript:alert(1))",
    "[x](JaVaScript:alert(1))", "[x](data:text/html,hi)", "[x](vbscript:x)", "[x](file:///etc/passwd)",
    "<https://example.com>", "<mailto:a@b.c>", "<b>raw</b>", "<div>\n*x*\n</div>", "<!-- 注释 -->",
    "<script>alert(1)</script>", "&amp;", "&nbsp;", "&#12345;", "&bogus;", "&ngE;", "&#0;", "&#x110000;",
    "\\*非强调\\*", "# 标题", "## 二级", "###### 六级", "Setext\n===", "---", " * * *", "> 引用", "- a\n- b",
    "1. 一\n2. 二", "3) 三", "10. 十", "1. a\n\n   b", "+ 加", "| a | b |\n|---|---|\n| 1 | 2 |",
    "| a | b |\n|:--|:-:|\n| 1 | 2 |", "a|b\n-|-\n1|2", "```\ncode\n```", "~~~\ncode\n~~~", "    缩进代码",
    "\t制表符", "[ref]\n\n[ref]: https://x.org '标题'", "![图](a.png)", "行尾  \n换行", "行尾\\\n换行", "\\  \n",
    "http://bare.link", "中文，标点。“引号”", "\"quotes\" 'single'", "*a **b* c**", "_a_b_", "中_文_字", "~~删~~",
    "\x00", "\u2028", "\u3000缩进", "x\u00a0y", "温度**25℃**左右", "*→*x", "★**五星**★", "**“引号”**后",
    "中文**强调**中文", "（**括号**）", "🎉**活动**", "9:00～17:00", "**¥100**元", "***x***", "**", "___",
    "a\n\n\n\nb", "  \n", "\\\\", "- - -", "- [ ] 任务", "> - 列表\n继续", ">\n", "- a\n  - b\n    - c\n      - d",
]

ALPHABET = (list("*_`#>-+=.:!()[]\\&;~ \t\n\n\n1234 abcxyz") + list("中文字。，“”（）《》、！？：；—…★℃")
            + ["**", "  \n", "\n\n", "    ", "```", "~~~", "- ", "1. ", "> ", "# ", "&amp;", "&#x41;", "](", "<"])


LINE_STARTS = ["", "", "", "# ", "## ", "- ", "+ ", "1. ", "2) ", "  ", "    ", "- - ", "-  ", "---", "===", "> ", "10. "]
LINE_TEXT = list("  中文ab1.)#-+=>。“”，") + ["&amp;", "&#x41;", "\\", "\\#", "  ", "1. ", "- "]


def _front_matter_bodies(paths: list[Path]) -> list[str]:
    bodies = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if text.startswith("---\n") and "\n---\n" in text:
            bodies.append(text.split("\n---\n", 1)[1].strip() + "\n")
    return bodies


def _shipped_bodies() -> list[str]:
    paths = sorted(REPO.glob("routes/*.md")) + sorted(REPO.glob("content/*/*.md"))
    paths += sorted((REPO / "tests" / "fixtures").rglob("*.md"))
    return _front_matter_bodies(paths)


def _generated(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    bodies = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.4:  # lines shaped like our bodies' (headings, items, text), with the odd twist
            lines = [rng.choice(LINE_STARTS) + "".join(rng.choice(LINE_TEXT) for _ in range(rng.randint(0, 12)))
                     for _ in range(rng.randint(1, 8))]
            text = "\n".join(lines)
        elif kind < 0.7:
            parts = [rng.choice(SNIPPETS) for _ in range(rng.randint(1, 8))]
            text = "".join(part + rng.choice(["\n\n", "\n", " ", ""]) for part in parts)
        else:
            text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 60)))
        bodies.append(text.strip() + "\n")
    return bodies


def _assert_same(bodies: list[str]) -> int:
    """Same HTML as markdown-it-py for every body; returns how many took the fast path."""
    fast = 0
    for body in bodies:
        assert render_markdown(body) == render_markdown_reference(body), repr(body)
        fast += markdown._fast(body) is not None
    return fast


def test_shipped_bodies_render_as_markdown_it_does() -> None:
    bodies = _shipped_bodies()
    assert len(bodies) > 40
    fast = _assert_same(bodies)
    assert fast > len(bodies) // 2  # the shipped bodies are plain: most take the fast path


def test_synthetic_corpus_bodies_render_as_markdown_it_does() -> None:
    rng = random.Random(7)
    bodies = [make_corpus.body(rng, 300, 800) for _ in range(300)]
    assert _assert_same(bodies) == len(bodies)


def test_generated_bodies_render_as_markdown_it_does() -> None:
    bodies = _generated(1, 4000)
    fast = _assert_same(bodies)
    assert fast > 200  # the comparison covers the fast path, not only the fallback


@pytest.mark.parametrize("body", [
    ">" * 5000 + "x\n", "[" * 20000 + "\n", "*" * 20000 + "\n", "- " * 3000 + "x\n", "`" * 5000 + "\n",
    "<" * 5000 + "\n", "|" * 5000 + "\n" + "-|" * 2000 + "\n", "\x00" * 100 + "\n", "a\rb\rc\n", "# \n" * 100,
    "&#" + "9" * 50 + ";\n", "1" * 20 + ". x\n", "  " * 2000 + "- x\n", "\n".join("  " * n + "- x" for n in range(60)) + "\n",
    "&#xFFFE;\n", "&#xFFFF; &#xFDD0;\n", "&#x85;&#127;&#x9F;&#11;\n", "\ud800\n".encode("utf-8", "surrogatepass").decode("utf-8", "replace"), "",
])
def test_adversarial_bodies_never_crash(body: str) -> None:
    assert render_markdown(body) == render_markdown_reference(body)


@pytest.mark.parametrize(("body", "fragment"), [
    ("<script>alert(1)</script>\n", "&lt;script&gt;"),
    ("[点我](javascript:alert(1))\n", "[点我](javascript:alert(1))"),
    ("a <b>b</b>\n", "&lt;b&gt;"),
])
def test_raw_html_escaped_and_unsafe_links_refused(body: str, fragment: str) -> None:
    html = render_markdown(body)
    assert fragment in html and "<script" not in html and "href=\"javascript" not in html


TAG_SOUP = ["<h1>", "</h1>", "<h2>", "</h2>", "<h3>", "</h3>", "<h4>", "</h4>", "<h5>", "</h5>", "<h6>", "</h6>", "<h7>",
            "<h2 id=x>", "</h", "<p>", "</p>", "<ul>", "</ul>", "<ol>", "</ol>", '<ol start="3">', '<ol start="x">',
            "<li>", "</li>", "<ul class=a>", "<em>", "<", ">", "&amp;", "&lt;", "&gt;", "&quot;", "&copy;", "&#65;",
            "&", "\n", " ", "中", "文", "a", "\x00", "\x7f", "\xa0", "\ufdd0", "\ufffe", "\u3000", "\t", "*", "_", "`",
            "~", "~~~", "]", "](", "]:", "|", "\\", "\\ ", "\\\n", "&#", "\u2028", "\ufeff", "#", "-", "1."]


def _soups(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(TAG_SOUP) for _ in range(rng.randint(0, 30))) for _ in range(count)]


def _shifted_by_regex(html: str, top_level: int) -> str:
    """Headings shifted as the site did before sanitize.shift_headings: every tag rewritten in one pass."""
    from pipeline.channels.site.sanitize import _HEADING

    levels = [int(m.group(2)) for m in _HEADING.finditer(html) if not m.group(1)]
    if levels:
        shift = top_level - min(levels)
        html = _HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, max(1, int(m.group(2)) + shift))}>", html)
    return html


def test_fast_path_checks_equal_their_regular_expressions() -> None:
    """The checks taken apart for speed (a scan for single characters first, then the rest) answer exactly as the
    single regular expressions they stand for, on bodies, their HTML and random soups of tags and characters."""
    from pipeline.channels.site import sanitize

    rng = random.Random(5)
    texts = _soups(2, 6000) + _generated(4, 1500) + _shipped_bodies() + [make_corpus.body(rng, 300, 800) for _ in range(50)]
    texts += [html for html in map(markdown.fast_markdown, list(texts)) if html is not None]
    texts += ["<ul>" * n + "<li>" + "</ul>" * n for n in range(10)] + ["<ol>\n<li>" * 7, "<ul" * 9, "<ul><ol>" * 4]
    for text in texts:
        assert markdown._not_plain(text) == (markdown._NOT_PLAIN.search(text) is not None), repr(text)
        assert markdown._deeper_lists(text) == (markdown._list_depth(text) > markdown._MAX_DEPTH), repr(text)
        for level in range(1, 7):
            assert sanitize.shift_headings(text, level) == _shifted_by_regex(text, level), (repr(text), level)
