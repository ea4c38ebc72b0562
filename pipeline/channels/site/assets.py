"""Fingerprinted assets: CSS, scripts, icons, and images resized for srcset.

Names carry a hash, so a changed file gets a new name and browsers may cache every asset for ever.
Image variants are named from the source's hash and the resize settings.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

ASSET_DIR = "assets"
_IMAGE_SETTINGS = "jpeg-q80-lanczos-v1"  # change when the encoding below changes: renames every variant
_WIDTHS = (480, 960)


@dataclass(frozen=True, slots=True)
class Variant:
    path: str  # site path
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Picture:
    variants: tuple[Variant, ...]  # narrowest first
    alt: str
    credit: str = ""

    @property
    def largest(self) -> Variant:
        return self.variants[-1]

    @property
    def smallest(self) -> Variant:
        return self.variants[0]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-") or "img"


class Assets:
    """Collects the asset files of one build, by site path."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}

    def add(self, stem: str, ext: str, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()[:10]
        path = f"{ASSET_DIR}/{stem}.{digest}.{ext}"
        self.files[path] = data
        return path

    def picture(self, source: Path, key: str, alt: str, credit: str = "") -> Picture:
        """Variants 480 and 960 px wide (never upscaled; a narrower source gives one variant at its width)."""
        data = source.read_bytes()
        width, height = _probed_size(data)
        widths = [w for w in _WIDTHS if w < width] + [min(width, _WIDTHS[-1])]
        variants = []
        for target in sorted(set(widths)):
            target_height = max(1, round(height * target / width))
            digest = hashlib.sha256(data + f"|{target}|{_IMAGE_SETTINGS}".encode()).hexdigest()[:10]
            path = f"{ASSET_DIR}/img/{_slug(key)}-{target}.{digest}.jpg"
            if path not in self.files:
                self.files[path] = _encode(data, target, target_height)
            variants.append(Variant(path, target, target_height))
        return Picture(tuple(variants), alt, credit)


def _probed_size(data: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as probe:
        return _oriented_size(probe)


def _oriented_size(image) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    width, height = image.size
    orientation = image.getexif().get(0x0112, 1)
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _encode(data: bytes, width: int, height: int) -> bytes:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        image = ImageOps.exif_transpose(image)
        if image.mode in ("RGBA", "LA", "P"):
            image = image.convert("RGBA")
            flat = Image.new("RGB", image.size, (255, 255, 255))
            flat.paste(image, mask=image.getchannel("A"))
            image = flat
        else:
            image = image.convert("RGB")
        if image.size != (width, height):
            image = image.resize((width, height), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80, optimize=True, progressive=False)
        return out.getvalue()
