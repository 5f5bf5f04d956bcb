"""Checks of a package whose public names load lazily (``airflow_mm_provider.monitoring.lazy_exports``)."""

from __future__ import annotations

import ast
import importlib
import inspect
from types import ModuleType


def type_checking_imports(package: ModuleType) -> dict[str, str]:
    """Name -> submodule, as the package's ``if TYPE_CHECKING:`` block imports them (``X as X``)."""
    tree = ast.parse(inspect.getsource(package))
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


def assert_export_is_the_submodule_object(package: ModuleType, name: str) -> None:
    """``package.<name>`` is the object its submodule defines, and the package lists it."""
    exports = package._EXPORTS
    module = importlib.import_module(f"{package.__name__}.{exports[name]}")
    assert getattr(package, name) is getattr(module, name)
    assert name in package.__all__ and name in dir(package)
