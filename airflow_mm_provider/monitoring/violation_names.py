"""The names a violation of each monitor type can carry, and the check of a violation filter against them.

``constraint_check_type`` values come from the Developer Guide (data quality: "interpreting violations";
bias and explainability drift violations) and from the comparison operators model-quality constraints use.
Model-quality violations name a metric of the problem type; bias violations name a Clarify bias metric.
Data-quality features and explainability labels are the user's own names, so they are not checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from airflow_mm_provider.monitoring.baselining import POST_TRAINING_METRICS, PRE_TRAINING_METRICS
from airflow_mm_provider.monitoring.constraints import COMPARISON_OPERATORS
from airflow_mm_provider.monitoring.statistics import MODEL_QUALITY_METRICS
from airflow_mm_provider.monitoring.types import (
    DATA_QUALITY,
    MODEL_BIAS,
    MODEL_EXPLAINABILITY,
    MODEL_QUALITY,
    monitoring_type_api,
)

CHECK_TYPES: Mapping[str, frozenset[str]] = {
    DATA_QUALITY: frozenset(
        {
            "data_type_check",
            "completeness_check",
            "baseline_drift_check",
            "missing_column_check",
            "extra_column_check",
            "categorical_values_check",
        }
    ),
    MODEL_QUALITY: COMPARISON_OPERATORS,
    MODEL_BIAS: frozenset({"bias_drift_check"}),
    MODEL_EXPLAINABILITY: frozenset({"feature_attribution_drift_check"}),
}
"""The ``constraint_check_type`` values each monitor type's violations use."""

BIAS_METRICS: frozenset[str] = frozenset(PRE_TRAINING_METRICS + POST_TRAINING_METRICS)
"""Every Clarify bias metric a bias violation can name."""

QUALITY_METRICS: frozenset[str] = frozenset().union(*MODEL_QUALITY_METRICS.values())
"""Every model-quality metric, over all problem types."""


def _unknown(field: str, value: str, what: str, known: Iterable[str]) -> ValueError:
    return ValueError(f"{field}: {value!r} is not {what}; known: {', '.join(sorted(known))}")


def check_filter_names(
    monitoring_type: str, check_types: Iterable[str] | None, subjects: Iterable[str] | None
) -> None:
    """Refuse check types the monitor type never writes, and subjects outside a fixed name set.

    Model-quality subjects must be model-quality metric names (e.g. ``f2``); bias subjects a bias metric
    (e.g. ``DPPL``) or a full subject ``<facet>=<value>:<metric>``. Raises ``ValueError`` naming the field.

    :param monitoring_type: the monitor type whose violations are filtered.
    :param check_types: the filter's ``constraint_check_type`` values, or ``None``.
    :param subjects: the filter's subjects, or ``None``.
    """
    monitoring_type = monitoring_type_api(monitoring_type, "monitoring_type").monitoring_type
    known_checks = CHECK_TYPES[monitoring_type]
    for check_type in sorted(check_types or ()):
        if check_type not in known_checks:
            what = f"a constraint_check_type of {monitoring_type} violations"
            raise _unknown("check_types", check_type, what, known_checks)
    for subject in sorted(subjects or ()):
        if monitoring_type == MODEL_QUALITY and subject not in QUALITY_METRICS:
            raise _unknown("subjects", subject, "a model-quality metric", QUALITY_METRICS)
        if monitoring_type == MODEL_BIAS and subject.rsplit(":", 1)[-1] not in BIAS_METRICS:
            raise _unknown(
                "subjects", subject, "a bias metric or a subject <facet>=<value>:<metric>", BIAS_METRICS
            )
