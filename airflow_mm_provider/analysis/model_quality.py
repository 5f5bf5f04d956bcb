"""Model-quality metrics, suggested constraints and violations in Model Monitor's layout.

Definitions (zero denominators give 0.0, as scikit-learn's ``zero_division=0``):

- binary: positive class = ``positive_label``; precision, recall (= true positive rate), accuracy, true
  negative, false positive and false negative rates, F-beta for beta 0.5, 1, 2, ``auc`` (area under the ROC
  curve; NaN when only one class is present), the ROC curve and the precision-recall curve (at most
  ``curve_points`` + 1 points, evenly thinned; ``auc`` always uses every threshold).
- multiclass: accuracy and support-weighted recall / precision / F-beta over the classes seen in truth or
  predictions.
- regression: mae, mse, rmse, r2 (r2 is 1.0 for a constant target predicted exactly, else 0.0 for a constant
  target, like scikit-learn).
- best constant classifier: binary predicts the positive class for every record (recall 1, precision and
  accuracy = share of positives). Multiclass predicts the least frequent ground-truth class (ties: first in
  label order). Both reproduce the values of the example in the Model Monitor metrics documentation.
- a predicted label missing from a record is derived from its probability: positive when
  ``probability >= probability_threshold``, else ``negative_label``.
- ``standard_deviation``: with at least 200 records, the sample standard deviation (ddof 1) of the metric over
  five 80 % samples drawn without replacement with seeds 0..4; otherwise the string ``"NaN"``.

The accumulator keeps per-record label codes (int32) and scores (float64), about 16 bytes a record, because
the curves, auc and the 80 % samples need every record; 1 M records take 16 MB.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from airflow_mm_provider.analysis.attributes import canonical_label

__all__ = [
    "BINARY",
    "MULTICLASS",
    "REGRESSION",
    "ModelQualityAccumulator",
    "evaluate",
    "suggest_constraints",
]

BINARY = "BinaryClassification"
MULTICLASS = "MulticlassClassification"
REGRESSION = "Regression"
_METRICS_KEY = {
    BINARY: "binary_classification_metrics",
    MULTICLASS: "multiclass_classification_metrics",
    REGRESSION: "regression_metrics",
}
_BETAS = {"f0_5": 0.5, "f1": 1.0, "f2": 2.0}
_LOWER_IS_BETTER = frozenset({"mae", "mse", "rmse", "false_positive_rate", "false_negative_rate"})
_BEST_CONSTANT = "_best_constant_classifier"
_MIN_SAMPLES_FOR_SD = 200
_SD_SEEDS = range(5)
_SD_FRACTION = 0.8
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
}


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, or 0.0 when the denominator is 0."""
    return float(numerator) / float(denominator) if denominator else 0.0


def _f_beta(tp: float, fp: float, fn: float, beta: float) -> float:
    """F-beta from counts (0.0 when undefined)."""
    weight = beta * beta
    return _ratio((1 + weight) * tp, (1 + weight) * tp + weight * fn + fp)


def _binary_counts(truth: np.ndarray, predicted: np.ndarray) -> tuple[int, int, int, int]:
    """(tp, fp, fn, tn) of two boolean arrays."""
    tp = int(np.count_nonzero(truth & predicted))
    fp = int(np.count_nonzero(predicted)) - tp
    fn = int(np.count_nonzero(truth)) - tp
    return tp, fp, fn, truth.size - tp - fp - fn


def _descending(scores: np.ndarray) -> np.ndarray:
    """Stable order of ``scores`` from highest to lowest."""
    return np.argsort(-scores, kind="mergesort")


def _threshold_counts(
    truth: np.ndarray, scores: np.ndarray, ordered: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative true and false positives at each distinct score, highest score first.

    :param ordered: the arrays are already sorted by descending score.
    """
    if not ordered:
        order = _descending(scores)
        truth, scores = truth[order], scores[order]
    last = np.r_[np.flatnonzero(np.diff(scores)), scores.size - 1]
    tps = np.cumsum(truth, dtype=np.int64)[last]
    return tps, last + 1 - tps


def _auc(truth: np.ndarray, scores: np.ndarray, ordered: bool = False) -> float:
    """Area under the ROC curve (NaN when a class is absent)."""
    positives = int(np.count_nonzero(truth))
    if positives in (0, truth.size):
        return math.nan
    tps, fps = _threshold_counts(truth, scores, ordered)
    tpr = np.r_[0.0, tps / positives]
    fpr = np.r_[0.0, fps / (truth.size - positives)]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1])) / 2.0)


def _binary_scalars(
    truth: np.ndarray, predicted: np.ndarray, scores: np.ndarray, ordered: bool = False
) -> dict[str, float]:
    """Every scalar binary metric of boolean truth / predictions and scores (``ordered``: by score, desc)."""
    tp, fp, fn, tn = _binary_counts(truth, predicted)
    positives, total = tp + fn, truth.size
    values = {
        "recall": _ratio(tp, tp + fn),
        "precision": _ratio(tp, tp + fp),
        "accuracy": _ratio(tp + tn, total),
        "true_positive_rate": _ratio(tp, tp + fn),
        "true_negative_rate": _ratio(tn, tn + fp),
        "false_positive_rate": _ratio(fp, fp + tn),
        "false_negative_rate": _ratio(fn, fn + tp),
        "auc": _auc(truth, scores, ordered),
        "recall" + _BEST_CONSTANT: 1.0 if positives else 0.0,
        "precision" + _BEST_CONSTANT: _ratio(positives, total),
        "accuracy" + _BEST_CONSTANT: _ratio(positives, total),
    }
    for name, beta in _BETAS.items():
        values[name] = _f_beta(tp, fp, fn, beta)
        values[name + _BEST_CONSTANT] = _f_beta(positives, total - positives, 0, beta)
    return values


def _weighted(matrix: np.ndarray) -> dict[str, float]:
    """Accuracy and support-weighted scores of a confusion matrix (rows actual, columns predicted)."""
    support = matrix.sum(axis=1).astype(np.float64)
    tp = np.diag(matrix).astype(np.float64)
    fp = matrix.sum(axis=0) - tp
    fn = support - tp
    total = support.sum()

    def weighted(per_class: np.ndarray) -> float:
        return float(np.dot(support, per_class) / total) if total else 0.0

    with np.errstate(divide="ignore", invalid="ignore"):
        recall = np.where(support > 0, tp / support, 0.0)
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        values = {
            "accuracy": _ratio(tp.sum(), total),
            "weighted_recall": weighted(recall),
            "weighted_precision": weighted(precision),
        }
        for name, beta in _BETAS.items():
            weight = beta * beta
            denominator = (1 + weight) * tp + weight * fn + fp
            per_class = np.where(denominator > 0, (1 + weight) * tp / denominator, 0.0)
            values["weighted_" + name] = weighted(per_class)
    return values


def _multiclass_scalars(truth: np.ndarray, predicted: np.ndarray, size: int) -> dict[str, float]:
    """Every scalar multiclass metric of label codes in ``range(size)``."""
    matrix = np.bincount(truth * size + predicted, minlength=size * size).reshape(size, size)
    values = _weighted(matrix)
    support = matrix.sum(axis=1)
    present = np.flatnonzero(support)
    if present.size:
        constant = present[np.argmin(support[present])]
        constant_matrix = np.zeros_like(matrix)
        constant_matrix[:, constant] = support
        values.update({k + _BEST_CONSTANT: v for k, v in _weighted(constant_matrix).items()})
    else:
        values.update({k + _BEST_CONSTANT: 0.0 for k in list(values)})
    return values


def _regression_scalars(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """mae, mse, rmse and r2."""
    errors = truth - predicted
    mse = float(np.mean(errors * errors))
    residual = float(np.sum(errors * errors))
    spread = float(np.sum((truth - truth.mean()) ** 2))
    constant_target = 1.0 if residual == 0.0 else 0.0
    r2 = constant_target if spread == 0.0 else 1.0 - residual / spread
    return {"mae": float(np.mean(np.abs(errors))), "mse": mse, "rmse": math.sqrt(mse), "r2": r2}


def _label_order(labels: Sequence[str]) -> list[str]:
    """Labels sorted numerically when they all are numbers, else as text."""
    try:
        return sorted(labels, key=float)
    except ValueError:
        return sorted(labels)


def _thin(values: np.ndarray, points: int) -> np.ndarray:
    """Keep at most ``points + 1`` evenly spaced items of ``values``, always the first and last."""
    if values.size <= points + 1:
        return values
    return values[np.unique(np.linspace(0, values.size - 1, points + 1).round().astype(np.int64))]


class ModelQualityAccumulator:
    """Collect (ground truth, prediction, probability) chunks and compute model-quality statistics.

    :param problem_type: ``BinaryClassification``, ``MulticlassClassification`` or ``Regression``.
    :param probability_threshold: probability at or above which a record is predicted positive when it has no
        predicted label.
    :param positive_label: the positive class of binary classification.
    :param negative_label: the label predicted below the threshold.
    :param curve_points: at most this many segments per curve in ``statistics.json``.
    """

    def __init__(
        self,
        problem_type: str,
        probability_threshold: float = 0.5,
        positive_label: str = "1",
        negative_label: str = "0",
        curve_points: int = 1000,
    ) -> None:
        if problem_type not in _METRICS_KEY:
            raise ValueError(f"unknown problem_type {problem_type!r}")
        self.problem_type = problem_type
        self.probability_threshold = float(probability_threshold)
        self.positive_label = canonical_label(positive_label)
        self.negative_label = canonical_label(negative_label)
        self.curve_points = curve_points
        self._classes: dict[str, int] = {}
        self._truth: list[np.ndarray] = []
        self._predicted: list[np.ndarray] = []
        self._scores: list[np.ndarray] = []

    @property
    def count(self) -> int:
        """Number of records added."""
        return sum(chunk.size for chunk in self._truth)

    def _codes(self, labels: Any) -> np.ndarray:
        """Class codes of a label array (labels are canonicalised, new classes get new codes)."""
        values = np.asarray(labels)
        if values.size == 0:
            return np.zeros(0, dtype=np.int32)
        unique, inverse = np.unique(values, return_inverse=True)
        mapping = np.array(
            [self._classes.setdefault(canonical_label(item), len(self._classes)) for item in unique.tolist()],
            dtype=np.int32,
        )
        return mapping[inverse.reshape(-1)]

    def _threshold_codes(self, positive: np.ndarray) -> np.ndarray:
        """Class codes of labels predicted by the threshold (``positive``: at or above it).

        Same as :meth:`_codes` of the predicted label texts: the labels present get codes in text order.
        """
        present = {self.positive_label: bool(positive.any()), self.negative_label: not bool(positive.all())}
        for label in sorted(label for label, seen in present.items() if seen):
            self._classes.setdefault(label, len(self._classes))
        codes = (self._classes.get(self.positive_label, -1), self._classes.get(self.negative_label, -1))
        return np.where(positive, codes[0], codes[1]).astype(np.int32)

    def add(self, ground_truth: Any, predicted: Any = None, probability: Any = None) -> None:
        """Add one chunk of equally long arrays; ``predicted`` or ``probability`` may be ``None``."""
        if self.problem_type == REGRESSION:
            truth = np.asarray(ground_truth, dtype=np.float64).reshape(-1)
            source = predicted if predicted is not None else probability
            if source is None:
                raise ValueError("regression needs predictions")
            self._truth.append(truth)
            self._predicted.append(np.asarray(source, dtype=np.float64).reshape(-1))
            return
        scores = None if probability is None else np.asarray(probability, dtype=np.float64).reshape(-1)
        if predicted is None and (scores is None or self.problem_type == MULTICLASS):
            raise ValueError(f"{self.problem_type} needs predicted labels (inference_attribute)")
        truth_codes = self._codes(ground_truth)
        if predicted is None:
            predicted_codes = self._threshold_codes(scores >= self.probability_threshold)  # type: ignore[operator]
        else:
            predicted_codes = self._codes(predicted)
        if truth_codes.size != predicted_codes.size:
            raise ValueError("ground truth and predictions differ in length")
        self._truth.append(truth_codes)
        self._predicted.append(predicted_codes)
        if self.problem_type == BINARY:
            if scores is None:
                positive = self._classes.setdefault(self.positive_label, len(self._classes))
                scores = (predicted_codes == positive).astype(np.float64)
            self._scores.append(scores)

    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Concatenated truth, predictions and (binary) scores."""
        truth = np.concatenate(self._truth) if self._truth else np.zeros(0)
        predicted = np.concatenate(self._predicted) if self._predicted else np.zeros(0)
        scores = np.concatenate(self._scores) if self._scores else None
        return truth, predicted, scores

    def _scalars(
        self, truth: np.ndarray, predicted: np.ndarray, scores: np.ndarray | None, ordered: bool = False
    ) -> dict[str, float]:
        """Every scalar metric of the given records (``ordered``: sorted by descending score)."""
        if self.problem_type == REGRESSION:
            return _regression_scalars(truth, predicted)
        if self.problem_type == MULTICLASS:
            return _multiclass_scalars(truth, predicted, max(len(self._classes), 1))
        positive = self._classes.get(self.positive_label, -1)
        assert scores is not None
        return _binary_scalars(truth == positive, predicted == positive, scores, ordered)

    def _deviations(
        self, truth: np.ndarray, predicted: np.ndarray, scores: np.ndarray | None, order: np.ndarray | None
    ) -> dict[str, float | str]:
        """Standard deviation of every scalar over five seeded 80 % samples (``"NaN"`` when too few).

        :param order: for binary, the records come sorted by descending score and ``order`` is that
            permutation of the records as added; samples are drawn over the records as added.
        """
        if truth.size < _MIN_SAMPLES_FOR_SD:
            return {}
        size = int(truth.size * _SD_FRACTION)
        samples: dict[str, list[float]] = {}
        for seed in _SD_SEEDS:
            index = np.random.default_rng(seed).choice(truth.size, size=size, replace=False)
            if order is not None:
                # the sample in score order (positions in the sorted arrays), so auc needs no sort
                chosen = np.zeros(truth.size, dtype=bool)
                chosen[index] = True
                index = np.flatnonzero(chosen[order])
            sample = self._scalars(
                truth[index], predicted[index], None if scores is None else scores[index], order is not None
            )
            for name, value in sample.items():
                samples.setdefault(name, []).append(value)
        deviations: dict[str, float | str] = {}
        for name, values in samples.items():
            deviation = float(np.std(values, ddof=1))
            deviations[name] = deviation if math.isfinite(deviation) else "NaN"
        return deviations

    def metrics(self) -> dict[str, Any]:
        """The ``<problem>_metrics`` object of ``statistics.json``."""
        truth, predicted, scores = self._arrays()
        if truth.size == 0:
            raise ValueError("no records")
        # binary: sort by descending score once; auc, the samples and the curves all use this order
        order = None if scores is None else _descending(scores)
        if order is not None and scores is not None:
            truth, predicted, scores = truth[order], predicted[order], scores[order]
        scalars = self._scalars(truth, predicted, scores, order is not None)
        deviations = self._deviations(truth, predicted, scores, order)
        result: dict[str, Any] = {
            name: {"value": value, "standard_deviation": deviations.get(name, "NaN")}
            for name, value in scalars.items()
        }
        if self.problem_type != REGRESSION:
            result["confusion_matrix"] = self._confusion_matrix(truth, predicted)
        if self.problem_type == BINARY:
            assert scores is not None
            result.update(self._curves(truth == self._classes.get(self.positive_label, -1), scores, True))
        return result

    def _confusion_matrix(self, truth: np.ndarray, predicted: np.ndarray) -> dict[str, dict[str, int]]:
        """``{"actual": {"predicted": count}}`` over every class seen."""
        size = len(self._classes)
        counts = np.bincount(truth * size + predicted, minlength=size * size).reshape(size, size)
        labels = _label_order(list(self._classes))
        return {
            actual: {guess: int(counts[self._classes[actual], self._classes[guess]]) for guess in labels}
            for actual in labels
        }

    def _curves(self, truth: np.ndarray, scores: np.ndarray, ordered: bool = False) -> dict[str, Any]:
        """ROC and precision-recall curves, starting at (0, 0) and (recall 0, precision 1).

        :param ordered: the arrays are already sorted by descending score.
        """
        tps, fps = _threshold_counts(truth, scores, ordered)
        positives, negatives = int(np.count_nonzero(truth)), truth.size - int(np.count_nonzero(truth))
        with np.errstate(divide="ignore", invalid="ignore"):
            tpr = tps / positives if positives else np.zeros(tps.size)
            fpr = fps / negatives if negatives else np.zeros(fps.size)
            precision = tps / (tps + fps)
        keep = _thin(np.arange(tps.size + 1), self.curve_points)
        return {
            "receiver_operating_characteristic_curve": {
                "false_positive_rates": np.r_[0.0, fpr][keep].tolist(),
                "true_positive_rates": np.r_[0.0, tpr][keep].tolist(),
            },
            "precision_recall_curve": {
                "precisions": np.r_[1.0, precision][keep].tolist(),
                "recalls": np.r_[0.0, tpr][keep].tolist(),
            },
        }

    def statistics(self, evaluation_time: str | None = None) -> dict[str, Any]:
        """The whole ``statistics.json`` (``evaluation_time`` is given by the caller, for determinism)."""
        dataset: dict[str, Any] = {"item_count": self.count}
        if evaluation_time is not None:
            dataset["evaluation_time"] = evaluation_time
        return {"version": 0.0, "dataset": dataset, _METRICS_KEY[self.problem_type]: self.metrics()}


def _metrics_section(statistics: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """The ``(metrics key, metrics)`` of a statistics document."""
    for key in _METRICS_KEY.values():
        if key in statistics:
            return key, statistics[key]
    raise ValueError("statistics hold no model-quality metrics")


def suggest_constraints(statistics: Mapping[str, Any]) -> dict[str, Any]:
    """Baseline ``constraints.json``: each finite model metric becomes its own threshold.

    Error metrics (mae, mse, rmse, false positive / negative rate) get ``GreaterThanThreshold``, every other
    metric ``LessThanThreshold``; best-constant-classifier reference values are not constrained.
    """
    key, metrics = _metrics_section(statistics)
    constraints = {}
    for name, metric in sorted(metrics.items()):
        if not isinstance(metric, Mapping) or "value" not in metric or name.endswith(_BEST_CONSTANT):
            continue
        value = metric["value"]
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            continue
        operator = "GreaterThanThreshold" if name in _LOWER_IS_BETTER else "LessThanThreshold"
        constraints[name] = {"threshold": float(value), "comparison_operator": operator}
    return {"version": 0.0, key.replace("_metrics", "_constraints"): constraints}


def evaluate(statistics: Mapping[str, Any], constraints: Mapping[str, Any]) -> list[dict[str, str]]:
    """Violations of ``constraints`` by ``statistics``: ``value <operator> threshold`` holds, strictly.

    Metrics missing from the statistics, non-finite values and unknown operators are not violations.
    """
    key, metrics = _metrics_section(statistics)
    wanted = constraints.get(key.replace("_metrics", "_constraints"), {})
    violations = []
    for name, constraint in sorted(wanted.items()):
        metric = metrics.get(name)
        check = _OPERATORS.get(str(constraint.get("comparison_operator")))
        if not isinstance(metric, Mapping) or check is None:
            continue
        value, threshold = metric.get("value"), constraint.get("threshold")
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (value, threshold)):
            continue
        if check(float(value), float(threshold)):
            operator = constraint["comparison_operator"]
            violations.append(
                {
                    "constraint_check_type": operator,
                    "metric_name": name,
                    "description": f"Metric {name} with {value} was {operator} {threshold}",
                }
            )
    return violations
