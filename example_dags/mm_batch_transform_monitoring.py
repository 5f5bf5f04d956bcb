"""Hourly model-quality monitoring of batch-transform output (``BatchTransformInput`` with ``DatasetFormat``).

The batch-transform jobs capture their output (CSV without a header, the score in column 0, with
``SageMakerInferenceId`` columns so ground truth can be joined) under ``batch_capture_prefix``. The monitor
compares each hour's output with the ground truth against the deployed model version's quality baseline
(the same baseline job the endpoint monitoring uses, reused when it exists), then branches: clean ``done``;
violations or a failed execution ``notify``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from airflow.providers.common.compat.sdk import DAG, TriggerRule, task
from mm_examples import MODEL_VERSION, CronDataIntervalTimetable, EmptyOperator, load_settings
from mm_examples.monitors import HOURLY, batch_input, model_quality_baseline, model_quality_definition

from airflow_mm_provider.operators.branch import SageMakerMonitoringViolationBranchOperator
from airflow_mm_provider.operators.schedule import SageMakerMonitoringScheduleOperator
from airflow_mm_provider.sensors.execution import SageMakerMonitoringExecutionSensor

settings = load_settings()
log = logging.getLogger(__name__)
SCHEDULE_NAME = f"{settings.endpoint_name}-batch-model-quality"


@task(trigger_rule=TriggerRule.ONE_SUCCESS)
def notify(**context: object) -> dict[str, object]:
    """Report what the batch monitor found (replace the log line with your notifier)."""
    ti = context["ti"]
    found = {
        "violations": ti.xcom_pull(task_ids="batch_branch", key="violation_report"),
        "failure": ti.xcom_pull(task_ids="batch_branch", key="execution_failure"),
    }
    log.warning("Batch-transform monitoring needs attention: %s", found)
    return found


with DAG(
    dag_id="mm_batch_transform_monitoring",
    description="Hourly model-quality monitoring of batch-transform output",
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=datetime(2024, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    tags=["sagemaker-model-monitor", "example"],
) as dag:
    baseline = model_quality_baseline(settings, MODEL_VERSION)
    schedule = SageMakerMonitoringScheduleOperator(
        task_id="batch_schedule",
        monitoring_schedule_name=SCHEDULE_NAME,
        monitoring_type="ModelQuality",
        job_definition=model_quality_definition(
            settings, batch_input(settings), settings.batch_ground_truth_prefix
        ),
        schedule=HOURLY,
        baseline=baseline.output,
        **settings.aws,
    )
    wait = SageMakerMonitoringExecutionSensor(
        task_id="wait_batch",
        monitoring_schedule_name=SCHEDULE_NAME,
        schedule_expression=HOURLY,
        fail_on_failed=False,  # the branch routes failed executions
        deferrable=settings.deferrable,
        poke_interval=settings.poke_interval,
        timeout=2 * 3600,
        **settings.aws,
    )
    done = EmptyOperator(task_id="done")
    attention = EmptyOperator(task_id="needs_attention")
    branch = SageMakerMonitoringViolationBranchOperator(
        task_id="batch_branch",
        monitoring_type="ModelQuality",
        execution=wait.output,
        on_completed=done.task_id,
        on_violations=attention.task_id,
        on_failed=attention.task_id,
        **settings.aws,
    )
    baseline >> schedule >> wait >> branch >> [done, attention]
    attention >> notify()
