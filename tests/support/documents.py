"""Comparing parsed report documents: equal, but named float members within a relative tolerance."""

from __future__ import annotations

import math
from typing import Any

RELATIVE = 1e-12
"""Tolerance of the members compared loosely (those equal up to rounding, such as data-quality std_dev)."""


def assert_same_documents(
    mine: Any,
    theirs: Any,
    loose: frozenset[str] = frozenset(),
    skip: frozenset[str] = frozenset(),
    at: str = "",
) -> None:
    """Equal JSON documents (NaN equals NaN), but for members named in ``loose`` (floats within
    :data:`RELATIVE`) and in ``skip`` (not compared).

    :param mine: the document checked.
    :param theirs: the document expected.
    :param loose: member names whose float values may differ by rounding.
    :param skip: member names left out of the comparison.
    :param at: the path of the two documents, for the failure message.
    """
    if isinstance(theirs, dict):
        assert isinstance(mine, dict) and set(mine) == set(theirs), at
        for key in theirs:
            if key not in skip:
                assert_same_documents(mine[key], theirs[key], loose, skip, f"{at}/{key}")
    elif isinstance(theirs, list):
        assert isinstance(mine, list) and len(mine) == len(theirs), at
        for index, (one, other) in enumerate(zip(mine, theirs, strict=True)):
            assert_same_documents(one, other, loose, skip, f"{at}/{index}")
    elif isinstance(theirs, float) and at.rsplit("/", 1)[-1] in loose:
        assert math.isclose(mine, theirs, rel_tol=RELATIVE), at
    else:
        assert mine == theirs or (mine != mine and theirs != theirs), at
