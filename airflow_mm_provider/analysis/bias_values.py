"""How the bias analysis reads cell values: numbers, comparable text, positive / sensitive side rules.

Rules are judged once per distinct raw value of a block of cells (:func:`distinct`), never once per cell, so a
column of a million cells with a handful of distinct values costs a handful of rule evaluations plus a few
vectorized array operations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "SideRule",
    "canonical",
    "distinct",
    "format_number",
    "group_order",
    "number",
    "value_order",
]

_EXACT_INTEGER_LIMIT = 2.0**53
_WORD = 8
"""Byte strings up to this width are compared as unsigned integers (a much cheaper sort than text)."""


def number(raw: object) -> float | None:
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


def format_number(value: float) -> str:
    """Short text for a number: integral values without a fraction ("1"), others as Python writes floats."""
    if value.is_integer() and abs(value) < _EXACT_INTEGER_LIMIT:
        return str(int(value))
    return repr(value)


def canonical(raw: object) -> str | None:
    """Comparable text for a cell: numbers in :func:`format_number` form, text trimmed; None when missing."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    value = number(raw)
    if value is not None:
        return format_number(value)
    text = raw.strip() if isinstance(raw, str) else str(raw)
    return text or None


def value_order(value: str) -> tuple[int, float, str]:
    """Sort key of canonical values: numbers numerically before text."""
    found = number(value)
    return (0, found, value) if found is not None else (1, 0.0, value)


def group_order(group: str | None) -> tuple[int, float, str]:
    """Sort key of group-variable values: the missing value first, then as :func:`value_order`."""
    return (-1, 0.0, "") if group is None else value_order(group)


@dataclass(frozen=True)
class SideRule:
    """Which cell values select the positive label or facet d: a set of values, or ``> threshold``.

    :param values: the canonical values of the selected side (empty for a threshold).
    :param threshold: values above it are on the selected side; None for a value list.
    :param shown: the rule as ``analysis.json`` shows it.
    """

    values: frozenset[str]
    threshold: float | None
    shown: str

    @classmethod
    def from_config(cls, configured: object, what: str) -> SideRule:
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
        texts = [canonical(item) or str(item) for item in items]
        return cls(frozenset(texts), None, ",".join(texts))

    def side(self, raw: object) -> bool | None:
        """True / False for the selected / other side; None when the cell is missing (or not numeric)."""
        if self.threshold is not None:
            value = number(raw)
            return None if value is None else value > self.threshold
        text = canonical(raw)
        return None if text is None else text in self.values

    def sides(self, values: Sequence[object]) -> np.ndarray:
        """:meth:`side` of each value as int8: 1 selected, 0 other, -1 missing."""
        found = [self.side(value) for value in values]
        return np.array([-1 if side is None else int(side) for side in found], dtype=np.int8)

    def describe(self, maximum: float | None) -> str:
        """The ``value_or_threshold`` text: the values joined by commas, or ``"(threshold, max]"``."""
        if self.threshold is None:
            return self.shown
        top = self.threshold if maximum is None else maximum
        return f"({self.shown}, {format_number(top)}]"


def _hashable(value: object) -> object:
    """A dictionary key for a cell: text as it is, anything else with its type (so True and 1 differ)."""
    try:
        hash(value)
    except TypeError:
        return (type(value), repr(value))
    return (type(value), value)


def _distinct_objects(values: Sequence[object]) -> tuple[np.ndarray, list[object]]:
    """:func:`distinct` of Python values, by dictionary."""
    seen: dict[object, int] = {}
    uniques: list[object] = []
    codes = np.empty(len(values), dtype=np.intp)
    for position, value in enumerate(values):
        key = value if type(value) is str else _hashable(value)
        code = seen.get(key)
        if code is None:
            code = seen[key] = len(uniques)
            uniques.append(value)
        codes[position] = code
    return codes, uniques


def _distinct_bytes(values: np.ndarray) -> tuple[np.ndarray, list[object]]:
    """:func:`distinct` of a byte-string array, decoded as UTF-8 (invalid bytes replaced)."""
    width = values.dtype.itemsize
    keys: np.ndarray = values
    if width == _WORD:
        keys = values.view(np.uint64)
    elif width < _WORD:
        padded = np.zeros((len(values), _WORD), dtype=np.uint8)
        padded[:, :width] = values.view(np.uint8).reshape(len(values), width)
        keys = padded.view(np.uint64).ravel()
    _, first, codes = np.unique(keys, return_index=True, return_inverse=True)
    return codes.ravel(), [raw.decode("utf-8", "replace") for raw in values[first].tolist()]


def distinct(values: Any) -> tuple[np.ndarray, list[object]]:
    """Factorize a block of cells: ``(codes, uniques)`` with ``uniques[codes[i]]`` standing for cell ``i``.

    :param values: a numpy array (byte strings are read as UTF-8 text, numbers and text as they are) or a
        sequence of Python values (a value of another type than its equal stays distinct: ``True``, ``1``).
    :returns: the code of every cell (intp) and one representative Python value per code.
    """
    if isinstance(values, np.ndarray) and values.dtype.kind == "S":
        return _distinct_bytes(values)
    if isinstance(values, np.ndarray) and values.dtype.kind in "biufU":
        uniques, codes = np.unique(values, return_inverse=True)
        return codes.ravel(), uniques.tolist()
    return _distinct_objects(list(values))
