"""Images as the upload endpoints accept them: JPEG or PNG under a byte limit, re-encoded only when needed."""

from __future__ import annotations

import io
import re
from pathlib import Path

from PIL import Image

from pipeline.publish.wechat_api import Upload

MAX_WIDTH = 1354  # 2 × the 677 px article column: sharp on phones, no bigger than needed
QUALITIES = (88, 80, 72, 64, 56)
_TYPES = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png")}


class ImageTooLarge(Exception):
    pass


def fit_image(path: Path, below: int, name: str) -> Upload:
    """The file as is when it is a JPEG/PNG under `below` bytes, else a JPEG re-encoded until it fits.

    `name` is the upload's file name without extension (ASCII-safe; the extension tells WeChat the type).
    """
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "image"
    data = path.read_bytes()
    with Image.open(path) as image:
        kind = image.format or ""
        if kind in _TYPES and len(data) < below:
            ext, mime = _TYPES[kind]
            return Upload(f"{stem}.{ext}", data, mime)
        picture = _flatten(image)
    if picture.width > MAX_WIDTH:
        picture = picture.resize((MAX_WIDTH, round(picture.height * MAX_WIDTH / picture.width)), Image.LANCZOS)
    while True:
        for quality in QUALITIES:
            buffer = io.BytesIO()
            picture.save(buffer, "JPEG", quality=quality, optimize=True, progressive=False, subsampling=2)
            if buffer.tell() < below:
                return Upload(f"{stem}.jpg", buffer.getvalue(), "image/jpeg")
        if picture.width <= 320:
            raise ImageTooLarge(f"{path.name} 压缩到最低质量仍不小于 {below} 字节")
        picture = picture.resize((round(picture.width * 0.8), round(picture.height * 0.8)), Image.LANCZOS)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: JPEG has no transparency, and a transparent area would turn black."""
    image.load()
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")
