"""Read-only views of ``statistics.json`` as written by data-quality and model-quality jobs.

Numbers may be JSON numbers or the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``; both read as floats.
Summaries are JSON-serializable with ``allow_nan=False``: non-finite floats appear there as those strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from airflow_mm_provider.monitoring.paths import STATISTICS_FILE
from airflow_mm_provider.monitoring.report_json import (
    json_number,
    list_at,
    load_json_object,
    mapping_at,
    named_entry,
    optional_text,
    parse_count,
    parse_number,
)
from airflow_mm_provider.monitoring.value_objects import ValueObject

NUMERIC_TYPES: frozenset[str] = frozenset({"Integral", "Fractional"})

#: ``ProblemType`` -> the stem of its section keys (``<stem>_metrics``, ``<stem>_constraints``).
PROBLEM_TYPE_KEYS: dict[str, str] = {
    "Regression": "regression",
    "BinaryClassification": "binary_classification",
    "MulticlassClassification": "multiclass_classification",
}

_BINARY_SCORES = ("recall", "precision", "accuracy", "f0_5", "f1", "f2")
_MULTICLASS_SCORES = ("accuracy", *(f"weighted_{name}" for name in _BINARY_SCORES if name != "accuracy"))
#: ``ProblemType`` -> the scalar metrics of its ``<stem>_metrics`` section (Developer Guide, model quality
#: metrics), which are also the metrics its ``<stem>_constraints`` and violations can name.
MODEL_QUALITY_METRICS: dict[str, frozenset[str]] = {
    "Regression": frozenset({"mae", "mse", "rmse", "r2"}),
    "BinaryClassification": frozenset(
        {
            *_BINARY_SCORES,
            *(f"{name}_best_constant_classifier" for name in _BINARY_SCORES),
            "true_positive_rate",
            "true_negative_rate",
            "false_positive_rate",
            "false_negative_rate",
            "auc",
        }
    ),
    "MulticlassClassification": frozenset(
        {*_MULTICLASS_SCORES, *(f"{name}_best_constant_classifier" for name in _MULTICLASS_SCORES)}
    ),
}


def detect_problem_type(document: Mapping[str, Any], suffix: str, what: str) -> tuple[str, Mapping[str, Any]]:
    """Find the one ``<stem><suffix>`` section of a model-quality file; return its problem type and content.

    :param document: the parsed file.
    :param suffix: ``"_metrics"`` for statistics, ``"_constraints"`` for constraints.
    :param what: the file name, quoted in errors.
    """
    found = [(ptype, stem + suffix) for ptype, stem in PROBLEM_TYPE_KEYS.items() if stem + suffix in document]
    expected = ", ".join(stem + suffix for stem in PROBLEM_TYPE_KEYS.values())
    if len(found) != 1:
        keys = ", ".join(key for _, key in found) or "none"
        raise ValueError(f"{what}: must have exactly one of {expected} (found {keys})")
    problem_type, key = found[0]
    return problem_type, mapping_at(document, key, what)


@dataclass(frozen=True, eq=False, repr=False)
class KllBucket(ValueObject):
    """One bucket of a numeric feature's KLL distribution: ``count`` values from lower to upper bound."""

    lower_bound: float | None
    upper_bound: float | None
    count: float | None


@dataclass(frozen=True, eq=False, repr=False)
class CategoricalBucket(ValueObject):
    """One bucket of a string feature's categorical distribution: ``count`` records with ``value``."""

    value: str | None
    count: float | None


@dataclass(frozen=True, eq=False, repr=False)
class FeatureStatistics(ValueObject):
    """Statistics of one feature (an entry of ``features``).

    :param name: the feature name (``_c0, _c1, ...`` for CSV without header).
    :param inferred_type: ``Integral``, ``Fractional``, ``String`` or ``Unknown``.
    :param num_present: records with a value.
    :param num_missing: records without a value.
    :param mean: numeric features only, like ``sum``, ``std_dev``, ``min``, ``max``.
    :param buckets: numeric features: the KLL buckets.
    :param distinct_count: string features only: the approximate number of distinct values.
    :param categorical_buckets: string features: value counts.
    """

    name: str
    inferred_type: str | None
    num_present: int | None = None
    num_missing: int | None = None
    mean: float | None = None
    sum: float | None = None
    std_dev: float | None = None
    min: float | None = None
    max: float | None = None
    buckets: tuple[KllBucket, ...] = ()
    distinct_count: float | None = None
    categorical_buckets: tuple[CategoricalBucket, ...] = ()

    @property
    def is_numeric(self) -> bool:
        """Whether the feature was inferred as ``Integral`` or ``Fractional``."""
        return self.inferred_type in NUMERIC_TYPES

    @property
    def completeness(self) -> float | None:
        """The share of records with a value, ``None`` when the counts are absent or both zero."""
        if self.num_present is None or self.num_missing is None:
            return None
        total = self.num_present + self.num_missing
        return self.num_present / total if total else None

    @classmethod
    def from_json(cls, item: Mapping[str, Any], where: str) -> FeatureStatistics:
        """Read one entry of ``features``.

        :param item: the parsed entry.
        :param where: its path, quoted in errors (e.g. ``statistics.json.features[3]``).
        """
        name, where = named_entry(item, where)
        inferred_type = optional_text(item.get("inferred_type"))
        numeric = mapping_at(item, "numerical_statistics", where, required=False)
        text = mapping_at(item, "string_statistics", where, required=False)
        stats, stats_where = (
            (numeric, f"{where}.numerical_statistics") if numeric else (text, f"{where}.string_statistics")
        )
        common = mapping_at(stats, "common", stats_where, required=False)
        distribution = mapping_at(stats, "distribution", stats_where, required=False)

        def number(key: str) -> float | None:
            source = numeric if key in _NUMERIC_KEYS else text
            return parse_number(source.get(key), f"{stats_where}.{key}")

        return cls(
            name=name,
            inferred_type=inferred_type,
            num_present=parse_count(common.get("num_present"), f"{stats_where}.common.num_present"),
            num_missing=parse_count(common.get("num_missing"), f"{stats_where}.common.num_missing"),
            mean=number("mean"),
            sum=number("sum"),
            std_dev=number("std_dev"),
            min=number("min"),
            max=number("max"),
            buckets=tuple(
                KllBucket(bucket("lower_bound"), bucket("upper_bound"), bucket("count"))
                for bucket in _buckets(distribution, "kll", f"{stats_where}.distribution")
            ),
            distinct_count=number("distinct_count"),
            categorical_buckets=tuple(
                CategoricalBucket(optional_text(bucket.raw("value")), bucket("count"))
                for bucket in _buckets(distribution, "categorical", f"{stats_where}.distribution")
            ),
        )

    def summary(self) -> dict[str, Any]:
        """JSON-safe headline figures (no buckets): counts, completeness, and numeric or string statistics."""
        summary: dict[str, Any] = {
            "name": self.name,
            "inferred_type": self.inferred_type,
            "num_present": self.num_present,
            "num_missing": self.num_missing,
            "completeness": json_number(self.completeness),
        }
        if self.is_numeric:
            for key in ("mean", "sum", "std_dev", "min", "max"):
                summary[key] = json_number(getattr(self, key))
        else:
            summary["distinct_count"] = json_number(self.distinct_count)
        return summary


_NUMERIC_KEYS = frozenset({"mean", "sum", "std_dev", "min", "max"})


class _Bucket:
    """One distribution bucket; calling it reads a number field, quoting the bucket's path in errors."""

    def __init__(self, item: Any, where: str) -> None:
        if not isinstance(item, Mapping):
            raise ValueError(f"{where}: must be a JSON object (got {type(item).__name__})")
        self._item = item
        self._where = where

    def raw(self, key: str) -> Any:
        return self._item.get(key)

    def __call__(self, key: str) -> float | None:
        return parse_number(self._item.get(key), f"{self._where}.{key}")


def _buckets(distribution: Mapping[str, Any], kind: str, where: str) -> list[_Bucket]:
    sketch = mapping_at(distribution, kind, where, required=False)
    items = list_at(sketch, "buckets", f"{where}.{kind}")
    return [_Bucket(item, f"{where}.{kind}.buckets[{index}]") for index, item in enumerate(items)]


@dataclass(frozen=True, eq=False, repr=False)
class DataQualityStatistics(ValueObject):
    """A data-quality ``statistics.json`` (baseline or monitoring run).

    :param version: the file's ``version`` (``0.0`` in practice).
    :param item_count: ``dataset.item_count``.
    :param features: per-feature statistics in file order.
    """

    version: float | None
    item_count: int | None
    features: tuple[FeatureStatistics, ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str | bytes) -> DataQualityStatistics:
        """Read the file, given parsed or as JSON text/bytes; a missing ``features`` list reads as empty."""
        document = load_json_object(data, STATISTICS_FILE)
        dataset = mapping_at(document, "dataset", STATISTICS_FILE, required=False)
        features = list_at(document, "features", STATISTICS_FILE)
        return cls(
            version=parse_number(document.get("version"), f"{STATISTICS_FILE}.version"),
            item_count=parse_count(dataset.get("item_count"), f"{STATISTICS_FILE}.dataset.item_count"),
            features=tuple(
                FeatureStatistics.from_json(item, f"{STATISTICS_FILE}.features[{index}]")
                for index, item in enumerate(features)
            ),
        )

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The feature names in file order."""
        return tuple(feature.name for feature in self.features)

    def feature(self, name: str) -> FeatureStatistics:
        """The statistics of feature ``name``; ``KeyError`` when there is none."""
        for feature in self.features:
            if feature.name == name:
                return feature
        raise KeyError(f"no feature {name!r} in {STATISTICS_FILE}")

    def summary(self) -> dict[str, Any]:
        """JSON-safe summary: item count, feature count and each feature's headline figures."""
        return {
            "item_count": self.item_count,
            "feature_count": len(self.features),
            "features": [feature.summary() for feature in self.features],
        }


@dataclass(frozen=True, eq=False, repr=False)
class ModelQualityStatistics(ValueObject):
    """A model-quality ``statistics.json``.

    :param version: the file's ``version``.
    :param problem_type: ``Regression``, ``BinaryClassification`` or ``MulticlassClassification``, from the
        ``<problem>_metrics`` key present.
    :param item_count: ``dataset.item_count``.
    :param evaluation_time: ``dataset.evaluation_time`` as written, if any.
    :param metrics: scalar metrics (entries with a ``value``) by name.
    :param standard_deviations: their ``standard_deviation`` (``NaN`` under 200 samples; ``None`` if absent).
    :param confusion_matrix: ``{actual: {predicted: count}}`` for classification, else ``None``.
    :param curves: other structured entries of lists of numbers (ROC and precision-recall curves) by name.
    """

    version: float | None
    problem_type: str
    item_count: int | None
    evaluation_time: str | None
    metrics: dict[str, float | None]
    standard_deviations: dict[str, float | None] = field(default_factory=dict)
    confusion_matrix: dict[str, dict[str, float | None]] | None = None
    curves: dict[str, dict[str, tuple[float | None, ...]]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str | bytes) -> ModelQualityStatistics:
        """Read the file (parsed or JSON text/bytes); it needs exactly one ``<problem>_metrics`` key."""
        document = load_json_object(data, STATISTICS_FILE)
        problem_type, section = detect_problem_type(document, "_metrics", STATISTICS_FILE)
        dataset = mapping_at(document, "dataset", STATISTICS_FILE, required=False)
        where = f"{STATISTICS_FILE}.{PROBLEM_TYPE_KEYS[problem_type]}_metrics"
        metrics: dict[str, float | None] = {}
        deviations: dict[str, float | None] = {}
        confusion: dict[str, dict[str, float | None]] | None = None
        curves: dict[str, dict[str, tuple[float | None, ...]]] = {}
        for name, entry in section.items():
            at = f"{where}.{name}"
            if not isinstance(entry, Mapping):
                raise ValueError(f"{at}: must be a JSON object (got {type(entry).__name__})")
            if name == "confusion_matrix":
                confusion = {
                    str(actual): {
                        str(pred): parse_number(n, f"{at}.{actual}.{pred}")
                        for pred, n in mapping_at(entry, actual, at).items()
                    }
                    for actual in entry
                }
            elif "value" in entry:
                metrics[name] = parse_number(entry["value"], f"{at}.value")
                deviations[name] = parse_number(entry.get("standard_deviation"), f"{at}.standard_deviation")
            else:
                curves[name] = {
                    key: tuple(parse_number(x, f"{at}.{key}") for x in list_at(entry, key, at))
                    for key in entry
                }
        return cls(
            version=parse_number(document.get("version"), f"{STATISTICS_FILE}.version"),
            problem_type=problem_type,
            item_count=parse_count(dataset.get("item_count"), f"{STATISTICS_FILE}.dataset.item_count"),
            evaluation_time=optional_text(dataset.get("evaluation_time")),
            metrics=metrics,
            standard_deviations=deviations,
            confusion_matrix=confusion,
            curves=curves,
        )

    def standard_deviation(self, name: str) -> float | None:
        """Metric ``name``'s standard deviation (``NaN``/``None`` if not computed); KeyError if unknown."""
        if name not in self.metrics:
            raise KeyError(f"no metric {name!r} in {STATISTICS_FILE}")
        return self.standard_deviations.get(name)

    def summary(self) -> dict[str, Any]:
        """JSON-safe summary: problem type, item count, evaluation time, each metric's value and standard
        deviation, and the confusion matrix when present (curves are left out)."""
        summary: dict[str, Any] = {
            "problem_type": self.problem_type,
            "item_count": self.item_count,
            "evaluation_time": self.evaluation_time,
            "metrics": {
                name: {
                    "value": json_number(value),
                    "standard_deviation": json_number(self.standard_deviations.get(name)),
                }
                for name, value in self.metrics.items()
            },
        }
        if self.confusion_matrix is not None:
            summary["confusion_matrix"] = {
                actual: {pred: json_number(n) for pred, n in row.items()}
                for actual, row in self.confusion_matrix.items()
            }
        return summary
