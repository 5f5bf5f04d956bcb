"""Shared fixtures and request builders for the local service tests (which only talk HTTP to it)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_mm_provider.local.testing import LocalModelMonitor

ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
CLARIFY = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"
ROLE = "arn:aws:iam::123456789012:role/MonitorRole"
BUCKET = "mm-bucket"
T0 = datetime(2024, 1, 1, 0, 30, tzinfo=timezone.utc)
HOURLY = "cron(0 * ? * * *)"


@dataclass
class FakeOutcome:
    """What the fake engine answers."""

    status: str = "Completed"
    exit_message: str | None = "Completed: Job completed successfully with no violations."
    failure_reason: str | None = None


@dataclass
class FakeEngine:
    """Records calls, writes one report file, answers ``outcome``; ``gate`` (if set) blocks the run."""

    outcome: FakeOutcome = field(default_factory=FakeOutcome)
    calls: list[tuple[str, dict[str, str], dict[str, list[str]]]] = field(default_factory=list)
    gate: threading.Event | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _run(
        self, mode: str, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path
    ) -> Any:
        files = {
            k: sorted(p.relative_to(v).as_posix() for p in v.rglob("*") if p.is_file())
            for k, v in input_dirs.items()
        }
        with self.lock:
            self.calls.append((mode, dict(environment), files))
        if self.gate is not None:
            self.gate.wait(10)
        (Path(output_dir) / f"{mode}.json").write_text(json.dumps({"mode": mode}))
        return self.outcome

    def run_analyzer(self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path) -> Any:
        return self._run("analyzer", environment, input_dirs, output_dir)

    def run_merge(self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path) -> Any:
        return self._run("merge", environment, input_dirs, output_dir)

    def run_clarify(self, environment: dict[str, str], input_dirs: dict[str, Path], output_dir: Path) -> Any:
        return self._run("clarify", environment, input_dirs, output_dir)


@pytest.fixture
def engine() -> FakeEngine:
    """A fake analysis engine."""
    return FakeEngine()


@pytest.fixture
def mm(engine: FakeEngine) -> Iterator[LocalModelMonitor]:
    """The service with the fake engine, no Pending delay and manual slot runs."""
    with LocalModelMonitor(pending_seconds=0, engine=engine) as service:
        yield service


@pytest.fixture
def sm(mm: LocalModelMonitor) -> Any:
    """A SageMaker client without retries."""
    return mm.client("sagemaker", retries={"total_max_attempts": 1})


@pytest.fixture
def s3(mm: LocalModelMonitor) -> Any:
    """An S3 client with the bucket created."""
    client = mm.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def raw_client(mm: LocalModelMonitor) -> Any:
    """A SageMaker client that skips botocore's own parameter validation (to reach the server's)."""
    return mm.client("sagemaker", parameter_validation=False, retries={"total_max_attempts": 1})


def endpoint(sm: Any, name: str = "ep", capture: bool = True) -> None:
    """Create an endpoint config and endpoint (capturing to s3://BUCKET/capture)."""
    extra = {
        "DataCaptureConfig": {
            "InitialSamplingPercentage": 100,
            "DestinationS3Uri": f"s3://{BUCKET}/capture",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        }
    }
    sm.create_endpoint_config(
        EndpointConfigName=f"{name}-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "m",
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
            }
        ],
        **(extra if capture else {}),
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")


def job_definition(
    job_type: str, name: str, endpoint_name: str | None = "ep", **overrides: Any
) -> dict[str, Any]:
    """Create{job_type}JobDefinition arguments for an endpoint (or batch when endpoint_name is None)."""
    source: dict[str, Any]
    if endpoint_name:
        source = {
            "EndpointInput": {
                "EndpointName": endpoint_name,
                "LocalPath": "/opt/ml/processing/input/endpoint",
                "StartTimeOffset": "-PT1H",
                "EndTimeOffset": "-PT0H",
            }
        }
    else:
        source = {
            "BatchTransformInput": {
                "DataCapturedDestinationS3Uri": f"s3://{BUCKET}/batch",
                "DatasetFormat": {"Csv": {"Header": False}},
                "LocalPath": "/opt/ml/processing/input/batch",
            }
        }
    if job_type in ("ModelQuality", "ModelBias"):
        source["GroundTruthS3Input"] = {"S3Uri": f"s3://{BUCKET}/ground-truth"}
    if job_type == "DataQuality":
        source[next(iter(source))].pop("StartTimeOffset", None)
        source[next(iter(source))].pop("EndTimeOffset", None)
    app: dict[str, Any] = {
        "ImageUri": CLARIFY if job_type in ("ModelBias", "ModelExplainability") else ANALYZER
    }
    if job_type == "ModelQuality":
        app["ProblemType"] = "BinaryClassification"
    if job_type in ("ModelBias", "ModelExplainability"):
        app["ConfigUri"] = f"s3://{BUCKET}/config/analysis_config.json"
    args = {
        "JobDefinitionName": name,
        f"{job_type}AppSpecification": app,
        f"{job_type}JobInput": source,
        f"{job_type}JobOutputConfig": {
            "MonitoringOutputs": [
                {"S3Output": {"S3Uri": f"s3://{BUCKET}/reports", "LocalPath": "/opt/ml/processing/output"}}
            ]
        },
        "JobResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20}
        },
        "RoleArn": ROLE,
        "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
    }
    args.update(overrides)
    return args


def create_definition(sm: Any, job_type: str, name: str, **kwargs: Any) -> str:
    """Create a job definition; return its ARN."""
    create = getattr(sm, f"create_{snake(job_type)}_job_definition")
    return create(**job_definition(job_type, name, **kwargs))["JobDefinitionArn"]


def snake(job_type: str) -> str:
    """``ModelQuality`` → ``model_quality``."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in job_type).lstrip("_")


def schedule_config(
    definition: str, job_type: str, expression: str | None = HOURLY, **schedule: str
) -> dict[str, Any]:
    """A by-reference MonitoringScheduleConfig."""
    config: dict[str, Any] = {"MonitoringJobDefinitionName": definition, "MonitoringType": job_type}
    if expression is not None:
        config["ScheduleConfig"] = {"ScheduleExpression": expression, **schedule}
    return config


def put_capture(s3: Any, hours: list[datetime], endpoint_name: str = "ep") -> None:
    """One captured record file per hour folder."""
    for hour in hours:
        key = f"capture/{endpoint_name}/AllTraffic/{hour:%Y/%m/%d/%H}/00-00-000-x.jsonl"
        s3.put_object(Bucket=BUCKET, Key=key, Body=b'{"captureData": {}}\n')


def error_code(excinfo: pytest.ExceptionInfo[Any]) -> str:
    """The AWS error code of a botocore ClientError."""
    return excinfo.value.response["Error"]["Code"]


def error_message(excinfo: pytest.ExceptionInfo[Any]) -> str:
    """The AWS error message of a botocore ClientError."""
    return excinfo.value.response["Error"]["Message"]
