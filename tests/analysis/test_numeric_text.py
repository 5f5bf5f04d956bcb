"""Tests for the bulk decimal parser: same kind and same double as ``float()`` for every accepted text."""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_mm_provider.analysis.numeric_text import (
    MAX_FRACTION_DIGITS,
    MAX_WHOLE_DIGITS,
    padded,
    parse_decimals,
)

_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")


def _parse(texts: list[str]):
    lengths = np.array([len(text.encode()) for text in texts], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]).astype(np.int64)
    return parse_decimals(padded(",".join(texts).encode()), starts, starts + lengths)


def _within_limits(text: str) -> bool:
    whole, _, fraction = text.lstrip("+-").partition(".")
    digits = int((whole + fraction) or "0")
    return len(whole) <= MAX_WHOLE_DIGITS and len(fraction) <= MAX_FRACTION_DIGITS and digits < 9.2e18


def _check(texts: list[str]) -> None:
    parsed = _parse(texts)
    for index, text in enumerate(texts):
        accepted = bool(_DECIMAL.fullmatch(text)) and _within_limits(text)
        assert parsed.parsed[index] == accepted, text
        if accepted:
            assert parsed.values[index] == float(text), text
            assert np.signbit(parsed.values[index]) == np.signbit(float(text)), text
            assert parsed.fractional[index] == ("." in text), text


DIGITS = st.text(alphabet="0123456789", max_size=24)
DECIMAL_TEXT = st.builds(
    lambda sign, whole, point, fraction: sign + whole + point + fraction,
    st.sampled_from(["", "-", "+"]),
    DIGITS,
    st.sampled_from(["", "."]),
    DIGITS,
)
NEAR_MISSES = st.text(alphabet="0123456789.+-eE ,x", max_size=12).map(lambda text: text.replace(",", ""))
REPR_FLOATS = st.floats(allow_nan=False, allow_infinity=False).map(repr)
FIXED = st.builds(
    lambda value, places: f"{value:.{places}f}",
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    st.integers(0, 8),
)


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(st.one_of(DECIMAL_TEXT, NEAR_MISSES, REPR_FLOATS, FIXED), min_size=1, max_size=40))
def test_accepted_texts_parse_to_the_double_float_gives(texts):
    _check(texts)


@settings(max_examples=40, deadline=None)
@given(places=st.integers(0, 6), values=st.lists(st.floats(-1e5, 1e5), min_size=300, max_size=600))
def test_columns_of_one_layout_with_stragglers(places, values):
    """The point position guessed from a probe is checked: texts of another layout are read again."""
    stragglers = ["12.5", "7", "-.25", "1.2.3", "", "5.", "1e5", "+3.14159"]
    texts = [f"{value:.{places}f}" for value in values]
    for index in range(5, len(texts), 37):
        texts[index] = stragglers[index % len(stragglers)]
    _check(texts)


@pytest.mark.parametrize("places", [0, 3, 17, 20, 22])
def test_halfway_and_long_mantissas_round_like_float(places):
    """Digits beyond 53 bits: the double-double residual picks the same neighbour as ``float()``."""
    rng = np.random.default_rng(places)
    texts = []
    for _ in range(2000):
        low = float(rng.uniform(0, 1000)) * 10.0 ** int(rng.integers(-4, 4))
        halfway = (Fraction(low) + Fraction(np.nextafter(low, np.inf))) / 2
        text = f"{float(halfway):.17g}"
        texts.append(text if "e" not in text else "1.5")
        mantissa = int(rng.integers(10**15, 9 * 10**17))
        digits = str(mantissa).rjust(places + 1, "0")
        texts.append(
            f"{digits[: len(digits) - places]}.{digits[len(digits) - places :]}" if places else digits
        )
    _check(texts)


def test_exact_ties_fall_back_to_exact_division():
    tie = 2**53 + 1  # halfway between two doubles: rounds to even
    parsed = _parse([str(tie), f"{tie}.0", "-9007199254740993"])
    assert parsed.values.tolist() == [float(tie), float(tie), -float(tie)]


def test_empty_input_and_plain_cases():
    assert _parse([]).values.size == 0
    parsed = _parse([".5", "5.", "-0", "+7", "007", "-", ".", ""])
    assert parsed.parsed.tolist() == [True, True, True, True, True, False, False, False]
    assert parsed.values[:5].tolist() == [0.5, 5.0, -0.0, 7.0, 7.0]
    assert parsed.fractional[:5].tolist() == [True, True, False, False, False]
