"""Fixtures for the processing-job layer: an S3 bucket on the local service (127.0.0.1)."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_mm_provider.local.testing import LocalModelMonitor
from airflow_mm_provider.processing.s3files import S3Files
from tests.support.service import BUCKET


@pytest.fixture
def s3(mm_local: LocalModelMonitor) -> Any:
    """A boto3 S3 client of the local service, with :data:`BUCKET` created."""
    client = mm_local.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def files(s3: Any) -> S3Files:
    """:class:`S3Files` over that client."""
    return S3Files(lambda: s3)
