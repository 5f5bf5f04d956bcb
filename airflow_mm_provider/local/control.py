"""The control interface: JSON over HTTP under ``/_mm-local/`` on the service's own port.

=======  ======================  =============================================================================
method   path                    what it does
=======  ======================  =============================================================================
GET      /_mm-local/health       ``{"status": "ok", "endpoint_url", "region", "account_id", "now"}``
GET      /_mm-local/status       resource counts, pending faults, service time, settings
POST     /_mm-local/run-due      body ``{"until": iso (default now), "wait": true}``: create and run the
                                 execution of every due slot up to ``until`` (the clock moves there);
                                 answers ``{"until", "executions": [...]}``
GET      /_mm-local/clock        ``{"now": iso}``
POST     /_mm-local/clock        body ``{"now": iso}``: set the service time (it keeps running)
POST     /_mm-local/faults       body ``{"operation", "count": 1, "kind": "throttling"|"internal"}``: the next
                                 ``count`` (1-10000) calls of ``operation`` fail (ThrottlingException 400 or
                                 InternalFailure 500)
DELETE   /_mm-local/faults       drop pending faults
POST     /_mm-local/settings     body ``{"pending_seconds", "jitter", "max_schedules"}`` (any subset)
POST     /_mm-local/reset        forget every resource, fault and S3 object
=======  ======================  =============================================================================

Every request needs the header ``X-MM-Local: 1``; every non-GET request ``Content-Type: application/json``
(a browser page cannot send either cross-origin without a preflight, which the service never grants). Bodies
are checked member by member: unknown members, wrong JSON types (``"false"`` is not a boolean), non-finite or
out-of-range numbers and unknown operation names are refused. Errors answer ``{"error": message}`` with HTTP
400 (bad request), 403 (missing header), 404 (unknown path), 413 (body over 1 MiB) or 415 (not JSON).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from airflow_mm_provider.local.executions import run_due
from airflow_mm_provider.local.faults import FAULT_KINDS, MAX_FAULTS
from airflow_mm_provider.local.wire import load_json
from airflow_mm_provider.monitoring.times import parse_time

if TYPE_CHECKING:
    from airflow_mm_provider.local.context import ServiceConfig, ServiceContext
    from airflow_mm_provider.local.database import Database

PREFIX = "/_mm-local/"
MAX_PENDING_SECONDS = 86_400.0
MAX_SCHEDULES = 1_000_000
Check = Callable[[str, Any], Any]


class ControlledService(Protocol):
    """What the control interface reads and changes of the service it controls (``LocalService`` is one).

    :param endpoint_url: the service's base URL.
    :param config: its settings, some changed at run time.
    :param ctx: its state, clock and fault injector.
    :param auto_run: whether due slots run in the background.
    :param database: the database holding its state.
    """

    endpoint_url: str
    config: ServiceConfig
    ctx: ServiceContext
    auto_run: bool
    database: Database

    def reset(self) -> None:
        """Forget every resource, fault and S3 object."""


def _time(name: str, value: Any) -> datetime:
    """An ISO-8601 time string with ``Z`` or an offset (naive times are refused, as everywhere)."""
    message = f"{name}: must be an ISO-8601 time string with Z or an offset, got {value!r}"
    if not isinstance(value, str):
        raise ValueError(message)
    try:
        return parse_time(value, name)
    except ValueError as err:
        raise ValueError(message) from err


def _boolean(name: str, value: Any) -> bool:
    """A JSON true or false (no strings, no numbers)."""
    if not isinstance(value, bool):
        raise ValueError(f"{name}: must be true or false, got {value!r}")
    return value


def _number(high: float) -> Check:
    """A finite JSON number from 0 to ``high``."""

    def check(name: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"{name}: must be a finite number, got {value!r}")
        if not 0 <= value <= high:
            raise ValueError(f"{name}: must be from 0 to {high:g}, got {value!r}")
        return float(value)

    return check


def _whole(low: int, high: int) -> Check:
    """A JSON whole number from ``low`` to ``high``."""

    def check(name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{name}: must be a whole number from {low} to {high}, got {value!r}")
        return value

    return check


def _choice(options: Callable[[], tuple[str, ...]]) -> Check:
    """One of the strings ``options()`` returns."""

    def check(name: str, value: Any) -> str:
        known = options()
        if value not in known:
            shown = ", ".join(known) if len(known) <= 8 else f"{len(known)} known names, e.g. {known[0]}"
            raise ValueError(f"{name}: must be one of {shown}; got {value!r}")
        return value

    return check


def _operations() -> tuple[str, ...]:
    """The SageMaker operations the service answers."""
    from airflow_mm_provider.local.api import SUPPORTED_OPERATIONS

    return SUPPORTED_OPERATIONS


SETTINGS: dict[str, Check] = {
    "pending_seconds": _number(MAX_PENDING_SECONDS),
    "jitter": _boolean,
    "max_schedules": _whole(1, MAX_SCHEDULES),
}


def _fields(
    payload: dict[str, Any], checks: dict[str, Check], required: tuple[str, ...] = ()
) -> dict[str, Any]:
    """``payload`` checked member by member: no unknown members, ``required`` present, null is unset."""
    unknown = sorted(set(payload) - set(checks))
    if unknown:
        raise ValueError(f"unknown members {unknown}; known: {sorted(checks)}")
    for name in required:
        if payload.get(name) is None:
            raise ValueError(f"{name}: is required")
    return {name: checks[name](name, value) for name, value in payload.items() if value is not None}


def _iso(value: Any) -> Any:
    """Datetimes (also nested in dicts/lists) as ISO-8601 strings."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


def handle(service: ControlledService, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """Answer one control request: (HTTP status, JSON payload)."""
    route = (method, path[len(PREFIX) :].strip("/"))
    handler = _ROUTES.get(route)
    if handler is None:
        return 404, {"error": f"no control route {method} {path}"}
    try:
        payload = load_json(body) if body else {}
        if not isinstance(payload, dict):
            raise ValueError("the request body must be a JSON object")
        return 200, _iso(handler(service, payload))
    except ValueError as err:
        return 400, {"error": str(err)}


def _health(service: ControlledService, payload: dict[str, Any]) -> dict[str, Any]:
    """Liveness and where the service is."""
    _fields(payload, {})
    return {
        "status": "ok",
        "endpoint_url": service.endpoint_url,
        "region": service.config.region,
        "account_id": service.config.account_id,
        "now": service.ctx.clock.now(),
    }


def _status(service: ControlledService, payload: dict[str, Any]) -> dict[str, Any]:
    """Counts, faults, time and settings."""
    _fields(payload, {})
    store = service.ctx.store
    with store.lock:
        counts = {
            "job_definitions": len(store.job_definitions),
            "monitoring_schedules": len(store.schedules),
            "monitoring_executions": len(store.executions),
            "processing_jobs": len(store.processing_jobs),
            "endpoints": len(store.endpoints),
            "endpoint_configs": len(store.endpoint_configs),
        }
    return {
        **_health(service, {}),
        "counts": counts,
        "faults": service.ctx.faults.pending(),
        "settings": {k: getattr(service.config, k) for k in SETTINGS},
        "auto_run": service.auto_run,
        "state": service.database.path,
    }


def _run_due(service: ControlledService, payload: dict[str, Any]) -> dict[str, Any]:
    """Run every due slot up to ``until``."""
    given = _fields(payload, {"until": _time, "wait": _boolean})
    until = given.get("until")
    executions = run_due(service.ctx, until, wait_done=given.get("wait", True))
    return {"until": until or service.ctx.clock.now(), "executions": executions}


def _get_clock(service: ControlledService, payload: dict[str, Any]) -> dict[str, Any]:
    """The service time."""
    _fields(payload, {})
    return {"now": service.ctx.clock.now()}


def _set_clock(service: ControlledService, payload: dict[str, Any]) -> dict[str, Any]:
    """Set the service time."""
    service.ctx.clock.set(_fields(payload, {"now": _time}, required=("now",))["now"])
    return _get_clock(service, {})


def _inject(service: ControlledService, payload: dict[str, Any]) -> dict[str, Any]:
    """Queue failures for an operation."""
    checks = {
        "operation": _choice(_operations),
        "count": _whole(1, MAX_FAULTS),
        "kind": _choice(lambda: tuple(FAULT_KINDS)),
    }
    given = _fields(payload, checks, required=("operation",))
    service.ctx.faults.inject(given["operation"], given.get("count", 1), given.get("kind", "throttling"))
    return {"faults": service.ctx.faults.pending()}


def _clear_faults(service: ControlledService, payload: dict[str, Any]) -> dict[str, Any]:
    """Drop queued failures."""
    _fields(payload, {})
    service.ctx.faults.clear()
    return {"faults": {}}


def _settings(service: ControlledService, payload: dict[str, Any]) -> dict[str, Any]:
    """Change settings at run time."""
    for key, value in _fields(payload, SETTINGS).items():
        setattr(service.config, key, value)
    service.ctx.clock.jitter = service.config.jitter
    return {"settings": {k: getattr(service.config, k) for k in SETTINGS}}


def _reset(service: ControlledService, payload: dict[str, Any]) -> dict[str, Any]:
    """Forget everything."""
    _fields(payload, {})
    service.reset()
    return {"status": "reset"}


_ROUTES = {
    ("GET", "health"): _health,
    ("GET", "status"): _status,
    ("POST", "run-due"): _run_due,
    ("GET", "clock"): _get_clock,
    ("POST", "clock"): _set_clock,
    ("POST", "faults"): _inject,
    ("DELETE", "faults"): _clear_faults,
    ("POST", "settings"): _settings,
    ("POST", "reset"): _reset,
}
