"""Poster files: progressive, optimized JPEG (photo posters, covers), PNG where that is smaller.

A full PNG encode is slow, so it is tried only when a PNG of sample bands suggests it could win.

Fixed settings and no metadata, so the same image always gives the same bytes.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

JPEG_QUALITIES = (90, 85, 80, 75, 70, 65, 60)
POSTER_LIMIT = 1_000_000
COVER_LIMIT = 500_000


class TooLarge(ValueError):
    pass


def jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, progressive=True, optimize=True, subsampling="4:2:0")
    return out.getvalue()


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=6)
    return out.getvalue()


def png_estimate(image: Image.Image, bands: int = 16, rows: int = 16, stop_above: float | None = None) -> int:
    """PNG size guessed from a few horizontal bands (PNG filters and zlib only look a few rows back).

    With stop_above, bands stop being compressed as soon as the guess is sure to exceed it (every band only
    adds to it), busiest bands first: the answer to "is the guess above stop_above?" is the same, for less
    work."""
    step = image.height // bands
    if step <= rows:
        return len(png(image))
    samples = [image.crop((0, top, image.width, top + rows))
               for top in (band * step + (step - rows) // 2 for band in range(bands))]
    if stop_above is not None:
        samples.sort(key=_busyness, reverse=True)
    total = 0
    for sample in samples:
        total += len(png(sample))
        if stop_above is not None and total * image.height // (bands * rows) > stop_above:
            break
    return total * image.height // (bands * rows)


def _busyness(sample: Image.Image) -> int:
    """How much the green channel changes from pixel to pixel: busy bands compress worst."""
    green = np.asarray(sample.getchannel(1), np.int16)
    return int(np.abs(np.diff(green, axis=1)).sum())


def encode(image: Image.Image, limit: int, jpeg_only: bool) -> tuple[bytes, str]:
    """(bytes, extension): the best JPEG quality under the limit, or a PNG if that is smaller."""
    for quality in JPEG_QUALITIES:
        data = jpeg(image, quality)
        if len(data) <= limit:
            break
    else:
        raise TooLarge(f"即使 JPEG 质量降到 {JPEG_QUALITIES[-1]} 仍有 {len(data) // 1000} KB，超过 {limit // 1000} KB")
    # The estimate lands within about −5 % to +35 % of the real size on our posters.
    if jpeg_only or png_estimate(image, stop_above=len(data) * 1.1) > len(data) * 1.1:
        return data, "jpg"
    lossless = png(image)
    if len(lossless) < len(data):
        return lossless, "png"
    return data, "jpg"
