"""The `images:` field: each file must be a real image inside content/images/, reached without links."""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

from pipeline.content.fields import Fields
from pipeline.content.model import Image

IMAGE_FOLDER = "content/images"
_ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}


def read_images(f: Fields, root: Path, inputs: dict[str, str]) -> tuple[Image, ...]:
    images: list[Image] = []
    for index, item in enumerate(f.items("images", required=False)):
        i = f.nested("images", index, item)
        if i is None:
            continue
        i.check_known(("src", "alt", "credit", "focal"))
        src = i.text("src")
        alt = i.text("alt", max_len=120)
        credit = i.text("credit", max_len=60)
        focal = _focal(i)
        path = _image_path(i, root, src) if src else None
        if path is not None and alt and credit:
            inputs[f"{IMAGE_FOLDER}/{src}"] = hashlib.sha256(path.read_bytes()).hexdigest()
            images.append(Image(src, path, alt, credit, focal))
    return tuple(images)


def _focal(i: Fields) -> tuple[float, float]:
    value = i.data.get("focal")
    if value is None:
        return (0.5, 0.5)
    if (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1 for v in value)):
        return (float(value[0]), float(value[1]))
    i.bad("focal", value, "应为 [x, y]，两个 0 到 1 之间的数（画面焦点，0.5 为居中）")
    return (0.5, 0.5)


def _image_path(i: Fields, root: Path, src: str) -> Path | None:
    pure = PurePosixPath(src)
    if "\\" in src or pure.is_absolute() or src.startswith("~") or (len(src) > 1 and src[1] == ":"):
        i.bad("src", src, f"应为 {IMAGE_FOLDER}/ 下的相对路径，不能是绝对路径")
        return None
    if ".." in pure.parts:
        i.bad("src", src, f"不能用“..”离开 {IMAGE_FOLDER}/")
        return None
    folder = root / IMAGE_FOLDER
    path = folder.joinpath(*pure.parts)
    # Walk every component so that a link anywhere on the way is refused, not only at the end.
    current = folder
    if folder.is_symlink():
        i.bad("src", src, f"{IMAGE_FOLDER}/ 本身是链接，不允许")
        return None
    for part in pure.parts:
        current = current / part
        if current.is_symlink():
            i.bad("src", src, "图片路径中含有链接（symlink），请放入真实文件")
            return None
    if not path.is_file():
        i.bad("src", src, f"图片文件不存在：{IMAGE_FOLDER}/{src}")
        return None
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        i.bad("src", src, f"图片必须位于 {IMAGE_FOLDER}/ 之内")
        return None
    problem = image_problem(path)
    if problem:
        i.bad("src", src, problem)
        return None
    return path


def image_problem(path: Path) -> str | None:
    """Why this file is not a usable image, or None."""
    from PIL import Image as PILImage  # imported lazily: most runs have no images

    try:
        with PILImage.open(path) as image:
            fmt = image.format
            image.verify()
        # verify() only checks the header and chunk structure; decode once so a truncated file is caught
        # here, with its name, rather than inside a channel.
        with PILImage.open(path) as image:
            image.load()
    except PILImage.DecompressionBombError:
        return "图片像素过多（疑似解压炸弹），请缩小后再用"
    except Exception:  # Pillow raises many types for broken files
        return "不是可读取的图片文件（文件损坏或格式不对）"
    if fmt not in _ALLOWED_FORMATS:
        return f"图片格式 {fmt} 不支持，请用 JPEG、PNG 或 WebP"
    return None
