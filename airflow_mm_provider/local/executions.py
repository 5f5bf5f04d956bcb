"""Monitoring executions: create one per due slot, run its processing job(s), list them.

An execution starts ``Pending`` without a ProcessingJobArn, turns ``InProgress`` with the ARN of its
processing job (model quality and bias first run a ground-truth merge job, then the analysis job) and ends
``Completed``, ``CompletedWithViolations``, ``Failed`` or ``Stopped``. What it runs is planned by
:mod:`airflow_mm_provider.processing.execution_plan`, as the self-hosted runner plans it; this module adds
the service's state: the schedule, its endpoint's capture config, the region's images.
"""

from __future__ import annotations

from concurrent.futures import Future, wait
from datetime import datetime
from typing import Any

from airflow_mm_provider.analysis.jobs import SHAP_UNSUPPORTED
from airflow_mm_provider.local.context import ServiceContext
from airflow_mm_provider.local.listing import paginate, time_filters
from airflow_mm_provider.local.processing import image_mode, register_job, run_job, unsupported_image
from airflow_mm_provider.local.resources import endpoint_capture, public
from airflow_mm_provider.local.schedules import due_slots, expression_of, job_of
from airflow_mm_provider.processing.execution_plan import (
    ATTRIBUTE_ENV,
    ENGINE_MODES,
    Execution,
    ExecutionPlan,
    MonitoringJob,
    defined_job,
    execution_status,
    execution_window,
    inline_job,
    merger_image,
    plan_execution,
)

__all__ = ["ATTRIBUTE_ENV", "execute", "list_executions", "normalise", "plan", "run_due"]

EXECUTION_SORT_FIELDS = {"ScheduledTime": "ScheduledTime", "Status": "MonitoringExecutionStatus"}
FIXED_FIELDS = ("ScheduledTime", "CreationTime")


def normalise(ctx: ServiceContext, config: dict[str, Any]) -> MonitoringJob | None:
    """The MonitoringJob of a schedule config, or None when its job definition is gone."""
    monitoring_type, definition = job_of(ctx, config)
    inline = config.get("MonitoringJobDefinition")
    if inline is not None:
        return inline_job(monitoring_type, inline)
    return None if definition is None else defined_job(monitoring_type, definition)


def _capture_destination(ctx: ServiceContext, endpoint: str | None) -> str | None:
    """Where endpoint ``endpoint`` captures data; None when it does not (or there is no endpoint)."""
    capture = endpoint_capture(ctx, endpoint) if endpoint else None
    if not capture or not capture.get("EnableCapture", True):
        return None
    destination: str = capture["DestinationS3Uri"]
    return destination


def plan(
    ctx: ServiceContext, schedule: dict[str, Any], job: MonitoringJob, execution: dict[str, Any]
) -> ExecutionPlan:
    """Build the processing-job requests of an execution (raises ValueError when it cannot run)."""
    slot = execution["ScheduledTime"]
    config = schedule["MonitoringScheduleConfig"].get("ScheduleConfig") or {}
    window = execution_window(
        expression_of(schedule),
        slot,
        job,
        config.get("DataAnalysisStartTime"),
        config.get("DataAnalysisEndTime"),
        schedule.get("_analysis_anchor", slot),
    )
    endpoint = execution.get("EndpointName")
    return plan_execution(
        job,
        Execution(
            schedule_name=schedule["MonitoringScheduleName"],
            slot=slot,
            window=window,
            endpoint_name=endpoint,
            capture_destination=_capture_destination(ctx, endpoint),
            merger_image=merger_image(ctx.config.region, ctx.config.account_id),
            name_seed=f"{execution['MonitoringScheduleName']}/{execution['_seq']}",
        ),
    )


def _set_execution(ctx: ServiceContext, execution: dict[str, Any], **changes: Any) -> None:
    """Update an execution and its LastModifiedTime."""
    with ctx.store.lock:
        execution.update(changes, LastModifiedTime=max(ctx.clock.now(), execution["CreationTime"]))
        ctx.store.touch_execution(execution)


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
        if image_mode(job.app["ImageUri"]) != ENGINE_MODES[job.monitoring_type]:
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
    result = run_job(ctx, record, ENGINE_MODES[job.monitoring_type], steps.analysis_options)
    _set_execution(
        ctx,
        execution,
        MonitoringExecutionStatus=execution_status(result),
        FailureReason=result.failure_reason,
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
