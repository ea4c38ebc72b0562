"""Poster layout on the shipped content: no fact is cut, decoration stays out of the text, themes look apart.

The posters of 2027-04 and 2027-10 are laid out and drawn in this process (the batch's own code: templates
-> layers -> Pillow), once for the module.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from test_posters import shipped_copy
from pipeline.channels.posters import channel, draw, layout, scenes, shapes
from pipeline.channels.posters.context import Builder
from pipeline.channels.posters.layout import (
    Gradient, PosterSpec, Scene, Stack, TextStyle, ScrimStyle,
)
from pipeline.colors import rgb as parse_color
from pipeline.config import load_config
from pipeline.content.load import load_content
from pipeline.plan import Month, make_plan

MONTHS = ("2027-04", "2027-10")
THEMES = ("sanguo", "chadao", "kangyang", "xiangcun", "bishu", "shanghua", "quanxue", "hongse")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return shipped_copy(tmp_path_factory.mktemp("layout") / "site")


@pytest.fixture(scope="module")
def drawn(root: Path) -> list[tuple[str, channel.Job, draw.Drawn]]:
    """(month, job, what was drawn) of every poster and cover of the months."""
    config = load_config(root)
    content, _ = load_content(root)
    out: list[tuple[str, channel.Job, draw.Drawn]] = []
    for month in MONTHS:
        plan = make_plan(content, Month.parse(month), config.featured_per_month)
        for job in channel.plan_jobs(config, content, plan, []):
            out.append((month, job, draw.render(job.spec)))
    return out


def _without_scenes(spec: PosterSpec) -> PosterSpec:
    keep = [tuple(layer for layer in layers if not isinstance(layer, Scene)) for layers in spec.variants()]
    return dataclasses.replace(spec, layers=keep[0], alternatives=tuple(keep[1:]))


def _pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.int16)


# ---- no fact is cut -------------------------------------------------------------------------------

def test_no_fact_is_shortened_and_every_box_says_whether_it_was(drawn: list[tuple[str, channel.Job, draw.Drawn]]) -> None:
    large = [job for _, job, _ in drawn if job.format in ("9x16", "3x4")]
    subjects = {job.subject for job in large}
    assert len(subjects) >= 2 * len(MONTHS) and len(large) == 2 * len(subjects)  # each subject in both formats
    shortened_optional = 0
    for month, job, d in drawn:
        for text in d.texts:
            record = text.to_json()
            assert {"shortened", "optional", "box"} <= set(record), record
            if not text.optional:
                assert not text.shortened, (job.path, text.field)  # a fact, a title: never cut
            shortened_optional += text.shortened
        assert not any(field in ("facts", "title_main", "title_sub", "date") for field in d.dropped), job.path
    # Only a guide's long introduction may be cut (at the end of a sentence): at most one box per guide poster.
    assert shortened_optional <= 4, shortened_optional


def _lines(spec: PosterSpec) -> dict[str, list[str]]:
    """The lines each field is drawn with, in the variant the drawing chooses."""
    _, _, laid = draw.choose(spec)
    found: dict[str, list[str]] = {}
    for item in laid.values():
        for placed in item.placed:
            found.setdefault(placed.ts.style.field, []).append("".join(placed.ts.lines))
    return found


def test_the_tentative_date_is_written_out_whole(drawn: list[tuple[str, channel.Job, draw.Drawn]]) -> None:
    # the case: 「以官方发……」 on a 9:16 event poster; every tentative event's date is whole
    jobs = [job for _, job, _ in drawn if job.kind == "event" and job.format == "9x16"]
    tentative = [job for job in jobs if job.spec is not None and any(
        "日期待定" in line for line in _lines(job.spec)["facts"])]
    assert tentative, [job.path for job in jobs]
    for job in tentative:
        facts = "".join(_lines(job.spec)["facts"])
        assert re.search(r"日期待定：往年约\d+月\d+日(（周.）)?(—(\d+月)?\d+日(（周.）)?)?，以官方发布为准", facts), (job.path, facts)
        assert "……" not in facts


def _style(field: str, text: str, size: int = 40, max_lines: int = 1, ellipsis: bool = False) -> TextStyle:
    return TextStyle(field, text, "regular", size, size, 1.4, max_lines, "left", (255, 255, 255), ellipsis, False)


def _card(height: int, fact: str) -> tuple:
    stack = Stack((40, 40, 400, height), "top", 10, (_style("facts", fact, max_lines=5),), ScrimStyle(None, 0, 0))
    return (Gradient((0, 0, 480, 600), 90, (((20, 40, 60), 0.0), ((10, 20, 30), 1.0)), 1.0), stack)


def test_a_fact_takes_the_next_variant_rather_than_being_cut() -> None:
    fact = "武汉站乘京广高铁至赤壁北站约半小时，再换乘出租车或汽车前往羊楼洞；返程同样从赤壁北站上车。"
    spec = PosterSpec(480, 600, _card(120, fact), "test", (_card(400, fact),))
    variant, _, laid = draw.choose(spec)
    assert variant == 1
    (item,) = [v for v in laid.values()]
    assert "".join(item.placed[0].ts.lines) == fact and not item.placed[0].ts.ellipsized
    with pytest.raises(draw.DrawProblem) as failed:
        draw.choose(PosterSpec(480, 600, _card(120, fact), "test", (_card(140, fact),)))
    assert failed.value.field == "facts"


def test_optional_text_grows_into_the_room_and_is_shortened_at_a_sentence() -> None:
    summary = "第一句话写得不长。第二句话也不算太长。第三句话放不下了，因为版面只够三行字而已啊。"
    items = (_style("title_main", "标题"), _style("summary", summary, max_lines=6, ellipsis=True))
    items = (items[0], dataclasses.replace(items[1], grow=True))
    stack = Stack((0, 0, 400, 56 * 4), "top", 0, items, ScrimStyle(None, 0, 0))
    _, _, laid = draw.choose(PosterSpec(400, 400, (stack,), "test"))
    (item,) = laid.values()
    lines = item.placed[1].ts.lines
    assert item.placed[1].ts.ellipsized and len(lines) <= 3  # three lines of room (10 characters each)
    assert "".join(lines) == "第一句话写得不长。第二句话也不算太长。"  # whole sentences: no ……
    roomy = dataclasses.replace(stack, box=(0, 0, 400, 56 * 7))
    _, _, laid = draw.choose(PosterSpec(400, 400, (roomy,), "test"))
    (item,) = laid.values()
    assert "".join(item.placed[1].ts.lines) == summary and not item.placed[1].ts.ellipsized


# ---- decoration stays out of the text ------------------------------------------------------------

def test_scenes_stay_out_of_every_text_box(drawn: list[tuple[str, channel.Job, draw.Drawn]]) -> None:
    """Each designed poster drawn again without its scene: inside every recorded text box (and the QR code
    and seal) not one pixel differs, while the scene does change the picture elsewhere."""
    checked = 0
    for month, job, d in drawn:
        if d.photo or job.format not in ("9x16", "3x4", "900x383") or month != "2027-04":
            continue  # one month's posters keep it quick
        plain = draw.render(_without_scenes(job.spec))
        assert plain.variant == d.variant
        a, b = _pixels(d.image), _pixels(plain.image)
        diff = np.abs(a - b).max(axis=2)
        boxes = [tuple(t.box) for t in d.texts] + list(d.clear)
        assert len(boxes) > len(d.texts)
        for x0, y0, x1, y1 in boxes:
            inside = diff[y0:y1, x0:x1]
            assert inside.size and int(inside.max()) == 0, (job.path, (x0, y0, x1, y1), int(inside.max()))
        changed = float((diff > 8).mean())
        assert changed > 0.02, (job.path, changed)  # the scene is there
        checked += 1
    assert checked >= 8  # guide, routes and events of the month in three formats


def _sharp_columns(image: Image.Image, base: np.ndarray) -> np.ndarray:
    """Per column x: the share of rows where what the scene adds changes sharply from x to x + 1."""
    added = np.abs(_pixels(image) - base).sum(axis=2)
    return (np.abs(np.diff(added, axis=1)) > 24).mean(axis=0)


def test_wide_cover_scenes_fade_in_without_a_hard_edge(drawn: list[tuple[str, channel.Job, draw.Drawn]]) -> None:
    """Where a wide cover's scene starts, it fades in: in its first 64 columns no column where more than a
    tenth of the rows change sharply. (The old motifs ended in a straight vertical edge at x = 430 that
    the title ran into; the same scenes without their fade show such an edge: the measure sees it.)"""
    job = next(job for _, job, d in drawn if job.format == "900x383" and not d.photo)
    assert job.spec is not None
    (layer,) = [item for item in job.spec.layers if isinstance(item, Scene)]
    x = layer.box[0]
    assert layer.fade[0] >= 200 and x > 0
    hard = 0
    for name in THEMES:
        for fade, limit in ((layer.fade, 0.1), ((0, 0), None)):
            rgb = (90, 70, 60)
            canvas = shapes.gradient_image(Gradient((0, 0, 900, 383), 20, (((30, 23, 20), 0.0), (rgb, 1.0)), 1.0))
            base = _pixels(canvas)
            scene = dataclasses.replace(layer, name=name, color=rgb, fade=fade)
            draw._scene(canvas, scene, [], 900 / 1080, [])
            sharp = float(_sharp_columns(canvas, base)[x - 4:x + 64].max())
            if limit is not None:
                assert sharp <= limit, (name, sharp)
            else:
                hard += sharp > 0.25
    assert hard >= 5, hard


# ---- themes told apart ---------------------------------------------------------------------------

def _scene_alone(name: str, color: str, size: tuple[int, int]) -> Image.Image:
    w, h = size
    rgb = parse_color(color)
    stops = ((tuple(round(v * 0.6) for v in rgb), 0.0), (tuple(round(v * 0.3) for v in rgb), 1.0))
    canvas = shapes.gradient_image(Gradient((0, 0, w, h), 100, stops, 1.0))  # type: ignore[arg-type]
    draw._scene(canvas, Scene(name, (0, 0, w, h), rgb, 10, (0, 0), False), [], w / 1080, [])
    return canvas


def _thumb(image: Image.Image, size: tuple[int, int], grey: bool) -> np.ndarray:
    small = image.convert("L" if grey else "RGB").resize(size, Image.Resampling.BOX)
    values = np.asarray(small, dtype=np.float64)
    if grey:  # shapes, not colours: every thumbnail normalised to the same mean and spread
        values = (values - values.mean()) / (values.std() + 1e-9)
    return values


def test_every_theme_has_its_own_scene_told_apart_at_thumbnail_size(root: Path) -> None:
    """The eight scenes, all drawn in the same grey so that only their shapes differ, are far apart as
    36×20 thumbnails; so are the 9:16 posters of one route drawn under each theme, as 54×96 thumbnails."""
    content, _ = load_content(root)
    assert set(scenes.SCENES) == set(THEMES) == set(content.themes)
    grey = {name: _thumb(_scene_alone(name, "#5a6470", (1080, 600)), (36, 20), grey=True) for name in THEMES}
    scene_distance = {(a, b): float(np.abs(grey[a] - grey[b]).mean()) for a, b in itertools.combinations(THEMES, 2)}
    closest = min(scene_distance, key=scene_distance.get)  # type: ignore[arg-type]
    assert scene_distance[closest] > 0.45, (closest, scene_distance[closest])  # in standard deviations

    config = load_config(root)
    plan = make_plan(content, Month.parse("2027-04"), config.featured_per_month)
    subject = Builder(config, content, plan).route(content.routes["chadao-mufushan-tea-hills"])
    env = layout.environment(root)
    thumbs = {}
    for theme in THEMES:
        values = {**subject.values, "theme": {"id": theme, "name": content.themes[theme].name,
                                              "color": content.themes[theme].color},
                  "canvas": {"w": 1080, "h": 1920, "format": "9x16"}, "photo": None, "qr_url": "https://example.org/"}
        thumbs[theme] = _thumb(draw.render(layout.build(env, "story.yaml.j2", values)).image, (54, 96), grey=False)
    poster_distance = {(a, b): float(np.abs(thumbs[a] - thumbs[b]).mean()) for a, b in itertools.combinations(THEMES, 2)}
    closest = min(poster_distance, key=poster_distance.get)  # type: ignore[arg-type]
    assert poster_distance[closest] > 9, (closest, poster_distance[closest])  # mean per channel, of 255


# ---- the seal ------------------------------------------------------------------------------------

def test_the_seal_is_legible_on_a_phone(drawn: list[tuple[str, channel.Job, draw.Drawn]]) -> None:
    for month, job, d in drawn:
        (seal,) = [t for t in d.texts if t.logo]
        assert seal.size * 1080 / d.image.width >= 28, (job.path, seal.size)
