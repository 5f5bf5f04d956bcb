"""A client of the local service's control interface (``/_mm-local/<route>``): JSON over HTTP."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


def call_control(
    endpoint_url: str, method: str, route: str, payload: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Call one control route and return its JSON answer; HTTP and network errors are raised (urllib).

    :param endpoint_url: the service's URL, e.g. ``http://127.0.0.1:5000``.
    :param method: the HTTP method.
    :param route: the route below ``/_mm-local/``, e.g. ``run-due``.
    :param payload: the JSON body, if any.
    """
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(
        f"{endpoint_url.rstrip('/')}/_mm-local/{route}",
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())
