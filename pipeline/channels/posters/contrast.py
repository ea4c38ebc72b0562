"""WCAG 2.x contrast (1.4.3) of poster text, measured against the worst background pixels under it.

The ratio and the relative luminance are pipeline.colors'; here only the per-pixel measurement and the
sizes the rule depends on.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image

from pipeline import colors

NORMAL_MIN = 4.5
LARGE_MIN = 3.0
# On a 1080 px wide poster shown full-screen on a phone, 1 px ≈ 0.36 pt (channels.md).
PT_PER_PX_AT_1080 = 0.36
# Smallest text on a 1080 px wide poster, for phone viewing.
MIN_PX_AT_1080 = 32


@lru_cache(maxsize=1)
def _luts() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each 8-bit value's share of a pixel's relative luminance, per channel (colors.luminance of a pure red,
    green or blue of that value): a pixel's luminance is the sum of its three entries."""
    values = range(256)
    return (np.array([colors.luminance((v, 0, 0)) for v in values], np.float32),
            np.array([colors.luminance((0, v, 0)) for v in values], np.float32),
            np.array([colors.luminance((0, 0, v)) for v in values], np.float32))


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
    lut_r, lut_g, lut_b = _luts()
    text_lum = colors.luminance(text_rgb)
    worst = 21.0
    for box in boxes:
        pixels = np.asarray(image.crop(box).convert("RGB"))
        if pixels.size == 0:
            continue
        lum = lut_r[pixels[..., 0]] + lut_g[pixels[..., 1]] + lut_b[pixels[..., 2]]
        # The closest to the text on either side: the brightest pixel not brighter than it, the darkest brighter.
        darker = lum <= text_lum
        below = float(lum.max(where=darker, initial=-1.0))
        above = float(lum.min(where=~darker, initial=2.0))
        if below >= 0:
            worst = min(worst, colors.contrast_of_luminances(text_lum, below))
        if above <= 1.5:
            worst = min(worst, colors.contrast_of_luminances(text_lum, above))
    return worst
