"""Retraining pipeline: a new model version, its baselines, and the monitoring schedules moved onto them.

Started by ``mm_hourly_monitoring`` when a monitor finds violations (``TriggerDagRunOperator``). To start it
from the violations themselves instead, schedule it on the asset the branch operator emits:
``schedule=[Asset("sagemaker-model-monitor://<region>/<endpoint>-model-quality")]`` (``Asset`` from
``airflow.providers.common.compat.sdk``; a ``Dataset`` on Airflow 2).

1. ``retrain`` stands in for training: it writes the new version's validation predictions to
   ``s3://<bucket>/models/<version>/validation/``. In a real pipeline this is a
   ``SageMakerTrainingOperator`` (or ``SageMakerStartPipelineOperator``) followed by a
   ``SageMakerTransformOperator`` scoring the validation set.
2. New model-quality and bias baselines from those predictions.
3. The endpoint's schedules updated in place to the new baselines (a changed job definition gets a new name;
   the old one is deleted).
4. ``promote`` records the version in the ``mm_model_version`` Variable, which the hourly DAG monitors.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from airflow.providers.common.compat.sdk import DAG, task
from mm_examples import MODEL_VERSION_VARIABLE, load_settings
from mm_examples.monitors import MODEL_BIAS, MODEL_QUALITY, endpoint_monitors, validation_dataset

settings = load_settings()
NEW_VERSION = "{{ ti.xcom_pull(task_ids='retrain', key='model_version') }}"
RETRAINED_SEED = 8
"""Seed of the stand-in model's validation predictions."""


@task(multiple_outputs=True)
def retrain(**context: object) -> dict[str, str]:
    """Stand-in for training: write the new version's validation predictions (synthetic) to S3.

    The version name derives from the DAG run, so a retried task writes the same version again.
    """
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    from airflow_mm_provider.local.synthetic import (
        bias_baseline_csv,
        make_traffic,
        model_quality_baseline_csv,
    )

    version = f"retrain-{hashlib.sha256(str(context['run_id']).encode()).hexdigest()[:10]}"
    predictions = make_traffic(1000, RETRAINED_SEED)
    hook = S3Hook(aws_conn_id=settings.aws_conn_id, region_name=settings.region)
    for kind, body in (
        (MODEL_QUALITY, model_quality_baseline_csv(predictions)),
        (MODEL_BIAS, bias_baseline_csv(predictions)),
    ):
        bucket, key = validation_dataset(settings, version, kind)[len("s3://") :].split("/", 1)
        hook.load_string(body, key, bucket_name=bucket, replace=True)
    return {"model_version": version}


@task
def promote(version: str) -> str:
    """Make ``version`` the deployed model version the hourly monitoring DAG baselines against."""
    from airflow.providers.common.compat.sdk import Variable

    Variable.set(MODEL_VERSION_VARIABLE, version)
    return version


with DAG(
    dag_id="mm_retraining",
    description="Retrain, re-baseline and repoint the monitoring schedules",
    schedule=None,
    start_date=datetime(2024, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    tags=["sagemaker-model-monitor", "example"],
) as dag:
    new_model = retrain()
    monitors = endpoint_monitors(settings, NEW_VERSION)
    new_model >> [monitors["model_quality_baseline"], monitors["model_bias_baseline"]]
    [monitors["model_quality_schedule"], monitors["model_bias_schedule"]] >> promote(
        new_model["model_version"]
    )
