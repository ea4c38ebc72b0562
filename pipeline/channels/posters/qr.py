"""QR codes for posters: segno encodes, we draw whole-pixel modules with the 4-module quiet zone kept.

segno picks the data mask with the lowest ISO/IEC 18004 penalty score (7.8.3), evaluating the eight masks in
pure Python, which costs more than the rest of a poster's QR code. best_mask() computes the very same scores
(segno's own reading of the rules, quirks included) with numpy, so the mask, and so the code, is the one
segno would choose: tests/test_poster_fastpaths.py checks that against segno on many URLs, and
tests/test_posters.py decodes the posters' codes with zxing-cpp. Nothing is remembered between runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import segno
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image
from segno import consts as segno_consts
from segno import encoder as segno_encoder

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
    """The largest whole-pixel QR code (quiet zone included) that fits in max_size × max_size."""
    matrix, version = encode(url)
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
    return QRImage(image, module_px, version, modules)


def encode(url: str) -> tuple[tuple[bytearray, ...], int]:
    """(matrix, version) of the QR code (error level M) segno makes for url, its mask chosen by best_mask()."""
    code = segno.make_qr(url, error="m", boost_error=False, mask=0)
    final = np.array([list(row) for row in code.matrix], np.uint8)
    size = len(final)
    region, reserved = _regions(size)
    masks = _mask_patterns(size)
    raw = final.copy()
    raw[region] ^= masks[0][region]  # the data as placed, before masking
    raw[reserved] = 0  # format and version areas are still empty when segno evaluates
    best = best_mask(raw, region)
    if best == 0:
        return code.matrix, code.version
    matrix = final.copy()
    matrix[region] = raw[region] ^ masks[best][region]
    rows = tuple(bytearray(row.tobytes()) for row in matrix)
    segno_encoder.add_format_info(rows, code.version, segno_consts.ERROR_LEVEL_M, best)
    return rows, code.version


def best_mask(raw: np.ndarray, region: np.ndarray) -> int:
    """The first of the eight masks with the lowest penalty score, as segno's find_and_apply_best_mask."""
    flips = np.stack(_mask_patterns(len(raw))) & region
    scores = penalties(raw[None] ^ flips).tolist()
    return scores.index(min(scores))


def penalties(m: np.ndarray) -> np.ndarray:
    """N1 + N2 + N3 + N4 of each masked matrix m[k], computed as segno.encoder.mask_scores does."""
    count, size = len(m), m.shape[1]
    n1 = _runs(m) + _runs(m.transpose(0, 2, 1))
    same = (m[:, 1:, 1:] == m[:, 1:, :-1]) & (m[:, 1:, 1:] == m[:, :-1, 1:]) & (m[:, 1:, 1:] == m[:, :-1, :-1])
    n2 = 3 * same.sum(axis=(1, 2))
    n3 = _finder_like(m) + _finder_like(m.transpose(0, 2, 1))
    n4 = [10 * int(abs(float(int(dark)) / (size ** 2) * 100 - 50) / 5) for dark in m.sum(axis=(1, 2))]
    return n1 + n2 + n3 + np.array(n4, np.int64).reshape(count)


def _runs(m: np.ndarray) -> np.ndarray:
    """N1 of each matrix: every run of five or more same-coloured modules in a row scores its length − 2."""
    count, size = len(m), m.shape[1]
    padded = np.full((count, size, size + 2), 255, np.uint8)
    padded[:, :, 1:-1] = m
    edges = np.flatnonzero((padded[:, :, 1:] != padded[:, :, :-1]).ravel())
    # Runs between edges; the step from one row's end to the next row's start is a run of 1 and scores 0.
    lengths = np.diff(edges)
    scores = np.where(lengths >= 5, lengths - 2, 0)
    return np.bincount(edges[:-1] // (size * (size + 1)), weights=scores, minlength=count).astype(np.int64)


_N3_PATTERN = np.array([1, 0, 1, 1, 1, 0, 1], np.uint8)


def _finder_like(m: np.ndarray) -> np.ndarray:
    """N3 over the rows of each matrix: 1:1:3:1:1 patterns with four light modules on one side, found left
    to right the way segno's n3_pattern_occurrences finds them (after a hit the search resumes past it)."""
    count, size = len(m), m.shape[1]
    which, rows, starts = np.nonzero((sliding_window_view(m, 7, axis=2) == _N3_PATTERN).all(axis=3))
    if not which.size:
        return np.zeros(count, np.int64)
    dark = np.zeros((count, size, size + 1), np.int64)
    np.cumsum(m != 0, axis=2, out=dark[:, :, 1:])
    ends = starts + 7
    counted = ((starts == 0) | (starts == size - 7)
               | (dark[which, rows, starts] == dark[which, rows, np.maximum(starts - 4, 0)])
               | (dark[which, rows, np.minimum(ends + 4, size)] == dark[which, rows, ends]))
    close = (which[1:] == which[:-1]) & (rows[1:] == rows[:-1]) & (starts[1:] - starts[:-1] < 7)
    if close.any():
        # Overlapping candidates: follow segno's search order, which skips some of them.
        counted = counted.copy()
        line, resume = (-1, -1), 0
        for n, (k, row, start, hit) in enumerate(zip(which.tolist(), rows.tolist(), starts.tolist(),
                                                     counted.tolist())):
            if (k, row) != line:
                line, resume = (k, row), 0
            if start < resume:
                counted[n] = False
                continue
            resume = start + 7 if hit else start + 4
    return 40 * np.bincount(which, weights=counted, minlength=count).astype(np.int64)


@lru_cache(maxsize=None)
def _regions(size: int) -> tuple[np.ndarray, np.ndarray]:
    """(data region, format/version/dark-module areas) of a QR code of this size, as segno marks them."""
    function = segno_encoder.make_matrix(size, size)
    segno_encoder.add_finder_patterns(function, size, size)
    segno_encoder.add_alignment_patterns(function, size, size)
    function[-8][8] = 0x1
    region = np.array([list(row) for row in function]) > 1
    bare = np.array([list(row) for row in segno_encoder.make_matrix(size, size, reserve_regions=False)])
    empty = np.array([list(row) for row in segno_encoder.make_matrix(size, size)])
    return region, (bare != empty) & ~region


@lru_cache(maxsize=None)
def _mask_patterns(size: int) -> tuple[np.ndarray, ...]:
    """ISO/IEC 18004 table 10: where each of the eight data masks flips a module (i = row, j = column)."""
    i, j = np.indices((size, size))
    conditions = (
        (i + j) % 2 == 0,
        i % 2 == 0,
        j % 3 == 0,
        (i + j) % 3 == 0,
        (i // 2 + j // 3) % 2 == 0,
        (i * j) % 2 + (i * j) % 3 == 0,
        ((i * j) % 2 + (i * j) % 3) % 2 == 0,
        ((i + j) % 2 + (i * j) % 3) % 2 == 0,
    )
    return tuple(c.astype(np.uint8) for c in conditions)
