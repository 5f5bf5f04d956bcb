"""Bias partials: counts over parts of the records merge, in any order and through bytes, into the one-pass
counts exactly."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_mm_provider.analysis import partials
from airflow_mm_provider.analysis.bias import POST_TRAINING, PRE_TRAINING, count_bias, finalize
from airflow_mm_provider.analysis.bias_partial import BiasPartial, BiasSpec, merge_partials

HEADERS = ["f", "g", "y", "n"]
CELLS = ["0", "1", " 1 ", "1.0", "2", "2.5", "-3", "x", " y", "", None, 0, 1, 2.5, math.nan, True, "inf"]
RULES = [[0], [1], ["x", 1], ["y"], [0.5], [1.5], [2.25]]
SETTINGS = settings(max_examples=120, deadline=None)


@st.composite
def _configs(draw: st.DrawFn) -> dict[str, Any]:
    facets = []
    for _ in range(draw(st.integers(1, 3))):
        facet: dict[str, Any] = {"name_or_index": draw(st.sampled_from(["f", "g", "n", 0]))}
        if draw(st.booleans()):
            facet["value_or_threshold"] = draw(st.sampled_from(RULES))
        facets.append(facet)
    config: dict[str, Any] = {
        "label": "y",
        "label_values_or_threshold": draw(st.sampled_from([[1], ["1", "x"], [0.5], [1.5]])),
        "facet": facets,
    }
    group = draw(st.sampled_from([None, "g", "n", 0]))
    if group is not None:
        config["group_variable"] = group
    return config


@st.composite
def _cases(draw: st.DrawFn) -> dict[str, Any]:
    """A config, records, predictions and a split of the records into parts."""
    pool = draw(st.lists(st.sampled_from(CELLS), min_size=1, max_size=8))
    size = draw(st.integers(0, 80))
    rows = [[draw(st.sampled_from(pool)) for _ in HEADERS] for _ in range(size)]
    kind = draw(st.sampled_from(["labels", "probabilities", None]))
    predictions = None
    if kind == "labels":
        predictions = [draw(st.sampled_from(pool)) for _ in range(size)]
    elif kind == "probabilities":
        predictions = [
            draw(st.sampled_from([0.1, 0.5, 0.9, "0.7", None, math.nan, "x"])) for _ in range(size)
        ]
    cuts = sorted(draw(st.lists(st.integers(0, size), min_size=1, max_size=6)))
    order = draw(st.permutations(range(len(cuts) + 1)))
    through_bytes = draw(st.lists(st.booleans(), min_size=len(cuts) + 1, max_size=len(cuts) + 1))
    return {
        "config": draw(_configs()),
        "rows": rows,
        "kind": kind,
        "predictions": predictions,
        "parts": [slice(start, end) for start, end in zip([0, *cuts], [*cuts, size], strict=True)],
        "order": order,
        "through_bytes": through_bytes,
    }


def _stages(case: dict[str, Any]) -> tuple[str, ...]:
    return (PRE_TRAINING,) if case["kind"] is None else (PRE_TRAINING, POST_TRAINING)


def _one_pass(case: dict[str, Any]) -> Any:
    return count_bias(
        case["config"],
        case["rows"],
        HEADERS,
        predicted_labels=case["predictions"] if case["kind"] == "labels" else None,
        probabilities=case["predictions"] if case["kind"] == "probabilities" else None,
        methods=_stages(case),
    )


def _partial(spec: BiasSpec, case: dict[str, Any], part: slice) -> BiasPartial:
    partial = BiasPartial(spec)
    outcomes = None
    if case["kind"] == "labels":
        outcomes = spec.outcomes(predicted_labels=case["predictions"][part])
    elif case["kind"] == "probabilities":
        outcomes = spec.outcomes(probabilities=case["predictions"][part])
    partial.add_records(case["rows"][part], outcomes)
    return partial


def _document(counts: Any) -> str:
    """The analysis as JSON text: equal text means equal values, NaN and infinities in the same places."""
    return json.dumps(counts.analysis(), sort_keys=True)


@SETTINGS
@given(_cases())
def test_merged_parts_equal_one_pass(case: dict[str, Any]) -> None:
    spec = BiasSpec.from_config(case["config"], HEADERS)
    parts = [_partial(spec, case, part) for part in case["parts"]]
    parts = [
        BiasPartial.from_bytes(part.to_bytes()) if through else part
        for part, through in zip(parts, case["through_bytes"], strict=True)
    ]
    merged = merge_partials(parts[number] for number in case["order"])
    expected = _one_pass(case)
    found = finalize(merged, _stages(case))
    assert _document(found) == _document(expected)
    assert found.intervals(resamples=40) == expected.intervals(resamples=40)
    assert merged.records == len(case["rows"])


@SETTINGS
@given(_cases())
def test_merging_is_commutative_and_associative(case: dict[str, Any]) -> None:
    spec = BiasSpec.from_config(case["config"], HEADERS)
    parts = [_partial(spec, case, part) for part in case["parts"]]
    left = merge_partials(parts)
    right = merge_partials(reversed(parts))
    nested = parts[0]
    for part in parts[1:]:
        nested = part.merge(nested)
    documents = {_document(finalize(partial, _stages(case))) for partial in (left, right, nested)}
    assert len(documents) == 1


def test_bytes_round_trip_keeps_every_table() -> None:
    config = {
        "label": "y",
        "label_values_or_threshold": [0.5],
        "facet": [{"name_or_index": "f"}, {"name_or_index": "n", "value_or_threshold": [1.5]}],
        "group_variable": "g",
    }
    rows = [["a", "g1", "0.7", "3"], ["b", None, "0.2", "1"], ["", "g2", "0.9", "x"], ["a", "g1", "", "2"]]
    spec = BiasSpec.from_config(config, HEADERS)
    partial = BiasPartial(spec)
    partial.add_records(rows, spec.outcomes(probabilities=[0.9, 0.1, None, 0.6]))
    again = BiasPartial.from_bytes(partial.to_bytes())
    assert again.spec == spec
    assert (again.records, again.label_maximum, again.groups.keys) == (4, 0.9, ["g1", None, "g2"])
    for table, copy in zip(partial.facets, again.facets, strict=True):
        assert copy.keys.keys == table.keys.keys
        assert copy.maximum == table.maximum
        np.testing.assert_array_equal(copy.counts, table.counts)
    assert again.facets[1].maximum == 3.0  # the unlabelled row's 2 is not seen
    assert int(again.facets[0].counts.sum()) == 3


def test_serialized_size_follows_the_tables_not_the_records() -> None:
    config = {"label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "f"}]}
    spec = BiasSpec.from_config(config, HEADERS)
    sizes = []
    for count in (100, 100_000):
        rng = np.random.default_rng(count)
        partial = BiasPartial(spec)
        columns = {0: rng.integers(0, 5, count).astype("S8"), 2: rng.integers(0, 2, count).astype("S8")}
        partial.add(columns, spec.outcomes(predicted_labels=rng.integers(0, 2, count)))
        sizes.append(len(partial.to_bytes()))
        assert partial.records == count
    assert sizes[1] < sizes[0] + 16 < 2_000  # only the record count's own encoding grows


def test_partials_of_different_analyses_do_not_merge() -> None:
    config = {"label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "f"}]}
    first = BiasPartial(BiasSpec.from_config(config, HEADERS))
    other = BiasPartial(BiasSpec.from_config({**config, "label_values_or_threshold": [0]}, HEADERS))
    with pytest.raises(ValueError, match="different analyses"):
        first.merge(other)
    with pytest.raises(ValueError, match="no bias partial"):
        merge_partials([])


def test_other_bytes_are_refused() -> None:
    config = {"label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "f"}]}
    partial = BiasPartial(BiasSpec.from_config(config, HEADERS))
    with pytest.raises(partials.PartialFormatError, match="kind"):
        BiasPartial.from_bytes(partials.dumps("data_quality", 1, {}))
    data = partials.loads(partial.to_bytes(), "bias", 1)
    data["groups"] = ["extra"]
    with pytest.raises(partials.PartialFormatError, match="does not match"):
        BiasPartial.from_bytes(partials.dumps("bias", 1, data))


def test_outcomes_from_labels_and_probabilities() -> None:
    config = {"label": "y", "label_values_or_threshold": ["yes"], "facet": [{"name_or_index": "f"}]}
    spec = BiasSpec.from_config({**config, "probability_threshold": 0.6}, HEADERS)
    labels = spec.outcomes(predicted_labels=np.array([b"yes", b" yes", b"no", b""]))
    assert labels.tolist() == [1, 1, 0, -1]
    assert spec.outcomes(probabilities=np.array([0.6, 0.59, np.nan, np.inf])).tolist() == [1, 0, -1, -1]
    assert spec.outcomes(probabilities=["0.7", "x", None, True]).tolist() == [1, -1, -1, -1]


def test_a_block_needs_one_outcome_per_record() -> None:
    config = {"label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "f"}]}
    partial = BiasPartial(BiasSpec.from_config(config, HEADERS))
    with pytest.raises(ValueError, match="2 predicted outcomes for 1 records"):
        partial.add_records([["a", "b", "1", "c"]], np.array([1, 0], dtype=np.int8))
