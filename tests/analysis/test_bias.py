"""Tests for the bias analysis document and the bias-drift check."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_mm_provider.analysis.bias import (
    BIAS_DRIFT_CHECK,
    PRE_TRAINING,
    bias_drift_violations,
    run_bias_analysis,
)

# Worked example (the same counts as tests/analysis/test_bias_metrics.py), columns Sex, g, Target, predicted:
#   facet d = Sex 0, facet a = Sex 1; label positive = 1
#   a: TP=3 FN=1 FP=1 TN=1   d: TP=1 FN=1 FP=0 TN=2
#   g1: a TP,TP,FN ; d TN    g2: a TP,FP,TN ; d TP,FN,TN
RECORDS = [
    ("1", "g1", "1", "1"),
    ("1", "g1", "1", "1"),
    ("1", "g1", "1", "0"),
    ("0", "g1", "0", "0"),
    ("1", "g2", "1", "1"),
    ("1", "g2", "0", "1"),
    ("1", "g2", "0", "0"),
    ("0", "g2", "1", "1"),
    ("0", "g2", "1", "0"),
    ("0", "g2", "0", "0"),
]
HEADERS = ["Sex", "g", "Target"]
ROWS = [record[:3] for record in RECORDS]
PREDICTED = [record[3] for record in RECORDS]
CONFIG: dict[str, Any] = {
    "headers": HEADERS,
    "label": "Target",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "Sex", "value_or_threshold": [0]}],
    "group_variable": "g",
}

# Hand-computed from the formula sheet (see test_bias_metrics.py for the working).
EXPECTED_PRE = {
    "CDDL": 0.2,
    "CI": 0.2,
    "DPL": 1 / 6,
    "JS": 0.5 * (1 / 3 * math.log(4 / 5) + 2 / 3 * math.log(8 / 7))
    + 0.5 * (1 / 2 * math.log(6 / 5) + 1 / 2 * math.log(6 / 7)),
    "KL": 1 / 3 * math.log(2 / 3) + 2 / 3 * math.log(4 / 3),
    "KS": 1 / 6,
    "LP": math.sqrt(2) / 6,
    "TVD": 1 / 6,
}
EXPECTED_POST = {
    "AD": -1 / 12,
    "CDDPL": 0.4,
    "DAR": -1 / 4,
    "DCA": -1.0,
    "DCR": -1 / 3,
    "DI": 3 / 8,
    "DPPL": 5 / 12,
    "DRR": 1 / 6,
    "GE": 29 / 162,
    "RD": 1 / 4,
    "SD": 1 / 2,
    "TE": "Infinity",  # FN_d / FP_d = 1 / 0
}
FACTS_POST_NAMES = {"AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "GE", "RD", "SD", "TE"}
FACTS_PRE_NAMES = {"CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"}
DIFFERENCES = ("CI", "DPL", "CDDL", "DPPL", "DCA", "DCR", "RD", "SD", "DAR", "DRR", "AD", "TE", "CDDPL")


def _metrics(document: dict[str, Any], stage: str, facet: str = "Sex", position: int = 0) -> dict[str, Any]:
    entry = document[f"{stage}_bias_metrics"]["facets"][facet][position]
    return {metric["name"]: metric["value"] for metric in entry["metrics"]}


def _number(value: Any) -> float:
    return float(value) if isinstance(value, str) else value


def _analysis(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "config": CONFIG,
        "rows": ROWS,
        "headers": HEADERS,
        "predicted_labels": PREDICTED,
    }
    arguments.update(overrides)
    return run_bias_analysis(**arguments)


def test_worked_example_values() -> None:
    document = _analysis()
    pre, post = _metrics(document, "pre_training"), _metrics(document, "post_training")
    assert pre.keys() == EXPECTED_PRE.keys()
    assert post.keys() == EXPECTED_POST.keys()
    for name, expected in EXPECTED_PRE.items():
        assert pre[name] == pytest.approx(expected, rel=1e-12), name
    for name, expected in EXPECTED_POST.items():
        if isinstance(expected, str):
            assert post[name] == expected
        else:
            assert post[name] == pytest.approx(expected, rel=1e-12), name


def test_layout_matches_the_clarify_analysis_json() -> None:
    document = _analysis()
    assert set(document) == {"version", "pre_training_bias_metrics", "post_training_bias_metrics"}
    assert document["version"] == "1.0"
    for section, names in (
        ("pre_training_bias_metrics", FACTS_PRE_NAMES),
        ("post_training_bias_metrics", FACTS_POST_NAMES),
    ):
        block = document[section]
        assert set(block) == {"label", "label_value_or_threshold", "facets"}
        assert block["label"] == "Target"
        assert block["label_value_or_threshold"] == "1"
        assert list(block["facets"]) == ["Sex"]
        [entry] = block["facets"]["Sex"]
        assert set(entry) == {"value_or_threshold", "metrics"}
        assert entry["value_or_threshold"] == "0"
        metric_names = [metric["name"] for metric in entry["metrics"]]
        assert metric_names == sorted(metric_names)
        assert set(metric_names) <= names
        for metric in entry["metrics"]:
            assert set(metric) == {"name", "description", "value"}
            assert metric["description"].endswith(f"({metric['name']})")
    assert _metrics(document, "post_training")["AD"] == pytest.approx(-1 / 12)
    json.dumps(document, allow_nan=True)  # JSON-serialisable as it is


def test_same_input_gives_identical_output() -> None:
    first = json.dumps(_analysis(), sort_keys=True)
    again = json.dumps(_analysis(), sort_keys=True)
    chunked = json.dumps(
        _analysis(rows=[ROWS[:3], ROWS[3:7], ROWS[7:]], predicted_labels=[PREDICTED[:4], PREDICTED[4:]]),
        sort_keys=True,
    )
    generated = json.dumps(_analysis(rows=iter(ROWS), predicted_labels=iter(PREDICTED)), sort_keys=True)
    assert first == again == chunked == generated


def test_numbers_and_text_compare_alike() -> None:
    numeric_rows = [(int(sex), group, float(label)) for sex, group, label in ROWS]
    numeric = _analysis(rows=numeric_rows, predicted_labels=[int(value) for value in PREDICTED])
    assert json.dumps(numeric, sort_keys=True) == json.dumps(_analysis(), sort_keys=True)


def test_probabilities_with_threshold() -> None:
    probabilities = [0.9 if value == "1" else 0.2 for value in PREDICTED]
    from_probabilities = _analysis(predicted_labels=None, probabilities=probabilities)
    assert from_probabilities == _analysis()
    # a threshold above every probability predicts nothing positive: DI = 0/0
    none_positive = _analysis(predicted_labels=None, probabilities=probabilities, probability_threshold=0.95)
    assert math.isnan(_metrics(none_positive, "post_training")["DI"])
    config = {**CONFIG, "probability_threshold": 0.95}
    from_config = _analysis(config=config, predicted_labels=None, probabilities=probabilities)
    assert json.dumps(from_config, sort_keys=True) == json.dumps(none_positive, sort_keys=True)


def test_probability_equal_to_threshold_is_positive() -> None:
    exact = _analysis(predicted_labels=None, probabilities=[0.5 if v == "1" else 0.49 for v in PREDICTED])
    assert exact == _analysis()


def test_thresholds_for_numeric_label_and_facet() -> None:
    # Age > 40.5 is facet d; score > 0.5 is a positive label; predictions are judged by the same rule.
    rows = [("30", "0.2"), ("35", "0.7"), ("50", "0.9"), ("70", "0.4"), ("45", "0.6"), ("20", "0.1")]
    predicted = ["0.3", "0.8", "0.2", "0.9", "0.7", "0.6"]
    config = {
        "label": "score",
        "label_values_or_threshold": [0.5],
        "facet": [{"name_or_index": "Age", "value_or_threshold": [40.5]}],
    }
    document = run_bias_analysis(config, rows, ["Age", "score"], predicted_labels=predicted)
    block = document["pre_training_bias_metrics"]
    assert block["label_value_or_threshold"] == "(0.5, 0.9]"
    [entry] = block["facets"]["Age"]
    assert entry["value_or_threshold"] == "(40.5, 70]"
    # d = {50, 70, 45}: labels 1, 0, 1; a = {30, 35, 20}: labels 0, 1, 0
    pre = _metrics(document, "pre_training", "Age")
    assert pre["CI"] == 0.0
    assert pre["DPL"] == pytest.approx(1 / 3 - 2 / 3)
    assert "CDDL" not in pre  # no group variable
    # predicted positives: a {35, 20} -> 2/3; d {70, 45} -> 2/3
    post = _metrics(document, "post_training", "Age")
    assert post["DI"] == pytest.approx(1.0)
    assert "CDDPL" not in post


def test_integral_values_are_values_not_thresholds() -> None:
    config = {
        **CONFIG,
        "label_values_or_threshold": [1.0],
        "facet": [{"name_or_index": 0, "value_or_threshold": [0.0]}],
    }
    assert _analysis(config=config) == _analysis()


def test_single_values_need_no_list() -> None:
    config = {
        **CONFIG,
        "label_values_or_threshold": 1,
        "facet": [{"name_or_index": "Sex", "value_or_threshold": 0}],
    }
    assert _analysis(config=config) == _analysis()


def test_several_values_and_text_labels() -> None:
    rows = [("x", "yes"), ("y", "maybe"), ("z", "no"), ("x", "no"), ("y", "yes"), ("z", "no")]
    config = {
        "label": "answer",
        "label_values_or_threshold": ["yes", "maybe"],
        "facet": [{"name_or_index": "site", "value_or_threshold": ["x", "y"]}],
    }
    document = run_bias_analysis(config, rows, ["site", "answer"], methods=(PRE_TRAINING,))
    assert set(document) == {"version", "pre_training_bias_metrics"}
    block = document["pre_training_bias_metrics"]
    assert block["label_value_or_threshold"] == "yes,maybe"
    assert block["facets"]["site"][0]["value_or_threshold"] == "x,y"
    # d = sites x, y: 3 positive of 4; a = site z: 0 of 2
    assert _metrics(document, "pre_training", "site")["DPL"] == pytest.approx(0 - 3 / 4)


def test_every_facet_value_without_value_or_threshold() -> None:
    config = {**CONFIG, "facet": [{"name_or_index": "Sex"}]}
    document = _analysis(config=config)
    entries = document["post_training_bias_metrics"]["facets"]["Sex"]
    assert [entry["value_or_threshold"] for entry in entries] == ["0", "1"]
    explicit = _analysis()["post_training_bias_metrics"]["facets"]["Sex"][0]
    assert entries[0] == explicit
    other = {**CONFIG, "facet": [{"name_or_index": "Sex", "value_or_threshold": [1]}]}
    assert entries[1] == _analysis(config=other)["post_training_bias_metrics"]["facets"]["Sex"][0]


def test_several_facets_and_columns_by_index() -> None:
    config = {
        "label": 2,
        "label_values_or_threshold": [1],
        "facet": [
            {"name_or_index": 0, "value_or_threshold": [0]},
            {"name_or_index": "g", "value_or_threshold": ["g1"]},
        ],
        "group_variable": 1,
    }
    document = _analysis(config=config)
    assert list(document["pre_training_bias_metrics"]["facets"]) == ["Sex", "g"]
    assert (
        document["pre_training_bias_metrics"]["facets"]["Sex"]
        == _analysis()["pre_training_bias_metrics"]["facets"]["Sex"]
    )
    # facet g1 has 4 records, the others 6: CI = (6 - 4) / 10
    assert _metrics(document, "pre_training", "g")["CI"] == pytest.approx(0.2)


def test_records_without_label_are_left_out() -> None:
    rows = [*ROWS, ("0", "g1", ""), ("1", "g2", None)]
    assert _analysis(rows=rows, predicted_labels=[*PREDICTED, "1", "0"]) == _analysis()


def test_records_without_prediction_count_only_before_training() -> None:
    rows = [*ROWS, ("0", "g1", "1")]
    document = _analysis(rows=rows, predicted_labels=[*PREDICTED, None])
    assert _metrics(document, "pre_training")["CI"] == pytest.approx((6 - 5) / 11)
    assert _metrics(document, "post_training") == _metrics(_analysis(), "post_training")


def test_config_methods_choose_metrics() -> None:
    config = {
        **CONFIG,
        "methods": {
            "pre_training_bias": {"methods": ["CI", "KS"]},
            "post_training_bias": {"methods": ["DI", "FT"]},
        },
    }
    document = _analysis(config=config)
    assert list(_metrics(document, "pre_training")) == ["CI", "KS"]
    assert list(_metrics(document, "post_training")) == ["DI"]
    everything = {**CONFIG, "methods": {"pre_training_bias": {"methods": "all"}}}
    assert _analysis(config=everything) == _analysis()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"predicted_labels": None}, "need predicted_labels or probabilities"),
        ({"probabilities": [0.1] * 10}, "not both"),
        ({"predicted_labels": PREDICTED[:-1]}, "more records than"),
        ({"predicted_labels": [*PREDICTED, "1"]}, "more predicted labels"),
        ({"methods": ("during_training",)}, "methods"),
        ({"config": {**CONFIG, "label": "Outcome"}}, "label"),
        ({"config": {k: v for k, v in CONFIG.items() if k != "label"}}, "label"),
        ({"config": {**CONFIG, "label_values_or_threshold": []}}, "label_values_or_threshold"),
        ({"config": {**CONFIG, "facet": []}}, "facet"),
        ({"config": {**CONFIG, "facet": [{"value_or_threshold": [0]}]}}, "name_or_index"),
        ({"config": {**CONFIG, "facet": [{"name_or_index": "Race"}]}}, "facet"),
        ({"config": {**CONFIG, "group_variable": "Region"}}, "group_variable"),
        ({"config": {**CONFIG, "methods": {"pre_training_bias": {"methods": ["XYZ"]}}}}, "XYZ"),
    ],
)
def test_invalid_input_is_rejected(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _analysis(**overrides)


def test_pre_training_alone_needs_no_predictions() -> None:
    document = _analysis(predicted_labels=None, methods=PRE_TRAINING)
    assert set(document) == {"version", "pre_training_bias_metrics"}
    assert document["pre_training_bias_metrics"] == _analysis()["pre_training_bias_metrics"]


def test_zero_denominators_do_not_crash() -> None:
    # facet d (Sex 0) never occurs: CI = 1, proportions of d are 0/0
    rows = [("1", "g1", "1"), ("1", "g1", "0")]
    document = _analysis(rows=rows, predicted_labels=["1", "1"])
    pre, post = _metrics(document, "pre_training"), _metrics(document, "post_training")
    assert pre["CI"] == 1.0
    assert math.isnan(pre["DPL"])
    assert math.isnan(post["DI"])
    assert math.isnan(post["DPPL"])
    text = json.dumps(document)
    assert "NaN" in text
    empty = _analysis(rows=[], predicted_labels=[])
    assert math.isnan(_metrics(empty, "post_training")["GE"])


# --- properties ---------------------------------------------------------------------------------------------

_CELL = st.integers(min_value=1, max_value=6)


def _rows_from_counts(
    cells: list[list[int]], facets: tuple[str, ...]
) -> tuple[list[tuple[str, ...]], list[str]]:
    """Rows (Sex, g, Target) and predictions from per-group counts of (TN, FP, FN, TP), repeated per facet."""
    rows, predicted = [], []
    for group, counts in enumerate(cells):
        for facet in facets:
            for (label, prediction), count in zip(
                (("0", "0"), ("0", "1"), ("1", "0"), ("1", "1")), counts, strict=True
            ):
                rows.extend([(facet, f"g{group}", label)] * count)
                predicted.extend([prediction] * count)
    return rows, predicted


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(_CELL, min_size=4, max_size=4), min_size=1, max_size=3))
def test_perfectly_fair_set(cells: list[list[int]]) -> None:
    rows, predicted = _rows_from_counts(cells, ("0", "1"))
    document = _analysis(rows=rows, predicted_labels=predicted)
    values = {**_metrics(document, "pre_training"), **_metrics(document, "post_training")}
    assert values["DI"] == pytest.approx(1.0)
    for name in (*DIFFERENCES, "KL", "JS", "LP", "TVD", "KS"):
        assert values[name] == pytest.approx(0.0, abs=1e-12), name


def _same(left: Any, right: float) -> bool:
    left = _number(left)
    if math.isnan(left) or math.isnan(right):
        return math.isnan(left) and math.isnan(right)
    if math.isinf(left) or math.isinf(right):
        return left == right
    return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["0", "1"]),
            st.sampled_from(["g1", "g2"]),
            st.sampled_from(["0", "1"]),
            st.sampled_from(["0", "1"]),
        ),
        min_size=0,
        max_size=30,
    )
)
def test_swapping_facets_flips_signs(records: list[tuple[str, str, str, str]]) -> None:
    rows = [record[:3] for record in records]
    predicted = [record[3] for record in records]
    swapped_config = {**CONFIG, "facet": [{"name_or_index": "Sex", "value_or_threshold": [1]}]}
    before = _analysis(rows=rows, predicted_labels=predicted)
    after = _analysis(config=swapped_config, rows=rows, predicted_labels=predicted)
    values = {**_metrics(before, "pre_training"), **_metrics(before, "post_training")}
    flipped = {**_metrics(after, "pre_training"), **_metrics(after, "post_training")}
    for name in DIFFERENCES:
        assert _same(flipped[name], -_number(values[name])), name
    for name in ("JS", "LP", "TVD", "KS", "GE"):
        assert _same(flipped[name], _number(values[name])), name
    di = _number(values["DI"])
    assert _same(flipped["DI"], math.inf if di == 0 else 1 / di)


# --- drift --------------------------------------------------------------------------------------------------


def _document(values: dict[str, dict[str, Any]], stage: str = "post_training") -> dict[str, Any]:
    """A minimal analysis.json with facet Sex and {facet value: {metric: value}}."""
    return {
        "version": "1.0",
        f"{stage}_bias_metrics": {
            "label": "Target",
            "label_value_or_threshold": "1",
            "facets": {
                "Sex": [
                    {
                        "value_or_threshold": value,
                        "metrics": [
                            {"name": name, "description": f"{name} ({name})", "value": metric}
                            for name, metric in metrics.items()
                        ],
                    }
                    for value, metrics in values.items()
                ]
            },
        },
    }


def test_drift_flags_a_degradation_of_one_facet_only() -> None:
    baseline = _document({"0": {"DPPL": 0.2, "DI": 0.8}, "1": {"DPPL": -0.2, "DI": 1.25}})
    current = _document({"0": {"DPPL": 0.2, "DI": 0.7}, "1": {"DPPL": -0.1, "DI": 1.1}})
    assert bias_drift_violations(current, baseline) == [
        {
            "facet": "Sex",
            "facet_value": "0",
            "metric_name": "DI",
            "constraint_check_type": BIAS_DRIFT_CHECK,
            "description": "Metric value 0.7 doesn't meet the baseline constraint requirement 0.8",
        }
    ]


@pytest.mark.parametrize(
    ("baseline", "current", "violates"),
    [
        (0.2, 0.1, False),  # closer to 0
        (0.2, -0.1, False),
        (0.2, -0.3, True),  # farther on the other side
        (0.2, 0.2, False),
        (0.2, 0.2 + 1e-17, False),  # rounding noise
        (0.2, "Infinity", True),
        (0.2, "-Infinity", True),
        ("Infinity", 5.0, False),
        ("Infinity", "Infinity", False),
        (0.2, math.nan, False),
        (math.nan, 0.5, False),
        (0.2, None, False),
    ],
)
def test_drift_rule(baseline: Any, current: Any, violates: bool) -> None:
    found = bias_drift_violations(_document({"0": {"DPPL": current}}), _document({"0": {"DPPL": baseline}}))
    assert bool(found) is violates


def test_drift_uses_one_as_fair_value_of_di() -> None:
    baseline = _document({"0": {"DI": 0.9}})
    assert not bias_drift_violations(_document({"0": {"DI": 1.05}}), baseline)
    assert bias_drift_violations(_document({"0": {"DI": 1.2}}), baseline)


def test_drift_describes_infinite_values() -> None:
    [violation] = bias_drift_violations(_document({"0": {"TE": "Infinity"}}), _document({"0": {"TE": 0.5}}))
    assert (
        violation["description"]
        == "Metric value Infinity doesn't meet the baseline constraint requirement 0.5"
    )


def test_drift_ignores_metrics_missing_from_either_side() -> None:
    baseline = _document({"0": {"DPPL": 0.1}})
    current = _document({"0": {"DI": 0.1, "DPPL": 0.05}, "1": {"DPPL": 0.9}})
    assert bias_drift_violations(current, baseline) == []
    assert bias_drift_violations(current, _document({"0": {"DPPL": 0.0}}, stage="pre_training")) == []


def test_drift_matches_threshold_facets_on_their_threshold() -> None:
    baseline = _document({"(0.5, 0.99]": {"DPPL": 0.1}})
    current = _document({"(0.5, 0.97]": {"DPPL": 0.3}})
    [violation] = bias_drift_violations(current, baseline)
    assert violation["facet_value"] == "(0.5, 0.97]"
    assert not bias_drift_violations(_document({"(0.6, 0.97]": {"DPPL": 0.3}}), baseline)


def test_drift_between_two_analyses() -> None:
    baseline = _analysis()
    assert bias_drift_violations(baseline, copy.deepcopy(baseline)) == []
    # the model now rejects every record of facet d: d's predicted positive rate drops from 1/4 to 0
    worse_predictions = [
        "0" if sex == "0" else prediction for (sex, _, _), prediction in zip(ROWS, PREDICTED, strict=True)
    ]
    current = _analysis(predicted_labels=worse_predictions)
    names = {violation["metric_name"] for violation in bias_drift_violations(current, baseline)}
    assert {"DPPL", "DI"} <= names
    assert all(violation["facet_value"] == "0" for violation in bias_drift_violations(current, baseline))
    # and the reverse change is an improvement
    assert not {"DPPL", "DI"} & {v["metric_name"] for v in bias_drift_violations(baseline, current)}
