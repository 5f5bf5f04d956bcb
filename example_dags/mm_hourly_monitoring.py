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

from datetime import datetime, timezone

from airflow.providers.common.compat.sdk import DAG, TriggerRule
from mm_examples import (
    MODEL_VERSION,
    CronDataIntervalTimetable,
    EmptyOperator,
    TriggerDagRunOperator,
    load_settings,
)
from mm_examples.branching import alert, violation_branch
from mm_examples.monitors import HOURLY, MODEL_BIAS, MODEL_QUALITY, endpoint_monitors

from airflow_mm_provider.sensors.execution import SageMakerMonitoringExecutionSensor

settings = load_settings()
MONITORS = {"model_quality": ("ModelQuality", MODEL_QUALITY), "model_bias": ("ModelBias", MODEL_BIAS)}
"""Task prefix -> (monitoring type, schedule suffix)."""


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
    failed = alert(MONITORS)
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
        # <prefix>_branch -> <prefix>_ok / _violations / _failed, then done / trigger_retraining / alert
        branch = violation_branch(
            settings, prefix, monitoring_type, wait.output, done=done, on_violations=retrain, on_failed=failed
        )
        monitors[f"{prefix}_schedule"] >> wait >> branch
