"""One self-hosted window analysis on one worker: data quality and model quality of an hour of endpoint
traffic, read from S3 and written back, at several sizes.

How to read this: each row is one fresh process running ``airflow_mm_provider.runner.analyse_window`` as the
``SelfHostedMonitoringAnalysisOperator`` task does (S3 listing and downloads, the ground-truth merge for
model quality, the analysis, the report uploads), against ``mm-local``'s S3 on 127.0.0.1 served by this
parent process (so the S3 server's CPU is not counted: on AWS it is not the worker's either). Columns: CPU
seconds user + sys (min and median of interleaved repeats), µs per record, peak RSS, and wall seconds (min)
in the last table. No target: the figures size workers (README "Without Model Monitor").

Data: N captured records of the demo's binary classifier (4 CSV features, a probability; files of 50k
records) in one capture hour, ground truth for all of them, baselines computed from 2,000 healthy records.
Usage::

    python benchmarks/self_hosted_window.py [--sizes 100k,1M] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
from datetime import datetime, timedelta, timezone
from typing import Any

import harness as h

BUCKET = "bench"
HOUR = datetime(2026, 11, 22, 3, tzinfo=timezone.utc)
SLOT = HOUR + timedelta(hours=1)
CAPTURE = f"s3://{BUCKET}/capture"
GROUND_TRUTH = f"s3://{BUCKET}/ground-truth"
ROLE = "arn:aws:iam::111122223333:role/unused"
RECORDS_PER_FILE = 50_000


def _definition(monitoring_type: str, records: int) -> dict[str, Any]:
    """The job definition of one monitor of endpoint ``ep``, reports under ``reports/<size>``."""
    endpoint: dict[str, Any] = {"EndpointName": "ep", "LocalPath": "/opt/ml/processing/input/endpoint"}
    job_input: dict[str, Any] = {"EndpointInput": endpoint}
    app: dict[str, Any] = {
        "ImageUri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"
    }
    baseline = {
        "ConstraintsResource": {"S3Uri": f"s3://{BUCKET}/baseline/{monitoring_type}/constraints.json"}
    }
    if monitoring_type == "DataQuality":
        baseline["StatisticsResource"] = {"S3Uri": f"s3://{BUCKET}/baseline/DataQuality/statistics.json"}
    else:
        endpoint.update(ProbabilityAttribute="0", ProbabilityThresholdAttribute=0.5)
        job_input["GroundTruthS3Input"] = {"S3Uri": GROUND_TRUTH}
        app["ProblemType"] = "BinaryClassification"
    output = {"S3Uri": f"s3://{BUCKET}/reports/{records}", "LocalPath": "/opt/ml/processing/output"}
    return {
        f"{monitoring_type}AppSpecification": app,
        f"{monitoring_type}JobInput": job_input,
        f"{monitoring_type}BaselineConfig": baseline,
        f"{monitoring_type}JobOutputConfig": {"MonitoringOutputs": [{"S3Output": output}]},
        "JobResources": {
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}
        },
        "RoleArn": ROLE,
    }


def analyse(endpoint_url: str, monitoring_type: str, records: int) -> dict[str, Any]:
    """Child: analyse the window at SLOT; return the summary's status and report URI."""
    import boto3
    from botocore.config import Config

    from airflow_mm_provider.runner import analyse_window

    def client() -> Any:
        return boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
            config=Config(s3={"addressing_style": "path"}),
        )

    summary = analyse_window(
        monitoring_type,
        _definition(monitoring_type, records),
        monitoring_schedule_name=f"bench-{monitoring_type.lower()}",
        slot=SLOT,
        s3_client_factory=client,
        capture_destination=CAPTURE,
    )
    return {key: summary[key] for key in ("monitoring_execution_status", "failure_reason", "report_uri")}


def _seed(s3: Any, records: int) -> None:
    """Upload one hour of N captured records with their ground truth (replacing an earlier size's)."""
    from airflow_mm_provider.local.synthetic import hour_files, make_traffic

    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="capture/"):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    files = hour_files(
        make_traffic(records, 11),
        HOUR,
        11,
        destination=CAPTURE,
        endpoint="ep",
        ground_truth=GROUND_TRUTH,
        records_per_file=RECORDS_PER_FILE,
    )
    for uri, body in files.objects.items():
        s3.put_object(Bucket=BUCKET, Key=uri[len(f"s3://{BUCKET}/") :], Body=body)


def _baselines(s3: Any) -> None:
    """Data-quality statistics and constraints, and model-quality constraints, of 2,000 healthy records."""
    from airflow_mm_provider.analysis import data_quality as dq
    from airflow_mm_provider.analysis import model_quality as mq
    from airflow_mm_provider.local.synthetic import FEATURES, make_traffic

    healthy = make_traffic(2000, 1)
    accumulator = dq.DataQualityAccumulator(list(FEATURES))
    accumulator.add_rows(healthy.inputs.tolist())
    statistics_json = accumulator.statistics()
    quality = mq.ModelQualityAccumulator("BinaryClassification")
    quality.add(healthy.labels.tolist(), healthy.predictions.tolist(), healthy.probabilities.tolist())
    documents = {
        "baseline/DataQuality/statistics.json": statistics_json,
        "baseline/DataQuality/constraints.json": dq.suggest_constraints(statistics_json),
        "baseline/ModelQuality/constraints.json": mq.suggest_constraints(quality.statistics()),
    }
    for key, document in documents.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(document).encode())


def run_size(service: Any, records: int, repeats: int) -> list[h.Measured]:
    """Seed N records and measure both monitors' window analyses."""
    _seed(service.client("s3"), records)
    entrants = [
        h.Entrant(
            f"{monitoring_type} window, one task",
            h.INFORMATIVE,
            analyse,
            (service.endpoint_url, monitoring_type, records),
        )
        for monitoring_type in ("DataQuality", "ModelQuality")
    ]
    measured = h.measure(entrants, repeats)
    for row in measured:
        if row.samples and row.result["monitoring_execution_status"] not in (
            "Completed",
            "CompletedWithViolations",
        ):
            row.failure = f"analysis ended {row.result}"
    return measured


def main() -> None:
    """Parse the options, run every size, print the tables."""
    from airflow_mm_provider.local.testing import LocalModelMonitor

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k,1M", help="comma-separated record counts (100k, 1M, ...)")
    h.add_common_options(parser)
    options = parser.parse_args()
    sizes = sorted({h.parse_size(size) for size in options.sizes.split(",")})
    print(f"self-hosted window benchmark on {h.machine()}; {options.repeats} interleaved repeats")
    walls = []
    with LocalModelMonitor(pending_seconds=0) as service:
        s3 = service.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        _baselines(s3)
        for records in sizes:
            measured = run_size(service, records, options.repeats)
            print(f"\n{h.size_label(records)} records")
            print(h.table(measured, records, measured[0]))
            walls += [
                f"{h.size_label(records):>6} {row.entrant.name:<36} wall min "
                f"{min(s.wall_seconds for s in row.samples):.1f} s, median "
                f"{statistics.median(s.wall_seconds for s in row.samples):.1f} s"
                for row in measured
                if row.samples
            ]
    print("\nwall seconds (spawn to exit, S3 on loopback)")
    print("\n".join(walls))


if __name__ == "__main__":
    main()
