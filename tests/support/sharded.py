"""Traffic and report helpers for the tests of sharded self-hosted analyses on the local service's S3."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from airflow_mm_provider.local.synthetic import Degradation
from airflow_mm_provider.runner.shards import ShardedWindow
from airflow_mm_provider.runner.window import analyse_window
from tests.support.scenario import CAPTURE, Scenario
from tests.support.service import BUCKET

SHARDED = f"s3://{BUCKET}/sharded"
"""Where the sharded runs write their reports (the one-task runs write to ``SELF_HOSTED``)."""


class Monitor(Protocol):
    """A self-hosted monitor of endpoint ``ep`` (as ``tests/support/self_hosted.py`` builds them)."""

    monitoring_type: str
    degradation: Degradation

    def self_hosted(self) -> dict[str, Any]:
        """Its job definition, reports going to the one-task prefix."""
        ...


def put_traffic(scenario: Scenario, monitor: Monitor) -> None:
    """A healthy hour 00:00 and the monitor's degraded hour 01:00, in capture files of 100 records (15 per
    hour), with ground truth for model quality and bias."""
    ground_truth = monitor.monitoring_type != "DataQuality"
    scenario.traffic((11, 12), monitor.degradation, ground_truth=ground_truth, records_per_file=100)


def with_output(monitor: Monitor, output: str) -> dict[str, Any]:
    """The monitor's self-hosted job definition writing its reports to ``output``."""
    definition = monitor.self_hosted()
    section = definition[f"{monitor.monitoring_type}JobOutputConfig"]
    section["MonitoringOutputs"][0]["S3Output"]["S3Uri"] = output
    return definition


def reports(scenario: Scenario, uri: str) -> dict[str, Any]:
    """File name -> parsed JSON of the report files under a report URI."""
    prefix = uri[len(f"s3://{BUCKET}/") :] + "/"
    listed = scenario.s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {item["Key"][len(prefix) :]: scenario.read_json(f"s3://{BUCKET}/{item['Key']}") for item in listed}


def run_both(
    monitor: Monitor, name: str, slot: datetime, factory: Callable[[], Any], shards: int = 4
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The summaries of monitor ``name``'s window at ``slot`` analysed by one task (reports under the
    monitor's own output) and in ``shards`` shards (reports under :data:`SHARDED`), in that order."""
    one = analyse_window(
        monitor.monitoring_type,
        monitor.self_hosted(),
        monitoring_schedule_name=name,
        slot=slot,
        s3_client_factory=factory,
        capture_destination=CAPTURE,
    )
    window = ShardedWindow(monitor.monitoring_type, with_output(monitor, SHARDED), name, slot, CAPTURE)
    return one, sharded_run(window, factory, shards)


def sharded_run(window: ShardedWindow, factory: Callable[[], Any], shards: int = 4) -> dict[str, Any]:
    """Plan, run every shard, merge (what the task group's tasks do, here in one process)."""
    descriptors = window.plan(factory, shards)
    return window.merge(factory, [window.run_shard(factory, descriptor) for descriptor in descriptors])
