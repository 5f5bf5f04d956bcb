"""The job-definition pieces the schedule and one-time operators share: baselines merged into definitions."""

from __future__ import annotations

import pytest

from airflow_mm_provider.monitoring.inputs import BaselineConfig
from airflow_mm_provider.operators.job_definition import baseline_members, with_baseline
from tests.support.schedule_operators import data_quality, model_quality_dict

BASELINE_XCOM = {
    "job_name": "churn-baseline-1a2b3c4d5e6f",
    "statistics_uri": "s3://bucket/baseline/statistics.json",
    "constraints_uri": "s3://bucket/baseline/constraints.json",
}


def test_baseline_members_map_the_baseline_xcom() -> None:
    assert baseline_members("DataQuality", BASELINE_XCOM) == {
        "BaseliningJobName": "churn-baseline-1a2b3c4d5e6f",
        "ConstraintsResource": {"S3Uri": "s3://bucket/baseline/constraints.json"},
        "StatisticsResource": {"S3Uri": "s3://bucket/baseline/statistics.json"},
    }
    # Model quality takes no statistics; a Clarify baseline gives analysis.json.
    assert "StatisticsResource" not in baseline_members("ModelQuality", BASELINE_XCOM)
    clarify = baseline_members("ModelBias", {"analysis_uri": "s3://bucket/bias/analysis.json"})
    assert clarify == {"ConstraintsResource": {"S3Uri": "s3://bucket/bias/analysis.json"}}
    explicit = baseline_members("DataQuality", BASELINE_XCOM, constraints_uri="s3://other/c.json")
    assert explicit["ConstraintsResource"] == {"S3Uri": "s3://other/c.json"}
    assert baseline_members("DataQuality") == {}
    with pytest.raises(ValueError, match="^baseline: "):
        baseline_members("DataQuality", "s3://bucket/baseline")  # type: ignore[arg-type]


def test_with_baseline_merges_into_typed_and_dict_definitions() -> None:
    spec = data_quality(baseline=BaselineConfig(constraints_uri="s3://bucket/old/constraints.json"))
    merged = with_baseline("DataQuality", spec, baseline_members("DataQuality", BASELINE_XCOM))
    assert merged.baseline == BaselineConfig(
        "churn-baseline-1a2b3c4d5e6f",
        "s3://bucket/baseline/constraints.json",
        "s3://bucket/baseline/statistics.json",
    )
    assert spec.baseline.constraints_uri == "s3://bucket/old/constraints.json"  # not modified
    original = model_quality_dict()
    merged_dict = with_baseline("ModelQuality", original, {"ConstraintsResource": {"S3Uri": "s3://b/c.json"}})
    assert merged_dict["ModelQualityBaselineConfig"] == {"ConstraintsResource": {"S3Uri": "s3://b/c.json"}}
    assert "ModelQualityBaselineConfig" not in original
    assert with_baseline("DataQuality", spec, {}) is spec
