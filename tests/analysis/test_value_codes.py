"""Tests of codes for the distinct values of a column."""

from __future__ import annotations

from airflow_mm_provider.analysis.value_codes import value_codes


def test_codes_are_remembered_and_new_values_asked_for_once_in_first_seen_order() -> None:
    table: dict = {"b": 7}
    asked: list[str] = []

    def new(value: str) -> int:
        asked.append(value)
        return len(table) + 10

    assert value_codes(table, ["a", "b", "c", "a"], new).tolist() == [11, 7, 12, 11]
    assert asked == ["a", "c"]
    assert value_codes(table, ["c", "b"], new).tolist() == [12, 7] and asked == ["a", "c"]
    assert value_codes(table, [], new).tolist() == []
