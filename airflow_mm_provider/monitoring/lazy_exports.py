"""Packages whose public names load from their submodules on first access (PEP 562).

Importing such a package loads none of its submodules, so importing one of them (as the DAG processor does
through the operators) pays for that one only. The package lists the same names in an
``if TYPE_CHECKING:`` block of ``X as X`` imports, which type checkers read instead.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` of ``package``: a public name loads from its submodule on
    first access and is then kept in the package; any other name is an ``AttributeError``.

    :param package: the package's dotted name (its ``__name__``).
    :param exports: public name -> the submodule (relative to ``package``) that defines it.
    """

    def getattr_(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{exports[name]}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def dir_() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exports})

    return getattr_, dir_
