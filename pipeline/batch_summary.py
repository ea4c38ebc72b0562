"""The closing summary of a batch, in Chinese: what was written, what was skipped, warnings."""

from __future__ import annotations

from pathlib import Path

from pipeline.batch import BatchResult

LISTED = 8  # paths listed per kind of change; the rest are counted


def warning_line(warning: str) -> str:
    # content warnings arrive rendered ("[提醒] file · field ..."), plan and channel warnings as bare text
    return warning if warning.startswith("[") else f"[提醒] {warning}"


def _shown(folder: Path, root: Path) -> str:
    try:
        return folder.relative_to(root).as_posix() + "/"
    except ValueError:
        return str(folder) + "/"


def _paths(label: str, paths: list[str]) -> list[str]:
    if not paths:
        return []
    more = f" 等 {len(paths)} 个" if len(paths) > LISTED else ""
    return [f"  {label}：{'、'.join(paths[:LISTED])}{more}"]


def summary_lines(result: BatchResult, root: Path) -> list[str]:
    where = _shown(result.folder, root)
    lines = [f"[修复] {note}" for note in result.repairs]
    lines.append("—— 小结 ——")
    if result.up_to_date:
        lines.append(f"写入：无（{where} 保持不变，共 {result.files} 个文件）")
        lines.append(f"跳过：全部阶段——程序、依赖库的版本、Python 和全部输入（内容、审核记录、配置、模板、图片）都与 "
                     f"{where}manifest.json 记录的一致，已有文件完好。如需重新生成，请加 --force（或 xnwl --no-cache batch）。")
    else:
        if result.reason:
            lines.append(f"重新生成的原因：{result.reason}")
        lines.append(f"写入：{where}（共 {result.files} 个文件，含清单 manifest.json；其余新增 {len(result.added)}，更新 {len(result.changed)}，"
                     f"删除 {len(result.removed)}，未变 {result.unchanged}）")
        lines += _paths("新增", result.added) + _paths("更新", result.changed) + _paths("删除", result.removed)
        lines.append("跳过：无")
    if result.warnings:
        lines.append(f"提醒（{len(result.warnings)} 条）：")
        lines += [f"  {warning_line(w)}" for w in result.warnings]
    else:
        lines.append("提醒：无")
    if result.up_to_date:
        lines.append(f"完成：{result.month.label}批次已是最新，未重新生成。")
    else:
        lines.append(f"完成：{result.month.label}批次已写入 {where}。")
    return lines
