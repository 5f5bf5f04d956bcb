"""Tests for the streaming data quality statistics."""

from __future__ import annotations

import csv
import io
import json
import math
import random
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_mm_provider.analysis import partials
from airflow_mm_provider.analysis.dq_statistics import (
    BUCKET_ERROR,
    CATEGORY_CAPACITY,
    DISTINCT_SKETCH_SIZE,
    SKETCH_K,
    DataQualityAccumulator,
    kll_levels,
)
from airflow_mm_provider.analysis.field_block import FieldBlock


def _statistics(rows: list[list[object]], names: list[str] | None = None, chunk: int | None = None) -> dict:
    accumulator = DataQualityAccumulator(names)
    step = chunk or max(len(rows), 1)
    for start in range(0, len(rows), step):
        accumulator.add_rows(rows[start : start + step])
    return accumulator.statistics()


def _commons(statistics: dict) -> dict[str, dict]:
    """Each feature's ``common`` counters by name."""
    return {
        feature["name"]: (feature.get("numerical_statistics") or feature["string_statistics"])["common"]
        for feature in statistics["features"]
    }


def _feature(statistics: dict, name: str) -> dict:
    return next(feature for feature in statistics["features"] if feature["name"] == name)


class TestStatisticsLayout:
    def test_numeric_feature_has_the_statistics_json_shape(self):
        stats = _statistics([["1.0"], ["2.0"], ["3.0"]])
        assert stats["version"] == 0.0
        assert stats["dataset"] == {"item_count": 3}
        feature = stats["features"][0]
        assert feature["name"] == "_c0"
        assert feature["inferred_type"] == "Fractional"
        numerical = feature["numerical_statistics"]
        assert set(numerical) == {"common", "mean", "sum", "std_dev", "min", "max", "distribution"}
        kll = numerical["distribution"]["kll"]
        assert kll["sketch"]["parameters"] == {"c": 2 / 3, "k": 2048.0}
        assert kll["sketch"]["data"] == [[1.0, 2.0, 3.0]]
        assert len(kll["buckets"]) == 10
        assert set(kll["buckets"][0]) == {"lower_bound", "upper_bound", "count"}

    def test_string_feature_has_categorical_buckets(self):
        stats = _statistics([["b"], ["a"], ["b"], [None]])
        feature = stats["features"][0]
        assert feature["inferred_type"] == "String"
        assert feature["string_statistics"] == {
            "common": {"num_present": 3, "num_missing": 1},
            "distinct_count": 2.0,
            "distribution": {
                "categorical": {"buckets": [{"value": "b", "count": 2}, {"value": "a", "count": 1}]}
            },
        }
        assert set(feature) == {"name", "inferred_type", "string_statistics"}

    def test_all_missing_column_is_unknown(self):
        feature = _statistics([[None], [""]])["features"][0]
        assert feature["inferred_type"] == "Unknown"
        assert feature["string_statistics"]["common"] == {"num_present": 0, "num_missing": 2}
        assert feature["string_statistics"]["distinct_count"] == 0.0


class TestStatisticsValues:
    def test_moments_match_numpy(self):
        rng = np.random.default_rng(3)
        values = rng.normal(5.0, 2.0, 5000)
        stats = _statistics([[repr(float(v))] for v in values], chunk=333)
        numerical = stats["features"][0]["numerical_statistics"]
        assert numerical["sum"] == pytest.approx(values.sum(), rel=1e-12)
        assert numerical["mean"] == pytest.approx(values.mean(), rel=1e-12)
        assert numerical["std_dev"] == pytest.approx(values.std(), rel=1e-9)
        assert numerical["min"] == values.min()
        assert numerical["max"] == values.max()
        assert numerical["common"] == {"num_present": 5000, "num_missing": 0}

    def test_sum_is_exact_regardless_of_order(self):
        values = [1e16, 1.0, -1e16, 1.0] * 10
        numerical = _statistics([[v] for v in values], chunk=3)["features"][0]["numerical_statistics"]
        assert numerical["sum"] == 20.0

    def test_missing_values_and_short_rows(self):
        rows = [["1", "x", "3"], ["", "y"], [None, None, "4"], ["2"]]
        stats = _statistics(rows)
        assert stats["dataset"]["item_count"] == 4
        assert _commons(stats) == {
            "_c0": {"num_present": 2, "num_missing": 2},
            "_c1": {"num_present": 2, "num_missing": 2},
            "_c2": {"num_present": 2, "num_missing": 2},
        }

    @pytest.mark.parametrize(
        ("column", "expected"),
        [
            (["1", "2", 3], "Integral"),
            (["1", "2.5", 3], "Fractional"),
            ([1.0, 2.0], "Fractional"),
            (["1", "2", "three"], "String"),
            ([True, 1], "String"),
        ],
    )
    def test_type_inference_is_strict(self, column, expected):
        feature = _statistics([[value] for value in column])["features"][0]
        assert feature["inferred_type"] == expected

    def test_mixed_column_records_kind_counts(self):
        accumulator = DataQualityAccumulator()
        accumulator.add_rows([["1"]] * 99 + [["abc"]])
        assert accumulator.statistics()["features"][0]["inferred_type"] == "String"
        assert accumulator.type_counts() == {"_c0": {"Integral": 99, "Fractional": 0, "String": 1}}

    def test_names_given_and_extra_columns(self):
        stats = _statistics([["1", "2"], ["3", "4", "5"]], names=["a", "b"])
        assert [f["name"] for f in stats["features"]] == ["a", "b", "_c2"]
        assert _feature(stats, "_c2")["numerical_statistics"]["common"] == {
            "num_present": 1,
            "num_missing": 1,
        }

    def test_column_appearing_in_a_later_chunk_owes_earlier_rows_as_missing(self):
        accumulator = DataQualityAccumulator()
        accumulator.add_rows([["1"], ["2"]])
        accumulator.add_rows([["3", "x"]])
        feature = _feature(accumulator.statistics(), "_c1")
        assert feature["string_statistics"]["common"] == {"num_present": 1, "num_missing": 2}

    def test_a_ragged_csv_block_counts_as_its_rows(self):
        raw = b"1,x,3\n, y\n\n2.5\n7,z,8,extra\n"
        block = FieldBlock.split(raw)
        assert block is not None
        accumulator = DataQualityAccumulator(["a", "b"])
        accumulator.add_block(block)
        rows = [row for row in csv.reader(io.StringIO(raw.decode(), newline="")) if row]
        assert accumulator.statistics() == _statistics(rows, names=["a", "b"])
        assert accumulator.statistics()["dataset"]["item_count"] == 4

    def test_buckets_span_min_to_max_and_count_every_value(self):
        values = list(range(1, 101))
        kll = _statistics([[v] for v in values])["features"][0]["numerical_statistics"]["distribution"]["kll"]
        buckets = kll["buckets"]
        assert buckets[0]["lower_bound"] == 1.0
        assert buckets[-1]["upper_bound"] == 100.0
        assert sum(bucket["count"] for bucket in buckets) == 100.0
        expected = np.histogram(values, bins=10, range=(1, 100))[0]
        assert [bucket["count"] for bucket in buckets] == list(expected.astype(float))

    def test_constant_column_puts_everything_in_the_first_bucket(self):
        buckets = _statistics([[4]] * 5)["features"][0]["numerical_statistics"]["distribution"]["kll"][
            "buckets"
        ]
        assert [bucket["count"] for bucket in buckets] == [5.0] + [0.0] * 9
        assert all(bucket["lower_bound"] == bucket["upper_bound"] == 4.0 for bucket in buckets)

    def test_sum_and_mean_are_rounded_once_from_the_exact_sum(self):
        values = [0.1] * 10 + [1e20, -1e20]
        numerical = _statistics([[v] for v in values], chunk=5)["features"][0]["numerical_statistics"]
        exact = sum(Fraction(v) for v in values)
        assert numerical["sum"] == float(exact)
        assert numerical["mean"] == float(exact / len(values))

    def test_negative_zero_counts_as_zero(self):
        numerical = _statistics([["-0.0"], ["0"], [-0.0]])["features"][0]["numerical_statistics"]
        assert math.copysign(1, numerical["min"]) == math.copysign(1, numerical["max"]) == 1


def _accumulate(rows: list[list[object]], names: list[str] | None = None, chunk: int = 7):
    accumulator = DataQualityAccumulator(names)
    for start in range(0, len(rows), chunk):
        accumulator.add_rows(rows[start : start + chunk])
    return accumulator


def _split_merge(rows: list[list[object]], data, names: list[str] | None = None) -> DataQualityAccumulator:
    """Partials over a random split of ``rows``, merged in a random order, some through bytes."""
    cuts = sorted(data.draw(st.lists(st.integers(0, len(rows)), max_size=4), label="cuts"))
    bounds = [0, *cuts, len(rows)]
    parts = [_accumulate(rows[a:b], names) for a, b in zip(bounds, bounds[1:], strict=False)]
    merged = DataQualityAccumulator(names)
    for part in data.draw(st.permutations(parts), label="order"):
        if data.draw(st.booleans(), label="through bytes"):
            part = DataQualityAccumulator.from_bytes(part.to_bytes())
        merged.merge(part)
    return merged


def _without_std_dev(statistics: dict) -> tuple[dict, list[float]]:
    """The statistics with each ``std_dev`` taken out (the one part merging may change in the last bits)."""
    copied = json.loads(json.dumps(statistics))
    deviations = [
        feature["numerical_statistics"].pop("std_dev")
        for feature in copied["features"]
        if "numerical_statistics" in feature
    ]
    return copied, deviations


CELL = st.one_of(
    st.none(),
    st.integers(-(10**6), 10**6).map(str),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "a", "b", "x y", "1e5", " 7 ", "-0", "nan", "inf", "0.10", "007", "true"]),
    st.text(max_size=4),
)
TABLE = st.lists(st.lists(CELL, max_size=5), min_size=1, max_size=50)


class TestMergeablePartials:
    @settings(max_examples=150, deadline=None)
    @given(rows=TABLE, data=st.data())
    def test_merged_partials_equal_one_pass(self, rows, data):
        """Small columns keep every value in the sketch, so everything but std_dev is equal to the bit."""
        one, one_deviations = _without_std_dev(_accumulate(rows).statistics())
        merged_accumulator = _split_merge(rows, data)
        merged, merged_deviations = _without_std_dev(merged_accumulator.statistics())
        assert merged == one
        assert merged_deviations == pytest.approx(one_deviations, rel=1e-9, abs=1e-300)
        assert merged_accumulator.type_counts() == _accumulate(rows).type_counts()

    @settings(max_examples=8, deadline=None)
    @given(seed=st.integers(0, 2**32 - 1), data=st.data())
    def test_large_columns_merge_exactly_but_the_sketch(self, seed, data):
        """Past k values: exact parts equal, bucket counts within BUCKET_ERROR * n of the exact counts."""
        rng = np.random.default_rng(seed)
        size = 6_000
        numbers = rng.lognormal(0.0, 1.0, size)
        rows = [[repr(float(v)), str(int(v * 10)), f"id{i % 1500}"] for i, v in enumerate(numbers)]
        one = _accumulate(rows, chunk=4096).statistics()
        merged = _split_merge(rows, data).statistics()
        for mine, theirs in zip(merged["features"], one["features"], strict=True):
            assert (mine["name"], mine["inferred_type"]) == (theirs["name"], theirs["inferred_type"])
            if "numerical_statistics" not in mine:
                mine_strings, their_strings = mine["string_statistics"], theirs["string_statistics"]
                assert mine_strings["common"] == their_strings["common"]
                assert mine_strings["distinct_count"] == their_strings["distinct_count"]
                continue
            mine_numbers, their_numbers = mine["numerical_statistics"], theirs["numerical_statistics"]
            for key in ("common", "sum", "mean", "min", "max"):
                assert mine_numbers[key] == their_numbers[key]
            assert mine_numbers["std_dev"] == pytest.approx(their_numbers["std_dev"], rel=1e-9)
            buckets = mine_numbers["distribution"]["kll"]["buckets"]
            values = np.array([float(row[0]) for row in rows]) if mine["name"] == "_c0" else None
            values = values if values is not None else np.array([float(int(v * 10)) for v in numbers])
            edges = [bucket["lower_bound"] for bucket in buckets] + [buckets[-1]["upper_bound"]]
            exact = np.histogram(values, bins=edges)[0]
            assert sum(bucket["count"] for bucket in buckets) == size
            for bucket, count in zip(buckets, exact, strict=True):
                assert abs(bucket["count"] - count) <= BUCKET_ERROR * size

    def test_features_are_matched_by_name(self):
        first, second = DataQualityAccumulator(["a", "b"]), DataQualityAccumulator(["b", "c"])
        first.add_rows([["1", "x"], ["2", "y"]])
        second.add_rows([["z", "3"]])
        first.merge(second)
        statistics = first.statistics()
        assert statistics["dataset"] == {"item_count": 3}
        assert _commons(statistics) == {
            "a": {"num_present": 2, "num_missing": 1},
            "b": {"num_present": 3, "num_missing": 0},
            "c": {"num_present": 1, "num_missing": 2},
        }

    def test_partial_bytes_are_compact_and_checked(self):
        accumulator = _accumulate([[repr(float(i)), f"v{i % 50}"] for i in range(100_000)], chunk=10_000)
        blob = accumulator.to_bytes()
        assert len(blob) < 200_000
        with pytest.raises(partials.PartialFormatError, match="expected 'data_quality'"):
            DataQualityAccumulator.from_bytes(partials.dumps("bias", 1, {}))


class TestSketchLevels:
    def test_levels_weigh_up_to_the_count_after_merges(self):
        """The levels come from the serialized sketch, whose weights stay right where the library's own
        iterator reports weight 1 (a three-way merge of 66,667-item sketches)."""
        values = np.random.default_rng(0).lognormal(0, 1, 200_000)
        accumulator = DataQualityAccumulator(["x"])
        for part in np.array_split(values, 3):
            piece = DataQualityAccumulator(["x"])
            piece.add_rows([[v] for v in part.tolist()])
            accumulator.merge(piece)
        data = accumulator.statistics()["features"][0]["numerical_statistics"]["distribution"]["kll"][
            "sketch"
        ]["data"]
        assert sum(len(level) << height for height, level in enumerate(data)) == values.size
        assert all(level == sorted(level) for level in data)
        assert sum(len(level) for level in data) <= 3 * SKETCH_K

    def test_single_item_and_foreign_bytes(self):
        assert _statistics([["2.5"]])["features"][0]["numerical_statistics"]["distribution"]["kll"]["sketch"][
            "data"
        ] == [[2.5]]
        with pytest.raises(ValueError, match="not a serialized KLL sketch"):
            kll_levels(b"\x05\x01\x07\x00" + bytes(20))


def _rows(count: int, seed: int) -> list[list[object]]:
    rng = random.Random(seed)
    return [
        [f"{rng.gauss(0, 1):.9f}", str(rng.randint(0, 40)), rng.choice(["red", "green", "blue"]), f"id-{i}"]
        for i in range(count)
    ]


def test_memory_is_bounded():
    accumulator = DataQualityAccumulator()
    sizes = []
    for chunk in range(40):
        accumulator.add_rows(_rows(5000, seed=chunk))
        sizes.append(accumulator.retained())
        for feature in accumulator.features:
            assert feature.sketch.num_retained <= 3 * SKETCH_K
            assert feature.categories.distinct <= CATEGORY_CAPACITY
            assert feature.categories.hashes.size <= DISTINCT_SKETCH_SIZE
    assert accumulator.item_count == 200_000
    assert max(sizes) <= 4 * (3 * SKETCH_K + CATEGORY_CAPACITY + DISTINCT_SKETCH_SIZE)
    assert sizes[-1] <= 1.1 * sizes[len(sizes) // 2]
