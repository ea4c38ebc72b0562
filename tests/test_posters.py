"""The 海报 channel end to end: every size, decodable QR codes, fonts, contrast, photos, determinism."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import segno
import zxingcpp
from PIL import Image

from conftest import REPO, snapshot, xnwl
from pipeline.articles import cover_files, month_articles, poster_subjects
from pipeline.channels.posters import contrast, fontset, photo, qr
from pipeline.config import load_config
from pipeline.content.load import load_content
from pipeline.plan import Month, make_plan

MONTH = "2027-04"
CHANNEL_TAGS = {"9x16": "pyq", "3x4": "xhs"}
SIZES = {"9x16": (1080, 1920), "3x4": (1080, 1440)}


def shipped_copy(target: Path) -> Path:
    """The shipped content (routes/, content/, xnwl.toml, templates/) in a folder of its own."""
    target.mkdir(parents=True)
    for name in ("routes", "content", "templates"):
        shutil.copytree(REPO / name, target / name)
    shutil.copy(REPO / "xnwl.toml", target / "xnwl.toml")
    return target


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = shipped_copy(tmp_path_factory.mktemp("shipped") / "site")
    run = xnwl("batch", "--month", MONTH, root=root)
    assert run.code == 0, run.text
    return root


def month_plan(root: Path):  # type: ignore[no-untyped-def]
    config = load_config(root)
    content, _ = load_content(root)
    return config, make_plan(content, Month.parse(MONTH), config.featured_per_month)


def index(root: Path) -> dict:
    return json.loads((root / "output" / MONTH / "posters" / "index.json").read_text(encoding="utf-8"))


def test_every_cover_and_poster_is_written_at_its_size(shipped: Path) -> None:
    config, plan = month_plan(shipped)
    folder = shipped / "output" / MONTH
    listed = {entry["file"]: entry for entry in index(shipped)["posters"]}
    for article in month_articles(plan):
        for key, rel in cover_files(article).items():
            path = folder / rel
            assert path.is_file(), rel
            assert path.stat().st_size < 500_000
            with Image.open(path) as image:
                assert image.format == "JPEG" and image.info.get("progressive") == 1
                assert f"{image.width}x{image.height}" == key
            assert rel in listed
    subjects = poster_subjects(plan)
    assert len(subjects) == 1 + len(plan.featured) + len(plan.events)
    for subject in subjects:
        for key, size in SIZES.items():
            found = sorted((folder / "posters").glob(f"{subject.slug}-{key}.*"))
            assert len(found) == 1, (subject.slug, key)
            path = found[0]
            assert path.suffix in (".jpg", ".png")
            assert path.stat().st_size < 1_000_000
            with Image.open(path) as image:
                assert image.size == size
                if image.format == "JPEG":
                    assert image.info.get("progressive") == 1
            entry = listed[f"posters/{path.name}"]
            assert entry["subject"] == subject.slug and entry["size"] == list(size)
    assert len(listed) == 2 * len(month_articles(plan)) + 2 * len(subjects)


def test_qr_codes_decode_to_the_page_with_the_channel_tag(shipped: Path) -> None:
    config, plan = month_plan(shipped)
    folder = shipped / "output" / MONTH
    entries = {e["file"]: e for e in index(shipped)["posters"]}
    checked = 0
    for subject in poster_subjects(plan):
        for key, tag in CHANNEL_TAGS.items():
            path = next((folder / "posters").glob(f"{subject.slug}-{key}.*"))
            expected = config.url(subject.page) + f"?from={tag}"
            with Image.open(path) as image:
                codes = zxingcpp.read_barcodes(image.convert("RGB"))
            assert [c.text for c in codes if c.format == zxingcpp.BarcodeFormat.QRCode] == [expected], path.name
            qr = entries[f"posters/{path.name}"]["qr"]
            assert qr["url"] == expected
            # Whole-pixel modules and a 4-module quiet zone: the drawn square is exactly (modules + 8) modules.
            modules = 17 + 4 * qr["version"]
            assert qr["box"][2] == (modules + 8) * qr["module_px"] and qr["quiet_zone_modules"] == 4
            checked += 1
    assert checked == 2 * len(poster_subjects(plan))


def test_a_qr_code_is_segnos_own_and_decodes_to_its_url() -> None:
    """The drawn code is the one segno makes with its own mask choice (error level M), module for module,
    and zxing-cpp reads the URL back from the picture, whichever of the eight masks segno chose."""
    urls = [f"https://wl.xianning.gov.cn/{path}?from={tag}" for path, tag in (
        ("routes/chadao-mufushan-tea-hills/", "pyq"), ("events/chibi-sanguo-festival-2027/", "xhs"),
        ("weekend/2027-04/", "pyq"), ("routes/tongshan-jiugongshan-cool-summer-two-days/", "xhs"),
        ("a" * 90, "pyq"), ("", "xhs"))]
    masks = set()
    for url in urls:
        code = qr.make(url, 240, (17, 17, 17), (255, 255, 255))
        theirs = segno.make_qr(url, error="m", boost_error=False)
        masks.add(theirs.mask)
        assert (code.version, code.modules) == (theirs.version, theirs.symbol_size(border=0)[0])
        total = code.modules + 2 * qr.QUIET_ZONE
        assert code.image.size == (total * code.module_px,) * 2
        # One pixel from the middle of each module is that module of segno's matrix (quiet zone included).
        middle = np.asarray(code.image.convert("L"))[code.module_px // 2::code.module_px, code.module_px // 2::code.module_px]
        assert ((middle < 128) == np.array(list(theirs.matrix_iter(scale=1, border=qr.QUIET_ZONE)), bool)).all(), url
        decoded = zxingcpp.read_barcodes(code.image)
        assert [c.text for c in decoded if c.format == zxingcpp.BarcodeFormat.QRCode] == [url]
    assert len(masks) > 1  # more than one of segno's choices is checked


def test_every_text_box_passes_contrast_and_minimum_size(shipped: Path) -> None:
    for entry in index(shipped)["posters"]:
        width = entry["size"][0]
        assert entry["texts"], entry["file"]
        for text in entry["texts"]:
            assert text["contrast"] >= text["required"], (entry["file"], text)
            if not text["logo"]:
                assert text["size"] >= contrast.min_size(width) - 1e-9, (entry["file"], text)


def test_index_says_for_every_text_box_whether_it_was_shortened(shipped: Path) -> None:
    """No fact (a box the template does not allow to shorten) is ever cut; each box records its place."""
    for entry in index(shipped)["posters"]:
        assert isinstance(entry["variant"], int) and isinstance(entry["dropped"], list), entry["file"]
        for text in entry["texts"]:
            assert isinstance(text["shortened"], bool) and isinstance(text["optional"], bool), (entry["file"], text)
            assert not (text["shortened"] and not text["optional"]), (entry["file"], text)
            x0, y0, x1, y1 = text["box"]
            assert 0 <= x0 < x1 <= entry["size"][0] and 0 <= y0 < y1 <= entry["size"][1], (entry["file"], text)
        assert entry["shortened"] == sum(t["shortened"] for t in entry["texts"]) + len(entry["dropped"])


def test_tentative_events_say_date_unknown(shipped: Path) -> None:
    _, plan = month_plan(shipped)
    tentative = [e for e in plan.events if e.tentative]
    assert tentative
    entries = {e["file"]: e for e in index(shipped)["posters"]}
    for event in tentative:
        for key in SIZES:
            entry = next(v for k, v in entries.items() if k.startswith(f"posters/event-{event.id}-{key}."))
            assert any(t["field"] == "status" for t in entry["texts"]), entry["file"]


def test_no_character_of_the_shipped_content_is_missing_from_the_fonts() -> None:
    content, _ = load_content(REPO)
    config = load_config(REPO)
    texts = [config.brand_name, config.brand_short_name, config.site_title]
    for route in content.routes.values():
        texts += [route.title, route.summary, route.body, route.from_wuhan.rail or "", route.from_wuhan.drive or ""]
        texts += [s.name + (s.note or "") + (s.stay or "") for s in route.stops]
    for event in content.events.values():
        texts += [event.title, event.summary, event.venue, event.body]
    for guide in content.guides.values():
        texts += [guide.title, guide.body] + [p.reason for p in guide.picks]
    texts += [t.name + t.description for t in content.themes.values()]
    texts += [c.name + c.description for c in content.counties.values()]
    templates = "".join(p.read_text(encoding="utf-8") for p in (REPO / "templates" / "posters").glob("*.j2"))
    texts.append("".join(ch for ch in templates if ord(ch) > 0x2E80))
    for weight in fontset.WEIGHTS:
        missing = {ch for text in texts for ch in fontset.missing_chars(text, weight)}
        assert not missing, (weight, sorted(missing))
    assert "簰" not in fontset.missing_chars("簰洲湾", "regular")


def test_bundled_fonts_are_the_simplified_chinese_face_with_their_license() -> None:
    from fontTools.ttLib import TTFont

    for path in fontset.FONT_FILES.values():
        with TTFont(path, lazy=True) as face:
            assert face["name"].getDebugName(1) == "Noto Sans CJK SC"
        assert path.stat().st_size < 4_000_000
    license_text = (fontset.FONT_DIR / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in license_text


def _with_photo(root: Path) -> Path:
    """Give the fixture's featured route a real-sized photo stored sideways with EXIF orientation 6."""
    display = Image.new("RGB", (2400, 1800), (40, 120, 60))
    display.paste((235, 235, 230), (0, 0, 2400, 700))  # bright sky where the title goes
    raw = display.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    raw.save(root / "content" / "images" / "valley.jpg", quality=90, exif=exif)
    route = root / "routes" / "tongshan-cool.md"
    text = route.read_text(encoding="utf-8")
    assert "images: []" in text
    route.write_text(text.replace("images: []", "images:\n  - src: valley.jpg\n    alt: 山谷\n"
                                  "    credit: 通山县文旅局\n    focal: [0.5, 0.3]", 1), encoding="utf-8")
    return root


def test_same_inputs_give_byte_identical_posters_whatever_the_worker_count(tree: Path, tmp_path: Path) -> None:
    _with_photo(tree)
    twin = tmp_path / "twin"
    shutil.copytree(tree, twin)
    assert xnwl("batch", "--month", MONTH, root=tree).code == 0
    run = xnwl("batch", "--month", MONTH, root=twin, env={"XNWL_POSTER_WORKERS": "1"})
    assert run.code == 0, run.text
    first = snapshot(tree / "output" / MONTH / "posters")
    assert first == snapshot(twin / "output" / MONTH / "posters")
    entry = next(e for e in index(tree)["posters"] if e["file"].startswith("posters/route-tongshan-cool-9x16."))
    assert entry["photo"] is True and entry["file"].endswith(".jpg")
    assert any(t["field"] == "credit" for t in entry["texts"])


def test_photo_exif_orientation_and_focal_point(tmp_path: Path) -> None:
    display = Image.new("RGB", (400, 200), (0, 0, 255))
    display.paste((255, 0, 0), (0, 0, 100, 200))  # red strip on the left of what the camera saw
    raw = display.transpose(Image.Transpose.ROTATE_90)  # stored sideways
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "sideways.jpg"
    raw.save(path, quality=95, exif=exif)
    left = photo.cover(path, (100, 100), (0.0, 0.5))
    right = photo.cover(path, (100, 100), (1.0, 0.5))
    assert left.size == right.size == (100, 100)
    assert left.getpixel((20, 50))[0] > 200  # focal on the left: the red strip (upright, not rotated)
    assert right.getpixel((20, 50))[2] > 200  # focal on the right: blue


def test_decompression_bomb_and_broken_photos_are_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    Image.new("1", (10_000, 9_500)).save(bomb)  # 95 MP of nothing: a few KB on disk
    with pytest.raises(photo.PhotoError, match="像素过多"):
        photo.cover(bomb, (1080, 1920), (0.5, 0.5))
    good = io.BytesIO()
    Image.new("RGB", (1200, 1200), (10, 20, 30)).save(good, "JPEG")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(good.getvalue()[:300])
    with pytest.raises(photo.PhotoError, match="无法读取"):
        photo.cover(broken, (1080, 1920), (0.5, 0.5))


def test_a_broken_photo_fails_the_batch_naming_poster_and_file(tree: Path) -> None:
    _with_photo(tree)
    path = tree / "content" / "images" / "valley.jpg"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])  # truncated: the header still opens
    run = xnwl("batch", "--month", MONTH, root=tree)
    assert run.code == 1
    assert "Traceback" not in run.text
    assert "valley.jpg" in run.err
    assert not (tree / "output" / MONTH).exists()


def _batch_with_route_title(tree: Path, title: str):  # type: ignore[no-untyped-def]
    """Run the batch after giving the featured fixture route another title; it must fail cleanly."""
    route = tree / "routes" / "tongshan-cool.md"
    route.write_text(route.read_text(encoding="utf-8").replace("title: 九宫山避暑", f"title: {title}", 1),
                     encoding="utf-8")
    run = xnwl("batch", "--month", MONTH, root=tree)
    assert run.code == 1, run.text
    assert "Traceback" not in run.text
    assert "posters/route-tongshan-cool-9x16" in run.err
    assert "title_main（routes/tongshan-cool.md · title）" in run.err
    assert not (tree / "output" / MONTH).exists()
    return run


def test_missing_glyph_fails_naming_character_field_and_poster(tree: Path) -> None:
    run = _batch_with_route_title(tree, "九宫山避暑龘")
    assert "“龘”（U+9F98）" in run.err


def test_text_that_may_not_be_shortened_fails_naming_poster_and_field(tree: Path) -> None:
    run = _batch_with_route_title(tree, "九宫山" + "云中湖畔清凉避暑慢行" * 4)
    assert "不允许省略" in run.err


def test_renderer_opens_no_font_outside_the_package(tree: Path) -> None:
    """In a child process, record every file opened while posters are drawn."""
    script = f"""
import sys
opened = []
sys.addaudithook(lambda event, args: opened.append(str(args[0])) if event == "open" and args and isinstance(args[0], str) else None)
from pathlib import Path
from pipeline.batch import run_batch
from pipeline.plan import Month
run_batch(Path({str(tree)!r}), Month.parse({MONTH!r}))
fonts = [p for p in opened if p.lower().endswith((".ttf", ".otf", ".ttc", ".otc", ".pcf", ".pil"))]
assert fonts, "no font was opened"
outside = [p for p in fonts if not p.startswith({str(fontset.FONT_DIR)!r})]
assert not outside, outside
print("ok", len(fonts))
"""
    env = {**os.environ, "PYTHONPATH": str(REPO), "XNWL_POSTER_WORKERS": "1"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok")


def _can_hide_system_fonts() -> bool:
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                            "mount -t tmpfs none /usr/share/fonts"], capture_output=True)
    return probe.returncode == 0


def test_a_machine_without_system_fonts_renders_the_same_posters(tree: Path, tmp_path: Path) -> None:
    if shutil.which("unshare") is None or not Path("/usr/share/fonts").is_dir() or not _can_hide_system_fonts():
        if os.environ.get("CI") == "true":
            pytest.fail("CI: cannot hide the system fonts (unshare --mount needs root)")
        pytest.skip("unshare --mount is not permitted here: cannot hide the system fonts")
    twin = tmp_path / "twin"
    shutil.copytree(tree, twin)
    assert xnwl("batch", "--month", MONTH, root=tree).code == 0
    hide = " && ".join(f"mount -t tmpfs none {d}" for d in ("/usr/share/fonts", "/usr/local/share/fonts", "/etc/fonts")
                       if Path(d).is_dir())
    command = (f"{hide} && test -z \"$(ls -A /usr/share/fonts)\" && "
               f"{sys.executable} -m pipeline --root {twin} batch --month {MONTH}")
    env = {**os.environ, "PYTHONPATH": str(REPO), "HOME": str(tmp_path)}
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", command],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert snapshot(tree / "output" / MONTH / "posters") == snapshot(twin / "output" / MONTH / "posters")
