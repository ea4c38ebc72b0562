"""Poster files: progressive, optimized JPEG (photo posters, covers), PNG where that is smaller.

Fixed settings and no metadata, so the same image always gives the same bytes.
"""

from __future__ import annotations

import io

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


def encode(image: Image.Image, limit: int, jpeg_only: bool) -> tuple[bytes, str]:
    """(bytes, extension): the best JPEG quality under the limit, or a PNG if that is smaller."""
    for quality in JPEG_QUALITIES:
        data = jpeg(image, quality)
        if len(data) <= limit:
            break
    else:
        raise TooLarge(f"即使 JPEG 质量降到 {JPEG_QUALITIES[-1]} 仍有 {len(data) // 1000} KB，超过 {limit // 1000} KB")
    if jpeg_only:
        return data, "jpg"
    lossless = png(image)
    if len(lossless) < len(data):
        return lossless, "png"
    return data, "jpg"
