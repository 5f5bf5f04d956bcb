"""Exact sums of float64 values that merge in any order without changing a bit.

Every finite float64 is a whole multiple of ``2**-1074`` (the smallest subnormal). :class:`ExactSums` keeps
each sum as that whole number (a Python int), so it is the exact real sum of every value added; two sums merge
by adding them, which is associative and commutative, and a sum (or a mean: the sum over a count) is rounded
to float64 once, when it is read. Values are added in bulk: their significands, in 27-bit halves, are added
per (sum, binary exponent) in float64, exactly for up to ``2**25`` values at a time, and only these few
totals become Python ints; whole values are summed in int64 when that cannot overflow. Infinities and NaNs
are summed apart (their float sum does not depend on order either) and win over the finite part, as in float
arithmetic.

:func:`exact_squares` gives ``x * x`` as two float64 whose sum is exact, so sums of squares are exact too.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["ExactSums", "exact_squares", "to_float"]

_SCALE = 1074
_SIGNIFICAND = (1 << 52) - 1
_HALF = 27
# biased exponents 1..2046 of finite float64 (0 for subnormals counts as 1)
_EXPONENTS = 2046
# float64 bincount weights stay exact while a cell adds at most this many halves
_ADD_CHUNK = 1 << 25
_INT64_SAFE = float(2**62)
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

    def __init__(self, rows: int = 1) -> None:
        self.scaled = [0] * rows
        self.special = np.zeros(rows, dtype=np.float64)

    @property
    def rows(self) -> int:
        """Number of sums."""
        return len(self.scaled)

    def add(self, values: np.ndarray, rows: np.ndarray | None = None, *, integers: bool = False) -> None:
        """Add ``values[i]`` to sum ``rows[i]`` for every ``i`` (to sum 0 without ``rows``).

        :param integers: the values are whole numbers (summed in int64 when that cannot overflow).
        """
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        rows = (
            np.zeros(values.size, dtype=np.int64) if rows is None else np.asarray(rows, np.int64).reshape(-1)
        )
        finite = np.isfinite(values)
        if not finite.all():
            np.add.at(self.special, rows[~finite], values[~finite])
            rows, values = rows[finite], values[finite]
        if integers and values.size and float(np.abs(values).max()) * values.size < _INT64_SAFE:
            totals = np.zeros(self.rows, dtype=np.int64)
            np.add.at(totals, rows, values.astype(np.int64))
            for row in np.flatnonzero(totals).tolist():
                self.scaled[row] += int(totals[row]) << _SCALE
            return
        for start in range(0, values.size, _ADD_CHUNK):
            self._add_finite(rows[start : start + _ADD_CHUNK], values[start : start + _ADD_CHUNK])

    def _add_finite(self, rows: np.ndarray, values: np.ndarray) -> None:
        """Add finite values, at most ``2**25`` of them."""
        bits = np.ascontiguousarray(values).view(np.int64)
        exponent = (bits >> 52) & 0x7FF
        significand = (bits & _SIGNIFICAND) | ((exponent != 0).astype(np.int64) << 52)
        significand = np.where(bits < 0, -significand, significand)
        cells = rows * _EXPONENTS + np.maximum(exponent, 1) - 1
        size = self.rows * _EXPONENTS
        high = np.bincount(cells, weights=significand >> _HALF, minlength=size)
        low = np.bincount(cells, weights=significand & ((1 << _HALF) - 1), minlength=size)
        used = np.flatnonzero((high != 0) | (low != 0))
        for cell, top, bottom in zip(used.tolist(), high[used].tolist(), low[used].tolist(), strict=True):
            row, shift = divmod(cell, _EXPONENTS)
            self.scaled[row] += ((int(top) << _HALF) + int(bottom)) << shift

    def merge(self, other: ExactSums) -> None:
        """Add the sums of ``other`` (same number of rows) to these."""
        if other.rows != self.rows:
            raise ValueError("cannot merge sums with different numbers of rows")
        self.scaled = [mine + theirs for mine, theirs in zip(self.scaled, other.scaled, strict=True)]
        self.special += other.special

    def exact(self, row: int = 0) -> Fraction | float:
        """The exact value of sum ``row``: a ``Fraction``, or the infinity or NaN the sum holds."""
        if self.special[row] != 0.0 or np.isnan(self.special[row]):
            return float(self.special[row])
        return Fraction(self.scaled[row], 1 << _SCALE)

    def value(self, row: int = 0, count: int = 1) -> float:
        """Sum ``row`` over ``count``, rounded once to the nearest float64 (an infinity beyond the range)."""
        if self.special[row] != 0.0 or np.isnan(self.special[row]):
            return float(self.special[row]) / count
        try:
            return self.scaled[row] / (count << _SCALE)
        except OverflowError:
            return math.inf if self.scaled[row] > 0 else -math.inf

    def state(self) -> dict[str, Any]:
        """The sums as bytes (signed, little-endian) and an array, for serialization."""
        return {
            "scaled": [
                total.to_bytes((total.bit_length() + 8) // 8, "little", signed=True) for total in self.scaled
            ],
            "special": self.special,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> ExactSums:
        """Sums from :meth:`state`."""
        special = np.asarray(state["special"], dtype=np.float64).reshape(-1)
        if len(state["scaled"]) != special.size:
            raise ValueError("exact sums of another layout")
        sums = cls(special.size)
        sums.scaled = [int.from_bytes(total, "little", signed=True) for total in state["scaled"]]
        sums.special = special.copy()
        return sums
