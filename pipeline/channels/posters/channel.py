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

from PIL import Image as PILImage

from pipeline import output
from pipeline.articles import cover_files, month_articles, poster_subjects
from pipeline.channels import ChannelContext
from pipeline.channels.posters import encode, fontset, layout
from pipeline.channels.posters.context import Builder, Subject
from pipeline.channels.posters.photo import PhotoError
from pipeline.content.model import Image
from pipeline.content.problems import Problem, UserError
from pipeline.fingerprint import Fingerprinter, code_digest
from pipeline.outcache import OutputCache
from pipeline.state import cache_dir
from pipeline.urls import tagged_url

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

POSTER_FOLDER = "posters"


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
    spec: layout.PosterSpec
    sources: dict[str, str]
    jpeg_only: bool
    limit: int
    qr_url: str | None


@dataclass
class Result:
    job: Job
    data: bytes = b""
    ext: str = ""
    drawn: dict[str, Any] = field(default_factory=dict)
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # field, value, expected


def workers() -> int:
    value = os.environ.get("XNWL_POSTER_WORKERS", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    return os.cpu_count() or 1


def render(ctx: ChannelContext) -> None:
    # Posters drawn by this month's last batch from the very same inputs are taken from it, not drawn again;
    # the others start drawing in the workers as soon as each is planned, while the rest are being planned.
    cache = OutputCache(cache_dir(ctx.config.root) / f"posters-{ctx.plan.month}.marshal", ctx.output_root / str(ctx.plan.month))
    keyer = _Keys()
    count = workers()
    pool: ProcessPoolExecutor | None = None  # started with the first poster to draw (none when all are reused)
    pending: list[Result | Future[Result] | None] = []
    keys: list[str | None] = []

    def start(job: Job) -> None:
        nonlocal pool
        key = keyer.of(job)
        keys.append(key)
        extra = cache.reusable(job.path, key)
        if extra is not None:
            pending.append(Result(job, (cache.folder / extra["file"]).read_bytes(), extra["ext"], extra["drawn"]))
        else:
            from pipeline.channels.posters import draw  # noqa: F401 - only when one is drawn; workers fork with it

            if pool is None and count > 1:
                from concurrent.futures import ProcessPoolExecutor

                pool = ProcessPoolExecutor(max_workers=count, initializer=fontset.preload)
            pending.append(pool.submit(render_job, job) if pool is not None else None)

    try:
        jobs = plan_jobs(ctx, start)
        fontset.remember_coverage(cache_dir(ctx.config.root))
        check_glyphs(jobs)
        if pool is None and None in pending:
            fontset.preload()
        results = [r if isinstance(r, Result) else r.result() if r is not None else render_job(job)
                   for job, r in zip(jobs, pending)]
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    problems = [Problem(f"海报 {r.job.path}", _field_label(r.job, name), value or None, expected)
                for r in results for name, value, expected in r.problems]
    if problems:
        raise UserError(f"海报生成失败：{len(problems)} 处问题，请按提示修改后重试（output/ 未改动）。", problems)
    entries = []
    for result, key in zip(results, keys):
        rel = result.job.path if result.job.path.endswith(f".{result.ext}") else f"{result.job.path}.{result.ext}"
        output.write_bytes(ctx.out / rel, result.data)
        cache.record(result.job.path, key, hashlib.sha256(result.data).hexdigest(),
                     {"file": rel, "ext": result.ext, "drawn": result.drawn})
        entries.append({"file": rel, "subject": result.job.subject, "kind": result.job.kind,
                        "format": result.job.format, "size": list(FORMATS[result.job.format].size),
                        "bytes": len(result.data), **result.drawn})
    index = {"month": str(ctx.plan.month), "posters": sorted(entries, key=lambda e: e["file"])}
    output.write_bytes(ctx.out / POSTER_FOLDER / "index.json", output.json_bytes(index))
    cache.save()


class _Keys:
    """Fingerprint of what a poster is drawn from: its layers, encoding limits, QR, photos' bytes, the code
    (with the bundled fonts). Photos are read by path when drawn, so their bytes are part of the key."""

    def __init__(self) -> None:
        self.fingerprints = Fingerprinter(code_digest(), "posters")
        self.photos: dict[str, str] = {}

    def of(self, job: Job) -> str | None:
        sources = sorted(_photo_sources(job.spec.layers))
        for src in sources:
            if src not in self.photos:
                try:
                    self.photos[src] = hashlib.sha256(Path(src).read_bytes()).hexdigest()
                except OSError:
                    self.photos[src] = "unreadable"
        return self.fingerprints.of(job.spec, job.jpeg_only, job.limit, job.qr_url,
                                    [(src, self.photos[src]) for src in sources])


def _photo_sources(value: Any) -> set[str]:
    """The photo files a layer (or the layers inside it) draws."""
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


def plan_jobs(ctx: ChannelContext, on_job: Callable[[Job], None] = lambda job: None) -> list[Job]:
    """Every poster of the month, each handed to on_job as soon as it is planned."""
    from pipeline.channels.posters.layoutcache import Layouts

    builder = Builder(ctx.config, ctx.content, ctx.plan)
    env = layout.environment(ctx.config.root)
    layouts = Layouts(ctx.config.root)
    jobs: list[Job] = []
    errors: list[Problem] = []

    def add(path: str, slug: str, subject: Subject, kind: str, fmt: Format, page: str) -> None:
        values = dict(subject.values)
        values["canvas"] = {"w": fmt.size[0], "h": fmt.size[1], "format": fmt.key}
        values["photo"] = _photo(subject.photo, fmt, ctx, path)
        url = tagged_url(ctx.config.url(page), fmt.channel) if fmt.channel else None
        values["qr_url"] = url
        try:
            spec = layouts.build(env, fmt.template, values)
        except layout.LayoutError as exc:
            errors.append(Problem(f"海报 {path}", "模板", None, str(exc)))
            return
        if (spec.width, spec.height) != fmt.size:
            errors.append(Problem(f"海报 {path}", "模板", None,
                                  f"{spec.template} 的 size 应为 {fmt.size[0]}×{fmt.size[1]}"))
            return
        sources = dict(subject.sources)
        if values["photo"] is not None:
            sources["photo"] = f"content/images/{values['photo']['file']}"
            sources["credit"] = f"{sources['photo']} 的 credit"
        jobs.append(Job(path, slug, kind, fmt.key, spec, sources, fmt.cover or values["photo"] is not None,
                        encode.COVER_LIMIT if fmt.cover else encode.POSTER_LIMIT, url))
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


def _photo(image: Image | None, fmt: Format, ctx: ChannelContext, path: str) -> dict[str, Any] | None:
    if image is None:
        return None
    try:
        with PILImage.open(image.path) as probe:
            w, h = probe.size
            if probe.getexif().get(0x0112) in (5, 6, 7, 8):  # EXIF rotates it by 90°
                w, h = h, w
    except Exception:  # noqa: BLE001 - a broken or oversized file is reported, clearly, when drawn
        w, h = fmt.size
    if max(fmt.size[0] / w, fmt.size[1] / h) > MAX_PHOTO_UPSCALE:
        ctx.warnings.append(f"海报 {path}：图片 content/images/{image.src} 只有 {w}×{h} 像素，放大到 "
                            f"{fmt.size[0]}×{fmt.size[1]} 会模糊，已改用设计背景。")
        return None
    return {"src": str(image.path), "focal_x": image.focal[0], "focal_y": image.focal[1], "credit": image.credit,
            "alt": image.alt, "file": image.src}


def check_glyphs(jobs: list[Job]) -> None:
    """Every character a poster draws must be in the bundled font: never tofu."""
    problems: list[Problem] = []
    for job in jobs:
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
    result.drawn = {"qr": qr_info, "photo": drawn.photo, "texts": [t.to_json() for t in drawn.texts]}
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
