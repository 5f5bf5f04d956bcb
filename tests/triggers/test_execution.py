from __future__ import annotations

import asyncio
import importlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pendulum
import pytest
from airflow.exceptions import AirflowProviderDeprecationWarning
from botocore.exceptions import ClientError

from airflow_mm_provider.hooks.model_monitor import SageMakerModelMonitorHook
from airflow_mm_provider.triggers import execution as trigger_module
from airflow_mm_provider.triggers.execution import SageMakerMonitoringExecutionTrigger
from tests.support.local_schedule import LOCAL_CONN_ID, SLOT, LocalSchedule, running_local_schedule

WAKE = SLOT + timedelta(minutes=1)
CLASS_PATH = "airflow_mm_provider.triggers.execution.SageMakerMonitoringExecutionTrigger"


def summary(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "MonitoringScheduleName": "churn-dq",
        "ScheduledTime": SLOT,
        "CreationTime": SLOT,
        "LastModifiedTime": SLOT + timedelta(minutes=9),
        "MonitoringExecutionStatus": status,
        **extra,
    }


@dataclass
class FakeClock:
    """Stands in for the trigger's clock and sleep; sleeping moves the clock."""

    now: datetime
    sleeps: list[float] = field(default_factory=list)

    def utcnow(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)


SCHEDULED = {"MonitoringScheduleStatus": "Scheduled", "LastModifiedTime": SLOT - timedelta(hours=5)}


@dataclass
class FakeHook:
    """Answers find_execution_async from a script and records when and how it was called; describes the
    schedule as ``schedule`` says (``None``: deleted)."""

    clock: FakeClock
    answers: list[Any]
    calls: list[tuple[datetime, dict[str, Any]]] = field(default_factory=list)
    schedule: dict[str, Any] | None = field(default_factory=lambda: dict(SCHEDULED))
    describes: int = 0

    async def describe_schedule_or_none_async(self, schedule_name: str) -> dict[str, Any] | None:
        self.describes += 1
        return self.schedule

    async def find_execution_async(self, schedule_name: str, **bounds: Any) -> dict[str, Any] | None:
        self.calls.append((self.clock.now, {"schedule_name": schedule_name, **bounds}))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClock]:
    fake = FakeClock(SLOT - timedelta(minutes=30))
    monkeypatch.setattr(trigger_module, "sleep", fake.sleep)
    monkeypatch.setattr(trigger_module, "timezone", SimpleNamespace(utcnow=fake.utcnow))
    yield fake


def make_trigger(**overrides: Any) -> SageMakerMonitoringExecutionTrigger:
    kwargs: dict[str, Any] = {
        "monitoring_schedule_name": "churn-dq",
        "scheduled_after": SLOT,
        "scheduled_before": SLOT + timedelta(hours=1),
        "wake_at": WAKE,
        "deadline": SLOT + timedelta(hours=2),
        "waiter_delay": 60,
        "aws_conn_id": "mm",
        "region_name": "us-east-1",
    }
    kwargs.update(overrides)
    return SageMakerMonitoringExecutionTrigger(**kwargs)


async def run(trigger: SageMakerMonitoringExecutionTrigger, hook: FakeHook) -> list[dict[str, Any]]:
    trigger.hook = lambda: hook  # type: ignore[method-assign]
    return [event.payload async for event in trigger.run()]


class TestSerialize:
    def test_round_trip_gives_an_equal_trigger(self) -> None:
        trigger = make_trigger(verify=False, botocore_config={"retries": {"mode": "standard"}})
        path, kwargs = trigger.serialize()
        assert path == CLASS_PATH
        assert kwargs == {
            "monitoring_schedule_name": "churn-dq",
            "waiter_delay": 60,
            "aws_conn_id": "mm",
            "scheduled_after": "2024-05-01T13:00:00+00:00",
            "scheduled_before": "2024-05-01T14:00:00+00:00",
            "wake_at": "2024-05-01T13:01:00+00:00",
            "deadline": "2024-05-01T15:00:00+00:00",
            "region_name": "us-east-1",
            "verify": False,
            "botocore_config": {"retries": {"mode": "standard"}},
        }
        module, _, name = path.rpartition(".")
        rebuilt = getattr(importlib.import_module(module), name)(**kwargs)
        assert rebuilt.serialize() == (path, kwargs)
        assert vars(rebuilt) == vars(trigger)

    def test_unset_values_are_left_out(self) -> None:
        trigger = SageMakerMonitoringExecutionTrigger(monitoring_schedule_name="s", aws_conn_id=None)
        assert trigger.serialize()[1] == {
            "monitoring_schedule_name": "s",
            "waiter_delay": 60.0,
            "aws_conn_id": None,
        }

    def test_times_are_normalised_to_plain_utc_datetimes(self) -> None:
        trigger = make_trigger(
            scheduled_after=pendulum.datetime(2024, 5, 1, 15, tz="Europe/Paris"),
            scheduled_before="2024-05-01T14:00:00Z",
        )
        assert trigger.scheduled_after == SLOT
        assert type(trigger.scheduled_after) is datetime
        assert trigger.scheduled_before == SLOT + timedelta(hours=1)

    def test_hook_uses_the_serialized_connection_settings(self) -> None:
        hook = make_trigger(verify=False, botocore_config={"read_timeout": 5}).hook()
        assert isinstance(hook, SageMakerModelMonitorHook)
        assert (hook.aws_conn_id, hook.region_name, hook.client_type) == ("mm", "us-east-1", "sagemaker")

    @pytest.mark.parametrize(
        ("value", "error"),
        [("2024-05-01T13:00:00", ValueError), ("yesterday", ValueError), (datetime(2024, 5, 1), ValueError)],
    )
    def test_bad_times_are_refused(self, value: Any, error: type[Exception]) -> None:
        with pytest.raises(error, match="wake_at"):
            make_trigger(wake_at=value)

    def test_waiter_delay_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="^waiter_delay: must be a positive"):
            make_trigger(waiter_delay=0)

    def test_a_trigger_serialized_with_the_old_name_still_loads(self) -> None:
        """A trigger deferred by release 0.1 carries ``poll_interval``; it loads with a warning."""
        path, kwargs = make_trigger().serialize()
        old = {**{k: v for k, v in kwargs.items() if k != "waiter_delay"}, "poll_interval": 30}
        with pytest.warns(
            AirflowProviderDeprecationWarning, match="poll_interval is deprecated.*use waiter_delay"
        ):
            rebuilt = SageMakerMonitoringExecutionTrigger(**old)
        assert rebuilt.waiter_delay == 30 and rebuilt.serialize()[1]["waiter_delay"] == 30
        with pytest.raises(ValueError, match="^waiter_delay, poll_interval: pass only waiter_delay"):
            SageMakerMonitoringExecutionTrigger(**kwargs, poll_interval=30)
        with pytest.raises(TypeError, match="unexpected keyword arguments"):
            SageMakerMonitoringExecutionTrigger(**kwargs, interval=30)


class TestRun:
    async def test_sleeps_until_wake_at_then_reports_success(self, clock: FakeClock) -> None:
        hook = FakeHook(clock, [None, summary("InProgress"), summary("Completed")])
        events = await run(make_trigger(), hook)
        assert [when for when, _ in hook.calls] == [
            WAKE,
            WAKE + timedelta(minutes=1),
            WAKE + timedelta(minutes=2),
        ]
        assert clock.sleeps == [30 * 60 + 60, 60, 60]
        assert hook.calls[0][1] == {
            "schedule_name": "churn-dq",
            "scheduled_after": SLOT,
            "scheduled_before": SLOT + timedelta(hours=1),
        }
        assert events == [
            {
                "status": "success",
                "execution": {
                    "MonitoringScheduleName": "churn-dq",
                    "ScheduledTime": "2024-05-01T13:00:00+00:00",
                    "CreationTime": "2024-05-01T13:00:00+00:00",
                    "LastModifiedTime": "2024-05-01T13:09:00+00:00",
                    "MonitoringExecutionStatus": "Completed",
                },
                "message": "The monitoring execution of churn-dq scheduled at 2024-05-01T13:00:00+00:00 "
                "ended Completed.",
            }
        ]

    async def test_violations(self, clock: FakeClock) -> None:
        events = await run(make_trigger(), FakeHook(clock, [summary("CompletedWithViolations")]))
        assert [(e["status"], e["execution"]["MonitoringExecutionStatus"]) for e in events] == [
            ("violations", "CompletedWithViolations")
        ]

    @pytest.mark.parametrize("status", ["Failed", "Stopped"])
    async def test_failed_carries_the_failure_reason(self, clock: FakeClock, status: str) -> None:
        answer = summary(status, FailureReason="Job inputs had no data")
        [event] = await run(make_trigger(), FakeHook(clock, [answer]))
        assert event["status"] == "failed"
        assert event["execution"]["FailureReason"] == "Job inputs had no data"
        assert "ended " + status in event["message"]
        assert "Hint: no captured records" in event["message"]

    async def test_timeout_at_the_deadline(self, clock: FakeClock) -> None:
        hook = FakeHook(clock, [summary("InProgress")])
        deadline = WAKE + timedelta(minutes=2, seconds=30)
        [event] = await run(make_trigger(deadline=deadline), hook)
        assert len(hook.calls) == 3
        assert clock.now == deadline
        assert clock.sleeps[-1] == 30
        assert event["status"] == "timeout"
        assert event["execution"]["MonitoringExecutionStatus"] == "InProgress"
        assert "2024-05-01T13:03:30+00:00" in event["message"] and "is InProgress" in event["message"]

    async def test_deadline_before_wake_at_makes_no_call(self, clock: FakeClock) -> None:
        hook = FakeHook(clock, [summary("Completed")])
        [event] = await run(make_trigger(deadline=SLOT), hook)
        assert hook.calls == []
        assert event["status"] == "timeout" and event["execution"] is None
        assert "no execution of churn-dq in the awaited window yet" in event["message"]

    async def test_without_wake_at_polls_at_once(self, clock: FakeClock) -> None:
        hook = FakeHook(clock, [summary("Completed")])
        [event] = await run(make_trigger(wake_at=None, deadline=None), hook)
        assert clock.sleeps == [] and len(hook.calls) == 1
        assert event["status"] == "success"

    async def test_reads_the_schedule_only_while_nothing_is_listed(self, clock: FakeClock) -> None:
        hook = FakeHook(clock, [None, None, summary("InProgress"), summary("Completed")])
        [event] = await run(make_trigger(), hook)
        assert event["status"] == "success"
        assert (len(hook.calls), hook.describes) == (4, 2)

    @pytest.mark.parametrize(
        ("schedule", "expected"),
        [
            (None, "does not exist"),
            ({"MonitoringScheduleStatus": "Failed", "FailureReason": "role gone"}, "is Failed (role gone)"),
            (
                {"MonitoringScheduleStatus": "Stopped", "LastModifiedTime": SLOT - timedelta(minutes=5)},
                "Stopped",
            ),
        ],
    )
    async def test_schedule_that_cannot_run_the_slot_ends_the_wait_at_once(
        self, clock: FakeClock, schedule: dict[str, Any] | None, expected: str
    ) -> None:
        hook = FakeHook(clock, [None], schedule=schedule)
        [event] = await run(make_trigger(), hook)
        assert event["status"] == "unreachable" and event["execution"] is None
        assert expected in event["message"]
        assert "churn-dq" in event["message"] and "2024-05-01T13:00:00+00:00" in event["message"]
        assert [when for when, _ in hook.calls] == [WAKE]

    async def test_stopped_after_the_slot_waits_out_the_start_delay(self, clock: FakeClock) -> None:
        stopped = {"MonitoringScheduleStatus": "Stopped", "LastModifiedTime": SLOT + timedelta(minutes=2)}
        hook = FakeHook(clock, [None], schedule=stopped)
        [event] = await run(make_trigger(waiter_delay=600), hook)
        assert event["status"] == "unreachable"
        assert [when for when, _ in hook.calls] == [
            WAKE,
            WAKE + timedelta(minutes=10),
            WAKE + timedelta(minutes=20),
        ]

    async def test_throttling_is_retried_at_the_next_poll(self, clock: FakeClock) -> None:
        throttle = ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "List")
        hook = FakeHook(clock, [throttle, throttle, throttle, summary("Completed")])
        [event] = await run(make_trigger(), hook)
        assert event["status"] == "success"
        assert len(hook.calls) == 4

    async def test_timeout_message_names_schedule_slot_and_last_error(self, clock: FakeClock) -> None:
        throttle = ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "List")
        trigger = make_trigger(
            deadline=WAKE + timedelta(minutes=2),
            deadline_reason="slot + 20 min start delay + ...",
            awaited="the execution of 2024-05-01T13:00:00+00:00",
        )
        [event] = await run(trigger, FakeHook(clock, [throttle]))
        assert event["status"] == "timeout"
        assert event["message"].startswith(
            "Gave up waiting for the execution of 2024-05-01T13:00:00+00:00 of churn-dq at "
            "2024-05-01T13:03:00+00:00 (slot + 20 min start delay + ...): the last poll failed: "
        )
        assert "ThrottlingException" in event["message"]

    async def test_service_error_becomes_an_error_event(self, clock: FakeClock) -> None:
        error = ClientError(
            {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "ListMonitoringExecutions"
        )
        [event] = await run(make_trigger(), FakeHook(clock, [error]))
        assert event["status"] == "error" and event["execution"] is None
        assert "AccessDeniedException" in event["message"]


@pytest.fixture
def local_schedule(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSchedule]:
    """:func:`running_local_schedule` for one test."""
    with running_local_schedule(monkeypatch) as running:
        yield running


@pytest.mark.integration
class TestAgainstLocalService:
    async def test_polls_until_the_slot_has_run(self, local_schedule: LocalSchedule) -> None:
        trigger = make_trigger(wake_at=None, deadline=None, waiter_delay=0.05, aws_conn_id=LOCAL_CONN_ID)
        events = trigger.run()
        first = asyncio.ensure_future(events.__anext__())
        await asyncio.sleep(0.3)
        assert not first.done()
        await asyncio.to_thread(local_schedule.run_slot)
        event = (await asyncio.wait_for(first, 20)).payload
        await events.aclose()
        assert event["status"] == "success"
        execution = event["execution"]
        assert execution["ScheduledTime"] == "2024-05-01T13:00:00+00:00"
        assert execution["MonitoringExecutionStatus"] == "Completed"
        assert execution["ProcessingJobArn"].startswith(
            "arn:aws:sagemaker:us-east-1:123456789012:processing-job/"
        )
        assert json.loads(json.dumps(event)) == event

    async def test_survives_injected_throttles_then_succeeds(self, local_schedule: LocalSchedule) -> None:
        """20 throttles in a row (the issue's case): each poll's one attempt fails, the next poll retries."""
        local_schedule.run_slot()
        local_schedule.service.inject_fault("ListMonitoringExecutions", count=20)
        trigger = make_trigger(
            wake_at=None,
            deadline=None,
            waiter_delay=0.01,
            aws_conn_id=LOCAL_CONN_ID,
            botocore_config={"retries": {"mode": "standard", "total_max_attempts": 1}},
        )
        [event] = [event.payload async for event in trigger.run()]
        assert event["status"] == "success"
        assert local_schedule.service.control("GET", "status")["faults"] == {}

    async def test_stopped_schedule_ends_the_wait(self, local_schedule: LocalSchedule) -> None:
        await asyncio.to_thread(local_schedule.hook.stop_schedule, "churn-dq")
        trigger = make_trigger(wake_at=None, deadline=None, waiter_delay=0.01, aws_conn_id=LOCAL_CONN_ID)
        [event] = [event.payload async for event in trigger.run()]
        assert event["status"] == "unreachable"
        assert "churn-dq is Stopped" in event["message"] and "2024-05-01T13:00:00+00:00" in event["message"]

    async def test_deleted_schedule_ends_the_wait(self, local_schedule: LocalSchedule) -> None:
        await asyncio.to_thread(local_schedule.hook.delete_schedule, "churn-dq")
        trigger = make_trigger(wake_at=None, deadline=None, waiter_delay=0.01, aws_conn_id=LOCAL_CONN_ID)
        [event] = [event.payload async for event in trigger.run()]
        assert event["status"] == "unreachable"
        assert "churn-dq does not exist" in event["message"]

    async def test_no_data_run_is_reported_failed(self, local_schedule: LocalSchedule) -> None:
        next_slot = SLOT + timedelta(hours=1)
        local_schedule.run_slot(next_slot)
        trigger = make_trigger(
            scheduled_after=next_slot,
            scheduled_before=next_slot + timedelta(hours=1),
            wake_at=None,
            deadline=None,
            aws_conn_id=LOCAL_CONN_ID,
        )
        [event] = [event.payload async for event in trigger.run()]
        assert event["status"] == "failed"
        assert event["execution"]["FailureReason"] == "Job inputs had no data"
        assert "Hint: no captured records" in event["message"]
