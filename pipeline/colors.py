"""Colours: the one place for hex parsing, mixing and the WCAG 2.x contrast ratio (relative luminance)."""

from __future__ import annotations

RGB = tuple[float, float, float]


def rgb(color: str) -> tuple[int, int, int]:
    """'#rrggbb' or '#rgb' (the '#' may be left out) as (r, g, b) in 0..255."""
    value = color.strip().lstrip("#")
    if len(value) == 3:
        value = "".join(ch * 2 for ch in value)
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def to_hex(color: RGB) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in color)


def _linear(channel: float) -> float:
    s = channel / 255
    return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4


def luminance(color: RGB | str) -> float:
    """WCAG relative luminance of an (r, g, b) triple or a hex colour."""
    r, g, b = rgb(color) if isinstance(color, str) else color
    return 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)


def contrast_of_luminances(a: float, b: float) -> float:
    high, low = max(a, b), min(a, b)
    return (high + 0.05) / (low + 0.05)


def contrast(a: RGB | str, b: RGB | str) -> float:
    """The WCAG contrast ratio of two colours (each an (r, g, b) triple or a hex string): 1 to 21."""
    return contrast_of_luminances(luminance(a), luminance(b))


def mix(color: str, weight: float, base: str = "#ffffff") -> str:
    """`color` at `weight` (0..1) over `base`: 0 gives base, 1 gives color."""
    c, b = rgb(color), rgb(base)
    return to_hex(tuple(b[i] + (c[i] - b[i]) * weight for i in range(3)))  # type: ignore[arg-type]


def readable_text(background: str, dark: str = "#1f1f1f", light: str = "#ffffff") -> str:
    return dark if contrast(dark, background) >= contrast(light, background) else light
