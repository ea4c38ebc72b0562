"""The article style sheet: which inline style each element gets, in the brand colours of xnwl.toml.

Selectors are deliberately tiny: "tag", "tag.class", optionally preceded by the parent's "tag" or "tag.class"
and a space. Later (more specific) matches override earlier ones property by property.
Typography follows the tools that survive the WeChat editor (doocs/md, mdnice): 15 px, line-height 1.75,
near-black text, paragraph margins ≈ 1.2em 8px, link colour #576b95.
"""

from __future__ import annotations

from pipeline.colors import mix
from pipeline.config import Config

FONT = "-apple-system,BlinkMacSystemFont,PingFang SC,Hiragino Sans GB,Microsoft YaHei,sans-serif"
LINK = "#576b95"
MUTED = "#595959"
FAINT = "#6b6b6b"
RULE = "#e0e0e0"
QUOTE_BG = "#f7f7f7"
# Elements that may carry a background colour: mp-darkmode recolours text against the nearest container
# background it knows, so backgrounds live on containers, never on inline text.
CONTAINERS = frozenset({"section", "blockquote", "pre"})


def stylesheet(config: Config) -> dict[str, str]:
    p, a, t = config.primary_color, config.accent_color, config.text_color
    tint, tint_rule = mix(p, 0.07), mix(p, 0.35)
    text = f"font-size:15px;line-height:1.75;color:{t}"
    return {
        "section.article": f"margin:0;padding:0;{text};font-family:{FONT};letter-spacing:0.5px;word-break:break-word",
        "p": f"margin:1.2em 8px;{text};text-align:justify",
        "p.lead": f"margin:1.5em 8px;padding:0 0 0 12px;border-left:3px solid {p};color:{MUTED}",
        "h2": f"margin:2em 8px 1em;padding:0 0 0 10px;border-left:4px solid {p};font-size:18px;line-height:1.5;"
              f"font-weight:bold;color:{p}",
        "h3": f"margin:1.5em 8px 0.6em;font-size:16px;line-height:1.5;font-weight:bold;color:{t}",
        "h4": f"margin:1.2em 8px 0.5em;font-size:15px;line-height:1.5;font-weight:bold;color:{t}",
        "ul": "margin:1em 8px;padding:0;list-style:none",
        "ol": "margin:1em 8px;padding:0;list-style:none",
        "ul ul": "margin:0 0 0 1.4em",
        "ul ol": "margin:0 0 0 1.4em",
        "ol ul": "margin:0 0 0 1.4em",
        "ol ol": "margin:0 0 0 1.4em",
        "li": f"margin:0.4em 0;padding:0 0 0 1.4em;text-indent:-1.4em;{text}",
        "strong": f"font-weight:bold;color:{p}",
        "em": "font-style:italic",
        "a": f"color:{LINK};text-decoration:none",
        "sup": f"font-size:12px;line-height:0;color:{LINK}",
        "blockquote": f"margin:1.5em 8px;padding:0.6em 1em;border-left:3px solid {tint_rule};background-color:{QUOTE_BG}",
        "blockquote p": f"margin:0.4em 0;color:{MUTED}",
        "hr": f"margin:2em 8px;height:0;border:0;border-top:1px solid {RULE}",
        "code": f"font-family:Menlo,Consolas,monospace;font-size:90%;color:{a}",
        "pre": f"margin:1.2em 8px;padding:0.8em 1em;background-color:{QUOTE_BG};border-radius:4px;overflow-x:auto;"
               f"white-space:pre-wrap;word-break:break-all;font-size:13px;line-height:1.6;color:{t}",
        "pre code": f"font-size:13px;color:{t}",
        "table": "margin:1.2em 8px;border-collapse:collapse;font-size:14px",
        "th": f"padding:0.4em 0.6em;border:1px solid {RULE};font-weight:bold;text-align:left;color:{t}",
        "td": f"padding:0.4em 0.6em;border:1px solid {RULE};color:{t}",
        "section.meta": f"margin:1.5em 8px;padding:0.8em 1em;background-color:{tint};border-radius:6px",
        "p.meta-row": f"margin:0.2em 0;font-size:14px;line-height:1.75;color:{t};text-align:left",
        "span.label": f"font-weight:bold;color:{p}",
        "span.tentative": f"font-weight:bold;color:{a};margin-left:0.5em",
        "p.note": f"margin:0.3em 8px;font-size:14px;line-height:1.75;color:{MUTED}",
        "section.card": f"margin:1.2em 8px;padding:0 0 0 12px;border-left:3px solid {tint_rule}",
        "section.card p": "margin:0.5em 0",
        "section.card ul": "margin:0.5em 0",
        "section.card ol": "margin:0.5em 0",
        "section.card h3": "margin:0 0 0.4em",
        "section.figure": "margin:1.5em 8px;text-align:center",
        "img": "display:block;width:100%;max-width:100%;height:auto;margin:0 auto;border-radius:4px",
        "p.caption": f"margin:0.5em 0 0;font-size:13px;line-height:1.5;color:{FAINT};text-align:center",
        "section.refs": f"margin:2em 8px 1em;padding:0.5em 0 0;border-top:1px solid {RULE}",
        "p.refs-title": f"margin:0.5em 0;font-size:14px;font-weight:bold;color:{t}",
        "p.ref": f"margin:0.3em 0;font-size:12px;line-height:1.6;color:{FAINT};word-break:break-all;text-align:left",
        # the closing card: QR code, 阅读原文 line, 关注 line, brand; its background on the container (dark mode)
        "section.footer": f"margin:2.5em 8px 1em;padding:1em 12px;border:1px solid {tint_rule};border-radius:8px;"
                          f"background-color:{tint};text-align:center",
        "section.footer p": f"margin:0.4em 0;font-size:13px;line-height:1.6;color:{MUTED};text-align:center",
        "section.footer p.follow": f"font-size:14px;font-weight:bold;color:{t}",
        "section.footer p.brand": f"font-size:14px;font-weight:bold;color:{p}",
        "section.footer section.figure": "margin:0.2em auto 0.6em",
        "img.qr": "width:150px;max-width:100%;border-radius:0",
    }
