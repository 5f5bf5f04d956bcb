"""Links of Model Monitor tasks: the monitoring schedule, processing jobs and an execution's report.

Links follow the task's connection. Against AWS they open the console of the connection's region and
partition. When the connection's endpoint is a local service (a loopback ``endpoint_url``, as ``mm-local``
serves), the console knows none of its resources: schedule and processing-job links store ``url: null``
(the task shows no link, and the UI finds a value where it looks), and the report link stores the local
service's own URL of the report file, presigned as ``mm-local`` requires of requests without an
``Authorization`` header.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from airflow.providers.amazon.aws.links.base_aws import BASE_AWS_CONSOLE_LINK, BaseAwsLink

from airflow_mm_provider.monitoring.outcomes import COMPLETED, COMPLETED_WITH_VIOLATIONS, api_execution
from airflow_mm_provider.monitoring.paths import (
    ANALYSIS_FILE,
    CONSTRAINT_VIOLATIONS_FILE,
    STATISTICS_FILE,
    join_s3,
    split_s3_uri,
)
from airflow_mm_provider.monitoring.types import MODEL_BIAS, MODEL_EXPLAINABILITY

if TYPE_CHECKING:
    from airflow.providers.amazon.aws.hooks.base_aws import AwsGenericHook
    from airflow.providers.common.compat.sdk import BaseOperator, Context

    from airflow_mm_provider.hooks.model_monitor import SageMakerModelMonitorHook

_SAGEMAKER_CONSOLE = BASE_AWS_CONSOLE_LINK + "/sagemaker/home?region={region_name}"
LOCAL_URL_SECONDS = 7 * 24 * 3600
"""How long a presigned local report URL is valid for (SigV4's maximum; ``mm-local`` does not check it)."""
_WITH_REPORTS = frozenset({COMPLETED, COMPLETED_WITH_VIOLATIONS})
"""Execution statuses that wrote reports."""


class _ConnectionLink(BaseAwsLink):
    """A console link whose stored ``url``, when there is one (a local connection), replaces it."""

    def format_link(self, **kwargs: Any) -> str:
        """The stored ``url`` (``""`` when it is null), else the console URL."""
        if "url" in kwargs:
            return kwargs["url"] or ""
        return super().format_link(**kwargs)


class SageMakerMonitoringScheduleLink(_ConnectionLink):
    """Console page of a monitoring schedule (stored field: ``schedule_name``)."""

    name = "Monitoring Schedule"
    key = "sagemaker_monitoring_schedule"
    format_str = _SAGEMAKER_CONSOLE + "#/monitoring-schedules/{schedule_name}"


class SageMakerProcessingJobLink(_ConnectionLink):
    """Console page of a baseline or monitoring-execution processing job (stored field: ``job_name``)."""

    name = "Processing Job"
    key = "sagemaker_monitoring_processing_job"
    format_str = _SAGEMAKER_CONSOLE + "#/processing-jobs/{job_name}"


class SageMakerMonitoringReportLink(_ConnectionLink):
    """An execution's report: the S3 console at its prefix (stored fields: ``bucket``, ``prefix``), or the
    local service's URL of its report file (stored field: ``url``)."""

    name = "Monitoring Report"
    key = "sagemaker_monitoring_report"
    format_str = BASE_AWS_CONSOLE_LINK + "/s3/buckets/{bucket}?region={region_name}&prefix={prefix}"


def is_local_endpoint(endpoint_url: str | None) -> bool:
    """Whether an endpoint URL is on this machine (``localhost`` or a loopback address), as ``mm-local`` is.

    :param endpoint_url: the ``endpoint_url`` a boto3 client uses; None for the AWS default.
    """
    host = urlsplit(endpoint_url).hostname if isinstance(endpoint_url, str) else None
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_local(hook: AwsGenericHook) -> bool:
    """Whether the hook's client talks to a local service."""
    return is_local_endpoint(hook.conn_client_meta.endpoint_url)


def persist_link(
    link: type[BaseAwsLink],
    context: Context,
    operator: BaseOperator,
    hook: AwsGenericHook,
    **names: str,
) -> str | None:
    """Store a console link of ``operator``'s task in XCom and return its URL (for the task log).

    The region and partition (hence the console domain of China and GovCloud regions) come from the hook's
    connection; each name is URL-quoted. When the hook's endpoint is local the link stores ``url: null``
    and the result is None: the console has no page for the local service's resources.

    :param link: the link class, e.g. :class:`SageMakerMonitoringScheduleLink`.
    :param context: the task context.
    :param operator: the operator whose task shows the link.
    :param hook: an AWS hook of the operator's connection.
    :param names: the link's own fields, e.g. ``schedule_name=...`` or ``job_name=...``.
    """
    region, partition = hook.conn_region_name, hook.conn_partition
    if _is_local(hook):
        link.persist(
            context=context, operator=operator, region_name=region, aws_partition=partition, url=None
        )
        return None
    quoted: dict[str, Any] = {key: quote(value, safe="") for key, value in names.items()}
    link.persist(context=context, operator=operator, region_name=region, aws_partition=partition, **quoted)
    return link().format_link(region_name=region, aws_domain=link.get_aws_domain(partition), **quoted)


def persist_execution_job_link(
    context: Context,
    operator: BaseOperator,
    hook: SageMakerModelMonitorHook,
    execution: Mapping[str, Any],
) -> str | None:
    """Store the console link of a monitoring execution's processing job; return its URL.

    Returns None, storing nothing, while the execution has no ``ProcessingJobArn`` (its job has not started);
    None when the connection's endpoint is local (see :func:`persist_link`).

    :param context: the task context.
    :param operator: the operator or sensor whose task shows the link.
    :param hook: the Model Monitor hook of the task's connection.
    :param execution: a ``MonitoringExecutionSummary`` (raw or JSON-safe).
    """
    arn = execution.get("ProcessingJobArn")
    if not arn:
        return None
    job_name = hook.processing_job_name(arn)
    return persist_link(SageMakerProcessingJobLink, context, operator, hook, job_name=job_name)


def local_report_file(status: str | None, monitoring_type: str | None) -> str | None:
    """The report file a local report link opens: the violations when there are some, else the results.

    :param status: the execution's ``MonitoringExecutionStatus``.
    :param monitoring_type: its monitor type; None when unknown (then only violations have a file to open).
    """
    if status == COMPLETED_WITH_VIOLATIONS:
        return CONSTRAINT_VIOLATIONS_FILE
    if monitoring_type is None:
        return None
    return ANALYSIS_FILE if monitoring_type in (MODEL_BIAS, MODEL_EXPLAINABILITY) else STATISTICS_FILE


def persist_report_link(
    context: Context,
    operator: BaseOperator,
    hook: SageMakerModelMonitorHook,
    execution: Mapping[str, Any],
    monitoring_type: str | None = None,
    report_uri: str | None = None,
) -> str | None:
    """Store the link of a completed execution's report; return its URL.

    Against AWS: the S3 console at the report prefix. Against a local endpoint: the local service's
    presigned URL of :func:`local_report_file`. Returns None, storing nothing, for an execution that wrote
    no report (not ``Completed`` or ``CompletedWithViolations``, or no processing job). Like the Amazon
    provider's links, it never fails the task: an error is logged as a warning and the result is None.

    :param context: the task context.
    :param operator: the operator or sensor whose task shows the link.
    :param hook: the Model Monitor hook of the task's connection.
    :param execution: a ``MonitoringExecutionSummary`` (or the provider's snake_case XCom of one).
    :param monitoring_type: the monitor type; default the execution's ``MonitoringType``.
    :param report_uri: the execution's report prefix, when already known (saves a DescribeProcessingJob).
    """
    execution = api_execution(execution)
    status = execution.get("MonitoringExecutionStatus")
    if status not in _WITH_REPORTS or not (report_uri or execution.get("ProcessingJobArn")):
        return None
    try:
        report_uri = report_uri or hook.execution_report_uri(execution)
        s3 = hook.s3_hook
        if not _is_local(s3):
            bucket, prefix = split_s3_uri(report_uri)
            return persist_link(
                SageMakerMonitoringReportLink,
                context,
                operator,
                s3,
                bucket=bucket,
                prefix=prefix.rstrip("/") + "/",
            )
        file_name = local_report_file(status, monitoring_type or execution.get("MonitoringType"))
        url = None
        if file_name is not None:
            bucket, key = split_s3_uri(join_s3(report_uri, file_name))
            url = s3.generate_presigned_url(
                "get_object", params={"Bucket": bucket, "Key": key}, expires_in=LOCAL_URL_SECONDS
            )
        SageMakerMonitoringReportLink.persist(
            context=context,
            operator=operator,
            region_name=s3.conn_region_name,
            aws_partition=s3.conn_partition,
            url=url,
        )
        return url
    except Exception as exc:  # a link is a convenience: it must never change how the task ends
        operator.log.warning("No report link for the execution: %s", exc)
        return None
