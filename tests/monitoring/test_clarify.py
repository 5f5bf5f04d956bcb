from __future__ import annotations

import json
import math

import pytest

from airflow_mm_provider.monitoring.clarify import (
    BiasAnalysis,
    BiasMetricRow,
    ExplainabilityAnalysis,
    LabelAttribution,
    ShapRow,
)

BIAS_ANALYSIS = {
    "version": "1.0",
    "post_training_bias_metrics": {
        "label": "Target",
        "label_value_or_threshold": "1",
        "facets": {
            "Sex": [
                {
                    "value_or_threshold": "0",
                    "metrics": [
                        {
                            "name": "AD",
                            "description": "Accuracy Difference (AD)",
                            "value": -0.15156641604010024,
                        },
                        {
                            "name": "DPPL",
                            "description": "Difference in Positive Proportions in Predicted Labels (DPPL)",
                            "value": 0.2199248120300752,
                        },
                    ],
                }
            ]
        },
    },
    "pre_training_bias_metrics": {
        "label": "Target",
        "label_value_or_threshold": "1",
        "facets": {
            "Sex": [
                {
                    "value_or_threshold": "0",
                    "metrics": [
                        {"name": "CI", "description": "Class Imbalance (CI)", "value": 0.36936936936936937}
                    ],
                }
            ]
        },
    },
}
EXPLAINABILITY_ANALYSIS = {
    "version": "1.0",
    "explanations": {
        "kernel_shap": {
            "label0": {
                "global_shap_values": {
                    "Age": 0.05962069398767555,
                    "Workclass": 0.009340874120660063,
                    "Capital Gain": 0.09913318680892579,
                },
                "expected_value": 0.250623226165771,
            }
        }
    },
}


def _strict_json(value: object) -> str:
    return json.dumps(value, allow_nan=False)


class TestBiasAnalysis:
    def test_rows_pre_training_first(self):
        analysis = BiasAnalysis.from_json(json.dumps(BIAS_ANALYSIS))
        assert analysis.version == "1.0"
        assert analysis.stages == ("pre_training", "post_training")
        assert analysis.rows == (
            BiasMetricRow(
                "pre_training", "Target", "1", "Sex", "0", "CI", "Class Imbalance (CI)", 0.36936936936936937
            ),
            BiasMetricRow(
                "post_training",
                "Target",
                "1",
                "Sex",
                "0",
                "AD",
                "Accuracy Difference (AD)",
                -0.15156641604010024,
            ),
            BiasMetricRow(
                "post_training",
                "Target",
                "1",
                "Sex",
                "0",
                "DPPL",
                "Difference in Positive Proportions in Predicted Labels (DPPL)",
                0.2199248120300752,
            ),
        )

    def test_rows_are_plain_tuples_in_the_documented_order(self):
        row = BiasAnalysis.from_json(BIAS_ANALYSIS).rows[0]
        stage, label, label_value, facet, facet_value, name, description, value, error = row
        assert (stage, label, label_value, facet, facet_value, name) == (
            "pre_training",
            "Target",
            "1",
            "Sex",
            "0",
            "CI",
        )
        assert error is None

    def test_metric_lookup(self):
        analysis = BiasAnalysis.from_json(BIAS_ANALYSIS)
        assert analysis.metric("post_training", "Sex", "0", "DPPL") == 0.2199248120300752
        with pytest.raises(KeyError, match="no pre_training metric 'DPPL' for Sex=0"):
            analysis.metric("pre_training", "Sex", "0", "DPPL")

    def test_non_finite_null_and_error_values(self):
        document = {
            "pre_training_bias_metrics": {
                "label": "y",
                "label_value_or_threshold": 1,
                "facets": {
                    "Age": [
                        {
                            "value_or_threshold": "(0.5, 0.9936148802477393]",
                            "metrics": [
                                {"name": "KL", "value": "Infinity"},
                                {"name": "JS", "value": float("nan")},
                                {"name": "LP", "value": None, "error": "facet has no records"},
                                {"name": "CI", "value": "-Infinity"},
                            ],
                        }
                    ]
                },
            }
        }
        analysis = BiasAnalysis.from_json(document)
        assert analysis.stages == ("pre_training",)
        values = {row.name: row.value for row in analysis.rows}
        assert values["KL"] == math.inf and values["CI"] == -math.inf
        assert math.isnan(values["JS"])
        assert values["LP"] is None
        assert analysis.rows[2].error == "facet has no records"
        assert analysis.rows[0].facet_value == "(0.5, 0.9936148802477393]"
        assert analysis.rows[0].label_value == "1"
        assert analysis.rows[0].description is None
        summary = json.loads(_strict_json(analysis.summary()))
        assert [m["value"] for m in summary["metrics"]] == ["Infinity", "NaN", None, "-Infinity"]

    def test_summary(self):
        summary = json.loads(_strict_json(BiasAnalysis.from_json(BIAS_ANALYSIS).summary()))
        assert summary["version"] == "1.0"
        assert summary["metric_count"] == 3
        assert summary["stages"] == ["pre_training", "post_training"]
        assert summary["metrics"][0] == {
            "stage": "pre_training",
            "label": "Target",
            "label_value": "1",
            "facet": "Sex",
            "facet_value": "0",
            "name": "CI",
            "description": "Class Imbalance (CI)",
            "value": 0.36936936936936937,
            "error": None,
        }

    def test_several_facets_and_values(self):
        document = {
            "post_training_bias_metrics": {
                "facets": {
                    "Sex": [
                        {"value_or_threshold": "0", "metrics": [{"name": "DI", "value": 0.8}]},
                        {"value_or_threshold": "1", "metrics": [{"name": "DI", "value": 1.2}]},
                    ],
                    "Race": [{"value_or_threshold": "A", "metrics": [{"name": "DI", "value": 1.0}]}],
                }
            }
        }
        rows = BiasAnalysis.from_json(document).rows
        assert [(r.facet, r.facet_value, r.value) for r in rows] == [
            ("Sex", "0", 0.8),
            ("Sex", "1", 1.2),
            ("Race", "A", 1.0),
        ]
        assert rows[0].label is None and rows[0].label_value is None

    @pytest.mark.parametrize(
        "document", [{}, {"version": "1.0"}, EXPLAINABILITY_ANALYSIS, {"pre_training_bias_metrics": {}}]
    )
    def test_no_bias_sections_means_no_rows(self, document):
        analysis = BiasAnalysis.from_json(document)
        assert analysis.rows == () and analysis.stages == ()
        assert analysis.summary()["metric_count"] == 0

    @pytest.mark.parametrize(
        ("document", "message"),
        [
            (
                {"pre_training_bias_metrics": []},
                r"analysis\.json\.pre_training_bias_metrics: must be a JSON object",
            ),
            ({"post_training_bias_metrics": {"facets": {"Sex": {}}}}, r"facets\.Sex: must be a list"),
            (
                {"post_training_bias_metrics": {"facets": {"Sex": [3]}}},
                r"facets\.Sex\[0\]: must be a JSON object",
            ),
            (
                {"post_training_bias_metrics": {"facets": {"Sex": [{"metrics": [{"value": 1}]}]}}},
                r"facets\.Sex\[0\]\.metrics\[0\]: must be a JSON object with a string name",
            ),
            (
                {
                    "post_training_bias_metrics": {
                        "facets": {"Sex": [{"metrics": [{"name": "DI", "value": "big"}]}]}
                    }
                },
                r"metrics\[0\]\.value: must be a number",
            ),
            ("[]", r"analysis\.json: must be a JSON object"),
        ],
    )
    def test_malformed_documents_name_the_path(self, document, message):
        with pytest.raises(ValueError, match=message):
            BiasAnalysis.from_json(document)


class TestExplainabilityAnalysis:
    def test_reads_labels(self):
        analysis = ExplainabilityAnalysis.from_json(json.dumps(EXPLAINABILITY_ANALYSIS).encode())
        assert analysis.version == "1.0"
        assert analysis.method == "kernel_shap"
        assert list(analysis.labels) == ["label0"]
        label = analysis.label("label0")
        assert label.expected_value == 0.250623226165771
        assert label.global_shap_values == {
            "Age": 0.05962069398767555,
            "Workclass": 0.009340874120660063,
            "Capital Gain": 0.09913318680892579,
        }

    def test_ranking_and_rows(self):
        analysis = ExplainabilityAnalysis.from_json(EXPLAINABILITY_ANALYSIS)
        assert analysis.label("label0").ranking() == ["Capital Gain", "Age", "Workclass"]
        assert analysis.rows() == [
            ShapRow("label0", "Capital Gain", 0.09913318680892579),
            ShapRow("label0", "Age", 0.05962069398767555),
            ShapRow("label0", "Workclass", 0.009340874120660063),
        ]

    def test_ranking_uses_magnitude_and_puts_missing_values_last(self):
        label = LabelAttribution("y", {"a": None, "b": -0.5, "c": 0.2}, None)
        assert label.ranking() == ["b", "c", "a"]

    def test_several_labels_and_pdp_ignored(self):
        document = {
            "explanations": {
                "kernel_shap": {
                    "yes": {"global_shap_values": {"x": 0.1}, "expected_value": 0.3},
                    "no": {"global_shap_values": {"x": 0.2}},
                },
                "pdp": [{"feature_name": "x", "data_type": "numerical"}],
            }
        }
        analysis = ExplainabilityAnalysis.from_json(document)
        assert list(analysis.labels) == ["yes", "no"]
        assert analysis.label("no").expected_value is None
        assert [(r.label, r.value) for r in analysis.rows()] == [("yes", 0.1), ("no", 0.2)]
        assert analysis.version is None

    def test_non_finite_values_and_summary(self):
        document = {
            "version": "1.0",
            "explanations": {
                "kernel_shap": {
                    "label0": {"global_shap_values": {"a": "NaN", "b": "Infinity"}, "expected_value": "NaN"}
                }
            },
        }
        analysis = ExplainabilityAnalysis.from_json(document)
        assert math.isnan(analysis.label("label0").expected_value)
        summary = json.loads(_strict_json(analysis.summary()))
        assert summary == {
            "version": "1.0",
            "method": "kernel_shap",
            "labels": {
                "label0": {"expected_value": "NaN", "global_shap_values": {"a": "NaN", "b": "Infinity"}}
            },
        }

    @pytest.mark.parametrize(
        "document", [{}, {"explanations": {}}, {"explanations": {"pdp": []}}, {"explanations": None}]
    )
    def test_no_kernel_shap_means_no_labels(self, document):
        analysis = ExplainabilityAnalysis.from_json(document)
        assert analysis.labels == {}
        assert analysis.rows() == []
        assert analysis.summary()["labels"] == {}

    def test_unknown_label(self):
        with pytest.raises(KeyError, match="'label9'"):
            ExplainabilityAnalysis.from_json(EXPLAINABILITY_ANALYSIS).label("label9")

    @pytest.mark.parametrize(
        ("document", "message"),
        [
            ({"explanations": []}, r"analysis\.json\.explanations: must be a JSON object"),
            ({"explanations": {"kernel_shap": {"label0": 1}}}, r"kernel_shap\.label0: must be a JSON object"),
            (
                {"explanations": {"kernel_shap": {"label0": {"global_shap_values": {"Age": "high"}}}}},
                r"kernel_shap\.label0\.global_shap_values\.Age: must be a number",
            ),
            (
                {"explanations": {"kernel_shap": {"label0": {"expected_value": [0.1]}}}},
                r"label0\.expected_value: must be a number",
            ),
        ],
    )
    def test_malformed_documents_name_the_path(self, document, message):
        with pytest.raises(ValueError, match=message):
            ExplainabilityAnalysis.from_json(document)
