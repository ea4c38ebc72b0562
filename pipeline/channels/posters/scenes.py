"""Theme scenes: one recognisable picture per theme, drawn from plain shapes (no photo needed).

A scene is laid out for a box of w × h pixels (coordinates relative to the box) and returned as shape
tuples, drawn (draw.py) by the same engine as every other shape. Scenes are pure functions of
(name, w, h, colour, month): the same inputs give the same shapes. The poster's text boxes are kept
clear when it is drawn, so a scene may be composed freely; its subject sits in the middle band of the
box, which posters show between their text and their card.

    chadao    万里茶道  tea terraces: hills striped with rows of tea bushes, a pale sun
    sanguo    三国文化  a cliff over the river: a sheer rock face, waves, a sail, a low red sun
    bishu     避暑休闲  layered ridges in mist above a still lake
    kangyang  康养旅居  hot-spring pools in tiers with steam rising, pines around them
    quanxue   沐泉滑雪  a snow mountain with a ski run and tracks, snowflakes, a steaming pool below
    shanghua  赏花品桂  a flowering branch: osmanthus (autumn) or azaleas (spring)
    xiangcun  乡村旅游  village roofs with horse-head walls above striped fields
    hongse    红色旅游  a memorial obelisk with a star on a stepped base, rays, pines, a flag
"""

from __future__ import annotations

import math
import random
from typing import Any, Callable

from pipeline import colors

RGB = tuple[int, int, int]
# One shape of a scene: (shape kind, colour, opacity, parameters as sorted (key, value) pairs); layout.py
# makes Shape layers of them.
Shape = tuple[str, RGB, float, tuple[tuple[str, Any], ...]]

SCENES = ("chadao", "sanguo", "bishu", "kangyang", "quanxue", "shanghua", "xiangcun", "hongse")


def tone(a: RGB, b: RGB, t: float) -> RGB:
    """Colour b at t over a: pipeline.colors.mix on (r, g, b) triples."""
    return colors.rgb(colors.mix(colors.to_hex(b), t, base=colors.to_hex(a)))


WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)


def _shape(kind: str, color: RGB, opacity: float, **params: Any) -> Shape:
    def freeze(v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return tuple(freeze(x) for x in v)
        if isinstance(v, float):
            return round(v, 2)
        return v
    return (kind, color, min(1.0, max(0.0, round(opacity, 3))), tuple(sorted((k, freeze(v)) for k, v in params.items())))


def poly(points: list[tuple[float, float]], color: RGB, opacity: float = 1.0) -> Shape:
    return _shape("polygon", color, opacity, points=[(round(x, 1), round(y, 1)) for x, y in points])


def circle(cx: float, cy: float, r: float, color: RGB, opacity: float = 1.0) -> Shape:
    return _shape("circle", color, opacity, center=(cx, cy), radius=r)


def line(points: list[tuple[float, float]], width: float, color: RGB, opacity: float = 1.0) -> Shape:
    return _shape("line", color, opacity, points=[(round(x, 1), round(y, 1)) for x, y in points], width=width)


def rect(x: float, y: float, w: float, h: float, color: RGB, opacity: float = 1.0, radius: float = 0) -> Shape:
    return _shape("rect", color, opacity, box=(round(x), round(y), max(1, round(w)), max(1, round(h))), radius=radius)


def ridge(x: float, y: float, w: float, h: float, floor: float, seed: int, peaks: int, color: RGB, opacity: float,
          roughness: float = 0.15) -> Shape:
    return _shape("ridge", color, opacity, box=(x, y, w, h), floor=floor, seed=seed, peaks=peaks, roughness=roughness)


def wave(x: float, y: float, w: float, h: float, floor: float, amplitude: float, wavelength: float, phase: float,
         color: RGB, opacity: float) -> Shape:
    return _shape("wave", color, opacity, box=(x, y, w, h), floor=floor, amplitude=amplitude, wavelength=wavelength,
                  phase=phase)


def ellipse_points(cx: float, cy: float, rx: float, ry: float, angle: float = 0.0, steps: int = 20,
                   start: float = 0.0, end: float = 360.0) -> list[tuple[float, float]]:
    a = math.radians(angle)
    out = []
    for i in range(steps + 1):
        t = math.radians(start + (end - start) * i / steps)
        x, y = rx * math.cos(t), ry * math.sin(t)
        out.append((cx + x * math.cos(a) - y * math.sin(a), cy + x * math.sin(a) + y * math.cos(a)))
    return out


def dome(cx: float, base: float, rx: float, ry: float, steps: int = 28) -> list[tuple[float, float]]:
    """The upper half of an ellipse standing on y = base."""
    return ellipse_points(cx, base, rx, ry, 0, steps, 180, 360)


def steam(x: float, y: float, height: float, u: float, phase: float) -> list[tuple[float, float]]:
    """A rising wisp: an S-curve going up from (x, y)."""
    pts = []
    for i in range(13):
        t = i / 12
        pts.append((x + math.sin(t * math.pi * 2 + phase) * 16 * u * (0.4 + t), y - t * height))
    return pts


def pine(cx: float, base: float, height: float, color: RGB, opacity: float) -> list[Shape]:
    """A conifer: three stacked triangles on a short trunk."""
    shapes: list[Shape] = []
    half = height * 0.34
    for i in range(3):
        top = base - height + i * height * 0.24
        bottom = top + height * 0.42
        width = half * (0.6 + 0.25 * i)
        shapes.append(poly([(cx, top), (cx + width, bottom), (cx - width, bottom)], color, opacity))
    shapes.append(rect(cx - height * 0.04, base - height * 0.18, height * 0.08, height * 0.18, color, opacity))
    return shapes


# ---- the scenes ----------------------------------------------------------------------------------

def _chadao(w: float, h: float, c: RGB, u: float, month: int) -> list[Shape]:
    light, mid = tone(c, WHITE, 0.75), tone(c, WHITE, 0.45)
    leaf = tone((120, 170, 80), c, 0.25)
    out = [circle(w * 0.82, h * 0.2, 70 * u, tone(c, WHITE, 0.85), 0.45),
           ridge(0, h * 0.3, w, h * 0.3, h, 7, 3, light, 0.22, 0.05)]
    hills = [(w * 0.28, h * 0.74, w * 0.46, h * 0.34, 0.55), (w * 0.86, h * 0.68, w * 0.5, h * 0.4, 0.7),
             (w * 0.52, h * 1.02, w * 0.62, h * 0.4, 0.9)]
    for cx, base, rx, ry, strength in hills:
        out.append(poly(dome(cx, base, rx, ry) + [(cx + rx, h), (cx - rx, h)], tone(c, BLACK, 0.15), 0.85))
        out.append(poly(dome(cx, base, rx, ry), mid, 0.35 * strength))
        rows = 7
        for i in range(1, rows + 1):
            k = i / rows
            arc = ellipse_points(cx, base, rx * k, ry * k, 0, 24, 192, 348)
            out.append(line(arc, 7 * u * (0.6 + 0.4 * k), leaf, 0.5 + 0.4 * strength))
    return out


def _sanguo(w: float, h: float, c: RGB, u: float, month: int) -> list[Shape]:
    light = tone(c, WHITE, 0.7)
    rock, face = tone(c, BLACK, 0.35), tone(c, WHITE, 0.25)
    out = [circle(w * 0.42, h * 0.38, 86 * u, (236, 112, 64), 0.8),
           ridge(0, h * 0.5, w * 0.7, h * 0.14, h, 3, 4, light, 0.25, 0.05)]
    cliff = [(w * 0.62, h), (w * 0.6, h * 0.66), (w * 0.66, h * 0.52), (w * 0.63, h * 0.38), (w * 0.7, h * 0.22),
             (w * 0.68, h * 0.1), (w * 0.8, h * 0.04), (w * 1.0, h * 0.02), (w, h)]
    out.append(poly(cliff, rock, 0.95))
    for i in range(6):
        y = h * (0.16 + i * 0.1)
        out.append(line([(w * (0.7 + 0.02 * (i % 2)), y), (w * 0.84, y + 8 * u), (w * 0.98, y - 4 * u)], 4 * u, face, 0.45))
    out.append(line([(w * 0.665, h * 0.18), (w * 0.64, h * 0.42), (w * 0.62, h * 0.64)], 5 * u, face, 0.5))
    for i in range(4):
        out.append(wave(0, h * (0.7 + i * 0.075), w, h * 0.3, h, 8 * u, (180 + 40 * i) * u, i * 70,
                        tone(c, WHITE, 0.55 - i * 0.1), 0.35 + 0.1 * i))
    bx, by = w * 0.24, h * 0.74
    out.append(poly([(bx - 70 * u, by), (bx + 80 * u, by), (bx + 56 * u, by + 22 * u), (bx - 50 * u, by + 22 * u)],
                    tone(c, BLACK, 0.5), 0.9))
    out.append(poly([(bx, by - 130 * u), (bx, by - 6 * u), (bx + 62 * u, by - 6 * u)], tone(c, WHITE, 0.85), 0.9))
    out.append(poly([(bx - 6 * u, by - 110 * u), (bx - 6 * u, by - 6 * u), (bx - 52 * u, by - 6 * u)], tone(c, WHITE, 0.7), 0.85))
    return out


def _bishu(w: float, h: float, c: RGB, u: float, month: int) -> list[Shape]:
    out = [circle(w * 0.78, h * 0.16, 60 * u, tone(c, WHITE, 0.9), 0.55)]
    layers = [(0.06, 0.5, 11, 0.82), (0.2, 0.46, 4, 0.64), (0.34, 0.4, 9, 0.46), (0.46, 0.32, 2, 0.28)]
    for i, (top, height, seed, t) in enumerate(layers):
        out.append(ridge(0, h * top, w, h * height, h, seed, 4 + i % 2, tone(c, WHITE, t), 0.6 + 0.12 * i, 0.3))
        for k in range(3):  # mist lying in the valley below the ridge line
            out.append(rect(0, h * (top + height * (0.62 + 0.1 * k)), w, h * 0.05, WHITE, 0.05 + 0.03 * k))
    lake = tone(c, WHITE, 0.6)
    out.append(rect(0, h * 0.76, w, h * 0.24, lake, 0.55))
    for i in range(6):
        y = h * (0.8 + i * 0.035)
        x0 = w * (0.1 + 0.13 * ((i * 3) % 5))
        out.append(rect(x0, y, w * (0.22 - 0.02 * (i % 3)), 4 * u, WHITE, 0.35))
    return out


def _kangyang(w: float, h: float, c: RGB, u: float, month: int) -> list[Shape]:
    hill = tone(c, WHITE, 0.35)
    out = [ridge(0, h * 0.26, w, h * 0.34, h, 6, 2, tone(c, WHITE, 0.55), 0.35, 0.08)]
    for x, s in ((0.06, 1.0), (0.14, 0.8), (0.9, 1.1), (0.98, 0.85)):
        out.extend(pine(w * x, h * 0.62, 240 * u * s, tone(c, BLACK, 0.25), 0.85))
    pools = [(0.3, 0.5, 0.15), (0.62, 0.56, 0.19), (0.4, 0.7, 0.25), (0.8, 0.74, 0.21)]
    for px, py, r in pools:
        rx, ry = w * r, w * r * 0.24
        out.append(poly(ellipse_points(w * px, h * py, rx + 16 * u, ry + 10 * u), hill, 0.9))
        out.append(poly(ellipse_points(w * px, h * py, rx, ry), tone(c, WHITE, 0.8), 0.9))
        out.append(poly(ellipse_points(w * px, h * py + ry * 0.3, rx * 0.7, ry * 0.4), WHITE, 0.35))
    for i, (px, py, r) in enumerate(pools):
        for j in range(3):
            x = w * px + (j - 1) * w * r * 0.45
            out.append(line(steam(x, h * py - 20 * u, (130 + 30 * ((i + j) % 3)) * u, u, i + j * 1.7), 9 * u, WHITE,
                            0.5))
    return out


def _quanxue(w: float, h: float, c: RGB, u: float, month: int) -> list[Shape]:
    snow = (246, 249, 255)
    rng = random.Random(5)
    out = [circle(w * rng.uniform(0.02, 0.98), h * rng.uniform(0.0, 0.5), rng.uniform(3, 7) * u, snow, 0.7)
           for _ in range(46)]
    peak = (w * 0.7, h * 0.08)
    out.append(poly([(w * 0.12, h * 0.82), peak, (w * 1.1, h * 0.7), (w * 1.1, h), (w * 0.12, h)],
                    tone(c, WHITE, 0.4), 0.95))
    out.append(poly([(w * 0.56, h * 0.3), peak, (w * 0.86, h * 0.28), (w * 0.78, h * 0.34), (w * 0.7, h * 0.3),
                     (w * 0.62, h * 0.36)], snow, 0.95))
    run = [(w * 0.74, h * 0.2), (w * 0.62, h * 0.42), (w * 0.78, h * 0.6), (w * 0.56, h * 0.8), (w * 0.7, h * 1.0)]
    out.append(line(run, 70 * u, snow, 0.9))
    out.append(line([(x - 14 * u, y) for x, y in run], 4 * u, tone(c, WHITE, 0.3), 0.6))
    out.append(line([(x + 14 * u, y) for x, y in run], 4 * u, tone(c, WHITE, 0.3), 0.6))
    for x, y, s in ((0.5, 0.62, 0.8), (0.88, 0.6, 0.9), (0.95, 0.72, 1.1), (0.44, 0.74, 1.0), (0.86, 0.86, 1.2)):
        out.extend(pine(w * x, h * y, 150 * u * s, tone(c, BLACK, 0.3), 0.95))
    px, py = w * 0.22, h * 0.92
    out.append(poly(ellipse_points(px, py, 150 * u, 34 * u), tone(c, WHITE, 0.8), 0.9))
    for j in range(3):
        out.append(line(steam(px + (j - 1) * 60 * u, py - 20 * u, 150 * u, u, j * 1.9), 8 * u, WHITE, 0.55))
    return out


def _shanghua(w: float, h: float, c: RGB, u: float, month: int) -> list[Shape]:
    spring = 2 <= month <= 6
    branch = tone(c, BLACK, 0.45)
    leaf = tone((90, 140, 70), c, 0.3)
    bloom = (236, 96, 140) if spring else (250, 196, 70)
    # the branch: from the right edge, bending down to the left
    main = [(w * 1.02, h * 0.12), (w * 0.84, h * 0.26), (w * 0.66, h * 0.36), (w * 0.48, h * 0.52), (w * 0.32, h * 0.6)]
    twigs = [[(w * 0.84, h * 0.26), (w * 0.8, h * 0.12), (w * 0.72, h * 0.05)],
             [(w * 0.66, h * 0.36), (w * 0.6, h * 0.24)],
             [(w * 0.48, h * 0.52), (w * 0.42, h * 0.7), (w * 0.36, h * 0.78)],
             [(w * 0.7, h * 0.33), (w * 0.72, h * 0.54), (w * 0.66, h * 0.66)]]
    out = [ridge(0, h * 0.62, w, h * 0.2, h, 14, 3, tone(c, WHITE, 0.45), 0.3, 0.06),
           line(main, 16 * u, branch, 0.95)]
    out += [line(t, 9 * u, branch, 0.95) for t in twigs]
    rng = random.Random(17)
    points = main[1:] + [p for t in twigs for p in t[1:]]
    for x, y in points:
        for k in range(2):
            angle = rng.uniform(-60, 60) + (180 if k else 0)
            out.append(poly(ellipse_points(x + math.cos(math.radians(angle)) * 38 * u,
                                           y + math.sin(math.radians(angle)) * 38 * u, 44 * u, 15 * u, angle, 14),
                            leaf, 0.9))
    for x, y in points:
        for _ in range(3 if spring else 6):
            fx, fy = x + rng.uniform(-46, 46) * u, y + rng.uniform(-40, 40) * u
            if spring:
                for i in range(5):
                    a = math.radians(i * 72 + 90)
                    out.append(circle(fx + math.cos(a) * 14 * u, fy + math.sin(a) * 14 * u, 13 * u, bloom, 0.95))
            else:
                for i in range(4):
                    a = math.radians(i * 90 + 45)
                    out.append(circle(fx + math.cos(a) * 6 * u, fy + math.sin(a) * 6 * u, 6 * u, bloom, 0.95))
    return out


def _xiangcun(w: float, h: float, c: RGB, u: float, month: int) -> list[Shape]:
    wall, roof = tone(c, WHITE, 0.88), tone(c, BLACK, 0.5)
    out = [circle(w * 0.8, h * 0.18, 64 * u, (252, 214, 120), 0.7),
           ridge(0, h * 0.28, w, h * 0.3, h, 5, 2, tone(c, WHITE, 0.5), 0.4, 0.04)]
    ground = h * 0.6
    out.append(rect(0, ground, w, h - ground, tone(c, WHITE, 0.3), 0.9))
    houses = [(0.44, 1.0), (0.58, 0.8), (0.7, 1.1), (0.84, 0.9), (0.96, 1.0)]
    for x, s in houses:
        hw, hh = 110 * u * s, 80 * u * s
        cx = w * x
        out.append(rect(cx - hw / 2, ground - hh, hw, hh + 4 * u, wall, 0.98))
        out.append(poly([(cx - hw / 2 - 14 * u, ground - hh), (cx, ground - hh - 46 * u * s),
                         (cx + hw / 2 + 14 * u, ground - hh)], roof, 0.95))
        step = 18 * u * s  # a horse-head gable wall
        out.append(rect(cx - hw / 2 - 6 * u, ground - hh - step, 14 * u, step, wall, 0.98))
        out.append(rect(cx - 10 * u, ground - 40 * u * s, 20 * u, 36 * u * s, roof, 0.8))
    # fields: striped plots converging to a point on the horizon
    vx = w * 0.62
    for i in range(-6, 9):
        x0 = vx + i * 150 * u
        t = 0.6 if i % 2 else 0.15
        out.append(poly([(vx + i * 30 * u, ground + 8 * u), (vx + (i + 1) * 30 * u, ground + 8 * u),
                         (x0 + 150 * u * 3.2, h), (x0 * 1.0 + 150 * u * 2.2, h)], tone(c, WHITE, t), 0.55))
    for i in range(4):
        y = ground + (h - ground) * (0.25 + 0.22 * i)
        out.append(line([(0, y), (w, y + 10 * u)], 4 * u, tone(c, WHITE, 0.75), 0.5))
    return out


def _hongse(w: float, h: float, c: RGB, u: float, month: int) -> list[Shape]:
    cream, gold = (255, 240, 214), (255, 205, 80)
    cx, base = w * 0.72, h * 0.86
    out = []
    for i in range(9):
        a = math.radians(200 + i * 18)
        b = math.radians(200 + i * 18 + 8)
        out.append(poly([(cx, h * 0.3), (cx + math.cos(a) * w, h * 0.3 + math.sin(a) * w),
                         (cx + math.cos(b) * w, h * 0.3 + math.sin(b) * w)], tone(c, WHITE, 0.5), 0.16))
    out.append(ridge(0, h * 0.6, w, h * 0.2, h, 2, 3, tone(c, WHITE, 0.3), 0.35, 0.05))
    for i, (sw, sh) in enumerate(((360, 26), (300, 26), (240, 26))):
        y = base - (i + 1) * sh * u
        out.append(rect(cx - sw * u / 2, y, sw * u, sh * u, cream, 0.9 - 0.05 * i))
    top = base - 78 * u
    out.append(poly([(cx - 44 * u, top), (cx - 30 * u, h * 0.2), (cx, h * 0.12), (cx + 30 * u, h * 0.2),
                     (cx + 44 * u, top)], cream, 0.95))
    out.append(rect(cx - 6 * u, h * 0.26, 12 * u, top - h * 0.3, tone(c, WHITE, 0.55), 0.6))
    star = []
    for i in range(10):
        r = 44 * u if i % 2 == 0 else 18 * u
        a = math.radians(-90 + i * 36)
        star.append((cx + math.cos(a) * r, h * 0.07 + math.sin(a) * r))
    out.append(poly(star, gold, 0.95))
    for x, s in ((0.48, 0.9), (0.54, 1.1), (0.92, 1.1), (0.98, 0.9)):
        out.extend(pine(w * x, base, 220 * u * s, tone(c, BLACK, 0.45), 0.9))
    fx, fy = w * 0.3, h * 0.52
    out.append(rect(fx, fy, 6 * u, base - fy, cream, 0.9))
    flag = [(fx + 6 * u + dx, fy + 10 * u * math.sin(dx / (40 * u))) for dx in [i * 20 * u for i in range(8)]]
    flag += [(x, y + 90 * u) for x, y in reversed(flag)]
    out.append(poly(flag, gold, 0.85))
    return out


_DRAW: dict[str, Callable[[float, float, RGB, float, int], list[Shape]]] = {
    "chadao": _chadao, "sanguo": _sanguo, "bishu": _bishu, "kangyang": _kangyang, "quanxue": _quanxue,
    "shanghua": _shanghua, "xiangcun": _xiangcun, "hongse": _hongse,
}


def scene(name: str, w: int, h: int, color: RGB, month: int = 0) -> tuple[Shape, ...]:
    """The scene's shapes for a box of w × h (relative coordinates); unknown names draw hongse's memorial."""
    draw = _DRAW.get(name, _hongse)
    return tuple(draw(float(w), float(h), color, w / 1080, month))
