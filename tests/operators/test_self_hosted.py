"""SelfHostedMonitoringAnalysisOperator: parameters, the same verdicts and reports as Model Monitor's
(``mm-local``) on the same seeded traffic, and the violation branch deciding on its summary in a DAG run."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from unittest import mock

import pytest
from airflow.providers.amazon.aws.hooks.s3 import S3Hook
from airflow.providers.common.compat.sdk import DAG, AirflowException

from airflow_mm_provider.hooks.model_monitor import SageMakerModelMonitorHook
from airflow_mm_provider.local.testing import LocalModelMonitor
from airflow_mm_provider.monitoring.metrics import METRICS_XCOM_KEY, ExecutionMetrics
from airflow_mm_provider.operators.branch import FAILURE_KEY, SageMakerMonitoringViolationBranchOperator
from airflow_mm_provider.operators.self_hosted import SelfHostedMonitoringAnalysisOperator
from tests.support.dags import register_dag
from tests.support.recorded import forget_recorded_metrics
from tests.support.scenario import HOUR, HOUR0, REPORTS, Scenario
from tests.support.self_hosted import (
    MONITOR,
    SELF_HOSTED,
    Monitor,
    data_quality,
    model_bias,
    model_quality,
    operator,
)
from tests.support.service import BUCKET, job_definition, snake

try:
    from airflow.providers.standard.operators.empty import EmptyOperator
except ImportError:  # Airflow 2 without the standard provider
    from airflow.operators.empty import EmptyOperator


def context(slot: datetime | None = None) -> dict[str, Any]:
    """A task context whose data interval ends at ``slot``."""
    return {"ti": mock.MagicMock(), "data_interval_start": None, "data_interval_end": slot}


# ---- parameters --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"monitoring_schedule_name": "bad name"}, "MonitoringScheduleName"),
        ({"monitoring_type": "ModelExplainability"}, "monitoring_type: ModelExplainability is not analysed"),
        ({"monitoring_type": "Quality"}, "monitoring_type"),
        ({"schedule": "NOW"}, "schedule: NOW has no slots"),
        ({"schedule": "cron(0 * * * *)"}, "schedule"),
        ({"slot": "2024-01-01T02:00:00"}, "slot"),
        ({"capture_destination": "bucket/capture"}, "s3://bucket/key"),
        ({"capture_destination": None}, "capture_destination: required for an EndpointInput"),
        ({"job_definition": {"DataQualityAppSpecification": {}}}, "DataQuality"),
    ],
)
def test_literal_bad_parameters_fail_at_construction_naming_them(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        operator(**changes)


def test_templated_parameters_are_checked_when_the_task_runs() -> None:
    task = operator(capture_destination="{{ var.value.capture }}", slot="{{ data_interval_end }}")

    assert {"job_definition", "capture_destination", "slot", "schedule"} <= set(task.template_fields)
    task.capture_destination = None
    with pytest.raises(ValueError, match="capture_destination: required for an EndpointInput"):
        task.execute(context(HOUR0))


def test_the_operator_survives_a_deep_copy() -> None:
    """Airflow deep-copies tasks (e.g. to clear part of a DAG): the operator holds nothing that refuses it."""
    with DAG("copied", schedule=None, start_date=datetime(2024, 1, 1, tzinfo=timezone.utc)):
        task = operator(fail_on_violations=True, slot="{{ data_interval_end }}")

    copied = copy.deepcopy(task)

    assert type(copied) is SelfHostedMonitoringAnalysisOperator and copied is not task
    assert (copied.job_definition, copied.slot, copied.fail_on_violations) == (
        task.job_definition,
        task.slot,
        True,
    )
    assert copied.job_definition is not task.job_definition


def test_a_batch_transform_definition_needs_no_capture_destination() -> None:
    definition = job_definition("DataQuality", "unused", endpoint_name=None)
    del definition["JobDefinitionName"]

    assert operator(job_definition=definition, capture_destination=None).capture_destination is None


# ---- the same traffic through Model Monitor (mm-local) and through the worker ----------------------------


def report_files(scenario: Scenario, output: str, slot: datetime) -> dict[str, Any]:
    """File name -> parsed JSON of every report file of monitor MONITOR's execution at ``slot``."""
    prefix = f"{output[len(f's3://{BUCKET}/') :]}/ep/{MONITOR}/{slot:%Y/%m/%d/%H}/"
    listed = scenario.s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {
        item["Key"][len(prefix) :]: scenario.read_json(f"s3://{BUCKET}/{item['Key']}")
        for item in listed
        if item["Key"].endswith(".json")
    }


@pytest.mark.integration
@pytest.mark.parametrize("build", [data_quality, model_quality, model_bias], ids=lambda build: build.__name__)
def test_the_same_traffic_gives_model_monitors_verdicts_and_report_values(
    mm_local: LocalModelMonitor, mm_local_connection: str, build: Callable[[Scenario], Monitor]
) -> None:
    scenario = Scenario(mm_local)
    monitor = build(scenario)
    create = getattr(scenario.sm, f"create_{snake(monitor.monitoring_type)}_job_definition")
    create(JobDefinitionName="jd", **monitor.definition)
    scenario.traffic((11, 12), monitor.degradation, ground_truth=monitor.monitoring_type != "DataQuality")
    executions = scenario.run_two_hours(MONITOR, "jd", monitor.monitoring_type)
    assert [e["MonitoringExecutionStatus"] for e in executions] == ["Completed", "CompletedWithViolations"]

    for execution in executions:
        slot = execution["ScheduledTime"]
        summary = operator(
            aws_conn_id=mm_local_connection,
            monitoring_type=monitor.monitoring_type,
            job_definition=monitor.self_hosted(),
        ).execute(context(slot + timedelta(minutes=20)))

        assert summary["monitoring_execution_status"] == execution["MonitoringExecutionStatus"]
        assert summary["scheduled_time"] == slot.isoformat()
        assert summary["report_uri"] == f"{SELF_HOSTED}/ep/{MONITOR}/{slot:%Y/%m/%d/%H}"
        model_monitors = report_files(scenario, REPORTS, slot)
        assert model_monitors  # both wrote reports, and the same ones
        assert report_files(scenario, SELF_HOSTED, slot) == model_monitors


@pytest.mark.integration
def test_a_window_without_data_fails_as_model_monitor_fails_it(
    mm_local: LocalModelMonitor, mm_local_connection: str
) -> None:
    Scenario(mm_local)
    task = operator(aws_conn_id=mm_local_connection)

    with pytest.raises(AirflowException, match="Job inputs had no data") as raised:
        task.execute(context(HOUR0 + HOUR))
    assert "Hint: no captured records" in str(raised.value)
    assert type(raised.value) is AirflowException  # retryable: the data may still land

    summary = operator(aws_conn_id=mm_local_connection, fail_on_failed=False).execute(context(HOUR0 + HOUR))
    assert (summary["monitoring_execution_status"], summary["failure_reason"]) == (
        "Failed",
        "Job inputs had no data",
    )


@pytest.mark.integration
def test_on_kill_stops_the_running_analysis_only(
    mm_local: LocalModelMonitor, mm_local_connection: str
) -> None:
    scenario = Scenario(mm_local)
    monitor = data_quality(scenario)
    scenario.traffic((11, 12), monitor.degradation, ground_truth=False)
    task = operator(
        aws_conn_id=mm_local_connection, job_definition=monitor.self_hosted(), fail_on_failed=False
    )
    task.on_kill()  # before a run: nothing to stop, and the run below starts afresh
    original = task.hook.s3_hook.get_conn

    def killed_while_reading() -> Any:
        task.on_kill()
        return original()

    with mock.patch.object(S3Hook, "get_conn", side_effect=killed_while_reading):
        summary = task.execute(context(HOUR0 + HOUR))

    assert summary["monitoring_execution_status"] == "Stopped"
    assert report_files(scenario, SELF_HOSTED, HOUR0 + HOUR) == {}
    # the stop belonged to that run: the next one runs to its end
    assert task.execute(context(HOUR0 + HOUR))["monitoring_execution_status"] == "Completed"
    assert report_files(scenario, SELF_HOSTED, HOUR0 + HOUR)


# ---- branching on the summary in a DAG run ----------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize(
    ("slot", "followed"),
    [(HOUR0 + HOUR, "ok"), (HOUR0 + 2 * HOUR, "violations"), (HOUR0 + 4 * HOUR, "failed")],
    ids=["clean", "violating", "no-data"],
)
def test_the_branch_operator_routes_the_self_hosted_summary_without_calling_sagemaker(
    mm_local: LocalModelMonitor,
    mm_local_connection: str,
    airflow_db: None,
    monkeypatch: pytest.MonkeyPatch,
    slot: datetime,
    followed: str,
) -> None:
    scenario = Scenario(mm_local)
    monitor = data_quality(scenario)
    scenario.traffic((11, 12), monitor.degradation, ground_truth=False)
    sagemaker = mock.Mock(side_effect=AssertionError("the self-hosted path called SageMaker"))
    monkeypatch.setattr(SageMakerModelMonitorHook, "get_conn", sagemaker)
    dag_id = f"branch_self_hosted_{followed}"
    with DAG(dag_id, schedule=None, start_date=datetime(2024, 1, 1, tzinfo=timezone.utc)) as dag:
        analyse = operator(
            aws_conn_id=mm_local_connection,
            job_definition=monitor.self_hosted(),
            slot=slot.isoformat(),
            fail_on_failed=False,
        )
        decide = SageMakerMonitoringViolationBranchOperator(
            task_id="decide",
            aws_conn_id=mm_local_connection,
            monitoring_type="DataQuality",
            execution="{{ ti.xcom_pull('analyse') }}",
            on_completed="ok",
            on_violations="violations",
            on_failed="failed",
        )
        analyse >> decide >> [EmptyOperator(task_id=task_id) for task_id in ("ok", "violations", "failed")]
    register_dag(dag)
    try:
        run = dag.test()
        instances = {ti.task_id: ti for ti in run.get_task_instances()}
        states = {task_id: str(getattr(ti.state, "value", ti.state)) for task_id, ti in instances.items()}
        skipped = {"ok", "violations", "failed"} - {followed}
        assert states == {"analyse": "success", "decide": "success", followed: "success"} | dict.fromkeys(
            skipped, "skipped"
        )
        recorded = ExecutionMetrics.from_json(
            instances["decide"].xcom_pull(task_ids="decide", key=METRICS_XCOM_KEY)
        )
        if followed == "failed":
            assert "Job inputs had no data" in instances["decide"].xcom_pull(
                task_ids="decide", key=FAILURE_KEY
            )
        else:  # the report was read from the self-hosted prefix, the baseline from the summary's config
            assert recorded.report_uri == f"{SELF_HOSTED}/ep/{MONITOR}/{slot:%Y/%m/%d/%H}"
            drift = [m.value for m in recorded.metrics if m.metric == "baseline_drift"]
            assert drift and None not in drift  # distances to the baseline statistics
        sagemaker.assert_not_called()
    finally:
        forget_recorded_metrics(dag_id)
