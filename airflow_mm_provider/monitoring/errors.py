"""Validation errors raised before a request reaches the service."""

from __future__ import annotations

from typing import Any

from airflow_mm_provider.monitoring.rules import Rule

_MISSING = object()


class MonitoringValidationError(ValueError):
    """A Model Monitor request value breaks a rule the service enforces.

    :param field: dotted path of the offending field, e.g. ``EndpointInput.StartTimeOffset``.
    :param rule: the rule that was broken.
    :param value: the offending value, quoted in the message when given.
    """

    def __init__(self, field: str, rule: Rule, value: Any = _MISSING) -> None:
        self.field = field
        self.rule = rule
        self.value = None if value is _MISSING else value
        shown = "" if value is _MISSING else f" (got {_short(value)})"
        super().__init__(f"{field}: {rule.statement}{shown} [rule {rule.id}]")


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
