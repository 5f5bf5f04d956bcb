"""Suggested data quality constraints (``constraints.json``) and the monitoring configuration they carry.

Suggestion rules (ours; the container does not publish its own):

- ``completeness`` is the observed share of present values.
- Numeric features get ``num_constraints.is_non_negative`` = ``min >= 0``.
- String features get ``string_constraints.domains`` (sorted values) when the counts are exact, the column has
  at most ``DOMAIN_MAX_VALUES`` distinct values and at most ``DOMAIN_MAX_SINGLETON_SHARE`` of those values
  occur only once (a column of mostly one-off values looks like free text or identifiers, not categories).
- ``monitoring_config`` is what the built-in baseline writes, optionally deep-merged with an override; the
  override may only use the documented keys and values.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from airflow_mm_provider.analysis.dq_statistics import NUMERIC_TYPES, STRING

DOMAIN_MAX_VALUES = 100
DOMAIN_MAX_SINGLETON_SHARE = 0.1
ENABLED = "Enabled"
DISABLED = "Disabled"

DEFAULT_MONITORING_CONFIG: dict[str, Any] = {
    "evaluate_constraints": ENABLED,
    "emit_metrics": ENABLED,
    "datatype_check_threshold": 1.0,
    "domain_content_threshold": 1.0,
    "distribution_constraints": {
        "perform_comparison": ENABLED,
        "comparison_threshold": 0.1,
        "comparison_method": "Robust",
    },
}

_CHOICES: dict[str, tuple[str, ...]] = {
    "evaluate_constraints": (ENABLED, DISABLED),
    "emit_metrics": (ENABLED, DISABLED),
    "perform_comparison": (ENABLED, DISABLED),
    "comparison_method": ("Simple", "Robust"),
    "categorical_drift_method": ("LInfinity", "ChiSquared"),
}
_THRESHOLDS = (
    "datatype_check_threshold",
    "domain_content_threshold",
    "comparison_threshold",
    "categorical_comparison_threshold",
)
_TOP_LEVEL = ("evaluate_constraints", "emit_metrics", "datatype_check_threshold", "domain_content_threshold")
_DISTRIBUTION = (
    "perform_comparison",
    "comparison_threshold",
    "comparison_method",
    "categorical_comparison_threshold",
    "categorical_drift_method",
)


class MonitoringConfigError(ValueError):
    """A ``monitoring_config`` override uses a key or value the data quality analyzer does not know.

    The SDK rejects a bad ``categorical_drift_method`` with "Invalid value for monitoring_config_override.";
    this check runs inside the analysis job, so it is an engine error, not an offline request rule.

    :param field: dotted path of the offending entry, e.g. ``monitoring_config.emit_metrics``.
    :param value: the offending value.
    """

    def __init__(self, field: str, value: Any) -> None:
        self.field = field
        self.value = value
        super().__init__(f"{field}: invalid value for the monitoring_config override (got {value!r})")


def merge_config(base: Mapping[str, Any], override: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of ``base`` with ``override`` applied; ``distribution_constraints`` is merged key by key."""
    merged = copy.deepcopy(dict(base))
    for key, value in (override or {}).items():
        if key == "distribution_constraints" and isinstance(value, Mapping):
            merged[key] = {**merged.get(key, {}), **value}
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def validate_monitoring_config(config: Mapping[str, Any], field: str = "monitoring_config") -> None:
    """Raise :class:`MonitoringConfigError` for unknown keys, bad switches or negative thresholds."""
    distribution = config.get("distribution_constraints", {})
    entries = [
        (f"{field}.{key}", key, value) for key, value in config.items() if key != "distribution_constraints"
    ]
    if not isinstance(distribution, Mapping):
        raise MonitoringConfigError(f"{field}.distribution_constraints", distribution)
    entries += [
        (f"{field}.distribution_constraints.{key}", key, value) for key, value in distribution.items()
    ]
    for path, key, value in entries:
        allowed = _DISTRIBUTION if ".distribution_constraints." in path else _TOP_LEVEL
        if key not in allowed or not _valid_value(key, value):
            raise MonitoringConfigError(path, value)


def _valid_value(key: str, value: Any) -> bool:
    if key in _CHOICES:
        return value in _CHOICES[key]
    if key in _THRESHOLDS:
        try:
            return float(value) >= 0
        except (TypeError, ValueError):
            return False
    return True


def suggest_constraints(
    statistics: Mapping[str, Any], monitoring_config: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Suggest ``constraints.json`` from a baseline ``statistics.json``.

    :param statistics: the baseline statistics document.
    :param monitoring_config: optional override merged over the built-in defaults, e.g.
        ``{"distribution_constraints": {"categorical_drift_method": "ChiSquared"}}``.
    :raises MonitoringConfigError: when the override uses an undocumented key or value.
    """
    if monitoring_config:
        validate_monitoring_config(monitoring_config)
    return {
        "version": 0.0,
        "features": [_feature_constraints(feature) for feature in statistics.get("features", [])],
        "monitoring_config": merge_config(DEFAULT_MONITORING_CONFIG, monitoring_config),
    }


def feature_common(feature: Mapping[str, Any]) -> dict[str, Any]:
    """The ``common`` counters of a statistics feature, whichever statistics block it has."""
    block = feature.get("numerical_statistics") or feature.get("string_statistics") or {}
    common: dict[str, Any] = block.get("common", {})
    return common


def completeness(feature: Mapping[str, Any]) -> float:
    """Share of present values of a statistics feature (0.0 when it saw no rows)."""
    common = feature_common(feature)
    present = common.get("num_present", 0)
    total = present + common.get("num_missing", 0)
    return present / total if total else 0.0


def _feature_constraints(feature: Mapping[str, Any]) -> dict[str, Any]:
    inferred = feature.get("inferred_type", "Unknown")
    suggested: dict[str, Any] = {
        "name": feature["name"],
        "inferred_type": inferred,
        "completeness": completeness(feature),
    }
    if inferred in NUMERIC_TYPES:
        minimum = feature.get("numerical_statistics", {}).get("min")
        if minimum is not None:
            suggested["num_constraints"] = {"is_non_negative": minimum >= 0}
    elif inferred == STRING:
        domain = _small_domain(feature["string_statistics"])
        if domain is not None:
            suggested["string_constraints"] = {"domains": domain}
    return suggested


def _small_domain(stats: Mapping[str, Any]) -> list[str] | None:
    buckets = stats.get("distribution", {}).get("categorical", {}).get("buckets", [])
    present = stats.get("common", {}).get("num_present", 0)
    covered = sum(bucket["count"] for bucket in buckets)
    if not present or covered != present or len(buckets) > DOMAIN_MAX_VALUES:
        return None
    singletons = sum(1 for bucket in buckets if bucket["count"] == 1)
    if singletons > DOMAIN_MAX_SINGLETON_SHARE * len(buckets):
        return None
    return sorted(str(bucket["value"]) for bucket in buckets)
