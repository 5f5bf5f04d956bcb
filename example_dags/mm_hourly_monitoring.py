"""Hourly model-quality and bias monitoring of an endpoint, with a branch on what each execution found.

Every hour: make sure the deployed model version has its baselines (a completed baseline job of that
version is reused, not rerun), keep both monitoring schedules pointed at them, wait for the executions
scheduled in this run's data interval, then branch:

- both monitors clean: ``done``;
- any violations: ``trigger_retraining`` starts the ``mm_retraining`` DAG (the branch also emits an asset
  event per schedule, ``sagemaker-model-monitor://<region>/<schedule>``, for DAGs scheduled on it);
- an execution failed: ``alert``.

Settings: the ``mm_examples`` Variable (see ``mm_examples``); the deployed version: the ``mm_model_version``
Variable (``v1`` until the retraining DAG promotes a new one).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from airflow.providers.common.compat.sdk import DAG, TriggerRule, task
from mm_examples import (
    MODEL_VERSION,
    CronDataIntervalTimetable,
    EmptyOperator,
    TriggerDagRunOperator,
    load_settings,
)
from mm_examples.monitors import HOURLY, MODEL_BIAS, MODEL_QUALITY, endpoint_monitors

from airflow_mm_provider.operators.branch import SageMakerMonitoringViolationBranchOperator
from airflow_mm_provider.sensors.execution import SageMakerMonitoringExecutionSensor

settings = load_settings()
log = logging.getLogger(__name__)
MONITORS = {"model_quality": ("ModelQuality", MODEL_QUALITY), "model_bias": ("ModelBias", MODEL_BIAS)}
"""Task prefix -> (monitoring type, schedule suffix)."""


@task(trigger_rule=TriggerRule.ONE_SUCCESS)
def alert(**context: object) -> list[str]:
    """Report failed executions (replace the log line with your pager or chat notifier)."""
    ti = context["ti"]
    messages = ti.xcom_pull(task_ids=[f"{prefix}_branch" for prefix in MONITORS], key="execution_failure")
    failures = [message for message in messages if message]
    for message in failures:
        log.error("Monitoring execution failed: %s", message)
    return failures


with DAG(
    dag_id="mm_hourly_monitoring",
    description="Hourly model-quality and bias monitoring of an endpoint",
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=datetime(2024, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    tags=["sagemaker-model-monitor", "example"],
) as dag:
    monitors = endpoint_monitors(settings, MODEL_VERSION)
    done = EmptyOperator(task_id="done")
    retrain = TriggerDagRunOperator(
        task_id="trigger_retraining",
        trigger_dag_id="mm_retraining",
        conf={"reason": "monitoring violations", "monitoring_run": "{{ run_id }}"},
        trigger_rule=TriggerRule.ONE_SUCCESS,
    )
    failed = alert()
    for prefix, (monitoring_type, kind) in MONITORS.items():
        wait = SageMakerMonitoringExecutionSensor(
            task_id=f"wait_{prefix}",
            monitoring_schedule_name=settings.schedule_name(kind),
            schedule_expression=HOURLY,
            fail_on_failed=False,  # the branch routes failed executions
            deferrable=settings.deferrable,
            poke_interval=settings.poke_interval,
            timeout=2 * 3600,
            **settings.aws,
        )
        ok, violations, failure = (
            EmptyOperator(task_id=f"{prefix}_{outcome}") for outcome in ("ok", "violations", "failed")
        )
        branch = SageMakerMonitoringViolationBranchOperator(
            task_id=f"{prefix}_branch",
            monitoring_type=monitoring_type,
            execution=wait.output,
            on_completed=ok.task_id,
            on_violations=violations.task_id,
            on_failed=failure.task_id,
            emit_asset=True,
            **settings.aws,
        )
        monitors[f"{prefix}_schedule"] >> wait >> branch >> [ok, violations, failure]
        ok >> done
        violations >> retrain
        failure >> failed
