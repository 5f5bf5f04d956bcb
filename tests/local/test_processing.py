"""Processing jobs created through the API (baseline-style jobs)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.engine import FakeEngine
from tests.support.service import ANALYZER, BUCKET, CLARIFY, ROLE, error_code
from tests.support.waiting import wait_for


def request(name: str, image: str = ANALYZER, **overrides: Any) -> dict[str, Any]:
    """CreateProcessingJob arguments reading s3://BUCKET/data and writing s3://BUCKET/baseline/<name>."""
    args = {
        "ProcessingJobName": name,
        "ProcessingInputs": [
            {
                "InputName": "baseline_dataset_input",
                "S3Input": {
                    "S3Uri": f"s3://{BUCKET}/data",
                    "LocalPath": "/opt/ml/processing/input/baseline_dataset_input",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
        ],
        "ProcessingOutputConfig": {
            "Outputs": [
                {
                    "OutputName": "monitoring_output",
                    "S3Output": {
                        "S3Uri": f"s3://{BUCKET}/baseline/{name}",
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
        "ProcessingResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}
        },
        "AppSpecification": {"ImageUri": image},
        "Environment": {
            "dataset_format": '{"csv": {"header": true}}',
            "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
            "output_path": "/opt/ml/processing/output",
        },
        "RoleArn": ROLE,
        "StoppingCondition": {"MaxRuntimeInSeconds": 60},
    }
    args.update(overrides)
    return args


def wait_terminal(sm: Any, name: str) -> dict[str, Any]:
    """Poll DescribeProcessingJob until the job ends."""
    return wait_for(
        lambda: sm.describe_processing_job(ProcessingJobName=name),
        lambda job: job["ProcessingJobStatus"] in ("Completed", "Failed", "Stopped"),
        f"processing job {name} ended",
    )


def test_analyzer_job_downloads_runs_and_uploads(sm: Any, s3: Any, engine: FakeEngine) -> None:
    s3.put_object(Bucket=BUCKET, Key="data/train.csv", Body=b"a,b\n1,2\n")
    arn = sm.create_processing_job(**request("baseline-1"))["ProcessingJobArn"]
    assert arn == "arn:aws:sagemaker:us-east-1:123456789012:processing-job/baseline-1"
    job = wait_terminal(sm, "baseline-1")
    assert job["ProcessingJobStatus"] == "Completed"
    assert job["ExitMessage"] == "Completed: Job completed successfully with no violations."
    assert job["ProcessingEndTime"] >= job["ProcessingStartTime"]
    mode, environment, files = engine.calls[0]
    assert mode == "analyzer"
    assert files == {"/opt/ml/processing/input/baseline_dataset_input": ["train.csv"]}
    assert environment["dataset_source"] == "/opt/ml/processing/input/baseline_dataset_input"
    assert s3.get_object(Bucket=BUCKET, Key="baseline/baseline-1/analyzer.json")["Body"].read()


def test_clarify_image_runs_the_clarify_engine(sm: Any, s3: Any, engine: FakeEngine) -> None:
    sm.create_processing_job(**request("bias-baseline", CLARIFY))
    assert wait_terminal(sm, "bias-baseline")["ProcessingJobStatus"] == "Completed"
    assert [call[0] for call in engine.calls] == ["clarify"]


def test_other_images_fail(sm: Any, s3: Any) -> None:
    sm.create_processing_job(**request("custom", "123456789012.dkr.ecr.us-east-1.amazonaws.com/custom:1"))
    job = wait_terminal(sm, "custom")
    assert job["ProcessingJobStatus"] == "Failed"
    assert "only runs those" in job["FailureReason"]


def test_duplicate_job_name_is_in_use(sm: Any, s3: Any) -> None:
    sm.create_processing_job(**request("dup"))
    with pytest.raises(sm.exceptions.ResourceInUse):
        sm.create_processing_job(**request("dup"))


def test_stop_processing_job(sm: Any, s3: Any, engine: FakeEngine) -> None:
    engine.gate = threading.Event()
    try:
        sm.create_processing_job(**request("long"))
        wait_for(lambda: len(engine.calls), bool, "the engine was called")
        sm.stop_processing_job(ProcessingJobName="long")
        job = wait_terminal(sm, "long")
    finally:
        engine.gate.set()
    assert job["ProcessingJobStatus"] == "Stopped"
    with pytest.raises(sm.exceptions.ClientError) as err:
        sm.stop_processing_job(ProcessingJobName="long")
    assert error_code(err) == "ValidationException"


def test_a_job_created_as_the_service_shuts_down_stops_before_it_starts(
    mm: Any, sm: Any, s3: Any, engine: FakeEngine
) -> None:
    mm.service.ctx.stopping.set()  # what LocalService.stop() sets first
    sm.create_processing_job(**request("late"))
    job = wait_terminal(sm, "late")
    assert job["ProcessingJobStatus"] == "Stopped"
    mm.service.ctx.workers.shutdown(wait=True, cancel_futures=True)  # what it does next
    sm.create_processing_job(**request("later"))
    assert sm.describe_processing_job(ProcessingJobName="later")["ProcessingJobStatus"] == "Stopped"
    assert engine.calls == []


def test_holding_jobs_keeps_them_in_progress_until_released(
    mm: Any, sm: Any, s3: Any, engine: FakeEngine
) -> None:
    with mm.holding_jobs() as release:
        sm.create_processing_job(**request("held"))
        time.sleep(0.5)  # unheld, the fake engine ends a job in a few milliseconds
        assert sm.describe_processing_job(ProcessingJobName="held")["ProcessingJobStatus"] == "InProgress"
        assert engine.calls == []
        release.set()
        assert wait_terminal(sm, "held")["ProcessingJobStatus"] == "Completed"
    with mm.holding_jobs():
        sm.create_processing_job(**request("held-to-the-end"))
    assert wait_terminal(sm, "held-to-the-end")["ProcessingJobStatus"] == "Completed"
    assert len(engine.calls) == 2


def test_holding_jobs_nests(mm: Any, sm: Any, s3: Any, engine: FakeEngine) -> None:
    with mm.holding_jobs():
        with mm.holding_jobs():
            pass
        sm.create_processing_job(**request("held"))
        time.sleep(0.5)
        assert engine.calls == []  # the outer block still holds it
    assert wait_terminal(sm, "held")["ProcessingJobStatus"] == "Completed"


def test_unknown_processing_job_is_not_found(sm: Any) -> None:
    with pytest.raises(ClientError) as caught:
        sm.describe_processing_job(ProcessingJobName="nope")
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "Could not find requested job" in caught.value.response["Error"]["Message"]


def test_list_processing_jobs(sm: Any, s3: Any) -> None:
    for name in ("job-b", "job-a", "other"):
        sm.create_processing_job(**request(name))
        wait_terminal(sm, name)
    listed = sm.list_processing_jobs(NameContains="job", SortBy="Name", SortOrder="Ascending")
    assert [j["ProcessingJobName"] for j in listed["ProcessingJobSummaries"]] == ["job-a", "job-b"]
    assert {j["ProcessingJobStatus"] for j in listed["ProcessingJobSummaries"]} == {"Completed"}
    assert sm.list_processing_jobs(StatusEquals="Failed")["ProcessingJobSummaries"] == []
    first = sm.list_processing_jobs(MaxResults=2)
    second = sm.list_processing_jobs(MaxResults=2, NextToken=first["NextToken"])
    assert [
        j["ProcessingJobName"] for j in first["ProcessingJobSummaries"] + second["ProcessingJobSummaries"]
    ] == ["other", "job-a", "job-b"]


def test_explainability_baseline_fails_clearly_with_the_real_engine(mm_local: Any) -> None:
    sm, s3 = mm_local.client("sagemaker"), mm_local.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    config = {"dataset_type": "text/csv", "headers": ["a", "b"], "methods": {"shap": {"num_samples": 10}}}
    s3.put_object(Bucket=BUCKET, Key="config/analysis_config.json", Body=json.dumps(config).encode())
    s3.put_object(Bucket=BUCKET, Key="data/train.csv", Body=b"1,2\n3,4\n")
    inputs = [
        {
            "InputName": name,
            "S3Input": {
                "S3Uri": f"s3://{BUCKET}/{prefix}",
                "LocalPath": f"/opt/ml/processing/input/{folder}",
                "S3DataType": "S3Prefix",
                "S3InputMode": "File",
            },
        }
        for name, prefix, folder in (("dataset", "data", "data"), ("analysis_config", "config", "config"))
    ]
    sm.create_processing_job(**request("explain", CLARIFY, ProcessingInputs=inputs, Environment={}))
    job = wait_terminal(sm, "explain")
    assert job["ProcessingJobStatus"] == "Failed"
    assert "SHAP" in job["FailureReason"] and "does not fake" in job["FailureReason"]


@pytest.mark.parametrize(
    "value", ["/etc/passwd", "/opt/ml/processing/input/baseline_dataset_input/../../../../etc/hosts", "~/x"]
)
def test_environment_paths_outside_the_declared_inputs_are_refused(sm: Any, s3: Any, value: str) -> None:
    args = request("host-path")
    args["Environment"] = {**args["Environment"], "dataset_source": value}
    with pytest.raises(sm.exceptions.ClientError) as err:
        sm.create_processing_job(**args)
    assert error_code(err) == "ValidationException"
    assert err.value.response["Error"]["Message"].startswith(
        f"Environment.dataset_source: {value!r} is not inside"
    )
    assert sm.list_processing_jobs()["ProcessingJobSummaries"] == []


def test_a_key_that_climbs_out_of_the_input_fails_the_job_and_writes_nothing(
    sm: Any, s3: Any, engine: FakeEngine
) -> None:
    import os
    import tempfile
    import uuid

    escape = f"mm-escape-{uuid.uuid4().hex}"
    s3.put_object(Bucket=BUCKET, Key=f"data/../../../{escape}", Body=b"x")
    s3.put_object(Bucket=BUCKET, Key=f"data//{escape}/../../../../x", Body=b"x")
    sm.create_processing_job(**request("climb"))
    job = wait_terminal(sm, "climb")
    assert job["ProcessingJobStatus"] == "Failed"
    assert (
        job["FailureReason"].startswith("ClientError: S3 key ")
        and "cannot be downloaded" in job["FailureReason"]
    )
    assert engine.calls == []
    # os.walk skips folders other processes delete while it runs (rglob raises on them).
    found = [
        name
        for _, folders, files in os.walk(tempfile.gettempdir())
        for name in folders + files
        if escape in name
    ]
    assert found == []
