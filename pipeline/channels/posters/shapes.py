"""Backgrounds and geometric motifs: gradients, glows, scrims and shapes, drawn with Pillow.

Shapes are drawn into a mask of their own bounding box at twice the size and reduced (anti-aliasing),
then the colour is pasted through the mask: no full-canvas RGBA compositing, which keeps posters fast.
"""

from __future__ import annotations

import math
import random
from functools import lru_cache

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from pipeline.channels.posters.layout import Glow, Gradient, Scrim, Shape

SUPERSAMPLE = 2
_GRADIENT_STEP = 8  # gradients are computed on a grid this much coarser, then smoothly enlarged
_BLEND_BAND = 32  # rows
_SOLID_MIN = 64  # columns: a shorter solid span is simply blended


def _clip(box: tuple[int, int, int, int], size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    left, top, right, bottom = max(box[0], 0), max(box[1], 0), min(box[2], size[0]), min(box[3], size[1])
    return (left, top, right, bottom) if right > left and bottom > top else None


@lru_cache(maxsize=256)
def opacity_table(opacity: float) -> tuple[int, ...]:
    return tuple(round(v * opacity) for v in range(256))


def blend(canvas: Image.Image, color: tuple[int, int, int], at: tuple[int, int], mask: Image.Image) -> None:
    """canvas.paste(color, at, mask), done band by band: only over the part of each band where the mask is
    not 0 (blending through 0 leaves a pixel as it is), and columns where it is 255 all the way down the band
    are filled (blending through 255 gives the colour). Same pixels, less work: motifs are 0 over much of
    their box, and solid shapes (cards) are 255 inside."""
    x, y = at
    w, h = mask.size
    for top in range(0, h, _BLEND_BAND):
        band = mask.crop((0, top, w, min(h, top + _BLEND_BAND)))
        used = band.getbbox()
        if used is None:
            continue
        left, band_top, right, bottom = used
        band = band.crop(used)
        solid = np.flatnonzero(np.asarray(band).min(axis=0) == 255) if band.getextrema()[1] == 255 else ()
        if len(solid) >= _SOLID_MIN and solid[-1] - solid[0] + 1 == len(solid):
            first, last = int(solid[0]), int(solid[-1]) + 1
            canvas.paste(color, (x + left + first, y + top + band_top, x + left + last, y + top + bottom))
            for a, b in ((0, first), (last, right - left)):
                if b > a:
                    canvas.paste(color, (x + left + a, y + top + band_top, x + left + b, y + top + bottom),
                                 band.crop((a, 0, b, bottom - band_top)))
        else:
            canvas.paste(color, (x + left, y + top + band_top, x + right, y + top + bottom), band)


def _scaled_mask(mask: Image.Image, opacity: float) -> Image.Image:
    if opacity >= 1:
        return mask
    return mask.point(list(opacity_table(opacity)))


def gradient(canvas: Image.Image, layer: Gradient) -> None:
    x, y, w, h = layer.box
    image = gradient_image(layer)
    if layer.opacity >= 1:
        canvas.paste(image, (x, y))
    else:
        canvas.paste(Image.blend(canvas.crop((x, y, x + w, y + h)), image, layer.opacity), (x, y))


def gradient_image(layer: Gradient) -> Image.Image:
    """A linear gradient the size of its box: one strip of colours along the direction, mapped onto the
    box (exact, fast)."""
    _, _, w, h = layer.box
    angle = math.radians(layer.angle)
    dx, dy = math.cos(angle), math.sin(angle)
    corners = [cx * dx + cy * dy for cx in (0, w) for cy in (0, h)]
    low, span = min(corners), max(corners) - min(corners)
    length = max(2, math.ceil(span))
    t = (np.arange(length) + 0.5) / length
    positions = [p for _, p in layer.stops]
    channels = [np.interp(t, positions, [c[i] for c, _ in layer.stops]) for i in range(3)]
    strip = Image.fromarray(np.round(np.stack(channels, axis=-1)).astype(np.uint8)[None, :, :], "RGB")
    # Output pixel (px, py) takes strip pixel (px·dx + py·dy − low) · length / span.
    k = length / span
    return strip.transform((w, h), Image.Transform.AFFINE, (dx * k, dy * k, -low * k + 0.5 * (dx + dy) * k, 0, 0, 0),
                           resample=Image.Resampling.NEAREST)


def glow(canvas: Image.Image, layer: Glow) -> None:
    cx, cy = layer.center
    r = layer.radius
    box = _clip((cx - r, cy - r, cx + r, cy + r), canvas.size)
    if box is None:
        return
    w, h = box[2] - box[0], box[3] - box[1]
    gw, gh = max(2, w // _GRADIENT_STEP), max(2, h // _GRADIENT_STEP)
    xs = box[0] + (np.arange(gw) + 0.5) / gw * w - cx
    ys = box[1] + (np.arange(gh) + 0.5) / gh * h - cy
    distance = np.sqrt(xs[None, :] ** 2 + ys[:, None] ** 2) / r
    alpha = np.clip(1 - distance, 0, 1) ** 2 * 255 * layer.opacity
    mask = Image.fromarray(np.round(alpha).astype(np.uint8), "L").resize((w, h), Image.Resampling.BILINEAR)
    canvas.paste(layer.color, box[:2], mask)  # non-zero almost everywhere in its box: blended in one go


def scrim(canvas: Image.Image, layer: Scrim) -> None:
    x, y, w, h = layer.box
    level = round(255 * layer.opacity)
    if layer.fade == "none":
        mask = Image.new("L", (w, h), level)
    elif layer.fade in ("left", "right"):
        ramp = Image.linear_gradient("L").rotate(90).resize((w, 1), Image.Resampling.BILINEAR)  # 0 at the left
        if layer.fade == "right":
            ramp = ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        mask = _scaled_mask(ramp, layer.opacity).resize((w, h), Image.Resampling.NEAREST)
    else:
        ramp = Image.linear_gradient("L").resize((1, h), Image.Resampling.BILINEAR)  # 0 at the top
        if layer.fade == "up":
            ramp = ramp.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
        mask = _scaled_mask(ramp, layer.opacity).resize((w, h), Image.Resampling.NEAREST)
    canvas.paste(layer.color, (x, y, x + w, y + h), mask)


def rounded_mask(size: tuple[int, int], radius: int, opacity: float = 1.0) -> Image.Image:
    w, h = size
    s = SUPERSAMPLE
    big = Image.new("L", (w * s, h * s), 0)
    ImageDraw.Draw(big).rounded_rectangle((0, 0, w * s - 1, h * s - 1), radius=radius * s, fill=255)
    return _scaled_mask(big.reduce(s), opacity)


def shape_mask(layer: Shape, size: tuple[int, int]) -> tuple[tuple[int, int, int, int], Image.Image] | None:
    """The shape's coverage (opacity included) over its clipped bounding box, anti-aliased."""
    box = _clip(_bounds(layer), size)
    if box is None:
        return None
    s = SUPERSAMPLE
    w, h = box[2] - box[0], box[3] - box[1]
    ox, oy = box[0], box[1]
    kind = layer.shape
    if kind in ("ridge", "wave"):
        points = ridge_points(layer) if kind == "ridge" else wave_points(layer)
        band = _curve_band(points, box, layer.opacity)
        if band is not None:
            return box, band
    if kind == "rect":
        x, y, bw, bh = layer.get("box")
        return box, _rect_mask((w, h), ((x - ox) * s, (y - oy) * s, (x + bw - ox) * s, (y + bh - oy) * s),
                               layer.get("radius", 0) * s, layer.opacity)
    mask = Image.new("L", (w * s, h * s), 0)
    draw = ImageDraw.Draw(mask)

    def pt(x: float, y: float) -> tuple[float, float]:
        return ((x - ox) * s, (y - oy) * s)

    if kind in ("circle", "ring", "arc"):
        (cx, cy), r = layer.get("center"), layer.get("radius")
        ellipse = (*pt(cx - r, cy - r), *pt(cx + r, cy + r))
        if kind == "circle":
            draw.ellipse(ellipse, fill=255)
        elif kind == "ring":
            draw.ellipse(ellipse, outline=255, width=round(layer.get("width") * s))
        else:
            draw.arc(ellipse, layer.get("start"), layer.get("end"), fill=255, width=round(layer.get("width") * s))
    elif kind == "polygon":
        draw.polygon([pt(x, y) for x, y in layer.get("points")], fill=255)
    elif kind == "line":
        draw.line([pt(x, y) for x, y in layer.get("points")], fill=255, width=round(layer.get("width") * s),
                  joint="curve")
    elif kind in ("ridge", "wave"):
        draw.polygon([pt(x, y) for x, y in points], fill=255)
    elif kind == "dots":
        x, y, bw, bh = layer.get("box")
        spacing, r = layer.get("spacing"), layer.get("radius")
        row = 0
        cy = y
        while cy <= y + bh:
            cx = x + (spacing / 2 if row % 2 else 0)
            while cx <= x + bw:
                draw.ellipse((*pt(cx - r, cy - r), *pt(cx + r, cy + r)), fill=255)
                cx += spacing
            cy += spacing
            row += 1
    return box, _scaled_mask(mask.reduce(s), layer.opacity)


def _rect_mask(size: tuple[int, int], corners: tuple[float, float, float, float], radius: float,
               opacity: float) -> Image.Image:
    """A (rounded) rectangle's mask."""
    w, h = size
    s = SUPERSAMPLE
    mask = Image.new("L", (w * s, h * s), 0)
    ImageDraw.Draw(mask).rounded_rectangle(corners, radius=radius, fill=255)
    return _scaled_mask(mask.reduce(s), opacity)


def _curve_band(points: list[tuple[float, float]], box: tuple[int, int, int, int],
                opacity: float) -> Image.Image | None:
    """The mask of a band under a curve (ridge, wave) whose floor reaches the bottom of its box: only the rows
    the curve crosses are rasterised; every row below it is the same full-width span, so it is copied.
    Gives exactly the mask that rasterising the whole polygon gives. None when the shortcut does not apply."""
    s = SUPERSAMPLE
    ox, oy = box[0], box[1]
    w, h = box[2] - ox, box[3] - oy
    curve, floor = points[:-2], points[-2:]
    if any((y - oy) * s < h * s for _, y in floor):
        return None  # the floor edge is inside the box: rows below the curve are not all alike
    # Supersampled rows from `pure` on lie below the lowest curve point: they cross only the two vertical
    # closing edges. The band ends with one whole reduced row of them.
    pure = math.floor((max(y for _, y in curve) - oy) * s) + 2
    band = (-(-pure // s) + 1) * s
    if band >= h * s:
        return None
    mask = Image.new("L", (w * s, band), 0)
    ImageDraw.Draw(mask).polygon([((x - ox) * s, (y - oy) * s) for x, y in points], fill=255)
    top = np.asarray(_scaled_mask(mask.reduce(s), opacity))
    out = np.empty((h, w), np.uint8)
    out[:len(top)] = top
    out[len(top):] = top[-1]
    return Image.fromarray(out, "L")


def shapes(canvas: Image.Image, layers: list[Shape]) -> None:
    """Shapes of one colour drawn together: their masks are merged ("screen" = alpha over alpha for one
    colour), then the colour is blended in once over their common bounding box."""
    parts = [m for m in (shape_mask(layer, canvas.size) for layer in layers) if m is not None]
    if not parts:
        return
    left = min(b[0] for b, _ in parts)
    top = min(b[1] for b, _ in parts)
    right = max(b[2] for b, _ in parts)
    bottom = max(b[3] for b, _ in parts)
    if len(parts) == 1:
        blend(canvas, layers[0].color, (left, top), parts[0][1])
        return
    total = Image.new("L", (right - left, bottom - top), 0)
    placed: list[tuple[int, int, int, int]] = []
    for (x0, y0, x1, y1), mask in parts:
        region = (x0 - left, y0 - top, x1 - left, y1 - top)
        if any(x0 < b[2] and b[0] < x1 and y0 < b[3] and b[1] < y1 for b in placed):
            total.paste(ImageChops.screen(total.crop(region), mask), region[:2])
        else:
            total.paste(mask, region[:2])  # nothing under it yet: screen over 0 is the mask itself
        placed.append((x0, y0, x1, y1))
    # Pasting the colour through the mask blends exactly as compositing a solid image would, without one.
    blend(canvas, layers[0].color, (left, top), total)


def _bounds(layer: Shape) -> tuple[int, int, int, int]:
    kind = layer.shape
    if kind in ("rect", "ridge", "wave", "dots"):
        x, y, w, h = layer.get("box")
        pad = layer.get("radius", 0) if kind == "dots" else 0
        if kind == "wave":
            pad = layer.get("amplitude")
        bottom = max(y + h, layer.get("floor", y + h))
        return (math.floor(x - pad), math.floor(y - pad), math.ceil(x + w + pad) + 1, math.ceil(bottom + pad) + 1)
    if kind in ("circle", "ring", "arc"):
        (cx, cy), r = layer.get("center"), layer.get("radius")
        return (math.floor(cx - r) - 1, math.floor(cy - r) - 1, math.ceil(cx + r) + 2, math.ceil(cy + r) + 2)
    points = layer.get("points")
    pad = math.ceil(layer.get("width", 0))
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (math.floor(min(xs)) - pad, math.floor(min(ys)) - pad, math.ceil(max(xs)) + pad + 1,
            math.ceil(max(ys)) + pad + 1)


def ridge_points(layer: Shape) -> list[tuple[float, float]]:
    """A mountain silhouette across the box, the same for the same seed: peaks near the top edge."""
    x, y, w, h = layer.get("box")
    rng = random.Random(layer.get("seed", 1))
    peaks = max(1, int(layer.get("peaks", 3)))
    roughness = float(layer.get("roughness", 0.15))
    tops = [(x + w * (i + rng.uniform(0.25, 0.75)) / peaks, y + h * rng.uniform(0.0, 0.45)) for i in range(peaks)]
    anchors = [(x, y + h * rng.uniform(0.35, 0.7))] + tops + [(x + w, y + h * rng.uniform(0.35, 0.7))]
    points: list[tuple[float, float]] = []
    steps = 24
    for (x0, y0), (x1, y1) in zip(anchors, anchors[1:]):
        for i in range(steps):
            t = i / steps
            eased = (1 - math.cos(math.pi * t)) / 2
            jitter = math.sin(t * math.pi * 3 + x0) * h * roughness * 0.15 * math.sin(math.pi * t)
            points.append((x0 + (x1 - x0) * t, y0 + (y1 - y0) * eased + jitter))
    points.append(anchors[-1])
    floor = layer.get("floor", y + h)
    return points + [(x + w, floor), (x, floor)]


def wave_points(layer: Shape) -> list[tuple[float, float]]:
    """A band filled below a sine curve running along the top of the box."""
    x, y, w, h = layer.get("box")
    amplitude, wavelength = layer.get("amplitude"), layer.get("wavelength")
    phase = math.radians(layer.get("phase", 0))
    steps = 96
    points = [(x + w * i / steps, y + amplitude * math.sin(2 * math.pi * (w * i / steps) / wavelength + phase))
              for i in range(steps + 1)]
    floor = layer.get("floor", y + h)
    return points + [(x + w, floor), (x, floor)]
