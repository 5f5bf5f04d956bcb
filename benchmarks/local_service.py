"""Throughput and latency of the local Model Monitor service (``mm-local``), printed as plain text.

Measures, against a service started in this process:

1. requests/second of DescribeMonitoringSchedule (sequential boto3 client);
2. requests/second of ListMonitoringExecutions (MaxResults 100, following NextToken) with ``--executions``
   stored executions;
3. wall time from a model-quality slot coming due to its execution's terminal status, for one hour of
   ``--records`` synthetic captured records with ground truth (merge job + analysis job);
4. requests/second of a mixed write workload (CreateEndpointConfig, DescribeEndpointConfig, S3 PutObject,
   S3 GetObject; ``--mixed-operations`` of each per batch) with a state directory (durable: every answer
   follows a committed SQLite transaction) and without (in-memory SQLite), interleaved ``--repeats`` times;
5. per-request latency of CreateDataQualityJobDefinition and DescribeMonitoringSchedule (durable) with no
   stored executions and with ``--stored-executions`` executions of the described schedule;
6. restart time with those executions: new service on the same state directory until its first
   ListMonitoringExecutions answer, and the database file size.

All times are wall-clock (``time.perf_counter``). A TARGETS section closes the output.

Run: ``python benchmarks/local_service.py [--describe-requests N] [--list-requests N] [--executions N]
[--records N] [--max-seconds S] [--mixed-operations N] [--latency-requests N] [--stored-executions N]
[--repeats N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any

from harness import Target, report, spread

from airflow_mm_provider.local.database import DATABASE_FILE
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
VARIANT = {
    "VariantName": "AllTraffic",
    "ModelName": "m",
    "InitialInstanceCount": 1,
    "InstanceType": "ml.m5.large",
}
ONE_TRY = {"total_max_attempts": 1}
WARMUP_OPERATIONS = 10
SMALL_BODY = b"x" * 256


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
    sm.create_endpoint_config(
        EndpointConfigName=f"{name}-config", ProductionVariants=[VARIANT], **(extra if capture else {})
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


def data_quality_definition(sm: Any, name: str, endpoint_name: str) -> None:
    """A data-quality job definition reading ``endpoint_name``."""
    sm.create_data_quality_job_definition(
        JobDefinitionName=name,
        DataQualityAppSpecification={"ImageUri": ANALYZER},
        DataQualityJobInput={"EndpointInput": {"EndpointName": endpoint_name, "LocalPath": "/opt/ml/input"}},
        DataQualityJobOutputConfig=OUTPUT,
        JobResources=CLUSTER,
        RoleArn=ROLE,
    )


def api_rates(service: LocalModelMonitor, args: argparse.Namespace) -> None:
    """Describe and list rates, with ``args.executions`` executions stored for one schedule."""
    sm = service.client("sagemaker", retries=ONE_TRY)
    endpoint(sm, "quiet", capture=False)
    data_quality_definition(sm, "dq", "quiet")
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


def temporary_state(durable: bool) -> AbstractContextManager[str | None]:
    """A temporary state directory (removed on exit) when ``durable``, else no directory (in-memory)."""
    return tempfile.TemporaryDirectory(prefix="mm-bench-") if durable else nullcontext(None)


def mixed_batch(durable: bool, operations: int) -> float:
    """Requests/second of ``operations`` rounds of CreateEndpointConfig, DescribeEndpointConfig, S3 PutObject
    and S3 GetObject against a fresh service (started, and warmed up, before the clock starts)."""
    with (
        temporary_state(durable) as directory,
        LocalModelMonitor(state_dir=directory, pending_seconds=0) as service,
    ):
        sm, s3 = service.client("sagemaker", retries=ONE_TRY), service.client("s3", retries=ONE_TRY)
        s3.create_bucket(Bucket=BUCKET)

        def one(name: str) -> None:
            sm.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[VARIANT])
            sm.describe_endpoint_config(EndpointConfigName=name)
            s3.put_object(Bucket=BUCKET, Key=f"mixed/{name}", Body=SMALL_BODY)
            s3.get_object(Bucket=BUCKET, Key=f"mixed/{name}")["Body"].read()

        for number in range(WARMUP_OPERATIONS):
            one(f"warmup-{number}")
        started = time.perf_counter()
        for number in range(operations):
            one(f"config-{number}")
        return 4 * operations / (time.perf_counter() - started)


def write_throughput(args: argparse.Namespace) -> list[Target]:
    """Mixed-workload requests/second, durable against in-memory, interleaved over ``args.repeats`` rounds."""
    rates: dict[bool, list[float]] = {True: [], False: []}
    for repeat in range(args.repeats):
        for durable in (False, True) if repeat % 2 == 0 else (True, False):
            rates[durable].append(mixed_batch(durable, args.mixed_operations))
    print(
        f"mixed writes ({args.mixed_operations} each of CreateEndpointConfig, DescribeEndpointConfig, "
        f"S3 PutObject ({len(SMALL_BODY)} B), S3 GetObject per batch; {args.repeats} batches per mode, "
        f"interleaved; sequential boto3, wall clock):"
    )
    for durable, label in ((False, "in-memory"), (True, "durable (--state-dir)")):
        print(
            f"  {label}: {spread(rates[durable], 'requests/s', 0)}; best {max(rates[durable]):.0f} requests/s"
        )
    ratio = statistics.median(rates[True]) / statistics.median(rates[False])
    print(f"  durable/in-memory (median requests/s): {ratio:.2f}")
    return [Target("durable/in-memory mixed-write requests/s >= 0.5", f"{ratio:.2f}", ratio >= 0.5)]


def seed_executions(service: LocalModelMonitor, schedule_name: str, count: int) -> None:
    """Store ``count`` completed hourly executions of ``schedule_name`` straight into the store (one commit),
    then move the service clock past the last one."""
    store = service.service.ctx.store
    described = service.client("sagemaker", retries=ONE_TRY).describe_monitoring_schedule(
        MonitoringScheduleName=schedule_name
    )
    config = described["MonitoringScheduleConfig"]
    jobs = f"arn:aws:sagemaker:{service.region}:{service.config.account_id}:processing-job/model-monitoring"
    with store.lock:
        for number in range(1, count + 1):
            slot = START + number * HOUR
            finished = slot + timedelta(minutes=7)
            store.add_execution(
                {
                    "MonitoringScheduleName": schedule_name,
                    "ScheduledTime": slot,
                    "CreationTime": slot,
                    "LastModifiedTime": finished,
                    "MonitoringExecutionStatus": "Completed",
                    "ProcessingJobArn": f"{jobs}-{slot:%Y%m%d%H%M}-bench",
                    "EndpointName": described.get("EndpointName"),
                    "MonitoringType": config["MonitoringType"],
                    "MonitoringJobDefinitionName": config["MonitoringJobDefinitionName"],
                    "_seq": store.next_seq(),
                }
            )
    service.set_clock(START + (count + 1) * HOUR)


def monitored_service(directory: str, executions: int) -> LocalModelMonitor:
    """A started service on ``directory`` with one data-quality schedule (``busy``) holding ``executions``."""
    service = LocalModelMonitor(state_dir=directory, pending_seconds=0).start()
    service.set_clock(START)
    sm = service.client("sagemaker", retries=ONE_TRY)
    endpoint(sm, "quiet", capture=False)
    data_quality_definition(sm, "dq", "quiet")
    schedule(sm, "busy", "dq", "DataQuality")
    if executions:
        started = time.perf_counter()
        seed_executions(service, "busy", executions)
        print(f"seeded {executions} executions through the store in {time.perf_counter() - started:.2f} s")
    return service


def elapsed_ms(call: Callable[[], Any]) -> float:
    """Wall-clock milliseconds of one ``call()``."""
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def stored_latency(args: argparse.Namespace, directory: str) -> list[Target]:
    """Create and describe latency (durable) with 0 and ``args.stored_executions`` stored executions; the
    loaded service's state stays in ``directory``.

    Both services run side by side; each round alternates them request by request (which one goes first
    flips every round), so load from elsewhere on the machine hits both alike.
    """
    sizes = (0, args.stored_executions)
    with tempfile.TemporaryDirectory(prefix="mm-bench-") as empty_dir:
        services = {0: monitored_service(empty_dir, 0)}
        try:
            services[args.stored_executions] = monitored_service(directory, args.stored_executions)
            clients = {size: services[size].client("sagemaker", retries=ONE_TRY) for size in sizes}
            for sm in clients.values():
                for _ in range(WARMUP_OPERATIONS):
                    sm.describe_monitoring_schedule(MonitoringScheduleName="busy")
            creates: dict[int, list[float]] = {size: [] for size in sizes}
            describes: dict[int, list[float]] = {size: [] for size in sizes}
            per_round = max(1, args.latency_requests // args.repeats)
            for repeat in range(args.repeats):
                order = sizes if repeat % 2 == 0 else sizes[::-1]
                for number in range(repeat * per_round, (repeat + 1) * per_round):
                    for size in order:
                        create = partial(data_quality_definition, clients[size], f"dq-{number}", "quiet")
                        creates[size].append(elapsed_ms(create))
                    for size in order:
                        describe = partial(
                            clients[size].describe_monitoring_schedule, MonitoringScheduleName="busy"
                        )
                        describes[size].append(elapsed_ms(describe))
        finally:
            for service in services.values():
                service.stop()
    print(
        f"durable latency per request ({per_round * args.repeats} requests per operation and store, "
        f"{args.repeats} interleaved rounds, wall clock):"
    )
    targets = []
    for operation, taken in (
        ("CreateDataQualityJobDefinition", creates),
        ("DescribeMonitoringSchedule", describes),
    ):
        for size in sizes:
            print(f"  {operation}, {size} stored executions: {spread(taken[size], 'ms', 2)}")
        ratio = statistics.median(taken[sizes[1]]) / statistics.median(taken[0])
        print(f"  {operation} {sizes[1]}/empty (median): {ratio:.2f}")
        targets.append(
            Target(f"{operation} median latency {sizes[1]}/empty <= 2", f"{ratio:.2f}", ratio <= 2)
        )
    return targets


def restart_time(args: argparse.Namespace, directory: str) -> None:
    """Time from constructing a service on ``directory`` to its first ListMonitoringExecutions answer."""
    loads: list[float] = []
    answers: list[float] = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        with LocalModelMonitor(state_dir=directory, pending_seconds=0) as service:
            loaded = time.perf_counter()
            sm = service.client("sagemaker", retries=ONE_TRY)
            page = sm.list_monitoring_executions(MonitoringScheduleName="busy", MaxResults=1)
            answered = time.perf_counter()
            stored = service.control("GET", "status")["counts"]["monitoring_executions"]
        if stored != args.stored_executions or len(page["MonitoringExecutionSummaries"]) != 1:
            raise SystemExit(f"restart found {stored} executions, expected {args.stored_executions}")
        loads.append(loaded - started)
        answers.append(answered - started)
    files = sorted(Path(directory).glob(f"{DATABASE_FILE}*"))
    sizes = ", ".join(f"{path.name} {path.stat().st_size / 1e6:.1f} MB" for path in files)
    print(f"restart with {args.stored_executions} executions ({args.repeats} restarts, wall clock):")
    print(f"  construct + start (load database): {spread(loads, 's', 3)}")
    print(
        f"  construct + start + first ListMonitoringExecutions (MaxResults=1) answer, including creating "
        f"the boto3 client: {spread(answers, 's', 3)}"
    )
    print(f"  database files: {sizes}")


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
    parser.add_argument(
        "--mixed-operations", type=int, default=200, help="calls of each operation per mixed-write batch"
    )
    parser.add_argument(
        "--latency-requests", type=int, default=300, help="latency samples per operation and store size"
    )
    parser.add_argument(
        "--stored-executions", type=int, default=25_000, help="executions stored for latency and restart"
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="interleaved rounds / restarts per measurement"
    )
    args = parser.parse_args()
    if min(args.mixed_operations, args.latency_requests, args.stored_executions, args.repeats) < 1:
        parser.error("--mixed-operations, --latency-requests, --stored-executions and --repeats must be >= 1")
    with LocalModelMonitor(pending_seconds=0) as service:
        service.set_clock(START)
        service.client("s3").create_bucket(Bucket=BUCKET)
        api_rates(service, args)
        model_quality_latency(service, args)
    targets = write_throughput(args)
    with tempfile.TemporaryDirectory(prefix="mm-bench-") as directory:
        targets += stored_latency(args, directory)
        restart_time(args, directory)
    report(targets)


if __name__ == "__main__":
    main()
