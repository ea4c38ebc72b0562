"""The poster renderer's shortcuts draw exactly what the straightforward way draws: same QR codes as segno,
same shape masks as rasterising the whole polygon, same pixels as Pillow's paste and composite."""

from __future__ import annotations

import random
import string

import numpy as np
import segno
from PIL import Image, ImageChops, ImageDraw

from pipeline.channels.posters import contrast, encode, fontset, qr, shapes
from pipeline.channels.posters.layout import Shape


def _shape(kind: str, color: tuple[int, int, int] = (255, 255, 255), opacity: float = 0.1, **params: object) -> Shape:
    return Shape(kind, color, opacity, tuple(sorted(params.items())))


def _full_mask(layer: Shape, size: tuple[int, int]) -> tuple[tuple[int, int, int, int], Image.Image]:
    """The shape's mask the plain way: the whole polygon or rectangle rasterised at twice the size (other
    shapes have no shortcut)."""
    if layer.shape not in ("rect", "ridge", "wave"):
        return shapes.shape_mask(layer, size)
    box = shapes._clip(shapes._bounds(layer), size)
    s = shapes.SUPERSAMPLE
    w, h = box[2] - box[0], box[3] - box[1]
    mask = Image.new("L", (w * s, h * s), 0)
    draw = ImageDraw.Draw(mask)

    def pt(x: float, y: float) -> tuple[float, float]:
        return ((x - box[0]) * s, (y - box[1]) * s)

    if layer.shape == "rect":
        x, y, bw, bh = layer.get("box")
        draw.rounded_rectangle((*pt(x, y), *pt(x + bw, y + bh)), radius=layer.get("radius", 0) * s, fill=255)
    else:
        points = shapes.ridge_points(layer) if layer.shape == "ridge" else shapes.wave_points(layer)
        draw.polygon([pt(x, y) for x, y in points], fill=255)
    reduced = mask.reduce(s)
    if layer.opacity < 1:
        reduced = reduced.point(list(shapes.opacity_table(layer.opacity)))
    return box, reduced


def test_qr_codes_are_the_ones_segno_makes() -> None:
    rng = random.Random(18004)
    alphabet = string.ascii_letters + string.digits + "-_./?=&%"
    urls = [f"https://wl.xianning.gov.cn/{''.join(rng.choice(alphabet) for _ in range(rng.randint(1, 160)))}"
            f"?from={rng.choice(['pyq', 'xhs'])}" for _ in range(250)]
    masks = set()
    for url in urls:
        ours, version = qr.encode(url)
        theirs = segno.make_qr(url, error="m", boost_error=False)
        assert [bytes(row) for row in ours] == [bytes(row) for row in theirs.matrix], url
        assert version == theirs.version
        masks.add(theirs.mask)
    assert len(masks) == 8  # every mask was the best one for some URL


def test_ridge_and_wave_masks_equal_the_whole_polygon() -> None:
    size = (1080, 1920)
    layers = [
        _shape("ridge", box=[0, 812, 1080, 347], floor=1920, seed=3, peaks=3, opacity=0.09),
        _shape("ridge", box=[40, 900, 1000, 300], floor=1920, seed=8, peaks=2, roughness=0.04),
        _shape("wave", box=[0, 1500, 1080, 120], floor=1920, amplitude=9, wavelength=360, phase=90),
        _shape("wave", box=[0, 1700, 1080, 80], floor=1920, amplitude=16.5, wavelength=540.2, opacity=1.0),
        # The floor inside the box, or the curve reaching the bottom: the whole polygon is rasterised.
        _shape("wave", box=[0, 600, 1080, 200], floor=900, amplitude=12, wavelength=300),
        _shape("ridge", box=[0, 1700, 1080, 220], floor=1920, seed=1, peaks=4),
    ]
    for layer in layers:
        box, mask = shapes.shape_mask(layer, size)
        want_box, want = _full_mask(layer, size)
        assert box == want_box
        assert mask.tobytes() == want.tobytes(), layer


def test_rectangle_masks_equal_a_fresh_rasterisation() -> None:
    for layer in (_shape("rect", box=[56, 1150, 968, 656], radius=40, opacity=1.0),
                  _shape("rect", box=[10.5, 20.25, 300, 100], radius=0, opacity=0.3)):
        for _ in range(2):  # the second time from the cache
            box, mask = shapes.shape_mask(layer, (1080, 1920))
            assert mask.tobytes() == _full_mask(layer, (1080, 1920))[1].tobytes()


def test_shape_runs_and_blends_give_the_pixels_of_paste_and_composite() -> None:
    rng = np.random.default_rng(7)
    base = Image.fromarray(rng.integers(0, 256, (1920, 1080, 3), dtype=np.uint8))
    run = [
        _shape("circle", center=[200, 300], radius=80, opacity=0.16),
        _shape("circle", center=[900, 300], radius=60, opacity=0.2),  # overlaps nothing
        _shape("ridge", box=[0, 700, 1080, 400], floor=1920, seed=21, peaks=2, opacity=0.13),
        _shape("wave", box=[0, 1300, 1080, 200], floor=1920, amplitude=12, wavelength=300, opacity=0.08),
        _shape("rect", box=[56, 1150, 968, 656], radius=40, opacity=1.0),
    ]
    fast = base.copy()
    shapes.shapes(fast, run)
    parts = [_full_mask(layer, base.size) for layer in run]
    left, top = min(b[0] for b, _ in parts), min(b[1] for b, _ in parts)
    right, bottom = max(b[2] for b, _ in parts), max(b[3] for b, _ in parts)
    total = Image.new("L", (right - left, bottom - top), 0)
    for (x0, y0, x1, y1), mask in parts:
        region = (x0 - left, y0 - top, x1 - left, y1 - top)
        total.paste(ImageChops.screen(total.crop(region), mask), region[:2])
    plain = base.copy()
    region = (left, top, right, bottom)
    plain.paste(Image.composite(Image.new("RGB", total.size, (255, 255, 255)), plain.crop(region), total), region[:2])
    assert fast.tobytes() == plain.tobytes()

    mask = Image.fromarray(rng.integers(0, 256, (300, 500), dtype=np.uint8))
    mask.paste(0, (0, 0, 500, 100))
    mask.paste(255, (50, 150, 450, 260))
    blended, pasted = base.copy(), base.copy()
    shapes.blend(blended, (200, 30, 90), (13, 17), mask)
    pasted.paste((200, 30, 90), (13, 17, 513, 317), mask)
    assert blended.tobytes() == pasted.tobytes()


def test_contrast_is_the_worst_pixel_under_the_text() -> None:
    rng = np.random.default_rng(3)
    image = Image.fromarray(rng.integers(0, 256, (200, 300, 3), dtype=np.uint8))
    for text in ((255, 255, 255), (0, 0, 0), (120, 130, 140)):
        pixels = np.asarray(image.crop((10, 20, 250, 90))).reshape(-1, 3)
        lum = {contrast.luminance(tuple(int(v) for v in p)) for p in pixels}
        want = min(contrast.ratio(contrast.luminance(text), value) for value in lum)
        assert abs(contrast.worst_ratio(image, [(10, 20, 250, 90)], text) - want) < 1e-6


def test_remembered_text_widths_are_the_fonts_own() -> None:
    for weight, size, text in (("regular", 42, "咸宁温泉，冬日里最暖的去处。"), ("bold", 112, "九宫山"),
                               ("regular", 34, "2027年4月 · 09:30–17:00")):
        measure = fontset.measure(weight, size)
        assert measure(text) == measure(text) == fontset.font(weight, size).getlength(text)


def test_png_guess_stopping_early_answers_the_same() -> None:
    rng = np.random.default_rng(11)
    noisy = Image.fromarray(rng.integers(0, 256, (640, 360, 3), dtype=np.uint8))
    flat = Image.new("RGB", (360, 640), (240, 230, 200))
    flat.paste((20, 60, 90), (0, 200, 360, 260))
    mixed = flat.copy()
    mixed.paste(noisy.crop((0, 0, 360, 120)), (0, 400))
    for image in (noisy, flat, mixed):
        full = encode.png_estimate(image)
        for limit in (full * 0.3, full * 0.9, full - 1, full, full * 1.2):
            assert (encode.png_estimate(image, stop_above=limit) > limit) == (full > limit)
