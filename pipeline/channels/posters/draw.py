"""Draw a PosterSpec with Pillow: layers in order, text typeset line by line and checked for contrast.

Every text box is measured against the worst background pixels under its lines; when it fails, a scrim
is laid behind it, darker step by step, and the composite is measured again until it passes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from pipeline.channels.posters import contrast, fontset, linebreak, photo, qr, shapes
from pipeline.channels.posters.layout import (
    QR, RGB, Chips, Fill, Glow, Gradient, Photo, PosterSpec, Rule, Scrim, ScrimStyle, Seal, Shape, Space, Stack,
    Text, TextStyle,
)

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
    ellipsized: bool = False
    logo: bool = False  # the brand mark: a logotype, exempt from the minimum text size

    def to_json(self) -> dict[str, Any]:
        # Rounded down, so a ratio shown as 4.50 really is at least 4.5.
        return {"field": self.field, "size": self.size, "lines": self.lines,
                "contrast": math.floor(self.min_contrast * 100) / 100, "required": self.required,
                "scrim_opacity": self.scrim, "ellipsized": self.ellipsized, "logo": self.logo}


@dataclass
class Drawn:
    image: Image.Image
    texts: list[TextMetric] = field(default_factory=list)
    qr: dict[str, Any] | None = None
    photo: bool = False


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


def typeset(style: TextStyle, width: int) -> Typeset:
    """Lines for the text at the largest allowed size; shortened with …… only if the template allows it."""
    size = style.size
    while True:
        measure = fontset.measure(style.weight, size)
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
            trial.paste(color, (0, 0), mask_full.point(list(shapes.opacity_table(step))))
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
        drawn.texts.append(TextMetric(p.ts.style.field, p.ts.size, len(p.ts.lines), r, n, opacity, p.ts.ellipsized))


def _scrim_color(text: RGB) -> RGB:
    return (0, 0, 0) if contrast.luminance(text) > 0.18 else (255, 255, 255)


def _text(canvas: Image.Image, layer: Text, drawn: Drawn) -> None:
    x, y, w, h = layer.box
    ts = typeset(layer.style, w)
    top = y
    if h and layer.valign != "top":
        top = y + (h - ts.height if layer.valign == "bottom" else (h - ts.height) // 2)
    if h and ts.height > h:
        raise DrawProblem(layer.style.field, layer.style.text, f"文字高 {ts.height}px，超出文字框的 {h}px")
    _draw_group(canvas, [_Placed(ts, x, top, w)], layer.scrim, drawn)


# ---- chips and stacks ----------------------------------------------------------------------------

def _chip_rows(chips: Chips, width: int) -> list[list[tuple[str, int]]]:
    measure = fontset.measure(chips.weight, chips.size)
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


def _chips_height(chips: Chips, width: int) -> int:
    rows = _chip_rows(chips, width)
    return len(rows) * _chip_height(chips) + max(0, len(rows) - 1) * chips.gap


def _draw_chips(canvas: Image.Image, chips: Chips, x: int, top: int, width: int, drawn: Drawn) -> None:
    font = fontset.font(chips.weight, chips.size)
    height = _chip_height(chips)
    draw = ImageDraw.Draw(canvas)
    worst = 21.0
    for r, row in enumerate(_chip_rows(chips, width)):
        row_width = sum(p for _, p in row) + chips.gap * (len(row) - 1)
        cx = _line_x(x, width, row_width, chips.align)
        cy = top + r * (height + chips.gap)
        for item, pill in row:
            canvas.paste(chips.fill, (cx, cy), shapes.rounded_mask((pill, height), chips.radius))
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
    drawn.texts.append(TextMetric(chips.field, chips.size, 1, worst, need))


def _stack(canvas: Image.Image, layer: Stack, drawn: Drawn) -> None:
    x, y, w, h = layer.box
    heights: list[int] = []
    sets: dict[int, Typeset] = {}
    for index, item in enumerate(layer.items):
        if isinstance(item, TextStyle):
            if not item.text:
                heights.append(-1)  # empty text: no item, no gap
                continue
            sets[index] = typeset(item, w)
            heights.append(sets[index].height)
        elif isinstance(item, Chips):
            heights.append(_chips_height(item, w) if item.items else -1)
        elif isinstance(item, Space):
            heights.append(item.height)
        else:
            heights.append(item.thickness)
    def stack_height() -> int:
        present = [hh for hh in heights if hh >= 0]
        return sum(present) + layer.gap * max(0, len(present) - 1)

    total = stack_height()
    groups = [g for g in dict.fromkeys(reversed(layer.drop_groups)) if g]
    while total > h and groups:
        dropped = groups.pop(0)
        heights = [-1 if group == dropped else hh for hh, group in zip(heights, layer.drop_groups)]
        total = stack_height()
    if total > h:
        fields = "、".join(sorted({i.field for i in layer.items if isinstance(i, (TextStyle, Chips))}))
        raise DrawProblem(fields, "", f"这一组文字共高 {total}px，超出版面的 {h}px；请缩短文字")
    top = y if layer.valign == "top" else y + (h - total if layer.valign == "bottom" else (h - total) // 2)
    placed: list[_Placed] = []
    later: list[tuple[Any, int]] = []
    for index, (item, item_height) in enumerate(zip(layer.items, heights)):
        if item_height < 0:
            continue
        if index in sets:
            placed.append(_Placed(sets[index], x, top, w))
        elif isinstance(item, (Chips, Rule)):
            later.append((item, top))
        top += item_height + layer.gap
    for item, item_top in later:
        if isinstance(item, Rule):
            canvas.paste(item.color, (x, item_top, x + item.width, item_top + item.thickness))
    _draw_group(canvas, placed, layer.scrim, drawn)
    for item, item_top in later:
        if isinstance(item, Chips):
            _draw_chips(canvas, item, x, item_top, w, drawn)


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
    glyph = round(size * (0.56 if len(chars) == 1 else 0.3))
    font = fontset.font("bold", glyph)
    cell = (size - 4 * inset) / cols
    cell_h = (size - 4 * inset) / rows
    draw = ImageDraw.Draw(canvas)
    for i, ch in enumerate(chars):
        cx = x + 2 * inset + (i % cols + 0.5) * cell
        cy = y + 2 * inset + (i // cols + 0.5) * cell_h
        draw.text((round(cx), round(cy - glyph / 2 + glyph * fontset.EM_ASCENT)), ch, font=font,
                  fill=layer.text_color, anchor="ms")
    ratio = contrast.ratio(contrast.luminance(layer.color), contrast.luminance(layer.text_color))
    need = contrast.required(glyph, True, canvas.width)
    if ratio < need:
        raise DrawProblem(layer.field, layer.text, f"印章文字与底色对比度 {ratio:.2f}:1，低于 {need}:1")
    drawn.texts.append(TextMetric(layer.field, glyph, rows, ratio, need, logo=True))


def clear_caches() -> None:
    """Forget what drawing remembers between posters (text widths, card masks; the fonts stay loaded):
    a process then draws as the workers of a new batch do."""
    fontset.measure.cache_clear()
    shapes.clear_caches()


def render(spec: PosterSpec) -> Drawn:
    """Draw every layer in order. Raises DrawProblem (for the field) or photo.PhotoError."""
    layers = list(spec.layers)
    index = 0
    first = layers[0] if layers else None
    if isinstance(first, Gradient) and first.box == (0, 0, spec.width, spec.height) and first.opacity >= 1:
        canvas = shapes.gradient_image(first)  # it covers the canvas: no white canvas to paste it onto
        index = 1
    else:
        canvas = Image.new("RGB", (spec.width, spec.height), (255, 255, 255))
    drawn = Drawn(canvas)
    while index < len(layers):
        layer = layers[index]
        index += 1
        if isinstance(layer, Shape):
            run = [layer]
            while index < len(layers) and isinstance(layers[index], Shape) and layers[index].color == layer.color:
                run.append(layers[index])
                index += 1
            shapes.shapes(canvas, run)
            continue
        if isinstance(layer, Fill):
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
        elif isinstance(layer, Text):
            _text(canvas, layer, drawn)
        elif isinstance(layer, Stack):
            _stack(canvas, layer, drawn)
        elif isinstance(layer, QR):
            _qr(canvas, layer, drawn)
        elif isinstance(layer, Seal):
            _seal(canvas, layer, drawn)
    return drawn
