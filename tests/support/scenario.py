"""A scenario builder on the local Model Monitor service: boto3 clients and the steps scenarios share."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_mm_provider.local.synthetic import (
    Degradation,
    data_quality_baseline_csv,
    hour_files,
    make_traffic,
)
from airflow_mm_provider.local.testing import LocalModelMonitor
from tests.support.service import ANALYZER, BUCKET, HOURLY, ROLE, endpoint
from tests.support.waiting import wait_for

T0 = datetime(2024, 1, 1, 0, 5, tzinfo=timezone.utc)
HOUR0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)
CAPTURE = f"s3://{BUCKET}/capture"
GROUND_TRUTH = f"s3://{BUCKET}/ground-truth"
REPORTS = f"s3://{BUCKET}/reports"
PROCESSING = "/opt/ml/processing"
RECORDS = 1500
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}}
MQ_BASELINE_ENV = {
    "dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
    "dataset_source": f"{PROCESSING}/input/baseline_dataset_input",
    "output_path": f"{PROCESSING}/output",
    "publish_cloudwatch_metrics": "Disabled",
}


class Scenario:
    """Clients of one running service, with the steps every scenario shares."""

    def __init__(self, service: LocalModelMonitor, create: bool = True) -> None:
        """``create``: set the clock to T0 and create the bucket and endpoint ``ep`` (else they exist)."""
        self.service = service
        self.sm = service.client("sagemaker")
        self.s3 = service.client("s3")
        if create:
            service.set_clock(T0)
            self.s3.create_bucket(Bucket=BUCKET)
            endpoint(self.sm, "ep")

    def put(self, uri: str, body: bytes | str) -> str:
        """Upload one object; return its URI."""
        bucket, key = uri[len("s3://") :].split("/", 1)
        self.s3.put_object(Bucket=bucket, Key=key, Body=body.encode() if isinstance(body, str) else body)
        return uri

    def read_json(self, uri: str) -> Any:
        """Download and parse one JSON object."""
        bucket, key = uri[len("s3://") :].split("/", 1)
        return json.loads(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    def traffic(
        self,
        seeds: tuple[int, int],
        degradation: Degradation,
        ground_truth: bool = True,
        records_per_file: int = 500,
    ) -> None:
        """A healthy hour 00:00 and a degraded hour 01:00 of capture (and ground truth), in capture files of
        ``records_per_file`` records."""
        for index, (seed, spec) in enumerate(zip(seeds, (None, degradation), strict=True)):
            files = hour_files(
                make_traffic(RECORDS, seed, spec),
                HOUR0 + index * HOUR,
                seed,
                destination=CAPTURE,
                endpoint="ep",
                ground_truth=GROUND_TRUTH if ground_truth else None,
                records_per_file=records_per_file,
            )
            for uri, body in files.objects.items():
                self.put(uri, body)

    def baseline_job(
        self,
        name: str,
        image: str,
        inputs: dict[str, tuple[str, str]],
        environment: dict[str, str] | None = None,
    ) -> str:
        """Run a baselining processing job to completion; return its output prefix."""
        output = f"s3://{BUCKET}/baselining/{name}/results"
        self.sm.create_processing_job(
            ProcessingJobName=name,
            ProcessingInputs=[
                {
                    "InputName": input_name,
                    "S3Input": {
                        "S3Uri": uri,
                        "LocalPath": local,
                        "S3DataType": "S3Prefix",
                        "S3InputMode": "File",
                        "S3DataDistributionType": "FullyReplicated",
                    },
                }
                for input_name, (uri, local) in inputs.items()
            ],
            ProcessingOutputConfig={
                "Outputs": [
                    {
                        "OutputName": "monitoring_output",
                        "S3Output": {
                            "S3Uri": output,
                            "LocalPath": f"{PROCESSING}/output",
                            "S3UploadMode": "EndOfJob",
                        },
                    }
                ]
            },
            ProcessingResources=CLUSTER,
            AppSpecification={"ImageUri": image},
            Environment=environment or {},
            RoleArn=ROLE,
        )
        job = wait_for(
            lambda: self.sm.describe_processing_job(ProcessingJobName=name),
            lambda job: job["ProcessingJobStatus"] not in ("InProgress", "Stopping"),
            f"processing job {name} ended",
        )
        assert job["ProcessingJobStatus"] == "Completed", job.get("FailureReason")
        return output

    def endpoint_input(self, **attributes: Any) -> dict[str, Any]:
        """EndpointInput of ``ep`` looking back one hour."""
        return {
            "EndpointName": "ep",
            "LocalPath": f"{PROCESSING}/input/endpoint",
            "StartTimeOffset": "-PT1H",
            "EndTimeOffset": "-PT0H",
            **attributes,
        }

    def common(self, kind: str) -> dict[str, Any]:
        """Members every job definition shares."""
        return {
            f"{kind}JobOutputConfig": {
                "MonitoringOutputs": [{"S3Output": {"S3Uri": REPORTS, "LocalPath": f"{PROCESSING}/output"}}]
            },
            "JobResources": CLUSTER,
            "RoleArn": ROLE,
            "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
        }

    def run_two_hours(self, schedule: str, definition: str, kind: str) -> list[dict[str, Any]]:
        """Schedule ``definition`` hourly, run the 01:00 and 02:00 slots; return the executions by slot."""
        self.sm.create_monitoring_schedule(
            MonitoringScheduleName=schedule,
            MonitoringScheduleConfig={
                "MonitoringJobDefinitionName": definition,
                "MonitoringType": kind,
                "ScheduleConfig": {"ScheduleExpression": HOURLY},
            },
        )
        assert (
            self.sm.describe_monitoring_schedule(MonitoringScheduleName=schedule)["MonitoringScheduleStatus"]
            == "Scheduled"
        )
        self.service.run_due(T0 + 2 * HOUR)
        return self.sm.list_monitoring_executions(
            MonitoringScheduleName=schedule, SortBy="ScheduledTime", SortOrder="Ascending"
        )["MonitoringExecutionSummaries"]

    def report(self, schedule: str, hour: int, file_name: str) -> Any:
        """A report file of the execution scheduled at ``hour``:00 on 2024-01-01."""
        return self.read_json(f"{REPORTS}/ep/{schedule}/2024/01/01/{hour:02d}/{file_name}")


def ingest_data_quality_baseline(scenario: Scenario) -> str:
    """Run a data-quality baselining job on a healthy CSV; return its output prefix."""
    baseline_data = scenario.put(
        f"s3://{BUCKET}/datasets/dq/baseline.csv", data_quality_baseline_csv(make_traffic(RECORDS, 1))
    )
    return scenario.baseline_job(
        "dq-baseline",
        ANALYZER,
        {"baseline_dataset_input": (baseline_data, f"{PROCESSING}/input/baseline_dataset_input")},
        MQ_BASELINE_ENV,
    )
