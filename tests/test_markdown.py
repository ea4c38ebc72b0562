"""Markdown bodies: markdown-it-py's CommonMark (plus tables), raw HTML escaped, unsafe links refused; the posters'
first paragraph from its tokens; the site's heading shift."""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import pytest

from pipeline.markdown import first_paragraph, parse_markdown, render_markdown

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
import make_corpus  # noqa: E402


@pytest.mark.parametrize(("body", "html"), [
    ("# 标题\n\n正文，第一段。\n", "<h1>标题</h1>\n<p>正文，第一段。</p>\n"),
    ("- 一\n- 二\n", "<ul>\n<li>一</li>\n<li>二</li>\n</ul>\n"),
    ("3. 三\n4. 四\n", '<ol start="3">\n<li>三</li>\n<li>四</li>\n</ol>\n'),
    ("- a\n\n- b\n", "<ul>\n<li>\n<p>a</p>\n</li>\n<li>\n<p>b</p>\n</li>\n</ul>\n"),
    ("中文**强调**中文\n", "<p>中文<strong>强调</strong>中文</p>\n"),
    ("温度**25℃**左右\n", "<p>温度**25℃**左右</p>\n"),  # ℃ is a symbol: the closing ** cannot close here
    ("“引号” \"直引号\" & < >\n", "<p>“引号” &quot;直引号&quot; &amp; &lt; &gt;</p>\n"),
    ("&copy; &nbsp;x &bogus;\n", "<p>© \u00a0x &amp;bogus;</p>\n"),
    ("行尾  \n换行\n", "<p>行尾<br />\n换行</p>\n"),
    ("| a | b |\n|:--|:-:|\n| 1 | 2 |\n", '<table>\n<thead>\n<tr>\n<th style="text-align:left">a</th>\n'
     '<th style="text-align:center">b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td style="text-align:left">1</td>\n'
     '<td style="text-align:center">2</td>\n</tr>\n</tbody>\n</table>\n'),
    ("[链接](https://example.com/路径?a=1&b=2)\n",
     '<p><a href="https://example.com/%E8%B7%AF%E5%BE%84?a=1&amp;b=2">链接</a></p>\n'),
    ("http://bare.link\n", "<p>http://bare.link</p>\n"),  # no linkify
    ("1. 一\n2. 二\n\n---\n", "<ol>\n<li>一</li>\n<li>二</li>\n</ol>\n<hr />\n"),
    ("> 引用\n", "<blockquote>\n<p>引用</p>\n</blockquote>\n"),
    # Not in a tourism article: an indented first line stays a paragraph (no code block), "---" under a
    # paragraph is a rule (no setext heading), fences and link definitions are plain text.
    ("    首行缩进的一段。\n", "<p>首行缩进的一段。</p>\n"),
    ("第二段\n---\n", "<p>第二段</p>\n<hr />\n"),
    ("标题\n===\n", "<p>标题\n===</p>\n"),
    ("```\ncode\n```\n", "<p><code>code</code></p>\n"),
    ("[a]\n\n[a]: https://x.org\n", "<p>[a]</p>\n<p>[a]: https://x.org</p>\n"),
    ("", ""),
])
def test_bodies_render_as_commonmark(body: str, html: str) -> None:
    assert render_markdown(body) == html


@pytest.mark.parametrize(("body", "fragment"), [
    ("<script>alert(1)</script>\n", "&lt;script&gt;"),
    ("[点我](javascript:alert(1))\n", "[点我](javascript:alert(1))"),
    ("[x](JaVaScript:alert(1))\n", "[x](JaVaScript:alert(1))"),
    ("[x](vbscript:x)\n", "[x](vbscript:x)"),
    ("[x](file:///etc/passwd)\n", "[x](file:///etc/passwd)"),
    ("a <b>b</b>\n", "&lt;b&gt;"),
    ("<div>\n*x*\n</div>\n", "&lt;div&gt;"),
    ("<!-- 注释 -->\n", "&lt;!-- 注释 --&gt;"),
])
def test_raw_html_escaped_and_unsafe_links_refused(body: str, fragment: str) -> None:
    html = render_markdown(body)
    assert fragment in html and "<script" not in html and "<div" not in html and "<!--" not in html
    assert 'href="javascript' not in html.lower() and 'href="vbscript' not in html and 'href="file' not in html


@pytest.mark.parametrize("body", [
    ">" * 5000 + "x\n", "[" * 20000 + "\n", "*" * 20000 + "\n", "- " * 3000 + "x\n", "`" * 5000 + "\n",
    "<" * 5000 + "\n", "|" * 5000 + "\n" + "-|" * 2000 + "\n", "\x00" * 100 + "\n", "a\rb\rc\n", "# \n" * 100,
    "&#" + "9" * 50 + ";\n", "1" * 20 + ". x\n", "  " * 2000 + "- x\n", "\n".join("  " * n + "- x" for n in range(60)) + "\n",
    "&#xFFFE;\n", "&#xFFFF; &#xFDD0;\n", "&#x85;&#127;&#x9F;&#11;\n",
    "\ud800\n".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
])
def test_adversarial_bodies_render_without_raw_markup(body: str) -> None:
    html = render_markdown(body)
    assert html and "\x00" not in html and "<script" not in html
    assert re.fullmatch(r"(?:[^<]|<(?:/?(?:p|h[1-6]|ul|ol|li|blockquote|code|pre|em|strong|table|thead|tbody|tr|th|td)"
                        r'|hr /|br /|ol start="\d+"|th style="[a-z:-]+"|td style="[a-z:-]+")>)*', html), html[:200]


def test_synthetic_corpus_bodies_render_their_headings_and_items() -> None:
    rng = random.Random(7)
    for _ in range(100):
        body = make_corpus.body(rng, 300, 800)
        html = render_markdown(body)
        assert html.count("<h2>") == body.count("\n## ") + body.startswith("## ")
        assert html.count("<li>") == len(re.findall(r"^- ", body, re.M))
        assert "##" not in html and "\n- " not in html


def test_parse_markdown_gives_the_tokens_of_the_rendered_html() -> None:
    tokens = parse_markdown("## 小标题\n\n一段**强调**。\n")
    assert [t.type for t in tokens] == ["heading_open", "inline", "heading_close", "paragraph_open", "inline",
                                        "paragraph_close"]
    assert tokens[0].tag == "h2" and [c.type for c in tokens[4].children or []] == [
        "text", "strong_open", "text", "strong_close", "text"]


@pytest.mark.parametrize(("body", "expected"), [
    ("正文，第一段。\n\n第二段。\n", "正文，第一段。"),
    ("# 标题\n\n## 小标题\n\n第一段\n续行。\n", "第一段续行。"),  # headings skipped, line breaks dropped
    ("- 项目一\n- 项目二\n", "项目一"),  # a tight list item's paragraph
    ("- &nbsp;\n- 二\n", "二"),  # an item of only a no-break space has no text
    ("&amp; &lt;b&gt; &copy;\n", "& <b> ©"),
    ("行尾  \n换行\n", "行尾换行"),
    ("**加粗**与`代码`和[链接](https://x.org)\n", "加粗与代码和链接"),
    ("\\#号\n", "#号"),
    ("> 引用里的段落\n\n正文\n", "引用里的段落"),
    ("# 只有标题\n", ""),
    ("", ""),
])
def test_first_paragraph_is_the_text_of_the_first_paragraph(body: str, expected: str) -> None:
    assert first_paragraph(body) == expected


def test_first_paragraph_of_shipped_guides() -> None:
    guides = sorted((REPO / "content" / "weekend").glob("*.md"))
    assert len(guides) >= 12
    for path in guides:
        body = path.read_text(encoding="utf-8").split("\n---\n", 1)[1]
        found = first_paragraph(body)
        assert found and "\n" not in found and "<" not in found and found in body.replace("\n", ""), path.name


TAG_SOUP = ["<h1>", "</h1>", "<h2>", "</h2>", "<h3>", "</h3>", "<h4>", "</h4>", "<h5>", "</h5>", "<h6>", "</h6>", "<h7>",
            "<h2 id=x>", "</h", "<p>", "</p>", "<ul>", "</ul>", "中", "a", "\n", " ", "&amp;"]


def _shifted_by_regex(html: str, top_level: int) -> str:
    """Headings shifted with one pass of a regular expression: what sanitize.shift_headings must equal."""
    from pipeline.channels.site.sanitize import _HEADING

    levels = [int(m.group(2)) for m in _HEADING.finditer(html) if not m.group(1)]
    if levels:
        shift = top_level - min(levels)
        html = _HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, max(1, int(m.group(2)) + shift))}>", html)
    return html


def test_heading_shift_equals_its_regular_expression() -> None:
    from pipeline.channels.site import sanitize

    rng = random.Random(5)
    texts = ["".join(rng.choice(TAG_SOUP) for _ in range(rng.randint(0, 30))) for _ in range(6000)]
    for text in texts:
        for level in range(1, 7):
            assert sanitize.shift_headings(text, level) == _shifted_by_regex(text, level), (repr(text), level)
