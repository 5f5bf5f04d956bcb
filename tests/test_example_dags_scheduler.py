"""The retraining example DAG under a real scheduler and triggerer, not ``dags test``.

Its deferrable baseline jobs end within a second on the local service. Under the scheduler a trigger that
fired that fast used to resume the task before the scheduler had read the deferring worker's exit, and
Airflow 3.3 then failed the task (``task-state-changed-externally``) although its job had completed.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_mm_provider.local.testing import LocalModelMonitor
from tests.support.scheduler import TEST_TIMEOUT, AirflowDeployment

EXAMPLES = Path(__file__).resolve().parent.parent / "example_dags"
sys.path.insert(0, str(EXAMPLES))

from mm_examples import ExampleSettings  # noqa: E402
from mm_examples.demo_data import create_endpoint  # noqa: E402

DAG_ID = "mm_retraining"
SETTINGS = ExampleSettings(poke_interval=1.0, check_interval=1, deferrable=True)
BASELINES = ("model_quality_baseline", "model_bias_baseline")


@pytest.fixture
def airflow(tmp_path: Path, mm_local: LocalModelMonitor) -> Iterator[AirflowDeployment]:
    """The components running a DAGs folder holding only the retraining DAG, against the local service."""
    dags = tmp_path / "dags"
    dags.mkdir()
    for name in (f"{DAG_ID}.py", "mm_examples"):
        (dags / name).symlink_to(EXAMPLES / name)
    fast = {"poke_interval": SETTINGS.poke_interval, "check_interval": SETTINGS.check_interval}
    deployment = AirflowDeployment(
        tmp_path / "home",
        dags,
        {
            f"AIRFLOW_CONN_{SETTINGS.aws_conn_id.upper()}": mm_local.airflow_connection_uri(),
            "AIRFLOW_VAR_MM_EXAMPLES": json.dumps(fast),
        },
    )
    try:
        deployment.start()
        yield deployment
    finally:
        deployment.stop()


@pytest.mark.timeout(TEST_TIMEOUT)
def test_retraining_with_deferred_baselines_succeeds_under_the_scheduler(
    mm_local: LocalModelMonitor, airflow: AirflowDeployment
) -> None:
    mm_local.client("s3").create_bucket(Bucket=SETTINGS.bucket)
    create_endpoint(mm_local.client("sagemaker"), SETTINGS)
    airflow.wait_for_dag(DAG_ID)

    airflow.cli("dags", "trigger", DAG_ID)
    state, tasks = airflow.wait_for_run(DAG_ID)

    assert tasks == {
        "retrain": "success",
        "upload_bias_config": "success",
        "model_quality_baseline": "success",
        "model_bias_baseline": "success",
        "model_quality_schedule": "success",
        "model_bias_schedule": "success",
        "promote": "success",
    }
    assert state == "success"
    logs = {task: airflow.task_log(DAG_ID, task) for task in BASELINES}
    assert all("Pausing task as DEFERRED" in text or "not deferring" in text for text in logs.values()), logs
    schedules = mm_local.client("sagemaker").list_monitoring_schedules()["MonitoringScheduleSummaries"]
    assert {s["MonitoringScheduleName"] for s in schedules} == {
        SETTINGS.schedule_name("model-quality"),
        SETTINGS.schedule_name("model-bias"),
    }
