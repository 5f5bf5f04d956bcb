"""Fixtures of the schedule and one-time operator tests (modules that define their own keep them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest

from airflow_mm_provider.local.testing import LocalModelMonitor
from tests.support.schedule_operators import local_service, mocked_hook, run_context


@pytest.fixture
def hook() -> mock.MagicMock:
    """A mocked Model Monitor hook (see ``mocked_hook``)."""
    return mocked_hook()


@pytest.fixture
def context() -> dict[str, Any]:
    """A task context: an hourly DAG run over 10:00-11:00 UTC."""
    return run_context()


@pytest.fixture
def service(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalModelMonitor]:
    """The local service with an endpoint that captures, and an Airflow connection to it."""
    with local_service(monkeypatch) as local:
        yield local
