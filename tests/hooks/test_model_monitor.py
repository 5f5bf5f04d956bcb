from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any
from unittest.mock import AsyncMock, MagicMock, call

import pytest
from airflow.exceptions import AirflowProviderDeprecationWarning
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from airflow_mm_provider.hooks.model_monitor import (
    MalformedReportError,
    ModelMonitorHookError,
    ProcessingJobWaitTimeoutError,
    ReportFileNotFoundError,
    ResourceLimitError,
    SageMakerModelMonitorHook,
    ScheduleChange,
    ScheduleDeletion,
    ScheduleFailedError,
    ScheduleWaitTimeoutError,
    error_code,
)
from airflow_mm_provider.monitoring.names import job_definition_name
from airflow_mm_provider.monitoring.outcomes import execution_xcom
from tests.hooks.conftest import BUCKET, REGION

ACCOUNT = "123456789012"
SCHEDULE = "churn-monitor"
SCHEDULE_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:monitoring-schedule/{SCHEDULE}"
JOB_NAME = "model-monitoring-202401011000-abc"
JOB_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:processing-job/{JOB_NAME}"
REPORT_PREFIX = f"reports/ep/{SCHEDULE}/2024/01/01/10"
REPORT_URI = f"s3://{BUCKET}/{REPORT_PREFIX}"
T0 = datetime(2024, 1, 1, 10, tzinfo=timezone.utc)
HOURLY = "cron(0 * ? * * *)"
PENDING_MESSAGE = "Monitoring schedule in status Pending"


def description(
    status: str = "Scheduled",
    definition_name: str = "old-definition",
    monitoring_type: str = "ModelQuality",
    expression: str | None = HOURLY,
    failure_reason: str | None = None,
) -> dict[str, Any]:
    """A DescribeMonitoringSchedule response."""
    config: dict[str, Any] = {
        "MonitoringJobDefinitionName": definition_name,
        "MonitoringType": monitoring_type,
    }
    if expression is not None:
        config["ScheduleConfig"] = {"ScheduleExpression": expression}
    response = {
        "MonitoringScheduleArn": SCHEDULE_ARN,
        "MonitoringScheduleName": SCHEDULE,
        "MonitoringScheduleStatus": status,
        "MonitoringType": monitoring_type,
        "CreationTime": T0,
        "LastModifiedTime": T0,
        "MonitoringScheduleConfig": config,
    }
    if failure_reason is not None:
        response["FailureReason"] = failure_reason
    return response


def execution(scheduled: datetime, status: str = "Completed", **extra: Any) -> dict[str, Any]:
    """A MonitoringExecutionSummary."""
    return {
        "MonitoringScheduleName": SCHEDULE,
        "ScheduledTime": scheduled,
        "CreationTime": scheduled,
        "LastModifiedTime": scheduled,
        "MonitoringExecutionStatus": status,
        **extra,
    }


def processing_job(**extra: Any) -> dict[str, Any]:
    """A DescribeProcessingJob response whose output is REPORT_URI."""
    return {
        "ProcessingJobName": JOB_NAME,
        "ProcessingJobArn": JOB_ARN,
        "ProcessingJobStatus": "Completed",
        "CreationTime": T0,
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}
        },
        "AppSpecification": {"ImageUri": "analyzer"},
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "result",
                    "S3Output": {
                        "S3Uri": REPORT_URI,
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "Continuous",
                    },
                }
            ]
        },
        **extra,
    }


def named(name: str = SCHEDULE) -> dict[str, str]:
    return {"MonitoringScheduleName": name}


def add_not_found(stubber: Stubber, operation: str, params: dict[str, Any]) -> None:
    stubber.add_client_error(operation, "ResourceNotFound", "Could not find it", 400, expected_params=params)


# ---- construction


def test_hook_uses_sagemaker_client_and_shares_connection_settings_with_s3(hook: SageMakerModelMonitorHook):
    assert hook.client_type == "sagemaker"
    assert hook.conn.meta.service_model.service_name == "sagemaker"
    assert hook.s3_hook.aws_conn_id is None
    assert hook.s3_hook.region_name == REGION


def test_hook_rejects_non_positive_check_interval():
    with pytest.raises(ValueError, match="^check_interval: must be a positive"):
        SageMakerModelMonitorHook(aws_conn_id=None, check_interval=0)
    with pytest.raises(ValueError, match="^max_ingestion_time: must be a zero or more"):
        SageMakerModelMonitorHook(aws_conn_id=None, max_ingestion_time=None)


def test_hook_wait_settings_have_one_set_of_defaults():
    hook = SageMakerModelMonitorHook(aws_conn_id=None)
    assert (hook.check_interval, hook.max_ingestion_time) == (5.0, 180.0)


@pytest.mark.parametrize(
    ("old", "new"),
    [("schedule_poll_interval", "check_interval"), ("schedule_wait_timeout", "max_ingestion_time")],
)
def test_hook_old_wait_names_still_work_and_warn(old, new):
    with pytest.warns(AirflowProviderDeprecationWarning, match=f"{old} is deprecated.*use {new}"):
        hook = SageMakerModelMonitorHook(aws_conn_id=None, **{old: 3})
    assert getattr(hook, new) == 3
    with pytest.raises(ValueError, match=f"^{new}, {old}: pass only {new}"):
        SageMakerModelMonitorHook(aws_conn_id=None, **{old: 3, new: 4})


def test_error_code_reads_client_errors_only():
    error = ClientError({"Error": {"Code": "ResourceInUse", "Message": "x"}}, "CreateMonitoringSchedule")
    assert error_code(error) == "ResourceInUse"
    assert error_code(ValueError("x")) is None


# ---- schedule waits


def test_wait_for_schedule_times_out(hook, stubber):
    stubber.add_response("describe_monitoring_schedule", description("Pending"), named())
    with pytest.raises(ScheduleWaitTimeoutError, match=f"Schedule {SCHEDULE} is Pending"):
        hook.wait_for_schedule(SCHEDULE, max_ingestion_time=0)


def test_wait_for_schedule_takes_its_old_argument_names_with_a_warning(hook, stubber):
    stubber.add_response("describe_monitoring_schedule", description("Pending"), named())
    with (
        pytest.warns(
            AirflowProviderDeprecationWarning, match="timeout is deprecated.*use max_ingestion_time"
        ),
        pytest.raises(ScheduleWaitTimeoutError),
    ):
        hook.wait_for_schedule(SCHEDULE, timeout=0)
    with pytest.raises(TypeError, match="unexpected keyword arguments \\['wait'\\]"):
        hook.wait_for_schedule(SCHEDULE, wait=0)


def test_failed_schedule_raises_with_failure_reason(hook, stubber):
    stubber.add_response("create_monitoring_schedule", {"MonitoringScheduleArn": SCHEDULE_ARN})
    stubber.add_response("describe_monitoring_schedule", description("Pending"), named())
    stubber.add_response(
        "describe_monitoring_schedule", description("Failed", failure_reason="Endpoint ep not found"), named()
    )
    with pytest.raises(ScheduleFailedError, match="churn-monitor is Failed: Endpoint ep not found") as info:
        hook.create_schedule({"MonitoringScheduleName": SCHEDULE, "MonitoringScheduleConfig": {}})
    assert info.value.failure_reason == "Endpoint ep not found"


def test_pending_validation_exception_is_retried(hook, stubber):
    stubber.add_response("describe_monitoring_schedule", description("Scheduled"), named())
    stubber.add_client_error("stop_monitoring_schedule", "ValidationException", PENDING_MESSAGE, 400)
    stubber.add_client_error("stop_monitoring_schedule", "ValidationException", PENDING_MESSAGE, 400)
    stubber.add_response("stop_monitoring_schedule", {}, named())
    hook.stop_schedule(SCHEDULE, wait=False)


def test_pending_validation_exception_times_out(hook, stubber):
    hook.max_ingestion_time = 0
    stubber.add_response("describe_monitoring_schedule", description("Scheduled"), named())
    stubber.add_client_error("delete_monitoring_schedule", "ValidationException", PENDING_MESSAGE, 400)
    with pytest.raises(ScheduleWaitTimeoutError, match="delete refused"):
        hook.delete_schedule(SCHEDULE)


def test_other_validation_errors_are_not_retried(hook, stubber):
    stubber.add_response("describe_monitoring_schedule", description("Scheduled"), named())
    stubber.add_client_error("start_monitoring_schedule", "ValidationException", "bad name", 400)
    with pytest.raises(ClientError, match="bad name"):
        hook.start_schedule(SCHEDULE)


def test_start_schedule_waits_after(hook, stubber):
    stubber.add_response("describe_monitoring_schedule", description("Stopped"), named())
    stubber.add_response("start_monitoring_schedule", {}, named())
    stubber.add_response("describe_monitoring_schedule", description("Pending"), named())
    stubber.add_response("describe_monitoring_schedule", description("Scheduled"), named())
    hook.start_schedule(SCHEDULE)


def test_delete_schedule_waits_until_gone(hook, stubber):
    stubber.add_response("describe_monitoring_schedule", description("Scheduled"), named())
    stubber.add_response("delete_monitoring_schedule", {}, named())
    stubber.add_response("describe_monitoring_schedule", description("Scheduled"), named())
    add_not_found(stubber, "describe_monitoring_schedule", named())
    assert hook.delete_schedule(SCHEDULE) is True


def test_delete_missing_schedule(hook, stubber):
    add_not_found(stubber, "describe_monitoring_schedule", named())
    add_not_found(stubber, "delete_monitoring_schedule", named())
    assert hook.delete_schedule(SCHEDULE, missing_ok=True) is False
    add_not_found(stubber, "describe_monitoring_schedule", named())
    add_not_found(stubber, "delete_monitoring_schedule", named())
    with pytest.raises(ClientError) as info:
        hook.delete_schedule(SCHEDULE)
    assert error_code(info.value) == "ResourceNotFound"


def test_delete_schedule_and_job_definitions_of_a_gone_schedule(hook, stubber):
    add_not_found(stubber, "describe_monitoring_schedule", named())
    # A retry after the schedule is gone still removes the definitions left behind, in all four types.
    expect_definitions(stubber, [OLD_DEFINITION])
    for operation in (
        "list_model_quality_job_definitions",
        "list_model_bias_job_definitions",
        "list_model_explainability_job_definitions",
    ):
        stubber.add_response(operation, {"JobDefinitionSummaries": []}, {"NameContains": f"{SCHEDULE}-"})
    expect_references(stubber, OLD_DEFINITION, [])
    stubber.add_response("delete_data_quality_job_definition", {}, {"JobDefinitionName": OLD_DEFINITION})
    add_not_found(stubber, "describe_data_quality_job_definition", {"JobDefinitionName": OLD_DEFINITION})
    assert hook.delete_schedule_and_job_definitions(SCHEDULE, missing_ok=True) == ScheduleDeletion(
        SCHEDULE, False, [OLD_DEFINITION]
    )


def test_schedule_exists(hook, stubber):
    stubber.add_response("describe_monitoring_schedule", description(), named())
    add_not_found(stubber, "describe_monitoring_schedule", named("other"))
    assert hook.schedule_exists(SCHEDULE) is True
    assert hook.schedule_exists("other") is False


# ---- pagination


def schedule_summary(name: str) -> dict[str, Any]:
    return {
        "MonitoringScheduleName": name,
        "MonitoringScheduleArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:monitoring-schedule/{name}",
        "CreationTime": T0,
        "LastModifiedTime": T0,
        "MonitoringScheduleStatus": "Scheduled",
    }


def test_list_schedules_follows_next_token(hook, stubber):
    stubber.add_response(
        "list_monitoring_schedules",
        {"MonitoringScheduleSummaries": [schedule_summary("a"), schedule_summary("b")], "NextToken": "t1"},
        {"StatusEquals": "Scheduled"},
    )
    stubber.add_response(
        "list_monitoring_schedules",
        {"MonitoringScheduleSummaries": [schedule_summary("c")]},
        {"StatusEquals": "Scheduled", "NextToken": "t1"},
    )
    names = [s["MonitoringScheduleName"] for s in hook.list_schedules(StatusEquals="Scheduled")]
    assert names == ["a", "b", "c"]


def test_list_job_definitions_follows_next_token(hook, stubber):
    def summary(name: str) -> dict[str, Any]:
        return {
            "MonitoringJobDefinitionName": name,
            "MonitoringJobDefinitionArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-bias-job-definition/x",
            "CreationTime": T0,
            "EndpointName": "ep",
        }

    stubber.add_response(
        "list_model_bias_job_definitions",
        {"JobDefinitionSummaries": [summary("a")], "NextToken": "p"},
        {"NameContains": "churn"},
    )
    stubber.add_response(
        "list_model_bias_job_definitions",
        {"JobDefinitionSummaries": [summary("b")]},
        {"NameContains": "churn", "NextToken": "p"},
    )
    found = hook.list_job_definitions("ModelBias", NameContains="churn")
    assert [s["MonitoringJobDefinitionName"] for s in found] == ["a", "b"]


# ---- job definitions

DQ_REQUEST: dict[str, Any] = {
    "JobDefinitionName": "churn-monitor-dq-0123456789",
    "DataQualityAppSpecification": {"ImageUri": "analyzer"},
    "DataQualityJobInput": {"EndpointInput": {"EndpointName": "ep", "LocalPath": "/opt/ml/processing/input"}},
    "DataQualityJobOutputConfig": {
        "MonitoringOutputs": [
            {"S3Output": {"S3Uri": "s3://b/reports", "LocalPath": "/opt/ml/processing/output"}}
        ]
    },
    "JobResources": {
        "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}
    },
    "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/R",
}


def test_job_definition_lifecycle(hook, stubber):
    name = DQ_REQUEST["JobDefinitionName"]
    arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:data-quality-job-definition/{name}"
    stubber.add_response("create_data_quality_job_definition", {"JobDefinitionArn": arn}, DQ_REQUEST)
    stubber.add_response(
        "describe_data_quality_job_definition",
        {**DQ_REQUEST, "JobDefinitionArn": arn, "CreationTime": T0},
        {"JobDefinitionName": name},
    )
    stubber.add_response("delete_data_quality_job_definition", {}, {"JobDefinitionName": name})
    add_not_found(stubber, "describe_data_quality_job_definition", {"JobDefinitionName": name})
    add_not_found(stubber, "delete_data_quality_job_definition", {"JobDefinitionName": name})
    add_not_found(stubber, "delete_data_quality_job_definition", {"JobDefinitionName": name})

    assert hook.create_job_definition("DataQuality", DQ_REQUEST) == arn
    assert hook.job_definition_exists("DataQuality", name) is True
    assert hook.delete_job_definition("DataQuality", name) is True
    assert hook.job_definition_exists("DataQuality", name) is False
    assert hook.delete_job_definition("DataQuality", name) is False
    with pytest.raises(ClientError):
        hook.delete_job_definition("DataQuality", name, missing_ok=False)


def test_job_definition_rejects_unknown_type(hook):
    with pytest.raises(ValueError, match="MonitoringType"):
        hook.describe_job_definition("Drift", "x")


# ---- executions


def window_params(after: datetime | None, before: datetime | None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "MonitoringScheduleName": SCHEDULE,
        "SortBy": "ScheduledTime",
        "SortOrder": "Descending",
        "MaxResults": 10,
    }
    if after is not None:
        params["ScheduledTimeAfter"] = after - timedelta(seconds=1)
    if before is not None:
        params["ScheduledTimeBefore"] = before
    return params


def test_find_execution_applies_exact_window(hook, stubber):
    end = T0 + timedelta(hours=1)
    summaries = [
        execution(end),
        execution(T0, ProcessingJobArn=JOB_ARN),
        execution(T0 - timedelta(seconds=1)),
    ]
    stubber.add_response(
        "list_monitoring_executions", {"MonitoringExecutionSummaries": summaries}, window_params(T0, end)
    )
    found = hook.find_execution(SCHEDULE, scheduled_after=T0, scheduled_before=end)
    assert found is not None and found["ScheduledTime"] == T0


def test_find_execution_none_in_window(hook, stubber):
    end = T0 + timedelta(hours=1)
    outside = [execution(end), execution(T0 - timedelta(seconds=1))]
    stubber.add_response(
        "list_monitoring_executions", {"MonitoringExecutionSummaries": outside}, window_params(T0, end)
    )
    assert hook.find_execution(SCHEDULE, scheduled_after=T0, scheduled_before=end) is None


def test_find_execution_accepts_other_time_zones(hook, stubber):
    plus_two = timezone(timedelta(hours=2))
    local_start = T0.astimezone(plus_two)
    stubber.add_response(
        "list_monitoring_executions",
        {"MonitoringExecutionSummaries": [execution(T0)]},
        window_params(T0, None),
    )
    assert hook.find_execution(SCHEDULE, scheduled_after=local_start) is not None


def test_find_execution_refuses_naive_datetimes(hook):
    with pytest.raises(ValueError, match="timezone-aware"):
        hook.find_execution(SCHEDULE, scheduled_after=datetime(2024, 1, 1))


def test_processing_job_name():
    assert SageMakerModelMonitorHook.processing_job_name(JOB_ARN) == JOB_NAME
    with pytest.raises(ValueError, match="not a processing job ARN"):
        SageMakerModelMonitorHook.processing_job_name(SCHEDULE_ARN)


def test_describe_processing_job_by_arn_or_name(hook, stubber):
    stubber.add_response("describe_processing_job", processing_job(), {"ProcessingJobName": JOB_NAME})
    stubber.add_response("describe_processing_job", processing_job(), {"ProcessingJobName": JOB_NAME})
    assert hook.describe_processing_job(JOB_ARN)["ProcessingJobArn"] == JOB_ARN
    assert hook.describe_processing_job(JOB_NAME)["ProcessingJobName"] == JOB_NAME


@pytest.mark.parametrize(
    ("code", "message"),
    [("ResourceNotFound", "not found"), ("ValidationException", "Could not find job to update")],
)
def test_describe_processing_job_or_none_reads_missing_as_none(hook, stubber, code, message):
    stubber.add_client_error("describe_processing_job", code, message)
    assert hook.describe_processing_job_or_none(JOB_NAME) is None


def test_describe_processing_job_or_none_raises_other_errors(hook, stubber):
    stubber.add_client_error("describe_processing_job", "AccessDeniedException", "no")
    with pytest.raises(ClientError, match="AccessDenied"):
        hook.describe_processing_job_or_none(JOB_NAME)


def test_create_processing_job_returns_the_arn(hook, stubber):
    request = {
        "ProcessingJobName": JOB_NAME,
        "ProcessingResources": processing_job()["ProcessingResources"],
        "AppSpecification": {"ImageUri": "analyzer"},
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/monitor",
    }
    stubber.add_response("create_processing_job", {"ProcessingJobArn": JOB_ARN}, request)
    assert hook.create_processing_job(request) == JOB_ARN


def add_job_statuses(stubber: Stubber, *statuses: str) -> None:
    for status in statuses:
        stubber.add_response(
            "describe_processing_job",
            processing_job(ProcessingJobStatus=status),
            {"ProcessingJobName": JOB_NAME},
        )


def test_wait_for_processing_job_waits_with_the_amazon_waiter_until_it_ends(hook, stubber, monkeypatch):
    sleeps: list[float] = []
    monkeypatch.setattr("time.sleep", sleeps.append)
    add_job_statuses(stubber, "InProgress", "Stopping", "Stopped", "Stopped")  # the last: read once it ended
    assert hook.wait_for_processing_job(JOB_NAME, 7)["ProcessingJobStatus"] == "Stopped"
    assert sleeps == [7, 7]


def test_wait_for_processing_job_returns_a_completed_job(hook, stubber, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    add_job_statuses(stubber, "InProgress", "Completed", "Completed")
    assert hook.wait_for_processing_job(JOB_NAME, 1)["ProcessingJobStatus"] == "Completed"


def test_wait_for_processing_job_gives_up_after_max_ingestion_time(hook, stubber, monkeypatch):
    sleeps: list[float] = []
    monkeypatch.setattr("time.sleep", sleeps.append)
    add_job_statuses(stubber, *["InProgress"] * 5)  # a look at once, one per 10 s for 30 s, a last read
    with pytest.raises(
        ProcessingJobWaitTimeoutError, match=f"Processing job {JOB_NAME} has not ended; gave up"
    ):
        hook.wait_for_processing_job(JOB_NAME, 10, max_ingestion_time=30)
    assert sleeps == [10, 10, 10]


def test_wait_for_processing_job_takes_its_old_argument_names_with_a_warning(hook, stubber, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    add_job_statuses(stubber, "InProgress", "InProgress", "InProgress")
    with (
        pytest.warns(AirflowProviderDeprecationWarning, match="timeout is deprecated.*max_ingestion_time"),
        pytest.raises(ProcessingJobWaitTimeoutError, match="gave up after 0 s"),
    ):
        hook.wait_for_processing_job(JOB_NAME, 1, timeout=0)
    with pytest.raises(ValueError, match="^check_interval, poll_interval: pass only check_interval"):
        hook.wait_for_processing_job(JOB_NAME, 1, poll_interval=2)


# ---- async


def async_client(monkeypatch: pytest.MonkeyPatch, hook: SageMakerModelMonitorHook, pages: list[dict]) -> Any:
    """Make ``hook.get_async_conn`` return a fake aiobotocore client serving ``pages``."""
    client = MagicMock()
    client.list_monitoring_executions = AsyncMock(side_effect=pages)
    context = MagicMock()
    context.__aenter__ = AsyncMock(return_value=client)
    context.__aexit__ = AsyncMock(return_value=False)
    monkeypatch.setattr(hook, "get_async_conn", AsyncMock(return_value=context))
    return client


async def test_list_executions_async_max_items(hook, monkeypatch):
    pages = [{"MonitoringExecutionSummaries": [execution(T0), execution(T0)], "NextToken": "n1"}]
    client = async_client(monkeypatch, hook, pages)
    assert len(await hook.list_executions_async(max_items=1)) == 1
    assert client.list_monitoring_executions.await_count == 1


# ---- reports

VIOLATIONS = {
    "violations": [
        {"metric_name": "f2", "constraint_check_type": "LessThanThreshold", "description": "f2 dropped"},
        {"metric_name": "accuracy", "constraint_check_type": "LessThanThreshold", "description": "accuracy"},
    ]
}


def put(s3: Any, file_name: str, document: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key=f"{REPORT_PREFIX}/{file_name}", Body=json.dumps(document).encode())


def test_execution_report_uri_needs_a_processing_job(hook):
    with pytest.raises(ModelMonitorHookError, match="has no processing job \\(Pending\\)"):
        hook.execution_report_uri(execution(T0, "Pending"))


def test_read_violations_from_uri_or_file_uri(hook, s3):
    put(s3, "constraint_violations.json", VIOLATIONS)
    assert hook.read_violations(REPORT_URI + "/", "ModelQuality").count == 2
    assert hook.read_violations(f"{REPORT_URI}/constraint_violations.json", "ModelQuality").count == 2


def test_missing_violations_on_completed_run_is_empty(hook, stubber, s3):
    stubber.add_response("describe_processing_job", processing_job(), {"ProcessingJobName": JOB_NAME})
    report = hook.read_violations(execution(T0, "Completed", ProcessingJobArn=JOB_ARN), "ModelExplainability")
    assert report.count == 0 and report.monitoring_type == "ModelExplainability"


def test_missing_violations_on_run_with_violations_is_an_error(hook, stubber, s3):
    stubber.add_response("describe_processing_job", processing_job(), {"ProcessingJobName": JOB_NAME})
    summary = execution(T0, "CompletedWithViolations", ProcessingJobArn=JOB_ARN)
    with pytest.raises(ReportFileNotFoundError, match="CompletedWithViolations") as info:
        hook.read_violations(summary, "DataQuality")
    assert info.value.uri == f"{REPORT_URI}/constraint_violations.json"
    assert info.value.uri in str(info.value)


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({}, "violations must be a non-empty list (the key is missing)"),
        ({"violations": None}, "violations must be a non-empty list (got None)"),
        ({"violations": [{}]}, "violations[0]: violation must name its constraint_check_type (got {})"),
    ],
)
def test_run_with_violations_needs_a_listed_violation(hook, stubber, s3, document, problem):
    put(s3, "constraint_violations.json", document)
    stubber.add_response("describe_processing_job", processing_job(), {"ProcessingJobName": JOB_NAME})
    summary = execution(T0, "CompletedWithViolations", ProcessingJobArn=JOB_ARN)
    with pytest.raises(MalformedReportError) as info:
        hook.read_violations(summary, "DataQuality")
    assert info.value.uri == f"{REPORT_URI}/constraint_violations.json"
    assert str(info.value) == (
        f"{info.value.uri} is not a readable report: constraint_violations.json: {problem} "
        "(the execution status is CompletedWithViolations)"
    )


def test_unparsable_violations_file_names_the_uri(hook, s3):
    put(s3, "constraint_violations.json", {"violations": {"a": 1}})
    with pytest.raises(MalformedReportError, match=f"^{REPORT_URI}/constraint_violations.json is not a"):
        hook.read_violations(REPORT_URI, "DataQuality")


def test_empty_violations_file_of_a_completed_run_is_no_violations(hook, stubber, s3):
    put(s3, "constraint_violations.json", {})
    stubber.add_response("describe_processing_job", processing_job(), {"ProcessingJobName": JOB_NAME})
    assert (
        hook.read_violations(execution(T0, "Completed", ProcessingJobArn=JOB_ARN), "DataQuality").count == 0
    )


def test_missing_violations_on_failed_run_is_an_error(hook, stubber, s3):
    stubber.add_response("describe_processing_job", processing_job(), {"ProcessingJobName": JOB_NAME})
    summary = execution(T0, "Failed", ProcessingJobArn=JOB_ARN)
    with pytest.raises(ReportFileNotFoundError, match="status is Failed; it wrote no violations report"):
        hook.read_violations(summary, "DataQuality")


def test_read_statistics_and_constraints(hook, s3):
    put(s3, "statistics.json", {"version": 0.0, "dataset": {"item_count": 3}, "features": []})
    constraints = {
        "version": 0.0,
        "binary_classification_constraints": {
            "f2": {"threshold": 0.6, "comparison_operator": "LessThanThreshold"}
        },
    }
    put(s3, "constraints.json", constraints)
    assert hook.read_statistics(REPORT_URI, "DataQuality").item_count == 3
    parsed = hook.read_constraints(f"{REPORT_URI}/constraints.json", "ModelQuality")
    assert parsed.problem_type == "BinaryClassification"
    assert parsed.thresholds["f2"].threshold == 0.6


def test_read_statistics_refuses_clarify_types(hook):
    with pytest.raises(ModelMonitorHookError, match="ModelBias monitors write no statistics.json"):
        hook.read_statistics(REPORT_URI, "ModelBias")


def test_read_json_missing_file(hook, s3):
    put(s3, "analysis.json", {"version": "1.0"})
    assert hook.read_json(f"{REPORT_URI}/analysis.json") == {"version": "1.0"}
    with pytest.raises(ReportFileNotFoundError, match="report.json does not exist"):
        hook.read_json(f"{REPORT_URI}/report.json")


# ---- the documents that measure an execution

BASELINE = f"s3://{BUCKET}/baseline"
METRIC_FILES = {
    "DataQuality": (
        {"statistics": "statistics.json", "constraints": "constraints.json"},
        {"baseline_statistics": ("StatisticsResource", "statistics.json")},
    ),
    "ModelQuality": (
        {"statistics": "statistics.json"},
        {"constraints": ("ConstraintsResource", "constraints.json")},
    ),
    "ModelBias": (
        {"analysis": "analysis.json"},
        {"baseline_analysis": ("ConstraintsResource", "analysis.json")},
    ),
    "ModelExplainability": (
        {"analysis": "analysis.json"},
        {"baseline_analysis": ("ConstraintsResource", "analysis.json")},
    ),
}


def put_text(s3: Any, uri: str, text: str) -> None:
    bucket, key = uri[len("s3://") :].split("/", 1)
    s3.put_object(Bucket=bucket, Key=key, Body=text.encode())


def test_metric_documents_come_from_the_report_and_the_definitions_baseline(hook, s3, monkeypatch):
    for monitoring_type, (from_report, from_baseline) in METRIC_FILES.items():
        expected = {}
        for keyword, name in from_report.items():
            expected[keyword] = json.dumps({"file": f"{monitoring_type} report {name}"})
            put_text(s3, f"{REPORT_URI}/{name}", expected[keyword])
        config = {}
        for keyword, (resource, name) in from_baseline.items():
            uri = f"{BASELINE}/{monitoring_type}/{name}"
            expected[keyword] = json.dumps({"file": f"{monitoring_type} baseline {name}"})
            put_text(s3, uri, expected[keyword])
            config[resource] = {"S3Uri": uri}
        describe = MagicMock(return_value={f"{monitoring_type}BaselineConfig": config})
        monkeypatch.setattr(hook, "describe_job_definition", describe)
        summary = execution(T0, MonitoringJobDefinitionName="jd", MonitoringType=monitoring_type)

        assert hook.read_metric_documents(summary, monitoring_type, REPORT_URI) == expected
        describe.assert_called_once_with(monitoring_type, "jd")


def test_metric_documents_of_an_inline_definition_and_missing_files_are_none(hook, s3, monkeypatch):
    """The schedule's inline job definition holds the baseline; a file that is not there reads as None."""
    inline = {"BaselineConfig": {"StatisticsResource": {"S3Uri": f"{BASELINE}/inline/statistics.json"}}}
    schedule = MagicMock(return_value={"MonitoringScheduleConfig": {"MonitoringJobDefinition": inline}})
    monkeypatch.setattr(hook, "describe_schedule", schedule)
    put_text(s3, f"{BASELINE}/inline/statistics.json", '{"baseline": true}')
    put_text(s3, f"{REPORT_URI}/statistics.json", '{"current": true}')
    s3.delete_object(Bucket=BUCKET, Key=f"{REPORT_PREFIX}/constraints.json")

    documents = hook.read_metric_documents(execution(T0), "DataQuality", REPORT_URI)

    assert documents == {
        "statistics": '{"current": true}',
        "constraints": None,
        "baseline_statistics": '{"baseline": true}',
    }
    schedule.assert_called_once_with(SCHEDULE)


def test_metric_documents_read_a_baselining_jobs_output(hook, s3, monkeypatch):
    """A Clarify definition may name its BaseliningJobName instead of a ConstraintsResource."""
    definition = {"ModelBiasBaselineConfig": {"BaseliningJobName": "bias-baseline"}}
    monkeypatch.setattr(hook, "describe_job_definition", MagicMock(return_value=definition))
    job = processing_job()
    job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] = f"{BASELINE}/bias-baseline"
    describe_job = MagicMock(return_value=job)
    monkeypatch.setattr(hook, "describe_processing_job", describe_job)
    put_text(s3, f"{BASELINE}/bias-baseline/analysis.json", '{"baseline": 1}')

    summary = execution(T0, MonitoringJobDefinitionName="jd")
    documents = hook.read_metric_documents(summary, "ModelBias", REPORT_URI)

    assert documents["baseline_analysis"] == '{"baseline": 1}'
    describe_job.assert_called_once_with("bias-baseline")


def test_metric_documents_without_a_readable_baseline_keep_the_report(hook, s3, monkeypatch):
    gone = ClientError({"Error": {"Code": "ResourceNotFound", "Message": "no such definition"}}, "Describe")
    monkeypatch.setattr(hook, "describe_job_definition", MagicMock(side_effect=gone))
    put_text(s3, f"{REPORT_URI}/statistics.json", '{"current": 2}')
    summary = execution(T0, MonitoringJobDefinitionName="deleted-jd")

    documents = hook.read_metric_documents(summary, "ModelQuality", REPORT_URI)

    assert documents == {"statistics": '{"current": 2}', "constraints": None}


def test_a_self_hosted_summary_names_its_report_and_baseline_so_nothing_is_described(hook, stubber, s3):
    """The self-hosted runner's summary carries ``report_uri`` and ``baseline_config``: S3 reads only (the
    stubber has no SageMaker response queued, so any SageMaker call would fail)."""
    put(s3, "constraint_violations.json", VIOLATIONS)
    put_text(s3, f"{REPORT_URI}/statistics.json", '{"current": 3}')
    put_text(s3, f"{BASELINE}/self-hosted/constraints.json", '{"baseline": 3}')
    baseline = {"ConstraintsResource": {"S3Uri": f"{BASELINE}/self-hosted/constraints.json"}}
    summary = execution_xcom(
        execution(T0, "CompletedWithViolations", ReportUri=REPORT_URI, BaselineConfig=baseline)
    )

    assert hook.execution_report_uri(summary) == REPORT_URI
    assert hook.read_violations(summary, "ModelQuality").count == 2
    assert hook.read_metric_documents(summary, "ModelQuality") == {
        "statistics": '{"current": 3}',
        "constraints": '{"baseline": 3}',
    }


# ---- failures


def test_describe_failure_combines_reasons_and_hints_on_missing_data(hook, stubber):
    stubber.add_response(
        "describe_processing_job",
        processing_job(
            ProcessingJobStatus="Failed",
            FailureReason="AlgorithmError: see logs",
            ExitMessage="Job inputs had no data",
        ),
        {"ProcessingJobName": JOB_NAME},
    )
    summary = execution(T0, "Failed", ProcessingJobArn=JOB_ARN, FailureReason="Job inputs had no data")
    text = hook.describe_failure(summary)
    assert f"{SCHEDULE} scheduled at {T0.isoformat()}" in text and "ended Failed" in text
    assert text.count("Job inputs had no data") == 1
    assert "AlgorithmError: see logs" in text
    assert "DestinationS3Uri" in text and "StartTimeOffset" in text


def test_the_xcom_of_an_execution_reads_like_its_summary(hook, stubber, s3):
    """The execution sensor and one-time operator push snake_case summaries; the hook reads them as such."""
    failed = execution_xcom(execution(T0, "Failed", FailureReason="Failure reason unknown"))
    assert "Failure reason unknown" in hook.describe_failure(failed)
    stubber.add_response("describe_processing_job", processing_job(), {"ProcessingJobName": JOB_NAME})
    put(s3, "constraint_violations.json", VIOLATIONS)
    summary = execution_xcom(execution(T0, "CompletedWithViolations", ProcessingJobArn=JOB_ARN))
    assert hook.read_violations(summary, "ModelQuality").count == 2


def test_describe_failure_without_processing_job(hook):
    text = hook.describe_failure(execution(T0, "Failed", FailureReason="Failure reason unknown"))
    assert "Failure reason unknown" in text
    assert "Hint" not in text


# ---- create or update

DQ_SPEC = {key: value for key, value in DQ_REQUEST.items() if key != "JobDefinitionName"}
NEW_DEFINITION = job_definition_name(SCHEDULE, "DataQuality", DQ_SPEC)
OLD_DEFINITION = f"{SCHEDULE}-dq-0000000000"
DEFINITION_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:data-quality-job-definition/{NEW_DEFINITION}"
DESIRED_CONFIG = {
    "MonitoringJobDefinitionName": NEW_DEFINITION,
    "MonitoringType": "DataQuality",
    "ScheduleConfig": {"ScheduleExpression": HOURLY},
}


def expect_create_definition(stubber: Stubber, error: str | None = None) -> None:
    params = {**DQ_SPEC, "JobDefinitionName": NEW_DEFINITION}
    if error:
        stubber.add_client_error(
            "create_data_quality_job_definition", error, "exists", 400, expected_params=params
        )
    else:
        stubber.add_response(
            "create_data_quality_job_definition", {"JobDefinitionArn": DEFINITION_ARN}, params
        )


def expect_create_schedule_error(stubber: Stubber, error: str) -> None:
    params = {"MonitoringScheduleName": SCHEDULE, "MonitoringScheduleConfig": DESIRED_CONFIG}
    stubber.add_client_error("create_monitoring_schedule", error, "too many", 400, expected_params=params)


def expect_references(stubber: Stubber, definition: str, users: list[str]) -> None:
    stubber.add_response(
        "list_monitoring_schedules",
        {"MonitoringScheduleSummaries": [schedule_summary(name) for name in users]},
        {"MonitoringJobDefinitionName": definition},
    )


def expect_definitions(stubber: Stubber, definitions: list[str]) -> None:
    """The sweep's listing of this schedule's data-quality job definitions."""
    summaries = [
        {
            "MonitoringJobDefinitionName": name,
            "MonitoringJobDefinitionArn": f"{DEFINITION_ARN.rsplit('/', 1)[0]}/{name}",
            "CreationTime": T0,
            "EndpointName": "ep",
        }
        for name in definitions
    ]
    stubber.add_response(
        "list_data_quality_job_definitions",
        {"JobDefinitionSummaries": summaries},
        {"NameContains": f"{SCHEDULE}-"},
    )


def expect_update_from(stubber: Stubber, previous_definition: str) -> None:
    """A schedule on ``previous_definition`` is pointed at the new definition, up to its settled state."""
    previous = description("Scheduled", previous_definition, "DataQuality")
    stubber.add_response("describe_monitoring_schedule", previous, named())
    expect_create_definition(stubber)
    stubber.add_response("describe_monitoring_schedule", previous, named())
    stubber.add_response(
        "update_monitoring_schedule",
        {"MonitoringScheduleArn": SCHEDULE_ARN},
        {"MonitoringScheduleName": SCHEDULE, "MonitoringScheduleConfig": DESIRED_CONFIG},
    )
    stubber.add_response(
        "describe_monitoring_schedule", description("Scheduled", NEW_DEFINITION, "DataQuality"), named()
    )


def create_or_update(hook: SageMakerModelMonitorHook, schedule: str | None = HOURLY) -> ScheduleChange:
    return hook.create_or_update_schedule(SCHEDULE, "DataQuality", DQ_SPEC, schedule)


def test_create_or_update_without_schedule_keeps_current_one(hook, stubber):
    current = description("Scheduled", NEW_DEFINITION, "DataQuality", expression="cron(0 6 ? * * *)")
    stubber.add_response("describe_monitoring_schedule", current, named())
    expect_definitions(stubber, [NEW_DEFINITION])
    assert create_or_update(hook, schedule=None).action == "unchanged"


def test_create_or_update_points_schedule_at_new_definition_and_deletes_old_once(hook, stubber):
    expect_update_from(stubber, OLD_DEFINITION)
    expect_definitions(stubber, [OLD_DEFINITION, NEW_DEFINITION, "churn-monitor-2-dq-0123456789"])
    expect_references(stubber, OLD_DEFINITION, [])
    stubber.add_response("delete_data_quality_job_definition", {}, {"JobDefinitionName": OLD_DEFINITION})
    assert create_or_update(hook).action == "updated"


def test_create_or_update_keeps_definitions_it_does_not_own(hook, stubber):
    foreign = "data-quality-job-definition-2024-01-01-00-00-00-000"
    expect_update_from(stubber, foreign)
    expect_definitions(stubber, [NEW_DEFINITION])
    assert create_or_update(hook).action == "updated"


def test_create_or_update_keeps_old_definition_still_referenced(hook, stubber):
    expect_update_from(stubber, OLD_DEFINITION)
    expect_definitions(stubber, [OLD_DEFINITION, NEW_DEFINITION])
    expect_references(stubber, OLD_DEFINITION, ["another-schedule"])
    assert create_or_update(hook).action == "updated"


def test_create_or_update_removes_new_definition_when_schedule_create_fails(hook, stubber):
    add_not_found(stubber, "describe_monitoring_schedule", named())
    expect_create_definition(stubber)
    expect_create_schedule_error(stubber, "ResourceLimitExceeded")
    expect_references(stubber, NEW_DEFINITION, [])
    stubber.add_response("delete_data_quality_job_definition", {}, {"JobDefinitionName": NEW_DEFINITION})
    with pytest.raises(ResourceLimitError, match="Cannot create monitoring schedule churn-monitor: too many"):
        create_or_update(hook)


def test_create_or_update_validates_before_any_call(hook, stubber):
    with pytest.raises(ValueError, match="ScheduleExpression"):
        create_or_update(hook, schedule="Hourly: cron(0 * ? * * *)")


def test_create_or_update_reapplies_a_failed_schedule(hook, stubber):
    failed = description("Failed", NEW_DEFINITION, "DataQuality", failure_reason="Endpoint ep not found")
    stubber.add_response("describe_monitoring_schedule", failed, named())
    expect_create_definition(stubber, error="ResourceInUse")
    stubber.add_response("describe_monitoring_schedule", failed, named())
    stubber.add_response(
        "update_monitoring_schedule",
        {"MonitoringScheduleArn": SCHEDULE_ARN},
        {"MonitoringScheduleName": SCHEDULE, "MonitoringScheduleConfig": DESIRED_CONFIG},
    )
    stubber.add_response("describe_monitoring_schedule", failed, named())
    with pytest.raises(ScheduleFailedError, match="Endpoint ep not found"):
        create_or_update(hook)


def test_create_or_update_sweeps_leftovers_of_an_interrupted_update(hook, stubber):
    # A previous run pointed the schedule at NEW_DEFINITION and died before deleting OLD_DEFINITION.
    stubber.add_response(
        "describe_monitoring_schedule", description("Scheduled", NEW_DEFINITION, "DataQuality"), named()
    )
    expect_definitions(stubber, [OLD_DEFINITION, NEW_DEFINITION])
    expect_references(stubber, OLD_DEFINITION, [])
    stubber.add_response("delete_data_quality_job_definition", {}, {"JobDefinitionName": OLD_DEFINITION})
    assert create_or_update(hook).action == "unchanged"


def test_create_or_update_sweep_failures_do_not_fail_the_task(hook, stubber):
    stubber.add_response(
        "describe_monitoring_schedule", description("Scheduled", NEW_DEFINITION, "DataQuality"), named()
    )
    expect_definitions(stubber, [OLD_DEFINITION, NEW_DEFINITION])
    expect_references(stubber, OLD_DEFINITION, [])
    stubber.add_client_error(
        "delete_data_quality_job_definition",
        "ValidationException",
        "in use",
        400,
        {"JobDefinitionName": OLD_DEFINITION},
    )
    assert create_or_update(hook).action == "unchanged"


def test_update_schedule_quota_error(hook, stubber):
    stubber.add_response("describe_monitoring_schedule", description(), named())
    stubber.add_client_error("update_monitoring_schedule", "ResourceLimitExceeded", "", 400)
    with pytest.raises(ResourceLimitError, match="Cannot update monitoring schedule churn-monitor") as info:
        hook.update_schedule(SCHEDULE, {})
    assert error_code(info.value.__cause__) == "ResourceLimitExceeded"


def test_describe_failure_explains_stopped_runs(hook):
    text = hook.describe_failure(execution(T0, "Stopped"))
    assert "ended Stopped" in text and "No FailureReason or ExitMessage was given." in text
    assert "MaxRuntimeInSeconds" in text


# ---- deleting a schedule with its job definitions (AWS calls mocked at the hook's own methods)

CURRENT_DEFINITION = f"{SCHEDULE}-dq-0123456789"


def described_schedule(definition: str | None, monitoring_type: str = "DataQuality") -> dict[str, Any]:
    """A DescribeMonitoringSchedule response; ``definition=None`` is a schedule with an inline job."""
    response = description(monitoring_type=monitoring_type)
    config = response["MonitoringScheduleConfig"]
    del config["MonitoringJobDefinitionName"]
    if definition:
        config["MonitoringJobDefinitionName"] = definition
    return response


def summaries(*definition_names: str) -> list[dict[str, str]]:
    return [{"MonitoringJobDefinitionName": name} for name in definition_names]


@pytest.fixture
def calls(hook: SageMakerModelMonitorHook, monkeypatch: pytest.MonkeyPatch) -> SageMakerModelMonitorHook:
    """The hook with every method the deletion calls replaced by a mock: nothing at all, by default."""
    for method in (
        "describe_schedule",
        "delete_schedule",
        "list_job_definitions",
        "list_schedules",
        "delete_job_definition",
        "job_definition_exists",
    ):
        monkeypatch.setattr(hook, method, MagicMock(name=method))
    hook.list_job_definitions.return_value = []
    hook.list_schedules.return_value = []
    hook.job_definition_exists.return_value = False
    return hook


def test_delete_removes_the_schedule_then_its_owned_definitions(calls) -> None:
    stale, foreign = f"{SCHEDULE}-dq-abcdefabcd", f"{SCHEDULE}-dq-other-definition"
    calls.describe_schedule.return_value = described_schedule(CURRENT_DEFINITION)
    calls.list_job_definitions.return_value = summaries(CURRENT_DEFINITION, stale, foreign)
    calls.job_definition_exists.side_effect = [True, False, False]

    result = calls.delete_schedule_and_job_definitions(SCHEDULE)

    assert result == ScheduleDeletion(SCHEDULE, True, [CURRENT_DEFINITION, stale])
    calls.delete_schedule.assert_called_once_with(SCHEDULE, missing_ok=True, wait=True)
    calls.list_job_definitions.assert_called_once_with("DataQuality", NameContains=f"{SCHEDULE}-")
    assert calls.delete_job_definition.call_args_list == [
        call("DataQuality", CURRENT_DEFINITION, missing_ok=True),
        call("DataQuality", stale, missing_ok=True),
    ]
    assert calls.job_definition_exists.call_count == 3  # waited until each was gone


def test_delete_keeps_a_definition_another_schedule_uses(calls) -> None:
    shared = "team-shared-definition"
    calls.describe_schedule.return_value = described_schedule(shared, "ModelQuality")
    calls.list_schedules.return_value = [{"MonitoringScheduleName": "other-schedule"}]
    result = calls.delete_schedule_and_job_definitions(SCHEDULE, missing_ok=False)
    assert result.deleted_job_definitions == []
    calls.list_schedules.assert_called_once_with(MonitoringJobDefinitionName=shared, max_items=1)
    calls.delete_job_definition.assert_not_called()


def test_delete_times_out_when_a_definition_does_not_go(calls) -> None:
    calls.max_ingestion_time = 0.05
    calls.describe_schedule.return_value = described_schedule(CURRENT_DEFINITION)
    calls.job_definition_exists.return_value = True
    with pytest.raises(ScheduleWaitTimeoutError, match="still exists"):
        calls.delete_schedule_and_job_definitions(SCHEDULE, missing_ok=False)


def test_delete_missing_schedule_with_missing_ok_deletes_no_schedule(calls) -> None:
    calls.describe_schedule.side_effect = ClientError(
        {"Error": {"Code": "ResourceNotFound", "Message": "Could not find"}}, "DescribeMonitoringSchedule"
    )
    assert calls.delete_schedule_and_job_definitions(SCHEDULE, missing_ok=True) == ScheduleDeletion(
        SCHEDULE, False, []
    )
    calls.delete_schedule.assert_not_called()
    calls.delete_job_definition.assert_not_called()
    # A gone schedule has no type: leftovers named for it are searched in all four types.
    assert calls.list_job_definitions.call_count == 4


def test_delete_missing_schedule_fails_without_missing_ok(calls) -> None:
    calls.describe_schedule.side_effect = ClientError(
        {"Error": {"Code": "ResourceNotFound", "Message": "Could not find"}}, "DescribeMonitoringSchedule"
    )
    with pytest.raises(ClientError, match="ResourceNotFound"):
        calls.delete_schedule_and_job_definitions(SCHEDULE)
    calls.delete_schedule.assert_not_called()


def test_owned_definitions_of_an_inline_schedule_are_only_the_named_ones(calls) -> None:
    calls.list_job_definitions.return_value = summaries(CURRENT_DEFINITION)
    assert calls._owned_job_definitions(SCHEDULE, described_schedule(None)) == [
        ("DataQuality", CURRENT_DEFINITION)
    ]
