"""Wait for a monitoring schedule to reach a status: :class:`SageMakerMonitoringScheduleSensor`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.amazon.aws.utils.mixins import aws_template_fields

from airflow_mm_provider.sensors.base import SageMakerModelMonitorBaseSensor

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

SCHEDULE_STATUSES = frozenset({"Pending", "Failed", "Scheduled", "Stopped"})


def _statuses(values: Iterable[str], name: str) -> tuple[str, ...]:
    """``values`` as a tuple, refusing anything that is not a ``ScheduleStatus``."""
    statuses = (values,) if isinstance(values, str) else tuple(values)
    unknown = sorted(set(statuses) - SCHEDULE_STATUSES)
    if unknown:
        raise ValueError(f"{name} holds {unknown}, not ScheduleStatus values {sorted(SCHEDULE_STATUSES)}")
    return statuses


class SageMakerMonitoringScheduleSensor(SageMakerModelMonitorBaseSensor):
    """Wait until a monitoring schedule's status is one of ``target_statuses``.

    Each poke is one ``DescribeMonitoringSchedule`` call. A status in ``failure_statuses`` fails the task (or
    skips it with ``soft_fail``) with the schedule's ``FailureReason``. A schedule is ``Pending`` for up to a
    few minutes after every create, update, start or stop.

    :param monitoring_schedule_name: the schedule to watch (templated).
    :param target_statuses: statuses that end the wait successfully (default ``Scheduled``).
    :param failure_statuses: statuses that fail the task (default ``Failed``).
    :param kwargs: ``aws_conn_id``, ``region_name``, ``verify``, ``botocore_config`` and the
        ``BaseSensorOperator`` arguments (``poke_interval``, ``timeout``, ``mode``, ``soft_fail``, ...).
    """

    template_fields: Sequence[str] = aws_template_fields("monitoring_schedule_name")

    def __init__(
        self,
        *,
        monitoring_schedule_name: str,
        target_statuses: Iterable[str] = ("Scheduled",),
        failure_statuses: Iterable[str] = ("Failed",),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.monitoring_schedule_name = monitoring_schedule_name
        self.target_statuses = _statuses(target_statuses, "target_statuses")
        self.failure_statuses = _statuses(failure_statuses, "failure_statuses")
        overlap = sorted(set(self.target_statuses) & set(self.failure_statuses))
        if overlap:
            raise ValueError(f"{overlap} cannot be both a target and a failure status")

    def poke(self, context: Context) -> bool:
        """Describe the schedule once; True on a target status, fail on a failure status."""
        description = self.hook.describe_schedule(self.monitoring_schedule_name)
        status = description["MonitoringScheduleStatus"]
        self.log.info("Monitoring schedule %s is %s", self.monitoring_schedule_name, status)
        if status in self.failure_statuses:
            reason = description.get("FailureReason") or "no FailureReason given"
            self.fail(f"Monitoring schedule {self.monitoring_schedule_name} is {status}: {reason}")
        return status in self.target_statuses
