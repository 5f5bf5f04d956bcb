"""Deterministic resource names: content-addressed job definitions and run-scoped baseline jobs.

Every name returned here matches the SageMaker name pattern ``^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$``, so it is
valid for monitoring schedules, job definitions and processing jobs alike.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

MAX_NAME_LENGTH = 63
"""Longest name SageMaker accepts for schedules, job definitions and processing jobs."""

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
"""The service's name pattern (anchored)."""

HASH_LENGTH = 10
"""Hex digits of the content hash carried by a job-definition name."""

TYPE_ABBREVIATIONS: Mapping[str, str] = {
    "DataQuality": "dq",
    "ModelQuality": "mq",
    "ModelBias": "mb",
    "ModelExplainability": "me",
}
"""Short tag per monitoring type used inside job-definition names."""

_EXCLUDED_FROM_HASH = frozenset({"JobDefinitionName", "Tags"})
_INVALID_RUN = r"[^a-zA-Z0-9]+"
_FALLBACK_STEM = "mm"


def content_hash(request: Mapping[str, Any], length: int = HASH_LENGTH) -> str:
    """Return a stable short hex digest of a job-definition request.

    The digest covers the canonical JSON (sorted keys, no whitespace) of the request without its
    ``JobDefinitionName`` and ``Tags``, so two requests that would create the same job share a digest.

    :param request: a ``Create<T>JobDefinition`` request (JSON-compatible values only).
    :param length: number of hex digits to return (1..64).
    """
    if not 1 <= length <= 64:
        raise ValueError(f"length must be between 1 and 64, got {length}")
    body = {key: value for key, value in request.items() if key not in _EXCLUDED_FROM_HASH}
    return _digest(body, length)


def job_definition_name(schedule_name: str, monitoring_type: str, request: Mapping[str, Any]) -> str:
    """Return the content-addressed name of a schedule's job definition.

    The form is ``<schedule stem>-<dq|mq|mb|me>-<hash>``. The stem is the schedule name made valid and, when
    too long, truncated and suffixed with a hash of the full schedule name, so distinct schedules keep
    distinct stems.

    :param schedule_name: the monitoring schedule that will reference the definition.
    :param monitoring_type: ``DataQuality``, ``ModelQuality``, ``ModelBias`` or ``ModelExplainability``.
    :param request: the ``Create<T>JobDefinition`` request whose content is hashed.
    """
    return f"{job_definition_prefix(schedule_name)}{_abbreviation(monitoring_type)}-{content_hash(request)}"


def job_definition_prefix(schedule_name: str) -> str:
    """Return the prefix shared by every job-definition name of this schedule (a valid ``NameContains``).

    :param schedule_name: the monitoring schedule.
    """
    return f"{_schedule_stem(schedule_name)}-"


def is_owned_by(schedule_name: str, job_definition_name: str) -> bool:
    """Tell whether ``job_definition_name`` was named by :func:`job_definition_name` for this schedule.

    :param schedule_name: the monitoring schedule.
    :param job_definition_name: a job definition name, e.g. one a schedule referenced before an update.
    """
    types = "|".join(TYPE_ABBREVIATIONS.values())
    pattern = rf"{re.escape(job_definition_prefix(schedule_name))}(?:{types})-[0-9a-f]{{{HASH_LENGTH}}}"
    return re.fullmatch(pattern, job_definition_name) is not None


def run_scoped_name(dag_id: str, task_id: str, run_id: str, try_scope: str = "") -> str:
    """Return a deterministic name for what one task of one DAG run creates (a baseline job, a one-time
    schedule, a ground-truth file).

    The name is ``<dag>-<task>-<hash12>`` (readable part truncated to fit 63 characters, valid as a SageMaker
    resource name); the hash covers all four arguments, so a retried task finds its resource again while
    other runs, tasks or scopes get new names.

    :param dag_id: the DAG id.
    :param task_id: the task id (mapped tasks can append their map index).
    :param run_id: the DAG run id.
    :param try_scope: extra text that forces a new name, e.g. the try number when every try needs a new job.
    """
    digest = _digest([dag_id, task_id, run_id, try_scope], 12)
    readable = _sanitize(f"{dag_id}-{task_id}")
    return _join_within_limit(readable, digest)


def _schedule_stem(schedule_name: str) -> str:
    """The schedule part of a job-definition name: valid, and short enough to leave room for the suffix."""
    limit = MAX_NAME_LENGTH - len(f"-xx-{'0' * HASH_LENGTH}")
    stem = _sanitize(schedule_name)
    if stem and len(stem) <= limit and stem == schedule_name:
        return stem
    return _join_within_limit(stem, _digest(schedule_name, 6), limit)


def _abbreviation(monitoring_type: str) -> str:
    try:
        return TYPE_ABBREVIATIONS[monitoring_type]
    except KeyError:
        allowed = ", ".join(TYPE_ABBREVIATIONS)
        raise ValueError(f"unknown monitoring type {monitoring_type!r}; expected one of {allowed}") from None


def _sanitize(text: str) -> str:
    """Replace every run of characters outside ``[a-zA-Z0-9]`` by one hyphen and trim hyphens at the ends."""
    return re.sub(_INVALID_RUN, "-", text).strip("-")


def _join_within_limit(readable: str, digest: str, limit: int = MAX_NAME_LENGTH) -> str:
    """Join ``readable`` and ``digest`` with a hyphen, truncating ``readable`` to fit ``limit``."""
    room = limit - len(digest) - 1
    head = readable[:room].rstrip("-") or _FALLBACK_STEM
    return f"{head}-{digest}"


def _digest(value: Any, length: int) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:length]
