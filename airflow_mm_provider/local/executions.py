"""Monitoring executions: create one per due slot, run its processing job(s), list them.

An execution starts ``Pending`` without a ProcessingJobArn, turns ``InProgress`` with the ARN of its
processing job (model quality and bias first run a ground-truth merge job, then the analysis job) and ends
``Completed``, ``CompletedWithViolations``, ``Failed`` or ``Stopped``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from airflow_mm_provider.analysis.jobs import SHAP_UNSUPPORTED
from airflow_mm_provider.local.context import ServiceContext
from airflow_mm_provider.local.jobs import MIRROR_PATH, NO_DATA, JobResult, RunOptions
from airflow_mm_provider.local.listing import paginate, time_filters
from airflow_mm_provider.local.processing import image_mode, register_job, run_job, unsupported_image
from airflow_mm_provider.local.resources import endpoint_capture, public
from airflow_mm_provider.local.schedules import due_slots, expression_of, job_of
from airflow_mm_provider.monitoring.images import (
    GROUNDTRUTH_MERGER_REPOSITORY,
    UnknownRegionError,
    groundtruth_merger_image_uri,
)
from airflow_mm_provider.monitoring.paths import join_s3, merge_output_uri, report_uri
from airflow_mm_provider.monitoring.times import HOUR, floor_hour
from airflow_mm_provider.monitoring.windows import AnalysisWindow, analysis_window, now_window

ANALYSIS_TYPES = {"DataQuality": "DATA_QUALITY", "ModelQuality": "MODEL_QUALITY", "ModelBias": "MODEL_BIAS"}
EXPECTED_IMAGE = {"DataQuality": "analyzer", "ModelQuality": "analyzer", "ModelBias": "clarify"}
MERGE_TYPES = ("ModelQuality", "ModelBias")
MERGE_JOB = "groundtruth-merge"
ANALYSIS_JOBS = {"ModelQuality": "model-quality-monitoring"}
"""Job name prefix per monitoring type, as real CloudWatch logs show it; ``model-monitoring`` for the types
whose real prefix no public source shows."""
ATTRIBUTE_ENV = {
    "InferenceAttribute": "inference_attribute",
    "ProbabilityAttribute": "probability_attribute",
    "ProbabilityThresholdAttribute": "probability_threshold_attribute",
    "FeaturesAttribute": "features_attribute",
    "ExcludeFeaturesAttribute": "exclude_features_attribute",
}
CONTAINER = "/opt/ml/processing"
_HOUR_FOLDER = re.compile(r"(?:^|/)(\d{4}/\d{2}/\d{2}/\d{2})/")
EXECUTION_SORT_FIELDS = {"ScheduledTime": "ScheduledTime", "Status": "MonitoringExecutionStatus"}
FIXED_FIELDS = ("ScheduledTime", "CreationTime")


@dataclass
class MonitoringJob:
    """A job definition (inline or by reference) in one normalised form.

    monitoring_type: DataQuality..; app: the app specification; holder: the EndpointInput/BatchTransformInput
    holder; output: ``MonitoringOutputs[0].S3Output``; baseline: the baseline config; rest: resources,
    stopping condition, role and network config as processing-job members.
    """

    monitoring_type: str
    app: dict[str, Any]
    environment: dict[str, str]
    holder: dict[str, Any]
    ground_truth_uri: str | None
    output: dict[str, Any]
    baseline: dict[str, Any]
    rest: dict[str, Any] = field(default_factory=dict)


def normalise(ctx: ServiceContext, config: dict[str, Any]) -> MonitoringJob | None:
    """The MonitoringJob of a schedule config, or None when its job definition is gone."""
    monitoring_type, definition = job_of(ctx, config)
    inline = config.get("MonitoringJobDefinition")
    if inline is not None:
        return MonitoringJob(
            monitoring_type,
            inline["MonitoringAppSpecification"],
            dict(inline.get("Environment") or {}),
            inline["MonitoringInputs"][0],
            None,
            inline["MonitoringOutputConfig"]["MonitoringOutputs"][0]["S3Output"],
            inline.get("BaselineConfig") or {},
            _rest(
                inline["MonitoringResources"],
                inline.get("StoppingCondition"),
                inline["RoleArn"],
                inline.get("NetworkConfig"),
            ),
        )
    if definition is None:
        return None
    prefix = monitoring_type
    holder = definition[f"{prefix}JobInput"]
    app = definition[f"{prefix}AppSpecification"]
    return MonitoringJob(
        monitoring_type,
        app,
        dict(app.get("Environment") or {}),
        holder,
        (holder.get("GroundTruthS3Input") or {}).get("S3Uri"),
        definition[f"{prefix}JobOutputConfig"]["MonitoringOutputs"][0]["S3Output"],
        definition.get(f"{prefix}BaselineConfig") or {},
        _rest(
            definition["JobResources"],
            definition.get("StoppingCondition"),
            definition["RoleArn"],
            definition.get("NetworkConfig"),
        ),
    )


def _rest(
    resources: dict[str, Any], stopping: dict[str, Any] | None, role: str, network: dict[str, Any] | None
) -> dict[str, Any]:
    """Processing-job members shared by every job of an execution."""
    rest: dict[str, Any] = {"ProcessingResources": resources, "RoleArn": role}
    if stopping:
        rest["StoppingCondition"] = stopping
    if network:
        rest["NetworkConfig"] = {
            k: v for k, v in network.items() if k != "EnableInterContainerTrafficEncryption"
        }
    return rest


def _hours(start: datetime, end: datetime) -> set[str]:
    """``yyyy/mm/dd/hh`` folders of the hours overlapping ``[start, end)``."""
    hours, hour = set(), floor_hour(start)
    while hour < end:
        hours.add(hour.strftime("%Y/%m/%d/%H"))
        hour += HOUR
    return hours


def _in_hours(hours: set[str]) -> Callable[[str], bool]:
    """Key filter keeping objects inside one of ``hours``' folders."""
    return lambda key: any(m in hours for m in _HOUR_FOLDER.findall(key))


def _iso(t: datetime) -> str:
    """``2024-01-01T00:00:00Z``."""
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _s3_input(name: str, uri: str, local_path: str, data_type: str = "S3Prefix") -> dict[str, Any]:
    """One ProcessingInput."""
    return {
        "InputName": name,
        "S3Input": {
            "S3Uri": uri,
            "LocalPath": local_path,
            "S3DataType": data_type,
            "S3InputMode": "File",
            "S3DataDistributionType": "FullyReplicated",
        },
    }


def _s3_output(uri: str, local_path: str, mode: str = "Continuous") -> dict[str, Any]:
    """A ProcessingOutputConfig with one output."""
    return {
        "Outputs": [
            {
                "OutputName": "monitoring_output",
                "S3Output": {"S3Uri": uri, "LocalPath": local_path, "S3UploadMode": mode},
            }
        ]
    }


@dataclass
class ExecutionPlan:
    """What one execution runs: processing-job requests with their input options (the ground-truth merge
    job only for model quality and bias)."""

    merge: dict[str, Any] | None
    merge_options: RunOptions
    analysis: dict[str, Any]
    analysis_options: RunOptions


def _window(schedule: dict[str, Any], job: MonitoringJob, slot: datetime) -> AnalysisWindow:
    """The analysis window of the run at ``slot``.

    A ``NOW`` run analyses its analysis times from the moment the schedule was created (or updated). A
    recurring run takes each edge from the schedule's analysis time when given, else from the job input's
    offset, else the period before the slot.
    """
    expression = expression_of(schedule)
    config = schedule["MonitoringScheduleConfig"].get("ScheduleConfig") or {}
    start, end = config.get("DataAnalysisStartTime"), config.get("DataAnalysisEndTime")
    if expression.is_now:
        return now_window(schedule.get("_analysis_anchor", slot), start, end)
    source = _data_source(job)
    return analysis_window(
        slot,
        expression.period_before(slot),
        start or source.get("StartTimeOffset"),
        end or source.get("EndTimeOffset"),
    )


def _data_source(job: MonitoringJob) -> dict[str, Any]:
    """The job's EndpointInput or BatchTransformInput (raises ValueError when it has neither)."""
    source: dict[str, Any] | None = job.holder.get("EndpointInput") or job.holder.get("BatchTransformInput")
    if source is None:
        raise ValueError("the monitoring input has neither EndpointInput nor BatchTransformInput")
    return source


def plan(
    ctx: ServiceContext, schedule: dict[str, Any], job: MonitoringJob, execution: dict[str, Any]
) -> ExecutionPlan:
    """Build the processing-job requests of an execution (raises ValueError when it cannot run)."""
    slot = execution["ScheduledTime"]
    window = _window(schedule, job, slot)
    endpoint_input, batch_input = job.holder.get("EndpointInput"), job.holder.get("BatchTransformInput")
    source = _data_source(job)
    schedule_name = schedule["MonitoringScheduleName"]
    endpoint = execution.get("EndpointName")
    if endpoint_input:
        capture = endpoint_capture(ctx, endpoint) if endpoint else None
        if not capture or not capture.get("EnableCapture", True):
            raise ValueError(f"{NO_DATA}: endpoint {endpoint} does not capture data")
        data_name, data_uri = "endpointdata", join_s3(capture["DestinationS3Uri"], endpoint) + "/"
        dataset_format: dict[str, Any] = {
            "sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}
        }
    else:
        data_name, data_uri = "batchdata", source["DataCapturedDestinationS3Uri"]
        dataset_format = {
            k.lower(): {kk.lower(): vv for kk, vv in v.items()} for k, v in source["DatasetFormat"].items()
        }
    data_input = _s3_input(data_name, data_uri, source["LocalPath"])
    keep = {data_name: _in_hours(_hours(window.start, window.end))}
    manifests = (data_name,) if batch_input else ()
    output_path = job.output["LocalPath"]
    environment = {
        **job.environment,
        "dataset_format": json.dumps(dataset_format),
        "dataset_source": source["LocalPath"],
        "output_path": output_path,
        "analysis_type": ANALYSIS_TYPES.get(job.monitoring_type, ""),
        "publish_cloudwatch_metrics": "Disabled",
        "sagemaker_monitoring_schedule_name": schedule_name,
        "start_time": _iso(window.start),
        "end_time": _iso(window.end),
        "metric_time": _iso(window.start),
    }
    if endpoint:
        environment["sagemaker_endpoint_name"] = endpoint
    environment.update({env: str(source[key]) for key, env in ATTRIBUTE_ENV.items() if key in source})
    if "ProblemType" in job.app:
        environment["problem_type"] = job.app["ProblemType"]
    inputs = [data_input]
    for key, name in (("ConstraintsResource", "constraints"), ("StatisticsResource", "baseline")):
        uri = (job.baseline.get(key) or {}).get("S3Uri")
        if uri:
            local = f"{CONTAINER}/baseline/{name}"
            inputs.append(_s3_input(name, uri, local, "S3Prefix"))
            environment[f"baseline_{'constraints' if name == 'constraints' else 'statistics'}"] = (
                f"{local}/{uri.rstrip('/').rsplit('/', 1)[-1]}"
            )
    if "ConfigUri" in job.app:
        local = f"{CONTAINER}/input/config"
        inputs.append(_s3_input("analysis_config", job.app["ConfigUri"], local))
        environment["analysis_config"] = f"{local}/{job.app['ConfigUri'].rstrip('/').rsplit('/', 1)[-1]}"
    merge = None
    analysis_options = RunOptions(keep, (data_name,), manifests)
    if batch_input:
        environment["dataset_source"] = MIRROR_PATH
    if job.monitoring_type in MERGE_TYPES:
        if job.ground_truth_uri is None:
            raise ValueError(f"{job.monitoring_type} monitoring needs a GroundTruthS3Input")
        merged_uri = merge_output_uri(job.output["S3Uri"], schedule_name, slot, endpoint)
        gt_local = f"{CONTAINER}/groundtruth"
        merge = _job_request(
            ctx,
            job,
            MERGE_JOB,
            execution,
            [data_input, _s3_input("groundtruth", job.ground_truth_uri, gt_local)],
            _s3_output(merged_uri, f"{CONTAINER}/output"),
            {
                **environment,
                "dataset_source": source["LocalPath"],
                "ground_truth_source": gt_local,
                "output_path": f"{CONTAINER}/output",
            },
            image_uri=_merger_image(ctx),
        )
        keep["groundtruth"] = _in_hours(_hours(window.start, slot + HOUR))
        analysis_options = RunOptions()
        merged_local = f"{CONTAINER}/input/merged"
        inputs[0] = _s3_input("merged", merged_uri, merged_local)
        environment["dataset_source"] = merged_local
        environment["dataset_format"] = json.dumps(
            {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}
        )
    report = report_uri(job.output["S3Uri"], schedule_name, slot, endpoint)
    analysis = _job_request(
        ctx,
        job,
        ANALYSIS_JOBS.get(job.monitoring_type, "model-monitoring"),
        execution,
        inputs,
        _s3_output(report, output_path, job.output.get("S3UploadMode", "Continuous")),
        environment,
    )
    merge_options = RunOptions(keep, (data_name, "groundtruth"), manifests)
    return ExecutionPlan(merge, merge_options, analysis, analysis_options)


def _job_request(
    ctx: ServiceContext,
    job: MonitoringJob,
    base: str,
    execution: dict[str, Any],
    inputs: list[dict[str, Any]],
    outputs: dict[str, Any],
    environment: dict[str, str],
    image_uri: str | None = None,
) -> dict[str, Any]:
    """A CreateProcessingJob-shaped request for one job of an execution.

    Names are ``<base>-<yyyymmddHHMM of the slot>-<24 hex digits shared by the jobs of one execution>``, the
    shape of real monitoring job names. ``image_uri`` replaces the job definition's app (the merge job).
    """
    digest = hashlib.sha256(f"{execution['MonitoringScheduleName']}/{execution['_seq']}".encode())
    name = f"{base}-{execution['ScheduledTime']:%Y%m%d%H%M}-{digest.hexdigest()[:24]}"
    app = {"ImageUri": image_uri} if image_uri else job.app
    return {
        "ProcessingJobName": name,
        "ProcessingInputs": inputs,
        "ProcessingOutputConfig": outputs,
        "AppSpecification": {
            k: app[k] for k in ("ImageUri", "ContainerEntrypoint", "ContainerArguments") if k in app
        },
        "Environment": {k: v[:256] for k, v in environment.items()},
        **job.rest,
    }


def _merger_image(ctx: ServiceContext) -> str:
    """The ground-truth merger image of the service's region (under the service's account elsewhere)."""
    try:
        return groundtruth_merger_image_uri(ctx.config.region)
    except UnknownRegionError:
        registry = f"{ctx.config.account_id}.dkr.ecr.{ctx.config.region}.amazonaws.com"
        return f"{registry}/{GROUNDTRUTH_MERGER_REPOSITORY}"


def _set_execution(ctx: ServiceContext, execution: dict[str, Any], **changes: Any) -> None:
    """Update an execution and its LastModifiedTime."""
    with ctx.store.lock:
        execution.update(changes, LastModifiedTime=max(ctx.clock.now(), execution["CreationTime"]))
        ctx.store.touch_execution(execution)


def _final_status(result: JobResult) -> str:
    """Execution status of a finished analysis job."""
    if result.status == "Completed" and (result.exit_message or "").startswith("CompletedWithViolations"):
        return "CompletedWithViolations"
    return result.status


def execute(
    ctx: ServiceContext, schedule: dict[str, Any], job: MonitoringJob | None, execution: dict[str, Any]
) -> None:
    """Run one execution to a terminal status."""
    try:
        if job is None:
            raise ValueError(
                f"Job definition {execution.get('MonitoringJobDefinitionName')} no longer exists"
            )
        if job.monitoring_type == "ModelExplainability":
            raise ValueError(SHAP_UNSUPPORTED)
        if image_mode(job.app["ImageUri"]) != EXPECTED_IMAGE[job.monitoring_type]:
            raise ValueError(unsupported_image(job.app["ImageUri"]))
        steps = plan(ctx, schedule, job, execution)
    except Exception as err:  # whatever stops the plan fails this execution, never the worker
        _set_execution(ctx, execution, MonitoringExecutionStatus="Failed", FailureReason=str(err)[:1024])
        return
    arn = schedule["MonitoringScheduleArn"]
    if steps.merge is not None:
        record = register_job(ctx, steps.merge, arn)
        _set_execution(
            ctx,
            execution,
            MonitoringExecutionStatus="InProgress",
            ProcessingJobArn=record["ProcessingJobArn"],
        )
        result = run_job(ctx, record, "merge", steps.merge_options)
        if result.status != "Completed":
            _set_execution(
                ctx, execution, MonitoringExecutionStatus=result.status, FailureReason=result.failure_reason
            )
            return
    record = register_job(ctx, steps.analysis, arn)
    _set_execution(
        ctx, execution, MonitoringExecutionStatus="InProgress", ProcessingJobArn=record["ProcessingJobArn"]
    )
    result = run_job(ctx, record, EXPECTED_IMAGE[job.monitoring_type], steps.analysis_options)
    _set_execution(
        ctx, execution, MonitoringExecutionStatus=_final_status(result), FailureReason=result.failure_reason
    )


def _new_execution(ctx: ServiceContext, schedule: dict[str, Any], slot: datetime) -> dict[str, Any]:
    """A ``Pending`` execution for ``slot`` (stored; call under lock)."""
    config = schedule["MonitoringScheduleConfig"]
    created = slot + ctx.clock.start_delay(schedule["MonitoringScheduleName"], slot)
    if expression_of(schedule).is_now:
        created = max(created, schedule["_cursor"])
    execution = {
        "MonitoringScheduleName": schedule["MonitoringScheduleName"],
        "ScheduledTime": slot,
        "CreationTime": created,
        "LastModifiedTime": created,
        "MonitoringExecutionStatus": "Pending",
        "EndpointName": schedule.get("EndpointName"),
        "MonitoringType": schedule["MonitoringType"],
        "MonitoringJobDefinitionName": config.get("MonitoringJobDefinitionName"),
        "_seq": ctx.store.next_seq(),
    }
    ctx.store.add_execution(execution)
    return execution


def run_due(
    ctx: ServiceContext, until: datetime | None = None, wait_done: bool = True
) -> list[dict[str, Any]]:
    """Create and start the executions of every slot due by ``until`` (default now); the clock moves there.

    With ``wait_done`` the call returns once they are all terminal.
    """
    if until is None:
        until = ctx.clock.now()
    else:
        ctx.clock.advance_to(until)
    started: list[tuple[dict[str, Any], MonitoringJob | None, dict[str, Any]]] = []
    with ctx.store.lock:
        for schedule in list(ctx.store.schedules.values()):
            for slot in due_slots(ctx, schedule, until):
                job = normalise(ctx, schedule["MonitoringScheduleConfig"])
                started.append((schedule, job, _new_execution(ctx, schedule, slot)))
    futures: list[Future[None]] = [ctx.workers.submit(execute, ctx, *item) for item in started]
    if wait_done:
        wait(futures)
    return [public(execution) for _, _, execution in started]


def list_executions(ctx: ServiceContext, req: dict[str, Any]) -> dict[str, Any]:
    """ListMonitoringExecutions with every filter, sort and pagination (default CreationTime, Descending)."""
    predicates = time_filters(
        req,
        {
            "ScheduledTime": "ScheduledTime",
            "CreationTime": "CreationTime",
            "LastModifiedTime": "LastModifiedTime",
        },
    )
    exact = {
        "EndpointName": "EndpointName",
        "StatusEquals": "MonitoringExecutionStatus",
        "MonitoringJobDefinitionName": "MonitoringJobDefinitionName",
        "MonitoringTypeEquals": "MonitoringType",
    }
    wanted = [(f, req[k]) for k, f in exact.items() if req.get(k) is not None]

    def keep(execution: dict[str, Any]) -> bool:
        return all(execution.get(f) == v for f, v in wanted) and all(p(execution) for p in predicates)

    name = req.get("MonitoringScheduleName")
    sort_field = EXECUTION_SORT_FIELDS.get(req.get("SortBy", ""), "CreationTime")
    with ctx.store.lock:
        if sort_field in FIXED_FIELDS:
            page, token = ctx.store.execution_index(name, sort_field).page(req, keep)
        else:
            pool = (
                ctx.store.executions_by_schedule.get(name, []) if name is not None else ctx.store.executions
            )
            page, token = paginate([e for e in pool if keep(e)], lambda e: e[sort_field], req)
        summaries = [public(e) for e in page]
    return {"MonitoringExecutionSummaries": summaries, "NextToken": token}
