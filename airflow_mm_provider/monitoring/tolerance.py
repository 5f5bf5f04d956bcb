"""Tolerance policies: how far a baseline's suggested constraints are loosened before a schedule uses them.

A baseline job suggests constraints equal to the baseline's own values (SageMaker does the same), so a fresh
healthy hour, a new sample of the same traffic, breaks them about half the time. A tolerance moves each
threshold away from the baseline value by a margin:

- model quality (:class:`ModelQualityTolerance`): a ``LessThanThreshold`` threshold moves down, a
  ``GreaterThanThreshold`` one up, by an absolute or relative :class:`Margin`, one for all metrics and any
  per metric;
- data quality (:class:`DataQualityTolerance`): the drift distance threshold, the data type match threshold
  and each feature's completeness (lowered by a margin);
- bias (:class:`BiasTolerance`): each baseline metric value moves away from the metric's fair value (1 for
  DI, 0 for the others), widening the allowed range on top of the service's bootstrap interval.

Defaults come from measurement at the demo's size (``tests/fidelity/test_tolerance_rates.py`` asserts them;
``python -m tests.fidelity.test_tolerance_rates`` prints the table): a model-quality baseline of 1000 records
and a bias baseline of 5000 records, judging fresh hours of 1000 records.

- Model quality (binary classification), 200 fresh healthy hours: margin 0 flags 96.5 % of them, 0.05 flags
  5 %, :data:`DEFAULT_MODEL_QUALITY_MARGIN` (0.06) 1.5 % (at most 1 % against six other baseline seeds);
  hours whose accuracy dropped by 0.11 stay flagged in 100 %.
- Bias, 200 fresh healthy hours: margin 0 flags 2.5 % of them, :data:`DEFAULT_BIAS_MARGIN` (0.02) 1 %; a DPPL
  shift of 0.25 stays flagged in 100 %.

Pure: documents in, documents out; nothing here reads or writes S3.

The report parsers load on first use, so operators importing this module stay cheap to parse.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_mm_provider.monitoring.paths import ANALYSIS_FILE
from airflow_mm_provider.monitoring.value_objects import ValueObject

__all__ = [
    "DEFAULT_BIAS_MARGIN",
    "DEFAULT_BIAS_TOLERANCE",
    "DEFAULT_MODEL_QUALITY_TOLERANCE",
    "DEFAULT_MODEL_QUALITY_MARGIN",
    "SUGGESTED_FOLDER",
    "BiasTolerance",
    "DataQualityTolerance",
    "Margin",
    "ModelQualityTolerance",
    "ToleranceError",
    "fair_value",
]

DEFAULT_MODEL_QUALITY_MARGIN = 0.06
"""Absolute margin of every model-quality metric by default (measured on binary classification rates)."""
DEFAULT_BIAS_MARGIN = 0.02
"""Margin by which each baseline bias value moves away from its fair value by default."""
SUGGESTED_FOLDER = "suggested"
"""Folder under the baseline output where the job's own suggestion is kept when a tolerance is applied."""


class ToleranceError(ValueError):
    """A tolerance setting is out of range.

    :param field: the offending parameter, e.g. ``ModelQualityTolerance.metrics['f1'].value``.
    :param rule: what the value must be.
    :param value: the offending value.
    """

    def __init__(self, field: str, rule: str, value: Any) -> None:
        self.field = field
        self.value = value
        super().__init__(f"{field}: {rule} (got {value!r})")


def _check_fraction(value: Any, field: str, upper: float | None = None) -> float:
    """``value`` as a float if it is a finite number >= 0 (and <= ``upper``), else :class:`ToleranceError`."""
    rule = "must be a number >= 0" if upper is None else f"must be a number from 0 to {upper:g}"
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ToleranceError(field, rule, value)
    if value < 0 or (upper is not None and value > upper):
        raise ToleranceError(field, rule, value)
    return float(value)


@dataclass(frozen=True, eq=False, repr=False)
class Margin(ValueObject):
    """How far a threshold moves: ``value`` in the metric's own unit, or a share of the threshold's size.

    :param value: the margin, a number >= 0.
    :param relative: when True the threshold moves by ``value * abs(threshold)``.
    """

    value: float
    relative: bool = False

    def __post_init__(self) -> None:
        _check_fraction(self.value, "Margin.value")
        if not isinstance(self.relative, bool):
            raise ToleranceError("Margin.relative", "must be true or false", self.relative)

    def of(self, threshold: float) -> float:
        """The distance to move ``threshold``.

        :param threshold: the suggested threshold.
        """
        return self.value * abs(threshold) if self.relative else self.value


def _margin(value: Margin | float, field: str) -> Margin:
    """A :class:`Margin`; a plain number is an absolute margin."""
    if isinstance(value, Margin):
        return value
    return Margin(_check_fraction(value, field))


@dataclass(frozen=True, eq=False, repr=False)
class ModelQualityTolerance(ValueObject):
    """Margins on a model-quality ``constraints.json``: each threshold moves the way that lets more pass.

    :param margin: the margin of every metric without its own (a :class:`Margin` or an absolute number).
        The default suits rates in [0, 1] (classification); give a relative margin for regression errors.
    :param metrics: metric name -> its own margin, e.g. ``{"auc": 0.03, "mse": Margin(0.2, relative=True)}``.
    """

    margin: Margin | float = DEFAULT_MODEL_QUALITY_MARGIN
    metrics: Mapping[str, Margin | float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "margin", _margin(self.margin, "ModelQualityTolerance.margin"))
        if not isinstance(self.metrics, Mapping):
            raise ToleranceError(
                "ModelQualityTolerance.metrics", "must be a mapping of name to margin", self.metrics
            )
        checked = {}
        for name, value in self.metrics.items():
            if not isinstance(name, str) or not name:
                raise ToleranceError("ModelQualityTolerance.metrics", "keys must be metric names", name)
            checked[name] = _margin(value, f"ModelQualityTolerance.metrics[{name!r}]")
        object.__setattr__(self, "metrics", checked)

    def margin_of(self, name: str) -> Margin:
        """The margin of metric ``name``.

        :param name: the metric name.
        """
        return self.metrics.get(name, self.margin)  # type: ignore[return-value]

    def apply(self, constraints: Mapping[str, Any] | str | bytes) -> dict[str, Any]:
        """The suggested ``constraints.json`` with every threshold moved by its margin.

        :param constraints: the suggested document (parsed, or JSON text).
        """
        from airflow_mm_provider.monitoring.constraints import (
            GREATER_THAN_THRESHOLD,
            ModelQualityConstraints,
            Threshold,
        )

        suggested = ModelQualityConstraints.from_json(constraints)
        thresholds = {}
        for name, threshold in suggested.thresholds.items():
            step = self.margin_of(name).of(threshold.threshold)
            sign = 1.0 if threshold.comparison_operator == GREATER_THAN_THRESHOLD else -1.0
            thresholds[name] = Threshold(threshold.threshold + sign * step, threshold.comparison_operator)
        return dataclasses.replace(suggested, thresholds=thresholds).to_json()


@dataclass(frozen=True, eq=False, repr=False)
class DataQualityTolerance(ValueObject):
    """Loosened data-quality checks; a setting left None keeps the suggestion.

    :param comparison_threshold: drift distance above which a distribution has drifted (the analyzer's
        ``distribution_constraints.comparison_threshold``, 0.1 when suggested).
    :param datatype_check_threshold: least share of values of the baseline's type, in [0, 1] (1.0 suggested).
    :param completeness_margin: lowers each feature's ``completeness`` by this much (floored at 0), in [0, 1].
    """

    comparison_threshold: float | None = None
    datatype_check_threshold: float | None = None
    completeness_margin: float | None = None

    def __post_init__(self) -> None:
        limits = {"comparison_threshold": None, "datatype_check_threshold": 1.0, "completeness_margin": 1.0}
        for name, upper in limits.items():
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _check_fraction(value, f"DataQualityTolerance.{name}", upper))

    def apply(self, constraints: Mapping[str, Any] | str | bytes) -> dict[str, Any]:
        """The suggested ``constraints.json`` with the given settings applied.

        :param constraints: the suggested document (parsed, or JSON text).
        """
        from airflow_mm_provider.monitoring.constraints import DataQualityConstraints, DistributionConstraints

        suggested = DataQualityConstraints.from_json(constraints)
        config = suggested.monitoring_config
        if self.datatype_check_threshold is not None:
            config = dataclasses.replace(config, datatype_check_threshold=self.datatype_check_threshold)
        if self.comparison_threshold is not None:
            distribution = config.distribution_constraints or DistributionConstraints()
            config = dataclasses.replace(
                config,
                distribution_constraints=dataclasses.replace(
                    distribution, comparison_threshold=self.comparison_threshold
                ),
            )
        features = suggested.features
        if self.completeness_margin is not None:
            margin = self.completeness_margin
            features = tuple(
                feature
                if feature.completeness is None
                else dataclasses.replace(feature, completeness=max(0.0, feature.completeness - margin))
                for feature in features
            )
        return dataclasses.replace(suggested, features=features, monitoring_config=config).to_json()


def fair_value(name: str) -> float:
    """The value bias metric ``name`` takes on a perfectly fair data set: 1 for DI, 0 for every other.

    :param name: the metric's short name, e.g. ``DPPL``.
    """
    return 1.0 if name == "DI" else 0.0


@dataclass(frozen=True, eq=False, repr=False)
class BiasTolerance(ValueObject):
    """Margins on a bias baseline ``analysis.json``: each value moves away from its metric's fair value.

    The bias-drift check allows current values no farther from the fair value than the baseline value, judged
    by a bootstrap interval; a margin widens that allowed range by its size.

    :param margin: the margin of every metric without its own, a number >= 0.
    :param metrics: metric short name -> its own margin, e.g. ``{"DI": 0.05}``.
    """

    margin: float = DEFAULT_BIAS_MARGIN
    metrics: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "margin", _check_fraction(self.margin, "BiasTolerance.margin"))
        if not isinstance(self.metrics, Mapping):
            raise ToleranceError("BiasTolerance.metrics", "must be a mapping of name to margin", self.metrics)
        object.__setattr__(
            self,
            "metrics",
            {
                name: _check_fraction(value, f"BiasTolerance.metrics[{name!r}]")
                for name, value in self.metrics.items()
            },
        )

    def widen(self, name: str, value: float) -> float:
        """Baseline ``value`` of metric ``name`` moved away from the fair value (a value at it moves up).

        :param name: the metric's short name.
        :param value: the baseline value.
        """
        step = self.metrics.get(name, self.margin)
        return value + step if value >= fair_value(name) else value - step

    def apply(self, analysis: Mapping[str, Any] | str | bytes) -> dict[str, Any]:
        """A copy of the baseline ``analysis.json`` with every finite metric value widened.

        Values that are not finite numbers (``NaN``, ``Infinity``, ``null``) are kept: they cannot be judged.

        :param analysis: the baseline document (parsed, or JSON text).
        """
        from airflow_mm_provider.monitoring.clarify import BiasAnalysis
        from airflow_mm_provider.monitoring.report_json import load_json_object

        document = copy.deepcopy(dict(load_json_object(analysis, ANALYSIS_FILE)))
        BiasAnalysis.from_json(document)
        for section in ("pre_training_bias_metrics", "post_training_bias_metrics"):
            facets = (document.get(section) or {}).get("facets") or {}
            for selections in facets.values():
                for selection in selections or []:
                    for metric in selection.get("metrics") or []:
                        value = metric.get("value")
                        if (
                            isinstance(value, (int, float))
                            and not isinstance(value, bool)
                            and math.isfinite(value)
                        ):
                            metric["value"] = self.widen(str(metric.get("name")), float(value))
        return document


DEFAULT_MODEL_QUALITY_TOLERANCE = ModelQualityTolerance()
"""The tolerance model-quality baselines apply unless told otherwise."""
DEFAULT_BIAS_TOLERANCE = BiasTolerance()
"""The tolerance bias baselines apply unless told otherwise."""
