"""Small integer codes for the distinct values of a column, through a table that remembers them."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import numpy as np

__all__ = ["value_codes"]


def value_codes(
    table: dict[Hashable, int], values: Sequence[Hashable], new: Callable[[Hashable], int]
) -> np.ndarray:
    """The code of each value in ``table`` (int32); a value not in it gets ``new(value)``, remembered.

    :param table: value -> code, extended in place.
    :param values: the column.
    :param new: gives the code of a value seen for the first time (called once per distinct new value, in
        the order they first appear).
    """
    try:
        return np.fromiter(map(table.__getitem__, values), dtype=np.int32, count=len(values))
    except KeyError:
        for value in dict.fromkeys(values):
            if value not in table:
                table[value] = new(value)
    return np.fromiter(map(table.__getitem__, values), dtype=np.int32, count=len(values))
