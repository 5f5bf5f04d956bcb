"""Monitoring without Model Monitor: :class:`SelfHostedMonitoringAnalysisOperator`.

The task analyses one data interval on the Airflow worker: the data a Model Monitor execution at the same
slot would analyse, with the same checks. It reads the captured data and baseline from S3 and writes the
reports to S3, at the keys Model Monitor uses. It makes no SageMaker call. The analysis (numpy) loads when
the task runs, never when the DAG is parsed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow.providers.amazon.aws.utils.mixins import aws_template_fields

from airflow_mm_provider.links.model_monitor import SageMakerMonitoringReportLink, persist_report_link
from airflow_mm_provider.monitoring import checks
from airflow_mm_provider.monitoring.outcomes import execution_ending
from airflow_mm_provider.monitoring.paths import split_s3_uri
from airflow_mm_provider.monitoring.schedule import ScheduleExpression, recurring_expression
from airflow_mm_provider.monitoring.self_hosted import check_self_hosted, self_hosted_type
from airflow_mm_provider.monitoring.times import parse_time
from airflow_mm_provider.operators.base import SageMakerModelMonitorBaseOperator
from airflow_mm_provider.operators.job_definition import SCHEDULE_NAME_FIELD, JobDefinitionArgs
from airflow_mm_provider.utils.outcome import finish
from airflow_mm_provider.utils.templating import is_literal

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context
    from airflow.providers.openlineage.extractors import OperatorLineage

    from airflow_mm_provider.operators.job_definition import JobDefinition

TEMPLATE_FIELDS = (
    "monitoring_schedule_name",
    "monitoring_type",
    "job_definition",
    "baseline",
    "constraints_uri",
    "statistics_uri",
    "schedule",
    "capture_destination",
    "slot",
)


class SelfHostedWindowOperator(JobDefinitionArgs, SageMakerModelMonitorBaseOperator):
    """Base of the tasks that analyse one data interval on the worker: the monitor, its job definition and
    the slot, checked as :class:`SelfHostedMonitoringAnalysisOperator` documents them (its parameters but
    ``fail_on_violations`` and ``fail_on_failed``). ``on_kill`` stops the running job.
    """

    template_fields: Sequence[str] = aws_template_fields(*TEMPLATE_FIELDS)
    ui_color = "#d5ecd4"
    _stop: threading.Event | None = None
    """Set by :meth:`on_kill` to stop the running job; exists only while one runs (:meth:`_stoppable`)."""

    def __init__(
        self,
        *,
        monitoring_schedule_name: str,
        monitoring_type: str,
        job_definition: JobDefinition,
        capture_destination: str | None = None,
        schedule: ScheduleExpression | str | None = None,
        slot: datetime | str | None = None,
        baseline: Mapping[str, Any] | None = None,
        constraints_uri: str | None = None,
        statistics_uri: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.monitoring_schedule_name = monitoring_schedule_name
        self.monitoring_type = monitoring_type
        self.job_definition = job_definition
        self.capture_destination = capture_destination
        self.schedule = schedule
        self.slot = slot
        self.baseline = baseline
        self.constraints_uri = constraints_uri
        self.statistics_uri = statistics_uri
        self.validate()

    def validate(self) -> None:
        """Check every parameter that holds no template or XComArg (raises ``ValueError`` naming it)."""
        if is_literal(self.monitoring_schedule_name):
            checks.check_name(self.monitoring_schedule_name, SCHEDULE_NAME_FIELD)
        if is_literal(self.monitoring_type):
            self_hosted_type(self.monitoring_type)
        if self.schedule is not None and is_literal(self.schedule):
            recurring_expression(self.schedule)
        if self.slot is not None and is_literal(self.slot):
            parse_time(self.slot, "slot")
        if self.capture_destination is not None and is_literal(self.capture_destination):
            split_s3_uri(self.capture_destination)
        if self._job_definition_literal():
            definition = self.resolved_job_definition()
            if is_literal(self.capture_destination):
                self._check_definition(definition)

    def _check_definition(self, definition: JobDefinition) -> None:
        """The job definition is one a worker can run (an endpoint input needs ``capture_destination``)."""
        check_self_hosted(
            self.monitoring_type, self._job_definition_request(definition), self.capture_destination
        )

    def slot_time(self, context: Context) -> datetime:
        """The time whose slot this run analyses (the schedule floors it): ``slot`` when given, else the DAG
        run's ``data_interval_end``."""
        if self.slot is not None:
            return parse_time(self.slot, "slot")
        end = context.get("data_interval_end")
        if end is None:
            raise ValueError("slot: this DAG run has no data interval; pass the slot explicitly")
        return parse_time(end, "data_interval_end")

    @contextmanager
    def _stoppable(self) -> Iterator[threading.Event]:
        """The event :meth:`on_kill` sets, for one run of the task. Made when the task runs and dropped after:
        Airflow deep-copies tasks (e.g. to clear part of a DAG), and an ``Event`` cannot be copied."""
        self._stop = threading.Event()
        try:
            yield self._stop
        finally:
            self._stop = None

    def on_kill(self) -> None:
        """Stop the running job: it ends ``Stopped`` and writes no report."""
        if self._stop is not None:
            self._stop.set()


class SelfHostedMonitoringAnalysisOperator(SelfHostedWindowOperator):
    """Analyse one data interval on the worker, as the Model Monitor execution at the same slot would.

    The self-hosted counterpart of a monitoring schedule and its execution sensor. It takes the job
    definition a :class:`~airflow_mm_provider.operators.schedule.SageMakerMonitoringScheduleOperator` would
    take, and analyses the window that schedule's execution at ``slot`` would analyse: the job input's
    ``StartTimeOffset`` / ``EndTimeOffset``, else the schedule's period before the slot. It uses the same
    capture and ground-truth layouts, the same ground-truth merge for model quality and bias, and the same
    checks against the baseline. The reports (``statistics.json``, ``constraints.json``,
    ``constraint_violations.json``; bias: ``analysis.json``) go to
    ``<output S3Uri>/<endpoint>/<monitoring_schedule_name>/yyyy/mm/dd/hh/``, as Model Monitor writes them.
    No SageMaker API is called: S3 only, through the connection's S3 client (``aws_conn_id`` decides the
    credentials and endpoint).

    Returns (XCom) the summary the execution sensor returns for a monitoring execution:
    ``monitoring_schedule_name``, ``scheduled_time``, ``monitoring_execution_status`` (``Completed``,
    ``CompletedWithViolations``, ``Failed``, or ``Stopped`` past ``MaxRuntimeInSeconds``),
    ``failure_reason`` (e.g. "Job inputs had no data"), ``monitoring_type``, ``endpoint_name``, the creation
    and end times. ``processing_job_arn`` and ``monitoring_job_definition_name`` are null, as no SageMaker
    resource exists. It also has ``report_uri`` (the report prefix) and ``baseline_config`` (the job
    definition's baseline), so the violation branch operator
    (:class:`~airflow_mm_provider.operators.branch.SageMakerMonitoringViolationBranchOperator`) given
    ``execution="{{ ti.xcom_pull('<this task>') }}"`` branches on it without calling SageMaker.
    Outcomes follow the execution sensor's: ``Completed`` succeeds; ``CompletedWithViolations`` succeeds
    unless ``fail_on_violations``; ``Failed`` / ``Stopped`` fail the task (retryable: a retry analyses the
    window again) unless ``fail_on_failed=False``, which lets a branch route them.

    :param monitoring_schedule_name: the monitor's name, which is the schedule name in the report key and the
        summary (templated).
    :param monitoring_type: ``DataQuality``, ``ModelQuality`` or ``ModelBias`` (templated). Explainability
        is refused: it needs the model.
    :param job_definition: a typed spec (e.g. ``DataQualityJobDefinition``) or the API-shaped
        ``Create<T>JobDefinition`` dict without a name (templated when a dict).
    :param capture_destination: the endpoint's ``DataCaptureConfig.DestinationS3Uri`` (templated). It is
        required for an ``EndpointInput``, whose records are read from
        ``<capture_destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/``. A ``BatchTransformInput`` names its
        own ``DataCapturedDestinationS3Uri``.
    :param schedule: the :class:`ScheduleExpression` (or API string) whose slots the monitor follows;
        default hourly (templated). It takes ``slot`` back to a slot and sets the window when the input has
        no offsets. ``NOW`` is refused.
    :param slot: the execution's scheduled time, an aware datetime or ISO-8601 string (templated); default
        the DAG run's ``data_interval_end``. It is taken back to the schedule's latest slot at or before it.
    :param baseline: the XCom dict of a baseline operator, merged into the job definition's baseline config
        (templated).
    :param constraints_uri: S3 URI of the baseline constraints (Clarify: ``analysis.json``) (templated).
    :param statistics_uri: S3 URI of the baseline ``statistics.json``, data quality only (templated).
    :param fail_on_violations: fail the task when the analysis found constraint violations.
    :param fail_on_failed: fail the task when the analysis ended ``Failed`` or ``Stopped``.
    :param kwargs: ``aws_conn_id``, ``region_name``, ``verify``, ``botocore_config`` and the ``BaseOperator``
        arguments.
    """

    operator_extra_links = (SageMakerMonitoringReportLink(),)

    def __init__(
        self, *, fail_on_violations: bool = False, fail_on_failed: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.fail_on_violations = fail_on_violations
        self.fail_on_failed = fail_on_failed

    def execute(self, context: Context) -> dict[str, Any]:
        """Analyse the slot's window on the worker, write the reports, return the execution summary."""
        self.validate()
        with self._stoppable() as stop:
            summary = self.analyse(context, stop)
        report_uri = summary["report_uri"]
        self.log.info("Reports of the self-hosted %s analysis: %s", self.monitoring_type, report_uri)
        persist_report_link(context, self, self.hook, summary, self.monitoring_type, report_uri)
        ending = execution_ending(
            summary, fail_on_violations=self.fail_on_violations, fail_on_failed=self.fail_on_failed
        )
        assert ending is not None, summary  # the runner returns terminal statuses only
        return finish(
            ending,
            subject=self.monitoring_schedule_name,
            describe_failure=self.hook.describe_failure,
            log=self.log,
            retry_failed=True,
        )

    def analyse(self, context: Context, stop: threading.Event) -> dict[str, Any]:
        """Run the analysis of the slot's window; return the execution summary (see :meth:`execute`).

        :param context: the task context.
        :param stop: set it to stop the analysis (it then ends ``Stopped``).
        """
        from airflow_mm_provider.runner import analyse_window

        return analyse_window(
            self.monitoring_type,
            self.resolved_job_definition(),
            monitoring_schedule_name=self.monitoring_schedule_name,
            slot=self.slot_time(context),
            s3_client_factory=self.hook.s3_hook.get_conn,
            capture_destination=self.capture_destination,
            schedule=self.schedule,
            stop=stop,
        )

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage | None:
        """OpenLineage datasets: captured data, ground truth and baseline in; the report prefix out (the
        monitoring schedule operator's lineage, with the capture prefix from ``capture_destination``, so no
        AWS call). None without the OpenLineage provider (see :mod:`airflow_mm_provider.operators.lineage`).

        :param task_instance: the finished task instance (unused: the rendered parameters say it all).
        """
        from airflow_mm_provider.monitoring.lineage import job_definition_lineage
        from airflow_mm_provider.operators.lineage import operator_lineage

        request = self._job_definition_request(self.resolved_job_definition())
        return operator_lineage(
            job_definition_lineage(self.monitoring_type, request, self.capture_destination)
        )
