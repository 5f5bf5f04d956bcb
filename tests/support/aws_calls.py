"""Record every AWS API call boto3 makes: a botocore ``before-call`` hook that each botocore session created
meanwhile registers with its built-in handlers, so the clients hooks build inside operators are covered."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from botocore import handlers


def record_aws_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Start recording; returns the live list of ``(service, operation)`` calls, e.g. ``("s3", "GetObject")``.

    Only clients of sessions created after this call are seen (clients made earlier, such as a test's own,
    are not), and recording ends with ``monkeypatch``.

    :param monkeypatch: pytest's monkeypatch, which removes the hook at the end of the test.
    """
    calls: list[tuple[str, str]] = []
    lock = threading.Lock()

    def record(model: Any, **_: Any) -> None:
        with lock:
            calls.append((model.service_model.service_name, model.name))

    monkeypatch.setattr(handlers, "BUILTIN_HANDLERS", [*handlers.BUILTIN_HANDLERS, ("before-call", record)])
    return calls
