"""Tests for the mergeable bounded category counts."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_mm_provider.analysis import partials
from airflow_mm_provider.analysis.dq_summaries import Categories
from airflow_mm_provider.analysis.dq_values import ColumnValues


def _splits(draw_data, size: int) -> list[tuple[int, int]]:
    cuts = sorted(draw_data.draw(st.lists(st.integers(0, size), max_size=4)))
    bounds = [0, *cuts, size]
    return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False)]


def _chunk(values: list[object]) -> ColumnValues:
    numbers = [value for value in values if isinstance(value, float)]
    integers = [value for value in values if isinstance(value, int)]
    return ColumnValues(
        integral=np.array(integers, dtype=np.float64),
        fractional=np.array(numbers, dtype=np.float64),
        texts=dict(Counter(value for value in values if isinstance(value, str))),
    )


VALUE = st.one_of(
    st.sampled_from(["a", "b", "c"]),
    st.text(alphabet="abcé-", min_size=1, max_size=3),
    st.integers(0, 30),
    st.floats(0, 3, width=16),
)


def _summaries(values: list[object], data, capacity: int) -> tuple[Categories, Categories]:
    one = Categories(capacity, 16)
    for start in range(0, len(values), 7):
        one.add(_chunk(values[start : start + 7]))
    parts = []
    for start, stop in _splits(data, len(values)):
        part = Categories(capacity, 16)
        part.add(_chunk(values[start:stop]))
        parts.append(part)
    merged = Categories(capacity, 16)
    for part in data.draw(st.permutations(parts)):
        blob = partials.dumps("data_quality", 1, part.to_data())
        merged.merge(Categories.from_data(partials.loads(blob, "data_quality", 1), capacity, 16))
    return one, merged


@settings(max_examples=200, deadline=None)
@given(values=st.lists(VALUE, max_size=60), data=st.data())
def test_categories_merge_to_the_one_pass_counts(values, data):
    one, merged = _summaries(values, data, capacity=1000)
    expected = Counter(
        str(v) if isinstance(v, int) else repr(v) if isinstance(v, float) else v for v in values
    )
    for summary in (one, merged):
        assert summary.exact
        assert {bucket["value"]: bucket["count"] for bucket in summary.buckets()} == dict(expected)
        assert summary.distinct_count() == len(expected)
    assert one.buckets() == merged.buckets()


@settings(max_examples=200, deadline=None)
@given(values=st.lists(VALUE, max_size=80), data=st.data())
def test_past_capacity_counts_are_bounded_and_the_distinct_sketch_merges_exactly(values, data):
    capacity = 5
    one, merged = _summaries(values, data, capacity)
    texts = Counter(value for value in values if isinstance(value, str))
    distinct = len({(type(value), value) for value in values})
    assert one.exact == merged.exact == (distinct <= capacity)
    assert one.distinct_count() == merged.distinct_count()
    assert one.hashes.tolist() == merged.hashes.tolist()
    if merged.exact:
        return
    if distinct < 16:
        assert merged.distinct_count() == distinct
    for summary in (one, merged):
        kept = {bucket["value"]: bucket["count"] for bucket in summary.buckets()}
        assert len(kept) <= capacity
        slack = (sum(texts.values()) - sum(kept.values())) / (capacity + 1)
        for text, count in texts.items():
            assert count - slack <= kept.get(text, 0) <= count


@pytest.mark.parametrize("distinct", [3000, 50_000])
def test_distinct_count_estimate_is_within_its_error(distinct):
    """Relative standard error about 1/sqrt(1022) = 3.1%: every trial within 4 of them, the mean within 1."""
    errors = []
    for seed in range(12):
        rng = np.random.default_rng(seed)
        values = rng.permutation(distinct).astype(np.float64) + seed * 1e6
        categories = Categories()
        for chunk in np.array_split(np.repeat(values, 2), 9):
            categories.add(ColumnValues(integral=chunk))
        assert not categories.exact
        errors.append(categories.distinct_count() / distinct - 1)
    assert max(abs(error) for error in errors) < 4 * 0.0313
    assert abs(float(np.mean(errors))) < 0.0313


def test_heavy_texts_survive_past_capacity():
    categories = Categories(capacity=50)
    texts = ["hot" if i % 4 == 0 else f"v{i}" for i in range(20_000)]
    for start in range(0, len(texts), 1000):
        categories.add(ColumnValues(texts=dict(Counter(texts[start : start + 1000]))))
    hot = next(bucket["count"] for bucket in categories.buckets() if bucket["value"] == "hot")
    assert 5000 - 20_000 / 51 <= hot <= 5000
    assert categories.distinct_count() == pytest.approx(15_001, rel=0.15)
