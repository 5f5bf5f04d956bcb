from __future__ import annotations

import urllib.error

import pytest

from airflow_mm_provider.local.control_client import call_control
from airflow_mm_provider.local.testing import LocalModelMonitor


def test_call_control_returns_the_json_answer(mm: LocalModelMonitor) -> None:
    health = call_control(mm.endpoint_url + "/", "GET", "health")
    assert health["status"] == "ok" and health["endpoint_url"] == mm.endpoint_url


def test_call_control_sends_the_payload(mm: LocalModelMonitor) -> None:
    call_control(mm.endpoint_url, "POST", "clock", {"now": "2024-05-01T10:00:00+00:00"})
    assert call_control(mm.endpoint_url, "GET", "clock")["now"].startswith("2024-05-01T10:00:00")


def test_call_control_raises_http_errors(mm: LocalModelMonitor) -> None:
    with pytest.raises(urllib.error.HTTPError):
        call_control(mm.endpoint_url, "GET", "no-such-route")
