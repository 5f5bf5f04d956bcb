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
from typing import TYPE_CHECKING, Any, Literal, NoReturn

from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.providers.common.compat.sdk import (
    AirflowSensorTimeout,
    AirflowSkipException,
    PokeReturnValue,
    conf,
    timezone,
)

from airflow_mm_provider.hooks.model_monitor import expression_of, is_transient_error
from airflow_mm_provider.links.model_monitor import (
    SageMakerMonitoringReportLink,
    SageMakerProcessingJobLink,
    persist_execution_job_link,
    persist_report_link,
)
from airflow_mm_provider.monitoring.outcomes import (
    STATUS_KEY,
    Ending,
    event_ending,
    execution_ending,
    execution_label,
)
from airflow_mm_provider.monitoring.schedule import ScheduleExpression
from airflow_mm_provider.monitoring.slots import (
    AFTER,
    DATA_INTERVAL,
    DEFAULT_APPEAR_BUFFER,
    LATEST,
    AwaitedExecution,
    SlotBeforeCreationError,
    awaited_execution,
    check_wait_for,
    checked_appear_buffer,
)
from airflow_mm_provider.monitoring.times import parse_time
from airflow_mm_provider.monitoring.waiting import (
    Deadline,
    default_deadline,
    service_clock_ahead,
    timeout_message,
    unreachable_reason,
)
from airflow_mm_provider.monitoring.windows import parse_offset
from airflow_mm_provider.sensors.base import SageMakerModelMonitorBaseSensor
from airflow_mm_provider.triggers.resume import first_look
from airflow_mm_provider.utils.outcome import finish
from airflow_mm_provider.utils.templating import is_literal

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context


class ExecutionWaitTimeout(AirflowSensorTimeout):
    """The awaited execution did not end by the deadline; the message names the schedule and slot."""


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
    summary in snake_case, every member present (``monitoring_execution_status``, ``scheduled_time``,
    ``processing_job_arn``, ...; times as ISO-8601 strings), as the one-time operator returns it.

    Waiting vocabulary: ``poke_interval`` and ``timeout`` are ``BaseSensorOperator``'s own (the provider's
    operators call them ``check_interval`` and ``max_ingestion_time``). Deferred, ``poke_interval`` becomes
    the trigger's ``waiter_delay`` and the deadline is the same absolute time as in poke mode.

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
    :param deferrable: wait in the triggerer (default from ``[operators] default_deferrable``), looking every
        ``poke_interval`` seconds.
    :param timeout: seconds (or a timedelta) to wait at most; default derived from the schedule (see above).
    :param kwargs: ``aws_conn_id``, ``region_name``, ``verify``, ``botocore_config`` and the
        ``BaseSensorOperator`` arguments (``poke_interval``, ``mode``, ``soft_fail``, ...).
    """

    template_fields: Sequence[str] = aws_template_fields(
        "monitoring_schedule_name", "wait_for", "after", "schedule_expression", "end_time_offset"
    )
    operator_extra_links = (SageMakerProcessingJobLink(), SageMakerMonitoringReportLink())
    _linked_job_arn: str | None = None

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
        if timeout is not None:
            kwargs["timeout"] = timeout
        super().__init__(**kwargs)
        self.derive_timeout = timeout is None
        self.monitoring_schedule_name = monitoring_schedule_name
        self.wait_for = wait_for
        self.after = after
        self.schedule_expression = schedule_expression
        self.appear_buffer = checked_appear_buffer(appear_buffer)
        self.end_time_offset = end_time_offset
        self.fail_on_violations = fail_on_violations
        self.fail_on_failed = fail_on_failed
        self.deferrable = deferrable
        self._awaited: AwaitedExecution | None = None
        self._deadline: Deadline | None = None
        self._clock_ahead = timedelta(0)
        self._progress = "no execution listed yet"
        if is_literal(wait_for):
            check_wait_for(wait_for)
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
            check_wait_for(self.wait_for)
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
        assert self._awaited is not None and self._deadline is not None  # both set by awaited()
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

    def poke(self, context: Context) -> Literal[False] | PokeReturnValue:
        """No call before the slot; then one ListMonitoringExecutions call; done once the execution ended."""
        awaited = self.awaited(context)
        if awaited.wake_at is not None and self._before_wake(awaited) > 0:
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
        self._link_processing_job(context, summary)
        ending = self._ending(summary)
        if ending is None:
            self._progress = f"the {execution_label(summary)} is {summary.get(STATUS_KEY)}"
            self.log.info("The %s is %s", execution_label(summary), summary.get(STATUS_KEY))
            return self._not_yet()
        self._link_report(context, ending)
        return PokeReturnValue(is_done=True, xcom_value=self._finish(ending))

    def _not_yet(self) -> Literal[False]:
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
        if awaited.wake_at is None or self._before_wake(awaited) <= 0:
            done = self.poke(context)
            if done:
                return done.xcom_value
            wake_at = first_look(now, self.poke_interval)
        else:
            wake_at = awaited.wake_at
        from airflow_mm_provider.triggers.execution import SageMakerMonitoringExecutionTrigger

        assert self._deadline is not None  # set by awaited()
        self.defer(
            trigger=SageMakerMonitoringExecutionTrigger(
                monitoring_schedule_name=self.monitoring_schedule_name,
                scheduled_after=awaited.scheduled_after,
                scheduled_before=awaited.scheduled_before,
                wake_at=wake_at - self._clock_ahead,
                deadline=self._deadline.at - self._clock_ahead,
                deadline_reason=self._deadline.reason,
                awaited=awaited.description,
                waiter_delay=self.poke_interval,
                aws_conn_id=self.aws_conn_id,
                region_name=self.region_name,
                verify=self.verify,
                botocore_config=self.botocore_config,
            ),
            method_name="execute_complete",
        )

    def execute_complete(self, context: Context, event: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Map the trigger's event to the same outcomes as poke mode."""
        ending = event_ending(
            event, fail_on_violations=self.fail_on_violations, fail_on_failed=self.fail_on_failed
        )
        if ending.execution is not None:
            self._link_processing_job(context, ending.execution)
        self._link_report(context, ending)
        return self._finish(ending)

    # ---- outcome -----------------------------------------------------------------------------------------

    def _link_processing_job(self, context: Context, summary: Mapping[str, Any]) -> None:
        """Store the console link of the execution's processing job once it has one (once per job)."""
        arn = summary.get("ProcessingJobArn")
        if arn and arn != self._linked_job_arn:
            url = persist_execution_job_link(context, self, self.hook, summary)
            self._linked_job_arn = arn
            if url:
                self.log.info("Processing job of the %s in the console: %s", execution_label(summary), url)

    def _link_report(self, context: Context, ending: Ending) -> None:
        """Store the link of the report of an execution that wrote one (``Completed``, violations or not)."""
        if ending.execution is not None:
            url = persist_report_link(context, self, self.hook, ending.execution)
            if url:
                self.log.info("Report of the %s: %s", execution_label(ending.execution), url)

    def _ending(self, summary: Mapping[str, Any]) -> Ending | None:
        """What ``summary`` means for the task under its ``fail_on_*`` choices; ``None`` while it runs."""
        return execution_ending(
            summary, fail_on_violations=self.fail_on_violations, fail_on_failed=self.fail_on_failed
        )

    def _finish(self, ending: Ending) -> dict[str, Any]:
        """Fail, skip or return the XCom summary (snake_case), as the ending says."""
        return finish(
            ending,
            subject=self.monitoring_schedule_name,
            describe_failure=self.hook.describe_failure,
            log=self.log,
            soft_fail=self.soft_fail,
            timeout_error=ExecutionWaitTimeout,
        )
