"""Each example DAG end to end against the local service: ``dag.test()`` in-process, real analysis.

A background thread plays the service clock: once the DAG run has created its schedules it runs the due
slots (``run_due``), so an hourly slot's execution happens in seconds. Slots lie in the past (the sensors
compare them with the real clock), relative to the current hour.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_0_PLUS

from airflow_mm_provider.local.testing import LocalModelMonitor

EXAMPLES = Path(__file__).resolve().parent.parent / "example_dags"
sys.path.insert(0, str(EXAMPLES))

from mm_examples import ExampleSettings  # noqa: E402
from mm_examples.demo_data import (  # noqa: E402
    DRIFT,
    HOUR_SEEDS,
    V1_SEED,
    Hour,
    batch_objects,
    create_endpoint,
    endpoint_objects,
    put_objects,
    validation_objects,
)

HOUR = timedelta(hours=1)
SETTINGS = ExampleSettings(poke_interval=0.2, check_interval=1)
FAST = json.dumps({"poke_interval": SETTINGS.poke_interval, "check_interval": SETTINGS.check_interval})
ENDPOINT_SCHEDULES = [SETTINGS.schedule_name("model-quality"), SETTINGS.schedule_name("model-bias")]
BATCH_SCHEDULE = f"{SETTINGS.endpoint_name}-batch-model-quality"


@pytest.fixture(scope="module")
def example_dags_db() -> Iterator[None]:
    """The metadata database of the test AIRFLOW_HOME, migrated once, with the example DAGs serialized."""
    from cryptography.fernet import Fernet

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(EXAMPLES))
        patch.setenv("AIRFLOW_VAR_MM_EXAMPLES", FAST)
        # dag.test() resumes in-process: no worker exit to wait out before the first look
        patch.setenv("AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL", "0")
        if (
            not AIRFLOW_V_3_0_PLUS
        ):  # Airflow 2's unit-test config asks for LocalExecutor, which refuses SQLite
            patch.setenv("AIRFLOW__CORE__EXECUTOR", "SequentialExecutor")
        patch.setenv(
            "AIRFLOW__CORE__FERNET_KEY",
            os.environ.get("AIRFLOW__CORE__FERNET_KEY") or Fernet.generate_key().decode(),
        )
        airflow = str(Path(sys.executable).parent / "airflow")
        # The examples import mm_examples from the DAGs folder, which the DAG processor puts on sys.path;
        # Airflow 3.1's `dags reserialize` does not (and exits 0 on files that fail to import).
        path = os.pathsep.join(filter(None, (str(EXAMPLES), os.environ.get("PYTHONPATH"))))
        for command in (["db", "migrate"], ["dags", "reserialize"]):
            done = subprocess.run(
                [airflow, *command],
                capture_output=True,
                text=True,
                timeout=300,
                env={**os.environ, "PYTHONPATH": path},
            )
            output = done.stdout + done.stderr
            assert done.returncode == 0 and "Failed to import" not in output, output[-4000:]
        yield


@pytest.fixture
def service(
    mm_local: LocalModelMonitor, mm_local_connection: str, example_dags_db: None
) -> LocalModelMonitor:
    """The local service with the demo bucket, the endpoint and model version v1's validation data."""
    assert mm_local_connection == SETTINGS.aws_conn_id
    s3 = mm_local.client("s3")
    s3.create_bucket(Bucket=SETTINGS.bucket)
    create_endpoint(mm_local.client("sagemaker"), SETTINGS)
    put_objects(s3, validation_objects(SETTINGS, "v1", V1_SEED))
    _set_model_version(None)
    return mm_local


def _set_model_version(version: str | None) -> None:
    from airflow.models.variable import Variable

    if version is None:
        Variable.delete("mm_model_version")
    else:
        Variable.set("mm_model_version", version)


def top_of_hour() -> datetime:
    """The current hour; every slot the tests run lies at least an hour before it."""
    return datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)


def load_dag(file_name: str) -> Any:
    """The DAG of one example file, parsed as the DAG processor parses it."""
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:
        from airflow.models.dagbag import DagBag

    bag = DagBag(dag_folder=str(EXAMPLES / file_name))
    assert bag.import_errors == {}
    if AIRFLOW_V_3_0_PLUS:
        serialize(bag)
    (dag,) = bag.dags.values()
    return dag


def serialize(bag: Any) -> None:
    """Write the bag's DAGs to the metadata DB, as the DAG processor does, so that the run's DAG version is
    the file as parsed now."""
    try:
        from airflow.dag_processing.dagbag import sync_bag_to_db
    except ImportError:
        from airflow.models.dagbag import sync_bag_to_db
    sync_bag_to_db(bag, "dags-folder", None)


def schedules_ready(service: LocalModelMonitor, names: list[str]) -> bool:
    """Whether every named schedule exists and is Scheduled."""
    summaries = service.client("sagemaker").list_monitoring_schedules()["MonitoringScheduleSummaries"]
    found = {s["MonitoringScheduleName"]: s["MonitoringScheduleStatus"] for s in summaries}
    return all(found.get(name) == "Scheduled" for name in names)


def run_dag(
    service: LocalModelMonitor,
    file_name: str,
    logical_date: datetime,
    schedules: list[str],
    until: datetime | None,
    conf: dict[str, Any] | None = None,
) -> tuple[str, dict[str, str]]:
    """``dag.test()`` while a thread runs the due slots once ``schedules`` exist; (run state, task states)."""
    stop = threading.Event()

    def drive() -> None:
        while not stop.wait(0.3):
            if schedules_ready(service, schedules):
                service.run_due(until)

    driver = threading.Thread(target=drive, daemon=True)
    driver.start()
    try:
        dag = load_dag(file_name)
        date = {"logical_date" if AIRFLOW_V_3_0_PLUS else "execution_date": logical_date}
        run = dag.test(run_conf=conf, **date)
    finally:
        stop.set()
        driver.join(timeout=60)
    assert not driver.is_alive(), "the thread running due slots did not stop"
    return str(run.state), {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


def succeeded(states: dict[str, str]) -> set[str]:
    """The tasks that succeeded."""
    return {task for task, state in states.items() if state.endswith("success")}


def seed(service: LocalModelMonitor, objects: Callable[[ExampleSettings, Hour], dict], *hours: Hour) -> None:
    """Upload the objects of ``hours``."""
    for hour in hours:
        put_objects(service.client("s3"), objects(SETTINGS, hour))


def executions(service: LocalModelMonitor, schedule: str) -> list[dict[str, Any]]:
    """The schedule's executions, oldest first."""
    return service.client("sagemaker").list_monitoring_executions(
        MonitoringScheduleName=schedule, SortBy="ScheduledTime", SortOrder="Ascending"
    )["MonitoringExecutionSummaries"]


def test_hourly_monitoring_then_retraining(service: LocalModelMonitor) -> None:
    top = top_of_hour()
    healthy, drifted, retrained = (top - 4 * HOUR, top - 3 * HOUR, top - 2 * HOUR)
    seed(
        service,
        endpoint_objects,
        Hour(healthy, HOUR_SEEDS[0]),  # fresh samples of healthy traffic, never the validation records
        Hour(drifted, HOUR_SEEDS[2], DRIFT),
        Hour(retrained, HOUR_SEEDS[3]),
    )
    service.set_clock(healthy + HOUR - timedelta(minutes=10))

    state, clean = run_dag(
        service, "mm_hourly_monitoring.py", healthy + HOUR, ENDPOINT_SCHEDULES, healthy + HOUR
    )
    assert state.endswith("success")
    assert {"model_quality_ok", "model_bias_ok", "done"} <= succeeded(clean)
    assert clean["trigger_retraining"].endswith("skipped") and clean["alert"].endswith("skipped")

    _, violated = run_dag(
        service, "mm_hourly_monitoring.py", drifted + HOUR, ENDPOINT_SCHEDULES, drifted + HOUR
    )
    assert {"model_quality_violations", "model_bias_violations", "trigger_retraining"} <= succeeded(violated)
    assert violated["done"].endswith("skipped")
    assert [e["MonitoringExecutionStatus"] for e in executions(service, ENDPOINT_SCHEDULES[0])] == [
        "Completed",
        "CompletedWithViolations",
    ]

    sagemaker = service.client("sagemaker")
    before = sagemaker.describe_monitoring_schedule(MonitoringScheduleName=ENDPOINT_SCHEDULES[0])
    state, retraining = run_dag(service, "mm_retraining.py", drifted + HOUR + timedelta(minutes=30), [], None)
    assert state.endswith("success"), retraining
    after = sagemaker.describe_monitoring_schedule(MonitoringScheduleName=ENDPOINT_SCHEDULES[0])
    old, new = (d["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"] for d in (before, after))
    assert old != new
    definition = sagemaker.describe_model_quality_job_definition(JobDefinitionName=new)
    assert "/models/retrain-" in definition["ModelQualityBaselineConfig"]["ConstraintsResource"]["S3Uri"]

    _, recovered = run_dag(
        service, "mm_hourly_monitoring.py", retrained + HOUR, ENDPOINT_SCHEDULES, retrained + HOUR
    )
    assert {"model_quality_ok", "model_bias_ok", "done"} <= succeeded(recovered)
    still = sagemaker.describe_monitoring_schedule(MonitoringScheduleName=ENDPOINT_SCHEDULES[0])
    assert still["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"] == new


def test_batch_transform_monitoring_then_on_demand_check(service: LocalModelMonitor) -> None:
    top = top_of_hour()
    batch_hour, drifted = top - 2 * HOUR, top - 3 * HOUR
    seed(service, batch_objects, Hour(batch_hour, HOUR_SEEDS[6], DRIFT))
    seed(service, endpoint_objects, Hour(drifted, HOUR_SEEDS[2], DRIFT))
    service.set_clock(batch_hour + HOUR - timedelta(minutes=10))

    state, batch = run_dag(
        service, "mm_batch_transform_monitoring.py", batch_hour + HOUR, [BATCH_SCHEDULE], batch_hour + HOUR
    )
    assert state.endswith("success"), batch
    assert {"needs_attention", "notify"} <= succeeded(batch)
    assert batch["done"].endswith("skipped")
    (execution,) = executions(service, BATCH_SCHEDULE)
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations"

    service.set_clock(datetime.now(timezone.utc))
    params = {
        "monitor_type": "ModelQuality",
        "window_end": (drifted + HOUR).isoformat(),
        "subjects": ["accuracy"],
    }
    state, checked = run_dag(
        service, "mm_on_demand_check.py", datetime.now(timezone.utc), [], None, conf=params
    )
    assert state.endswith("success"), checked
    assert {"model_quality_check", "judge"} <= succeeded(checked)
    assert checked["model_bias_check"].endswith("skipped")
    remaining = service.client("sagemaker").list_monitoring_schedules()["MonitoringScheduleSummaries"]
    assert [s["MonitoringScheduleName"] for s in remaining] == [BATCH_SCHEDULE]


def test_hourly_monitoring_alerts_when_executions_fail(service: LocalModelMonitor) -> None:
    slot = top_of_hour() - 6 * HOUR  # a logical date no other test here uses
    service.set_clock(slot - timedelta(minutes=10))

    state, failed = run_dag(service, "mm_hourly_monitoring.py", slot, ENDPOINT_SCHEDULES, slot)

    assert state.endswith("success"), failed
    assert {"model_quality_failed", "model_bias_failed", "alert"} <= succeeded(failed)
    assert failed["done"].endswith("skipped") and failed["trigger_retraining"].endswith("skipped")
    (execution,) = executions(service, ENDPOINT_SCHEDULES[0])
    assert execution["MonitoringExecutionStatus"] == "Failed"
    assert "Job inputs had no data" in execution["FailureReason"]


SELF_HOSTED_MONITORS = ("data_quality", "model_quality", "model_bias")


def test_self_hosted_monitoring_checks_each_hour_without_model_monitor(service: LocalModelMonitor) -> None:
    top = top_of_hour()
    healthy, drifted, empty = top - 4 * HOUR, top - 3 * HOUR, top - 6 * HOUR
    seed(service, endpoint_objects, Hour(healthy, HOUR_SEEDS[0]), Hour(drifted, HOUR_SEEDS[2], DRIFT))

    state, clean = run_dag(service, "mm_self_hosted_monitoring.py", healthy + HOUR, [], None)
    assert state.endswith("success"), clean
    assert {f"{prefix}_ok" for prefix in SELF_HOSTED_MONITORS} | {"done"} <= succeeded(clean)
    assert clean["violations_found"].endswith("skipped") and clean["alert"].endswith("skipped")

    _, violated = run_dag(service, "mm_self_hosted_monitoring.py", drifted + HOUR, [], None)
    # the drift bends predictions, not the model's inputs: data quality stays clean
    expected = {"data_quality_ok", "model_quality_violations", "model_bias_violations", "violations_found"}
    assert expected <= succeeded(violated), violated

    _, missing = run_dag(service, "mm_self_hosted_monitoring.py", empty + HOUR, [], None)
    assert {f"{prefix}_failed" for prefix in SELF_HOSTED_MONITORS} | {"alert"} <= succeeded(missing)

    # Model Monitor was never asked: no schedule, no processing job; the reports are where it writes them
    sagemaker = service.client("sagemaker")
    assert sagemaker.list_monitoring_schedules()["MonitoringScheduleSummaries"] == []
    assert sagemaker.list_processing_jobs()["ProcessingJobSummaries"] == []
    monitor = SETTINGS.schedule_name("self-hosted-model-quality")
    key = (
        f"reports/{SETTINGS.endpoint_name}/{monitor}/{drifted + HOUR:%Y/%m/%d/%H}/constraint_violations.json"
    )
    violations = json.loads(service.client("s3").get_object(Bucket=SETTINGS.bucket, Key=key)["Body"].read())
    assert violations["violations"]
