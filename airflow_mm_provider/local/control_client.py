"""A client of the local service's control interface (``/_mm-local/<route>``): JSON over HTTP."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from airflow_mm_provider.local.frontdoor import CONTROL_HEADER


def call_control(
    endpoint_url: str, method: str, route: str, payload: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Call one control route and return its JSON answer; HTTP and network errors are raised (urllib).

    Sends the ``X-MM-Local: 1`` header the service requires of scripts, and a JSON body on every non-GET call.

    :param endpoint_url: the service's URL, e.g. ``http://127.0.0.1:5000``.
    :param method: the HTTP method.
    :param route: the route below ``/_mm-local/``, e.g. ``run-due``.
    :param payload: the JSON body, if any.
    """
    if payload is None and method != "GET":
        payload = {}
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(
        f"{endpoint_url.rstrip('/')}/_mm-local/{route}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json", CONTROL_HEADER: "1"},
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())
