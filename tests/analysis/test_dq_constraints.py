"""Tests for suggested data quality constraints."""

from __future__ import annotations

import pytest

from airflow_mm_provider.analysis.dq_constraints import (
    DEFAULT_MONITORING_CONFIG,
    MonitoringConfigError,
    merge_config,
    suggest_constraints,
    validate_monitoring_config,
)
from airflow_mm_provider.analysis.dq_statistics import DataQualityAccumulator

BUILT_IN = {
    "evaluate_constraints": "Enabled",
    "emit_metrics": "Enabled",
    "datatype_check_threshold": 1.0,
    "domain_content_threshold": 1.0,
    "distribution_constraints": {
        "perform_comparison": "Enabled",
        "comparison_threshold": 0.1,
        "comparison_method": "Robust",
    },
}


def _statistics(rows: list[list[object]], names: list[str] | None = None) -> dict:
    accumulator = DataQualityAccumulator(names)
    accumulator.add_rows(rows)
    return accumulator.statistics()


def _by_name(constraints: dict) -> dict[str, dict]:
    return {feature["name"]: feature for feature in constraints["features"]}


def test_suggestion_has_the_built_in_shape():
    rows = [[str(i % 5), f"{i / 7:.3f}", ["cat", "dog"][i % 2]] for i in range(40)] + [["-1", "", "cat"]]
    constraints = suggest_constraints(_statistics(rows, ["n", "f", "s"]))
    assert constraints["version"] == 0.0
    assert constraints["monitoring_config"] == BUILT_IN
    features = _by_name(constraints)
    assert features["n"] == {
        "name": "n",
        "inferred_type": "Integral",
        "completeness": 1.0,
        "num_constraints": {"is_non_negative": False},
    }
    assert features["f"] == {
        "name": "f",
        "inferred_type": "Fractional",
        "completeness": pytest.approx(40 / 41),
        "num_constraints": {"is_non_negative": True},
    }
    assert features["s"] == {
        "name": "s",
        "inferred_type": "String",
        "completeness": 1.0,
        "string_constraints": {"domains": ["cat", "dog"]},
    }


def test_no_domain_for_identifier_like_strings():
    constraints = suggest_constraints(_statistics([[f"id-{i}"] for i in range(50)]))
    assert "string_constraints" not in constraints["features"][0]


def test_no_domain_when_counts_are_not_exact():
    rows = [[f"v{i}"] for i in range(1500)] * 2
    constraints = suggest_constraints(_statistics(rows))
    assert "string_constraints" not in constraints["features"][0]


def test_unknown_feature_has_only_name_type_and_completeness():
    constraints = suggest_constraints(_statistics([[None], [None]]))
    assert constraints["features"] == [{"name": "_c0", "inferred_type": "Unknown", "completeness": 0.0}]


def test_categorical_drift_method_override_is_merged():
    override = {"distribution_constraints": {"categorical_drift_method": "ChiSquared"}}
    constraints = suggest_constraints(_statistics([["a"]]), override)
    distribution = constraints["monitoring_config"]["distribution_constraints"]
    assert distribution == {**BUILT_IN["distribution_constraints"], "categorical_drift_method": "ChiSquared"}
    assert DEFAULT_MONITORING_CONFIG == BUILT_IN


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"distribution_constraints": {"categorical_drift_method": "Jaccard"}}, "categorical_drift_method"),
        ({"distribution_constraints": {"comparison_method": "Exact"}}, "comparison_method"),
        ({"evaluate_constraints": "yes"}, "monitoring_config.evaluate_constraints"),
        ({"datatype_check_threshold": -0.5}, "monitoring_config.datatype_check_threshold"),
        ({"colour": "blue"}, "monitoring_config.colour"),
        ({"distribution_constraints": "on"}, "monitoring_config.distribution_constraints"),
    ],
)
def test_invalid_override_names_the_field(override, field):
    with pytest.raises(MonitoringConfigError) as raised:
        suggest_constraints(_statistics([["a"]]), override)
    assert raised.value.field.endswith(field)
    assert isinstance(raised.value, ValueError)
    assert str(raised.value).startswith(raised.value.field)


def test_valid_config_passes_validation():
    validate_monitoring_config({**BUILT_IN, "domain_content_threshold": "0.5"})


def test_merge_config_does_not_touch_its_inputs():
    base = {"a": 1, "distribution_constraints": {"x": 1}}
    merged = merge_config(base, {"distribution_constraints": {"y": 2}})
    assert merged == {"a": 1, "distribution_constraints": {"x": 1, "y": 2}}
    assert base == {"a": 1, "distribution_constraints": {"x": 1}}
