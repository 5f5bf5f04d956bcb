"""Bootstrap intervals of bias metrics, and the batched metric evaluation they rely on."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest

from airflow_mm_provider.analysis import bias_metrics as bm
from airflow_mm_provider.analysis.bias_bootstrap import normal_interval, resample_counts


def test_batched_tables_give_the_values_of_each_table() -> None:
    rng = np.random.default_rng(1)
    batch = rng.integers(0, 6, size=(25, 3, 2, 2, 2)).astype(float)
    post = bm.post_training_metrics(batch, grouped=True)
    pre = bm.pre_training_metrics(batch.sum(axis=-1), grouped=True)
    for index, table in enumerate(batch):
        single = {
            **bm.post_training_metrics(table, True),
            **bm.pre_training_metrics(table.sum(axis=-1), True),
        }
        for name, value in single.items():
            batched = float({**post, **pre}[name][index])
            assert (math.isnan(value) and math.isnan(batched)) or value == pytest.approx(batched), name


def test_resamples_keep_the_total_and_empty_cells() -> None:
    counts = np.array([[3.0, 0.0], [5.0, 12.0]])
    draws = resample_counts(counts, 200, np.random.default_rng(0))
    assert draws.shape == (200, 2, 2)
    assert set(draws.sum(axis=(1, 2))) == {20.0}
    assert not draws[:, 0, 1].any()
    assert draws.mean(axis=0) == pytest.approx(counts, abs=0.6)


def test_normal_interval_corrects_the_bootstrap_bias() -> None:
    replicates = np.array([0.9, 1.1, 1.0, 1.2, 0.8, 1.0])
    low, high = normal_interval(0.5, replicates, 0.95)
    z = NormalDist().inv_cdf(0.975)
    centre = 0.5 - (replicates.mean() - 0.5)
    assert (low + high) / 2 == pytest.approx(centre)
    assert (high - low) / 2 == pytest.approx(z * replicates.std(ddof=1))


def test_normal_interval_is_undefined_without_finite_values() -> None:
    assert normal_interval(math.inf, np.array([1.0, 2.0])) is None
    assert normal_interval(1.0, np.array([math.inf, math.nan, 2.0])) is None
    assert normal_interval(1.0, np.array([math.inf, 1.0, 3.0])) is not None
    with pytest.raises(ValueError, match="confidence"):
        normal_interval(1.0, np.array([1.0, 2.0]), 1.0)
