"""Tests of the mergeable per-score counts behind ranking metrics."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from airflow_mm_provider.analysis.score_histogram import ScoreHistogram, _grid, _order_keys, _scores

SCORES = st.one_of(
    st.floats(allow_nan=False, width=64),
    st.sampled_from([0.0, -0.0, 0.5, 1.0, 1.0 - 2**-53, 2**-1074, np.nan, np.inf, -np.inf]),
    st.floats(0, 1),
)

POSITIVE = np.array([0, 1])
NEGATIVE = np.array([1, 0])


def histogram(scores: np.ndarray, columns: np.ndarray, capacity: int) -> ScoreHistogram:
    built = ScoreHistogram(2, capacity)
    built.add(scores, columns)
    built.flush()
    return built


def auc(histogram: ScoreHistogram) -> float:
    """Area under the ROC curve from the bins (the formula the metrics use)."""
    counts = histogram.bins(np.vstack([POSITIVE, NEGATIVE]))
    tpr = np.r_[0.0, np.cumsum(counts[:, 0]) / counts[:, 0].sum()]
    fpr = np.r_[0.0, np.cumsum(counts[:, 1]) / counts[:, 1].sum()]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1])) / 2.0)


def test_keys_order_like_the_scores_and_the_grid_never_reverses_it() -> None:
    rng = np.random.default_rng(1)
    scores = np.sort(
        np.concatenate(
            [
                rng.normal(size=2000) * 10.0 ** rng.integers(-300, 300, 2000),
                rng.random(2000),
                1 - rng.random(500) * 1e-12,
                [np.inf, -np.inf, 0.0, -0.0, 0.5, 1.0, 1.0000000000000002, 5e-324, -5e-324],
            ]
        )
    )
    keys = _order_keys(scores)
    assert np.array_equal(np.diff(keys) > 0, np.diff(scores) > 0)
    assert np.array_equal(_scores(keys), scores + 0.0)
    assert (np.diff(_grid(scores)) >= 0).all()
    assert _order_keys(np.array([np.nan]))[0] < keys.min()


@settings(max_examples=120, deadline=None)
@given(
    scores=st.lists(SCORES, min_size=1, max_size=300),
    capacity=st.sampled_from([2, 3, 8, 64, 1 << 16]),
    parts=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_merged_histograms_equal_one_pass(scores: list[float], capacity: int, parts: int, seed: int) -> None:
    shuffle = random.Random(seed)
    values = np.array(scores)
    columns = np.array([shuffle.randrange(3) for _ in scores])
    one = ScoreHistogram(3, capacity)
    one.add(values, columns)
    one.flush()
    pieces = [ScoreHistogram(3, capacity) for _ in range(parts)]
    for index in range(len(scores)):
        pieces[shuffle.randrange(parts)].add(values[index : index + 1], columns[index : index + 1])
    pieces = [ScoreHistogram.from_state(piece.state()) for piece in pieces]
    shuffle.shuffle(pieces)
    merged = pieces[0]
    for other in pieces[1:]:
        merged.merge(other)
    assert (merged.level, merged.keys.tolist(), merged.counts.tolist()) == (
        one.level,
        one.keys.tolist(),
        one.counts.tolist(),
    )
    assert merged.keys.size <= capacity and int(merged.counts.sum()) == len(scores)


def test_level_zero_keeps_every_distinct_score() -> None:
    scores = np.array([0.5, 0.25, 0.5, -0.0, 0.0, 0.75])
    built = histogram(scores, np.array([1, 0, 0, 1, 0, 1]), 16)
    assert built.level == 0
    assert built.bins(np.vstack([POSITIVE, NEGATIVE])).tolist() == [[1, 0], [1, 1], [0, 1], [1, 1]]
    assert built.tie_bound(POSITIVE, NEGATIVE) == 0.0


@pytest.mark.parametrize("seed", range(6))
def test_binned_auc_is_within_the_tie_bound_of_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    size = 200_000
    scores = [rng.random(size), rng.beta(0.3, 0.3, size), np.round(rng.random(size), 3)][seed % 3]
    truth = (rng.random(size) < scores).astype(int)
    for capacity in (1 << 8, 1 << 12, 1 << 16):
        built = histogram(scores, truth, capacity)
        bound = built.tie_bound(POSITIVE, NEGATIVE)
        assert abs(auc(built) - skm.roc_auc_score(truth, scores)) <= bound + 1e-12
        assert built.keys.size <= capacity
    assert bound <= 1e-4  # 2**16 bins


def test_every_binned_roc_point_lies_on_the_exact_curve() -> None:
    rng = np.random.default_rng(9)
    scores = rng.random(20_000)
    truth = (rng.random(scores.size) < scores).astype(int)
    counts = histogram(scores, truth, 64).bins(np.vstack([POSITIVE, NEGATIVE]))
    fpr, tpr, _ = skm.roc_curve(truth, scores, drop_intermediate=False)
    exact = set(zip(fpr.round(12).tolist(), tpr.round(12).tolist(), strict=True))
    binned = zip(
        (np.cumsum(counts[:, 1]) / counts[:, 1].sum()).round(12).tolist(),
        (np.cumsum(counts[:, 0]) / counts[:, 0].sum()).round(12).tolist(),
        strict=True,
    )
    assert all(point in exact for point in binned)


def test_shapes_must_agree_to_merge() -> None:
    with pytest.raises(ValueError):
        ScoreHistogram(2, 8).merge(ScoreHistogram(3, 8))
    with pytest.raises(ValueError):
        ScoreHistogram(2, 1)
