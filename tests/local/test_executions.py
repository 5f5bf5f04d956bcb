"""Monitoring executions over boto3 and the control interface, with a fake analysis engine."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.support.engine import FakeEngine, FakeOutcome
from tests.support.service import BUCKET, T0, create_definition, endpoint, put_capture, schedule_config
from tests.support.waiting import wait_for

HOUR = timedelta(hours=1)
SLOT1 = datetime(2024, 1, 1, 1, tzinfo=timezone.utc)


def setup_schedule(
    mm: Any, sm: Any, job_type: str = "DataQuality", expression: str = "cron(0 * ? * * *)", **kwargs: Any
) -> None:
    """Clock at T0, endpoint ``ep``, job definition ``jd`` and schedule ``sched``."""
    mm.set_clock(T0)
    endpoint(sm)
    create_definition(sm, job_type, "jd", **kwargs)
    sm.create_monitoring_schedule(
        MonitoringScheduleName="sched", MonitoringScheduleConfig=schedule_config("jd", job_type, expression)
    )


def executions(sm: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """Execution summaries of ``sched``."""
    return sm.list_monitoring_executions(MonitoringScheduleName="sched", **kwargs)[
        "MonitoringExecutionSummaries"
    ]


def job_name(arn: str) -> str:
    """Processing job name of an ARN."""
    return arn.split("/", 1)[1]


def test_hourly_slots_run_data_quality_jobs(mm: Any, sm: Any, s3: Any, engine: FakeEngine) -> None:
    setup_schedule(mm, sm)
    put_capture(s3, [T0.replace(minute=0) + HOUR * h for h in range(3)])
    created = mm.run_due(T0 + 3 * HOUR)
    assert [e["ScheduledTime"] for e in created] == [(SLOT1 + HOUR * h).isoformat() for h in range(3)]
    listed = executions(sm, SortOrder="Ascending")
    assert [e["MonitoringExecutionStatus"] for e in listed] == ["Completed"] * 3
    assert [e["ScheduledTime"] for e in listed] == [SLOT1 + HOUR * h for h in range(3)]
    first = listed[0]
    assert first["MonitoringType"] == "DataQuality" and first["EndpointName"] == "ep"
    assert first["MonitoringJobDefinitionName"] == "jd"
    job = sm.describe_processing_job(ProcessingJobName=job_name(first["ProcessingJobArn"]))
    report = f"s3://{BUCKET}/reports/ep/sched/2024/01/01/01"
    assert job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == report
    assert job["MonitoringScheduleArn"].endswith(":monitoring-schedule/sched")
    assert job["ExitMessage"].startswith("Completed:")
    assert job["Environment"]["start_time"] == "2024-01-01T00:00:00Z"
    assert job["Environment"]["end_time"] == "2024-01-01T01:00:00Z"
    assert s3.get_object(Bucket=BUCKET, Key="reports/ep/sched/2024/01/01/01/analyzer.json")["Body"].read()
    mode, environment, files = sorted(engine.calls, key=lambda c: c[1]["start_time"])[0]
    assert mode == "analyzer" and environment["dataset_source"] == "/opt/ml/processing/input/endpoint"
    assert files["/opt/ml/processing/input/endpoint"] == ["AllTraffic/2024/01/01/00/00-00-000-x.jsonl"]
    last = sm.describe_monitoring_schedule(MonitoringScheduleName="sched")["LastMonitoringExecutionSummary"]
    assert last["ScheduledTime"] == SLOT1 + 2 * HOUR


def test_no_captured_data_fails_the_execution(mm: Any, sm: Any, s3: Any, engine: FakeEngine) -> None:
    setup_schedule(mm, sm)
    mm.run_due(T0 + HOUR)
    (execution,) = executions(sm)
    assert execution["MonitoringExecutionStatus"] == "Failed"
    assert execution["FailureReason"] == "Job inputs had no data"
    assert engine.calls == []


def test_violations_and_engine_failures_map_to_execution_status(
    mm: Any, sm: Any, s3: Any, engine: FakeEngine
) -> None:
    setup_schedule(mm, sm)
    put_capture(s3, [T0.replace(minute=0), SLOT1])
    engine.outcome = FakeOutcome(
        exit_message="CompletedWithViolations: Job completed successfully with 3 violations."
    )
    mm.run_due(SLOT1)
    engine.outcome = FakeOutcome(status="Failed", exit_message=None, failure_reason="ClientError: bad input")
    mm.run_due(SLOT1 + HOUR)
    assert [(e["MonitoringExecutionStatus"], e.get("FailureReason")) for e in executions(sm)] == [
        ("Failed", "ClientError: bad input"),
        ("CompletedWithViolations", None),
    ]


@pytest.mark.parametrize(
    ("job_type", "analysis_mode"), [("ModelQuality", "analyzer"), ("ModelBias", "clarify")]
)
def test_merge_job_runs_before_the_analysis_job(
    mm: Any, sm: Any, s3: Any, engine: FakeEngine, job_type: str, analysis_mode: str
) -> None:
    setup_schedule(mm, sm, job_type)
    put_capture(s3, [T0.replace(minute=0)])
    s3.put_object(Bucket=BUCKET, Key="ground-truth/2024/01/01/01/gt.jsonl", Body=b"{}\n")
    s3.put_object(Bucket=BUCKET, Key="config/analysis_config.json", Body=b"{}")
    mm.run_due(SLOT1)
    (execution,) = executions(sm)
    assert execution["MonitoringExecutionStatus"] == "Completed"
    assert [call[0] for call in engine.calls] == ["merge", analysis_mode]
    analysis_job = {"ModelQuality": "model-quality-monitoring", "ModelBias": "model-monitoring"}[job_type]
    assert job_name(execution["ProcessingJobArn"]).startswith(f"{analysis_job}-202401010100-")
    jobs = sm.list_processing_jobs(SortBy="CreationTime", SortOrder="Ascending")["ProcessingJobSummaries"]
    assert [j["ProcessingJobName"].split("-2024")[0] for j in jobs] == ["groundtruth-merge", analysis_job]
    merged = s3.list_objects_v2(Bucket=BUCKET, Prefix="reports/merge/ep/sched/2024/01/01/01/")["Contents"]
    assert [o["Key"].rsplit("/", 1)[1] for o in merged] == ["merge.json"]
    merge_env, merge_files = engine.calls[0][1], engine.calls[0][2]
    assert merge_files["/opt/ml/processing/groundtruth"] == ["2024/01/01/01/gt.jsonl"]
    assert merge_env["ground_truth_source"] == "/opt/ml/processing/groundtruth"
    analysis_files = engine.calls[1][2]
    assert analysis_files["/opt/ml/processing/input/merged"] == ["merge.json"]


def test_missing_ground_truth_fails_the_merge(mm: Any, sm: Any, s3: Any, engine: FakeEngine) -> None:
    setup_schedule(mm, sm, "ModelQuality")
    put_capture(s3, [T0.replace(minute=0)])
    mm.run_due(SLOT1)
    (execution,) = executions(sm)
    assert (execution["MonitoringExecutionStatus"], execution["FailureReason"]) == (
        "Failed",
        "Job inputs had no data",
    )
    assert job_name(execution["ProcessingJobArn"]).startswith("groundtruth-merge-")


def test_explainability_executions_fail_clearly(mm: Any, sm: Any, s3: Any) -> None:
    setup_schedule(mm, sm, "ModelExplainability")
    mm.run_due(SLOT1)
    (execution,) = executions(sm)
    assert execution["MonitoringExecutionStatus"] == "Failed"
    assert "SHAP" in execution["FailureReason"] and "does not fake" in execution["FailureReason"]


def test_unknown_image_fails_the_execution(mm: Any, sm: Any, s3: Any) -> None:
    setup_schedule(
        mm, sm, DataQualityAppSpecification={"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/mine"}
    )
    mm.run_due(SLOT1)
    (execution,) = executions(sm)
    assert execution["MonitoringExecutionStatus"] == "Failed"
    assert "is not a Model Monitor analyzer, ground-truth merger or Clarify" in execution["FailureReason"]


def test_max_runtime_exceeded_stops_the_job(mm: Any, sm: Any, s3: Any, engine: FakeEngine) -> None:
    engine.gate = threading.Event()
    setup_schedule(mm, sm, StoppingCondition={"MaxRuntimeInSeconds": 1})
    put_capture(s3, [T0.replace(minute=0)])
    try:
        mm.run_due(SLOT1)
    finally:
        engine.gate.set()
    (execution,) = executions(sm)
    assert execution["MonitoringExecutionStatus"] == "Stopped"
    job = sm.describe_processing_job(ProcessingJobName=job_name(execution["ProcessingJobArn"]))
    assert job["ProcessingJobStatus"] == "Stopped" and "MaxRuntimeInSeconds" in job["FailureReason"]


def test_executions_go_pending_then_in_progress(mm: Any, sm: Any, s3: Any, engine: FakeEngine) -> None:
    engine.gate = threading.Event()
    setup_schedule(mm, sm)
    put_capture(s3, [T0.replace(minute=0) + HOUR * h for h in range(5)])
    try:
        mm.run_due(T0 + 5 * HOUR, wait=False)
        wait_for(lambda: len(engine.calls), lambda calls: calls == 4, "four jobs reached the engine")
        states = sorted((e["MonitoringExecutionStatus"], "ProcessingJobArn" in e) for e in executions(sm))
        assert states == [("InProgress", True)] * 4 + [("Pending", False)]
    finally:
        engine.gate.set()
    statuses = wait_for(
        lambda: [e["MonitoringExecutionStatus"] for e in executions(sm)],
        lambda statuses: set(statuses) == {"Completed"},
        "every execution completed",
    )
    assert statuses == ["Completed"] * 5


def test_stopped_schedules_skip_slots_and_start_does_not_backfill(mm: Any, sm: Any, s3: Any) -> None:
    setup_schedule(mm, sm)
    sm.stop_monitoring_schedule(MonitoringScheduleName="sched")
    assert mm.run_due(T0 + 2 * HOUR) == []
    sm.start_monitoring_schedule(MonitoringScheduleName="sched")
    created = mm.run_due(T0 + 3 * HOUR)
    assert [e["ScheduledTime"] for e in created] == [(SLOT1 + 2 * HOUR).isoformat()]


def test_run_due_twice_creates_each_slot_once(mm: Any, sm: Any, s3: Any) -> None:
    setup_schedule(mm, sm)
    assert len(mm.run_due(T0 + 2 * HOUR)) == 2
    assert mm.run_due(T0 + 2 * HOUR) == []
    assert len(executions(sm)) == 2


def test_now_schedule_runs_once_over_its_window(mm: Any, sm: Any, s3: Any, engine: FakeEngine) -> None:
    mm.set_clock(T0)
    endpoint(sm)
    create_definition(sm, "DataQuality", "jd")
    config = schedule_config(
        "jd", "DataQuality", "NOW", DataAnalysisStartTime="-PT3H", DataAnalysisEndTime="-PT1H"
    )
    sm.create_monitoring_schedule(MonitoringScheduleName="sched", MonitoringScheduleConfig=config)
    put_capture(s3, [T0.replace(minute=0) - 2 * HOUR])
    mm.run_due(T0 + 5 * HOUR)
    (execution,) = executions(sm)
    assert execution["ScheduledTime"] == T0.replace(minute=0)
    assert execution["MonitoringExecutionStatus"] == "Completed"
    environment = engine.calls[0][1]
    assert (environment["start_time"], environment["end_time"]) == (
        "2023-12-31T21:30:00Z",
        "2023-12-31T23:30:00Z",
    )


def test_jitter_delays_creation_up_to_twenty_minutes(mm: Any, sm: Any, s3: Any) -> None:
    mm.control("POST", "settings", {"jitter": True})
    setup_schedule(mm, sm)
    mm.run_due(T0 + 6 * HOUR)
    listed = executions(sm)
    assert len(listed) >= 5
    delays = [e["CreationTime"] - e["ScheduledTime"] for e in listed]
    assert all(timedelta(0) <= d <= timedelta(minutes=20) for d in delays)
    assert len(set(delays)) > 1


def test_deleted_schedule_keeps_its_history(mm: Any, sm: Any, s3: Any) -> None:
    setup_schedule(mm, sm)
    mm.run_due(SLOT1)
    sm.delete_monitoring_schedule(MonitoringScheduleName="sched")
    assert len(executions(sm)) == 1


def test_list_executions_filters_sort_and_pagination(mm: Any, sm: Any, s3: Any) -> None:
    setup_schedule(mm, sm)
    put_capture(s3, [T0.replace(minute=0) + HOUR * h for h in range(0, 12, 2)])
    mm.run_due(T0 + 12 * HOUR)
    everything = sm.list_monitoring_executions()
    assert len(everything["MonitoringExecutionSummaries"]) == 10 and "NextToken" in everything
    assert [e["ScheduledTime"] for e in everything["MonitoringExecutionSummaries"]] == [
        SLOT1 + HOUR * h for h in range(11, 1, -1)
    ]
    rest = sm.list_monitoring_executions(NextToken=everything["NextToken"])
    assert [e["ScheduledTime"] for e in rest["MonitoringExecutionSummaries"]] == [SLOT1 + HOUR, SLOT1]
    assert "NextToken" not in rest
    pages = list(
        sm.get_paginator("list_monitoring_executions").paginate(
            MonitoringScheduleName="sched",
            SortBy="ScheduledTime",
            SortOrder="Ascending",
            PaginationConfig={"PageSize": 5},
        )
    )
    flat = [e["ScheduledTime"] for p in pages for e in p["MonitoringExecutionSummaries"]]
    assert flat == [SLOT1 + HOUR * h for h in range(12)]
    completed = executions(sm, StatusEquals="Completed", MaxResults=100)
    failed = executions(sm, StatusEquals="Failed", MaxResults=100)
    assert len(completed) == 6 and len(failed) == 6
    by_status = executions(sm, SortBy="Status", SortOrder="Ascending", MaxResults=100)
    assert [e["MonitoringExecutionStatus"] for e in by_status] == ["Completed"] * 6 + ["Failed"] * 6
    window = executions(sm, ScheduledTimeAfter=SLOT1 + HOUR, ScheduledTimeBefore=SLOT1 + 4 * HOUR)
    assert [e["ScheduledTime"] for e in window] == [SLOT1 + 3 * HOUR, SLOT1 + 2 * HOUR]
    assert len(executions(sm, CreationTimeAfter=SLOT1 + 10 * HOUR)) == 1
    assert len(executions(sm, CreationTimeBefore=SLOT1 + HOUR)) == 1
    assert (
        len(sm.list_monitoring_executions(EndpointName="ep", MaxResults=100)["MonitoringExecutionSummaries"])
        == 12
    )
    assert sm.list_monitoring_executions(EndpointName="other")["MonitoringExecutionSummaries"] == []
    assert (
        len(
            executions(
                sm, MonitoringJobDefinitionName="jd", MonitoringTypeEquals="DataQuality", MaxResults=100
            )
        )
        == 12
    )
    assert executions(sm, MonitoringTypeEquals="ModelBias") == []
    assert len(executions(sm, LastModifiedTimeAfter=T0, MaxResults=100)) == 12
    assert sm.list_monitoring_executions(MonitoringScheduleName="other")["MonitoringExecutionSummaries"] == []


def test_batch_transform_manifests_are_mirrored(mm: Any, sm: Any, s3: Any, engine: FakeEngine) -> None:
    mm.set_clock(T0)
    create_definition(sm, "DataQuality", "jd", endpoint_name=None)
    sm.create_monitoring_schedule(
        MonitoringScheduleName="sched", MonitoringScheduleConfig=schedule_config("jd", "DataQuality")
    )
    manifest = [{"prefix": f"s3://{BUCKET}/transform-out/"}, "part-1.csv.out"]
    s3.put_object(Bucket=BUCKET, Key="batch/output/2024/01/01/00/m.json", Body=json.dumps(manifest).encode())
    s3.put_object(Bucket=BUCKET, Key="transform-out/part-1.csv.out", Body=b"1,2\n")
    mm.run_due(SLOT1)
    (execution,) = executions(sm)
    assert execution["MonitoringExecutionStatus"] == "Completed" and "EndpointName" not in execution
    job = sm.describe_processing_job(ProcessingJobName=job_name(execution["ProcessingJobArn"]))
    assert job["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == (
        f"s3://{BUCKET}/reports/sched/2024/01/01/01"
    )
    _, environment, files = engine.calls[0]
    assert json.loads(environment["dataset_format"]) == {"csv": {"header": False}}
    assert files[environment["dataset_source"]] == [f"{BUCKET}/transform-out/part-1.csv.out"]


def test_auto_run_creates_executions_as_service_time_passes() -> None:
    from airflow_mm_provider.local.testing import LocalModelMonitor

    with LocalModelMonitor(engine=FakeEngine(), auto_run=True) as live:
        sm = live.client("sagemaker")
        live.client("s3").create_bucket(Bucket=BUCKET)
        setup_schedule(live, sm)
        live.set_clock(SLOT1 - timedelta(seconds=0.3))
        (execution,) = wait_for(lambda: executions(sm), bool, "the slot's execution was created")
    assert execution["ScheduledTime"] == SLOT1
