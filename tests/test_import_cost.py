"""The modules the DAG processor imports stay light: no numpy, pandas, moto or analysis engine."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("numpy", "pandas", "moto", "airflow_mm_provider.analysis", "airflow_mm_provider.local")
DAG_FACING = (
    "airflow_mm_provider.monitoring",
    "airflow_mm_provider.hooks.model_monitor",
    "airflow_mm_provider.operators.baseline",
    "airflow_mm_provider.operators.branch",
    "airflow_mm_provider.operators.ground_truth",
    "airflow_mm_provider.operators.schedule",
    "airflow_mm_provider.sensors.execution",
    "airflow_mm_provider.sensors.schedule",
    "airflow_mm_provider.triggers.execution",
)


def test_imports_load_nothing_heavy():
    """Import each module in turn in one fresh interpreter; report what heavy module each one pulled in."""
    code = (
        "import importlib, json, sys\n"
        f"heavy, found = {HEAVY!r}, {{}}\n"
        f"for name in {DAG_FACING!r}:\n"
        "    importlib.import_module(name)\n"
        "    found[name] = [m for m in heavy if m in sys.modules]\n"
        "print(json.dumps(found))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found == {name: [] for name in DAG_FACING}
