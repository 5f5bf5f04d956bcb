"""The runner's entry point: lazy exports that type checkers see too, and a light import."""

from __future__ import annotations

import pytest

import airflow_mm_provider.runner as runner
from tests.support.imports import modules_loaded_by
from tests.support.lazy_exports import assert_export_is_the_submodule_object, type_checking_imports


def test_type_checkers_see_exactly_the_lazy_exports() -> None:
    assert type_checking_imports(runner) == runner._EXPORTS


@pytest.mark.parametrize("name", sorted(runner._EXPORTS))
def test_each_export_is_the_submodule_object(name: str) -> None:
    assert_export_is_the_submodule_object(runner, name)


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'run_job'"):
        runner.run_job  # type: ignore[attr-defined]  # noqa: B018


def test_importing_the_entry_point_loads_no_engine_numpy_or_runner_module() -> None:
    loaded = modules_loaded_by(
        "import airflow_mm_provider.runner",
        (
            "numpy",
            "airflow_mm_provider.analysis",
            "airflow_mm_provider.runner.",
            "airflow_mm_provider.processing",
        ),
    )
    assert loaded == []
