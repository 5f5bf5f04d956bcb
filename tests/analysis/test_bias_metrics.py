"""Tests for the count-based bias metric formulas."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_mm_provider.analysis import bias_metrics as bm

# Worked example (also used in tests/analysis/test_bias.py), counts per facet:
#   facet a: TP=3 FN=1 FP=1 TN=1  -> n_a=6, n_a(1)=4, n_a(0)=2, n'_a(1)=4, n'_a(0)=2
#   facet d: TP=1 FN=1 FP=0 TN=2  -> n_d=4, n_d(1)=2, n_d(0)=2, n'_d(1)=1, n'_d(0)=3
# Tables are [facet][label][predicted] with index 0 = a / negative, 1 = d / positive.
CONFUSION = np.array(
    [
        [[1, 1], [1, 3]],  # a: label 0 -> (TN=1, FP=1); label 1 -> (FN=1, TP=3)
        [[2, 0], [1, 1]],  # d: label 0 -> (TN=2, FP=0); label 1 -> (FN=1, TP=1)
    ]
)
LABELS = CONFUSION.sum(axis=2)  # a: (2 negative, 4 positive); d: (2, 2)

# Group split of the same records (group variable g1 / g2), [group][facet][outcome]:
#   observed labels   g1: a (0 neg, 3 pos), d (1 neg, 0 pos);  g2: a (2 neg, 1 pos), d (1 neg, 2 pos)
#   predicted labels  g1: a (1 neg, 2 pos), d (1 neg, 0 pos);  g2: a (1 neg, 2 pos), d (2 neg, 1 pos)
GROUPED_LABELS = np.array([[[0, 3], [1, 0]], [[2, 1], [1, 2]]])
GROUPED_PREDICTIONS = np.array([[[1, 2], [1, 0]], [[1, 2], [2, 1]]])

# Hand-computed values from the formula sheet.
P_A, P_D = (1 / 3, 2 / 3), (1 / 2, 1 / 2)
MIDDLE = (5 / 12, 7 / 12)
EXPECTED_PRE = {
    "CI": (6 - 4) / 10,  # 0.2
    "DPL": 4 / 6 - 2 / 4,  # 1/6
    "KL": P_A[0] * math.log(P_A[0] / P_D[0]) + P_A[1] * math.log(P_A[1] / P_D[1]),
    "JS": 0.5 * sum(p * math.log(p / m) for p, m in zip(P_A, MIDDLE, strict=True))
    + 0.5 * sum(p * math.log(p / m) for p, m in zip(P_D, MIDDLE, strict=True)),
    "LP": math.sqrt(2) / 6,  # |P_a - P_d| = (1/6, 1/6)
    "TVD": 1 / 6,
    "KS": 1 / 6,
    # DD_g1 = 1/1 - 0/3 = 1 (n_1 = 4); DD_g2 = 1/3 - 2/3 = -1/3 (n_2 = 6); (4 * 1 + 6 * -1/3) / 10
    "CDDL": 0.2,
}
EXPECTED_POST = {
    "DPPL": 4 / 6 - 1 / 4,  # 5/12
    "DI": (1 / 4) / (4 / 6),  # 3/8
    "DCA": 4 / 4 - 2 / 1,  # -1
    "DCR": 2 / 3 - 2 / 2,  # -1/3
    "RD": 3 / 4 - 1 / 2,  # 1/4
    "SD": 2 / 2 - 1 / 2,  # 1/2
    "DAR": 3 / 4 - 1 / 1,  # -1/4
    "DRR": 2 / 3 - 1 / 2,  # 1/6
    "AD": 4 / 6 - 3 / 4,  # -1/12
    "TE": math.inf,  # FN_d / FP_d = 1/0
    # benefits: 2 x 0 (FN), 7 x 1 (TP+TN), 1 x 2 (FP); mean 0.9;
    # sum((b/0.9)^2 - 1) = -2 + 7 * 19/81 + 319/81 = 290/81; GE = 290/81 / (10 * 2 * 1) = 29/162
    "GE": 29 / 162,
    # DDPL_g1 = 1/2 - 0/2 = 1/2 (n_1 = 4); DDPL_g2 = 2/3 - 1/3 = 1/3 (n_2 = 6); (2 + 2) / 10
    "CDDPL": 0.4,
}

DIFFERENCES = ("CI", "DPL", "CDDL", "DPPL", "DCA", "DCR", "RD", "SD", "DAR", "DRR", "AD", "TE", "CDDPL")
SYMMETRIC = ("JS", "LP", "TVD", "KS", "GE")


def _grouped_confusion() -> np.ndarray:
    """The worked example's confusion table split over groups so that it matches both group tables."""
    # g1: a TP,TP,FN ; d TN      g2: a TP,FP,TN ; d TP,FN,TN
    table = np.zeros((2, 2, 2, 2))
    table[0, 0, 1, 1] = 2
    table[0, 0, 1, 0] = 1
    table[0, 1, 0, 0] = 1
    table[1, 0, 1, 1] = 1
    table[1, 0, 0, 1] = 1
    table[1, 0, 0, 0] = 1
    table[1, 1, 1, 1] = 1
    table[1, 1, 1, 0] = 1
    table[1, 1, 0, 0] = 1
    return table


def test_grouped_fixture_is_consistent() -> None:
    grouped = _grouped_confusion()
    assert (grouped.sum(axis=0) == CONFUSION).all()
    assert (grouped.sum(axis=3) == GROUPED_LABELS).all()
    assert (grouped.sum(axis=2) == GROUPED_PREDICTIONS).all()


def test_pre_training_worked_example() -> None:
    values = bm.pre_training_metrics(GROUPED_LABELS, grouped=True)
    assert list(values) == sorted(EXPECTED_PRE)
    for name, expected in EXPECTED_PRE.items():
        assert values[name] == pytest.approx(expected, rel=1e-12), name


def test_post_training_worked_example() -> None:
    values = bm.post_training_metrics(_grouped_confusion(), grouped=True)
    assert list(values) == sorted(EXPECTED_POST)
    for name, expected in EXPECTED_POST.items():
        assert values[name] == pytest.approx(expected, rel=1e-12), name


def test_single_metric_functions_match_the_sheet() -> None:
    assert bm.class_imbalance(6, 4) == pytest.approx(0.2)
    assert bm.difference_in_proportions(4, 6, 2, 4) == pytest.approx(1 / 6)
    assert bm.disparate_impact(CONFUSION) == pytest.approx(0.375)
    assert bm.treatment_equality(CONFUSION) == math.inf
    assert bm.lp_norm(LABELS, 1) == pytest.approx(1 / 3)
    assert bm.conditional_demographic_disparity(GROUPED_LABELS) == pytest.approx(0.2)
    assert bm.conditional_demographic_disparity(GROUPED_PREDICTIONS) == pytest.approx(0.4)
    p_a, p_d = bm.label_distributions(LABELS)
    assert p_a == pytest.approx(P_A)
    assert p_d == pytest.approx(P_D)


def test_grouped_metrics_left_out_without_groups() -> None:
    assert "CDDL" not in bm.pre_training_metrics(LABELS[None], grouped=False)
    assert "CDDPL" not in bm.post_training_metrics(CONFUSION[None], grouped=False)


def test_names_restrict_the_metrics() -> None:
    assert list(bm.pre_training_metrics(LABELS[None], grouped=False, names=["KS", "CI", "DPPL"])) == [
        "CI",
        "KS",
    ]
    assert list(bm.post_training_metrics(CONFUSION[None], grouped=False, names=["FT", "DI"])) == ["DI"]


def test_catalogue_names_and_descriptions() -> None:
    # analysis.json names from the facts sheet; FT is not computed
    assert set(bm.POST_TRAINING_METRICS) == {
        "AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "GE", "RD", "SD", "TE",
    }  # fmt: skip
    assert set(bm.PRE_TRAINING_METRICS) == {"CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"}
    for name, description in {**bm.PRE_TRAINING_METRICS, **bm.POST_TRAINING_METRICS}.items():
        assert description.endswith(f" ({name})")
    assert bm.FAIR_VALUES["DI"] == 1.0
    assert all(value == 0.0 for name, value in bm.FAIR_VALUES.items() if name != "DI")


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        # empty facet d: proportions of d are 0/0
        (np.array([[[1, 1], [1, 1]], [[0, 0], [0, 0]]]), {"DPPL": math.nan, "DI": math.nan, "AD": math.nan}),
        # no predicted positives in a, some in d: DI = (1/2) / 0
        (np.array([[[1, 0], [1, 0]], [[1, 0], [0, 1]]]), {"DI": math.inf, "DCA": math.inf}),
        # all false negatives: mean benefit 0
        (np.array([[[0, 0], [3, 0]], [[0, 0], [2, 0]]]), {"GE": math.nan, "TE": math.nan}),
        # nothing at all
        (np.zeros((2, 2, 2)), {"DPPL": math.nan, "DI": math.nan, "GE": math.nan, "RD": math.nan}),
    ],
)
def test_zero_denominators_give_inf_or_nan(table: np.ndarray, expected: dict[str, float]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = bm.post_training_metrics(table[None], grouped=True)
        bm.pre_training_metrics(table.sum(axis=2)[None], grouped=True)
    for name, value in expected.items():
        if math.isnan(value):
            assert math.isnan(values[name]), name
        else:
            assert values[name] == value, name


def test_zero_denominators_in_pre_training() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        empty_d = bm.pre_training_metrics(np.array([[[2, 3], [0, 0]]]), grouped=True)
        one_sided = bm.pre_training_metrics(np.array([[[2, 3], [0, 4]]]), grouped=True)
    assert empty_d["CI"] == 1.0
    assert all(math.isnan(empty_d[name]) for name in ("DPL", "KL", "JS", "LP", "TVD", "KS"))
    assert one_sided["KL"] == math.inf  # P_a(negative) = 2/5 > 0 while P_d(negative) = 0
    assert math.isfinite(one_sided["JS"])
    # only positives in the whole set: CDDL undefined
    assert math.isnan(bm.pre_training_metrics(np.array([[[0, 3], [0, 4]]]), grouped=True)["CDDL"])


def test_cdd_group_with_one_outcome_contributes_zero() -> None:
    # g1 has only acceptances (DD = 0, weight 3); g2: DD = 1/1 - 0/1 = 1 (weight 2); (3 * 0 + 2 * 1) / 5
    table = np.array([[[0, 2], [0, 1]], [[0, 1], [1, 0]]])
    assert bm.conditional_demographic_disparity(table) == pytest.approx(0.4)


def test_generalized_entropy_rejects_alpha_zero_and_one() -> None:
    with pytest.raises(ValueError, match="alpha"):
        bm.generalized_entropy(CONFUSION, alpha=1)


def test_generalized_entropy_other_alpha() -> None:
    # alpha = 3: sum((b/0.9)^3 - 1) = -2 + 7 (1000/729 - 1) + (8000/729 - 1); divided by 10 * 3 * 2
    spread = -2 + 7 * (1000 / 729 - 1) + (8000 / 729 - 1)
    assert bm.generalized_entropy(CONFUSION, alpha=3) == pytest.approx(spread / 60)


# --- properties -------------------------------------------------------------------------------------------

_COUNT = st.integers(min_value=1, max_value=40)
_GROUP_TABLE = st.lists(st.lists(_COUNT, min_size=4, max_size=4), min_size=1, max_size=3)
_ANY_COUNT = st.integers(min_value=0, max_value=20)


def _group_tables(cells: list[list[int]]) -> np.ndarray:
    """(groups, 2, 2) label x prediction tables from four counts per group."""
    return np.array(cells, dtype=float).reshape(len(cells), 2, 2)


@settings(max_examples=60, deadline=None)
@given(_GROUP_TABLE)
def test_fair_set_gives_fair_values(cells: list[list[int]]) -> None:
    per_facet = _group_tables(cells)
    confusion = np.stack([per_facet, per_facet], axis=1)  # facets a and d identical in every group
    pre = bm.pre_training_metrics(confusion.sum(axis=3), grouped=True)
    post = bm.post_training_metrics(confusion, grouped=True)
    values = {**pre, **post}
    for name in (*DIFFERENCES, "KL", "JS", "LP", "TVD", "KS"):
        assert values[name] == pytest.approx(0.0, abs=1e-12), name
    assert values["DI"] == pytest.approx(1.0)


def _same(left: float, right: float) -> bool:
    if math.isnan(left) or math.isnan(right):
        return math.isnan(left) and math.isnan(right)
    if math.isinf(left) or math.isinf(right):
        return left == right
    return math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(_ANY_COUNT, min_size=8, max_size=8), min_size=1, max_size=3))
def test_swapping_facets_flips_differences(cells: list[list[int]]) -> None:
    confusion = np.array(cells, dtype=float).reshape(len(cells), 2, 2, 2)
    swapped = confusion[:, ::-1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        before = {
            **bm.pre_training_metrics(confusion.sum(axis=3), True),
            **bm.post_training_metrics(confusion, True),
        }
        after = {
            **bm.pre_training_metrics(swapped.sum(axis=3), True),
            **bm.post_training_metrics(swapped, True),
        }
    for name in DIFFERENCES:
        assert _same(after[name], -before[name]), (name, before[name], after[name])
    for name in SYMMETRIC:
        assert _same(after[name], before[name]), name
    with np.errstate(divide="ignore"):
        inverse = float(np.float64(1.0) / np.float64(before["DI"]))
    assert _same(after["DI"], inverse)
