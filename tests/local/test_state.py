"""State (and S3 objects) survive a restart when a state directory is given."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from airflow_mm_provider.local.testing import LocalModelMonitor
from tests.support.engine import FakeEngine
from tests.support.service import BUCKET, T0, data_quality_schedule
from tests.support.waiting import wait_for


def test_restart_with_state_dir_keeps_everything(tmp_path: Path) -> None:
    with LocalModelMonitor(state_dir=tmp_path, engine=FakeEngine()) as first:
        sm, s3 = first.client("sagemaker"), first.client("s3")
        first.set_clock(T0)
        arn = data_quality_schedule(sm, s3, [T0.replace(minute=0)])
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
        first.run_due(T0.replace(minute=0, hour=2))
        before = sm.list_monitoring_executions()["MonitoringExecutionSummaries"]
    assert (tmp_path / "mm-local.sqlite3").exists()
    with LocalModelMonitor(state_dir=tmp_path, engine=FakeEngine()) as second:
        sm, s3 = second.client("sagemaker"), second.client("s3")
        assert (
            sm.describe_monitoring_schedule(MonitoringScheduleName="sched")["MonitoringScheduleStatus"]
            == "Scheduled"
        )
        assert sm.list_monitoring_executions()["MonitoringExecutionSummaries"] == before
        assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]
        assert sm.describe_endpoint(EndpointName="ep")["DataCaptureConfig"]["DestinationS3Uri"].endswith(
            "/capture"
        )
        report = s3.list_objects_v2(Bucket=BUCKET, Prefix="reports/ep/sched/2024/01/01/01/")["Contents"]
        assert [o["Key"].rsplit("/", 1)[1] for o in report] == ["analyzer.json"]
        assert second.run_due(T0.replace(minute=0, hour=2)) == []
        assert len(second.run_due(T0.replace(minute=0, hour=3))) == 1


def test_without_state_dir_nothing_is_kept(tmp_path: Path) -> None:
    with LocalModelMonitor() as first:
        first.client("sagemaker").create_endpoint_config(
            EndpointConfigName="c", ProductionVariants=[{"VariantName": "v"}]
        )
    with LocalModelMonitor() as second:
        assert second.control("GET", "status")["counts"]["endpoint_configs"] == 0
    assert list(tmp_path.iterdir()) == []


def test_jobs_running_at_shutdown_do_not_stay_running(tmp_path: Path) -> None:
    engine = FakeEngine(gate=threading.Event())
    try:
        with LocalModelMonitor(state_dir=tmp_path, engine=engine) as first:
            first.set_clock(T0)
            hours = [T0.replace(minute=0) + timedelta(hours=h) for h in range(6)]
            data_quality_schedule(first.client("sagemaker"), first.client("s3"), hours)
            first.run_due(T0.replace(minute=0, hour=6), wait=False)
            wait_for(lambda: len(engine.calls), lambda calls: calls == 4, "four jobs reached the engine")
    finally:
        engine.gate.set()
    with LocalModelMonitor(state_dir=tmp_path, engine=FakeEngine()) as second:
        listed = second.client("sagemaker").list_monitoring_executions()["MonitoringExecutionSummaries"]
    statuses = sorted(e["MonitoringExecutionStatus"] for e in listed)
    assert statuses == ["Failed", "Failed", "Stopped", "Stopped", "Stopped", "Stopped"]
    assert {e["FailureReason"] for e in listed if e["MonitoringExecutionStatus"] == "Failed"} == {
        "InternalServerError: the local service restarted while the job was running"
    }


def test_job_files_stay_in_the_state_dir_and_a_restart_clears_what_a_crash_left(tmp_path: Path) -> None:
    left = tmp_path / "jobs" / "mm-processing-job-crashed" / "input"
    left.mkdir(parents=True)
    (left / "part.jsonl").write_text("{}\n")
    engine = FakeEngine(gate=threading.Event())
    try:
        with LocalModelMonitor(state_dir=tmp_path, engine=engine) as service:
            assert not (tmp_path / "jobs").exists()
            service.set_clock(T0)
            data_quality_schedule(service.client("sagemaker"), service.client("s3"), [T0.replace(minute=0)])
            service.run_due(T0.replace(minute=0, hour=2), wait=False)
            wait_for(lambda: len(engine.calls), bool, "the engine was called")
            running = list((tmp_path / "jobs").iterdir())  # the held job's, maybe the next slot's too
            assert running and all(p.name.startswith("mm-processing-job-") for p in running)
            engine.gate.set()
            wait_for(lambda: list((tmp_path / "jobs").iterdir()), lambda left: not left, "folders removed")
    finally:
        engine.gate.set()
