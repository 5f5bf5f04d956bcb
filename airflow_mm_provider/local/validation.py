"""Validate and convert SageMaker requests against the botocore service model.

Stricter than botocore's client-side ``ParamValidator``: it also checks string maximum lengths, patterns
(matched whole, as the service anchors them), enums, list/map sizes and number ranges.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timezone
from functools import cache
from typing import Any

import regex
from botocore.model import Shape


class RequestValidationError(Exception):
    """A request broke the service model; ``problems`` lists one message per member path."""

    def __init__(self, problems: list[str]) -> None:
        """Build the AWS-style summary message from ``problems`` (each naming a member path)."""
        self.problems = problems
        noun = "error" if len(problems) == 1 else "errors"
        super().__init__(f"{len(problems)} validation {noun} detected: " + "; ".join(problems))


@cache
def _compiled(pattern: str) -> regex.Pattern[str]:
    """Compile a botocore pattern (Java flavour, ``\\p{..}`` classes) once."""
    return regex.compile(pattern)


def _join(path: str, member: str) -> str:
    """Extend a member path with a structure member name."""
    return f"{path}.{member}" if path else member


def parse_value(shape: Shape, value: Any, path: str = "") -> Any:
    """Validate ``value`` against ``shape``; return it with timestamps turned into aware datetimes.

    Raises RequestValidationError listing every problem found, each naming its member path.
    """
    problems: list[str] = []
    result = _walk(shape, value, path, problems)
    if problems:
        raise RequestValidationError(problems)
    return result


def _fail(problems: list[str], path: str, value: Any, constraint: str) -> None:
    """Record one constraint failure in the service's wording."""
    shown = value if isinstance(value, (str, int, float, bool)) else type(value).__name__
    problems.append(f"Value '{shown}' at '{path or 'request'}' failed to satisfy constraint: {constraint}")


def _walk(shape: Shape, value: Any, path: str, problems: list[str]) -> Any:
    """Dispatch on the shape type."""
    handler = _HANDLERS.get(shape.type_name)
    if handler is None:
        return value
    return handler(shape, value, path, problems)


def _structure(shape: Shape, value: Any, path: str, problems: list[str]) -> Any:
    """Check required and unknown members, then each member."""
    if not isinstance(value, dict):
        _fail(problems, path, value, "Member must be a structure")
        return value
    out: dict[str, Any] = {}
    members = shape.members
    for name in shape.required_members:
        if value.get(name) is None:
            problems.append(
                f"Value null at '{_join(path, name)}' failed to satisfy constraint: Member must not be null"
            )
    for name, item in value.items():
        if name not in members:
            problems.append(f"Unknown member '{_join(path, name)}' is not part of {shape.name}")
            continue
        if item is None:
            continue
        out[name] = _walk(members[name], item, _join(path, name), problems)
    return out


def _check_bounds(
    shape: Shape, measure: float, value: Any, path: str, problems: list[str], what: str
) -> None:
    """Check ``measure`` (a size, or a number itself) against the min/max of the shape metadata.

    ``value`` is what the error quotes and ``what`` what it names (``length`` or ``value``).
    """
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and measure < low:
        _fail(problems, path, value, f"Member must have {what} greater than or equal to {low}")
    if high is not None and measure > high:
        _fail(problems, path, value, f"Member must have {what} less than or equal to {high}")


def _list(shape: Shape, value: Any, path: str, problems: list[str]) -> Any:
    """Check list size and each item."""
    if not isinstance(value, list):
        _fail(problems, path, value, "Member must be a list")
        return value
    _check_bounds(shape, len(value), f"list of {len(value)}", path, problems, "length")
    return [_walk(shape.member, item, f"{path}[{i}]", problems) for i, item in enumerate(value)]


def _map(shape: Shape, value: Any, path: str, problems: list[str]) -> Any:
    """Check map size, keys and values."""
    if not isinstance(value, dict):
        _fail(problems, path, value, "Member must be a map")
        return value
    _check_bounds(shape, len(value), f"map of {len(value)}", path, problems, "length")
    out = {}
    for key, item in value.items():
        _walk(shape.key, key, f"{path}.key", problems)
        out[key] = _walk(shape.value, item, f"{path}[{key}]", problems)
    return out


def _string(shape: Shape, value: Any, path: str, problems: list[str]) -> Any:
    """Check string type, length, enum and pattern."""
    if not isinstance(value, str):
        _fail(problems, path, value, "Member must be a string")
        return value
    _check_bounds(shape, len(value), value, path, problems, "length")
    if shape.enum and value not in shape.enum:
        _fail(problems, path, value, f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
    pattern = shape.metadata.get("pattern")
    if pattern and _compiled(pattern).fullmatch(value) is None:
        _fail(problems, path, value, f"Member must satisfy regular expression pattern: ^{pattern}$")
    return value


def _integer(shape: Shape, value: Any, path: str, problems: list[str]) -> Any:
    """Check an integer and its range."""
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(problems, path, value, "Member must be an integer")
        return value
    _check_bounds(shape, value, value, path, problems, "value")
    return value


def _float(shape: Shape, value: Any, path: str, problems: list[str]) -> Any:
    """Check a floating-point number and its range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(problems, path, value, "Member must be a number")
        return value
    _check_bounds(shape, value, value, path, problems, "value")
    return float(value)


def _boolean(shape: Shape, value: Any, path: str, problems: list[str]) -> Any:
    """Check a boolean."""
    if not isinstance(value, bool):
        _fail(problems, path, value, "Member must be a boolean")
    return value


def _timestamp(shape: Shape, value: Any, path: str, problems: list[str]) -> Any:
    """Turn epoch seconds (what botocore sends) or an ISO-8601 string into an aware datetime."""
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, tz=timezone.utc)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError, OSError):
        pass
    _fail(problems, path, value, "Member must be a timestamp (epoch seconds)")
    return value


def _blob(shape: Shape, value: Any, path: str, problems: list[str]) -> Any:
    """Decode a base64 blob."""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, TypeError):
        _fail(problems, path, value, "Member must be base64-encoded")
        return value


_HANDLERS = {
    "structure": _structure,
    "list": _list,
    "map": _map,
    "string": _string,
    "integer": _integer,
    "long": _integer,
    "float": _float,
    "double": _float,
    "boolean": _boolean,
    "timestamp": _timestamp,
    "blob": _blob,
}
