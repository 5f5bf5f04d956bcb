"""Keep monitoring schedules in the wanted state.

- :class:`SageMakerMonitoringScheduleOperator` creates or updates a schedule (converging on retry).
- :class:`SageMakerStartMonitoringScheduleOperator` / :class:`SageMakerStopMonitoringScheduleOperator`.
- :class:`SageMakerDeleteMonitoringScheduleOperator` deletes a schedule and the job definitions it owned.

:class:`~airflow_mm_provider.operators.one_time.SageMakerOneTimeMonitoringOperator`, which runs a one-time
(``NOW``) monitoring job, lives in its own module and is importable from here too. Request models load on
first use, so importing this module (which the DAG processor does on every parse) stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.providers.common.compat.sdk import AirflowException

from airflow_mm_provider.hooks.model_monitor import ScheduleDeletion
from airflow_mm_provider.links.model_monitor import SageMakerMonitoringScheduleLink
from airflow_mm_provider.monitoring import checks
from airflow_mm_provider.monitoring.types import monitoring_type_api
from airflow_mm_provider.operators.base import SageMakerModelMonitorBaseOperator
from airflow_mm_provider.operators.job_definition import (
    JOB_DEFINITION_FIELDS,
    SCHEDULE_NAME_FIELD,
    TYPE_FIELD,
    JobDefinitionArgs,
    tags_request,
)
from airflow_mm_provider.operators.one_time import SageMakerOneTimeMonitoringOperator
from airflow_mm_provider.utils.templating import is_literal
from airflow_mm_provider.utils.waiting import NOTSET, schedule_wait

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context
    from airflow.providers.openlineage.extractors import OperatorLineage

    from airflow_mm_provider.monitoring.schedule import ScheduleExpression
    from airflow_mm_provider.operators.job_definition import JobDefinition

__all__ = [
    "SageMakerDeleteMonitoringScheduleOperator",
    "SageMakerMonitoringScheduleOperator",
    "SageMakerOneTimeMonitoringOperator",
    "SageMakerStartMonitoringScheduleOperator",
    "SageMakerStopMonitoringScheduleOperator",
]

SCHEDULED = "Scheduled"
STOPPED = "Stopped"


class _ScheduleWaitOperator(SageMakerModelMonitorBaseOperator):
    """An operator that changes a schedule and waits for it to settle (leave ``Pending``, or be gone).

    :param check_interval: seconds between two DescribeMonitoringSchedule calls while the schedule settles
        (formerly ``schedule_poll_interval``; default 5).
    :param max_ingestion_time: seconds one wait for the schedule (or its deletion) may take (formerly
        ``schedule_wait_timeout``; default 180).
    :param kwargs: ``aws_conn_id``, ``region_name``, ``verify``, ``botocore_config`` and every
        ``BaseOperator`` argument.
    """

    def __init__(
        self, *, check_interval: float = NOTSET, max_ingestion_time: float = NOTSET, **kwargs: Any
    ) -> None:
        wait = schedule_wait(kwargs, check_interval, max_ingestion_time)
        super().__init__(**kwargs)
        self.check_interval, self.max_ingestion_time = wait

    @property
    def _hook_parameters(self) -> dict[str, Any]:
        return {
            **super()._hook_parameters,
            "check_interval": self.check_interval,
            "max_ingestion_time": self.max_ingestion_time,
        }


class SageMakerMonitoringScheduleOperator(JobDefinitionArgs, _ScheduleWaitOperator):
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
    :param kwargs: see :class:`_ScheduleWaitOperator`.
    """

    template_fields: Sequence[str] = aws_template_fields(
        "monitoring_schedule_name", *JOB_DEFINITION_FIELDS, "schedule"
    )
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
            tags_request(self.tags)
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
            tags=tags_request(self.tags),
            wait=self.wait_for_schedule,
        )
        self.log.info(
            "Monitoring schedule %s: %s; it runs %s job definition %s",
            result.monitoring_schedule_name,
            result.action,
            self.monitoring_type,
            result.job_definition_name,
        )
        self.persist_schedule_link(context, result.monitoring_schedule_name)
        return {**result._asdict(), "monitoring_type": self.monitoring_type}

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage | None:
        """OpenLineage datasets: captured data, ground truth and baseline in; the monitoring output out.

        An endpoint's capture prefix takes one DescribeEndpoint call; if that fails, the capture is left out.
        None without the OpenLineage provider (see :mod:`airflow_mm_provider.operators.lineage`).

        :param task_instance: the finished task instance (unused: the rendered parameters say it all).
        """
        from botocore.exceptions import BotoCoreError, ClientError

        from airflow_mm_provider.monitoring.lineage import job_definition_lineage, monitored_endpoint
        from airflow_mm_provider.operators.lineage import operator_lineage

        request = self._job_definition_request(self.resolved_job_definition())
        endpoint = monitored_endpoint(self.monitoring_type, request)
        destination = None
        if endpoint:
            try:
                destination = self.hook.endpoint_capture_destination(endpoint)
            except (BotoCoreError, ClientError) as error:
                self.log.warning("Lineage leaves out the data captured by endpoint %s: %s", endpoint, error)
        return operator_lineage(job_definition_lineage(self.monitoring_type, request, destination))


class _ScheduleStatusOperator(_ScheduleWaitOperator):
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
    :param kwargs: see :class:`_ScheduleWaitOperator`.
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
    :param kwargs: see :class:`_ScheduleWaitOperator`.
    """

    target_status = STOPPED

    def change(self, name: str) -> None:
        """Call StopMonitoringSchedule."""
        self.hook.stop_schedule(name, wait=False)


class SageMakerDeleteMonitoringScheduleOperator(_ScheduleWaitOperator):
    """Delete a monitoring schedule, then the job definitions it owned (its execution history stays).

    Waits until the schedule is gone (its job definition is locked until then), deletes the definition it
    references and any definition this provider named for it, unless another schedule references one, and
    waits until they are gone. Returns (XCom) ``monitoring_schedule_name``, ``schedule_deleted`` and
    ``deleted_job_definitions``.

    :param monitoring_schedule_name: the schedule (templated).
    :param ignore_missing: a missing schedule is not an error (job definitions left behind for it are still
        deleted), so a retried delete converges.
    :param delete_job_definitions: also delete the schedule's job definitions.
    :param kwargs: see :class:`_ScheduleWaitOperator`.
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
            deleted = self.hook.delete_schedule(name, missing_ok=self.ignore_missing)
            result = ScheduleDeletion(name, deleted, [])
        if not result.schedule_deleted:
            self.log.info(
                "Monitoring schedule %s does not exist; nothing to delete", self.monitoring_schedule_name
            )
        self.log.info(
            "Deleted job definitions of %s: %s",
            self.monitoring_schedule_name,
            ", ".join(result.deleted_job_definitions) or "none",
        )
        return result._asdict()
