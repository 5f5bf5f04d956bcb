"""Streaming per-column statistics in the data quality ``statistics.json`` layout.

Memory stays bounded whatever the number of rows: every column keeps counters, exact running sums, running
moments, min and max, a bounded quantile sketch and a bounded table of category counts.

Rules this module applies (documented here because the real container does not publish them):

- Missing: ``None``, an empty or blank string, and a value beyond the end of a short row.
- Value kinds: a Python ``int`` or a text matching ``[+-]?[0-9]+`` is *Integral*; a finite ``float`` or a
  decimal / exponent text such as ``1.5``, ``.5`` or ``2e3`` is *Fractional*; everything else (``bool``,
  ``"inf"``, ``"nan"``, words, lists) is *String*. Booleans count as the strings ``true`` / ``false``.
- Column type: strict, with no tolerance for stragglers: *Integral* if every present value is Integral,
  *Fractional* if every present value is Integral or Fractional and at least one is Fractional, *String* as
  soon as one present value is a String, *Unknown* when nothing is present. How many present values fell in
  each kind is what ``data_type_check`` measures; it is handed over by
  :meth:`DataQualityAccumulator.type_counts`, not written: the real ``statistics.json`` features carry only
  ``name``, ``inferred_type`` and their numerical or string statistics.
- Numbers: ``sum`` is exact (Shewchuk partial sums, then rounded once), ``mean`` is that sum over the count
  and ``std_dev`` is the population standard deviation from running moments merged per chunk (Chan et al.).
- Distribution: a deterministic KLL-style compactor sketch with ``k = 2048`` and ``c = 0.64`` (the parameters
  the built-in container reports). Level ``h`` holds items of weight ``2**h``; a full level is sorted and
  every other item (alternating the starting offset per level) moves up a level. The ten buckets span ``[min,
  max]`` in equal widths and count the sketch weights, so their counts add up to ``num_present``.
- Categories: exact counts while a column has at most ``CATEGORY_CAPACITY`` distinct values; past that, the
  Misra-Gries summary (counts are then lower bounds) and a k-minimum-values estimate of the distinct count
  over a 64-bit BLAKE2b hash. All of it is order-deterministic, so chunking the same rows differently gives
  the same statistics.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
import re
from collections.abc import Iterable, Sequence

import numpy as np

INTEGRAL = "Integral"
FRACTIONAL = "Fractional"
STRING = "String"
UNKNOWN = "Unknown"
NUMERIC_TYPES = (INTEGRAL, FRACTIONAL)

BUCKET_COUNT = 10
SKETCH_K = 2048
SKETCH_C = 0.64
CATEGORY_CAPACITY = 1000
DISTINCT_SKETCH_SIZE = 1024

_INTEGRAL_TEXT = re.compile(r"[+-]?[0-9]+")
_FRACTIONAL_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_HASH_SPACE = float(2**64)


def classify(value: object) -> tuple[str, float | None, str] | None:
    """Sort one raw value into its kind.

    :param value: a raw cell: text from CSV, or ``int``/``float``/``bool``/``None``/other from JSON.
    :return: ``None`` when the value counts as missing, else ``(kind, number or None, text)`` where ``text``
        is the form used for category counts.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return STRING, None, "true" if value else "false"
    if isinstance(value, int):
        return INTEGRAL, float(value), str(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return FRACTIONAL, value, repr(value)
        return STRING, None, repr(value)
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if _INTEGRAL_TEXT.fullmatch(text):
            return INTEGRAL, float(int(text)), text
        if _FRACTIONAL_TEXT.fullmatch(text):
            number = float(text)
            if math.isfinite(number):
                return FRACTIONAL, number, text
        return STRING, None, text
    return STRING, None, json.dumps(value, sort_keys=True, default=str)


def _add_exact(partials: list[float], x: float) -> None:
    """Add ``x`` to a list of non-overlapping partial sums whose exact total is the running sum."""
    i = 0
    for y in partials:
        if abs(x) < abs(y):
            x, y = y, x
        high = x + y
        low = y - (high - x)
        if low:
            partials[i] = low
            i += 1
        x = high
    partials[i:] = [x]


class QuantileSketch:
    """A deterministic KLL-style quantile sketch whose size grows only with the log of the item count.

    :param k: capacity of the top level; lower levels shrink by the factor ``c`` per level.
    :param c: capacity decay per level below the top.
    """

    def __init__(self, k: int = SKETCH_K, c: float = SKETCH_C) -> None:
        self.k = k
        self.c = c
        self.levels: list[list[float]] = [[]]
        self._offsets: list[int] = [0]

    def capacity(self, level: int) -> int:
        """How many items ``level`` may hold before it is compacted."""
        depth = len(self.levels) - 1 - level
        return max(2, math.ceil(self.k * self.c**depth))

    def add_many(self, values: Sequence[float]) -> None:
        """Add values in order; compaction happens at the same points as adding them one by one."""
        start = 0
        while start < len(values):
            room = self.capacity(0) - len(self.levels[0])
            self.levels[0].extend(values[start : start + room])
            start += room
            if len(self.levels[0]) >= self.capacity(0):
                self._compact()

    def _compact(self) -> None:
        """Halve every full level into the next; a new top level shrinks the others, so recheck from 0."""
        level = 0
        while level < len(self.levels):
            if len(self.levels[level]) < self.capacity(level):
                level += 1
                continue
            grew = level + 1 == len(self.levels)
            if grew:
                self.levels.append([])
                self._offsets.append(0)
            items = sorted(self.levels[level])
            kept = [items.pop()] if len(items) % 2 else []
            offset = self._offsets[level]
            self._offsets[level] = 1 - offset
            self.levels[level + 1].extend(items[offset::2])
            self.levels[level] = kept
            level = 0 if grew else level + 1

    def retained(self) -> int:
        """Number of items held."""
        return sum(len(items) for items in self.levels)

    def weighted_items(self) -> tuple[np.ndarray, np.ndarray]:
        """The held items and their weights (``2**level``)."""
        return sketch_items([list(items) for items in self.levels])


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


class CategoryCounter:
    """Bounded value counts: exact up to ``capacity`` distinct values, then a Misra-Gries summary.

    :param capacity: most distinct values whose counts are kept.
    :param distinct_sketch_size: hashes kept by the k-minimum-values distinct-count estimate.
    """

    def __init__(
        self, capacity: int = CATEGORY_CAPACITY, distinct_sketch_size: int = DISTINCT_SKETCH_SIZE
    ) -> None:
        self.capacity = capacity
        self.distinct_sketch_size = distinct_sketch_size
        self.counts: dict[str, int] = {}
        self.exact = True
        self._smallest: list[int] = []
        self._smallest_set: set[int] = set()

    def add(self, text: str) -> None:
        """Count one occurrence of ``text``."""
        counts = self.counts
        if not self.exact:
            self._offer_hash(text)
        if text in counts:
            counts[text] += 1
        elif len(counts) < self.capacity:
            counts[text] = 1
        elif self.exact:
            self.exact = False
            for known in counts:
                self._offer_hash(known)
            self._offer_hash(text)
            self._decrement_all()
        else:
            self._decrement_all()

    def _decrement_all(self) -> None:
        self.counts = {key: n - 1 for key, n in self.counts.items() if n > 1}

    def _offer_hash(self, text: str) -> None:
        value = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")
        if value in self._smallest_set:
            return
        if len(self._smallest) < self.distinct_sketch_size:
            heapq.heappush(self._smallest, -value)
            self._smallest_set.add(value)
        elif value < -self._smallest[0]:
            dropped = -heapq.heapreplace(self._smallest, -value)
            self._smallest_set.discard(dropped)
            self._smallest_set.add(value)

    def distinct_count(self) -> float:
        """Exact distinct count while exact, else the k-minimum-values estimate."""
        if self.exact or len(self._smallest) < self.distinct_sketch_size:
            return float(len(self.counts) if self.exact else len(self._smallest))
        kth = (-self._smallest[0] + 1) / _HASH_SPACE
        return float(round((self.distinct_sketch_size - 1) / kth))

    def buckets(self) -> list[dict[str, object]]:
        """Counted values, most frequent first, ties by value."""
        ordered = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))
        return [{"value": value, "count": count} for value, count in ordered]

    def retained(self) -> int:
        """Number of entries held (counted values plus distinct-count hashes)."""
        return len(self.counts) + len(self._smallest)


class FeatureAccumulator:
    """Running statistics of one column.

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
        self.partials: list[float] = []
        self.sketch = QuantileSketch()
        self.categories = CategoryCounter()

    def add_values(self, values: Iterable[object]) -> None:
        """Add one chunk of raw values of this column."""
        numbers: list[float] = []
        kind_counts = self.kind_counts
        for value in values:
            parsed = classify(value)
            if parsed is None:
                self.num_missing += 1
                continue
            kind, number, text = parsed
            kind_counts[kind] += 1
            self.categories.add(text)
            if number is not None:
                numbers.append(number)
                _add_exact(self.partials, number)
        if numbers:
            self._merge_numbers(numbers)

    def _merge_numbers(self, numbers: list[float]) -> None:
        chunk = np.asarray(numbers, dtype=float)
        n_b = chunk.size
        mean_b = float(chunk.mean())
        m2_b = float(((chunk - mean_b) ** 2).sum())
        n = self.count + n_b
        delta = mean_b - self.mean
        self.mean += delta * n_b / n
        self.m2 += m2_b + delta * delta * self.count * n_b / n
        self.count = n
        self.minimum = min(self.minimum, float(chunk.min()))
        self.maximum = max(self.maximum, float(chunk.max()))
        self.sketch.add_many(numbers)

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
        return self.sketch.retained() + self.categories.retained() + len(self.partials)

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
        total = math.fsum(self.partials)
        values, weights = self.sketch.weighted_items()
        return {
            "common": common,
            "mean": total / self.count,
            "sum": total,
            "std_dev": math.sqrt(max(self.m2, 0.0) / self.count),
            "min": self.minimum,
            "max": self.maximum,
            "distribution": {
                "kll": {
                    "buckets": equal_width_buckets(values, weights, self.minimum, self.maximum),
                    "sketch": {
                        "parameters": {"c": self.sketch.c, "k": float(self.sketch.k)},
                        "data": [list(items) for items in self.sketch.levels],
                    },
                }
            },
        }


class DataQualityAccumulator:
    """Streams rows into per-column statistics and renders ``statistics.json``.

    :param feature_names: column names in order; ``None`` names them ``_c0, _c1, ...``. Columns beyond the
        given names (longer rows) are added as ``_c<position>``.
    """

    def __init__(self, feature_names: list[str] | None = None) -> None:
        self.item_count = 0
        self.features: list[FeatureAccumulator] = [FeatureAccumulator(name) for name in feature_names or []]

    def add_rows(self, rows: Sequence[Sequence[object]]) -> None:
        """Add a chunk of rows; a short row counts its absent trailing values as missing."""
        if not rows:
            return
        width = max(len(row) for row in rows)
        for position in range(len(self.features), width):
            self.features.append(FeatureAccumulator(f"_c{position}", num_missing=self.item_count))
        for position, feature in enumerate(self.features):
            feature.add_values(row[position] if position < len(row) else None for row in rows)
        self.item_count += len(rows)

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
