"""Normal bootstrap confidence intervals of bias metrics, resampled from their count tables.

The bias-drift monitor judges a metric by a confidence interval of its current value rather than by the value
alone (developer guide, "Monitor Bias Drift for Models in Production",
https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-model-monitor-bias-drift.html: the Normal Bootstrap
Interval method). Resampling records with replacement is the same as drawing the count table from a
multinomial distribution with the observed cell shares and the observed total, so each resample costs the
same whatever the number of records.

The interval is the normal bootstrap interval of Davison & Hinkley (1997), eq. 5.5: the estimate minus the
bootstrap bias, plus or minus ``z`` times the bootstrap standard error, with ``z`` the standard normal
quantile of the confidence level. The service documents neither the confidence level nor the number of
resamples; here they are :data:`CONFIDENCE` (99 %) and :data:`RESAMPLES` (1000), and the generator is seeded
with :data:`SEED`, so the same counts always give the same interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from statistics import NormalDist
from typing import Any

import numpy as np

__all__ = ["CONFIDENCE", "RESAMPLES", "SEED", "normal_interval", "resample_counts", "bootstrap_intervals"]

CONFIDENCE = 0.99
"""Confidence level of the interval."""

RESAMPLES = 1000
"""Number of bootstrap resamples of each count table."""

SEED = 0
"""Seed of the resampling generator."""

Interval = tuple[float, float]


def resample_counts(counts: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap resamples of a count table: shape ``(resamples, *counts.shape)``, each with the same total.

    :param counts: non-negative counts of any shape.
    :param resamples: how many tables to draw.
    :param rng: the random generator.
    """
    table = np.asarray(counts, dtype=np.float64)
    total = table.sum()
    if total <= 0:
        return np.zeros((resamples, *table.shape))
    draws = rng.multinomial(int(round(total)), table.ravel() / total, size=resamples)
    return draws.reshape(resamples, *table.shape).astype(np.float64)


def normal_interval(
    estimate: float, replicates: np.ndarray, confidence: float = CONFIDENCE
) -> Interval | None:
    """The normal bootstrap interval of ``estimate`` from its bootstrap ``replicates``.

    Replicates that are not finite (a resample with a zero denominator) are left out. None when the estimate
    is not finite or fewer than two replicates are finite: the interval is then undefined.

    :param estimate: the metric on the observed counts.
    :param replicates: the metric on each resample.
    :param confidence: the confidence level, strictly between 0 and 1.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence: must lie strictly between 0 and 1 (got {confidence})")
    values = np.asarray(replicates, dtype=np.float64)
    values = values[np.isfinite(values)]
    if not math.isfinite(estimate) or values.size < 2:
        return None
    centre = 2 * estimate - float(values.mean())
    half_width = NormalDist().inv_cdf((1 + confidence) / 2) * float(values.std(ddof=1))
    return centre - half_width, centre + half_width


def bootstrap_intervals(
    counts: np.ndarray,
    metrics: Callable[[np.ndarray], Mapping[str, Any]],
    *,
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    rng: np.random.Generator,
) -> dict[str, Interval | None]:
    """Normal bootstrap intervals of every metric ``metrics`` computes from ``counts``.

    :param counts: the observed count table.
    :param metrics: computes ``{name: value}`` from a table, or ``{name: array}`` from a batch of tables
        (leading axis), as :func:`~airflow_mm_provider.analysis.bias_metrics.post_training_metrics` does.
    :param confidence: the confidence level.
    :param resamples: the number of resamples.
    :param rng: the random generator.
    :returns: ``{name: (low, high)}``, None where the interval is undefined (see :func:`normal_interval`).
    """
    estimates = metrics(np.asarray(counts, dtype=np.float64))
    replicates = metrics(resample_counts(counts, resamples, rng))
    return {
        name: normal_interval(float(value), replicates[name], confidence) for name, value in estimates.items()
    }
