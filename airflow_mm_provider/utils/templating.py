"""Telling literal parameter values from run-time ones, and reading rendered template values back."""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from typing import Any

from airflow.providers.common.compat.sdk import XComArg


def is_literal(value: Any) -> bool:
    """Whether a parameter value is final when the DAG file is parsed, so it can be validated then.

    Strings with Jinja markup and ``XComArg`` objects (also inside dicts, lists, tuples and sets) are only
    known at run time.

    :param value: the value as given to the operator.
    """
    if isinstance(value, XComArg):
        return False
    if isinstance(value, str):
        return "{{" not in value and "{%" not in value
    if isinstance(value, Mapping):
        return all(is_literal(key) and is_literal(item) for key, item in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(is_literal(item) for item in value)
    return True


def rendered_object(value: Any, name: str) -> Any:
    """The Python value of a rendered template field: non-strings as they are, strings parsed.

    A template such as ``"{{ ti.xcom_pull('wait') }}"`` renders to text (unless the DAG renders native
    objects): JSON text and Python literals (a dict's ``repr``) are both read back.

    :param value: the rendered field value.
    :param name: the parameter name, for errors.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        shown = text if len(text) <= 80 else text[:77] + "..."
        raise ValueError(
            f"{name}: cannot read {shown!r} as JSON or a Python literal; pass an XComArg (e.g. task.output) "
            "or render templates as native objects"
        ) from None
