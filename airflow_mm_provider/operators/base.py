"""The base every Model Monitor operator derives from: :class:`SageMakerModelMonitorBaseOperator`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator

from airflow_mm_provider.hooks.model_monitor import SageMakerModelMonitorHook
from airflow_mm_provider.links.model_monitor import SageMakerMonitoringScheduleLink, persist_link

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context


class SageMakerModelMonitorBaseOperator(AwsBaseOperator[SageMakerModelMonitorHook]):
    """Base of the Model Monitor operators: an ``AwsBaseOperator`` on :class:`SageMakerModelMonitorHook`.

    Takes ``aws_conn_id``, ``region_name``, ``verify``, ``botocore_config`` and every ``BaseOperator``
    argument.
    """

    aws_hook_class = SageMakerModelMonitorHook
    ui_color = "#c9e4f5"

    def persist_schedule_link(self, context: Context, schedule_name: str) -> None:
        """Store the schedule's console link and log its URL (none against a local endpoint).

        :param context: the task context.
        :param schedule_name: the monitoring schedule.
        """
        url = persist_link(
            SageMakerMonitoringScheduleLink, context, self, self.hook, schedule_name=schedule_name
        )
        if url:
            self.log.info("Monitoring schedule %s in the console: %s", schedule_name, url)
