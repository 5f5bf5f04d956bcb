from __future__ import annotations

import copy
import json
import math

import pytest

from airflow_mm_provider.monitoring.constraints import (
    DataQualityConstraints,
    DistributionConstraints,
    FeatureConstraints,
    ModelQualityConstraints,
    MonitoringConfig,
    Threshold,
)
from airflow_mm_provider.monitoring.statistics import ModelQualityStatistics
from tests.support.monitoring import REGRESSION_STATISTICS

# The schema example of the docs, with values filled in.
DOCUMENTED_CONSTRAINTS = {
    "version": 0,
    "features": [
        {
            "name": "city",
            "inferred_type": "String",
            "completeness": 1.0,
            "string_constraints": {"domains": ["Oslo", "Lima"]},
            "monitoringConfigOverrides": {"evaluate_constraints": "Disabled"},
        }
    ],
    "monitoring_config": {
        "evaluate_constraints": "Enabled",
        "emit_metrics": "Enabled",
        "datatype_check_threshold": 0.1,
        "domain_content_threshold": 0.1,
        "distribution_constraints": {
            "perform_comparison": "Enabled",
            "comparison_threshold": 0.1,
            "comparison_method": "Simple",
            "categorical_comparison_threshold": 0.1,
            "categorical_drift_method": "LInfinity",
        },
    },
}
# What the built-in baseline emits.
BASELINE_CONSTRAINTS = {
    "version": 0.0,
    "features": [
        {
            "name": "_c0",
            "inferred_type": "Fractional",
            "completeness": 1.0,
            "num_constraints": {"is_non_negative": True},
        }
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
# The SDK's set_monitoring spelling, inside string_constraints.
SDK_OVERRIDE_FEATURE = {
    "name": "message",
    "inferred_type": "String",
    "completeness": 1.0,
    "string_constraints": {
        "domains": ["preproc-not-YET-supported-for-csv-json"],
        "monitoring_config_overrides": {"evaluate_constraints": "Enabled", "emit_metrics": "Disabled"},
    },
}
REGRESSION_CONSTRAINTS = {
    "version": 0.0,
    "regression_constraints": {
        "mae": {"threshold": 0.5040653554420981, "comparison_operator": "GreaterThanThreshold"},
        "mse": {"threshold": 0.33364933609800973, "comparison_operator": "GreaterThanThreshold"},
        "rmse": {"threshold": 0.5776238707827177, "comparison_operator": "GreaterThanThreshold"},
        "r2": {"threshold": -3.208758170289026, "comparison_operator": "LessThanThreshold"},
    },
}


def _strict_json(value: object) -> str:
    return json.dumps(value, allow_nan=False)


class TestDataQualityConstraints:
    @pytest.mark.parametrize("document", [DOCUMENTED_CONSTRAINTS, BASELINE_CONSTRAINTS])
    def test_round_trip_is_exact(self, document):
        constraints = DataQualityConstraints.from_json(json.dumps(document))
        assert constraints.to_json() == document
        assert DataQualityConstraints.from_json(constraints.to_json()) == constraints

    def test_sdk_override_spelling_round_trips(self):
        document = {"features": [SDK_OVERRIDE_FEATURE], "monitoring_config": {}}
        constraints = DataQualityConstraints.from_json(document)
        feature = constraints.feature("message")
        assert feature.string_config_overrides == {
            "evaluate_constraints": "Enabled",
            "emit_metrics": "Disabled",
        }
        assert feature.config_overrides == {}
        assert constraints.to_json()["features"] == [SDK_OVERRIDE_FEATURE]

    def test_baseline_fields(self):
        constraints = DataQualityConstraints.from_json(BASELINE_CONSTRAINTS)
        feature = constraints.features[0]
        assert (feature.name, feature.inferred_type, feature.completeness) == ("_c0", "Fractional", 1.0)
        assert feature.is_non_negative is True
        assert feature.domains is None
        config = constraints.monitoring_config
        assert config.datatype_check_threshold == 1.0
        assert config.distribution_constraints == DistributionConstraints(
            perform_comparison="Enabled", comparison_threshold=0.1, comparison_method="Robust"
        )
        assert config.distribution_constraints.categorical_drift_method is None

    def test_domains(self):
        feature = DataQualityConstraints.from_json(DOCUMENTED_CONSTRAINTS).feature("city")
        assert feature.domains == ("Oslo", "Lima")
        assert feature.is_non_negative is None

    def test_monitoring_config_defaults(self):
        constraints = DataQualityConstraints.from_json({"features": []})
        assert constraints.monitoring_config == MonitoringConfig()
        assert constraints.monitoring_config.evaluate_constraints == "Enabled"
        assert constraints.monitoring_config.emit_metrics == "Enabled"
        assert constraints.monitoring_config.distribution_constraints is None
        assert constraints.version is None
        assert constraints.to_json() == {
            "features": [],
            "monitoring_config": {"evaluate_constraints": "Enabled", "emit_metrics": "Enabled"},
        }

    def test_feature_level_override_disables_evaluation(self):
        constraints = DataQualityConstraints.from_json(DOCUMENTED_CONSTRAINTS)
        assert not constraints.evaluates("city")
        assert constraints.emits_metrics("city")

    def test_string_constraints_override(self):
        constraints = DataQualityConstraints.from_json({"features": [SDK_OVERRIDE_FEATURE]})
        assert constraints.evaluates("message")
        assert not constraints.emits_metrics("message")

    def test_global_config_applies_without_override(self):
        document = copy.deepcopy(BASELINE_CONSTRAINTS)
        document["monitoring_config"]["evaluate_constraints"] = "Disabled"
        constraints = DataQualityConstraints.from_json(document)
        assert not constraints.evaluates("_c0")
        assert constraints.emits_metrics("_c0")

    def test_both_override_spellings_merge_string_constraints_winning(self):
        feature = dict(SDK_OVERRIDE_FEATURE)
        feature["monitoringConfigOverrides"] = {"evaluate_constraints": "Disabled", "emit_metrics": "Enabled"}
        parsed = FeatureConstraints.from_json(feature, "f")
        assert parsed.monitoring_overrides == {"evaluate_constraints": "Enabled", "emit_metrics": "Disabled"}
        assert parsed.to_json() == feature

    def test_unknown_feature(self):
        with pytest.raises(KeyError, match="'zzz'"):
            DataQualityConstraints.from_json(BASELINE_CONSTRAINTS).evaluates("zzz")

    def test_summary_is_strict_json(self):
        document = copy.deepcopy(BASELINE_CONSTRAINTS)
        document["features"][0]["completeness"] = "NaN"
        summary = json.loads(_strict_json(DataQualityConstraints.from_json(document).summary()))
        assert summary["feature_count"] == 1
        assert summary["features"][0]["completeness"] == "NaN"
        assert summary["monitoring_config"]["distribution_constraints"]["comparison_method"] == "Robust"

    def test_constructed_in_code_and_written(self):
        constraints = DataQualityConstraints(
            features=(FeatureConstraints("age", "Integral", completeness=0.9, is_non_negative=True),),
            monitoring_config=MonitoringConfig(emit_metrics="Disabled", datatype_check_threshold=0.5),
        )
        assert constraints.to_json() == {
            "version": 0.0,
            "features": [
                {
                    "name": "age",
                    "inferred_type": "Integral",
                    "completeness": 0.9,
                    "num_constraints": {"is_non_negative": True},
                }
            ],
            "monitoring_config": {
                "evaluate_constraints": "Enabled",
                "emit_metrics": "Disabled",
                "datatype_check_threshold": 0.5,
            },
        }

    @pytest.mark.parametrize(
        ("document", "message"),
        [
            (
                {"features": [{"name": "a", "completeness": "full"}]},
                r"features\[0\]\(a\)\.completeness: must be a number",
            ),
            (
                {"features": [{"name": "a", "num_constraints": {"is_non_negative": "yes"}}]},
                r"is_non_negative: must be true or false",
            ),
            (
                {"features": [{"name": "a", "monitoringConfigOverrides": []}]},
                r"monitoringConfigOverrides: must be",
            ),
            (
                {"features": [{"name": "a", "string_constraints": {"domains": "x"}}]},
                r"domains: must be a list",
            ),
            ({"features": [{"name": 1}]}, r"features\[0\]\.name: must be a string"),
            (
                {"features": [], "monitoring_config": {"emit_metrics": "On"}},
                r"monitoring_config\.emit_metrics: must be",
            ),
            (
                {
                    "features": [],
                    "monitoring_config": {"distribution_constraints": {"perform_comparison": True}},
                },
                r"distribution_constraints\.perform_comparison: must be",
            ),
            (
                {"features": [], "monitoring_config": []},
                r"constraints\.json\.monitoring_config: must be a JSON object",
            ),
        ],
    )
    def test_malformed_documents_name_the_path(self, document, message):
        with pytest.raises(ValueError, match=message):
            DataQualityConstraints.from_json(document)


class TestModelQualityConstraints:
    def test_reads_thresholds(self):
        constraints = ModelQualityConstraints.from_json(json.dumps(REGRESSION_CONSTRAINTS))
        assert constraints.problem_type == "Regression"
        assert constraints.thresholds["mae"] == (0.5040653554420981, "GreaterThanThreshold")
        assert constraints.thresholds["r2"].comparison_operator == "LessThanThreshold"
        assert constraints.to_json() == REGRESSION_CONSTRAINTS
        assert ModelQualityConstraints.from_json(constraints.to_json()) == constraints

    def test_strict_comparison(self):
        constraints = ModelQualityConstraints.from_json(REGRESSION_CONSTRAINTS)
        mse = 0.33364933609800973
        assert not constraints.is_violated("mse", mse)
        assert constraints.is_violated("mse", math.nextafter(mse, math.inf))
        assert not constraints.is_violated("mse", 0.0)
        r2 = -3.208758170289026
        assert not constraints.is_violated("r2", r2)
        assert constraints.is_violated("r2", math.nextafter(r2, -math.inf))
        assert not constraints.is_violated("r2", 1.0)

    def test_non_finite_values(self):
        constraints = ModelQualityConstraints.from_json(REGRESSION_CONSTRAINTS)
        assert constraints.is_violated("mae", math.inf)
        assert constraints.is_violated("r2", -math.inf)
        assert not constraints.is_violated("mae", math.nan)
        assert not constraints.is_violated("r2", math.nan)

    def test_unknown_metric(self):
        with pytest.raises(KeyError, match="'f2'"):
            ModelQualityConstraints.from_json(REGRESSION_CONSTRAINTS).is_violated("f2", 0.1)

    def test_good_case_statistics_equal_to_thresholds_give_no_violations(self):
        constraints = ModelQualityConstraints.from_json(REGRESSION_CONSTRAINTS)
        statistics = ModelQualityStatistics.from_json(REGRESSION_STATISTICS)
        report = constraints.evaluate(statistics.metrics)
        assert report.monitoring_type == "ModelQuality"
        assert not report.has_violations

    def test_bad_case_lowered_mse_threshold_violates_only_mse(self):
        document = copy.deepcopy(REGRESSION_CONSTRAINTS)
        document["regression_constraints"]["mse"]["threshold"] = 0.033364933609800973
        report = ModelQualityConstraints.from_json(document).evaluate(
            ModelQualityStatistics.from_json(REGRESSION_STATISTICS).metrics
        )
        assert [(v.metric_name, v.check_type, v.subject) for v in report.violations] == [
            ("mse", "GreaterThanThreshold", "mse")
        ]
        assert report.violations[0].description == (
            "Metric mse with 0.33364933609800973 was GreaterThanThreshold 0.03336493360980097"
        )
        assert report.to_json() == {"violations": [report.violations[0].to_json()]}

    def test_evaluate_skips_missing_and_none_metrics(self):
        constraints = ModelQualityConstraints.from_json(REGRESSION_CONSTRAINTS)
        report = constraints.evaluate({"mae": None, "r2": -math.inf, "extra": 99.0})
        assert [v.metric_name for v in report.violations] == ["r2"]
        assert "-Infinity" in report.violations[0].description

    def test_binary_and_multiclass_keys(self):
        binary = {
            "binary_classification_constraints": {
                "f2": {"threshold": 0.625, "comparison_operator": "LessThanThreshold"}
            }
        }
        constraints = ModelQualityConstraints.from_json(binary)
        assert constraints.problem_type == "BinaryClassification"
        assert constraints.is_violated("f2", 0.6)
        assert constraints.version is None
        assert constraints.to_json() == binary
        multi = {
            "multiclass_classification_constraints": {
                "weighted_recall": {"threshold": 0.5, "comparison_operator": "LessThanThreshold"}
            }
        }
        assert ModelQualityConstraints.from_json(multi).problem_type == "MulticlassClassification"

    def test_summary_is_strict_json(self):
        document = {
            "regression_constraints": {
                "mae": {"threshold": "Infinity", "comparison_operator": "GreaterThanThreshold"}
            }
        }
        summary = json.loads(_strict_json(ModelQualityConstraints.from_json(document).summary()))
        assert summary == {
            "problem_type": "Regression",
            "regression_constraints": {
                "mae": {"threshold": "Infinity", "comparison_operator": "GreaterThanThreshold"}
            },
        }

    @pytest.mark.parametrize(
        ("document", "message"),
        [
            ({"version": 0.0}, "must have exactly one of regression_constraints"),
            (
                {
                    "regression_constraints": {
                        "mae": {"threshold": 1, "comparison_operator": "GreaterThanOrEqualToThreshold"}
                    }
                },
                r"thresholds\['mae'\]\.comparison_operator: must be one of GreaterThanThreshold, LessThan",
            ),
            (
                {"regression_constraints": {"mae": {"comparison_operator": "GreaterThanThreshold"}}},
                r"mae\.threshold: must be",
            ),
            ({"regression_constraints": {"mae": {"threshold": 1}}}, r"comparison_operator: must be one of"),
            ({"regression_constraints": {"mae": 1}}, r"regression_constraints\.mae: must be a JSON object"),
        ],
    )
    def test_malformed_documents(self, document, message):
        with pytest.raises(ValueError, match=message):
            ModelQualityConstraints.from_json(document)

    def test_constructor_validates(self):
        with pytest.raises(ValueError, match="problem_type must be one of Regression"):
            ModelQualityConstraints("Ranking", {})
        with pytest.raises(ValueError, match="comparison_operator"):
            ModelQualityConstraints("Regression", {"mae": Threshold(1.0, "Above")})

    def test_threshold_alone_rejects_unknown_operator(self):
        assert Threshold(1.0, "GreaterThanThreshold").is_violated(2.0)
        with pytest.raises(ValueError, match="'Above' is not supported"):
            Threshold(1.0, "Above").is_violated(2.0)
