"""AWS console links of Model Monitor tasks: the monitoring schedule and a processing job."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from airflow.providers.amazon.aws.links.base_aws import BASE_AWS_CONSOLE_LINK, BaseAwsLink

if TYPE_CHECKING:
    from airflow.providers.amazon.aws.hooks.base_aws import AwsGenericHook
    from airflow.providers.common.compat.sdk import BaseOperator, Context

_SAGEMAKER_CONSOLE = BASE_AWS_CONSOLE_LINK + "/sagemaker/home?region={region_name}"


class SageMakerMonitoringScheduleLink(BaseAwsLink):
    """Console page of a monitoring schedule (stored field: ``schedule_name``)."""

    name = "Monitoring Schedule"
    key = "sagemaker_monitoring_schedule"
    format_str = _SAGEMAKER_CONSOLE + "#/monitoring-schedules/{schedule_name}"


class SageMakerProcessingJobLink(BaseAwsLink):
    """Console page of a processing job, e.g. a monitoring execution's job (stored field: ``job_name``)."""

    name = "Processing Job"
    key = "sagemaker_monitoring_processing_job"
    format_str = _SAGEMAKER_CONSOLE + "#/processing-jobs/{job_name}"


def persist_link(
    link: type[BaseAwsLink],
    context: Context,
    operator: BaseOperator,
    hook: AwsGenericHook,
    **names: str,
) -> str:
    """Store a console link of ``operator``'s task in XCom and return its URL (for the task log).

    The region and partition (hence the console domain of China and GovCloud regions) come from the hook's
    connection; each name is URL-quoted.

    :param link: the link class, e.g. :class:`SageMakerMonitoringScheduleLink`.
    :param context: the task context.
    :param operator: the operator whose task shows the link.
    :param hook: an AWS hook of the operator's connection.
    :param names: the link's own fields, e.g. ``schedule_name=...`` or ``job_name=...``.
    """
    region, partition = hook.conn_region_name, hook.conn_partition
    quoted: dict[str, Any] = {key: quote(value, safe="") for key, value in names.items()}
    link.persist(context=context, operator=operator, region_name=region, aws_partition=partition, **quoted)
    return link().format_link(region_name=region, aws_domain=link.get_aws_domain(partition), **quoted)
