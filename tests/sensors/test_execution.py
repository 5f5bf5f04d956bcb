from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pendulum
import pytest
from airflow.providers.common.compat.sdk import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
    TaskDeferred,
)
from botocore.exceptions import ClientError, EndpointConnectionError

from airflow_mm_provider.hooks.model_monitor import SageMakerModelMonitorHook
from airflow_mm_provider.links.model_monitor import SageMakerMonitoringReportLink, SageMakerProcessingJobLink
from airflow_mm_provider.monitoring import waiting
from airflow_mm_provider.monitoring.outcomes import execution_xcom
from airflow_mm_provider.sensors import execution as sensor_module
from airflow_mm_provider.sensors.execution import SageMakerMonitoringExecutionSensor
from airflow_mm_provider.triggers.execution import SageMakerMonitoringExecutionTrigger
from tests.support.engine import FakeOutcome
from tests.support.links import linked_jobs
from tests.support.local_schedule import LOCAL_CONN_ID, LocalSchedule, running_local_schedule

UTC = timezone.utc
HOURLY = "cron(0 * ? * * *)"
SLOT = datetime(2024, 5, 1, 13, tzinfo=UTC)
WAKE = SLOT + timedelta(minutes=1)
CONTEXT = {"data_interval_start": SLOT - timedelta(hours=1), "data_interval_end": SLOT}
FAILURE_TEXT = "The monitoring execution ... ended Failed.\nJob inputs had no data\nHint: ..."
CREATED = SLOT - timedelta(hours=5)
DESCRIPTION = {
    "MonitoringScheduleName": "churn-dq",
    "MonitoringScheduleStatus": "Scheduled",
    "CreationTime": CREATED,
    "LastModifiedTime": CREATED,
    "MonitoringScheduleConfig": {"ScheduleConfig": {"ScheduleExpression": HOURLY}},
}
READ_SCHEDULE = [mock.call.describe_schedule_or_none("churn-dq"), mock.call.max_runtime_seconds(DESCRIPTION)]
"""The calls a sensor makes first: the schedule, and the job's MaxRuntimeInSeconds for the default timeout."""
DEFAULT_DEADLINE = SLOT + timedelta(minutes=20 + 30 + 10)


def summary(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "MonitoringScheduleName": "churn-dq",
        "ScheduledTime": SLOT,
        "CreationTime": SLOT,
        "MonitoringExecutionStatus": status,
        **extra,
    }


def xcom(status: str, **extra: Any) -> dict[str, Any]:
    """What the sensor pushes for ``summary(status, **extra)``: the snake_case summary."""
    return execution_xcom(safe(status, **extra))


def safe(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "MonitoringScheduleName": "churn-dq",
        "ScheduledTime": "2024-05-01T13:00:00+00:00",
        "CreationTime": "2024-05-01T13:00:00+00:00",
        "MonitoringExecutionStatus": status,
        **extra,
    }


@dataclass
class FakeClock:
    """The sensor's clock; ``sleep`` (patched over time.sleep) moves it."""

    now: datetime
    sleeps: list[float] = field(default_factory=list)

    def utcnow(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClock]:
    fake = FakeClock(SLOT - timedelta(minutes=30))
    monkeypatch.setattr(sensor_module, "timezone", SimpleNamespace(utcnow=fake.utcnow))
    yield fake


@pytest.fixture
def hook() -> mock.MagicMock:
    fake = mock.create_autospec(SageMakerModelMonitorHook, instance=True)
    fake.describe_schedule_or_none.return_value = DESCRIPTION
    fake.max_runtime_seconds.return_value = 1800
    fake.find_execution.return_value = None
    fake.describe_failure.return_value = FAILURE_TEXT
    return fake


def make_sensor(hook: mock.MagicMock, **kwargs: Any) -> SageMakerMonitoringExecutionSensor:
    arguments: dict[str, Any] = {
        "task_id": "wait",
        "monitoring_schedule_name": "churn-dq",
        "schedule_expression": HOURLY,
        "deferrable": False,
        **kwargs,
    }
    sensor = SageMakerMonitoringExecutionSensor(**arguments)
    sensor.hook = hook  # type: ignore[misc]
    return sensor


class TestConstruction:
    def test_template_fields(self, hook: mock.MagicMock) -> None:
        assert set(make_sensor(hook).template_fields) == {
            "aws_conn_id",
            "region_name",
            "verify",
            "monitoring_schedule_name",
            "wait_for",
            "after",
            "schedule_expression",
            "end_time_offset",
        }

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"wait_for": "oldest"}, "wait_for must be one of"),
            ({"wait_for": "after"}, "needs the 'after' time"),
            ({"schedule_expression": "cron(0 * * * *)"}, "ScheduleExpression"),
            ({"wait_for": "after", "after": "2024-05-01T13:00:00"}, "timezone-aware"),
            ({"appear_buffer": -1}, "appear_buffer"),
        ],
    )
    def test_literal_mistakes_fail_at_construction(
        self, hook: mock.MagicMock, kwargs: dict[str, Any], match: str
    ) -> None:
        with pytest.raises(ValueError, match=match):
            make_sensor(hook, **kwargs)

    def test_templated_values_are_checked_later(self, hook: mock.MagicMock) -> None:
        sensor = make_sensor(
            hook, wait_for="{{ params.mode }}", after="{{ data_interval_end }}", schedule_expression="{{ x }}"
        )
        assert sensor.after == "{{ data_interval_end }}"

    def test_deferrable_defaults_to_off(self, hook: mock.MagicMock) -> None:
        arguments = {"task_id": "t", "monitoring_schedule_name": "s"}
        assert SageMakerMonitoringExecutionSensor(**arguments).deferrable is False
        assert make_sensor(hook, deferrable=True).deferrable is True


class TestPoke:
    def test_only_the_schedule_is_read_before_the_slot(self, hook: mock.MagicMock, clock: FakeClock) -> None:
        sensor = make_sensor(hook)
        assert sensor.poke(CONTEXT) is False
        clock.now = WAKE - timedelta(seconds=1)
        assert sensor.poke(CONTEXT) is False
        assert hook.mock_calls == READ_SCHEDULE

    def test_one_list_call_per_poke_once_listed(self, hook: mock.MagicMock, clock: FakeClock) -> None:
        sensor = make_sensor(hook)
        clock.now = WAKE
        hook.find_execution.side_effect = [None, summary("Pending"), summary("InProgress")]
        assert [sensor.poke(CONTEXT) for _ in range(3)] == [False, False, False]
        find = mock.call.find_execution(
            "churn-dq", scheduled_after=SLOT, scheduled_before=SLOT + timedelta(hours=1)
        )
        assert hook.mock_calls == [
            *READ_SCHEDULE,
            find,
            mock.call.describe_schedule_or_none("churn-dq"),  # not listed yet: is the schedule still on?
            find,
            find,
        ]

    def test_reads_the_expression_from_the_schedule(self, hook: mock.MagicMock, clock: FakeClock) -> None:
        hook.describe_schedule_or_none.return_value = {
            **DESCRIPTION,
            "MonitoringScheduleConfig": {"ScheduleConfig": {"ScheduleExpression": "cron(0 0/6 ? * * *)"}},
        }
        clock.now = SLOT + timedelta(hours=5, minutes=1)
        make_sensor(hook, schedule_expression=None).poke(CONTEXT)
        hook.find_execution.assert_called_once_with(
            "churn-dq", scheduled_after=SLOT + timedelta(hours=5), scheduled_before=SLOT + timedelta(hours=11)
        )

    def test_templated_after_is_read_at_run_time(self, hook: mock.MagicMock, clock: FakeClock) -> None:
        sensor = make_sensor(hook, wait_for="after", after="{{ data_interval_end }}")
        sensor.after = "2024-05-01T12:30:00Z"
        clock.now = WAKE
        sensor.poke({})
        hook.find_execution.assert_called_once_with(
            "churn-dq", scheduled_after=SLOT, scheduled_before=SLOT + timedelta(hours=1)
        )

    def test_pendulum_data_interval(self, hook: mock.MagicMock, clock: FakeClock) -> None:
        start = pendulum.datetime(2024, 5, 1, 14, tz="Europe/Paris")
        clock.now = WAKE
        make_sensor(hook).poke({"data_interval_start": start, "data_interval_end": start.add(hours=1)})
        hook.find_execution.assert_called_once_with(
            "churn-dq", scheduled_after=SLOT, scheduled_before=SLOT + timedelta(hours=1)
        )

    def test_latest_needs_no_expression(self, hook: mock.MagicMock, clock: FakeClock) -> None:
        sensor = make_sensor(hook, wait_for="latest", schedule_expression=None)
        hook.find_execution.return_value = summary("Completed")
        assert sensor.poke({}).xcom_value == xcom("Completed")
        assert hook.mock_calls == [
            *READ_SCHEDULE,
            mock.call.find_execution("churn-dq", scheduled_after=None, scheduled_before=None),
        ]

    @pytest.mark.parametrize(
        ("status", "options", "expected"),
        [
            ("Completed", {"fail_on_violations": True}, "success"),
            ("CompletedWithViolations", {}, "success"),
            ("CompletedWithViolations", {"fail_on_violations": True}, AirflowFailException),
            (
                "CompletedWithViolations",
                {"fail_on_violations": True, "soft_fail": True},
                AirflowSkipException,
            ),
            ("Failed", {}, AirflowFailException),
            ("Stopped", {}, AirflowFailException),
            ("Failed", {"soft_fail": True}, AirflowSkipException),
            ("Failed", {"fail_on_failed": False}, "success"),
            ("Stopped", {"fail_on_failed": False, "fail_on_violations": True}, "success"),
        ],
    )
    def test_outcomes(
        self, hook: mock.MagicMock, clock: FakeClock, status: str, options: dict[str, Any], expected: Any
    ) -> None:
        sensor = make_sensor(hook, **options)
        clock.now = WAKE
        hook.find_execution.return_value = summary(status, FailureReason="Job inputs had no data")
        if expected == "success":
            result = sensor.poke(CONTEXT)
            assert result.is_done
            assert result.xcom_value == xcom(status, FailureReason="Job inputs had no data")
            hook.describe_failure.assert_not_called()
        else:
            with pytest.raises(expected) as error:
                sensor.poke(CONTEXT)
            assert str(error.value) == FAILURE_TEXT
            hook.describe_failure.assert_called_once_with(
                safe(status, FailureReason="Job inputs had no data")
            )


class TestPokeLoop:
    def test_sleeps_exactly_until_the_slot_then_polls(
        self, hook: mock.MagicMock, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(time, "sleep", clock.sleep)
        times: list[datetime] = []

        def find(*args: Any, **kwargs: Any) -> dict[str, Any] | None:
            times.append(clock.now)
            return [None, summary("InProgress"), summary("Completed")][len(times) - 1]

        hook.find_execution.side_effect = find
        sensor = make_sensor(hook, poke_interval=120)
        assert sensor.execute(CONTEXT) == xcom("Completed")
        assert clock.sleeps == [31 * 60, 120, 120]
        assert times == [WAKE, WAKE + timedelta(minutes=2), WAKE + timedelta(minutes=4)]

    def test_wait_for_the_slot_stays_within_the_timeout(self, hook: mock.MagicMock, clock: FakeClock) -> None:
        sensor = make_sensor(hook, poke_interval=60, timeout=3600)
        sensor.poke(CONTEXT)
        assert sensor._get_next_poke_interval(0.0, lambda: 100.0, 1) == 31 * 60
        assert sensor._get_next_poke_interval(0.0, lambda: 2000.0, 1) == 1600
        clock.now = SLOT
        assert sensor._get_next_poke_interval(0.0, lambda: 100.0, 1) == 60
        clock.now = SLOT + timedelta(minutes=29, seconds=30)
        assert sensor._get_next_poke_interval(0.0, lambda: 100.0, 1) == 30


class TestDeferrable:
    def test_defers_before_the_slot_without_any_call(self, hook: mock.MagicMock, clock: FakeClock) -> None:
        sensor = make_sensor(hook, deferrable=True, poke_interval=30, timeout=3600, region_name="eu-west-1")
        with pytest.raises(TaskDeferred) as deferred:
            sensor.execute(CONTEXT)
        assert hook.mock_calls == READ_SCHEDULE[:1]
        trigger = deferred.value.trigger
        assert isinstance(trigger, SageMakerMonitoringExecutionTrigger)
        assert deferred.value.method_name == "execute_complete"
        assert trigger.serialize()[1] == {
            "monitoring_schedule_name": "churn-dq",
            "waiter_delay": 30,
            "aws_conn_id": "aws_default",
            "scheduled_after": "2024-05-01T13:00:00+00:00",
            "scheduled_before": "2024-05-01T14:00:00+00:00",
            "wake_at": "2024-05-01T13:01:00+00:00",
            "deadline": "2024-05-01T13:30:00+00:00",
            "deadline_reason": "timeout 3600 s",
            "awaited": "the execution of 2024-05-01T13:00:00+00:00",
            "region_name": "eu-west-1",
        }

    def test_checks_once_when_due_then_defers_for_the_next_poll(
        self, hook: mock.MagicMock, clock: FakeClock
    ) -> None:
        sensor = make_sensor(hook, deferrable=True, poke_interval=30)
        clock.now = WAKE + timedelta(minutes=5)
        hook.find_execution.return_value = summary("InProgress")
        with pytest.raises(TaskDeferred) as deferred:
            sensor.execute(CONTEXT)
        assert hook.find_execution.call_count == 1
        assert deferred.value.trigger.wake_at == clock.now + timedelta(seconds=30)

    def test_next_look_after_deferring_waits_out_the_resume_grace(
        self, hook: mock.MagicMock, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL", "5")
        sensor = make_sensor(hook, deferrable=True, poke_interval=0.5)
        clock.now = WAKE + timedelta(minutes=5)
        hook.find_execution.return_value = summary("InProgress")
        with pytest.raises(TaskDeferred) as deferred:
            sensor.execute(CONTEXT)
        assert deferred.value.trigger.wake_at == clock.now + timedelta(seconds=10)

    def test_finished_execution_needs_no_deferral(self, hook: mock.MagicMock, clock: FakeClock) -> None:
        sensor = make_sensor(hook, deferrable=True)
        clock.now = WAKE
        hook.find_execution.return_value = summary("CompletedWithViolations")
        assert sensor.execute(CONTEXT) == xcom("CompletedWithViolations")

    @pytest.mark.parametrize(
        ("event", "options", "expected"),
        [
            ({"status": "success", "execution": safe("Completed")}, {}, xcom("Completed")),
            (
                {"status": "violations", "execution": safe("CompletedWithViolations")},
                {},
                xcom("CompletedWithViolations"),
            ),
            (
                {"status": "violations", "execution": safe("CompletedWithViolations")},
                {"fail_on_violations": True},
                AirflowFailException,
            ),
            ({"status": "failed", "execution": safe("Failed")}, {}, AirflowFailException),
            ({"status": "failed", "execution": safe("Stopped")}, {"soft_fail": True}, AirflowSkipException),
            ({"status": "failed", "execution": safe("Failed")}, {"fail_on_failed": False}, xcom("Failed")),
            ({"status": "timeout", "execution": None, "message": "gave up"}, {}, AirflowSensorTimeout),
            (
                {"status": "timeout", "execution": None, "message": "gave up"},
                {"soft_fail": True},
                AirflowSkipException,
            ),
            ({"status": "error", "execution": None, "message": "AccessDenied"}, {}, AirflowException),
            ({"status": "unreachable", "execution": None, "message": "deleted"}, {}, AirflowFailException),
            (
                {"status": "unreachable", "execution": None, "message": "deleted"},
                {"soft_fail": True},
                AirflowSkipException,
            ),
            (None, {}, AirflowException),
        ],
    )
    def test_execute_complete_maps_events_like_poke_mode(
        self, hook: mock.MagicMock, event: dict[str, Any] | None, options: dict[str, Any], expected: Any
    ) -> None:
        sensor = make_sensor(hook, deferrable=True, **options)
        if isinstance(expected, dict):
            assert sensor.execute_complete({}, event) == expected
            return
        with pytest.raises(expected) as error:
            sensor.execute_complete({}, event)
        if event and event["status"] in ("violations", "failed"):
            assert str(error.value) == FAILURE_TEXT
        elif event:
            assert event["message"] in str(error.value)


def linked_reports(context: dict[str, Any]) -> list[dict[str, Any]]:
    """The report links stored through ``context["ti"]`` (a mock), in order."""
    calls = context["ti"].xcom_push.call_args_list
    return [c.kwargs["value"] for c in calls if c.kwargs["key"] == SageMakerMonitoringReportLink.key]


class TestLinks:
    """The sensor links the processing job of the awaited execution as soon as the execution names it, and
    the report of an execution that wrote one."""

    job = "model-monitoring-202405011300-0123456789abcdef01234567"
    arn = f"arn:aws:sagemaker:us-east-1:123456789012:processing-job/{job}"
    report = "s3://mm-bucket/reports/ep/churn-dq/2024/05/01/13"

    @pytest.fixture
    def linking_hook(self, hook: mock.MagicMock) -> mock.MagicMock:
        aws = SimpleNamespace(endpoint_url="https://api.sagemaker.us-east-1.amazonaws.com")
        hook.conn_region_name = "us-east-1"
        hook.conn_partition = "aws"
        hook.conn_client_meta = aws
        hook.s3_hook = SimpleNamespace(
            conn_region_name="us-east-1", conn_partition="aws", conn_client_meta=aws
        )
        hook.processing_job_name.side_effect = SageMakerModelMonitorHook.processing_job_name
        hook.execution_report_uri.return_value = self.report
        return hook

    def test_running_execution_is_linked_once_across_pokes(
        self, linking_hook: mock.MagicMock, clock: FakeClock
    ) -> None:
        clock.now = WAKE
        sensor, context = make_sensor(linking_hook), {**CONTEXT, "ti": mock.MagicMock()}
        linking_hook.find_execution.return_value = summary("Pending")
        assert sensor.poke(context) is False
        assert linked_jobs(context) == []
        linking_hook.find_execution.return_value = summary("InProgress", ProcessingJobArn=self.arn)
        assert sensor.poke(context) is False
        assert linked_reports(context) == []
        linking_hook.find_execution.return_value = summary("Completed", ProcessingJobArn=self.arn)
        assert sensor.poke(context)
        assert linked_jobs(context) == [self.job]
        assert [type(link) for link in sensor.operator_extra_links] == [
            SageMakerProcessingJobLink,
            SageMakerMonitoringReportLink,
        ]

    @pytest.mark.parametrize("status", ["Completed", "CompletedWithViolations"])
    def test_ended_execution_links_its_report_prefix(
        self, linking_hook: mock.MagicMock, clock: FakeClock, status: str
    ) -> None:
        clock.now = WAKE
        context = {**CONTEXT, "ti": mock.MagicMock()}
        linking_hook.find_execution.return_value = summary(status, ProcessingJobArn=self.arn)
        make_sensor(linking_hook).poke(context)
        (report,) = linked_reports(context)
        assert (report["bucket"], report["prefix"]) == (
            "mm-bucket",
            "reports%2Fep%2Fchurn-dq%2F2024%2F05%2F01%2F13%2F",
        )
        linking_hook.execution_report_uri.assert_called_once()

    def test_failed_execution_is_linked_before_the_task_fails(
        self, linking_hook: mock.MagicMock, clock: FakeClock
    ) -> None:
        clock.now = WAKE
        context = {**CONTEXT, "ti": mock.MagicMock()}
        linking_hook.find_execution.return_value = summary("Failed", ProcessingJobArn=self.arn)
        with pytest.raises(AirflowFailException):
            make_sensor(linking_hook).poke(context)
        assert linked_jobs(context) == [self.job]
        assert linked_reports(context) == []  # a failed execution wrote no report

    def test_deferred_sensor_links_the_job_of_the_event(self, linking_hook: mock.MagicMock) -> None:
        context: dict[str, Any] = {"ti": mock.MagicMock()}
        event = {"status": "success", "execution": safe("Completed", ProcessingJobArn=self.arn)}
        make_sensor(linking_hook, deferrable=True).execute_complete(context, event)
        assert linked_jobs(context) == [self.job]
        assert [report["bucket"] for report in linked_reports(context)] == ["mm-bucket"]


@pytest.fixture
def local_schedule(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSchedule]:
    with running_local_schedule(monkeypatch) as running:
        yield running


@pytest.mark.integration
class TestAgainstLocalService:
    def sensor(self, **kwargs: Any) -> SageMakerMonitoringExecutionSensor:
        return SageMakerMonitoringExecutionSensor(
            task_id="wait", monitoring_schedule_name="churn-dq", aws_conn_id=LOCAL_CONN_ID, **kwargs
        )

    def sensor_with_hook(self, local: LocalSchedule, **kwargs: Any) -> SageMakerMonitoringExecutionSensor:
        """A sensor reusing the fixture's hook (building a client takes about half a second)."""
        sensor = self.sensor(**kwargs)
        sensor.hook = local.hook  # type: ignore[misc]
        return sensor

    def test_poke_finds_the_data_interval_execution(
        self, local_schedule: LocalSchedule, clock: FakeClock
    ) -> None:
        clock.now = WAKE
        sensor = self.sensor()
        assert sensor.poke(CONTEXT) is False
        local_schedule.run_slot()
        xcom = sensor.poke(CONTEXT).xcom_value
        assert xcom["monitoring_execution_status"] == "Completed"
        assert xcom["scheduled_time"] == "2024-05-01T13:00:00+00:00"
        assert json.loads(json.dumps(xcom)) == xcom

    def test_violations_fail_with_the_exit_message(
        self, local_schedule: LocalSchedule, clock: FakeClock
    ) -> None:
        clock.now = WAKE
        exit_message = "CompletedWithViolations: Job completed successfully with 3 violations."
        local_schedule.engine.outcome = FakeOutcome(exit_message=exit_message)
        local_schedule.run_slot()
        with pytest.raises(AirflowFailException, match="3 violations") as error:
            self.sensor_with_hook(local_schedule, fail_on_violations=True).poke(CONTEXT)
        assert str(error.value).splitlines()[0].endswith("ended CompletedWithViolations.")

    def test_no_data_fails_with_the_reason_and_hint(
        self, local_schedule: LocalSchedule, clock: FakeClock
    ) -> None:
        next_slot = SLOT + timedelta(hours=1)
        clock.now = next_slot + timedelta(minutes=5)
        local_schedule.run_slot(next_slot)
        context = {"data_interval_start": SLOT, "data_interval_end": next_slot}
        with pytest.raises(AirflowFailException) as error:
            self.sensor_with_hook(local_schedule, schedule_expression=HOURLY).poke(context)
        assert "Job inputs had no data" in str(error.value)
        assert "Hint: no captured records" in str(error.value)

    def test_no_call_before_the_slot_then_one_list_call(
        self, local_schedule: LocalSchedule, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Count the boto3 calls a poke-mode sensor really sends to the service, and when it sends them."""
        sensor = self.sensor(schedule_expression=HOURLY, poke_interval=60)
        calls: list[tuple[datetime, str]] = []
        sensor.hook.conn.meta.events.register(
            "before-call.sagemaker", lambda model, **_: calls.append((clock.now, model.name))
        )

        sensor_thread, real_sleep = threading.current_thread(), time.sleep

        def sleep(seconds: float) -> None:
            if threading.current_thread() is not sensor_thread:  # the service's own threads sleep for real
                real_sleep(seconds)
                return
            clock.sleep(seconds)
            local_schedule.run_slot()

        monkeypatch.setattr(time, "sleep", sleep)
        assert sensor.execute(CONTEXT)["monitoring_execution_status"] == "Completed"
        assert clock.sleeps == [31 * 60]
        start = SLOT - timedelta(minutes=30)
        assert calls == [
            (start, "DescribeMonitoringSchedule"),
            (start, "DescribeDataQualityJobDefinition"),
            (WAKE, "ListMonitoringExecutions"),
            (WAKE, "DescribeProcessingJob"),  # once, at the end: where the report is, for its link
        ]

    def test_links_follow_the_local_endpoint(self, local_schedule: LocalSchedule, clock: FakeClock) -> None:
        """Against mm-local: no console link of the job; the report link is the service's URL of the file."""
        clock.now = WAKE
        local_schedule.run_slot()
        context = {**CONTEXT, "ti": mock.MagicMock()}
        xcom = self.sensor_with_hook(local_schedule).poke(context).xcom_value
        assert linked_jobs(context) == []
        (report,) = linked_reports(context)
        report_uri = local_schedule.hook.execution_report_uri(xcom)
        expected = f"{local_schedule.service.endpoint_url}/{report_uri[len('s3://') :]}/statistics.json?"
        assert report["url"].startswith(expected)

    def test_deferred_round_trip(
        self, local_schedule: LocalSchedule, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL", "0")  # no deferring worker here
        sensor = self.sensor(deferrable=True, poke_interval=0.05, timeout=60)
        with pytest.raises(TaskDeferred) as deferred:
            sensor.execute(CONTEXT)
        path, kwargs = deferred.value.trigger.serialize()
        rebuilt = SageMakerMonitoringExecutionTrigger(**kwargs)
        local_schedule.run_slot()

        async def first_event() -> dict[str, Any]:
            return (await rebuilt.run().__anext__()).payload

        event = asyncio.run(first_event())
        assert event["status"] == "success"
        assert sensor.execute_complete(CONTEXT, event)["monitoring_execution_status"] == "Completed"


class TestStopConditions:
    """The sensor ends at once when its execution can never run, and at a deadline derived from the
    schedule."""

    def test_slot_before_the_schedule_creation_fails_at_once(
        self, hook: mock.MagicMock, clock: FakeClock
    ) -> None:
        hook.describe_schedule_or_none.return_value = {
            **DESCRIPTION,
            "CreationTime": SLOT + timedelta(minutes=5),
        }
        with pytest.raises(AirflowFailException) as error:
            make_sensor(hook).poke(CONTEXT)
        message = str(error.value)
        assert "churn-dq" in message and "slot 2024-05-01T13:00:00+00:00" in message
        assert "wait_for='data_interval_or_first'" in message
        hook.find_execution.assert_not_called()

    def test_data_interval_or_first_awaits_the_first_slot_after_creation(
        self, hook: mock.MagicMock, clock: FakeClock
    ) -> None:
        hook.describe_schedule_or_none.return_value = {
            **DESCRIPTION,
            "CreationTime": SLOT + timedelta(minutes=5),
        }
        clock.now = SLOT + timedelta(hours=1, minutes=1)
        make_sensor(hook, wait_for="data_interval_or_first").poke(CONTEXT)
        hook.find_execution.assert_called_once_with(
            "churn-dq", scheduled_after=SLOT + timedelta(hours=1), scheduled_before=SLOT + timedelta(hours=2)
        )

    @pytest.mark.parametrize(
        ("at_start", "later", "expected"),
        [
            (None, None, "does not exist"),
            (
                {"MonitoringScheduleStatus": "Failed", "FailureReason": "role gone"},
                None,
                "is Failed (role gone)",
            ),
            ({"MonitoringScheduleStatus": "Stopped"}, None, "is Stopped"),
            ({}, None, "does not exist"),
            (
                {},
                {"MonitoringScheduleStatus": "Stopped", "LastModifiedTime": SLOT - timedelta(minutes=1)},
                "Stopped",
            ),
            ({}, {"MonitoringScheduleStatus": "Failed"}, "is Failed (no FailureReason given)"),
        ],
    )
    @pytest.mark.parametrize("soft_fail", [False, True])
    def test_schedule_that_cannot_run_the_slot_fails_at_once(
        self,
        hook: mock.MagicMock,
        clock: FakeClock,
        at_start: dict[str, Any] | None,
        later: dict[str, Any] | None,
        expected: str,
        soft_fail: bool,
    ) -> None:
        """Deleted, Failed or stopped before the slot: at the start, or while the execution is not listed."""
        clock.now = WAKE
        hook.describe_schedule_or_none.side_effect = [
            None if at_start is None else {**DESCRIPTION, **at_start},
            None if later is None else {**DESCRIPTION, **later},
        ]
        with pytest.raises(AirflowSkipException if soft_fail else AirflowFailException) as error:
            make_sensor(hook, soft_fail=soft_fail).poke(CONTEXT)
        assert expected in str(error.value) and "churn-dq" in str(error.value)

    def test_stopped_after_the_slot_waits_out_the_start_delay(
        self, hook: mock.MagicMock, clock: FakeClock
    ) -> None:
        stopped = {
            **DESCRIPTION,
            "MonitoringScheduleStatus": "Stopped",
            "LastModifiedTime": SLOT + timedelta(minutes=2),
        }
        hook.describe_schedule_or_none.side_effect = [DESCRIPTION, stopped, stopped]
        sensor = make_sensor(hook)
        clock.now = WAKE
        assert sensor.poke(CONTEXT) is False
        clock.now = SLOT + timedelta(minutes=20)
        with pytest.raises(AirflowFailException, match="is Stopped"):
            sensor.poke(CONTEXT)

    def test_default_timeout_is_derived_from_the_schedule(
        self, hook: mock.MagicMock, clock: FakeClock
    ) -> None:
        sensor = make_sensor(hook)
        hook.find_execution.return_value = summary("InProgress")
        assert clock.now < SLOT and sensor.poke(CONTEXT) is False  # the wait starts before the slot
        clock.now = DEFAULT_DEADLINE - timedelta(seconds=1)
        assert sensor.poke(CONTEXT) is False
        assert sensor._get_next_poke_interval(0.0, lambda: 0.0, 1) == 1
        clock.now = DEFAULT_DEADLINE
        with pytest.raises(AirflowSensorTimeout) as error:
            sensor.poke(CONTEXT)
        assert str(error.value) == (
            "Gave up waiting for the execution of 2024-05-01T13:00:00+00:00 of churn-dq at "
            "2024-05-01T14:00:00+00:00 (2024-05-01T13:00:00+00:00 + 20 min start delay + "
            "MaxRuntimeInSeconds 1800 s + 10 min margin): the monitoring execution of churn-dq scheduled at "
            "2024-05-01T13:00:00+00:00 is InProgress. " + waiting.TIMEOUT_HINT
        )

    def test_poke_loop_times_out_with_the_named_message(
        self, hook: mock.MagicMock, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(time, "sleep", clock.sleep)
        hook.max_runtime_seconds.return_value = None
        with pytest.raises(AirflowSensorTimeout, match="of churn-dq at 2024-05-01T14:30:00") as error:
            make_sensor(hook, poke_interval=1000).execute(CONTEXT)
        assert "MaxRuntimeInSeconds 3600 s (assumed)" in str(error.value)
        assert clock.now == SLOT + timedelta(hours=1, minutes=30)
        assert clock.sleeps == [31 * 60, *[1000] * 5, 340]  # the last sleep ends at the deadline

    def test_a_wait_starting_after_its_slot_counts_the_default_timeout_from_its_start(
        self, hook: mock.MagicMock, clock: FakeClock
    ) -> None:
        sensor = make_sensor(hook)
        hook.find_execution.return_value = None
        start = DEFAULT_DEADLINE + timedelta(hours=5)
        clock.now = start
        assert sensor.poke(CONTEXT) is False
        clock.now = start + (DEFAULT_DEADLINE - SLOT) - timedelta(seconds=1)
        assert sensor.poke(CONTEXT) is False
        clock.now = start + (DEFAULT_DEADLINE - SLOT)
        expected = f"at {clock.now.isoformat()} ({start.isoformat()} + 20 min start delay"
        with pytest.raises(AirflowSensorTimeout, match=re.escape(expected)):
            sensor.poke(CONTEXT)

    def test_slot_opening_after_the_timeout_fails_at_once(
        self, hook: mock.MagicMock, clock: FakeClock
    ) -> None:
        with pytest.raises(AirflowSensorTimeout, match="its slot opens only at 2024-05-01T13:01:00"):
            make_sensor(hook, timeout=600).poke(CONTEXT)
        hook.find_execution.assert_not_called()

    def test_service_clock_ahead_times_the_wait_by_the_service(
        self, hook: mock.MagicMock, clock: FakeClock
    ) -> None:
        """The worker's clock is 3 hours behind: the schedule was created 'in its future'."""
        clock.now = SLOT - timedelta(hours=3, minutes=30)
        hook.describe_schedule_or_none.return_value = {
            **DESCRIPTION,
            "CreationTime": SLOT - timedelta(minutes=30),
        }
        sensor = make_sensor(hook)
        assert sensor.poke(CONTEXT) is False
        clock.now = SLOT - timedelta(hours=3) + timedelta(minutes=1)
        hook.find_execution.return_value = summary("Completed")
        assert sensor.poke(CONTEXT).xcom_value == xcom("Completed")

    def test_transient_errors_are_retried_at_the_next_poke(
        self, hook: mock.MagicMock, clock: FakeClock
    ) -> None:
        throttle = ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "List")
        hook.find_execution.side_effect = [
            throttle,
            EndpointConnectionError(endpoint_url="x"),
            summary("Completed"),
        ]
        sensor = make_sensor(hook)
        clock.now = WAKE
        assert [sensor.poke(CONTEXT) for _ in range(2)] == [False, False]
        assert sensor.poke(CONTEXT).xcom_value == xcom("Completed")

    def test_other_errors_end_the_wait(self, hook: mock.MagicMock, clock: FakeClock) -> None:
        hook.find_execution.side_effect = ClientError({"Error": {"Code": "AccessDeniedException"}}, "List")
        clock.now = WAKE
        with pytest.raises(ClientError):
            make_sensor(hook).poke(CONTEXT)


@pytest.mark.integration
class TestStopConditionsAgainstLocalService:
    """Each stop condition in poke and deferred mode, over real boto3 against mm-local."""

    def sensor(self, local: LocalSchedule, **kwargs: Any) -> SageMakerMonitoringExecutionSensor:
        sensor = SageMakerMonitoringExecutionSensor(
            task_id="wait", monitoring_schedule_name="churn-dq", aws_conn_id=LOCAL_CONN_ID, **kwargs
        )
        sensor.hook = local.hook  # type: ignore[misc]
        return sensor

    def deferred_event(
        self, local: LocalSchedule, sensor: SageMakerMonitoringExecutionSensor, context: dict[str, Any]
    ) -> dict[str, Any]:
        with pytest.raises(TaskDeferred) as deferred:
            sensor.execute(context)
        return self.first_event(local, deferred.value.trigger)

    def first_event(
        self, local: LocalSchedule, deferred: SageMakerMonitoringExecutionTrigger
    ) -> dict[str, Any]:
        """The first event of the trigger rebuilt from its serialized form, polling at once (the sensor's
        own first look after a poke is not under test here), on the fixture's hook."""
        trigger = SageMakerMonitoringExecutionTrigger(**{**deferred.serialize()[1], "wake_at": None})
        trigger.hook = lambda: local.hook  # type: ignore[method-assign]
        return asyncio.run(trigger.run().__anext__()).payload

    EARLIER = {
        "data_interval_start": SLOT - timedelta(hours=2),
        "data_interval_end": SLOT - timedelta(hours=1),
    }
    """The interval of a run whose slot (12:00) precedes the schedule's creation (12:30)."""

    def test_slot_before_creation_fails_in_poke_mode(
        self, local_schedule: LocalSchedule, clock: FakeClock
    ) -> None:
        with pytest.raises(AirflowFailException, match="created at 2024-05-01T12:30"):
            self.sensor(local_schedule).poke(self.EARLIER)

    @pytest.mark.parametrize("deferrable", [False, True])
    def test_first_run_awaits_the_first_slot(self, local_schedule: LocalSchedule, deferrable: bool) -> None:
        sensor = self.sensor(
            local_schedule,
            wait_for="data_interval_or_first",
            deferrable=deferrable,
            poke_interval=0.01,
            timeout=60,
        )
        if deferrable:
            with pytest.raises(TaskDeferred) as deferred:
                sensor.execute(self.EARLIER)
            local_schedule.run_slot()
            result = sensor.execute_complete(
                self.EARLIER, self.first_event(local_schedule, deferred.value.trigger)
            )
        else:
            local_schedule.run_slot()
            result = sensor.execute(self.EARLIER)
        assert (result["scheduled_time"], result["monitoring_execution_status"]) == (
            "2024-05-01T13:00:00+00:00",
            "Completed",
        )

    @pytest.mark.parametrize("change", ["stop_schedule", "delete_schedule"])
    def test_stopped_or_deleted_schedule_fails_in_poke_mode(
        self, local_schedule: LocalSchedule, clock: FakeClock, change: str
    ) -> None:
        sensor = self.sensor(local_schedule)
        assert sensor.poke(CONTEXT) is False
        getattr(local_schedule.hook, change)("churn-dq")
        clock.now = WAKE
        with pytest.raises(AirflowFailException, match="churn-dq (is Stopped|does not exist)"):
            sensor.poke(CONTEXT)

    @pytest.mark.parametrize("change", ["stop_schedule", "delete_schedule"])
    def test_stopped_or_deleted_schedule_fails_in_deferred_mode(
        self, local_schedule: LocalSchedule, change: str
    ) -> None:
        sensor = self.sensor(local_schedule, deferrable=True, poke_interval=0.01, timeout=60)
        with pytest.raises(TaskDeferred) as deferred:
            sensor.execute(CONTEXT)
        getattr(local_schedule.hook, change)("churn-dq")
        event = self.first_event(local_schedule, deferred.value.trigger)
        assert event["status"] == "unreachable"
        with pytest.raises(AirflowFailException, match="churn-dq (is Stopped|does not exist)"):
            sensor.execute_complete(CONTEXT, event)

    @pytest.mark.parametrize("deferrable", [False, True])
    def test_stopped_execution_fails_with_what_to_do(
        self, local_schedule: LocalSchedule, deferrable: bool
    ) -> None:
        local_schedule.engine.outcome = FakeOutcome(status="Stopped", exit_message="")
        local_schedule.run_slot()
        sensor = self.sensor(local_schedule, deferrable=deferrable, timeout=60)
        with pytest.raises(AirflowFailException) as error:
            if deferrable:
                sensor.execute_complete(CONTEXT, self.deferred_event(local_schedule, sensor, CONTEXT))
            else:
                sensor.execute(CONTEXT)
        assert "churn-dq scheduled at 2024-05-01T13:00:00+00:00 ended Stopped" in str(error.value)
        assert "raise MaxRuntimeInSeconds" in str(error.value)

    def test_deferred_timeout_names_slot_and_schedule(self, local_schedule: LocalSchedule) -> None:
        sensor = self.sensor(local_schedule, deferrable=True, poke_interval=0.01, timeout=0.3)
        event = self.deferred_event(local_schedule, sensor, CONTEXT)
        with pytest.raises(AirflowSensorTimeout) as error:
            sensor.execute_complete(CONTEXT, event)
        assert str(error.value).startswith(
            "Gave up waiting for the execution of 2024-05-01T13:00:00+00:00 of churn-dq at "
        )
        assert "(timeout 0.3 s): no execution of churn-dq in the awaited window yet" in str(error.value)

    def test_poke_mode_survives_injected_throttles(
        self, local_schedule: LocalSchedule, clock: FakeClock
    ) -> None:
        local_schedule.run_slot()
        local_schedule.service.inject_fault("ListMonitoringExecutions", count=3)
        sensor = SageMakerMonitoringExecutionSensor(
            task_id="wait",
            monitoring_schedule_name="churn-dq",
            aws_conn_id=LOCAL_CONN_ID,
            botocore_config={"retries": {"mode": "standard", "total_max_attempts": 1}},
        )
        clock.now = WAKE
        assert [sensor.poke(CONTEXT) for _ in range(3)] == [False, False, False]
        assert sensor.poke(CONTEXT).xcom_value["monitoring_execution_status"] == "Completed"
