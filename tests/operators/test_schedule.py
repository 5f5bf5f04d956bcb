"""Unit tests of the schedule operators with the hook mocked (no network)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any
from unittest import mock

import pytest
from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException, TaskDeferred
from botocore.exceptions import ClientError

from airflow_mm_provider.hooks.model_monitor import SageMakerModelMonitorHook
from airflow_mm_provider.links.model_monitor import (
    SageMakerMonitoringScheduleLink,
    SageMakerProcessingJobLink,
)
from airflow_mm_provider.local.testing import LocalModelMonitor
from airflow_mm_provider.monitoring import names
from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.inputs import (
    BaselineConfig,
    ClusterResources,
    EndpointInput,
    GroundTruthInput,
    MonitoringOutput,
    StoppingCondition,
)
from airflow_mm_provider.monitoring.job_definitions import (
    DataQualityJobDefinition,
    ModelQualityJobDefinition,
    job_definition_request,
)
from airflow_mm_provider.monitoring.schedule import floor_hour
from airflow_mm_provider.operators import schedule as module
from airflow_mm_provider.operators.schedule import (
    EXPRESSION_FIELD,
    SCHEDULE_NAME_FIELD,
    TYPE_FIELD,
    SageMakerDeleteMonitoringScheduleOperator,
    SageMakerMonitoringScheduleOperator,
    SageMakerOneTimeMonitoringOperator,
    SageMakerStartMonitoringScheduleOperator,
    SageMakerStopMonitoringScheduleOperator,
    baseline_members,
    check_window,
    is_literal,
    one_time_schedule_name,
    with_baseline,
)
from airflow_mm_provider.triggers.execution import SageMakerMonitoringExecutionTrigger
from tests.support.service import capture_line

ROLE = "arn:aws:iam::123456789012:role/MonitorRole"
IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
SCHEDULE = "churn-data-quality"
ARN = f"arn:aws:sagemaker:us-east-1:123456789012:monitoring-schedule/{SCHEDULE}"
NOW_FIELD = "MonitoringScheduleConfig.ScheduleConfig.DataAnalysisStartTime"
UTC = timezone.utc
BASELINE_XCOM = {
    "job_name": "churn-baseline-1a2b3c4d5e6f",
    "statistics_uri": "s3://bucket/baseline/statistics.json",
    "constraints_uri": "s3://bucket/baseline/constraints.json",
}


def data_quality(**overrides: Any) -> DataQualityJobDefinition:
    """A minimal typed data-quality spec on endpoint ``churn``."""
    members: dict[str, Any] = {
        "role_arn": ROLE,
        "image_uri": IMAGE,
        "input": EndpointInput("churn"),
        "output": MonitoringOutput("s3://bucket/reports"),
    }
    return DataQualityJobDefinition(**{**members, **overrides})


def model_quality_dict() -> dict[str, Any]:
    """An API-shaped model-quality request without a name."""
    return {
        "ModelQualityAppSpecification": {"ImageUri": IMAGE, "ProblemType": "BinaryClassification"},
        "ModelQualityJobInput": {
            "EndpointInput": {
                "EndpointName": "churn",
                "LocalPath": "/opt/ml/processing/input/endpoint",
                "InferenceAttribute": "0",
            },
            "GroundTruthS3Input": {"S3Uri": "s3://bucket/ground-truth"},
        },
        "ModelQualityJobOutputConfig": {
            "MonitoringOutputs": [
                {"S3Output": {"S3Uri": "s3://bucket/reports", "LocalPath": "/opt/ml/processing/output"}}
            ]
        },
        "JobResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20}
        },
        "RoleArn": ROLE,
        "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
    }


def not_found(operation: str = "DescribeMonitoringSchedule") -> ClientError:
    return ClientError({"Error": {"Code": "ResourceNotFound", "Message": "Could not find"}}, operation)


@pytest.fixture
def hook() -> mock.MagicMock:
    """A mocked hook with fast waits and a real region/partition for links."""
    fake = mock.MagicMock(spec=SageMakerModelMonitorHook)
    fake.conn_region_name = "us-east-1"
    fake.conn_partition = "aws"
    fake.schedule_poll_interval = 0.001
    fake.schedule_wait_timeout = 0.05
    fake.processing_job_name.side_effect = SageMakerModelMonitorHook.processing_job_name
    fake.log = mock.MagicMock()
    fake.list_job_definitions.return_value = []
    fake.list_schedules.return_value = []
    fake.job_definition_exists.return_value = False
    fake.describe_schedule_or_none.side_effect = partial(
        SageMakerModelMonitorHook.describe_schedule_or_none, fake
    )
    fake.delete_schedule_and_job_definitions.return_value = {
        "monitoring_schedule_name": SCHEDULE,
        "schedule_deleted": True,
        "deleted_job_definitions": [],
    }
    return fake


@pytest.fixture
def context() -> dict[str, Any]:
    """A task context: an hourly DAG run over 10:00-11:00 UTC."""
    ti = mock.MagicMock(
        dag_id="churn_monitoring", task_id="check", run_id="scheduled__2024-05-01T10:00:00+00:00"
    )
    ti.map_index = -1
    return {
        "ti": ti,
        "data_interval_start": datetime(2024, 5, 1, 10, tzinfo=UTC),
        "data_interval_end": datetime(2024, 5, 1, 11, tzinfo=UTC),
    }


def with_hook(operator: Any, hook: mock.MagicMock) -> Any:
    """Give ``operator`` the mocked hook (``hook`` is a cached property)."""
    operator.__dict__["hook"] = hook
    return operator


def pushed(context: dict[str, Any], key: str) -> dict[str, Any]:
    """The value pushed to XCom under ``key``."""
    values = [c.kwargs["value"] for c in context["ti"].xcom_push.call_args_list if c.kwargs.get("key") == key]
    assert values, f"nothing pushed under {key}"
    return values[-1]


# ---- literal detection and baselines --------------------------------------------------------------------


def test_is_literal_spots_templates_nested_and_xcom_args() -> None:
    from airflow.providers.common.compat.sdk import DAG, BaseOperator

    with DAG("literal_dag", schedule=None, start_date=datetime(2024, 1, 1, tzinfo=UTC)):
        upstream = BaseOperator(task_id="up")
    assert is_literal({"a": ["x", 1, None]})
    assert not is_literal({"a": ["{{ ds }}"]})
    assert not is_literal("{% if true %}x{% endif %}")
    assert not is_literal(upstream.output)


def test_baseline_members_map_the_baseline_xcom() -> None:
    assert baseline_members("DataQuality", BASELINE_XCOM) == {
        "BaseliningJobName": "churn-baseline-1a2b3c4d5e6f",
        "ConstraintsResource": {"S3Uri": "s3://bucket/baseline/constraints.json"},
        "StatisticsResource": {"S3Uri": "s3://bucket/baseline/statistics.json"},
    }
    # Model quality takes no statistics; a Clarify baseline gives analysis.json.
    assert "StatisticsResource" not in baseline_members("ModelQuality", BASELINE_XCOM)
    clarify = baseline_members("ModelBias", {"analysis_uri": "s3://bucket/bias/analysis.json"})
    assert clarify == {"ConstraintsResource": {"S3Uri": "s3://bucket/bias/analysis.json"}}
    explicit = baseline_members("DataQuality", BASELINE_XCOM, constraints_uri="s3://other/c.json")
    assert explicit["ConstraintsResource"] == {"S3Uri": "s3://other/c.json"}
    assert baseline_members("DataQuality") == {}
    with pytest.raises(ValueError, match="^baseline: "):
        baseline_members("DataQuality", "s3://bucket/baseline")  # type: ignore[arg-type]


def test_with_baseline_merges_into_typed_and_dict_definitions() -> None:
    spec = data_quality(baseline=BaselineConfig(constraints_uri="s3://bucket/old/constraints.json"))
    merged = with_baseline("DataQuality", spec, baseline_members("DataQuality", BASELINE_XCOM))
    assert merged.baseline == BaselineConfig(
        "churn-baseline-1a2b3c4d5e6f",
        "s3://bucket/baseline/constraints.json",
        "s3://bucket/baseline/statistics.json",
    )
    assert spec.baseline.constraints_uri == "s3://bucket/old/constraints.json"  # not modified
    original = model_quality_dict()
    merged_dict = with_baseline("ModelQuality", original, {"ConstraintsResource": {"S3Uri": "s3://b/c.json"}})
    assert merged_dict["ModelQualityBaselineConfig"] == {"ConstraintsResource": {"S3Uri": "s3://b/c.json"}}
    assert "ModelQualityBaselineConfig" not in original
    assert with_baseline("DataQuality", spec, {}) is spec


# ---- create or update -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"monitoring_schedule_name": "churn_schedule"}, SCHEDULE_NAME_FIELD),
        ({"monitoring_type": "Quality"}, TYPE_FIELD),
        ({"schedule": "Hourly: cron(0 * ? * * *)"}, EXPRESSION_FIELD),
        (
            {
                "job_definition": {**model_quality_dict(), "RoleArn": "role"},
                "monitoring_type": "ModelQuality",
            },
            "RoleArn",
        ),
        (
            {
                "monitoring_type": "ModelQuality",
                "job_definition": model_quality_dict(),
                "statistics_uri": "s3://b/s.json",
            },
            "ModelQualityBaselineConfig.StatisticsResource",
        ),
        (
            {"job_definition": data_quality(stopping_condition=StoppingCondition(3601))},
            "StoppingCondition.MaxRuntimeInSeconds",
        ),
        ({"tags": {"": "x"}}, "Tags"),
    ],
)
def test_schedule_operator_validates_literals_at_construction(overrides: dict[str, Any], field: str) -> None:
    arguments = {
        "task_id": "schedule",
        "monitoring_schedule_name": SCHEDULE,
        "monitoring_type": "DataQuality",
        "job_definition": data_quality(),
        "schedule": "cron(0 * ? * * *)",
        **overrides,
    }
    with pytest.raises(MonitoringValidationError) as error:
        SageMakerMonitoringScheduleOperator(**arguments)
    assert error.value.field.startswith(field)
    assert str(error.value).startswith(field)


def test_schedule_operator_leaves_templated_values_for_run_time(hook: mock.MagicMock, context: dict) -> None:
    definition = {**model_quality_dict(), "RoleArn": "{{ params.role }}"}
    operator = SageMakerMonitoringScheduleOperator(
        task_id="schedule",
        monitoring_schedule_name="{{ params.name }}",
        monitoring_type="ModelQuality",
        job_definition=definition,
        schedule="{{ params.cron }}",
    )
    context["params"] = {"name": "churn_bad", "role": ROLE, "cron": "cron(0 * ? * * *)"}
    operator.render_template_fields(context)
    assert operator.job_definition["RoleArn"] == ROLE
    with pytest.raises(MonitoringValidationError, match=f"^{SCHEDULE_NAME_FIELD}"):
        with_hook(operator, hook).execute(context)
    hook.create_or_update_schedule.assert_not_called()


def test_schedule_operator_creates_with_baseline_and_returns_json_safe_result(
    hook: mock.MagicMock, context: dict
) -> None:
    hook.create_or_update_schedule.return_value = {
        "MonitoringScheduleArn": ARN,
        "MonitoringScheduleName": SCHEDULE,
        "JobDefinitionName": f"{SCHEDULE}-dq-0123456789",
        "Action": "created",
    }
    operator = SageMakerMonitoringScheduleOperator(
        task_id="schedule",
        monitoring_schedule_name=SCHEDULE,
        monitoring_type="DataQuality",
        job_definition=data_quality(),
        schedule="cron(0 * ? * * *)",
        baseline=BASELINE_XCOM,
        tags={"team": "ml"},
        wait_for_schedule=False,
    )
    result = with_hook(operator, hook).execute(context)

    assert result == {
        "monitoring_schedule_name": SCHEDULE,
        "monitoring_schedule_arn": ARN,
        "monitoring_type": "DataQuality",
        "job_definition_name": f"{SCHEDULE}-dq-0123456789",
        "action": "created",
    }
    json.dumps(result)
    args, kwargs = hook.create_or_update_schedule.call_args
    assert args[0:2] == (SCHEDULE, "DataQuality")
    assert args[2].baseline == BaselineConfig(
        "churn-baseline-1a2b3c4d5e6f",
        "s3://bucket/baseline/constraints.json",
        "s3://bucket/baseline/statistics.json",
    )
    assert args[3] == "cron(0 * ? * * *)"
    assert kwargs == {"tags": [{"Key": "team", "Value": "ml"}], "wait": False}
    link = pushed(context, SageMakerMonitoringScheduleLink.key)
    assert link == {"region_name": "us-east-1", "aws_domain": "aws.amazon.com", "schedule_name": SCHEDULE}


def test_schedule_operator_resolves_a_baseline_xcom_arg_at_run_time(
    hook: mock.MagicMock, context: dict
) -> None:
    from airflow.providers.common.compat.sdk import DAG, BaseOperator

    with DAG("xcom_dag", schedule=None, start_date=datetime(2024, 1, 1, tzinfo=UTC)):
        upstream = BaseOperator(task_id="baseline")
        operator = SageMakerMonitoringScheduleOperator(
            task_id="schedule",
            monitoring_schedule_name=SCHEDULE,
            monitoring_type="ModelQuality",
            job_definition=model_quality_dict(),
            baseline=upstream.output,
        )
    # Not resolvable at parse time, so not validated there; validated once resolved.
    operator.baseline = {
        "constraints_uri": "s3://bucket/mq/constraints.json",
        "statistics_uri": "s3://b/s.json",
    }
    hook.create_or_update_schedule.return_value = {
        "MonitoringScheduleArn": ARN,
        "MonitoringScheduleName": SCHEDULE,
        "JobDefinitionName": "x",
        "Action": "updated",
    }
    with_hook(operator, hook).execute(context)
    definition = hook.create_or_update_schedule.call_args.args[2]
    assert definition["ModelQualityBaselineConfig"] == {
        "ConstraintsResource": {"S3Uri": "s3://bucket/mq/constraints.json"}
    }


# ---- start / stop -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator_class", "method", "before", "after"),
    [
        (SageMakerStartMonitoringScheduleOperator, "start_schedule", "Stopped", "Scheduled"),
        (SageMakerStopMonitoringScheduleOperator, "stop_schedule", "Scheduled", "Stopped"),
    ],
)
def test_start_and_stop_change_and_wait(
    hook: mock.MagicMock, context: dict, operator_class: type, method: str, before: str, after: str
) -> None:
    hook.describe_schedule.return_value = {"MonitoringScheduleStatus": before}
    hook.wait_for_schedule.return_value = {"MonitoringScheduleStatus": after}
    operator = with_hook(operator_class(task_id="change", monitoring_schedule_name=SCHEDULE), hook)
    assert operator.execute(context) == {"monitoring_schedule_name": SCHEDULE, "status": after}
    getattr(hook, method).assert_called_once_with(SCHEDULE, wait=False)
    hook.wait_for_schedule.assert_called_once_with(SCHEDULE)


def test_start_is_a_no_op_when_already_scheduled(hook: mock.MagicMock, context: dict) -> None:
    hook.describe_schedule.return_value = {"MonitoringScheduleStatus": "Scheduled"}
    operator = with_hook(
        SageMakerStartMonitoringScheduleOperator(task_id="s", monitoring_schedule_name=SCHEDULE), hook
    )
    assert operator.execute(context)["status"] == "Scheduled"
    hook.start_schedule.assert_not_called()


def test_stop_fails_when_the_schedule_does_not_end_stopped(hook: mock.MagicMock, context: dict) -> None:
    hook.describe_schedule.return_value = {"MonitoringScheduleStatus": "Scheduled"}
    hook.wait_for_schedule.return_value = {"MonitoringScheduleStatus": "Scheduled"}
    operator = with_hook(
        SageMakerStopMonitoringScheduleOperator(task_id="s", monitoring_schedule_name=SCHEDULE), hook
    )
    with pytest.raises(AirflowException, match="not Stopped"):
        operator.execute(context)


def test_start_without_waiting_reports_the_current_status(hook: mock.MagicMock, context: dict) -> None:
    hook.describe_schedule.side_effect = [
        {"MonitoringScheduleStatus": "Stopped"},
        {"MonitoringScheduleStatus": "Pending"},
    ]
    operator = SageMakerStartMonitoringScheduleOperator(
        task_id="s", monitoring_schedule_name=SCHEDULE, wait_for_schedule=False
    )
    assert with_hook(operator, hook).execute(context)["status"] == "Pending"
    hook.wait_for_schedule.assert_not_called()


def test_status_operators_validate_the_name() -> None:
    with pytest.raises(MonitoringValidationError, match=f"^{SCHEDULE_NAME_FIELD}"):
        SageMakerStopMonitoringScheduleOperator(task_id="s", monitoring_schedule_name="-bad")
    with pytest.raises(MonitoringValidationError, match=f"^{SCHEDULE_NAME_FIELD}"):
        SageMakerDeleteMonitoringScheduleOperator(task_id="d", monitoring_schedule_name="x" * 64)


# ---- delete -----------------------------------------------------------------------------------------------


def described(
    definition: str | None, monitoring_type: str = "DataQuality", expression: str = "cron(0 * ? * * *)"
):
    config: dict[str, Any] = {
        "MonitoringType": monitoring_type,
        "ScheduleConfig": {"ScheduleExpression": expression},
    }
    if definition:
        config["MonitoringJobDefinitionName"] = definition
    return {
        "MonitoringScheduleName": SCHEDULE,
        "MonitoringScheduleArn": ARN,
        "MonitoringScheduleStatus": "Scheduled",
        "CreationTime": datetime(2024, 5, 1, 11, 4, tzinfo=UTC),
        "MonitoringScheduleConfig": config,
    }


DELETED = {
    "monitoring_schedule_name": SCHEDULE,
    "schedule_deleted": True,
    "deleted_job_definitions": [f"{SCHEDULE}-dq-0123456789"],
}


def test_delete_removes_the_schedule_and_its_definitions_with_the_hook(
    hook: mock.MagicMock, context: dict
) -> None:
    hook.delete_schedule_and_job_definitions.return_value = DELETED
    operator = SageMakerDeleteMonitoringScheduleOperator(task_id="delete", monitoring_schedule_name=SCHEDULE)
    assert with_hook(operator, hook).execute(context) == DELETED
    hook.delete_schedule_and_job_definitions.assert_called_once_with(SCHEDULE, missing_ok=False)


def test_delete_missing_schedule_with_ignore_missing_is_a_no_op(hook: mock.MagicMock, context: dict) -> None:
    gone = {"monitoring_schedule_name": SCHEDULE, "schedule_deleted": False, "deleted_job_definitions": []}
    hook.delete_schedule_and_job_definitions.return_value = gone
    operator = SageMakerDeleteMonitoringScheduleOperator(
        task_id="delete", monitoring_schedule_name=SCHEDULE, ignore_missing=True
    )
    assert with_hook(operator, hook).execute(context) == gone
    hook.delete_schedule_and_job_definitions.assert_called_once_with(SCHEDULE, missing_ok=True)


def test_delete_missing_schedule_fails_without_ignore_missing(hook: mock.MagicMock, context: dict) -> None:
    hook.delete_schedule_and_job_definitions.side_effect = not_found()
    operator = SageMakerDeleteMonitoringScheduleOperator(task_id="delete", monitoring_schedule_name=SCHEDULE)
    with pytest.raises(ClientError, match="ResourceNotFound"):
        with_hook(operator, hook).execute(context)


def test_delete_can_leave_job_definitions(hook: mock.MagicMock, context: dict) -> None:
    hook.delete_schedule.return_value = True
    operator = SageMakerDeleteMonitoringScheduleOperator(
        task_id="delete", monitoring_schedule_name=SCHEDULE, delete_job_definitions=False
    )
    result = with_hook(operator, hook).execute(context)
    assert result == {
        "monitoring_schedule_name": SCHEDULE,
        "schedule_deleted": True,
        "deleted_job_definitions": [],
    }
    hook.delete_schedule.assert_called_once_with(SCHEDULE, missing_ok=False)
    hook.delete_schedule_and_job_definitions.assert_not_called()
    hook.list_job_definitions.assert_not_called()


# ---- one-time ---------------------------------------------------------------------------------------------

NOW_AT = datetime(2024, 5, 1, 11, 5, tzinfo=UTC)


def execution(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "MonitoringScheduleName": "x",
        "ScheduledTime": datetime(2024, 5, 1, 11, tzinfo=UTC),
        "CreationTime": datetime(2024, 5, 1, 11, 6, tzinfo=UTC),
        "MonitoringExecutionStatus": status,
        **extra,
    }


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Freeze the operator's clock at 11:05 UTC."""
    monkeypatch.setattr(module, "_utcnow", lambda: NOW_AT)
    return NOW_AT


def one_time(**overrides: Any) -> SageMakerOneTimeMonitoringOperator:
    arguments = {
        "task_id": "check",
        "monitoring_type": "DataQuality",
        "job_definition": data_quality(),
        "poll_interval": 0.001,
        "deferrable": False,
        **overrides,
    }
    return SageMakerOneTimeMonitoringOperator(**arguments)


def test_one_time_name_is_deterministic_and_valid() -> None:
    first = one_time_schedule_name("d" * 80, "t" * 80, "manual__2024-05-01T10:00:00+00:00")
    assert first == one_time_schedule_name("d" * 80, "t" * 80, "manual__2024-05-01T10:00:00+00:00")
    assert names.NAME_PATTERN.match(first) and len(first) <= 63
    assert first != one_time_schedule_name("d" * 80, "t" * 80, "manual__2024-05-02T10:00:00+00:00")
    assert one_time_schedule_name("d", "t", "r", 0) != one_time_schedule_name("d", "t", "r", 1)


def test_one_time_window_longer_than_a_day_fails_at_construction() -> None:
    with pytest.raises(MonitoringValidationError) as error:
        one_time(window_start="2024-05-01T00:00:00Z", window_end="2024-05-02T01:00:00Z")
    assert error.value.field == NOW_FIELD
    assert error.value.rule.id == "analysis-times-max-24h"


def test_one_time_window_needs_both_ends() -> None:
    with pytest.raises(ValueError, match="^window_start, window_end"):
        one_time(window_start="2024-05-01T00:00:00Z")


def test_check_window_parses_strings_and_datetimes() -> None:
    start, end = check_window("2024-05-01T10:00:00Z", datetime(2024, 5, 1, 11, tzinfo=UTC))
    assert (start, end) == (datetime(2024, 5, 1, 10, tzinfo=UTC), datetime(2024, 5, 1, 11, tzinfo=UTC))


def test_one_time_templated_window_is_checked_once_rendered(
    hook: mock.MagicMock, context: dict, now: datetime
) -> None:
    operator = one_time(window_start="{{ params.start }}", window_end="{{ params.end }}")
    context["params"] = {"start": "2024-05-01T09:30:00Z", "end": "2024-05-01T10:30:00+00:00"}
    operator.render_template_fields(context)
    hook.describe_schedule.side_effect = [not_found(), described("d")]
    hook.find_execution.return_value = execution("Completed")
    with_hook(operator, hook).execute(context)
    kwargs = hook.create_or_update_schedule.call_args.kwargs
    assert (kwargs["data_analysis_start_time"], kwargs["data_analysis_end_time"]) == ("-PT1H35M", "-PT35M")


def test_one_time_data_interval_longer_than_a_day_fails_before_any_call(
    hook: mock.MagicMock, context: dict, now: datetime
) -> None:
    context["data_interval_start"] = datetime(2024, 4, 29, 11, tzinfo=UTC)
    with pytest.raises(MonitoringValidationError, match=f"^{NOW_FIELD}"):
        with_hook(one_time(), hook).execute(context)
    hook.describe_schedule.assert_not_called()
    hook.delete_schedule_and_job_definitions.assert_not_called()


def test_one_time_run_over_the_data_interval(hook: mock.MagicMock, context: dict, now: datetime) -> None:
    hook.describe_schedule.side_effect = [not_found(), described("d")]
    hook.find_execution.side_effect = [
        None,
        execution("InProgress"),
        execution(
            "Completed", ProcessingJobArn="arn:aws:sagemaker:us-east-1:123456789012:processing-job/job-1"
        ),
    ]
    result = with_hook(one_time(), hook).execute(context)

    name = one_time_schedule_name("churn_monitoring", "check", "scheduled__2024-05-01T10:00:00+00:00")
    args, kwargs = hook.create_or_update_schedule.call_args
    assert args[0] == name and args[1] == "DataQuality" and args[3].is_now
    assert (kwargs["data_analysis_start_time"], kwargs["data_analysis_end_time"]) == ("-PT1H5M", "-PT5M")
    assert hook.find_execution.call_args == mock.call(
        name, scheduled_after=datetime(2024, 5, 1, 11, tzinfo=UTC)
    )
    assert result["MonitoringExecutionStatus"] == "Completed"
    assert result["ScheduledTime"] == "2024-05-01T11:00:00+00:00"
    json.dumps(result)
    assert pushed(context, SageMakerProcessingJobLink.key)["job_name"] == "job-1"
    hook.delete_schedule_and_job_definitions.assert_called_once_with(name, missing_ok=True)


def test_one_time_window_ending_this_hour(hook: mock.MagicMock, context: dict, now: datetime) -> None:
    context["data_interval_start"] = datetime(2024, 5, 1, 10, 30, tzinfo=UTC)
    context["data_interval_end"] = datetime(2024, 5, 1, 11, tzinfo=UTC)
    hook.describe_schedule.side_effect = not_found()
    hook.find_execution.return_value = execution("Completed")
    with_hook(one_time(), hook).execute(context)
    kwargs = hook.create_or_update_schedule.call_args.kwargs
    assert (kwargs["data_analysis_start_time"], kwargs["data_analysis_end_time"]) == ("-PT35M", "-PT5M")


def test_one_time_failed_execution_fails_and_still_cleans_up(
    hook: mock.MagicMock, context: dict, now: datetime
) -> None:
    hook.describe_schedule.side_effect = [not_found(), described("d")]
    hook.find_execution.return_value = execution("Failed", FailureReason="Job inputs had no data")
    hook.describe_failure.return_value = "ended Failed. Job inputs had no data"
    with pytest.raises(AirflowException, match="had no data") as error:
        with_hook(one_time(), hook).execute(context)
    assert not isinstance(error.value, AirflowFailException)  # a retry runs a fresh one-time job
    hook.delete_schedule_and_job_definitions.assert_called_once()


def test_one_time_violations_fail_when_asked(hook: mock.MagicMock, context: dict, now: datetime) -> None:
    hook.describe_schedule.side_effect = [not_found(), described("d")]
    hook.find_execution.return_value = execution("CompletedWithViolations")
    with pytest.raises(AirflowFailException, match="CompletedWithViolations"):
        with_hook(one_time(fail_on_violations=True), hook).execute(context)
    hook.delete_schedule_and_job_definitions.assert_called_once()


def test_one_time_failed_execution_can_succeed(hook: mock.MagicMock, context: dict, now: datetime) -> None:
    hook.describe_schedule.side_effect = not_found()
    hook.find_execution.return_value = execution("Stopped")
    result = with_hook(one_time(fail_on_failed=False, delete_after=False), hook).execute(context)
    assert result["MonitoringExecutionStatus"] == "Stopped"
    hook.delete_schedule_and_job_definitions.assert_not_called()


def test_one_time_create_failure_still_cleans_up(hook: mock.MagicMock, context: dict, now: datetime) -> None:
    hook.describe_schedule.side_effect = not_found()
    hook.create_or_update_schedule.side_effect = AirflowException("schedule Failed")
    with pytest.raises(AirflowException, match="schedule Failed"):
        with_hook(one_time(), hook).execute(context)
    name = one_time_schedule_name("churn_monitoring", "check", "scheduled__2024-05-01T10:00:00+00:00")
    hook.delete_schedule_and_job_definitions.assert_called_once_with(
        name, missing_ok=True
    )  # leftover definitions are still deleted


def test_one_time_cleanup_failure_does_not_hide_the_result(
    hook: mock.MagicMock, context: dict, now: datetime
) -> None:
    hook.describe_schedule.side_effect = not_found()
    hook.find_execution.return_value = execution("Completed")
    hook.delete_schedule_and_job_definitions.side_effect = ClientError(
        {"Error": {"Code": "ThrottlingException"}}, "List"
    )
    result = with_hook(one_time(), hook).execute(context)
    assert result["MonitoringExecutionStatus"] == "Completed"


def test_one_time_poll_timeout_fails_and_cleans_up(
    hook: mock.MagicMock, context: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    times = iter([NOW_AT, NOW_AT + timedelta(seconds=30), NOW_AT + timedelta(seconds=61)])
    monkeypatch.setattr(module, "_utcnow", lambda: next(times))
    hook.describe_schedule.side_effect = [not_found(), described("d")]
    hook.find_execution.return_value = execution("Pending")
    with pytest.raises(AirflowException, match="did not end in time: the monitoring execution"):
        with_hook(one_time(timeout=60), hook).execute(context)
    assert hook.find_execution.call_count == 2
    hook.delete_schedule_and_job_definitions.assert_called_once()


def test_one_time_reattaches_to_the_schedule_of_an_earlier_try(
    hook: mock.MagicMock, context: dict, now: datetime
) -> None:
    name = one_time_schedule_name("churn_monitoring", "check", "scheduled__2024-05-01T10:00:00+00:00")
    request = job_definition_request("DataQuality", data_quality(), "any")
    definition_name = names.job_definition_name(name, "DataQuality", request)
    earlier = described(definition_name, expression="NOW")
    earlier["CreationTime"] = datetime(2024, 5, 1, 10, 58, tzinfo=UTC)
    hook.describe_schedule.side_effect = [earlier, earlier]
    hook.find_execution.return_value = execution("Completed")
    with_hook(one_time(), hook).execute(context)
    hook.create_or_update_schedule.assert_not_called()
    assert hook.find_execution.call_args.kwargs == {"scheduled_after": datetime(2024, 5, 1, 10, tzinfo=UTC)}


def test_one_time_replaces_a_schedule_running_something_else(
    hook: mock.MagicMock, context: dict, now: datetime
) -> None:
    hook.describe_schedule.side_effect = [
        described("old-def", expression="NOW"),
        described("old-def"),
        not_found(),
    ]
    hook.find_execution.return_value = execution("Completed")
    with_hook(one_time(), hook).execute(context)
    name = one_time_schedule_name("churn_monitoring", "check", "scheduled__2024-05-01T10:00:00+00:00")
    # the stale schedule, then the final clean-up
    assert hook.delete_schedule_and_job_definitions.call_args_list == [mock.call(name, missing_ok=True)] * 2
    hook.create_or_update_schedule.assert_called_once()


def test_one_time_without_waiting_leaves_the_schedule(
    hook: mock.MagicMock, context: dict, now: datetime
) -> None:
    hook.describe_schedule.side_effect = not_found()
    result = with_hook(
        one_time(wait_for_completion=False, monitoring_schedule_name="adhoc-check"), hook
    ).execute(context)
    assert result == {
        "monitoring_schedule_name": "adhoc-check",
        "scheduled_after": "2024-05-01T11:00:00+00:00",
        "data_analysis_start_time": "-PT1H5M",
        "data_analysis_end_time": "-PT5M",
        "analysis_window_start": "2024-05-01T10:00:00+00:00",
        "analysis_window_end": "2024-05-01T11:00:00+00:00",
    }
    hook.find_execution.assert_not_called()
    hook.delete_schedule_and_job_definitions.assert_not_called()


def test_one_time_defers_to_the_execution_trigger(hook: mock.MagicMock, context: dict, now: datetime) -> None:
    hook.describe_schedule.side_effect = not_found()
    hook.find_execution.return_value = execution("InProgress")
    operator = one_time(deferrable=True, poll_interval=30, timeout=600, region_name="us-east-1")
    with pytest.raises(TaskDeferred) as deferred:
        with_hook(operator, hook).execute(context)
    trigger = deferred.value.trigger
    assert isinstance(trigger, SageMakerMonitoringExecutionTrigger)
    name = one_time_schedule_name("churn_monitoring", "check", "scheduled__2024-05-01T10:00:00+00:00")
    assert trigger.monitoring_schedule_name == name
    assert trigger.scheduled_after == datetime(2024, 5, 1, 11, tzinfo=UTC)
    assert trigger.deadline == NOW_AT + timedelta(seconds=600)
    assert trigger.poll_interval == 30 and trigger.region_name == "us-east-1"
    assert trigger.wake_at == NOW_AT + timedelta(seconds=30)  # the first look comes one poll later
    assert deferred.value.method_name == "execute_complete"
    assert deferred.value.kwargs == {"monitoring_schedule_name": name}
    hook.delete_schedule_and_job_definitions.assert_not_called()  # the schedule must outlive the deferral
    hook.find_execution.assert_called_once_with(name, scheduled_after=trigger.scheduled_after)


def test_one_time_does_not_defer_for_an_execution_that_already_ended(
    hook: mock.MagicMock, context: dict, now: datetime
) -> None:
    hook.describe_schedule.side_effect = not_found()
    hook.find_execution.return_value = execution("Completed")
    result = with_hook(one_time(deferrable=True, poll_interval=0.5), hook).execute(context)
    assert result["MonitoringExecutionStatus"] == "Completed"
    hook.find_execution.assert_called_once()
    hook.delete_schedule_and_job_definitions.assert_called_once()


def test_execute_complete_returns_the_summary_and_cleans_up(hook: mock.MagicMock, context: dict) -> None:
    summary = {
        "MonitoringScheduleName": "adhoc",
        "MonitoringExecutionStatus": "Completed",
        "ScheduledTime": "t",
    }
    hook.describe_schedule.return_value = described("adhoc-dq-0123456789")
    operator = with_hook(one_time(deferrable=True), hook)
    result = operator.execute_complete(
        context,
        {"status": "success", "execution": summary, "message": "ok"},
        monitoring_schedule_name="adhoc",
    )
    assert result == summary
    hook.delete_schedule_and_job_definitions.assert_called_once_with("adhoc", missing_ok=True)


@pytest.mark.parametrize(
    ("event", "match"),
    [
        ({"status": "timeout", "execution": None, "message": "gave up"}, "did not end in time: gave up"),
        ({"status": "error", "execution": None, "message": "throttled"}, "failed: throttled"),
        (None, "unexpected trigger event"),
        (
            {"status": "failed", "execution": {"MonitoringExecutionStatus": "Failed"}, "message": "m"},
            "described failure",
        ),
    ],
)
def test_execute_complete_failures_still_clean_up(
    hook: mock.MagicMock, context: dict, event: dict | None, match: str
) -> None:
    hook.describe_schedule.side_effect = not_found()
    hook.describe_failure.return_value = "described failure"
    operator = with_hook(one_time(deferrable=True), hook)
    with pytest.raises(AirflowException, match=match):
        operator.execute_complete(context, event, monitoring_schedule_name="adhoc")
    hook.delete_schedule_and_job_definitions.assert_called_once_with("adhoc", missing_ok=True)  # clean-up ran


def test_operators_register_console_links() -> None:
    assert [type(link) for link in SageMakerOneTimeMonitoringOperator.operator_extra_links] == [
        SageMakerMonitoringScheduleLink,
        SageMakerProcessingJobLink,
    ]
    for operator_class in (
        SageMakerMonitoringScheduleOperator,
        SageMakerStartMonitoringScheduleOperator,
        SageMakerStopMonitoringScheduleOperator,
    ):
        assert [type(link) for link in operator_class.operator_extra_links] == [
            SageMakerMonitoringScheduleLink
        ]


def test_hook_gets_the_schedule_wait_settings() -> None:
    operator = SageMakerDeleteMonitoringScheduleOperator(
        task_id="d",
        monitoring_schedule_name=SCHEDULE,
        aws_conn_id=None,
        region_name="us-east-1",
        schedule_poll_interval=2,
        schedule_wait_timeout=30,
    )
    assert isinstance(operator.hook, SageMakerModelMonitorHook)
    assert (operator.hook.schedule_poll_interval, operator.hook.schedule_wait_timeout) == (2, 30)
    with pytest.raises(ValueError, match="^schedule_poll_interval"):
        SageMakerDeleteMonitoringScheduleOperator(
            task_id="d", monitoring_schedule_name=SCHEDULE, schedule_poll_interval=0
        )


def test_typed_model_quality_spec_with_ground_truth_is_accepted() -> None:
    spec = ModelQualityJobDefinition(
        role_arn=ROLE,
        image_uri=IMAGE,
        input=EndpointInput("churn", inference_attribute="0"),
        output=MonitoringOutput("s3://bucket/reports"),
        problem_type="BinaryClassification",
        ground_truth=GroundTruthInput("s3://bucket/ground-truth"),
        stopping_condition=StoppingCondition(1800),
    )
    operator = SageMakerMonitoringScheduleOperator(
        task_id="mq",
        monitoring_schedule_name="churn-model-quality",
        monitoring_type="ModelQuality",
        job_definition=spec,
        schedule="cron(0 * ? * * *)",
        baseline={"constraints_uri": "s3://bucket/mq/constraints.json"},
    )
    resolved = operator.resolved_job_definition()
    assert resolved.baseline == BaselineConfig(constraints_uri="s3://bucket/mq/constraints.json")


# ---- integration: boto3 over HTTP against the local Model Monitor service ----------------------------

CONN_ID = "mm_local"
BUCKET = "mm-bucket"
ENDPOINT = "churn"


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalModelMonitor]:
    """The local service (schedules Pending for 0.1 s, due slots run in the background), an Airflow
    connection to it, a bucket and an endpoint that captures to ``s3://mm-bucket/capture``."""
    with LocalModelMonitor(pending_seconds=0.1, auto_run=True) as local:
        extra = {"endpoint_url": local.endpoint_url, "region_name": local.region}
        connection = {"conn_type": "aws", "login": "testing", "password": "testing", "extra": extra}
        monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(connection))
        local.client("s3").create_bucket(Bucket=BUCKET)
        sagemaker = local.client("sagemaker")
        capture = {
            "InitialSamplingPercentage": 100,
            "DestinationS3Uri": f"s3://{BUCKET}/capture",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        }
        variant = {
            "VariantName": "AllTraffic",
            "ModelName": "m",
            "InitialInstanceCount": 1,
            "InstanceType": "ml.m5.large",
        }
        sagemaker.create_endpoint_config(
            EndpointConfigName=f"{ENDPOINT}-config", ProductionVariants=[variant], DataCaptureConfig=capture
        )
        sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=f"{ENDPOINT}-config")
        yield local


def local_spec(**overrides: Any) -> DataQualityJobDefinition:
    """A data-quality spec on the local endpoint."""
    return data_quality(
        input=EndpointInput(ENDPOINT), output=MonitoringOutput(f"s3://{BUCKET}/reports"), **overrides
    )


def local_operator(operator_class: type, **arguments: Any) -> Any:
    """An operator on the local service's connection with short schedule polls."""
    return operator_class(
        aws_conn_id=CONN_ID, schedule_poll_interval=0.05, schedule_wait_timeout=30, **arguments
    )


def schedule_operator(job_definition: Any, schedule: str = "cron(0 * ? * * *)") -> Any:
    return local_operator(
        SageMakerMonitoringScheduleOperator,
        task_id="schedule",
        monitoring_schedule_name=SCHEDULE,
        monitoring_type="DataQuality",
        job_definition=job_definition,
        schedule=schedule,
    )


def definitions(service: LocalModelMonitor) -> list[str]:
    """Names of every data-quality job definition in the service."""
    response = service.client("sagemaker").list_data_quality_job_definitions(MaxResults=100)
    return sorted(summary["MonitoringJobDefinitionName"] for summary in response["JobDefinitionSummaries"])


def schedules(service: LocalModelMonitor) -> list[str]:
    response = service.client("sagemaker").list_monitoring_schedules(MaxResults=100)
    return sorted(summary["MonitoringScheduleName"] for summary in response["MonitoringScheduleSummaries"])


def task_context() -> dict[str, Any]:
    return {
        "ti": mock.MagicMock(dag_id="churn_monitoring", task_id="check", run_id="manual__1", map_index=-1)
    }


@pytest.mark.integration
def test_create_then_update_leaves_exactly_one_job_definition(service: LocalModelMonitor) -> None:
    created = schedule_operator(local_spec()).execute(task_context())
    assert created["action"] == "created"
    assert definitions(service) == [created["job_definition_name"]]

    changed = local_spec(resources=ClusterResources(1, "ml.m5.large", 20))
    updated = schedule_operator(changed, "cron(0 6 ? * * *)").execute(task_context())
    assert updated["action"] == "updated"
    assert updated["job_definition_name"] != created["job_definition_name"]
    assert definitions(service) == [updated["job_definition_name"]]
    described_now = service.client("sagemaker").describe_monitoring_schedule(MonitoringScheduleName=SCHEDULE)
    assert described_now["MonitoringScheduleStatus"] == "Scheduled"
    config = described_now["MonitoringScheduleConfig"]
    assert config["MonitoringJobDefinitionName"] == updated["job_definition_name"]
    assert config["ScheduleConfig"]["ScheduleExpression"] == "cron(0 6 ? * * *)"

    again = schedule_operator(changed, "cron(0 6 ? * * *)").execute(task_context())
    assert again["action"] == "unchanged"
    assert schedules(service) == [SCHEDULE]


@pytest.mark.integration
def test_retry_after_dying_midway_through_a_create_converges(service: LocalModelMonitor) -> None:
    sagemaker = service.client("sagemaker")
    # The first try created its job definition, then died before CreateMonitoringSchedule. An earlier
    # version of the DAG had also left a definition of an older config behind.
    wanted = job_definition_request("DataQuality", local_spec(), "placeholder")
    wanted["JobDefinitionName"] = names.job_definition_name(SCHEDULE, "DataQuality", wanted)
    sagemaker.create_data_quality_job_definition(**wanted)
    older = job_definition_request("DataQuality", local_spec(resources=ClusterResources(2)), "placeholder")
    older["JobDefinitionName"] = names.job_definition_name(SCHEDULE, "DataQuality", older)
    sagemaker.create_data_quality_job_definition(**older)

    retried = schedule_operator(local_spec()).execute(task_context())

    assert retried["action"] == "created"
    assert retried["job_definition_name"] == wanted["JobDefinitionName"]
    assert definitions(service) == [wanted["JobDefinitionName"]]
    assert schedules(service) == [SCHEDULE]
    # A further retry (the task died after the create) changes nothing.
    assert schedule_operator(local_spec()).execute(task_context())["action"] == "unchanged"
    assert definitions(service) == [wanted["JobDefinitionName"]]
    assert schedules(service) == [SCHEDULE]


@pytest.mark.integration
def test_delete_removes_the_schedule_and_its_job_definitions(service: LocalModelMonitor) -> None:
    schedule_operator(local_spec()).execute(task_context())
    created = schedule_operator(local_spec(resources=ClusterResources(2))).execute(task_context())
    delete = local_operator(
        SageMakerDeleteMonitoringScheduleOperator, task_id="delete", monitoring_schedule_name=SCHEDULE
    )

    result = delete.execute(task_context())

    assert result == {
        "monitoring_schedule_name": SCHEDULE,
        "schedule_deleted": True,
        "deleted_job_definitions": [created["job_definition_name"]],
    }
    assert schedules(service) == []
    assert definitions(service) == []
    again = local_operator(
        SageMakerDeleteMonitoringScheduleOperator,
        task_id="again",
        monitoring_schedule_name=SCHEDULE,
        ignore_missing=True,
    )
    assert again.execute(task_context())["schedule_deleted"] is False
    with pytest.raises(ClientError, match="ResourceNotFound"):
        delete.execute(task_context())


@pytest.mark.integration
def test_stop_and_start_over_http(service: LocalModelMonitor) -> None:
    schedule_operator(local_spec()).execute(task_context())
    stop = local_operator(
        SageMakerStopMonitoringScheduleOperator, task_id="stop", monitoring_schedule_name=SCHEDULE
    )
    assert stop.execute(task_context())["status"] == "Stopped"
    start = local_operator(
        SageMakerStartMonitoringScheduleOperator, task_id="start", monitoring_schedule_name=SCHEDULE
    )
    assert start.execute(task_context())["status"] == "Scheduled"


def local_one_time(deferrable: bool) -> SageMakerOneTimeMonitoringOperator:
    """A data-quality one-time operator on the local service, polling every 0.2 s for up to a minute."""
    return local_operator(
        SageMakerOneTimeMonitoringOperator,
        task_id="check",
        monitoring_type="DataQuality",
        job_definition=local_spec(),
        poll_interval=0.2,
        timeout=60,
        deferrable=deferrable,
    )


def seed_capture(service: LocalModelMonitor, hour: datetime, count: int = 40) -> None:
    """``count`` captured CSV inferences (two features, a score) in the capture folder of ``hour``."""
    lines = [capture_line(i, hour) for i in range(count)]
    key = f"capture/{ENDPOINT}/AllTraffic/{hour:%Y/%m/%d/%H}/{hour:%M}-00-000-seed.jsonl"
    service.client("s3").put_object(Bucket=BUCKET, Key=key, Body="\n".join(lines).encode())


def last_hour_context() -> dict[str, Any]:
    """A task context whose data interval is the last full hour, with its capture seeded by the caller."""
    start = floor_hour(datetime.now(UTC)) - timedelta(hours=1)
    context = task_context()
    context.update(data_interval_start=start, data_interval_end=start + timedelta(hours=1))
    return context


def report_keys(service: LocalModelMonitor) -> list[str]:
    response = service.client("s3").list_objects_v2(Bucket=BUCKET, Prefix="reports/")
    return [item["Key"] for item in response.get("Contents", [])]


@pytest.mark.integration
def test_one_time_run_over_seeded_capture_completes_and_cleans_up(service: LocalModelMonitor) -> None:
    context = last_hour_context()
    seed_capture(service, context["data_interval_start"])
    operator = local_one_time(deferrable=False)

    result = operator.execute(context)

    assert result["MonitoringExecutionStatus"] == "Completed"
    assert result["ScheduledTime"] == floor_hour(datetime.now(UTC)).isoformat()
    assert result["ProcessingJobArn"].startswith("arn:aws:sagemaker:us-east-1:")
    json.dumps(result)
    assert any(key.endswith("/statistics.json") for key in report_keys(service))
    assert schedules(service) == []
    assert definitions(service) == []


@pytest.mark.integration
def test_one_time_run_without_data_fails_with_the_reason_and_cleans_up(service: LocalModelMonitor) -> None:
    operator = local_one_time(deferrable=False)
    with pytest.raises(AirflowException, match="(?i)no data") as error:
        operator.execute(last_hour_context())
    assert "ended Failed" in str(error.value)
    assert schedules(service) == []
    assert definitions(service) == []


async def first_event(trigger: SageMakerMonitoringExecutionTrigger) -> dict[str, Any]:
    """The payload of the first event the trigger fires."""
    async for event in trigger.run():
        return event.payload
    raise AssertionError("the trigger fired no event")


@pytest.mark.integration
def test_deferred_one_time_run_completes_through_the_trigger(
    service: LocalModelMonitor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL", "0")  # no deferring worker here
    context = last_hour_context()
    seed_capture(service, context["data_interval_start"])
    operator = local_one_time(deferrable=True)
    with pytest.raises(TaskDeferred) as deferred:
        operator.execute(context)
    assert len(schedules(service)) == 1  # the schedule outlives the deferral

    payload = asyncio.run(first_event(deferred.value.trigger))
    result = operator.execute_complete(context, payload, **(deferred.value.kwargs or {}))

    assert payload["status"] == "success"
    assert result["MonitoringExecutionStatus"] == "Completed"
    assert schedules(service) == []
    assert definitions(service) == []
