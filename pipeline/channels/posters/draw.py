"""Draw a PosterSpec with Pillow: layers in order, text typeset line by line and checked for contrast.

First every text of the poster is laid out (no pixels yet). A template may offer several variants of its
layout; the first in which no text is shortened or left out is drawn (else the one that shortens least).
A fact (a text the template does not allow to shorten) is never cut: a variant where it does not fit is
not used, and when none fits the batch fails naming the field. The text boxes are then known before the
background is drawn, so a theme scene is kept out of them (feathered around them), and each box is
recorded with whether its text was shortened.

Every text box is measured against the worst background pixels under its lines; when it fails, a scrim
is laid behind it, darker step by step, and the composite is measured again until it passes.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from pipeline import colors
from pipeline.channels.posters import contrast, fontset, linebreak, photo, qr, scenes, shapes
from pipeline.channels.posters.layout import (
    QR, RGB, Chips, Fill, Glow, Gradient, Layer, Photo, PosterSpec, Rule, Scene, Scrim, ScrimStyle, Seal, Shape,
    Space, Stack, Text, TextStyle,
)

Rect = tuple[int, int, int, int]  # left, top, right, bottom

_SCRIM_STEPS = tuple(round(0.15 + 0.05 * i, 2) for i in range(18))  # 0.15 … 1.0


class DrawProblem(Exception):
    """Something in the poster that cannot be drawn as asked: names the field."""

    def __init__(self, field_name: str, value: str, expected: str) -> None:
        super().__init__(f"{field_name}: {expected}")
        self.field = field_name
        self.value = value
        self.expected = expected


@dataclass
class TextMetric:
    field: str
    size: int
    lines: int
    min_contrast: float
    required: float
    scrim: float = 0.0
    shortened: bool = False  # whole sentences left out, or cut with ……
    logo: bool = False  # the brand mark: a logotype, exempt from the minimum text size
    box: Rect = (0, 0, 0, 0)  # where the text is: the union of its lines' em boxes (chips: their pills)
    optional: bool = False  # the template allows shortening it (never a fact)

    def to_json(self) -> dict[str, Any]:
        # Rounded down, so a ratio shown as 4.50 really is at least 4.5.
        return {"field": self.field, "size": self.size, "lines": self.lines,
                "contrast": math.floor(self.min_contrast * 100) / 100, "required": self.required,
                "scrim_opacity": self.scrim, "shortened": self.shortened, "optional": self.optional,
                "box": list(self.box), "logo": self.logo}


@dataclass
class Drawn:
    image: Image.Image
    texts: list[TextMetric] = field(default_factory=list)
    qr: dict[str, Any] | None = None
    photo: bool = False
    variant: int = 0  # which of the template's layout variants was drawn
    dropped: list[str] = field(default_factory=list)  # optional items left out for room (their fields)
    clear: list[Rect] = field(default_factory=list)  # the boxes decoration was kept out of


# ---- typesetting --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Typeset:
    style: TextStyle
    lines: tuple[str, ...]
    widths: tuple[float, ...]
    size: int
    pitch: int
    ellipsized: bool

    @property
    def height(self) -> int:
        return self.pitch * len(self.lines)


class Widths:
    """Text widths for laying out one poster: line breaking, balancing and the layout variants measure the
    same clusters and lines over and over, so each string is measured once per font and size. Made afresh
    for every poster (choose()), never kept."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, int], linebreak.Measure] = {}

    def measure(self, weight: str, size: int) -> linebreak.Measure:
        found = self._known.get((weight, size))
        if found is None:
            getlength = fontset.font(weight, size).getlength
            widths: dict[str, float] = {}

            def found(text: str) -> float:
                width = widths.get(text)
                if width is None:
                    width = widths[text] = getlength(text)
                return width

            self._known[(weight, size)] = found
        return found


def typeset(style: TextStyle, width: int, widths: Widths) -> Typeset:
    """Lines for the text at the largest allowed size; shortened with …… only if the template allows it."""
    size = style.size
    while True:
        measure = widths.measure(style.weight, size)
        fitted = linebreak.fit(style.text, width, style.max_lines, measure, ellipsis=False)
        if not fitted.overflow:
            break
        if size - 2 >= style.min_size:
            size -= 2
            continue
        if not style.ellipsis:
            raise DrawProblem(style.field, style.text,
                              f"文字超出版面：宽 {width}px、最多 {style.max_lines} 行、字号 {style.min_size}px 时"
                              f"需要 {len(fitted.lines)} 行，且模板不允许省略；请缩短这段文字")
        fitted = linebreak.fit(style.text, width, style.max_lines, measure, ellipsis=True)
        break
    if style.balance and not fitted.ellipsized and len(fitted.lines) > 1:
        narrow = linebreak.balance(style.text, width, measure, len(fitted.lines))
        fitted = linebreak.fit(style.text, narrow, style.max_lines, measure, ellipsis=False)
    widths = tuple(measure(line) for line in fitted.lines)
    return Typeset(style, tuple(fitted.lines), widths, size, round(size * style.line_height), fitted.ellipsized)


def _line_x(x: int, width: int, line_width: float, align: str) -> int:
    if align == "center":
        return x + round((width - line_width) / 2)
    if align == "right":
        return x + round(width - line_width)
    return x


def _line_boxes(ts: Typeset, x: int, top: int, width: int) -> list[tuple[int, int, int, int]]:
    """The em box of every line: where the glyphs are, for the contrast measurement."""
    boxes = []
    for i, line_width in enumerate(ts.widths):
        if line_width <= 0:
            continue
        lx = _line_x(x, width, line_width, ts.style.align)
        em_top = top + i * ts.pitch + (ts.pitch - ts.size) // 2
        boxes.append((lx, em_top, lx + round(line_width), em_top + ts.size))
    return boxes


def _draw_lines(canvas: Image.Image, ts: Typeset, x: int, top: int, width: int) -> None:
    draw = ImageDraw.Draw(canvas)
    font = fontset.font(ts.style.weight, ts.size)
    for i, (line, line_width) in enumerate(zip(ts.lines, ts.widths)):
        baseline = top + i * ts.pitch + (ts.pitch - ts.size) // 2 + round(ts.size * fontset.EM_ASCENT)
        draw.text((_line_x(x, width, line_width, ts.style.align), baseline), line, font=font, fill=ts.style.color,
                  anchor="ls")


# ---- text groups with contrast and scrim ---------------------------------------------------------

@dataclass
class _Placed:
    ts: Typeset
    x: int
    top: int
    width: int

    @property
    def boxes(self) -> list[tuple[int, int, int, int]]:
        return _line_boxes(self.ts, self.x, self.top, self.width)


def _union(boxes: list[tuple[int, int, int, int]], pad: int, size: tuple[int, int]) -> tuple[int, int, int, int]:
    left = max(min(b[0] for b in boxes) - pad, 0)
    top = max(min(b[1] for b in boxes) - pad, 0)
    right = min(max(b[2] for b in boxes) + pad, size[0])
    bottom = min(max(b[3] for b in boxes) + pad, size[1])
    return (left, top, right, bottom)


def _measure(canvas: Image.Image, placed: list[_Placed]) -> list[float]:
    return [contrast.worst_ratio(canvas, p.boxes, p.ts.style.color) for p in placed]


def _draw_group(canvas: Image.Image, placed: list[_Placed], style: ScrimStyle, drawn: Drawn) -> None:
    """Measure, add a scrim until every text passes, measure again after compositing, then draw."""
    placed = [p for p in placed if p.boxes]
    if not placed:
        return
    width = canvas.width
    needs = [contrast.required(p.ts.size, p.ts.style.weight == "bold", width) for p in placed]
    ratios = _measure(canvas, placed)
    opacity = 0.0
    if any(r < n for r, n in zip(ratios, needs)):
        region = _union([b for p in placed for b in p.boxes], style.padding, canvas.size)
        original = canvas.crop(region)
        color = style.color or _scrim_color(placed[0].ts.style.color)
        mask_full = shapes.rounded_mask((region[2] - region[0], region[3] - region[1]), style.radius)
        for step in _SCRIM_STEPS:
            trial = original.copy()
            shapes.paint(trial, color, (0, 0), shapes.scaled(mask_full, step))
            canvas.paste(trial, region[:2])
            ratios = _measure(canvas, placed)
            opacity = step
            if all(r >= n for r, n in zip(ratios, needs)):
                break
        else:
            failed = next(p for p, r, n in zip(placed, ratios, needs) if r < n)
            raise DrawProblem(failed.ts.style.field, failed.ts.style.text,
                              f"文字颜色与背景对比度不足（{min(ratios):.2f}:1），加满遮罩也达不到 WCAG 要求；请改模板中的文字或遮罩颜色")
    for p, r, n in zip(placed, ratios, needs):
        _draw_lines(canvas, p.ts, p.x, p.top, p.width)
        drawn.texts.append(TextMetric(p.ts.style.field, p.ts.size, len(p.ts.lines), r, n, opacity, p.ts.ellipsized,
                                      box=_union(p.boxes, 0, canvas.size), optional=p.ts.style.ellipsis))


def _scrim_color(text: RGB) -> RGB:
    return (0, 0, 0) if colors.luminance(text) > 0.18 else (255, 255, 255)


@dataclass
class _Laid:
    """A text layer (text, chips or stack) laid out: what goes where, before any pixel is drawn."""
    placed: list[_Placed]
    scrim: ScrimStyle
    chips: list[tuple[Chips, int, int, int, list[list[tuple[str, int]]]]] = field(default_factory=list)  # chips, x, top, width, rows
    rules: list[tuple[Rule, int, int]] = field(default_factory=list)  # rule, x, top
    dropped: list[str] = field(default_factory=list)  # fields of optional items left out

    def boxes(self) -> list[Rect]:
        """Where its text will be: one box per text item and per row of chips."""
        out = [_union(p.boxes, 0, (1 << 30, 1 << 30)) for p in self.placed if p.boxes]
        for chips, x, top, width, rows in self.chips:
            height = _chip_height(chips)
            for r, row in enumerate(rows):
                row_width = sum(pill for _, pill in row) + chips.gap * (len(row) - 1)
                left = _line_x(x, width, row_width, chips.align)
                row_top = top + r * (height + chips.gap)
                out.append((left, row_top, left + row_width, row_top + height))
        return out

    @property
    def shortened(self) -> int:
        return sum(p.ts.ellipsized for p in self.placed) + len(self.dropped)


def _lay_text(layer: Text, widths: Widths) -> _Laid:
    x, y, w, h = layer.box
    ts = typeset(layer.style, w, widths)
    top = y
    if h and layer.valign != "top":
        top = y + (h - ts.height if layer.valign == "bottom" else (h - ts.height) // 2)
    if h and ts.height > h:
        raise DrawProblem(layer.style.field, layer.style.text, f"文字高 {ts.height}px，超出文字框的 {h}px")
    return _Laid([_Placed(ts, x, top, w)], layer.scrim)


# ---- chips and stacks ----------------------------------------------------------------------------

def _chip_rows(chips: Chips, width: int, widths: Widths) -> list[list[tuple[str, int]]]:
    measure = widths.measure(chips.weight, chips.size)
    rows: list[list[tuple[str, int]]] = [[]]
    used = 0
    for item in chips.items:
        pill = round(measure(item)) + 2 * chips.pad_x
        if pill > width:
            raise DrawProblem(chips.field, item, f"标签宽 {pill}px，超出 {width}px 的版面")
        if rows[-1] and used + chips.gap + pill > width:
            rows.append([])
            used = 0
        used += (chips.gap if rows[-1] else 0) + pill
        rows[-1].append((item, pill))
    if len(rows) > chips.max_rows:
        raise DrawProblem(chips.field, "、".join(chips.items), f"标签需要 {len(rows)} 行，最多 {chips.max_rows} 行")
    return rows if rows[0] else []


def _chip_height(chips: Chips) -> int:
    return chips.size + 2 * chips.pad_y


def _chips_height(rows: list[list[tuple[str, int]]], chips: Chips) -> int:
    return len(rows) * _chip_height(chips) + max(0, len(rows) - 1) * chips.gap


def _draw_chips(canvas: Image.Image, chips: Chips, x: int, top: int, width: int, rows: list[list[tuple[str, int]]],
                drawn: Drawn) -> None:
    font = fontset.font(chips.weight, chips.size)
    height = _chip_height(chips)
    draw = ImageDraw.Draw(canvas)
    worst = 21.0
    pills: list[Rect] = []
    for r, row in enumerate(rows):
        row_width = sum(p for _, p in row) + chips.gap * (len(row) - 1)
        cx = _line_x(x, width, row_width, chips.align)
        cy = top + r * (height + chips.gap)
        for item, pill in row:
            canvas.paste(chips.fill, (cx, cy), shapes.rounded_mask((pill, height), chips.radius))
            pills.append((cx, cy, cx + pill, cy + height))
            em_top = cy + chips.pad_y
            worst = min(worst, contrast.worst_ratio(canvas, [(cx + chips.pad_x, em_top, cx + pill - chips.pad_x,
                                                              em_top + chips.size)], chips.color))
            draw.text((cx + chips.pad_x, em_top + round(chips.size * fontset.EM_ASCENT)), item, font=font,
                      fill=chips.color, anchor="ls")
            cx += pill + chips.gap
    need = contrast.required(chips.size, chips.weight == "bold", canvas.width)
    if worst < need:
        raise DrawProblem(chips.field, "、".join(chips.items),
                          f"标签文字与底色对比度 {worst:.2f}:1，低于 {need}:1；请改模板中的标签颜色")
    if pills:
        drawn.texts.append(TextMetric(chips.field, chips.size, 1, worst, need, box=_union(pills, 0, canvas.size)))


def _lay_stack(layer: Stack, widths: Widths) -> _Laid:
    """Items top to bottom. Optional groups are left out, last first, while the stack is too tall; an item
    that may grow takes the room that is left (up to its max_lines), shortened (or left out, if optional)
    when that is not enough. Items beside something (Stack.beside) are set narrower."""
    x, y, w, h = layer.box
    items = layer.items
    present = [not ((isinstance(i, TextStyle) and not i.text) or (isinstance(i, Chips) and not i.items)) for i in items]
    grow = {i: 1 for i, item in enumerate(items) if present[i] and isinstance(item, TextStyle) and item.grow}
    done: dict[tuple[int, int, int], Typeset] = {}  # (item, width, lines): laid out once in this call

    def lay() -> tuple[list[tuple[int, int, int, Typeset | None, int]], int]:
        """(index, top relative to the stack, width, typeset, height) of every present item; the total height."""
        placed: list[tuple[int, int, int, Typeset | None, int]] = []
        top = 0
        for index, item in enumerate(items):
            if not present[index]:
                continue
            if placed:
                top += layer.gap
            width = layer.beside[0] if layer.beside is not None and y + top < layer.beside[1] else w
            ts: Typeset | None = None
            if isinstance(item, TextStyle):
                lines = grow.get(index, 0)
                ts = done.get((index, width, lines))
                if ts is None:
                    style = dataclasses.replace(item, max_lines=lines, min_size=item.size) if lines else item
                    ts = done[(index, width, lines)] = typeset(style, width, widths)
                height = ts.height
            elif isinstance(item, Chips):
                height = _chips_height(_chip_rows(item, width, widths), item)
            elif isinstance(item, Space):
                height = item.height
            else:
                height = item.thickness
            placed.append((index, top, width, ts, height))
            top += height
        return placed, top

    dropped: list[str] = []
    placed, total = lay()
    groups = [g for g in dict.fromkeys(reversed(layer.drop_groups)) if g]
    while total > h and groups:
        group = groups.pop(0)
        for index, name in enumerate(layer.drop_groups):
            if name == group and present[index]:
                present[index] = False
                item = items[index]
                if isinstance(item, (TextStyle, Chips)) and item.field not in dropped:
                    dropped.append(item.field)
        grow = {i: n for i, n in grow.items() if present[i]}
        placed, total = lay()
    for index in list(grow):
        style = items[index]
        assert isinstance(style, TextStyle)
        if total > h:  # not even one line of it fits
            if not style.ellipsis:
                raise DrawProblem(style.field, style.text, f"版面高 {h}px，放不下这段文字；请缩短其他文字")
            present[index] = False
            del grow[index]
            dropped.append(style.field)
            placed, total = lay()
            continue
        pitch = round(style.size * style.line_height)
        most = min(style.max_lines, 1 + (h - total) // pitch)  # the room left, in lines
        for lines in range(most, 1, -1):  # the most lines that still fit (fewer if it narrows later items)
            grow[index] = lines
            trial, trial_total = lay()
            if trial_total <= h:
                placed, total = trial, trial_total
                break
        else:
            grow[index] = 1
            placed, total = lay()
    if total > h:
        fields = "、".join(sorted({i.field for i in items if isinstance(i, (TextStyle, Chips))}))
        raise DrawProblem(fields, "", f"这一组文字共高 {total}px，超出版面的 {h}px；请缩短文字")
    top = y if layer.valign == "top" else y + (h - total if layer.valign == "bottom" else (h - total) // 2)
    laid = _Laid([], layer.scrim, dropped=dropped)
    for index, item_top, width, ts, _ in placed:
        item = items[index]
        if ts is not None:
            laid.placed.append(_Placed(ts, x, top + item_top, width))
        elif isinstance(item, Chips):
            laid.chips.append((item, x, top + item_top, width, _chip_rows(item, width, widths)))
        elif isinstance(item, Rule):
            laid.rules.append((item, x, top + item_top))
    return laid


def _draw_laid(canvas: Image.Image, laid: _Laid, drawn: Drawn) -> None:
    for rule, x, top in laid.rules:
        canvas.paste(rule.color, (x, top, x + rule.width, top + rule.thickness))
    _draw_group(canvas, laid.placed, laid.scrim, drawn)
    for chips, x, top, width, rows in laid.chips:
        _draw_chips(canvas, chips, x, top, width, rows, drawn)
    drawn.dropped.extend(laid.dropped)


def lay_out(layers: tuple[Layer, ...], widths: Widths) -> dict[int, _Laid]:
    """Every text layer laid out, by its index; raises DrawProblem when a text does not fit."""
    laid: dict[int, _Laid] = {}
    for index, layer in enumerate(layers):
        if isinstance(layer, Text):
            laid[index] = _lay_text(layer, widths)
        elif isinstance(layer, Stack):
            laid[index] = _lay_stack(layer, widths)
    return laid


def choose(spec: PosterSpec) -> tuple[int, tuple[Layer, ...], dict[int, _Laid]]:
    """The variant to draw: the first that shortens and leaves out nothing, else the one that does so least
    (the earliest of equals). A variant where a text does not fit is never chosen; when none fits, the last
    one's problem is raised (the roomiest variant comes last)."""
    best: tuple[int, int, tuple[Layer, ...], dict[int, _Laid]] | None = None
    problem: DrawProblem | None = None
    widths = Widths()
    for number, layers in enumerate(spec.variants()):
        try:
            laid = lay_out(layers, widths)
        except DrawProblem as exc:
            problem = exc
            continue
        cost = sum(item.shortened for item in laid.values())
        if best is None or cost < best[0]:
            best = (cost, number, layers, laid)
        if cost == 0:
            break
    if best is None:
        assert problem is not None
        raise problem
    return best[1], best[2], best[3]


# ---- keeping decoration out of the text ----------------------------------------------------------

_CLEAR_STEP = 8  # the feathered edge is computed on a grid this much coarser


def clear_boxes(layers: tuple[Layer, ...], laid: dict[int, _Laid]) -> list[Rect]:
    """Every box that will hold text or a mark: text lines, chips, the QR code and the seal."""
    boxes = [box for item in laid.values() for box in item.boxes()]
    for layer in layers:
        if isinstance(layer, (QR, Seal)):
            x, y, size, _ = layer.box
            boxes.append((x, y, x + size, y + size))
    return boxes


def clear_mask(size: tuple[int, int], boxes: list[Rect], margin: int, feather: int, region: Rect) -> Image.Image:
    """Over region (left, top, right, bottom) of a canvas of this size: 255 where decoration may be drawn,
    0 inside every box grown by margin, rising smoothly to 255 over feather pixels around it."""
    w, h = size
    s = _CLEAR_STEP
    small = Image.new("L", (-(-w // s), -(-h // s)), 255)
    draw = ImageDraw.Draw(small)
    grow = margin + feather // 2
    for x0, y0, x1, y1 in boxes:
        draw.rectangle(((x0 - grow) // s, (y0 - grow) // s, -(-(x1 + grow) // s), -(-(y1 + grow) // s)), fill=0)
    small = small.filter(ImageFilter.BoxBlur(max(1, feather // (2 * s))))
    left, top, right, bottom = region
    kx, ky = small.width / w, small.height / h
    mask = small.resize((right - left, bottom - top), Image.Resampling.BILINEAR,
                        box=(left * kx, top * ky, right * kx, bottom * ky))
    for x0, y0, x1, y1 in boxes:
        inside = (max(left, x0 - margin), max(top, y0 - margin), min(right, x1 + margin), min(bottom, y1 + margin))
        if inside[2] > inside[0] and inside[3] > inside[1]:
            mask.paste(0, (inside[0] - left, inside[1] - top, inside[2] - left, inside[3] - top))
    return mask


def scene_box(layer: Scene, boxes: list[Rect], margin: int) -> tuple[tuple[int, int, int, int], int]:
    """Where the scene is drawn, and the row above which it is not shown. With below_text, that row is below
    every text box that starts in the upper half of the scene's box and overlaps it across (at most half
    way down): the scene is seen through the room the text leaves, moved down by half the text's overlap
    so that more of its middle shows, never squeezed."""
    x, y, w, h = layer.box
    if not layer.below_text:
        return layer.box, y
    cut = y
    for x0, y0, x1, y1 in boxes:
        if y0 < y + h // 2 and y1 + margin > cut and x0 < x + w and x1 > x:
            cut = y1 + margin
    cut = min(cut, y + h // 2)
    return (x, y + (cut - y) // 2, w, h), cut


def _scene(canvas: Image.Image, layer: Scene, boxes: list[Rect], unit: float, covered: list[Rect]) -> None:
    """The scene drawn where it shows (inside the canvas, from the cut down, not under the covered rectangles
    that later layers paint over), then laid onto the canvas through its fades and a mask that keeps it clear
    of the boxes (text, QR code, seal)."""
    (x, y, w, h), cut = scene_box(layer, boxes, round(24 * unit))
    shown = (max(x, 0), max(y, cut, 0), min(x + w, canvas.width), min(y + h, canvas.height))
    items = [Shape(*item) for item in scenes.scene(layer.name, w, h, layer.color, layer.month)]
    fade_x, fade_y = layer.fade
    if cut > y:  # shown from the cut down, fading in like mist over the scene's own top fade (or 80 px)
        fade_y = max(fade_y, round(80 * unit))
    for left, top, right, bottom in _uncovered(shown, covered):
        part = canvas.crop((left, top, right, bottom))
        shapes.shapes(part, items, origin=(x - left, y - top))
        columns = np.arange(left - x, right - x, dtype=np.float32)
        rows = np.arange(top - y, bottom - y, dtype=np.float32) - (cut - y)
        ramp_x = np.clip(columns / fade_x, 0, 1) if fade_x else np.ones_like(columns)
        ramp_y = np.clip(rows / fade_y, 0, 1) if fade_y else np.ones_like(rows)
        clear = clear_mask(canvas.size, boxes, round(20 * unit), round(72 * unit), (left, top, right, bottom))
        mask = np.asarray(clear, np.float32) * ramp_y[:, None] * ramp_x[None, :]
        canvas.paste(part, (left, top), Image.fromarray(mask.round().astype(np.uint8), "L"))


def covered_by(layers: tuple[Layer, ...]) -> list[Rect]:
    """Rectangles these layers paint over with solid colour (fills, opaque rectangles less their rounded
    corners' rows): nothing drawn there before them shows."""
    out: list[Rect] = []
    for layer in layers:
        if isinstance(layer, Fill):
            x, y, w, h = layer.box
            out.append((x, y, x + w, y + h))
        elif isinstance(layer, Shape) and layer.shape == "rect" and layer.opacity >= 1:
            x, y, w, h = layer.get("box")
            radius = layer.get("radius", 0)
            out.append((math.ceil(x), math.ceil(y + radius), math.floor(x + w), math.floor(y + h - radius)))
    return [r for r in out if r[2] > r[0] and r[3] > r[1]]


def _uncovered(region: Rect, covered: list[Rect]) -> list[Rect]:
    """region less the covered rectangles, as rectangles (bands above and below each one, strips beside it)."""
    pieces = [region] if region[2] > region[0] and region[3] > region[1] else []
    for cl, ct, cr, cb in covered:
        rest = []
        for l, t, r, b in pieces:
            if cl >= r or cr <= l or ct >= b or cb <= t:
                rest.append((l, t, r, b))
                continue
            rest += [(l, t, r, ct), (l, cb, r, b), (l, max(t, ct), cl, min(b, cb)), (cr, max(t, ct), r, min(b, cb))]
        pieces = [p for p in rest if p[2] > p[0] and p[3] > p[1]]
    return pieces


# ---- the rest ------------------------------------------------------------------------------------

def _qr(canvas: Image.Image, layer: QR, drawn: Drawn) -> None:
    x, y, size, _ = layer.box
    try:
        code = qr.make(layer.url, size, layer.dark, layer.light)
    except qr.QRTooSmall as exc:
        raise DrawProblem("qr", layer.url, f"二维码太小：{exc}") from None
    offset = (size - code.image.width) // 2
    canvas.paste(code.image, (x + offset, y + offset))
    drawn.qr = {"url": layer.url, "version": code.version, "module_px": code.module_px,
                "quiet_zone_modules": qr.QUIET_ZONE, "box": [x + offset, y + offset, code.image.width, code.image.width]}


def _seal(canvas: Image.Image, layer: Seal, drawn: Drawn) -> None:
    x, y, size, _ = layer.box
    canvas.paste(layer.color, (x, y), shapes.rounded_mask((size, size), size // 8))
    inset = max(2, size // 14)
    border = shapes.rounded_mask((size - 2 * inset, size - 2 * inset), size // 12)
    inner = shapes.rounded_mask((size - 4 * inset, size - 4 * inset), size // 14)
    ring = Image.new("L", border.size, 0)
    ring.paste(border)
    ring.paste(0, (inset, inset), inner)
    canvas.paste(layer.text_color, (x + inset, y + inset), ring)
    chars = list(layer.text)
    cols = 1 if len(chars) == 1 else 2
    rows = (len(chars) + cols - 1) // cols
    glyph = round(size * (0.56 if len(chars) == 1 else 0.31))
    font = fontset.font("bold", glyph)
    cell = (size - 4 * inset) / cols
    cell_h = (size - 4 * inset) / rows
    draw = ImageDraw.Draw(canvas)
    for i, ch in enumerate(chars):
        cx = x + 2 * inset + (i % cols + 0.5) * cell
        cy = y + 2 * inset + (i // cols + 0.5) * cell_h
        draw.text((round(cx), round(cy - glyph / 2 + glyph * fontset.EM_ASCENT)), ch, font=font,
                  fill=layer.text_color, anchor="ms")
    ratio = colors.contrast(layer.color, layer.text_color)
    need = contrast.required(glyph, True, canvas.width)
    if ratio < need:
        raise DrawProblem(layer.field, layer.text, f"印章文字与底色对比度 {ratio:.2f}:1，低于 {need}:1")
    drawn.texts.append(TextMetric(layer.field, glyph, rows, ratio, need, logo=True, box=(x, y, x + size, y + size)))


def render(spec: PosterSpec) -> Drawn:
    """Choose the layout variant, then draw every layer in order. Raises DrawProblem (for the field) or
    photo.PhotoError."""
    variant, chosen, laid = choose(spec)
    first = chosen[0] if chosen else None
    start = 0
    if isinstance(first, Gradient) and first.box == (0, 0, spec.width, spec.height) and first.opacity >= 1:
        canvas = shapes.gradient_image(first)  # the first layer covers the whole canvas: it is the canvas
        start = 1
    else:
        canvas = Image.new("RGB", (spec.width, spec.height), (255, 255, 255))
    drawn = Drawn(canvas, variant=variant)
    unit = spec.width / 1080
    for index, layer in enumerate(chosen[start:], start):
        if isinstance(layer, Shape):
            shapes.shape(canvas, layer)
        elif isinstance(layer, Scene):
            drawn.clear = clear_boxes(chosen, laid)
            _scene(canvas, layer, drawn.clear, unit, covered_by(chosen[index + 1:]))
        elif isinstance(layer, Fill):
            x, y, w, h = layer.box
            canvas.paste(layer.color, (x, y, x + w, y + h))
        elif isinstance(layer, Gradient):
            shapes.gradient(canvas, layer)
        elif isinstance(layer, Glow):
            shapes.glow(canvas, layer)
        elif isinstance(layer, Scrim):
            shapes.scrim(canvas, layer)
        elif isinstance(layer, Photo):
            x, y, w, h = layer.box
            canvas.paste(photo.cover(Path(layer.src), (w, h), layer.focal), (x, y))
            drawn.photo = True
        elif isinstance(layer, (Text, Stack)):
            _draw_laid(canvas, laid[index], drawn)
        elif isinstance(layer, QR):
            _qr(canvas, layer, drawn)
        elif isinstance(layer, Seal):
            _seal(canvas, layer, drawn)
    return drawn
