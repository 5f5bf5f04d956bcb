"""A window analysed in shards (plan, one job per shard, merge) over the local service's S3 (127.0.0.1):
the same reports and summary as the one-task analysis of the same window."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from airflow_mm_provider.local.testing import LocalModelMonitor
from airflow_mm_provider.processing.job_runner import NO_DATA
from airflow_mm_provider.runner.shard_plan import PARTIALS_FOLDER, PLAN_FILE, ShardPlan, partial_name
from airflow_mm_provider.runner.shards import ShardedWindow
from tests.operators import test_self_hosted as one_task
from tests.support.documents import assert_same_documents
from tests.support.scenario import CAPTURE, HOUR, HOUR0, Scenario
from tests.support.service import BUCKET
from tests.support.sharded import SHARDED, put_traffic, reports, run_both, sharded_run, with_output

SHARDS = 4
COMPARED = (
    "monitoring_execution_status",
    "failure_reason",
    "scheduled_time",
    "endpoint_name",
    "monitoring_type",
)


@pytest.mark.integration
@pytest.mark.parametrize(
    "build",
    [one_task.data_quality, one_task.model_quality, one_task.model_bias],
    ids=lambda build: build.__name__,
)
def test_four_shards_give_the_one_task_reports_and_summary(
    mm_local: LocalModelMonitor, build: Callable[[Scenario], one_task.Monitor]
) -> None:
    """A clean and a violating hour of 1,500 records in 15 files, in four shards: the same statuses and the
    same report files as one task (data-quality std_dev within rounding)."""
    scenario = Scenario(mm_local)
    monitor = build(scenario)
    put_traffic(scenario, monitor)
    factory = lambda: scenario.s3  # noqa: E731
    statuses = []
    for slot in (HOUR0 + HOUR, HOUR0 + 2 * HOUR):
        one, sharded = run_both(monitor, one_task.MONITOR, slot, factory, SHARDS)

        assert {key: sharded[key] for key in COMPARED} == {key: one[key] for key in COMPARED}
        assert sharded["baseline_config"] == one["baseline_config"]
        assert sharded["report_uri"] == one["report_uri"].replace(one_task.SELF_HOSTED, SHARDED)
        single = reports(scenario, one["report_uri"])
        assert single
        assert_same_documents(reports(scenario, sharded["report_uri"]), single, loose=frozenset({"std_dev"}))
        statuses.append(sharded["monitoring_execution_status"])
    assert statuses == ["Completed", "CompletedWithViolations"]


@dataclass(frozen=True)
class Sharded:
    """The data-quality monitor's traffic on the service, and its sharded window at 02:00 (degraded hour)."""

    scenario: Scenario
    window: ShardedWindow

    def factory(self) -> Any:
        """The S3 client (an S3 client factory)."""
        return self.scenario.s3

    def plan(self) -> list[dict[str, Any]]:
        """Plan the window in :data:`SHARDS` shards."""
        return self.window.plan(self.factory, SHARDS)


@pytest.fixture
def sharded(mm_local: LocalModelMonitor) -> Sharded:
    scenario = Scenario(mm_local)
    monitor = one_task.data_quality(scenario)
    put_traffic(scenario, monitor)
    window = ShardedWindow(
        "DataQuality", with_output(monitor, SHARDED), one_task.MONITOR, HOUR0 + 2 * HOUR, CAPTURE
    )
    return Sharded(scenario, window)


@pytest.mark.integration
def test_the_plan_holds_the_windows_objects_in_read_order_and_the_partials_sit_beside_it(
    sharded: Sharded,
) -> None:
    scenario, window, factory = sharded.scenario, sharded.window, sharded.factory
    descriptors = sharded.plan()
    plan_id = descriptors[0]["plan"]
    folder = f"sharded/{PARTIALS_FOLDER}/ep/{one_task.MONITOR}/2024/01/01/02/{plan_id}"
    body = scenario.s3.get_object(Bucket=BUCKET, Key=f"{folder}/{PLAN_FILE}")["Body"].read()
    plan = ShardPlan.from_json(body)

    listed = scenario.s3.list_objects_v2(Bucket=BUCKET, Prefix="capture/ep/AllTraffic/2024/01/01/01/")[
        "Contents"
    ]
    wanted = sorted(item["Key"].removeprefix("capture/ep/") for item in listed)
    assert [key for keys in plan.shards for key in keys] == wanted  # the hour 01 only, in order
    assert [d["objects"] for d in descriptors] == [len(keys) for keys in plan.shards] and sum(
        d["objects"] for d in descriptors
    ) == 15
    largest, share = max(item["Size"] for item in listed), sum(plan.sizes) / SHARDS
    assert all(abs(size - share) <= largest for size in plan.sizes)  # balanced to within one object
    assert all(len(json.dumps(descriptor)) < 120 for descriptor in descriptors)  # XCom stays small
    assert window.plan(factory, SHARDS) == descriptors  # a retried plan names the same folder

    for descriptor in descriptors:
        written = window.run_shard(factory, descriptor)
        assert written["status"] == "Completed"
        assert written["partial"] == f"s3://{BUCKET}/{folder}/{partial_name(descriptor['shard'])}"
    keys = [item["Key"] for item in scenario.s3.list_objects_v2(Bucket=BUCKET, Prefix=folder)["Contents"]]
    expected = [PLAN_FILE, *(partial_name(shard) for shard in range(SHARDS))]
    assert sorted(keys) == sorted(f"{folder}/{name}" for name in expected)


@pytest.mark.integration
def test_the_merge_refuses_missing_partials_and_foreign_descriptors(
    sharded: Sharded,
) -> None:
    window, factory = sharded.window, sharded.factory
    descriptors = sharded.plan()
    window.run_shard(factory, descriptors[0])

    with pytest.raises(FileNotFoundError, match="shard-0001.mmpr, shard-0002.mmpr, shard-0003.mmpr"):
        window.merge(factory, descriptors)
    with pytest.raises(ValueError, match="every shard once"):
        window.merge(factory, descriptors[:2])
    with pytest.raises(ValueError, match="every shard once"):
        window.merge(factory, [*descriptors[:3], {**descriptors[3], "plan": "another"}])
    with pytest.raises(ValueError, match="shards: must be at least 1"):
        window.plan(factory, 0)


@pytest.mark.integration
def test_a_failing_shard_fails_the_execution_as_the_one_task_engine_error_does(
    sharded: Sharded, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario, window, factory = sharded.scenario, sharded.window, sharded.factory
    descriptors = sharded.plan()
    done = [window.run_shard(factory, descriptor) for descriptor in descriptors[1:]]

    def broken(*args: Any) -> bytes:
        raise RuntimeError("bad record")

    monkeypatch.setattr("airflow_mm_provider.analysis.job_partials.partial_job", broken)
    failed = window.run_shard(factory, descriptors[0])
    summary = window.merge(factory, [failed, *done])

    assert failed["status"] == "Failed"
    assert (summary["monitoring_execution_status"], summary["failure_reason"]) == (
        "Failed",
        "AlgorithmError: bad record",
    )
    assert reports(scenario, summary["report_uri"]) == {}


@pytest.mark.integration
def test_a_window_without_data_is_one_shard_and_fails_with_no_data(
    sharded: Sharded,
) -> None:
    scenario, factory = sharded.scenario, sharded.factory
    empty = ShardedWindow(
        "DataQuality", sharded.window.job_definition, one_task.MONITOR, HOUR0 + 5 * HOUR, CAPTURE
    )

    descriptors = empty.plan(factory, SHARDS)
    summary = sharded_run(empty, factory)

    assert [(d["shard"], d["shards"], d["objects"]) for d in descriptors] == [(0, 1, 0)]
    assert (summary["monitoring_execution_status"], summary["failure_reason"]) == ("Failed", NO_DATA)
    assert summary["scheduled_time"] == (HOUR0 + 5 * HOUR).isoformat()
    assert reports(scenario, summary["report_uri"]) == {}
