"""Throughput and latency of the local Model Monitor service (``mm-local``), printed as plain text.

Measures, against a service started in this process:

1. requests/second of DescribeMonitoringSchedule (sequential boto3 client);
2. requests/second of ListMonitoringExecutions (MaxResults 100, following NextToken) with ``--executions``
   stored executions;
3. wall time from a model-quality slot coming due to its execution's terminal status, for one hour of
   ``--records`` synthetic captured records with ground truth (merge job + analysis job).

Run: ``python benchmarks/local_service.py [--describe-requests N] [--list-requests N] [--executions N]
[--records N] [--max-seconds S]``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_mm_provider.local.synthetic import hour_files, make_traffic, model_quality_baseline_csv
from airflow_mm_provider.local.testing import LocalModelMonitor

ANALYZER = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
ROLE = "arn:aws:iam::123456789012:role/MonitorRole"
BUCKET = "mm-bench"
HOURLY = "cron(0 * ? * * *)"
START = datetime(2024, 1, 1, 0, 5, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)
TERMINAL = {"Completed", "CompletedWithViolations", "Failed", "Stopped"}
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}}
OUTPUT = {
    "MonitoringOutputs": [{"S3Output": {"S3Uri": f"s3://{BUCKET}/reports", "LocalPath": "/opt/ml/output"}}]
}


def rate(call: Callable[[], Any], requests: int, max_seconds: float) -> tuple[int, float]:
    """Call ``call`` up to ``requests`` times or until ``max_seconds`` pass; return (calls, calls/second)."""
    done, started = 0, time.perf_counter()
    while done < requests and time.perf_counter() - started < max_seconds:
        call()
        done += 1
    return done, done / (time.perf_counter() - started)


def endpoint(sm: Any, name: str, capture: bool) -> None:
    """An endpoint (capturing to ``s3://BUCKET/capture`` when ``capture``)."""
    extra = {
        "DataCaptureConfig": {
            "InitialSamplingPercentage": 100,
            "DestinationS3Uri": f"s3://{BUCKET}/capture",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        }
    }
    variant = {
        "VariantName": "AllTraffic",
        "ModelName": "m",
        "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large",
    }
    sm.create_endpoint_config(
        EndpointConfigName=f"{name}-config", ProductionVariants=[variant], **(extra if capture else {})
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")


def schedule(sm: Any, name: str, definition: str, monitoring_type: str) -> None:
    """An hourly schedule of ``definition``."""
    sm.create_monitoring_schedule(
        MonitoringScheduleName=name,
        MonitoringScheduleConfig={
            "MonitoringJobDefinitionName": definition,
            "MonitoringType": monitoring_type,
            "ScheduleConfig": {"ScheduleExpression": HOURLY},
        },
    )


def api_rates(service: LocalModelMonitor, args: argparse.Namespace) -> None:
    """Describe and list rates, with ``args.executions`` executions stored for one schedule."""
    sm = service.client("sagemaker", retries={"total_max_attempts": 1})
    endpoint(sm, "quiet", capture=False)
    sm.create_data_quality_job_definition(
        JobDefinitionName="dq",
        DataQualityAppSpecification={"ImageUri": ANALYZER},
        DataQualityJobInput={"EndpointInput": {"EndpointName": "quiet", "LocalPath": "/opt/ml/input"}},
        DataQualityJobOutputConfig=OUTPUT,
        JobResources=CLUSTER,
        RoleArn=ROLE,
    )
    schedule(sm, "many", "dq", "DataQuality")
    started = time.perf_counter()
    service.run_due(START + args.executions * HOUR)
    stored = service.control("GET", "status")["counts"]["monitoring_executions"]
    print(
        f"stored {stored} executions in {time.perf_counter() - started:.2f} s "
        f"(endpoint without capture: each fails at once)"
    )

    calls, per_second = rate(
        lambda: sm.describe_monitoring_schedule(MonitoringScheduleName="many"),
        args.describe_requests,
        args.max_seconds,
    )
    print(f"DescribeMonitoringSchedule: {per_second:.0f} requests/s ({calls} sequential requests)")

    token: dict[str, str] = {}

    def list_page() -> None:
        page = sm.list_monitoring_executions(MonitoringScheduleName="many", MaxResults=100, **token)
        token.clear()
        if page.get("NextToken"):
            token["NextToken"] = page["NextToken"]

    calls, per_second = rate(list_page, args.list_requests, args.max_seconds)
    print(
        f"ListMonitoringExecutions (MaxResults=100, {args.executions} stored): {per_second:.0f} requests/s "
        f"({calls} sequential requests, following NextToken)"
    )


def model_quality_latency(service: LocalModelMonitor, args: argparse.Namespace) -> None:
    """Time from slot to terminal status of a model-quality execution over ``args.records`` records."""
    sm, s3 = service.client("sagemaker"), service.client("s3")
    endpoint(sm, "ep", capture=True)
    s3.put_object(
        Bucket=BUCKET,
        Key="baseline/data.csv",
        Body=model_quality_baseline_csv(make_traffic(2000, 1)).encode(),
    )
    sm.create_processing_job(
        ProcessingJobName="mq-baseline",
        ProcessingInputs=[
            {
                "InputName": "baseline_dataset_input",
                "S3Input": {
                    "S3Uri": f"s3://{BUCKET}/baseline/data.csv",
                    "LocalPath": "/opt/ml/processing/input/baseline_dataset_input",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
        ],
        ProcessingOutputConfig={
            "Outputs": [
                {
                    "OutputName": "monitoring_output",
                    "S3Output": {
                        "S3Uri": f"s3://{BUCKET}/baseline/results",
                        "LocalPath": "/opt/ml/processing/output",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
        ProcessingResources=CLUSTER,
        AppSpecification={"ImageUri": ANALYZER},
        Environment={
            "dataset_format": json.dumps({"csv": {"header": True}}),
            "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
            "output_path": "/opt/ml/processing/output",
            "analysis_type": "MODEL_QUALITY",
            "problem_type": "BinaryClassification",
            "inference_attribute": "prediction",
            "probability_attribute": "probability",
            "ground_truth_attribute": "label",
        },
        RoleArn=ROLE,
    )
    while sm.describe_processing_job(ProcessingJobName="mq-baseline")["ProcessingJobStatus"] == "InProgress":
        time.sleep(0.05)
    sm.create_model_quality_job_definition(
        JobDefinitionName="mq",
        ModelQualityBaselineConfig={
            "ConstraintsResource": {"S3Uri": f"s3://{BUCKET}/baseline/results/constraints.json"}
        },
        ModelQualityAppSpecification={"ImageUri": ANALYZER, "ProblemType": "BinaryClassification"},
        ModelQualityJobInput={
            "EndpointInput": {
                "EndpointName": "ep",
                "LocalPath": "/opt/ml/processing/input/endpoint",
                "ProbabilityAttribute": "0",
                "ProbabilityThresholdAttribute": 0.5,
                "StartTimeOffset": "-PT1H",
                "EndTimeOffset": "-PT0H",
            },
            "GroundTruthS3Input": {"S3Uri": f"s3://{BUCKET}/ground-truth"},
        },
        ModelQualityJobOutputConfig=OUTPUT,
        JobResources=CLUSTER,
        RoleArn=ROLE,
        StoppingCondition={"MaxRuntimeInSeconds": 1800},
    )
    started = time.perf_counter()
    now = datetime.fromisoformat(service.control("GET", "clock")["now"])
    hour = now.replace(minute=0, second=0, microsecond=0)
    files = hour_files(
        make_traffic(args.records, 7),
        hour,
        7,
        destination=f"s3://{BUCKET}/capture",
        endpoint="ep",
        ground_truth=f"s3://{BUCKET}/ground-truth",
        records_per_file=1000,
    )
    size = sum(len(body) for body in files.objects.values())
    for uri, body in files.objects.items():
        s3.put_object(Bucket=BUCKET, Key=uri.split("/", 3)[3], Body=body)
    print(
        f"model quality: {args.records} records in {len(files.capture)} capture files + "
        f"{len(files.ground_truth)} ground-truth file ({size / 1e6:.1f} MB) generated and uploaded in "
        f"{time.perf_counter() - started:.1f} s"
    )
    schedule(sm, "mq-hourly", "mq", "ModelQuality")
    started = time.perf_counter()
    service.run_due(hour + HOUR + timedelta(minutes=1), wait=False)
    deadline = started + args.max_seconds * 20
    while time.perf_counter() < deadline:
        summaries = sm.list_monitoring_executions(MonitoringScheduleName="mq-hourly")[
            "MonitoringExecutionSummaries"
        ]
        if summaries and summaries[0]["MonitoringExecutionStatus"] in TERMINAL:
            break
        time.sleep(0.02)
    else:
        raise SystemExit(f"no terminal model-quality execution after {deadline - started:.0f} s")
    elapsed = time.perf_counter() - started
    summary = summaries[0]
    print(
        f"model quality execution ({args.records} records, merge + analysis): slot due -> "
        f"{summary['MonitoringExecutionStatus']} in {elapsed:.2f} s"
    )
    if summary.get("FailureReason"):
        print(f"  FailureReason: {summary['FailureReason']}")


def main() -> None:
    """Parse arguments, start the service, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--describe-requests", type=int, default=2000, help="DescribeMonitoringSchedule calls"
    )
    parser.add_argument("--list-requests", type=int, default=500, help="ListMonitoringExecutions calls")
    parser.add_argument("--executions", type=int, default=10_000, help="executions stored before listing")
    parser.add_argument("--records", type=int, default=100_000, help="records in the model-quality hour")
    parser.add_argument("--max-seconds", type=float, default=30.0, help="time bound of each rate measurement")
    args = parser.parse_args()
    with LocalModelMonitor(pending_seconds=0) as service:
        service.set_clock(START)
        service.client("s3").create_bucket(Bucket=BUCKET)
        api_rates(service, args)
        model_quality_latency(service, args)


if __name__ == "__main__":
    main()
