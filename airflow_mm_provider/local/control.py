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
                                 ``count`` calls of ``operation`` fail (ThrottlingException 400 or
                                 InternalFailure 500)
DELETE   /_mm-local/faults       drop pending faults
POST     /_mm-local/settings     body ``{"pending_seconds", "jitter", "max_schedules"}`` (any subset)
POST     /_mm-local/reset        forget every resource, fault and S3 object
=======  ======================  =============================================================================

Errors answer ``{"error": message}`` with HTTP 400 (bad request) or 404 (unknown path).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow_mm_provider.local.executions import run_due

if TYPE_CHECKING:
    from airflow_mm_provider.local.server import LocalService

PREFIX = "/_mm-local/"
SETTINGS = {"pending_seconds": float, "jitter": bool, "max_schedules": int}


def parse_time(text: str) -> datetime:
    """An ISO-8601 time; naive values are taken as UTC."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _iso(value: Any) -> Any:
    """Datetimes (also nested in dicts/lists) as ISO-8601 strings."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


def handle(service: LocalService, method: str, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """Answer one control request: (HTTP status, JSON payload)."""
    route = (method, path[len(PREFIX) :].strip("/"))
    handler = _ROUTES.get(route)
    if handler is None:
        return 404, {"error": f"no control route {method} {path}"}
    try:
        payload = json.loads(body) if body else {}
        if not isinstance(payload, dict):
            raise ValueError("the request body must be a JSON object")
        return 200, _iso(handler(service, payload))
    except (ValueError, TypeError, KeyError) as err:
        return 400, {"error": str(err)}


def _health(service: LocalService, _: dict[str, Any]) -> dict[str, Any]:
    """Liveness and where the service is."""
    return {
        "status": "ok",
        "endpoint_url": service.endpoint_url,
        "region": service.config.region,
        "account_id": service.config.account_id,
        "now": service.ctx.clock.now(),
    }


def _status(service: LocalService, _: dict[str, Any]) -> dict[str, Any]:
    """Counts, faults, time and settings."""
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
    }


def _run_due(service: LocalService, payload: dict[str, Any]) -> dict[str, Any]:
    """Run every due slot up to ``until``."""
    until = parse_time(payload["until"]) if payload.get("until") else None
    executions = run_due(service.ctx, until, wait_done=bool(payload.get("wait", True)))
    return {"until": until or service.ctx.clock.now(), "executions": executions}


def _get_clock(service: LocalService, _: dict[str, Any]) -> dict[str, Any]:
    """The service time."""
    return {"now": service.ctx.clock.now()}


def _set_clock(service: LocalService, payload: dict[str, Any]) -> dict[str, Any]:
    """Set the service time."""
    service.ctx.clock.set(parse_time(payload["now"]))
    return _get_clock(service, payload)


def _inject(service: LocalService, payload: dict[str, Any]) -> dict[str, Any]:
    """Queue failures for an operation."""
    service.ctx.faults.inject(
        str(payload["operation"]), int(payload.get("count", 1)), str(payload.get("kind", "throttling"))
    )
    return {"faults": service.ctx.faults.pending()}


def _clear_faults(service: LocalService, _: dict[str, Any]) -> dict[str, Any]:
    """Drop queued failures."""
    service.ctx.faults.clear()
    return {"faults": {}}


def _settings(service: LocalService, payload: dict[str, Any]) -> dict[str, Any]:
    """Change settings at run time."""
    unknown = set(payload) - set(SETTINGS)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; known: {sorted(SETTINGS)}")
    for key, value in payload.items():
        setattr(service.config, key, SETTINGS[key](value))
    service.ctx.clock.jitter = service.config.jitter
    return {"settings": {k: getattr(service.config, k) for k in SETTINGS}}


def _reset(service: LocalService, _: dict[str, Any]) -> dict[str, Any]:
    """Forget everything."""
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
