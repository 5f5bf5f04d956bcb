"""Planning one monitoring execution: its jobs, their inputs, key filters, environment and report key."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_mm_provider.monitoring.schedule import ScheduleExpression
from airflow_mm_provider.monitoring.windows import AnalysisWindow
from airflow_mm_provider.processing.engine import MIRROR_PATH
from airflow_mm_provider.processing.execution_plan import (
    Execution,
    HourFolders,
    defined_job,
    execution_status,
    execution_window,
    inline_job,
    merger_image,
    plan_execution,
)
from airflow_mm_provider.processing.job_runner import NO_DATA, JobResult
from tests.support.service import BUCKET, job_definition

SLOT = datetime(2024, 1, 1, 5, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)
CAPTURE = f"s3://{BUCKET}/capture"


def execution(job_type: str, endpoint: str | None = "ep", **changes: Any) -> Execution:
    """The execution at SLOT of schedule ``sched`` analysing the hour before it."""
    values: dict[str, Any] = {
        "schedule_name": "sched",
        "slot": SLOT,
        "window": AnalysisWindow(SLOT - HOUR, SLOT),
        "endpoint_name": endpoint,
        "capture_destination": CAPTURE if endpoint else None,
        "merger_image": merger_image("us-east-1", "123456789012"),
        "name_seed": f"sched/{job_type}",
        **changes,
    }
    return Execution(**values)


def inputs(request: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """(S3Uri, LocalPath) per input name of a processing-job request."""
    return {
        item["InputName"]: (item["S3Input"]["S3Uri"], item["S3Input"]["LocalPath"])
        for item in request["ProcessingInputs"]
    }


def test_data_quality_runs_one_analysis_job_on_the_capture_hours_of_the_window() -> None:
    job = defined_job("DataQuality", job_definition("DataQuality", "jd"))

    planned = plan_execution(job, execution("DataQuality"))

    assert planned.merge is None
    assert inputs(planned.analysis)["endpointdata"] == (f"{CAPTURE}/ep/", "/opt/ml/processing/input/endpoint")
    keep = planned.analysis_options.keep["endpointdata"]
    assert keep == HourFolders(frozenset({"2024/01/01/04"}))
    assert keep("AllTraffic/2024/01/01/04/00-00-000-x.jsonl")
    assert not keep("AllTraffic/2024/01/01/05/00-00-000-x.jsonl")
    assert planned.analysis_options.data_inputs == ("endpointdata",)
    environment = planned.analysis["Environment"]
    assert (environment["start_time"], environment["end_time"]) == (
        "2024-01-01T04:00:00Z",
        "2024-01-01T05:00:00Z",
    )
    assert environment["analysis_type"] == "DATA_QUALITY"
    assert environment["sagemaker_monitoring_schedule_name"] == "sched"
    assert json.loads(environment["dataset_format"]) == {
        "sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}
    }
    output = planned.analysis["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]
    assert output["S3Uri"] == f"s3://{BUCKET}/reports/ep/sched/2024/01/01/05"
    assert planned.analysis["ProcessingJobName"].startswith("model-monitoring-202401010500-")


def test_baseline_files_become_inputs_named_in_the_environment() -> None:
    baseline = {
        "ConstraintsResource": {"S3Uri": f"s3://{BUCKET}/base/constraints.json"},
        "StatisticsResource": {"S3Uri": f"s3://{BUCKET}/base/statistics.json"},
    }
    definition = job_definition("DataQuality", "jd", DataQualityBaselineConfig=baseline)

    planned = plan_execution(defined_job("DataQuality", definition), execution("DataQuality"))

    found = inputs(planned.analysis)
    assert found["constraints"] == (
        baseline["ConstraintsResource"]["S3Uri"],
        "/opt/ml/processing/baseline/constraints",
    )
    assert found["baseline"] == (
        baseline["StatisticsResource"]["S3Uri"],
        "/opt/ml/processing/baseline/baseline",
    )
    environment = planned.analysis["Environment"]
    assert environment["baseline_constraints"] == "/opt/ml/processing/baseline/constraints/constraints.json"
    assert environment["baseline_statistics"] == "/opt/ml/processing/baseline/baseline/statistics.json"


@pytest.mark.parametrize("job_type", ["ModelQuality", "ModelBias"])
def test_model_quality_and_bias_merge_ground_truth_then_analyse_the_merged_records(job_type: str) -> None:
    planned = plan_execution(defined_job(job_type, job_definition(job_type, "jd")), execution(job_type))

    assert planned.merge is not None
    merged = f"s3://{BUCKET}/reports/merge/ep/sched/2024/01/01/05"
    assert planned.merge["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3Uri"] == merged
    assert planned.merge["AppSpecification"] == {"ImageUri": merger_image("us-east-1", "0")}
    assert inputs(planned.merge)["groundtruth"] == (
        f"s3://{BUCKET}/ground-truth",
        "/opt/ml/processing/groundtruth",
    )
    assert planned.merge_options.data_inputs == ("endpointdata", "groundtruth")
    ground_truth = planned.merge_options.keep["groundtruth"]
    assert ground_truth.hours == {"2024/01/01/04", "2024/01/01/05"}  # labels may arrive up to the slot's hour
    assert inputs(planned.analysis)["merged"] == (merged, "/opt/ml/processing/input/merged")
    assert planned.analysis_options.keep is None
    assert planned.analysis["Environment"]["dataset_source"] == "/opt/ml/processing/input/merged"
    shared = planned.merge["ProcessingJobName"].rsplit("-", 1)[1]
    assert planned.analysis["ProcessingJobName"].endswith(shared)


def test_batch_transform_input_reads_its_manifests_and_lowercases_the_format() -> None:
    definition = job_definition("DataQuality", "jd", endpoint_name=None)

    planned = plan_execution(defined_job("DataQuality", definition), execution("DataQuality", endpoint=None))

    assert inputs(planned.analysis)["batchdata"][0] == f"s3://{BUCKET}/batch"
    assert planned.analysis_options.manifest_inputs == ("batchdata",)
    environment = planned.analysis["Environment"]
    assert environment["dataset_source"] == MIRROR_PATH
    assert json.loads(environment["dataset_format"]) == {"csv": {"header": False}}
    assert "sagemaker_endpoint_name" not in environment
    output = planned.analysis["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]
    assert output["S3Uri"] == f"s3://{BUCKET}/reports/sched/2024/01/01/05"


def test_an_endpoint_that_does_not_capture_has_no_data() -> None:
    job = defined_job("DataQuality", job_definition("DataQuality", "jd"))

    with pytest.raises(ValueError, match=f"^{NO_DATA}: endpoint ep does not capture data"):
        plan_execution(job, execution("DataQuality", capture_destination=None))


def test_model_quality_without_ground_truth_cannot_run() -> None:
    definition = job_definition("ModelQuality", "jd")
    del definition["ModelQualityJobInput"]["GroundTruthS3Input"]

    with pytest.raises(ValueError, match="ModelQuality monitoring needs a GroundTruthS3Input"):
        plan_execution(defined_job("ModelQuality", definition), execution("ModelQuality"))


def test_attributes_and_problem_type_reach_the_environment() -> None:
    definition = job_definition("ModelQuality", "jd")
    definition["ModelQualityJobInput"]["EndpointInput"]["ProbabilityThresholdAttribute"] = 0.5

    planned = plan_execution(defined_job("ModelQuality", definition), execution("ModelQuality"))

    environment = planned.analysis["Environment"]
    assert environment["inference_attribute"] == "0"
    assert environment["probability_threshold_attribute"] == "0.5"
    assert environment["problem_type"] == "BinaryClassification"


def test_an_inline_definition_normalises_like_a_referenced_one() -> None:
    definition = job_definition("DataQuality", "jd")
    inline = {
        "MonitoringAppSpecification": definition["DataQualityAppSpecification"],
        "MonitoringInputs": [definition["DataQualityJobInput"]],
        "MonitoringOutputConfig": definition["DataQualityJobOutputConfig"],
        "MonitoringResources": definition["JobResources"],
        "RoleArn": definition["RoleArn"],
        "StoppingCondition": definition["StoppingCondition"],
    }

    assert inline_job("DataQuality", inline) == defined_job("DataQuality", definition)


def test_network_config_drops_the_member_processing_jobs_do_not_take() -> None:
    network = {"EnableInterContainerTrafficEncryption": True, "EnableNetworkIsolation": False}
    job = defined_job("DataQuality", job_definition("DataQuality", "jd", NetworkConfig=network))

    assert job.rest["NetworkConfig"] == {"EnableNetworkIsolation": False}


def test_recurring_window_follows_the_offsets_else_the_period_before_the_slot() -> None:
    offsets = defined_job("ModelQuality", job_definition("ModelQuality", "jd"))
    plain = defined_job("DataQuality", job_definition("DataQuality", "jd"))
    daily = ScheduleExpression.daily(5)

    assert execution_window(daily, SLOT, offsets) == AnalysisWindow(SLOT - HOUR, SLOT)
    assert execution_window(daily, SLOT, plain) == AnalysisWindow(SLOT - 24 * HOUR, SLOT)
    assert execution_window(daily, SLOT, plain, "-PT3H", "-PT1H") == AnalysisWindow(
        SLOT - 3 * HOUR, SLOT - HOUR
    )


def test_now_window_is_anchored_at_the_schedule_creation() -> None:
    job = defined_job("DataQuality", job_definition("DataQuality", "jd"))
    created = SLOT + timedelta(minutes=7, seconds=3, microseconds=9)

    window = execution_window(ScheduleExpression.now(), SLOT, job, "-PT2H", "-PT0H", created)

    assert window == AnalysisWindow(created.replace(microsecond=0) - 2 * HOUR, created.replace(microsecond=0))


def test_hour_folders_cover_every_hour_the_window_touches() -> None:
    folders = HourFolders.overlapping(SLOT - timedelta(minutes=90), SLOT + timedelta(minutes=1))

    assert folders.hours == {"2024/01/01/03", "2024/01/01/04", "2024/01/01/05"}
    assert folders("2024/01/01/03/a.jsonl")
    assert not folders("x2024/01/01/03/a.jsonl")
    assert not folders("2024/01/01/03")


def test_merger_image_is_published_per_region_and_under_the_account_elsewhere() -> None:
    assert merger_image("us-east-1", "1") == (
        "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-groundtruth-merger"
    )
    assert merger_image("xx-nowhere-1", "123") == (
        "123.dkr.ecr.xx-nowhere-1.amazonaws.com/sagemaker-model-monitor-groundtruth-merger"
    )


@pytest.mark.parametrize(
    ("job", "status"),
    [
        (JobResult("Completed", "CompletedWithViolations: 3 violations"), "CompletedWithViolations"),
        (JobResult("Completed", "Completed: no violations"), "Completed"),
        (JobResult("Completed"), "Completed"),
        (JobResult("Failed", "CompletedWithViolations", "AlgorithmError"), "Failed"),
        (JobResult("Stopped"), "Stopped"),
    ],
)
def test_execution_status_reads_violations_from_a_completed_jobs_exit_message(
    job: JobResult, status: str
) -> None:
    assert execution_status(job) == status
