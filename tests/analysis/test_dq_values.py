"""Tests for the value kinds: the scalar rule and the two bulk paths that must agree with it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_mm_provider.analysis.csv_blocks import iter_csv_blocks
from airflow_mm_provider.analysis.dq_values import ColumnValues, classify, column_values, span_values
from airflow_mm_provider.analysis.field_block import FieldBlock
from airflow_mm_provider.analysis.records import ReadStats


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("42", ("Integral", 42.0, "42")),
        (" -7 ", ("Integral", -7.0, "-7")),
        (7, ("Integral", 7.0, "7")),
        ("1.5", ("Fractional", 1.5, "1.5")),
        (".5", ("Fractional", 0.5, ".5")),
        ("2e3", ("Fractional", 2000.0, "2e3")),
        ("\u00a05\u2003", ("Integral", 5.0, "5")),
        (2.5, ("Fractional", 2.5, "2.5")),
        (True, ("String", None, "true")),
        ("inf", ("String", None, "inf")),
        ("-inf", ("String", None, "-inf")),
        ("1e999", ("String", None, "1e999")),
        (float("nan"), ("String", None, "nan")),
        ("abc", ("String", None, "abc")),
        ("2024-01-01", ("String", None, "2024-01-01")),
        ([1, 2], ("String", None, "[1, 2]")),
    ],
)
def test_classify_sorts_values_into_kinds(value, expected):
    assert classify(value) == expected


def _canonical(chunk: ColumnValues) -> tuple:
    texts = dict(chunk.texts)
    if chunk.plain is not None:
        for text, count in zip(chunk.plain.texts(), chunk.plain.counts.tolist(), strict=True):
            texts[text] = texts.get(text, 0) + count
    return (
        chunk.missing,
        sorted(chunk.integral.tolist()),
        sorted(chunk.fractional.tolist()),
        sorted(texts.items()),
        chunk.strings,
    )


def test_column_values_sorts_python_values():
    chunk = column_values([1, 2.5, "3", " x ", None, "", True, float("inf"), [1], -0.0, "x"])
    assert chunk.missing == 2
    assert chunk.integral.tolist() == [1.0, 3.0]
    assert chunk.fractional.tolist() == [2.5, 0.0] and not np.signbit(chunk.fractional).any()
    assert chunk.texts == {"x": 2, "true": 1, "inf": 1, "[1]": 1}
    assert chunk.strings == 5


CELL = st.one_of(
    st.sampled_from(["", " ", "1", "-0", "0.50", "1e5", " 2 ", "abc", "abc ", "u123", "x" * 20, "é", "-.5"]),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=False).map(repr),
    st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters=',\n\r"\x00'), max_size=18),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pools=st.lists(st.lists(CELL, min_size=1, max_size=12), min_size=1, max_size=3),
    picks=st.lists(st.integers(0, 11), min_size=300, max_size=300),
    numeric=st.booleans(),
)
def test_span_values_agree_with_column_values(tmp_path: Path, pools, picks, numeric):
    """The bulk CSV path gives what classifying each cell gives (a numeric head exercises the parser)."""
    columns = [[pool[pick % len(pool)] for pick in picks] for pool in pools]
    if numeric:
        columns = [[str(row) if row < 200 else cell for row, cell in enumerate(column)] for column in columns]
    path = tmp_path / "cells.csv"
    path.write_bytes("".join(",".join([*row, "k"]) + "\n" for row in zip(*columns, strict=True)).encode())
    (block,) = list(iter_csv_blocks(path, ReadStats())[1])
    assert isinstance(block, FieldBlock)
    for index, column in enumerate(columns):
        assert _canonical(span_values(block, index)) == _canonical(column_values(column))


def test_plain_texts_stay_spans_until_read(tmp_path: Path):
    path = tmp_path / "plain.csv"
    path.write_bytes(b"".join(line + b"\n" for line in [b"u1", b"u2", b"u1", b" u1", b"2x", b"\xc3\xa9"]))
    (block,) = list(iter_csv_blocks(path, ReadStats())[1])
    chunk = span_values(block, 0)
    assert chunk.plain is not None
    assert sorted(zip(chunk.plain.texts(), chunk.plain.counts.tolist(), strict=True)) == [
        ("u1", 2),
        ("u2", 1),
    ]
    assert chunk.texts == {"u1": 1, "2x": 1, "é": 1}
