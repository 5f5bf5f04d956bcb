"""Every metric a monitoring execution measured, as data: value, baseline bound, comparison and verdict.

A monitoring execution's reports hold its metrics (``statistics.json`` for data and model quality,
``analysis.json`` for bias and explainability) while the baseline holds what they are judged against
(``constraints.json``, or the baseline ``analysis.json`` for Clarify monitors). :func:`metric_records` joins
them into one flat list of :class:`MetricRecord`, for clean and violating executions alike, and
:class:`ExecutionMetrics` wraps that list with the execution's identity; its :meth:`~ExecutionMetrics.to_json`
is the XCom value recorded under :data:`METRICS_XCOM_KEY`, which the Airflow UI's Model Monitor view charts.

What each monitor type records (the comparison names the *violating* condition, as Model Monitor's operators
do):

- DataQuality, per constraint feature: ``completeness`` (share of present values, ``LessThanThreshold`` the
  feature's ``completeness``), ``baseline_drift`` (the distance between the current and the baseline
  distribution, ``GreaterThanThreshold`` the ``comparison_threshold``; for a ``ChiSquared`` categorical
  drift the value is not computed and only the verdict is kept) and, for features with a domain,
  ``categorical_values`` (share of present values inside it, ``LessThanThreshold`` the
  ``domain_content_threshold``). Settings are the ``monitoring_config`` with the feature's overrides (both
  spellings) merged over it; a feature whose constraints are not evaluated keeps its values, without bounds.
- ModelQuality: every scalar metric of ``statistics.json``, with its threshold and operator when
  ``constraints.json`` has one (constrained metrics first).
- ModelBias: every metric of ``analysis.json`` per stage, facet and facet value, with the baseline value and
  the allowed range around the metric's fair value (1 for DI, 0 otherwise) that the baseline value spans
  (comparison ``OutsideAllowedRange``). The service judges a confidence interval of the value, not the value
  itself (developer guide, bias drift), so a point outside the range need not be a violation.
- ModelExplainability, per label: ``ndcg``, the normalized discounted cumulative gain of the current feature
  ranking against the baseline attributions (``LessThanThreshold`` 0.9, developer guide, feature attribution
  drift), then each feature's ``global_shap`` value with its baseline value.

``violated`` is what the execution's ``constraint_violations.json`` says, so it always agrees with the file
(and with ``MonitoringExecutionStatus``): a record is violated when a violation of the same check names it.
A violation no computed record matches (e.g. ``data_type_check`` or ``missing_column_check``, whose measure
no report holds) still gets a record, without a value. Values keep full float precision; non-finite ones
are written as ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``, so the JSON is strict.

Drift distances are those of :mod:`~airflow_mm_provider.monitoring.drift`, the rules this provider's analysis
engine applies; on SageMaker the container computes its own distance, and the value recorded here is this
provider's reading of the same two statistics files.

Pure: documents in, records out; nothing here reads S3 or imports Airflow.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from airflow_mm_provider.monitoring.clarify import BiasAnalysis, BiasMetricRow, ExplainabilityAnalysis
from airflow_mm_provider.monitoring.constraints import (
    GREATER_THAN_THRESHOLD,
    LESS_THAN_THRESHOLD,
    ModelQualityConstraints,
)
from airflow_mm_provider.monitoring.drift import categorical_distance, numeric_distance, robust_distance
from airflow_mm_provider.monitoring.outcomes import api_execution, json_safe
from airflow_mm_provider.monitoring.paths import CLARIFY_REPORT_FILES, join_s3
from airflow_mm_provider.monitoring.report_json import json_number, list_at, load_json_object, parse_number
from airflow_mm_provider.monitoring.statistics import ModelQualityStatistics
from airflow_mm_provider.monitoring.tolerance import fair_value
from airflow_mm_provider.monitoring.types import (
    DATA_QUALITY,
    MODEL_BIAS,
    MODEL_EXPLAINABILITY,
    MODEL_QUALITY,
)
from airflow_mm_provider.monitoring.violations import (
    Violation,
    ViolationReport,
    check_monitoring_type,
    report_files,
)

METRICS_XCOM_KEY = "model_monitor_metrics"
"""XCom key of an execution's :meth:`ExecutionMetrics.to_json`, the document the Model Monitor view reads."""
METRICS_VERSION = 1
"""Version of the recorded document's shape; readers refuse other versions."""

OUTSIDE_ALLOWED_RANGE = "OutsideAllowedRange"
"""Comparison of bias metrics: violating when the value (its confidence interval) leaves ``allowed_range``."""
COMPARISONS: frozenset[str] = frozenset({GREATER_THAN_THRESHOLD, LESS_THAN_THRESHOLD, OUTSIDE_ALLOWED_RANGE})

COMPLETENESS = "completeness"
BASELINE_DRIFT = "baseline_drift"
CATEGORICAL_VALUES = "categorical_values"
NDCG = "ndcg"
GLOBAL_SHAP = "global_shap"
NDCG_THRESHOLD = 0.9
"""The nDCG below which an explainability label violates (developer guide, attribution drift violations)."""

_DQ_CHECKS = {
    COMPLETENESS: "completeness_check",
    BASELINE_DRIFT: "baseline_drift_check",
    CATEGORICAL_VALUES: "categorical_values_check",
}
_ATTRIBUTION_DRIFT_CHECK = "feature_attribution_drift_check"
_BIAS_DRIFT_CHECK = "bias_drift_check"
_INTERVAL = re.compile(r"^\((?P<low>[^,]+), (?P<high>[^\]]+)\]$")
_IDENTITY = ("feature", "facet", "facet_value", "label", "stage")


@dataclass(frozen=True)
class MetricRecord:
    """One measured metric of one execution, with what it is judged against.

    :param metric: the metric, e.g. ``accuracy``, ``completeness``, ``baseline_drift``, ``DI``, ``ndcg``.
    :param value: the measured value (``NaN`` / infinities kept); ``None`` when no report holds it.
    :param comparison: the violating condition: ``GreaterThanThreshold``, ``LessThanThreshold`` or
        ``OutsideAllowedRange``; ``None`` when nothing constrains the metric.
    :param threshold: the bound ``value`` is compared with, for the two threshold comparisons.
    :param violated: whether the execution's violations file lists a violation of this metric.
    :param check_type: the ``constraint_check_type`` its violations carry.
    :param feature: the data-quality feature, or the explainability feature of a ``global_shap`` value.
    :param facet: the bias facet.
    :param facet_value: the bias facet value or threshold, as text.
    :param label: the explainability label.
    :param stage: the bias stage, ``pre_training`` or ``post_training``.
    :param baseline_value: the metric's value in the baseline (bias, explainability SHAP values).
    :param allowed_range: ``(low, high)`` for ``OutsideAllowedRange``.
    """

    metric: str
    value: float | None
    comparison: str | None = None
    threshold: float | None = None
    violated: bool = False
    check_type: str | None = None
    feature: str | None = None
    facet: str | None = None
    facet_value: str | None = None
    label: str | None = None
    stage: str | None = None
    baseline_value: float | None = None
    allowed_range: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.comparison is not None and self.comparison not in COMPARISONS:
            raise ValueError(
                f"comparison must be one of {', '.join(sorted(COMPARISONS))} (got {self.comparison!r})"
            )

    @property
    def series(self) -> str:
        """A readable name, unique within one monitor, e.g. ``accuracy``, ``age: completeness``,
        ``group=0: DI``, ``label0: ndcg`` or ``label0: global_shap[age]``."""
        if self.facet is not None:
            group = self.facet if self.facet_value is None else f"{self.facet}={self.facet_value}"
            return f"{group}: {self.metric}"
        if self.label is not None:
            metric = self.metric if self.feature is None else f"{self.metric}[{self.feature}]"
            return f"{self.label}: {metric}"
        return self.metric if self.feature is None else f"{self.feature}: {self.metric}"

    def to_json(self) -> dict[str, Any]:
        """The record as strict JSON; optional fields that are ``None`` are left out."""
        document: dict[str, Any] = {
            "metric": self.metric,
            "series": self.series,
            "value": json_number(self.value),
            "violated": self.violated,
        }
        optional = {
            "comparison": self.comparison,
            "threshold": json_number(self.threshold),
            "check_type": self.check_type,
            **{name: getattr(self, name) for name in _IDENTITY},
            "baseline_value": json_number(self.baseline_value),
            "allowed_range": None
            if self.allowed_range is None
            else [json_number(v) for v in self.allowed_range],
        }
        document.update({key: value for key, value in optional.items() if value is not None})
        return document

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> MetricRecord:
        """Read a record written by :meth:`to_json` (``series`` is derived, so it is not read)."""
        if not isinstance(item, Mapping) or not isinstance(item.get("metric"), str):
            raise ValueError(f"metric record must be a JSON object with a string metric (got {item!r})")
        where = f"metrics[{item['metric']}]"
        bounds = item.get("allowed_range")
        if bounds is not None and (not isinstance(bounds, list) or len(bounds) != 2):
            raise ValueError(f"{where}.allowed_range: must be a list of two numbers (got {bounds!r})")
        allowed = None
        if bounds is not None:
            low, high = (parse_number(bound, f"{where}.allowed_range") for bound in bounds)
            if low is None or high is None:
                raise ValueError(f"{where}.allowed_range: must be a list of two numbers (got {bounds!r})")
            allowed = (low, high)
        return cls(
            metric=item["metric"],
            value=parse_number(item.get("value"), f"{where}.value"),
            comparison=_text(item.get("comparison")),
            threshold=parse_number(item.get("threshold"), f"{where}.threshold"),
            violated=item.get("violated") is True,
            check_type=_text(item.get("check_type")),
            feature=_text(item.get("feature")),
            facet=_text(item.get("facet")),
            facet_value=_text(item.get("facet_value")),
            label=_text(item.get("label")),
            stage=_text(item.get("stage")),
            baseline_value=parse_number(item.get("baseline_value"), f"{where}.baseline_value"),
            allowed_range=allowed,
        )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


# --- matching records to violations -------------------------------------------------------------------


def _key(
    monitoring_type: str,
    check_type: str | None,
    subject: str | None,
    metric: str | None,
    facet: str | None,
    facet_value: str | None,
    label: str | None,
) -> tuple[str | None, ...]:
    """What identifies a checked metric per monitor type, as violations name it: the check and feature (data
    quality), the metric (model quality), facet, value and metric (bias), or the label (explainability)."""
    return {
        DATA_QUALITY: (check_type, subject),
        MODEL_QUALITY: (metric,),
        MODEL_BIAS: (facet, facet_value, metric),
        MODEL_EXPLAINABILITY: (label,),
    }[monitoring_type]


def _violation_key(monitoring_type: str, violation: Violation) -> tuple[str | None, ...]:
    return _key(
        monitoring_type,
        violation.check_type,
        violation.feature_name,
        violation.metric_name,
        violation.facet,
        violation.facet_value,
        violation.label,
    )


def _record_key(monitoring_type: str, record: MetricRecord) -> tuple[str | None, ...] | None:
    """The key a violation of ``record`` has; ``None`` when no check judges it."""
    if record.check_type is None:
        return None
    return _key(
        monitoring_type,
        record.check_type,
        record.feature,
        record.metric,
        record.facet,
        record.facet_value,
        record.label,
    )


def _violation_only(monitoring_type: str, violation: Violation) -> MetricRecord:
    """The record of a violation no computed record matches: its names, no value."""
    metric = violation.metric_name if monitoring_type != DATA_QUALITY else None
    return MetricRecord(
        metric=metric or violation.check_type.removesuffix("_check") or "violation",
        value=None,
        violated=True,
        check_type=violation.check_type or None,
        feature=violation.feature_name,
        facet=violation.facet,
        facet_value=violation.facet_value,
        label=violation.label,
    )


def _mark_violations(
    monitoring_type: str, records: Sequence[MetricRecord], violations: ViolationReport
) -> tuple[MetricRecord, ...]:
    """``records`` with ``violated`` set from ``violations``, then one record per unmatched violation."""
    listed = {_violation_key(monitoring_type, violation) for violation in violations.violations}
    marked = []
    matched = set()
    for record in records:
        key = _record_key(monitoring_type, record)
        violated = key is not None and key in listed
        if violated:
            matched.add(key)
        marked.append(replace(record, violated=violated))
    for violation in violations.violations:
        key = _violation_key(monitoring_type, violation)
        if key not in matched:
            matched.add(key)
            marked.append(_violation_only(monitoring_type, violation))
    return tuple(marked)


# --- data quality ----------------------------------------------------------------------------------------


def _merge_config(base: Mapping[str, Any], override: Any) -> dict[str, Any]:
    """``base`` with ``override`` applied; ``distribution_constraints`` is merged key by key."""
    merged = dict(base)
    if not isinstance(override, Mapping):
        return merged
    for key, value in override.items():
        if key == "distribution_constraints" and isinstance(value, Mapping):
            merged[key] = {**(merged.get(key) or {}), **value}
        else:
            merged[key] = value
    return merged


def _feature_config(global_config: Mapping[str, Any], constraint: Mapping[str, Any]) -> dict[str, Any]:
    """The settings in force for one feature: its ``monitoringConfigOverrides``, then the SDK's spelling."""
    config = _merge_config(global_config, constraint.get("monitoringConfigOverrides"))
    strings = constraint.get("string_constraints") or {}
    return _merge_config(
        config, strings.get("monitoring_config_overrides") if isinstance(strings, Mapping) else None
    )


def _number(settings: Mapping[str, Any], key: str, default: float | None) -> float | None:
    value = parse_number(settings.get(key), key)
    return default if value is None else value


def _common(feature: Mapping[str, Any]) -> Mapping[str, Any]:
    block = feature.get("numerical_statistics") or feature.get("string_statistics") or {}
    common = block.get("common") if isinstance(block, Mapping) else None
    return common if isinstance(common, Mapping) else {}


def _present(feature: Mapping[str, Any]) -> float:
    return parse_number(_common(feature).get("num_present"), "num_present") or 0.0


def _completeness(feature: Mapping[str, Any]) -> float:
    """Share of present values (0.0 when the feature saw no rows), as the analyzer measures it."""
    present = _present(feature)
    total = present + (parse_number(_common(feature).get("num_missing"), "num_missing") or 0.0)
    return present / total if total else 0.0


def _categories(feature: Mapping[str, Any]) -> dict[str, float]:
    """Value -> count of a string feature's categorical buckets."""
    distribution = (feature.get("string_statistics") or {}).get("distribution") or {}
    buckets = (distribution.get("categorical") or {}).get("buckets") or []
    return {str(bucket.get("value")): parse_number(bucket.get("count"), "count") or 0.0 for bucket in buckets}


def _drift_record(
    name: str,
    current: Mapping[str, Any],
    baseline: Mapping[str, Any],
    config: Mapping[str, Any],
    judged: bool,
) -> MetricRecord | None:
    settings = config.get("distribution_constraints") or {}
    if settings.get("perform_comparison", "Enabled") == "Disabled":
        return None
    present, baseline_present = _present(current), _present(baseline)
    if not present or not baseline_present:
        return None
    threshold = _number(settings, "comparison_threshold", 0.1)
    comparison = GREATER_THAN_THRESHOLD
    distance: float | None = None
    if "numerical_statistics" in current and "numerical_statistics" in baseline:
        distance = numeric_distance(current["numerical_statistics"], baseline["numerical_statistics"])
    elif "string_statistics" in current and "string_statistics" in baseline:
        threshold = _number(settings, "categorical_comparison_threshold", threshold)
        if settings.get("categorical_drift_method") == "ChiSquared":
            comparison = LESS_THAN_THRESHOLD
        else:
            distance = categorical_distance(
                _categories(current), present, _categories(baseline), baseline_present
            )
    else:
        return None
    if distance is not None and settings.get("comparison_method", "Robust") != "Simple":
        distance = robust_distance(distance, present, baseline_present)
    return _judged(BASELINE_DRIFT, distance, comparison, threshold, judged, name)


def _judged(
    metric: str, value: float | None, comparison: str, threshold: float | None, judged: bool, feature: str
) -> MetricRecord:
    """A data-quality record; without ``judged`` (constraints not evaluated) it has no bound."""
    return MetricRecord(
        metric=metric,
        value=value,
        comparison=comparison if judged else None,
        threshold=threshold if judged else None,
        check_type=_DQ_CHECKS[metric] if judged else None,
        feature=feature,
    )


def _data_quality(
    statistics: Mapping[str, Any] | None,
    constraints: Mapping[str, Any] | None,
    baseline_statistics: Mapping[str, Any] | None,
) -> list[MetricRecord]:
    if statistics is None or constraints is None:
        return []
    current = {feature["name"]: feature for feature in statistics.get("features") or []}
    baseline = {feature["name"]: feature for feature in (baseline_statistics or {}).get("features") or []}
    global_config = _merge_config({}, constraints.get("monitoring_config"))
    records = []
    for constraint in constraints.get("features") or []:
        name = constraint["name"]
        feature = current.get(name)
        if feature is None:
            continue
        config = _feature_config(global_config, constraint)
        judged = config.get("evaluate_constraints") != "Disabled"
        required = parse_number(constraint.get("completeness"), f"{name}.completeness")
        records.append(
            _judged(
                COMPLETENESS,
                _completeness(feature),
                LESS_THAN_THRESHOLD,
                required,
                judged and required is not None,
                name,
            )
        )
        if name in baseline:
            drift = _drift_record(name, feature, baseline[name], config, judged)
            if drift is not None:
                records.append(drift)
        domain = (constraint.get("string_constraints") or {}).get("domains")
        present = _present(feature)
        if domain and "string_statistics" in feature and present:
            allowed = {str(value) for value in domain}
            inside = sum(count for value, count in _categories(feature).items() if value in allowed)
            threshold = _number(config, "domain_content_threshold", 1.0)
            records.append(
                _judged(CATEGORICAL_VALUES, inside / present, LESS_THAN_THRESHOLD, threshold, judged, name)
            )
    return records


# --- model quality ---------------------------------------------------------------------------------------


def _model_quality(
    statistics: Mapping[str, Any] | None, constraints: Mapping[str, Any] | None
) -> list[MetricRecord]:
    if statistics is None:
        return []
    metrics = ModelQualityStatistics.from_json(statistics).metrics
    thresholds = {} if constraints is None else ModelQualityConstraints.from_json(constraints).thresholds
    constrained = [name for name in thresholds if name in metrics]
    others = [name for name in metrics if name not in thresholds]
    records = [
        MetricRecord(
            metric=name,
            value=metrics[name],
            comparison=thresholds[name].comparison_operator,
            threshold=thresholds[name].threshold,
            check_type=thresholds[name].comparison_operator,
        )
        for name in constrained
    ]
    return records + [MetricRecord(metric=name, value=metrics[name]) for name in others]


# --- bias -------------------------------------------------------------------------------------------------


def _facet_value_key(text: str | None) -> tuple[str, str | None]:
    """A facet selection's matching key: a threshold interval ``(t, max]`` matches on ``t`` alone."""
    match = _INTERVAL.match(text or "")
    return ("above", match.group("low").strip()) if match else ("values", text)


def _bias_key(row: BiasMetricRow) -> tuple[Any, ...]:
    return (row.stage, row.facet, _facet_value_key(row.facet_value), row.name)


def _bias_record(row: BiasMetricRow, baseline: float | None) -> MetricRecord:
    record = MetricRecord(
        metric=row.name,
        value=row.value,
        facet=row.facet,
        facet_value=row.facet_value,
        stage=row.stage,
        baseline_value=baseline,
    )
    if baseline is None or not math.isfinite(baseline):
        return record
    fair = fair_value(row.name)
    reach = abs(baseline - fair)
    return replace(
        record,
        comparison=OUTSIDE_ALLOWED_RANGE,
        check_type=_BIAS_DRIFT_CHECK,
        allowed_range=(fair - reach, fair + reach),
    )


def _bias(
    analysis: Mapping[str, Any] | None, baseline_analysis: Mapping[str, Any] | None
) -> list[MetricRecord]:
    if analysis is None:
        return []
    reference = (
        {}
        if baseline_analysis is None
        else {_bias_key(row): row.value for row in BiasAnalysis.from_json(baseline_analysis).rows}
    )
    return [_bias_record(row, reference.get(_bias_key(row))) for row in BiasAnalysis.from_json(analysis).rows]


# --- explainability ---------------------------------------------------------------------------------------


def ndcg(baseline: Mapping[str, float | None], current: Mapping[str, float | None]) -> float | None:
    """Normalized discounted cumulative gain of the current feature ranking, gains from the baseline.

    Features rank by falling attribution magnitude. With ``a(f)`` the baseline magnitude of feature ``f``,
    ``DCG`` sums ``a(f'_i) / log2(i + 1)`` over the current ranking ``f'`` and ``iDCG`` the same over the
    baseline ranking; the score is ``DCG / iDCG`` (1 when the order is kept). Features missing on a side
    count as 0. ``None`` when the baseline attributions are all 0.

    :param baseline: feature -> baseline global SHAP value.
    :param current: feature -> current global SHAP value.
    """
    gains = {
        name: abs(value) for name, value in baseline.items() if value is not None and math.isfinite(value)
    }

    def ranked(values: Mapping[str, float | None]) -> list[str]:
        size = {name: abs(values.get(name) or 0.0) for name in gains}
        return sorted(gains, key=lambda name: -size[name] if math.isfinite(size[name]) else 0.0)

    def discounted(order: Iterable[str]) -> float:
        return math.fsum(gains[name] / math.log2(rank + 2) for rank, name in enumerate(order))

    ideal = discounted(ranked(baseline))
    return discounted(ranked(current)) / ideal if ideal else None


def _explainability(
    analysis: Mapping[str, Any] | None, baseline_analysis: Mapping[str, Any] | None
) -> list[MetricRecord]:
    if analysis is None:
        return []
    labels = ExplainabilityAnalysis.from_json(analysis).labels
    reference = (
        {} if baseline_analysis is None else ExplainabilityAnalysis.from_json(baseline_analysis).labels
    )
    records = []
    for label, attribution in labels.items():
        baseline = reference.get(label)
        if baseline is not None:
            records.append(
                MetricRecord(
                    metric=NDCG,
                    value=ndcg(baseline.global_shap_values, attribution.global_shap_values),
                    comparison=LESS_THAN_THRESHOLD,
                    threshold=NDCG_THRESHOLD,
                    check_type=_ATTRIBUTION_DRIFT_CHECK,
                    label=label,
                )
            )
        for feature in attribution.ranking():
            records.append(
                MetricRecord(
                    metric=GLOBAL_SHAP,
                    value=attribution.global_shap_values[feature],
                    baseline_value=None if baseline is None else baseline.global_shap_values.get(feature),
                    label=label,
                    feature=feature,
                )
            )
    return records


# --- the records and the recorded document -----------------------------------------------------------------


def metric_records(
    monitoring_type: str,
    violations: ViolationReport | Mapping[str, Any] | None = None,
    *,
    statistics: Mapping[str, Any] | str | bytes | None = None,
    constraints: Mapping[str, Any] | str | bytes | None = None,
    baseline_statistics: Mapping[str, Any] | str | bytes | None = None,
    analysis: Mapping[str, Any] | str | bytes | None = None,
    baseline_analysis: Mapping[str, Any] | str | bytes | None = None,
) -> tuple[MetricRecord, ...]:
    """The metrics of one execution, each with its bound and verdict (see the module docstring).

    Documents may be parsed or JSON text; those a monitor type does not use are ignored, and a missing one
    leaves out what needs it (a violation still gets its record).

    :param monitoring_type: ``DataQuality``, ``ModelQuality``, ``ModelBias`` or ``ModelExplainability``.
    :param violations: the execution's ``constraint_violations.json`` (parsed, or as a report); ``None``
        when it wrote none (no violations).
    :param statistics: the execution's ``statistics.json`` (data and model quality).
    :param constraints: the ``constraints.json`` the execution checked: data quality writes it with its
        reports; for model quality it is the baseline's (the job definition's ``ConstraintsResource``).
    :param baseline_statistics: the baseline ``statistics.json`` (data quality drift; the job definition's
        ``StatisticsResource``).
    :param analysis: the execution's ``analysis.json`` (bias and explainability).
    :param baseline_analysis: the baseline ``analysis.json`` (the Clarify job definition's
        ``ConstraintsResource``).
    """
    monitoring_type = check_monitoring_type(monitoring_type)
    if violations is None:
        report = ViolationReport.empty(monitoring_type)
    elif isinstance(violations, ViolationReport):
        report = violations
    else:
        report = ViolationReport.from_json(monitoring_type, violations)
    documents = {
        name: None if document is None else load_json_object(document, name)
        for name, document in (
            ("statistics.json", statistics),
            ("constraints.json", constraints),
            ("baseline statistics.json", baseline_statistics),
            ("analysis.json", analysis),
            ("baseline analysis.json", baseline_analysis),
        )
    }
    stats, limits, base_stats, current, base = documents.values()
    records = {
        DATA_QUALITY: lambda: _data_quality(stats, limits, base_stats),
        MODEL_QUALITY: lambda: _model_quality(stats, limits),
        MODEL_BIAS: lambda: _bias(current, base),
        MODEL_EXPLAINABILITY: lambda: _explainability(current, base),
    }[monitoring_type]()
    return _mark_violations(monitoring_type, records, report)


def _field(summary: Mapping[str, Any], key: str) -> str | None:
    value = json_safe(summary.get(key))
    return None if value is None else str(value)


@dataclass(frozen=True)
class ExecutionMetrics:
    """One execution's recorded metrics: the XCom value the Model Monitor view reads.

    :param monitor: the monitoring schedule's name (a self-hosted monitor's name); the view groups by it.
    :param monitoring_type: one of the four monitoring types.
    :param scheduled_time: the execution's ``ScheduledTime``, ISO-8601 in UTC.
    :param status: its ``MonitoringExecutionStatus``.
    :param report_uri: the S3 prefix of its reports, ``None`` when it wrote none.
    :param metrics: the :func:`metric_records`.
    :param violations: the violations listed in its ``constraint_violations.json``.
    :param failure_reason: why a ``Failed`` or ``Stopped`` execution ended so.
    :param processing_job_arn: the execution's processing job.
    :param links: label -> URL of pages about the execution (console, local service), for people.
    """

    monitor: str
    monitoring_type: str
    scheduled_time: str | None
    status: str | None
    report_uri: str | None = None
    metrics: tuple[MetricRecord, ...] = ()
    violations: tuple[Violation, ...] = ()
    failure_reason: str | None = None
    processing_job_arn: str | None = None
    links: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_monitoring_type(self.monitoring_type)

    @classmethod
    def create(
        cls,
        execution: Mapping[str, Any],
        monitoring_type: str,
        *,
        report_uri: str | None = None,
        metrics: Sequence[MetricRecord] = (),
        violations: ViolationReport | None = None,
        links: Mapping[str, str] | None = None,
    ) -> ExecutionMetrics:
        """The document of ``execution``.

        :param execution: its ``MonitoringExecutionSummary`` (API shape or the provider's snake_case XCom).
        :param monitoring_type: the monitor type.
        :param report_uri: the S3 prefix of its reports.
        :param metrics: its :func:`metric_records`.
        :param violations: its violations report.
        :param links: label -> URL of pages about it.
        """
        summary = api_execution(execution)
        if not summary.get("MonitoringScheduleName"):
            raise ValueError(f"execution must name its MonitoringScheduleName (got keys {sorted(summary)})")
        return cls(
            monitor=str(summary["MonitoringScheduleName"]),
            monitoring_type=monitoring_type,
            scheduled_time=_field(summary, "ScheduledTime"),
            status=_field(summary, "MonitoringExecutionStatus"),
            report_uri=report_uri,
            metrics=tuple(metrics),
            violations=() if violations is None else violations.violations,
            failure_reason=_field(summary, "FailureReason"),
            processing_job_arn=_field(summary, "ProcessingJobArn"),
            links=dict(links or {}),
        )

    @property
    def report_files(self) -> tuple[str, ...]:
        """S3 URIs of the report files the execution's monitor type writes (some may be absent)."""
        if not self.report_uri:
            return ()
        names = report_files(self.monitoring_type)
        if self.monitoring_type in (MODEL_BIAS, MODEL_EXPLAINABILITY):
            names = (*names, *CLARIFY_REPORT_FILES)
        return tuple(join_s3(self.report_uri, name) for name in names)

    @property
    def violation_count(self) -> int:
        """How many violations the execution's report lists."""
        return len(self.violations)

    def to_json(self) -> dict[str, Any]:
        """The XCom value: strict JSON (no ``NaN`` literals), full float precision."""
        return {
            "version": METRICS_VERSION,
            "monitor": self.monitor,
            "monitoring_type": self.monitoring_type,
            "scheduled_time": self.scheduled_time,
            "status": self.status,
            "report_uri": self.report_uri,
            "report_files": list(self.report_files),
            "failure_reason": self.failure_reason,
            "processing_job_arn": self.processing_job_arn,
            "links": dict(self.links),
            "violation_count": self.violation_count,
            "violations": [violation.to_json() for violation in self.violations],
            "metrics": [record.to_json() for record in self.metrics],
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any] | str | bytes) -> ExecutionMetrics:
        """Read a recorded document; ``ValueError`` when it is not one of :data:`METRICS_VERSION`."""
        data = load_json_object(document, METRICS_XCOM_KEY)
        if data.get("version") != METRICS_VERSION:
            raise ValueError(
                f"{METRICS_XCOM_KEY}: version must be {METRICS_VERSION} (got {data.get('version')!r})"
            )
        if not isinstance(data.get("monitor"), str) or not isinstance(data.get("monitoring_type"), str):
            raise ValueError(f"{METRICS_XCOM_KEY}: monitor and monitoring_type must be strings")
        monitoring_type = check_monitoring_type(data["monitoring_type"])
        links = data.get("links") or {}
        if not isinstance(links, Mapping):
            raise ValueError(f"{METRICS_XCOM_KEY}.links: must be a JSON object (got {links!r})")
        return cls(
            monitor=data["monitor"],
            monitoring_type=monitoring_type,
            scheduled_time=_text(data.get("scheduled_time")),
            status=_text(data.get("status")),
            report_uri=_text(data.get("report_uri")),
            metrics=tuple(
                MetricRecord.from_json(item) for item in list_at(data, "metrics", METRICS_XCOM_KEY)
            ),
            violations=ViolationReport.from_json(
                monitoring_type, {"violations": list_at(data, "violations", METRICS_XCOM_KEY)}
            ).violations,
            failure_reason=_text(data.get("failure_reason")),
            processing_job_arn=_text(data.get("processing_job_arn")),
            links={str(label): str(url) for label, url in links.items()},
        )
