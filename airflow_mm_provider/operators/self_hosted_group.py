"""Monitoring without Model Monitor, scaled out on Airflow's workers: :func:`self_hosted_monitoring_group`.

For windows too big for one worker, the task group analyses one data interval as
:class:`~airflow_mm_provider.operators.self_hosted.SelfHostedMonitoringAnalysisOperator` does, in shards of
the window's S3 objects, with Airflow's dynamic task mapping:

- ``plan`` lists the window's objects, writes the shard plan to S3 and returns one small descriptor per shard
  (plan id, index, object and byte counts: a few dozen bytes each, whatever the window's size);
- ``shard`` is mapped over the descriptors (``.expand``): each mapped task reads its objects (and for model
  quality and bias the window's ground truth) and writes its partial result to S3, never to XCom;
- ``merge`` reads the partials, merges and finalizes them, writes the reports at the keys the single task
  writes and returns the same execution summary, so the violation branch operator reads it unchanged.

The tasks share nothing but S3 and those descriptors, so the group runs on any executor (Local, Celery,
Kubernetes). The S3 layout of plans and partials is in :mod:`airflow_mm_provider.runner.shard_plan`; what
equals the single task exactly, and what within the engine's bounds, in
:mod:`airflow_mm_provider.analysis.job_partials`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from airflow.providers.common.compat.sdk import TaskGroup, XComArg

from airflow_mm_provider.operators.self_hosted import (
    SelfHostedMonitoringAnalysisOperator,
    SelfHostedWindowOperator,
)

if TYPE_CHECKING:
    import threading

    from airflow.providers.common.compat.sdk import Context

    from airflow_mm_provider.operators.job_definition import JobDefinition
    from airflow_mm_provider.runner import ShardedWindow

__all__ = [
    "DEFAULT_SHARDS",
    "SelfHostedShardMergeOperator",
    "SelfHostedShardOperator",
    "SelfHostedShardPlanOperator",
    "self_hosted_monitoring_group",
]

DEFAULT_SHARDS = 4
"""Shards of a window unless told otherwise."""


def _check_shards(shards: int) -> int:
    """``shards`` when it is a whole number of at least 1 (else ``ValueError`` naming it)."""
    if isinstance(shards, bool) or not isinstance(shards, int) or shards < 1:
        raise ValueError(f"shards: a whole number of at least 1 (got {shards!r})")
    return shards


def _sharded_window(task: SelfHostedWindowOperator, context: Context) -> ShardedWindow:
    """The slot's window of ``task``'s monitor, to analyse in shards."""
    from airflow_mm_provider.runner import ShardedWindow

    return ShardedWindow(
        task.monitoring_type,
        task.resolved_job_definition(),
        task.monitoring_schedule_name,
        task.slot_time(context),
        task.capture_destination,
        task.schedule,
    )


class SelfHostedShardPlanOperator(SelfHostedWindowOperator):
    """Plan the shards of the slot's window: write the plan to S3, return one descriptor per shard.

    :param shards: the most shards (fewer when the window holds fewer objects; one for batch-transform input).
    :param kwargs: the parameters of
        :class:`~airflow_mm_provider.operators.self_hosted.SelfHostedWindowOperator`.
    """

    def __init__(self, *, shards: int = DEFAULT_SHARDS, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shards = _check_shards(shards)

    def execute(self, context: Context) -> list[dict[str, Any]]:
        """List the window's objects, write the plan, return the shard descriptors (XCom)."""
        self.validate()
        descriptors = _sharded_window(self, context).plan(self.hook.s3_hook.get_conn, self.shards)
        objects = sum(int(descriptor["objects"]) for descriptor in descriptors)
        self.log.info("%d objects of the window in %d shards", objects, len(descriptors))
        return descriptors


class SelfHostedShardOperator(SelfHostedWindowOperator):
    """Count one shard of the slot's window into a partial result written to S3.

    :param shard: one descriptor the plan task returned (mapped with ``.expand(shard=plan.output)``).
    :param kwargs: the parameters of
        :class:`~airflow_mm_provider.operators.self_hosted.SelfHostedWindowOperator`.
    """

    def __init__(self, *, shard: Mapping[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shard = shard

    def execute(self, context: Context) -> dict[str, Any]:
        """Write the shard's partial; return its descriptor with the partial's S3 URI (XCom)."""
        self.validate()
        with self._stoppable() as stop:
            written = _sharded_window(self, context).run_shard(self.hook.s3_hook.get_conn, self.shard, stop)
        self.log.info("Shard %s: %s, partial at %s", written["shard"], written["status"], written["partial"])
        return written


class SelfHostedShardMergeOperator(SelfHostedMonitoringAnalysisOperator):
    """Merge the shards' partials, write the reports and return the execution summary.

    It ends as :class:`~airflow_mm_provider.operators.self_hosted.SelfHostedMonitoringAnalysisOperator`
    does (``fail_on_violations``, ``fail_on_failed``), with the same summary in XCom.

    :param shards: the shard tasks' descriptors (templated: pass the mapped task's ``output``).
    :param kwargs: the parameters of
        :class:`~airflow_mm_provider.operators.self_hosted.SelfHostedMonitoringAnalysisOperator`.
    """

    template_fields: Sequence[str] = (*SelfHostedMonitoringAnalysisOperator.template_fields, "shards")

    def __init__(self, *, shards: Sequence[Mapping[str, Any]] | XComArg, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shards = shards

    def analyse(self, context: Context, stop: threading.Event) -> dict[str, Any]:
        """Merge the partials and write the reports; return the execution summary.

        :param context: the task context.
        :param stop: set it to stop the merge (it then ends ``Stopped``).
        """
        descriptors = list(cast("Sequence[Mapping[str, Any]]", self.shards))  # the XComArg is rendered
        return _sharded_window(self, context).merge(self.hook.s3_hook.get_conn, descriptors, stop)


def self_hosted_monitoring_group(
    group_id: str,
    *,
    monitoring_schedule_name: str,
    monitoring_type: str,
    job_definition: JobDefinition,
    shards: int = DEFAULT_SHARDS,
    fail_on_violations: bool = False,
    fail_on_failed: bool = True,
    **kwargs: Any,
) -> TaskGroup:
    """A task group analysing one data interval in shards: ``plan`` >> ``shard`` (mapped) >> ``merge``.

    Build it inside a DAG. The ``merge`` task (``<group_id>.merge``) returns the execution summary of
    :class:`~airflow_mm_provider.operators.self_hosted.SelfHostedMonitoringAnalysisOperator`; give the
    violation branch operator ``execution="{{ ti.xcom_pull('<group_id>.merge') }}"``.

    :param group_id: the task group's id.
    :param monitoring_schedule_name: the monitor's name (the schedule name in the report key).
    :param monitoring_type: ``DataQuality``, ``ModelQuality`` or ``ModelBias``.
    :param job_definition: the job definition a monitoring schedule would run (typed spec or API-shaped dict).
    :param shards: the most shards, so the most mapped tasks (at least 1).
    :param fail_on_violations: the merge task fails when the analysis found violations.
    :param fail_on_failed: the merge task fails when the analysis ended ``Failed`` or ``Stopped``.
    :param kwargs: the other parameters of the analysis operator (``capture_destination``, ``schedule``,
        ``slot``, ``baseline``, ``constraints_uri``, ``statistics_uri``, ``aws_conn_id``, ...) and
        ``BaseOperator`` arguments (``retries``, ``pool``, ``executor_config``, ...), for all three tasks.
    """
    common = {
        "monitoring_schedule_name": monitoring_schedule_name,
        "monitoring_type": monitoring_type,
        "job_definition": job_definition,
        **kwargs,
    }
    with TaskGroup(group_id) as group:
        plan = SelfHostedShardPlanOperator(task_id="plan", shards=_check_shards(shards), **common)
        counted = SelfHostedShardOperator.partial(task_id="shard", **common).expand(shard=plan.output)
        SelfHostedShardMergeOperator(
            task_id="merge",
            shards=counted.output,
            fail_on_violations=fail_on_violations,
            fail_on_failed=fail_on_failed,
            **common,
        )
    return group
