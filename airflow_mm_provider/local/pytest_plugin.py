"""pytest plugin: the ``mm_local`` fixture, a running :class:`LocalModelMonitor` per test.

Register with ``pytest_plugins = ["airflow_mm_provider.local.pytest_plugin"]``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_mm_provider.local.testing import LocalModelMonitor


@pytest.fixture
def mm_local() -> Iterator[LocalModelMonitor]:
    """A local Model Monitor service on 127.0.0.1 with no Pending delay, empty S3 and manual slot runs."""
    with LocalModelMonitor(pending_seconds=0) as service:
        yield service


@pytest.fixture
def mm_local_connection(mm_local: LocalModelMonitor, monkeypatch: pytest.MonkeyPatch) -> str:
    """An Airflow AWS connection id (``mm_local``) whose ``endpoint_url`` is the running local service."""
    monkeypatch.setenv("AIRFLOW_CONN_MM_LOCAL", mm_local.airflow_connection_uri())
    return "mm_local"
