"""The modules the DAG processor imports stay light: no numpy, pandas, moto or analysis engine."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("numpy", "pandas", "moto", "airflow_mm_provider.analysis", "airflow_mm_provider.local")


@pytest.mark.parametrize("module", ["airflow_mm_provider.hooks.model_monitor", "airflow_mm_provider.monitoring"])
def test_import_loads_nothing_heavy(module):
    code = f"import sys, {module}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""
