"""Exact sums of float64 values that merge in any order without changing a bit.

Every finite float64 is ``m * 2**e`` with an integer ``m`` of at most 53 bits. :class:`ExactSums` splits ``m``
into a high part of 27 bits and a low part of 26 bits and adds each part, as an integer, to the cell of its
power of two. A cell is an int64, so the cells hold the exact real sum of every value added; two sums merge by
adding cells, which is associative and commutative, and the value is rounded to float64 once, when it is read.
Cells are kept within ``2**39`` in magnitude by carrying into the cell 40 places up, so a sum takes any number
of values. Infinities and NaNs are summed apart (their float sum does not depend on order either) and win
over the finite part, as in float arithmetic.

:func:`exact_squares` gives ``x * x`` as two float64 whose sum is exact, so sums of squares are exact too.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

__all__ = ["ExactSums", "exact_squares", "to_float"]

_LOW_BITS = 26
_LOW_MASK = (1 << _LOW_BITS) - 1
_MANTISSA = 53
# frexp exponents of finite float64 lie in [-1073, 1024]; low parts land 53 places below, high parts 27.
_MIN_POWER = -1073 - _MANTISSA
_MAX_POWER = 1024 - (_MANTISSA - _LOW_BITS)
_CARRY = 40
_CELLS = _MAX_POWER - _MIN_POWER + 1 + 2 * _CARRY
# float64 bincount weights stay exact while a cell's chunk sum stays below 2**53
_ADD_CHUNK = 1 << 24
_SPLITTER = float(2**27 + 1)


def exact_squares(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(high, low)`` with ``high = fl(x * x)`` and ``high + low == x * x`` exactly (Dekker's product).

    Exact unless the square overflows (then ``low`` is 0 and ``high`` infinite) or falls below ``2**-969``,
    where the low part is rounded.
    """
    values = np.asarray(values, dtype=np.float64)
    high = values * values
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = _SPLITTER * values
        top = scaled - (scaled - values)
        bottom = values - top
        low = ((top * top - high) + 2.0 * top * bottom) + bottom * bottom
    low[~np.isfinite(high)] = 0.0
    return high, low


def to_float(value: Fraction | float) -> float:
    """``value`` rounded to the nearest float64; an infinity of its sign when it is beyond the range."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


class ExactSums:
    """A fixed number of exact float64 sums (rows) that values are added to.

    :param rows: how many separate sums are kept.
    """

    def __init__(self, rows: int) -> None:
        self.cells = np.zeros((rows, _CELLS), dtype=np.int64)
        self.special = np.zeros(rows, dtype=np.float64)

    @property
    def rows(self) -> int:
        """Number of sums."""
        return self.cells.shape[0]

    def add(self, rows: np.ndarray, values: np.ndarray) -> None:
        """Add ``values[i]`` to sum ``rows[i]`` for every ``i``."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        finite = np.isfinite(values)
        if not finite.all():
            np.add.at(self.special, rows[~finite], values[~finite])
            rows, values = rows[finite], values[finite]
        for start in range(0, values.size, _ADD_CHUNK):
            self._add_finite(rows[start : start + _ADD_CHUNK], values[start : start + _ADD_CHUNK])

    def _add_finite(self, rows: np.ndarray, values: np.ndarray) -> None:
        """Add finite values, at most ``2**24`` of them."""
        fractions, exponents = np.frexp(values)
        mantissas = np.ldexp(fractions, _MANTISSA).astype(np.int64)
        high = mantissas >> _LOW_BITS
        low = mantissas & _LOW_MASK
        base = rows * _CELLS + (exponents.astype(np.int64) - _MANTISSA - _MIN_POWER + _CARRY)
        cells = np.bincount(
            np.concatenate([base + _LOW_BITS, base]),
            weights=np.concatenate([high, low]).astype(np.float64),
            minlength=self.cells.size,
        )
        self.cells += cells.astype(np.int64).reshape(self.cells.shape)
        self._carry()

    def _carry(self) -> None:
        """Move whole multiples of ``2**40`` of each cell to the cell 40 places up (same value, cells stay
        within ``2**39`` in magnitude)."""
        carries = (self.cells + (1 << (_CARRY - 1))) >> _CARRY
        if not carries.any():
            return
        self.cells -= carries << _CARRY
        self.cells[:, _CARRY:] += carries[:, :-_CARRY]

    def merge(self, other: ExactSums) -> None:
        """Add the sums of ``other`` (same number of rows) to these."""
        if other.rows != self.rows:
            raise ValueError("cannot merge sums with different numbers of rows")
        self.cells += other.cells
        self.special += other.special
        self._carry()

    def exact(self, row: int) -> Fraction | float:
        """The exact value of sum ``row``: a ``Fraction``, or the infinity or NaN the sum holds."""
        if self.special[row] != 0.0 or np.isnan(self.special[row]):
            return float(self.special[row])
        total = 0
        for index in np.flatnonzero(self.cells[row]).tolist():
            total += int(self.cells[row, index]) << index
        shift = _MIN_POWER - _CARRY
        return Fraction(total, 1 << -shift) if shift < 0 else Fraction(total << shift)

    def value(self, row: int) -> float:
        """Sum ``row`` rounded once to the nearest float64 (an infinity beyond the float64 range)."""
        return to_float(self.exact(row))

    def state(self) -> dict[str, np.ndarray]:
        """The sums as arrays, for serialization."""
        return {"cells": self.cells, "special": self.special}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> ExactSums:
        """Sums from :meth:`state`."""
        cells = np.asarray(state["cells"], dtype=np.int64)
        if cells.ndim != 2 or cells.shape[1] != _CELLS:
            raise ValueError("exact sums of another layout")
        sums = cls(cells.shape[0])
        sums.cells = cells.copy()
        sums.special = np.asarray(state["special"], dtype=np.float64).copy()
        return sums
