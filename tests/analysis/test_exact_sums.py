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
        sums.add(np.zeros(len(piece), dtype=np.int64), np.array(piece, dtype=np.float64))
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


def test_rows_are_separate_sums_and_cells_stay_small() -> None:
    rng = np.random.default_rng(4)
    values = rng.normal(size=3000) * 10.0 ** rng.integers(-200, 200, 3000)
    rows = rng.integers(0, 3, values.size)
    sums = ExactSums(3)
    sums.add(rows, values)
    for row in range(3):
        assert sums.exact(row) == exact(values[rows == row].tolist())
    big = ExactSums(1)
    for _ in range(40):
        big.add(np.zeros(50_000, dtype=np.int64), np.full(50_000, 1.9999999999999998))
    assert big.exact(0) == Fraction(1.9999999999999998) * 2_000_000
    assert int(np.abs(big.cells).max()) < 2**41


def test_infinities_and_nans_win_over_the_finite_part() -> None:
    cases = [([np.inf, 1.0], math.inf), ([-np.inf, 5.0], -math.inf), ([np.inf, -np.inf], math.nan)]
    for values, expected in cases:
        sums = ExactSums(1)
        with np.errstate(invalid="ignore"):
            sums.add(np.zeros(len(values), dtype=np.int64), np.array(values))
        assert math.isnan(sums.value(0)) if math.isnan(expected) else sums.value(0) == expected
    overflow = ExactSums(1)
    overflow.add(np.zeros(2, dtype=np.int64), np.array([1.7e308, 1.7e308]))
    assert overflow.value(0) == math.inf and to_float(Fraction(-(10**400))) == -math.inf


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.floats(-1e140, 1e140, allow_nan=False), min_size=1, max_size=30))
def test_squares_are_exact_as_two_floats(values: list[float]) -> None:
    high, low = exact_squares(np.array(values))
    for value, top, bottom in zip(values, high.tolist(), low.tolist(), strict=True):
        if abs(value) > 2**-480 or value == 0.0:
            assert Fraction(top) + Fraction(bottom) == Fraction(value) ** 2


def test_state_of_another_layout_is_refused() -> None:
    with pytest.raises(ValueError, match="layout"):
        ExactSums.from_state({"cells": np.zeros((1, 5), dtype=np.int64), "special": np.zeros(1)})
    with pytest.raises(ValueError, match="rows"):
        ExactSums(1).merge(ExactSums(2))
