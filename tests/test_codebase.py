"""The codebase's own limits (CONTRIBUTING.md): short functions, modules of a readable size, and
layers that import only downward (the known exceptions listed, to shrink)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "mimicry"


def test_no_function_over_80_lines_and_no_module_over_500():
    long_functions, long_modules = [], []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > 500:
            long_modules.append(f"{path.relative_to(PACKAGE)}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 80:
                long_functions.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.name}")
    assert not long_functions and not long_modules, long_functions + long_modules


# -- the import graph: layers that import only downward (CONTRIBUTING.md) --------------------------

LAYERS = {
    "cli": 5,
    "__main__": 5,
    "api": 4,
    "session": 3,
    "report": 3,
    "batch": 3,
    "analysis": 2,
    "sensing": 2,
    "stimuli": 2,
    "interop": 2,
    "schema": 1,
    "io": 1,
    "version": 1,
    "csvio": 1,
    "writers": 1,
    "errors": 1,
    "models": 1,
    "series": 1,
}
"""Each sub-package's (or top-level module's) layer: cli -> api -> session/report/batch ->
analysis/sensing/stimuli/interop -> the ground floor (schema, file input and output, errors, the
version)."""

UPWARD_TODAY = {
    ("mimicry.interop.bids", "mimicry.session.folder"),
    ("mimicry.interop.markers", "mimicry.session.onsets"),
    ("mimicry.stimuli.record", "mimicry.session.camera"),
    ("mimicry.stimuli.record", "mimicry.session.display"),
    ("mimicry.stimuli.record", "mimicry.session.engine"),
}
"""The imports that run back up today (issue 31: ``SessionData`` lives in session.folder,
``stimuli record`` runs its own live loop, the marker reader shares the import's onset reading).
This list may only shrink: a new one fails the test, and one that is gone must leave the list."""


def _module_name(path: Path) -> str:
    parts = list(path.with_suffix("").relative_to(PACKAGE.parent).parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(modules: dict[str, Path]) -> set[tuple[str, str]]:
    """Every ``(importer, imported)`` pair of mimicry modules, function-level imports included."""
    pairs = set()
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*up, *([node.module] if node.module else [])])
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            else:
                continue
            for target in targets:
                while target not in modules and "." in target:
                    target = target.rsplit(".", 1)[0]
                if target in modules and target != name:
                    pairs.add((name, target))
    return pairs


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else LAYERS["api"]  # the package re-exports the API


def test_every_import_runs_down_the_layers_but_for_the_known_ones_which_may_only_shrink():
    modules = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
    pairs = _imports(modules)
    assert ("mimicry.cli.interop", "mimicry.session.imported") in pairs  # the walk sees in-function imports
    unplaced = sorted({m.split(".")[1] for m in modules if _layer(m) is None})
    assert not unplaced, f"give {unplaced} a layer in LAYERS"
    upward = {(a, b) for a, b in pairs if _layer(b) > _layer(a)}  # type: ignore[operator]
    assert upward - UPWARD_TODAY == set(), "imports that run back up the layers"
    assert UPWARD_TODAY - upward == set(), "gone: take them out of UPWARD_TODAY"


def _circles(pairs: set[tuple[str, str]]) -> list[list[str]]:
    """The import graph's circles: its strongly connected components of more than one module."""
    graph: dict[str, set[str]] = {}
    for a, b in pairs:
        graph.setdefault(a, set()).add(b)
    order, low, stack, on_stack, circles = {}, {}, [], set(), []

    def visit(v: str) -> None:  # Tarjan's algorithm
        order[v] = low[v] = len(order)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in order:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], order[w])
        if low[v] == order[v]:
            component = []
            while not component or component[-1] != v:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(graph):
        if v not in order:
            visit(v)
    return circles


def test_no_import_circles():
    """No module imports one that (through others) imports it back, function-level imports
    included (a package and the modules it imports to register them count too)."""
    modules = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
    assert _circles({("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}) == [["a", "b", "c"]]  # the finder finds
    assert _circles(_imports(modules)) == []
