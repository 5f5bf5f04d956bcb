"""Bounded category counts behind the data quality statistics (its exact sums are
:class:`~airflow_mm_provider.analysis.exact_sums.ExactSums`).

- :class:`Categories` counts category values exactly while a column has at most ``capacity`` distinct values.
  Past that it keeps a Misra-Gries summary of its texts (``capacity`` counters, merged as Agarwal et al. merge
  them: add, then subtract the ``capacity + 1``-th largest count; each count is then a lower bound, short by
  at most ``(n - sum of the kept counts) / (capacity + 1)`` for ``n`` counted texts) and drops its numbers,
  and it estimates the distinct count with a k-minimum-values sketch: the ``sketch_size`` smallest distinct
  64-bit hashes of the values. That set is the same however the values were split and merged, so the
  estimate is too; its relative standard error is about ``1 / sqrt(sketch_size - 2)`` (3.1% for 1024).
  Hashes are those of :mod:`~airflow_mm_provider.analysis.value_hashes`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import numpy as np

from airflow_mm_provider.analysis.dq_values import ColumnValues, PlainTexts
from airflow_mm_provider.analysis.value_hashes import number_hashes, text_hashes

__all__ = ["CATEGORY_CAPACITY", "DISTINCT_SKETCH_SIZE", "Categories"]

CATEGORY_CAPACITY = 1000
DISTINCT_SKETCH_SIZE = 1024

_HASH_SPACE = float(2**64)
_SMALL_RANGE = 1 << 16
_Key = TypeVar("_Key", str, float)


class Categories:
    """Category counts of one column: exact up to ``capacity`` distinct values, then bounded (see module).

    :param capacity: most distinct values counted exactly.
    :param sketch_size: hashes kept for the distinct-count estimate past ``capacity``.
    """

    def __init__(self, capacity: int = CATEGORY_CAPACITY, sketch_size: int = DISTINCT_SKETCH_SIZE) -> None:
        self.capacity = capacity
        self.sketch_size = sketch_size
        self.exact = True
        self.texts: dict[str, int] = {}
        self.integral: dict[float, int] = {}
        self.fractional: dict[float, int] = {}
        self.hashes = np.zeros(0, dtype=np.uint64)

    @property
    def distinct(self) -> int:
        """Distinct values counted exactly (meaningful while :attr:`exact`)."""
        return len(self.texts) + len(self.integral) + len(self.fractional)

    def add(self, chunk: ColumnValues) -> None:
        """Count the present values of a column chunk."""
        texts = dict(chunk.texts)
        plain = chunk.plain
        if plain is not None and self.exact and len(plain) + len(texts) <= self.capacity:
            _count_into(texts, plain.texts(), plain.counts)
            plain = None
        if self.exact and plain is None:
            self.merge(self._exact_chunk(texts, chunk.integral, chunk.fractional))
            return
        hashes = [
            text_hashes(texts),
            number_hashes(chunk.integral, False),
            number_hashes(chunk.fractional, True),
        ]
        if plain is not None and len(plain):
            hashes.append(plain.hashes)
            _count_into(texts, *_candidates(plain, text_hashes([*self.texts, *texts]), self.capacity))
        summary = Categories(self.capacity, self.sketch_size)
        summary.exact = False
        summary.texts = texts
        summary.hashes = _smallest(np.concatenate(hashes), self.sketch_size, self._bound())
        self.merge(summary)

    def _bound(self) -> np.uint64 | None:
        """The largest hash a full k-minimum-values sketch keeps: only smaller ones can enter it."""
        full = not self.exact and self.hashes.size == self.sketch_size
        return self.hashes[-1] if full else None

    def _exact_chunk(self, texts: dict[str, int], integral: np.ndarray, fractional: np.ndarray) -> Categories:
        """The categories of one chunk alone, with this summary's parameters."""
        summary = Categories(self.capacity, self.sketch_size)
        summary.texts = texts
        if len(texts) > self.capacity or any(
            _many_distinct(v, self.capacity) for v in (integral, fractional)
        ):
            summary._spill((integral, fractional))
            return summary
        summary.integral = _value_counts(integral)
        summary.fractional = _value_counts(fractional)
        if summary.distinct > self.capacity:
            summary._spill()
        return summary

    def merge(self, other: Categories) -> None:
        """Add another summary's counts (same parameters)."""
        if self.exact and other.exact:
            _add_counts(self.texts, other.texts)
            _add_counts(self.integral, other.integral)
            _add_counts(self.fractional, other.fractional)
            if self.distinct > self.capacity:
                self._spill()
            return
        if self.exact:
            self._spill()
        hashes = other.hashes if not other.exact else other._key_hashes()
        self.hashes = _smallest(np.concatenate([self.hashes, hashes]), self.sketch_size)
        texts = dict(self.texts)
        _add_counts(texts, other.texts)
        self.texts = _reduce(texts, self.capacity)

    def _spill(self, numbers: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """Leave exact counting: hash every value seen (and ``(integral, fractional)`` numbers not counted),
        reduce the texts to a Misra-Gries summary, drop the numbers."""
        hashes = [self._key_hashes()]
        if numbers is not None:
            hashes += [number_hashes(numbers[0], False), number_hashes(numbers[1], True)]
        self.hashes = _smallest(np.concatenate(hashes), self.sketch_size)
        self.texts = _reduce(self.texts, self.capacity)
        self.integral, self.fractional = {}, {}
        self.exact = False

    def _key_hashes(self) -> np.ndarray:
        """Hashes of every value counted exactly."""
        return np.concatenate(
            [
                text_hashes(self.texts),
                number_hashes(np.fromiter(self.integral, dtype=np.float64, count=len(self.integral)), False),
                number_hashes(
                    np.fromiter(self.fractional, dtype=np.float64, count=len(self.fractional)), True
                ),
            ]
        )

    def distinct_count(self) -> float:
        """Exact distinct count while exact, else the k-minimum-values estimate."""
        if self.exact:
            return float(self.distinct)
        if self.hashes.size < self.sketch_size:
            return float(self.hashes.size)
        kth = (float(self.hashes[-1]) + 1) / _HASH_SPACE
        return float(round((self.sketch_size - 1) / kth))

    def buckets(self) -> list[dict[str, Any]]:
        """Counted values, most frequent first, ties by value; numbers written as Integral or Fractional."""
        counted = dict(self.texts)
        counted.update((str(int(value)), count) for value, count in self.integral.items())
        counted.update((repr(value), count) for value, count in self.fractional.items())
        ordered = sorted(counted.items(), key=lambda item: (-item[1], item[0]))
        return [{"value": value, "count": count} for value, count in ordered]

    def retained(self) -> int:
        """Entries held (counted values plus distinct-count hashes)."""
        return self.distinct + int(self.hashes.size)

    def to_data(self) -> dict[str, Any]:
        """The summary as plain values and arrays (for :mod:`~airflow_mm_provider.analysis.partials`)."""
        return {
            "exact": self.exact,
            "texts": list(self.texts),
            "text_counts": np.fromiter(self.texts.values(), dtype=np.int64, count=len(self.texts)),
            "integral": np.fromiter(self.integral, dtype=np.float64, count=len(self.integral)),
            "integral_counts": np.fromiter(self.integral.values(), dtype=np.int64, count=len(self.integral)),
            "fractional": np.fromiter(self.fractional, dtype=np.float64, count=len(self.fractional)),
            "fractional_counts": np.fromiter(
                self.fractional.values(), dtype=np.int64, count=len(self.fractional)
            ),
            "hashes": self.hashes,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any], capacity: int, sketch_size: int) -> Categories:
        """Read :meth:`to_data`."""
        summary = cls(capacity, sketch_size)
        summary.exact = bool(data["exact"])
        summary.texts = dict(zip(data["texts"], data["text_counts"].tolist(), strict=True))
        summary.integral = dict(zip(data["integral"].tolist(), data["integral_counts"].tolist(), strict=True))
        summary.fractional = dict(
            zip(data["fractional"].tolist(), data["fractional_counts"].tolist(), strict=True)
        )
        summary.hashes = data["hashes"]
        return summary


def _add_counts(counts: dict[_Key, int], more: Mapping[_Key, int]) -> None:
    """Add the counts of ``more`` to ``counts``."""
    for key, count in more.items():
        counts[key] = counts.get(key, 0) + count


def _count_into(counts: dict[str, int], texts: list[str], amounts: np.ndarray) -> None:
    """Add ``amounts[i]`` occurrences of ``texts[i]`` to ``counts``."""
    _add_counts(counts, dict(zip(texts, amounts.tolist(), strict=True)))


def _candidates(plain: PlainTexts, known: np.ndarray, capacity: int) -> tuple[list[str], np.ndarray]:
    """The plain texts a Misra-Gries merge can keep: the ``capacity + 1`` most frequent and the ``known``.

    Any other text occurs no more often than the ``capacity + 1``-th most frequent one, whose merged count is
    at most the threshold the merge subtracts, so it would be dropped anyway.
    """
    keep = np.isin(plain.hashes, known)
    if len(plain) > capacity + 1:
        keep[np.argpartition(plain.counts, len(plain) - capacity - 1)[len(plain) - capacity - 1 :]] = True
    else:
        keep[:] = True
    chosen = np.flatnonzero(keep)
    return plain.texts(chosen), plain.counts[chosen]


def _many_distinct(values: np.ndarray, capacity: int) -> bool:
    """Whether a prefix of ``values`` alone already has more than ``capacity`` distinct values."""
    return values.size > capacity and np.unique(values[: 4 * capacity]).size > capacity


def _value_counts(values: np.ndarray) -> dict[float, int]:
    """Each distinct number and its count (by a bincount when they are integers in a small range)."""
    if not values.size:
        return {}
    low, high = float(values.min()), float(values.max())
    if high - low < _SMALL_RANGE and np.array_equal(values, np.floor(values)):
        counts = np.bincount((values - low).astype(np.int64))
        present = np.flatnonzero(counts)
        return dict(zip((present + low).tolist(), counts[present].tolist(), strict=True))
    distinct, counts = np.unique(values, return_counts=True)
    return dict(zip(distinct.tolist(), counts.tolist(), strict=True))


def _smallest(hashes: np.ndarray, size: int, bound: np.uint64 | None = None) -> np.ndarray:
    """The ``size`` smallest distinct hashes, sorted (only those below ``bound`` when given)."""
    if bound is not None:
        hashes = hashes[hashes < bound]
    if hashes.size > 4 * size:
        candidates = np.unique(np.partition(hashes, 4 * size - 1)[: 4 * size])
        if candidates.size >= size:
            return candidates[:size]
    return np.unique(hashes)[:size]


def _reduce(counts: dict[str, int], capacity: int) -> dict[str, int]:
    """Misra-Gries reduction to at most ``capacity`` counters."""
    if len(counts) <= capacity:
        return counts
    values = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))
    threshold = int(np.partition(values, len(values) - capacity - 1)[len(values) - capacity - 1])
    return {key: count - threshold for key, count in counts.items() if count > threshold}
