"""DAG integrity of the example DAGs: each file parses with no import errors, and how long parsing takes.

Parse times are measured as the DAG processor pays them: a process with Airflow already imported forks one
child per file, and the child parses that file (importing the provider modules it uses). They are printed
(visible with ``-s``) and attached to the test report as a user property.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "example_dags"
DAG_FILES = sorted(EXAMPLES.glob("mm_*.py"))
EXPECTED = {
    "mm_hourly_monitoring.py": "mm_hourly_monitoring",
    "mm_on_demand_check.py": "mm_on_demand_check",
    "mm_retraining.py": "mm_retraining",
    "mm_batch_transform_monitoring.py": "mm_batch_transform_monitoring",
    "mm_self_hosted_monitoring.py": "mm_self_hosted_monitoring",
}
HEAVY = ("numpy", "moto", "airflow_mm_provider.analysis", "airflow_mm_provider.local")
"""Modules a DAG file must not load when parsed: the engine and the local service load in tasks only."""

_MEASURE = r"""
import json, os, sys, time
try:
    from airflow.dag_processing.dagbag import DagBag
except ImportError:
    from airflow.models.dagbag import DagBag

results = {}
for path in sys.argv[1:]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        before, started = set(sys.modules), time.process_time()
        bag = DagBag(dag_folder=path)
        seconds = time.process_time() - started
        found = {
            "seconds": seconds,
            "loaded": sorted(set(sys.modules) - before),
            "dag_ids": sorted(bag.dag_ids),
            "errors": {str(k): str(v) for k, v in bag.import_errors.items()},
            "tasks": {dag_id: len(bag.dags[dag_id].tasks) for dag_id in bag.dag_ids},
        }
        os.write(write, json.dumps(found).encode())
        os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.waitpid(pid, 0)
    results[os.path.basename(path)] = json.loads(b"".join(chunks))
print(json.dumps({"files": results, "parent": sorted(sys.modules)}))
"""


@pytest.fixture(scope="module")
def parsing() -> dict[str, Any]:
    """Each example DAG file parsed in a forked child of a process that has Airflow imported: ``files`` (per
    file) and ``parent`` (the modules that process had loaded)."""
    completed = subprocess.run(
        [sys.executable, "-c", _MEASURE, *map(str, DAG_FILES)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(EXAMPLES)},
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def parsed(parsing: dict[str, Any]) -> dict[str, dict]:
    """Per example DAG file: its DAG ids, import errors, task counts, parse CPU seconds, modules it loaded."""
    return parsing["files"]


def _heavy(modules: list[str]) -> list[str]:
    """The modules of :data:`HEAVY` (packages and their submodules) among ``modules``."""
    return [name for name in modules if name in HEAVY or name.startswith(tuple(f"{h}." for h in HEAVY))]


def test_every_example_file_is_checked() -> None:
    assert [path.name for path in DAG_FILES] == sorted(EXPECTED)


@pytest.mark.parametrize("file_name", sorted(EXPECTED))
def test_example_dag_imports_without_errors(parsed: dict[str, dict], file_name: str) -> None:
    result = parsed[file_name]
    assert result["errors"] == {}
    assert result["dag_ids"] == [EXPECTED[file_name]]
    assert result["tasks"][EXPECTED[file_name]] > 0


def test_the_parsing_process_starts_without_the_heavy_modules(parsing: dict[str, Any]) -> None:
    """Else a DAG file loading them would go unnoticed: the check sees only what parsing adds."""
    assert _heavy(parsing["parent"]) == []


@pytest.mark.parametrize("file_name", sorted(EXPECTED))
def test_parsing_an_example_loads_no_engine_or_local_service(
    parsed: dict[str, dict], file_name: str, record_property: pytest.RecordProperty
) -> None:
    """What keeps parsing cheap (the default ``dagbag_import_timeout`` is 30 s) is what it loads; the CPU
    time is recorded for the report, not asserted (a shared machine's timings are noise)."""
    result = parsed[file_name]
    record_property("parse_cpu_seconds", round(result["seconds"], 3))
    assert _heavy(result["loaded"]) == []
    assert "airflow_mm_provider" in result["loaded"] or any(
        name.startswith("airflow_mm_provider.") for name in result["loaded"]
    )


# ---- the on-demand DAG's trigger form ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def on_demand_params() -> Any:
    """The ``params`` of ``mm_on_demand_check`` as Airflow loads them: the schema its trigger form renders."""
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 2
        from airflow.models.dagbag import DagBag
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.syspath_prepend(str(EXAMPLES))
        bag = DagBag(dag_folder=str(EXAMPLES / "mm_on_demand_check.py"))
    assert bag.import_errors == {}
    return bag.dags["mm_on_demand_check"].params


def test_on_demand_form_validates_as_it_opens(on_demand_params: Any) -> None:
    """Airflow's own validation of the defaults: what the form submits when nothing is changed."""
    values = on_demand_params.validate()
    assert values["window_end"] is None and values["subjects"] is None
    assert values["monitor_type"] == "ModelQuality" and values["hours"] == 1


@pytest.mark.parametrize(
    ("name", "cleared"), [("window_end", None), ("window_end", ""), ("subjects", None), ("subjects", [])]
)
def test_optional_form_fields_accept_being_cleared(on_demand_params: Any, name: str, cleared: Any) -> None:
    """A field described as "empty: ..." is nullable in the schema, so the form does not require it, and
    its cleared value validates."""
    param = on_demand_params.get_param(name)
    assert "empty:" in param.description
    assert "null" in param.schema["type"]
    assert param.resolve(cleared) == cleared


def test_every_field_described_as_optional_is_nullable(on_demand_params: Any) -> None:
    optional = {
        name for name in on_demand_params if "empty:" in (on_demand_params.get_param(name).description or "")
    }
    assert optional == {"window_end", "subjects"}
    from airflow.exceptions import ParamValidationError

    for name in set(on_demand_params) - optional:  # the others stay required: null is refused
        assert "null" not in on_demand_params.get_param(name).schema.get("type", [])
        with pytest.raises(ParamValidationError):
            on_demand_params.get_param(name).resolve(None)
