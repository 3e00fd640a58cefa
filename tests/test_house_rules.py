"""The house's shape (docs/ARCHITECTURE.md "Apps and layers"): no module outside migrations and
tests grows past 600 lines, and the first-party import graph has no cycle other than an app's
tasks calling back into the services that queue them. Read from the source (AST), no imports,
so it runs in milliseconds."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP_TOP = {"tests", "docs", "templates", "node_modules"}
MAX_LINES = 600

# Nothing is allowed over the limit or in a cycle any more (payments/engine.py is split).
TOO_LONG_FOR_NOW: set[str] = set()
CYCLES_FOR_NOW: list[set[str]] = []


def _first_party() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if (
            len(rel.parts) < 2
            or rel.parts[0] in SKIP_TOP
            or rel.parts[0].startswith(".")
            or "migrations" in rel.parts
        ):
            continue
        name = ".".join(rel.with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def _graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str | None] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets |= {resolve(alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(parts + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                targets |= {resolve(f"{base}.{alias.name}") for alias in node.names}
        app = name.split(".")[0]
        if name.endswith(".tasks"):
            # A task is a thin wrapper that imports its app's services when it runs, and those
            # services queue it: that pair is the one cycle the house allows.
            targets = {t for t in targets if t is None or t.split(".")[0] != app}
        graph[name] = {t for t in targets if t and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_no_module_outside_migrations_and_tests_is_over_600_lines():
    too_long = {
        str(path.relative_to(ROOT)): n
        for path in _first_party().values()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert {k: v for k, v in too_long.items() if k not in TOO_LONG_FOR_NOW} == {}


def test_the_import_graph_has_no_cycle_but_tasks_and_their_services():
    cycles = [c for c in _cycles(_graph(_first_party())) if c not in CYCLES_FOR_NOW]
    assert cycles == []


def test_the_cycle_check_sees_a_cycle(tmp_path):
    """The check itself: two modules importing each other are found, a task's call back is not."""
    graph = {
        "a.services": {"b.services", "a.tasks"},
        "b.services": {"a.services"},
        "a.tasks": set(),
        "c.x": {"c.y"},
        "c.y": set(),
    }
    assert _cycles(graph) == [{"a.services", "b.services"}]


def test_console_list_pages_paginate_through_the_one_include():
    """Pagination markup lives in templates/includes/pagination.html only (the shoppers' portal
    has its own mobile layout)."""
    written_out = [
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.html")
        if ".venv" not in path.parts
        and "portal" not in path.parts
        and path != ROOT / "templates" / "includes" / "pagination.html"
        and "has_previous" in path.read_text()
    ]
    assert written_out == []


def _locks_joined_rows(source: str) -> list[int]:
    """Lines where ``select_for_update()`` without ``of=`` meets ``select_related``: PostgreSQL
    then locks the joined rows too (FOR UPDATE on the store), and every CreatePurchases inserting
    a trip or an order of that store waits on its foreign key until the lock is released."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "select_related":
            continue
        inner = node.func.value
        while isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute):
            if inner.func.attr == "select_for_update":
                if not any(k.arg == "of" for k in inner.keywords):
                    found.append(inner.lineno)
                break
            inner = inner.func.value
    return found


def test_row_locks_never_lock_the_rows_they_join():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in _first_party().values()
        for line in _locks_joined_rows(path.read_text())
    ]
    assert offenders == [], "select_for_update(of=('self',)) where select_related joins rows"


def test_the_lock_check_sees_a_joined_lock():
    assert _locks_joined_rows("Order.objects.select_for_update().select_related('store')") == [1]
    assert (
        _locks_joined_rows("Order.objects.select_for_update(of=('self',)).select_related('s')")
        == []
    )
