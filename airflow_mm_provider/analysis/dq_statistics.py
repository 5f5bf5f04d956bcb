"""Per-column data quality statistics in the ``statistics.json`` layout, as mergeable partial results.

A :class:`DataQualityAccumulator` is a partial result: it takes chunks of rows (or column blocks of a CSV),
merges with another partial over other rows (:meth:`~DataQualityAccumulator.merge`, in any order), travels as
bytes (:meth:`~DataQualityAccumulator.to_bytes`, framed by :mod:`~airflow_mm_provider.analysis.partials` as
kind ``"data_quality"``) and is finalized by :meth:`~DataQualityAccumulator.statistics`. A single pass is one
partial finalized, so there is one implementation. Memory is bounded whatever the number of rows.

Rules this module applies (documented here because the real container does not publish them):

- Missing: ``None``, an empty or blank string, and a value beyond the end of a short row.
- Value kinds (:func:`~airflow_mm_provider.analysis.dq_values.classify`): a Python ``int`` or a text matching
  ``[+-]?[0-9]+`` is *Integral*; a finite ``float`` or a decimal / exponent text such as ``1.5``, ``.5`` or
  ``2e3`` is *Fractional*; everything else (``bool``, ``"inf"``, ``"nan"``, words, lists) is *String*.
  Booleans count as the strings ``true`` / ``false``. A number's value is the double ``float()`` gives.
- Column type: strict, with no tolerance for stragglers: *Integral* if every present value is Integral,
  *Fractional* if every present value is Integral or Fractional and at least one is Fractional, *String* as
  soon as one present value is a String, *Unknown* when nothing is present. How many present values fell in
  each kind is what ``data_type_check`` measures; it is handed over by
  :meth:`DataQualityAccumulator.type_counts`, not written: the real ``statistics.json`` features carry only
  ``name``, ``inferred_type`` and their numerical or string statistics.
- Numbers: ``sum`` is exact (an integer count of ``2**-1074``, rounded once), ``mean`` is the exact sum over
  the count rounded once (it used to be the rounded sum over the count, a second rounding), ``std_dev`` is
  the population standard deviation from running moments merged per chunk (Chan et al.; infinite when the
  spread passes about ``1e154``, where squares overflow). ``min`` and ``max`` are exact; ``-0.0`` counts as
  ``0.0``.
- Distribution: an Apache DataSketches KLL sketch (``kll_doubles_sketch``, ``k = 2048``), in place of the
  deterministic compactor this module had: the library is maintained, takes numpy arrays in C++ (about 45 ns
  a value) and merges sketches, which a fan-out over workers needs. Its compaction is randomised, so past
  ``2048`` values the sketch of the same values differs from run to run within its error bound, and so do
  the buckets (the rest of the statistics does not). ``sketch.data`` lists the retained items
  by level (level ``h`` holds items of weight ``2**h``, each level sorted) and ``sketch.parameters`` says
  ``k = 2048`` and ``c = 2/3``, the capacity decay that library applies between levels (the built-in
  container, whose sketch is Deequ's own, writes ``c = 0.64``; the value describes the sketch whose data is
  written). The ten buckets span ``[min, max]`` in equal widths and count the sketch weights, so their counts
  add up to ``num_present``; each count is within :data:`BUCKET_ERROR` ``* num_present`` of the exact count
  of values in that bucket with 99% confidence (the library's bound for a range of a ``k = 2048`` sketch),
  and so is a count after merging partials. Up to ``2048`` values nothing is compacted and the buckets are
  exact.
- Categories (String columns): exact counts while a column has at most ``CATEGORY_CAPACITY`` distinct
  values. Numbers are counted by value and written in their shortest form (``7`` Integral, ``7.0`` or ``2.5``
  Fractional), so ``"1.50"`` and ``"1.5"`` count as one value ``1.5``: a number's text is no longer kept,
  which lets numeric cells stay in numpy arrays (JSON numbers were already counted this way). Past capacity,
  a Misra-Gries summary of the texts (lower bounds; numbers are no longer listed, they were rarely more than
  noise there) and a k-minimum-values estimate of the distinct count, which merges exactly (see
  :mod:`~airflow_mm_provider.analysis.dq_summaries` for both bounds). The hashes are
  :mod:`~airflow_mm_provider.analysis.value_hashes`' (BLAKE2b of every value past 1000 distinct before).

Merging is exact for item and missing counts, kind counts (so the inferred type and completeness), sums,
means, ``min``/``max``, and categories while exact, and for the distinct-count estimate; ``std_dev`` may
differ in the last bits with the merge order; the KLL sketch and buckets, and the Misra-Gries counts past
capacity, are within their bounds. Features are matched by name; a feature one partial lacks counts that
partial's rows as missing, and new names follow the existing ones in order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from datasketches import kll_doubles_sketch

from airflow_mm_provider.analysis import partials
from airflow_mm_provider.analysis.dq_summaries import (
    CATEGORY_CAPACITY,
    DISTINCT_SKETCH_SIZE,
    Categories,
)
from airflow_mm_provider.analysis.dq_values import (
    FRACTIONAL,
    INTEGRAL,
    STRING,
    ColumnValues,
    column_values,
    span_values,
)
from airflow_mm_provider.analysis.exact_sums import ExactSums
from airflow_mm_provider.analysis.field_block import FieldBlock

__all__ = [
    "BUCKET_COUNT",
    "BUCKET_ERROR",
    "CATEGORY_CAPACITY",
    "DISTINCT_SKETCH_SIZE",
    "FRACTIONAL",
    "INTEGRAL",
    "NUMERIC_TYPES",
    "PARTIAL_KIND",
    "PARTIAL_VERSION",
    "SKETCH_C",
    "SKETCH_K",
    "STRING",
    "UNKNOWN",
    "DataQualityAccumulator",
    "FeatureAccumulator",
    "equal_width_buckets",
    "kll_levels",
    "sketch_items",
]

UNKNOWN = "Unknown"
NUMERIC_TYPES = (INTEGRAL, FRACTIONAL)

BUCKET_COUNT = 10
SKETCH_K = 2048
SKETCH_C = 2 / 3
BUCKET_ERROR = kll_doubles_sketch.get_normalized_rank_error(SKETCH_K, True)
PARTIAL_KIND = "data_quality"
_KLL_FAMILY = 15
PARTIAL_VERSION = 2


def sketch_items(data: Sequence[Sequence[float]]) -> tuple[np.ndarray, np.ndarray]:
    """Items and weights of a sketch's ``data`` levels, level ``h`` having weight ``2**h``."""
    values = [float(v) for items in data for v in items]
    weights = [float(2**h) for h, items in enumerate(data) for _ in items]
    return np.asarray(values, dtype=float), np.asarray(weights, dtype=float)


def equal_width_buckets(
    values: np.ndarray, weights: np.ndarray, low: float, high: float, count: int = BUCKET_COUNT
) -> list[dict[str, float]]:
    """Weighted counts in ``count`` equal-width buckets spanning ``[low, high]`` (``high`` in the last)."""
    width = (high - low) / count
    edges = [low + i * width for i in range(count)] + [high]
    totals = np.zeros(count)
    if width > 0:
        index = np.clip(((values - low) / width).astype(int), 0, count - 1)
        np.add.at(totals, index, weights)
    else:
        totals[0] = weights.sum()
    return [
        {"lower_bound": edges[i], "upper_bound": edges[i + 1], "count": float(totals[i])}
        for i in range(count)
    ]


def kll_levels(serialized: bytes) -> list[list[float]]:
    """The retained items of a serialized DataSketches ``kll_doubles_sketch`` by level, each level sorted.

    Read from the library's published binary layout (family 15, serial version 1 or 2): the library's item
    iterator reports weight 1 for every item of some merged sketches (datasketches 5.2), the bytes do not.
    """
    preamble, version, family = serialized[0], serialized[1], serialized[2]
    if family != _KLL_FAMILY or version not in (1, 2) or preamble not in (2, 5):
        raise ValueError(f"not a serialized KLL sketch (family {family}, version {version})")
    if preamble == 2:
        return [sorted(np.frombuffer(serialized, "<f8", offset=8).tolist())]
    depth = serialized[18]
    offsets = np.frombuffer(serialized, "<u4", count=depth, offset=20).astype(np.int64)
    items = np.frombuffer(serialized, "<f8", offset=20 + 4 * depth + 16)
    bounds = np.append(offsets - offsets[0], items.size)
    return [sorted(items[bounds[h] : bounds[h + 1]].tolist()) for h in range(depth)]


class FeatureAccumulator:
    """The partial statistics of one column.

    :param name: the feature name.
    :param num_missing: missing values already owed (rows seen before the column first appeared).
    """

    def __init__(self, name: str, num_missing: int = 0) -> None:
        self.name = name
        self.num_missing = num_missing
        self.kind_counts = {INTEGRAL: 0, FRACTIONAL: 0, STRING: 0}
        self.count = 0
        self.mean = 0.0
        self.m2 = 0.0
        self.minimum = math.inf
        self.maximum = -math.inf
        self.total = ExactSums()
        self.sketch = kll_doubles_sketch(SKETCH_K)
        self.categories = Categories()

    def add(self, chunk: ColumnValues) -> None:
        """Add one chunk of this column."""
        self.num_missing += chunk.missing
        self.kind_counts[INTEGRAL] += chunk.integral.size
        self.kind_counts[FRACTIONAL] += chunk.fractional.size
        self.kind_counts[STRING] += chunk.strings
        for numbers, integers in ((chunk.integral, True), (chunk.fractional, False)):
            if numbers.size:
                self._add_numbers(numbers, integers)
        self.categories.add(chunk)

    def _add_numbers(self, numbers: np.ndarray, integers: bool) -> None:
        total = ExactSums()
        total.add(numbers, integers=integers)
        mean = total.value(count=numbers.size)
        with np.errstate(over="ignore"):
            deviations = numbers - mean
            self._merge_moments(numbers.size, mean, float((deviations * deviations).sum()))
        self.total.merge(total)
        self.minimum = min(self.minimum, float(numbers.min()))
        self.maximum = max(self.maximum, float(numbers.max()))
        self.sketch.update(numbers)

    def _merge_moments(self, count: int, mean: float, m2: float) -> None:
        """Chan et al.'s pairwise update of count, mean and sum of squared deviations."""
        if not self.count:
            self.count, self.mean, self.m2 = count, mean, m2
            return
        total = self.count + count
        delta = mean - self.mean
        share = count / total
        self.mean += delta * share
        self.m2 += m2 + delta * delta * self.count * share
        self.count = total

    def merge(self, other: FeatureAccumulator) -> None:
        """Add another partial of the same column."""
        self.num_missing += other.num_missing
        for kind, count in other.kind_counts.items():
            self.kind_counts[kind] += count
        if other.count:
            self._merge_moments(other.count, other.mean, other.m2)
            self.minimum = min(self.minimum, other.minimum)
            self.maximum = max(self.maximum, other.maximum)
            self.total.merge(other.total)
            self.sketch.merge(other.sketch)
        self.categories.merge(other.categories)

    @property
    def num_present(self) -> int:
        """Number of present values."""
        return sum(self.kind_counts.values())

    def inferred_type(self) -> str:
        """The column type by the strict rule in the module docstring."""
        if self.kind_counts[STRING]:
            return STRING
        if self.kind_counts[FRACTIONAL]:
            return FRACTIONAL
        if self.kind_counts[INTEGRAL]:
            return INTEGRAL
        return UNKNOWN

    def retained(self) -> int:
        """Number of scalars held in the bounded structures."""
        return int(self.sketch.num_retained) + self.categories.retained()

    def statistics(self) -> dict[str, object]:
        """This feature's entry of ``statistics.json``."""
        inferred = self.inferred_type()
        common = {"num_present": self.num_present, "num_missing": self.num_missing}
        feature: dict[str, object] = {"name": self.name, "inferred_type": inferred}
        if inferred in NUMERIC_TYPES:
            feature["numerical_statistics"] = self._numerical(common)
        else:
            feature["string_statistics"] = {
                "common": common,
                "distinct_count": self.categories.distinct_count(),
                "distribution": {"categorical": {"buckets": self.categories.buckets()}},
            }
        return feature

    def _numerical(self, common: dict[str, int]) -> dict[str, object]:
        levels = kll_levels(self.sketch.serialize())
        values, weights = sketch_items(levels)
        minimum, maximum = self.minimum + 0.0, self.maximum + 0.0
        return {
            "common": common,
            "mean": self.total.value(count=self.count),
            "sum": self.total.value(),
            "std_dev": math.sqrt(max(self.m2, 0.0) / self.count),
            "min": minimum,
            "max": maximum,
            "distribution": {
                "kll": {
                    "buckets": equal_width_buckets(values, weights, minimum, maximum),
                    "sketch": {"parameters": {"c": SKETCH_C, "k": float(SKETCH_K)}, "data": levels},
                }
            },
        }

    def to_data(self) -> dict[str, Any]:
        """This partial as plain values, arrays and bytes."""
        return {
            "name": self.name,
            "missing": self.num_missing,
            "kinds": [self.kind_counts[INTEGRAL], self.kind_counts[FRACTIONAL], self.kind_counts[STRING]],
            "moments": [self.count, self.mean, self.m2, self.minimum, self.maximum],
            "sum": self.total.state(),
            "sketch": self.sketch.serialize(),
            "categories": self.categories.to_data(),
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> FeatureAccumulator:
        """Read :meth:`to_data`."""
        feature = cls(data["name"], data["missing"])
        feature.kind_counts = dict(zip((INTEGRAL, FRACTIONAL, STRING), data["kinds"], strict=True))
        count, feature.mean, feature.m2, feature.minimum, feature.maximum = data["moments"]
        feature.count = int(count)
        feature.total = ExactSums.from_state(data["sum"])
        feature.sketch = kll_doubles_sketch.deserialize(data["sketch"])
        feature.categories = Categories.from_data(data["categories"], CATEGORY_CAPACITY, DISTINCT_SKETCH_SIZE)
        return feature


class DataQualityAccumulator:
    """The partial data quality statistics of some rows; renders ``statistics.json``.

    :param feature_names: column names in order; ``None`` names them ``_c0, _c1, ...``. Columns beyond the
        given names (longer rows) are added as ``_c<position>``.
    """

    def __init__(self, feature_names: list[str] | None = None) -> None:
        self.item_count = 0
        self.features: list[FeatureAccumulator] = [FeatureAccumulator(name) for name in feature_names or []]

    def _widen(self, width: int) -> None:
        for position in range(len(self.features), width):
            self.features.append(FeatureAccumulator(f"_c{position}", num_missing=self.item_count))

    def add_rows(self, rows: Sequence[Sequence[object]]) -> None:
        """Add a chunk of rows; a short row counts its absent trailing values as missing."""
        if not rows:
            return
        self._widen(max(len(row) for row in rows))
        for position, feature in enumerate(self.features):
            feature.add(column_values(row[position] if position < len(row) else None for row in rows))
        self.item_count += len(rows)

    def add_block(self, block: FieldBlock | Sequence[Sequence[object]]) -> None:
        """Add a block of a CSV read by :func:`~airflow_mm_provider.analysis.csv_blocks.iter_csv_blocks`."""
        if not isinstance(block, FieldBlock):
            self.add_rows(block)
            return
        self._widen(block.width)
        for position, feature in enumerate(self.features):
            feature.add(span_values(block, position) if position < block.width else ColumnValues(block.rows))
        self.item_count += block.rows

    def merge(self, other: DataQualityAccumulator) -> None:
        """Add the partial statistics of other rows (features matched by name)."""
        mine = {feature.name: feature for feature in self.features}
        theirs = {feature.name for feature in other.features}
        for feature in self.features:
            if feature.name not in theirs:
                feature.num_missing += other.item_count
        for feature in other.features:
            if feature.name in mine:
                mine[feature.name].merge(feature)
            else:
                added = FeatureAccumulator(feature.name, num_missing=self.item_count)
                added.merge(feature)
                self.features.append(added)
        self.item_count += other.item_count

    def to_bytes(self) -> bytes:
        """This partial in the versioned binary form of :mod:`~airflow_mm_provider.analysis.partials`."""
        data = {"item_count": self.item_count, "features": [feature.to_data() for feature in self.features]}
        return partials.dumps(PARTIAL_KIND, PARTIAL_VERSION, data)

    @classmethod
    def from_bytes(cls, blob: bytes) -> DataQualityAccumulator:
        """Read :meth:`to_bytes`; bytes of another kind or layout raise ``partials.PartialFormatError``."""
        data = partials.loads(blob, PARTIAL_KIND, PARTIAL_VERSION)
        accumulator = cls()
        accumulator.item_count = data["item_count"]
        accumulator.features = [FeatureAccumulator.from_data(feature) for feature in data["features"]]
        return accumulator

    def retained(self) -> int:
        """Number of scalars held in all bounded structures (for memory checks)."""
        return sum(feature.retained() for feature in self.features)

    def type_counts(self) -> dict[str, dict[str, int]]:
        """Per feature name, how many present values fell in each kind (for ``data_type_check``)."""
        return {feature.name: dict(feature.kind_counts) for feature in self.features}

    def statistics(self) -> dict[str, object]:
        """The ``statistics.json`` document for every row added so far."""
        return {
            "version": 0.0,
            "dataset": {"item_count": self.item_count},
            "features": [feature.statistics() for feature in self.features],
        }
