"""Editors' photos on posters: EXIF orientation applied, cover-cropped around the focal point.

Decompression-bomb-sized and broken files are refused with a message for the editor.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image, ImageOps

# Pillow's own decompression-bomb threshold (≈ 89.5 MP); a camera photo is far below it.
MAX_PIXELS = Image.MAX_IMAGE_PIXELS or 89_478_485


class PhotoError(ValueError):
    """A photo that cannot be used; the message is for the editor (Chinese)."""


def cover(path: Path, size: tuple[int, int], focal: tuple[float, float]) -> Image.Image:
    """The photo scaled to cover size exactly, cropped so the focal point is as central as possible."""
    width, height = size
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as source:
                w, h = source.size
                if w * h > MAX_PIXELS:
                    raise PhotoError(f"图片 {w}×{h} 像素过多（上限约 {MAX_PIXELS // 1_000_000} 百万像素，疑似解压炸弹），请缩小后再用")
                if source.format == "JPEG":
                    # Let libjpeg decode at a reduced scale that still covers the target in either
                    # orientation (EXIF may rotate it by 90°); much faster than a full decode.
                    scale = max(width, height) / min(w, h)
                    if scale < 1:
                        source.draft("RGB", (int(w * scale) + 1, int(h * scale) + 1))
                image = ImageOps.exif_transpose(source)
                image = image.convert("RGB")
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(f"图片像素过多（上限约 {MAX_PIXELS // 1_000_000} 百万像素，疑似解压炸弹），请缩小后再用") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise PhotoError(f"图片无法读取（文件损坏或不完整：{exc}）") from None
    return _cover_crop(image, size, focal)


def _cover_crop(image: Image.Image, size: tuple[int, int], focal: tuple[float, float]) -> Image.Image:
    width, height = size
    w, h = image.size
    scale = max(width / w, height / h)
    crop_w, crop_h = width / scale, height / scale
    left = min(max(focal[0] * w - crop_w / 2, 0.0), w - crop_w)
    top = min(max(focal[1] * h - crop_h / 2, 0.0), h - crop_h)
    return image.resize(size, Image.Resampling.BICUBIC, box=(left, top, left + crop_w, top + crop_h),
                        reducing_gap=2.0)
