"""The processing-job trigger: the Amazon provider's waiter, first looking one delay after the deferral."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any
from unittest import mock

import pytest
from airflow.providers.amazon.aws.triggers.sagemaker import SageMakerTrigger
from airflow.triggers.base import TriggerEvent

from airflow_mm_provider.triggers import processing_job
from airflow_mm_provider.triggers.processing_job import SageMakerProcessingJobTrigger
from airflow_mm_provider.triggers.resume import first_look, resume_grace

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
HEARTBEAT = "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL"


def trigger(waiter_delay: int) -> SageMakerProcessingJobTrigger:
    return SageMakerProcessingJobTrigger(
        job_name="job", job_type="Processing", waiter_delay=waiter_delay, aws_conn_id="mm_local"
    )


def test_serializes_to_its_own_class_with_the_amazon_arguments():
    path, kwargs = trigger(20).serialize()
    assert path == "airflow_mm_provider.triggers.processing_job.SageMakerProcessingJobTrigger"
    rebuilt = SageMakerProcessingJobTrigger(**kwargs)
    assert rebuilt.serialize() == (path, kwargs)
    assert kwargs["job_name"] == "job" and kwargs["waiter_delay"] == 20


@pytest.mark.parametrize(("waiter_delay", "first"), [(1, 10.0), (30, 30.0)])
async def test_first_look_comes_after_one_delay_and_no_sooner_than_the_grace(
    waiter_delay: int, first: float, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(HEARTBEAT, "5")
    calls: list[Any] = []

    async def amazon_run(self: SageMakerTrigger) -> AsyncIterator[TriggerEvent]:
        calls.append("look")
        yield TriggerEvent({"status": "success", "job_name": self.job_name})

    async def pause(seconds: float) -> None:
        calls.append(seconds)

    with (
        mock.patch.object(SageMakerTrigger, "run", amazon_run),
        mock.patch.object(processing_job, "sleep", pause),
    ):
        events = [event async for event in trigger(waiter_delay).run()]
    assert calls == [first, "look"]
    assert [event.payload for event in events] == [{"status": "success", "job_name": "job"}]


@pytest.mark.parametrize(
    ("heartbeat", "interval", "after"),
    [("5", 0.2, timedelta(seconds=10)), ("5", 60, timedelta(seconds=60)), ("0", 0.2, timedelta(seconds=0.2))],
)
def test_first_look_is_one_interval_later_and_no_sooner_than_the_grace(
    heartbeat: str, interval: float, after: timedelta, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv(HEARTBEAT, heartbeat)
    assert first_look(NOW, interval) == NOW + after


def test_grace_is_twice_the_worker_heartbeat_interval_when_airflow_has_one(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(HEARTBEAT, raising=False)
    from airflow.providers.common.compat.sdk import conf

    expected = 2 * conf.getfloat("workers", "min_heartbeat_interval", fallback=0.0)
    assert resume_grace() == timedelta(seconds=expected)
    assert (expected == 10.0) if conf.has_option("workers", "min_heartbeat_interval") else (expected == 0.0)
