"""Wait in the triggerer for a monitoring execution to end: :class:`SageMakerMonitoringExecutionTrigger`."""

from __future__ import annotations

from asyncio import sleep
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import timezone
from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_mm_provider.hooks.model_monitor import SageMakerModelMonitorHook
from airflow_mm_provider.monitoring.outcomes import (
    ERROR,
    STATUS_KEY,
    TIMEOUT,
    Outcome,
    classify,
    execution_label,
    execution_summary,
    failure_message,
    outcome_message,
)
from airflow_mm_provider.monitoring.schedule import parse_time

_TIME_FIELDS = ("scheduled_after", "scheduled_before", "wake_at", "deadline")


class SageMakerMonitoringExecutionTrigger(BaseTrigger):
    """Poll ``ListMonitoringExecutions`` until the awaited execution reaches a terminal status.

    Nothing is called before ``wake_at``; then each poll is one list call (the newest execution whose
    ``ScheduledTime`` is in ``[scheduled_after, scheduled_before)``), ``poll_interval`` seconds apart, until
    ``deadline``. The single event carries ``status`` (``success``, ``violations``, ``failed``, ``timeout`` or
    ``error``), ``execution`` (the JSON-safe summary, ``None`` when none was found) and ``message``. A plain
    ``BaseTrigger``: no botocore waiter can pick an execution by ``ScheduledTime``.

    :param monitoring_schedule_name: the monitoring schedule.
    :param scheduled_after: inclusive lower bound of ``ScheduledTime`` (datetime or ISO string), or ``None``.
    :param scheduled_before: exclusive upper bound of ``ScheduledTime``, or ``None``.
    :param wake_at: make no call before this time (e.g. when the awaited slot opens), or ``None``.
    :param deadline: give up with a ``timeout`` event at this time, or ``None`` to wait without end. An
        absolute time, so a triggerer restart does not extend the wait.
    :param poll_interval: seconds between two polls.
    :param aws_conn_id: the Airflow connection used for AWS credentials.
    :param region_name: the AWS region of the schedule.
    :param verify: whether to verify SSL certificates, or a CA bundle path.
    :param botocore_config: botocore client configuration (key-values).
    """

    def __init__(
        self,
        *,
        monitoring_schedule_name: str,
        scheduled_after: datetime | str | None = None,
        scheduled_before: datetime | str | None = None,
        wake_at: datetime | str | None = None,
        deadline: datetime | str | None = None,
        poll_interval: float = 60.0,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        verify: bool | str | None = None,
        botocore_config: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if poll_interval <= 0:
            raise ValueError(f"poll_interval must be positive, got {poll_interval}")
        self.monitoring_schedule_name = monitoring_schedule_name
        self.scheduled_after = parse_time(scheduled_after, "scheduled_after")
        self.scheduled_before = parse_time(scheduled_before, "scheduled_before")
        self.wake_at = parse_time(wake_at, "wake_at")
        self.deadline = parse_time(deadline, "deadline")
        self.poll_interval = poll_interval
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
        self.verify = verify
        self.botocore_config = botocore_config

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Class path and keyword arguments that rebuild an equal trigger; times as ISO strings."""
        kwargs: dict[str, Any] = {
            "monitoring_schedule_name": self.monitoring_schedule_name,
            "poll_interval": self.poll_interval,
            "aws_conn_id": self.aws_conn_id,
        }
        for name in _TIME_FIELDS:
            value = getattr(self, name)
            if value is not None:
                kwargs[name] = value.isoformat()
        optional = {
            "region_name": self.region_name,
            "verify": self.verify,
            "botocore_config": self.botocore_config,
        }
        kwargs.update({name: value for name, value in optional.items() if value is not None})
        return f"{type(self).__module__}.{type(self).__qualname__}", kwargs

    def hook(self) -> SageMakerModelMonitorHook:
        """The hook, built from the serialized connection settings."""
        return SageMakerModelMonitorHook(
            aws_conn_id=self.aws_conn_id,
            region_name=self.region_name,
            verify=self.verify,
            config=self.botocore_config,
        )

    def _seconds_until(self, when: datetime) -> float:
        return (when - timezone.utcnow()).total_seconds()

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Sleep until ``wake_at``, then poll until the execution ends or the deadline passes."""
        hook = self.hook()
        summary = None
        if self.wake_at is not None:
            start = self.wake_at if self.deadline is None else min(self.wake_at, self.deadline)
            self.log.info("Making no call before %s", start.isoformat())
            await sleep(max(self._seconds_until(start), 0.0))
        while self.deadline is None or self._seconds_until(self.deadline) > 0:
            try:
                summary = await hook.find_execution_async(
                    self.monitoring_schedule_name,
                    scheduled_after=self.scheduled_after,
                    scheduled_before=self.scheduled_before,
                )
            except Exception as exc:
                yield TriggerEvent({"status": ERROR, "execution": None, "message": str(exc)})
                return
            event = self._terminal_event(summary)
            if event is not None:
                yield event
                return
            self.log.info(self._progress(summary))
            pause = self.poll_interval
            if self.deadline is not None:
                pause = min(pause, self._seconds_until(self.deadline))
            await sleep(pause)
        yield self._timeout_event(summary)

    def _terminal_event(self, summary: dict[str, Any] | None) -> TriggerEvent | None:
        """The event for a terminal execution, else ``None``."""
        outcome = None if summary is None else classify(summary.get(STATUS_KEY))
        if outcome is None:
            return None
        safe = execution_summary(summary)
        message = failure_message(safe) if outcome is Outcome.FAILED else outcome_message(safe)
        return TriggerEvent({"status": outcome.value, "execution": safe, "message": message})

    def _timeout_event(self, summary: dict[str, Any] | None) -> TriggerEvent:
        message = f"Gave up at the deadline {self.deadline.isoformat()}: {self._progress(summary)}"
        safe = None if summary is None else execution_summary(summary)
        return TriggerEvent({"status": TIMEOUT, "execution": safe, "message": message})

    def _progress(self, summary: dict[str, Any] | None) -> str:
        if summary is None:
            return f"no execution of {self.monitoring_schedule_name} in the awaited window yet"
        return f"the {execution_label(summary)} is {summary.get(STATUS_KEY)}"
