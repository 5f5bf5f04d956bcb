"""Keep monitoring schedules in the wanted state, and run a one-time (``NOW``) monitoring job.

- :class:`SageMakerMonitoringScheduleOperator` creates or updates a schedule (converging on retry).
- :class:`SageMakerStartMonitoringScheduleOperator` / :class:`SageMakerStopMonitoringScheduleOperator`.
- :class:`SageMakerDeleteMonitoringScheduleOperator` deletes a schedule and the job definitions it owned.
- :class:`SageMakerOneTimeMonitoringOperator` analyses one window (by default the DAG run's data interval)
  with a ``NOW`` schedule, waits for its execution and deletes the schedule again.

Request models and the trigger load on first use, so importing this module (which the DAG processor does on
every parse) stays cheap.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from copy import deepcopy
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.providers.common.compat.sdk import (
    AirflowException,
    AirflowFailException,
    conf,
)

from airflow_mm_provider.hooks.model_monitor import (
    SageMakerModelMonitorHook,
)
from airflow_mm_provider.links.model_monitor import (
    SageMakerMonitoringScheduleLink,
    SageMakerProcessingJobLink,
    persist_link,
)
from airflow_mm_provider.monitoring import checks, names, windows
from airflow_mm_provider.monitoring.outcomes import (
    STATUS_KEY,
    TIMEOUT,
    Outcome,
    classify,
    execution_label,
    execution_summary,
    failure_message,
    outcome_message,
    should_fail,
)
from airflow_mm_provider.monitoring.schedule import HOUR, NOW, ScheduleExpression, floor_hour, parse_time
from airflow_mm_provider.monitoring.types import monitoring_type_api
from airflow_mm_provider.operators.templating import is_literal

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_mm_provider.monitoring.job_definitions import JobDefinitionSpec

    JobDefinition = JobDefinitionSpec | Mapping[str, Any]

SCHEDULED = "Scheduled"
STOPPED = "Stopped"
SCHEDULE_NAME_FIELD = "MonitoringScheduleName"
TYPE_FIELD = "MonitoringScheduleConfig.MonitoringType"
EXPRESSION_FIELD = "MonitoringScheduleConfig.ScheduleConfig.ScheduleExpression"
NOW_TIMES_PREFIX = "MonitoringScheduleConfig.ScheduleConfig"
ONE_TIME_SCOPE = "one-time-monitoring"
"""Mixed into derived one-time schedule names, so they differ from a baseline job of the same task."""

_VALIDATION_NAME = "validation-only"
"""Stand-in job-definition name while validating; the hook names the definition by its content."""


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _all_literal(*values: Any) -> bool:
    return all(is_literal(value) for value in values)


def _tags_request(
    tags: Mapping[str, str] | Sequence[Mapping[str, str]] | None,
) -> list[dict[str, str]] | None:
    """``tags`` as the API's ``Tags`` list (validated), or None when none are given.

    :param tags: ``{key: value}`` or the API list.
    """
    from airflow_mm_provider.monitoring.inputs import Tags

    return None if tags is None else Tags(tags).to_api()


# ---- job definitions and baselines -----------------------------------------------------------------------


def baseline_members(
    monitoring_type: str,
    baseline: Mapping[str, Any] | None = None,
    constraints_uri: str | None = None,
    statistics_uri: str | None = None,
) -> dict[str, Any]:
    """The ``<T>BaselineConfig`` members that point a job definition at a baseline.

    :param monitoring_type: the monitor type; only ``DataQuality`` takes a statistics file.
    :param baseline: the XCom value of a baseline operator: ``job_name`` becomes ``BaseliningJobName``,
        ``constraints_uri`` (else ``analysis_uri``, the Clarify baseline) ``ConstraintsResource`` and, for
        data quality, ``statistics_uri`` ``StatisticsResource``.
    :param constraints_uri: an explicit constraints (or Clarify ``analysis.json``) S3 URI; wins over
        ``baseline``.
    :param statistics_uri: an explicit ``statistics.json`` S3 URI (data quality only); wins over ``baseline``.
    """
    from airflow_mm_provider.monitoring.inputs import BaselineConfig

    api = monitoring_type_api(monitoring_type, TYPE_FIELD)
    if baseline is not None and not isinstance(baseline, Mapping):
        raise ValueError(
            "baseline: must be the dict a baseline operator returns (keys job_name, constraints_uri, "
            f"statistics_uri, analysis_uri), got {type(baseline).__name__}"
        )
    found = dict(baseline or {})
    constraints = constraints_uri or found.get("constraints_uri") or found.get("analysis_uri")
    statistics = statistics_uri or (found.get("statistics_uri") if api.has_statistics_baseline else None)
    return BaselineConfig(found.get("job_name"), constraints, statistics).to_api()


def with_baseline(
    monitoring_type: str, job_definition: JobDefinition, members: Mapping[str, Any]
) -> JobDefinition:
    """``job_definition`` with ``members`` merged into its baseline config (given members win).

    :param monitoring_type: the monitor type of the definition.
    :param job_definition: a typed spec or the API-shaped ``Create<T>JobDefinition`` dict (not modified).
    :param members: ``<T>BaselineConfig`` members, e.g. from :func:`baseline_members`.
    """
    from airflow_mm_provider.monitoring.inputs import BaselineConfig
    from airflow_mm_provider.monitoring.job_definitions import JobDefinitionSpec

    if not members:
        return job_definition
    if isinstance(job_definition, JobDefinitionSpec):
        current = job_definition.baseline.to_api() if job_definition.baseline is not None else {}
        merged = {**current, **members}
        config = BaselineConfig(
            merged.get("BaseliningJobName"),
            (merged.get("ConstraintsResource") or {}).get("S3Uri"),
            (merged.get("StatisticsResource") or {}).get("S3Uri"),
        )
        return replace(job_definition, baseline=config)
    key = monitoring_type_api(monitoring_type, TYPE_FIELD).baseline_config_key
    request = deepcopy(dict(checks.check_object(job_definition, f"{monitoring_type}JobDefinition")))
    request[key] = {**(request.get(key) or {}), **members}
    return request


class _JobDefinitionArgs:
    """The job-definition parameters shared by the schedule and one-time operators."""

    monitoring_type: str
    job_definition: JobDefinition
    baseline: Mapping[str, Any] | None
    constraints_uri: str | None
    statistics_uri: str | None

    def _job_definition_literal(self) -> bool:
        return _all_literal(
            self.monitoring_type,
            self.job_definition,
            self.baseline,
            self.constraints_uri,
            self.statistics_uri,
        )

    def resolved_job_definition(self) -> JobDefinition:
        """The job definition with the baseline merged in, validated (raises naming the field)."""
        members = baseline_members(
            self.monitoring_type, self.baseline, self.constraints_uri, self.statistics_uri
        )
        definition = with_baseline(self.monitoring_type, self.job_definition, members)
        self._job_definition_request(definition)
        return definition

    def _job_definition_request(self, definition: JobDefinition) -> dict[str, Any]:
        """The validated ``Create<T>JobDefinition`` request of ``definition``, under a stand-in name."""
        from airflow_mm_provider.monitoring.job_definitions import job_definition_request

        return job_definition_request(self.monitoring_type, definition, _VALIDATION_NAME)


# ---- operators -------------------------------------------------------------------------------------------


class SageMakerModelMonitorBaseOperator(AwsBaseOperator[SageMakerModelMonitorHook]):
    """Base of the Model Monitor operators: an ``AwsBaseOperator`` on :class:`SageMakerModelMonitorHook`.

    :param schedule_poll_interval: seconds between two DescribeMonitoringSchedule calls while a schedule
        settles after a change.
    :param schedule_wait_timeout: seconds one wait for a schedule (or a deletion) may take.
    :param kwargs: ``aws_conn_id``, ``region_name``, ``verify``, ``botocore_config`` and every
        ``BaseOperator`` argument.
    """

    aws_hook_class = SageMakerModelMonitorHook
    ui_color = "#c9e4f5"

    def __init__(
        self, *, schedule_poll_interval: float = 5.0, schedule_wait_timeout: float = 180.0, **kwargs: Any
    ):
        super().__init__(**kwargs)
        if schedule_poll_interval <= 0:
            raise ValueError(f"schedule_poll_interval: must be positive, got {schedule_poll_interval}")
        if schedule_wait_timeout < 0:
            raise ValueError(f"schedule_wait_timeout: must not be negative, got {schedule_wait_timeout}")
        self.schedule_poll_interval = schedule_poll_interval
        self.schedule_wait_timeout = schedule_wait_timeout

    @property
    def _hook_parameters(self) -> dict[str, Any]:
        return {
            **super()._hook_parameters,
            "schedule_poll_interval": self.schedule_poll_interval,
            "schedule_wait_timeout": self.schedule_wait_timeout,
        }

    def persist_schedule_link(self, context: Context, schedule_name: str) -> None:
        """Store the schedule's console link and log its URL."""
        url = persist_link(
            SageMakerMonitoringScheduleLink, context, self, self.hook, schedule_name=schedule_name
        )
        self.log.info("Monitoring schedule %s in the console: %s", schedule_name, url)


class SageMakerMonitoringScheduleOperator(_JobDefinitionArgs, SageMakerModelMonitorBaseOperator):
    """Create a monitoring schedule, or update it in place, so it runs ``job_definition`` on ``schedule``.

    The job definition gets a name derived from its content: an unchanged definition is left alone, a changed
    one is created under a new name, the schedule is pointed at it and the old one is deleted. A retried task
    therefore converges on one schedule and one job definition. Literal values are validated when the DAG is
    parsed, templated ones before the first AWS call; errors name the API field.

    Returns (XCom) ``monitoring_schedule_name``, ``monitoring_schedule_arn``, ``monitoring_type``,
    ``job_definition_name`` and ``action`` (``created``, ``updated`` or ``unchanged``).

    :param monitoring_schedule_name: the schedule (templated).
    :param monitoring_type: ``DataQuality``, ``ModelQuality``, ``ModelBias`` or ``ModelExplainability``
        (templated).
    :param job_definition: a typed spec (e.g. ``DataQualityJobDefinition``) or the API-shaped
        ``Create<T>JobDefinition`` dict without a name (templated when a dict).
    :param schedule: a :class:`ScheduleExpression` or its API string (templated); ``None`` lets the service
        pick a daily time on create and keeps the current expression on update. ``NOW`` is refused, as it
        needs analysis times: use :class:`SageMakerOneTimeMonitoringOperator`.
    :param baseline: the XCom dict of a baseline operator (templated / ``XComArg``), merged into the job
        definition's baseline config.
    :param constraints_uri: S3 URI of the baseline constraints (Clarify: ``analysis.json``) (templated).
    :param statistics_uri: S3 URI of the baseline ``statistics.json``, data quality only (templated).
    :param tags: tags of a new schedule, as a mapping or an API tag list (templated).
    :param wait_for_schedule: wait until the schedule has left ``Pending`` (a ``Failed`` schedule fails the
        task with its ``FailureReason``).
    :param kwargs: see :class:`SageMakerModelMonitorBaseOperator`.
    """

    template_fields: Sequence[str] = aws_template_fields(
        "monitoring_schedule_name",
        "monitoring_type",
        "job_definition",
        "schedule",
        "baseline",
        "constraints_uri",
        "statistics_uri",
        "tags",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {
        "job_definition": "json",
        "baseline": "json",
        "tags": "json",
    }
    operator_extra_links = (SageMakerMonitoringScheduleLink(),)

    def __init__(
        self,
        *,
        monitoring_schedule_name: str,
        monitoring_type: str,
        job_definition: JobDefinition,
        schedule: ScheduleExpression | str | None = None,
        baseline: Mapping[str, Any] | None = None,
        constraints_uri: str | None = None,
        statistics_uri: str | None = None,
        tags: Mapping[str, str] | Sequence[Mapping[str, str]] | None = None,
        wait_for_schedule: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.monitoring_schedule_name = monitoring_schedule_name
        self.monitoring_type = monitoring_type
        self.job_definition = job_definition
        self.schedule = schedule
        self.baseline = baseline
        self.constraints_uri = constraints_uri
        self.statistics_uri = statistics_uri
        self.tags = tags
        self.wait_for_schedule = wait_for_schedule
        self.validate()

    def validate(self) -> None:
        """Check every parameter that holds no template or XComArg (raises naming the API field)."""
        if is_literal(self.monitoring_schedule_name):
            checks.check_name(self.monitoring_schedule_name, SCHEDULE_NAME_FIELD)
        if is_literal(self.monitoring_type):
            monitoring_type_api(self.monitoring_type, TYPE_FIELD)
        if self.schedule is not None and is_literal(self.schedule):
            from airflow_mm_provider.monitoring.job_definitions import validate_schedule_config

            validate_schedule_config(self.schedule)
        if is_literal(self.tags):
            _tags_request(self.tags)
        if self._job_definition_literal():
            from airflow_mm_provider.monitoring.job_definitions import validate_runtime_for_schedule

            definition = self.resolved_job_definition()
            if is_literal(self.schedule):
                validate_runtime_for_schedule(self.monitoring_type, definition, self.schedule)

    def execute(self, context: Context) -> dict[str, Any]:
        """Create or update the schedule; return its name, ARN, job definition and the action taken."""
        self.validate()
        definition = self.resolved_job_definition()
        result = self.hook.create_or_update_schedule(
            self.monitoring_schedule_name,
            self.monitoring_type,
            definition,
            self.schedule,
            tags=_tags_request(self.tags),
            wait=self.wait_for_schedule,
        )
        self.log.info(
            "Monitoring schedule %s: %s; it runs %s job definition %s",
            result["MonitoringScheduleName"],
            result["Action"],
            self.monitoring_type,
            result["JobDefinitionName"],
        )
        self.persist_schedule_link(context, result["MonitoringScheduleName"])
        return {
            "monitoring_schedule_name": result["MonitoringScheduleName"],
            "monitoring_schedule_arn": result["MonitoringScheduleArn"],
            "monitoring_type": self.monitoring_type,
            "job_definition_name": result["JobDefinitionName"],
            "action": result["Action"],
        }


class _ScheduleStatusOperator(SageMakerModelMonitorBaseOperator):
    """Bring a schedule to ``target_status`` (nothing to do when it is there already)."""

    template_fields: Sequence[str] = aws_template_fields("monitoring_schedule_name")
    operator_extra_links = (SageMakerMonitoringScheduleLink(),)
    target_status: ClassVar[str]

    def __init__(
        self, *, monitoring_schedule_name: str, wait_for_schedule: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.monitoring_schedule_name = monitoring_schedule_name
        self.wait_for_schedule = wait_for_schedule
        if is_literal(monitoring_schedule_name):
            checks.check_name(monitoring_schedule_name, SCHEDULE_NAME_FIELD)

    def change(self, name: str) -> None:
        """Ask the service for the change (without waiting)."""
        raise NotImplementedError

    def execute(self, context: Context) -> dict[str, Any]:
        """Change the status unless it is already the target; wait for it; return the name and status."""
        name = self.monitoring_schedule_name
        checks.check_name(name, SCHEDULE_NAME_FIELD)
        status = self.hook.describe_schedule(name)["MonitoringScheduleStatus"]
        self.persist_schedule_link(context, name)
        if status == self.target_status:
            self.log.info("Monitoring schedule %s is already %s", name, status)
        else:
            self.change(name)
            if self.wait_for_schedule:
                status = self.hook.wait_for_schedule(name)["MonitoringScheduleStatus"]
                if status != self.target_status:
                    raise AirflowException(
                        f"Monitoring schedule {name} is {status} after the change, not {self.target_status}"
                    )
            else:
                status = self.hook.describe_schedule(name)["MonitoringScheduleStatus"]
        return {"monitoring_schedule_name": name, "status": status}


class SageMakerStartMonitoringScheduleOperator(_ScheduleStatusOperator):
    """Start a stopped monitoring schedule and (by default) wait until it is ``Scheduled``.

    Returns (XCom) ``monitoring_schedule_name`` and ``status``.

    :param monitoring_schedule_name: the schedule (templated).
    :param wait_for_schedule: wait until the schedule has left ``Pending``, and fail unless it is then
        ``Scheduled``.
    :param kwargs: see :class:`SageMakerModelMonitorBaseOperator`.
    """

    target_status = SCHEDULED

    def change(self, name: str) -> None:
        """Call StartMonitoringSchedule."""
        self.hook.start_schedule(name, wait=False)


class SageMakerStopMonitoringScheduleOperator(_ScheduleStatusOperator):
    """Stop a monitoring schedule and (by default) wait until it is ``Stopped``; a running execution goes on.

    Returns (XCom) ``monitoring_schedule_name`` and ``status``.

    :param monitoring_schedule_name: the schedule (templated).
    :param wait_for_schedule: wait until the schedule has left ``Pending``, and fail unless it is then
        ``Stopped``.
    :param kwargs: see :class:`SageMakerModelMonitorBaseOperator`.
    """

    target_status = STOPPED

    def change(self, name: str) -> None:
        """Call StopMonitoringSchedule."""
        self.hook.stop_schedule(name, wait=False)


class SageMakerDeleteMonitoringScheduleOperator(SageMakerModelMonitorBaseOperator):
    """Delete a monitoring schedule, then the job definitions it owned (its execution history stays).

    Waits until the schedule is gone (its job definition is locked until then), deletes the definition it
    references and any definition this provider named for it, unless another schedule references one, and
    waits until they are gone. Returns (XCom) ``monitoring_schedule_name``, ``schedule_deleted`` and
    ``deleted_job_definitions``.

    :param monitoring_schedule_name: the schedule (templated).
    :param ignore_missing: a missing schedule is not an error (job definitions left behind for it are still
        deleted), so a retried delete converges.
    :param delete_job_definitions: also delete the schedule's job definitions.
    :param kwargs: see :class:`SageMakerModelMonitorBaseOperator`.
    """

    template_fields: Sequence[str] = aws_template_fields("monitoring_schedule_name")

    def __init__(
        self,
        *,
        monitoring_schedule_name: str,
        ignore_missing: bool = False,
        delete_job_definitions: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.monitoring_schedule_name = monitoring_schedule_name
        self.ignore_missing = ignore_missing
        self.delete_job_definitions = delete_job_definitions
        if is_literal(monitoring_schedule_name):
            checks.check_name(monitoring_schedule_name, SCHEDULE_NAME_FIELD)

    def execute(self, context: Context) -> dict[str, Any]:
        """Delete the schedule and its job definitions."""
        checks.check_name(self.monitoring_schedule_name, SCHEDULE_NAME_FIELD)
        name = self.monitoring_schedule_name
        if self.delete_job_definitions:
            result = self.hook.delete_schedule_and_job_definitions(name, missing_ok=self.ignore_missing)
        else:
            result = {
                "monitoring_schedule_name": name,
                "schedule_deleted": self.hook.delete_schedule(name, missing_ok=self.ignore_missing),
                "deleted_job_definitions": [],
            }
        if not result["schedule_deleted"]:
            self.log.info(
                "Monitoring schedule %s does not exist; nothing to delete", self.monitoring_schedule_name
            )
        self.log.info(
            "Deleted job definitions of %s: %s",
            self.monitoring_schedule_name,
            ", ".join(result["deleted_job_definitions"]) or "none",
        )
        return result


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


class SageMakerOneTimeMonitoringOperator(_JobDefinitionArgs, SageMakerModelMonitorBaseOperator):
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
    text). Returns (XCom) the execution summary with times as ISO-8601 strings; with
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
    :param baseline: the XCom dict of a baseline operator (see :class:`SageMakerMonitoringScheduleOperator`).
    :param constraints_uri: S3 URI of the baseline constraints (templated).
    :param statistics_uri: S3 URI of the baseline statistics, data quality only (templated).
    :param tags: tags of the schedule (templated).
    :param wait_for_completion: wait for the execution; when False, return once the schedule exists and
        leave it in place.
    :param deferrable: wait in the triggerer (default from ``[operators] default_deferrable``); an execution
        found ended by one ListMonitoringExecutions call just before is not deferred for.
    :param fail_on_violations: fail when the execution found constraint violations.
    :param fail_on_failed: fail when the execution ended ``Failed`` or ``Stopped``.
    :param poll_interval: seconds between two ListMonitoringExecutions calls while waiting.
    :param timeout: seconds to wait for the execution to end (``None``: no limit).
    :param delete_after: delete the schedule and its job definition once the wait is over.
    :param kwargs: see :class:`SageMakerModelMonitorBaseOperator`.
    """

    template_fields: Sequence[str] = aws_template_fields(
        "monitoring_type",
        "job_definition",
        "window_start",
        "window_end",
        "monitoring_schedule_name",
        "baseline",
        "constraints_uri",
        "statistics_uri",
        "tags",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {
        "job_definition": "json",
        "baseline": "json",
        "tags": "json",
    }
    operator_extra_links = (SageMakerMonitoringScheduleLink(), SageMakerProcessingJobLink())

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
        poll_interval: float = 60.0,
        timeout: float | None = 7200.0,
        delete_after: bool = True,
        **kwargs: Any,
    ) -> None:
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
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.delete_after = delete_after
        if poll_interval <= 0:
            raise ValueError(f"poll_interval: must be positive, got {poll_interval}")
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout: must be positive or None, got {timeout}")
        if (window_start is None) != (window_end is None):
            raise ValueError("window_start, window_end: give both, or neither to use the data interval")
        self.validate()

    def validate(self) -> None:
        """Check every parameter that holds no template or XComArg (raises naming the API field)."""
        if self.monitoring_schedule_name is not None and is_literal(self.monitoring_schedule_name):
            checks.check_name(self.monitoring_schedule_name, SCHEDULE_NAME_FIELD)
        if is_literal(self.monitoring_type):
            monitoring_type_api(self.monitoring_type, TYPE_FIELD)
        if is_literal(self.tags):
            _tags_request(self.tags)
        if self.window_start is not None and _all_literal(self.window_start, self.window_end):
            check_window(self.window_start, self.window_end)
        if self._job_definition_literal():
            self.resolved_job_definition()

    # ---- run -------------------------------------------------------------------------------------------

    def _window(self, context: Context) -> tuple[datetime, datetime]:
        if self.window_start is not None:
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
            self.persist_schedule_link(context, name)
            if not self.wait_for_completion:
                return {
                    "monitoring_schedule_name": name,
                    "scheduled_after": scheduled_after.isoformat(),
                    "data_analysis_start_time": start_time,
                    "data_analysis_end_time": end_time,
                    "analysis_window_start": window.start.isoformat(),
                    "analysis_window_end": window.end.isoformat(),
                }
            deadline = None if self.timeout is None else now + timedelta(seconds=self.timeout)
            if self.deferrable:
                summary = self.hook.find_execution(name, scheduled_after=scheduled_after)
                if summary is None or classify(summary.get(STATUS_KEY)) is None:
                    deferred = True
                    self._defer(name, scheduled_after, deadline)
                self.log.info("The %s has already ended; not deferring", execution_label(summary))
            else:
                summary = self._wait(name, scheduled_after, deadline)
            return self._conclude(context, execution_summary(summary))
        finally:
            if not deferred and self.wait_for_completion:
                self._clean_up(name)

    def _defer(self, name: str, scheduled_after: datetime, deadline: datetime | None) -> None:
        """Hand the wait to the execution trigger, whose first look comes one poll interval from now."""
        from airflow_mm_provider.triggers.execution import SageMakerMonitoringExecutionTrigger
        from airflow_mm_provider.triggers.resume import first_look

        trigger = SageMakerMonitoringExecutionTrigger(
            monitoring_schedule_name=name,
            scheduled_after=scheduled_after,
            wake_at=first_look(_utcnow(), self.poll_interval),
            deadline=deadline,
            poll_interval=self.poll_interval,
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
            event = event or {}
            status = event.get("status")
            if status not in {outcome.value for outcome in Outcome}:
                message = event.get("message") or f"unexpected trigger event {dict(event)!r}"
                if status == TIMEOUT:
                    raise AirflowException(f"The one-time run {name} did not end in time: {message}")
                raise AirflowException(f"Waiting for the one-time run {name} failed: {message}")
            return self._conclude(context, event["execution"])
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
            tags=_tags_request(self.tags),
            wait=True,
        )
        return self.hook.describe_schedule_or_none(name)

    def _wait(self, name: str, scheduled_after: datetime, deadline: datetime | None) -> dict[str, Any]:
        """Poll ListMonitoringExecutions (one call a poll) until the execution ends or the deadline passes."""
        while True:
            summary = self.hook.find_execution(name, scheduled_after=scheduled_after)
            if summary is not None and classify(summary.get(STATUS_KEY)) is not None:
                return summary
            progress = (
                "no execution listed yet"
                if summary is None
                else f"the {execution_label(summary)} is {summary.get(STATUS_KEY)}"
            )
            remaining = None if deadline is None else (deadline - _utcnow()).total_seconds()
            if remaining is not None and remaining <= 0:
                raise AirflowException(f"The one-time run {name} did not end in time: {progress}")
            self.log.info("One-time run %s: %s; next look in %g s", name, progress, self.poll_interval)
            time.sleep(self.poll_interval if remaining is None else min(self.poll_interval, remaining))

    def _conclude(self, context: Context, summary: dict[str, Any]) -> dict[str, Any]:
        """Persist the processing-job link, then fail or return the JSON-safe summary as chosen."""
        arn = summary.get("ProcessingJobArn")
        if arn:
            persist_link(
                SageMakerProcessingJobLink,
                context,
                self,
                self.hook,
                job_name=self.hook.processing_job_name(arn),
            )
        outcome = classify(summary.get(STATUS_KEY))
        if outcome is None:
            status = summary.get(STATUS_KEY)
            raise AirflowException(f"The {execution_label(summary)} has not ended: {status}")
        if should_fail(
            outcome, fail_on_violations=self.fail_on_violations, fail_on_failed=self.fail_on_failed
        ):
            if outcome is Outcome.VIOLATIONS:
                raise AirflowFailException(
                    f"{outcome_message(summary)} fail_on_violations is set, so the task fails."
                )
            raise AirflowException(self.hook.describe_failure(summary))
        if outcome is Outcome.FAILED:
            self.log.warning("%s\nfail_on_failed is off, so the task succeeds.", failure_message(summary))
        else:
            self.log.info("%s", outcome_message(summary))
        return summary

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
            "Deleted one-time schedule %s and job definitions %s", name, result["deleted_job_definitions"]
        )
