"""SageMakerModelMonitorHook over real HTTP against the local Model Monitor service.

The hook gets its endpoint from an Airflow connection (``mm_local_connection``); only the service's control
interface (``run_due``, faults, clock) is used besides the hook itself.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from airflow_mm_provider.hooks.model_monitor import SageMakerModelMonitorHook, error_code
from airflow_mm_provider.local.synthetic import Degradation
from airflow_mm_provider.local.testing import LocalModelMonitor
from airflow_mm_provider.monitoring import names
from airflow_mm_provider.monitoring.metrics import metric_records
from tests.support.scenario import HOUR, T0, Scenario, ingest_data_quality_baseline
from tests.support.service import BUCKET, endpoint, job_definition

SCHEDULE = "churn-monitor"
HOURLY = "cron(0 * ? * * *)"


def dq_spec(**overrides: Any) -> dict[str, Any]:
    """A data-quality job definition for endpoint ``ep`` (without a name: the hook names it)."""
    spec = job_definition("DataQuality", "unused", **overrides)
    spec.pop("JobDefinitionName")
    return spec


def make_hook(conn_id: str, **config: Any) -> SageMakerModelMonitorHook:
    """A hook on ``conn_id`` with short schedule polls and the given botocore config."""
    return SageMakerModelMonitorHook(
        aws_conn_id=conn_id,
        check_interval=0.05,
        max_ingestion_time=10,
        config=Config(**config) if config else None,
    )


@pytest.fixture
def hook(mm_local: LocalModelMonitor, mm_local_connection: str) -> SageMakerModelMonitorHook:
    """A hook on the local service, with endpoint ``ep`` and bucket ``mm-bucket`` in place."""
    mm_local.set_clock(T0)
    sm = mm_local.client("sagemaker")
    mm_local.client("s3").create_bucket(Bucket=BUCKET)
    endpoint(sm, "ep")
    return make_hook(mm_local_connection)


def owned_definitions(hook: SageMakerModelMonitorHook) -> list[str]:
    """This schedule's data-quality job definitions on the service."""
    prefix = names.job_definition_prefix(SCHEDULE)
    return [
        s["MonitoringJobDefinitionName"]
        for s in hook.list_job_definitions("DataQuality", NameContains=prefix)
    ]


def test_create_unchanged_update_keeps_exactly_one_definition(hook: SageMakerModelMonitorHook) -> None:
    created = hook.create_or_update_schedule(SCHEDULE, "DataQuality", dq_spec(), HOURLY)
    assert created.action == "created"
    assert created.job_definition_name.startswith(f"{SCHEDULE}-dq-")
    assert owned_definitions(hook) == [created.job_definition_name]
    description = hook.describe_schedule(SCHEDULE)
    assert description["MonitoringScheduleStatus"] == "Scheduled"
    assert description["MonitoringScheduleArn"] == created.monitoring_schedule_arn

    again = hook.create_or_update_schedule(SCHEDULE, "DataQuality", dq_spec(), HOURLY)
    assert again == created._replace(action="unchanged")
    assert hook.describe_schedule(SCHEDULE)["LastModifiedTime"] == description["LastModifiedTime"]

    changed = dq_spec(StoppingCondition={"MaxRuntimeInSeconds": 1200})
    updated = hook.create_or_update_schedule(SCHEDULE, "DataQuality", changed, HOURLY)
    assert updated.action == "updated"
    assert updated.job_definition_name != created.job_definition_name
    assert owned_definitions(hook) == [updated.job_definition_name]
    config = hook.describe_schedule(SCHEDULE)["MonitoringScheduleConfig"]
    assert config["MonitoringJobDefinitionName"] == updated.job_definition_name
    stored = hook.describe_job_definition("DataQuality", updated.job_definition_name)
    assert stored["StoppingCondition"] == {"MaxRuntimeInSeconds": 1200}

    recron = hook.create_or_update_schedule(SCHEDULE, "DataQuality", changed, "cron(0 6 ? * * *)")
    assert recron.action == "updated" and recron.job_definition_name == updated.job_definition_name
    assert owned_definitions(hook) == [updated.job_definition_name]


class Crash(BaseException):
    """Stands for the worker dying between two calls."""


def test_retry_after_crash_between_definition_and_schedule_converges(
    hook: SageMakerModelMonitorHook, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: Any, **kwargs: Any) -> None:
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(hook, "create_schedule", crash)
        with pytest.raises(Crash):
            hook.create_or_update_schedule(SCHEDULE, "DataQuality", dq_spec(), HOURLY)
    assert not hook.schedule_exists(SCHEDULE)
    [left_behind] = owned_definitions(hook)

    result = hook.create_or_update_schedule(SCHEDULE, "DataQuality", dq_spec(), HOURLY)

    assert result.action == "created" and result.job_definition_name == left_behind
    assert owned_definitions(hook) == [left_behind]
    assert hook.describe_schedule(SCHEDULE)["MonitoringScheduleStatus"] == "Scheduled"


@pytest.fixture
def slow_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[LocalModelMonitor, str]]:
    """A service whose schedules stay Pending 1 s after each change, and a connection id for it."""
    with LocalModelMonitor(pending_seconds=1) as service:
        monkeypatch.setenv("AIRFLOW_CONN_MM_SLOW", service.airflow_connection_uri())
        service.set_clock(T0)
        endpoint(service.client("sagemaker"), "ep")
        yield service, "mm_slow"


def test_changes_wait_while_the_schedule_is_pending(slow_service: tuple[LocalModelMonitor, str]) -> None:
    service, conn_id = slow_service
    hook = make_hook(conn_id)
    started = time.monotonic()
    hook.create_or_update_schedule(SCHEDULE, "DataQuality", dq_spec(), HOURLY, wait=False)
    assert hook.describe_schedule(SCHEDULE)["MonitoringScheduleStatus"] == "Pending"

    result = hook.create_or_update_schedule(
        SCHEDULE, "DataQuality", dq_spec(StoppingCondition={"MaxRuntimeInSeconds": 900}), HOURLY
    )

    assert result.action == "updated"
    # Waited for the create to settle, then for the update to settle: two Pending periods.
    assert time.monotonic() - started >= 2.0
    assert hook.describe_schedule(SCHEDULE)["MonitoringScheduleStatus"] == "Scheduled"
    hook.stop_schedule(SCHEDULE)
    assert hook.describe_schedule(SCHEDULE)["MonitoringScheduleStatus"] == "Stopped"
    assert hook.delete_schedule_and_job_definitions(SCHEDULE).schedule_deleted is True
    assert not hook.schedule_exists(SCHEDULE) and owned_definitions(hook) == []


def test_list_and_find_executions_across_pages(
    mm_local: LocalModelMonitor, hook: SageMakerModelMonitorHook
) -> None:
    hook.create_or_update_schedule(SCHEDULE, "DataQuality", dq_spec(), HOURLY)
    mm_local.run_due(T0 + 25 * HOUR)
    first_slot = T0.replace(minute=0) + HOUR

    listed = hook.list_executions(SCHEDULE, SortBy="ScheduledTime", SortOrder="Ascending")

    assert [e["ScheduledTime"] for e in listed] == [first_slot + i * HOUR for i in range(25)]
    assert {e["MonitoringExecutionStatus"] for e in listed} == {"Failed"}  # no traffic was captured
    assert len(hook.list_executions(SCHEDULE, max_items=12)) == 12
    assert len(hook.list_executions(SCHEDULE, StatusEquals="Completed")) == 0
    slot = first_slot + 7 * HOUR
    found = hook.find_execution(SCHEDULE, scheduled_after=slot, scheduled_before=slot + HOUR)
    assert found is not None and found["ScheduledTime"] == slot
    assert hook.find_execution(SCHEDULE, scheduled_after=first_slot + 30 * HOUR) is None
    assert hook.latest_execution(SCHEDULE)["ScheduledTime"] == first_slot + 24 * HOUR
    assert "Job inputs had no data" in hook.describe_failure(found)


def test_reads_violations_and_statistics_of_a_real_execution(
    mm_local: LocalModelMonitor, hook: SageMakerModelMonitorHook
) -> None:
    scenario = Scenario(mm_local, create=False)
    baseline = ingest_data_quality_baseline(scenario)
    spec = dq_spec(
        DataQualityBaselineConfig={
            "ConstraintsResource": {"S3Uri": f"{baseline}/constraints.json"},
            "StatisticsResource": {"S3Uri": f"{baseline}/statistics.json"},
        }
    )
    hook.create_or_update_schedule(SCHEDULE, "DataQuality", spec, HOURLY)
    scenario.traffic((11, 12), Degradation(extra_column=True, drift={"income": 2.0}), ground_truth=False)
    mm_local.run_due(T0 + 2 * HOUR)
    clean, degraded = hook.list_executions(SCHEDULE, SortBy="ScheduledTime", SortOrder="Ascending")

    assert hook.read_violations(clean, "DataQuality").count == 0
    report = hook.read_violations(degraded, "DataQuality")
    assert degraded["MonitoringExecutionStatus"] == "CompletedWithViolations"
    assert report.count >= 2
    assert {v.subject for v in report.violations} >= {"income"}
    uri = hook.execution_report_uri(degraded)
    assert uri == f"s3://{BUCKET}/reports/ep/{SCHEDULE}/2024/01/01/02"
    statistics = hook.read_statistics(uri, "DataQuality")
    assert statistics.item_count == 1500
    constraints = hook.read_constraints(f"{baseline}/constraints.json", "DataQuality")
    assert constraints is not None
    # the files that measure it: the report's, and the baseline statistics its job definition names
    documents = hook.read_metric_documents(degraded, "DataQuality")
    assert json.loads(documents["baseline_statistics"]) == scenario.read_json(f"{baseline}/statistics.json")
    assert json.loads(documents["statistics"])["dataset"]["item_count"] == 1500
    records = metric_records("DataQuality", report, **documents)
    assert ("baseline_drift", "income") in {(r.metric, r.feature) for r in records if r.violated}


def test_throttling_is_retried_then_surfaces_when_retries_run_out(
    mm_local: LocalModelMonitor, hook: SageMakerModelMonitorHook, mm_local_connection: str
) -> None:
    hook.create_or_update_schedule(SCHEDULE, "DataQuality", dq_spec(), HOURLY)
    standard = make_hook(mm_local_connection, retries={"mode": "standard", "total_max_attempts": 3})

    mm_local.inject_fault("DescribeMonitoringSchedule", count=2)
    assert standard.describe_schedule(SCHEDULE)["MonitoringScheduleName"] == SCHEDULE
    assert mm_local.control("GET", "status")["faults"] == {}

    mm_local.inject_fault("ListMonitoringExecutions", count=3)
    with pytest.raises(ClientError) as info:
        standard.list_executions(SCHEDULE)
    assert error_code(info.value) == "ThrottlingException"
    assert info.value.response["ResponseMetadata"]["RetryAttempts"] == 2

    mm_local.inject_fault("DescribeMonitoringSchedule", count=1, kind="internal")
    assert standard.schedule_exists(SCHEDULE)


async def test_find_execution_async_over_aiobotocore(
    mm_local: LocalModelMonitor, hook: SageMakerModelMonitorHook
) -> None:
    hook.create_or_update_schedule(SCHEDULE, "DataQuality", dq_spec(), HOURLY)
    mm_local.run_due(T0 + 12 * HOUR)
    slot = T0.replace(minute=0) + 3 * HOUR

    found = await hook.find_execution_async(SCHEDULE, scheduled_after=slot, scheduled_before=slot + HOUR)
    listed = await hook.list_executions_async(SCHEDULE)

    assert found is not None and found["ScheduledTime"] == slot
    assert len(listed) == 12
    assert await hook.find_execution_async(SCHEDULE, scheduled_after=slot + 20 * HOUR) is None


def test_connection_points_the_hook_and_its_s3_hook_at_the_service(
    mm_local: LocalModelMonitor, hook: SageMakerModelMonitorHook
) -> None:
    assert hook.conn.meta.endpoint_url == mm_local.endpoint_url
    mm_local.client("s3").put_object(Bucket=BUCKET, Key="x/doc.json", Body=json.dumps({"a": 1}).encode())
    assert hook.read_json(f"s3://{BUCKET}/x/doc.json") == {"a": 1}
