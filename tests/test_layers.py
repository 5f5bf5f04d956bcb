"""The package's layers import only downwards, and the README's layer table names exactly the package's parts.

Rules (README "What is in the package", DESIGN "Layers"):

- each layer imports only the layers in :data:`MAY_IMPORT` (anywhere in a module: at load, in a function, or
  for type checking); the table is a strict order, so nothing below imports from above;
- ``monitoring``, ``analysis`` and ``processing`` never import Airflow, anywhere;
- ``operators``, ``sensors``, ``hooks``, ``monitoring`` and ``processing`` never import numpy, pandas, moto or
  ``analysis`` while loading (imports inside functions, and ``if TYPE_CHECKING:`` blocks, do not run at load);
- the Airflow-facing layers never import ``local`` or ``analysis``; the operators may call the self-hosted
  runner through its one documented entry point, :data:`RUNNER`, only;
- no two modules import each other, directly or through others (counting imports in functions and for type
  checking), so no module needs another to be half-loaded (e.g. ``local.control`` and ``local.server``).

The checker reads source with ``ast`` and imports nothing, so the tests below can feed it synthetic modules
that break each rule.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "airflow_mm_provider"
RUNNER = "runner"
"""``airflow_mm_provider.runner``: the self-hosted runner's entry point, the one way operators may reach
``analysis``."""

MAY_IMPORT: Mapping[str, frozenset[str]] = {
    "operators": frozenset({"triggers", "links", "hooks", "utils", "monitoring", RUNNER}),
    "ui": frozenset({"hooks", "utils", "monitoring"}),
    "sensors": frozenset({"triggers", "links", "hooks", "utils", "monitoring"}),
    "triggers": frozenset({"hooks", "utils", "monitoring"}),
    "links": frozenset({"hooks", "utils", "monitoring"}),
    RUNNER: frozenset({"hooks", "utils", "monitoring", "processing", "analysis"}),
    "hooks": frozenset({"utils", "monitoring"}),
    "utils": frozenset({"monitoring"}),
    "local": frozenset({"processing", "analysis", "monitoring"}),
    "processing": frozenset({"analysis", "monitoring"}),
    "monitoring": frozenset(),
    "analysis": frozenset(),
    "get_provider_info": frozenset(),
}
"""The package layers each layer may import (besides itself and the package root, which holds the version)."""
NO_AIRFLOW = frozenset({"monitoring", "analysis", "processing"})
LIGHT_AT_LOAD = frozenset({"operators", "sensors", "hooks", "monitoring", "processing"})
HEAVY = frozenset({"numpy", "pandas", "moto"})


def layer_of(module: str) -> str | None:
    """The layer of a dotted module name of the package (``""`` for the package root), else ``None``."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    return "" if len(parts) == 1 or parts[1] == "__init__" else parts[1]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(module: str, source: str, names: bool = False) -> Iterator[tuple[str, bool]]:
    """Every module ``source`` imports (relative imports resolved), and whether it runs when it loads.

    ``from p import x`` yields ``p``, and ``p.x`` too when ``p`` is the package root or ``names`` is set
    (``x`` may be a submodule).

    :param module: the dotted name of the module holding ``source`` (``pkg.__init__`` for a package).
    :param source: the module's Python source.
    :param names: also yield ``p.x`` for every ``from p import x``.
    """

    def visit(node: ast.AST, at_load: bool) -> Iterator[tuple[str, bool]]:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, at_load
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: -node.level]
                base = ".".join([*anchor, base] if base else anchor)
            yield base, at_load
            if names or layer_of(base) == "":
                for alias in node.names:  # a submodule, unless a dunder such as __version__
                    if not alias.name.startswith("__"):
                        yield f"{base}.{alias.name}", at_load
        for child in ast.iter_child_nodes(node):
            runs = at_load and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(node, ast.If) and _is_type_checking(node) and child in node.body:
                runs = False
            yield from visit(child, runs)

    yield from visit(ast.parse(source), True)


def violations(sources: Mapping[str, str]) -> list[str]:
    """Every broken rule, one line each, for modules given as ``{dotted name: source}``.

    :param sources: the package's modules.
    """
    found = []
    for module, source in sorted(sources.items()):
        layer = layer_of(module)
        if not layer:
            continue
        allowed = MAY_IMPORT.get(layer)
        if allowed is None:
            found.append(f"{module}: layer {layer} is not in MAY_IMPORT")
            continue
        for target, at_load in imports(module, source):
            top = target.split(".")[0]
            target_layer = layer_of(target)
            if target_layer not in (None, "", layer) and target_layer not in allowed:
                found.append(f"{module} imports {target}: {layer} may not import {target_layer}")
            if top == "airflow" and layer in NO_AIRFLOW:
                found.append(f"{module} imports {target}: {layer} never imports Airflow")
            heavy = top in HEAVY or target_layer == "analysis"
            if heavy and at_load and layer in LIGHT_AT_LOAD:
                found.append(f"{module} imports {target} when it loads: {layer} stays light")
    return found


def import_cycles(sources: Mapping[str, str]) -> list[list[str]]:
    """The groups of modules that import each other (directly or through others), each sorted.

    Package ``__init__`` modules, which only re-export (lazily), are left out.

    :param sources: the package's modules, ``{dotted name: source}``.
    """
    known = {name: name for name in sources if not name.endswith(".__init__")}

    def module_of(target: str) -> str | None:
        while target and target not in known:
            target = target.rpartition(".")[0]
        return known.get(target)

    graph = {
        name: {found for target, _ in imports(name, source, names=True) if (found := module_of(target))}
        - {name}
        for name, source in sources.items()
        if name in known
    }
    reach: dict[str, set[str]] = {}
    for start in graph:
        seen, todo = set(), list(graph[start])
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(graph.get(current, ()))
        reach[start] = seen
    groups = {tuple(sorted(n for n in graph if n == m or (n in reach[m] and m in reach[n]))) for m in graph}
    return sorted(list(group) for group in groups if len(group) > 1)


def package_sources(root: Path = ROOT / PACKAGE) -> dict[str, str]:
    """``{dotted name: source}`` of every module of the package under ``root``."""
    sources = {}
    for path in sorted(root.rglob("*.py")):
        sources[".".join(path.relative_to(root.parent).with_suffix("").parts)] = path.read_text()
    return sources


def package_layers(root: Path = ROOT / PACKAGE) -> set[str]:
    """The package's folders and top-level modules (besides ``__init__``)."""
    folders = {path.parent.name for path in root.glob("*/*.py")}
    modules = {path.stem for path in root.glob("*.py") if path.stem != "__init__"}
    return folders | modules


def readme_layers(text: str) -> set[str]:
    """The layers the README's layer table names in its first column (``airflow_mm_provider.x`` or ``.x``)."""
    start = text.index("| layer |")
    rows = text[start:].split("\n\n", 1)[0].splitlines()[2:]
    named = set()
    for row in rows:
        first = row.split("|")[1]
        for name in re.findall(r"`([^`]+)`", first):
            named.add(name.removeprefix(PACKAGE).lstrip(".").split(".")[0])
    return named


# ---- the package ----------------------------------------------------------------------------------------


def test_the_package_keeps_its_layers() -> None:
    sources = package_sources()
    assert {layer_of(name) for name in sources} >= {"operators", "hooks", "monitoring", "analysis"}
    assert violations(sources) == []


def test_no_modules_import_each_other() -> None:
    assert import_cycles(package_sources()) == []


def test_every_part_of_the_package_has_rules() -> None:
    assert package_layers() <= set(MAY_IMPORT)


def test_the_layer_order_is_strict() -> None:
    """No layer reaches itself through what it may import: the table is an order, not a web."""

    def reachable(layer: str) -> set[str]:
        seen: set[str] = set()
        todo = list(MAY_IMPORT[layer])
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(MAY_IMPORT.get(current, ()))
        return seen

    assert [layer for layer in MAY_IMPORT if layer in reachable(layer)] == []
    assert "local" not in reachable("operators") and "analysis" not in reachable("sensors")


def test_the_readme_table_names_exactly_the_package_parts() -> None:
    assert readme_layers((ROOT / "README.md").read_text()) == package_layers()


# ---- the checker catches what it must -------------------------------------------------------------------


def module(name: str, source: str) -> dict[str, str]:
    return {f"{PACKAGE}.{name}": source}


@pytest.mark.parametrize(
    ("name", "source", "expected"),
    [
        (
            "hooks.model_monitor",
            "from airflow_mm_provider.operators.base import X",
            "hooks may not import operators",
        ),
        (
            "monitoring.slots",
            "import airflow_mm_provider.hooks.model_monitor",
            "monitoring may not import hooks",
        ),
        (
            "monitoring.slots",
            "def f():\n    from airflow.models import DAG",
            "monitoring never imports Airflow",
        ),
        (
            "analysis.jobs",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import airflow",
            "analysis never imports Airflow",
        ),
        (
            "operators.branch",
            "def f():\n    from airflow_mm_provider import analysis",
            "may not import analysis",
        ),
        (
            "sensors.execution",
            "from airflow_mm_provider.local import testing",
            "sensors may not import local",
        ),
        ("sensors.execution", "from airflow_mm_provider.runner import run", "sensors may not import runner"),
        ("triggers.execution", "from ..operators import base", "triggers may not import operators"),
        ("operators.base", "from airflow_mm_provider.sensors.execution import X", "may not import sensors"),
        ("sensors.base", "import numpy as np", "when it loads: sensors stays light"),
        ("hooks.model_monitor", "class C:\n    import pandas", "when it loads: hooks stays light"),
        (
            "utils.waiting",
            "from airflow_mm_provider.hooks import model_monitor",
            "utils may not import hooks",
        ),
        (
            "processing.job_runner",
            "def f():\n    from airflow.models import DAG",
            "processing never imports Airflow",
        ),
        ("processing.engine", "from airflow_mm_provider.analysis import jobs", "processing stays light"),
        (
            "processing.s3files",
            "from airflow_mm_provider.local import jobs",
            "processing may not import local",
        ),
        ("newlayer", "x = 1", "layer newlayer is not in MAY_IMPORT"),
    ],
)
def test_a_forbidden_import_is_reported(name: str, source: str, expected: str) -> None:
    (found,) = violations(module(name, source))
    assert expected in found and f"{PACKAGE}.{name}" in found


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("operators.baseline", "def f():\n    from airflow_mm_provider.runner import run"),
        ("monitoring.slots", "def f():\n    import numpy"),
        ("hooks.model_monitor", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pandas"),
        ("local.server", "import moto\nfrom airflow_mm_provider.analysis import jobs"),
        ("local.server", "from airflow_mm_provider.processing.job_runner import JobRunner"),
        ("processing.engine", "def f():\n    from airflow_mm_provider.analysis import jobs"),
        ("runner.processing_job", "from airflow_mm_provider.processing import job_runner"),
        ("operators.schedule", "from airflow_mm_provider import __version__\nfrom . import base"),
        ("get_provider_info", "from airflow_mm_provider import __version__"),
    ],
)
def test_allowed_imports_pass(name: str, source: str) -> None:
    assert violations(module(name, source)) == []


def test_an_import_cycle_is_reported() -> None:
    sources = {
        **module("local.control", "import typing\nif typing.TYPE_CHECKING:\n    from . import server"),
        **module("local.server", "from airflow_mm_provider.local import control"),
        **module("local.api", "def f():\n    from airflow_mm_provider.local import server"),
    }
    assert import_cycles(sources) == [[f"{PACKAGE}.local.control", f"{PACKAGE}.local.server"]]
    del sources[f"{PACKAGE}.local.control"]
    assert import_cycles(sources) == []


def test_the_readme_check_sees_a_missing_or_extra_row() -> None:
    table = (
        "| layer | what it holds |\n|---|---|\n"
        "| `airflow_mm_provider.operators` | x |\n| `airflow_mm_provider.sensors`, `.links` | y |\n\nmore"
    )
    assert readme_layers(table) == {"operators", "sensors", "links"}
