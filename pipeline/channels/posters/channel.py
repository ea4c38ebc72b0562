"""The 海报 channel: WeChat covers and 9:16 / 3:4 posters for the month, written to posters/.

Templates are rendered to layer lists here (in the batch process), glyphs are checked against the
bundled fonts' cmaps, then the posters are drawn in parallel, one worker process per core. Every poster
is laid out and drawn afresh on every run: nothing is kept between runs or between calls.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from pipeline import output
from pipeline.articles import cover_files, month_articles, poster_subjects
from pipeline.channels.posters import draw, encode, fontset, layout, photo
from pipeline.channels.posters.context import Builder, Subject
from pipeline.config import Config
from pipeline.content.model import Content, Image
from pipeline.content.problems import Problem, UserError
from pipeline.plan import MonthPlan
from pipeline.urls import tagged_url

if TYPE_CHECKING:
    from pipeline.channels import ChannelContext

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
    """Lay out and draw every poster and cover of the month into ctx.out/posters/ with its index.json;
    raises UserError listing every problem (nothing is written then)."""
    jobs = plan_jobs(ctx.config, ctx.content, ctx.plan, ctx.warnings)
    check_glyphs(jobs)
    results = run_jobs(jobs, workers(), ctx.progress)
    problems = [Problem(f"海报 {r.job.path}", _field_label(r.job, name), value or None, expected)
                for r in results for name, value, expected in r.problems]
    if problems:
        raise UserError(f"海报生成失败：{len(problems)} 处问题，请按提示修改后重试（output/ 未改动）。", problems)
    entries = []
    for result in results:
        rel = result.job.path if result.job.path.endswith(f".{result.ext}") else f"{result.job.path}.{result.ext}"
        output.write_bytes(ctx.out / rel, result.data)
        entries.append({"file": rel, "subject": result.job.subject, "kind": result.job.kind,
                        "format": result.job.format, "size": list(FORMATS[result.job.format].size),
                        "bytes": len(result.data), **result.drawn})
    index = {"month": str(ctx.plan.month), "posters": sorted(entries, key=lambda e: e["file"])}
    output.write_bytes(ctx.out / INDEX, output.json_bytes(index))


def _field_label(job: Job, name: str) -> str:
    source = job.sources.get(name)
    return f"{name}（{source}）" if source else name


def plan_jobs(config: Config, content: Content, plan: MonthPlan, warnings: list[str]) -> list[Job]:
    """Every poster of the month, laid out (its template rendered and checked into layers); a photo too small
    to use is left out with a warning."""
    builder = Builder(config, content, plan)
    env = layout.environment(config.root)
    jobs: list[Job] = []
    errors: list[Problem] = []

    def add(path: str, slug: str, subject: Subject, kind: str, fmt: Format, page: str) -> None:
        values = dict(subject.values)
        values["canvas"] = {"w": fmt.size[0], "h": fmt.size[1], "format": fmt.key}
        values["photo"] = _photo(subject.photo, fmt, warnings, path)
        url = tagged_url(config.url(page), fmt.channel) if fmt.channel else None
        values["qr_url"] = url
        sources = dict(subject.sources)
        if values["photo"] is not None:
            sources["photo"] = f"content/images/{values['photo']['file']}"
            sources["credit"] = f"{sources['photo']} 的 credit"
        try:
            spec = layout.build(env, fmt.template, values)
        except layout.LayoutError as exc:
            errors.append(Problem(f"海报 {path}", "模板", None, str(exc)))
            return
        if (spec.width, spec.height) != fmt.size:
            errors.append(Problem(f"海报 {path}", "模板", None,
                                  f"{spec.template} 的 size 应为 {fmt.size[0]}×{fmt.size[1]}"))
            return
        jobs.append(Job(path, slug, kind, fmt.key, spec, sources, fmt.cover or values["photo"] is not None,
                        encode.COVER_LIMIT if fmt.cover else encode.POSTER_LIMIT, url))

    for article in month_articles(plan):
        subject = builder.for_article(article)
        for key, rel in cover_files(article).items():
            add(rel, article.slug, subject, article.kind, FORMATS[key], article.page)
    for poster in poster_subjects(plan):
        subject = builder.for_subject(poster)
        for key in ("9x16", "3x4"):
            add(f"{POSTER_FOLDER}/{poster.slug}-{key}", poster.slug, subject, poster.kind, FORMATS[key], poster.page)
    if errors:
        raise UserError(f"海报模板有 {len(errors)} 处问题。", errors)
    return jobs


def _photo(image: Image | None, fmt: Format, warnings: list[str], path: str) -> dict[str, Any] | None:
    if image is None:
        return None
    size = _photo_size(image.path)
    w, h = size if size is not None else fmt.size  # a broken or oversized file is reported, clearly, when drawn
    if max(fmt.size[0] / w, fmt.size[1] / h) > MAX_PHOTO_UPSCALE:
        warnings.append(f"海报 {path}：图片 content/images/{image.src} 只有 {w}×{h} 像素，放大到 "
                            f"{fmt.size[0]}×{fmt.size[1]} 会模糊，已改用设计背景。")
        return None
    return {"src": str(image.path), "focal_x": image.focal[0], "focal_y": image.focal[1], "credit": image.credit,
            "alt": image.alt, "file": image.src}


def _photo_size(path: Path) -> tuple[int, int] | None:
    """The photo's size as shown (EXIF may rotate it by 90°); None when it cannot be read."""
    from PIL import Image as PILImage

    try:
        with PILImage.open(path) as probe:
            w, h = probe.size
            if probe.getexif().get(0x0112) in (5, 6, 7, 8):
                w, h = h, w
    except Exception:  # noqa: BLE001
        return None
    return (w, h)


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
    result = Result(job)
    try:
        drawn = draw.render(job.spec)
    except draw.DrawProblem as exc:
        result.problems.append((exc.field, exc.value, exc.expected))
        return result
    except photo.PhotoError as exc:
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


def run_jobs(jobs: list[Job], count: int,
             progress: Callable[[int, int], None] = lambda done, total: None) -> list[Result]:
    """Every job drawn, in order; in worker processes (fonts loaded once in each) when there is more than one
    core and more than one job."""
    total = len(jobs)
    if count <= 1 or total <= 1:
        results = []
        for job in jobs:
            results.append(render_job(job))
            progress(len(results), total)
        return results
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=min(count, total)) as pool:
        results = []
        for result in pool.map(render_job, jobs, chunksize=1):
            results.append(result)
            progress(len(results), total)
        return results
