"""An hourly data-quality schedule on the local Model Monitor service, reached via an Airflow connection."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from airflow_mm_provider.hooks.model_monitor import SageMakerModelMonitorHook
from airflow_mm_provider.local.testing import LocalModelMonitor
from tests.support.engine import FakeEngine
from tests.support.service import BUCKET, HOURLY, endpoint, job_definition, put_capture

SLOT = datetime(2024, 5, 1, 13, tzinfo=timezone.utc)
"""The slot whose execution finds capture data."""
LOCAL_CONN_ID = "mm_local"
"""The Airflow connection id that points at the local service."""


@dataclass
class LocalSchedule:
    """An hourly data-quality schedule ``churn-dq`` on the local service, created through the hook.

    Capture data exists for the hour before ``SLOT`` only, so the run at ``SLOT`` finds data and the run an
    hour later fails with "Job inputs had no data". ``engine`` decides how analyses end.
    """

    service: LocalModelMonitor
    engine: FakeEngine
    hook: SageMakerModelMonitorHook

    def run_slot(self, slot: datetime = SLOT) -> None:
        """Let the service clock pass ``slot`` and run its execution to the end."""
        self.service.run_due(slot + timedelta(minutes=5))


@contextmanager
def running_local_schedule(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalSchedule]:
    """The local service on 127.0.0.1, an Airflow connection to it, and the schedule, before ``SLOT``."""
    engine = FakeEngine()
    with LocalModelMonitor(pending_seconds=0, engine=engine) as service:
        extra = {"endpoint_url": service.endpoint_url, "region_name": service.region}
        connection = {"conn_type": "aws", "login": "testing", "password": "testing", "extra": extra}
        monkeypatch.setenv(f"AIRFLOW_CONN_{LOCAL_CONN_ID.upper()}", json.dumps(connection))
        service.set_clock(SLOT - timedelta(minutes=30))
        s3 = service.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        endpoint(service.client("sagemaker"))
        put_capture(s3, [SLOT - timedelta(hours=1)])
        hook = SageMakerModelMonitorHook(aws_conn_id=LOCAL_CONN_ID)
        definition = job_definition("DataQuality", "unused")
        del definition["JobDefinitionName"]
        hook.create_or_update_schedule("churn-dq", "DataQuality", definition, HOURLY)
        yield LocalSchedule(service, engine, hook)
