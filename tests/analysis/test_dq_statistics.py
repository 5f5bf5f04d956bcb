"""Tests for the streaming data quality statistics."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from airflow_mm_provider.analysis.dq_statistics import (
    CATEGORY_CAPACITY,
    DISTINCT_SKETCH_SIZE,
    CategoryCounter,
    DataQualityAccumulator,
    QuantileSketch,
    classify,
)


def _statistics(rows: list[list[object]], names: list[str] | None = None, chunk: int | None = None) -> dict:
    accumulator = DataQualityAccumulator(names)
    step = chunk or max(len(rows), 1)
    for start in range(0, len(rows), step):
        accumulator.add_rows(rows[start : start + step])
    return accumulator.statistics()


def _feature(statistics: dict, name: str) -> dict:
    return next(feature for feature in statistics["features"] if feature["name"] == name)


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
        (2.5, ("Fractional", 2.5, "2.5")),
        (True, ("String", None, "true")),
        ("inf", ("String", None, "inf")),
        (float("nan"), ("String", None, "nan")),
        ("abc", ("String", None, "abc")),
        ([1, 2], ("String", None, "[1, 2]")),
    ],
)
def test_classify_sorts_values_into_kinds(value, expected):
    assert classify(value) == expected


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
        assert kll["sketch"]["parameters"] == {"c": 0.64, "k": 2048.0}
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
        counts = {
            f["name"]: (f.get("numerical_statistics") or f["string_statistics"])["common"]
            for f in stats["features"]
        }
        assert counts == {
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


def _rows(count: int, seed: int) -> list[list[object]]:
    rng = random.Random(seed)
    return [
        [f"{rng.gauss(0, 1):.9f}", str(rng.randint(0, 40)), rng.choice(["red", "green", "blue"]), f"id-{i}"]
        for i in range(count)
    ]


class TestStreaming:
    def test_chunked_equals_one_shot(self):
        rows = _rows(30_000, seed=5)
        whole = _statistics(rows)
        accumulator = DataQualityAccumulator()
        start, sizes = 0, [1, 7, 500, 3000, 64]
        while start < len(rows):
            size = sizes[start % len(sizes)]
            accumulator.add_rows(rows[start : start + size])
            start += size
        pieces = accumulator.statistics()
        for one, other in zip(whole["features"], pieces["features"], strict=True):
            if "numerical_statistics" in one:
                one_num, other_num = one["numerical_statistics"], other["numerical_statistics"]
                assert other_num.pop("std_dev") == pytest.approx(one_num.pop("std_dev"), rel=1e-9, abs=1e-12)
        assert json.dumps(pieces, sort_keys=True) == json.dumps(whole, sort_keys=True)

    def test_same_input_gives_identical_json(self):
        rows = _rows(5000, seed=11)
        first = json.dumps(_statistics(rows, chunk=123), sort_keys=True)
        second = json.dumps(_statistics(rows, chunk=123), sort_keys=True)
        assert first == second

    def test_memory_is_bounded(self):
        accumulator = DataQualityAccumulator()
        sizes = []
        for chunk in range(40):
            accumulator.add_rows(_rows(5000, seed=chunk))
            sizes.append(accumulator.retained())
            for feature in accumulator.features:
                sketch = feature.sketch
                assert sketch.retained() <= sum(sketch.capacity(h) for h in range(len(sketch.levels)))
                assert len(sketch.levels) <= 10
                assert len(feature.categories.counts) <= CATEGORY_CAPACITY
                assert len(feature.categories._smallest) <= DISTINCT_SKETCH_SIZE
                assert len(feature.partials) <= 40
        assert accumulator.item_count == 200_000
        bound = 4 * (2048 / (1 - 0.64) + 2 * 10 + CATEGORY_CAPACITY + DISTINCT_SKETCH_SIZE + 40)
        assert max(sizes) <= bound
        assert sizes[-1] <= 1.1 * sizes[len(sizes) // 2]


class TestQuantileSketch:
    def test_weights_add_up_and_ranks_are_close(self):
        rng = np.random.default_rng(0)
        values = rng.exponential(1.0, 100_000)
        sketch = QuantileSketch()
        sketch.add_many(values.tolist())
        items, weights = sketch.weighted_items()
        assert weights.sum() == 100_000
        order = np.argsort(items)
        ranks = np.cumsum(weights[order]) / weights.sum()
        for q in (0.1, 0.5, 0.9, 0.99):
            estimate = items[order][np.searchsorted(ranks, q)]
            assert abs(np.mean(values <= estimate) - q) < 0.01

    def test_adding_in_pieces_equals_adding_at_once(self):
        values = [float(v) for v in range(10_000, 0, -1)]
        whole, pieces = QuantileSketch(k=64), QuantileSketch(k=64)
        whole.add_many(values)
        for start in range(0, len(values), 37):
            pieces.add_many(values[start : start + 37])
        assert whole.levels == pieces.levels


class TestCategoryCounter:
    def test_exact_below_capacity(self):
        counter = CategoryCounter(capacity=5)
        for text in "aabbbc":
            counter.add(text)
        assert counter.exact
        assert counter.buckets() == [
            {"value": "b", "count": 3},
            {"value": "a", "count": 2},
            {"value": "c", "count": 1},
        ]
        assert counter.distinct_count() == 3.0

    def test_heavy_hitters_survive_and_distinct_count_is_estimated(self):
        counter = CategoryCounter(capacity=50, distinct_sketch_size=512)
        for i in range(20_000):
            counter.add("hot" if i % 4 == 0 else f"v{i}")
        assert not counter.exact
        assert len(counter.counts) <= 50
        hot = next(bucket["count"] for bucket in counter.buckets() if bucket["value"] == "hot")
        assert 5000 - 20_000 / 51 <= hot <= 5000
        assert counter.distinct_count() == pytest.approx(15_001, rel=0.15)
