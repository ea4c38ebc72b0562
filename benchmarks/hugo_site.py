"""Turn a content tree into an equivalent Hugo site, for `benchmarks/run.py --vs-hugo`.

The same pages as xnwl's site: one per route, per event and per monthly guide of the archive, the home
page, a paged list per section, per theme, per county and per event month (12 to a page, as xnwl does),
and index pages of themes, counties and months; the same Markdown bodies; one feed and a sitemap. The
templates are minimal equivalents of xnwl's (head, navigation, breadcrumbs, facts, stops, body, pager)
and do less than xnwl's (no maps, JSON-LD, pictures, calendar files), which only favours Hugo.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ARCHIVE_MONTHS = 12

CONFIG = """baseURL = "https://xnwl.example.com/"
languageCode = "zh-CN"
title = "咸宁文旅·周末好去处"
paginate = 12
enableRobotsTXT = true
disableHugoGeneratorInject = true

[outputs]
home = ["HTML", "RSS"]
section = ["HTML"]
taxonomy = ["HTML"]
term = ["HTML"]
page = ["HTML"]

[taxonomies]
theme = "themes"
county = "counties"
month = "months"
"""

BASEOF = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{ if .IsHome }}{{ site.Title }}{{ else }}{{ .Title }} · {{ site.Title }}{{ end }}</title>
<meta name="description" content="{{ with .Params.summary }}{{ . }}{{ else }}{{ site.Title }}{{ end }}">
<link rel="canonical" href="{{ .Permalink }}">
<meta property="og:title" content="{{ .Title }}">
<meta property="og:url" content="{{ .Permalink }}">
<link rel="stylesheet" href="{{ "site.css" | relURL }}">
</head>
<body>
<header class="top"><a class="brand" href="{{ "/" | relURL }}">咸宁文旅</a>
<nav class="nav"><a href="{{ "weekend/" | relURL }}">周末</a> <a href="{{ "routes/" | relURL }}">线路</a> <a href="{{ "events/" | relURL }}">活动</a> <a href="{{ "counties/" | relURL }}">县市区</a></nav></header>
{{ if not .IsHome }}<nav class="crumbs"><ol><li><a href="{{ "/" | relURL }}">首页</a></li>{{ with .Parent }}{{ if not .IsHome }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}{{ end }}<li aria-current="page">{{ .Title }}</li></ol></nav>{{ end }}
<main id="main">
{{ block "main" . }}{{ end }}
</main>
<footer class="foot"><p><strong>香城泉都 康养咸宁</strong></p><p><a href="{{ "index.xml" | relURL }}">订阅更新</a></p></footer>
</body>
</html>
"""

SINGLE = """{{ define "main" }}
<article>
<header class="hero"><h1>{{ .Title }}</h1><p>{{ .Params.summary }}</p></header>
<dl class="facts">
{{ with .Params.days }}<div><dt>行程</dt><dd>{{ . }} 天</dd></div>{{ end }}
{{ with .Params.best_months }}<div><dt>适宜月份</dt><dd>{{ delimit . "、" }} 月</dd></div>{{ end }}
{{ with .Params.start }}<div><dt>时间</dt><dd>{{ . }}{{ with $.Params.end }} 至 {{ . }}{{ end }}</dd></div>{{ end }}
{{ with .Params.venue }}<div><dt>地点</dt><dd>{{ . }}</dd></div>{{ end }}
{{ with .GetTerms "counties" }}<div><dt>县市区</dt><dd>{{ range $i, $t := . }}{{ if $i }}、{{ end }}<a href="{{ $t.RelPermalink }}">{{ $t.LinkTitle }}</a>{{ end }}</dd></div>{{ end }}
</dl>
{{ with .Params.stops }}<section><h2>行程安排</h2><ol class="timeline">
{{ range $i, $s := . }}<li><h3><span class="num">{{ add $i 1 }}</span>{{ $s.name }}</h3><p class="meta">{{ $s.kind }} · {{ $s.county }}{{ with $s.stay }} · 建议停留：{{ . }}{{ end }}</p>{{ with $s.note }}<p>{{ . }}</p>{{ end }}</li>
{{ end }}</ol></section>{{ end }}
{{ with .Params.from_wuhan }}<section><h2>从武汉出发</h2><dl class="go">{{ with .rail }}<dt>铁路</dt><dd>{{ . }}</dd>{{ end }}{{ with .drive }}<dt>自驾</dt><dd>{{ . }}</dd>{{ end }}</dl></section>{{ end }}
{{ with .Params.picks }}<section><h2>本月推荐</h2><ul>{{ range . }}<li>{{ .reason }}</li>{{ end }}</ul></section>{{ end }}
<section class="prose"><h2>详情</h2>
{{ .Content }}
</section>
</article>
<nav class="pager">{{ with .PrevInSection }}<a rel="prev" href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}{{ with .NextInSection }}<a rel="next" href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</nav>
{{ end }}
"""

LIST = """{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul class="cards">
{{ range .Paginator.Pages }}<li class="card"><a href="{{ .RelPermalink }}"><h3>{{ .Title }}</h3></a><p>{{ .Params.summary }}</p></li>
{{ end }}</ul>
{{ if gt .Paginator.TotalPages 1 }}<nav class="paging">{{ range .Paginator.Pagers }}<a href="{{ .URL }}">第{{ .PageNumber }}页</a> {{ end }}</nav>{{ end }}
{{ end }}
"""

TERMS = """{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul>{{ range .Data.Terms.ByCount }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a>（{{ .Count }}）</li>{{ end }}</ul>
{{ end }}
"""

HOME = """{{ define "main" }}
<h1>{{ site.Title }}</h1>
<section><h2>周末好去处</h2><ul>{{ range first 12 (where site.RegularPages "Section" "weekend") }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul></section>
<section><h2>精品线路</h2><ul class="cards">{{ range first 6 (where site.RegularPages "Section" "routes") }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a><p>{{ .Params.summary }}</p></li>{{ end }}</ul></section>
<section><h2>近期活动</h2><ul>{{ range first 5 (where site.RegularPages "Section" "events") }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul></section>
{{ end }}
"""

NOT_FOUND = """{{ define "main" }}<h1>页面不存在</h1><p>您要找的页面不存在或已移动。</p>{{ end }}
"""


def _front_matter(text: str) -> tuple[str, str]:
    """(front matter, body) of a file that starts with a "---" line (the corpus always does)."""
    _, front, body = text.split("---\n", 2)
    return front.rstrip("\n"), body


def _with_extra(front: str, extra: list[str]) -> str:
    return "---\n" + front + "\n" + "\n".join(extra) + "\n---\n"


def convert(root: Path, out: Path, month: tuple[int, int] = (2027, 4)) -> None:
    """Write the Hugo site equivalent to the content tree at root into out (replaced)."""
    import yaml

    shutil.rmtree(out, ignore_errors=True)
    layouts = out / "layouts" / "_default"
    layouts.mkdir(parents=True)
    (out / "config.toml").write_text(CONFIG, encoding="utf-8")
    for name, text in (("baseof.html", BASEOF), ("single.html", SINGLE), ("list.html", LIST),
                       ("terms.html", TERMS)):
        (layouts / name).write_text(text, encoding="utf-8")
    (out / "layouts" / "index.html").write_text(HOME, encoding="utf-8")
    (out / "layouts" / "404.html").write_text(NOT_FOUND, encoding="utf-8")
    static = out / "static"
    static.mkdir()
    (static / "site.css").write_text("body{font-family:sans-serif}\n", encoding="utf-8")
    content = out / "content"
    for section, title in (("routes", "精品线路"), ("events", "活动日历"), ("weekend", "周末好去处")):
        (content / section).mkdir(parents=True)
        (content / section / "_index.md").write_text(f"---\ntitle: {title}\n---\n", encoding="utf-8")
    (content / "search.md").write_text("---\ntitle: 搜索\nurl: /search/\n---\n", encoding="utf-8")

    for path in sorted((root / "routes").glob("*.md")):
        front, body = _front_matter(path.read_text(encoding="utf-8"))
        meta = yaml.safe_load(front)
        extra = [f"url: /routes/{meta['id']}/", f"themes: [{meta['theme']}]"]
        (content / "routes" / path.name).write_text(_with_extra(front, extra) + body, encoding="utf-8")
    for path in sorted((root / "content" / "events").glob("*.md")):
        front, body = _front_matter(path.read_text(encoding="utf-8"))
        meta = yaml.load(front, Loader=yaml.BaseLoader)  # dates as text
        extra = [f"url: /events/{meta['id']}/", f"months: ['{meta['start'][:7]}']", f"counties: [{meta['county']}]"]
        (content / "events" / path.name).write_text(_with_extra(front, extra) + body, encoding="utf-8")
    year, number = month
    for back in range(ARCHIVE_MONTHS):
        index = year * 12 + number - 1 - back
        y, m = divmod(index, 12)
        key = f"{y:04d}-{m + 1:02d}"
        guide = root / "content" / "weekend" / f"{key}.md"
        if not guide.is_file():
            guide = root / "content" / "weekend" / f"{m + 1:02d}.md"
        if guide.is_file():
            front, body = _front_matter(guide.read_text(encoding="utf-8"))
            front = front.replace("title:", f"title: {y}年{m + 1}月·", 1)
            (content / "weekend" / f"{key}.md").write_text(_with_extra(front, [f"url: /weekend/{key}/"]) + body,
                                                           encoding="utf-8")


if __name__ == "__main__":
    convert(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"已生成 Hugo 站点：{sys.argv[2]}")
