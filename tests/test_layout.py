"""The package's layout shows the flow: content -> plan -> channels -> review -> publish, with no import cycle,
and no private name of a library (issue 21).

Every module of pipeline/ is parsed (never imported): an import counts wherever it is written (top level, inside
a function, under TYPE_CHECKING), and a package's __init__ counts as importing what it imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "pipeline"
LIBRARIES = ("markupsafe", "dataclasses", "yaml", "segno", "nh3", "icalendar", "jinja2", "PIL")


def _modules() -> dict[str, tuple[Path, ast.Module]]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = (path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return found


MODULES = _modules()


def _in(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _known(name: str) -> str | None:
    """The module of pipeline/ that `name` (a module or a name inside one) lives in."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _from_module(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The absolute name of the module a `from ... import` names (relative imports resolved)."""
    base = node.module or ""
    if not node.level:
        return base
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    parts = package.split(".")
    return ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))


def imported_names(module: str) -> set[str]:
    """Every dotted name the module imports (absolute), at any level; `from m import n` gives m.n."""
    path, tree = MODULES[module]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _from_module(module, path, node)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of pipeline/ it imports (`from p import sub` is an edge to p.sub, not to p)."""
    graph: dict[str, set[str]] = {}
    for module in MODULES:
        path, tree = MODULES[module]
        targets: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets.update(t for a in node.names if (t := _known(a.name)))
            elif isinstance(node, ast.ImportFrom):
                base = _from_module(module, path, node)
                if not base.startswith("pipeline"):
                    continue
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    target = full if full in MODULES else _known(base)
                    if target:
                        targets.add(target)
        targets.discard(module)
        graph[module] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(start: str) -> None:  # iterative: the graph's depth is no concern
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _cycle_message(found: list[list[str]]) -> str:
    graph = import_graph()
    lines = []
    for component in found:
        members = set(component)
        edges = [f"{a} -> {b}" for a in component for b in sorted(graph[a] & members)]
        lines.append(f"{len(component)} modules: {', '.join(component)}\n    " + "\n    ".join(edges))
    return "import cycles in pipeline/:\n  " + "\n  ".join(lines)


def layer_offenders(layer: str, forbidden: tuple[str, ...]) -> list[str]:
    """`module imports name` for every module under `layer` that imports a module under one of `forbidden`."""
    return [f"{module} imports {name}" for module in sorted(MODULES) if _in(module, layer)
            for name in sorted(imported_names(module)) if _in(name, *forbidden)]


def private_library_names(module: str) -> list[str]:
    """Private names (starting with one underscore, dunders aside) of LIBRARIES the module uses: `from m import
    _y`, `x._y` where x is such a library or a module or name imported from it, getattr/setattr/hasattr(x, "_y");
    and every assignment to an attribute of such a library (a monkeypatch)."""
    path, tree = MODULES[module]
    aliases: dict[str, str] = {}  # local name -> library it comes from
    found: list[str] = []

    def library(name: str) -> str | None:
        top = name.split(".")[0]
        return top if top in LIBRARIES else None

    def private(name: str) -> bool:
        return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if library(alias.name):
                    aliases[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom) and not node.level and library(node.module or ""):
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
                if private(alias.name):
                    found.append(f"{path.name}:{node.lineno}: from {node.module} import {alias.name}")

    def root(expr: ast.expr) -> str | None:
        while isinstance(expr, ast.Attribute):
            expr = expr.value
        return aliases.get(expr.id) if isinstance(expr, ast.Name) else None

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr) and root(node.value):
            found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)} ({root(node.value)})")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "setattr", "hasattr", "delattr") and len(node.args) >= 2
              and root(node.args[0]) and isinstance(node.args[1], ast.Constant)
              and isinstance(node.args[1].value, str) and (private(node.args[1].value) or node.func.id != "getattr")):
            found.append(f"{path.name}:{node.lineno}: {node.func.id}({root(node.args[0])}, {node.args[1].value!r})")
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                if isinstance(target, ast.Attribute) and root(target.value):
                    found.append(f"{path.name}:{node.lineno}: {ast.unparse(target)} assigned ({root(target.value)}, a monkeypatch)")
    return found


# (a) no import cycle ---------------------------------------------------------------------------------------
def test_the_graph_sees_imports_at_every_level() -> None:
    """The parser finds an import inside a function and a package __init__ importing its submodule."""
    graph = import_graph()
    assert "pipeline.channels.wechat.channel" in graph["pipeline.channels.wechat"]  # the package's __init__
    assert "pipeline.site_build" in graph["pipeline.publish.serve"]
    assert "pipeline.review.commands" in graph["pipeline.cli"]  # imported inside a function
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle() -> None:
    found = cycles(import_graph())
    assert not found, _cycle_message(found)


# (b) layers ------------------------------------------------------------------------------------------------
def test_review_imports_no_channel_and_no_publish_step() -> None:
    offenders = layer_offenders("pipeline.review", ("pipeline.channels", "pipeline.publish"))
    assert not offenders, "review must read the channels' files, never import them:\n  " + "\n  ".join(offenders)


def test_channels_import_no_later_stage() -> None:
    offenders = layer_offenders("pipeline.channels", ("pipeline.review", "pipeline.publish", "pipeline.batch"))
    assert not offenders, "\n  ".join(["channels import a later stage (review, publish, the batch):", *offenders])


# (c) no private name of a library --------------------------------------------------------------------------
def test_private_names_are_found() -> None:
    """The detector itself, on a planted module (never written to pipeline/)."""
    MODULES["pipeline._planted"] = (Path("planted.py"), ast.parse(
        "import markupsafe\nfrom jinja2 import _identifier\nfrom PIL import Image as Pic\nimport dataclasses\n"
        "def f():\n    return markupsafe._escape_inner, Pic._conv_type_shape, getattr(markupsafe, '_x')\n"
        "dataclasses.exec = print\nmarkupsafe.__version__\n"))
    try:
        found = private_library_names("pipeline._planted")
    finally:
        del MODULES["pipeline._planted"]
    assert sorted(line.split(": ", 1)[1] for line in found) == sorted([
        "from jinja2 import _identifier", "markupsafe._escape_inner (markupsafe)", "Pic._conv_type_shape (PIL.Image)",
        "getattr(markupsafe, '_x')", "dataclasses.exec assigned (dataclasses, a monkeypatch)"])


def test_no_private_library_name() -> None:
    offenders = [line for module in sorted(MODULES) for line in private_library_names(module)]
    assert not offenders, ("private names of libraries used, or a library patched (use their public APIs):\n  "
                           + "\n  ".join(offenders))
