"""Wait for a monitoring execution and turn its end into an Airflow outcome.

:class:`SageMakerMonitoringExecutionSensor` finds the execution of a DAG run's data interval (or the latest,
or the first at or after a time), reads the schedule once, makes no call before the awaited slot exists, then
lists executions once per poke, or defers to
:class:`~airflow_mm_provider.triggers.execution.SageMakerMonitoringExecutionTrigger`. It stops at once when
the awaited execution can never run, and at a deadline derived from the schedule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.providers.common.compat.sdk import (
    AirflowException,
    AirflowSensorTimeout,
    AirflowSkipException,
    PokeReturnValue,
    conf,
    timezone,
)

from airflow_mm_provider.hooks.model_monitor import expression_of, is_transient_error
from airflow_mm_provider.monitoring.outcomes import (
    STATUS_KEY,
    TIMEOUT,
    UNREACHABLE,
    Outcome,
    classify,
    execution_label,
    execution_summary,
    failure_message,
    outcome_message,
    should_fail,
)
from airflow_mm_provider.monitoring.schedule import ScheduleExpression, as_utc, floor_hour, parse_time
from airflow_mm_provider.monitoring.waiting import (
    Deadline,
    before_creation_message,
    default_deadline,
    first_slot_after,
    precedes_creation,
    service_clock_ahead,
    timeout_message,
    unreachable_reason,
)
from airflow_mm_provider.monitoring.windows import parse_offset
from airflow_mm_provider.operators.templating import is_literal
from airflow_mm_provider.sensors.base import SageMakerModelMonitorBaseSensor
from airflow_mm_provider.triggers.resume import first_look

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

DATA_INTERVAL = "data_interval"
DATA_INTERVAL_OR_FIRST = "data_interval_or_first"
LATEST = "latest"
AFTER = "after"
WAIT_FOR = (DATA_INTERVAL, DATA_INTERVAL_OR_FIRST, LATEST, AFTER)
DEFAULT_APPEAR_BUFFER = timedelta(minutes=1)


class SlotBeforeCreationError(ValueError):
    """The awaited slot precedes the schedule's creation, so its execution will never run.

    :param message: what happened and what to do.
    """


class ExecutionWaitTimeout(AirflowSensorTimeout):
    """The awaited execution did not end by the deadline; the message names the schedule and slot."""


class AwaitedExecution(NamedTuple):
    """Which execution a sensor waits for and when to look first.

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

    :param wait_for: ``data_interval``, ``latest`` or ``after``.
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
    if wait_for == DATA_INTERVAL_OR_FIRST:
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
    if wait_for == LATEST:
        return AwaitedExecution(None, None, None, "the latest execution")
    recurring = expression is not None and not expression.is_now
    if wait_for in (DATA_INTERVAL, DATA_INTERVAL_OR_FIRST):
        if interval_start is None or interval_end is None:
            raise ValueError(
                "this DAG run has no data interval (e.g. a manual run); use wait_for='latest' or 'after'"
            )
        start, end = as_utc(interval_start, "data_interval_start"), as_utc(interval_end, "data_interval_end")
        if not recurring:
            return AwaitedExecution(start, end, None, f"the execution scheduled in [{start}, {end})")
        covered_until = end - parse_offset(end_time_offset or "-PT0H", "EndTimeOffset")
        slot = expression.previous_slot(covered_until)
        if slot < covered_until:
            slot = expression.next_slot(slot)
        return _one_slot(expression, slot, appear_buffer)
    if wait_for == AFTER:
        if after is None:
            raise ValueError("wait_for='after' needs the 'after' time")
        since = as_utc(after, "after")
        if not recurring:
            return AwaitedExecution(floor_hour(since), None, None, f"an execution scheduled from {since}")
        slot = since if expression.previous_slot(since) == since else expression.next_slot(since)
        return _one_slot(expression, slot, appear_buffer)
    raise ValueError(f"wait_for must be one of {WAIT_FOR}, got {wait_for!r}")


def _one_slot(expression: ScheduleExpression, slot: datetime, appear_buffer: timedelta) -> AwaitedExecution:
    """The execution of ``slot`` alone: scheduled from ``slot`` up to the next slot."""
    return AwaitedExecution(
        slot, expression.next_slot(slot), slot + appear_buffer, f"the execution of {slot.isoformat()}", slot
    )


def _buffer(value: timedelta | float) -> timedelta:
    buffer = value if isinstance(value, timedelta) else timedelta(seconds=value)
    if buffer < timedelta(0):
        raise ValueError(f"appear_buffer must not be negative, got {value}")
    return buffer


class SageMakerMonitoringExecutionSensor(SageMakerModelMonitorBaseSensor):
    """Wait for a monitoring execution to end, then succeed, fail or skip as chosen.

    Which execution (``wait_for``):

    - ``data_interval`` (default): the one that analyses the DAG run's data interval: the first slot at or
      after ``data_interval_end - end_time_offset`` (an execution scheduled at ``T`` analyses the period
      before ``T``, shifted by the job's offsets). An hourly DAG run for ``[12:00, 13:00)`` awaits the
      13:00 execution of an hourly monitor; a daily DAG run awaits the first slot after its day.
    - ``data_interval_or_first``: as ``data_interval``, except that when that slot precedes the schedule's
      creation it awaits the schedule's first slot instead. Use it in a DAG whose run creates the schedule
      and then waits: its first run gets the first execution, later runs their own interval's.
    - ``after``: the first one scheduled at or after ``after``.
    - ``latest``: the newest one (following newer ones as they appear).

    Waiting: the sensor first reads the schedule (one ``DescribeMonitoringSchedule`` call, once per task
    process, so once per poke in reschedule mode; plus one ``Describe<T>JobDefinition`` call when the timeout
    is derived). An execution starts 0-20 minutes after its slot (``ScheduledTime``), so before
    ``slot + appear_buffer`` the sensor makes no further call: in poke mode it sleeps, in reschedule mode it
    comes back at that time, deferred it sleeps in the triggerer. From then on each poke is one
    ``ListMonitoringExecutions`` call, plus one ``DescribeMonitoringSchedule`` call while the execution is not
    listed yet. Throttling and transient errors (after botocore's own retries) are logged and the next poke
    tries again, in poke and deferred mode alike. When the schedule's times show its clock is ahead of this
    worker's (a local service whose clock was moved, say), the wait is timed by the service's clock.

    Stops at once (failing, or skipping with ``soft_fail``) with a message naming the schedule and slot when
    the awaited execution can never run: the slot precedes the schedule's creation (see
    ``data_interval_or_first``), or, while the execution is not listed, the schedule was deleted, is
    ``Failed``, or was stopped before the slot (or the slot's start delay passed while stopped).

    Timeout: without ``timeout``, the deadline is the slot (or the start of the wait when there is no slot)
    plus 20 minutes of start delay, the job definition's ``MaxRuntimeInSeconds`` (3600 s when unset) and a
    10-minute margin; with ``timeout``, that many seconds from the start of the wait. A slot that opens only
    after the deadline fails at once. The timeout message names the slot, the schedule and what was seen.

    Outcomes: ``Completed`` succeeds; ``CompletedWithViolations`` succeeds unless ``fail_on_violations``;
    ``Failed`` and ``Stopped`` fail when ``fail_on_failed`` (the message carries ``FailureReason``, the
    processing job's ``ExitMessage`` and a hint when the inputs had no data), else succeed. With
    ``soft_fail`` a failure or timeout skips the task instead. The return value (XCom) is the execution
    summary with times as ISO-8601 strings, including ``MonitoringExecutionStatus``.

    :param monitoring_schedule_name: the monitoring schedule (templated).
    :param wait_for: ``data_interval``, ``data_interval_or_first``, ``latest`` or ``after`` (templated).
    :param after: for ``after``: a timezone-aware datetime or ISO-8601 string (templated), e.g.
        ``"{{ data_interval_end }}"``.
    :param schedule_expression: the schedule's expression, e.g. ``"cron(0 * ? * * *)"`` (templated);
        read from the schedule when not given.
    :param appear_buffer: how long after the slot to look first (timedelta or seconds; default 1 minute).
    :param end_time_offset: the monitoring job's ``EndTimeOffset`` (templated, e.g. ``"-PT1H"`` when labels
        arrive an hour late), or the schedule's ``DataAnalysisEndTime`` when it sets one (that one wins),
        used by ``data_interval`` to find the covering execution; default ``-PT0H``.
    :param fail_on_violations: fail when the execution found constraint violations.
    :param fail_on_failed: fail when the execution ended ``Failed`` or ``Stopped``.
    :param deferrable: wait in the triggerer (default from ``[operators] default_deferrable``).
    :param timeout: seconds (or a timedelta) to wait at most; default derived from the schedule (see above).
    :param kwargs: ``aws_conn_id``, ``region_name``, ``verify``, ``botocore_config`` and the
        ``BaseSensorOperator`` arguments (``poke_interval``, ``mode``, ``soft_fail``, ...).
    """

    template_fields: Sequence[str] = aws_template_fields(
        "monitoring_schedule_name", "wait_for", "after", "schedule_expression", "end_time_offset"
    )

    def __init__(
        self,
        *,
        monitoring_schedule_name: str,
        wait_for: str = DATA_INTERVAL,
        after: datetime | str | None = None,
        schedule_expression: ScheduleExpression | str | None = None,
        appear_buffer: timedelta | float = DEFAULT_APPEAR_BUFFER,
        end_time_offset: str | None = None,
        fail_on_violations: bool = False,
        fail_on_failed: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        timeout: timedelta | float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs, **({} if timeout is None else {"timeout": timeout}))
        self.derive_timeout = timeout is None
        self.monitoring_schedule_name = monitoring_schedule_name
        self.wait_for = wait_for
        self.after = after
        self.schedule_expression = schedule_expression
        self.appear_buffer = _buffer(appear_buffer)
        self.end_time_offset = end_time_offset
        self.fail_on_violations = fail_on_violations
        self.fail_on_failed = fail_on_failed
        self.deferrable = deferrable
        self._awaited: AwaitedExecution | None = None
        self._deadline: Deadline | None = None
        self._clock_ahead = timedelta(0)
        self._progress = "no execution listed yet"
        if is_literal(wait_for) and wait_for not in WAIT_FOR:
            raise ValueError(f"wait_for must be one of {WAIT_FOR}, got {wait_for!r}")
        if wait_for == AFTER and after is None:
            raise ValueError("wait_for='after' needs the 'after' time")
        if schedule_expression is not None and is_literal(schedule_expression):
            ScheduleExpression.coerce(schedule_expression)
        if end_time_offset is not None and is_literal(end_time_offset):
            parse_offset(end_time_offset, "end_time_offset")
        if after is not None and is_literal(after):
            parse_time(after, "after")

    # ---- which execution ---------------------------------------------------------------------------------

    def _expression(self, description: Mapping[str, Any]) -> ScheduleExpression | None:
        """The schedule expression: the parameter, else the described schedule's."""
        if self.schedule_expression is not None:
            return ScheduleExpression.coerce(self.schedule_expression)
        return expression_of(description)

    def _now(self) -> datetime:
        """The current time by the service's clock, as far as it is known."""
        return timezone.utcnow() + self._clock_ahead

    def awaited(self, context: Context) -> AwaitedExecution:
        """The awaited execution of this task run and its deadline, worked out on first use.

        Reads the schedule; fails at once when the execution can never run or the slot opens after the
        deadline.
        """
        if self._awaited is None:
            if self.wait_for not in WAIT_FOR:
                raise ValueError(f"wait_for must be one of {WAIT_FOR}, got {self.wait_for!r}")
            name = self.monitoring_schedule_name
            local_now = timezone.utcnow()
            description = self.hook.describe_schedule_or_none(name)
            if description is None:
                self.fail(unreachable_reason(name, None, None, local_now))
            self._clock_ahead = service_clock_ahead(description, local_now)
            if self._clock_ahead:
                self.log.warning(
                    "The clock of the service is at least %s ahead of this worker's; timing the wait by it",
                    self._clock_ahead,
                )
            try:
                awaited = awaited_execution(
                    self.wait_for,
                    None if self.wait_for == LATEST else self._expression(description),
                    interval_start=context.get("data_interval_start"),
                    interval_end=context.get("data_interval_end"),
                    after=parse_time(self.after, "after"),
                    appear_buffer=self.appear_buffer,
                    end_time_offset=self.end_time_offset,
                    created=description["CreationTime"],
                    schedule_name=name,
                )
            except SlotBeforeCreationError as error:
                self.fail(str(error))
            reason = unreachable_reason(name, description, awaited.slot, self._now())
            if reason is not None:
                self.fail(reason)
            self._deadline = self._choose_deadline(description, awaited)
            self._awaited = awaited
            self.log.info(
                "Waiting for %s of %s until %s (%s)",
                awaited.description,
                name,
                self._deadline.at.isoformat(),
                self._deadline.reason,
            )
            if awaited.wake_at is not None and awaited.wake_at > self._deadline.at:
                self._progress = f"its slot opens only at {awaited.wake_at.isoformat()}"
                self._time_out()
        return self._awaited

    def _choose_deadline(self, description: Mapping[str, Any], awaited: AwaitedExecution) -> Deadline:
        """The ``timeout`` from now when given, else the end the awaited execution is due by, counted from
        its slot or, when the wait starts after the slot (a backfill, a service clock set in the past), from
        now."""
        now = self._now()
        if not self.derive_timeout:
            return Deadline(now + timedelta(seconds=self.timeout), f"timeout {self.timeout:g} s")
        return default_deadline(max(awaited.slot or now, now), self.hook.max_runtime_seconds(description))

    def _time_out(self) -> NoReturn:
        """End the wait at the deadline: a timeout, or a skip with ``soft_fail``; the message names it all."""
        message = timeout_message(
            self.monitoring_schedule_name,
            self._awaited.description,
            self._deadline.at,
            self._progress,
            self._deadline.reason,
        )
        if self.soft_fail:
            raise AirflowSkipException(message)
        raise ExecutionWaitTimeout(message)

    def _before_wake(self, awaited: AwaitedExecution) -> float:
        """Seconds until the first look is due (zero or less once it is)."""
        if awaited.wake_at is None:
            return 0.0
        return (awaited.wake_at - self._now()).total_seconds()

    def _until_deadline(self) -> float:
        """Seconds until the deadline (zero or less once it has passed)."""
        return math.inf if self._deadline is None else (self._deadline.at - self._now()).total_seconds()

    # ---- poke mode ---------------------------------------------------------------------------------------

    def poke(self, context: Context) -> bool | PokeReturnValue:
        """No call before the slot; then one ListMonitoringExecutions call; done once the execution ended."""
        awaited = self.awaited(context)
        if self._before_wake(awaited) > 0:
            self.log.info("The slot has not opened; first look at %s", awaited.wake_at.isoformat())
            return self._not_yet()
        try:
            summary = self.hook.find_execution(
                self.monitoring_schedule_name,
                scheduled_after=awaited.scheduled_after,
                scheduled_before=awaited.scheduled_before,
            )
            if summary is None:
                self._fail_if_unreachable(awaited)
        except Exception as error:
            if not is_transient_error(error):
                raise
            self.log.warning("%s; trying again at the next poke", error)
            return self._not_yet()
        if summary is None:
            self._progress = "no execution listed yet"
            self.log.info("No execution of %s listed yet", self.monitoring_schedule_name)
            return self._not_yet()
        outcome = classify(summary.get(STATUS_KEY))
        if outcome is None:
            self._progress = f"the {execution_label(summary)} is {summary.get(STATUS_KEY)}"
            self.log.info("The %s is %s", execution_label(summary), summary.get(STATUS_KEY))
            return self._not_yet()
        return PokeReturnValue(is_done=True, xcom_value=self._conclude(outcome, execution_summary(summary)))

    def _not_yet(self) -> bool:
        """``False`` (poke again), or the timeout once the deadline has passed."""
        if self._until_deadline() <= 0:
            self._time_out()
        return False

    def _fail_if_unreachable(self, awaited: AwaitedExecution) -> None:
        """Read the schedule and fail when it can no longer run the awaited execution."""
        description = self.hook.describe_schedule_or_none(self.monitoring_schedule_name)
        reason = unreachable_reason(self.monitoring_schedule_name, description, awaited.slot, self._now())
        if reason is not None:
            self.fail(reason)

    def _get_next_poke_interval(
        self, started_at: datetime | float, run_duration: Callable[[], float], poke_count: int
    ) -> float:
        """Until the slot opens, sleep (or reschedule) exactly until then; never past the deadline."""
        interval = super()._get_next_poke_interval(started_at, run_duration, poke_count)
        before_wake = 0.0 if self._awaited is None else self._before_wake(self._awaited)
        if before_wake > 0:
            interval = before_wake
        return max(min(interval, self._until_deadline(), self.timeout - run_duration()), 0.0)

    # ---- deferrable mode ---------------------------------------------------------------------------------

    def execute(self, context: Context) -> Any:
        """Poke (or reschedule) until done; when deferrable, check once if due, else defer to the trigger."""
        if not self.deferrable:
            try:
                return super().execute(context)
            except AirflowSensorTimeout as timeout:
                if isinstance(timeout, ExecutionWaitTimeout) or self._awaited is None:
                    raise
                self._progress = f"{self._progress} ({timeout})"
                self._time_out()
        awaited = self.awaited(context)
        now = self._now()
        if self._before_wake(awaited) <= 0:
            done = self.poke(context)
            if done:
                return done.xcom_value
            wake_at = first_look(now, self.poke_interval)
        else:
            wake_at = awaited.wake_at
        from airflow_mm_provider.triggers.execution import SageMakerMonitoringExecutionTrigger

        self.defer(
            trigger=SageMakerMonitoringExecutionTrigger(
                monitoring_schedule_name=self.monitoring_schedule_name,
                scheduled_after=awaited.scheduled_after,
                scheduled_before=awaited.scheduled_before,
                wake_at=wake_at - self._clock_ahead,
                deadline=self._deadline.at - self._clock_ahead,
                deadline_reason=self._deadline.reason,
                awaited=awaited.description,
                poll_interval=self.poke_interval,
                aws_conn_id=self.aws_conn_id,
                region_name=self.region_name,
                verify=self.verify,
                botocore_config=self.botocore_config,
            ),
            method_name="execute_complete",
        )

    def execute_complete(self, context: Context, event: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Map the trigger's event to the same outcomes as poke mode."""
        event = event or {}
        status = event.get("status")
        if status in {outcome.value for outcome in Outcome}:
            return self._conclude(Outcome(status), event["execution"])
        message = event.get("message") or f"unexpected trigger event {dict(event)!r}"
        if status == TIMEOUT:
            if self.soft_fail:
                raise AirflowSkipException(message)
            raise ExecutionWaitTimeout(message)
        if status == UNREACHABLE:
            self.fail(message)
        raise AirflowException(f"Waiting for {self.monitoring_schedule_name} failed: {message}")

    # ---- outcome -----------------------------------------------------------------------------------------

    def _conclude(self, outcome: Outcome, summary: dict[str, Any]) -> dict[str, Any]:
        """Fail, skip or return the JSON-safe summary, as the outcome and the user's choices say."""
        if should_fail(
            outcome, fail_on_violations=self.fail_on_violations, fail_on_failed=self.fail_on_failed
        ):
            self.fail(self.hook.describe_failure(summary))
        if outcome is Outcome.FAILED:
            self.log.warning("%s\nfail_on_failed is off, so the task succeeds.", failure_message(summary))
        else:
            self.log.info("%s", outcome_message(summary))
        self.log.info("Execution summary: %s", summary)
        return summary
