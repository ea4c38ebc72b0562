"""A route's schematic map as SVG geometry, drawn from the stops' own coordinates (no map tiles).

Only stops with coordinates are placed; none is ever invented. With two or more, the map is drawn to scale: an
equirectangular projection about the stops' mean latitude (x = east-west km, y = north-south km, one scale for
both), so distances on the map are in the same ratio as on the ground (within a fraction of a percent over a
county). With fewer than two, the stops are drawn as an ordered line instead (a diagram of the order, not of places).

Labels are placed one by one, each at the first of a list of candidate spots around its stop (beside, above,
below, then farther out with a thin leader line) that keeps clear of the box edges, the route line, every stop's
circle, the north arrow and scale bar, and the labels already placed. When a stop has no clear spot the map is
drawn again at a smaller scale (more room around the stops), a few times; `clear` says whether every label
found a clear spot in the end. Text widths are estimated from the font size (CJK glyphs one em, others 0.62 em).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pipeline.content.model import Stop

WIDTH = 340
RADIUS = 9  # a stop's circle
MARGIN = 8  # labels, circles and marks keep this far from the box edge
GAP = 3  # labels keep this far from lines, circles and each other
FONT = 13  # px inside the SVG's own coordinates
_ASCENT, _DESCENT = 15.0, 4.0  # a label's box around its baseline: the CJK font's em box at 13 px (as getBBox gives)
_KM_PER_DEGREE = 111.32
_MAX_HEIGHT = 240  # of the stops' own extent on a geo map, before padding
_PAD = 36  # around the stops' extent on a geo map (label room)
_NORTH = (WIDTH - 26.0, 6.0, WIDTH - 6.0, 42.0)  # the north arrow's box
_SCALE_H = 24.0  # the scale bar's box height, at the bottom left
_BAR_KM = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200)
_SHRINK = (1.0, 0.85, 0.72, 0.6, 0.5, 0.42, 0.35, 0.28, 0.22)  # scales tried in turn when a label finds no clear spot

Box = tuple[float, float, float, float]  # left, top, right, bottom
Segment = tuple[float, float, float, float]  # x1, y1, x2, y2


@dataclass(frozen=True, slots=True)
class Point:
    number: int  # the stop's place in the route, from 1
    name: str
    x: float
    y: float
    label_x: float
    label_y: float  # baseline
    anchor: str  # SVG text-anchor
    leader: Segment | None = None  # a thin line from the circle to a label placed farther out

    @property
    def label_box(self) -> Box:
        return label_box(self.name, self.label_x, self.label_y, self.anchor)


@dataclass(frozen=True, slots=True)
class RouteMap:
    kind: str  # "geo" (placed by coordinates) or "order" (an ordered line)
    width: int
    height: int
    points: tuple[Point, ...]
    line: str  # SVG polyline points
    left_out: tuple[str, ...]  # stops without coordinates, not drawn on a geo map
    scale_km: float | None = None  # the scale bar's length on the ground
    scale_px: float | None = None
    clear: bool = True  # every label keeps clear of lines, circles, marks, edges and the other labels

    @property
    def segments(self) -> tuple[Segment, ...]:
        xy = [tuple(map(float, pair.split(","))) for pair in self.line.split()]
        return tuple((a[0], a[1], b[0], b[1]) for a, b in zip(xy, xy[1:]))

    @property
    def scale_label(self) -> str:
        if self.scale_km is None:
            return ""
        return f"{round(self.scale_km * 1000)} 米" if self.scale_km < 1 else f"{self.scale_km:g} 公里"

    @property
    def marks(self) -> tuple[Box, ...]:
        """The north arrow's and scale bar's boxes (a geo map's only)."""
        if self.kind != "geo":
            return ()
        return (_NORTH,) + ((_scale_box(self.height, self.scale_px),) if self.scale_px else ())


def label_width(text: str) -> float:
    return sum(FONT if ord(ch) > 0x2E80 else FONT * 0.62 for ch in text) + 2


def label_box(text: str, x: float, baseline: float, anchor: str) -> Box:
    w = label_width(text)
    left = x if anchor == "start" else x - w if anchor == "end" else x - w / 2
    return (left, baseline - _ASCENT, left + w, baseline + _DESCENT)


def route_map(stops: tuple[Stop, ...]) -> RouteMap:
    placed = [(i + 1, s) for i, s in enumerate(stops) if s.lnglat is not None]
    if len(placed) >= 2:
        return _geo_map(placed, tuple(s.name for s in stops if s.lnglat is None))
    return _order_map(stops)


def project(lnglats: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Kilometres east and south of the first point: equirectangular about the mean latitude (equal x/y scale)."""
    lat0 = sum(lat for _, lat in lnglats) / len(lnglats)
    k = math.cos(math.radians(lat0)) * _KM_PER_DEGREE
    lng_first, lat_first = lnglats[0]
    return [((lng - lng_first) * k, (lat_first - lat) * _KM_PER_DEGREE) for lng, lat in lnglats]


def _geo_map(placed: list[tuple[int, Stop]], left_out: tuple[str, ...]) -> RouteMap:
    km = project([s.lnglat for _, s in placed])  # type: ignore[misc]
    xs, ys = [x for x, _ in km], [y for _, y in km]
    min_x, min_y = min(xs), min(ys)
    span_x, span_y = max(xs) - min_x, max(ys) - min_y
    inner_w = WIDTH - 2 * (MARGIN + RADIUS) - 2 * 40  # some room for labels beside the outer stops
    fit = min(inner_w / span_x if span_x else math.inf, _MAX_HEIGHT / span_y if span_y else math.inf)
    if math.isinf(fit):  # every stop at one spot
        fit = 1.0
    best: RouteMap | None = None
    for shrink in _SHRINK:
        scale = fit * shrink  # px per km, the same across and down
        height = int(max(150, span_y * scale + 2 * _PAD + 16))
        offset_x = (WIDTH - span_x * scale) / 2
        offset_y = (height - _SCALE_H - span_y * scale) / 2 + 10  # a little more room above than below
        coords = [(offset_x + (x - min_x) * scale, offset_y + (y - min_y) * scale) for x, y in km]
        bar = _scale_bar(scale) if span_x or span_y else (None, None)
        marks = [_NORTH] + ([_scale_box(height, bar[1])] if bar[1] else [])
        segments = _segments(coords)
        items = [(n, s.name, x, y) for (n, s), (x, y) in zip(placed, coords)]
        for order in _orders(items):
            points, clear = _place_labels(order, height, segments, marks)
            if clear:
                break
        points = tuple(sorted(points, key=lambda p: p.number))
        clear = clear and not any(_circle_hits(x, y, RADIUS + GAP, m) for x, y in coords for m in marks)
        clear = clear and not any(_segment_hits(s, m) for s in segments for m in marks)
        result = RouteMap("geo", WIDTH, height, points, _polyline(coords), left_out, bar[0], bar[1], clear)
        if clear:
            return result
        best = best or result
    return best  # type: ignore[return-value]


def _orders(items: list[tuple[int, str, float, float]]) -> list[list[tuple[int, str, float, float]]]:
    """Orders to place labels in: the route's, then the most crowded stops first, then the longest names first."""
    def crowd(item: tuple[int, str, float, float]) -> float:
        return -sum(1 for other in items if math.hypot(other[2] - item[2], other[3] - item[3]) < 60)
    return [items, sorted(items, key=crowd), sorted(items, key=lambda item: -label_width(item[1]))]


def _scale_bar(scale: float) -> tuple[float, float]:
    """A round distance whose bar is about a quarter of the map wide (at most 40 %). scale: px per km."""
    fitting = [k for k in _BAR_KM if k * scale <= WIDTH * 0.4] or [_BAR_KM[0]]
    km = min(fitting, key=lambda k: abs(k * scale - WIDTH / 4))
    return km, round(km * scale, 1)


def _scale_box(height: int, px: float | None) -> Box:
    return (MARGIN, height - MARGIN - _SCALE_H, MARGIN + max(px or 0, 56), height - MARGIN)


def _polyline(coords: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)


def _segments(coords: list[tuple[float, float]]) -> list[Segment]:
    # the polyline as drawn (rounded to 0.1 px), so checks see exactly the line in the page
    xy = [(round(x, 1), round(y, 1)) for x, y in coords]
    return [(a[0], a[1], b[0], b[1]) for a, b in zip(xy, xy[1:]) if a != b]


def _candidates(x: float, y: float, w: float) -> list[tuple[str, float, float, bool]]:
    """(anchor, label x, baseline, needs a leader) spots around a stop, nearest and most natural first."""
    mid = (_ASCENT - _DESCENT) / 2  # baseline below the vertical centre
    spots: list[tuple[str, float, float, bool]] = []
    for d in (RADIUS + 4, RADIUS + 14, RADIUS + 28, RADIUS + 46, RADIUS + 66):
        far = d > RADIUS + 4
        diag = d * 0.72 + 2  # the box's nearest corner about d away (and GAP clear of the circle), at 45 degrees
        spots += [
            ("start", x + d, y + mid, far), ("end", x - d, y + mid, far),
            ("middle", x, y - d - _DESCENT, far), ("middle", x, y + d + _ASCENT, far),
            ("start", x + diag, y - diag - _DESCENT, far), ("end", x - diag, y - diag - _DESCENT, far),
            ("start", x + diag, y + diag + _ASCENT, far), ("end", x - diag, y + diag + _ASCENT, far),
        ]
    return spots


def _leader(x: float, y: float, box: Box) -> Segment:
    """From the circle's edge towards the nearest point of the label's box."""
    left, top, right, bottom = box
    nx, ny = min(max(x, left), right), min(max(y, top), bottom)
    dx, dy = nx - x, ny - y
    length = math.hypot(dx, dy) or 1.0
    return (x + dx / length * (RADIUS + 1), y + dy / length * (RADIUS + 1), nx - dx / length * 2, ny - dy / length * 2)


def _place_labels(items: list[tuple[int, str, float, float]], height: int, segments: list[Segment],
                  marks: list[Box]) -> tuple[tuple[Point, ...], bool]:
    circles = [(x, y) for _, _, x, y in items]
    taken: list[Box] = []
    leaders: list[Segment] = []
    points = []
    all_clear = True
    for number, name, x, y in items:
        w = label_width(name)
        chosen = None
        fallback: tuple[int, tuple[str, float, float, bool]] | None = None
        for spot in _candidates(x, y, w):
            anchor, lx, ly, far = spot
            box = label_box(name, lx, ly, anchor)
            leader = _leader(x, y, box) if far else None
            hits = _conflicts(box, leader, (x, y), height, segments, circles, taken, leaders, marks)
            if hits == 0:
                chosen = spot
                break
            if fallback is None or hits < fallback[0]:
                fallback = (hits, spot)
        if chosen is None:
            all_clear = False
            chosen = fallback[1]  # type: ignore[index]
        anchor, lx, ly, far = chosen
        box = label_box(name, lx, ly, anchor)
        leader = _leader(x, y, box) if far else None
        taken.append(box)
        if leader:
            leaders.append(leader)
        points.append(Point(number, name, x, y, round(lx, 1), round(ly, 1), anchor, leader))
    return tuple(points), all_clear


def _conflicts(box: Box, leader: Segment | None, own: tuple[float, float], height: int, segments: list[Segment],
               circles: list[tuple[float, float]], taken: list[Box], leaders: list[Segment], marks: list[Box]) -> int:
    """How many things a label at box (with its leader) would touch."""
    left, top, right, bottom = box
    hits = int(left < MARGIN or top < MARGIN or right > WIDTH - MARGIN or bottom > height - MARGIN)
    grown = (left - GAP, top - GAP, right + GAP, bottom + GAP)
    hits += sum(_segment_hits(s, grown) for s in segments + leaders)
    hits += sum(_circle_hits(cx, cy, RADIUS, grown) for cx, cy in circles)
    hits += sum(_boxes_overlap(grown, other) for other in taken + marks)
    if leader is not None:
        hits += sum(_segment_hits(leader, other) for other in taken + marks)
        hits += sum(_circle_hits(cx, cy, RADIUS, _segment_box(leader)) and _segment_near_circle(leader, cx, cy)
                    for cx, cy in circles if (cx, cy) != own)
    return hits


def _boxes_overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _circle_hits(cx: float, cy: float, r: float, box: Box) -> bool:
    nx, ny = min(max(cx, box[0]), box[2]), min(max(cy, box[1]), box[3])
    return (nx - cx) ** 2 + (ny - cy) ** 2 < r * r


def _segment_box(s: Segment) -> Box:
    return (min(s[0], s[2]) - RADIUS, min(s[1], s[3]) - RADIUS, max(s[0], s[2]) + RADIUS, max(s[1], s[3]) + RADIUS)


def _segment_near_circle(s: Segment, cx: float, cy: float) -> bool:
    x1, y1, x2, y2 = s
    dx, dy = x2 - x1, y2 - y1
    t = max(0.0, min(1.0, ((cx - x1) * dx + (cy - y1) * dy) / ((dx * dx + dy * dy) or 1.0)))
    return math.hypot(x1 + t * dx - cx, y1 + t * dy - cy) < RADIUS + 1


def _segment_hits(s: Segment, box: Box) -> bool:
    """Whether segment s crosses or lies inside box (Liang-Barsky clipping)."""
    x1, y1, x2, y2 = s
    dx, dy = x2 - x1, y2 - y1
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, x1 - box[0]), (dx, box[2] - x1), (-dy, y1 - box[1]), (dy, box[3] - y1)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            if t > t1:
                return False
            t0 = max(t0, t)
        else:
            if t < t0:
                return False
            t1 = min(t1, t)
    return t0 <= t1


def _order_map(stops: tuple[Stop, ...]) -> RouteMap:
    """Stops left to right in rows, snaking; labels under their points. A row's last stop joins the next row's
    first along the side of the box, outside every label."""
    side = 14.0  # where the line runs down between rows
    widest = max((label_width(s.name) for s in stops), default=0)
    usable = WIDTH - 2 * (side + 8)
    per_row = next((n for n in (3, 2) if usable / n >= widest + 2 * GAP), 1)
    step = usable / per_row
    row_h = 62
    rows = max(1, math.ceil(len(stops) / per_row))
    height = rows * row_h + 8
    coords = []
    for index in range(len(stops)):
        row, col = divmod(index, per_row)
        if row % 2:
            col = per_row - 1 - col
        coords.append((side + 8 + step * (col + 0.5), 22.0 + row * row_h))
    path: list[tuple[float, float]] = []
    for index, (x, y) in enumerate(coords):
        if index and index % per_row == 0:  # a new row: down the side the previous row ended on
            turn = WIDTH - side if (index // per_row) % 2 else side
            path += [(turn, coords[index - 1][1]), (turn, y)]
        path.append((x, y))
    points = tuple(Point(i + 1, s.name, x, y, round(x, 1), y + RADIUS + 4 + _ASCENT, "middle")
                   for i, (s, (x, y)) in enumerate(zip(stops, coords)))
    segments = _segments(path)
    boxes = [p.label_box for p in points]
    clear = all(not _conflicts(b, None, (p.x, p.y), height, segments, coords, boxes[:i], [], [])
                for i, (p, b) in enumerate(zip(points, boxes)))
    return RouteMap("order", WIDTH, height, points, _polyline(path), (), clear=clear)
