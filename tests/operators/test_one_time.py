"""The one-time (``NOW``) operator: unit tests with the hook mocked, and runs against the local service."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from airflow.exceptions import AirflowProviderDeprecationWarning
from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException, TaskDeferred
from botocore.exceptions import ClientError

from airflow_mm_provider.links.model_monitor import (
    SageMakerMonitoringReportLink,
    SageMakerProcessingJobLink,
)
from airflow_mm_provider.local.testing import LocalModelMonitor
from airflow_mm_provider.monitoring import names
from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.job_definitions import job_definition_request
from airflow_mm_provider.monitoring.times import floor_hour
from airflow_mm_provider.operators import one_time as module
from airflow_mm_provider.operators.one_time import (
    SageMakerOneTimeMonitoringOperator,
    check_window,
    one_time_schedule_name,
)
from airflow_mm_provider.triggers.execution import SageMakerMonitoringExecutionTrigger
from tests.support.schedule_operators import (
    BUCKET,
    ENDPOINT,
    UTC,
    data_quality,
    definitions,
    described,
    local_operator,
    local_spec,
    not_found,
    pushed,
    schedules,
    task_context,
    with_hook,
)
from tests.support.service import capture_line

NOW_FIELD = "MonitoringScheduleConfig.ScheduleConfig.DataAnalysisStartTime"


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
        "check_interval": 0.001,
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
    assert result["monitoring_execution_status"] == "Completed"
    assert result["scheduled_time"] == "2024-05-01T11:00:00+00:00"
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
    hook.describe_failure.return_value = "ended CompletedWithViolations. 3 violations"
    with pytest.raises(AirflowFailException, match="CompletedWithViolations. 3 violations"):
        with_hook(one_time(fail_on_violations=True), hook).execute(context)
    hook.delete_schedule_and_job_definitions.assert_called_once()


def test_one_time_failed_execution_can_succeed(hook: mock.MagicMock, context: dict, now: datetime) -> None:
    hook.describe_schedule.side_effect = not_found()
    hook.find_execution.return_value = execution("Stopped")
    result = with_hook(one_time(fail_on_failed=False, delete_after=False), hook).execute(context)
    assert result["monitoring_execution_status"] == "Stopped"
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
    assert result["monitoring_execution_status"] == "Completed"


def test_one_time_poll_timeout_fails_and_cleans_up(
    hook: mock.MagicMock, context: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    times = iter([NOW_AT, NOW_AT + timedelta(seconds=30), NOW_AT + timedelta(seconds=61)])
    monkeypatch.setattr(module, "_utcnow", lambda: next(times))
    hook.describe_schedule.side_effect = [not_found(), described("d")]
    hook.find_execution.return_value = execution("Pending")
    expected = (
        "Gave up waiting for the one-time execution of .* \\(max_ingestion_time 60 s\\): the monitoring"
    )
    with pytest.raises(AirflowException, match=expected) as error:
        with_hook(one_time(max_ingestion_time=60), hook).execute(context)
    assert not isinstance(error.value, AirflowFailException)
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
    operator = one_time(deferrable=True, check_interval=30, max_ingestion_time=600, region_name="us-east-1")
    with pytest.raises(TaskDeferred) as deferred:
        with_hook(operator, hook).execute(context)
    trigger = deferred.value.trigger
    assert isinstance(trigger, SageMakerMonitoringExecutionTrigger)
    name = one_time_schedule_name("churn_monitoring", "check", "scheduled__2024-05-01T10:00:00+00:00")
    assert trigger.monitoring_schedule_name == name
    assert trigger.scheduled_after == datetime(2024, 5, 1, 11, tzinfo=UTC)
    assert trigger.deadline == NOW_AT + timedelta(seconds=600)
    assert trigger.waiter_delay == 30 and trigger.region_name == "us-east-1"
    assert (
        trigger.deadline_reason == "max_ingestion_time 600 s" and trigger.awaited == "the one-time execution"
    )
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
    result = with_hook(one_time(deferrable=True, check_interval=0.5), hook).execute(context)
    assert result["monitoring_execution_status"] == "Completed"
    hook.find_execution.assert_called_once()
    hook.delete_schedule_and_job_definitions.assert_called_once()


def test_execute_complete_returns_the_summary_and_cleans_up(hook: mock.MagicMock, context: dict) -> None:
    summary = {
        "MonitoringScheduleName": "adhoc",
        "MonitoringExecutionStatus": "Completed",
        "ScheduledTime": "2024-05-01T11:00:00+00:00",
    }
    hook.describe_schedule.return_value = described("adhoc-dq-0123456789")
    operator = with_hook(one_time(deferrable=True), hook)
    result = operator.execute_complete(
        context,
        {"status": "success", "execution": summary, "message": "ok"},
        monitoring_schedule_name="adhoc",
    )
    assert result == {
        "monitoring_schedule_name": "adhoc",
        "scheduled_time": "2024-05-01T11:00:00+00:00",
        "creation_time": None,
        "last_modified_time": None,
        "monitoring_execution_status": "Completed",
        "processing_job_arn": None,
        "endpoint_name": None,
        "failure_reason": None,
        "monitoring_job_definition_name": None,
        "monitoring_type": None,
    }
    hook.delete_schedule_and_job_definitions.assert_called_once_with("adhoc", missing_ok=True)


@pytest.mark.parametrize(
    ("event", "match"),
    [
        ({"status": "timeout", "execution": None, "message": "gave up"}, "^gave up$"),
        ({"status": "unreachable", "execution": None, "message": "deleted"}, "^deleted$"),
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


def test_one_time_links_its_job_and_report_not_the_schedule_it_deletes() -> None:
    assert [type(link) for link in SageMakerOneTimeMonitoringOperator.operator_extra_links] == [
        SageMakerProcessingJobLink,
        SageMakerMonitoringReportLink,
    ]


def test_one_time_waits_with_the_provider_vocabulary() -> None:
    operator = one_time(check_interval=30, max_ingestion_time=None, aws_conn_id=None, region_name="us-east-1")
    assert (operator.check_interval, operator.max_ingestion_time) == (30, None)
    assert (operator.hook.check_interval, operator.hook.max_ingestion_time) == (5.0, 180.0)
    assert one_time(check_interval=0.2, aws_conn_id=None).hook.check_interval == 0.2  # never slower than that
    default = SageMakerOneTimeMonitoringOperator(
        task_id="t", monitoring_type="DataQuality", job_definition=data_quality()
    )
    assert (default.check_interval, default.max_ingestion_time) == (60.0, 7200.0)
    with pytest.raises(ValueError, match="^check_interval: must be a positive"):
        one_time(check_interval=-1)
    with pytest.raises(ValueError, match="^max_ingestion_time: must be None or a positive"):
        one_time(max_ingestion_time=0)


@pytest.mark.parametrize(
    ("old", "new"), [("poll_interval", "check_interval"), ("timeout", "max_ingestion_time")]
)
def test_old_wait_names_still_work_and_warn(old: str, new: str) -> None:
    arguments = {"task_id": "check", "monitoring_type": "DataQuality", "job_definition": data_quality()}
    with pytest.warns(AirflowProviderDeprecationWarning, match=f"{old} is deprecated.*use {new}"):
        operator = SageMakerOneTimeMonitoringOperator(**arguments, **{old: 42})
    assert getattr(operator, new) == 42
    with pytest.raises(ValueError, match=f"^{new}, {old}: pass only {new}"):
        SageMakerOneTimeMonitoringOperator(**arguments, **{old: 42, new: 43})


def test_old_schedule_wait_names_still_time_the_schedule_and_warn() -> None:
    with pytest.warns(AirflowProviderDeprecationWarning, match="schedule_poll_interval is deprecated"):
        operator = one_time(schedule_poll_interval=0.5, aws_conn_id=None)
    with pytest.warns(AirflowProviderDeprecationWarning, match="schedule_wait_timeout is deprecated"):
        timed = one_time(schedule_wait_timeout=9, aws_conn_id=None)
    assert operator.hook.check_interval == 0.5 and timed.hook.max_ingestion_time == 9


# ---- integration: boto3 over HTTP against the local Model Monitor service ----------------------------


def local_one_time(deferrable: bool) -> SageMakerOneTimeMonitoringOperator:
    """A data-quality one-time operator on the local service, polling every 0.2 s for up to a minute."""
    return local_operator(
        SageMakerOneTimeMonitoringOperator,
        task_id="check",
        monitoring_type="DataQuality",
        job_definition=local_spec(),
        check_interval=0.2,
        max_ingestion_time=60,
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

    before = floor_hour(datetime.now(UTC))
    result = operator.execute(context)
    hours = {before.isoformat(), floor_hour(datetime.now(UTC)).isoformat()}  # two if the run spans hh:00

    assert result["monitoring_execution_status"] == "Completed"
    assert result["scheduled_time"] in hours
    assert result["processing_job_arn"].startswith("arn:aws:sagemaker:us-east-1:")
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
    # The local service may end so small a run before the operator's one look ahead of deferring (it did in
    # CI), and the operator then rightly does not defer: the job is held until the task has deferred.
    context = last_hour_context()
    seed_capture(service, context["data_interval_start"])
    operator = local_one_time(deferrable=True)
    with service.holding_jobs(), pytest.raises(TaskDeferred) as deferred:
        operator.execute(context)
    assert len(schedules(service)) == 1  # the schedule outlives the deferral

    payload = asyncio.run(first_event(deferred.value.trigger))
    result = operator.execute_complete(context, payload, **(deferred.value.kwargs or {}))

    assert payload["status"] == "success"
    assert result["monitoring_execution_status"] == "Completed"
    assert schedules(service) == []
    assert definitions(service) == []
