"""QR codes for posters: segno encodes, we draw whole-pixel modules with the 4-module quiet zone kept."""

from __future__ import annotations

from dataclasses import dataclass

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


def tagged_url(url: str, channel: str) -> str:
    """The page URL with the channel tag that tells which poster a visitor scanned (?from=xhs)."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}from={channel}"


def make(url: str, max_size: int, dark: tuple[int, int, int], light: tuple[int, int, int]) -> QRImage:
    """The largest whole-pixel QR code (quiet zone included) that fits in max_size × max_size."""
    code = segno.make_qr(url, error="m", boost_error=False)
    matrix = code.matrix
    modules = len(matrix)
    total = modules + 2 * QUIET_ZONE
    module_px = max_size // total
    if module_px < MIN_MODULE_PX:
        raise QRTooSmall(f"{max_size}px 放不下 {total} 个模块（每模块至少 {MIN_MODULE_PX}px）")
    cells = bytearray(b"\x00" * (total * total))
    for y, row in enumerate(matrix):
        offset = (y + QUIET_ZONE) * total + QUIET_ZONE
        cells[offset:offset + modules] = bytes(1 if cell & 1 else 0 for cell in row)
    mask = Image.frombytes("L", (total, total), bytes(cells)).point(lambda v: 255 if v else 0)
    mask = mask.resize((total * module_px, total * module_px), Image.Resampling.NEAREST)
    image = Image.new("RGB", mask.size, light)
    image.paste(dark, (0, 0), mask)
    return QRImage(image, module_px, code.version, modules)
