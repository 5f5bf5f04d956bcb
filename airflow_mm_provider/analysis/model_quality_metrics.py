"""Model-quality metric values computed from what a set of records adds up to (:class:`Totals`).

The formulas behind :mod:`~airflow_mm_provider.analysis.model_quality`: every value comes from confusion
counts, per-score-bin counts of positives and negatives, or exact sums, never from the records themselves,
so the same code serves one pass, merged partials and each standard-deviation sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from airflow_mm_provider.analysis.exact_sums import to_float

__all__ = [
    "BEST_CONSTANT",
    "Totals",
    "binary_values",
    "curves",
    "float_r2",
    "multiclass_values",
    "regression_values",
]

BEST_CONSTANT = "_best_constant_classifier"
_BETAS = {"f0_5": 0.5, "f1": 1.0, "f2": 2.0}


@dataclass(frozen=True)
class Totals:
    """What the metrics of a set of records are computed from.

    :param count: number of records.
    :param matrix: classification: confusion counts, actual x predicted, classes in label order.
    :param ranking: binary classification: per score bin, highest scores first, (positives, negatives).
    :param sums: regression: exact sums of ``|error|``, ``error**2``, ``truth`` and ``truth**2``
        (``Fraction``, or a float infinity / NaN).
    :param r2: regression: r2 computed from the records themselves (:func:`float_r2`); ``None``: from
        ``sums``.
    """

    count: int
    matrix: np.ndarray | None = None
    ranking: np.ndarray | None = None
    sums: tuple[Fraction | float, ...] | None = None
    r2: float | None = None


def _ratio(numerator: float, denominator: float) -> float:
    """``numerator / denominator``, or 0.0 when the denominator is 0."""
    return float(numerator) / float(denominator) if denominator else 0.0


def _f_beta(tp: float, fp: float, fn: float, beta: float) -> float:
    """F-beta from counts (0.0 when undefined)."""
    weight = beta * beta
    return _ratio((1 + weight) * tp, (1 + weight) * tp + weight * fn + fp)


def _rates(ranking: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Cumulative true and false positives at each bin edge, and the numbers of positives and negatives."""
    tps = np.cumsum(ranking[:, 0], dtype=np.int64)
    fps = np.cumsum(ranking[:, 1], dtype=np.int64)
    positives = int(tps[-1]) if tps.size else 0
    negatives = int(fps[-1]) if fps.size else 0
    return tps, fps, positives, negatives


def _auc(ranking: np.ndarray) -> float:
    """Area under the ROC curve (NaN when a class is absent)."""
    tps, fps, positives, negatives = _rates(ranking)
    if not positives or not negatives:
        return math.nan
    tpr = np.r_[0.0, tps / positives]
    fpr = np.r_[0.0, fps / negatives]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1])) / 2.0)


def binary_values(totals: Totals, positive: int) -> dict[str, float]:
    """Every scalar binary metric; ``positive`` is the positive class's row in ``totals.matrix`` (or -1)."""
    assert totals.matrix is not None and totals.ranking is not None
    matrix, total = totals.matrix, totals.count
    tp = predicted = positives = 0
    if positive >= 0:
        tp = int(matrix[positive, positive])
        predicted, positives = int(matrix[:, positive].sum()), int(matrix[positive].sum())
    fp, fn = predicted - tp, positives - tp
    tn = total - tp - fp - fn
    values = {
        "recall": _ratio(tp, tp + fn),
        "precision": _ratio(tp, tp + fp),
        "accuracy": _ratio(tp + tn, total),
        "true_positive_rate": _ratio(tp, tp + fn),
        "true_negative_rate": _ratio(tn, tn + fp),
        "false_positive_rate": _ratio(fp, fp + tn),
        "false_negative_rate": _ratio(fn, fn + tp),
        "auc": _auc(totals.ranking),
        "recall" + BEST_CONSTANT: 1.0 if positives else 0.0,
        "precision" + BEST_CONSTANT: _ratio(positives, total),
        "accuracy" + BEST_CONSTANT: _ratio(positives, total),
    }
    for name, beta in _BETAS.items():
        values[name] = _f_beta(tp, fp, fn, beta)
        values[name + BEST_CONSTANT] = _f_beta(positives, total - positives, 0, beta)
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


def multiclass_values(matrix: np.ndarray) -> dict[str, float]:
    """Every scalar multiclass metric of a confusion matrix in label order.

    The best constant classifier predicts the least frequent actual class (ties: the first in label order).
    """
    values = _weighted(matrix)
    support = matrix.sum(axis=1)
    present = np.flatnonzero(support)
    if present.size:
        constant = present[np.argmin(support[present])]
        constant_matrix = np.zeros_like(matrix)
        constant_matrix[:, constant] = support
        values.update({k + BEST_CONSTANT: v for k, v in _weighted(constant_matrix).items()})
    else:
        values.update({k + BEST_CONSTANT: 0.0 for k in list(values)})
    return values


def regression_values(
    count: int, sums: tuple[Fraction | float, ...], r2: float | None = None
) -> dict[str, float]:
    """mae, mse, rmse and r2 from the exact sums of ``|error|``, ``error**2``, ``truth``, ``truth**2``.

    Each value is the exact quantity rounded once; ``r2`` replaces the r2 of the sums when given. r2's
    denominator is the exact ``sum((truth - mean)**2)`` about the exact mean rounded; one that rounds to 0
    means a constant target: r2 is 1.0 when every prediction is exact, else 0.0, like scikit-learn.
    """
    absolute, squared, truth, truth_squared = sums
    mae, mse = to_float(absolute / count), to_float(squared / count)
    if r2 is None:
        r2 = _exact_r2(count, squared, truth, truth_squared)
    return {"mae": mae, "mse": mse, "rmse": math.sqrt(mse) if mse >= 0 else math.nan, "r2": r2}


def _exact_r2(
    count: int, squared: Fraction | float, truth: Fraction | float, truth_squared: Fraction | float
) -> float:
    """r2 from exact sums (see :func:`regression_values`)."""
    mean = to_float(truth / count)
    if all(isinstance(value, Fraction) for value in (squared, truth, truth_squared)) and math.isfinite(mean):
        spread: Fraction | float = truth_squared - 2 * Fraction(mean) * truth + count * Fraction(mean) ** 2
    else:
        spread = float(truth_squared) - 2.0 * mean * float(truth) + count * mean * mean
    if to_float(spread) == 0.0:
        return 1.0 if squared == 0 else 0.0
    if isinstance(spread, Fraction) and isinstance(squared, Fraction):
        return to_float(1 - squared / spread)
    return 1.0 - float(squared) / float(spread)


def float_r2(truth: np.ndarray, predicted: np.ndarray) -> float:
    """r2 computed in float64 over the records in their order, as scikit-learn does (bit for bit)."""
    errors = truth - predicted
    residual = float(np.sum(errors * errors))
    spread = float(np.sum((truth - truth.mean()) ** 2))
    if spread == 0.0:
        return 1.0 if residual == 0.0 else 0.0
    return 1.0 - residual / spread


def _thin(values: np.ndarray, points: int) -> np.ndarray:
    """Keep at most ``points + 1`` evenly spaced items of ``values``, always the first and last."""
    if values.size <= points + 1:
        return values
    index = np.linspace(0, values.size - 1, points + 1).round().astype(np.int64)
    kept: np.ndarray = values[index[np.r_[True, index[1:] != index[:-1]]]]
    return kept


def curves(ranking: np.ndarray, points: int) -> dict[str, Any]:
    """ROC and precision-recall curves from (0, 0) and (recall 0, precision 1), thinned to ``points``."""
    tps, fps, positives, negatives = _rates(ranking)
    with np.errstate(divide="ignore", invalid="ignore"):
        tpr = tps / positives if positives else np.zeros(tps.size)
        fpr = fps / negatives if negatives else np.zeros(fps.size)
        precision = tps / (tps + fps)
    keep = _thin(np.arange(tps.size + 1), points)
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
