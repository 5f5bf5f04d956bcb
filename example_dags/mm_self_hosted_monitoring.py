"""Hourly data-quality, model-quality and bias checks of an endpoint's traffic, without Model Monitor.

The same checks as ``mm_hourly_monitoring``, run by Airflow instead of SageMaker Model Monitor: no
monitoring schedule, no processing job, no SageMaker call at all; the workers read the captured traffic,
ground truth and baselines from S3 and write the reports back to S3, at the keys Model Monitor uses. Every
hour:

- baseline the deployed model version's validation data on the worker (``runner="worker"``); the files are
  small, so they are computed again each hour (for large ones, baseline once, e.g. in the retraining DAG, and
  pass ``constraints_uri`` / ``statistics_uri`` instead);
- analyse the hour before this run's ``data_interval_end`` for each monitor
  (``SelfHostedMonitoringAnalysisOperator``): the window a Model Monitor execution at that slot would analyse;
- branch on each summary exactly as the hourly example does: clean ``done``; violations ``violations_found``
  (the branch also emits an asset event per monitor, ``sagemaker-model-monitor://<region>/<monitor>``); an
  analysis that failed (e.g. "Job inputs had no data") ``alert``.

Settings: the ``mm_examples`` Variable (see ``mm_examples``); the deployed version: the ``mm_model_version``
Variable (``v1`` until the retraining DAG promotes a new one). Workers need the ``engine`` extra
(``pip install 'airflow-mm-provider[engine]'``) and an AWS connection allowed to read and write the bucket.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from airflow.providers.common.compat.sdk import DAG, TriggerRule, task
from mm_examples import MODEL_VERSION, CronDataIntervalTimetable, EmptyOperator, load_settings
from mm_examples.branching import alert, violation_branch
from mm_examples.monitors import (
    DATA_QUALITY,
    HOURLY,
    MODEL_BIAS,
    MODEL_QUALITY,
    data_quality_baseline,
    data_quality_definition,
    model_bias_baseline,
    model_bias_definition,
    model_quality_baseline,
    model_quality_definition,
    upload_bias_config,
)

from airflow_mm_provider.operators.baseline import WORKER_RUNNER
from airflow_mm_provider.operators.self_hosted import SelfHostedMonitoringAnalysisOperator

settings = load_settings()
log = logging.getLogger(__name__)
MONITORS = {
    "data_quality": ("DataQuality", DATA_QUALITY, data_quality_definition, data_quality_baseline),
    "model_quality": ("ModelQuality", MODEL_QUALITY, model_quality_definition, model_quality_baseline),
    "model_bias": ("ModelBias", MODEL_BIAS, model_bias_definition, model_bias_baseline),
}
"""Task prefix -> (monitoring type, monitor suffix, job definition, baseline task)."""


@task(trigger_rule=TriggerRule.ONE_SUCCESS)
def violations_found(**context: object) -> list[dict[str, object]]:
    """Report the violations the branches read (replace the log line with what should happen next)."""
    ti = context["ti"]
    reports = ti.xcom_pull(task_ids=[f"{prefix}_branch" for prefix in MONITORS], key="violation_report")
    found = [report for report in reports if report and report.get("count")]
    for report in found:
        log.warning("%s: %d violations %s", report["monitoring_type"], report["count"], report["by_subject"])
    return found


with DAG(
    dag_id="mm_self_hosted_monitoring",
    description="Hourly data-quality, model-quality and bias checks of an endpoint, without Model Monitor",
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=datetime(2024, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    tags=["sagemaker-model-monitor", "self-hosted", "example"],
) as dag:
    done = EmptyOperator(task_id="done")
    found = violations_found()
    failed = alert(MONITORS)
    config = upload_bias_config(settings)
    for prefix, (monitoring_type, kind, definition, baseline_task) in MONITORS.items():
        baseline = baseline_task(settings, MODEL_VERSION, runner=WORKER_RUNNER)
        analysis = SelfHostedMonitoringAnalysisOperator(
            task_id=f"{prefix}_analysis",
            monitoring_schedule_name=settings.schedule_name(f"self-hosted-{kind}"),
            monitoring_type=monitoring_type,
            job_definition=definition(settings),
            schedule=HOURLY,
            baseline=baseline.output,
            capture_destination=settings.capture_prefix,
            fail_on_failed=False,  # the branch routes failed analyses
            **settings.aws,
        )
        # <prefix>_branch -> <prefix>_ok / _violations / _failed, then done / violations_found / alert
        branch = violation_branch(
            settings,
            prefix,
            monitoring_type,
            analysis.output,
            done=done,
            on_violations=found,
            on_failed=failed,
        )
        baseline >> analysis >> branch
        if monitoring_type == "ModelBias":
            config >> analysis
