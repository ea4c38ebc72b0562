"""Regenerate the bundled poster fonts: Noto Sans CJK SC (Regular, Bold) subset to what posters need.

Run from the repository root on a machine with Debian's fonts-noto-cjk installed:

    python pipeline/channels/posters/fonts/build_subset.py

Keeps: ASCII, every GB2312 character (6,763 hanzi and its symbol rows), CJK and full-width punctuation,
every character of the shipped content (routes/, content/), of the poster templates and of the test
fixtures, and EXTRA_CHARS (local names outside GB2312, such as 簰洲湾's 簰). The face is index 2 of
the .ttc (Simplified Chinese glyph forms; index 0 would draw Japanese forms). Writes the fonts and
OFL.txt beside this script. Same sources -> byte-identical files (the head timestamp is kept).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[3]
SYSTEM_DIR = Path("/usr/share/fonts/opentype/noto")
DEBIAN_COPYRIGHT = Path("/usr/share/doc/fonts-noto-cjk/copyright")
SC_INDEX = 2
WEIGHTS = ("Regular", "Bold")

# Characters outside GB2312 that editors need on posters. Add here, then rerun this script.
EXTRA_CHARS = "簰埗堌塅畈垅垸㽘蕲浉湋燊珺琎瑄玥昇祎"

_PUNCTUATION_RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1: · × ÷ ° ¥ and accented letters in names
    (0x2010, 0x2027),  # dashes, quotes, ellipsis
    (0x2030, 0x203B),  # ‰ ′ ″ ※
    (0x2103, 0x2103),  # ℃
    (0x2116, 0x2116),  # №
    (0x2160, 0x216B),  # Roman numerals
    (0x2190, 0x2193),  # arrows
    (0x2460, 0x2473),  # circled numbers
    (0x25A0, 0x25CF),  # squares, triangles, circles used as markers
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x30FB, 0x30FB),  # katakana middle dot
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF01, 0xFF5E),  # full-width forms
    (0xFFE0, 0xFFE5),  # full-width ￠ ￡ ￥
)
_TEXT_SUFFIXES = {".md", ".yaml", ".yml", ".toml", ".j2", ".txt"}


def gb2312_chars() -> set[str]:
    chars: set[str] = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def content_chars(repo: Path) -> set[str]:
    chars: set[str] = set()
    for folder in ("routes", "content", "templates/posters", "tests/fixtures"):
        base = repo / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.is_file() and path.suffix in _TEXT_SUFFIXES:
                chars.update(path.read_text(encoding="utf-8"))
    return chars


def wanted_chars(repo: Path) -> set[str]:
    chars = gb2312_chars() | content_chars(repo) | set(EXTRA_CHARS)
    for low, high in _PUNCTUATION_RANGES:
        chars.update(chr(c) for c in range(low, high + 1))
    return {c for c in chars if c.isprintable() and c not in "\ufeff"}


def build_weight(weight: str, chars: set[str], out_dir: Path) -> Path:
    source = SYSTEM_DIR / f"NotoSansCJK-{weight}.ttc"
    font = TTFont(source, fontNumber=SC_INDEX, recalcTimestamp=False, lazy=False)
    family = font["name"].getDebugName(1)
    if family != "Noto Sans CJK SC":
        raise SystemExit(f"{source} face {SC_INDEX} is {family!r}, expected 'Noto Sans CJK SC'")
    options = subset.Options()
    options.hinting = False  # posters are rendered large; hints only cost bytes
    options.layout_features = ["kern", "palt", "halt", "vert", "locl"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["BASE", "VORG", "vhea", "vmtx"]
    subsetter = subset.Subsetter(options)
    cmap = font.getBestCmap()
    subsetter.populate(unicodes=sorted(ord(c) for c in chars if ord(c) in cmap))
    subsetter.subset(font)
    target = out_dir / f"NotoSansCJKsc-{weight}-subset.otf"
    font.save(target)
    return target


def write_license(out_dir: Path) -> Path:
    font = TTFont(SYSTEM_DIR / "NotoSansCJK-Regular.ttc", fontNumber=SC_INDEX, lazy=True)
    notice = font["name"].getDebugName(0)
    lines = DEBIAN_COPYRIGHT.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "License: SIL-1.1" and i + 1 < len(lines)
                 and lines[i + 1].startswith(" -"))
    body: list[str] = []
    for line in lines[start + 1:]:
        if line and not line.startswith(" "):
            break
        text = line[1:]
        body.append("" if text == "." else text)
    header = [
        f"Noto Sans CJK SC {notice}",
        "",
        "The files NotoSansCJKsc-Regular-subset.otf and NotoSansCJKsc-Bold-subset.otf are Modified Versions",
        "(character subsets made with fontTools by build_subset.py) of Noto Sans CJK SC from",
        "https://github.com/notofonts/noto-cjk, distributed under the SIL Open Font License 1.1 below.",
        "",
    ]
    target = out_dir / "OFL.txt"
    target.write_text("\n".join(header + body).rstrip() + "\n", encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=REPO, help="repository root (content to cover)")
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write the fonts and OFL.txt to")
    args = parser.parse_args(argv)
    if not SYSTEM_DIR.is_dir():
        print("fonts-noto-cjk is not installed (apt-get install fonts-noto-cjk)", file=sys.stderr)
        return 1
    chars = wanted_chars(args.repo)
    for weight in WEIGHTS:
        path = build_weight(weight, chars, args.out)
        print(f"{path.name}: {path.stat().st_size / 1e6:.2f} MB")
    print(write_license(args.out).name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
