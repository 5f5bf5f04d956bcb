"""Monitoring schedule handlers and the schedule status machine.

Create/Update/Start/Stop put a schedule in ``Pending`` for ``pending_seconds`` of real time; it then settles
to its target status (``Scheduled`` or ``Stopped``). Settling happens lazily whenever the schedule is read.

Slot bookkeeping depends only on when things happened, never on who looked when: a recurring schedule runs
every slot after the end of its Pending period (``_pending_end``, in service time) up to its next change,
and a change banks the slots it reached while ``Scheduled`` (``_owed``) before anything else moves.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from airflow_mm_provider.local.context import ServiceContext
from airflow_mm_provider.local.errors import in_use, limit_exceeded, not_found, validation_error
from airflow_mm_provider.local.listing import paginate, time_filters
from airflow_mm_provider.local.resources import (
    check_input_offsets,
    check_one_input,
    endpoint_exists,
    input_endpoint,
    job_input,
    public,
    store_tags,
)
from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.schedule import ScheduleExpression
from airflow_mm_provider.monitoring.windows import validate_analysis_times, validate_now_times

PENDING = "Pending"
SCHEDULED = "Scheduled"
STOPPED = "Stopped"
SPLIT_RUNTIME_TYPES = ("ModelQuality", "ModelBias")
DEFAULT_EXPRESSION = "cron(0 0 ? * * *)"
SCHEDULE_SORT_FIELDS = {"Name": "MonitoringScheduleName", "Status": "MonitoringScheduleStatus"}


def settle(ctx: ServiceContext, schedule: dict[str, Any]) -> dict[str, Any]:
    """Move a ``Pending`` schedule to its target status once its pending time is over (call under lock).

    The change is dated when the Pending period ended, however late it is noticed, so no slot after that
    moment is lost.
    """
    if schedule["MonitoringScheduleStatus"] == PENDING and time.time() >= schedule["_pending_until"]:
        now = ctx.clock.now()
        ended = max(min(schedule.get("_pending_end", now), now), schedule["LastModifiedTime"])
        schedule["MonitoringScheduleStatus"] = schedule["_target"]
        schedule["LastModifiedTime"] = ended
        if schedule["_target"] == SCHEDULED:
            schedule["_cursor"] = max(schedule["_cursor"], ended)
        ctx.store.touch("schedules", schedule["MonitoringScheduleName"])
    return schedule


def _bank_due(ctx: ServiceContext, schedule: dict[str, Any]) -> None:
    """Before a change, keep the slots a ``Scheduled`` recurring schedule reached but has not run yet."""
    if settle(ctx, schedule)["MonitoringScheduleStatus"] != SCHEDULED:
        return
    expression = expression_of(schedule)
    if expression.is_now:
        return
    now = ctx.clock.now()
    cursor = schedule["_cursor"]
    reached = [s for s in expression.slots(cursor, now + timedelta(microseconds=1)) if s > cursor]
    if reached:
        schedule["_owed"] = [*schedule.get("_owed", []), *reached]
        schedule["_cursor"] = reached[-1]
        ctx.store.touch("schedules", schedule["MonitoringScheduleName"])


def _make_pending(ctx: ServiceContext, schedule: dict[str, Any], target: str) -> None:
    """Enter ``Pending`` on the way to ``target``."""
    now = ctx.clock.now()
    schedule.update(
        MonitoringScheduleStatus=PENDING,
        _target=target,
        LastModifiedTime=now,
        _pending_until=time.time() + ctx.config.pending_seconds,
        _pending_end=now + timedelta(seconds=ctx.config.pending_seconds),
    )
    ctx.store.touch("schedules", schedule["MonitoringScheduleName"])
    settle(ctx, schedule)


def get_schedule(ctx: ServiceContext, name: str) -> dict[str, Any]:
    """The settled schedule ``name`` or ResourceNotFound (call under lock)."""
    schedule = ctx.store.schedules.get(name)
    if schedule is None:
        raise not_found(f"Could not find monitoring schedule '{name}'.")
    return settle(ctx, schedule)


def expression_of(schedule: dict[str, Any]) -> ScheduleExpression:
    """The parsed ScheduleExpression of a stored schedule (daily when the config has none)."""
    text = (schedule["MonitoringScheduleConfig"].get("ScheduleConfig") or {}).get("ScheduleExpression")
    return ScheduleExpression.parse(text or DEFAULT_EXPRESSION)


def job_of(ctx: ServiceContext, config: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """(MonitoringType, referenced job definition or None for inline) of a schedule config."""
    name = config.get("MonitoringJobDefinitionName")
    if name is None:
        return config.get("MonitoringType", "DataQuality"), None
    return config["MonitoringType"], ctx.store.job_definitions.get(name)


def _validate_config(ctx: ServiceContext, config: dict[str, Any]) -> tuple[str, str | None]:
    """Service-side checks of a MonitoringScheduleConfig; return (MonitoringType, EndpointName)."""
    inline, name = config.get("MonitoringJobDefinition"), config.get("MonitoringJobDefinitionName")
    if (inline is None) == (name is None):
        raise validation_error(
            "MonitoringScheduleConfig: exactly one of MonitoringJobDefinition or "
            "MonitoringJobDefinitionName is required"
        )
    if inline is not None:
        holder = inline["MonitoringInputs"][0]
        inputs_path = "MonitoringScheduleConfig.MonitoringJobDefinition.MonitoringInputs[0]"
        check_one_input(holder, inputs_path)
        check_input_offsets(holder, inputs_path)
        runtime = (inline.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")
    else:
        if "MonitoringType" not in config:
            raise validation_error(
                "MonitoringScheduleConfig.MonitoringType is required with MonitoringJobDefinitionName"
            )
        monitoring_type, definition = job_of(ctx, config)
        if definition is None or definition["_type"] != monitoring_type:
            raise validation_error(
                f"MonitoringScheduleConfig.MonitoringJobDefinitionName: job definition "
                f"{name!r} of type {monitoring_type} does not exist"
            )
        holder = job_input(definition)
        runtime = (definition.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")
    monitoring_type, _ = job_of(ctx, config)
    endpoint = input_endpoint(holder)
    if endpoint is not None and not endpoint_exists(ctx, endpoint):
        raise validation_error(
            f'Could not find endpoint "{endpoint}" in account {ctx.config.account_id}; '
            "a monitored endpoint must exist when the schedule is created"
        )
    _validate_timing(config.get("ScheduleConfig"), monitoring_type, runtime)
    return monitoring_type, endpoint


def _validate_timing(
    schedule_config: dict[str, Any] | None, monitoring_type: str, runtime: int | None
) -> None:
    """Check the expression, the analysis times (required for NOW) and MaxRuntimeInSeconds against the
    cadence."""
    if schedule_config is None:
        return
    prefix = "MonitoringScheduleConfig.ScheduleConfig"
    try:
        expression = ScheduleExpression.parse(
            schedule_config["ScheduleExpression"], f"{prefix}.ScheduleExpression"
        )
        times = (schedule_config.get("DataAnalysisStartTime"), schedule_config.get("DataAnalysisEndTime"))
        if expression.is_now:
            validate_now_times(*times, prefix)
        else:
            validate_analysis_times(*times, prefix)
    except MonitoringValidationError as err:
        raise validation_error(str(err)) from err
    gap = expression.shortest_gap
    if gap is None or runtime is None:  # no gap: a NOW schedule
        return
    limit = int(gap.total_seconds())
    if monitoring_type in SPLIT_RUNTIME_TYPES:
        limit //= 2
    if runtime > limit:
        raise validation_error(
            f"StoppingCondition.MaxRuntimeInSeconds ({runtime}) cannot exceed {limit} seconds "
            f"for a {monitoring_type} schedule with {expression.expression}"
        )


def _apply_config(ctx: ServiceContext, schedule: dict[str, Any], config: dict[str, Any]) -> None:
    """Validate ``config`` and store it on ``schedule`` with the derived type and endpoint."""
    monitoring_type, endpoint = _validate_config(ctx, config)
    schedule["MonitoringScheduleConfig"] = {**config, "MonitoringType": monitoring_type}
    schedule["MonitoringType"] = monitoring_type
    schedule["EndpointName"] = endpoint
    schedule["_now_done"] = False


def create_schedule(ctx: ServiceContext, req: dict[str, Any]) -> dict[str, Any]:
    """CreateMonitoringSchedule."""
    name = req["MonitoringScheduleName"]
    with ctx.store.lock:
        if name in ctx.store.schedules:
            raise in_use(f"Monitoring schedule {name} already exists.")
        if len(ctx.store.schedules) >= ctx.config.max_schedules:
            raise limit_exceeded(
                f"The account-level service limit of {ctx.config.max_schedules} monitoring "
                "schedules has been reached."
            )
        now = ctx.clock.now()
        schedule: dict[str, Any] = {
            "MonitoringScheduleName": name,
            "MonitoringScheduleArn": ctx.arn("monitoring-schedule", name),
            "CreationTime": now,
            "_cursor": now,
            "_analysis_anchor": now,
            "_seq": ctx.store.next_seq(),
        }
        _apply_config(ctx, schedule, req["MonitoringScheduleConfig"])
        ctx.store.schedules[name] = schedule
        store_tags(ctx, schedule["MonitoringScheduleArn"], req.get("Tags"))
        _make_pending(ctx, schedule, SCHEDULED)
        return {"MonitoringScheduleArn": schedule["MonitoringScheduleArn"]}


def _modifiable(ctx: ServiceContext, name: str) -> dict[str, Any]:
    """The schedule ``name``, refused while ``Pending``."""
    schedule = get_schedule(ctx, name)
    if schedule["MonitoringScheduleStatus"] == PENDING:
        raise validation_error("Monitoring schedule in status Pending")
    return schedule


def update_schedule(ctx: ServiceContext, req: dict[str, Any]) -> dict[str, Any]:
    """UpdateMonitoringSchedule: replaces the whole config; a stopped schedule stays stopped."""
    with ctx.store.lock:
        schedule = _modifiable(ctx, req["MonitoringScheduleName"])
        _bank_due(ctx, schedule)
        _apply_config(ctx, schedule, req["MonitoringScheduleConfig"])
        schedule["_analysis_anchor"] = ctx.clock.now()
        target = STOPPED if schedule["MonitoringScheduleStatus"] == STOPPED else SCHEDULED
        _make_pending(ctx, schedule, target)
        return {"MonitoringScheduleArn": schedule["MonitoringScheduleArn"]}


def delete_schedule(ctx: ServiceContext, req: dict[str, Any]) -> dict[str, Any]:
    """DeleteMonitoringSchedule (its executions stay listed)."""
    with ctx.store.lock:
        schedule = _modifiable(ctx, req["MonitoringScheduleName"])
        ctx.store.remove("schedules", schedule["MonitoringScheduleName"], schedule["MonitoringScheduleArn"])
    return {}


def start_schedule(ctx: ServiceContext, req: dict[str, Any]) -> dict[str, Any]:
    """StartMonitoringSchedule: slots missed while stopped are not run."""
    with ctx.store.lock:
        schedule = get_schedule(ctx, req["MonitoringScheduleName"])
        _bank_due(ctx, schedule)
        schedule["_cursor"] = max(schedule["_cursor"], ctx.clock.now())
        _make_pending(ctx, schedule, SCHEDULED)
    return {}


def stop_schedule(ctx: ServiceContext, req: dict[str, Any]) -> dict[str, Any]:
    """StopMonitoringSchedule: no further executions; a running one finishes."""
    with ctx.store.lock:
        schedule = get_schedule(ctx, req["MonitoringScheduleName"])
        _bank_due(ctx, schedule)
        _make_pending(ctx, schedule, STOPPED)
    return {}


def describe_schedule(ctx: ServiceContext, req: dict[str, Any]) -> dict[str, Any]:
    """DescribeMonitoringSchedule with LastMonitoringExecutionSummary once an execution exists."""
    with ctx.store.lock:
        schedule = get_schedule(ctx, req["MonitoringScheduleName"])
        out = public(schedule)
        history = ctx.store.executions_by_schedule.get(schedule["MonitoringScheduleName"])
        if history:
            out["LastMonitoringExecutionSummary"] = public(history[-1])
    return out


def list_schedules(ctx: ServiceContext, req: dict[str, Any]) -> dict[str, Any]:
    """ListMonitoringSchedules with every filter, sort and pagination."""
    predicates = time_filters(req, {"CreationTime": "CreationTime", "LastModifiedTime": "LastModifiedTime"})
    exact = {
        "EndpointName": "EndpointName",
        "StatusEquals": "MonitoringScheduleStatus",
        "MonitoringTypeEquals": "MonitoringType",
    }
    contains, definition = req.get("NameContains"), req.get("MonitoringJobDefinitionName")
    with ctx.store.lock:
        records = [settle(ctx, s) for s in ctx.store.schedules.values()]
        records = [
            s
            for s in records
            if all(req.get(k) is None or s.get(f) == req[k] for k, f in exact.items())
            and (contains is None or contains in s["MonitoringScheduleName"])
            and (
                definition is None
                or s["MonitoringScheduleConfig"].get("MonitoringJobDefinitionName") == definition
            )
            and all(p(s) for p in predicates)
        ]
        field = SCHEDULE_SORT_FIELDS.get(req.get("SortBy", ""), "CreationTime")
        page, token = paginate(records, lambda s: s[field], req)
        summaries = [
            {
                **{
                    k: s.get(k)
                    for k in (
                        "MonitoringScheduleName",
                        "MonitoringScheduleArn",
                        "CreationTime",
                        "LastModifiedTime",
                        "MonitoringScheduleStatus",
                        "EndpointName",
                        "MonitoringType",
                    )
                },
                "MonitoringJobDefinitionName": s["MonitoringScheduleConfig"].get(
                    "MonitoringJobDefinitionName"
                ),
            }
            for s in page
        ]
    return {"MonitoringScheduleSummaries": summaries, "NextToken": token}


def skip_missed_slots(ctx: ServiceContext) -> None:
    """After a restart, recurring schedules resume from now: slots missed while down are not run (as after
    StartMonitoringSchedule), never backfilled."""
    now = ctx.clock.now()
    with ctx.store.lock:
        for name, schedule in ctx.store.schedules.items():
            if not expression_of(schedule).is_now and schedule["_cursor"] < now:
                schedule["_cursor"] = now
                ctx.store.touch("schedules", name)


def _started_by(ctx: ServiceContext, name: str, slot: datetime, until: datetime) -> bool:
    """Whether the execution of ``slot`` has started by ``until`` (its slot plus the start delay)."""
    return slot + ctx.clock.start_delay(name, slot) <= until


def due_slots(ctx: ServiceContext, schedule: dict[str, Any], until: datetime) -> list[datetime]:
    """Slots due by ``until``: banked ones, then those of a ``Scheduled`` schedule; advances its cursor
    (call under lock)."""
    name = schedule["MonitoringScheduleName"]
    owed = schedule.get("_owed", [])
    due = [slot for slot in owed if _started_by(ctx, name, slot, until)]
    if due:
        schedule["_owed"] = [slot for slot in owed if slot not in due]
        ctx.store.touch("schedules", name)
    if settle(ctx, schedule)["MonitoringScheduleStatus"] != SCHEDULED:
        return due
    expression = expression_of(schedule)
    if expression.is_now:
        slot = schedule["_cursor"].replace(minute=0, second=0, microsecond=0)
        if schedule["_now_done"] or schedule["_cursor"] > until:
            return due
        schedule["_now_done"] = True
        ctx.store.touch("schedules", name)
        return [*due, slot]
    fresh = []
    for slot in expression.slots(schedule["_cursor"], until + timedelta(microseconds=1)):
        if slot <= schedule["_cursor"]:
            continue
        if not _started_by(ctx, name, slot, until):
            break
        fresh.append(slot)
    if fresh:
        schedule["_cursor"] = fresh[-1]
        ctx.store.touch("schedules", name)
    return [*due, *fresh]
