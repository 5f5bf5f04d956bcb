"""Shared pieces of the schedule and one-time operator tests: specs, a mocked hook, the local service."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import partial
from typing import Any
from unittest import mock

import pytest
from botocore.exceptions import ClientError

from airflow_mm_provider.hooks.model_monitor import SageMakerModelMonitorHook, ScheduleDeletion
from airflow_mm_provider.local.testing import LocalModelMonitor
from airflow_mm_provider.monitoring.inputs import EndpointInput, MonitoringOutput
from airflow_mm_provider.monitoring.job_definitions import DataQualityJobDefinition

ROLE = "arn:aws:iam::123456789012:role/MonitorRole"
IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
SCHEDULE = "churn-data-quality"
ARN = f"arn:aws:sagemaker:us-east-1:123456789012:monitoring-schedule/{SCHEDULE}"
UTC = timezone.utc
CONN_ID = "mm_local"
BUCKET = "mm-bucket"
ENDPOINT = "churn"


def data_quality(**overrides: Any) -> DataQualityJobDefinition:
    """A minimal typed data-quality spec on endpoint ``churn``."""
    members: dict[str, Any] = {
        "role_arn": ROLE,
        "image_uri": IMAGE,
        "input": EndpointInput("churn"),
        "output": MonitoringOutput("s3://bucket/reports"),
    }
    return DataQualityJobDefinition(**{**members, **overrides})


def model_quality_dict() -> dict[str, Any]:
    """An API-shaped model-quality request without a name."""
    return {
        "ModelQualityAppSpecification": {"ImageUri": IMAGE, "ProblemType": "BinaryClassification"},
        "ModelQualityJobInput": {
            "EndpointInput": {
                "EndpointName": "churn",
                "LocalPath": "/opt/ml/processing/input/endpoint",
                "InferenceAttribute": "0",
            },
            "GroundTruthS3Input": {"S3Uri": "s3://bucket/ground-truth"},
        },
        "ModelQualityJobOutputConfig": {
            "MonitoringOutputs": [
                {"S3Output": {"S3Uri": "s3://bucket/reports", "LocalPath": "/opt/ml/processing/output"}}
            ]
        },
        "JobResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 20}
        },
        "RoleArn": ROLE,
        "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
    }


def not_found(operation: str = "DescribeMonitoringSchedule") -> ClientError:
    return ClientError({"Error": {"Code": "ResourceNotFound", "Message": "Could not find"}}, operation)


def mocked_hook() -> mock.MagicMock:
    """A mocked hook with fast waits and a real region/partition for links."""
    fake = mock.MagicMock(spec=SageMakerModelMonitorHook)
    fake.conn_region_name = "us-east-1"
    fake.conn_partition = "aws"
    fake.processing_job_name.side_effect = SageMakerModelMonitorHook.processing_job_name
    fake.log = mock.MagicMock()
    fake.list_job_definitions.return_value = []
    fake.list_schedules.return_value = []
    fake.job_definition_exists.return_value = False
    fake.describe_schedule_or_none.side_effect = partial(
        SageMakerModelMonitorHook.describe_schedule_or_none, fake
    )
    fake.delete_schedule_and_job_definitions.return_value = ScheduleDeletion(SCHEDULE, True, [])
    return fake


def run_context() -> dict[str, Any]:
    """A task context: an hourly DAG run over 10:00-11:00 UTC."""
    ti = mock.MagicMock(
        dag_id="churn_monitoring", task_id="check", run_id="scheduled__2024-05-01T10:00:00+00:00"
    )
    ti.map_index = -1
    return {
        "ti": ti,
        "data_interval_start": datetime(2024, 5, 1, 10, tzinfo=UTC),
        "data_interval_end": datetime(2024, 5, 1, 11, tzinfo=UTC),
    }


def with_hook(operator: Any, hook: mock.MagicMock) -> Any:
    """Give ``operator`` the mocked hook (``hook`` is a cached property)."""
    operator.__dict__["hook"] = hook
    return operator


def pushed(context: dict[str, Any], key: str) -> dict[str, Any]:
    """The value pushed to XCom under ``key``."""
    values = [c.kwargs["value"] for c in context["ti"].xcom_push.call_args_list if c.kwargs.get("key") == key]
    assert values, f"nothing pushed under {key}"
    return values[-1]


def described(
    definition: str | None, monitoring_type: str = "DataQuality", expression: str = "cron(0 * ? * * *)"
):
    config: dict[str, Any] = {
        "MonitoringType": monitoring_type,
        "ScheduleConfig": {"ScheduleExpression": expression},
    }
    if definition:
        config["MonitoringJobDefinitionName"] = definition
    return {
        "MonitoringScheduleName": SCHEDULE,
        "MonitoringScheduleArn": ARN,
        "MonitoringScheduleStatus": "Scheduled",
        "CreationTime": datetime(2024, 5, 1, 11, 4, tzinfo=UTC),
        "MonitoringScheduleConfig": config,
    }


@contextmanager
def local_service(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalModelMonitor]:
    """The local service (schedules Pending for 0.1 s, due slots run in the background), an Airflow
    connection to it, a bucket and an endpoint that captures to ``s3://mm-bucket/capture``."""
    with LocalModelMonitor(pending_seconds=0.1, auto_run=True) as local:
        extra = {"endpoint_url": local.endpoint_url, "region_name": local.region}
        connection = {"conn_type": "aws", "login": "testing", "password": "testing", "extra": extra}
        monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(connection))
        local.client("s3").create_bucket(Bucket=BUCKET)
        sagemaker = local.client("sagemaker")
        capture = {
            "InitialSamplingPercentage": 100,
            "DestinationS3Uri": f"s3://{BUCKET}/capture",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        }
        variant = {
            "VariantName": "AllTraffic",
            "ModelName": "m",
            "InitialInstanceCount": 1,
            "InstanceType": "ml.m5.large",
        }
        sagemaker.create_endpoint_config(
            EndpointConfigName=f"{ENDPOINT}-config", ProductionVariants=[variant], DataCaptureConfig=capture
        )
        sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=f"{ENDPOINT}-config")
        yield local


def local_spec(**overrides: Any) -> DataQualityJobDefinition:
    """A data-quality spec on the local endpoint."""
    return data_quality(
        input=EndpointInput(ENDPOINT), output=MonitoringOutput(f"s3://{BUCKET}/reports"), **overrides
    )


def local_operator(operator_class: type, **arguments: Any) -> Any:
    """An operator on the local service's connection."""
    return operator_class(aws_conn_id=CONN_ID, **arguments)


def definitions(service: LocalModelMonitor) -> list[str]:
    """Names of every data-quality job definition in the service."""
    response = service.client("sagemaker").list_data_quality_job_definitions(MaxResults=100)
    return sorted(summary["MonitoringJobDefinitionName"] for summary in response["JobDefinitionSummaries"])


def schedules(service: LocalModelMonitor) -> list[str]:
    response = service.client("sagemaker").list_monitoring_schedules(MaxResults=100)
    return sorted(summary["MonitoringScheduleName"] for summary in response["MonitoringScheduleSummaries"])


def task_context() -> dict[str, Any]:
    return {
        "ti": mock.MagicMock(dag_id="churn_monitoring", task_id="check", run_id="manual__1", map_index=-1)
    }
