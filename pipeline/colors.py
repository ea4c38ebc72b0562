"""Colour arithmetic for contrast checks and heat maps (WCAG 2.x relative luminance)."""

from __future__ import annotations


def parse_hex(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def to_hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4
    r, g, b = rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def mix(color: str, weight: float, base: str = "#ffffff") -> str:
    """color at `weight` (0..1) over base."""
    c, b = parse_hex(color), parse_hex(base)
    return to_hex(tuple(b[i] + (c[i] - b[i]) * weight for i in range(3)))  # type: ignore[arg-type]


def readable_text(background: str, dark: str = "#1f1f1f", light: str = "#ffffff") -> str:
    bg = parse_hex(background)
    return dark if contrast(parse_hex(dark), bg) >= contrast(parse_hex(light), bg) else light
