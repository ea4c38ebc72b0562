"""Chinese line breaking: clreq basic rules and GB/T 15834 on hard strings."""

from __future__ import annotations

import pytest

from pipeline.channels.posters import fontset
from pipeline.channels.posters.linebreak import (
    ELLIPSIS, NO_END, NO_START, Names, balance, clusters, fit, keep_whole, wrap,
)


def em(text: str) -> float:
    """A fixed-width measure: a CJK character is 1 em, ASCII half an em."""
    return sum(0.5 if ord(c) < 0x2E80 and c not in "—…“”‘’·" else 1.0 for c in text)


def check_rules(lines: list[str]) -> None:
    for i, line in enumerate(lines):
        if i > 0:
            assert line[0] not in NO_START, f"line {i} starts with {line[0]!r}: {lines}"
        if i < len(lines) - 1:
            assert line[-1] not in NO_END, f"line {i} ends with {line[-1]!r}: {lines}"
        assert not line.startswith(("—", "…")), lines
    joined = "".join(lines)
    assert "——" not in joined or all(line.count("—") % 2 == 0 for line in lines), lines
    assert all(line.count("…") % 2 == 0 for line in lines), lines


HARD = [
    # (text, width in em, pieces that must stay on one line)
    ("他说：“你好。”然后走了。", 4, ["好。”"]),
    ("你好！？真的吗？！", 4, ["好！？", "吗？！"]),
    ("最好的季节——四月。", 6, ["节——"]),
    ("他犹豫了……最后还是去了", 5, ["了……"]),
    ("门票￥128元/人，儿童半价", 7, ["￥128元/人，"]),
    ("花期约在2027年4月3日至4月25日之间", 11, ["2027年4月3日至4月25日"]),
    ("开放时间9:00—17:00，周一闭馆", 7, ["9:00—17:00，"]),
    ("经G4京港澳高速南行约90公里", 4, ["G4", "90公里"]),
    ("使用 Noto Sans CJK 字体排版", 5, ["Noto", "Sans", "CJK"]),
    ("温度约25℃左右，湿度60%。", 4, ["25℃", "60%。"]),
    ("《咸宁日报》报道了“四季村晚”活动", 4, ["《咸", "晚”"]),
    ("（注：以官方发布为准）", 3, ["（注：", "准）"]),
    ("「香城泉都」『康养咸宁』【通知】", 3, ["「香", "都」", "【通", "知】"]),
    ("第1天：赤壁；第2天：羊楼洞。", 3, ["1天：", "壁；", "2天：", "洞。"]),
    ("4月24日（周六）晚上举行", 8, ["4月24日（周六）"]),
    ("票价80—120元不等", 5, ["80—120元"]),
    ("5A级景区、国家级森林公园", 3, ["5A级"]),
    ("网址 https://xnwl.example.com/routes/ 可查", 17, ["https://xnwl.example.com/routes/"]),
    ("简单，……然后呢", 5, ["单，……"]),
    ("三国赤壁·羊楼洞·九宫山", 3, ["壁·", "洞·"]),
    ("约3.5小时车程，1,200米海拔", 4, ["3.5小时", "1,200米"]),
    ("羊楼洞 → 石人泉 → 陆水湖", 4, ["洞 →", "泉 →"]),
]


@pytest.mark.parametrize(("text", "width", "whole"), HARD, ids=[h[0][:10] for h in HARD])
def test_hard_strings(text: str, width: float, whole: list[str]) -> None:
    lines = wrap(text, width, em)
    check_rules(lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    for piece in whole:
        assert any(piece in line for line in lines), f"{piece!r} was split: {lines}"
    for line in lines:
        assert em(line) <= width or len(clusters(line)) == 1, lines


def test_twenty_hard_strings_at_least() -> None:
    assert len(HARD) >= 20


def test_no_break_before_closing_marks_pushes_the_previous_character() -> None:
    # "好。" cannot fit at the end of the first line: 好 moves down with its full stop (推出).
    assert wrap("你们都好。", 4, em) == ["你们都", "好。"]


def test_opening_quote_never_ends_a_line() -> None:
    lines = wrap("一二三“四五”", 4, em)
    assert lines == ["一二三", "“四五”"]


def test_dash_and_ellipsis_stay_whole_and_never_start_a_line() -> None:
    lines = wrap("一二三——四五六……七", 4, em)
    check_rules(lines)
    assert lines == ["一二", "三——四", "五六……", "七"]


def test_spaces_disappear_at_line_edges() -> None:
    lines = wrap("alpha beta gamma delta", 6, em)
    assert lines == ["alpha beta", "gamma delta"]
    assert all(line == line.strip() for line in lines)


def test_word_joiner_keeps_a_name_whole_and_is_not_drawn() -> None:
    text = "崇阳县城 → " + keep_whole("隽水河") + " → 药姑山"
    lines = wrap(text, 6.5, em)
    assert any("隽水河" in line for line in lines)
    assert all("\u2060" not in line for line in lines)


def test_hard_newlines_are_kept() -> None:
    assert wrap("第一行\n第二行", 10, em) == ["第一行", "第二行"]


def test_too_long_word_is_split_as_a_last_resort() -> None:
    lines = wrap("abcdefghijklmnop", 3, em)
    assert "".join(lines) == "abcdefghijklmnop"
    assert all(em(line) <= 3 for line in lines)


def test_last_resort_split_keeps_ellipsis_whole() -> None:
    lines = wrap("简单，……然后呢", 3, em)
    assert all(line.count("…") in (0, 2) for line in lines), lines


def test_fit_with_ellipsis_shortens_the_last_line() -> None:
    text = "大幕山位于咸安区大幕乡，山上野生杜鹃成片生长，花期约在四月。"
    result = fit(text, 10, 2, em, ellipsis=True)
    assert result.ellipsized and not result.overflow
    assert len(result.lines) == 2
    assert result.lines[-1].endswith(ELLIPSIS)
    assert em(result.lines[-1]) <= 10
    assert "，……" not in result.lines[-1]  # no pause mark right before the ellipsis


def test_fit_without_ellipsis_reports_overflow() -> None:
    result = fit("一二三四五六七八九十", 4, 2, em, ellipsis=False)
    assert result.overflow and not result.ellipsized


def test_fit_that_fits_is_unchanged() -> None:
    result = fit("一二三", 4, 1, em, ellipsis=True)
    assert result.lines == ["一二三"] and not result.ellipsized


def test_balance_evens_out_a_title() -> None:
    text = "一块青砖茶的旅程"
    assert wrap(text, 7, em) == ["一块青砖茶的旅", "程"]
    narrow = balance(text, 7, em, 2)
    assert wrap(text, narrow, em) == ["一块青砖", "茶的旅程"]


def test_with_the_real_font_lines_fit_the_width() -> None:
    font = fontset.font("regular", 42)
    text = "四月前后，咸安区大幕乡的大幕山野生杜鹃陆续盛开，满山映山红吸引游客登山赏花（2027年4月3日—25日）。"
    lines = wrap(text, 600, font.getlength)
    check_rules(lines)
    assert all(font.getlength(line) <= 600 for line in lines)
    assert any("2027年4月3日—25日）。" in line for line in lines)


# ---- place names, numerals with units, middle dots (issue 23) ---------------------------------------

def _content_names() -> Names:
    from conftest import REPO
    from pipeline.channels.posters.context import place_names
    from pipeline.content.load import load_content

    content, _ = load_content(REPO)
    return place_names(content)


def test_the_content_s_place_names_are_never_split() -> None:
    names = _content_names()
    assert {"赤壁北站", "咸宁北站", "武汉站", "赤壁市", "赤壁", "羊楼洞古镇", "九宫山"} <= set(names.names)
    text = names.protect("武汉站乘京广高铁至咸宁北站或赤壁北站约半小时，再换乘汽车前往羊楼洞古镇。")
    for width in range(6, 24):  # from the widest name with its full stop up
        lines = wrap(text, width, em)
        joined = "\n".join(lines)
        check_rules(lines)
        for name in ("武汉站", "咸宁北站", "赤壁北站", "羊楼洞古镇"):
            assert name in joined, (width, lines)  # whole on one line at every width
        assert "\u2060" not in joined  # the joiners are not drawn


def test_the_longest_name_wins_and_unknown_text_is_unchanged() -> None:
    names = Names(["赤壁", "赤壁北站", "咸宁"])
    assert names.protect("到赤壁北站") == "到" + keep_whole("赤壁北站")
    assert names.protect("到赤壁去") == "到" + keep_whole("赤壁") + "去"
    assert names.protect("无关的文字") == "无关的文字"


@pytest.mark.parametrize("text, whole", [
    ("行程共两天，第一天上山", ["两天，"]),
    ("车程约半小时就到", ["半小时"]),
    ("适宜三月到五月出行", ["三月", "五月"]),
    ("距离武汉约90公里", ["90公里"]),
])
def test_a_number_stays_with_its_unit(text: str, whole: list[str]) -> None:
    for width in range(int(max(em(piece) for piece in whole) + 0.5), len(text)):
        lines = wrap(text, width, em)
        for piece in whole:
            assert any(piece in line for line in lines), (width, lines)


def test_a_middle_dot_never_ends_or_starts_a_line() -> None:
    assert "·" in NO_START and "·" in NO_END
    for text in ("线路·四月上大幕山", "香城大舞台·国庆文艺演出", "咸安区·大幕山"):
        widest = int(max(em(c.text) for c in clusters(text)))  # narrower lines must split a cluster
        assert widest <= 4
        for width in range(widest, len(text)):
            lines = wrap(text, width, em)
            assert not any(line.endswith("·") for line in lines[:-1]), lines
            assert not any(line.startswith("·") for line in lines[1:]), lines


def test_shortening_keeps_whole_sentences_before_it_uses_an_ellipsis() -> None:
    text = "四月春色浓。山野花事接连登场。茶乡也忙了起来，采茶正当时。"
    result = fit(text, 8, 2, em, ellipsis=True)
    assert result.ellipsized and not result.overflow
    assert "".join(result.lines) == "四月春色浓。山野花事接连登场。"
    single = fit("一句很长很长很长很长很长很长的话没有句号", 6, 2, em, ellipsis=True)
    assert single.lines[-1].endswith(ELLIPSIS)  # no sentence end that fits: the ellipsis


def test_balancing_never_splits_a_date_from_its_comma() -> None:
    text = "日期待定：往年约3月15日—5月28日，以官方发布为准"
    narrow = balance(text, 16, em, len(wrap(text, 16, em)))
    lines = wrap(text, narrow, em)
    check_rules(lines)
    assert any("3月15日—5月28日，" in line for line in lines), lines
