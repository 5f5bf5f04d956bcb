"""The package's lazy exports: each loads from its submodule, and type checkers see the same names."""

from __future__ import annotations

import subprocess
import sys

import pytest

import airflow_mm_provider.monitoring as monitoring
from tests.support.lazy_exports import assert_export_is_the_submodule_object, type_checking_imports


def test_type_checkers_see_exactly_the_lazy_exports() -> None:
    assert type_checking_imports(monitoring) == monitoring._EXPORTS


@pytest.mark.parametrize("name", sorted(monitoring._EXPORTS))
def test_each_export_is_the_submodule_object(name: str) -> None:
    assert_export_is_the_submodule_object(monitoring, name)


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
