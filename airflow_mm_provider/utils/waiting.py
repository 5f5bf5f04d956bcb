"""The provider's one waiting vocabulary: parameter names, their defaults, the old spellings still accepted.

Following the Amazon provider's SageMaker operators:

- ``check_interval``: seconds between two looks at work the task waits on (a schedule settling after a change,
  a baseline processing job, a one-time execution);
- ``max_ingestion_time``: seconds that wait may take, counted from its start. It means the same in the worker
  and in the triggerer: a deferred wait gets the same deadline (or the same number of waiter attempts);
- ``waiter_delay`` / ``waiter_max_attempts``: what a trigger is handed when the wait is deferred
  (``waiter_delay`` is the ``check_interval``).

Sensors keep ``BaseSensorOperator``'s ``poke_interval`` and ``timeout``; deferred, ``poke_interval`` becomes
the trigger's ``waiter_delay`` and the timeout its deadline.

The spellings of release 0.1 (``schedule_poll_interval`` / ``schedule_wait_timeout``, ``poll_interval`` /
``timeout``) are accepted for one more release with an ``AirflowProviderDeprecationWarning`` naming the new
one; passing an old and a new name together is a ``ValueError`` naming both.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Final, TypeVar

from airflow.exceptions import AirflowProviderDeprecationWarning

SCHEDULE_CHECK_INTERVAL: Final = 5.0
"""Seconds between two DescribeMonitoringSchedule calls while a schedule settles after a change."""
SCHEDULE_MAX_INGESTION_TIME: Final = 180.0
"""Seconds one wait for a schedule (to leave ``Pending``, or to be gone after a delete) may take."""
PROCESSING_JOB_CHECK_INTERVAL: Final = 30
"""Seconds between two DescribeProcessingJob calls while a baseline job runs."""
PROCESSING_JOB_MAX_INGESTION_TIME: Final = 2 * 86400
"""Seconds a wait for a baseline job may take when ``max_ingestion_time`` is None (two days)."""
EXECUTION_CHECK_INTERVAL: Final = 60.0
"""Seconds between two ListMonitoringExecutions calls while a one-time execution runs."""
EXECUTION_MAX_INGESTION_TIME: Final = 7200.0
"""Seconds a wait for a one-time execution may take."""


class _NotSet:
    """The default of a renamed parameter, so that a value given explicitly can be told from none."""

    def __repr__(self) -> str:
        return "NOTSET"


NOTSET: Any = _NotSet()
"""Stands for "not given" in the signatures of parameters that have a deprecated old name."""


def renamed_argument(kwargs: dict[str, Any], new: str, value: Any, old: str, default: Any) -> Any:
    """The value of parameter ``new``, also accepting it under its deprecated name ``old``.

    ``old`` is removed from ``kwargs`` (so it does not reach ``BaseOperator``). Given alone, its value is used
    and an ``AirflowProviderDeprecationWarning`` names ``new``; given together with ``new``, a ``ValueError``
    names both.

    :param kwargs: the caller's remaining keyword arguments.
    :param new: the parameter's name.
    :param value: the value given for ``new``, or :data:`NOTSET`.
    :param old: the deprecated name.
    :param default: the value when neither is given.
    """
    if old not in kwargs:
        return default if value is NOTSET else value
    old_value = kwargs.pop(old)
    if value is not NOTSET:
        raise ValueError(f"{new}, {old}: pass only {new}; {old} is its deprecated name")
    warnings.warn(
        f"{old} is deprecated and will be removed in the next release; use {new}",
        AirflowProviderDeprecationWarning,
        stacklevel=3,
    )
    return old_value


def dropped_argument(kwargs: dict[str, Any], old: str, instead: str) -> Any:
    """Take the deprecated parameter ``old`` out of ``kwargs`` (``None`` when absent), warning when present.

    For a parameter with no new name in its place.

    :param kwargs: the caller's remaining keyword arguments.
    :param old: the deprecated name.
    :param instead: what happens once it is removed, for the warning.
    """
    if old not in kwargs:
        return None
    warnings.warn(
        f"{old} is deprecated and will be removed in the next release; {instead}",
        AirflowProviderDeprecationWarning,
        stacklevel=3,
    )
    return kwargs.pop(old)


def schedule_wait(
    kwargs: dict[str, Any], check_interval: float = NOTSET, max_ingestion_time: float = NOTSET
) -> tuple[float, float]:
    """The settings of a wait for a schedule, ``(check_interval, max_ingestion_time)``, validated.

    Also accepts the former names ``schedule_poll_interval`` and ``schedule_wait_timeout`` (see
    :func:`renamed_argument`).

    :param kwargs: the caller's remaining keyword arguments.
    :param check_interval: seconds between two looks, or :data:`NOTSET` for 5.
    :param max_ingestion_time: seconds one wait may take (zero or more), or :data:`NOTSET` for 180.
    """
    interval = renamed_argument(
        kwargs, "check_interval", check_interval, "schedule_poll_interval", SCHEDULE_CHECK_INTERVAL
    )
    limit = renamed_argument(
        kwargs, "max_ingestion_time", max_ingestion_time, "schedule_wait_timeout", SCHEDULE_MAX_INGESTION_TIME
    )
    return checked_interval(interval), checked_wait(limit, zero=True)


Seconds = TypeVar("Seconds", int, float)


def checked_interval(value: Seconds, name: str = "check_interval") -> Seconds:
    """``value`` when it is a positive number of seconds, else a ``ValueError`` naming ``name``.

    :param value: seconds between two looks.
    :param name: the parameter, for the error.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name}: must be a positive number of seconds, got {value!r}")
    return value


def checked_wait(
    value: float, name: str = "max_ingestion_time", *, zero: bool = False, or_none: bool = False
) -> float:
    """``value`` when it is a positive number of seconds (or 0 with ``zero``), else a ``ValueError`` naming
    ``name``.

    :param value: seconds a wait may take.
    :param name: the parameter, for the error.
    :param zero: whether 0 (one look, no waiting) is allowed.
    :param or_none: whether the parameter also takes None, for the error.
    """
    number = not isinstance(value, bool) and isinstance(value, (int, float))
    if not number or value < 0 or (value == 0 and not zero):
        kind = "zero or more" if zero else "positive"
        allowed = "None or a" if or_none else "a"
        raise ValueError(f"{name}: must be {allowed} {kind} number of seconds, got {value!r}")
    return value


def checked_max_wait(
    value: float | None, name: str = "max_ingestion_time", *, zero: bool = False
) -> float | None:
    """``value`` when it is None (the caller's documented default) or passes :func:`checked_wait`.

    :param value: seconds a wait may take, or None.
    :param name: the parameter, for the error.
    :param zero: whether 0 (one look, no waiting) is allowed.
    """
    return None if value is None else checked_wait(value, name, zero=zero, or_none=True)


def waiter_max_attempts(max_ingestion_time: float, check_interval: float) -> int:
    """How many looks, ``check_interval`` apart, cover a wait of ``max_ingestion_time`` seconds (at least 1).

    :param max_ingestion_time: seconds the wait may take.
    :param check_interval: seconds between two looks.
    """
    return max(1, math.ceil(max_ingestion_time / check_interval))
