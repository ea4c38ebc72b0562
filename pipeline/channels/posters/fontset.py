"""The bundled poster fonts: loaded once per process, never from the system.

Only the OFL-licensed Noto Sans CJK SC subsets shipped in fonts/ are used, by absolute path, so a
machine without any CJK font renders byte-identical posters. Pillow's BASIC layout is used on purpose:
RAQM is present on some machines and not others and would change glyph placement.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from PIL import ImageFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FILES = {
    "regular": FONT_DIR / "NotoSansCJKsc-Regular-subset.otf",
    "bold": FONT_DIR / "NotoSansCJKsc-Bold-subset.otf",
}
WEIGHTS = tuple(FONT_FILES)
# The ideographic em box of Noto Sans CJK: 880 units above the baseline, 120 below (of 1000).
EM_ASCENT = 0.88


@lru_cache(maxsize=256)
def font(weight: str, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont  # here: a batch whose posters are all reused measures no text (~5 ms to import)

    return ImageFont.truetype(str(FONT_FILES[weight]), size, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=256)
def measure(weight: str, size: int) -> Callable[[str], float]:
    """font(weight, size).getlength, remembering each string's width: line breaking and balancing measure
    the same clusters and lines over and over."""
    getlength = font(weight, size).getlength
    widths: dict[str, float] = {}

    def length(text: str) -> float:
        width = widths.get(text)
        if width is None:
            width = widths[text] = getlength(text)
        return width

    return length


@lru_cache(maxsize=None)
def covered(weight: str) -> frozenset[int]:
    """Code points the font has a glyph for (its cmap, read with fontTools)."""
    if weight in _KNOWN:
        return _KNOWN[weight]
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


def preload() -> None:
    """Warm the caches (called once in each worker process)."""
    for weight in WEIGHTS:
        covered(weight)


def remember_coverage(folder: Path) -> None:
    """Fill covered() from folder/font-cmap.marshal when it was written from these very font files, else read
    the cmaps and write that file: parsing the cmaps takes longer than anything else in a batch whose
    posters are all reused. The fonts are part of the package, so the package's digest names them."""
    import marshal

    from pipeline import output
    from pipeline.fingerprint import code_digest

    cache = folder / "font-cmap.marshal"
    digests = code_digest()
    try:
        known = marshal.loads(cache.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        known = None
    if isinstance(known, dict) and known.get("fonts") == digests and isinstance(known.get("cmaps"), dict):
        for weight in WEIGHTS:
            _KNOWN[weight] = frozenset(known["cmaps"][weight])
        return
    try:
        output.replace_file(cache, marshal.dumps({"fonts": digests, "cmaps": {w: sorted(covered(w)) for w in WEIGHTS}}))
    except OSError:
        pass  # read from the fonts again next time


_KNOWN: dict[str, frozenset[int]] = {}  # code points by weight, from remember_coverage's file
