"""A route's schematic map as SVG geometry, drawn from the stops' own coordinates (no map tiles).

Only stops with coordinates are placed; none is ever invented. With fewer than two, the stops are drawn
as an ordered line instead (a diagram of the order, not of places).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from pipeline.content.model import Stop

WIDTH = 340
_PAD = 30
_FONT = 13  # px inside the SVG's own coordinates
_KM_PER_DEGREE = 111.32


@dataclass(frozen=True, slots=True)
class Point:
    number: int  # the stop's place in the route, from 1
    name: str
    x: float
    y: float
    label_x: float
    label_y: float
    anchor: str  # SVG text-anchor


@dataclass(frozen=True, slots=True)
class RouteMap:
    kind: str  # "geo" (placed by coordinates) or "order" (an ordered line)
    width: int
    height: int
    points: tuple[Point, ...]
    line: str  # SVG polyline points
    left_out: tuple[str, ...]  # stops without coordinates, not drawn on a geo map
    scale_km: int | None = None
    scale_px: float | None = None


@lru_cache(maxsize=4096)  # stop names recur across routes
def _label_width(text: str) -> float:
    return sum(_FONT if ord(ch) > 0x2E80 else _FONT * 0.6 for ch in text) + _FONT * 1.4  # "1 " prefix


def route_map(stops: tuple[Stop, ...]) -> RouteMap:
    placed = [(i + 1, s) for i, s in enumerate(stops) if s.lnglat is not None]
    if len(placed) >= 2:
        return _geo_map(placed, tuple(s.name for s in stops if s.lnglat is None))
    return _order_map(stops)


def _geo_map(placed: list[tuple[int, Stop]], left_out: tuple[str, ...]) -> RouteMap:
    lats = [s.lnglat[1] for _, s in placed]  # type: ignore[index]
    squash = math.cos(math.radians(sum(lats) / len(lats)))
    xs = [s.lnglat[0] * squash for _, s in placed]  # type: ignore[index]
    ys = [-s.lnglat[1] for _, s in placed]  # type: ignore[index]
    min_x, min_y = min(xs), min(ys)
    span_x, span_y = max(xs) - min_x, max(ys) - min_y
    inner_w = WIDTH - 2 * _PAD - 90  # room for labels beside the outermost points
    if span_x == 0 and span_y == 0:
        scale = 1.0
        height = 160
    else:
        scale = min(inner_w / span_x if span_x else math.inf, 200 / span_y if span_y else math.inf)
        height = int(max(140, span_y * scale + 2 * _PAD + 20))
    offset_x = (WIDTH - span_x * scale) / 2
    offset_y = (height - span_y * scale) / 2
    coords = [(offset_x + (x - min_x) * scale, offset_y + (y - min_y) * scale) for x, y in zip(xs, ys)]
    points = _place_labels([(n, s.name, x, y) for (n, s), (x, y) in zip(placed, coords)], height)
    km, px = _scale_bar(scale) if span_x or span_y else (None, None)
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    return RouteMap("geo", WIDTH, height, points, line, left_out, km, px)


def _scale_bar(scale: float) -> tuple[int, float]:
    """A round distance whose bar is about a quarter of the map wide. scale: px per degree of latitude."""
    px_per_km = scale / _KM_PER_DEGREE
    target = WIDTH / 4 / px_per_km
    km = next((k for k in (1, 2, 5, 10, 20, 50, 100, 200) if k >= target * 0.6), 200)
    return km, round(km * px_per_km, 1)


def _place_labels(items: list[tuple[int, str, float, float]], height: int) -> tuple[Point, ...]:
    taken: list[tuple[float, float, float, float]] = [(x - 10, y - 10, x + 10, y + 10) for _, _, x, y in items]
    points = []
    for number, name, x, y in items:
        w = _label_width(name)
        options = [("start", x + 12, y + 4), ("end", x - 12, y + 4), ("middle", x, y + 24), ("middle", x, y - 14)]
        chosen, box = options[0], None
        for option in options:
            left, top, right, bottom = candidate = _box(option, w)
            if left >= 2 and right <= WIDTH - 2 and top >= 2 and bottom <= height - 2 and not _overlaps(candidate, taken):
                chosen, box = option, candidate
                break
        taken.append(box if box is not None else _box(chosen, w))
        points.append(Point(number, name, x, y, chosen[1], chosen[2], chosen[0]))
    return tuple(points)


def _box(option: tuple[str, float, float], w: float) -> tuple[float, float, float, float]:
    anchor, lx, ly = option
    left = lx if anchor == "start" else lx - w if anchor == "end" else lx - w / 2
    return (left, ly - _FONT, left + w, ly + 3)


def _overlaps(a: tuple[float, float, float, float], others: list[tuple[float, float, float, float]]) -> bool:
    """Whether box a overlaps any of the others (one loop: this runs for every label option of every map)."""
    left, top, right, bottom = a
    for other_left, other_top, other_right, other_bottom in others:
        if left < other_right and other_left < right and top < other_bottom and other_top < bottom:
            return True
    return False


def _order_map(stops: tuple[Stop, ...]) -> RouteMap:
    """Stops left to right, at most three to a row, rows snaking; labels under their points."""
    per_row = 3
    rows = max(1, math.ceil(len(stops) / per_row))
    row_h = 64
    height = rows * row_h + 16
    step = (WIDTH - 2 * _PAD - 40) / (per_row - 1)
    coords = []
    for index in range(len(stops)):
        row, col = divmod(index, per_row)
        if row % 2:
            col = per_row - 1 - col
        coords.append((_PAD + 20 + col * step, 24 + row * row_h))
    points = tuple(Point(i + 1, s.name, x, y, x, y + 26, "middle") for i, (s, (x, y)) in enumerate(zip(stops, coords)))
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    return RouteMap("order", WIDTH, height, points, line, ())
