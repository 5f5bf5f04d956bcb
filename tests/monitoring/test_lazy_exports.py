"""A package's lazy public names: loaded from the submodule on first access, kept, listed; others refused."""

from __future__ import annotations

import sys
from types import ModuleType

import pytest

from airflow_mm_provider.monitoring.lazy_exports import lazy_exports


@pytest.fixture
def package(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """A package ``lazypkg`` exporting ``value`` from its submodule ``lazypkg.sub`` (loaded on demand)."""
    root, sub = ModuleType("lazypkg"), ModuleType("lazypkg.sub")
    sub.value = object()  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "lazypkg", root)
    monkeypatch.setitem(sys.modules, "lazypkg.sub", sub)
    root.__getattr__, root.__dir__ = lazy_exports("lazypkg", {"value": "sub"})  # type: ignore[attr-defined]
    return root


def test_a_name_loads_from_its_submodule_once_and_is_kept(package: ModuleType) -> None:
    assert "value" not in vars(package)
    value = package.value  # type: ignore[attr-defined]
    assert value is sys.modules["lazypkg.sub"].value  # type: ignore[attr-defined]
    assert vars(package)["value"] is value


def test_dir_lists_the_exports_before_they_load(package: ModuleType) -> None:
    assert "value" in dir(package) and "value" not in vars(package)


def test_another_name_is_an_attribute_error_naming_the_package(package: ModuleType) -> None:
    with pytest.raises(AttributeError, match="module 'lazypkg' has no attribute 'other'"):
        package.other  # type: ignore[attr-defined]  # noqa: B018
