"""Tests of model-quality metrics against scikit-learn, constraints and violations."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from airflow_mm_provider.analysis import partials
from airflow_mm_provider.analysis.model_quality import (
    BINARY,
    MULTICLASS,
    REGRESSION,
    ModelQualityAccumulator,
    evaluate,
    suggest_constraints,
)
from airflow_mm_provider.analysis.output import dumps

TOLERANCE = 1e-9


def values(metrics: dict) -> dict[str, float]:
    """Scalar metric values."""
    return {
        name: item["value"] for name, item in metrics.items() if isinstance(item, dict) and "value" in item
    }


def binary_reference(truth: np.ndarray, predicted: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """Binary metrics computed with scikit-learn (positive label 1, zero_division=0)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        recall = skm.recall_score(truth, predicted, pos_label=1, zero_division=0)
        tn, fp, fn, tp = skm.confusion_matrix(truth, predicted, labels=[0, 1]).ravel()
        reference = {
            "recall": recall,
            "true_positive_rate": recall,
            "precision": skm.precision_score(truth, predicted, pos_label=1, zero_division=0),
            "accuracy": skm.accuracy_score(truth, predicted),
            "true_negative_rate": tn / (tn + fp) if tn + fp else 0.0,
            "false_positive_rate": fp / (fp + tn) if fp + tn else 0.0,
            "false_negative_rate": fn / (fn + tp) if fn + tp else 0.0,
        }
        constant = np.ones_like(truth)
        reference["recall_best_constant_classifier"] = skm.recall_score(truth, constant, zero_division=0)
        reference["precision_best_constant_classifier"] = skm.precision_score(
            truth, constant, zero_division=0
        )
        reference["accuracy_best_constant_classifier"] = skm.accuracy_score(truth, constant)
        for name, beta in (("f0_5", 0.5), ("f1", 1.0), ("f2", 2.0)):
            reference[name] = skm.fbeta_score(truth, predicted, beta=beta, zero_division=0)
            reference[name + "_best_constant_classifier"] = skm.fbeta_score(
                truth, constant, beta=beta, zero_division=0
            )
        if 0 < truth.sum() < truth.size:
            reference["auc"] = skm.roc_auc_score(truth, scores)
    return reference


def assert_close(actual: dict[str, float], expected: dict[str, float]) -> None:
    for name, value in expected.items():
        assert actual[name] == pytest.approx(value, abs=TOLERANCE), name


def test_binary_with_probabilities_matches_sklearn() -> None:
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 2, 500)
    scores = np.round(rng.random(500), 2)  # ties on purpose
    accumulator = ModelQualityAccumulator(BINARY, probability_threshold=0.6)
    for part in np.array_split(np.arange(500), 4):
        accumulator.add(truth[part], None, scores[part])
    metrics = accumulator.metrics()
    predicted = (scores >= 0.6).astype(int)
    assert_close(values(metrics), binary_reference(truth, predicted, scores))
    matrix = skm.confusion_matrix(truth, predicted, labels=[0, 1])
    assert metrics["confusion_matrix"] == {
        "0": {"0": int(matrix[0, 0]), "1": int(matrix[0, 1])},
        "1": {"0": int(matrix[1, 0]), "1": int(matrix[1, 1])},
    }
    fpr, tpr, _ = skm.roc_curve(truth, scores, drop_intermediate=False)
    curve = metrics["receiver_operating_characteristic_curve"]
    np.testing.assert_allclose(curve["false_positive_rates"], fpr, atol=TOLERANCE)
    np.testing.assert_allclose(curve["true_positive_rates"], tpr, atol=TOLERANCE)
    precision, recall, _ = skm.precision_recall_curve(truth, scores)
    np.testing.assert_allclose(
        metrics["precision_recall_curve"]["precisions"], precision[::-1], atol=TOLERANCE
    )
    np.testing.assert_allclose(metrics["precision_recall_curve"]["recalls"], recall[::-1], atol=TOLERANCE)


@settings(max_examples=40, deadline=None)
@given(
    truth=st.lists(st.integers(0, 1), min_size=1, max_size=60),
    seed=st.integers(0, 2**16),
)
def test_binary_labels_without_probabilities_match_sklearn(truth: list[int], seed: int) -> None:
    labels = np.array(truth)
    predicted = np.random.default_rng(seed).integers(0, 2, labels.size)
    accumulator = ModelQualityAccumulator(BINARY)
    accumulator.add(labels.astype(str), predicted.astype(float))
    assert_close(values(accumulator.metrics()), binary_reference(labels, predicted, predicted.astype(float)))


def test_binary_with_one_class_only() -> None:
    accumulator = ModelQualityAccumulator(BINARY)
    accumulator.add(["0"] * 10, None, np.linspace(0.0, 0.9, 10))
    metrics = values(accumulator.metrics())
    truth = np.zeros(10, dtype=int)
    assert_close(metrics, binary_reference(truth, (np.linspace(0.0, 0.9, 10) >= 0.5).astype(int), truth))
    assert math.isnan(metrics["auc"])
    assert metrics["recall_best_constant_classifier"] == 0.0


def test_binary_with_all_predictions_equal() -> None:
    truth = np.array([0, 1, 1, 0, 1])
    accumulator = ModelQualityAccumulator(BINARY)
    accumulator.add(truth, np.zeros(5, dtype=int))
    metrics = accumulator.metrics()
    assert_close(values(metrics), binary_reference(truth, np.zeros(5, dtype=int), np.zeros(5)))
    assert metrics["auc"]["value"] == pytest.approx(0.5)


def test_binary_matches_the_documented_example() -> None:
    accumulator = ModelQualityAccumulator(BINARY)
    accumulator.add(["0", "0", "0", "1"], ["0", "1", "1", "1"])
    metrics = accumulator.metrics()
    assert metrics["confusion_matrix"] == {"0": {"0": 1, "1": 2}, "1": {"0": 0, "1": 1}}
    expected = {
        "recall": 1.0,
        "precision": 1 / 3,
        "accuracy": 0.5,
        "recall_best_constant_classifier": 1.0,
        "precision_best_constant_classifier": 0.25,
        "accuracy_best_constant_classifier": 0.25,
        "true_negative_rate": 1 / 3,
        "false_positive_rate": 2 / 3,
        "false_negative_rate": 0.0,
        "f0_5": 0.3846153846153846,
        "f1": 0.5,
        "f2": 0.7142857142857143,
        "f0_5_best_constant_classifier": 0.29411764705882354,
        "f1_best_constant_classifier": 0.4,
        "f2_best_constant_classifier": 0.625,
    }
    assert_close(values(metrics), expected)
    assert all(item["standard_deviation"] == "NaN" for item in metrics.values() if "value" in item)


def multiclass_reference(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Multiclass metrics with scikit-learn, including the least-frequent-class constant classifier."""
    classes, counts = np.unique(truth, return_counts=True)
    constant = np.full_like(truth, classes[np.argmin(counts)])
    reference = {}
    for suffix, guess in (("", predicted), ("_best_constant_classifier", constant)):
        reference["accuracy" + suffix] = skm.accuracy_score(truth, guess)
        reference["weighted_recall" + suffix] = skm.recall_score(
            truth, guess, average="weighted", zero_division=0
        )
        reference["weighted_precision" + suffix] = skm.precision_score(
            truth, guess, average="weighted", zero_division=0
        )
        for name, beta in (("f0_5", 0.5), ("f1", 1.0), ("f2", 2.0)):
            reference[f"weighted_{name}{suffix}"] = skm.fbeta_score(
                truth, guess, beta=beta, average="weighted", zero_division=0
            )
    return reference


def test_multiclass_matches_sklearn() -> None:
    rng = np.random.default_rng(5)
    truth = rng.integers(0, 6, 400)
    predicted = np.where(rng.random(400) < 0.6, truth, rng.integers(0, 7, 400))  # class 6 only predicted
    accumulator = ModelQualityAccumulator(MULTICLASS)
    accumulator.add(truth[:150], predicted[:150])
    accumulator.add(truth[150:].astype(str), predicted[150:].astype(float))
    metrics = accumulator.metrics()
    assert_close(values(metrics), multiclass_reference(truth, predicted))
    matrix = skm.confusion_matrix(truth, predicted, labels=list(range(7)))
    assert metrics["confusion_matrix"]["3"]["6"] == matrix[3, 6]
    assert list(metrics["confusion_matrix"]) == [str(label) for label in range(7)]
    assert isinstance(metrics["accuracy"]["standard_deviation"], float)


def test_multiclass_with_all_predictions_equal() -> None:
    truth = np.array(["cat", "dog", "bird", "dog", "cat", "cat"])
    accumulator = ModelQualityAccumulator(MULTICLASS)
    accumulator.add(truth, np.array(["dog"] * 6))
    assert_close(values(accumulator.metrics()), multiclass_reference(truth, np.array(["dog"] * 6)))


def test_multiclass_best_constant_reproduces_documented_example() -> None:
    truth = np.array([0] * 1690 + [1] * 406)
    predicted = np.array([0] * 1180 + [1] * 510 + [0] * 268 + [1] * 138)
    accumulator = ModelQualityAccumulator(MULTICLASS)
    accumulator.add(truth, predicted)
    metrics = values(accumulator.metrics())
    assert metrics["accuracy"] == pytest.approx(0.6288167938931297)
    assert metrics["weighted_precision"] == pytest.approx(0.6983172269629505)
    assert metrics["accuracy_best_constant_classifier"] == pytest.approx(0.19370229007633588)
    assert metrics["weighted_precision_best_constant_classifier"] == pytest.approx(0.03752057718081697)
    assert metrics["weighted_f2_best_constant_classifier"] == pytest.approx(0.10570313141262414)


@settings(max_examples=30, deadline=None)
@given(
    truth=st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=50),
    noise=st.floats(0, 10),
)
def test_regression_matches_sklearn(truth: list[float], noise: float) -> None:
    actual = np.array(truth)
    predicted = actual + noise * np.cos(np.arange(actual.size))
    accumulator = ModelQualityAccumulator(REGRESSION)
    accumulator.add(actual, predicted)
    metrics = values(accumulator.metrics())
    assert metrics["mae"] == pytest.approx(skm.mean_absolute_error(actual, predicted), abs=TOLERANCE)
    assert metrics["mse"] == pytest.approx(skm.mean_squared_error(actual, predicted), abs=1e-6, rel=1e-9)
    assert metrics["rmse"] == pytest.approx(math.sqrt(skm.mean_squared_error(actual, predicted)), rel=1e-9)
    assert metrics["r2"] == pytest.approx(skm.r2_score(actual, predicted), abs=1e-6)


def test_regression_with_constant_target() -> None:
    exact = ModelQualityAccumulator(REGRESSION)
    exact.add([2.0, 2.0, 2.0], [2.0, 2.0, 2.0])
    assert values(exact.metrics())["r2"] == skm.r2_score([2, 2, 2], [2, 2, 2]) == 1.0
    off = ModelQualityAccumulator(REGRESSION)
    off.add([2.0, 2.0, 2.0], [1.0, 2.0, 3.0])
    assert values(off.metrics())["r2"] == skm.r2_score([2, 2, 2], [1, 2, 3]) == 0.0


def test_standard_deviation_needs_200_records_and_is_reproducible() -> None:
    rng = np.random.default_rng(11)
    truth, predicted = rng.normal(size=200), rng.normal(size=200)
    few = ModelQualityAccumulator(REGRESSION)
    few.add(truth[:199], predicted[:199])
    assert few.metrics()["mae"]["standard_deviation"] == "NaN"
    runs = []
    for _ in range(2):
        enough = ModelQualityAccumulator(REGRESSION)
        enough.add(truth, predicted)
        runs.append(enough.metrics())
    deviation = runs[0]["mae"]["standard_deviation"]
    assert isinstance(deviation, float) and 0 < deviation < 1
    assert runs[0] == runs[1]


def test_curves_are_thinned() -> None:
    accumulator = ModelQualityAccumulator(BINARY, curve_points=10)
    rng = np.random.default_rng(1)
    accumulator.add(rng.integers(0, 2, 300), None, rng.random(300))
    curve = accumulator.metrics()["receiver_operating_characteristic_curve"]
    assert len(curve["false_positive_rates"]) == 11
    assert curve["false_positive_rates"][0] == 0.0 and curve["true_positive_rates"][-1] == 1.0


def test_statistics_layout() -> None:
    accumulator = ModelQualityAccumulator(REGRESSION)
    accumulator.add([1.0, 2.0], [1.5, 2.5])
    statistics = accumulator.statistics("2026-01-01T00:00:00.000Z")
    assert statistics["version"] == 0.0
    assert statistics["dataset"] == {"item_count": 2, "evaluation_time": "2026-01-01T00:00:00.000Z"}
    assert set(statistics["regression_metrics"]) == {"mae", "mse", "rmse", "r2"}


def test_invalid_inputs_raise() -> None:
    with pytest.raises(ValueError):
        ModelQualityAccumulator("Ranking")
    with pytest.raises(ValueError):
        ModelQualityAccumulator(BINARY).add(["1"])
    with pytest.raises(ValueError):
        ModelQualityAccumulator(REGRESSION).metrics()


def test_suggest_constraints_uses_baseline_values_and_directions() -> None:
    accumulator = ModelQualityAccumulator(BINARY)
    accumulator.add(["0", "0", "0", "1"], ["0", "1", "1", "1"])
    constraints = suggest_constraints(accumulator.statistics())
    section = constraints["binary_classification_constraints"]
    assert constraints["version"] == 0.0
    assert section["f1"] == {"threshold": 0.5, "comparison_operator": "LessThanThreshold"}
    assert section["false_positive_rate"]["comparison_operator"] == "GreaterThanThreshold"
    assert section["false_negative_rate"]["comparison_operator"] == "GreaterThanThreshold"
    assert not any(name.endswith("_best_constant_classifier") for name in section)
    assert "confusion_matrix" not in section


def test_regression_constraints_and_strict_violations() -> None:
    statistics = {
        "version": 0.0,
        "regression_metrics": {
            "mae": {"value": 0.5, "standard_deviation": "NaN"},
            "r2": {"value": 0.8, "standard_deviation": "NaN"},
        },
    }
    constraints = suggest_constraints(statistics)
    assert constraints["regression_constraints"]["mae"]["comparison_operator"] == "GreaterThanThreshold"
    assert constraints["regression_constraints"]["r2"]["comparison_operator"] == "LessThanThreshold"
    assert evaluate(statistics, constraints) == []
    worse = {"regression_metrics": {"mae": {"value": 0.7}, "r2": {"value": 0.79}}}
    violations = evaluate(worse, constraints)
    assert [(v["metric_name"], v["constraint_check_type"]) for v in violations] == [
        ("mae", "GreaterThanThreshold"),
        ("r2", "LessThanThreshold"),
    ]
    assert violations[0]["description"] == "Metric mae with 0.7 was GreaterThanThreshold 0.5"


def test_evaluate_skips_missing_and_non_finite_metrics() -> None:
    statistics = {"binary_classification_metrics": {"auc": {"value": math.nan}}}
    constraints = {
        "binary_classification_constraints": {
            "auc": {"threshold": 0.9, "comparison_operator": "LessThanThreshold"},
            "f2": {"threshold": 0.9, "comparison_operator": "LessThanThreshold"},
        }
    }
    assert evaluate(statistics, constraints) == []


def test_binary_standard_deviation_uses_five_seeded_80_percent_samples() -> None:
    rng = np.random.default_rng(2)
    truth, scores = rng.integers(0, 2, 250), np.round(rng.random(250), 2)
    accumulator = ModelQualityAccumulator(BINARY)
    accumulator.add(truth, None, scores)
    metrics = accumulator.metrics()
    samples = [np.random.default_rng(seed).choice(250, size=200, replace=False) for seed in range(5)]
    expected_auc = np.std([skm.roc_auc_score(truth[index], scores[index]) for index in samples], ddof=1)
    predicted = (scores >= 0.5).astype(int)
    expected_f1 = np.std([skm.f1_score(truth[index], predicted[index]) for index in samples], ddof=1)
    assert metrics["auc"]["standard_deviation"] == pytest.approx(expected_auc, abs=TOLERANCE)
    assert metrics["f1"]["standard_deviation"] == pytest.approx(expected_f1, abs=TOLERANCE)


@settings(max_examples=40, deadline=None)
@given(
    truth=st.lists(st.sampled_from(["0", "1", "yes"]), min_size=1, max_size=300),
    threshold=st.sampled_from([0.0, 0.5, 1.0, 2.0]),
    seed=st.integers(0, 2**16),
)
def test_labels_from_the_threshold_equal_the_same_labels_given(
    truth: list[str], threshold: float, seed: int
) -> None:
    scores = np.round(np.random.default_rng(seed).random(len(truth)), 1)
    derived = ModelQualityAccumulator(BINARY, probability_threshold=threshold)
    given_labels = ModelQualityAccumulator(BINARY, probability_threshold=threshold)
    for part in np.array_split(np.arange(len(truth)), 3):
        chunk = [truth[index] for index in part]
        derived.add(chunk, None, scores[part])
        given_labels.add(chunk, np.where(scores[part] >= threshold, "1", "0"), scores[part])
    assert derived._classes == given_labels._classes
    assert dumps(derived.statistics("t")) == dumps(given_labels.statistics("t"))  # NaN-safe comparison


# --- partials: split, merge in any order, finalize ---------------------------------------------------------


def without_deviations(metrics: dict) -> dict:
    """Metrics with the standard deviations (resampling estimates, not merge-exact) left out."""
    return {
        name: item["value"] if isinstance(item, dict) and "value" in item else item
        for name, item in metrics.items()
    }


def one_pass_and_merged(
    problem_type: str, columns: tuple, parts: int, seed: int, **settings_: object
) -> tuple[ModelQualityAccumulator, ModelQualityAccumulator]:
    """One partial over every record, and the merge (random order, through bytes) of partials of a split."""
    shuffle = np.random.default_rng(seed)
    size = len(columns[0])
    one = ModelQualityAccumulator(problem_type, **settings_)
    one.add(*columns)
    owner = shuffle.integers(0, parts, size)
    pieces = []
    for part in range(parts):
        piece = ModelQualityAccumulator(problem_type, **settings_)
        rows = np.flatnonzero(owner == part)
        for chunk in np.array_split(rows, 2):
            if chunk.size:
                piece.add(*(None if column is None else column[chunk] for column in columns))
        pieces.append(ModelQualityAccumulator.from_bytes(piece.to_bytes()))
    merged = pieces.pop(int(shuffle.integers(0, len(pieces))))
    for index in shuffle.permutation(len(pieces)):
        merged.merge(pieces[index])
    return one, merged


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(1, 400),
    parts=st.integers(1, 5),
    seed=st.integers(0, 2**16),
    capacity=st.sampled_from([4, 32, 1 << 16]),
    labelled=st.booleans(),
)
def test_binary_partials_merge_to_the_one_pass_result(
    size: int, parts: int, seed: int, capacity: int, labelled: bool
) -> None:
    rng = np.random.default_rng(seed)
    truth = rng.choice(np.array(["0", "1", "yes"]), size)
    scores = np.round(rng.random(size), int(rng.integers(1, 4)))
    predicted = np.where(rng.random(size) < 0.5, "1", "0") if labelled else None
    one, merged = one_pass_and_merged(
        BINARY, (truth, predicted, scores), parts, seed, score_capacity=capacity
    )
    assert merged.count == one.count == size
    assert dumps(without_deviations(merged.metrics())) == dumps(without_deviations(one.metrics()))
    assert merged.auc_error_bound() == one.auc_error_bound()


@settings(max_examples=30, deadline=None)
@given(size=st.integers(1, 300), parts=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_multiclass_partials_merge_to_the_one_pass_result(size: int, parts: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 5, size).astype(str)
    predicted = np.where(rng.random(size) < 0.6, truth, rng.integers(0, 7, size).astype(str))
    one, merged = one_pass_and_merged(MULTICLASS, (truth, predicted), parts, seed)
    assert dumps(without_deviations(merged.metrics())) == dumps(without_deviations(one.metrics()))


@settings(max_examples=30, deadline=None)
@given(
    values=st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=300),
    parts=st.integers(1, 5),
    seed=st.integers(0, 2**16),
)
def test_regression_partials_merge_to_the_one_pass_result_bit_for_bit(
    values: list[float], parts: int, seed: int
) -> None:
    truth = np.array(values)
    predicted = truth * 0.9 + np.random.default_rng(seed).normal(size=truth.size)
    one, merged = one_pass_and_merged(REGRESSION, (truth, predicted), parts, seed, kept_records=0)
    assert without_deviations(merged.metrics()) == without_deviations(one.metrics())


def test_kept_partials_merged_in_record_order_equal_one_pass_deviations_included() -> None:
    rng = np.random.default_rng(8)
    truth, predicted = rng.normal(size=600), rng.normal(size=600)
    one = ModelQualityAccumulator(REGRESSION)
    one.add(truth, predicted)
    merged = ModelQualityAccumulator(REGRESSION)
    for rows in np.array_split(np.arange(600), 3):
        part = ModelQualityAccumulator(REGRESSION)
        part.add(truth[rows], predicted[rows])
        merged.merge(ModelQualityAccumulator.from_bytes(part.to_bytes()))
    assert merged.metrics() == one.metrics()


def test_large_partials_give_group_deviations_that_merge_in_any_order() -> None:
    rng = np.random.default_rng(3)
    size = 5000
    truth = (rng.random(size) < 0.4).astype(int)
    scores = rng.random(size)
    parts = []
    for rows in np.array_split(np.arange(size), 4):
        part = ModelQualityAccumulator(BINARY, kept_records=100)
        part.add(truth[rows], None, scores[rows])
        parts.append(part.to_bytes())
    forward, backward = (
        ModelQualityAccumulator.from_bytes(parts[0]),
        ModelQualityAccumulator.from_bytes(parts[3]),
    )
    for blob in parts[1:]:
        forward.merge(ModelQualityAccumulator.from_bytes(blob))
    for blob in reversed(parts[:3]):
        backward.merge(ModelQualityAccumulator.from_bytes(blob))
    metrics = forward.metrics()
    assert metrics == backward.metrics()
    deviation = metrics["auc"]["standard_deviation"]
    assert isinstance(deviation, float) and 0 < deviation < 0.05
    assert metrics["auc"]["value"] == pytest.approx(skm.roc_auc_score(truth, scores), abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_binned_auc_and_curves_stay_within_the_bound_of_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    size = 100_000
    scores = rng.beta(0.5, 0.5, size) if seed % 2 else rng.random(size)
    truth = (rng.random(size) < scores).astype(int)
    accumulator = ModelQualityAccumulator(BINARY, score_capacity=1 << 10)
    for rows in np.array_split(np.arange(size), 7):
        accumulator.add(truth[rows], None, scores[rows])
    metrics = accumulator.metrics()
    bound = accumulator.auc_error_bound()
    assert 0 < bound < 4 / 1024
    assert abs(metrics["auc"]["value"] - skm.roc_auc_score(truth, scores)) <= bound
    fpr, tpr, _ = skm.roc_curve(truth, scores, drop_intermediate=False)
    curve = metrics["receiver_operating_characteristic_curve"]
    exact = set(zip(fpr.round(12).tolist(), tpr.round(12).tolist(), strict=True))
    pairs = zip(curve["false_positive_rates"], curve["true_positive_rates"], strict=True)
    assert all((round(x, 12), round(y, 12)) in exact for x, y in pairs)
    assert 100 < len(curve["false_positive_rates"]) <= 1001


def test_partials_are_compact_and_checked() -> None:
    rng = np.random.default_rng(5)
    accumulator = ModelQualityAccumulator(BINARY, kept_records=0)
    accumulator.add(rng.integers(0, 2, 200_000), None, rng.random(200_000))
    blob = accumulator.to_bytes()
    assert len(blob) < 2_000_000  # counts per score bin (small integers), not per record
    with pytest.raises(partials.PartialFormatError):
        ModelQualityAccumulator.from_bytes(partials.dumps("bias", 1, {}))
    with pytest.raises(ValueError, match="settings"):
        ModelQualityAccumulator(BINARY).merge(ModelQualityAccumulator(BINARY, probability_threshold=0.7))
