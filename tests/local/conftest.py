"""Fixtures for the local service tests (which only talk HTTP to it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from airflow_mm_provider.local.testing import LocalModelMonitor
from tests.support.engine import FakeEngine
from tests.support.service import BUCKET


@pytest.fixture
def engine() -> FakeEngine:
    """A fake analysis engine."""
    return FakeEngine()


@pytest.fixture
def mm(engine: FakeEngine) -> Iterator[LocalModelMonitor]:
    """The service with the fake engine, no Pending delay and manual slot runs."""
    with LocalModelMonitor(pending_seconds=0, engine=engine) as service:
        yield service


@pytest.fixture
def sm(mm: LocalModelMonitor) -> Any:
    """A SageMaker client without retries."""
    return mm.client("sagemaker", retries={"total_max_attempts": 1})


@pytest.fixture
def s3(mm: LocalModelMonitor) -> Any:
    """An S3 client with the bucket created."""
    client = mm.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client
