"""Backgrounds and geometric motifs: gradients, glows, scrims and shapes, drawn with Pillow.

A shape is drawn into a mask of its own bounding box at twice the size and reduced (anti-aliasing), its
opacity as the mask's level, then its colour is pasted through the mask onto the canvas. Shapes are drawn
one after another; overlapping neighbours of one colour and opacity share one mask (their union).
"""

from __future__ import annotations

import math
import random

import numpy as np
from PIL import Image, ImageDraw

from pipeline.channels.posters.layout import Glow, Gradient, Scrim, Shape

SUPERSAMPLE = 2
_GRADIENT_STEP = 8  # glows are computed on a grid this much coarser, then smoothly enlarged


def _clip(box: tuple[int, int, int, int], size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    left, top, right, bottom = max(box[0], 0), max(box[1], 0), min(box[2], size[0]), min(box[3], size[1])
    return (left, top, right, bottom) if right > left and bottom > top else None


def paint(canvas: Image.Image, color: tuple[int, int, int], at: tuple[int, int], mask: Image.Image) -> None:
    """The colour laid onto the canvas through the mask at `at`: as canvas.paste(color, at, mask), but a solid
    image pasted through the mask (Pillow blends an image through a mask about twice as fast as a colour)."""
    canvas.paste(Image.new("RGB", mask.size, color), at, mask)


def scaled(mask: Image.Image, opacity: float) -> Image.Image:
    """The mask at opacity (0..1)."""
    return mask if opacity >= 1 else mask.point(lambda v: round(v * opacity))


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
    paint(canvas, layer.color, box[:2], mask)


def scrim(canvas: Image.Image, layer: Scrim) -> None:
    x, y, w, h = layer.box
    level = round(255 * layer.opacity)
    if layer.fade == "none":
        mask = Image.new("L", (w, h), level)
    elif layer.fade in ("left", "right"):
        ramp = Image.linear_gradient("L").rotate(90).resize((w, 1), Image.Resampling.BILINEAR)  # 0 at the left
        if layer.fade == "right":
            ramp = ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        mask = scaled(ramp, layer.opacity).resize((w, h), Image.Resampling.NEAREST)
    else:
        ramp = Image.linear_gradient("L").resize((1, h), Image.Resampling.BILINEAR)  # 0 at the top
        if layer.fade == "up":
            ramp = ramp.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
        mask = scaled(ramp, layer.opacity).resize((w, h), Image.Resampling.NEAREST)
    paint(canvas, layer.color, (x, y), mask)


def rounded_mask(size: tuple[int, int], radius: int, opacity: float = 1.0) -> Image.Image:
    w, h = size
    sample = SUPERSAMPLE
    big = Image.new("L", (w * sample, h * sample), 0)
    ImageDraw.Draw(big).rounded_rectangle((0, 0, w * sample - 1, h * sample - 1), radius=radius * sample,
                                          fill=round(255 * opacity))
    return big.reduce(sample)


def shape(canvas: Image.Image, layer: Shape, origin: tuple[float, float] = (0, 0)) -> None:
    """The shape painted onto the canvas; its coordinates are relative to origin (a point of the canvas)."""
    shapes(canvas, [layer], origin)


def shapes(canvas: Image.Image, layers: list[Shape], origin: tuple[float, float] = (0, 0)) -> None:
    """Shapes painted in order. Consecutive shapes of one colour and opacity whose boxes overlap (the rows of a
    tea hill, the petals of a flower) are painted as one, their union: one mask, one paint."""
    group: list[Shape] = []
    group_box: tuple[int, int, int, int] | None = None
    for layer in layers:
        box = _box(layer, origin, canvas.size)
        if box is None:
            continue
        if group and group_box is not None and (layer.color, layer.opacity) == (group[0].color, group[0].opacity) \
                and box[0] < group_box[2] and group_box[0] < box[2] and box[1] < group_box[3] and group_box[1] < box[3]:
            group.append(layer)
            group_box = (min(box[0], group_box[0]), min(box[1], group_box[1]), max(box[2], group_box[2]),
                         max(box[3], group_box[3]))
            continue
        if group and group_box is not None:
            paint(canvas, group[0].color, group_box[:2], shape_mask(group, group_box, origin))
        group, group_box = [layer], box
    if group and group_box is not None:
        paint(canvas, group[0].color, group_box[:2], shape_mask(group, group_box, origin))


def _box(layer: Shape, origin: tuple[float, float], size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """The shape's bounding box on the canvas, clipped to it (None: not on the canvas)."""
    ox, oy = origin
    left, top, right, bottom = _bounds(layer)
    return _clip((left + math.floor(ox), top + math.floor(oy), right + math.ceil(ox), bottom + math.ceil(oy)), size)


def shape_mask(layers: list[Shape], box: tuple[int, int, int, int], origin: tuple[float, float] = (0, 0)) -> Image.Image:
    """The coverage of the shapes (of one opacity, included) over box (canvas coordinates), anti-aliased."""
    sample = SUPERSAMPLE
    w, h = box[2] - box[0], box[3] - box[1]
    ox, oy = box[0] - origin[0], box[1] - origin[1]
    mask = Image.new("L", (w * sample, h * sample), 0)
    draw = ImageDraw.Draw(mask)
    fill = round(255 * layers[0].opacity)

    def pt(x: float, y: float) -> tuple[float, float]:
        return ((x - ox) * sample, (y - oy) * sample)

    for layer in layers:
        kind = layer.shape
        if kind == "rect":
            x, y, bw, bh = layer.get("box")
            draw.rounded_rectangle((*pt(x, y), *pt(x + bw, y + bh)), radius=layer.get("radius", 0) * sample,
                                   fill=fill)
        elif kind in ("circle", "ring", "arc"):
            (cx, cy), r = layer.get("center"), layer.get("radius")
            ellipse = (*pt(cx - r, cy - r), *pt(cx + r, cy + r))
            if kind == "circle":
                draw.ellipse(ellipse, fill=fill)
            elif kind == "ring":
                draw.ellipse(ellipse, outline=fill, width=round(layer.get("width") * sample))
            else:
                draw.arc(ellipse, layer.get("start"), layer.get("end"), fill=fill,
                         width=round(layer.get("width") * sample))
        elif kind == "polygon":
            draw.polygon([pt(x, y) for x, y in layer.get("points")], fill=fill)
        elif kind == "line":  # round joins: a disc the line's width at every inner point
            points = [pt(x, y) for x, y in layer.get("points")]
            width = round(layer.get("width") * sample)
            draw.line(points, fill=fill, width=width)
            for x, y in points[1:-1]:
                draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=fill)
        elif kind in ("ridge", "wave"):
            points = ridge_points(layer) if kind == "ridge" else wave_points(layer)
            draw.polygon([pt(x, y) for x, y in points], fill=fill)
        elif kind == "dots":
            x, y, bw, bh = layer.get("box")
            spacing, r = layer.get("spacing"), layer.get("radius")
            row = 0
            cy = y
            while cy <= y + bh:
                cx = x + (spacing / 2 if row % 2 else 0)
                while cx <= x + bw:
                    draw.ellipse((*pt(cx - r, cy - r), *pt(cx + r, cy + r)), fill=fill)
                    cx += spacing
                cy += spacing
                row += 1
    return mask.reduce(sample)


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
