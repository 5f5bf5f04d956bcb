"""Request builders and constants for tests that drive the local Model Monitor service through boto3."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_mm_provider.local.testing import LocalModelMonitor

ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
CLARIFY = "205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0"
ROLE = "arn:aws:iam::123456789012:role/MonitorRole"
BUCKET = "mm-bucket"
T0 = datetime(2024, 1, 1, 0, 30, tzinfo=timezone.utc)
HOURLY = "cron(0 * ? * * *)"


def signed_headers(
    url: str, body: bytes, service: str, headers: dict[str, str], method: str = "POST"
) -> dict[str, str]:
    """``headers`` plus a real SigV4 ``Authorization`` (dummy credentials), for hand-made requests."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    SigV4Auth(Credentials("testing", "testing"), service, "us-east-1").add_auth(request)
    return dict(request.headers.items())


def capture_line(i: int, hour: datetime = datetime(2024, 1, 1, tzinfo=timezone.utc)) -> str:
    """One captured CSV inference line (two features, a score) with inference id ``i``.

    :param i: the record number: its features, score and ids derive from it.
    :param hour: the start of the capture hour; the inference was made ``i`` minutes later.
    """
    return json.dumps(
        {
            "captureData": {
                "endpointInput": {
                    "observedContentType": "text/csv",
                    "mode": "INPUT",
                    "data": f"{i},{i * 2.5}",
                    "encoding": "CSV",
                },
                "endpointOutput": {
                    "observedContentType": "text/csv",
                    "mode": "OUTPUT",
                    "data": str(i * 0.37 % 1),
                    "encoding": "CSV",
                },
            },
            "eventMetadata": {
                "eventId": f"e{i}",
                "inferenceId": str(i),
                "inferenceTime": (hour + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            "eventVersion": "0",
        }
    )


def raw_client(mm: LocalModelMonitor) -> Any:
    """A SageMaker client that skips botocore's own parameter validation (to reach the server's)."""
    return mm.client("sagemaker", parameter_validation=False, retries={"total_max_attempts": 1})


def endpoint(sm: Any, name: str = "ep", capture: bool = True, kms_key: str | None = None) -> None:
    """Create an endpoint config and endpoint (capturing to s3://BUCKET/capture, encrypted with ``kms_key``
    when given)."""
    extra: dict[str, Any] = {
        "DataCaptureConfig": {
            "InitialSamplingPercentage": 100,
            "DestinationS3Uri": f"s3://{BUCKET}/capture",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            **({"KmsKeyId": kms_key} if kms_key else {}),
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
    if job_type == "ModelQuality":
        source[next(iter(source))]["InferenceAttribute"] = "0"
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


def data_quality_schedule(sm: Any, s3: Any, hours: list[datetime]) -> str:
    """The bucket, endpoint ``ep``, data-quality job definition ``jd`` and hourly schedule ``sched``, with one
    capture file in each of ``hours``; returns the job definition's ARN."""
    s3.create_bucket(Bucket=BUCKET)
    endpoint(sm)
    arn = create_definition(sm, "DataQuality", "jd")
    sm.create_monitoring_schedule(
        MonitoringScheduleName="sched", MonitoringScheduleConfig=schedule_config("jd", "DataQuality")
    )
    put_capture(s3, hours)
    return arn


def error_code(excinfo: pytest.ExceptionInfo[Any]) -> str:
    """The AWS error code of a botocore ClientError."""
    return excinfo.value.response["Error"]["Code"]


def error_message(excinfo: pytest.ExceptionInfo[Any]) -> str:
    """The AWS error message of a botocore ClientError."""
    return excinfo.value.response["Error"]["Message"]
