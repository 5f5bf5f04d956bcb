"""Clarify-style bias metrics computed from count tables.

Every metric here is a function of how many records fall in each cell of a small table, so callers can count
records as they stream by and never keep the records themselves. The tables use these axes (index 0 / 1):

- facet: 0 = facet *a* (every record outside the sensitive group), 1 = facet *d* (the sensitive group);
- label: 0 = observed outcome negative (rejected), 1 = positive (accepted);
- predicted: 0 = predicted negative, 1 = predicted positive.

``label_counts`` has shape ``(groups, 2, 2)`` = [group][facet][label] and ``confusion_counts`` has shape
``(groups, 2, 2, 2)`` = [group][facet][label][predicted]; ``groups`` is the number of values of the analysis
config's ``group_variable`` (1 when there is none). Summing over the group axis gives the plain tables.

Every table may carry extra leading axes (a batch of tables, such as bootstrap resamples): a function then
returns an array of values, one per table, instead of a float.

Zero denominators do not raise: ``x/0`` is ``±inf`` for ``x != 0`` and ``0/0`` is ``NaN``, and these propagate
through the differences (``inf - inf`` is ``NaN``). The reference implementation turns ``0/0`` into 0 and some
``inf - inf`` into 0; we keep the IEEE values instead, so "undefined" is never reported as "fair".

Conventions where the formula sheet is silent:

- KL, JS, LP, TVD and KS compare the distributions of the binary (positive / negative) label over the full
  support {0, 1}. A term with ``P_a(x) = 0`` adds nothing to KL, and ``P_a(x) > 0`` with ``P_d(x) = 0`` makes
  KL infinite. (The reference drops label values missing from either facet instead, which keeps KL finite.)
- CDDL / CDDPL: a group in which every record has the same outcome has no demographic disparity to measure,
  so it contributes ``DD_i = 0`` (still weighted by its size); the metric is ``NaN`` when the whole set has
  only one outcome. This keeps the metric antisymmetric in the two facets.
- GE uses alpha = 2 over all records of both facets, with benefit ``b = y' - y + 1``: 0 for a false negative,
  1 for a correct prediction, 2 for a false positive. ``NaN`` when the mean benefit is 0.
- FT (flip test) needs the model's features and a nearest-neighbour model, so it is not computed here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping
from typing import Any, ParamSpec

import numpy as np
import numpy.typing as npt

__all__ = [
    "FAIR_VALUES",
    "GROUPED_METRICS",
    "POST_TRAINING_METRICS",
    "PRE_TRAINING_METRICS",
    "accuracy_difference",
    "class_imbalance",
    "conditional_demographic_disparity",
    "difference_in_acceptance_rates",
    "difference_in_conditional_acceptance",
    "difference_in_conditional_rejection",
    "difference_in_proportions",
    "difference_in_rejection_rates",
    "disparate_impact",
    "generalized_entropy",
    "jensen_shannon",
    "kolmogorov_smirnov",
    "kullback_leibler",
    "label_distributions",
    "lp_norm",
    "post_training_metrics",
    "pre_training_metrics",
    "recall_difference",
    "specificity_difference",
    "total_variation_distance",
    "treatment_equality",
]

A, D = 0, 1
NEG, POS = 0, 1

PRE_TRAINING_METRICS: Mapping[str, str] = {
    "CDDL": "Conditional Demographic Disparity in Labels (CDDL)",
    "CI": "Class Imbalance (CI)",
    "DPL": "Difference in Positive Proportions in Labels (DPL)",
    "JS": "Jensen-Shannon Divergence (JS)",
    "KL": "Kullback-Leibler Divergence (KL)",
    "KS": "Kolmogorov-Smirnov Distance (KS)",
    "LP": "L-p Norm (LP)",
    "TVD": "Total Variation Distance (TVD)",
}
"""Pre-training metric names (as ``analysis.json`` spells them) and their descriptions."""

POST_TRAINING_METRICS: Mapping[str, str] = {
    "AD": "Accuracy Difference (AD)",
    "CDDPL": "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
    "DAR": "Difference in Acceptance Rates (DAR)",
    "DCA": "Difference in Conditional Acceptance (DCA)",
    "DCR": "Difference in Conditional Rejection (DCR)",
    "DI": "Disparate Impact (DI)",
    "DPPL": "Difference in Positive Proportions in Predicted Labels (DPPL)",
    "DRR": "Difference in Rejection Rates (DRR)",
    "GE": "Generalized Entropy (GE)",
    "RD": "Recall Difference (RD)",
    "SD": "Specificity Difference (SD)",
    "TE": "Treatment Equality (TE)",
}
"""Post-training metric names and descriptions (FT is left out: it needs the model)."""

GROUPED_METRICS = frozenset({"CDDL", "CDDPL"})
"""Metrics that need the analysis config's ``group_variable``."""

FAIR_VALUES: Mapping[str, float] = {
    name: 1.0 if name == "DI" else 0.0 for name in (*PRE_TRAINING_METRICS, *POST_TRAINING_METRICS, "FT")
}
"""The value each metric takes on a perfectly fair data set (1 for DI, 0 for every other metric)."""


_Params = ParamSpec("_Params")


def _ieee(function: Callable[_Params, Any]) -> Callable[_Params, float | np.ndarray]:
    """Evaluate ``function`` with IEEE results (inf, NaN) instead of warnings on zero denominators; a single
    value comes back as a Python float, a batch as an array."""

    @functools.wraps(function)
    def evaluate(*args: _Params.args, **kwargs: _Params.kwargs) -> float | np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.asarray(function(*args, **kwargs), dtype=np.float64)
        return float(value) if value.ndim == 0 else value

    return evaluate


def _ratio(numerator: npt.ArrayLike, denominator: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """``numerator / denominator`` as float64 (callers run under :func:`_ieee`, so 0 denominators give
    inf or NaN)."""
    ratio: npt.NDArray[np.float64] = np.divide(
        np.asarray(numerator, dtype=np.float64), np.asarray(denominator, dtype=np.float64)
    )
    return ratio


# --- pre-training -----------------------------------------------------------------------------------------


@_ieee
def class_imbalance(n_a: float | np.ndarray, n_d: float | np.ndarray) -> np.ndarray:
    """CI = (n_a - n_d) / (n_a + n_d).

    :param n_a: number of records in facet a.
    :param n_d: number of records in facet d.
    """
    return _ratio(np.subtract(n_a, n_d), np.add(n_a, n_d))


@_ieee
def difference_in_proportions(
    positive_a: float | np.ndarray,
    n_a: float | np.ndarray,
    positive_d: float | np.ndarray,
    n_d: float | np.ndarray,
) -> np.ndarray:
    """DPL (observed labels) or DPPL (predicted labels): positive_a/n_a - positive_d/n_d.

    :param positive_a: positive outcomes in facet a.
    :param n_a: records in facet a.
    :param positive_d: positive outcomes in facet d.
    :param n_d: records in facet d.
    """
    return _ratio(positive_a, n_a) - _ratio(positive_d, n_d)


def label_distributions(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (P_a, P_d), the label distributions over {negative, positive} of facets a and d.

    :param labels: counts of shape (2, 2) = [facet][label].
    """
    table = np.asarray(labels, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = table / table.sum(axis=-1, keepdims=True)
    return shares[..., A, :], shares[..., D, :]


def _kl(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Kullback-Leibler divergence sum p log(p/q) over the last axis, with 0 log(0/q) = 0 and p log(p/0) = inf
    for p > 0; NaN when either distribution is undefined."""
    terms = np.where(p > 0, p * np.log(p / q), 0.0)
    undefined = np.isnan(p).any(axis=-1) | np.isnan(q).any(axis=-1)
    return np.where(undefined, np.nan, terms.sum(axis=-1))


@_ieee
def kullback_leibler(labels: np.ndarray) -> np.ndarray:
    """KL = sum_x P_a(x) log(P_a(x) / P_d(x)) (natural logarithm).

    :param labels: counts of shape (2, 2) = [facet][label].
    """
    p_a, p_d = label_distributions(labels)
    return _kl(p_a, p_d)


@_ieee
def jensen_shannon(labels: np.ndarray) -> np.ndarray:
    """JS = (KL(P_a || M) + KL(P_d || M)) / 2 with M = (P_a + P_d) / 2.

    :param labels: counts of shape (2, 2) = [facet][label].
    """
    p_a, p_d = label_distributions(labels)
    middle = (p_a + p_d) / 2
    divergence: np.ndarray = (_kl(p_a, middle) + _kl(p_d, middle)) / 2
    return divergence


@_ieee
def lp_norm(labels: np.ndarray, order: float = 2) -> np.ndarray:
    """LP = the L-``order`` norm of P_a - P_d (Clarify's LP uses order 2).

    :param labels: counts of shape (2, 2) = [facet][label].
    :param order: the norm's order (``np.inf`` gives the maximum absolute difference).
    """
    p_a, p_d = label_distributions(labels)
    norm: np.ndarray = np.linalg.norm(p_a - p_d, order, axis=-1)
    return norm


@_ieee
def total_variation_distance(labels: np.ndarray) -> float | np.ndarray:
    """TVD = half the L1 norm of P_a - P_d.

    :param labels: counts of shape (2, 2) = [facet][label].
    """
    return lp_norm(labels, 1) / 2


@_ieee
def kolmogorov_smirnov(labels: np.ndarray) -> float | np.ndarray:
    """KS = the largest absolute difference between P_a and P_d over the label values.

    :param labels: counts of shape (2, 2) = [facet][label].
    """
    return lp_norm(labels, np.inf)


@_ieee
def conditional_demographic_disparity(outcomes: np.ndarray) -> np.ndarray:
    """CDD = (1/n) sum_i n_i DD_i, DD_i = d's share of group i's rejections - d's share of its acceptances.

    Used as CDDL with observed labels and CDDPL with predicted labels. A group with only one outcome
    contributes DD_i = 0; the result is NaN when the whole set has only one outcome (or no records).

    :param outcomes: counts of shape (groups, 2, 2) = [group][facet][outcome].
    """
    table = np.asarray(outcomes, dtype=np.float64)
    per_outcome = table.sum(axis=(-3, -2))
    rejected = table[..., NEG].sum(axis=-1)
    accepted = table[..., POS].sum(axis=-1)
    measurable = (rejected > 0) & (accepted > 0)
    disparity = table[..., D, NEG] / rejected - table[..., D, POS] / accepted
    disparity = np.where(measurable, disparity, 0.0)
    sizes = table.sum(axis=(-2, -1))
    value = _ratio((sizes * disparity).sum(axis=-1), sizes.sum(axis=-1))
    return np.where((per_outcome[..., NEG] == 0) | (per_outcome[..., POS] == 0), np.nan, value)


# --- post-training ----------------------------------------------------------------------------------------


def _cells(confusion: np.ndarray, facet: int) -> tuple[Any, Any, Any, Any]:
    """Return (TP, FP, TN, FN) of ``facet`` from a (..., 2, 2, 2) = [facet][label][predicted] table."""
    table = np.asarray(confusion, dtype=np.float64)[..., facet, :, :]
    return table[..., POS, POS], table[..., NEG, POS], table[..., NEG, NEG], table[..., POS, NEG]


@_ieee
def disparate_impact(confusion: np.ndarray) -> np.ndarray:
    """DI = (n'_d(1) / n_d) / (n'_a(1) / n_a).

    :param confusion: counts of shape (2, 2, 2) = [facet][label][predicted].
    """
    table = np.asarray(confusion, dtype=np.float64)
    predicted_positive = table[..., POS].sum(axis=-1)
    size = table.sum(axis=(-2, -1))
    return _ratio(
        _ratio(predicted_positive[..., D], size[..., D]), _ratio(predicted_positive[..., A], size[..., A])
    )


@_ieee
def difference_in_conditional_acceptance(confusion: np.ndarray) -> np.ndarray:
    """DCA = n_a(1)/n'_a(1) - n_d(1)/n'_d(1).

    :param confusion: counts of shape (2, 2, 2) = [facet][label][predicted].
    """
    tp_a, fp_a, _, fn_a = _cells(confusion, A)
    tp_d, fp_d, _, fn_d = _cells(confusion, D)
    return _ratio(tp_a + fn_a, tp_a + fp_a) - _ratio(tp_d + fn_d, tp_d + fp_d)


@_ieee
def difference_in_conditional_rejection(confusion: np.ndarray) -> np.ndarray:
    """DCR = n_d(0)/n'_d(0) - n_a(0)/n'_a(0).

    :param confusion: counts of shape (2, 2, 2) = [facet][label][predicted].
    """
    _, fp_a, tn_a, fn_a = _cells(confusion, A)
    _, fp_d, tn_d, fn_d = _cells(confusion, D)
    return _ratio(tn_d + fp_d, tn_d + fn_d) - _ratio(tn_a + fp_a, tn_a + fn_a)


@_ieee
def recall_difference(confusion: np.ndarray) -> np.ndarray:
    """RD = TP_a/(TP_a + FN_a) - TP_d/(TP_d + FN_d).

    :param confusion: counts of shape (2, 2, 2) = [facet][label][predicted].
    """
    tp_a, _, _, fn_a = _cells(confusion, A)
    tp_d, _, _, fn_d = _cells(confusion, D)
    return _ratio(tp_a, tp_a + fn_a) - _ratio(tp_d, tp_d + fn_d)


@_ieee
def specificity_difference(confusion: np.ndarray) -> np.ndarray:
    """SD = TN_d/(TN_d + FP_d) - TN_a/(TN_a + FP_a).

    :param confusion: counts of shape (2, 2, 2) = [facet][label][predicted].
    """
    _, fp_a, tn_a, _ = _cells(confusion, A)
    _, fp_d, tn_d, _ = _cells(confusion, D)
    return _ratio(tn_d, tn_d + fp_d) - _ratio(tn_a, tn_a + fp_a)


@_ieee
def difference_in_acceptance_rates(confusion: np.ndarray) -> np.ndarray:
    """DAR = TP_a/(TP_a + FP_a) - TP_d/(TP_d + FP_d).

    :param confusion: counts of shape (2, 2, 2) = [facet][label][predicted].
    """
    tp_a, fp_a, _, _ = _cells(confusion, A)
    tp_d, fp_d, _, _ = _cells(confusion, D)
    return _ratio(tp_a, tp_a + fp_a) - _ratio(tp_d, tp_d + fp_d)


@_ieee
def difference_in_rejection_rates(confusion: np.ndarray) -> np.ndarray:
    """DRR = TN_d/(TN_d + FN_d) - TN_a/(TN_a + FN_a).

    :param confusion: counts of shape (2, 2, 2) = [facet][label][predicted].
    """
    _, _, tn_a, fn_a = _cells(confusion, A)
    _, _, tn_d, fn_d = _cells(confusion, D)
    return _ratio(tn_d, tn_d + fn_d) - _ratio(tn_a, tn_a + fn_a)


@_ieee
def accuracy_difference(confusion: np.ndarray) -> np.ndarray:
    """AD = ACC_a - ACC_d with ACC = (TP + TN) / n.

    :param confusion: counts of shape (2, 2, 2) = [facet][label][predicted].
    """
    tp_a, fp_a, tn_a, fn_a = _cells(confusion, A)
    tp_d, fp_d, tn_d, fn_d = _cells(confusion, D)
    return _ratio(tp_a + tn_a, tp_a + fp_a + tn_a + fn_a) - _ratio(tp_d + tn_d, tp_d + fp_d + tn_d + fn_d)


@_ieee
def treatment_equality(confusion: np.ndarray) -> np.ndarray:
    """TE = FN_d/FP_d - FN_a/FP_a.

    :param confusion: counts of shape (2, 2, 2) = [facet][label][predicted].
    """
    _, fp_a, _, fn_a = _cells(confusion, A)
    _, fp_d, _, fn_d = _cells(confusion, D)
    return _ratio(fn_d, fp_d) - _ratio(fn_a, fp_a)


@_ieee
def generalized_entropy(confusion: np.ndarray, alpha: float = 2.0) -> np.ndarray:
    """GE = 1/(n alpha (alpha - 1)) sum_i ((b_i / mean(b))^alpha - 1) over benefits b = y' - y + 1.

    Benefits take only the values 0 (false negative), 1 (correct) and 2 (false positive), so the sum is
    computed from the three counts.

    :param confusion: counts of shape (2, 2, 2) = [facet][label][predicted]; both facets are pooled.
    :param alpha: the index's parameter, not 0 or 1 (Clarify uses 2).
    """
    if alpha in (0, 1):
        raise ValueError("generalized entropy needs alpha other than 0 and 1")
    table = np.asarray(confusion, dtype=np.float64).sum(axis=-3)
    counts = np.stack(
        [table[..., POS, NEG], table[..., POS, POS] + table[..., NEG, NEG], table[..., NEG, POS]], axis=-1
    )
    benefits = np.array([0.0, 1.0, 2.0])
    total = counts.sum(axis=-1)
    mean = _ratio((counts * benefits).sum(axis=-1), total)
    spread = (counts * ((benefits / mean[..., None]) ** alpha - 1)).sum(axis=-1)
    return np.where((total == 0) | (mean == 0), np.nan, spread / (total * alpha * (alpha - 1)))


# --- metric sets ------------------------------------------------------------------------------------------

_PRE: Mapping[str, Callable[[np.ndarray], float | np.ndarray]] = {
    "CI": lambda labels: class_imbalance(labels[..., A, :].sum(axis=-1), labels[..., D, :].sum(axis=-1)),
    "DPL": lambda labels: difference_in_proportions(
        labels[..., A, POS],
        labels[..., A, :].sum(axis=-1),
        labels[..., D, POS],
        labels[..., D, :].sum(axis=-1),
    ),
    "JS": jensen_shannon,
    "KL": kullback_leibler,
    "KS": kolmogorov_smirnov,
    "LP": lp_norm,
    "TVD": total_variation_distance,
}

_POST: Mapping[str, Callable[[np.ndarray], float | np.ndarray]] = {
    "AD": accuracy_difference,
    "DAR": difference_in_acceptance_rates,
    "DCA": difference_in_conditional_acceptance,
    "DCR": difference_in_conditional_rejection,
    "DI": disparate_impact,
    "DPPL": lambda confusion: difference_in_proportions(
        confusion[..., A, :, POS].sum(axis=-1),
        confusion[..., A, :, :].sum(axis=(-2, -1)),
        confusion[..., D, :, POS].sum(axis=-1),
        confusion[..., D, :, :].sum(axis=(-2, -1)),
    ),
    "DRR": difference_in_rejection_rates,
    "GE": generalized_entropy,
    "RD": recall_difference,
    "SD": specificity_difference,
    "TE": treatment_equality,
}


def _selected(catalogue: Mapping[str, str], names: Collection[str] | None, grouped: bool) -> list[str]:
    """Sorted names of ``catalogue`` to compute: ``names`` (or all), minus the grouped ones without groups."""
    chosen = sorted(catalogue if names is None else set(names) & set(catalogue))
    return [name for name in chosen if grouped or name not in GROUPED_METRICS]


def pre_training_metrics(
    label_counts: np.ndarray, grouped: bool, names: Collection[str] | None = None
) -> dict[str, Any]:
    """Compute pre-training metrics from observed-label counts; returns {name: value} sorted by name.

    :param label_counts: counts of shape (..., groups, 2, 2) = [group][facet][label]; with leading axes the
        values are arrays over them.
    :param grouped: whether the group axis holds a real ``group_variable`` (else CDDL is left out).
    :param names: the metric names to compute (others are ignored); None: all.
    """
    grouped_table = np.asarray(label_counts, dtype=np.float64)
    table = grouped_table.sum(axis=-3)
    result: dict[str, Any] = {}
    for name in _selected(PRE_TRAINING_METRICS, names, grouped):
        result[name] = (
            conditional_demographic_disparity(grouped_table) if name == "CDDL" else _PRE[name](table)
        )
    return result


def post_training_metrics(
    confusion_counts: np.ndarray, grouped: bool, names: Collection[str] | None = None
) -> dict[str, Any]:
    """Compute post-training metrics from label x prediction counts; returns {name: value} sorted by name.

    :param confusion_counts: counts of shape (..., groups, 2, 2, 2) = [group][facet][label][predicted]; with
        leading axes the values are arrays over them.
    :param grouped: whether the group axis holds a real ``group_variable`` (else CDDPL is left out).
    :param names: the metric names to compute (others are ignored); None: all.
    """
    grouped_table = np.asarray(confusion_counts, dtype=np.float64)
    table = grouped_table.sum(axis=-4)
    result: dict[str, Any] = {}
    for name in _selected(POST_TRAINING_METRICS, names, grouped):
        if name == "CDDPL":
            result[name] = conditional_demographic_disparity(grouped_table.sum(axis=-2))
        else:
            result[name] = _POST[name](table)
    return result
