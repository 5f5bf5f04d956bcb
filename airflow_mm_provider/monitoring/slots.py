"""Which monitoring execution a DAG run awaits: its ``ScheduledTime`` bounds, its slot and when to look first.

The execution sensor waits for it and the violation branch operator finds it the same way. Modes
(``wait_for``): :data:`DATA_INTERVAL`, :data:`DATA_INTERVAL_OR_FIRST`, :data:`AFTER` and :data:`LATEST`.
Pure: no Airflow, no network.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from airflow_mm_provider.monitoring.schedule import ScheduleExpression
from airflow_mm_provider.monitoring.times import as_utc, floor_hour
from airflow_mm_provider.monitoring.waiting import (
    before_creation_message,
    first_slot_after,
    precedes_creation,
)
from airflow_mm_provider.monitoring.windows import parse_offset

DATA_INTERVAL = "data_interval"
"""Await the execution that analyses the DAG run's data interval."""
DATA_INTERVAL_OR_FIRST = "data_interval_or_first"
"""As :data:`DATA_INTERVAL`, or the schedule's first slot when that one precedes the schedule's creation."""
LATEST = "latest"
"""Await the newest execution, whenever it was scheduled."""
AFTER = "after"
"""Await the first execution scheduled at or after a given time."""
WAIT_FOR = (DATA_INTERVAL, DATA_INTERVAL_OR_FIRST, LATEST, AFTER)
"""Every ``wait_for`` mode."""
DEFAULT_APPEAR_BUFFER = timedelta(minutes=1)
"""How long after its slot an execution is looked for first."""


class SlotBeforeCreationError(ValueError):
    """The awaited slot precedes the schedule's creation, so its execution will never run.

    :param message: what happened and what to do.
    """


class AwaitedExecution(NamedTuple):
    """Which execution a DAG run waits for and when to look first.

    :param scheduled_after: inclusive lower bound of its ``ScheduledTime`` (UTC), or ``None``.
    :param scheduled_before: exclusive upper bound of its ``ScheduledTime`` (UTC), or ``None``.
    :param wake_at: no call before this time (its slot plus the appear buffer), or ``None``.
    :param description: what is awaited, for the log.
    :param slot: the awaited slot of a recurring schedule, or ``None``.
    """

    scheduled_after: datetime | None
    scheduled_before: datetime | None
    wake_at: datetime | None
    description: str
    slot: datetime | None = None


def checked_appear_buffer(value: timedelta | float) -> timedelta:
    """``value`` (a timedelta or seconds) as a timedelta; a ``ValueError`` naming ``appear_buffer`` when
    negative.

    :param value: how long after its slot an execution is looked for first.
    """
    buffer = value if isinstance(value, timedelta) else timedelta(seconds=value)
    if buffer < timedelta(0):
        raise ValueError(f"appear_buffer must not be negative, got {value}")
    return buffer


def check_wait_for(wait_for: str, modes: tuple[str, ...] = WAIT_FOR) -> str:
    """``wait_for`` when it is one of ``modes``, else a ``ValueError`` listing them.

    :param wait_for: the mode.
    :param modes: the modes the caller supports.
    """
    if wait_for not in modes:
        raise ValueError(f"wait_for must be one of {modes}, got {wait_for!r}")
    return wait_for


def awaited_execution(
    wait_for: str,
    expression: ScheduleExpression | None,
    *,
    interval_start: datetime | None = None,
    interval_end: datetime | None = None,
    after: datetime | None = None,
    appear_buffer: timedelta = DEFAULT_APPEAR_BUFFER,
    end_time_offset: str | None = None,
    created: datetime | None = None,
    schedule_name: str = "the schedule",
) -> AwaitedExecution:
    """Work out the awaited execution's ``ScheduledTime`` bounds and the time of the first look.

    - ``data_interval``: the execution whose analysed data ends at or after the DAG run's interval end, i.e.
      the first slot ``T`` with ``T + end_time_offset >= interval_end`` (an execution at ``T`` analyses data
      up to ``T + EndTimeOffset``; without offsets the period before ``T``). For an hourly DAG and hourly
      monitor, the run for ``[12:00, 13:00)`` awaits the 13:00 execution. An empty interval (Airflow 3
      manual runs) awaits the first slot at or after the logical date.
    - ``after``: the first slot at or after ``after``.
    - ``data_interval_or_first``: as ``data_interval``, but when that slot precedes the schedule's
      creation (``created``), the schedule's first slot instead (the DAG run that creates the schedule).
    - ``latest``: the newest execution, whenever it was scheduled; nothing to wait for.

    With ``created``, a recurring slot at or before it raises :class:`SlotBeforeCreationError` (except for
    ``data_interval_or_first``): a schedule never runs the slots before its creation.

    Without an expression, or for ``NOW`` schedules (no recurring slots), there is no slot to wait for and
    the bounds alone select the execution: the interval for ``data_interval``; for ``after``, executions
    scheduled from the top of the hour holding ``after`` (a ``NOW`` run is taken to carry its hour as
    ``ScheduledTime``, an assumption).

    :param wait_for: one of :data:`WAIT_FOR`.
    :param expression: the schedule's expression, or ``None`` when unknown.
    :param interval_start: the DAG run's data interval start (``data_interval``).
    :param interval_end: the DAG run's data interval end (``data_interval``).
    :param after: the time from which to take the first execution (``after``).
    :param appear_buffer: time after a slot before the first look.
    :param end_time_offset: the job's ``EndTimeOffset`` (e.g. ``"-PT1H"``); ``None`` means ``-PT0H``.
    :param created: the schedule's ``CreationTime``, or ``None`` when unknown (no check).
    :param schedule_name: the schedule, for messages.
    """
    awaited = _awaited_slot(
        wait_for, expression, interval_start, interval_end, after, appear_buffer, end_time_offset
    )
    if created is None or awaited.slot is None or not precedes_creation(awaited.slot, created):
        return awaited
    if wait_for == DATA_INTERVAL_OR_FIRST and expression is not None:  # a slot means a recurring expression
        return _one_slot(expression, first_slot_after(expression, created), appear_buffer)
    raise SlotBeforeCreationError(before_creation_message(schedule_name, awaited.slot, created))


def _awaited_slot(
    wait_for: str,
    expression: ScheduleExpression | None,
    interval_start: datetime | None,
    interval_end: datetime | None,
    after: datetime | None,
    appear_buffer: timedelta,
    end_time_offset: str | None,
) -> AwaitedExecution:
    """:func:`awaited_execution` before the check against the schedule's creation."""
    check_wait_for(wait_for)
    if wait_for == LATEST:
        return AwaitedExecution(None, None, None, "the latest execution")
    recurring = expression if expression is not None and not expression.is_now else None
    if wait_for == AFTER:
        if after is None:
            raise ValueError("wait_for='after' needs the 'after' time")
        since = as_utc(after, "after")
        if recurring is None:
            return AwaitedExecution(floor_hour(since), None, None, f"an execution scheduled from {since}")
        slot = since if recurring.previous_slot(since) == since else recurring.next_slot(since)
        return _one_slot(recurring, slot, appear_buffer)
    if interval_start is None or interval_end is None:
        raise ValueError(
            "this DAG run has no data interval (e.g. a manual run); use wait_for='latest' or 'after'"
        )
    start, end = as_utc(interval_start, "data_interval_start"), as_utc(interval_end, "data_interval_end")
    if recurring is None:
        return AwaitedExecution(start, end, None, f"the execution scheduled in [{start}, {end})")
    covered_until = end - parse_offset(end_time_offset or "-PT0H", "EndTimeOffset")
    slot = recurring.previous_slot(covered_until)
    if slot < covered_until:
        slot = recurring.next_slot(slot)
    return _one_slot(recurring, slot, appear_buffer)


def _one_slot(expression: ScheduleExpression, slot: datetime, appear_buffer: timedelta) -> AwaitedExecution:
    """The execution of ``slot`` alone: scheduled from ``slot`` up to the next slot."""
    return AwaitedExecution(
        slot, expression.next_slot(slot), slot + appear_buffer, f"the execution of {slot.isoformat()}", slot
    )
