"""The photo path with real photographs: focal crop, photo-first layout, text legible over the photo.

The photographs are KDE Plasma desktop wallpapers (Debian `plasma-workspace-wallpapers`, LGPLv3), used here
in tests only: they are never shipped as Xianning content. Without the package the tests skip, saying so;
on CI (CI=true) they fail, as the package is in .ci/apt-packages.txt.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import FIXTURE, xnwl
from pipeline.channels.posters import photo

MONTH = "2027-04"
WALLPAPERS = Path("/usr/share/wallpapers")
# (wallpaper, the fixture route it is given to, focal point)
PHOTOS = {"BytheWater": ("tongshan-cool", (0.5, 0.5)), "Path": ("xianan-hotspring", (0.4, 0.6)),
          "EveningGlow": ("chibi-sanguo", (0.5, 0.4))}


def wallpaper(name: str) -> Path:
    path = WALLPAPERS / name / "contents" / "images" / "2560x1440.jpg"
    if not path.is_file():
        message = (f"照片测试需要 Debian 软件包 plasma-workspace-wallpapers（缺少 {path}）："
                   "apt-get install -y plasma-workspace-wallpapers")
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("photos") / "site"
    shutil.copytree(FIXTURE, root)
    images = root / "content" / "images"
    images.mkdir(exist_ok=True)
    for name, (route_id, focal) in PHOTOS.items():
        shutil.copy(wallpaper(name), images / f"{name}.jpg")
        route = root / "routes" / f"{route_id}.md"
        text = route.read_text(encoding="utf-8")
        head, rest = text.split("\nimages:", 1)
        rest = rest.split("\n", 1)[1] if rest.startswith(" []") else rest
        while rest.startswith("  "):  # drop the fixture's own image list
            rest = rest.split("\n", 1)[1]
        route.write_text(f"{head}\nimages:\n  - src: {name}.jpg\n    alt: 测试照片\n"
                         f"    credit: KDE Plasma 壁纸 {name}（LGPLv3，仅供测试）\n"
                         f"    focal: [{focal[0]}, {focal[1]}]\n{rest}", encoding="utf-8")
    run = xnwl("batch", "--month", MONTH, root=root)
    assert run.code == 0, run.text
    return root


def index(root: Path) -> dict:
    return json.loads((root / "output" / MONTH / "posters" / "index.json").read_text(encoding="utf-8"))


def test_every_format_of_a_route_with_a_photo_is_drawn_on_it(built: Path) -> None:
    entries = index(built)["posters"]
    for route_id in ("tongshan-cool", "xianan-hotspring"):
        mine = [e for e in entries if e["subject"] == f"route-{route_id}"]
        assert {e["format"] for e in mine} == {"9x16", "3x4", "900x383", "500x500"}, route_id
        for entry in mine:
            assert entry["photo"] is True and entry["file"].endswith(".jpg"), entry["file"]
            limit = 500_000 if "-cover-" in entry["file"] else 1_000_000
            assert entry["bytes"] < limit
            if entry["format"] in ("9x16", "3x4"):
                assert any(t["field"] == "credit" for t in entry["texts"]), entry["file"]


def test_text_over_photos_is_measured_legible(built: Path) -> None:
    """Every text box over a real photograph reaches WCAG contrast (4.5:1, 3:1 for large text), measured
    against the worst pixel under it; where the template's scrim was not enough, a stronger one was laid."""
    photo_entries = [e for e in index(built)["posters"] if e["photo"]]
    assert len(photo_entries) >= 8
    for entry in photo_entries:
        for text in entry["texts"]:
            assert text["contrast"] >= text["required"], (entry["file"], text)
            if not text["logo"] and text["required"] == 4.5:
                assert text["contrast"] >= 4.5
            assert not (text["shortened"] and not text["optional"]), (entry["file"], text)


def test_photo_first_the_upper_photo_stays_clear(built: Path) -> None:
    """On the 9:16 and 3:4 posters the text sits at the foot of the photo: above it, the photograph shows
    almost untouched (only a light shade at the very top for the kicker)."""
    folder = built / "output" / MONTH
    for fmt, size in (("9x16", (1080, 1920)), ("3x4", (1080, 1440))):
        entry = next(e for e in index(built)["posters"] if e["subject"] == "route-tongshan-cool" and e["format"] == fmt)
        texts = [t for t in entry["texts"] if t["field"] in ("title_main", "title_sub", "summary")]
        text_top = min(t["box"][1] for t in texts)
        band = (190, text_top - 40)
        assert band[1] - band[0] >= 150, (fmt, band)
        poster = np.asarray(Image.open(folder / entry["file"]).convert("RGB"), np.float64)
        plain = np.asarray(photo.cover(wallpaper("BytheWater"), size, (0.5, 0.5)), np.float64)
        top = poster[band[0]:band[1]]
        clear = top[:, :, :].mean(axis=2)
        original = plain[band[0]:band[1]].mean(axis=2)
        # the upper band is the photograph, at most lightly shaded (the scrim fades in lower down)
        assert float(np.abs(clear - original).mean()) < 40, fmt
        assert float(np.corrcoef(clear.ravel(), original.ravel())[0, 1]) > 0.9, fmt


def test_focal_point_crops_real_photographs(tmp_path: Path) -> None:
    source = wallpaper("Path")
    with Image.open(source) as image:
        full = image.convert("RGB")
    w, h = full.size  # 2560×1440, landscape: a portrait poster takes a vertical slice
    scale = 1920 / h
    width = round(w * scale)
    resized = np.asarray(full.resize((width, 1920), Image.Resampling.BICUBIC), np.float64)
    for fx, expected_left in ((0.0, 0), (1.0, width - 1080), (0.5, (width - 1080) // 2)):
        crop = np.asarray(photo.cover(source, (1080, 1920), (fx, 0.5)), np.float64)
        reference = resized[:, expected_left:expected_left + 1080]
        assert crop.shape == reference.shape
        assert float(np.abs(crop - reference).mean()) < 6, fx  # the same slice (JPEG draft decoding aside)
    left = np.asarray(photo.cover(source, (1080, 1920), (0.0, 0.5)), np.float64)
    right = np.asarray(photo.cover(source, (1080, 1920), (1.0, 0.5)), np.float64)
    assert float(np.abs(left - right).mean()) > 10  # different parts of the photograph
