"""Poster templates -> declarative layer lists.

A layout is a Jinja template under templates/posters/ that renders to YAML:

    size: [1080, 1920]
    layers:
      - {type: fill, color: "#1f5f5b"}
      - {type: text, field: title, text: {{ title|q }}, box: [80, 300, 920], font: bold, size: 96, ...}

This module renders the template and checks every layer into typed objects, so a designer's mistake is
reported as the template, the layer and the key, before anything is drawn.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import jinja2
import yaml

from pipeline import colors
from pipeline.channels.posters import contrast
from pipeline.content.problems import UserError
from pipeline.templates import make_environment, template_dirs

RGB = tuple[int, int, int]
Box = tuple[int, int, int, int]

TEMPLATE_FOLDER = "templates/posters"
LINE_HEIGHT_RANGE = (1.3, 1.6)


class LayoutError(ValueError):
    pass


# ---- layer types -------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Fill:
    color: RGB
    box: Box


@dataclass(frozen=True, slots=True)
class Gradient:
    box: Box
    angle: float  # degrees: 0 = left to right, 90 = top to bottom
    stops: tuple[tuple[RGB, float], ...]
    opacity: float


@dataclass(frozen=True, slots=True)
class Glow:
    center: tuple[int, int]
    radius: int
    color: RGB
    opacity: float


@dataclass(frozen=True, slots=True)
class Photo:
    src: str
    focal: tuple[float, float]
    box: Box


@dataclass(frozen=True, slots=True)
class Scrim:
    box: Box
    color: RGB
    opacity: float
    fade: str  # "none" | "down" (clear at the top) | "up" (clear at the bottom) | "left" | "right" (clear there)


@dataclass(frozen=True, slots=True)
class Shape:
    shape: str
    color: RGB
    opacity: float
    params: tuple[tuple[str, Any], ...]

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self.params).get(key, default)


@dataclass(frozen=True, slots=True)
class Scene:
    """A theme's picture (scenes.py) in its box; decoration: the poster's text boxes are kept clear of it,
    and it fades in over `fade` pixels from its left and top edges (no hard edge where it starts). With
    `below_text`, its top moves down below the text laid out over its upper half (the scene is drawn into
    the room the text leaves)."""
    name: str
    box: Box
    color: RGB
    month: int
    fade: tuple[int, int]
    below_text: bool


@dataclass(frozen=True, slots=True)
class ScrimStyle:
    """How a scrim is added behind text whose contrast fails (None colour: black or white, whichever helps)."""
    color: RGB | None
    padding: int
    radius: int


@dataclass(frozen=True, slots=True)
class TextStyle:
    field: str
    text: str
    weight: str
    size: int
    min_size: int
    line_height: float
    max_lines: int
    align: str
    color: RGB
    ellipsis: bool  # may be shortened (whole sentences left out, else ……); facts never are
    balance: bool  # even out the lines (titles)
    grow: bool = False  # in a stack: may take more lines than max_lines while the stack has room


@dataclass(frozen=True, slots=True)
class Text:
    style: TextStyle
    box: Box  # x, y, w, h (h = 0: grows down from y)
    valign: str
    scrim: ScrimStyle


@dataclass(frozen=True, slots=True)
class Chips:
    field: str
    items: tuple[str, ...]
    weight: str
    size: int
    color: RGB
    fill: RGB
    pad_x: int
    pad_y: int
    gap: int
    radius: int
    max_rows: int
    align: str


@dataclass(frozen=True, slots=True)
class Space:
    height: int


@dataclass(frozen=True, slots=True)
class Rule:
    width: int
    thickness: int
    color: RGB


StackItem = Union[TextStyle, Chips, Space, Rule]


@dataclass(frozen=True, slots=True)
class Stack:
    box: Box
    valign: str
    gap: int
    items: tuple[StackItem, ...]
    scrim: ScrimStyle
    # Per item: the name of a droppable group, or "". When the stack is too tall, whole groups are
    # dropped from the end (e.g. the last picks of a guide) before the batch is failed.
    drop_groups: tuple[str, ...] = ()
    # (width, y): items that start above y are set this narrower width (they sit beside something at the
    # right, e.g. a QR code); the items below it take the stack's whole width.
    beside: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class QR:
    url: str
    box: Box  # x, y, size, size
    dark: RGB
    light: RGB


@dataclass(frozen=True, slots=True)
class Seal:
    """The brand mark: up to four characters in a square seal."""
    field: str
    text: str
    box: Box
    color: RGB
    text_color: RGB


Layer = Union[Fill, Gradient, Glow, Photo, Scrim, Shape, Scene, Text, Chips, Stack, QR, Seal]


@dataclass(frozen=True, slots=True)
class PosterSpec:
    width: int
    height: int
    layers: tuple[Layer, ...]
    template: str
    # Further variants of the layout (the template's `variants: N`), tried in order when text does not fit
    # the first without shortening: another arrangement, not a smaller font below the template's bounds.
    alternatives: tuple[tuple[Layer, ...], ...] = ()

    def variants(self) -> tuple[tuple[Layer, ...], ...]:
        return (self.layers, *self.alternatives)

    def texts(self) -> list[tuple[str, str, str]]:
        """(field, text, weight) of every piece of text the poster may draw (any variant), for the glyph check."""
        found: list[tuple[str, str, str]] = []
        for layer in (layer for layers in self.variants() for layer in layers):
            for item in _text_items(layer):
                if isinstance(item, TextStyle):
                    found.append((item.field, item.text, item.weight))
                elif isinstance(item, Chips):
                    found.extend((item.field, t, item.weight) for t in item.items)
                elif isinstance(item, Seal):
                    found.append((item.field, item.text, "bold"))
        return found


def _text_items(layer: Layer) -> list[Any]:
    if isinstance(layer, Text):
        return [layer.style]
    if isinstance(layer, Stack):
        return list(layer.items)
    if isinstance(layer, (Chips, Seal)):
        return [layer]
    return []


# ---- reading one layer --------------------------------------------------------------------------

class _Reader:
    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise LayoutError(f"{where}：应为一个映射（{{type: ..., ...}}），实际是 {data!r}")
        self.data = data
        self.where = where
        self.used: set[str] = set()

    def bad(self, key: str, expected: str) -> LayoutError:
        return LayoutError(f"{self.where} · {key} = {self.data.get(key)!r}：{expected}")

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = ...) -> Any:
        self.used.add(key)
        if key not in self.data:
            if default is ...:
                raise LayoutError(f"{self.where}：缺少 {key}")
            return default
        return self.data[key]

    def num(self, key: str, default: Any = ..., low: float | None = None, high: float | None = None) -> float:
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.bad(key, "应为数字")
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.bad(key, f"应在 {low} 到 {high} 之间")
        return float(value)

    def int(self, key: str, default: Any = ..., low: int | None = None, high: int | None = None) -> int:
        return int(round(self.num(key, default, low, high)))

    def text(self, key: str, default: Any = ...) -> str:
        value = self.raw(key, default)
        if value is None:
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.bad(key, "应为文字")
        return str(value)

    def flag(self, key: str, default: bool) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise self.bad(key, "应为 true 或 false")
        return value

    def choice(self, key: str, options: tuple[str, ...], default: Any = ...) -> str:
        value = self.raw(key, default)
        if value not in options:
            raise self.bad(key, f"应为 {' / '.join(options)} 之一")
        return str(value)

    def color(self, key: str, default: Any = ...) -> RGB:
        value = self.raw(key, default)
        if not isinstance(value, str) or len(value) != 7 or value[0] != "#":
            raise self.bad(key, "应为 \"#RRGGBB\" 形式的颜色（在 YAML 里要加引号）")
        try:
            return colors.rgb(value)
        except ValueError:
            raise self.bad(key, "应为 \"#RRGGBB\" 形式的颜色") from None

    def numbers(self, key: str, count: tuple[int, ...], default: Any = ...) -> tuple[int, ...]:
        value = self.raw(key, default)
        if (not isinstance(value, (list, tuple)) or len(value) not in count
                or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value)):
            raise self.bad(key, f"应为 {' 或 '.join(str(c) for c in count)} 个数字的列表")
        return tuple(int(round(v)) for v in value)

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.used - {"type"})
        if unknown:
            raise LayoutError(f"{self.where}：不认识的键 {', '.join(unknown)}")


def _box(r: _Reader, width: int, height: int, key: str = "box") -> Box:
    if not r.has(key):
        r.used.add(key)
        return (0, 0, width, height)
    x, y, w, h = r.numbers(key, (4,))
    if w <= 0 or h <= 0:
        raise r.bad(key, "宽和高应大于 0")
    return (x, y, w, h)


def _weight(r: _Reader) -> str:
    return r.choice("font", ("regular", "bold"), "regular")


def _text_style(r: _Reader, canvas_width: int) -> TextStyle:
    size = r.int("size", low=1, high=1000)
    floor = contrast.min_size(canvas_width)
    min_size = r.int("min_size", size, low=1, high=size)
    if min_size < floor:
        raise r.bad("min_size" if r.has("min_size") else "size",
                    f"手机上看海报，文字不能小于 {floor:.0f} 像素（1080 宽的海报至少 {contrast.MIN_PX_AT_1080} 像素）")
    low, high = LINE_HEIGHT_RANGE
    return TextStyle(
        field=r.text("field"),
        text=r.text("text", ""),
        weight=_weight(r),
        size=size,
        min_size=min_size,
        line_height=r.num("line_height", 1.4, low, high),
        max_lines=r.int("max_lines", 1, low=1, high=40),
        align=r.choice("align", ("left", "center", "right"), "left"),
        color=r.color("color"),
        ellipsis=r.flag("ellipsis", False),
        balance=r.flag("balance", False),
        grow=r.flag("grow", False),
    )


def _scrim_style(r: _Reader, size: int) -> ScrimStyle:
    value = r.raw("scrim", {})
    s = _Reader(value, f"{r.where} · scrim")
    style = ScrimStyle(
        color=s.color("color") if s.has("color") else None,
        padding=s.int("padding", max(12, size // 2), low=0),
        radius=s.int("radius", max(8, size // 3), low=0),
    )
    s.finish()
    return style


def _chips(r: _Reader, canvas_width: int) -> Chips:
    items = r.raw("items")
    if not isinstance(items, list) or not all(isinstance(i, (str, int, float)) for i in items):
        raise r.bad("items", "应为文字列表")
    size = r.int("size", low=1, high=400)
    floor = contrast.min_size(canvas_width)
    if size < floor:
        raise r.bad("size", f"文字不能小于 {floor:.0f} 像素")
    return Chips(
        field=r.text("field"),
        items=tuple(str(i) for i in items if str(i)),
        weight=_weight(r),
        size=size,
        color=r.color("color"),
        fill=r.color("fill"),
        pad_x=r.int("pad_x", size // 2, low=0),
        pad_y=r.int("pad_y", size // 4, low=0),
        gap=r.int("gap", size // 3, low=0),
        radius=r.int("radius", size // 2, low=0),
        max_rows=r.int("max_rows", 1, low=1, high=10),
        align=r.choice("align", ("left", "center", "right"), "left"),
    )


_SHAPES = ("rect", "circle", "ring", "polygon", "ridge", "wave", "dots", "arc", "line")


def _layer(data: Any, where: str, width: int, height: int) -> Layer:
    r = _Reader(data, where)
    kind = r.choice("type", ("fill", "gradient", "glow", "photo", "scrim", "shape", "scene", "text", "chips",
                             "stack", "qr", "seal"))
    layer: Layer
    if kind == "fill":
        layer = Fill(r.color("color"), _box(r, width, height))
    elif kind == "gradient":
        stops_raw = r.raw("stops")
        if not isinstance(stops_raw, list) or len(stops_raw) < 2:
            raise r.bad("stops", "应为至少两个 [颜色, 位置] 的列表")
        stops = []
        for index, stop in enumerate(stops_raw):
            s = _Reader({"color": stop[0], "at": stop[1]} if isinstance(stop, list) and len(stop) == 2 else stop,
                        f"{where} · stops[{index}]")
            stops.append((s.color("color"), s.num("at", low=0, high=1)))
        layer = Gradient(_box(r, width, height), r.num("angle", 90), tuple(stops), r.num("opacity", 1, 0, 1))
    elif kind == "glow":
        cx, cy = r.numbers("center", (2,))
        layer = Glow((cx, cy), r.int("radius", low=1), r.color("color"), r.num("opacity", 1, 0, 1))
    elif kind == "photo":
        src = r.text("src")
        if not src:
            raise r.bad("src", "缺少图片路径")
        fx, fy = (r.num("focal_x", 0.5, 0, 1), r.num("focal_y", 0.5, 0, 1))
        layer = Photo(src, (fx, fy), _box(r, width, height))
    elif kind == "scrim":
        layer = Scrim(_box(r, width, height), r.color("color"), r.num("opacity", 0.5, 0, 1),
                      r.choice("fade", ("none", "down", "up", "left", "right"), "none"))
    elif kind == "shape":
        shape = r.choice("shape", _SHAPES)
        color = r.color("color")
        opacity = r.num("opacity", 1, 0, 1)
        params = {k: v for k, v in data.items() if k not in ("type", "shape", "color", "opacity")}
        r.used.update(params)
        _check_shape(shape, params, where)
        layer = Shape(shape, color, opacity, tuple(sorted((k, _freeze(v)) for k, v in params.items())))
    elif kind == "scene":
        from pipeline.channels.posters import scenes

        name = r.choice("name", scenes.SCENES)
        fade = r.numbers("fade", (2,), (0, 0))
        layer = Scene(name, _box(r, width, height), r.color("color"), r.int("month", 0, low=0, high=12),
                      (max(0, fade[0]), max(0, fade[1])), r.flag("below_text", False))
    elif kind == "text":
        style = _text_style(r, width)
        x, y, w, *rest = r.numbers("box", (3, 4))
        layer = Text(style, (x, y, w, rest[0] if rest else 0), r.choice("valign", ("top", "middle", "bottom"), "top"),
                     _scrim_style(r, style.size))
    elif kind == "chips":
        chips = _chips(r, width)
        layer = Stack(_box(r, width, height), "top", 0, (chips,), ScrimStyle(None, 0, 0))
    elif kind == "stack":
        items_raw = r.raw("items")
        if not isinstance(items_raw, list):
            raise r.bad("items", "应为列表")
        read = [_stack_item(item, f"{where} · items[{i}]", width) for i, item in enumerate(items_raw)]
        items = tuple(item for item, _ in read)
        sizes = [i.size for i in items if isinstance(i, TextStyle)]
        beside = r.numbers("beside", (2,), None) if r.has("beside") else None
        r.used.add("beside")
        layer = Stack(_box(r, width, height), r.choice("valign", ("top", "middle", "bottom"), "top"),
                      r.int("gap", 0, low=0), items, _scrim_style(r, max(sizes, default=40)),
                      tuple(group for _, group in read), (beside[0], beside[1]) if beside else None)
    elif kind == "qr":
        x, y, size = r.numbers("box", (3,))
        layer = QR(r.text("url"), (x, y, size, size), r.color("dark", "#000000"), r.color("light", "#ffffff"))
        if colors.contrast(layer.dark, layer.light) < 7:
            raise r.bad("dark", "二维码深浅两色的对比度应至少 7:1，扫码才可靠")
    else:
        x, y, size = r.numbers("box", (3,))
        layer = Seal(r.text("field", "brand_mark"), r.text("text"), (x, y, size, size), r.color("color"),
                     r.color("text_color"))
        if not 1 <= len(layer.text) <= 4:
            raise r.bad("text", "印章文字应为 1 到 4 个字")
    r.finish()
    return layer


def _stack_item(data: Any, where: str, width: int) -> tuple[StackItem, str]:
    r = _Reader(data, where)
    kind = r.choice("type", ("text", "chips", "space", "rule"))
    drop_group = r.text("drop", "")
    item: StackItem
    if kind == "text":
        item = _text_style(r, width)
    elif kind == "chips":
        item = _chips(r, width)
    elif kind == "space":
        item = Space(r.int("height", low=0))
    else:
        item = Rule(r.int("width", low=1), r.int("thickness", 4, low=1), r.color("color"))
    r.finish()
    return item, drop_group


_SHAPE_KEYS = {
    "rect": {"box", "radius"},
    "circle": {"center", "radius"},
    "ring": {"center", "radius", "width"},
    "arc": {"center", "radius", "width", "start", "end"},
    "polygon": {"points"},
    "line": {"points", "width"},
    "ridge": {"box", "seed", "peaks", "roughness", "floor"},
    "wave": {"box", "amplitude", "wavelength", "phase", "floor"},
    "dots": {"box", "spacing", "radius"},
}
_SHAPE_REQUIRED = {
    "rect": {"box"}, "circle": {"center", "radius"}, "ring": {"center", "radius", "width"},
    "arc": {"center", "radius", "width", "start", "end"}, "polygon": {"points"}, "line": {"points", "width"},
    "ridge": {"box"}, "wave": {"box", "amplitude", "wavelength"}, "dots": {"box", "spacing", "radius"},
}


def _check_shape(shape: str, params: dict[str, Any], where: str) -> None:
    unknown = sorted(set(params) - _SHAPE_KEYS[shape])
    if unknown:
        raise LayoutError(f"{where}：形状 {shape} 不认识的键 {', '.join(unknown)}")
    missing = sorted(_SHAPE_REQUIRED[shape] - set(params))
    if missing:
        raise LayoutError(f"{where}：形状 {shape} 缺少 {', '.join(missing)}")

    def numeric(value: Any) -> bool:
        if isinstance(value, (list, tuple)):
            return all(numeric(v) for v in value)
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    for key, value in params.items():
        if not numeric(value):
            raise LayoutError(f"{where} · {key} = {value!r}：应为数字或数字列表")


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


# ---- templates ---------------------------------------------------------------------------------

def environment(root: Path) -> jinja2.Environment:
    if not template_dirs(root, "posters"):
        raise UserError(f"找不到海报模板：{root / TEMPLATE_FOLDER}/ 不存在。")
    return make_environment(root, "posters", autoescape=False, filters={
        "q": _quote,
        "mix": lambda color, other, t: colors.mix(other, t, base=color),  # `other` at t over `color`
        "shade": lambda color, t: colors.mix("#000000", t, base=color),
        "tint": lambda color, t: colors.mix("#ffffff", t, base=color),
    })


def _quote(value: Any) -> str:
    """A YAML-safe double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps("" if value is None else str(value), ensure_ascii=False)


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def build(env: jinja2.Environment, template: str, context: dict[str, Any]) -> PosterSpec:
    """Render one layout template and check it into a PosterSpec. A template that says `variants: N` is
    rendered N times, with variant = 0 … N-1: the layouts the drawing may choose from."""
    where = f"{TEMPLATE_FOLDER}/{template}"
    first, count = _build_one(env, template, where, {**context, "variant": 0})
    others = tuple(_build_one(env, template, where, {**context, "variant": i})[0].layers for i in range(1, count))
    return PosterSpec(first.width, first.height, first.layers, where, others)


def _build_one(env: jinja2.Environment, template: str, where: str, context: dict[str, Any]) -> tuple[PosterSpec, int]:
    try:
        text = env.get_template(template).render(**context)
    except jinja2.TemplateNotFound:
        raise LayoutError(f"{where}：模板不存在") from None
    except jinja2.TemplateError as exc:
        line = getattr(exc, "lineno", None)
        raise LayoutError(f"{where}{f':{line}' if line else ''}：模板错误（{exc}）") from None
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise LayoutError(f"{where}：渲染结果不是合法的 YAML（{exc}）") from None
    top = _Reader(data, where)
    width, height = top.numbers("size", (2,))
    count = top.int("variants", 1, low=1, high=8)
    layers_raw = top.raw("layers")
    if not isinstance(layers_raw, list):
        raise top.bad("layers", "应为图层列表")
    top.finish()
    where_variant = where if context.get("variant", 0) == 0 else f"{where}（variant {context['variant']}）"
    layers = tuple(_layer(item, f"{where_variant} · 第 {i + 1} 层", width, height) for i, item in enumerate(layers_raw))
    return PosterSpec(width, height, layers, where), count
