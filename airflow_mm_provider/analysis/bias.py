"""Clarify-style bias analysis: the ``analysis.json`` of a model-bias job, and bias-drift violations.

:func:`count_bias` reads records once and keeps only counts (a
:class:`~airflow_mm_provider.analysis.bias_partial.BiasPartial`): for each facet it counts records per (facet
value or facet side, observed label, predicted label, group-variable value). Every metric in
:mod:`~airflow_mm_provider.analysis.bias_metrics` is a function of these counts, including the label
divergences (they compare binary label distributions) and GE (its per-record benefit ``y' - y + 1`` only takes
the values 0, 1 and 2), so memory grows with the number of distinct facet and group values, not with the
number of records. Partials counted over parts of the records merge into the counts of one pass, and
:func:`finalize` turns counts into a :class:`BiasCounts`.

How the analysis config is read (keys as in the monitoring ``analysis_config.json``):

- ``label`` (column name or index) and ``label_values_or_threshold``: a record's label is positive when it
  equals one of the values. A list holding a single non-integral number (such as ``[0.5]``) is a threshold
  instead: positive when the label is a number greater than it. Integers, integral numbers (``[1]``,
  ``[1.0]``) and strings are values, so ``[1]`` on a 0/1 label means "1 is positive"; to threshold at an
  integer write a value just below it (``[39.5]``). Values compare as numbers when both sides parse as numbers
  (CSV ``"1.0"`` equals ``1``), else as trimmed strings. Records whose label is missing (or, for a threshold,
  not numeric) are left out.
- ``facet``: a list of ``{"name_or_index", "value_or_threshold"}``. Values or a threshold select facet *d*
  with the same rules as the label (a missing or non-numeric facet value falls in facet *a*); a threshold is
  reported as the interval ``"(threshold, max]"``, ``max`` being the largest facet value seen. Without
  ``value_or_threshold`` every distinct facet value is analysed in turn as facet *d* against all others.
- ``group_variable`` (optional): needed by CDDL and CDDPL, which are left out of the output without it.
- ``probability_threshold`` (default 0.5): with ``probabilities``, a record is predicted positive when its
  probability is at least this value. Predicted labels are judged with the label's rule.
- ``methods`` (optional, as in the Clarify processing config): ``{"pre_training_bias": {"methods": [...]}}``
  and ``"post_training_bias"`` restrict the metrics; ``"all"`` or no entry means every metric. FT (flip test)
  is never computed: it needs the model itself. :func:`requested_stages` tells which stages the block names.

:class:`BiasCounts` gives both the ``analysis.json`` document and the bootstrap confidence intervals of every
metric (:mod:`~airflow_mm_provider.analysis.bias_bootstrap`); :func:`bias_drift_violations` judges the
intervals against the baseline.

Metric values that are infinite are written as the strings ``"Infinity"`` / ``"-Infinity"``, as the reference
implementation writes them; NaN stays a float (Python's json module writes it as ``NaN``).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

import numpy as np

from airflow_mm_provider.analysis.bias_bootstrap import (
    CONFIDENCE,
    RESAMPLES,
    SEED,
    Interval,
    bootstrap_intervals,
)
from airflow_mm_provider.analysis.bias_metrics import (
    FAIR_VALUES,
    post_training_metrics,
    pre_training_metrics,
)
from airflow_mm_provider.analysis.bias_partial import (
    CATALOGUES,
    CONFIG_METHODS,
    POST_TRAINING,
    PRE_TRAINING,
    BiasPartial,
    BiasSpec,
)
from airflow_mm_provider.analysis.bias_values import group_order, value_order

__all__ = [
    "BIAS_DRIFT_CHECK",
    "POST_TRAINING",
    "PRE_TRAINING",
    "BiasCounts",
    "MetricKey",
    "bias_drift_violations",
    "count_bias",
    "finalize",
    "requested_stages",
    "run_bias_analysis",
]

BIAS_DRIFT_CHECK = "bias_drift_check"

_SECTIONS = {PRE_TRAINING: "pre_training_bias_metrics", POST_TRAINING: "post_training_bias_metrics"}
_INTERVAL = re.compile(r"^\((?P<low>[^,]+), (?P<high>[^\]]+)\]$")
_BLOCK = 65_536
"""Records counted per block of :func:`count_bias`."""
_END = object()

MetricKey = tuple[str, str, tuple[str, str], str]
"""Identifies one metric across analyses: (section, facet name, facet value key, metric name)."""


# --- reading records ----------------------------------------------------------------------------------------


def _is_sequence(value: object) -> bool:
    return isinstance(value, (list, tuple, np.ndarray))


def _flatten_records(rows: Iterable[Any]) -> Iterator[Sequence[object]]:
    """Yield records from an iterable of records or of chunks (a chunk is a sequence of record sequences)."""
    for item in rows:
        if len(item) and _is_sequence(item[0]):
            yield from item
        else:
            yield item


def _flatten_values(values: Iterable[Any]) -> Iterator[object]:
    """Yield scalars from an iterable of scalars or of chunks (lists, tuples or arrays of scalars)."""
    for item in values:
        if _is_sequence(item):
            yield from item
        else:
            yield item


def _blocks(
    rows: Iterable[Sequence[object]], predictions: Iterable[object] | None
) -> Iterator[tuple[list[Sequence[object]], list[object] | None]]:
    """Blocks of records, each with its predictions (None without); the two counts must agree."""
    records = _flatten_records(rows)
    values = None if predictions is None else _flatten_values(predictions)
    while block := list(islice(records, _BLOCK)):
        paired = None if values is None else list(islice(values, len(block)))
        if paired is not None and len(paired) < len(block):
            raise ValueError("there are more records than predicted labels / probabilities")
        yield block, paired
    if values is not None and next(values, _END) is not _END:
        raise ValueError("there are more predicted labels / probabilities than records")


# --- the analysis -----------------------------------------------------------------------------------------


def requested_stages(config: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The stages (:data:`PRE_TRAINING`, :data:`POST_TRAINING`) the config's ``methods`` block names, in that
    order; None when it names neither (a monitoring config has no ``methods``)."""
    methods = config.get("methods")
    if not isinstance(methods, Mapping):
        return None
    stages = tuple(stage for stage in (PRE_TRAINING, POST_TRAINING) if methods.get(CONFIG_METHODS[stage]))
    return stages or None


def _stages(methods: Collection[str] | str) -> tuple[str, ...]:
    """The stages ``methods`` names, post-training first (the order of the document's sections)."""
    chosen = (methods,) if isinstance(methods, str) else tuple(methods)
    stages = tuple(stage for stage in (POST_TRAINING, PRE_TRAINING) if stage in chosen)
    unknown = sorted(set(chosen) - set(_SECTIONS))
    if unknown or not stages:
        raise ValueError(
            f"methods: expected {PRE_TRAINING!r} and/or {POST_TRAINING!r} (got {sorted(chosen)})"
        )
    return stages


def _json_value(value: float) -> float | str:
    """A metric value for ``analysis.json``: infinities become "Infinity" / "-Infinity" (as the reference)."""
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _metric_entries(values: Mapping[str, float], catalogue: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {"name": name, "description": catalogue[name], "value": _json_value(value)}
        for name, value in values.items()
    ]


def _stage_metrics(
    stage: str, counts: np.ndarray, grouped: bool, names: Collection[str] | None
) -> dict[str, Any]:
    """The metrics of ``stage`` from its count table (label counts, or confusion counts post-training)."""
    if stage == PRE_TRAINING:
        return pre_training_metrics(counts, grouped, names)
    return post_training_metrics(counts, grouped, names)


def run_bias_analysis(
    config: Mapping[str, Any],
    rows: Iterable[Sequence[object]],
    headers: Sequence[str],
    predicted_labels: Iterable[object] | None = None,
    probabilities: Iterable[object] | None = None,
    probability_threshold: float | None = None,
    methods: Collection[str] = (PRE_TRAINING, POST_TRAINING),
) -> dict[str, Any]:
    """Compute Clarify bias metrics and return the ``analysis.json`` document (:func:`count_bias`, then
    :meth:`BiasCounts.analysis`; the parameters are :func:`count_bias`'s)."""
    counts = count_bias(
        config, rows, headers, predicted_labels, probabilities, probability_threshold, methods
    )
    return counts.analysis()


@dataclass
class BiasCounts:
    """The finalized counts of one bias analysis (see :func:`finalize`).

    :param partial: the counts over all the records.
    :param stages: the stages computed, post-training first.
    """

    partial: BiasPartial
    stages: tuple[str, ...]

    def analysis(self) -> dict[str, Any]:
        """The ``analysis.json`` document: ``{"version": "1.0", "post_training_bias_metrics": {...},
        "pre_training_bias_metrics": {...}}`` with only the computed stages, each ``{"label",
        "label_value_or_threshold", "facets": {name: [{"value_or_threshold", "metrics": [{"name",
        "description", "value"}]}]}}``, metrics sorted by name."""
        spec = self.partial.spec
        document: dict[str, Any] = {"version": "1.0"}
        for stage in self.stages:
            names = spec.metric_names(stage)
            section: dict[str, Any] = {
                "label": spec.label,
                "label_value_or_threshold": spec.label_rule.describe(self.partial.label_maximum),
                "facets": {},
            }
            for number, facet in enumerate(spec.facets):
                entries = section["facets"].setdefault(facet.name, [])
                for shown, table in self._tables(number, stage):
                    values = _stage_metrics(stage, table, spec.grouped, names)
                    metrics = _metric_entries(values, CATALOGUES[stage])
                    entries.append({"value_or_threshold": shown, "metrics": metrics})
            document[_SECTIONS[stage]] = section
        return document

    def intervals(
        self, *, confidence: float = CONFIDENCE, resamples: int = RESAMPLES, seed: int = SEED
    ) -> dict[MetricKey, Interval | None]:
        """Normal bootstrap confidence intervals of every metric of :meth:`analysis`, from resampled counts.

        :param confidence: the confidence level.
        :param resamples: the number of resamples per count table.
        :param seed: seeds the resampling, so equal counts give equal intervals.
        :returns: {metric key: (low, high), or None where undefined}; see
            :mod:`~airflow_mm_provider.analysis.bias_bootstrap`.
        """
        spec = self.partial.spec
        rng = np.random.default_rng(seed)
        found: dict[MetricKey, Interval | None] = {}
        for stage in self.stages:
            names = spec.metric_names(stage)
            metrics = functools.partial(_stage_metrics, stage, grouped=spec.grouped, names=names)
            for number, facet in enumerate(spec.facets):
                for shown, table in self._tables(number, stage):
                    values = bootstrap_intervals(
                        table, metrics, confidence=confidence, resamples=resamples, rng=rng
                    )
                    for name, interval in values.items():
                        found[(_SECTIONS[stage], facet.name, _facet_value_key(shown), name)] = interval
        return found

    def _tables(self, number: int, stage: str) -> Iterator[tuple[str, np.ndarray]]:
        """(value_or_threshold text, count table of ``stage``) for every facet-d selection of facet
        ``number``: label counts (groups, 2, 2), or confusion counts (groups, 2, 2, 2) post-training."""
        facet, table = self.partial.spec.facets[number], self.partial.facets[number]
        keys, group_keys = table.keys.keys, self.partial.groups.keys
        totals = table.counts.sum(axis=(0, 2, 3))
        groups = sorted(np.flatnonzero(totals).tolist(), key=lambda group: group_order(group_keys[group]))
        counts = table.counts[:, groups] if groups else np.zeros((len(keys), 1, 2, 3), dtype=np.int64)
        if facet.rule is not None:
            selections = [(facet.rule.describe(table.maximum), [key is True for key in keys])]
        else:
            seen = counts.sum(axis=(1, 2, 3)) > 0
            present = sorted(
                {
                    key
                    for key, found in zip(keys, seen.tolist(), strict=True)
                    if found and isinstance(key, str)
                },
                key=value_order,
            )
            selections = [(value, [key == value for key in keys]) for value in present]
        for shown, chosen in selections:
            d = np.array(chosen, dtype=bool)
            both = np.stack([counts[~d].sum(axis=0), counts[d].sum(axis=0)], axis=1).astype(np.float64)
            yield shown, both.sum(axis=-1) if stage == PRE_TRAINING else both[..., 1:]


def finalize(partial: BiasPartial, methods: Collection[str] = (PRE_TRAINING, POST_TRAINING)) -> BiasCounts:
    """The :class:`BiasCounts` of the records a (merged) partial counted.

    :param partial: the counts.
    :param methods: which stages to compute: ``"pre_training"`` and/or ``"post_training"``.
    :raises ValueError: on unknown stages or metric names.
    """
    stages = _stages(methods)
    for stage in stages:
        partial.spec.metric_names(stage)
    return BiasCounts(partial, stages)


def count_bias(
    config: Mapping[str, Any],
    rows: Iterable[Sequence[object]],
    headers: Sequence[str],
    predicted_labels: Iterable[object] | None = None,
    probabilities: Iterable[object] | None = None,
    probability_threshold: float | None = None,
    methods: Collection[str] = (PRE_TRAINING, POST_TRAINING),
) -> BiasCounts:
    """Read the records once and count them for the Clarify bias metrics.

    See the module docstring for how the config is read.

    :param config: the bias analysis config (``label``, ``label_values_or_threshold``, ``facet``, optional
        ``group_variable``, ``probability_threshold`` and ``methods``).
    :param rows: records whose values line up with ``headers``, or chunks (lists) of such records; values may
        be text, as read from CSV.
    :param headers: the column names of the records.
    :param predicted_labels: the model's predicted label per record (same order, flat or chunked).
    :param probabilities: instead of ``predicted_labels``, the model's probability of the positive label.
    :param probability_threshold: overrides the config's ``probability_threshold`` (default 0.5).
    :param methods: which stages to compute: ``"pre_training"`` and/or ``"post_training"`` (one name or a
        collection); the latter needs predicted labels or probabilities.
    :raises ValueError: on an incomplete or inconsistent config, unknown stages, missing predictions for the
        post-training stage, or predictions whose count differs from the records'.
    """
    stages = _stages(methods)
    if predicted_labels is not None and probabilities is not None:
        raise ValueError("give either predicted_labels or probabilities, not both")
    if POST_TRAINING in stages and predicted_labels is None and probabilities is None:
        raise ValueError("post-training bias metrics need predicted_labels or probabilities")
    spec = BiasSpec.from_config(config, headers, probability_threshold)
    for stage in stages:
        spec.metric_names(stage)
    partial = BiasPartial(spec)
    predictions = None
    if POST_TRAINING in stages:
        predictions = predicted_labels if predicted_labels is not None else probabilities
    for block, predicted in _blocks(rows, predictions):
        outcomes = None
        if predicted is not None:
            given = predicted_labels is not None
            outcomes = spec.outcomes(predicted if given else None, None if given else predicted)
        partial.add_records(block, outcomes)
    return finalize(partial, stages)


# --- drift ------------------------------------------------------------------------------------------------


def _metric_value(value: object) -> float | None:
    """A metric value from an ``analysis.json`` as a float ("Infinity" and "NaN" text included); else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _facet_value_key(value_or_threshold: object) -> tuple[str, str]:
    """Matching key of a facet selection: a threshold interval matches on its lower bound only (its upper
    bound is the largest value seen, which differs between data sets)."""
    text = str(value_or_threshold)
    match = _INTERVAL.match(text)
    return ("above", match.group("low").strip()) if match else ("values", text)


def _iter_metrics(document: Mapping[str, Any]) -> Iterator[tuple[MetricKey, str, float]]:
    """Yield ((section, facet, facet value key, metric name), facet value text, value) for every metric."""
    for section in (_SECTIONS[PRE_TRAINING], _SECTIONS[POST_TRAINING]):
        block = document.get(section)
        if not isinstance(block, Mapping):
            continue
        for facet, selections in (block.get("facets") or {}).items():
            for selection in selections or []:
                shown = str(selection.get("value_or_threshold"))
                for metric in selection.get("metrics") or []:
                    value = _metric_value(metric.get("value"))
                    if value is not None and "name" in metric:
                        key = (section, str(facet), _facet_value_key(shown), str(metric["name"]))
                        yield key, shown, value


def _format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def _beyond(distance: float, allowed: float) -> bool:
    """Whether ``distance`` exceeds ``allowed`` by more than float rounding."""
    return distance > allowed and not math.isclose(distance, allowed, rel_tol=1e-9, abs_tol=1e-12)


def _violates(name: str, current: float, baseline: float, interval: Interval | None) -> bool:
    """Whether the metric's confidence interval (else its value alone) and its allowed range are disjoint.

    The allowed range holds the values no farther from the metric's fair value than the baseline value.
    """
    if math.isnan(current) or math.isnan(baseline):
        return False
    fair = FAIR_VALUES.get(name, 0.0)
    allowed = abs(baseline - fair)
    if math.isinf(allowed):
        return False
    low, high = interval if interval is not None else (current, current)
    return _beyond(low - fair, allowed) or _beyond(fair - high, allowed)


def bias_drift_violations(
    current: Mapping[str, Any],
    baseline: Mapping[str, Any],
    intervals: Mapping[MetricKey, Interval | None] | None = None,
) -> list[dict[str, str]]:
    """Compare a current ``analysis.json`` with the baseline one and list the bias-drift violations.

    Only metrics present in both (same section, facet, facet value and name) are judged. A metric's allowed
    range holds the values no farther from its fair value (1 for DI, 0 for the others) than the baseline
    value (developer guide, "Bias Drift Violations": with a baseline DPPL of 0.2, 0.1 passes and -0.3
    violates); it violates when its confidence interval (``intervals``, see :meth:`BiasCounts.intervals`)
    and the allowed range are disjoint. A metric without an interval is judged by its value alone. Values
    that differ only by float rounding (relative 1e-9) are equal. A NaN on either side is never a violation
    (it cannot be judged); an infinite current value violates only against a finite baseline. A threshold
    facet matches on its threshold, whatever the upper bound of its interval.

    :param current: the ``analysis.json`` document of the monitoring run.
    :param baseline: the baseline ``analysis.json`` document (the bias job's constraints).
    :param intervals: confidence intervals of the current metrics by :data:`MetricKey`.
    :returns: violation records ``{"facet", "facet_value", "metric_name", "constraint_check_type",
        "description"}`` in the order of ``current``.
    """
    reference = {key: value for key, _, value in _iter_metrics(baseline)}
    violations = []
    for key, shown, value in _iter_metrics(current):
        interval = (intervals or {}).get(key)
        if key not in reference or not _violates(key[3], value, reference[key], interval):
            continue
        violations.append(
            {
                "facet": key[1],
                "facet_value": shown,
                "metric_name": key[3],
                "constraint_check_type": BIAS_DRIFT_CHECK,
                "description": (
                    f"Metric value {_format_value(value)} doesn't meet the baseline constraint requirement "
                    f"{_format_value(reference[key])}"
                ),
            }
        )
    return violations
