"""Layering of the ``core`` package, checked from the source with ``ast`` (nothing is imported).

* ``core`` never imports Streamlit, ``pages`` or ``app``;
* no import cycles between ``core`` modules, counting imports inside functions (a function-level
  import hides a cycle from Python, not from this test); ``if TYPE_CHECKING`` blocks are ignored;
* packages are layered: a package imports only packages of a lower rank (never a sibling of the
  same rank, never a higher one). The ground floor is the foundation modules; ``catalog`` is the
  first package on it. ``cli`` modules are the edge: they may import anything, nothing imports them;
* pages, ``app.py`` and other packages' CLI modules reach a package only through its public
  ``__init__`` (names in ``__all__``), never its internal modules;
* every package has a docstring saying what it owns and an ``__all__``.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "core"

# Modules directly under core/ that everything may use (they import no package).
FOUNDATION = {"errors", "config", "io", "progress", "metrics", "splitting", "validation", "models",
              "artifacts", "jobs", "logs", "tracking", "engine"}
# Rank of each package: imports go strictly downwards.
RANKS = {
    "catalog": 1,
    "tmdb": 2, "search": 2,
    "casting": 3, "cf": 3, "personal": 3,
    "simulation": 4,
    "monitoring": 5,
    "spark": 6,
    "service": 7,
}
EDGE_MODULES = {"core.cli", "core.__main__"}

# Violations tolerated while a refactoring step was under way. The architecture step is done, so
# the set is empty; a new entry needs a reason and an owner, and may only shrink.
PENDING: set[str] = set()  # empty: the architecture step is complete; keep it that way


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def core_modules() -> dict[str, Path]:
    return {module_name(p): p for p in CORE.rglob("*.py")}


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(child) for stmt in node.body for child in ast.walk(stmt)}
    return skipped


def imports_of(path: Path, package: str) -> list[tuple[str, int]]:
    """Absolute names imported anywhere in ``path`` (module-level and inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_nodes(tree)
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            found.append((stem, node.lineno))
            found += [(f"{stem}.{alias.name}", node.lineno) for alias in node.names]  # from pkg import module
    return found


def package_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "core" else None


def is_edge(module: str) -> bool:
    return module in EDGE_MODULES or module.endswith(".cli")


def graph() -> dict[str, set[str]]:
    modules = core_modules()
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for target, _ in imports_of(path, package):
            if target in modules and target != name:
                edges[name].add(target)
    return edges


def test_core_never_imports_streamlit_pages_or_app():
    bad = []
    for name, path in core_modules().items():
        for target, line in imports_of(path, name):
            if target.split(".")[0] in {"streamlit", "pages", "app"}:
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert not bad, "\n".join(bad)


def find_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, cycles, counter = {}, {}, [], set(), [], [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(set(edges) | {t for ts in edges.values() for t in ts}):
        if node not in index:
            visit(node)
    return cycles


def _package_inits_only(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """Drop edges into a package's own ``__init__`` from inside it: re-exports are not cycles."""
    return {src: {t for t in targets if not (src.startswith(t + ".") and (CORE / Path(*t.split(".")[1:]) / "__init__.py").exists())}
            for src, targets in edges.items()}


def cycle_findings() -> list[str]:
    return ["cycle: " + " ↔ ".join(c) for c in find_cycles(_package_inits_only(graph()))]


def test_no_import_cycles_in_core():
    cycles = [c for c in cycle_findings() if c not in PENDING]
    assert not cycles, "import cycles (including function-level imports):\n" + "\n".join(cycles)


def layering_violations() -> list[str]:
    bad = []
    for name, path in core_modules().items():
        if is_edge(name):
            continue
        own = package_of(name)
        own_rank = 0 if own in FOUNDATION or own is None else RANKS.get(own)
        if own_rank is None:
            bad.append(f"{name}: package {own!r} has no rank in tests/test_architecture.py")
            continue
        for target, line in imports_of(path, name.rsplit(".", 1)[0]):
            if not target.startswith("core.") or target == "core":
                continue
            if is_edge(target) and target in core_modules():
                bad.append(f"{path.relative_to(ROOT)}:{line} imports the command line {target}")
                continue
            other = package_of(target)
            if other == own:
                continue
            other_rank = 0 if other in FOUNDATION else RANKS.get(other)
            if other_rank is None:
                continue  # a name imported from a package init ("from core import config") or unknown
            if own_rank == 0 and other_rank == 0:
                continue
            if other_rank >= own_rank:
                bad.append(f"{path.relative_to(ROOT)}:{line} ({own}, rank {own_rank}) imports {target} "
                           f"({other}, rank {other_rank})")
    return sorted(set(bad))


def test_packages_only_import_lower_packages():
    bad = layering_violations()
    assert not bad, "\n".join(bad)


def public_api_violations() -> list[str]:
    """Pages, app.py and other packages' CLI modules must use ``core.<package>`` itself."""
    packages = {p.parent.name for p in CORE.glob("*/__init__.py")}
    consumers = [(p, None) for p in sorted((ROOT / "pages").rglob("*.py"))] + [(ROOT / "app.py", None)]
    consumers += [(p, package_of(module_name(p))) for p in sorted(CORE.rglob("cli.py"))]
    consumers += [(CORE / "cli.py", None)]
    bad = []
    for path, own in consumers:
        if not path.exists():
            continue
        for target, line in imports_of(path, "pages" if own is None else f"core.{own}"):
            parts = target.split(".")
            if parts[0] != "core" or len(parts) < 3 or parts[1] not in packages or parts[1] == own:
                continue
            module = ".".join(parts[:3])
            init = CORE / parts[1] / "__init__.py"
            exported = _all_names(init)
            if module in core_modules() and parts[2] not in exported:
                bad.append(f"{path.relative_to(ROOT)} reaches into {module}")
    return sorted(set(bad))


def _all_names(init: Path) -> set[str]:
    tree = ast.parse(init.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return {ast.literal_eval(elt) for elt in node.value.elts}
    return set()


def test_pages_and_cli_use_public_package_apis():
    bad = [b for b in public_api_violations() if b not in PENDING]
    assert not bad, "\n".join(f"{b}: import it from the package itself (core.<package>)" for b in bad)


@pytest.mark.parametrize("init", sorted(CORE.glob("*/__init__.py")), ids=lambda p: p.parent.name)
def test_every_package_has_a_docstring_and_all(init):
    if f"all: {init.parent.name}" in PENDING:
        pytest.skip("pending in the architecture step")
    tree = ast.parse(init.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{init.relative_to(ROOT)}: say in a docstring what the package owns"
    assert _all_names(init), f"{init.relative_to(ROOT)}: list the public names in __all__"


def test_every_package_has_a_rank():
    unranked = sorted(p.parent.name for p in CORE.glob("*/__init__.py") if p.parent.name not in RANKS)
    assert not unranked, f"give these packages a rank in RANKS: {unranked}"


def all_findings() -> set[str]:
    missing_all = {f"all: {p.parent.name}" for p in CORE.glob("*/__init__.py")
                   if not _all_names(p) or not ast.get_docstring(ast.parse(p.read_text(encoding="utf-8")))}
    return set(cycle_findings()) | set(public_api_violations()) | missing_all


def test_pending_violations_are_still_real():
    """A fixed violation must leave PENDING, so the list only shrinks."""
    stale = sorted(PENDING - all_findings())
    assert not stale, f"fixed: remove from PENDING in tests/test_architecture.py: {stale}"


def test_the_checks_catch_what_they_claim(tmp_path, monkeypatch):
    """The rules fire on planted violations (so a green run means something)."""
    edges = {"core.a": {"core.b"}, "core.b": {"core.c"}, "core.c": {"core.a"}, "core.d": {"core.a"}}
    assert find_cycles(edges) == [["core.a", "core.b", "core.c"]]
    planted = tmp_path / "m.py"
    planted.write_text("def f():\n    import streamlit as st\n    from core.cf import recommender\n"
                       "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import core.search\n")
    names = [name for name, _ in imports_of(planted, "core.catalog")]
    assert "streamlit" in names and "core.cf.recommender" in names and "core.search" not in names
