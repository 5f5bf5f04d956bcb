"""Baseline operators loosen the suggested constraints through mm-local: the schedule's file is adjusted,
the job's suggestion is kept unchanged beside it, and a retry writes the same result."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_mm_provider.monitoring.tolerance import (
    BiasTolerance,
    DataQualityTolerance,
    ModelQualityTolerance,
    ToleranceError,
)
from airflow_mm_provider.operators.baseline import (
    SageMakerDataQualityBaselineOperator,
    SageMakerModelBiasBaselineOperator,
    SageMakerModelQualityBaselineOperator,
)
from tests.operators import test_baseline
from tests.operators.test_baseline import BUCKET, HEADERS, context, expected_name, local_op, read_s3_json

service = test_baseline.local
"""The ``service`` fixture: mm-local holding a small CSV dataset (``local`` of test_baseline)."""

QUALITY = {
    "problem_type": "BinaryClassification",
    "ground_truth_attribute": "label",
    "inference_attribute": "prediction",
    "probability_attribute": "probability",
    "probability_threshold_attribute": 0.5,
}
BIAS = {
    "headers": HEADERS,
    "label": "label",
    "label_values_or_threshold": [1],
    "facet": "b",
    "facet_values_or_threshold": [0],
    "predicted_label": "prediction",
    "excluded_columns": ["probability"],
}


def _quality(service: Any, task_id: str, **kwargs: Any) -> SageMakerModelQualityBaselineOperator:
    return local_op(
        service, SageMakerModelQualityBaselineOperator, task_id, "train/with-header.csv", **QUALITY, **kwargs
    )


def _put_json(service: Any, uri: str, document: Any) -> None:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    service.s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(document))


def test_model_quality_tolerance_writes_loosened_constraints_and_keeps_the_suggestion(service):
    tolerance = ModelQualityTolerance(margin=0.05, metrics={"auc": 0.1})
    op = _quality(service, "mq-tol", tolerance=tolerance)
    result = op.execute(context())
    assert result["suggested_constraints_uri"] == f"s3://{BUCKET}/baselines/mq-tol/suggested/constraints.json"
    suggested = read_s3_json(service.s3, result["suggested_constraints_uri"])
    statistics = read_s3_json(service.s3, result["statistics_uri"])["binary_classification_metrics"]
    section = suggested["binary_classification_constraints"]
    assert section["accuracy"]["threshold"] == statistics["accuracy"]["value"]
    adjusted = read_s3_json(service.s3, result["constraints_uri"])
    assert adjusted == tolerance.apply(suggested)
    loosened = adjusted["binary_classification_constraints"]
    assert loosened["accuracy"]["threshold"] == pytest.approx(section["accuracy"]["threshold"] - 0.05)
    assert loosened["auc"]["threshold"] == pytest.approx(section["auc"]["threshold"] - 0.1)
    head = service.s3.head_object(Bucket=BUCKET, Key="baselines/mq-tol/suggested/constraints.json")
    assert head["Metadata"] == {"baselining-job-name": expected_name("mq-tol")}


def test_a_retry_converges_instead_of_loosening_twice(service):
    op = _quality(service, "mq-retry", tolerance=ModelQualityTolerance(margin=0.05))
    first = op.execute(context())
    adjusted = read_s3_json(service.s3, first["constraints_uri"])
    assert op.execute(context()) == first
    assert read_s3_json(service.s3, first["constraints_uri"]) == adjusted
    # a retry after a crash between keeping the suggestion and writing the loosened file
    _put_json(service, first["constraints_uri"], read_s3_json(service.s3, first["suggested_constraints_uri"]))
    assert op.execute(context()) == first
    assert read_s3_json(service.s3, first["constraints_uri"]) == adjusted
    jobs = service.sagemaker.list_processing_jobs()["ProcessingJobSummaries"]
    assert [job["ProcessingJobName"] for job in jobs] == [first["job_name"]]


def test_a_new_job_at_the_same_output_keeps_its_own_suggestion(service):
    first = _quality(service, "mq-shared").execute(context())
    stale = read_s3_json(service.s3, first["suggested_constraints_uri"])
    _put_json(service, first["suggested_constraints_uri"], {"binary_classification_constraints": {}})
    second = _quality(service, "mq-shared", job_name="mq-shared-second").execute(context())
    assert read_s3_json(service.s3, second["suggested_constraints_uri"]) == stale


def test_deferred_completion_applies_the_tolerance(service):
    _quality(service, "mq-deferred", tolerance=None).execute(context())
    op = _quality(service, "mq-deferred", tolerance=ModelQualityTolerance(margin=0.02), deferrable=True)
    event = {"status": "success", "job_name": expected_name("mq-deferred")}
    result = op.execute_complete(context(), event)
    suggested = read_s3_json(service.s3, result["suggested_constraints_uri"])
    adjusted = read_s3_json(service.s3, result["constraints_uri"])
    assert adjusted == ModelQualityTolerance(margin=0.02).apply(suggested) != suggested


def test_bias_tolerance_widens_analysis_json_and_none_keeps_the_job_output(service):
    kept = local_op(
        service, SageMakerModelBiasBaselineOperator, "mb-none", "train-no-header/", tolerance=None, **BIAS
    ).execute(context())
    assert kept["suggested_constraints_uri"] is None
    service.s3.head_object(Bucket=BUCKET, Key="baselines/mb-none/analysis.json")
    objects = service.s3.list_objects_v2(Bucket=BUCKET, Prefix="baselines/mb-none/suggested/")
    assert objects["KeyCount"] == 0
    result = local_op(
        service,
        SageMakerModelBiasBaselineOperator,
        "mb-tol",
        "train-no-header/",
        tolerance=BiasTolerance(margin=0.1),
        **BIAS,
    ).execute(context())
    suggested = read_s3_json(service.s3, result["suggested_constraints_uri"])
    assert suggested == read_s3_json(service.s3, kept["constraints_uri"])
    assert read_s3_json(service.s3, result["constraints_uri"]) == BiasTolerance(margin=0.1).apply(suggested)


def test_data_quality_tolerance_sets_the_drift_threshold(service):
    result = local_op(
        service,
        SageMakerDataQualityBaselineOperator,
        "dq-tol",
        "train/with-header.csv",
        tolerance=DataQualityTolerance(comparison_threshold=0.25),
    ).execute(context())
    adjusted = read_s3_json(service.s3, result["constraints_uri"])
    assert adjusted["monitoring_config"]["distribution_constraints"]["comparison_threshold"] == 0.25
    suggested = read_s3_json(service.s3, result["suggested_constraints_uri"])
    assert suggested["monitoring_config"]["distribution_constraints"]["comparison_threshold"] == 0.1


def test_a_tolerance_of_another_monitor_type_fails_at_construction(service):
    with pytest.raises(ToleranceError, match="tolerance: must be a ModelQualityTolerance or None"):
        _quality(service, "mq-bad", tolerance=BiasTolerance())
