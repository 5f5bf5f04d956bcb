"""How the bias analysis reads cells: numbers, comparable text, side rules, distinct values of a block."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_mm_provider.analysis.bias_values import (
    SideRule,
    canonical,
    distinct,
    format_number,
    group_order,
    number,
    value_order,
)

MIXED = [
    "1",
    " 1 ",
    "1.0",
    1,
    1.0,
    True,
    np.True_,
    "x",
    " x",
    "",
    None,
    math.nan,
    "nan",
    "2.5",
    2.5,
    [1],
    {"a": 1},
]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1.5", 1.5), (" 2 ", 2.0), (3, 3.0), (np.float32(0.5), 0.5), ("inf", None), (math.nan, None)]
    + [(True, None), (np.True_, None), ("abc", None), (None, None), ([1], None)],
)
def test_number(raw: Any, expected: float | None) -> None:
    assert number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1.0", "1"), (1e16, "1e+16"), (0.1, "0.1"), (" x ", "x"), ("", None), ("  ", None), (math.nan, None)]
    + [(None, None), (True, "True"), ("nan", "nan"), (-0.0, "0")],
)
def test_canonical(raw: Any, expected: str | None) -> None:
    assert canonical(raw) == expected


def test_orders_put_numbers_first_then_text() -> None:
    assert sorted(["10", "9", "b", "a", "-1.5"], key=value_order) == ["-1.5", "9", "10", "a", "b"]
    assert sorted(["b", None, "2"], key=group_order) == [None, "2", "b"]
    assert format_number(3.0) == "3"


def test_side_rules() -> None:
    threshold = SideRule.from_config([0.5], "x")
    assert (threshold.threshold, threshold.shown) == (0.5, "0.5")
    assert threshold.sides(["0.7", 0.5, "x", None]).tolist() == [1, 0, -1, -1]
    assert threshold.describe(0.9) == "(0.5, 0.9]"
    assert threshold.describe(None) == "(0.5, 0.5]"
    values = SideRule.from_config(["yes", 1.0], "x")
    assert (values.values, values.shown, values.describe(7.0)) == (frozenset({"yes", "1"}), "yes,1", "yes,1")
    assert values.sides([" yes", "1", 1, "no", ""]).tolist() == [1, 1, 1, 0, -1]
    assert SideRule.from_config(0, "x").values == frozenset({"0"})
    for empty in ([], [None], None):
        with pytest.raises(ValueError, match="facet"):
            SideRule.from_config(empty, "facet")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(MIXED), max_size=40))
def test_distinct_values_stand_for_their_cells(cells: list[Any]) -> None:
    codes, uniques = distinct(cells)
    assert len(codes) == len(cells)
    rule = SideRule.from_config(["1", "x"], "x")
    assert [canonical(uniques[code]) for code in codes] == [canonical(cell) for cell in cells]
    assert [rule.side(uniques[code]) for code in codes] == [rule.side(cell) for cell in cells]
    assert [number(uniques[code]) for code in codes] == [number(cell) for cell in cells]


def test_distinct_keeps_values_of_other_types_apart() -> None:
    codes, uniques = distinct([1, True, 1.0, "1", 1])
    assert codes.tolist() == [0, 1, 2, 3, 0]
    assert [canonical(value) for value in uniques] == ["1", "True", "1", "1"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="ab1. é,", max_size=12), min_size=1, max_size=30))
def test_distinct_byte_strings_of_every_width(texts: list[str]) -> None:
    cells = np.array([text.encode() for text in texts])
    codes, uniques = distinct(cells)
    assert [uniques[code] for code in codes] == texts
    assert len(set(uniques)) == len(uniques)


def test_distinct_numbers_and_text_arrays() -> None:
    codes, uniques = distinct(np.array([2.0, np.nan, 2.0, np.nan, 0.5]))
    assert [canonical(uniques[code]) for code in codes] == ["2", None, "2", None, "0.5"]
    codes, uniques = distinct(np.array(["b", "a", "b"]))
    assert (codes.tolist(), uniques) == ([1, 0, 1], ["a", "b"])
