"""The six data quality checks: current statistics against a baseline and its constraints.

Semantics (from the Developer Guide's violation table, the real violation text quoted in the facts, and the
distance definitions of Deequ, the library the built-in container is built on; where we had to choose, it says
so):

- Settings: a feature's effective ``monitoring_config`` is the global one with the feature's
  ``monitoringConfigOverrides`` (documented spelling) and then its
  ``string_constraints.monitoring_config_overrides`` (the spelling the SDK writes) merged over it.
  ``evaluate_constraints: Disabled`` there skips every check on that feature; globally it also skips
  ``extra_column_check``.
- ``data_type_check``: the share of present values of the expected type must be at least
  ``datatype_check_threshold`` (the built-in ``1.0`` reads "expected match: 100%"). Integral values also count
  as Fractional; a String or Unknown expectation accepts anything. The share comes from per-kind counts of the
  analysed values when the caller has them (``statistics.json`` has no place for them); otherwise from the
  inferred type and, for String columns, from the listed categorical values.
- ``completeness_check``: observed completeness below the feature's ``completeness``.
- ``categorical_values_check``: for features with ``string_constraints.domains``, the share of present values
  inside the domain must be at least ``domain_content_threshold`` (our reading, by analogy with the data type
  threshold; the built-in ``1.0`` therefore flags any value outside the domain). Values beyond the listed
  categories count as outside. Skipped when the current column is numeric.
- ``baseline_drift_check`` (when ``perform_comparison`` is Enabled): numeric columns compare cumulative
  distributions, from the KLL sketches when both sides have one, else piecewise-linear from the ten buckets.
  The ``Simple`` distance is the largest CDF gap; ``Robust`` subtracts the two-sample Kolmogorov-Smirnov
  allowance ``1.8 * sqrt((n + m) / (n * m))`` (floored at 0), so small samples do not drift by chance.
  Categorical columns use ``LInfinity`` (largest gap between value shares, with the same Simple/Robust
  handling) or ``ChiSquared`` (p-value of a goodness-of-fit test of current counts against baseline shares,
  small expected counts pooled; drift when the p-value is *below* the threshold). Numeric thresholds use
  ``comparison_threshold``; categorical ones use ``categorical_comparison_threshold`` when present, else
  ``comparison_threshold``.
- ``missing_column_check`` / ``extra_column_check``: a constraint feature absent from the current statistics,
  or a current feature absent from the constraints (positional ``_cN`` names make this a column count
  comparison).

Descriptions follow the built-in analyzer's texts where a public real output shows them: ``data_type_check``
as in the executed model-monitor example notebook, ``completeness_check`` and ``categorical_values_check`` in
the older Deequ form of the SageMaker SDK's test data (``Value: <measured share> does not meet the constraint
requirement! ``), and ``baseline_drift_check`` as ``Baseline drift distance: <d> exceeds threshold: <t>``,
the form AWS samples parse with ``distance: (.+) exceeds threshold: (.+)``. No real text is public for the
column checks or for a ChiSquared drift, so those are our own wording.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from airflow_mm_provider.analysis.dq_constraints import (
    DEFAULT_MONITORING_CONFIG,
    DISABLED,
    completeness,
    feature_common,
    merge_config,
)
from airflow_mm_provider.analysis.dq_statistics import sketch_items
from airflow_mm_provider.analysis.dq_values import FRACTIONAL, INTEGRAL, STRING, classify

KS_ALLOWANCE = 1.8
_ACCEPTED_KINDS: dict[str, tuple[str, ...]] = {INTEGRAL: (INTEGRAL,), FRACTIONAL: (INTEGRAL, FRACTIONAL)}
_TOLERANCE = 1e-12

Violation = dict[str, str]


def check(
    current_statistics: Mapping[str, Any],
    baseline_statistics: Mapping[str, Any],
    constraints: Mapping[str, Any],
    type_counts: Mapping[str, Mapping[str, int]] | None = None,
) -> list[Violation]:
    """Evaluate the constraints on the current statistics.

    :param current_statistics: ``statistics.json`` of the analysed data.
    :param baseline_statistics: ``statistics.json`` of the baseline (for drift).
    :param constraints: ``constraints.json`` of the baseline.
    :param type_counts: per feature name, how many present values fell in each kind (``Integral``,
        ``Fractional``, ``String``), e.g. from ``DataQualityAccumulator.type_counts()``; features without
        counts have their data type share estimated from the statistics.
    :return: violation records ``{"feature_name", "constraint_check_type", "description"}``, in
        constraint order, extra columns last.
    """
    global_config = merge_config(DEFAULT_MONITORING_CONFIG, constraints.get("monitoring_config"))
    current = {feature["name"]: feature for feature in current_statistics.get("features", [])}
    baseline = {feature["name"]: feature for feature in baseline_statistics.get("features", [])}
    expected = constraints.get("features", [])
    violations: list[Violation] = []
    for constraint in expected:
        config = feature_config(global_config, constraint)
        if config.get("evaluate_constraints") == DISABLED:
            continue
        name = constraint["name"]
        if name not in current:
            violations.append(
                _violation(
                    name,
                    "missing_column_check",
                    f"The baseline has column {name!r} but the current data does not "
                    f"({len(current)} columns now, {len(expected)} in the baseline).",
                )
            )
            continue
        counts = (type_counts or {}).get(name)
        violations += _feature_violations(constraint, current[name], baseline.get(name), config, counts)
    if global_config.get("evaluate_constraints") != DISABLED:
        known = {constraint["name"] for constraint in expected}
        violations += [
            _violation(
                name,
                "extra_column_check",
                f"The current data has column {name!r}, which the baseline does not "
                f"({len(current)} columns now, {len(expected)} in the baseline).",
            )
            for name in current
            if name not in known
        ]
    return violations


def feature_config(global_config: Mapping[str, Any], constraint: Mapping[str, Any]) -> dict[str, Any]:
    """The monitoring config in force for one constraint feature, with both override spellings applied."""
    config = merge_config(global_config, constraint.get("monitoringConfigOverrides"))
    string_constraints = constraint.get("string_constraints") or {}
    return merge_config(config, string_constraints.get("monitoring_config_overrides"))


def _violation(name: str, check_type: str, description: str) -> Violation:
    return {"feature_name": name, "constraint_check_type": check_type, "description": description}


def _number(settings: Mapping[str, Any], key: str, default: float) -> float:
    value = settings.get(key)
    return default if value is None else float(value)


def _percent(share: float) -> str:
    """A share as a percentage in Java's double notation (``100.0``, ``99.64592817400101``)."""
    return repr(float(share * 100))


def _unmet(value: float) -> str:
    """The analyzer's generic text for a measured value that fails its constraint."""
    return f"Value: {float(value)!r} does not meet the constraint requirement! "


def _feature_violations(
    constraint: Mapping[str, Any],
    current: Mapping[str, Any],
    baseline: Mapping[str, Any] | None,
    config: Mapping[str, Any],
    counts: Mapping[str, int] | None,
) -> list[Violation]:
    name = constraint["name"]
    found = [
        _data_type(constraint, current, config, counts),
        _completeness(constraint, current),
        _categorical_values(constraint, current, config),
        _drift(current, baseline, config) if baseline is not None else None,
    ]
    return [_violation(name, check_type, text) for check_type, text in filter(None, found)]


def _data_type(
    constraint: Mapping[str, Any],
    current: Mapping[str, Any],
    config: Mapping[str, Any],
    counts: Mapping[str, int] | None,
) -> tuple[str, str] | None:
    expected = constraint.get("inferred_type")
    share = type_match_share(expected, current, counts)
    threshold = _number(config, "datatype_check_threshold", 1.0)
    if share is None or share >= threshold:
        return None
    return (
        "data_type_check",
        f"Data type match requirement is not met. Expected data type: {expected}, "
        f"Expected match: {_percent(threshold)}%. Observed: Only {_percent(share)}% of data is {expected}.",
    )


def type_match_share(
    expected: str | None, current: Mapping[str, Any], counts: Mapping[str, int] | None = None
) -> float | None:
    """Share of present current values that fit ``expected``, or ``None`` when nothing can be measured.

    :param expected: the baseline's ``inferred_type``.
    :param current: the current feature's ``statistics.json`` entry.
    :param counts: how many present values fell in each kind, when known; else estimated from ``current``.
    """
    accepted = _ACCEPTED_KINDS.get(expected or "")
    present: int = feature_common(current).get("num_present", 0)
    if accepted is None or not present:
        return None
    if counts is not None:
        return sum(counts.get(kind, 0) for kind in accepted) / present
    observed = current.get("inferred_type")
    if observed in accepted:
        return 1.0
    if observed == STRING:
        fitting: int = sum(
            bucket["count"] for bucket in _categorical_buckets(current) if _kind(bucket["value"]) in accepted
        )
        return fitting / present
    return 0.0


def _kind(value: object) -> str | None:
    parsed = classify(str(value))
    return parsed[0] if parsed else None


def _completeness(constraint: Mapping[str, Any], current: Mapping[str, Any]) -> tuple[str, str] | None:
    required = constraint.get("completeness")
    if required is None:
        return None
    observed = completeness(current)
    if observed >= float(required) - _TOLERANCE:
        return None
    return "completeness_check", _unmet(observed)


def _categorical_values(
    constraint: Mapping[str, Any], current: Mapping[str, Any], config: Mapping[str, Any]
) -> tuple[str, str] | None:
    domain = (constraint.get("string_constraints") or {}).get("domains")
    present = feature_common(current).get("num_present", 0)
    if not domain or "string_statistics" not in current or not present:
        return None
    allowed = {str(value) for value in domain}
    inside = sum(
        bucket["count"] for bucket in _categorical_buckets(current) if str(bucket["value"]) in allowed
    )
    share = inside / present
    threshold = _number(config, "domain_content_threshold", 1.0)
    if share >= threshold:
        return None
    return "categorical_values_check", _unmet(share)


def _categorical_buckets(feature: Mapping[str, Any]) -> list[dict[str, Any]]:
    stats = feature.get("string_statistics") or {}
    buckets: list[dict[str, Any]] = stats.get("distribution", {}).get("categorical", {}).get("buckets", [])
    return buckets


def _drift(
    current: Mapping[str, Any], baseline: Mapping[str, Any], config: Mapping[str, Any]
) -> tuple[str, str] | None:
    settings = config.get("distribution_constraints") or {}
    if settings.get("perform_comparison", "Enabled") == DISABLED:
        return None
    n = feature_common(current).get("num_present", 0)
    m = feature_common(baseline).get("num_present", 0)
    if not n or not m:
        return None
    threshold = _number(settings, "comparison_threshold", 0.1)
    robust = settings.get("comparison_method", "Robust") != "Simple"
    if "numerical_statistics" in current and "numerical_statistics" in baseline:
        distance = numeric_distance(current["numerical_statistics"], baseline["numerical_statistics"])
        return _distance_verdict(distance, n, m, robust, threshold)
    if "string_statistics" in current and "string_statistics" in baseline:
        threshold = _number(settings, "categorical_comparison_threshold", threshold)
        mine, theirs = _counts(current), _counts(baseline)
        if settings.get("categorical_drift_method") == "ChiSquared":
            return _chi_square_verdict(mine, theirs, threshold)
        return _distance_verdict(categorical_distance(mine, n, theirs, m), n, m, robust, threshold)
    return None


def _distance_verdict(
    distance: float | None, n: int, m: int, robust: bool, threshold: float
) -> tuple[str, str] | None:
    if distance is None:
        return None
    if robust:
        distance = robust_distance(distance, n, m)
    if distance <= threshold:
        return None
    return (
        "baseline_drift_check",
        f"Baseline drift distance: {float(distance)!r} exceeds threshold: {float(threshold)!r}",
    )


def _chi_square_verdict(
    current: dict[str, float], baseline: dict[str, float], threshold: float
) -> tuple[str, str] | None:
    p_value = chi_square_p_value(current, baseline)
    if p_value is None or p_value >= threshold:
        return None
    return (
        "baseline_drift_check",
        f"Drift from the baseline: the chi-squared test p-value {p_value:.6g} is below the threshold "
        f"{threshold:g}.",
    )


def robust_distance(distance: float, n: float, m: float) -> float:
    """``distance`` minus the two-sample Kolmogorov-Smirnov allowance for ``n`` and ``m`` samples (min 0)."""
    return max(0.0, distance - KS_ALLOWANCE * math.sqrt((n + m) / (n * m)))


def numeric_distance(current: Mapping[str, Any], baseline: Mapping[str, Any]) -> float | None:
    """Largest gap between the two cumulative distributions, or ``None`` when either has no distribution."""
    current_cdf, baseline_cdf = _cdf(current), _cdf(baseline)
    if current_cdf is None or baseline_cdf is None:
        return None
    points = np.union1d(current_cdf[0], baseline_cdf[0])
    return float(np.max(np.abs(current_cdf[1](points) - baseline_cdf[1](points))))


def _cdf(stats: Mapping[str, Any]) -> tuple[np.ndarray, Any] | None:
    kll = stats.get("distribution", {}).get("kll", {})
    values, weights = sketch_items(kll.get("sketch", {}).get("data", []))
    if values.size:
        order = np.argsort(values, kind="stable")
        ordered = values[order]
        cumulative = np.concatenate(([0.0], np.cumsum(weights[order]))) / weights.sum()
        return ordered, lambda x: cumulative[np.searchsorted(ordered, x, side="right")]
    buckets = kll.get("buckets", [])
    total = sum(float(bucket["count"]) for bucket in buckets)
    if not total:
        return None
    edges = np.array(
        [float(buckets[0]["lower_bound"])] + [float(bucket["upper_bound"]) for bucket in buckets]
    )
    shares = np.concatenate(([0.0], np.cumsum([float(bucket["count"]) for bucket in buckets]))) / total
    return edges, lambda x: np.interp(x, edges, shares, left=0.0, right=1.0)


def _counts(feature: Mapping[str, Any]) -> dict[str, float]:
    return {str(bucket["value"]): float(bucket["count"]) for bucket in _categorical_buckets(feature)}


def categorical_distance(
    current: Mapping[str, float], n: float, baseline: Mapping[str, float], m: float
) -> float:
    """Largest gap between the shares of any value (shares of ``n`` and ``m`` present values)."""
    values = set(current) | set(baseline)
    return max((abs(current.get(v, 0.0) / n - baseline.get(v, 0.0) / m) for v in values), default=0.0)


def chi_square_p_value(current: Mapping[str, float], baseline: Mapping[str, float]) -> float | None:
    """p-value of a chi-squared goodness-of-fit test of current counts against baseline shares.

    Only values the baseline lists take part. Expected counts are pooled, smallest first, until no more than
    20% of them are below 5 (all at least 10 with two categories). ``None`` when fewer than two groups remain.
    """
    base_total = sum(count for count in baseline.values() if count > 0)
    observed_total = sum(current.get(value, 0.0) for value, count in baseline.items() if count > 0)
    if not base_total:
        return None
    if not observed_total:
        return 0.0
    groups = sorted(
        (
            [count / base_total * observed_total, current.get(value, 0.0)]
            for value, count in baseline.items()
            if count > 0
        ),
    )
    while len(groups) >= 2:
        limit, allowed = (10.0, 0) if len(groups) == 2 else (5.0, int(0.2 * len(groups)))
        if sum(1 for expected, _ in groups if expected < limit) <= allowed:
            break
        smallest = groups.pop(0)
        groups[0] = [groups[0][0] + smallest[0], groups[0][1] + smallest[1]]
        groups.sort()
    if len(groups) < 2:
        return None
    statistic = sum((observed - expected) ** 2 / expected for expected, observed in groups)
    return chi_square_survival(statistic, len(groups) - 1)


def chi_square_survival(statistic: float, dof: int) -> float:
    """P(X >= statistic) for X chi-squared with ``dof`` degrees of freedom (closed forms, integer ``dof``)."""
    if statistic <= 0:
        return 1.0
    half = statistic / 2
    log_half = math.log(half)
    if dof % 2 == 0:
        terms = (i * log_half - math.lgamma(i + 1) - half for i in range(dof // 2))
        return min(1.0, math.fsum(math.exp(t) for t in terms))
    terms = ((i - 0.5) * log_half - math.lgamma(i + 0.5) - half for i in range(1, (dof - 1) // 2 + 1))
    return min(1.0, math.erfc(math.sqrt(half)) + math.fsum(math.exp(t) for t in terms))
