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

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "example_dags"
DAG_FILES = sorted(EXAMPLES.glob("mm_*.py"))
EXPECTED = {
    "mm_hourly_monitoring.py": "mm_hourly_monitoring",
    "mm_on_demand_check.py": "mm_on_demand_check",
    "mm_retraining.py": "mm_retraining",
    "mm_batch_transform_monitoring.py": "mm_batch_transform_monitoring",
}
PARSE_BUDGET_SECONDS = 5.0
"""The default ``dagbag_import_timeout`` is 30 s; a DAG file should take a small fraction of it."""

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
        started = time.perf_counter()
        bag = DagBag(dag_folder=path)
        seconds = time.perf_counter() - started
        found = {
            "seconds": seconds,
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
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def parsed() -> dict[str, dict]:
    """Each example DAG file parsed in a forked child of a process that has Airflow imported."""
    completed = subprocess.run(
        [sys.executable, "-c", _MEASURE, *map(str, DAG_FILES)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(EXAMPLES)},
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_every_example_file_is_checked() -> None:
    assert [path.name for path in DAG_FILES] == sorted(EXPECTED)


@pytest.mark.parametrize("file_name", sorted(EXPECTED))
def test_example_dag_imports_without_errors(parsed: dict[str, dict], file_name: str) -> None:
    result = parsed[file_name]
    assert result["errors"] == {}
    assert result["dag_ids"] == [EXPECTED[file_name]]
    assert result["tasks"][EXPECTED[file_name]] > 0


def test_parse_times(parsed: dict[str, dict], record_property: pytest.RecordProperty) -> None:
    times = {name: round(result["seconds"], 3) for name, result in parsed.items()}
    record_property("example_dag_parse_seconds", json.dumps(times))
    import airflow

    print(
        f"\nExample DAG parse times on Airflow {airflow.__version__} "
        "(each forked from a process with Airflow loaded):"
    )
    for name, seconds in sorted(times.items()):
        print(f"  {name:36} {seconds:6.3f} s")
    assert max(times.values()) < PARSE_BUDGET_SECONDS
