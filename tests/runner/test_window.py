"""One self-hosted window analysis over S3 (the local service's, on 127.0.0.1), with a fake engine.

What is analysed, where it is read and written, and the summary returned; the real engine's results are
compared with Model Monitor's (``mm-local``) in ``tests/operators/test_self_hosted.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_mm_provider.local.testing import LocalModelMonitor
from airflow_mm_provider.monitoring.inputs import BaselineConfig, EndpointInput, MonitoringOutput
from airflow_mm_provider.monitoring.job_definitions import DataQualityJobDefinition
from airflow_mm_provider.monitoring.outcomes import execution_xcom
from airflow_mm_provider.monitoring.schedule import ScheduleExpression
from airflow_mm_provider.processing.job_runner import NO_DATA
from airflow_mm_provider.runner.window import analyse_window
from tests.support.engine import FakeEngine, FakeOutcome
from tests.support.scenario import Scenario
from tests.support.service import BUCKET, ROLE, job_definition, put_capture

HOUR = timedelta(hours=1)
SLOT = datetime(2024, 1, 1, 2, tzinfo=timezone.utc)
CAPTURE = f"s3://{BUCKET}/capture"
REPORT = f"s3://{BUCKET}/reports/ep/churn-dq/2024/01/01/02"
VIOLATIONS = "CompletedWithViolations: Job completed successfully with 2 violations."


@pytest.fixture
def s3(mm_local: LocalModelMonitor) -> Any:
    """The local service's S3, with the bucket (and an endpoint, unused) created."""
    return Scenario(mm_local).s3


@pytest.fixture
def analyse(s3: Any) -> Callable[..., dict[str, Any]]:
    """``analyse_window`` of monitor ``churn-dq`` at SLOT through the local S3, with the given changes."""

    def run(job_type: str = "DataQuality", definition: Any = None, **changes: Any) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "monitoring_schedule_name": "churn-dq",
            "slot": SLOT,
            "s3_client_factory": lambda: s3,
            "capture_destination": CAPTURE,
            "engine": FakeEngine(),
            **changes,
        }
        return analyse_window(job_type, definition or job_definition(job_type, "unused"), **arguments)

    return run


def files(s3: Any, prefix: str) -> list[str]:
    """Keys under a prefix of the bucket."""
    return [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]


def test_summary_has_the_sensors_keys_and_the_report_is_written_where_model_monitor_writes_it(
    analyse: Callable[..., dict[str, Any]], s3: Any
) -> None:
    put_capture(s3, [SLOT - HOUR, SLOT])
    engine = FakeEngine()

    summary = analyse(engine=engine)

    assert list(summary) == [*execution_xcom({}), "report_uri", "baseline_config"]
    assert summary["monitoring_execution_status"] == "Completed"
    assert summary["monitoring_schedule_name"] == "churn-dq"
    assert summary["scheduled_time"] == SLOT.isoformat()
    assert summary["endpoint_name"] == "ep" and summary["monitoring_type"] == "DataQuality"
    assert summary["processing_job_arn"] is None and summary["monitoring_job_definition_name"] is None
    assert summary["failure_reason"] is None
    assert summary["report_uri"] == REPORT
    assert summary["baseline_config"] == {}
    assert files(s3, "reports/") == ["reports/ep/churn-dq/2024/01/01/02/analyzer.json"]
    ((mode, environment, inputs),) = engine.calls
    assert mode == "analyzer"
    assert (environment["start_time"], environment["end_time"]) == (
        "2024-01-01T01:00:00Z",
        "2024-01-01T02:00:00Z",
    )
    # only the capture hour inside the window was read
    assert inputs["/opt/ml/processing/input/endpoint"] == ["AllTraffic/2024/01/01/01/00-00-000-x.jsonl"]


def test_a_window_without_data_fails_with_model_monitors_reason_and_writes_no_report(
    analyse: Callable[..., dict[str, Any]], s3: Any
) -> None:
    put_capture(s3, [SLOT])  # the hour after the window

    summary = analyse()

    assert summary["monitoring_execution_status"] == "Failed"
    assert summary["failure_reason"] == NO_DATA == "Job inputs had no data"
    assert summary["report_uri"] == REPORT
    assert files(s3, "reports/") == []


def test_violations_in_the_exit_message_complete_with_violations(
    analyse: Callable[..., dict[str, Any]], s3: Any
) -> None:
    put_capture(s3, [SLOT - HOUR])

    summary = analyse(engine=FakeEngine(FakeOutcome(exit_message=VIOLATIONS)))

    assert summary["monitoring_execution_status"] == "CompletedWithViolations"


def test_the_slot_is_taken_back_to_the_schedules_slot_and_sets_the_window(
    analyse: Callable[..., dict[str, Any]], s3: Any
) -> None:
    put_capture(s3, [SLOT - HOUR])
    hourly, daily = FakeEngine(), FakeEngine()

    late = analyse(slot=SLOT + timedelta(minutes=37), engine=hourly)
    day = analyse(slot=SLOT + timedelta(hours=5), schedule=ScheduleExpression.daily(2), engine=daily)

    assert late["scheduled_time"] == SLOT.isoformat()
    assert day["scheduled_time"] == SLOT.isoformat()
    (_, environment, _) = daily.calls[0]
    assert (environment["start_time"], environment["end_time"]) == (
        "2023-12-31T02:00:00Z",
        "2024-01-01T02:00:00Z",
    )


@pytest.mark.parametrize(("job_type", "mode"), [("ModelQuality", "analyzer"), ("ModelBias", "clarify")])
def test_model_quality_and_bias_merge_ground_truth_first(
    analyse: Callable[..., dict[str, Any]], s3: Any, job_type: str, mode: str
) -> None:
    put_capture(s3, [SLOT - HOUR])
    s3.put_object(Bucket=BUCKET, Key="ground-truth/2024/01/01/02/labels.jsonl", Body=b"{}\n")
    s3.put_object(Bucket=BUCKET, Key="config/analysis_config.json", Body=b"{}")
    engine = FakeEngine()

    summary = analyse(job_type, engine=engine)

    assert summary["monitoring_execution_status"] == "Completed"
    assert [call[0] for call in engine.calls] == ["merge", mode]
    merged = files(s3, "reports/merge/")
    assert merged == ["reports/merge/ep/churn-dq/2024/01/01/02/merge.json"]
    (_, _, analysis_inputs) = engine.calls[1]
    assert analysis_inputs["/opt/ml/processing/input/merged"] == ["merge.json"]


def test_a_merge_without_ground_truth_ends_the_execution_before_the_analysis(
    analyse: Callable[..., dict[str, Any]], s3: Any
) -> None:
    put_capture(s3, [SLOT - HOUR])
    engine = FakeEngine()

    summary = analyse("ModelQuality", engine=engine)

    assert (summary["monitoring_execution_status"], summary["failure_reason"]) == ("Failed", NO_DATA)
    assert engine.calls == []


class BrokenEngine(FakeEngine):
    """An engine whose analyzer raises."""

    def run_analyzer(self, environment: dict[str, str], input_dirs: dict[str, Any], output_dir: Any) -> Any:
        raise RuntimeError("bad record")


def test_an_engine_error_fails_the_execution_with_an_algorithm_error(
    analyse: Callable[..., dict[str, Any]], s3: Any
) -> None:
    put_capture(s3, [SLOT - HOUR])

    summary = analyse(engine=BrokenEngine())

    assert summary["monitoring_execution_status"] == "Failed"
    assert summary["failure_reason"] == "AlgorithmError: bad record"


def test_a_stopped_analysis_ends_stopped_without_a_report(
    analyse: Callable[..., dict[str, Any]], s3: Any
) -> None:
    put_capture(s3, [SLOT - HOUR])
    stop, gate = threading.Event(), threading.Event()
    engine = FakeEngine(gate=gate)
    threading.Timer(0.2, stop.set).start()

    summary = analyse(engine=engine, stop=stop)
    gate.set()

    assert summary["monitoring_execution_status"] == "Stopped"
    assert files(s3, "reports/") == []


def test_batch_transform_reports_have_no_endpoint_segment(
    analyse: Callable[..., dict[str, Any]], s3: Any
) -> None:
    s3.put_object(Bucket=BUCKET, Key="batch/2024/01/01/01/records.csv", Body=b"1,2\n")
    engine = FakeEngine()

    summary = analyse(definition=job_definition("DataQuality", "unused", endpoint_name=None), engine=engine)

    assert summary["report_uri"] == f"s3://{BUCKET}/reports/churn-dq/2024/01/01/02"
    assert summary["endpoint_name"] is None
    assert engine.calls[0][2]["/opt/ml/processing/input/batch"] == ["2024/01/01/01/records.csv"]


def test_a_typed_job_definition_and_its_baseline_reach_the_summary(
    analyse: Callable[..., dict[str, Any]], s3: Any
) -> None:
    put_capture(s3, [SLOT - HOUR])
    constraints = f"s3://{BUCKET}/baselines/constraints.json"
    s3.put_object(Bucket=BUCKET, Key="baselines/constraints.json", Body=b"{}")
    spec = DataQualityJobDefinition(
        role_arn=ROLE,
        region="us-east-1",
        input=EndpointInput("ep"),
        output=MonitoringOutput(f"s3://{BUCKET}/reports"),
        baseline=BaselineConfig(constraints_uri=constraints),
    )

    summary = analyse(definition=spec)

    assert summary["monitoring_execution_status"] == "Completed"
    assert summary["baseline_config"] == {"ConstraintsResource": {"S3Uri": constraints}}


@pytest.mark.parametrize(
    ("job_type", "changes", "message"),
    [
        ("ModelExplainability", {}, "monitoring_type: ModelExplainability is not analysed on the worker"),
        ("DataQuality", {"capture_destination": None}, "capture_destination: required for an EndpointInput"),
        ("DataQuality", {"schedule": "NOW"}, "schedule: NOW has no slots"),
        ("DataQuality", {"slot": datetime(2024, 1, 1, 2)}, "slot"),
    ],
)
def test_inputs_no_execution_could_run_raise_naming_the_parameter(
    analyse: Callable[..., dict[str, Any]], job_type: str, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        analyse(job_type, **changes)


def test_custom_scripts_of_the_analyzer_container_are_refused(analyse: Callable[..., dict[str, Any]]) -> None:
    definition = job_definition("DataQuality", "unused")
    definition["DataQualityAppSpecification"]["RecordPreprocessorSourceUri"] = f"s3://{BUCKET}/pre.py"

    with pytest.raises(ValueError, match=r"DataQualityAppSpecification\.RecordPreprocessorSourceUri: "):
        analyse(definition=definition)
