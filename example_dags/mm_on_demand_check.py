"""On-demand check of a past window, started by hand: trigger it with ``params`` (or the UI's form).

Params: ``monitor_type`` (``ModelQuality`` or ``ModelBias``), the window (``window_end``, an ISO-8601 time,
empty for the top of the current hour, and ``hours``, 1 to 24), and which violations matter
(``subjects``: metric or feature names, empty for all; ``min_count``). The check runs a one-time (``NOW``)
monitoring schedule against the deployed model version's baseline, waits for its execution, deletes the
schedule, and ``judge`` reports the violations that matter (failing the run when ``fail_on_violations``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.providers.common.compat.sdk import DAG, AirflowFailException, Param, TriggerRule, task
from mm_examples import MODEL_VERSION, load_settings
from mm_examples.monitors import (
    MODEL_BIAS,
    MODEL_QUALITY,
    baseline_output,
    model_bias_definition,
    model_quality_definition,
)

from airflow_mm_provider.operators.schedule import SageMakerOneTimeMonitoringOperator

settings = load_settings()
log = logging.getLogger(__name__)
CHECKS = {"ModelQuality": "model_quality_check", "ModelBias": "model_bias_check"}


@task(multiple_outputs=True)
def analysis_window(params: dict[str, Any]) -> dict[str, str]:
    """The analysed window ``[window_end - hours, window_end)``; ``window_end`` defaults to this hour."""
    end_text = params.get("window_end")
    end = (
        datetime.fromisoformat(end_text.replace("Z", "+00:00"))
        if end_text
        else datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    )
    start = end - timedelta(hours=int(params["hours"]))
    return {"start": start.isoformat(), "end": end.isoformat()}


@task.branch
def choose_check(params: dict[str, Any]) -> str:
    """The one-time check of the chosen monitor type."""
    return CHECKS[params["monitor_type"]]


@task(trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS)
def judge(params: dict[str, Any], **context: Any) -> dict[str, Any]:
    """Read the execution's violations and keep those that matter; fail the run if asked to."""
    from airflow_mm_provider.hooks.model_monitor import SageMakerModelMonitorHook
    from airflow_mm_provider.monitoring import ViolationFilter

    monitoring_type = params["monitor_type"]
    execution = context["ti"].xcom_pull(task_ids=CHECKS[monitoring_type])
    hook = SageMakerModelMonitorHook(aws_conn_id=settings.aws_conn_id, region_name=settings.region)
    report = hook.read_violations(execution, monitoring_type)
    matter = ViolationFilter(subjects=params["subjects"] or None, min_count=int(params["min_count"]))
    counted = matter.apply(report)
    log.info("Violations that matter:\n%s", counted.to_table())
    verdict = {
        "execution_status": execution["monitoring_execution_status"],
        "violations": report.count,
        "violations_that_matter": counted.count,
        "summary": counted.summary(),
    }
    if params["fail_on_violations"] and counted.count >= matter.min_count:
        raise AirflowFailException(
            f"{counted.count} violations that matter: {verdict['summary']['by_subject']}"
        )
    return verdict


with DAG(
    dag_id="mm_on_demand_check",
    description="One-time monitoring check of a chosen window",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    params={
        "monitor_type": Param("ModelQuality", enum=sorted(CHECKS), description="which monitor to run"),
        "window_end": Param(
            None,
            type=["null", "string"],
            description="end of the window (ISO-8601); empty: this hour",
        ),
        "hours": Param(1, type="integer", minimum=1, maximum=24, description="window length in hours"),
        "subjects": Param(
            None,
            type=["null", "array"],
            items={"type": "string"},
            description="metric or feature names that matter; empty: all",
        ),
        "min_count": Param(1, type="integer", minimum=1, description="violations that matter to count"),
        "fail_on_violations": Param(False, type="boolean", description="fail the run when they count"),
    },
    tags=["sagemaker-model-monitor", "example"],
) as dag:
    window = analysis_window()
    common = {
        "window_start": window["start"],
        "window_end": window["end"],
        "check_interval": settings.poke_interval,
        "deferrable": settings.deferrable,
        **settings.aws,
    }
    quality = SageMakerOneTimeMonitoringOperator(
        task_id=CHECKS["ModelQuality"],
        monitoring_type="ModelQuality",
        job_definition=model_quality_definition(settings),
        constraints_uri=f"{baseline_output(settings, MODEL_VERSION, MODEL_QUALITY)}/constraints.json",
        **common,
    )
    bias = SageMakerOneTimeMonitoringOperator(
        task_id=CHECKS["ModelBias"],
        monitoring_type="ModelBias",
        job_definition=model_bias_definition(settings),
        constraints_uri=f"{baseline_output(settings, MODEL_VERSION, MODEL_BIAS)}/analysis.json",
        **common,
    )
    window >> choose_check() >> [quality, bias] >> judge()
