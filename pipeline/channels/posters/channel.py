"""The 海报 channel: WeChat covers and 9:16 / 3:4 posters for the month, written to posters/.

Templates are rendered to layer lists here (in the batch process), glyphs are checked against the
bundled fonts' cmaps, then the posters are drawn in parallel, one worker process per core.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from pipeline import output
from pipeline.articles import cover_files, month_articles, poster_subjects
from pipeline.channels import ChannelContext
from pipeline.channels.memo import Memo
from pipeline.channels.posters import encode, fontset
from pipeline.channels.posters.context import Builder, Subject
from pipeline.content.model import Image
from pipeline.content.problems import Problem, UserError
from pipeline.fingerprint import Fingerprinter, code_digest
from pipeline.outcache import OutputCache, file_stat
from pipeline.state import cache_dir
from pipeline.urls import tagged_url

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

    from pipeline.channels.posters import layout

POSTER_FOLDER = "posters"
INDEX = f"{POSTER_FOLDER}/index.json"


@dataclass(frozen=True, slots=True)
class Format:
    key: str
    template: str
    size: tuple[int, int]
    channel: str | None  # QR channel tag; None: no QR (WeChat covers)
    cover: bool


FORMATS = {
    "9x16": Format("9x16", "story.yaml.j2", (1080, 1920), "pyq", False),  # 朋友圈 / 视频号
    "3x4": Format("3x4", "feed.yaml.j2", (1080, 1440), "xhs", False),  # 小红书
    "900x383": Format("900x383", "cover-wide.yaml.j2", (900, 383), None, True),
    "500x500": Format("500x500", "cover-square.yaml.j2", (500, 500), None, True),
}
# A photo is used only if it needs no more than this much enlarging; otherwise the designed background.
MAX_PHOTO_UPSCALE = 1.5


@dataclass(frozen=True)
class Job:
    path: str  # relative to the batch folder, without extension for posters whose format is chosen later
    subject: str
    kind: str
    format: str
    spec: layout.PosterSpec | None  # None: not laid out, the poster is taken from the last batch
    sources: dict[str, str]
    jpeg_only: bool
    limit: int
    qr_url: str | None
    layout: str | None = None  # fingerprint of what the layout is made from (Layouts.key); None: not reusable


@dataclass
class Result:
    job: Job
    data: bytes = b""
    ext: str = ""
    drawn: dict[str, Any] = field(default_factory=dict)
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # field, value, expected
    reused: dict[str, Any] | None = None  # the cache entry's extra of a poster taken from the last batch


def workers() -> int:
    value = os.environ.get("XNWL_POSTER_WORKERS", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    return os.cpu_count() or 1


def render(ctx: ChannelContext) -> None:
    # Posters drawn by this month's last batch from the very same inputs are taken from it, not laid out or
    # drawn again; the others start drawing in the workers as soon as each is planned, while the rest are
    # being planned.
    cache = OutputCache(cache_dir(ctx.config.root) / f"posters-{ctx.plan.month}.marshal", ctx.output_root / str(ctx.plan.month))
    keyer = _Keys(ctx.content)
    memo = Memo(ctx.config.root, "poster-inputs")
    count = workers()
    pool: ProcessPoolExecutor | None = None  # started with the first poster to draw (none when all are reused)
    pending: list[Result | Future[Result] | None] = []
    keys: list[str | None] = []

    def reuse(job: Job) -> bool:
        entry = cache.known.get(job.path)
        photos = entry[2].get("photos") if entry is not None and isinstance(entry[2], dict) else None
        if not isinstance(photos, list) or not all(isinstance(src, str) for src in photos):
            return False
        key = keyer.of(job, photos)
        extra = cache.reusable(job.path, key)
        if extra is None:
            return False
        keys.append(key)
        pending.append(Result(job, b"", extra["ext"], extra["drawn"], reused=extra))
        return True

    def start(job: Job) -> None:
        nonlocal pool
        assert job.spec is not None
        keys.append(keyer.of(job, sorted(_photo_sources(job.spec.layers))))
        from pipeline.channels.posters import draw  # noqa: F401 - only when one is drawn; workers fork with it

        if pool is None and count > 1:
            from concurrent.futures import ProcessPoolExecutor

            pool = ProcessPoolExecutor(max_workers=count, initializer=fontset.preload)
        pending.append(pool.submit(render_job, job) if pool is not None else None)

    try:
        jobs = plan_jobs(ctx, start, reuse, memo)
        if any(job.spec is not None for job in jobs):
            fontset.remember_coverage(cache_dir(ctx.config.root))
            check_glyphs(jobs)
        if pool is None and None in pending:
            fontset.preload()
        results = [r if isinstance(r, Result) else r.result() if r is not None else render_job(job)
                   for job, r in zip(jobs, pending)]
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    memo.save()
    problems = [Problem(f"海报 {r.job.path}", _field_label(r.job, name), value or None, expected)
                for r in results for name, value, expected in r.problems]
    if problems:
        raise UserError(f"海报生成失败：{len(problems)} 处问题，请按提示修改后重试（output/ 未改动）。", problems)
    entries = []
    for result, key in zip(results, keys):
        rel = result.job.path if result.job.path.endswith(f".{result.ext}") else f"{result.job.path}.{result.ext}"
        target = ctx.out / rel
        if result.reused is not None:
            digest = cache.current[result.job.path][1]  # reusable() checked the last batch's file has these bytes
            size = _link(cache.folder / result.reused["file"], target)
            photos = result.reused["photos"]
        else:
            output.write_bytes(target, result.data)
            digest, size = hashlib.sha256(result.data).hexdigest(), len(result.data)
            assert result.job.spec is not None
            photos = sorted(_photo_sources(result.job.spec.layers))
        cache.record(result.job.path, key, digest, {"file": rel, "ext": result.ext, "drawn": result.drawn,
                                                    "photos": photos, "stat": file_stat(target)})
        entries.append({"file": rel, "subject": result.job.subject, "kind": result.job.kind,
                        "format": result.job.format, "size": list(FORMATS[result.job.format].size),
                        "bytes": size, **result.drawn})
    index = {"month": str(ctx.plan.month), "posters": sorted(entries, key=lambda e: e["file"])}
    _write_index(cache, keyer.fingerprints.of("index", index), ctx.out / INDEX, index)
    cache.save()


def _write_index(cache: OutputCache, key: str | None, target: Path, index: dict[str, Any]) -> None:
    """posters/index.json; the last batch's file when it was written from the same entries (writing the JSON
    with indentation is pure Python, slower than fingerprinting the entries in C)."""
    extra = cache.reusable(INDEX, key)
    if extra is not None:
        digest = cache.current[INDEX][1]
        _link(cache.folder / INDEX, target)
    else:
        data = output.json_bytes(index)
        output.write_bytes(target, data)
        digest = hashlib.sha256(data).hexdigest()
    cache.record(INDEX, key, digest, {"stat": file_stat(target)})


def _link(source: Path, target: Path) -> int:
    """The last batch's file in the new batch folder, as a hard link (the old folder is deleted after the swap;
    nothing writes into a finished poster); a copy where links cannot be made. Returns its size."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        data = source.read_bytes()
        target.write_bytes(data)
        return len(data)
    return os.stat(target).st_size


class _Keys:
    """Fingerprint of what a poster is drawn from: its layout (the fingerprint of the code with the fonts, the
    poster templates and the template's values, from which the layers are a pure function), encoding limits,
    QR, and the bytes of the photos the layers draw (read by path when drawn). A poster taken from the last
    batch is keyed with the photos its layers drew then: the same layout fingerprint gives the same layers."""

    def __init__(self, content: Any) -> None:
        self.fingerprints = Fingerprinter(code_digest(), "posters")
        self.photos = photo_digests(content)

    def photo(self, src: str) -> str:
        digest = self.photos.get(src)
        if digest is None:
            try:
                digest = hashlib.sha256(Path(src).read_bytes()).hexdigest()
            except OSError:
                digest = "unreadable"
            self.photos[src] = digest
        return digest

    def of(self, job: Job, photos: list[str]) -> str | None:
        if job.layout is None:
            return None
        return self.fingerprints.of(job.layout, job.format, job.jpeg_only, job.limit, job.qr_url,
                                    [(src, self.photo(src)) for src in photos])


def photo_digests(content: Any) -> dict[str, str]:
    """sha256 of the photos the content names, by path: the loader has just hashed them, not done again here."""
    root = content.root
    return {str(root / item.path): item.sha256 for item in content.inputs
            if item.path.startswith("content/images/") and item.sha256}


def _photo_sources(value: Any) -> set[str]:
    """The photo files a layer (or the layers inside it) draws."""
    from pipeline.channels.posters import layout

    if isinstance(value, layout.Photo):
        return {value.src}
    if isinstance(value, (list, tuple)):
        return set().union(*(_photo_sources(v) for v in value)) if value else set()
    if isinstance(value, (layout.Stack, layout.PosterSpec)):
        return set().union(*(_photo_sources(getattr(value, f.name)) for f in dataclasses.fields(value)))
    return set()


def _field_label(job: Job, name: str) -> str:
    source = job.sources.get(name)
    return f"{name}（{source}）" if source else name


def plan_jobs(ctx: ChannelContext, on_job: Callable[[Job], None] = lambda job: None,
              reused: Callable[[Job], bool] = lambda job: False, memo: Memo | None = None) -> list[Job]:
    """Every poster of the month: each is first offered to reused(job) (before it is laid out); one it does not
    take is laid out and handed to on_job as soon as it is planned."""
    from pipeline.channels.posters.layoutcache import Layouts

    builder = Builder(ctx.config, ctx.content, ctx.plan, memo)
    layouts = Layouts(ctx.config.root)
    digests = photo_digests(ctx.content)
    jobs: list[Job] = []
    errors: list[Problem] = []

    def add(path: str, slug: str, subject: Subject, kind: str, fmt: Format, page: str) -> None:
        values = dict(subject.values)
        values["canvas"] = {"w": fmt.size[0], "h": fmt.size[1], "format": fmt.key}
        values["photo"] = _photo(subject.photo, fmt, ctx, path, memo, digests)
        url = tagged_url(ctx.config.url(page), fmt.channel) if fmt.channel else None
        values["qr_url"] = url
        sources = dict(subject.sources)
        if values["photo"] is not None:
            sources["photo"] = f"content/images/{values['photo']['file']}"
            sources["credit"] = f"{sources['photo']} 的 credit"
        key = layouts.key(fmt.template, values)
        job = Job(path, slug, kind, fmt.key, None, sources, fmt.cover or values["photo"] is not None,
                  encode.COVER_LIMIT if fmt.cover else encode.POSTER_LIMIT, url, key)
        if reused(job):
            layouts.keep(key)
            jobs.append(job)
            return
        from pipeline.channels.posters import layout

        try:
            spec = layouts.build(fmt.template, values, key)
        except layout.LayoutError as exc:
            errors.append(Problem(f"海报 {path}", "模板", None, str(exc)))
            return
        if (spec.width, spec.height) != fmt.size:
            errors.append(Problem(f"海报 {path}", "模板", None,
                                  f"{spec.template} 的 size 应为 {fmt.size[0]}×{fmt.size[1]}"))
            return
        jobs.append(dataclasses.replace(job, spec=spec))
        on_job(jobs[-1])

    for article in month_articles(ctx.plan):
        subject = builder.for_article(article)
        for key, rel in cover_files(article).items():
            add(rel, article.slug, subject, article.kind, FORMATS[key], article.page)
    for poster in poster_subjects(ctx.plan):
        subject = builder.for_subject(poster)
        for key in ("9x16", "3x4"):
            add(f"{POSTER_FOLDER}/{poster.slug}-{key}", poster.slug, subject, poster.kind, FORMATS[key], poster.page)
    if errors:
        raise UserError(f"海报模板有 {len(errors)} 处问题。", errors)
    layouts.save()
    return jobs


def _photo(image: Image | None, fmt: Format, ctx: ChannelContext, path: str, memo: Memo | None,
           digests: dict[str, str]) -> dict[str, Any] | None:
    if image is None:
        return None
    digest = digests.get(str(image.path))
    size = memo.get("photo-size", digest, lambda: _photo_size(image.path)) if memo and digest else _photo_size(image.path)
    w, h = size if size is not None else fmt.size  # a broken or oversized file is reported, clearly, when drawn
    if max(fmt.size[0] / w, fmt.size[1] / h) > MAX_PHOTO_UPSCALE:
        ctx.warnings.append(f"海报 {path}：图片 content/images/{image.src} 只有 {w}×{h} 像素，放大到 "
                            f"{fmt.size[0]}×{fmt.size[1]} 会模糊，已改用设计背景。")
        return None
    return {"src": str(image.path), "focal_x": image.focal[0], "focal_y": image.focal[1], "credit": image.credit,
            "alt": image.alt, "file": image.src}


def _photo_size(path: Path) -> tuple[int, int] | None:
    """The photo's size as shown (EXIF may rotate it by 90°); None when it cannot be read."""
    from PIL import Image as PILImage  # here: a batch whose posters are all reused need not load Pillow

    try:
        with PILImage.open(path) as probe:
            w, h = probe.size
            if probe.getexif().get(0x0112) in (5, 6, 7, 8):
                w, h = h, w
    except Exception:  # noqa: BLE001
        return None
    return (w, h)


def check_glyphs(jobs: list[Job]) -> None:
    """Every character a poster draws must be in the bundled font: never tofu. (A poster taken from the last
    batch passed this check then, with the same layers and fonts.)"""
    problems: list[Problem] = []
    for job in jobs:
        if job.spec is None:
            continue
        for name, text, weight in job.spec.texts():
            for ch in fontset.missing_chars(text, weight):
                problems.append(Problem(
                    f"海报 {job.path}", _field_label(job, name), text,
                    f"字体缺少字符“{ch}”（U+{ord(ch):04X}）：海报字体画不出这个字。请换用常用字，或把它加入 "
                    "pipeline/channels/posters/fonts/build_subset.py 的 EXTRA_CHARS 后重新生成字体"))
    if problems:
        raise UserError(f"海报字体缺字：{len(problems)} 处，请修改后重试（output/ 未改动）。", problems)


def render_job(job: Job) -> Result:
    from pipeline.channels.posters import draw
    from pipeline.channels.posters.photo import PhotoError

    assert job.spec is not None
    result = Result(job)
    try:
        drawn = draw.render(job.spec)
    except draw.DrawProblem as exc:
        result.problems.append((exc.field, exc.value, exc.expected))
        return result
    except PhotoError as exc:
        result.problems.append(("photo", "", str(exc)))
        return result
    try:
        result.data, result.ext = encode.encode(drawn.image, job.limit, job.jpeg_only)
    except encode.TooLarge as exc:
        result.problems.append(("file", "", f"文件过大：{exc}"))
        return result
    qr_info = drawn.qr
    if job.qr_url is not None and (qr_info is None or qr_info["url"] != job.qr_url):
        result.problems.append(("qr", job.qr_url, f"模板 {job.spec.template} 没有画出指向本页的二维码（qr 图层的 url 应为 qr_url）"))
    result.drawn = {"qr": qr_info, "photo": drawn.photo, "variant": drawn.variant, "dropped": drawn.dropped,
                    "shortened": sum(t.shortened for t in drawn.texts) + len(drawn.dropped),
                    "texts": [t.to_json() for t in drawn.texts]}
    return result


def run_jobs(jobs: list[Job], count: int) -> list[Result]:
    """Draw every job; in worker processes (fonts loaded once in each) when there is more than one core."""
    if not jobs:
        return []
    if count <= 1 or len(jobs) <= 1:
        fontset.preload()
        return [render_job(job) for job in jobs]
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(count, len(jobs)), initializer=fontset.preload) as pool:
        return list(pool.map(render_job, jobs, chunksize=1))
