"""WCAG 2.x contrast (1.4.3), measured against the worst background pixels under the text."""

from __future__ import annotations

import numpy as np
from PIL import Image

NORMAL_MIN = 4.5
LARGE_MIN = 3.0
# On a 1080 px wide poster shown full-screen on a phone, 1 px ≈ 0.36 pt (channels.md).
PT_PER_PX_AT_1080 = 0.36
# Smallest text on a 1080 px wide poster, for phone viewing.
MIN_PX_AT_1080 = 32


def _channel_lut() -> np.ndarray:
    c = np.arange(256, dtype=np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


_LINEAR = _channel_lut()
_LUT_R = (0.2126 * _LINEAR).astype(np.float32)
_LUT_G = (0.7152 * _LINEAR).astype(np.float32)
_LUT_B = (0.0722 * _LINEAR).astype(np.float32)


def parse_color(value: str) -> tuple[int, int, int]:
    value = value.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def luminance(rgb: tuple[int, int, int]) -> float:
    r, g, b = rgb
    return float(_LUT_R[r]) + float(_LUT_G[g]) + float(_LUT_B[b])


def ratio(a: float, b: float) -> float:
    high, low = max(a, b), min(a, b)
    return (high + 0.05) / (low + 0.05)


def is_large(size_px: float, bold: bool, canvas_width: int) -> bool:
    """WCAG large text: ≥ 18 pt, or ≥ 14 pt bold."""
    points = size_px * PT_PER_PX_AT_1080 * 1080 / canvas_width
    return points >= 18 or (bold and points >= 14)


def required(size_px: float, bold: bool, canvas_width: int) -> float:
    return LARGE_MIN if is_large(size_px, bold, canvas_width) else NORMAL_MIN


def min_size(canvas_width: int) -> float:
    return MIN_PX_AT_1080 * canvas_width / 1080


def worst_ratio(image: Image.Image, boxes: list[tuple[int, int, int, int]], text_rgb: tuple[int, int, int]) -> float:
    """The lowest contrast between the text colour and any background pixel inside the boxes."""
    text_lum = luminance(text_rgb)
    worst = 21.0
    for box in boxes:
        region = image.crop(box)
        pixels = np.asarray(region if region.mode == "RGB" else region.convert("RGB"))
        if pixels.size == 0:
            continue
        lum = _LUT_R[pixels[..., 0]] + _LUT_G[pixels[..., 1]] + _LUT_B[pixels[..., 2]]
        darker = lum <= text_lum
        # The brightest pixel not brighter than the text and the darkest one brighter than it.
        darkest_gap = float(lum.max(where=darker, initial=-1.0))
        lightest_gap = float(lum.min(where=~darker, initial=2.0))
        if darkest_gap >= 0:
            worst = min(worst, ratio(text_lum, darkest_gap))
        if lightest_gap <= 1.5:
            worst = min(worst, ratio(text_lum, lightest_gap))
    return worst
