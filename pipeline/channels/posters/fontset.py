"""The bundled poster fonts, never the system's.

Only the OFL-licensed Noto Sans CJK SC subsets shipped in fonts/ are used, by absolute path, so a
machine without any CJK font renders byte-identical posters. Pillow's BASIC layout is used on purpose:
RAQM is present on some machines and not others and would change glyph placement.

A font object and a font's cmap depend only on the package's own font files: each is read once per process.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FILES = {
    "regular": FONT_DIR / "NotoSansCJKsc-Regular-subset.otf",
    "bold": FONT_DIR / "NotoSansCJKsc-Bold-subset.otf",
}
WEIGHTS = tuple(FONT_FILES)
# The ideographic em box of Noto Sans CJK: 880 units above the baseline, 120 below (of 1000).
EM_ASCENT = 0.88


@lru_cache(maxsize=64)
def font(weight: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILES[weight]), size, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=None)
def covered(weight: str) -> frozenset[int]:
    """Code points the font has a glyph for (its cmap, read with fontTools)."""
    from fontTools.ttLib import TTFont

    with TTFont(FONT_FILES[weight], lazy=True) as face:
        return frozenset(face.getBestCmap())


def missing_chars(text: str, weight: str) -> list[str]:
    """Characters of text the font cannot draw (each once, in order of appearance); spaces need no glyph."""
    have = covered(weight)
    seen: dict[str, None] = {}
    for ch in text:
        if ch not in seen and not ch.isspace() and ch != "\u2060" and ord(ch) not in have:
            seen[ch] = None
    return list(seen)
