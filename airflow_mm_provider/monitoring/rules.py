"""The registry of offline validation rules, each mirroring a service limit."""

from __future__ import annotations

from dataclasses import dataclass

_REGISTRY: dict[str, Rule] = {}


@dataclass(frozen=True)
class Rule:
    """One rule the service enforces that can be checked before any AWS call.

    :param id: stable short identifier, quoted in error messages and in docs/validation-rules.md.
    :param fields: the request fields the rule applies to, as written in the API.
    :param statement: the rule as a user reads it in an error message ("must be ...").
    :param mirrors: the service limit or behaviour the rule mirrors, with its source.
    """

    id: str
    fields: str
    statement: str
    mirrors: str


def rule(id: str, fields: str, statement: str, mirrors: str) -> Rule:
    """Create a rule and add it to the registry; ids must be unique."""
    if id in _REGISTRY:
        raise RuntimeError(f"validation rule {id!r} is defined twice")
    _REGISTRY[id] = Rule(id, fields, statement, mirrors)
    return _REGISTRY[id]


def all_rules() -> list[Rule]:
    """Every registered rule, after importing every module that defines rules."""
    from airflow_mm_provider.monitoring import checks, inputs, job_definitions, schedule, windows  # noqa: F401

    return sorted(_REGISTRY.values(), key=lambda r: r.id)
