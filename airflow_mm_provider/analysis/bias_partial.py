"""Mergeable partial results of the bias analysis: count tables over any subset of the records.

A :class:`BiasPartial` counts records per (facet key, group-variable value, observed label, predicted
label) for each configured facet, where the facet key is the side (facet *d* or not) for a facet with values
or a threshold, else the facet's canonical value. It also keeps the largest label and facet values seen (a
threshold is reported as ``"(threshold, max]"``) and the number of records read. Records whose label is
missing are counted only in that number.

Partials of the same :class:`BiasSpec` merge in any order (tables align by key, counts add, maxima take the
larger), and the merged partial holds exactly the counts one pass over all the records gives, so it
finalizes (:func:`~airflow_mm_provider.analysis.bias.finalize`) to the same ``analysis.json`` and bootstrap
intervals. :meth:`BiasPartial.to_bytes` writes the compact form of
:mod:`~airflow_mm_provider.analysis.partials`.

Counting a block is vectorized: each column of the block is factorized once
(:func:`~airflow_mm_provider.analysis.bias_values.distinct`), the label, facet and group rules are judged per
distinct value, and one ``bincount`` over the combined codes fills the block's table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import numpy as np

from airflow_mm_provider.analysis import partials
from airflow_mm_provider.analysis.bias_metrics import POST_TRAINING_METRICS, PRE_TRAINING_METRICS
from airflow_mm_provider.analysis.bias_values import SideRule, canonical, distinct, number

__all__ = [
    "BLOCK_SIZE",
    "CATALOGUES",
    "CONFIG_METHODS",
    "PARTIAL_KIND",
    "PARTIAL_VERSION",
    "POST_TRAINING",
    "PRE_TRAINING",
    "BiasPartial",
    "BiasSpec",
    "FacetSpec",
    "merge_partials",
]

BLOCK_SIZE = 1 << 20
"""Bytes of CSV counted per block: the count tables are small, so small blocks keep memory low."""
PARTIAL_KIND = "bias"
PARTIAL_VERSION = 1
"""Layout version of the bias partial's serialized data."""

PRE_TRAINING = "pre_training"
POST_TRAINING = "post_training"
CONFIG_METHODS = {PRE_TRAINING: "pre_training_bias", POST_TRAINING: "post_training_bias"}
"""Stage -> its entry in the config's ``methods`` block."""
CATALOGUES = {PRE_TRAINING: PRE_TRAINING_METRICS, POST_TRAINING: POST_TRAINING_METRICS}
"""Stage -> its metric names and descriptions."""

_OUTCOMES = 3
"""Predicted-label states on the last table axis: 0 none, 1 negative, 2 positive."""

Key = str | bool | None
"""A facet key: the canonical value (None when missing), or the side (True = d) for a facet with a rule."""
Group = str | None
"""A group-variable value: canonical, None when missing or without a group variable."""
_K = TypeVar("_K", bound=Key)


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


def _configured_methods(config: Mapping[str, Any], stage: str) -> list[str] | None:
    """The metric names the config's ``methods`` block lists for ``stage`` as given; None means all."""
    methods = config.get("methods")
    entry = methods.get(CONFIG_METHODS[stage]) if isinstance(methods, Mapping) else None
    chosen = entry.get("methods", "all") if isinstance(entry, Mapping) else "all"
    if chosen == "all":
        return None
    return [str(name) for name in (chosen if isinstance(chosen, (list, tuple)) else [chosen])]


def _rule_data(rule: SideRule | None) -> dict[str, Any] | None:
    """A rule as plain values (see :func:`_rule`)."""
    if rule is None:
        return None
    return {"values": sorted(rule.values), "threshold": rule.threshold, "shown": rule.shown}


def _rule(data: Mapping[str, Any]) -> SideRule:
    """The rule :func:`_rule_data` wrote."""
    return SideRule(frozenset(data["values"]), data["threshold"], data["shown"])


@dataclass(frozen=True)
class FacetSpec:
    """One configured facet.

    :param name: the column's name.
    :param index: the column's index in a record.
    :param rule: which values form facet d; None to analyse every value in turn.
    """

    name: str
    index: int
    rule: SideRule | None


@dataclass(frozen=True)
class BiasSpec:
    """What a bias analysis counts, read from its config (see :mod:`~airflow_mm_provider.analysis.bias`).

    :param label: the label column's name.
    :param label_index: the label column's index.
    :param label_rule: which label values are positive.
    :param facets: the configured facets, in config order.
    :param group_index: the ``group_variable`` column's index; None without one.
    :param probability_threshold: probabilities at or above it predict the positive label.
    :param methods: stage -> the metric names the config lists (None: all), unchecked.
    """

    label: str
    label_index: int
    label_rule: SideRule
    facets: tuple[FacetSpec, ...]
    group_index: int | None
    probability_threshold: float
    methods: Mapping[str, tuple[str, ...] | None] = field(hash=False)

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], headers: Sequence[str], probability_threshold: float | None = None
    ) -> BiasSpec:
        """Read ``config`` for records whose columns ``headers`` names.

        :param probability_threshold: overrides the config's ``probability_threshold`` (default 0.5).
        :raises ValueError: on a missing label, facet or column, or an empty value list.
        """
        methods = {stage: _configured_methods(config, stage) for stage in CONFIG_METHODS}
        if "label" not in config:
            raise ValueError("label: the analysis config names no label column")
        label, label_index = _column(headers, config["label"], "label")
        label_rule = SideRule.from_config(
            config.get("label_values_or_threshold"), "label_values_or_threshold"
        )
        facets = config.get("facet")
        if not isinstance(facets, (list, tuple)) or not facets:
            raise ValueError("facet: the analysis config needs a non-empty list of facets")
        specs = []
        for position, facet in enumerate(facets):
            if not isinstance(facet, Mapping) or "name_or_index" not in facet:
                raise ValueError(f"facet[{position}]: needs name_or_index (got {facet!r})")
            name, index = _column(headers, facet["name_or_index"], f"facet[{position}].name_or_index")
            configured = facet.get("value_or_threshold")
            rule = None
            if configured is not None and configured != []:
                rule = SideRule.from_config(configured, f"facet[{position}].value_or_threshold")
            specs.append(FacetSpec(name, index, rule))
        group_variable = config.get("group_variable")
        group_index = (
            None if group_variable is None else _column(headers, group_variable, "group_variable")[1]
        )
        if probability_threshold is None:
            probability_threshold = float(config.get("probability_threshold", 0.5))
        return cls(
            label,
            label_index,
            label_rule,
            tuple(specs),
            group_index,
            float(probability_threshold),
            {stage: None if names is None else tuple(names) for stage, names in methods.items()},
        )

    @property
    def columns(self) -> tuple[int, ...]:
        """The column indices a block of records must provide (label, facets, group variable)."""
        found = [self.label_index, *(facet.index for facet in self.facets)]
        if self.group_index is not None:
            found.append(self.group_index)
        return tuple(dict.fromkeys(found))

    @property
    def grouped(self) -> bool:
        """Whether the config names a ``group_variable`` (CDDL and CDDPL need one)."""
        return self.group_index is not None

    def metric_names(self, stage: str) -> list[str] | None:
        """The metric names to compute in ``stage`` (None: all).

        :raises ValueError: when the config lists a name the stage does not know (FT is known but never
            computed).
        """
        names = self.methods[stage]
        if names is None:
            return None
        unknown = sorted(set(names) - set(CATALOGUES[stage]) - {"FT"})
        if unknown:
            raise ValueError(f"methods.{CONFIG_METHODS[stage]}.methods: unknown metric names {unknown}")
        return list(names)

    def outcomes(self, predicted_labels: Any = None, probabilities: Any = None) -> np.ndarray:
        """Predicted outcome per record as int8 (1 positive, 0 negative, -1 missing).

        :param predicted_labels: predicted labels, judged by the label rule.
        :param probabilities: instead, probabilities of the positive label; positive at or above the
            threshold, missing when not a finite number.
        """
        if predicted_labels is not None:
            codes, uniques = distinct(predicted_labels)
            by_label: np.ndarray = self.label_rule.sides(uniques)[codes]
            return by_label
        if isinstance(probabilities, np.ndarray) and probabilities.dtype.kind in "iuf":
            values = probabilities.astype(np.float64)
            positive = (values >= self.probability_threshold).astype(np.int8)
            by_score: np.ndarray = np.where(np.isfinite(values), positive, np.int8(-1))
            return by_score
        codes, uniques = distinct(probabilities)
        found = [number(value) for value in uniques]
        sides = [-1 if value is None else int(value >= self.probability_threshold) for value in found]
        by_value: np.ndarray = np.array(sides, dtype=np.int8)[codes]
        return by_value

    def to_data(self) -> dict[str, Any]:
        """The spec as plain values (see :meth:`from_data`)."""
        return {
            "label": self.label,
            "label_index": self.label_index,
            "label_rule": _rule_data(self.label_rule),
            "facets": [[facet.name, facet.index, _rule_data(facet.rule)] for facet in self.facets],
            "group_index": self.group_index,
            "probability_threshold": self.probability_threshold,
            "methods": {
                stage: None if names is None else list(names) for stage, names in self.methods.items()
            },
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> BiasSpec:
        """The spec :meth:`to_data` wrote."""
        facets = tuple(
            FacetSpec(name, index, None if rule is None else _rule(rule))
            for name, index, rule in data["facets"]
        )
        return cls(
            data["label"],
            data["label_index"],
            _rule(data["label_rule"]),
            facets,
            data["group_index"],
            data["probability_threshold"],
            {stage: None if names is None else tuple(names) for stage, names in data["methods"].items()},
        )


def _larger(first: float | None, second: float | None) -> float | None:
    """The larger of two running maxima (None: nothing seen)."""
    if first is None:
        return second
    return first if second is None or first >= second else second


def _seen_maximum(codes: np.ndarray, uniques: Sequence[object], kept: np.ndarray) -> float | None:
    """The largest number among the values of the kept cells; None when none is a number."""
    present = np.bincount(codes[kept], minlength=len(uniques)) > 0
    found = [number(value) for value, seen in zip(uniques, present.tolist(), strict=True) if seen]
    numbers = [value for value in found if value is not None]
    return max(numbers) if numbers else None


class _Keys(Generic[_K]):
    """Keys in first-seen order with their positions."""

    def __init__(self, keys: Iterable[_K] = ()) -> None:
        self.keys: list[_K] = []
        self._positions: dict[tuple[type, _K], int] = {}
        self.positions(keys)

    def positions(self, keys: Iterable[_K]) -> np.ndarray:
        """The position of each key, adding new keys at the end."""
        found = []
        for key in keys:
            slot = (type(key), key)
            position = self._positions.get(slot)
            if position is None:
                position = self._positions[slot] = len(self.keys)
                self.keys.append(key)
            found.append(position)
        return np.array(found, dtype=np.intp)

    def __len__(self) -> int:
        return len(self.keys)


@dataclass
class _FacetTable:
    """Counts of one facet: (facet key, group, label, predicted state), aligned with the partial's groups."""

    keys: _Keys[Key] = field(default_factory=_Keys)
    counts: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 2, _OUTCOMES), dtype=np.int64))
    maximum: float | None = None

    def fit(self, group_count: int) -> None:
        """Grow the table to every key and ``group_count`` groups (new cells count 0)."""
        shape = (len(self.keys), group_count, 2, _OUTCOMES)
        if self.counts.shape != shape:
            grown = np.zeros(shape, dtype=np.int64)
            grown[: self.counts.shape[0], : self.counts.shape[1]] = self.counts
            self.counts = grown

    def add(self, keys: np.ndarray, groups: np.ndarray, counts: np.ndarray, group_count: int) -> None:
        """Add ``counts`` whose rows are the keys at positions ``keys`` and whose columns are ``groups``."""
        self.fit(group_count)
        self.counts[np.ix_(keys, groups)] += counts


@dataclass
class BiasPartial:
    """The count tables of a bias analysis over some of its records (see the module docstring).

    :param spec: what is counted.
    :param records: the records read, with or without a label.
    :param label_maximum: the largest label seen, for a label threshold (else None).
    :param groups: the group-variable values seen (one None group without a group variable).
    :param facets: one count table per facet of the spec, (facet key, group, label, predicted state) with
        predicted state 0 none, 1 negative, 2 positive.
    """

    spec: BiasSpec
    records: int = 0
    label_maximum: float | None = None
    groups: _Keys[Group] = field(default_factory=_Keys)
    facets: list[_FacetTable] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.facets:
            self.facets = [_FacetTable() for _ in self.spec.facets]

    def add(self, columns: Mapping[int, Any], outcomes: np.ndarray | None = None) -> None:
        """Count a block of records.

        :param columns: column index -> that column's cells in the block, for every index of
            :attr:`BiasSpec.columns` (a numpy array or a sequence; missing cells are None, NaN or empty).
        :param outcomes: the predicted outcome per record (see :meth:`BiasSpec.outcomes`); None without
            predictions.
        """
        factors = {index: distinct(columns[index]) for index in self.spec.columns}
        label_codes, label_values = factors[self.spec.label_index]
        size = len(label_codes)
        self.records += size
        labels = self.spec.label_rule.sides(label_values)[label_codes]
        kept = labels >= 0
        if not kept.any():
            return
        if self.spec.label_rule.threshold is not None:
            found = _seen_maximum(label_codes, label_values, kept)
            self.label_maximum = _larger(self.label_maximum, found)
        if self.spec.group_index is None:
            group_positions, group_codes = self.groups.positions([None]), np.zeros(size, dtype=np.intp)
        else:
            group_codes, group_values = factors[self.spec.group_index]
            group_positions = self.groups.positions(canonical(value) for value in group_values)
        if outcomes is None:
            states = np.zeros(size, dtype=np.intp)
        elif len(outcomes) != size:
            raise ValueError(f"{len(outcomes)} predicted outcomes for {size} records")
        else:
            states = outcomes.astype(np.intp) + 1
        base = ((group_positions[group_codes] * 2 + labels) * _OUTCOMES + states)[kept]
        groups, cells = np.arange(len(self.groups)), len(self.groups) * 2 * _OUTCOMES
        for facet, table in zip(self.spec.facets, self.facets, strict=True):
            codes, values = factors[facet.index]
            if facet.rule is None:
                keys: list[Key] = [canonical(value) for value in values]
            else:
                keys = [side == 1 for side in facet.rule.sides(values).tolist()]
                if facet.rule.threshold is not None:
                    table.maximum = _larger(table.maximum, _seen_maximum(codes, values, kept))
            used, local = np.unique(table.keys.positions(keys), return_inverse=True)
            counts = np.bincount(local.ravel()[codes[kept]] * cells + base, minlength=len(used) * cells)
            table.add(used, groups, counts.reshape(len(used), len(groups), 2, _OUTCOMES), len(groups))

    def add_records(self, records: Sequence[Sequence[object]], outcomes: np.ndarray | None = None) -> None:
        """Count a block of records given as rows (a cell past a row's end is missing); see :meth:`add`."""
        columns = {
            index: [record[index] if index < len(record) else None for record in records]
            for index in self.spec.columns
        }
        self.add(columns, outcomes)

    def merge(self, other: BiasPartial) -> BiasPartial:
        """A new partial holding the counts of this one and ``other`` (of the same spec)."""
        if other.spec != self.spec:
            raise ValueError("bias partials of different analyses (configs or headers) cannot be merged")
        merged = BiasPartial(self.spec)
        for part in (self, other):
            merged.records += part.records
            merged.label_maximum = _larger(merged.label_maximum, part.label_maximum)
            groups = merged.groups.positions(part.groups.keys)
            for target, table in zip(merged.facets, part.facets, strict=True):
                target.maximum = _larger(target.maximum, table.maximum)
                keys = target.keys.positions(table.keys.keys)
                target.add(keys, groups, table.counts, len(merged.groups))
        for target in merged.facets:
            target.fit(len(merged.groups))
        return merged

    def to_bytes(self) -> bytes:
        """The partial in the versioned binary form of :mod:`~airflow_mm_provider.analysis.partials`."""
        data = {
            "spec": self.spec.to_data(),
            "records": self.records,
            "label_maximum": self.label_maximum,
            "groups": self.groups.keys,
            "facets": [
                {"keys": table.keys.keys, "counts": table.counts, "maximum": table.maximum}
                for table in self.facets
            ],
        }
        return partials.dumps(PARTIAL_KIND, PARTIAL_VERSION, data)

    @classmethod
    def from_bytes(cls, blob: bytes) -> BiasPartial:
        """The partial :meth:`to_bytes` wrote.

        :raises ~airflow_mm_provider.analysis.partials.PartialFormatError: when ``blob`` is not a bias partial
            of this layout version.
        """
        data = partials.loads(blob, PARTIAL_KIND, PARTIAL_VERSION)
        groups: _Keys[Group] = _Keys(data["groups"])
        tables = [
            _FacetTable(_Keys(table["keys"]), np.asarray(table["counts"], dtype=np.int64), table["maximum"])
            for table in data["facets"]
        ]
        for table in tables:
            if table.counts.shape != (len(table.keys), len(groups), 2, _OUTCOMES):
                raise partials.PartialFormatError("bias partial: a count table does not match its keys")
        return cls(BiasSpec.from_data(data["spec"]), data["records"], data["label_maximum"], groups, tables)


def merge_partials(parts: Iterable[BiasPartial]) -> BiasPartial:
    """Merge bias partials of one spec, in any order.

    :raises ValueError: when there is no partial, or their specs differ.
    """
    merged: BiasPartial | None = None
    for part in parts:
        merged = part if merged is None else merged.merge(part)
    if merged is None:
        raise ValueError("no bias partial to merge")
    return merged
