"""Every third-party package that thm_lib imports is declared in pyproject.toml (issue 14)."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "thm_lib"


def _normalise(name: str) -> str:
    """PEP 503 normalised distribution name (``PyYAML`` -> ``pyyaml``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules(files: list[Path]) -> dict[str, set[str]]:
    """Top-level module names of absolute imports in ``files``, with the files importing them."""
    found: dict[str, set[str]] = {}
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def declared_distributions(extra: str | None = None) -> set[str]:
    """Normalised names of the runtime dependencies in pyproject.toml (plus ``extra``'s)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"])
    if extra:
        reqs += project["optional-dependencies"][extra]
    return {_normalise(re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0]) for req in reqs}


def undeclared(
    found: dict[str, set[str]], declared: set[str], local: frozenset[str] = frozenset()
) -> list[str]:
    """German lines for every third-party import whose distribution is not declared.

    ``local``: module names of the repository itself (helpers beside the tests).
    """
    distributions = importlib.metadata.packages_distributions()
    problems = []
    for module, where in sorted(found.items()):
        if module in {"thm_lib", "__future__", *local} or module in sys.stdlib_module_names:
            continue
        dists = distributions.get(module)
        if not dists:
            problems.append(
                f"{module}: kein installiertes Paket gefunden ({', '.join(sorted(where))})"
            )
            continue
        if not any(_normalise(d) in declared for d in dists):
            problems.append(
                f"{module} (Paket {', '.join(sorted(set(dists)))}) fehlt in "
                f"[project].dependencies; importiert in {', '.join(sorted(where))}"
            )
    return problems


def test_every_imported_package_is_declared() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 30
    problems = undeclared(imported_modules(files), declared_distributions())
    assert not problems, "\n".join(problems)


def test_tests_benchmarks_and_scripts_declare_theirs_in_the_test_extra() -> None:
    folders = [ROOT / "tests", ROOT / "benchmarks", ROOT / "scripts"]
    files = sorted(p for folder in folders for p in folder.rglob("*.py"))
    local = frozenset({p.stem for p in files} | {"tests"})
    problems = undeclared(imported_modules(files), declared_distributions("test"), local)
    assert not problems, "\n".join(problems)


def test_check_finds_an_undeclared_import() -> None:
    # the check itself must be able to fail: an import of a package that is installed
    # (pytest) but not a runtime dependency, and one of a module that does not exist
    probe = ROOT / "thm_lib" / "__init__.py"
    found = imported_modules([probe])
    found["pytest"] = {"thm_lib/probe.py"}
    found["gibt_es_nicht_xyz"] = {"thm_lib/probe.py"}
    found["json"] = {"thm_lib/probe.py"}  # stdlib: never reported
    problems = undeclared(found, declared_distributions())
    assert len(problems) == 2
    assert problems[0].startswith("gibt_es_nicht_xyz: kein installiertes Paket")
    assert problems[1].startswith("pytest (Paket pytest) fehlt")


def test_import_names_are_mapped_to_distributions() -> None:
    # import name and distribution name differ: yaml -> PyYAML, bs4 -> beautifulsoup4
    declared = declared_distributions()
    assert {"pyyaml", "beautifulsoup4", "ipywidgets"} <= declared
    assert not undeclared({"yaml": {"x"}, "bs4": {"x"}}, declared)
