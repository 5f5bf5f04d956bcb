"""The pure drift distances equal the analysis engine's (numpy) ones on the same statistics."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_mm_provider.analysis import dq_checks
from airflow_mm_provider.monitoring.drift import categorical_distance, numeric_distance, robust_distance


def _kll(values: list[float], levels: int) -> dict[str, Any]:
    """A numerical_statistics block whose sketch spreads ``values`` over ``levels`` levels."""
    data = [values[level::levels] for level in range(levels)]
    return {"distribution": {"kll": {"sketch": {"data": data}, "buckets": []}}}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(-50, 50), min_size=1, max_size=60),
    st.lists(st.integers(-50, 50), min_size=1, max_size=60),
    st.integers(1, 4),
    st.integers(1, 4),
)
def test_numeric_distance_equals_the_engines_on_sketches(
    current: list[int], baseline: list[int], current_levels: int, baseline_levels: int
) -> None:
    """The pure distance equals the engine's numpy one on any two sketches (weights are powers of 2)."""
    first, second = (
        _kll([float(v) for v in current], current_levels),
        _kll([float(v) for v in baseline], baseline_levels),
    )
    assert numeric_distance(first, second) == dq_checks.numeric_distance(first, second)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(0, 20), min_size=3, max_size=12),
    st.lists(st.integers(0, 20), min_size=3, max_size=12),
    st.integers(-5, 5),
)
def test_numeric_distance_equals_the_engines_on_buckets(
    current: list[int], baseline: list[int], shift: int
) -> None:
    """Without sketches both read the buckets as piecewise-linear distributions; they agree within 1e-12."""

    def buckets(counts: list[int], low: float) -> dict[str, Any]:
        edges = [low + i for i in range(len(counts) + 1)]
        kll = {
            "buckets": [
                {"lower_bound": edges[i], "upper_bound": edges[i + 1], "count": c}
                for i, c in enumerate(counts)
            ]
        }
        return {"distribution": {"kll": kll}}

    first, second = buckets(current, 0.0), buckets(baseline, float(shift))
    expected = dq_checks.numeric_distance(first, second)
    found = numeric_distance(first, second)
    assert (found is None) == (expected is None)
    if expected is not None:
        assert found == pytest.approx(expected, abs=1e-12)


def test_categorical_distance_is_the_largest_share_gap() -> None:
    assert categorical_distance({"a": 3, "b": 1}, 4, {"a": 1, "c": 1}, 2) == 0.5
    assert categorical_distance({}, 1, {}, 1) == 0.0


def test_the_robust_distance_subtracts_the_sampling_allowance_and_stops_at_zero() -> None:
    assert robust_distance(0.5, 100, 100) == pytest.approx(0.5 - 1.8 * (200 / 10_000) ** 0.5, rel=1e-15)
    assert robust_distance(0.1, 100, 100) == 0.0
    assert robust_distance(0.3, 1000, 2000) == dq_checks.robust_distance(0.3, 1000, 2000)
