"""Model-quality metrics, suggested constraints and violations in Model Monitor's layout.

Definitions (zero denominators give 0.0, as scikit-learn's ``zero_division=0``):

- binary: positive class = ``positive_label``; precision, recall (= true positive rate), accuracy, true
  negative, false positive and false negative rates, F-beta for beta 0.5, 1, 2, ``auc`` (area under the ROC
  curve; NaN when only one class is present), the ROC curve and the precision-recall curve (at most
  ``curve_points`` + 1 points, evenly thinned over the score bins). NaN scores rank lowest.
- multiclass: accuracy and support-weighted recall / precision / F-beta over the classes seen in truth or
  predictions.
- regression: mae, mse, rmse, r2 (r2 is 1.0 for a constant target predicted exactly, else 0.0 for a constant
  target, like scikit-learn). mae, mse and rmse are their exact values rounded once
  (:func:`~airflow_mm_provider.analysis.model_quality_metrics.regression_values`); so is r2 once the records
  are no longer kept (below), while they are it is computed from them in float64, as scikit-learn does.
- best constant classifier: binary predicts the positive class for every record (recall 1, precision and
  accuracy = share of positives). Multiclass predicts the least frequent ground-truth class (ties: first in
  label order). Both reproduce the values of the example in the Model Monitor metrics documentation.
- a predicted label missing from a record is derived from its probability: positive when
  ``probability >= probability_threshold``, else ``negative_label``.
- ``standard_deviation``: with at least 200 records, the sample standard deviation (ddof 1) of the metric over
  five 80 % samples; otherwise the string ``"NaN"``. While a partial holds at most ``kept_records`` records
  (:data:`KEPT_RECORDS` by default) it keeps them, and the samples are drawn without replacement with seeds
  0..4 over the records in the order they were added. Beyond, every record falls into one of five groups by
  a hash of its position in its partial, and sample ``k`` is every record outside group ``k``.

Partial, merge, finalize. :class:`ModelQualityAccumulator` is a partial result: records are added to it,
partials over any subsets of the records merge (:meth:`~ModelQualityAccumulator.merge`, in any order, also
after :meth:`~ModelQualityAccumulator.to_bytes` / :meth:`~ModelQualityAccumulator.from_bytes`), and
:meth:`~ModelQualityAccumulator.statistics` finalizes. A partial holds confusion counts per sample group,
per-score-bin counts of positives and negatives per group
(:class:`~airflow_mm_provider.analysis.score_histogram.ScoreHistogram`) and exact regression sums per group
(:class:`~airflow_mm_provider.analysis.exact_sums.ExactSums`), so its size does not grow with the records:

- counts and sums (confusion matrix, every binary and multiclass count metric, mae, mse, rmse, r2, the item
  count) are equal, bit for bit, to the one-pass result, except r2 while records are kept: then it equals
  the one-pass r2 over the records in the order the partials were merged (``kept_records=0`` keeps none);
- the score bins, and so ``auc`` and the curves, are equal to the one-pass result too; they are exact while
  the distinct scores number at most ``score_capacity`` (2**16 by default), beyond which scores share bins:
  ``auc`` is then within :meth:`~ModelQualityAccumulator.auc_error_bound` (half the share of
  positive-negative pairs that share a bin) of the exact value, and every curve point lies on the exact
  curve;
- standard deviations are resampling estimates: equal to the one-pass ones while the records are kept and
  merged in their order; otherwise they depend on how the records were split, not on the merge order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from airflow_mm_provider.analysis import partials
from airflow_mm_provider.analysis.attributes import canonical_label
from airflow_mm_provider.analysis.exact_sums import ExactSums, exact_squares
from airflow_mm_provider.analysis.model_quality_metrics import (
    BEST_CONSTANT,
    Totals,
    binary_values,
    curves,
    float_r2,
    multiclass_values,
    regression_values,
)
from airflow_mm_provider.analysis.score_histogram import DEFAULT_CAPACITY, ScoreHistogram
from airflow_mm_provider.analysis.value_codes import value_codes

__all__ = [
    "BINARY",
    "KEPT_RECORDS",
    "MULTICLASS",
    "PARTIAL_KIND",
    "PARTIAL_VERSION",
    "REGRESSION",
    "ModelQualityAccumulator",
    "evaluate",
    "suggest_constraints",
]

BINARY = "BinaryClassification"
MULTICLASS = "MulticlassClassification"
REGRESSION = "Regression"
KEPT_RECORDS = 1 << 16
PARTIAL_KIND = "model_quality"
PARTIAL_VERSION = 2
_METRICS_KEY = {
    BINARY: "binary_classification_metrics",
    MULTICLASS: "multiclass_classification_metrics",
    REGRESSION: "regression_metrics",
}
_LOWER_IS_BETTER = frozenset({"mae", "mse", "rmse", "false_positive_rate", "false_negative_rate"})
_MIN_SAMPLES_FOR_SD = 200
_SD_SEEDS = range(5)
_SD_FRACTION = 0.8
_GROUPS = 5
# regression sums per group: |error|, error**2, truth, truth**2
_SUMS = 4
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "LessThanThreshold": lambda value, threshold: value < threshold,
    "GreaterThanThreshold": lambda value, threshold: value > threshold,
    "LessThanOrEqualToThreshold": lambda value, threshold: value <= threshold,
    "GreaterThanOrEqualToThreshold": lambda value, threshold: value >= threshold,
}


def _label_order(labels: Sequence[str]) -> list[str]:
    """Labels sorted numerically when they all are numbers, else as text."""
    try:
        return sorted(labels, key=float)
    except ValueError:
        return sorted(labels)


def _groups(start: int, count: int) -> np.ndarray:
    """The sample group (0..4) of the records at positions ``start .. start + count - 1`` (splitmix64)."""
    state = np.arange(start, start + count, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    state = (state ^ (state >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    state = (state ^ (state >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    state ^= state >> np.uint64(31)
    groups: np.ndarray = (((state >> np.uint64(32)) * np.uint64(_GROUPS)) >> np.uint64(32)).astype(np.int64)
    return groups


def _regression_sums(rows: np.ndarray, truth: np.ndarray, predicted: np.ndarray, sums: ExactSums) -> None:
    """Add the per-record terms of the regression sums, record ``i`` to the row block ``rows[i]``."""
    errors = truth - predicted
    error_high, error_low = exact_squares(errors)
    truth_high, truth_low = exact_squares(truth)
    base = rows * _SUMS
    sums.add(
        np.concatenate([np.abs(errors), error_high, error_low, truth, truth_high, truth_low]),
        np.concatenate([base, base + 1, base + 1, base + 2, base + 3, base + 3]),
    )


def _ranking(scores: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """Per distinct score, highest first, (positives, negatives) of the given records."""
    histogram = ScoreHistogram(2, max(2, scores.size))
    histogram.add(scores, positive.astype(np.int64))
    return histogram.bins(np.array([[0, 1], [1, 0]]))


def _binary_scalars(truth: np.ndarray, predicted: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """Every scalar binary metric of boolean truth and predictions (positive = True) and scores."""
    matrix = np.bincount(truth.astype(np.int64) * 2 + predicted, minlength=4).reshape(2, 2)
    return binary_values(Totals(truth.size, matrix, _ranking(scores, truth)), 1)


def _multiclass_scalars(truth: np.ndarray, predicted: np.ndarray, size: int) -> dict[str, float]:
    """Every scalar multiclass metric of label codes in ``range(size)`` (codes in label order)."""
    matrix = np.bincount(truth * size + predicted, minlength=size * size).reshape(size, size)
    return multiclass_values(matrix)


def _regression_totals(truth: np.ndarray, predicted: np.ndarray) -> Totals:
    """What regression records add up to, with r2 computed from them as scikit-learn does."""
    sums = ExactSums(_SUMS)
    _regression_sums(np.zeros(truth.size, dtype=np.int64), truth, predicted, sums)
    return Totals(
        truth.size, sums=tuple(sums.exact(row) for row in range(_SUMS)), r2=float_r2(truth, predicted)
    )


def _regression_scalars(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """mae, mse, rmse and r2 of truth and predictions."""
    totals = _regression_totals(truth, predicted)
    assert totals.sums is not None
    return regression_values(totals.count, totals.sums, totals.r2)


class ModelQualityAccumulator:
    """A mergeable partial model-quality result; add records, merge partials, then read the statistics.

    See the module docstring for what a partial holds and how merged results compare with one pass.

    :param problem_type: ``BinaryClassification``, ``MulticlassClassification`` or ``Regression``.
    :param probability_threshold: probability at or above which a record is predicted positive when it has no
        predicted label.
    :param positive_label: the positive class of binary classification.
    :param negative_label: the label predicted below the threshold.
    :param curve_points: at most this many segments per curve in ``statistics.json``.
    :param score_capacity: most score bins kept (binary); scores share bins beyond it.
    :param kept_records: most records kept for the seeded standard-deviation samples and the float r2.
    """

    def __init__(
        self,
        problem_type: str,
        probability_threshold: float = 0.5,
        positive_label: str = "1",
        negative_label: str = "0",
        curve_points: int = 1000,
        score_capacity: int = DEFAULT_CAPACITY,
        kept_records: int = KEPT_RECORDS,
    ) -> None:
        if problem_type not in _METRICS_KEY:
            raise ValueError(f"unknown problem_type {problem_type!r}")
        self.problem_type = problem_type
        self.probability_threshold = float(probability_threshold)
        self.positive_label = canonical_label(positive_label)
        self.negative_label = canonical_label(negative_label)
        self.curve_points = curve_points
        self.score_capacity = score_capacity
        self.kept_records = kept_records
        self._count = 0
        self._classes: dict[str, int] = {}
        self._raw_codes: dict[Hashable, int] = {}
        self._group_counts = np.zeros(_GROUPS, dtype=np.int64)
        self._confusion = np.zeros((_GROUPS, 0, 0), dtype=np.int64)
        self._scores = ScoreHistogram(2 * _GROUPS, score_capacity) if problem_type == BINARY else None
        self._sums = ExactSums(_GROUPS * _SUMS) if problem_type == REGRESSION else None
        self._kept: list[tuple[np.ndarray, ...]] | None = [] if kept_records > 0 else None

    @property
    def count(self) -> int:
        """Number of records added (merged partials included)."""
        return self._count

    def _settings(self) -> tuple[Any, ...]:
        """What two partials must share to merge."""
        return (
            self.problem_type,
            self.probability_threshold,
            self.positive_label,
            self.negative_label,
            self.curve_points,
            self.score_capacity,
            self.kept_records,
        )

    def _code(self, label: str) -> int:
        """The code of a canonical label, a new one when it is new."""
        code = self._classes.setdefault(label, len(self._classes))
        size = len(self._classes)
        if self._confusion.shape[1] < size:
            grown = np.zeros((_GROUPS, size, size), dtype=np.int64)
            old = self._confusion.shape[1]
            grown[:, :old, :old] = self._confusion
            self._confusion = grown
        return code

    def _codes(self, labels: Any) -> np.ndarray:
        """Class codes of a sequence of labels (labels are canonicalised, new classes get new codes)."""
        if not isinstance(labels, np.ndarray):
            try:
                return self._listed_codes(list(labels))
            except TypeError:  # unhashable labels
                pass
        values = np.asarray(labels)
        if values.size == 0:
            return np.zeros(0, dtype=np.int32)
        unique, inverse = np.unique(values, return_inverse=True)
        mapping = np.array([self._code(canonical_label(item)) for item in unique.tolist()], dtype=np.int32)
        return mapping[inverse.reshape(-1)]

    def _listed_codes(self, labels: list[Any]) -> np.ndarray:
        """Class codes of a list of hashable labels, through a cache of raw label -> code."""
        return value_codes(self._raw_codes, labels, lambda label: self._code(canonical_label(label)))

    def _threshold_codes(self, positive: np.ndarray) -> np.ndarray:
        """Codes of labels derived from the threshold.

        The positive and negative labels are codes like any label (as if the caller had passed the predicted
        label texts: the labels present get codes in text order).
        """
        present = {self.positive_label: bool(positive.any()), self.negative_label: not bool(positive.all())}
        for label in sorted(label for label, seen in present.items() if seen):
            self._code(label)
        codes = (self._classes.get(self.positive_label, -1), self._classes.get(self.negative_label, -1))
        return np.where(positive, codes[0], codes[1]).astype(np.int32)

    def add(self, ground_truth: Any, predicted: Any = None, probability: Any = None) -> None:
        """Add one chunk of equally long arrays; ``predicted`` or ``probability`` may be ``None``."""
        if self.problem_type == REGRESSION:
            truth = np.asarray(ground_truth, dtype=np.float64).reshape(-1)
            source = predicted if predicted is not None else probability
            if source is None:
                raise ValueError("regression needs predictions")
            estimate = np.asarray(source, dtype=np.float64).reshape(-1)
            if truth.size != estimate.size:
                raise ValueError("ground truth and predictions differ in length")
            self._add_regression(truth, estimate)
            return
        scores = None if probability is None else np.asarray(probability, dtype=np.float64).reshape(-1)
        if predicted is None and (scores is None or self.problem_type == MULTICLASS):
            raise ValueError(f"{self.problem_type} needs predicted labels (inference_attribute)")
        truth_codes = self._codes(ground_truth)
        if predicted is None and scores is not None:
            predicted_codes = self._threshold_codes(scores >= self.probability_threshold)
        else:
            predicted_codes = self._codes(predicted)
        if truth_codes.size != predicted_codes.size or (
            scores is not None and scores.size != truth_codes.size
        ):
            raise ValueError("ground truth and predictions differ in length")
        if self.problem_type == BINARY and scores is None:
            scores = (predicted_codes == self._code(self.positive_label)).astype(np.float64)
        self._add_classified(truth_codes, predicted_codes, scores)

    def _start(self, count: int) -> np.ndarray:
        """Groups of the next ``count`` records; counts them."""
        groups = _groups(self._count, count)
        self._count += count
        self._group_counts += np.bincount(groups, minlength=_GROUPS)
        return groups

    def _keep(self, *columns: np.ndarray) -> None:
        """Keep the records for the seeded samples while there are few enough of them."""
        if self._kept is None:
            return
        if self._count > self.kept_records:
            self._kept = None
        else:
            self._kept.append(columns)

    def _add_regression(self, truth: np.ndarray, predicted: np.ndarray) -> None:
        """Add regression records."""
        assert self._sums is not None
        groups = self._start(truth.size)
        _regression_sums(groups, truth, predicted, self._sums)
        self._keep(truth, predicted)

    def _add_classified(self, truth: np.ndarray, predicted: np.ndarray, scores: np.ndarray | None) -> None:
        """Add classification records (codes; scores for binary)."""
        groups = self._start(truth.size)
        size = self._confusion.shape[1]
        cells = (groups * size + truth) * size + predicted
        self._confusion += np.bincount(cells, minlength=_GROUPS * size * size).reshape(_GROUPS, size, size)
        if self._scores is not None:
            assert scores is not None
            positive = truth == self._classes.get(self.positive_label, -1)
            self._scores.add(scores, positive * _GROUPS + groups)
            self._keep(truth, predicted, scores)
        else:
            self._keep(truth, predicted)

    def merge(self, other: ModelQualityAccumulator) -> ModelQualityAccumulator:
        """Add the records of partial ``other`` (same settings) to this one; returns ``self``."""
        if other._settings() != self._settings():
            raise ValueError("cannot merge model-quality partials with different settings")
        mapping = np.array([self._code(label) for label in other._classes], dtype=np.int64)
        if mapping.size:
            self._confusion[:, mapping[:, None], mapping[None, :]] += other._confusion
        if self._scores is not None and other._scores is not None:
            self._scores.merge(other._scores)
        if self._sums is not None and other._sums is not None:
            self._sums.merge(other._sums)
        kept = None
        if (
            self._kept is not None
            and other._kept is not None
            and self._count + other._count <= self.kept_records
        ):
            kept = self._kept + [
                tuple(
                    mapping[column] if index < 2 and self._sums is None else column
                    for index, column in enumerate(columns)
                )
                for columns in other._kept
            ]
        self._kept = kept
        self._count += other._count
        self._group_counts += other._group_counts
        return self

    def _ordered(self) -> tuple[list[str], np.ndarray]:
        """The class labels in label order and their codes."""
        labels = _label_order(list(self._classes))
        return labels, np.array([self._classes[label] for label in labels], dtype=np.int64)

    def _group_totals(self, excluded: int | None) -> Totals:
        """What the records add up to, without sample group ``excluded`` (``None``: all records)."""
        chosen = np.ones(_GROUPS, dtype=bool)
        if excluded is not None:
            chosen[excluded] = False
        count = int(self._group_counts[chosen].sum())
        if self._sums is not None:
            rows = [[group * _SUMS + term for group in np.flatnonzero(chosen)] for term in range(_SUMS)]
            sums = tuple(sum((self._sums.exact(int(row)) for row in terms), Fraction(0)) for terms in rows)
            r2 = None
            if excluded is None and self._kept:
                truth, predicted = (np.concatenate(column) for column in zip(*self._kept, strict=True))
                r2 = float_r2(truth, predicted)
            return Totals(count, sums=sums, r2=r2)
        _, order = self._ordered()
        matrix = self._confusion[chosen].sum(axis=0)[np.ix_(order, order)]
        ranking = None
        if self._scores is not None:
            weights = np.zeros((2, 2 * _GROUPS), dtype=np.int64)
            weights[0, _GROUPS:] = chosen
            weights[1, :_GROUPS] = chosen
            ranking = self._scores.bins(weights)
        return Totals(count, matrix, ranking)

    def _record_totals(self, truth: np.ndarray, predicted: np.ndarray, scores: np.ndarray | None) -> Totals:
        """What the given kept records add up to."""
        if self._sums is not None:
            return _regression_totals(truth, predicted)
        _, order = self._ordered()
        rank = np.empty(order.size, dtype=np.int64)
        rank[order] = np.arange(order.size)
        size = order.size
        matrix = np.bincount(rank[truth] * size + rank[predicted], minlength=size * size).reshape(size, size)
        ranking = None
        if scores is not None:
            ranking = _ranking(scores, truth == self._classes.get(self.positive_label, -1))
        return Totals(truth.size, matrix, ranking)

    def _values(self, totals: Totals) -> dict[str, float]:
        """Every scalar metric of ``totals``."""
        if self.problem_type == REGRESSION:
            assert totals.sums is not None
            return regression_values(totals.count, totals.sums, totals.r2)
        assert totals.matrix is not None
        if self.problem_type == MULTICLASS:
            return multiclass_values(totals.matrix)
        labels, _ = self._ordered()
        positive = labels.index(self.positive_label) if self.positive_label in self._classes else -1
        return binary_values(totals, positive)

    def _sample_totals(self) -> list[Totals]:
        """The totals of the five standard-deviation samples (none under 200 records)."""
        if self._count < _MIN_SAMPLES_FOR_SD:
            return []
        if self._kept is None:
            return [self._group_totals(group) for group in range(_GROUPS)]
        columns = [np.concatenate(column) for column in zip(*self._kept, strict=True)]
        size = int(self._count * _SD_FRACTION)
        samples = []
        for seed in _SD_SEEDS:
            index = np.random.default_rng(seed).choice(self._count, size=size, replace=False)
            chosen = [column[index] for column in columns]
            scores = chosen[2] if len(chosen) > 2 else None
            samples.append(self._record_totals(chosen[0], chosen[1], scores))
        return samples

    def _deviations(self) -> dict[str, float | str]:
        """Standard deviation of every scalar over the five samples (none when too few records)."""
        samples: dict[str, list[float]] = {}
        for totals in self._sample_totals():
            for name, value in self._values(totals).items():
                samples.setdefault(name, []).append(value)
        deviations: dict[str, float | str] = {}
        for name, values in samples.items():
            deviation = float(np.std(values, ddof=1))
            deviations[name] = deviation if math.isfinite(deviation) else "NaN"
        return deviations

    def metrics(self) -> dict[str, Any]:
        """The ``<problem>_metrics`` object of ``statistics.json`` (finalizes the partial)."""
        if self._count == 0:
            raise ValueError("no records")
        totals = self._group_totals(None)
        deviations = self._deviations()
        result: dict[str, Any] = {
            name: {"value": value, "standard_deviation": deviations.get(name, "NaN")}
            for name, value in self._values(totals).items()
        }
        if totals.matrix is not None:
            labels, _ = self._ordered()
            result["confusion_matrix"] = {
                actual: {guess: int(totals.matrix[row, column]) for column, guess in enumerate(labels)}
                for row, actual in enumerate(labels)
            }
        if totals.ranking is not None:
            result.update(curves(totals.ranking, self.curve_points))
        return result

    def auc_error_bound(self) -> float:
        """Most the ``auc`` of :meth:`metrics` can differ from the exact one (0 while scores are exact)."""
        if self._scores is None:
            return 0.0
        positive = np.r_[np.zeros(_GROUPS), np.ones(_GROUPS)]
        return self._scores.tie_bound(positive, 1 - positive)

    def statistics(self, evaluation_time: str | None = None) -> dict[str, Any]:
        """The whole ``statistics.json`` (``evaluation_time`` is given by the caller, for determinism)."""
        dataset: dict[str, Any] = {"item_count": self._count}
        if evaluation_time is not None:
            dataset["evaluation_time"] = evaluation_time
        return {"version": 0.0, "dataset": dataset, _METRICS_KEY[self.problem_type]: self.metrics()}

    def to_bytes(self) -> bytes:
        """This partial in the versioned binary form of :mod:`~airflow_mm_provider.analysis.partials`."""
        kept = None
        if self._kept is not None:
            kept = [np.concatenate(column) for column in zip(*self._kept, strict=True)] if self._kept else []
        data = {
            "settings": list(self._settings()),
            "count": self._count,
            "classes": list(self._classes),
            "group_counts": self._group_counts,
            "confusion": self._confusion,
            "scores": None if self._scores is None else self._scores.state(),
            "sums": None if self._sums is None else self._sums.state(),
            "kept": kept,
        }
        return partials.dumps(PARTIAL_KIND, PARTIAL_VERSION, data)

    @classmethod
    def from_bytes(cls, blob: bytes) -> ModelQualityAccumulator:
        """A partial from :meth:`to_bytes`; raises :class:`~.partials.PartialFormatError` on other bytes."""
        data = partials.loads(blob, PARTIAL_KIND, PARTIAL_VERSION)
        partial = cls(*data["settings"])
        partial._count = int(data["count"])
        partial._classes = {label: code for code, label in enumerate(data["classes"])}
        partial._group_counts = data["group_counts"]
        partial._confusion = data["confusion"]
        if data["scores"] is not None:
            partial._scores = ScoreHistogram.from_state(data["scores"])
        if data["sums"] is not None:
            partial._sums = ExactSums.from_state(data["sums"])
        partial._kept = None if data["kept"] is None else ([tuple(data["kept"])] if data["kept"] else [])
        return partial


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
        if not isinstance(metric, Mapping) or "value" not in metric or name.endswith(BEST_CONSTANT):
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
        if not (
            isinstance(value, (int, float))
            and math.isfinite(value)
            and isinstance(threshold, (int, float))
            and math.isfinite(threshold)
        ):
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
