"""Report files read like the real analyzers': violation descriptions of each kind and the data quality
``statistics.json`` shape.

Each test cites the public real output it matches. Scripts parse these descriptions (for example AWS's safe
deployment sample reads drift values out of them), so the local texts keep the real wording and number format.
"""

from __future__ import annotations

import re
from typing import Any

from airflow_mm_provider.analysis.bias import bias_drift_violations
from airflow_mm_provider.analysis.dq_checks import check
from airflow_mm_provider.analysis.dq_constraints import suggest_constraints
from airflow_mm_provider.analysis.dq_statistics import DataQualityAccumulator
from airflow_mm_provider.analysis.model_quality import evaluate

ROWS = 200


def _accumulate(columns: dict[str, list[object]]) -> DataQualityAccumulator:
    accumulator = DataQualityAccumulator(list(columns))
    accumulator.add_rows([list(row) for row in zip(*columns.values(), strict=True)])
    return accumulator


def _dq_violations(
    baseline: dict[str, list[object]], current: dict[str, list[object]]
) -> list[dict[str, str]]:
    """Data quality violations of ``current`` against a baseline built from ``baseline``."""
    reference = _accumulate(baseline).statistics()
    analysed = _accumulate(current)
    return check(analysed.statistics(), reference, suggest_constraints(reference), analysed.type_counts())


def _by_check(violations: list[dict[str, str]], check_type: str) -> dict[str, str]:
    (violation,) = [v for v in violations if v["constraint_check_type"] == check_type]
    return violation


def test_data_type_check_description() -> None:
    """Real execution output, aws/amazon-sagemaker-examples
    sagemaker_model_monitor/introduction/SageMaker-ModelMonitoring_outputs.ipynb (commit 68fa23f95f75, run
    2022-04-18), feature ``Churn``: "Data type match requirement is not met. Expected data type: Integral,
    Expected match: 100.0%. Observed: Only 0.0% of data is Integral." (and "Only 99.64592817400101% ..." for
    a share, printed in full)."""
    baseline = {"churn": [str(i % 2) for i in range(ROWS)]}
    current = {"churn": [f"{i % 2}.5" for i in range(ROWS)]}
    violation = _by_check(_dq_violations(baseline, current), "data_type_check")
    assert violation["feature_name"] == "churn"
    assert violation["description"] == (
        "Data type match requirement is not met. Expected data type: Integral, Expected match: 100.0%. "
        "Observed: Only 0.0% of data is Integral."
    )


def test_data_type_check_prints_the_share_in_full() -> None:
    """Same real output as above: a partial match prints the share unrounded ("Observed: Only
    99.64592817400101% of data is Integral.")."""
    baseline = {"area": [str(i % 3) for i in range(ROWS)]}
    current = {"area": ["0.5" if i % 3 == 0 else str(i % 3) for i in range(ROWS - 1)] + ["2"]}
    violation = _by_check(_dq_violations(baseline, current), "data_type_check")
    found = re.fullmatch(r".* Observed: Only (.+)% of data is Integral\.", violation["description"])
    assert found and float(found.group(1)) == 100 * (ROWS - 67) / ROWS


def test_baseline_drift_check_description_parses_as_aws_samples_do() -> None:
    """aws-samples/amazon-sagemaker-safe-deployment-pipeline custom_resource/sagemaker_query_drift.py (commit
    6e7668403ea8) reads drift from real ``baseline_drift_check`` descriptions with
    ``re.search("distance: (.+) exceeds threshold: (.+)", desc)`` and ``float()`` of both groups. (The
    leading "Baseline drift" words are not shown by any public output.)"""
    baseline = {"x": [str(i / ROWS) for i in range(ROWS)]}
    current = {"x": [str(1 + i / ROWS) for i in range(ROWS)]}
    violation = _by_check(_dq_violations(baseline, current), "baseline_drift_check")
    matches = re.search("distance: (.+) exceeds threshold: (.+)", violation["description"])
    assert matches is not None
    assert violation["description"].startswith("Baseline drift distance: ")
    assert float(matches.group(1)) > float(matches.group(2)) == 0.1


def test_completeness_check_description() -> None:
    """aws/sagemaker-python-sdk tests/data/monitor/constraint_violations.json (commit b5b7f9b4be60), feature
    ``congestion_surcharge``: ``completeness_check`` with "Value: 0.0 does not meet the constraint
    requirement! " (the observed completeness, trailing space included)."""
    baseline = {"fee": [str(i) for i in range(ROWS)]}
    current = {"fee": [""] * ROWS}
    violation = _by_check(_dq_violations(baseline, current), "completeness_check")
    assert violation["description"] == "Value: 0.0 does not meet the constraint requirement! "


def test_categorical_values_check_description() -> None:
    """Same SDK test data, feature ``store_and_fwd_flag``: ``categorical_values_check`` with "Value:
    0.009009009009009009 does not meet the constraint requirement! " (a measured share in full)."""
    baseline = {"flag": ["N" if i % 4 else "Y" for i in range(ROWS)]}
    current = {"flag": ["N" if i % 4 else "Y" for i in range(ROWS - 2)] + ["Q", "Q"]}
    violation = _by_check(_dq_violations(baseline, current), "categorical_values_check")
    found = re.fullmatch(r"Value: (.+) does not meet the constraint requirement! ", violation["description"])
    assert found and float(found.group(1)) == (ROWS - 2) / ROWS


def test_model_quality_violation_description() -> None:
    """amzn/MonitoringCustomMetrics test/monitoring_custom_metrics/test_output_generator.py (commit
    2f4b424a45ee), the Amazon container that follows the Model Monitor formats: ``{"constraint_check_type":
    "LessThanThreshold", "description": "Metric ep with -0.1 was LessThanThreshold -0.05", "metric_name":
    "ep"}``. No public output of the built-in model-quality container shows another text."""
    statistics = {"regression_metrics": {"r2": {"value": -0.1, "standard_deviation": "NaN"}}}
    constraints = {
        "regression_constraints": {"r2": {"threshold": -0.05, "comparison_operator": "LessThanThreshold"}}
    }
    assert evaluate(statistics, constraints) == [
        {
            "constraint_check_type": "LessThanThreshold",
            "metric_name": "r2",
            "description": "Metric r2 with -0.1 was LessThanThreshold -0.05",
        }
    ]


def _bias_analysis(value: float) -> dict[str, Any]:
    metric = {"name": "CDDPL", "description": "Conditional Demographic Disparity", "value": value}
    facet = {"value_or_threshold": "0", "metrics": [metric]}
    section = {"label": "Target", "label_value_or_threshold": "1", "facets": {"Sex": [facet]}}
    return {"version": "1.0", "post_training_bias_metrics": section}


def test_bias_drift_violation_description() -> None:
    """Real monitoring output quoted in the facts reference §4.7 from aws/amazon-sagemaker-examples'
    archived SageMaker-Monitoring-Bias-Drift-for-Batch-Transform-JSON-Lines.ipynb (HEAD 2d519b5): "Metric
    value 0.374894782529513 doesn't meet the baseline constraint requirement 0.28176563733194276". (The
    developer guide's clarify-model-monitor-bias-drift-violations page shows an older "Value ... does not
    meet the constraint requirement"; the executed notebook wins.)"""
    (violation,) = bias_drift_violations(
        _bias_analysis(0.374894782529513), _bias_analysis(0.28176563733194276)
    )
    assert violation["description"] == (
        "Metric value 0.374894782529513 doesn't meet the baseline constraint requirement 0.28176563733194276"
    )
    assert (violation["facet"], violation["facet_value"], violation["metric_name"]) == ("Sex", "0", "CDDPL")


def test_data_quality_statistics_features_carry_only_the_documented_members() -> None:
    """aws/sagemaker-python-sdk tests/data/monitor/statistics.json (commit 2e51b62da162) and the developer
    guide's model-monitor-interpreting-statistics page: a feature is ``name``, ``inferred_type`` and its
    ``numerical_statistics`` or ``string_statistics``; nothing else (no per-kind counts)."""
    statistics = _accumulate({"n": ["1", "2", "x"], "f": ["1.5", "2", "3"]}).statistics()
    assert set(statistics) == {"version", "dataset", "features"}
    assert statistics["dataset"] == {"item_count": 3}
    assert [set(feature) for feature in statistics["features"]] == [
        {"name", "inferred_type", "string_statistics"},
        {"name", "inferred_type", "numerical_statistics"},
    ]
