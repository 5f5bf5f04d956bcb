"""Task factories the example DAGs share: baselines, the bias config upload, job definitions, schedules.

The hourly monitoring DAG and the retraining DAG build the same tasks for a model version, so the schedules
the retraining DAG points at new baselines are the ones the hourly DAG keeps converging on. Baseline jobs
are named after the endpoint and the model version: the hourly DAG finds the version's completed job and
reuses its result instead of running a new one.
"""

from __future__ import annotations

import json
from typing import Any

from airflow.providers.common.compat.sdk import task

from airflow_mm_provider.monitoring import (
    BatchTransformInput,
    ClusterResources,
    DataQualityJobDefinition,
    DatasetFormat,
    EndpointInput,
    GroundTruthInput,
    ModelBiasJobDefinition,
    ModelQualityJobDefinition,
    MonitoringOutput,
    ScheduleExpression,
    StoppingCondition,
    analyzer_image_uri,
    clarify_image_uri,
)
from airflow_mm_provider.operators.baseline import (
    PROCESSING_JOB_RUNNER,
    SageMakerDataQualityBaselineOperator,
    SageMakerModelBiasBaselineOperator,
    SageMakerModelQualityBaselineOperator,
)
from airflow_mm_provider.operators.schedule import SageMakerMonitoringScheduleOperator
from mm_examples import BIAS_MONITORING_CONFIG, FACET, ExampleSettings

HOURLY = ScheduleExpression.hourly()
MODEL_QUALITY = "model-quality"
MODEL_BIAS = "model-bias"
DATA_QUALITY = "data-quality"
RESOURCES = ClusterResources(instance_count=1, instance_type="ml.m5.xlarge", volume_size_in_gb=30)
HOURLY_RUNTIME = StoppingCondition(1800)
"""Hourly model-quality and bias jobs may run at most 30 minutes."""


def region_of(settings: ExampleSettings) -> str:
    """The region of the built-in images (the settings' region, us-east-1 when unset)."""
    return settings.region or "us-east-1"


def bias_config_uri(settings: ExampleSettings) -> str:
    """Where the bias monitor's ``analysis_config.json`` is uploaded."""
    return settings.uri("monitoring-config", settings.endpoint_name, "bias-analysis-config.json")


def endpoint_input(settings: ExampleSettings) -> EndpointInput:
    """The endpoint's captured traffic of the hour before each slot; the output's column 0 is the score."""
    return EndpointInput(
        settings.endpoint_name,
        probability_attribute="0",
        probability_threshold_attribute=0.5,
        start_time_offset="-PT1H",
        end_time_offset="-PT0H",
    )


def batch_input(settings: ExampleSettings) -> BatchTransformInput:
    """Batch-transform output captured as CSV without a header; column 0 is the score."""
    return BatchTransformInput(
        settings.batch_capture_prefix,
        DatasetFormat.csv(header=False),
        probability_attribute="0",
        probability_threshold_attribute=0.5,
        start_time_offset="-PT1H",
        end_time_offset="-PT0H",
    )


def data_quality_definition(settings: ExampleSettings) -> DataQualityJobDefinition:
    """Data quality of the endpoint's captured requests of the hour before each slot."""
    return DataQualityJobDefinition(
        role_arn=settings.role_arn,
        image_uri=analyzer_image_uri(region_of(settings)),
        input=EndpointInput(settings.endpoint_name, start_time_offset="-PT1H", end_time_offset="-PT0H"),
        output=MonitoringOutput(settings.reports_prefix),
        resources=RESOURCES,
        stopping_condition=HOURLY_RUNTIME,
    )


def model_quality_definition(
    settings: ExampleSettings,
    source: EndpointInput | BatchTransformInput | None = None,
    ground_truth_prefix: str | None = None,
) -> ModelQualityJobDefinition:
    """Binary-classification quality of ``source`` (default: the endpoint) against its ground truth.

    :param settings: the example settings.
    :param source: the captured data; default: the endpoint's.
    :param ground_truth_prefix: where the labels land; default: the endpoint's ground-truth prefix.
    """
    return ModelQualityJobDefinition(
        role_arn=settings.role_arn,
        image_uri=analyzer_image_uri(region_of(settings)),
        input=source or endpoint_input(settings),
        output=MonitoringOutput(settings.reports_prefix),
        ground_truth=GroundTruthInput(ground_truth_prefix or settings.ground_truth_prefix),
        problem_type="BinaryClassification",
        resources=RESOURCES,
        stopping_condition=HOURLY_RUNTIME,
    )


def model_bias_definition(settings: ExampleSettings) -> ModelBiasJobDefinition:
    """Post-training bias drift of the endpoint's traffic on :data:`FACET`."""
    return ModelBiasJobDefinition(
        role_arn=settings.role_arn,
        image_uri=clarify_image_uri(region_of(settings)),
        input=endpoint_input(settings),
        output=MonitoringOutput(settings.reports_prefix),
        ground_truth=GroundTruthInput(settings.ground_truth_prefix),
        config_uri=bias_config_uri(settings),
        resources=RESOURCES,
        stopping_condition=HOURLY_RUNTIME,
    )


def baseline_output(settings: ExampleSettings, version: str, kind: str) -> str:
    """The S3 prefix of one model version's baseline of ``kind`` (``model-quality`` or ``model-bias``)."""
    return f"{settings.model_prefix(version)}/baselines/{kind}"


def validation_dataset(settings: ExampleSettings, version: str, kind: str) -> str:
    """The validation predictions of one model version, as the baseline of ``kind`` reads them."""
    return f"{settings.model_prefix(version)}/validation/{kind}.csv"


def data_quality_baseline(
    settings: ExampleSettings, version: str, runner: str = PROCESSING_JOB_RUNNER
) -> SageMakerDataQualityBaselineOperator:
    """Baseline the statistics and constraints of the model version's validation inputs.

    :param settings: the example settings.
    :param version: the model version (a template is fine).
    :param runner: ``processing_job`` (a SageMaker processing job) or ``worker`` (the Airflow worker).
    """
    return SageMakerDataQualityBaselineOperator(
        task_id="data_quality_baseline",
        job_name=f"{settings.endpoint_name}-dq-baseline-{version}",
        baseline_dataset=validation_dataset(settings, version, DATA_QUALITY),
        output_s3_uri=baseline_output(settings, version, DATA_QUALITY),
        role_arn=settings.role_arn,
        dataset_format=DatasetFormat.csv(header=True),
        check_interval=settings.check_interval,
        deferrable=settings.deferrable,
        runner=runner,
        **settings.aws,
    )


def model_quality_baseline(
    settings: ExampleSettings, version: str, runner: str = PROCESSING_JOB_RUNNER
) -> SageMakerModelQualityBaselineOperator:
    """Baseline the model version's quality metrics from its validation predictions.

    :param settings: the example settings.
    :param version: the model version (a template is fine).
    :param runner: ``processing_job`` (a SageMaker processing job) or ``worker`` (the Airflow worker).
    """
    return SageMakerModelQualityBaselineOperator(
        task_id="model_quality_baseline",
        job_name=f"{settings.endpoint_name}-mq-baseline-{version}",
        baseline_dataset=validation_dataset(settings, version, MODEL_QUALITY),
        output_s3_uri=baseline_output(settings, version, MODEL_QUALITY),
        role_arn=settings.role_arn,
        dataset_format=DatasetFormat.csv(header=True),
        problem_type="BinaryClassification",
        ground_truth_attribute="label",
        inference_attribute="prediction",
        probability_attribute="probability",
        probability_threshold_attribute=0.5,
        check_interval=settings.check_interval,
        deferrable=settings.deferrable,
        runner=runner,
        **settings.aws,
    )


def model_bias_baseline(
    settings: ExampleSettings, version: str, runner: str = PROCESSING_JOB_RUNNER
) -> SageMakerModelBiasBaselineOperator:
    """Baseline the model version's bias metrics on :data:`FACET` from its validation predictions.

    :param settings: the example settings.
    :param version: the model version (a template is fine).
    :param runner: ``processing_job`` (a SageMaker processing job) or ``worker`` (the Airflow worker).
    """
    return SageMakerModelBiasBaselineOperator(
        task_id="model_bias_baseline",
        job_name=f"{settings.endpoint_name}-bias-baseline-{version}",
        baseline_dataset=validation_dataset(settings, version, MODEL_BIAS),
        output_s3_uri=baseline_output(settings, version, MODEL_BIAS),
        role_arn=settings.role_arn,
        dataset_format=DatasetFormat.csv(header=True),
        label="label",
        label_values_or_threshold=[1],
        facet=FACET,
        facet_values_or_threshold=[0],
        predicted_label="prediction",
        check_interval=settings.check_interval,
        deferrable=settings.deferrable,
        runner=runner,
        **settings.aws,
    )


def upload_bias_config(settings: ExampleSettings) -> Any:
    """A task writing the bias monitor's analysis config to S3 (rewriting the same object is harmless)."""
    uri = bias_config_uri(settings)
    bucket, key = uri[len("s3://") :].split("/", 1)

    @task(task_id="upload_bias_config")
    def upload() -> str:
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        hook = S3Hook(aws_conn_id=settings.aws_conn_id, region_name=settings.region)
        hook.load_string(json.dumps(BIAS_MONITORING_CONFIG), key, bucket_name=bucket, replace=True)
        return uri

    return upload()


def endpoint_monitors(settings: ExampleSettings, version: str) -> dict[str, Any]:
    """Baselines of ``version`` and the endpoint's hourly model-quality and bias schedules pointing at them.

    Returns the tasks by role: ``model_quality_schedule`` and ``model_bias_schedule`` are the last ones.

    :param settings: the example settings.
    :param version: the model version (a template is fine).
    """
    quality_baseline = model_quality_baseline(settings, version)
    bias_baseline = model_bias_baseline(settings, version)
    config = upload_bias_config(settings)
    quality_schedule = SageMakerMonitoringScheduleOperator(
        task_id="model_quality_schedule",
        monitoring_schedule_name=settings.schedule_name(MODEL_QUALITY),
        monitoring_type="ModelQuality",
        job_definition=model_quality_definition(settings),
        schedule=HOURLY,
        baseline=quality_baseline.output,
        **settings.aws,
    )
    bias_schedule = SageMakerMonitoringScheduleOperator(
        task_id="model_bias_schedule",
        monitoring_schedule_name=settings.schedule_name(MODEL_BIAS),
        monitoring_type="ModelBias",
        job_definition=model_bias_definition(settings),
        schedule=HOURLY,
        baseline=bias_baseline.output,
        **settings.aws,
    )
    config >> bias_schedule
    return {
        "model_quality_baseline": quality_baseline,
        "model_bias_baseline": bias_baseline,
        "upload_bias_config": config,
        "model_quality_schedule": quality_schedule,
        "model_bias_schedule": bias_schedule,
    }
