from __future__ import annotations

import json
import math

import pytest

from airflow_mm_provider.monitoring.statistics import (
    DataQualityStatistics,
    ModelQualityStatistics,
    detect_problem_type,
)
from tests.support.monitoring import REGRESSION_STATISTICS

NUMERIC_FEATURE = {
    "name": "_c0",
    "inferred_type": "Fractional",
    "numerical_statistics": {
        "common": {"num_present": 100, "num_missing": 0},
        "mean": 2.31,
        "sum": 231.0,
        "std_dev": 0.833,
        "min": 1.0,
        "max": 3.0,
        "distribution": {
            "kll": {
                "buckets": [{"lower_bound": 1.0, "upper_bound": 1.2, "count": 24.0}],
                "sketch": {"parameters": {"c": 0.64, "k": 2048.0}, "data": [[3.0, 1.0, 2.0]]},
            }
        },
    },
}
STRING_FEATURE = {
    "name": "message",
    "inferred_type": "String",
    "string_statistics": {
        "common": {"num_present": 418, "num_missing": 0},
        "distinct_count": 1.0,
        "distribution": {
            "categorical": {"buckets": [{"value": "preproc-not-YET-supported-for-csv-json", "count": 418}]}
        },
    },
}
DATA_QUALITY_STATISTICS = {"version": 0.0, "dataset": {"item_count": 100}, "features": [NUMERIC_FEATURE]}

BINARY_STATISTICS = {
    "version": 0.0,
    "dataset": {"item_count": 627, "evaluation_time": "2023-03-30T21:08:34.729Z"},
    "binary_classification_metrics": {
        "confusion_matrix": {"0": {"0": 1, "1": 2}, "1": {"0": 0, "1": 1}},
        "recall": {"value": 0.5, "standard_deviation": 0.01},
        "f2": {"value": "Infinity", "standard_deviation": None},
        "auc": {"value": float("nan"), "standard_deviation": "NaN"},
        "receiver_operating_characteristic_curve": {
            "false_positive_rates": [0.0, 0.5, 1.0],
            "true_positive_rates": [0.0, 0.75, 1.0],
        },
        "precision_recall_curve": {"precisions": [1.0, 0.5], "recalls": [0.0, 1.0]},
    },
}


def _strict_json(value: object) -> str:
    return json.dumps(value, allow_nan=False)


class TestDataQualityStatistics:
    def test_numeric_feature(self):
        stats = DataQualityStatistics.from_json(DATA_QUALITY_STATISTICS)
        assert stats.item_count == 100
        assert stats.version == 0.0
        assert stats.feature_names == ("_c0",)
        feature = stats.feature("_c0")
        assert feature.is_numeric
        assert (feature.num_present, feature.num_missing) == (100, 0)
        assert feature.completeness == 1.0
        assert (feature.mean, feature.sum, feature.std_dev, feature.min, feature.max) == (
            2.31,
            231.0,
            0.833,
            1.0,
            3.0,
        )
        assert len(feature.buckets) == 1
        bucket = feature.buckets[0]
        assert (bucket.lower_bound, bucket.upper_bound, bucket.count) == (1.0, 1.2, 24.0)
        assert feature.distinct_count is None
        assert feature.categorical_buckets == ()

    def test_string_feature(self):
        stats = DataQualityStatistics.from_json(json.dumps({"features": [STRING_FEATURE]}))
        feature = stats.feature("message")
        assert not feature.is_numeric
        assert feature.distinct_count == 1.0
        assert feature.num_present == 418
        assert feature.mean is None and feature.buckets == ()
        assert [(b.value, b.count) for b in feature.categorical_buckets] == [
            ("preproc-not-YET-supported-for-csv-json", 418.0)
        ]
        assert stats.item_count is None

    def test_completeness_with_missing_values(self):
        feature = dict(NUMERIC_FEATURE)
        feature["numerical_statistics"] = {"common": {"num_present": 3, "num_missing": 1}}
        stats = DataQualityStatistics.from_json({"features": [feature]})
        assert stats.features[0].completeness == 0.75
        assert stats.features[0].mean is None

    def test_completeness_unknown_without_counts(self):
        stats = DataQualityStatistics.from_json({"features": [{"name": "x", "inferred_type": "Unknown"}]})
        assert stats.features[0].completeness is None
        empty = {"name": "y", "string_statistics": {"common": {"num_present": 0, "num_missing": 0}}}
        assert DataQualityStatistics.from_json({"features": [empty]}).features[0].completeness is None

    def test_missing_features_and_dataset(self):
        stats = DataQualityStatistics.from_json({})
        assert stats.features == () and stats.item_count is None
        assert stats.summary() == {"item_count": None, "feature_count": 0, "features": []}

    def test_non_finite_values_as_strings_or_numbers(self):
        feature = {
            "name": "x",
            "inferred_type": "Fractional",
            "numerical_statistics": {
                "mean": "NaN",
                "std_dev": float("inf"),
                "min": "-Infinity",
                "max": "Infinity",
            },
        }
        stats = DataQualityStatistics.from_json({"features": [feature]})
        parsed = stats.features[0]
        assert math.isnan(parsed.mean)
        assert parsed.std_dev == math.inf and parsed.min == -math.inf and parsed.max == math.inf
        summary = json.loads(_strict_json(stats.summary()))
        assert summary["features"][0]["mean"] == "NaN"
        assert summary["features"][0]["min"] == "-Infinity"

    def test_summary(self):
        stats = DataQualityStatistics.from_json(
            {"dataset": {"item_count": 5}, "features": [NUMERIC_FEATURE, STRING_FEATURE]}
        )
        summary = json.loads(_strict_json(stats.summary()))
        assert summary["item_count"] == 5
        assert summary["feature_count"] == 2
        assert summary["features"][0] == {
            "name": "_c0",
            "inferred_type": "Fractional",
            "num_present": 100,
            "num_missing": 0,
            "completeness": 1.0,
            "mean": 2.31,
            "sum": 231.0,
            "std_dev": 0.833,
            "min": 1.0,
            "max": 3.0,
        }
        assert summary["features"][1]["distinct_count"] == 1.0
        assert "mean" not in summary["features"][1]

    def test_unknown_feature(self):
        with pytest.raises(KeyError, match="nope"):
            DataQualityStatistics.from_json(DATA_QUALITY_STATISTICS).feature("nope")

    @pytest.mark.parametrize(
        ("document", "message"),
        [
            ({"features": {"a": 1}}, r"statistics\.json\.features: must be a list"),
            ({"features": ["x"]}, r"features\[0\]: must be a JSON object"),
            ({"features": [{"inferred_type": "String"}]}, r"features\[0\]\.name: must be a string"),
            (
                {"features": [{"name": "a", "numerical_statistics": {"mean": "high"}}]},
                r"features\[0\]\(a\)\.numerical_statistics\.mean: must be a number",
            ),
            (
                {
                    "features": [
                        {"name": "a", "numerical_statistics": {"distribution": {"kll": {"buckets": [1]}}}}
                    ]
                },
                r"distribution\.kll\.buckets\[0\]: must be a JSON object",
            ),
            (
                {"features": [{"name": "a", "string_statistics": {"common": {"num_present": 1.5}}}]},
                r"common\.num_present: must be a whole",
            ),
            ({"dataset": [], "features": []}, r"statistics\.json\.dataset: must be a JSON object"),
        ],
    )
    def test_malformed_documents_name_the_path(self, document, message):
        with pytest.raises(ValueError, match=message):
            DataQualityStatistics.from_json(document)


class TestModelQualityStatistics:
    def test_regression(self):
        stats = ModelQualityStatistics.from_json(json.dumps(REGRESSION_STATISTICS))
        assert stats.problem_type == "Regression"
        assert stats.item_count == 100
        assert stats.metrics == {
            "mae": 0.5040653554420981,
            "mse": 0.33364933609800973,
            "rmse": 0.5776238707827177,
            "r2": -3.208758170289026,
        }
        assert math.isnan(stats.standard_deviation("rmse"))
        assert stats.confusion_matrix is None
        assert stats.evaluation_time is None

    def test_binary_classification(self):
        stats = ModelQualityStatistics.from_json(BINARY_STATISTICS)
        assert stats.problem_type == "BinaryClassification"
        assert stats.item_count == 627
        assert stats.evaluation_time == "2023-03-30T21:08:34.729Z"
        assert stats.metrics["recall"] == 0.5
        assert stats.metrics["f2"] == math.inf
        assert math.isnan(stats.metrics["auc"])
        assert stats.standard_deviation("recall") == 0.01
        assert stats.standard_deviation("f2") is None
        assert stats.confusion_matrix == {"0": {"0": 1.0, "1": 2.0}, "1": {"0": 0.0, "1": 1.0}}
        assert "confusion_matrix" not in stats.metrics
        assert stats.curves["receiver_operating_characteristic_curve"]["true_positive_rates"] == (
            0.0,
            0.75,
            1.0,
        )
        assert stats.curves["precision_recall_curve"]["recalls"] == (0.0, 1.0)

    def test_multiclass(self):
        document = {
            "multiclass_classification_metrics": {
                "accuracy": {"value": 0.0, "standard_deviation": 0.0},
                "confusion_matrix": {"a": {"a": 3, "b": 1}, "b": {"a": 0, "b": 4}},
            }
        }
        stats = ModelQualityStatistics.from_json(document)
        assert stats.problem_type == "MulticlassClassification"
        assert stats.metrics == {"accuracy": 0.0}
        assert stats.confusion_matrix["a"]["b"] == 1.0

    def test_summary_is_strict_json(self):
        summary = json.loads(_strict_json(ModelQualityStatistics.from_json(BINARY_STATISTICS).summary()))
        assert summary["problem_type"] == "BinaryClassification"
        assert summary["item_count"] == 627
        assert summary["metrics"]["f2"] == {"value": "Infinity", "standard_deviation": None}
        assert summary["metrics"]["auc"] == {"value": "NaN", "standard_deviation": "NaN"}
        assert summary["confusion_matrix"] == {"0": {"0": 1.0, "1": 2.0}, "1": {"0": 0.0, "1": 1.0}}
        assert "receiver_operating_characteristic_curve" not in summary["metrics"]

    def test_regression_summary_has_no_confusion_matrix(self):
        summary = ModelQualityStatistics.from_json(REGRESSION_STATISTICS).summary()
        assert "confusion_matrix" not in summary
        assert summary["metrics"]["r2"] == {"value": -3.208758170289026, "standard_deviation": "NaN"}

    def test_unknown_metric(self):
        with pytest.raises(KeyError, match="f1"):
            ModelQualityStatistics.from_json(REGRESSION_STATISTICS).standard_deviation("f1")

    @pytest.mark.parametrize(
        ("document", "message"),
        [
            ({"dataset": {"item_count": 1}}, "must have exactly one of regression_metrics"),
            (
                {"regression_metrics": {}, "binary_classification_metrics": {}},
                r"found regression_metrics, binary_classification_metrics",
            ),
            ({"regression_metrics": []}, r"regression_metrics: must be a JSON object"),
            ({"regression_metrics": {"mae": 1.0}}, r"regression_metrics\.mae: must be a JSON object"),
            (
                {"regression_metrics": {"mae": {"value": "bad"}}},
                r"regression_metrics\.mae\.value: must be a number",
            ),
            (
                {"binary_classification_metrics": {"confusion_matrix": {"0": 5}}},
                r"confusion_matrix\.0: must be a JSON object",
            ),
        ],
    )
    def test_malformed_documents(self, document, message):
        with pytest.raises(ValueError, match=message):
            ModelQualityStatistics.from_json(document)


def test_detect_problem_type_returns_the_section():
    problem_type, section = detect_problem_type(
        {"regression_constraints": {"a": 1}}, "_constraints", "c.json"
    )
    assert problem_type == "Regression"
    assert section == {"a": 1}
