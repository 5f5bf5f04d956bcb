from __future__ import annotations

import math

import pytest

from airflow_mm_provider.monitoring.report_json import (
    json_number,
    json_safe,
    load_json_object,
    named_entry,
    parse_count,
    parse_number,
)


class TestJsonHelpers:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            (1, 1.0),
            (0.5, 0.5),
            ("2.5", 2.5),
            ("1e-3", 0.001),
            ("Infinity", math.inf),
            ("-Infinity", -math.inf),
        ],
    )
    def test_parse_number(self, raw, expected):
        assert parse_number(raw, "x") == expected

    def test_parse_number_nan_and_none(self):
        assert math.isnan(parse_number("NaN", "x"))
        assert math.isnan(parse_number(float("nan"), "x"))
        assert parse_number(None, "x") is None

    @pytest.mark.parametrize("bad", [True, "abc", [1], {}])
    def test_parse_number_rejects_non_numbers_naming_the_path(self, bad):
        with pytest.raises(ValueError, match=r"^a\.b: must be a number"):
            parse_number(bad, "a.b")

    def test_parse_count(self):
        assert parse_count(100.0, "n") == 100
        assert parse_count(None, "n") is None
        for bad in (1.5, -1, "NaN"):
            with pytest.raises(ValueError, match="whole non-negative"):
                parse_count(bad, "n")

    def test_json_number_and_json_safe(self):
        assert json_number(1.5) == 1.5
        assert json_number(None) is None
        assert [json_number(x) for x in (math.nan, math.inf, -math.inf)] == ["NaN", "Infinity", "-Infinity"]
        nested = {"a": [math.inf, (1.0, math.nan)], "b": {"c": -math.inf, "d": "text", "e": 3}}
        assert json_safe(nested) == {
            "a": ["Infinity", [1.0, "NaN"]],
            "b": {"c": "-Infinity", "d": "text", "e": 3},
        }

    def test_load_json_object_accepts_text_bytes_and_mappings(self):
        assert load_json_object('{"a": 1}', "f") == {"a": 1}
        assert load_json_object(b'{"a": NaN}', "f")["a"] != 0
        assert load_json_object({"a": 1}, "f") == {"a": 1}

    def test_load_json_object_errors_name_the_file(self):
        with pytest.raises(ValueError, match="^f.json: not valid JSON"):
            load_json_object("{", "f.json")
        with pytest.raises(ValueError, match="^f.json: must be a JSON object"):
            load_json_object("[1]", "f.json")


class TestNamedEntry:
    def test_returns_the_name_and_the_path_with_it(self):
        assert named_entry({"name": "age"}, "features[0]") == ("age", "features[0](age)")

    def test_errors_name_the_path(self):
        with pytest.raises(ValueError, match=r"^features\[0\]: must be a JSON object \(got list\)"):
            named_entry([], "features[0]")
        with pytest.raises(ValueError, match=r"^features\[0\]\.name: must be a string \(got 3\)"):
            named_entry({"name": 3}, "features[0]")
