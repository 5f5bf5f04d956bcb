"""Tests of exact, mergeable float64 sums."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_mm_provider.analysis.exact_sums import ExactSums, exact_squares, to_float

FINITE = st.floats(allow_nan=False, allow_infinity=False)


def exact(values: list[float]) -> Fraction:
    return sum((Fraction(value) for value in values), Fraction(0))


@settings(max_examples=200, deadline=None)
@given(values=st.lists(FINITE, max_size=60), parts=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_split_sums_merged_in_any_order_are_the_exact_sum(values: list[float], parts: int, seed: int) -> None:
    order = random.Random(seed)
    pieces: list[list[float]] = [[] for _ in range(parts)]
    for value in values:
        pieces[order.randrange(parts)].append(value)
    partials = []
    for piece in pieces:
        sums = ExactSums(1)
        sums.add(np.array(piece, dtype=np.float64), np.zeros(len(piece), dtype=np.int64))
        partials.append(ExactSums.from_state(sums.state()))
    order.shuffle(partials)
    merged = partials[0]
    for other in partials[1:]:
        merged.merge(other)
    assert merged.exact(0) == exact(values)
    try:
        expected = math.fsum(values)
    except OverflowError:  # fsum gives up on partial sums past the float range; Fraction rounds once
        total = exact(values)
        expected = float(total) if abs(total) < 2**1024 - 2**970 else (math.inf if total > 0 else -math.inf)
    assert merged.value(0) == expected
    if values:
        assert merged.value(count=len(values)) == to_float(exact(values) / len(values))


def test_rows_are_separate_sums_and_many_values_stay_exact() -> None:
    rng = np.random.default_rng(4)
    values = rng.normal(size=3000) * 10.0 ** rng.integers(-200, 200, 3000)
    rows = rng.integers(0, 3, values.size)
    sums = ExactSums(3)
    sums.add(values, rows)
    for row in range(3):
        assert sums.exact(row) == exact(values[rows == row].tolist())
    big = ExactSums()
    for _ in range(40):
        big.add(np.full(50_000, 1.9999999999999998))
    assert big.exact() == Fraction(1.9999999999999998) * 2_000_000


@given(values=st.lists(st.integers(-(2**53), 2**53), max_size=30), rows=st.integers(1, 3))
def test_whole_values_take_the_int64_path_and_agree(values: list[int], rows: int) -> None:
    fast, slow = ExactSums(rows), ExactSums(rows)
    where = np.arange(len(values)) % rows
    fast.add(np.array(values, dtype=np.float64), where, integers=True)
    slow.add(np.array(values, dtype=np.float64), where)
    assert fast.scaled == slow.scaled == [sum(values[row::rows]) << 1074 for row in range(rows)]


def test_infinities_and_nans_win_over_the_finite_part() -> None:
    cases = [([np.inf, 1.0], math.inf), ([-np.inf, 5.0], -math.inf), ([np.inf, -np.inf], math.nan)]
    for values, expected in cases:
        sums = ExactSums(1)
        with np.errstate(invalid="ignore"):
            sums.add(np.array(values))
        assert math.isnan(sums.value(0)) if math.isnan(expected) else sums.value(0) == expected
    overflow = ExactSums(1)
    overflow.add(np.array([1.7e308, 1.7e308]))
    assert overflow.value(0) == math.inf and overflow.value(count=2) == 1.7e308
    assert to_float(Fraction(-(10**400))) == -math.inf


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.floats(-1e140, 1e140, allow_nan=False), min_size=1, max_size=30))
def test_squares_are_exact_as_two_floats(values: list[float]) -> None:
    high, low = exact_squares(np.array(values))
    for value, top, bottom in zip(values, high.tolist(), low.tolist(), strict=True):
        if abs(value) > 2**-480 or value == 0.0:
            assert Fraction(top) + Fraction(bottom) == Fraction(value) ** 2


def test_state_of_another_layout_is_refused() -> None:
    with pytest.raises(ValueError, match="layout"):
        ExactSums.from_state({"scaled": [b"\x00"], "special": np.zeros(2)})
    with pytest.raises(ValueError, match="rows"):
        ExactSums(1).merge(ExactSums(2))
