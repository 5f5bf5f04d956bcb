"""The names violations carry per monitor type, and the check of a violation filter against them."""

from __future__ import annotations

import pytest

from airflow_mm_provider.monitoring.violation_names import (
    BIAS_METRICS,
    CHECK_TYPES,
    QUALITY_METRICS,
    check_filter_names,
)


@pytest.mark.parametrize(
    ("monitoring_type", "check_types", "subjects"),
    [
        ("DataQuality", {"baseline_drift_check", "data_type_check"}, {"any feature name"}),
        ("ModelQuality", {"LessThanThreshold", "GreaterThanThreshold"}, {"f2", "rmse", "weighted_f1"}),
        ("ModelBias", {"bias_drift_check"}, {"DPPL", "CI", "Sex=0:CDDPL", "Age:DI"}),
        ("ModelExplainability", {"feature_attribution_drift_check"}, {"label0", "anything"}),
        ("ModelQuality", None, None),
    ],
)
def test_names_the_monitor_type_writes_pass(monitoring_type, check_types, subjects):
    check_filter_names(monitoring_type, check_types, subjects)


@pytest.mark.parametrize(
    ("monitoring_type", "check_types", "subjects", "message"),
    [
        (
            "ModelQuality",
            {"not_a_check"},
            None,
            "check_types: 'not_a_check' is not a constraint_check_type of ModelQuality violations; "
            "known: GreaterThanThreshold, LessThanThreshold",
        ),
        ("DataQuality", {"bias_drift_check"}, None, "check_types: 'bias_drift_check' is not a"),
        (
            "ModelBias",
            {"baseline_drift_check"},
            None,
            "check_types: 'baseline_drift_check' is not a constraint_check_type of ModelBias violations; "
            "known: bias_drift_check$",
        ),
        (
            "ModelExplainability",
            {"LessThanThreshold"},
            None,
            "check_types: 'LessThanThreshold' is not .* known: feature_attribution_drift_check$",
        ),
        ("ModelQuality", None, {"f2", "F2"}, "subjects: 'F2' is not a model-quality metric; known: accuracy"),
        ("ModelQuality", None, {"DPPL"}, "subjects: 'DPPL' is not a model-quality metric"),
        (
            "ModelBias",
            None,
            {"Sex=0:accuracy"},
            "subjects: 'Sex=0:accuracy' is not a bias metric or a subject",
        ),
        ("ModelBias", None, {"dppl"}, "subjects: 'dppl' is not a bias metric"),
        ("Drift", None, None, "monitoring_type: must be one of"),
    ],
)
def test_unknown_names_fail_naming_the_field(monitoring_type, check_types, subjects, message):
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")):
        check_filter_names(monitoring_type, check_types, subjects)


def test_name_sets_hold_the_documented_names():
    assert CHECK_TYPES["DataQuality"] == {
        "data_type_check",
        "completeness_check",
        "baseline_drift_check",
        "missing_column_check",
        "extra_column_check",
        "categorical_values_check",
    }
    assert {"DPPL", "CDDPL", "DI", "CI", "KL"} <= BIAS_METRICS and len(BIAS_METRICS) == 21
    assert {"mae", "auc", "f0_5_best_constant_classifier", "weighted_recall"} <= QUALITY_METRICS


def test_model_quality_metrics_are_the_ones_the_analysis_engine_computes():
    np = pytest.importorskip("numpy")
    from airflow_mm_provider.analysis import model_quality
    from airflow_mm_provider.monitoring.statistics import MODEL_QUALITY_METRICS

    truth, predicted = np.array([True, False, True]), np.array([True, True, False])
    computed = {
        "BinaryClassification": model_quality._binary_scalars(truth, predicted, np.array([0.9, 0.6, 0.2])),
        "MulticlassClassification": model_quality._multiclass_scalars(
            np.array([0, 1, 2]), np.array([0, 2, 2]), 3
        ),
        "Regression": model_quality._regression_scalars(np.array([1.0, 2.0]), np.array([1.5, 2.0])),
    }
    assert {name: set(values) for name, values in computed.items()} == MODEL_QUALITY_METRICS
