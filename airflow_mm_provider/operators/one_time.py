"""Analyse one window now: :class:`SageMakerOneTimeMonitoringOperator` (a ``NOW`` schedule and its execution).

Request models and the trigger load on first use, so importing this module (which the DAG processor does on
every parse) stays cheap.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, NoReturn

from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.providers.common.compat.sdk import conf

from airflow_mm_provider.links.model_monitor import (
    SageMakerMonitoringReportLink,
    SageMakerProcessingJobLink,
    persist_execution_job_link,
    persist_report_link,
)
from airflow_mm_provider.monitoring import checks, names, windows
from airflow_mm_provider.monitoring.outcomes import (
    STATUS_KEY,
    TIMEOUT,
    Ending,
    event_ending,
    execution_ending,
    execution_label,
    execution_summary,
)
from airflow_mm_provider.monitoring.schedule import NOW, ScheduleExpression
from airflow_mm_provider.monitoring.times import HOUR, floor_hour, parse_time
from airflow_mm_provider.monitoring.types import monitoring_type_api
from airflow_mm_provider.monitoring.waiting import timeout_message
from airflow_mm_provider.operators.base import SageMakerModelMonitorBaseOperator
from airflow_mm_provider.operators.job_definition import (
    JOB_DEFINITION_FIELDS,
    SCHEDULE_NAME_FIELD,
    TYPE_FIELD,
    JobDefinitionArgs,
    all_literal,
    tags_request,
)
from airflow_mm_provider.utils.outcome import finish
from airflow_mm_provider.utils.templating import is_literal
from airflow_mm_provider.utils.waiting import (
    EXECUTION_CHECK_INTERVAL,
    EXECUTION_MAX_INGESTION_TIME,
    NOTSET,
    SCHEDULE_CHECK_INTERVAL,
    checked_interval,
    checked_max_wait,
    dropped_argument,
    renamed_argument,
)

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_mm_provider.operators.job_definition import JobDefinition

NOW_TIMES_PREFIX = "MonitoringScheduleConfig.ScheduleConfig"
ONE_TIME_SCOPE = "one-time-monitoring"
"""Mixed into derived one-time schedule names, so they differ from a baseline job of the same task."""
AWAITED = "the one-time execution"
"""What the one-time operator waits for, in timeout messages."""
_SCHEDULE_WAIT_NAMES = {
    "schedule_poll_interval": "check_interval",
    "schedule_wait_timeout": "max_ingestion_time",
}
"""Deprecated names of the hook's schedule wait settings, and the hook parameters they set."""


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def one_time_schedule_name(dag_id: str, task_id: str, run_id: str, map_index: int = -1) -> str:
    """The deterministic name of a task run's one-time schedule (valid, at most 63 characters).

    A retry of the same task in the same DAG run gets the same name, so it re-attaches to its schedule.

    :param dag_id: the DAG id.
    :param task_id: the task id.
    :param run_id: the DAG run id.
    :param map_index: the map index of a mapped task, -1 otherwise.
    """
    task = task_id if map_index is None or map_index < 0 else f"{task_id}-{map_index}"
    return names.run_scoped_name(dag_id, task, run_id, ONE_TIME_SCOPE)


def check_window(window_start: datetime | str, window_end: datetime | str) -> tuple[datetime, datetime]:
    """Parse a one-time analysis window and check it: start before end, at most 24 hours.

    :param window_start: first instant analysed (aware datetime or ISO-8601 string).
    :param window_end: end of the window, excluded.
    :return: both as UTC datetimes.
    """
    start, end = parse_time(window_start, "window_start"), parse_time(window_end, "window_end")
    windows.now_analysis_times(start, end, max(start, end) + HOUR, NOW_TIMES_PREFIX)
    return start, end


class SageMakerOneTimeMonitoringOperator(JobDefinitionArgs, SageMakerModelMonitorBaseOperator):
    """Analyse one window now: a ``NOW`` schedule, its single execution, then clean up.

    The window (at most 24 hours, ending no later than now) defaults to the DAG run's data interval; it
    becomes the schedule's ``DataAnalysisStartTime`` / ``DataAnalysisEndTime`` offsets from now. The service
    takes those offsets from the moment it creates the schedule (to the whole second), so the analysed
    window, logged and returned, is the requested one shifted by the time the create call took. The
    schedule name derives from the DAG, task and run, so a retry re-attaches to the schedule (and execution)
    of the earlier try. After the execution ends, and also when the task fails, the schedule and its job
    definition are deleted (``delete_after``); the execution history stays.

    Outcomes: ``Completed`` succeeds; ``CompletedWithViolations`` succeeds unless ``fail_on_violations``
    (then the task fails without retry: the data will not change); ``Failed`` / ``Stopped`` fail when
    ``fail_on_failed`` (retryable; the message carries ``FailureReason`` and the processing job's exit
    text). In the worker and in the triggerer alike, the wait gives up ``max_ingestion_time`` seconds after it
    started. Returns (XCom) the execution summary in snake_case (``monitoring_execution_status``,
    ``scheduled_time``, ``processing_job_arn``, ...; times as ISO-8601 strings); with
    ``wait_for_completion=False`` the schedule name and analysis times instead.

    :param monitoring_type: ``DataQuality``, ``ModelQuality``, ``ModelBias`` or ``ModelExplainability``
        (templated).
    :param job_definition: a typed spec or the API-shaped ``Create<T>JobDefinition`` dict (templated when a
        dict).
    :param window_start: first instant analysed, aware datetime or ISO-8601 string (templated); default the
        data interval start.
    :param window_end: end of the analysed window, excluded (templated); default the data interval end.
    :param monitoring_schedule_name: the one-time schedule's name (templated); default derived from the DAG,
        task and run.
    :param baseline: the XCom dict of a baseline operator (see
        :class:`~airflow_mm_provider.operators.schedule.SageMakerMonitoringScheduleOperator`).
    :param constraints_uri: S3 URI of the baseline constraints (templated).
    :param statistics_uri: S3 URI of the baseline statistics, data quality only (templated).
    :param tags: tags of the schedule (templated).
    :param wait_for_completion: wait for the execution; when False, return once the schedule exists and
        leave it in place.
    :param deferrable: wait in the triggerer (default from ``[operators] default_deferrable``); an execution
        found ended by one ListMonitoringExecutions call just before is not deferred for.
    :param fail_on_violations: fail when the execution found constraint violations.
    :param fail_on_failed: fail when the execution ended ``Failed`` or ``Stopped``.
    :param check_interval: seconds between two ListMonitoringExecutions calls while waiting, and the
        trigger's ``waiter_delay`` when deferred (formerly ``poll_interval``; default 60). While the schedule
        settles after its creation or deletion, it is looked at every ``min(check_interval, 5)`` seconds.
    :param max_ingestion_time: seconds to wait for the execution to end, ``None`` for no limit (formerly
        ``timeout``; default 7200).
    :param delete_after: delete the schedule and its job definition once the wait is over.
    :param kwargs: see :class:`~airflow_mm_provider.operators.base.SageMakerModelMonitorBaseOperator`. The
        deprecated ``schedule_poll_interval`` / ``schedule_wait_timeout`` still time the waits for the
        schedule itself for one release.
    """

    template_fields: Sequence[str] = aws_template_fields(
        *JOB_DEFINITION_FIELDS, "window_start", "window_end", "monitoring_schedule_name"
    )
    operator_extra_links = (SageMakerProcessingJobLink(), SageMakerMonitoringReportLink())

    def __init__(
        self,
        *,
        monitoring_type: str,
        job_definition: JobDefinition,
        window_start: datetime | str | None = None,
        window_end: datetime | str | None = None,
        monitoring_schedule_name: str | None = None,
        baseline: Mapping[str, Any] | None = None,
        constraints_uri: str | None = None,
        statistics_uri: str | None = None,
        tags: Mapping[str, str] | Sequence[Mapping[str, str]] | None = None,
        wait_for_completion: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        fail_on_violations: bool = False,
        fail_on_failed: bool = True,
        check_interval: float = NOTSET,
        max_ingestion_time: float | None = NOTSET,
        delete_after: bool = True,
        **kwargs: Any,
    ) -> None:
        interval = renamed_argument(
            kwargs, "check_interval", check_interval, "poll_interval", EXECUTION_CHECK_INTERVAL
        )
        limit = renamed_argument(
            kwargs, "max_ingestion_time", max_ingestion_time, "timeout", EXECUTION_MAX_INGESTION_TIME
        )
        schedule_wait = {
            hook_name: dropped_argument(
                kwargs, old, "the schedule is then waited for with the hook's defaults"
            )
            for old, hook_name in _SCHEDULE_WAIT_NAMES.items()
            if old in kwargs
        }
        super().__init__(**kwargs)
        self.monitoring_type = monitoring_type
        self.job_definition = job_definition
        self.window_start = window_start
        self.window_end = window_end
        self.monitoring_schedule_name = monitoring_schedule_name
        self.baseline = baseline
        self.constraints_uri = constraints_uri
        self.statistics_uri = statistics_uri
        self.tags = tags
        self.wait_for_completion = wait_for_completion
        self.deferrable = deferrable
        self.fail_on_violations = fail_on_violations
        self.fail_on_failed = fail_on_failed
        self.check_interval = checked_interval(interval)
        self.max_ingestion_time = checked_max_wait(limit)
        self.delete_after = delete_after
        self._schedule_wait = schedule_wait
        if (window_start is None) != (window_end is None):
            raise ValueError("window_start, window_end: give both, or neither to use the data interval")
        self.validate()

    @property
    def _hook_parameters(self) -> dict[str, Any]:
        interval = min(self.check_interval, SCHEDULE_CHECK_INTERVAL)
        return {**super()._hook_parameters, "check_interval": interval, **self._schedule_wait}

    def validate(self) -> None:
        """Check every parameter that holds no template or XComArg (raises naming the API field)."""
        if self.monitoring_schedule_name is not None and is_literal(self.monitoring_schedule_name):
            checks.check_name(self.monitoring_schedule_name, SCHEDULE_NAME_FIELD)
        if is_literal(self.monitoring_type):
            monitoring_type_api(self.monitoring_type, TYPE_FIELD)
        if is_literal(self.tags):
            tags_request(self.tags)
        start, end = self.window_start, self.window_end
        if start is not None and end is not None and all_literal(start, end):
            check_window(start, end)
        if self._job_definition_literal():
            self.resolved_job_definition()

    # ---- run -------------------------------------------------------------------------------------------

    def _window(self, context: Context) -> tuple[datetime, datetime]:
        if self.window_start is not None and self.window_end is not None:
            return check_window(self.window_start, self.window_end)
        start, end = context.get("data_interval_start"), context.get("data_interval_end")
        if start is None or end is None:
            raise ValueError(
                "window_start, window_end: this DAG run has no data interval; pass the window explicitly"
            )
        return check_window(start, end)

    def _schedule_name(self, context: Context) -> str:
        if self.monitoring_schedule_name:
            return self.monitoring_schedule_name
        ti = context["ti"]
        return one_time_schedule_name(ti.dag_id, ti.task_id, ti.run_id, getattr(ti, "map_index", -1))

    def execute(self, context: Context) -> dict[str, Any]:
        """Create (or re-attach to) the NOW schedule, wait for its execution, clean up, return the summary."""
        self.validate()
        definition = self.resolved_job_definition()
        window_start, window_end = self._window(context)
        name = self._schedule_name(context)
        checks.check_name(name, SCHEDULE_NAME_FIELD)
        now = _utcnow()
        start_time, end_time = windows.now_analysis_times(window_start, window_end, now, NOW_TIMES_PREFIX)
        deferred = False
        try:
            schedule = self._ensure_schedule(name, definition, start_time, end_time)
            created = now if schedule is None else schedule["CreationTime"]
            scheduled_after = floor_hour(created, "CreationTime")
            window = self._analysed_window(schedule, created, start_time, end_time)
            self.log.info(
                "One-time %s run %s analyses [%s, %s) (requested [%s, %s))",
                self.monitoring_type,
                name,
                window.start.isoformat(),
                window.end.isoformat(),
                window_start.isoformat(),
                window_end.isoformat(),
            )
            if not self.wait_for_completion:
                return {
                    "monitoring_schedule_name": name,
                    "scheduled_after": scheduled_after.isoformat(),
                    "data_analysis_start_time": start_time,
                    "data_analysis_end_time": end_time,
                    "analysis_window_start": window.start.isoformat(),
                    "analysis_window_end": window.end.isoformat(),
                }
            limit = self.max_ingestion_time
            deadline = None if limit is None else now + timedelta(seconds=limit)
            if self.deferrable:
                summary = self.hook.find_execution(name, scheduled_after=scheduled_after)
                ending = None if summary is None else self._ending(summary)
                if ending is None:
                    deferred = True
                    self._defer(name, scheduled_after, deadline)
                label = execution_label(ending.execution or {})
                self.log.info("The %s has already ended; not deferring", label)
            else:
                ending = self._wait(name, scheduled_after, deadline)
            return self._finish(context, name, ending)
        finally:
            if not deferred and self.wait_for_completion:
                self._clean_up(name)

    def _ending(self, summary: Mapping[str, Any]) -> Ending | None:
        """What ``summary`` means for the task under its ``fail_on_*`` choices; ``None`` while it runs."""
        return execution_ending(
            summary, fail_on_violations=self.fail_on_violations, fail_on_failed=self.fail_on_failed
        )

    def _deadline_reason(self) -> str:
        return f"max_ingestion_time {self.max_ingestion_time:g} s"

    def _defer(self, name: str, scheduled_after: datetime, deadline: datetime | None) -> NoReturn:
        """Hand the wait to the execution trigger, whose first look comes one check interval from now."""
        from airflow_mm_provider.triggers.execution import SageMakerMonitoringExecutionTrigger
        from airflow_mm_provider.triggers.resume import first_look

        trigger = SageMakerMonitoringExecutionTrigger(
            monitoring_schedule_name=name,
            scheduled_after=scheduled_after,
            wake_at=first_look(_utcnow(), self.check_interval),
            deadline=deadline,
            deadline_reason=None if deadline is None else self._deadline_reason(),
            awaited=AWAITED,
            waiter_delay=self.check_interval,
            aws_conn_id=self.aws_conn_id,
            region_name=self.region_name,
            verify=self.verify,
            botocore_config=self.botocore_config,
        )
        self.defer(trigger=trigger, method_name="execute_complete", kwargs={"monitoring_schedule_name": name})

    def execute_complete(
        self, context: Context, event: Mapping[str, Any] | None = None, monitoring_schedule_name: str = ""
    ) -> dict[str, Any]:
        """Map the trigger's event to the outcome, then delete the one-time schedule whatever happened."""
        name = monitoring_schedule_name or self._schedule_name(context)
        try:
            ending = event_ending(
                event, fail_on_violations=self.fail_on_violations, fail_on_failed=self.fail_on_failed
            )
            return self._finish(context, name, ending)
        finally:
            self._clean_up(name)

    @staticmethod
    def _analysed_window(
        schedule: Mapping[str, Any] | None, created: datetime, start_time: str, end_time: str
    ) -> windows.AnalysisWindow:
        """The window the service analyses: the schedule's analysis times from its creation."""
        config = ((schedule or {}).get("MonitoringScheduleConfig") or {}).get("ScheduleConfig") or {}
        return windows.now_window(
            created,
            config.get("DataAnalysisStartTime", start_time),
            config.get("DataAnalysisEndTime", end_time),
            NOW_TIMES_PREFIX,
        )

    def _ensure_schedule(
        self, name: str, definition: JobDefinition, start_time: str, end_time: str
    ) -> dict[str, Any] | None:
        """Create the NOW schedule, or re-attach to one an earlier try created; return its description
        (None when it cannot be read back)."""
        existing = self.hook.describe_schedule_or_none(name)
        if existing is not None:
            config = existing["MonitoringScheduleConfig"]
            expression = (config.get("ScheduleConfig") or {}).get("ScheduleExpression")
            wanted = names.job_definition_name(
                name,
                self.monitoring_type,
                self._job_definition_request(definition),
            )
            if expression == NOW and config.get("MonitoringJobDefinitionName") == wanted:
                self.log.info("Re-attaching to one-time schedule %s created by an earlier try", name)
                return existing
            self.log.info("Replacing schedule %s, which does not run this one-time job", name)
            self.hook.delete_schedule_and_job_definitions(name, missing_ok=True)
        self.hook.create_or_update_schedule(
            name,
            self.monitoring_type,
            definition,
            ScheduleExpression.now(),
            data_analysis_start_time=start_time,
            data_analysis_end_time=end_time,
            tags=tags_request(self.tags),
            wait=True,
        )
        return self.hook.describe_schedule_or_none(name)

    def _wait(self, name: str, scheduled_after: datetime, deadline: datetime | None) -> Ending:
        """Poll ListMonitoringExecutions (one call a poll) until the execution ends or the deadline passes."""
        while True:
            summary = self.hook.find_execution(name, scheduled_after=scheduled_after)
            ending = None if summary is None else self._ending(summary)
            if ending is not None:
                return ending
            progress = (
                "no execution listed yet"
                if summary is None
                else f"the {execution_label(summary)} is {summary.get(STATUS_KEY)}"
            )
            remaining = None if deadline is None else (deadline - _utcnow()).total_seconds()
            if deadline is not None and remaining is not None and remaining <= 0:
                message = timeout_message(name, AWAITED, deadline, progress, self._deadline_reason())
                return Ending(TIMEOUT, None if summary is None else execution_summary(summary), message, True)
            self.log.info("One-time run %s: %s; next look in %g s", name, progress, self.check_interval)
            time.sleep(self.check_interval if remaining is None else min(self.check_interval, remaining))

    def _finish(self, context: Context, name: str, ending: Ending) -> dict[str, Any]:
        """Persist the processing-job and report links, then fail or return the XCom summary as the ending
        says (no schedule link: the schedule is deleted afterwards)."""
        if ending.execution is not None:
            persist_execution_job_link(context, self, self.hook, ending.execution)
            persist_report_link(context, self, self.hook, ending.execution, self.monitoring_type)
        return finish(
            ending,
            subject=f"the one-time run {name}",
            describe_failure=self.hook.describe_failure,
            log=self.log,
            retry_failed=True,
        )

    def _clean_up(self, name: str) -> None:
        """Delete the one-time schedule and its job definitions when ``delete_after``; never raises."""
        if not self.delete_after:
            return
        try:
            result = self.hook.delete_schedule_and_job_definitions(name, missing_ok=True)
        except Exception as exc:
            self.log.warning("Could not delete one-time schedule %s (delete it later): %s", name, exc)
            return
        self.log.info(
            "Deleted one-time schedule %s and job definitions %s", name, result.deleted_job_definitions
        )
