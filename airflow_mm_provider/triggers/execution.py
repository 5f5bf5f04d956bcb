"""Wait in the triggerer for a monitoring execution to end: :class:`SageMakerMonitoringExecutionTrigger`."""

from __future__ import annotations

from asyncio import sleep
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from airflow.providers.common.compat.sdk import timezone
from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_mm_provider.hooks.model_monitor import SageMakerModelMonitorHook, is_transient_error
from airflow_mm_provider.monitoring.outcomes import (
    ERROR,
    STATUS_KEY,
    TIMEOUT,
    UNREACHABLE,
    execution_ending,
    execution_label,
    execution_summary,
)
from airflow_mm_provider.monitoring.times import parse_time
from airflow_mm_provider.monitoring.waiting import timeout_message, unreachable_reason
from airflow_mm_provider.utils.waiting import (
    EXECUTION_CHECK_INTERVAL,
    NOTSET,
    checked_interval,
    renamed_argument,
)

_TIME_FIELDS = ("scheduled_after", "scheduled_before", "wake_at", "deadline")


class SageMakerMonitoringExecutionTrigger(BaseTrigger):
    """Poll ``ListMonitoringExecutions`` until the awaited execution reaches a terminal status.

    Nothing is called before ``wake_at``; then each poll is one list call (the newest execution whose
    ``ScheduledTime`` is in ``[scheduled_after, scheduled_before)``), ``waiter_delay`` seconds apart, until
    ``deadline``; while none is listed, each poll also reads the schedule and ends the wait when it can no
    longer run the execution (deleted, ``Failed``, or stopped before ``scheduled_after``). Throttling and
    transient errors, after botocore's own retries, are logged and the next poll tries again, as in the
    sensor's poke mode; other errors end the wait. The single event carries ``status`` (``success``,
    ``violations``, ``failed``, ``unreachable``, ``timeout`` or ``error``), ``execution`` (the JSON-safe
    summary, ``None`` when none was found) and ``message``. A plain ``BaseTrigger``: no botocore waiter can
    pick an execution by ``ScheduledTime``; an absolute ``deadline`` stands for ``waiter_max_attempts``, so a
    triggerer restart does not extend the wait.

    :param monitoring_schedule_name: the monitoring schedule.
    :param scheduled_after: inclusive lower bound of ``ScheduledTime`` (datetime or ISO string), or ``None``.
    :param scheduled_before: exclusive upper bound of ``ScheduledTime``, or ``None``.
    :param wake_at: make no call before this time (e.g. when the awaited slot opens), or ``None``.
    :param deadline: give up with a ``timeout`` event at this time, or ``None`` to wait without end. An
        absolute time, so a triggerer restart does not extend the wait.
    :param deadline_reason: how the deadline was chosen, for the timeout message.
    :param awaited: what is awaited, for messages (e.g. ``the execution of 2024-05-01T13:00:00+00:00``).
    :param waiter_delay: seconds between two polls (formerly ``poll_interval``; default 60).
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
        deadline_reason: str | None = None,
        awaited: str | None = None,
        waiter_delay: float = NOTSET,
        aws_conn_id: str | None = "aws_default",
        region_name: str | None = None,
        verify: bool | str | None = None,
        botocore_config: dict[str, Any] | None = None,
        **deprecated: Any,
    ) -> None:
        super().__init__()
        delay = renamed_argument(
            deprecated, "waiter_delay", waiter_delay, "poll_interval", EXECUTION_CHECK_INTERVAL
        )
        if deprecated:
            raise TypeError(f"unexpected keyword arguments {sorted(deprecated)}")
        self.monitoring_schedule_name = monitoring_schedule_name
        self.scheduled_after = parse_time(scheduled_after, "scheduled_after")
        self.scheduled_before = parse_time(scheduled_before, "scheduled_before")
        self.wake_at = parse_time(wake_at, "wake_at")
        self.deadline = parse_time(deadline, "deadline")
        self.deadline_reason = deadline_reason
        self.awaited = awaited
        self.waiter_delay = checked_interval(delay, "waiter_delay")
        self.aws_conn_id = aws_conn_id
        self.region_name = region_name
        self.verify = verify
        self.botocore_config = botocore_config

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Class path and keyword arguments that rebuild an equal trigger; times as ISO strings."""
        kwargs: dict[str, Any] = {
            "monitoring_schedule_name": self.monitoring_schedule_name,
            "waiter_delay": self.waiter_delay,
            "aws_conn_id": self.aws_conn_id,
        }
        for name in _TIME_FIELDS:
            value = getattr(self, name)
            if value is not None:
                kwargs[name] = value.isoformat()
        optional = {
            "deadline_reason": self.deadline_reason,
            "awaited": self.awaited,
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
        summary, error = None, None
        if self.wake_at is not None:
            start = self.wake_at if self.deadline is None else min(self.wake_at, self.deadline)
            self.log.info("Making no call before %s", start.isoformat())
            await sleep(max(self._seconds_until(start), 0.0))
        while self.deadline is None or self._seconds_until(self.deadline) > 0:
            try:
                event, summary = await self._poll(hook)
                error = None
            except Exception as exc:
                if not is_transient_error(exc):
                    yield TriggerEvent({"status": ERROR, "execution": None, "message": str(exc)})
                    return
                error = exc
                self.log.warning("%s; trying again in %g s", exc, self.waiter_delay)
                event = None
            if event is not None:
                yield event
                return
            self.log.info(self._progress(summary, error))
            pause = self.waiter_delay
            if self.deadline is not None:
                pause = min(pause, self._seconds_until(self.deadline))
            await sleep(pause)
        yield self._timeout_event(summary, error, self.deadline)

    async def _poll(
        self, hook: SageMakerModelMonitorHook
    ) -> tuple[TriggerEvent | None, dict[str, Any] | None]:
        """One poll: the final event if there is one, and the execution found (``None`` if none is listed)."""
        summary = await hook.find_execution_async(
            self.monitoring_schedule_name,
            scheduled_after=self.scheduled_after,
            scheduled_before=self.scheduled_before,
        )
        if summary is not None:
            return self._terminal_event(summary), summary
        description = await hook.describe_schedule_or_none_async(self.monitoring_schedule_name)
        reason = unreachable_reason(
            self.monitoring_schedule_name, description, self.scheduled_after, timezone.utcnow()
        )
        if reason is None:
            return None, None
        return TriggerEvent({"status": UNREACHABLE, "execution": None, "message": reason}), None

    def _terminal_event(self, summary: dict[str, Any] | None) -> TriggerEvent | None:
        """The event for a terminal execution, else ``None``."""
        ending = (
            None
            if summary is None
            else execution_ending(summary, fail_on_violations=False, fail_on_failed=False)
        )
        if ending is None:
            return None
        return TriggerEvent(
            {"status": ending.status, "execution": ending.execution, "message": ending.message}
        )

    def _timeout_event(
        self, summary: dict[str, Any] | None, error: BaseException | None, deadline: datetime
    ) -> TriggerEvent:
        message = timeout_message(
            self.monitoring_schedule_name,
            self.awaited or self._window(),
            deadline,
            self._progress(summary, error),
            self.deadline_reason or "the deadline given",
        )
        safe = None if summary is None else execution_summary(summary)
        return TriggerEvent({"status": TIMEOUT, "execution": safe, "message": message})

    def _window(self) -> str:
        after = "" if self.scheduled_after is None else f" from {self.scheduled_after.isoformat()}"
        before = "" if self.scheduled_before is None else f" before {self.scheduled_before.isoformat()}"
        return f"the execution scheduled{after}{before}" if after or before else "the latest execution"

    def _progress(self, summary: dict[str, Any] | None, error: BaseException | None = None) -> str:
        if error is not None:
            seen = f"the last poll failed: {error}"
        elif summary is None:
            seen = f"no execution of {self.monitoring_schedule_name} in the awaited window yet"
        else:
            seen = f"the {execution_label(summary)} is {summary.get(STATUS_KEY)}"
        return seen
