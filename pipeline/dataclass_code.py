"""The methods dataclasses generate, compiled once and kept, instead of compiled again at every start.

dataclasses.dataclass writes the source of each method it adds to a class (__init__, __repr__, __eq__, and
__hash__, __setattr__, __delattr__ for frozen ones) and compiles it with exec(): Python 3.11 compiles each
method on its own, some 430 of them when a batch imports its modules (about 6 % of the CPU of a batch after
one route changed). A method's source depends only on its class, so the compiled code can be kept:
keep_dataclass_code_in(<root>/state/cache) makes dataclasses look each source up in
dataclass-code.<python>.marshal (by its exact text) and run the kept code; sources not found there are
compiled as before and added to the file when the process ends. The functions are built from the same code
in the same namespaces, so the classes are the same as without the file; the file may be deleted any time.
"""

from __future__ import annotations

import atexit
import builtins
import dataclasses
import marshal
import os
import sys
from importlib.util import MAGIC_NUMBER
from pathlib import Path
from types import CodeType
from typing import Any

_FILE = f"dataclass-code.{sys.implementation.cache_tag}.marshal"
_MAX_KEPT = 4000  # sources kept from earlier runs before the file is started again with this run's

_codes: dict[str, CodeType] = {}  # source -> compiled code: read from the files and compiled here
_used: set[str] = set()
_compiled = 0  # how many sources this process compiled (none when the file had them all)
_files: list[Path] = []  # written when the process ends


def keep_dataclass_code_in(folder: Path) -> None:
    """From now on, dataclasses created in this process take their methods' code from folder (see above)."""
    path = folder / _FILE
    if path in _files:
        return
    try:
        magic, codes = marshal.loads(path.read_bytes())
        if magic == MAGIC_NUMBER and isinstance(codes, dict):
            _codes.update(codes)
    except (OSError, ValueError, EOFError, TypeError):
        pass  # none yet, or unreadable: compiled as usual, and written anew
    if not _files:
        dataclasses.exec = _exec  # type: ignore[attr-defined]  # dataclasses looks exec up in its module first
        atexit.register(_write_all, os.getpid())
    _files.append(path)


def compiled_here() -> int:
    """How many method sources this process compiled itself (for tests)."""
    return _compiled


def _exec(source: Any, globals: Any = None, locals: Any = None, /) -> None:
    global _compiled
    if globals is None:  # as exec() in the caller: its globals (and locals, unless given)
        caller = sys._getframe(1)
        globals = caller.f_globals
        locals = caller.f_locals if locals is None else locals
    if isinstance(source, str):
        code = _codes.get(source)
        if code is None:
            # what exec(source) compiles: dataclasses' module has no __future__ flags to pass on
            code = _codes[source] = compile(source, "<string>", "exec", dont_inherit=True)
            _compiled += 1
        _used.add(source)
        source = code
    builtins.exec(source, globals, locals)


def _write_all(pid: int) -> None:
    if os.getpid() != pid or not _compiled:
        return  # a forked child, or nothing new
    codes = dict(_codes) if len(_codes) <= _MAX_KEPT else {source: _codes[source] for source in set(_used)}
    data = marshal.dumps((MAGIC_NUMBER, codes))
    for path in _files:
        if not path.parent.is_dir():
            continue  # no cache folder: a command that keeps no state
        temporary = path.with_name(f"{path.name}.{pid}.tmp")
        try:
            temporary.write_bytes(data)
            os.replace(temporary, path)
        except OSError:
            temporary.unlink(missing_ok=True)
