"""Processing jobs: the API handlers and the bookkeeping around one local run."""

from __future__ import annotations

import threading
from typing import Any

from airflow_mm_provider.local.context import ServiceContext
from airflow_mm_provider.local.errors import in_use, validation_error
from airflow_mm_provider.local.listing import paginate, time_filters
from airflow_mm_provider.local.resources import public, store_tags
from airflow_mm_provider.monitoring.images import (
    is_analyzer_image,
    is_clarify_image,
    is_groundtruth_merger_image,
)
from airflow_mm_provider.processing.job_runner import STOPPED_RESULT, JobResult, RunOptions

TERMINAL = ("Completed", "Failed", "Stopped")
JOB_SORT_FIELDS = {"Name": "ProcessingJobName", "Status": "ProcessingJobStatus"}


def image_mode(image_uri: str) -> str | None:
    """Engine entry point for an image: ``analyzer``, ``clarify``, ``merge``, or None for any other image."""
    if is_analyzer_image(image_uri):
        return "analyzer"
    if is_clarify_image(image_uri):
        return "clarify"
    if is_groundtruth_merger_image(image_uri):
        return "merge"
    return None


def unsupported_image(image_uri: str) -> str:
    """FailureReason for an image the local service cannot run."""
    return (
        f"ClientError: image {image_uri} is not a Model Monitor analyzer, ground-truth merger or Clarify "
        "processing image; the local service only runs those"
    )


def register_job(
    ctx: ServiceContext, request: dict[str, Any], schedule_arn: str | None = None
) -> dict[str, Any]:
    """Store a new ``InProgress`` processing job built from a CreateProcessingJob-shaped request.

    Once the service is shutting down, the job is stopped from the start.
    """
    name = request["ProcessingJobName"]
    with ctx.store.lock:
        if name in ctx.store.processing_jobs:
            raise in_use(f"Processing job {name} already exists.")
        now = ctx.clock.now()
        record = {k: v for k, v in request.items() if k != "Tags"}
        record.update(
            ProcessingJobArn=ctx.arn("processing-job", name),
            ProcessingJobStatus="InProgress",
            CreationTime=now,
            LastModifiedTime=now,
            ProcessingStartTime=now,
            MonitoringScheduleArn=schedule_arn,
            _seq=ctx.store.next_seq(),
        )
        ctx.store.processing_jobs[name] = record
        stop = ctx.stop_events[name] = threading.Event()
        if ctx.stopping.is_set():
            stop.set()
        ctx.store.touch("processing_jobs", name)
        store_tags(ctx, record["ProcessingJobArn"], request.get("Tags"))
    return record


def finish_job(ctx: ServiceContext, record: dict[str, Any], result: JobResult) -> None:
    """Record how a job ended."""
    with ctx.store.lock:
        now = ctx.clock.now()
        record.update(
            ProcessingJobStatus=result.status,
            ExitMessage=result.exit_message,
            FailureReason=result.failure_reason,
            ProcessingEndTime=now,
            LastModifiedTime=now,
        )
        ctx.stop_events.pop(record["ProcessingJobName"], None)
        ctx.store.touch("processing_jobs", record["ProcessingJobName"])


def run_job(
    ctx: ServiceContext,
    record: dict[str, Any],
    mode: str | None,
    options: RunOptions | None = None,
) -> JobResult:
    """Run a registered job to its end in the calling thread and record the result."""
    if mode is None:
        result = JobResult("Failed", failure_reason=unsupported_image(record["AppSpecification"]["ImageUri"]))
    else:
        stop = ctx.stop_events.get(record["ProcessingJobName"]) or threading.Event()
        try:
            result = ctx.runner.run(record, mode, stop, options or RunOptions())
        except (
            Exception
        ) as err:  # an infrastructure failure (S3, engine import) fails the job, not the server
            result = JobResult("Failed", failure_reason=f"InternalServerError: {err}"[:1024])
    finish_job(ctx, record, result)
    return result


def _declared_paths(req: dict[str, Any]) -> list[str]:
    """The container paths a processing job declares: its inputs' and outputs' LocalPaths."""
    inputs = [(i.get("S3Input") or {}).get("LocalPath") for i in req.get("ProcessingInputs") or []]
    outputs = [
        (o.get("S3Output") or {}).get("LocalPath")
        for o in (req.get("ProcessingOutputConfig") or {}).get("Outputs") or []
    ]
    return [path.rstrip("/") for path in inputs + outputs if path]


def check_environment_paths(req: dict[str, Any]) -> None:
    """Environment values that name paths must lie inside a declared input or output LocalPath.

    A job reads only its ProcessingInputs; a value naming any other path (a host file) is refused.
    """
    declared = _declared_paths(req)
    for name, value in (req.get("Environment") or {}).items():
        if not (value.startswith("/") or value.startswith("~") or "../" in value):
            continue
        inside = any(value == root or value.startswith(root + "/") for root in declared)
        if not inside or ".." in value.split("/"):
            raise validation_error(
                f"Environment.{name}: {value!r} is not inside a ProcessingInputs or ProcessingOutputs "
                "LocalPath; processing jobs read only their declared inputs"
            )


def create_processing_job(ctx: ServiceContext, req: dict[str, Any]) -> dict[str, Any]:
    """CreateProcessingJob: runs in the background with the analyzer or Clarify engine, chosen by image."""
    check_environment_paths(req)
    record = register_job(ctx, req)
    try:
        ctx.workers.submit(run_job, ctx, record, image_mode(req["AppSpecification"]["ImageUri"]))
    except RuntimeError:  # the worker pool is shut down: the service is stopping
        finish_job(ctx, record, STOPPED_RESULT)
    return {"ProcessingJobArn": record["ProcessingJobArn"]}


def _job(ctx: ServiceContext, name: str) -> dict[str, Any]:
    """The processing job ``name``, or the ValidationException SageMaker's ``Describe*Job`` answer for a
    missing job (not ResourceNotFound)."""
    record = ctx.store.processing_jobs.get(name)
    if record is None:
        raise validation_error(f"Could not find requested job with name {name}")
    return record


def describe_processing_job(ctx: ServiceContext, req: dict[str, Any]) -> dict[str, Any]:
    """DescribeProcessingJob."""
    with ctx.store.lock:
        return public(_job(ctx, req["ProcessingJobName"]))


def stop_processing_job(ctx: ServiceContext, req: dict[str, Any]) -> dict[str, Any]:
    """StopProcessingJob: ``Stopping`` until the run notices, then ``Stopped``."""
    with ctx.store.lock:
        record = _job(ctx, req["ProcessingJobName"])
        if record["ProcessingJobStatus"] in TERMINAL:
            raise validation_error(
                f"Job {record['ProcessingJobName']} is in status "
                f"{record['ProcessingJobStatus']} and cannot be stopped."
            )
        record.update(ProcessingJobStatus="Stopping", LastModifiedTime=ctx.clock.now())
        event = ctx.stop_events.get(record["ProcessingJobName"])
        if event is not None:
            event.set()
        ctx.store.touch("processing_jobs", record["ProcessingJobName"])
    return {}


def list_processing_jobs(ctx: ServiceContext, req: dict[str, Any]) -> dict[str, Any]:
    """ListProcessingJobs with its filters, sort and pagination."""
    predicates = time_filters(req, {"CreationTime": "CreationTime", "LastModifiedTime": "LastModifiedTime"})
    contains, status = req.get("NameContains"), req.get("StatusEquals")
    with ctx.store.lock:
        records = [
            j
            for j in ctx.store.processing_jobs.values()
            if (contains is None or contains in j["ProcessingJobName"])
            and (status is None or j["ProcessingJobStatus"] == status)
            and all(p(j) for p in predicates)
        ]
        field = JOB_SORT_FIELDS.get(req.get("SortBy", ""), "CreationTime")
        page, token = paginate(records, lambda j: j[field], req)
        keys = (
            "ProcessingJobName",
            "ProcessingJobArn",
            "CreationTime",
            "ProcessingEndTime",
            "LastModifiedTime",
            "ProcessingJobStatus",
            "FailureReason",
            "ExitMessage",
        )
        summaries = [{k: j.get(k) for k in keys} for j in page]
    return {"ProcessingJobSummaries": summaries, "NextToken": token}
