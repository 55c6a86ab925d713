"""The codebase's own limits (CONTRIBUTING.md): short functions, modules of a readable size."""

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
