"""JSON helpers shared by the report models: parsing documents, numbers written as text, JSON-safe values."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

_NON_FINITE_TEXT = {"nan": math.nan, "infinity": math.inf, "+infinity": math.inf, "-infinity": -math.inf}


def load_json_object(data: Mapping[str, Any] | str | bytes, what: str) -> Mapping[str, Any]:
    """Parse a report document given as a mapping, JSON text or JSON bytes; it must be a JSON object.

    :param data: the document.
    :param what: the file it came from, quoted in errors (e.g. ``"statistics.json"``).
    """
    if isinstance(data, (str, bytes, bytearray)):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise ValueError(f"{what}: not valid JSON ({exc})") from exc
    if not isinstance(data, Mapping):
        raise ValueError(f"{what}: must be a JSON object (got {type(data).__name__})")
    return data


def parse_number(value: Any, where: str) -> float | None:
    """Read a JSON number, also when written as ``"NaN"``, ``"Infinity"``, ``"-Infinity"`` or numeric text.

    :param value: the JSON value; ``None`` stays ``None``.
    :param where: the key path, quoted in the error when the value is not a number.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{where}: must be a number (got {value!r})")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in _NON_FINITE_TEXT:
            return _NON_FINITE_TEXT[text.lower()]
        try:
            return float(text)
        except ValueError:
            pass
    raise ValueError(f"{where}: must be a number (got {value!r})")


def parse_count(value: Any, where: str) -> int | None:
    """Read a JSON count (``100`` or ``100.0``) as an ``int``; ``None`` stays ``None``.

    :param value: the JSON value.
    :param where: the key path, quoted in the error when the value is not a whole non-negative number.
    """
    number = parse_number(value, where)
    if number is None:
        return None
    if not math.isfinite(number) or number < 0 or not number.is_integer():
        raise ValueError(f"{where}: must be a whole non-negative number (got {value!r})")
    return int(number)


def json_number(value: float | None) -> float | str | None:
    """A float made JSON-safe: finite unchanged, others as ``"NaN"``, ``"Infinity"``, ``"-Infinity"``."""
    if value is None or math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def json_safe(value: Any) -> Any:
    """``value`` with each non-finite float in it (nested too) replaced by :func:`json_number`."""
    if isinstance(value, float):
        return json_number(value)
    if isinstance(value, Mapping):
        return json_safe_object(value)
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def json_safe_object(value: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`json_safe` of a JSON object: a new dict with every non-finite float in it replaced."""
    return {key: json_safe(item) for key, item in value.items()}


def optional_text(value: Any) -> str | None:
    """A JSON scalar as text (``0`` -> ``"0"``), ``None`` when absent."""
    return None if value is None else str(value)


def mapping_at(document: Mapping[str, Any], key: str, where: str, required: bool = True) -> Mapping[str, Any]:
    """The JSON object under ``key``; ``{}`` when absent (or ``null``) and not ``required``.

    :param document: the object holding ``key``.
    :param key: the key to read.
    :param where: the path of ``document``, quoted in errors.
    :param required: whether an absent key is an error.
    """
    value = document.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, Mapping):
        shown = "missing" if value is None else f"got {type(value).__name__}"
        raise ValueError(f"{where}.{key}: must be a JSON object ({shown})")
    return value


def named_entry(item: Any, where: str) -> tuple[str, str]:
    """The ``name`` of a JSON object entry (e.g. one of ``features``) and its path with the name appended.

    :param item: the parsed entry; must be a JSON object with a string ``name``.
    :param where: its path, quoted in errors (e.g. ``statistics.json.features[3]``).
    :return: the name and ``<where>(<name>)``, the path later errors quote.
    """
    if not isinstance(item, Mapping):
        raise ValueError(f"{where}: must be a JSON object (got {type(item).__name__})")
    name = item.get("name")
    if not isinstance(name, str):
        raise ValueError(f"{where}.name: must be a string (got {name!r})")
    return name, f"{where}({name})"


def list_at(document: Mapping[str, Any], key: str, where: str) -> list[Any]:
    """The JSON list under ``key``; ``[]`` when absent or ``null``.

    :param document: the object holding ``key``.
    :param key: the key to read.
    :param where: the path of ``document``, quoted in errors.
    """
    value = document.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"{where}.{key}: must be a list (got {type(value).__name__})")
    return value
