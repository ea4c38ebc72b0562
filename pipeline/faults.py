"""What the user reads when the machine, not the content, stops a command: a full disk, a folder that cannot
be written, a file where a folder should be. The message names the path and says what to do; the batch has
left output/ as it was (it builds in a staging folder and switches only when everything is written)."""

from __future__ import annotations

import errno
from pathlib import Path

_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}
_NOT_A_FOLDER = {errno.ENOTDIR, errno.EEXIST}


def os_error_message(error: OSError, root: Path | None = None) -> str:
    """One Chinese message for an OSError that reached the command line. root: the project folder, named
    (with its output/ and state/) when the error does not say which file it was about."""
    if error.filename is not None:
        path = str(error.filename)
    elif root is not None:
        path = f"{root / 'output'}（或 {root / 'state'}）中的文件"
    else:
        path = "（未知路径）"
    if error.filename2 is not None:
        path = f"{path} → {error.filename2}"
    kept = "output/ 中原有的内容没有改动。"
    code = error.errno
    if code in _FULL:
        return (f"磁盘空间不足（或超过了文件大小限制），写入 {path} 失败。请清理磁盘空间后重试；{kept}")
    if code in _READ_ONLY:
        return (f"没有权限写入 {path}（文件夹只读，或属于其他用户）。请检查该文件夹的权限，"
                f"或在 xnwl.toml 中把输出目录改到可写的位置后重试；{kept}")
    if code in _NOT_A_FOLDER:
        return (f"{path} 的路径上有一个普通文件占住了应为文件夹的位置。请把该文件移走或改名后重试；{kept}")
    if code == errno.EISDIR:
        return f"{path} 是文件夹，这里应为文件。请把它移走或改名后重试；{kept}"
    if code == errno.ENOENT:
        return f"找不到 {path}（可能在运行中被删除或移动了）。请确认它存在后重试；{kept}"
    reason = error.strerror or str(error)
    return f"读写 {path} 时出错：{reason}（错误号 {code}）。请排除后重试；{kept}"
