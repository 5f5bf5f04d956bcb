"""Select values from parsed records by Model Monitor attribute semantics.

An attribute (``InferenceAttribute``, ``ProbabilityAttribute``, the ground-truth attribute,
``FeaturesAttribute``) is either a column index written as a string (``"0"``) for CSV rows, a column name for
CSV data with a header, or a JMESPath expression for JSON data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jmespath

__all__ = ["Attribute", "MISSING", "canonical_label", "scalar_payload"]


class _Missing:
    """Marker for a value an attribute could not find."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Attribute:
    """One compiled attribute.

    :param spec: the attribute as the API takes it: digits for a column index, otherwise a column name
        (CSV with header) or a JMESPath expression (JSON).
    :param header: column names of a CSV dataset with a header; a name in it resolves to its index.
    """

    def __init__(self, spec: str, header: Sequence[str] | None = None) -> None:
        self.spec = spec
        self.index: int | None = None
        self._expression: Any = None
        text = spec.strip()
        if text.isdigit():
            self.index = int(text)
        elif header is not None and text in header:
            self.index = list(header).index(text)
        else:
            self._expression = jmespath.compile(text)

    def select(self, record: Any) -> Any:
        """Return the attribute's value in ``record`` (a CSV row list or parsed JSON), or ``MISSING``."""
        if self.index is not None:
            if isinstance(record, list):
                return record[self.index] if self.index < len(record) else MISSING
            if isinstance(record, dict):
                return record.get(str(self.index), MISSING)
            return record if self.index == 0 and record is not None else MISSING
        if isinstance(record, (dict, list)):
            value = self._expression.search(record)
            return MISSING if value is None else value
        return MISSING

    def __repr__(self) -> str:
        return f"Attribute({self.spec!r})"


def scalar_payload(record: Any) -> Any:
    """Return the value of a record when no attribute is configured: itself, or the only item of a list."""
    if isinstance(record, list):
        return record[0] if len(record) == 1 else MISSING
    if isinstance(record, dict) or record is None:
        return MISSING
    return record


def canonical_label(value: Any) -> str:
    """Return a class label as text, so that ``1``, ``1.0`` and ``"1"`` name the same class."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    if number.is_integer() and abs(number) < 2**53:
        return str(int(number))
    return repr(number)
