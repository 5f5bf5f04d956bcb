"""The package's lazy exports: each loads from its submodule, and type checkers see the same names."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys

import pytest

import airflow_mm_provider.monitoring as monitoring


def type_checking_imports() -> dict[str, str]:
    """Name -> submodule, as the package's ``if TYPE_CHECKING:`` block imports them (``X as X``)."""
    tree = ast.parse(inspect.getsource(monitoring))
    (block,) = [
        node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
    ]
    found = {}
    for statement in block.body:
        assert isinstance(statement, ast.ImportFrom) and statement.module is not None
        for alias in statement.names:
            assert alias.asname == alias.name, f"{alias.name} is not re-exported as itself"
            found[alias.name] = statement.module.rsplit(".", 1)[-1]
    return found


def test_type_checkers_see_exactly_the_lazy_exports() -> None:
    assert type_checking_imports() == monitoring._EXPORTS


@pytest.mark.parametrize("name", sorted(monitoring._EXPORTS))
def test_each_export_is_the_submodule_object(name: str) -> None:
    module = importlib.import_module(f"airflow_mm_provider.monitoring.{monitoring._EXPORTS[name]}")
    assert getattr(monitoring, name) is getattr(module, name)
    assert name in monitoring.__all__ and name in dir(monitoring)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'DatasetFormats'"):
        monitoring.DatasetFormats  # type: ignore[attr-defined]  # noqa: B018


def test_one_name_loads_only_its_submodule() -> None:
    code = (
        "import sys\n"
        "from airflow_mm_provider.monitoring import ScheduleExpression\n"
        "print(sorted(m for m in ('inputs', 'job_definitions', 'violations', 'statistics')\n"
        "             if f'airflow_mm_provider.monitoring.{m}' in sys.modules))\n"
    )
    printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert printed.strip() == "[]"
