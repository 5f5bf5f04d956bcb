"""The branch the monitoring examples share: per monitor, a violation branch and its three outcomes, and the
``alert`` task that reports what failed.

The hourly DAG branches on the executions Model Monitor ran, the self-hosted DAG on the analyses its workers
ran; both summaries have the same shape, so the branch is built the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from airflow.providers.common.compat.sdk import TriggerRule, task

from airflow_mm_provider.operators.branch import FAILURE_KEY, SageMakerMonitoringViolationBranchOperator
from mm_examples import EmptyOperator, ExampleSettings

log = logging.getLogger(__name__)
OUTCOMES = ("ok", "violations", "failed")
"""The suffixes of a monitor's outcome tasks: clean, violations found, failed."""


def violation_branch(
    settings: ExampleSettings,
    prefix: str,
    monitoring_type: str,
    execution: Any,
    *,
    done: Any,
    on_violations: Any,
    on_failed: Any,
) -> SageMakerMonitoringViolationBranchOperator:
    """``<prefix>_branch``: follow ``<prefix>_ok`` (then ``done``), ``<prefix>_violations`` (then
    ``on_violations``) or ``<prefix>_failed`` (then ``on_failed``), after what ``execution`` found.

    The branch also emits an asset event per monitor, ``sagemaker-model-monitor://<region>/<monitor>``.

    :param settings: the example settings.
    :param prefix: the monitor's task-id prefix, e.g. ``model_quality``.
    :param monitoring_type: ``DataQuality``, ``ModelQuality`` or ``ModelBias``.
    :param execution: the execution summary to branch on: the output of an execution sensor or of a
        self-hosted analysis task.
    :param done: the task after a clean outcome.
    :param on_violations: the task after violations.
    :param on_failed: the task after a failed execution.
    """
    ok, violations, failed = (EmptyOperator(task_id=f"{prefix}_{outcome}") for outcome in OUTCOMES)
    branch = SageMakerMonitoringViolationBranchOperator(
        task_id=f"{prefix}_branch",
        monitoring_type=monitoring_type,
        execution=execution,
        on_completed=ok.task_id,
        on_violations=violations.task_id,
        on_failed=failed.task_id,
        emit_asset=True,
        **settings.aws,
    )
    branch >> [ok, violations, failed]
    ok >> done
    violations >> on_violations
    failed >> on_failed
    return branch


def alert(prefixes: Iterable[str]) -> Any:
    """The ``alert`` task: runs when any ``<prefix>_failed`` ran, and logs why each failed monitor failed.

    :param prefixes: the monitors' task-id prefixes.
    """
    branches = [f"{prefix}_branch" for prefix in prefixes]

    @task(task_id="alert", trigger_rule=TriggerRule.ONE_SUCCESS)
    def report_failures(**context: Any) -> list[str]:
        """Report failed monitors (replace the log line with your pager or chat notifier)."""
        messages = context["ti"].xcom_pull(task_ids=branches, key=FAILURE_KEY)
        failures = [message for message in messages if message]
        for message in failures:
            log.error("Monitoring failed: %s", message)
        return failures

    return report_failures()
