"""Plan one monitoring execution: its processing-job requests and which S3 keys each input reads.

A Model Monitor execution at a slot analyses one window of captured data: model quality and bias first run a
ground-truth merge job, then the analysis job reads the merged records; data quality runs the analysis job
alone. :func:`plan_execution` builds those ``CreateProcessingJob``-shaped requests, with the options that
limit each input to the hour folders of the window. Pure: no service state, no network. ``mm-local`` and the
self-hosted runner plan with it, so both analyse the same window with the same jobs.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from airflow_mm_provider.monitoring.images import (
    GROUNDTRUTH_MERGER_REPOSITORY,
    UnknownRegionError,
    groundtruth_merger_image_uri,
)
from airflow_mm_provider.monitoring.paths import join_s3, merge_output_uri, report_uri
from airflow_mm_provider.monitoring.schedule import ScheduleExpression
from airflow_mm_provider.monitoring.times import HOUR, floor_hour
from airflow_mm_provider.monitoring.windows import AnalysisWindow, analysis_window, now_window
from airflow_mm_provider.processing.engine import MIRROR_PATH
from airflow_mm_provider.processing.job_runner import NO_DATA, JobResult, RunOptions

ANALYSIS_TYPES = {"DataQuality": "DATA_QUALITY", "ModelQuality": "MODEL_QUALITY", "ModelBias": "MODEL_BIAS"}
"""The ``analysis_type`` environment value per monitoring type."""
ENGINE_MODES = {"DataQuality": "analyzer", "ModelQuality": "analyzer", "ModelBias": "clarify"}
"""The engine entry point (Model Monitor image) that analyses each monitoring type."""
MERGE_TYPES = ("ModelQuality", "ModelBias")
"""Monitoring types whose execution first merges captured records with ground truth."""
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
"""The environment variable each job-input attribute becomes."""
CONTAINER = "/opt/ml/processing"
BASELINE_INPUTS = (
    ("ConstraintsResource", "constraints", "baseline_constraints"),
    ("StatisticsResource", "baseline", "baseline_statistics"),
)
"""Per baseline resource: its ProcessingInput name and the environment variable naming its file."""
CAPTURE_FORMAT = {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}
"""The ``dataset_format`` of endpoint capture files and of merged records."""
_HOUR_FOLDER = re.compile(r"(?:^|/)(\d{4}/\d{2}/\d{2}/\d{2})/")


@dataclass
class MonitoringJob:
    """A job definition (inline in a schedule or a ``Create<T>JobDefinition`` request) in one normalised form.

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


def inline_job(monitoring_type: str, inline: Mapping[str, Any]) -> MonitoringJob:
    """The MonitoringJob of a schedule's inline ``MonitoringJobDefinition``.

    :param monitoring_type: the schedule's monitoring type.
    :param inline: the ``MonitoringJobDefinition`` member of its ``MonitoringScheduleConfig``.
    """
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


def defined_job(monitoring_type: str, definition: Mapping[str, Any]) -> MonitoringJob:
    """The MonitoringJob of a job definition.

    :param monitoring_type: ``DataQuality``, ``ModelQuality``, ``ModelBias`` or ``ModelExplainability``.
    :param definition: the ``Create<T>JobDefinition`` request (or ``Describe<T>JobDefinition`` answer).
    """
    holder = definition[f"{monitoring_type}JobInput"]
    app = definition[f"{monitoring_type}AppSpecification"]
    return MonitoringJob(
        monitoring_type,
        app,
        dict(app.get("Environment") or {}),
        holder,
        (holder.get("GroundTruthS3Input") or {}).get("S3Uri"),
        definition[f"{monitoring_type}JobOutputConfig"]["MonitoringOutputs"][0]["S3Output"],
        definition.get(f"{monitoring_type}BaselineConfig") or {},
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


def data_source(job: MonitoringJob) -> dict[str, Any]:
    """The job's EndpointInput or BatchTransformInput (raises ValueError when it has neither).

    :param job: the normalised job definition.
    """
    source: dict[str, Any] | None = job.holder.get("EndpointInput") or job.holder.get("BatchTransformInput")
    if source is None:
        raise ValueError("the monitoring input has neither EndpointInput nor BatchTransformInput")
    return source


@dataclass(frozen=True)
class HourFolders:
    """Key filter keeping the objects inside one of some ``yyyy/mm/dd/hh`` hour folders (at any depth).

    :param hours: the ``yyyy/mm/dd/hh`` folders kept.
    """

    hours: frozenset[str]

    @classmethod
    def overlapping(cls, start: datetime, end: datetime) -> HourFolders:
        """The folders of the UTC hours overlapping ``[start, end)``.

        :param start: first instant (timezone-aware).
        :param end: end, excluded (timezone-aware).
        """
        hours, hour = set(), floor_hour(start)
        while hour < end:
            hours.add(hour.strftime("%Y/%m/%d/%H"))
            hour += HOUR
        return cls(frozenset(hours))

    def __call__(self, key: str) -> bool:
        """Whether ``key`` (relative to the input's S3 prefix) lies inside one of the folders."""
        return any(match in self.hours for match in _HOUR_FOLDER.findall(key))


def execution_window(
    expression: ScheduleExpression,
    slot: datetime,
    job: MonitoringJob,
    analysis_start: str | None = None,
    analysis_end: str | None = None,
    now_anchor: datetime | None = None,
) -> AnalysisWindow:
    """The analysis window of the run at ``slot``.

    A ``NOW`` run analyses its analysis times from the moment the schedule was created (or updated). A
    recurring run takes each edge from the schedule's analysis time when given, else from the job input's
    offset, else the period before the slot.

    :param expression: the schedule's expression.
    :param slot: the run's ``ScheduledTime`` (timezone-aware).
    :param job: the normalised job definition.
    :param analysis_start: the schedule's ``DataAnalysisStartTime``, if any.
    :param analysis_end: the schedule's ``DataAnalysisEndTime``, if any.
    :param now_anchor: when a ``NOW`` schedule was created (default ``slot``).
    """
    if expression.is_now:
        return now_window(now_anchor or slot, analysis_start, analysis_end)
    source = data_source(job)
    return analysis_window(
        slot,
        expression.period_before(slot),
        analysis_start or source.get("StartTimeOffset"),
        analysis_end or source.get("EndTimeOffset"),
    )


def merger_image(region: str, account_id: str) -> str:
    """The ground-truth merger image of ``region`` (under ``account_id`` in a region without a published one).

    :param region: the AWS region.
    :param account_id: the account whose registry stands in for an unknown region.
    """
    try:
        return groundtruth_merger_image_uri(region)
    except UnknownRegionError:
        return f"{account_id}.dkr.ecr.{region}.amazonaws.com/{GROUNDTRUTH_MERGER_REPOSITORY}"


@dataclass(frozen=True)
class Execution:
    """Which execution to plan.

    :param schedule_name: the monitoring schedule (its name is part of the report and merge keys).
    :param slot: the execution's ``ScheduledTime`` (timezone-aware).
    :param window: the data it analyses (see :func:`execution_window`).
    :param endpoint_name: the monitored endpoint; None for batch-transform input.
    :param capture_destination: the endpoint's ``DataCaptureConfig.DestinationS3Uri`` when it captures
        data, else None (an endpoint input then fails with "Job inputs had no data").
    :param merger_image: the ImageUri of the ground-truth merge job.
    :param name_seed: what the job names' shared hex suffix is derived from (unique per execution).
    """

    schedule_name: str
    slot: datetime
    window: AnalysisWindow
    endpoint_name: str | None
    capture_destination: str | None
    merger_image: str
    name_seed: str


@dataclass
class ExecutionPlan:
    """What one execution runs: processing-job requests with their input options (the ground-truth merge
    job only for model quality and bias)."""

    merge: dict[str, Any] | None
    merge_options: RunOptions
    analysis: dict[str, Any]
    analysis_options: RunOptions


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


def _iso(t: datetime) -> str:
    """``2024-01-01T00:00:00Z``."""
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _data_input(job: MonitoringJob, execution: Execution) -> tuple[dict[str, Any], dict[str, Any]]:
    """The execution's data ProcessingInput and its ``dataset_format`` (raises ValueError without data)."""
    source = data_source(job)
    if job.holder.get("EndpointInput"):
        if execution.capture_destination is None:
            raise ValueError(f"{NO_DATA}: endpoint {execution.endpoint_name} does not capture data")
        uri = join_s3(execution.capture_destination, execution.endpoint_name) + "/"
        return _s3_input("endpointdata", uri, source["LocalPath"]), CAPTURE_FORMAT
    dataset_format = {
        k.lower(): {kk.lower(): vv for kk, vv in v.items()} for k, v in source["DatasetFormat"].items()
    }
    return _s3_input("batchdata", source["DataCapturedDestinationS3Uri"], source["LocalPath"]), dataset_format


def _file_in(local: str, uri: str) -> str:
    """The container path of the file an S3 URI names once its input is staged at ``local``."""
    return f"{local}/{uri.rstrip('/').rsplit('/', 1)[-1]}"


def plan_execution(job: MonitoringJob, execution: Execution) -> ExecutionPlan:
    """Build the processing-job requests of an execution (raises ValueError when it cannot run).

    :param job: the normalised job definition.
    :param execution: the execution to plan.
    """
    window, slot = execution.window, execution.slot
    source = data_source(job)
    data_input, dataset_format = _data_input(job, execution)
    data_name = data_input["InputName"]
    keep: dict[str, Any] = {data_name: HourFolders.overlapping(window.start, window.end)}
    batch = bool(job.holder.get("BatchTransformInput"))
    manifests = (data_name,) if batch else ()
    output_path = job.output["LocalPath"]
    environment = {
        **job.environment,
        "dataset_format": json.dumps(dataset_format),
        "dataset_source": MIRROR_PATH if batch else source["LocalPath"],
        "output_path": output_path,
        "analysis_type": ANALYSIS_TYPES.get(job.monitoring_type, ""),
        "publish_cloudwatch_metrics": "Disabled",
        "sagemaker_monitoring_schedule_name": execution.schedule_name,
        "start_time": _iso(window.start),
        "end_time": _iso(window.end),
        "metric_time": _iso(window.start),
    }
    if execution.endpoint_name:
        environment["sagemaker_endpoint_name"] = execution.endpoint_name
    environment.update({env: str(source[key]) for key, env in ATTRIBUTE_ENV.items() if key in source})
    if "ProblemType" in job.app:
        environment["problem_type"] = job.app["ProblemType"]
    inputs = [data_input]
    for key, name, variable in BASELINE_INPUTS:
        uri = (job.baseline.get(key) or {}).get("S3Uri")
        if uri:
            local = f"{CONTAINER}/baseline/{name}"
            inputs.append(_s3_input(name, uri, local))
            environment[variable] = _file_in(local, uri)
    if "ConfigUri" in job.app:
        local = f"{CONTAINER}/input/config"
        inputs.append(_s3_input("analysis_config", job.app["ConfigUri"], local))
        environment["analysis_config"] = _file_in(local, job.app["ConfigUri"])
    merge = None
    analysis_options = RunOptions(keep, (data_name,), manifests)
    if job.monitoring_type in MERGE_TYPES:
        if job.ground_truth_uri is None:
            raise ValueError(f"{job.monitoring_type} monitoring needs a GroundTruthS3Input")
        merged_uri = merge_output_uri(
            job.output["S3Uri"], execution.schedule_name, slot, execution.endpoint_name
        )
        ground_truth_local = f"{CONTAINER}/groundtruth"
        merge = _job_request(
            job,
            MERGE_JOB,
            execution,
            [data_input, _s3_input("groundtruth", job.ground_truth_uri, ground_truth_local)],
            _s3_output(merged_uri, f"{CONTAINER}/output"),
            {
                **environment,
                "dataset_source": source["LocalPath"],
                "ground_truth_source": ground_truth_local,
                "output_path": f"{CONTAINER}/output",
            },
            image_uri=execution.merger_image,
        )
        keep["groundtruth"] = HourFolders.overlapping(window.start, slot + HOUR)
        analysis_options = RunOptions()
        merged_local = f"{CONTAINER}/input/merged"
        inputs[0] = _s3_input("merged", merged_uri, merged_local)
        environment["dataset_source"] = merged_local
        environment["dataset_format"] = json.dumps(CAPTURE_FORMAT)
    report = report_uri(job.output["S3Uri"], execution.schedule_name, slot, execution.endpoint_name)
    analysis = _job_request(
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
    job: MonitoringJob,
    base: str,
    execution: Execution,
    inputs: list[dict[str, Any]],
    outputs: dict[str, Any],
    environment: dict[str, str],
    image_uri: str | None = None,
) -> dict[str, Any]:
    """A CreateProcessingJob-shaped request for one job of an execution.

    Names are ``<base>-<yyyymmddHHMM of the slot>-<24 hex digits shared by the jobs of one execution>``, the
    shape of real monitoring job names. ``image_uri`` replaces the job definition's app (the merge job).
    """
    digest = hashlib.sha256(execution.name_seed.encode()).hexdigest()[:24]
    app = {"ImageUri": image_uri} if image_uri else job.app
    return {
        "ProcessingJobName": f"{base}-{execution.slot:%Y%m%d%H%M}-{digest}",
        "ProcessingInputs": inputs,
        "ProcessingOutputConfig": outputs,
        "AppSpecification": {
            k: app[k] for k in ("ImageUri", "ContainerEntrypoint", "ContainerArguments") if k in app
        },
        "Environment": {k: v[:256] for k, v in environment.items()},
        **job.rest,
    }


def execution_status(analysis: JobResult) -> str:
    """The status of an execution whose analysis job ended as ``analysis``: ``CompletedWithViolations``
    when a completed job's exit message says so, else the job's own status.

    :param analysis: how the analysis job ended.
    """
    if analysis.status == "Completed" and (analysis.exit_message or "").startswith("CompletedWithViolations"):
        return "CompletedWithViolations"
    return analysis.status
