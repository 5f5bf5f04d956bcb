"""Analyse one data window on this machine, as the Model Monitor execution at the same slot would.

:func:`analyse_window` takes the job definition a monitoring schedule would run and the slot of one of its
executions, plans that execution with the code ``mm-local`` plans it with
(:mod:`airflow_mm_provider.processing.execution_plan`: same window, capture and ground-truth layouts, merge
and checks), runs its jobs with the analysis engine on this machine and writes the reports where Model
Monitor writes them (``<output>/<endpoint>/<monitor>/yyyy/mm/dd/hh/``). It returns the execution summary the
execution sensor returns, so the violation branch operator decides on it unchanged. It calls S3 only: no
SageMaker API.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow_mm_provider.monitoring.job_definitions import job_definition_request
from airflow_mm_provider.monitoring.outcomes import BASELINE_CONFIG_KEY, REPORT_URI_KEY, execution_xcom
from airflow_mm_provider.monitoring.schedule import ScheduleExpression, recurring_expression
from airflow_mm_provider.monitoring.self_hosted import check_self_hosted, self_hosted_type
from airflow_mm_provider.monitoring.times import as_utc
from airflow_mm_provider.processing.execution_plan import (
    ENGINE_MODES,
    Execution,
    ExecutionPlan,
    MonitoringJob,
    defined_job,
    execution_status,
    execution_window,
    merger_image,
    plan_execution,
)
from airflow_mm_provider.processing.job_runner import JobResult, JobRunner
from airflow_mm_provider.processing.s3files import S3Files

if TYPE_CHECKING:
    from airflow_mm_provider.monitoring.job_definitions import JobDefinitionSpec
    from airflow_mm_provider.processing.engine import Engine

NO_ACCOUNT = "000000000000"
"""The account in the merge job's image URI outside the regions with a published image (nothing runs it)."""


def monitoring_job(
    monitoring_type: str,
    job_definition: JobDefinitionSpec | Mapping[str, Any],
    monitoring_schedule_name: str,
    capture_destination: str | None,
) -> MonitoringJob:
    """The validated job definition of a self-hosted monitor, normalised for planning.

    Raises ``ValueError`` naming the field for an invalid definition or one a worker cannot run (see
    :func:`~airflow_mm_provider.monitoring.self_hosted.check_self_hosted`).

    :param monitoring_type: ``DataQuality``, ``ModelQuality`` or ``ModelBias``.
    :param job_definition: a typed spec (e.g. ``DataQualityJobDefinition``) or the API-shaped
        ``Create<T>JobDefinition`` dict, as a monitoring schedule takes it.
    :param monitoring_schedule_name: the monitor's name, standing in for the job definition's name.
    :param capture_destination: the endpoint's ``DataCaptureConfig.DestinationS3Uri``, if any.
    """
    monitoring_type = self_hosted_type(monitoring_type)
    request = job_definition_request(monitoring_type, job_definition, monitoring_schedule_name)
    check_self_hosted(monitoring_type, request, capture_destination)
    return defined_job(monitoring_type, request)


def analyse_window(
    monitoring_type: str,
    job_definition: JobDefinitionSpec | Mapping[str, Any],
    *,
    monitoring_schedule_name: str,
    slot: datetime,
    s3_client_factory: Callable[[], Any],
    capture_destination: str | None = None,
    schedule: ScheduleExpression | str | None = None,
    engine: Engine | None = None,
    stop: threading.Event | None = None,
) -> dict[str, Any]:
    """Analyse the window the monitor's execution at ``slot`` covers; return that execution's summary.

    The summary has the keys of the execution sensor's XCom (``monitoring_schedule_name``,
    ``scheduled_time``, ``monitoring_execution_status``, ``failure_reason``, ``monitoring_type``, ...;
    ``processing_job_arn`` and ``monitoring_job_definition_name`` are None: no SageMaker resource exists)
    plus ``report_uri`` (the report prefix) and ``baseline_config`` (the job definition's baseline), which
    the violation branch operator reads instead of describing a processing job and a job definition. The
    status is ``Completed``, ``CompletedWithViolations``, ``Failed`` (e.g. "Job inputs had no data") or
    ``Stopped`` (``MaxRuntimeInSeconds`` exceeded, or ``stop`` set).

    Raises ``ValueError`` naming the parameter or field for an input no execution could run; errors of the
    S3 client propagate (the caller may retry).

    :param monitoring_type: ``DataQuality``, ``ModelQuality`` or ``ModelBias``.
    :param job_definition: the job definition a schedule would run (typed spec or API-shaped dict).
    :param monitoring_schedule_name: the monitor's name: the schedule name in the report key and the summary.
    :param slot: the execution's scheduled time, e.g. a DAG run's ``data_interval_end``; taken back to the
        schedule's latest slot at or before it (the hour, for an hourly schedule).
    :param s3_client_factory: builds the boto3 S3 client every read and write goes through.
    :param capture_destination: the endpoint's ``DataCaptureConfig.DestinationS3Uri`` (required for an
        ``EndpointInput``; a ``BatchTransformInput`` names its own ``DataCapturedDestinationS3Uri``).
    :param schedule: the schedule expression whose slots the monitor follows (default hourly); it sets the
        window when the input has no offsets (the period before the slot). ``NOW`` is refused.
    :param engine: the analysis engine (default the package's engine, :mod:`airflow_mm_provider.analysis`).
    :param stop: set it to stop the running job; the execution then ends ``Stopped``.
    """
    s3 = S3Files(s3_client_factory)
    window = plan_window(
        monitoring_type,
        job_definition,
        monitoring_schedule_name=monitoring_schedule_name,
        slot=slot,
        s3=s3,
        capture_destination=capture_destination,
        schedule=schedule,
    )
    started = datetime.now(timezone.utc)
    result = _run(window.plan, window.job, JobRunner(s3, engine), stop or threading.Event())
    return window_summary(window, result, started)


@dataclass(frozen=True)
class WindowPlan:
    """The execution a self-hosted window analysis runs.

    :param job: the monitor's normalised job definition.
    :param execution: the execution at the slot: its window, endpoint and names.
    :param plan: its processing-job requests.
    """

    job: MonitoringJob
    execution: Execution
    plan: ExecutionPlan

    @property
    def report_uri(self) -> str:
        """The S3 prefix the analysis job writes its reports to."""
        output: str = self.plan.analysis["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"]
        return output


def plan_window(
    monitoring_type: str,
    job_definition: JobDefinitionSpec | Mapping[str, Any],
    *,
    monitoring_schedule_name: str,
    slot: datetime,
    s3: S3Files,
    capture_destination: str | None = None,
    schedule: ScheduleExpression | str | None = None,
) -> WindowPlan:
    """Plan the execution :func:`analyse_window` runs (same parameters; ``s3`` gives the region of the merge
    job's image URI). Raises ``ValueError`` as :func:`analyse_window` does."""
    job = monitoring_job(monitoring_type, job_definition, monitoring_schedule_name, capture_destination)
    expression = recurring_expression(schedule)
    scheduled = expression.previous_slot(as_utc(slot, "slot"))
    execution = Execution(
        schedule_name=monitoring_schedule_name,
        slot=scheduled,
        window=execution_window(expression, scheduled, job),
        endpoint_name=(job.holder.get("EndpointInput") or {}).get("EndpointName"),
        capture_destination=capture_destination,
        merger_image=merger_image(s3.client.meta.region_name or "", NO_ACCOUNT),
        name_seed=f"{monitoring_schedule_name}/{scheduled.isoformat()}",
    )
    return WindowPlan(job, execution, plan_execution(job, execution))


def window_summary(window: WindowPlan, result: JobResult, started: datetime) -> dict[str, Any]:
    """The execution summary of a window whose analysis ended as ``result`` (see :func:`analyse_window`).

    :param window: the planned execution.
    :param result: how its last job ended.
    :param started: when the analysis started (the summary's creation time).
    """
    summary = {
        "MonitoringScheduleName": window.execution.schedule_name,
        "ScheduledTime": window.execution.slot,
        "CreationTime": started,
        "LastModifiedTime": datetime.now(timezone.utc),
        "MonitoringExecutionStatus": execution_status(result),
        "EndpointName": window.execution.endpoint_name,
        "FailureReason": result.failure_reason,
        "MonitoringType": window.job.monitoring_type,
        REPORT_URI_KEY: window.report_uri,
        BASELINE_CONFIG_KEY: window.job.baseline,
    }
    return execution_xcom(summary)


def _run(plan: ExecutionPlan, job: MonitoringJob, runner: JobRunner, stop: threading.Event) -> JobResult:
    """Run the plan's merge job (if any), then its analysis job; the first that does not complete ends it."""
    if plan.merge is not None:
        merged = runner.run(plan.merge, "merge", stop, plan.merge_options)
        if merged.status != "Completed":
            return merged
    return runner.run(plan.analysis, ENGINE_MODES[job.monitoring_type], stop, plan.analysis_options)
