"""What the Model Monitor sensors share: the hook, and failing (or skipping) with a readable message."""

from __future__ import annotations

from typing import NoReturn

from airflow.providers.amazon.aws.sensors.base_aws import AwsBaseSensor

from airflow_mm_provider.hooks.model_monitor import SageMakerModelMonitorHook
from airflow_mm_provider.utils.outcome import final_failure


class SageMakerModelMonitorBaseSensor(AwsBaseSensor[SageMakerModelMonitorHook]):
    """Base of the Model Monitor sensors: an ``AwsBaseSensor`` on :class:`SageMakerModelMonitorHook`.

    Takes ``aws_conn_id``, ``region_name``, ``verify``, ``botocore_config`` and every ``BaseSensorOperator``
    argument (``poke_interval``, ``timeout``, ``mode``, ``soft_fail``, ...).
    """

    aws_hook_class = SageMakerModelMonitorHook
    ui_color = "#c9e4f5"

    def fail(self, message: str) -> NoReturn:
        """End the task on a final state: skipped when ``soft_fail`` is set, else failed without retries.

        The message is kept in both cases (the base sensor would replace it when it turns a failure into a
        skip).

        :param message: what happened.
        """
        raise final_failure(message, self.soft_fail)
