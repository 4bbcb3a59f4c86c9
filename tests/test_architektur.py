"""The package layout keeps its one-way flow (docs/architektur.md), checked with ``ast``.

core → ingest → analysis → disclosure → publish → apps / run: a module imports only
from its own layer or a lower one, never from inside a function, and there is no
import cycle between modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "thm_lib"

LAYERS = {
    "core": 0,
    "ingest": 1,
    "analysis": 2,
    "disclosure": 3,
    "publish": 4,
    "apps": 5,
    "run": 6,
}
"""Layer of each subpackage; ``run`` may start the apps' server, the apps never run a batch."""
PER_BEFEHL = {"thm_lib.run.cli"}
"""Modules that import inside functions on purpose: each ``thm`` command loads what it needs
when it runs (``thm --help`` took 3–4 s loading Jupyter Server for ``thm app``; now 0.15 s)."""


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, bool]]:
    """The ``thm_lib`` modules ``name`` imports, each with "at module level?"."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{name}: relative import"
            base = node.module or ""
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names
            ]
        else:
            continue
        for target in targets:
            if target.startswith("thm_lib"):
                found.append((target, id(node) in top))
    return found


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def test_the_layers_are_the_subpackages():
    top = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert top == set(LAYERS)
    loose = {p.name for p in PACKAGE.glob("*.py")}
    assert loose == {"__init__.py"}, "modules belong in a layer"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_go_down_and_sit_at_module_level(name):
    own = _layer(name)
    for target, at_top in _imports(name, MODULES[name]):
        assert at_top or name in PER_BEFEHL, f"{name} imports {target} inside a function or block"
        layer = _layer(target)
        if own is not None and layer is not None:
            assert layer <= own, f"{name} (layer {own}) imports {target} (layer {layer})"


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (a package importing its own modules does not count)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt.startswith(node + "."):
                continue
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for name in sorted(graph):
        if name not in state and (found := visit(name)):
            return found
    return None


def test_no_import_cycle():
    graph = {
        name: {t for t, _ in _imports(name, path) if t in MODULES and t != name}
        for name, path in MODULES.items()
    }
    cycle = _find_cycle(graph)
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_the_cycle_check_finds_a_cycle():
    """A made-up cycle through three modules is found (so silence above means something)."""
    graph = {"p.a": {"p.b"}, "p.b": {"p.c"}, "p.c": {"p.a"}, "p": {"p.a"}, "q": set()}
    assert _find_cycle(graph) == ["p.a", "p.b", "p.c", "p.a"]
    assert _find_cycle({"p": {"p.a"}, "p.a": set()}) is None
