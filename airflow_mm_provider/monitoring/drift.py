"""Distances between a feature's current and baseline distributions, as data-quality drift checks take them.

The rules this provider's analysis engine applies (``analysis/dq_checks.py``), in pure Python: the largest
gap between two numeric features' cumulative distributions, from their KLL sketch items when both have them
(level ``h`` items weigh ``2**h``), else piecewise linear over their buckets; the largest gap between
categorical value shares (``LInfinity``); and, for the ``Robust`` method, the distance less the two-sample
Kolmogorov-Smirnov allowance ``1.8 * sqrt((n + m) / (n * m))``. Pure: no Airflow, no numpy.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping
from typing import Any

KS_ALLOWANCE = 1.8
"""Factor of the two-sample Kolmogorov-Smirnov allowance the ``Robust`` drift method subtracts."""


def _sketch_cdf(statistics: Mapping[str, Any]) -> tuple[list[float], list[float]] | None:
    """Sorted KLL sketch items and the cumulative share at each; level ``h`` items weigh ``2**h``."""
    kll = (statistics.get("distribution") or {}).get("kll") or {}
    levels = (kll.get("sketch") or {}).get("data") or []
    items = sorted((float(value), float(2**level)) for level, values in enumerate(levels) for value in values)
    total = sum(weight for _, weight in items)
    if not items or not total:
        return None
    values, shares, running = [], [], 0.0
    for value, weight in items:
        running += weight
        values.append(value)
        shares.append(running / total)
    return values, shares


def _step_share(cdf: tuple[list[float], list[float]], x: float) -> float:
    """Share of sketch weight at or below ``x``."""
    index = bisect_right(cdf[0], x)
    return cdf[1][index - 1] if index else 0.0


def _bucket_cdf(statistics: Mapping[str, Any]) -> tuple[list[float], list[float]] | None:
    """Bucket edges and the cumulative share at each, for a piecewise-linear distribution."""
    buckets = ((statistics.get("distribution") or {}).get("kll") or {}).get("buckets") or []
    counts = [float(bucket["count"]) for bucket in buckets]
    total = sum(counts)
    if not total:
        return None
    edges = [float(buckets[0]["lower_bound"])] + [float(bucket["upper_bound"]) for bucket in buckets]
    shares, running = [0.0], 0.0
    for count in counts:
        running += count
        shares.append(running / total)
    return edges, shares


def _linear_share(cdf: tuple[list[float], list[float]], x: float) -> float:
    """Share at ``x`` interpolated between bucket edges (0 before the first, 1 after the last)."""
    edges, shares = cdf
    if x < edges[0]:
        return 0.0
    if x >= edges[-1]:
        return 1.0
    index = bisect_right(edges, x)
    low, high = edges[index - 1], edges[index]
    if high == low:
        return shares[index]
    return shares[index - 1] + (x - low) / (high - low) * (shares[index] - shares[index - 1])


def numeric_distance(current: Mapping[str, Any], baseline: Mapping[str, Any]) -> float | None:
    """Largest gap between two numeric features' cumulative distributions; ``None`` without distributions.

    :param current: the current feature's ``numerical_statistics``.
    :param baseline: the baseline feature's ``numerical_statistics``.
    """
    current_sketch, baseline_sketch = _sketch_cdf(current), _sketch_cdf(baseline)
    if current_sketch is not None and baseline_sketch is not None:
        points = sorted(set(current_sketch[0]) | set(baseline_sketch[0]))
        return max(abs(_step_share(current_sketch, x) - _step_share(baseline_sketch, x)) for x in points)
    current_buckets, baseline_buckets = _bucket_cdf(current), _bucket_cdf(baseline)
    if current_buckets is None or baseline_buckets is None:
        return None
    points = sorted(set(current_buckets[0]) | set(baseline_buckets[0]))
    return max(abs(_linear_share(current_buckets, x) - _linear_share(baseline_buckets, x)) for x in points)


def categorical_distance(
    current: Mapping[str, float], present: float, baseline: Mapping[str, float], baseline_present: float
) -> float:
    """Largest gap between the shares of any value (``LInfinity``).

    :param current: value -> count now.
    :param present: present values now.
    :param baseline: value -> count in the baseline.
    :param baseline_present: present values in the baseline.
    """
    values = set(current) | set(baseline)
    gaps = (abs(current.get(v, 0.0) / present - baseline.get(v, 0.0) / baseline_present) for v in values)
    return max(gaps, default=0.0)


def robust_distance(distance: float, present: float, baseline_present: float) -> float:
    """``distance`` less the Kolmogorov-Smirnov allowance for the two sample sizes, at least 0."""
    allowance = KS_ALLOWANCE * math.sqrt((present + baseline_present) / (present * baseline_present))
    return max(0.0, distance - allowance)
