"""The import rules of docs/design.md, checked on the source: no cycle, and who may import whom.

The graph is built from the module-level imports of every module of ``moderation``, ``workers``
and ``models`` (read with ``ast``, not by importing them); imports inside functions are allowed by
the package rules and are not edges there. Importing ``a.b.c`` also runs ``a/__init__`` and
``a/b/__init__``: that counts for what a worker loads, though not as a cycle (a package that
imports its own submodules is the usual layout). One check imports for real, in a fresh
interpreter.

A second graph, ``EVERY_IMPORT``, adds the imports inside functions: no module may reach itself
even through a deferred import (a deferred import hides a circle from the interpreter, not from a
reader), and the rules inside ``moderation`` (``http`` imports no front door; ``compat`` and
``web`` do not import ``api``) hold for it. A module's import of its own parent package is no edge
in it: the parent is always loaded first (``moderation.cli`` builds the app with
``moderation.create_app``, which registers the commands on ``app.cli``).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("moderation", "workers", "models")
# The one module of models that moderation may import at module import time (it has no imports).
LABELS = "models.labels"
WEB_STACK = (
    "flask_smorest",
    "flask_limiter",
    "moderation.http",
    "moderation.api",
    "moderation.schemas",
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts or path.name == "__init__.py":
                found[module_name(path)] = path
    return found


def is_type_checking(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def statements(tree: ast.Module, deferred: bool) -> list[ast.AST]:
    """The statements whose imports count: the module level (``if`` and ``try`` blocks included),
    or, with ``deferred``, every statement; ``if TYPE_CHECKING`` blocks never count."""
    found: list[ast.AST] = []
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.stmt) and is_type_checking(node):
            continue
        found.append(node)
        if deferred or isinstance(node, ast.If | ast.Try):
            todo.extend(ast.iter_child_nodes(node))
    return found


def top_level_imports(path: Path, name: str, known: set[str], deferred: bool = False) -> set[str]:
    """What the module imports when it is imported (``if TYPE_CHECKING`` blocks excluded), and
    with ``deferred`` also what its functions import when they run.

    ``from a import b`` is an import of the module ``a.b`` when there is one, else of ``a``.
    """
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    imported: set[str] = set()
    for child in statements(tree, deferred):
        if isinstance(child, ast.Import):
            imported.update(alias.name for alias in child.names)
        elif isinstance(child, ast.ImportFrom):
            base = child.module or ""
            if child.level:
                parent = package.split(".")[: len(package.split(".")) - child.level + 1]
                base = ".".join([*parent, base]).strip(".")
            for alias in child.names:
                submodule = f"{base}.{alias.name}"
                imported.add(submodule if submodule in known else base)
    return imported


def parents(name: str) -> set[str]:
    """The packages whose ``__init__`` runs before ``name`` (``a`` and ``a.b`` for ``a.b.c``)."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def graph() -> dict[str, set[str]]:
    """Module -> the modules of ours it imports at module level."""
    known = modules()
    return {
        name: {t for t in top_level_imports(path, name, set(known)) if t in known} - {name}
        for name, path in known.items()
    }


def third_party(name: str) -> set[str]:
    """The modules not of ours that ``name`` imports at module level."""
    known = modules()
    return {t for t in top_level_imports(known[name], name, set(known)) if t not in known}


GRAPH = graph()


def every_import() -> dict[str, set[str]]:
    """Module -> the modules of ours it imports anywhere, but its own parent packages."""
    known = modules()
    return {
        name: {t for t in top_level_imports(path, name, set(known), deferred=True) if t in known}
        - {name}
        - parents(name)
        for name, path in known.items()
    }


EVERY_IMPORT = every_import()
# The circle of the encoder's code that the restructuring of models/ removes (issue 15, item 4).
ENCODER_CIRCLE = {
    "models.training.encoder_build",
    "models.training.encoder_data",
    "models.training.encoder_export",
    "models.training.encoder_model",
    "models.training.encoder_training",
    "models.evaluate.encoder",
}


def reached_by_importing(name: str) -> set[str]:
    """Every module of ours that importing ``name`` runs: its imports and their parent packages."""
    reached: set[str] = set()
    todo = [name]
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo.extend(GRAPH.get(module, set()) | parents(module))
    return reached


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path of modules, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def imports_of(package: str) -> dict[str, set[str]]:
    return {name: GRAPH[name] for name in GRAPH if name.split(".")[0] == package}


def test_the_graph_covers_the_packages() -> None:
    # A walk that found nothing would pass every rule below.
    assert {"moderation", "moderation.storage", "workers.jobs", "models.labels"} <= set(GRAPH)
    assert "moderation.storage" in GRAPH["workers.jobs"] or any(
        "moderation.storage" in GRAPH[target] for target in GRAPH["workers.jobs"]
    )


def test_there_is_no_import_cycle() -> None:
    assert find_cycle(GRAPH) is None, " -> ".join(find_cycle(GRAPH) or [])


def test_there_is_no_import_cycle_even_through_deferred_imports() -> None:
    # Among the encoder's modules the next test decides.
    edges = {
        name: targets - ENCODER_CIRCLE if name in ENCODER_CIRCLE else targets
        for name, targets in EVERY_IMPORT.items()
    }
    assert find_cycle(edges) is None, " -> ".join(find_cycle(edges) or [])


def test_the_encoder_code_has_no_import_cycle() -> None:
    edges = {name: EVERY_IMPORT[name] & ENCODER_CIRCLE for name in ENCODER_CIRCLE & set(GRAPH)}
    if find_cycle(edges) is not None:
        pytest.xfail("the encoder circle, until models/ is restructured (issue 15, item 4)")


@pytest.mark.parametrize(
    ("importer", "forbidden"),
    [
        # The request pipeline serves every front door and knows none of them.
        ("moderation.http", ("moderation.api", "moderation.compat", "moderation.web")),
        # The front doors share the domain modules, not each other's views.
        ("moderation.compat", ("moderation.api", "moderation.web")),
        ("moderation.web", ("moderation.api", "moderation.compat")),
    ],
)
def test_the_front_doors_and_the_pipeline_keep_apart(
    importer: str, forbidden: tuple[str, ...]
) -> None:
    wrong = {
        name: sorted(t for t in targets if t.startswith(forbidden))
        for name, targets in EVERY_IMPORT.items()
        if name == importer or name.startswith(importer + ".")
    }
    assert not {name: targets for name, targets in wrong.items() if targets}


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_models_imports_nothing_of_moderation_or_workers() -> None:
    wrong = {
        name: sorted(t for t in targets if t.split(".")[0] in {"moderation", "workers"})
        for name, targets in imports_of("models").items()
    }
    assert not {name: targets for name, targets in wrong.items() if targets}


def test_moderation_imports_neither_workers_nor_models_but_the_labels() -> None:
    wrong = {
        name: sorted(
            t
            for t in targets
            if t.split(".")[0] == "workers" or (t.startswith("models") and t != LABELS)
        )
        for name, targets in imports_of("moderation").items()
    }
    assert not {name: targets for name, targets in wrong.items() if targets}


@pytest.mark.parametrize("name", sorted(imports_of("workers")))
def test_workers_never_import_the_web_stack(name: str) -> None:
    reached = reached_by_importing(name)
    loaded = reached | {t for module in reached for t in third_party(module)}
    assert not sorted(m for m in loaded if m.startswith(WEB_STACK) or m == "flask")


def test_a_worker_loads_no_web_stack() -> None:
    code = (
        "import sys, workers.jobs, workers.worker\n"
        f"loaded = sorted(m for m in sys.modules if m.startswith({WEB_STACK!r}) or m == 'flask')\n"
        "print(loaded)\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
