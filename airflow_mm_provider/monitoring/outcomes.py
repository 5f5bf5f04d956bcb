"""What a monitoring execution's status means: running or terminal, and which outcome a terminal one is.

:func:`execution_ending` and :func:`event_ending` are the one place that decides what a finished wait means
for the task (succeed, or fail, and with which message), for the execution sensor, the one-time operator and
the trigger path. Also turns an execution summary into a JSON-safe dict (API-shaped for trigger events, in
snake_case for XCom) and words the message of an execution that did not end well. Pure: no Airflow, no
network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from enum import Enum
from typing import Any, NamedTuple

PENDING = "Pending"
IN_PROGRESS = "InProgress"
STOPPING = "Stopping"
COMPLETED = "Completed"
COMPLETED_WITH_VIOLATIONS = "CompletedWithViolations"
FAILED = "Failed"
STOPPED = "Stopped"

RUNNING_STATUSES = frozenset({PENDING, IN_PROGRESS, STOPPING})
"""Execution statuses that still change."""
TERMINAL_STATUSES = frozenset({COMPLETED, COMPLETED_WITH_VIOLATIONS, FAILED, STOPPED})
"""Execution statuses that never change again (the set the SDK tests and AWS notebooks wait for)."""
EXECUTION_STATUSES = RUNNING_STATUSES | TERMINAL_STATUSES
"""Every ``MonitoringExecutionStatus`` the API defines (botocore's ``ExecutionStatus`` enum)."""

STATUS_KEY = "MonitoringExecutionStatus"
SUMMARY_FIELDS = (
    "MonitoringScheduleName",
    "ScheduledTime",
    "CreationTime",
    "LastModifiedTime",
    STATUS_KEY,
    "ProcessingJobArn",
    "EndpointName",
    "FailureReason",
    "MonitoringJobDefinitionName",
    "MonitoringType",
)
"""The members of a ``MonitoringExecutionSummary`` (botocore's model), in its order."""
XCOM_STATUS_KEY = "monitoring_execution_status"
""":data:`STATUS_KEY` in the snake_case summary of :func:`execution_xcom`."""
REPORT_URI_KEY = "ReportUri"
"""Not an API member: the report prefix that a self-hosted analysis (``airflow_mm_provider.runner``) puts in
its summary. It has no processing job whose output would say where the report is."""
BASELINE_CONFIG_KEY = "BaselineConfig"
"""Not an API member: the ``<T>BaselineConfig`` that a self-hosted analysis puts in its summary. It has no job
definition to describe."""

TIMEOUT = "timeout"
"""Trigger event status, besides the :class:`Outcome` values: the deadline passed first."""
ERROR = "error"
"""Trigger event status when a call to the service failed."""
UNREACHABLE = "unreachable"
"""Trigger event status when the awaited execution can never run (schedule deleted, stopped or Failed)."""

NO_DATA_MARKER = "had no data"
NO_DATA_HINT = (
    "Hint: no captured records fell inside the analysed window. Check that the endpoint or transform job "
    "received traffic in that window, that capture files had time to land (capture lags a few minutes), that "
    "DataCaptureConfig.DestinationS3Uri matches the monitoring input, and that StartTimeOffset/EndTimeOffset "
    "point at hours that hold data."
)
STOPPED_HINT = (
    "Hint: a Stopped execution ran longer than StoppingCondition.MaxRuntimeInSeconds or was stopped by hand. "
    "A stopped execution is not run again: raise MaxRuntimeInSeconds if it ran out of time, and analyse the "
    "window again with a one-time (NOW) schedule if its verdict is needed."
)


class Outcome(str, Enum):
    """How a terminal execution ended, as the sensor and trigger report it."""

    SUCCESS = "success"
    """``Completed``: no constraint violations."""
    VIOLATIONS = "violations"
    """``CompletedWithViolations``: the job ran and found violations."""
    FAILED = "failed"
    """``Failed`` or ``Stopped``: the job did not produce a verdict."""


OUTCOMES: Mapping[str, Outcome] = {
    COMPLETED: Outcome.SUCCESS,
    COMPLETED_WITH_VIOLATIONS: Outcome.VIOLATIONS,
    FAILED: Outcome.FAILED,
    STOPPED: Outcome.FAILED,
}
"""The outcome of every terminal status."""


def classify(status: str | None) -> Outcome | None:
    """The outcome of an execution status; ``None`` while the execution is running (or has no status).

    An unknown status counts as running: waiting longer is safer than deciding on a value the API may add.

    :param status: a ``MonitoringExecutionStatus`` value.
    """
    return OUTCOMES.get(status or "")


def should_fail(outcome: Outcome, *, fail_on_violations: bool, fail_on_failed: bool) -> bool:
    """Whether an outcome fails the task under the user's choices.

    :param outcome: the execution's outcome.
    :param fail_on_violations: fail when the execution found constraint violations.
    :param fail_on_failed: fail when the execution ended ``Failed`` or ``Stopped``.
    """
    if outcome is Outcome.VIOLATIONS:
        return fail_on_violations
    if outcome is Outcome.FAILED:
        return fail_on_failed
    return False


def json_safe(value: Any) -> Any:
    """``value`` with every datetime turned into an ISO-8601 string (UTC when aware), recursively.

    :param value: an API response fragment: mappings, lists, scalars and datetimes.
    """
    if isinstance(value, datetime):
        return (value.astimezone(timezone.utc) if value.tzinfo else value).isoformat()
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def execution_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    """A ``MonitoringExecutionSummary`` as a JSON-safe dict, always with ``MonitoringExecutionStatus``.

    :param summary: the summary as boto3 returns it (datetimes) or as already converted (strings).
    """
    safe = dict(json_safe(summary))
    safe.setdefault(STATUS_KEY, None)
    return safe


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))


def execution_xcom(summary: Mapping[str, Any]) -> dict[str, Any]:
    """A ``MonitoringExecutionSummary`` as the provider's XCom value: JSON-safe, keys in snake_case.

    Every member of :data:`SUMMARY_FIELDS` is present (``None`` when the summary lacks it), e.g.
    ``monitoring_execution_status``, ``scheduled_time`` (ISO-8601) and ``processing_job_arn``.

    :param summary: the summary as boto3 returns it, or already JSON-safe.
    """
    safe = json_safe(api_execution(summary))
    return {_snake(key): safe.get(key) for key in dict.fromkeys([*SUMMARY_FIELDS, *safe])}


def api_execution(summary: Mapping[str, Any]) -> dict[str, Any]:
    """An execution summary in the API's shape, from either that shape or :func:`execution_xcom`'s.

    Members that are ``None`` are left out, as the API leaves them out.

    :param summary: a ``MonitoringExecutionSummary`` (datetimes or strings) or its snake_case XCom value.
    """
    if STATUS_KEY not in summary and XCOM_STATUS_KEY in summary:
        return {_camel(key): value for key, value in summary.items() if value is not None}
    return dict(summary)


def execution_label(summary: Mapping[str, Any]) -> str:
    """``monitoring execution of <schedule> scheduled at <time>``, for messages.

    :param summary: a ``MonitoringExecutionSummary`` (datetimes or strings).
    """
    scheduled = json_safe(summary.get("ScheduledTime", "?"))
    return f"monitoring execution of {summary.get('MonitoringScheduleName', '?')} scheduled at {scheduled}"


def outcome_message(summary: Mapping[str, Any]) -> str:
    """``The monitoring execution of <schedule> scheduled at <time> ended <status>.``

    :param summary: a ``MonitoringExecutionSummary`` (datetimes or strings).
    """
    return f"The {execution_label(summary)} ended {summary.get(STATUS_KEY) or '?'}."


def failure_message(
    summary: Mapping[str, Any],
    processing_job: Mapping[str, Any] | None = None,
    notes: Iterable[str] = (),
) -> str:
    """Explain how an execution ended: its ``FailureReason``, its processing job's failure and exit text.

    Repeated texts appear once. When any of them says the job inputs had no data, a hint on the usual
    causes follows; a ``Stopped`` execution gets a hint on why executions stop.

    :param summary: the ``MonitoringExecutionSummary``.
    :param processing_job: the ``DescribeProcessingJob`` answer of the summary's ``ProcessingJobArn``.
    :param notes: more lines to include, e.g. why the processing job could not be described.
    """
    job = processing_job or {}
    texts = [summary.get("FailureReason"), job.get("FailureReason"), job.get("ExitMessage"), *notes]
    details = list(dict.fromkeys(text.strip() for text in texts if text and text.strip()))
    lines = [outcome_message(summary)]
    lines += details or ["No FailureReason or ExitMessage was given."]
    if any(NO_DATA_MARKER in text.lower() for text in details):
        lines.append(NO_DATA_HINT)
    if summary.get(STATUS_KEY) == STOPPED:
        lines.append(STOPPED_HINT)
    return "\n".join(lines)


class Ending(NamedTuple):
    """How a wait for a monitoring execution ended, and what that means for the task.

    :param status: an :class:`Outcome` value for an execution that ended, else :data:`TIMEOUT`,
        :data:`UNREACHABLE` or :data:`ERROR`.
    :param execution: the JSON-safe, API-shaped execution summary; ``None`` when none was found.
    :param message: what happened, for the task log or its error (without the processing job's exit text,
        which only the hook can read).
    :param fails: whether the task must not succeed: the user's choice for an execution that ended, always
        for the other endings.
    """

    status: str
    execution: dict[str, Any] | None
    message: str
    fails: bool


def execution_ending(
    summary: Mapping[str, Any], *, fail_on_violations: bool, fail_on_failed: bool
) -> Ending | None:
    """The ending of a wait that found ``summary``; ``None`` while the execution is running.

    :param summary: the ``MonitoringExecutionSummary`` (any shape :func:`api_execution` reads).
    :param fail_on_violations: fail when the execution found constraint violations.
    :param fail_on_failed: fail when the execution ended ``Failed`` or ``Stopped``.
    """
    safe = execution_summary(api_execution(summary))
    outcome = classify(safe[STATUS_KEY])
    if outcome is None:
        return None
    fails = should_fail(outcome, fail_on_violations=fail_on_violations, fail_on_failed=fail_on_failed)
    message = failure_message(safe) if outcome is Outcome.FAILED else outcome_message(safe)
    return Ending(outcome.value, safe, message, fails)


def event_ending(
    event: Mapping[str, Any] | None, *, fail_on_violations: bool, fail_on_failed: bool
) -> Ending:
    """The ending a trigger event reports (see ``SageMakerMonitoringExecutionTrigger``).

    An event of an ended execution is judged as :func:`execution_ending` judges it; ``timeout`` and
    ``unreachable`` keep their status and message; anything else (``error``, a malformed event, an execution
    still running) is :data:`ERROR`.

    :param event: the trigger event's payload.
    :param fail_on_violations: fail when the execution found constraint violations.
    :param fail_on_failed: fail when the execution ended ``Failed`` or ``Stopped``.
    """
    event = event or {}
    status, execution = event.get("status"), event.get("execution")
    message = event.get("message") or f"unexpected trigger event {dict(event)!r}"
    if status in {outcome.value for outcome in Outcome} and isinstance(execution, Mapping):
        ending = execution_ending(
            execution, fail_on_violations=fail_on_violations, fail_on_failed=fail_on_failed
        )
        if ending is not None:
            return ending
        message = f"The {execution_label(execution)} has not ended: {execution.get(STATUS_KEY)}"
    elif status in (TIMEOUT, UNREACHABLE):
        safe = execution_summary(execution) if isinstance(execution, Mapping) else None
        return Ending(status, safe, message, True)
    return Ending(ERROR, None, message, True)
