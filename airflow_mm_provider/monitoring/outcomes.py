"""What a monitoring execution's status means: running or terminal, and which outcome a terminal one is.

Also turns an execution summary into a JSON-safe dict (for XCom and trigger events) and words the message of
an execution that did not end well. Pure: no Airflow, no network.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from enum import Enum
from typing import Any

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
    safe = json_safe(summary)
    safe.setdefault(STATUS_KEY, None)
    return safe


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
