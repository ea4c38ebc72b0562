"""QR codes for posters: segno encodes (and picks the data mask), we draw whole-pixel modules with the
4-module quiet zone kept."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import segno
from PIL import Image

QUIET_ZONE = 4  # modules, as ISO/IEC 18004 asks
MIN_MODULE_PX = 3


class QRTooSmall(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class QRImage:
    image: Image.Image  # square, quiet zone included
    module_px: int
    version: int
    modules: int


def make(url: str, max_size: int, dark: tuple[int, int, int], light: tuple[int, int, int]) -> QRImage:
    """The largest whole-pixel QR code (error level M, quiet zone included) that fits in max_size × max_size."""
    code = segno.make_qr(url, error="m", boost_error=False)
    cells = np.array([list(row) for row in code.matrix_iter(scale=1, border=QUIET_ZONE)], dtype=bool)
    total = len(cells)
    module_px = max_size // total
    if module_px < MIN_MODULE_PX:
        raise QRTooSmall(f"{max_size}px 放不下 {total} 个模块（每模块至少 {MIN_MODULE_PX}px）")
    pixels = np.where(cells.repeat(module_px, axis=0).repeat(module_px, axis=1)[..., None],
                      np.array(dark, np.uint8), np.array(light, np.uint8))
    return QRImage(Image.fromarray(pixels, "RGB"), module_px, code.version, total - 2 * QUIET_ZONE)
