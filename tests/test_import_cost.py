"""The modules the DAG processor imports stay light: no numpy, pandas, moto or analysis engine.

Operator and sensor modules also leave the request models, report parsers, the S3 hook and the trigger
machinery to load on first use, so a DAG file pays only for the classes it builds.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import airflow_mm_provider.operators
import airflow_mm_provider.sensors

HEAVY = ("numpy", "pandas", "moto", "airflow_mm_provider.analysis", "airflow_mm_provider.local")
OPERATORS_AND_SENSORS = tuple(
    sorted(
        info.name
        for package in (airflow_mm_provider.operators, airflow_mm_provider.sensors)
        for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}.")
    )
)
"""Every operator and sensor module: what a DAG file may import."""
DAG_FACING = (
    "airflow_mm_provider.monitoring",
    "airflow_mm_provider.hooks.model_monitor",
    *OPERATORS_AND_SENSORS,
    "airflow_mm_provider.triggers.execution",
)


ON_USE = (
    "isodate",
    "airflow.providers.amazon.aws.hooks.s3",
    "airflow.providers.amazon.aws.hooks.sagemaker",
    "airflow.providers.amazon.aws.triggers.sagemaker",
    "airflow_mm_provider.triggers.execution",
    "airflow_mm_provider.monitoring.inputs",
    "airflow_mm_provider.monitoring.job_definitions",
    "airflow_mm_provider.monitoring.baselining",
    "airflow_mm_provider.monitoring.violations",
    "airflow_mm_provider.monitoring.statistics",
    "airflow_mm_provider.monitoring.constraints",
    "airflow_mm_provider.monitoring.clarify",
)


def _printed_by_fresh_interpreter(code: str) -> str:
    """The last line ``code`` prints when run in a fresh interpreter."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return result.stdout.strip().splitlines()[-1]


def _loaded_after_import(modules: tuple[str, ...], watched: tuple[str, ...]) -> list[str]:
    """Which of ``watched`` are loaded after importing ``modules`` in a fresh interpreter."""
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps([m for m in {watched!r} if m in sys.modules]))\n"
    )
    return json.loads(_printed_by_fresh_interpreter(code))


def test_operator_and_sensor_modules_leave_request_models_and_triggers_for_later():
    public = {"operators.baseline", "operators.branch", "operators.schedule", "sensors.execution"}
    assert {f"airflow_mm_provider.{name}" for name in public} <= set(OPERATORS_AND_SENSORS)
    assert _loaded_after_import(OPERATORS_AND_SENSORS, ON_USE) == []


def test_building_a_baseline_operator_loads_the_request_models():
    code = (
        "import sys\n"
        "from airflow_mm_provider.operators.baseline import SageMakerDataQualityBaselineOperator\n"
        "SageMakerDataQualityBaselineOperator(task_id='t', baseline_dataset='s3://b/d.csv',\n"
        "    output_s3_uri='s3://b/o', role_arn='arn:aws:iam::111122223333:role/r')\n"
        "print('airflow_mm_provider.monitoring.baselining' in sys.modules)\n"
    )
    assert _printed_by_fresh_interpreter(code) == "True"


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
    found = json.loads(_printed_by_fresh_interpreter(code))
    assert found == {name: [] for name in DAG_FACING}
