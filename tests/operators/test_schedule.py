"""Unit tests of the schedule operators with the hook mocked, and their runs against the local service."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from unittest import mock

import pytest
from airflow.exceptions import AirflowProviderDeprecationWarning
from airflow.providers.common.compat.sdk import AirflowException
from botocore.exceptions import ClientError

from airflow_mm_provider.hooks.model_monitor import (
    SageMakerModelMonitorHook,
    ScheduleChange,
    ScheduleDeletion,
)
from airflow_mm_provider.links.model_monitor import SageMakerMonitoringScheduleLink
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
from airflow_mm_provider.monitoring.job_definitions import ModelQualityJobDefinition, job_definition_request
from airflow_mm_provider.operators import one_time
from airflow_mm_provider.operators.job_definition import EXPRESSION_FIELD, SCHEDULE_NAME_FIELD, TYPE_FIELD
from airflow_mm_provider.operators.schedule import (
    SageMakerDeleteMonitoringScheduleOperator,
    SageMakerMonitoringScheduleOperator,
    SageMakerOneTimeMonitoringOperator,
    SageMakerStartMonitoringScheduleOperator,
    SageMakerStopMonitoringScheduleOperator,
)
from tests.support.schedule_operators import (
    ARN,
    IMAGE,
    ROLE,
    SCHEDULE,
    UTC,
    data_quality,
    definitions,
    local_operator,
    local_spec,
    model_quality_dict,
    not_found,
    pushed,
    schedules,
    task_context,
    with_hook,
)

BASELINE_XCOM = {
    "job_name": "churn-baseline-1a2b3c4d5e6f",
    "statistics_uri": "s3://bucket/baseline/statistics.json",
    "constraints_uri": "s3://bucket/baseline/constraints.json",
}


def test_the_one_time_operator_is_importable_from_the_schedule_module() -> None:
    assert SageMakerOneTimeMonitoringOperator is one_time.SageMakerOneTimeMonitoringOperator


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
    hook.create_or_update_schedule.return_value = ScheduleChange(
        SCHEDULE, ARN, f"{SCHEDULE}-dq-0123456789", "created"
    )
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
    hook.create_or_update_schedule.return_value = ScheduleChange(SCHEDULE, ARN, "x", "updated")
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


DELETED = ScheduleDeletion(SCHEDULE, True, [f"{SCHEDULE}-dq-0123456789"])


def test_delete_removes_the_schedule_and_its_definitions_with_the_hook(
    hook: mock.MagicMock, context: dict
) -> None:
    hook.delete_schedule_and_job_definitions.return_value = DELETED
    operator = SageMakerDeleteMonitoringScheduleOperator(task_id="delete", monitoring_schedule_name=SCHEDULE)
    assert with_hook(operator, hook).execute(context) == {
        "monitoring_schedule_name": SCHEDULE,
        "schedule_deleted": True,
        "deleted_job_definitions": [f"{SCHEDULE}-dq-0123456789"],
    }
    hook.delete_schedule_and_job_definitions.assert_called_once_with(SCHEDULE, missing_ok=False)


def test_delete_missing_schedule_with_ignore_missing_is_a_no_op(hook: mock.MagicMock, context: dict) -> None:
    gone = ScheduleDeletion(SCHEDULE, False, [])
    hook.delete_schedule_and_job_definitions.return_value = gone
    operator = SageMakerDeleteMonitoringScheduleOperator(
        task_id="delete", monitoring_schedule_name=SCHEDULE, ignore_missing=True
    )
    assert with_hook(operator, hook).execute(context) == gone._asdict()
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


def test_operators_register_console_links() -> None:
    for operator_class in (
        SageMakerMonitoringScheduleOperator,
        SageMakerStartMonitoringScheduleOperator,
        SageMakerStopMonitoringScheduleOperator,
    ):
        assert [type(link) for link in operator_class.operator_extra_links] == [
            SageMakerMonitoringScheduleLink
        ]


def delete_operator(**waiting: Any) -> SageMakerDeleteMonitoringScheduleOperator:
    return SageMakerDeleteMonitoringScheduleOperator(
        task_id="d", monitoring_schedule_name=SCHEDULE, aws_conn_id=None, region_name="us-east-1", **waiting
    )


def test_hook_gets_the_schedule_wait_settings() -> None:
    operator = delete_operator(check_interval=2, max_ingestion_time=30)
    assert isinstance(operator.hook, SageMakerModelMonitorHook)
    assert (operator.hook.check_interval, operator.hook.max_ingestion_time) == (2, 30)
    default = delete_operator()
    assert (default.check_interval, default.max_ingestion_time) == (5.0, 180.0)
    assert (default.hook.check_interval, default.hook.max_ingestion_time) == (5.0, 180.0)
    with pytest.raises(ValueError, match="^check_interval: must be a positive"):
        delete_operator(check_interval=0)
    with pytest.raises(ValueError, match="^max_ingestion_time: must be a zero or more"):
        delete_operator(max_ingestion_time=-1)


@pytest.mark.parametrize(
    ("old", "new"),
    [("schedule_poll_interval", "check_interval"), ("schedule_wait_timeout", "max_ingestion_time")],
)
def test_old_wait_names_still_work_and_warn(old: str, new: str) -> None:
    with pytest.warns(AirflowProviderDeprecationWarning, match=f"{old} is deprecated.*use {new}"):
        operator = delete_operator(**{old: 7})
    assert getattr(operator, new) == 7 and getattr(operator.hook, new) == 7
    with pytest.raises(ValueError, match=f"^{new}, {old}: pass only {new}"):
        delete_operator(**{old: 7, new: 8})


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


def fast(operator_class: type, **arguments: Any) -> Any:
    """A schedule operator on the local service, looking at its schedule every 0.05 s for up to 30 s."""
    return local_operator(operator_class, check_interval=0.05, max_ingestion_time=30, **arguments)


def schedule_operator(job_definition: Any, schedule: str = "cron(0 * ? * * *)") -> Any:
    return fast(
        SageMakerMonitoringScheduleOperator,
        task_id="schedule",
        monitoring_schedule_name=SCHEDULE,
        monitoring_type="DataQuality",
        job_definition=job_definition,
        schedule=schedule,
    )


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
    delete = fast(
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
    again = fast(
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
    stop = fast(SageMakerStopMonitoringScheduleOperator, task_id="stop", monitoring_schedule_name=SCHEDULE)
    assert stop.execute(task_context())["status"] == "Stopped"
    start = fast(SageMakerStartMonitoringScheduleOperator, task_id="start", monitoring_schedule_name=SCHEDULE)
    assert start.execute(task_context())["status"] == "Scheduled"
