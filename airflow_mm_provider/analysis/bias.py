"""Clarify-style bias analysis: the ``analysis.json`` of a model-bias job, and bias-drift violations.

:func:`run_bias_analysis` reads records once and keeps only counts: for each facet it counts records per
(facet value or facet side, observed label, predicted label, group-variable value). Every metric in
:mod:`~airflow_mm_provider.analysis.bias_metrics` is a function of these counts, including the label
divergences (they compare binary label distributions) and GE (its per-record benefit ``y' - y + 1`` only takes
the values 0, 1 and 2), so memory grows with the number of distinct facet and group values, not with the
number of records.

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

:func:`count_bias` keeps the counts (:class:`BiasCounts`), from which both the ``analysis.json`` document
and the bootstrap confidence intervals of every metric follow
(:mod:`~airflow_mm_provider.analysis.bias_bootstrap`); :func:`bias_drift_violations` judges the intervals
against the baseline.

Metric values that are infinite are written as the strings ``"Infinity"`` / ``"-Infinity"``, as the reference
implementation writes them; NaN stays a float (Python's json module writes it as ``NaN``).
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
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
    POST_TRAINING_METRICS,
    PRE_TRAINING_METRICS,
    post_training_metrics,
    pre_training_metrics,
)

__all__ = [
    "BIAS_DRIFT_CHECK",
    "POST_TRAINING",
    "PRE_TRAINING",
    "BiasCounts",
    "MetricKey",
    "bias_drift_violations",
    "count_bias",
    "requested_stages",
    "run_bias_analysis",
]

PRE_TRAINING = "pre_training"
POST_TRAINING = "post_training"
BIAS_DRIFT_CHECK = "bias_drift_check"

_SECTIONS = {PRE_TRAINING: "pre_training_bias_metrics", POST_TRAINING: "post_training_bias_metrics"}
_CONFIG_METHODS = {PRE_TRAINING: "pre_training_bias", POST_TRAINING: "post_training_bias"}
_CATALOGUES = {PRE_TRAINING: PRE_TRAINING_METRICS, POST_TRAINING: POST_TRAINING_METRICS}
_INTERVAL = re.compile(r"^\((?P<low>[^,]+), (?P<high>[^\]]+)\]$")
_EXACT_INTEGER_LIMIT = 2.0**53

MetricKey = tuple[str, str, tuple[str, str], str]
"""Identifies one metric across analyses: (section, facet name, facet value key, metric name)."""


# --- value handling -------------------------------------------------------------------------------------


def _number(raw: object) -> float | None:
    """The finite number ``raw`` holds (a number or numeric text), else None. Booleans are not numbers."""
    if isinstance(raw, (bool, np.bool_)):
        return None
    if isinstance(raw, (int, float, np.number)):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None


def _format_number(value: float) -> str:
    """Short text for a number: integral values without a fraction ("1"), others as Python writes floats."""
    if value.is_integer() and abs(value) < _EXACT_INTEGER_LIMIT:
        return str(int(value))
    return repr(value)


def _canonical(raw: object) -> str | None:
    """Comparable text for a cell: numbers in :func:`_format_number` form, text trimmed; None when missing."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    number = _number(raw)
    if number is not None:
        return _format_number(number)
    text = raw.strip() if isinstance(raw, str) else str(raw)
    return text or None


def _is_sequence(value: object) -> bool:
    return isinstance(value, (list, tuple, np.ndarray))


def _flatten_records(rows: Iterable[Sequence[object]]) -> Iterator[Sequence[object]]:
    """Yield records from an iterable of records or of chunks (a chunk is a sequence of record sequences)."""
    for item in rows:
        if len(item) and _is_sequence(item[0]):
            yield from item
        else:
            yield item


def _flatten_values(values: Iterable[object]) -> Iterator[object]:
    """Yield scalars from an iterable of scalars or of chunks (lists, tuples or arrays of scalars)."""
    for item in values:
        if _is_sequence(item):
            yield from item
        else:
            yield item


def _cell(record: Sequence[object], index: int) -> object:
    return record[index] if index < len(record) else None


def _column(headers: Sequence[str], name_or_index: object, what: str) -> tuple[str, int]:
    """Resolve a config column reference (header name or 0-based index) to (name, index)."""
    if isinstance(name_or_index, int) and not isinstance(name_or_index, bool):
        if name_or_index < 0:
            raise ValueError(f"{what}: column index must not be negative (got {name_or_index})")
        name = headers[name_or_index] if name_or_index < len(headers) else str(name_or_index)
        return name, name_or_index
    if isinstance(name_or_index, str) and name_or_index in headers:
        return name_or_index, list(headers).index(name_or_index)
    raise ValueError(f"{what}: {name_or_index!r} is not one of the headers {list(headers)}")


# --- positive / sensitive side rules -------------------------------------------------------------------


@dataclass(frozen=True)
class _SideRule:
    """Which cell values select the positive label or facet d: a set of values, or ``> threshold``."""

    values: frozenset[str]
    threshold: float | None
    shown: str

    @classmethod
    def from_config(cls, configured: object, what: str) -> _SideRule:
        """Build the rule from a config list such as ``[1]``, ``["yes", "maybe"]`` or ``[0.5]``."""
        items = list(configured) if isinstance(configured, (list, tuple)) else [configured]
        if not items or any(item is None for item in items):
            raise ValueError(f"{what}: needs at least one value or a threshold (got {configured!r})")
        single = items[0]
        if (
            len(items) == 1
            and isinstance(single, float)
            and math.isfinite(single)
            and not float(single).is_integer()
        ):
            return cls(frozenset(), float(single), repr(float(single)))
        canonical = [_canonical(item) or str(item) for item in items]
        return cls(frozenset(canonical), None, ",".join(canonical))

    def side(self, raw: object) -> bool | None:
        """True / False for the selected / other side; None when the cell is missing (or not numeric)."""
        if self.threshold is not None:
            number = _number(raw)
            return None if number is None else number > self.threshold
        canonical = _canonical(raw)
        return None if canonical is None else canonical in self.values

    def describe(self, maximum: float | None) -> str:
        """The ``value_or_threshold`` text: the values joined by commas, or ``"(threshold, max]"``."""
        if self.threshold is None:
            return self.shown
        top = self.threshold if maximum is None else maximum
        return f"({self.shown}, {_format_number(top)}]"


@dataclass
class _Maximum:
    """Running maximum of the numeric cells seen."""

    value: float | None = None

    def see(self, raw: object) -> None:
        number = _number(raw)
        if number is not None and (self.value is None or number > self.value):
            self.value = number


# --- counting ---------------------------------------------------------------------------------------------

_CountKey = tuple[object, int, int | None, str | None]


@dataclass
class _FacetTally:
    """Counts for one configured facet, keyed (facet key, label, predicted label or None, group or None).

    The facet key is the side (True = d) when the facet has values or a threshold, else the facet's canonical
    value (None when missing).
    """

    name: str
    index: int
    rule: _SideRule | None
    counts: Counter[_CountKey] = field(default_factory=Counter)
    maximum: _Maximum = field(default_factory=_Maximum)

    def add(self, record: Sequence[object], label: int, predicted: int | None, group: str | None) -> None:
        raw = _cell(record, self.index)
        if self.rule is None:
            key: object = _canonical(raw)
        else:
            key = self.rule.side(raw) is True
            if self.rule.threshold is not None:
                self.maximum.see(raw)
        self.counts[(key, label, predicted, group)] += 1

    def selections(self) -> list[tuple[str, object]]:
        """(value_or_threshold text, facet key of d) for every facet-d selection to report."""
        if self.rule is not None:
            return [(self.rule.describe(self.maximum.value), True)]
        present = {key for key, _, _, _ in self.counts if key is not None}
        return [(value, value) for value in sorted(present, key=_value_order)]

    def tables(self, d_key: object, groups: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
        """Label counts (groups, 2, 2) and confusion counts (groups, 2, 2, 2) with facet d = ``d_key``."""
        position = {group: number for number, group in enumerate(groups)}
        labels = np.zeros((len(groups), 2, 2))
        confusion = np.zeros((len(groups), 2, 2, 2))
        for (key, label, predicted, group), count in self.counts.items():
            facet = int(key == d_key)
            labels[position[group], facet, label] += count
            if predicted is not None:
                confusion[position[group], facet, label, predicted] += count
        return labels, confusion


def _value_order(value: str) -> tuple[int, float, str]:
    """Sort numbers numerically before text."""
    number = _number(value)
    return (0, number, value) if number is not None else (1, 0.0, value)


def _group_order(group: str | None) -> tuple[int, float, str]:
    return (-1, 0.0, "") if group is None else _value_order(group)


# --- the analysis -----------------------------------------------------------------------------------------


def requested_stages(config: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The stages (:data:`PRE_TRAINING`, :data:`POST_TRAINING`) the config's ``methods`` block names, in that
    order; None when it names neither (a monitoring config has no ``methods``)."""
    methods = config.get("methods")
    if not isinstance(methods, Mapping):
        return None
    stages = tuple(stage for stage in (PRE_TRAINING, POST_TRAINING) if methods.get(_CONFIG_METHODS[stage]))
    return stages or None


def _metric_names(config: Mapping[str, Any], stage: str) -> list[str] | None:
    """The metric names the config's ``methods`` block asks for in ``stage``; None means all."""
    methods = config.get("methods")
    entry = methods.get(_CONFIG_METHODS[stage]) if isinstance(methods, Mapping) else None
    chosen = entry.get("methods", "all") if isinstance(entry, Mapping) else "all"
    if chosen == "all":
        return None
    names = [chosen] if isinstance(chosen, str) else list(chosen)
    unknown = sorted(set(names) - set(_CATALOGUES[stage]) - {"FT"})
    if unknown:
        raise ValueError(f"methods.{_CONFIG_METHODS[stage]}.methods: unknown metric names {unknown}")
    return names


def _predictions(
    label_rule: _SideRule,
    predicted_labels: Iterable[object] | None,
    probabilities: Iterable[object] | None,
    threshold: float,
) -> Iterator[int | None]:
    """Yield each record's predicted outcome (1, 0, or None when missing)."""
    if predicted_labels is not None:
        for raw in _flatten_values(predicted_labels):
            side = label_rule.side(raw)
            yield None if side is None else int(side)
    elif probabilities is not None:
        for raw in _flatten_values(probabilities):
            number = _number(raw)
            yield None if number is None else int(number >= threshold)


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


def _facet_tallies(config: Mapping[str, Any], headers: Sequence[str]) -> list[_FacetTally]:
    """One empty tally per entry of the config's ``facet`` list."""
    facets = config.get("facet")
    if not isinstance(facets, (list, tuple)) or not facets:
        raise ValueError("facet: the analysis config needs a non-empty list of facets")
    tallies = []
    for number, facet in enumerate(facets):
        if not isinstance(facet, Mapping) or "name_or_index" not in facet:
            raise ValueError(f"facet[{number}]: needs name_or_index (got {facet!r})")
        name, index = _column(headers, facet["name_or_index"], f"facet[{number}].name_or_index")
        configured = facet.get("value_or_threshold")
        rule = None
        if configured is not None and configured != []:
            rule = _SideRule.from_config(configured, f"facet[{number}].value_or_threshold")
        tallies.append(_FacetTally(name, index, rule))
    return tallies


def _paired(
    records: Iterator[Sequence[object]], outcomes: Iterator[int | None] | None
) -> Iterator[tuple[Sequence[object], int | None]]:
    """Pair each record with its predicted outcome (None without predictions); counts must agree."""
    if outcomes is None:
        yield from ((record, None) for record in records)
        return
    missing: Any = object()
    for record in records:
        outcome = next(outcomes, missing)
        if outcome is missing:
            raise ValueError("there are more records than predicted labels / probabilities")
        yield record, outcome
    if next(outcomes, missing) is not missing:
        raise ValueError("there are more predicted labels / probabilities than records")


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
    """The counts of one bias analysis.

    :param label: the label column's name.
    :param label_rule: which label values are positive.
    :param label_maximum: the largest numeric label seen (shown for a label threshold).
    :param tallies: one tally per configured facet.
    :param grouped: whether the config names a ``group_variable``.
    :param names: stage -> the metric names to compute (None: all), for the stages computed.
    """

    label: str
    label_rule: _SideRule
    label_maximum: _Maximum
    tallies: list[_FacetTally]
    grouped: bool
    names: dict[str, list[str] | None]

    def analysis(self) -> dict[str, Any]:
        """The ``analysis.json`` document: ``{"version": "1.0", "post_training_bias_metrics": {...},
        "pre_training_bias_metrics": {...}}`` with only the computed stages, each ``{"label",
        "label_value_or_threshold", "facets": {name: [{"value_or_threshold", "metrics": [{"name",
        "description", "value"}]}]}}``, metrics sorted by name."""
        document: dict[str, Any] = {"version": "1.0"}
        for stage, names in self.names.items():
            section: dict[str, Any] = {
                "label": self.label,
                "label_value_or_threshold": self.label_rule.describe(self.label_maximum.value),
                "facets": {},
            }
            for tally in self.tallies:
                entries = section["facets"].setdefault(tally.name, [])
                entries.extend(_facet_entries(tally, stage, self.grouped, names))
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
        rng = np.random.default_rng(seed)
        found: dict[MetricKey, Interval | None] = {}
        for stage, names in self.names.items():
            metrics = functools.partial(_stage_metrics, stage, grouped=self.grouped, names=names)
            for tally in self.tallies:
                for shown, table in _stage_tables(tally, stage):
                    values = bootstrap_intervals(
                        table, metrics, confidence=confidence, resamples=resamples, rng=rng
                    )
                    for name, interval in values.items():
                        found[(_SECTIONS[stage], tally.name, _facet_value_key(shown), name)] = interval
        return found


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
    if isinstance(methods, str):
        methods = (methods,)
    stages = [stage for stage in (POST_TRAINING, PRE_TRAINING) if stage in methods]
    unknown = sorted(set(methods) - set(_SECTIONS))
    if unknown or not stages:
        raise ValueError(
            f"methods: expected {PRE_TRAINING!r} and/or {POST_TRAINING!r} (got {sorted(methods)})"
        )
    if predicted_labels is not None and probabilities is not None:
        raise ValueError("give either predicted_labels or probabilities, not both")
    if POST_TRAINING in stages and predicted_labels is None and probabilities is None:
        raise ValueError("post-training bias metrics need predicted_labels or probabilities")
    names = {stage: _metric_names(config, stage) for stage in stages}
    if "label" not in config:
        raise ValueError("label: the analysis config names no label column")
    label_name, label_index = _column(headers, config["label"], "label")
    label_rule = _SideRule.from_config(config.get("label_values_or_threshold"), "label_values_or_threshold")
    tallies = _facet_tallies(config, headers)
    group_variable = config.get("group_variable")
    group_index = None if group_variable is None else _column(headers, group_variable, "group_variable")[1]
    if probability_threshold is None:
        probability_threshold = float(config.get("probability_threshold", 0.5))

    outcomes = None
    if POST_TRAINING in stages:
        outcomes = _predictions(label_rule, predicted_labels, probabilities, probability_threshold)
    label_maximum = _Maximum()
    for record, predicted in _paired(_flatten_records(rows), outcomes):
        raw_label = _cell(record, label_index)
        label = label_rule.side(raw_label)
        if label is None:
            continue
        label_maximum.see(raw_label)
        group = None if group_index is None else _canonical(_cell(record, group_index))
        for tally in tallies:
            tally.add(record, int(label), predicted, group)
    return BiasCounts(label_name, label_rule, label_maximum, tallies, group_index is not None, names)


def _stage_metrics(
    stage: str, counts: np.ndarray, grouped: bool, names: Collection[str] | None
) -> dict[str, Any]:
    """The metrics of ``stage`` from its count table (label counts, or confusion counts post-training)."""
    if stage == PRE_TRAINING:
        return pre_training_metrics(counts, grouped, names)
    return post_training_metrics(counts, grouped, names)


def _facet_entries(
    tally: _FacetTally, stage: str, grouped: bool, names: Collection[str] | None
) -> list[dict[str, Any]]:
    """The ``{"value_or_threshold", "metrics"}`` entries of one facet in one stage."""
    entries = []
    for shown, table in _stage_tables(tally, stage):
        values = _stage_metrics(stage, table, grouped, names)
        entries.append({"value_or_threshold": shown, "metrics": _metric_entries(values, _CATALOGUES[stage])})
    return entries


def _stage_tables(tally: _FacetTally, stage: str) -> Iterator[tuple[str, np.ndarray]]:
    """(value_or_threshold text, count table of ``stage``) for every facet-d selection of a tally."""
    groups = sorted({key[3] for key in tally.counts}, key=_group_order) or [None]
    for shown, d_key in tally.selections():
        labels, confusion = tally.tables(d_key, groups)
        yield shown, labels if stage == PRE_TRAINING else confusion


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
