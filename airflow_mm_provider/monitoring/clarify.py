"""Views of the Clarify ``analysis.json`` written by bias and explainability baselines and monitoring runs.

Bias: ``pre_training_bias_metrics`` and ``post_training_bias_metrics`` each name a label and its value, and
per facet a list of facet values, each with its metrics. They flatten to :class:`BiasMetricRow` rows. A
metric value may be a number, ``"Infinity"`` / ``"NaN"`` text, or ``null`` (then ``value`` is ``None`` and
``error`` may say why). Facet and label values are kept as text, e.g. ``"0"`` or ``"(0.5, 0.99]"``.

Explainability: ``explanations.kernel_shap`` maps each label (``label0``, ... or the label headers) to its
``global_shap_values`` per feature and its ``expected_value``.

Summaries are JSON-serializable with ``allow_nan=False``: non-finite floats appear as ``"NaN"``,
``"Infinity"`` or ``"-Infinity"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from airflow_mm_provider.monitoring.paths import ANALYSIS_FILE
from airflow_mm_provider.monitoring.report_json import (
    json_number,
    json_safe_object,
    list_at,
    load_json_object,
    mapping_at,
    optional_text,
    parse_number,
)
from airflow_mm_provider.monitoring.value_objects import ValueObject

PRE_TRAINING = "pre_training"
POST_TRAINING = "post_training"
#: The bias stages, in the order rows are listed; ``<stage>_bias_metrics`` is the section key.
BIAS_STAGES: tuple[str, ...] = (PRE_TRAINING, POST_TRAINING)
KERNEL_SHAP = "kernel_shap"


class BiasMetricRow(NamedTuple):
    """One bias metric value for one facet value of one stage."""

    stage: str
    label: str | None
    label_value: str | None
    facet: str
    facet_value: str | None
    name: str
    description: str | None
    value: float | None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The row as a JSON-safe dict (non-finite ``value`` as text)."""
        return {**self._asdict(), "value": json_number(self.value)}


def _stage_rows(stage: str, section: Mapping[str, Any], where: str) -> list[BiasMetricRow]:
    label = optional_text(section.get("label"))
    label_value = optional_text(section.get("label_value_or_threshold"))
    rows = []
    facets = mapping_at(section, "facets", where, required=False)
    for facet in facets:
        facet_where = f"{where}.facets.{facet}"
        for index, group in enumerate(list_at(facets, facet, f"{where}.facets")):
            group_where = f"{facet_where}[{index}]"
            if not isinstance(group, Mapping):
                raise ValueError(f"{group_where}: must be a JSON object (got {type(group).__name__})")
            facet_value = optional_text(group.get("value_or_threshold"))
            for position, metric in enumerate(list_at(group, "metrics", group_where)):
                metric_where = f"{group_where}.metrics[{position}]"
                if not isinstance(metric, Mapping) or not isinstance(metric.get("name"), str):
                    raise ValueError(
                        f"{metric_where}: must be a JSON object with a string name (got {metric!r})"
                    )
                rows.append(
                    BiasMetricRow(
                        stage=stage,
                        label=label,
                        label_value=label_value,
                        facet=str(facet),
                        facet_value=facet_value,
                        name=metric["name"],
                        description=optional_text(metric.get("description")),
                        value=parse_number(metric.get("value"), f"{metric_where}.value"),
                        error=optional_text(metric.get("error")),
                    )
                )
    return rows


@dataclass(frozen=True, eq=False, repr=False)
class BiasAnalysis(ValueObject):
    """The bias part of a Clarify ``analysis.json``.

    :param version: the file's ``version`` (``"1.0"``).
    :param rows: every metric value, pre-training stage first, then in file order.
    """

    version: str | None
    rows: tuple[BiasMetricRow, ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str | bytes) -> BiasAnalysis:
        """Read the file, given parsed or as JSON text/bytes; an absent stage contributes no rows."""
        document = load_json_object(data, ANALYSIS_FILE)
        rows: list[BiasMetricRow] = []
        for stage in BIAS_STAGES:
            key = f"{stage}_bias_metrics"
            section = mapping_at(document, key, ANALYSIS_FILE, required=False)
            rows += _stage_rows(stage, section, f"{ANALYSIS_FILE}.{key}")
        return cls(optional_text(document.get("version")), tuple(rows))

    @property
    def stages(self) -> tuple[str, ...]:
        """The stages that have at least one row, in :data:`BIAS_STAGES` order."""
        present = {row.stage for row in self.rows}
        return tuple(stage for stage in BIAS_STAGES if stage in present)

    def metric(self, stage: str, facet: str, facet_value: str, name: str) -> float | None:
        """The value of metric ``name`` for ``facet=facet_value`` at ``stage``; ``KeyError`` when absent."""
        for row in self.rows:
            if (row.stage, row.facet, row.facet_value, row.name) == (stage, facet, facet_value, name):
                return row.value
        raise KeyError(f"no {stage} metric {name!r} for {facet}={facet_value} in {ANALYSIS_FILE}")

    def summary(self) -> dict[str, Any]:
        """JSON-safe summary: version, row count, stages, and every row as a dict."""
        return {
            "version": self.version,
            "metric_count": len(self.rows),
            "stages": list(self.stages),
            "metrics": [row.to_dict() for row in self.rows],
        }


class ShapRow(NamedTuple):
    """One feature's global SHAP value for one label."""

    label: str
    feature: str
    value: float | None


@dataclass(frozen=True, eq=False, repr=False)
class LabelAttribution(ValueObject):
    """The explanation of one label.

    :param label: the label key (``label0``, ... or a label header).
    :param global_shap_values: feature -> mean absolute SHAP value, in file order.
    :param expected_value: the model's expected output (the SHAP base value), if given.
    """

    label: str
    global_shap_values: dict[str, float | None]
    expected_value: float | None

    def ranking(self) -> list[str]:
        """Feature names from the largest global SHAP magnitude to the smallest (missing values last)."""
        return sorted(
            self.global_shap_values,
            key=lambda name: -abs(value) if (value := self.global_shap_values[name]) is not None else 0.0,
        )


@dataclass(frozen=True, eq=False, repr=False)
class ExplainabilityAnalysis(ValueObject):
    """The explainability part of a Clarify ``analysis.json``.

    :param version: the file's ``version`` (``"1.0"``).
    :param method: the explanation method read (``kernel_shap``).
    :param labels: label -> its attribution, in file order.
    """

    version: str | None
    method: str
    labels: dict[str, LabelAttribution]

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | str | bytes) -> ExplainabilityAnalysis:
        """Read the file, given parsed or as JSON text/bytes; other explanation kinds (e.g. ``pdp``) are
        ignored, and a file without ``explanations.kernel_shap`` has no labels."""
        document = load_json_object(data, ANALYSIS_FILE)
        explanations = mapping_at(document, "explanations", ANALYSIS_FILE, required=False)
        where = f"{ANALYSIS_FILE}.explanations"
        shap = mapping_at(explanations, KERNEL_SHAP, where, required=False)
        where = f"{where}.{KERNEL_SHAP}"
        labels = {}
        for label in shap:
            entry = mapping_at(shap, label, where)
            values = mapping_at(entry, "global_shap_values", f"{where}.{label}", required=False)
            labels[str(label)] = LabelAttribution(
                label=str(label),
                global_shap_values={
                    str(feature): parse_number(value, f"{where}.{label}.global_shap_values.{feature}")
                    for feature, value in values.items()
                },
                expected_value=parse_number(entry.get("expected_value"), f"{where}.{label}.expected_value"),
            )
        return cls(optional_text(document.get("version")), KERNEL_SHAP, labels)

    def label(self, name: str) -> LabelAttribution:
        """The attribution of label ``name``; ``KeyError`` when absent."""
        if name not in self.labels:
            raise KeyError(f"no label {name!r} in {ANALYSIS_FILE}")
        return self.labels[name]

    def rows(self) -> list[ShapRow]:
        """Every (label, feature, global SHAP value): labels in file order, features by falling magnitude."""
        return [
            ShapRow(attribution.label, feature, attribution.global_shap_values[feature])
            for attribution in self.labels.values()
            for feature in attribution.ranking()
        ]

    def summary(self) -> dict[str, Any]:
        """JSON-safe summary: version, method, and per label its expected value and global SHAP values."""
        return json_safe_object(
            {
                "version": self.version,
                "method": self.method,
                "labels": {
                    label: {
                        "expected_value": attribution.expected_value,
                        "global_shap_values": attribution.global_shap_values,
                    }
                    for label, attribution in self.labels.items()
                },
            }
        )
