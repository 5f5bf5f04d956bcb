"""Tolerance policies: each threshold moves the way that lets more pass, by the margin given; bad settings
fail at construction naming the field."""

from __future__ import annotations

import json
import math

import pytest

from airflow_mm_provider.analysis.bias_metrics import FAIR_VALUES
from airflow_mm_provider.monitoring.tolerance import (
    DEFAULT_BIAS_MARGIN,
    DEFAULT_MODEL_QUALITY_MARGIN,
    BiasTolerance,
    DataQualityTolerance,
    Margin,
    ModelQualityTolerance,
    ToleranceError,
    fair_value,
)

MQ = {
    "version": 0.0,
    "binary_classification_constraints": {
        "accuracy": {"threshold": 0.9, "comparison_operator": "LessThanThreshold"},
        "auc": {"threshold": 0.8, "comparison_operator": "LessThanThreshold"},
        "false_positive_rate": {"threshold": 0.1, "comparison_operator": "GreaterThanThreshold"},
    },
}
DQ = {
    "version": 0.0,
    "features": [
        {
            "name": "age",
            "inferred_type": "Integral",
            "completeness": 1.0,
            "num_constraints": {"is_non_negative": True},
        },
        {"name": "note", "inferred_type": "String", "completeness": 0.02},
    ],
    "monitoring_config": {
        "evaluate_constraints": "Enabled",
        "emit_metrics": "Enabled",
        "datatype_check_threshold": 1.0,
        "domain_content_threshold": 1.0,
        "distribution_constraints": {
            "perform_comparison": "Enabled",
            "comparison_threshold": 0.1,
            "comparison_method": "Robust",
        },
    },
}


def _bias(values: dict[str, object]) -> dict[str, object]:
    metrics = [{"name": name, "description": name, "value": value} for name, value in values.items()]
    return {
        "version": "1.0",
        "post_training_bias_metrics": {
            "label": "label",
            "label_value_or_threshold": "1",
            "facets": {"group": [{"value_or_threshold": "0", "metrics": metrics}]},
        },
    }


def _thresholds(document: dict[str, object]) -> dict[str, float]:
    section = document["binary_classification_constraints"]
    return {name: entry["threshold"] for name, entry in section.items()}  # type: ignore[index, union-attr]


def test_model_quality_default_moves_every_threshold_by_the_measured_margin_towards_passing():
    adjusted = ModelQualityTolerance().apply(MQ)
    assert _thresholds(adjusted) == pytest.approx(
        {
            "accuracy": 0.9 - DEFAULT_MODEL_QUALITY_MARGIN,
            "auc": 0.8 - DEFAULT_MODEL_QUALITY_MARGIN,
            "false_positive_rate": 0.1 + DEFAULT_MODEL_QUALITY_MARGIN,
        }
    )
    operators = {
        k: v["comparison_operator"] for k, v in adjusted["binary_classification_constraints"].items()
    }
    assert operators == {
        k: v["comparison_operator"] for k, v in MQ["binary_classification_constraints"].items()
    }
    assert MQ["binary_classification_constraints"]["accuracy"]["threshold"] == 0.9


def test_model_quality_margin_per_metric_relative_or_absolute_overrides_the_one_for_all():
    tolerance = ModelQualityTolerance(
        margin=0.0, metrics={"auc": 0.05, "false_positive_rate": Margin(0.5, True)}
    )
    assert _thresholds(tolerance.apply(json.dumps(MQ))) == pytest.approx(
        {"accuracy": 0.9, "auc": 0.75, "false_positive_rate": 0.15}
    )
    relative = ModelQualityTolerance(margin=Margin(0.1, relative=True))
    assert _thresholds(relative.apply(MQ))["accuracy"] == pytest.approx(0.81)


def test_data_quality_tolerance_sets_drift_and_type_thresholds_and_lowers_completeness():
    tolerance = DataQualityTolerance(
        comparison_threshold=0.2, datatype_check_threshold=0.95, completeness_margin=0.05
    )
    adjusted = tolerance.apply(DQ)
    config = adjusted["monitoring_config"]
    assert config["distribution_constraints"]["comparison_threshold"] == 0.2
    assert config["distribution_constraints"]["comparison_method"] == "Robust"
    assert config["datatype_check_threshold"] == 0.95
    assert [f["completeness"] for f in adjusted["features"]] == pytest.approx([0.95, 0.0])
    assert adjusted["features"][0]["num_constraints"] == {"is_non_negative": True}


def test_data_quality_tolerance_left_empty_keeps_the_suggestion():
    assert DataQualityTolerance().apply(DQ) == DQ


def test_bias_margin_moves_each_value_away_from_its_fair_value():
    document = _bias({"DPPL": 0.2, "DCA": -0.1, "DI": 0.6, "TE": 1.5, "AD": 0.0, "RD": "NaN", "SD": None})
    adjusted = BiasTolerance(margin=0.05, metrics={"DI": 0.1}).apply(document)
    values = {
        m["name"]: m["value"] for m in adjusted["post_training_bias_metrics"]["facets"]["group"][0]["metrics"]
    }
    assert values["DPPL"] == pytest.approx(0.25)
    assert values["DCA"] == pytest.approx(-0.15)
    assert values["DI"] == pytest.approx(0.5)
    assert values["TE"] == pytest.approx(1.55)
    assert values["AD"] == pytest.approx(0.05)
    assert values["RD"] == "NaN" and values["SD"] is None
    assert document["post_training_bias_metrics"]["facets"]["group"][0]["metrics"][0]["value"] == 0.2


def test_bias_default_widens_by_the_measured_margin():
    adjusted = BiasTolerance().apply(_bias({"DPPL": 0.1}))
    value = adjusted["post_training_bias_metrics"]["facets"]["group"][0]["metrics"][0]["value"]
    assert value == pytest.approx(0.1 + DEFAULT_BIAS_MARGIN)


def test_fair_values_agree_with_the_engine():
    assert {name: fair_value(name) for name in FAIR_VALUES} == dict(FAIR_VALUES)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Margin(-0.1), "Margin.value"),
        (lambda: Margin(math.nan), "Margin.value"),
        (lambda: Margin(0.1, relative="yes"), "Margin.relative"),
        (lambda: ModelQualityTolerance(margin=True), "ModelQualityTolerance.margin"),
        (lambda: ModelQualityTolerance(metrics={"f1": -1}), "ModelQualityTolerance.metrics['f1']"),
        (lambda: ModelQualityTolerance(metrics=[0.1]), "ModelQualityTolerance.metrics"),
        (
            lambda: DataQualityTolerance(datatype_check_threshold=1.5),
            "DataQualityTolerance.datatype_check_threshold",
        ),
        (lambda: DataQualityTolerance(completeness_margin="0.1"), "DataQualityTolerance.completeness_margin"),
        (
            lambda: DataQualityTolerance(comparison_threshold=-0.1),
            "DataQualityTolerance.comparison_threshold",
        ),
        (lambda: BiasTolerance(margin=math.inf), "BiasTolerance.margin"),
        (lambda: BiasTolerance(metrics={"DI": -0.2}), "BiasTolerance.metrics['DI']"),
    ],
)
def test_bad_settings_fail_at_construction_naming_the_field(build, field):
    with pytest.raises(ToleranceError) as err:
        build()
    assert err.value.field == field
    assert str(err.value).startswith(f"{field}: must be")


def test_documents_of_the_wrong_kind_fail_naming_the_file():
    with pytest.raises(ValueError, match="constraints.json"):
        ModelQualityTolerance().apply(DQ)
    with pytest.raises(ValueError, match="analysis.json"):
        BiasTolerance().apply("[1, 2]")
