"""Tests of attribute selection and label canonicalisation."""

from __future__ import annotations

import pytest

from airflow_mm_provider.analysis.attributes import MISSING, Attribute, canonical_label, scalar_payload


def test_index_selects_csv_column() -> None:
    assert Attribute("1").select(["0.2", "1", "x"]) == "1"
    assert Attribute(" 0 ").select(["0.2"]) == "0.2"


def test_index_beyond_row_is_missing() -> None:
    assert Attribute("3").select(["a"]) is MISSING


def test_index_zero_selects_a_scalar_payload() -> None:
    assert Attribute("0").select(0.7) == 0.7
    assert Attribute("1").select(0.7) is MISSING


def test_column_name_resolves_through_header() -> None:
    attribute = Attribute("label", header=["probability", "prediction", "label"])
    assert attribute.index == 2
    assert attribute.select(["0.9", "1", "0"]) == "0"


def test_jmespath_selects_from_json() -> None:
    record = {"output": {"scores": [0.1, 0.9]}, "predicted_label": 1}
    assert Attribute("predicted_label").select(record) == 1
    assert Attribute("output.scores[1]").select(record) == 0.9


def test_jmespath_without_match_is_missing() -> None:
    assert Attribute("nope").select({"a": 1}) is MISSING
    assert Attribute("a.b").select("not json") is MISSING


def test_scalar_payload() -> None:
    assert scalar_payload(["0.5"]) == "0.5"
    assert scalar_payload(3) == 3
    assert scalar_payload(["1", "2"]) is MISSING
    assert scalar_payload({"a": 1}) is MISSING
    assert scalar_payload(None) is MISSING


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, "1"),
        (1.0, "1"),
        ("1", "1"),
        (" 1.0 ", "1"),
        (True, "1"),
        (False, "0"),
        ("cat", "cat"),
        (0.5, "0.5"),
        ("0.50", "0.5"),
        (-2.0, "-2"),
    ],
)
def test_canonical_label(value: object, expected: str) -> None:
    assert canonical_label(value) == expected
