"""When waiting for a monitoring execution must stop: the default deadline, and waits that can never end.

An execution is created 0-20 minutes after its slot and runs for at most its job definition's
``MaxRuntimeInSeconds`` (split between the merge and analysis jobs for model quality and bias), so its end is
due by ``slot + START_DELAY + MaxRuntimeInSeconds``. A schedule runs only the slots after its creation and
none while it is stopped, deleted or ``Failed``. Pure: no Airflow, no network.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple, overload

from airflow_mm_provider.monitoring.schedule import ScheduleExpression
from airflow_mm_provider.monitoring.times import as_utc

START_DELAY = timedelta(minutes=20)
"""How long after its slot an execution may start (Model Monitor: 0-20 minutes)."""
DEFAULT_MAX_RUNTIME = timedelta(seconds=3600)
"""The ``MaxRuntimeInSeconds`` assumed when the job definition sets none (the SageMaker SDK default)."""
DEFAULT_MARGIN = timedelta(minutes=10)
"""Slack added to the default deadline for report upload, status propagation and poll spacing."""
CLOCK_SKEW_TOLERANCE = timedelta(minutes=1)
"""Service times this far ahead of the local clock are taken as ordinary drift, not a clock ahead."""

SCHEDULE_STOPPED = "Stopped"
SCHEDULE_FAILED = "Failed"

FIRST_SLOT_HINT = (
    "Use wait_for='data_interval_or_first' to await the schedule's first slot instead when the DAG run's own "
    "slot precedes the schedule's creation (e.g. the run that creates the schedule)."
)
TIMEOUT_HINT = (
    "Check the schedule's executions (ListMonitoringExecutions) and that it is Scheduled; pass a longer "
    "timeout if its jobs legitimately take longer."
)


class Deadline(NamedTuple):
    """When to give up waiting, and how that time was chosen.

    :param at: the deadline (UTC).
    :param reason: how it was derived, for the timeout message.
    """

    at: datetime
    reason: str


def default_deadline(
    reference: datetime, max_runtime_seconds: float | None, margin: timedelta = DEFAULT_MARGIN
) -> Deadline:
    """The latest time the execution of ``reference`` can end: slot + start delay + max runtime + margin.

    :param reference: the awaited slot, or the start of the wait when there is no slot (``latest``,
        ``NOW``) or the wait starts after the slot.
    :param max_runtime_seconds: the job definition's ``StoppingCondition.MaxRuntimeInSeconds``; ``None``
        means :data:`DEFAULT_MAX_RUNTIME`.
    :param margin: slack added at the end; zero or more.
    """
    if margin < timedelta(0):
        raise ValueError(f"margin must not be negative, got {margin}")
    if max_runtime_seconds is not None and max_runtime_seconds <= 0:
        raise ValueError(f"MaxRuntimeInSeconds must be positive, got {max_runtime_seconds}")
    runtime = DEFAULT_MAX_RUNTIME if max_runtime_seconds is None else timedelta(seconds=max_runtime_seconds)
    start = as_utc(reference, "reference")
    reason = (
        f"{start.isoformat()} + {_minutes(START_DELAY)} start delay + MaxRuntimeInSeconds "
        f"{runtime.total_seconds():g} s{'' if max_runtime_seconds is not None else ' (assumed)'} "
        f"+ {_minutes(margin)} margin"
    )
    return Deadline(start + START_DELAY + runtime + margin, reason)


def first_slot_after(expression: ScheduleExpression, created: datetime) -> datetime:
    """The first slot a schedule created at ``created`` runs: the first slot strictly after it.

    :param expression: the schedule's recurring expression.
    :param created: the schedule's ``CreationTime`` (timezone-aware).
    """
    return expression.next_slot(as_utc(created, "created"))


def precedes_creation(slot: datetime, created: datetime) -> bool:
    """Whether ``slot`` can never run because the schedule was created at or after it.

    :param slot: the awaited slot (timezone-aware).
    :param created: the schedule's ``CreationTime`` (timezone-aware).
    """
    return as_utc(slot, "slot") <= as_utc(created, "created")


def before_creation_message(schedule_name: str, slot: datetime, created: datetime) -> str:
    """Why the execution of ``slot`` will never run, and what to do.

    :param schedule_name: the monitoring schedule.
    :param slot: the awaited slot.
    :param created: the schedule's ``CreationTime``.
    """
    return (
        f"No execution of {schedule_name} will ever run for the slot {as_utc(slot).isoformat()}: the "
        f"schedule was created at {as_utc(created).isoformat()}, after that slot, and a schedule runs only "
        f"the slots that follow its creation. {FIRST_SLOT_HINT}"
    )


@overload
def unreachable_reason(
    schedule_name: str, description: None, slot: datetime | None, now: datetime
) -> str: ...


@overload
def unreachable_reason(
    schedule_name: str, description: Mapping[str, Any] | None, slot: datetime | None, now: datetime
) -> str | None: ...


def unreachable_reason(
    schedule_name: str,
    description: Mapping[str, Any] | None,
    slot: datetime | None,
    now: datetime,
) -> str | None:
    """Why no execution of ``slot`` can appear any more, given the schedule now; ``None`` while one may.

    Call it only while the awaited execution is not listed (an execution already created runs to its end
    whatever happens to the schedule). A deleted or ``Failed`` schedule starts nothing; a stopped one starts
    nothing after the stop, so the slot is lost when the stop came before it, or once the start delay after
    the slot has passed.

    :param schedule_name: the monitoring schedule.
    :param description: its ``DescribeMonitoringSchedule`` answer, ``None`` when it does not exist.
    :param slot: the awaited slot, or ``None`` when any execution would do.
    :param now: the current time (timezone-aware).
    """
    awaited = "the awaited execution" if slot is None else f"the slot {as_utc(slot).isoformat()}"
    if description is None:
        return (
            f"Monitoring schedule {schedule_name} does not exist (deleted?), so no execution will run for "
            f"{awaited}. Recreate the schedule and await one of its later slots."
        )
    status = description.get("MonitoringScheduleStatus")
    if status == SCHEDULE_FAILED:
        reason = description.get("FailureReason") or "no FailureReason given"
        return (
            f"Monitoring schedule {schedule_name} is Failed ({reason}), so no execution will run for "
            f"{awaited}. Fix the cause and update the schedule, then await one of its later slots."
        )
    if status != SCHEDULE_STOPPED:
        return None
    stopped_at = description.get("LastModifiedTime")
    if slot is not None and stopped_at is not None:
        slot_utc = as_utc(slot, "slot")
        if as_utc(stopped_at, "LastModifiedTime") > slot_utc and as_utc(now, "now") < slot_utc + START_DELAY:
            return None
    return (
        f"Monitoring schedule {schedule_name} is Stopped, so no execution will run for {awaited}. Start it "
        "(SageMakerStartMonitoringScheduleOperator) and await one of its later slots; slots passed while it "
        "was stopped are never run."
    )


def service_clock_ahead(description: Mapping[str, Any], local_now: datetime) -> timedelta:
    """How far the service clock is at least ahead of ``local_now``, judged by the times a schedule carries.

    Zero unless one of ``CreationTime``, ``LastModifiedTime`` or its last execution's times lies more than
    :data:`CLOCK_SKEW_TOLERANCE` after ``local_now`` (a local service whose clock was set ahead, say). A
    service clock behind the local one cannot be seen this way.

    :param description: the ``DescribeMonitoringSchedule`` answer.
    :param local_now: the local time when it was read (timezone-aware).
    """
    last = description.get("LastMonitoringExecutionSummary") or {}
    times = [
        description.get("CreationTime"),
        description.get("LastModifiedTime"),
        last.get("CreationTime"),
        last.get("LastModifiedTime"),
    ]
    known = [as_utc(value) for value in times if isinstance(value, datetime)]
    ahead = max(known, default=local_now) - as_utc(local_now, "local_now")
    return ahead if ahead > CLOCK_SKEW_TOLERANCE else timedelta(0)


def timeout_message(schedule_name: str, awaited: str, deadline: datetime, progress: str, reason: str) -> str:
    """The message of a wait that reached its deadline.

    :param schedule_name: the monitoring schedule.
    :param awaited: what was awaited, e.g. ``the execution of 2024-05-01T13:00:00+00:00``.
    :param deadline: when the wait gave up.
    :param progress: what was last seen, e.g. ``the ... execution is InProgress``.
    :param reason: how the deadline was chosen.
    """
    return (
        f"Gave up waiting for {awaited} of {schedule_name} at {as_utc(deadline).isoformat()} ({reason}): "
        f"{progress}. {TIMEOUT_HINT}"
    )


def _minutes(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 60:g} min"
