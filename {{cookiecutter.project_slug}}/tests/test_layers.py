"""The package's modules form layers: none imports, even inside a function, a module that imports it back."""

from __future__ import annotations

import ast
from pathlib import Path

import {{ cookiecutter.package_name }} as package

ROOT = Path(package.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """The tree's nodes, but for those under `if TYPE_CHECKING:` (never imported when the code runs)."""
    found, pending = [], [tree]
    while pending:
        node = pending.pop()
        found.append(node)
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            pending += node.orelse
            continue
        pending += ast.iter_child_nodes(node)
    return found


def imported_modules(path: Path, modules: set[str]) -> set[str]:
    """The package's modules that the module at `path` imports."""
    name = module_name(path)
    package_name = name if path.name == "__init__.py" else name.rpartition(".")[0]
    imported = set()
    for node in runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package_name.split(".")[: len(package_name.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            if node.module:  # `from . import module` imports that module, not its package anew
                imported.add(base)
            imported |= {f"{base}.{alias.name}" for alias in node.names}
    return imported & modules - {name}


def test_the_import_graph_has_no_cycle() -> None:
    paths = sorted(ROOT.rglob("*.py"))
    modules = {module_name(path) for path in paths}
    graph = {module_name(path): imported_modules(path, modules) for path in paths}
    done: set[str] = set()

    def visit(module: str, trail: list[str]) -> None:
        if module in trail:
            cycle = " -> ".join([*trail[trail.index(module) :], module])
            raise AssertionError(f"import cycle: {cycle}")
        if module in done:
            return
        for imported in sorted(graph[module]):
            visit(imported, [*trail, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    assert graph[f"{package.__name__}.commands"], "the router imports the modules it routes to"
