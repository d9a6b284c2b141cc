"""A stage's code dependencies: every reviewgen module its script imports, transitively.

Read from the source with ``ast`` (nothing is imported or run), so it works on any checkout and sees
imports inside functions too (lazy imports still run when the stage does). Each module's parent packages
count as well: Python runs a package's ``__init__`` before any module in it. Imports guarded by
``if TYPE_CHECKING:`` never run and are left out.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

PACKAGE = "reviewgen"


def module_file(root: Path, name: str) -> Path | None:
    """``src/a/b.py`` or ``src/a/b/__init__.py`` for module ``a.b`` under ``root``, if it exists."""
    base = root / "src" / Path(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _is_type_checking(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST):
    """Every Import/ImportFrom node, skipping the bodies of ``if TYPE_CHECKING:`` blocks."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        children = list(ast.iter_child_nodes(node))
        if _is_type_checking(node):
            children = [*node.orelse, node.test]
        stack.extend(children)


def _package_of(root: Path, path: Path) -> str:
    """The dotted package a file under ``root/src`` belongs to ('' for a script outside it)."""
    try:
        parts = path.relative_to(root / "src").with_suffix("").parts
    except ValueError:
        return ""
    return ".".join(parts if path.name == "__init__.py" else parts[:-1]).removesuffix(".__init__")


def direct_imports(root: Path, path: Path) -> frozenset[str]:
    """The reviewgen modules one file imports (``from a import b`` counts ``a.b`` when b is a module)."""
    stat = path.stat()
    return _direct_imports(root, path, stat.st_mtime_ns, stat.st_size)


@cache
def _direct_imports(root: Path, path: Path, mtime_ns: int, size: int) -> frozenset[str]:
    # mtime and size are part of the key only: an edited file is parsed again in a long-lived process.
    package = _package_of(root, path)
    found: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
            continue
        base = node.module or ""
        if node.level:
            parts = package.split(".")
            parts = parts[: len(parts) - node.level + 1]
            base = ".".join([*parts, base] if base else parts)
        found.add(base)
        found |= {f"{base}.{alias.name}" for alias in node.names}
    return frozenset(m for m in found if m.split(".")[0] == PACKAGE and module_file(root, m))


def with_parents(name: str) -> set[str]:
    """``a.b.c`` -> {a, a.b, a.b.c}: importing a module runs each enclosing package first."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)}


def closure(root: Path, script: Path) -> set[str]:
    """Every reviewgen module (packages included) that running ``script`` imports."""
    seen: set[str] = set()
    frontier = list(direct_imports(root, script))
    while frontier:
        name = frontier.pop()
        for module in with_parents(name) - seen:
            seen.add(module)
            if (path := module_file(root, module)) is not None:
                frontier.extend(direct_imports(root, path))
    return seen


def code_deps(root: Path | str, script: str) -> list[str]:
    """The files of ``script``'s import closure, relative to ``root`` and sorted: a stage's code deps."""
    root = Path(root).resolve()
    files = {module_file(root, name) for name in closure(root, root / script)} - {None}
    return sorted(str(path.relative_to(root)) for path in files)
