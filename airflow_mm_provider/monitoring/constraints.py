"""Views of ``constraints.json`` for data quality and model quality, readable and writable.

Data quality: per-feature constraints plus a ``monitoring_config``. A feature may switch evaluation or
metrics off for itself; SageMaker's docs spell that ``monitoringConfigOverrides`` at feature level, while the
SDK writes ``string_constraints.monitoring_config_overrides``. Both are read and written back where they were
found; the effective override merges them, the ``string_constraints`` one winning on a conflict (it is what
the SDK's ``set_monitoring`` writes).

Model quality: ``<problem>_constraints`` maps a metric to ``{"threshold", "comparison_operator"}``. The
operator names the *violating* condition, compared strictly: ``GreaterThanThreshold`` violates when
value > threshold, ``LessThanThreshold`` when value < threshold. Only these two operators are evidenced, so
only they are accepted. A ``NaN`` value violates nothing (every comparison with it is false).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, overload

from airflow_mm_provider.monitoring.paths import CONSTRAINTS_FILE
from airflow_mm_provider.monitoring.report_json import (
    json_number,
    json_safe_object,
    list_at,
    load_json_object,
    mapping_at,
    named_entry,
    optional_text,
    parse_number,
)
from airflow_mm_provider.monitoring.statistics import (
    PROBLEM_TYPE_KEYS,
    detect_problem_type,
)
from airflow_mm_provider.monitoring.types import MODEL_QUALITY
from airflow_mm_provider.monitoring.value_objects import ValueObject
from airflow_mm_provider.monitoring.violations import (
    Violation,
    ViolationReport,
)

ENABLED = "Enabled"
DISABLED = "Disabled"
GREATER_THAN_THRESHOLD = "GreaterThanThreshold"
LESS_THAN_THRESHOLD = "LessThanThreshold"
COMPARISON_OPERATORS: frozenset[str] = frozenset({GREATER_THAN_THRESHOLD, LESS_THAN_THRESHOLD})

_CONFIG_OPTIONAL_NUMBERS = ("datatype_check_threshold", "domain_content_threshold")
_DISTRIBUTION_NUMBERS = ("comparison_threshold", "categorical_comparison_threshold")
_DISTRIBUTION_TEXTS = ("perform_comparison", "comparison_method", "categorical_drift_method")


@overload
def _switch(value: Any, where: str, default: str) -> str: ...


@overload
def _switch(value: Any, where: str, default: None) -> str | None: ...


def _switch(value: Any, where: str, default: str | None) -> str | None:
    if value is None:
        return default
    if value not in (ENABLED, DISABLED):
        raise ValueError(f"{where}: must be {ENABLED!r} or {DISABLED!r} (got {value!r})")
    return str(value)


def _without_none(items: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in items.items() if value is not None}


def _text_map(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: must be a JSON object (got {type(value).__name__})")
    return {str(key): str(item) for key, item in value.items()}


@dataclass(frozen=True, eq=False, repr=False)
class DistributionConstraints(ValueObject):
    """``monitoring_config.distribution_constraints``; ``None`` means absent (the analyzer's default applies).

    :param perform_comparison: ``Enabled`` or ``Disabled``: whether ``baseline_drift_check`` runs.
    :param comparison_threshold: distance above which a numeric distribution has drifted.
    :param comparison_method: ``Simple`` or ``Robust``.
    :param categorical_comparison_threshold: distance above which a categorical distribution has drifted.
    :param categorical_drift_method: ``LInfinity`` or ``ChiSquared``.
    """

    perform_comparison: str | None = None
    comparison_threshold: float | None = None
    comparison_method: str | None = None
    categorical_comparison_threshold: float | None = None
    categorical_drift_method: str | None = None

    @classmethod
    def from_json(cls, item: Mapping[str, Any], where: str) -> DistributionConstraints:
        """Read the object at ``where`` (quoted in errors)."""
        return cls(
            perform_comparison=_switch(item.get("perform_comparison"), f"{where}.perform_comparison", None),
            comparison_threshold=parse_number(
                item.get("comparison_threshold"), f"{where}.comparison_threshold"
            ),
            comparison_method=optional_text(item.get("comparison_method")),
            categorical_comparison_threshold=parse_number(
                item.get("categorical_comparison_threshold"), f"{where}.categorical_comparison_threshold"
            ),
            categorical_drift_method=optional_text(item.get("categorical_drift_method")),
        )

    def to_json(self) -> dict[str, Any]:
        """The object as written in ``constraints.json`` (absent fields left out)."""
        return _without_none(
            {key: getattr(self, key) for key in (*_DISTRIBUTION_TEXTS, *_DISTRIBUTION_NUMBERS)}
        )


@dataclass(frozen=True, eq=False, repr=False)
class MonitoringConfig(ValueObject):
    """``monitoring_config`` of a data-quality ``constraints.json``.

    :param evaluate_constraints: ``Enabled`` (default) or ``Disabled``.
    :param emit_metrics: ``Enabled`` (default) or ``Disabled``: CloudWatch metrics for data quality.
    :param datatype_check_threshold: tolerance of ``data_type_check``; ``None`` when absent.
    :param domain_content_threshold: tolerance of ``categorical_values_check``; ``None`` when absent.
    :param distribution_constraints: settings of ``baseline_drift_check``; ``None`` when absent.
    """

    evaluate_constraints: str = ENABLED
    emit_metrics: str = ENABLED
    datatype_check_threshold: float | None = None
    domain_content_threshold: float | None = None
    distribution_constraints: DistributionConstraints | None = None

    @classmethod
    def from_json(cls, item: Mapping[str, Any], where: str) -> MonitoringConfig:
        """Read the object at ``where`` (quoted in errors); absent switches default to ``Enabled``."""
        distribution = mapping_at(item, "distribution_constraints", where, required=False)
        return cls(
            evaluate_constraints=_switch(
                item.get("evaluate_constraints"), f"{where}.evaluate_constraints", ENABLED
            ),
            emit_metrics=_switch(item.get("emit_metrics"), f"{where}.emit_metrics", ENABLED),
            **{key: parse_number(item.get(key), f"{where}.{key}") for key in _CONFIG_OPTIONAL_NUMBERS},
            distribution_constraints=(
                DistributionConstraints.from_json(distribution, f"{where}.distribution_constraints")
                if "distribution_constraints" in item
                else None
            ),
        )

    def to_json(self) -> dict[str, Any]:
        """The object as written in ``constraints.json``; both switches are always written."""
        document: dict[str, Any] = {
            "evaluate_constraints": self.evaluate_constraints,
            "emit_metrics": self.emit_metrics,
        }
        document.update(_without_none({key: getattr(self, key) for key in _CONFIG_OPTIONAL_NUMBERS}))
        if self.distribution_constraints is not None:
            document["distribution_constraints"] = self.distribution_constraints.to_json()
        return document


@dataclass(frozen=True, eq=False, repr=False)
class FeatureConstraints(ValueObject):
    """Constraints of one feature (an entry of ``features``).

    :param name: the feature name.
    :param inferred_type: ``Integral``, ``Fractional``, ``String`` or ``Unknown``.
    :param completeness: the least share of non-null values; ``None`` when absent.
    :param is_non_negative: ``num_constraints.is_non_negative``; ``None`` when absent.
    :param domains: ``string_constraints.domains``, the known values; ``None`` when absent.
    :param config_overrides: feature-level ``monitoringConfigOverrides`` as written.
    :param string_config_overrides: ``string_constraints.monitoring_config_overrides`` as written.
    """

    name: str
    inferred_type: str | None = None
    completeness: float | None = None
    is_non_negative: bool | None = None
    domains: tuple[str, ...] | None = None
    config_overrides: dict[str, str] = field(default_factory=dict)
    string_config_overrides: dict[str, str] = field(default_factory=dict)

    @property
    def monitoring_overrides(self) -> dict[str, str]:
        """Both override spellings merged; the ``string_constraints`` one wins on a conflict."""
        return {**self.config_overrides, **self.string_config_overrides}

    @classmethod
    def from_json(cls, item: Mapping[str, Any], where: str) -> FeatureConstraints:
        """Read one entry of ``features`` at ``where`` (quoted in errors)."""
        name, where = named_entry(item, where)
        numbers = mapping_at(item, "num_constraints", where, required=False)
        strings = mapping_at(item, "string_constraints", where, required=False)
        non_negative = numbers.get("is_non_negative")
        if non_negative is not None and not isinstance(non_negative, bool):
            raise ValueError(
                f"{where}.num_constraints.is_non_negative: must be true or false (got {non_negative!r})"
            )
        domains = list_at(strings, "domains", f"{where}.string_constraints") if "domains" in strings else None
        return cls(
            name=name,
            inferred_type=optional_text(item.get("inferred_type")),
            completeness=parse_number(item.get("completeness"), f"{where}.completeness"),
            is_non_negative=non_negative,
            domains=None if domains is None else tuple(str(value) for value in domains),
            config_overrides=_text_map(
                item.get("monitoringConfigOverrides"), f"{where}.monitoringConfigOverrides"
            ),
            string_config_overrides=_text_map(
                strings.get("monitoring_config_overrides"),
                f"{where}.string_constraints.monitoring_config_overrides",
            ),
        )

    def to_json(self) -> dict[str, Any]:
        """The entry as written in ``constraints.json``; absent parts are left out."""
        document: dict[str, Any] = _without_none(
            {"name": self.name, "inferred_type": self.inferred_type, "completeness": self.completeness}
        )
        if self.is_non_negative is not None:
            document["num_constraints"] = {"is_non_negative": self.is_non_negative}
        strings: dict[str, Any] = {}
        if self.domains is not None:
            strings["domains"] = list(self.domains)
        if self.string_config_overrides:
            strings["monitoring_config_overrides"] = dict(self.string_config_overrides)
        if strings:
            document["string_constraints"] = strings
        if self.config_overrides:
            document["monitoringConfigOverrides"] = dict(self.config_overrides)
        return document


@dataclass(frozen=True, eq=False, repr=False)
class DataQualityConstraints(ValueObject):
    """A data-quality ``constraints.json``.

    :param features: per-feature constraints in file order.
    :param monitoring_config: the global settings (defaults when the file has none).
    :param version: the file's ``version`` (``0`` or ``0.0``).
    """

    features: tuple[FeatureConstraints, ...]
    monitoring_config: MonitoringConfig = field(default_factory=MonitoringConfig)
    version: float | None = 0.0

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str | bytes) -> DataQualityConstraints:
        """Read the file, given parsed or as JSON text/bytes."""
        document = load_json_object(data, CONSTRAINTS_FILE)
        return cls(
            features=tuple(
                FeatureConstraints.from_json(item, f"{CONSTRAINTS_FILE}.features[{index}]")
                for index, item in enumerate(list_at(document, "features", CONSTRAINTS_FILE))
            ),
            monitoring_config=MonitoringConfig.from_json(
                mapping_at(document, "monitoring_config", CONSTRAINTS_FILE, required=False),
                f"{CONSTRAINTS_FILE}.monitoring_config",
            ),
            version=parse_number(document.get("version"), f"{CONSTRAINTS_FILE}.version"),
        )

    def to_json(self) -> dict[str, Any]:
        """The file content; ``from_json(to_json())`` gives an equal object."""
        document: dict[str, Any] = {} if self.version is None else {"version": self.version}
        document["features"] = [feature.to_json() for feature in self.features]
        document["monitoring_config"] = self.monitoring_config.to_json()
        return document

    def feature(self, name: str) -> FeatureConstraints:
        """The constraints of feature ``name``; ``KeyError`` when there are none."""
        for feature in self.features:
            if feature.name == name:
                return feature
        raise KeyError(f"no feature {name!r} in {CONSTRAINTS_FILE}")

    def _effective(self, name: str, key: str) -> bool:
        override = self.feature(name).monitoring_overrides.get(key)
        return (override or getattr(self.monitoring_config, key)) == ENABLED

    def evaluates(self, name: str) -> bool:
        """Whether feature ``name``'s constraints are evaluated (its override, else ``monitoring_config``)."""
        return self._effective(name, "evaluate_constraints")

    def emits_metrics(self, name: str) -> bool:
        """Whether metrics are emitted for feature ``name`` (its override, else ``monitoring_config``)."""
        return self._effective(name, "emit_metrics")

    def summary(self) -> dict[str, Any]:
        """JSON-safe summary: feature count, the monitoring config and each feature's constraints."""
        return json_safe_object(
            {
                "feature_count": len(self.features),
                "monitoring_config": self.monitoring_config.to_json(),
                "features": [feature.to_json() for feature in self.features],
            }
        )


class Threshold(NamedTuple):
    """A model-quality constraint: the metric violates when ``value <comparison_operator> threshold``."""

    threshold: float
    comparison_operator: str

    def is_violated(self, value: float) -> bool:
        """Whether ``value`` breaks this constraint (strict comparison; ``NaN`` never does)."""
        if self.comparison_operator == GREATER_THAN_THRESHOLD:
            return value > self.threshold
        if self.comparison_operator == LESS_THAN_THRESHOLD:
            return value < self.threshold
        raise ValueError(f"comparison_operator {self.comparison_operator!r} is not supported")


def _format_number(value: float) -> str:
    return repr(value) if math.isfinite(value) else str(json_number(value))


@dataclass(frozen=True, eq=False, repr=False)
class ModelQualityConstraints(ValueObject):
    """A model-quality ``constraints.json``.

    :param problem_type: ``Regression``, ``BinaryClassification`` or ``MulticlassClassification``.
    :param thresholds: metric name -> ``(threshold, comparison_operator)``.
    :param version: the file's ``version``.
    """

    problem_type: str
    thresholds: dict[str, Threshold]
    version: float | None = 0.0

    def __post_init__(self) -> None:
        if self.problem_type not in PROBLEM_TYPE_KEYS:
            raise ValueError(
                f"problem_type must be one of {', '.join(PROBLEM_TYPE_KEYS)} (got {self.problem_type!r})"
            )
        for name, threshold in self.thresholds.items():
            if threshold.comparison_operator not in COMPARISON_OPERATORS:
                allowed = ", ".join(sorted(COMPARISON_OPERATORS))
                raise ValueError(
                    f"thresholds[{name!r}].comparison_operator: must be one of {allowed}"
                    f" (got {threshold.comparison_operator!r})"
                )

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str | bytes) -> ModelQualityConstraints:
        """Read the file (parsed or JSON text/bytes); it needs exactly one ``<problem>_constraints`` key."""
        document = load_json_object(data, CONSTRAINTS_FILE)
        problem_type, section = detect_problem_type(document, "_constraints", CONSTRAINTS_FILE)
        where = f"{CONSTRAINTS_FILE}.{PROBLEM_TYPE_KEYS[problem_type]}_constraints"
        thresholds = {}
        for name in section:
            entry = mapping_at(section, name, where)
            threshold = parse_number(entry.get("threshold"), f"{where}.{name}.threshold")
            if threshold is None:
                raise ValueError(f"{where}.{name}.threshold: must be a number (missing)")
            thresholds[name] = Threshold(threshold, optional_text(entry.get("comparison_operator")) or "")
        try:
            return cls(
                problem_type, thresholds, parse_number(document.get("version"), f"{CONSTRAINTS_FILE}.version")
            )
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from exc

    def to_json(self) -> dict[str, Any]:
        """The file content; ``from_json(to_json())`` gives an equal object."""
        document: dict[str, Any] = {} if self.version is None else {"version": self.version}
        document[f"{PROBLEM_TYPE_KEYS[self.problem_type]}_constraints"] = {
            name: {"threshold": t.threshold, "comparison_operator": t.comparison_operator}
            for name, t in self.thresholds.items()
        }
        return document

    def is_violated(self, name: str, value: float) -> bool:
        """Whether metric ``name`` at ``value`` breaks its constraint; ``KeyError`` if it has none."""
        if name not in self.thresholds:
            raise KeyError(f"no constraint for metric {name!r} in {CONSTRAINTS_FILE}")
        return self.thresholds[name].is_violated(value)

    def evaluate(self, metrics: Mapping[str, float | None]) -> ViolationReport:
        """The model-quality violations of ``metrics`` (e.g. ``ModelQualityStatistics.metrics``).

        Metrics without a constraint, and constraints whose metric is absent or ``None``, are skipped. Each
        violation has ``metric_name`` = the metric and ``constraint_check_type`` = the operator.
        """
        violations = tuple(
            Violation.create(
                MODEL_QUALITY,
                threshold.comparison_operator,
                f"Metric {name} with {_format_number(value)} was {threshold.comparison_operator} "
                f"{_format_number(threshold.threshold)}",
                metric_name=name,
            )
            for name, threshold in self.thresholds.items()
            if (value := metrics.get(name)) is not None and threshold.is_violated(value)
        )
        return ViolationReport(MODEL_QUALITY, violations)

    def summary(self) -> dict[str, Any]:
        """JSON-safe summary: problem type and each metric's threshold and operator."""
        return json_safe_object({"problem_type": self.problem_type, **self.to_json()})
