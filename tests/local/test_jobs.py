"""The job runner wired to the real analysis engine (``airflow_mm_provider.analysis.jobs``)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.service import ANALYZER, BUCKET, ROLE, T0, capture_line, endpoint, schedule_config
from tests.support.waiting import wait_for

pytest.importorskip("numpy")


def resources() -> dict[str, Any]:
    """Job resources and role shared by the requests below."""
    return {"RoleArn": ROLE, "StoppingCondition": {"MaxRuntimeInSeconds": 1800}}


def outputs(uri: str) -> dict[str, Any]:
    """A one-output config."""
    return {"MonitoringOutputs": [{"S3Output": {"S3Uri": uri, "LocalPath": "/opt/ml/processing/output"}}]}


CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20}}


@pytest.fixture
def service(mm_local: Any) -> tuple[Any, Any, Any]:
    """The service with the real engine, a bucket, an endpoint and an hour of captured data."""
    sm, s3 = mm_local.client("sagemaker"), mm_local.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    mm_local.set_clock(T0)
    endpoint(sm)
    body = "\n".join(capture_line(i) for i in range(40)).encode()
    s3.put_object(Bucket=BUCKET, Key="capture/ep/AllTraffic/2024/01/01/00/a.jsonl", Body=body)
    return mm_local, sm, s3


def test_baseline_then_data_quality_monitoring(service: tuple[Any, Any, Any]) -> None:
    mm, sm, s3 = service
    rows = "\n".join(f"{i},{i * 0.1}" for i in range(100)).encode()
    s3.put_object(Bucket=BUCKET, Key="train/train.csv", Body=rows)
    sm.create_processing_job(
        ProcessingJobName="baseline",
        ProcessingInputs=[
            {
                "InputName": "baseline_dataset_input",
                "S3Input": {
                    "S3Uri": f"s3://{BUCKET}/train",
                    "LocalPath": "/opt/ml/processing/input/baseline_dataset_input",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
        ],
        ProcessingOutputConfig={
            "Outputs": [
                {
                    "OutputName": "o",
                    "S3Output": {
                        "S3Uri": f"s3://{BUCKET}/baseline",
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
        ProcessingResources=CLUSTER,
        AppSpecification={"ImageUri": ANALYZER},
        Environment={
            "dataset_format": '{"csv": {"header": false}}',
            "output_path": "/opt/ml/processing/output",
            "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
        },
        **resources(),
    )
    job = wait_for(
        lambda: sm.describe_processing_job(ProcessingJobName="baseline"),
        lambda job: job["ProcessingJobStatus"] != "InProgress",
        "the baseline job ended",
    )
    assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
    sm.create_data_quality_job_definition(
        JobDefinitionName="dq",
        DataQualityAppSpecification={"ImageUri": ANALYZER},
        DataQualityBaselineConfig={
            "ConstraintsResource": {"S3Uri": f"s3://{BUCKET}/baseline/constraints.json"},
            "StatisticsResource": {"S3Uri": f"s3://{BUCKET}/baseline/statistics.json"},
        },
        DataQualityJobInput={
            "EndpointInput": {"EndpointName": "ep", "LocalPath": "/opt/ml/processing/input/ep"}
        },
        DataQualityJobOutputConfig=outputs(f"s3://{BUCKET}/reports"),
        JobResources=CLUSTER,
        **resources(),
    )
    sm.create_monitoring_schedule(
        MonitoringScheduleName="sched", MonitoringScheduleConfig=schedule_config("dq", "DataQuality")
    )
    mm.run_due(T0.replace(hour=1, minute=0))
    (execution,) = sm.list_monitoring_executions()["MonitoringExecutionSummaries"]
    assert execution["MonitoringExecutionStatus"] == "CompletedWithViolations"
    job = sm.describe_processing_job(ProcessingJobName=execution["ProcessingJobArn"].split("/")[1])
    assert job["ExitMessage"].startswith("CompletedWithViolations: Job completed successfully with ")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="reports/")["Contents"]]
    assert keys == [
        f"reports/ep/sched/2024/01/01/01/{name}"
        for name in ("constraint_violations.json", "constraints.json", "statistics.json")
    ]


def test_model_quality_merges_then_analyses(service: tuple[Any, Any, Any]) -> None:
    mm, sm, s3 = service
    truth = "\n".join(
        json.dumps(
            {
                "groundTruthData": {"data": str(i % 2), "encoding": "CSV"},
                "eventMetadata": {"eventId": str(i)},
                "eventVersion": "0",
            }
        )
        for i in range(40)
    )
    s3.put_object(Bucket=BUCKET, Key="gt/2024/01/01/00/g.jsonl", Body=truth.encode())
    sm.create_model_quality_job_definition(
        JobDefinitionName="mq",
        ModelQualityAppSpecification={"ImageUri": ANALYZER, "ProblemType": "BinaryClassification"},
        ModelQualityJobInput={
            "EndpointInput": {
                "EndpointName": "ep",
                "LocalPath": "/opt/ml/processing/input/ep",
                "ProbabilityAttribute": "0",
                "ProbabilityThresholdAttribute": 0.5,
            },
            "GroundTruthS3Input": {"S3Uri": f"s3://{BUCKET}/gt"},
        },
        ModelQualityJobOutputConfig=outputs(f"s3://{BUCKET}/reports"),
        JobResources=CLUSTER,
        **resources(),
    )
    sm.create_monitoring_schedule(
        MonitoringScheduleName="sched", MonitoringScheduleConfig=schedule_config("mq", "ModelQuality")
    )
    mm.run_due(T0.replace(hour=1, minute=0))
    (execution,) = sm.list_monitoring_executions()["MonitoringExecutionSummaries"]
    assert execution["MonitoringExecutionStatus"] == "Completed"
    names = sorted(
        j["ProcessingJobName"].split("-2024")[0] for j in sm.list_processing_jobs()["ProcessingJobSummaries"]
    )
    assert names == ["groundtruth-merge", "model-quality-monitoring"]
    merged = s3.list_objects_v2(Bucket=BUCKET, Prefix="reports/merge/ep/sched/2024/01/01/01/")["Contents"]
    assert len(merged) == 1 and merged[0]["Key"].endswith(".c000.jsonl")
    statistics = json.loads(
        s3.get_object(Bucket=BUCKET, Key="reports/ep/sched/2024/01/01/01/statistics.json")["Body"].read()
    )
    assert statistics
