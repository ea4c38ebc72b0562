"""The site's search index: tokens (Chinese bigrams, Latin words), a page's visible text as readable fields,
postings with title and place-name flags, documents in ranking order, files written only when they change."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.channels.site import search


def _decode(values: list[int]) -> dict[int, int]:
    found, number = {}, 0
    for value in values:
        number += value // 4
        found[number] = value % 4
    return found


def _page(main: str) -> bytes:
    return (f'<html lang="zh-CN"><head><title>不算</title></head><body><nav>首页 线路</nav>'
            f'<main id="main" data-search-body>{main}</main><footer>页脚</footer></body></html>').encode()


def test_tokens_are_bigrams_of_chinese_runs_and_whole_latin_words() -> None:
    assert list(search.tokens("羊楼洞古镇")) == ["羊楼", "楼洞", "洞古", "古镇", "羊", "楼", "洞", "古", "镇"]
    assert list(search.tokens("经G4京港澳高速，约1小时")) == ["经", "g4", "京港", "港澳", "澳高", "高速", "京", "港", "澳",
                                                          "高", "速", "约", "1", "小时", "小", "时"]
    assert search.token_set("温泉 泡温泉") == {"温泉", "泡温", "温", "泉", "泡"}
    assert list(search.tokens("ＡＢＣ　２０２７")) == ["abc", "2027"]  # full-width forms normalised (NFKC)
    assert list(search.tokens("· — 。")) == []


def test_page_text_keeps_fields_apart_with_chinese_punctuation_and_leaves_out_what_is_not_read() -> None:
    html = _page('<h1>赤壁怀古</h1><p class="kicker"><a href="#">三国文化</a> · 2天</p>'
                 '<dl><dt>行程</dt><dd>2天，3 站</dd></dl>'
                 '<h3><span class="num" aria-hidden="true">1</span>赤壁市城区</h3>'
                 '<p><a href="#">九宫山滑雪再泡汤</a><span class="meta">2天 · 通山县</span></p>'
                 '<p><span class="d">5</span><span>12月</span></p>'
                 '<svg><title>示意图</title><text>不读</text></svg><script>var x = "不读";</script>'
                 '<nav data-search-ignore>第1页 第2页</nav><p>到<a href="#">羊楼洞</a>看茶&amp;喝茶。</p>')
    text = search.page_text(html)
    assert text == ("赤壁怀古。三国文化 · 2天。行程：2天，3 站。赤壁市城区。九宫山滑雪再泡汤 2天 · 通山县。5 12月。"
                    "到羊楼洞看茶&喝茶。")
    assert search.page_text(b"<html><body><main><p>no marker</p></main></body></html>") is None


def _doc(n: int, title: str, names: tuple[str, ...] = (), rank: int = 1) -> search.Doc:
    return search.Doc(f"p/{n}/index.html", f"p/{n}/", title, names, (rank, n))


def test_postings_flag_title_and_place_names_and_documents_keep_their_order() -> None:
    docs = [_doc(0, "咸宁温泉两日", ("咸宁温泉", "潜山")), _doc(1, "赏花一日", ("大幕山",)), _doc(2, "往期指南", (), 5)]
    texts = ["咸宁温泉两日。傍晚泡温泉。", "大幕山杜鹃。回城泡温泉。", "十二月泡温泉。"]
    made = search.make_index(docs, texts)
    meta = json.loads(made["meta.json"])
    assert meta["docs"] == 3 and meta["archive"] == 2 and meta["format"] == search.FORMAT
    postings: dict[str, list[int]] = {}
    for n in range(meta["shards"]):
        shard = json.loads(made[f"p/{n}.json"])
        assert all(search.token_shard(token, meta["shards"]) == n for token in shard)
        postings.update(shard)
    both = search.TITLE | search.NAME
    assert _decode(postings["温泉"]) == {0: both, 1: 0, 2: 0}
    assert _decode(postings["大幕"]) == {1: search.NAME}
    assert _decode(postings["两日"]) == {0: search.TITLE}
    assert "泉泡" not in postings and "日傍" not in postings  # never across punctuation
    assert json.loads(made["d/1.json"]) == {"t": "赏花一日", "u": "p/1/", "x": "大幕山杜鹃。回城泡温泉。"}
    assert search.make_index(docs, texts) == made  # the same inputs, the same bytes


def test_shards_spread_bigrams_and_keep_a_latin_words_prefixes_together() -> None:
    shards = 64
    assert len({search.token_shard(chr(0x6e29) + chr(c), shards) for c in range(0x4e00, 0x4e00 + 400)}) == shards
    assert {search.token_shard(word, shards) for word in ("g", "g4", "g107", "gps")} == {search.token_shard("g", shards)}
    assert search.token_shard("\U00020000\U0002a6d6", shards) in range(shards)  # beyond the BMP too


def test_shards_grow_with_the_postings() -> None:
    assert search.shard_count(0) == 1
    assert search.shard_count(search.SHARD_TARGET) == 1
    assert search.shard_count(search.SHARD_TARGET * 5) == 8
    assert search.shard_count(10**12) == search.MAX_SHARDS


def test_the_bundle_is_made_from_the_pages_and_changes_with_them(tmp_path: Path) -> None:
    def bundle(site: Path, second: str) -> dict[str, bytes]:
        for n, body in enumerate(["<h1>咸宁温泉</h1><p>泡汤。</p>", f"<h1>大幕山</h1><p>{second}。</p>"]):
            (site / f"p/{n}").mkdir(parents=True)
            (site / f"p/{n}/index.html").write_bytes(_page(body))
        assert search.build_bundle(site, [_doc(0, "咸宁温泉"), _doc(1, "大幕山")]) == 2
        return {p.relative_to(site / "search-index").as_posix(): p.read_bytes()
                for p in sorted((site / "search-index").rglob("*")) if p.is_file()}

    first = bundle(tmp_path / "a", "杜鹃")
    assert json.loads(first["meta.json"])["docs"] == 2 and {"d/0.json", "d/1.json"} <= set(first)
    assert bundle(tmp_path / "b", "杜鹃") == first  # the same pages, the same files
    changed = bundle(tmp_path / "c", "映山红")
    assert "映山红" in json.loads(changed["d/1.json"])["x"] and changed["d/0.json"] == first["d/0.json"]
    assert json.loads(changed["meta.json"])["version"] != json.loads(first["meta.json"])["version"]
