"""The hook for every SageMaker Model Monitor call: job definitions, schedules, executions and reports."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeVar, cast, overload

from airflow.exceptions import AirflowException
from airflow.providers.amazon.aws.hooks.base_aws import AwsBaseHook
from airflow.providers.amazon.aws.utils.waiter_with_logging import RETRIABLE_ERROR_CODES
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from airflow_mm_provider.monitoring import names
from airflow_mm_provider.monitoring.outcomes import (
    BASELINE_CONFIG_KEY,
    REPORT_URI_KEY,
    api_execution,
    execution_label,
    failure_message,
)
from airflow_mm_provider.monitoring.paths import (
    ANALYSIS_FILE,
    CONSTRAINT_VIOLATIONS_FILE,
    CONSTRAINTS_FILE,
    STATISTICS_FILE,
    join_s3,
    split_s3_uri,
)
from airflow_mm_provider.monitoring.schedule import ScheduleExpression
from airflow_mm_provider.monitoring.times import as_utc
from airflow_mm_provider.monitoring.types import MONITORING_TYPES, MonitoringTypeApi, monitoring_type_api
from airflow_mm_provider.utils.waiting import (
    NOTSET,
    PROCESSING_JOB_CHECK_INTERVAL,
    PROCESSING_JOB_MAX_INGESTION_TIME,
    checked_interval,
    checked_max_wait,
    renamed_argument,
    schedule_wait,
    waiter_max_attempts,
)

if TYPE_CHECKING:
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    from airflow_mm_provider.monitoring.clarify import BiasAnalysis, ExplainabilityAnalysis
    from airflow_mm_provider.monitoring.constraints import DataQualityConstraints, ModelQualityConstraints
    from airflow_mm_provider.monitoring.statistics import DataQualityStatistics, ModelQualityStatistics
    from airflow_mm_provider.monitoring.violations import ViolationReport

T = TypeVar("T")

PROCESSING_JOB_RUNNING = frozenset({"InProgress", "Stopping"})
"""``ProcessingJobStatus`` values of a job that has not ended yet."""
RESOURCE_IN_USE = "ResourceInUse"
RESOURCE_NOT_FOUND = "ResourceNotFound"
RESOURCE_LIMIT_EXCEEDED = "ResourceLimitExceeded"
VALIDATION_EXCEPTION = "ValidationException"
_S3_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})

SCHEDULE_PENDING = "Pending"
SCHEDULE_FAILED = "Failed"
EXECUTION_COMPLETED = "Completed"
EXECUTION_COMPLETED_WITH_VIOLATIONS = "CompletedWithViolations"
EXECUTION_STOPPED = "Stopped"

WINDOW_PAGE_SIZE = 10
"""MaxResults of the single ListMonitoringExecutions call made by ``find_execution``."""

_PLACEHOLDER_NAME = "unnamed"
"""Name given to a job-definition request before its content-addressed name is known."""


class ScheduleChange(NamedTuple):
    """What :meth:`SageMakerModelMonitorHook.create_or_update_schedule` did.

    :param monitoring_schedule_name: the schedule.
    :param monitoring_schedule_arn: its ARN.
    :param job_definition_name: the (content-addressed) job definition it runs.
    :param action: ``created``, ``updated`` or ``unchanged``.
    """

    monitoring_schedule_name: str
    monitoring_schedule_arn: str
    job_definition_name: str
    action: str


class ScheduleDeletion(NamedTuple):
    """What :meth:`SageMakerModelMonitorHook.delete_schedule_and_job_definitions` deleted.

    :param monitoring_schedule_name: the schedule.
    :param schedule_deleted: whether the schedule existed (and was deleted).
    :param deleted_job_definitions: the names of the job definitions deleted with it.
    """

    monitoring_schedule_name: str
    schedule_deleted: bool
    deleted_job_definitions: list[str]


class ModelMonitorHookError(AirflowException):
    """Base class of the errors raised by :class:`SageMakerModelMonitorHook`."""


class ScheduleFailedError(ModelMonitorHookError):
    """A monitoring schedule ended in status ``Failed``.

    :param schedule_name: the schedule.
    :param failure_reason: the schedule's ``FailureReason`` (may be empty).
    """

    def __init__(self, schedule_name: str, failure_reason: str) -> None:
        self.schedule_name = schedule_name
        self.failure_reason = failure_reason
        super().__init__(
            f"Monitoring schedule {schedule_name} is Failed: {failure_reason or 'no FailureReason given'}"
        )


class ScheduleWaitTimeoutError(ModelMonitorHookError):
    """A bounded wait on a monitoring schedule ran out of time."""


class ProcessingJobWaitTimeoutError(ModelMonitorHookError):
    """A bounded wait for a processing job (a baseline, say) to end ran out of time."""


class ResourceLimitError(ModelMonitorHookError):
    """A create or update was refused because a SageMaker quota is reached (``ResourceLimitExceeded``)."""


class ReportFileNotFoundError(ModelMonitorHookError):
    """A report file the caller needs is not in S3.

    :param uri: the S3 URI that was read.
    :param detail: why its absence is an error.
    """

    def __init__(self, uri: str, detail: str = "") -> None:
        self.uri = uri
        super().__init__(f"{uri} does not exist" + (f": {detail}" if detail else ""))


class MalformedReportError(ModelMonitorHookError):
    """A report file exists but cannot be read as the report the caller needs.

    :param uri: the S3 URI that was read.
    :param detail: what is wrong with it.
    """

    def __init__(self, uri: str, detail: str) -> None:
        self.uri = uri
        super().__init__(f"{uri} is not a readable report: {detail}")


def error_code(exc: BaseException) -> str | None:
    """The service error code of a botocore ``ClientError`` (e.g. ``ResourceNotFound``), else ``None``."""
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code")
    return None


def is_transient_error(exc: BaseException) -> bool:
    """Whether a failed call is worth repeating later: throttling, a transient service error or a network
    error, even after botocore's own retries (the codes the Amazon provider's waiters retry on).

    :param exc: the exception a boto3 or aiobotocore call raised.
    """
    if isinstance(exc, (BotocoreConnectionError, HTTPClientError)):
        return True
    return error_code(exc) in RETRIABLE_ERROR_CODES


@contextmanager
def _quota_errors(action: str) -> Iterator[None]:
    """Turn ``ResourceLimitExceeded`` raised inside the block into a :class:`ResourceLimitError`."""
    try:
        yield
    except ClientError as exc:
        if error_code(exc) != RESOURCE_LIMIT_EXCEEDED:
            raise
        message = exc.response.get("Error", {}).get("Message", "")
        raise ResourceLimitError(
            f"Cannot {action}: {message or RESOURCE_LIMIT_EXCEEDED}. Delete unused monitoring schedules or "
            "job definitions, or request a higher SageMaker quota."
        ) from exc


def _is_pending_conflict(exc: ClientError) -> bool:
    """Whether the service refused a change because the schedule is ``Pending``."""
    message = exc.response.get("Error", {}).get("Message", "")
    return error_code(exc) == VALIDATION_EXCEPTION and SCHEDULE_PENDING.lower() in message.lower()


def _refuse_unknown(kwargs: Mapping[str, Any], method: str) -> None:
    """Raise the ``TypeError`` Python raises for keyword arguments a method does not take."""
    if kwargs:
        raise TypeError(f"{method}() got unexpected keyword arguments {sorted(kwargs)}")


def _without_none(params: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if value is not None}


def _file_uri(uri: str, file_name: str) -> str:
    """``uri`` itself when it names a JSON file, else ``file_name`` under the ``uri`` prefix."""
    return uri if uri.endswith(".json") else join_s3(uri, file_name)


def _execution_params(schedule_name: str | None, filters: Mapping[str, Any]) -> dict[str, Any]:
    return _without_none({"MonitoringScheduleName": schedule_name, **filters})


def _window_params(
    schedule_name: str, scheduled_after: datetime | None, scheduled_before: datetime | None
) -> dict[str, Any]:
    """ListMonitoringExecutions arguments for the newest executions scheduled in ``[after, before)``.

    The service does not document whether ``ScheduledTimeAfter`` includes its bound, so the request starts one
    second earlier and :func:`_pick_in_window` applies the exact bounds.
    """
    return _without_none(
        {
            "MonitoringScheduleName": schedule_name,
            "SortBy": "ScheduledTime",
            "SortOrder": "Descending",
            "MaxResults": WINDOW_PAGE_SIZE,
            "ScheduledTimeAfter": None
            if scheduled_after is None
            else as_utc(scheduled_after, "scheduled_after") - timedelta(seconds=1),
            "ScheduledTimeBefore": None
            if scheduled_before is None
            else as_utc(scheduled_before, "scheduled_before"),
        }
    )


def _pick_in_window(
    summaries: list[dict[str, Any]], scheduled_after: datetime | None, scheduled_before: datetime | None
) -> dict[str, Any] | None:
    """The newest summary whose ``ScheduledTime`` lies in ``[scheduled_after, scheduled_before)``."""
    after = None if scheduled_after is None else as_utc(scheduled_after, "scheduled_after")
    before = None if scheduled_before is None else as_utc(scheduled_before, "scheduled_before")
    inside = [
        summary
        for summary in summaries
        if (after is None or as_utc(summary["ScheduledTime"]) >= after)
        and (before is None or as_utc(summary["ScheduledTime"]) < before)
    ]
    return max(inside, key=lambda summary: as_utc(summary["ScheduledTime"]), default=None)


def _schedule_type(description: Mapping[str, Any]) -> str | None:
    """The monitoring type of a described schedule (read from its config, else from the top level)."""
    return description["MonitoringScheduleConfig"].get("MonitoringType") or description.get("MonitoringType")


def expression_of(description: Mapping[str, Any]) -> ScheduleExpression | None:
    """The ``ScheduleExpression`` of a described schedule; ``None`` when it has none.

    :param description: the ``DescribeMonitoringSchedule`` answer.
    """
    config = description["MonitoringScheduleConfig"]
    text = (config.get("ScheduleConfig") or {}).get("ScheduleExpression")
    return None if text is None else ScheduleExpression.parse(text)


def _same_schedule_config(current: Mapping[str, Any], desired: Mapping[str, Any]) -> bool:
    """Whether a described schedule already runs ``desired`` (a missing ScheduleConfig matches any).

    :param current: the DescribeMonitoringSchedule response.
    :param desired: the wanted ``MonitoringScheduleConfig``.
    """
    config = current["MonitoringScheduleConfig"]
    if config.get("MonitoringJobDefinitionName") != desired.get("MonitoringJobDefinitionName"):
        return False
    if _schedule_type(current) != desired.get("MonitoringType"):
        return False
    if "ScheduleConfig" not in desired:
        return True
    return _without_none(config.get("ScheduleConfig") or {}) == _without_none(desired["ScheduleConfig"])


class SageMakerModelMonitorHook(AwsBaseHook):
    """Interact with SageMaker Model Monitor: job definitions, schedules, executions, reports, baseline jobs.

    Every change to a schedule first waits while the schedule is ``Pending`` (and retries a change the service
    refuses for that reason), then waits again until the change has applied; a schedule that ends ``Failed``
    raises :class:`ScheduleFailedError`. Reports are read with the Amazon provider's ``S3Hook`` configured
    from the same connection.

    :param check_interval: seconds between two DescribeMonitoringSchedule calls while waiting for a schedule
        (formerly ``schedule_poll_interval``).
    :param max_ingestion_time: seconds any single wait on a schedule may take before
        :class:`ScheduleWaitTimeoutError` (formerly ``schedule_wait_timeout``).
    :param args: passed to ``AwsBaseHook`` (``aws_conn_id``, ``region_name``, ``verify``, ``config``).
    :param kwargs: passed to ``AwsBaseHook``.
    """

    def __init__(
        self,
        *args: Any,
        check_interval: float = NOTSET,
        max_ingestion_time: float = NOTSET,
        **kwargs: Any,
    ) -> None:
        self.check_interval, self.max_ingestion_time = schedule_wait(
            kwargs, check_interval, max_ingestion_time
        )
        kwargs["client_type"] = "sagemaker"
        super().__init__(*args, **kwargs)

    @cached_property
    def s3_hook(self) -> S3Hook:
        """An ``S3Hook`` with this hook's connection, region, TLS verification and botocore config."""
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        return S3Hook(
            aws_conn_id=self.aws_conn_id,
            region_name=self._region_name,
            verify=self._verify,
            config=self._config,
        )

    # ---- job definitions -------------------------------------------------------------------------------

    def _job_definition_method(self, monitoring_type: str, verb: str) -> Callable[..., dict[str, Any]]:
        """The boto3 method of ``verb`` (create, describe, list, delete) for ``monitoring_type``."""
        return getattr(self.conn, getattr(monitoring_type_api(monitoring_type), verb))

    def create_job_definition(self, monitoring_type: str, request: Mapping[str, Any]) -> str:
        """Create a job definition and return its ARN.

        :param monitoring_type: ``DataQuality``, ``ModelQuality``, ``ModelBias`` or ``ModelExplainability``.
        :param request: the ``Create<T>JobDefinition`` arguments, including ``JobDefinitionName``.
        """
        with _quota_errors(f"create job definition {request['JobDefinitionName']}"):
            response = self._job_definition_method(monitoring_type, "create")(**request)
        self.log.info("Created %s job definition %s", monitoring_type, request["JobDefinitionName"])
        return response["JobDefinitionArn"]

    def describe_job_definition(self, monitoring_type: str, name: str) -> dict[str, Any]:
        """Return ``Describe<T>JobDefinition``; raises ``ClientError`` (``ResourceNotFound``) when absent.

        :param monitoring_type: the definition's monitoring type.
        :param name: the job definition name.
        """
        return self._job_definition_method(monitoring_type, "describe")(JobDefinitionName=name)

    def job_definition_exists(self, monitoring_type: str, name: str) -> bool:
        """Whether a job definition of that type and name exists.

        :param monitoring_type: the definition's monitoring type.
        :param name: the job definition name.
        """
        try:
            self.describe_job_definition(monitoring_type, name)
        except ClientError as exc:
            if error_code(exc) == RESOURCE_NOT_FOUND:
                return False
            raise
        return True

    def list_job_definitions(
        self, monitoring_type: str, *, max_items: int | None = None, **filters: Any
    ) -> list[dict[str, Any]]:
        """Return every ``JobDefinitionSummaries`` item of ``List<T>JobDefinitions``, across pages.

        :param monitoring_type: the monitoring type to list.
        :param max_items: stop after this many summaries (all when ``None``).
        :param filters: ``List<T>JobDefinitions`` arguments, e.g. ``NameContains``, ``EndpointName``.
        """
        return self._paginate(
            monitoring_type_api(monitoring_type).list,
            "JobDefinitionSummaries",
            _without_none(filters),
            max_items,
        )

    def delete_job_definition(self, monitoring_type: str, name: str, missing_ok: bool = True) -> bool:
        """Delete a job definition; return whether it existed.

        :param monitoring_type: the definition's monitoring type.
        :param name: the job definition name.
        :param missing_ok: when False, a missing definition raises the ``ResourceNotFound`` ``ClientError``.
        """
        try:
            self._job_definition_method(monitoring_type, "delete")(JobDefinitionName=name)
        except ClientError as exc:
            if missing_ok and error_code(exc) == RESOURCE_NOT_FOUND:
                self.log.info("Job definition %s was already deleted", name)
                return False
            raise
        self.log.info("Deleted %s job definition %s", monitoring_type, name)
        return True

    # ---- schedules -------------------------------------------------------------------------------------

    def describe_schedule(self, name: str) -> dict[str, Any]:
        """Return ``DescribeMonitoringSchedule``; raises ``ClientError`` (``ResourceNotFound``) when absent.

        :param name: the monitoring schedule name.
        """
        return self.conn.describe_monitoring_schedule(MonitoringScheduleName=name)

    def describe_schedule_or_none(self, name: str) -> dict[str, Any] | None:
        """Return ``DescribeMonitoringSchedule``, or ``None`` when the schedule does not exist.

        :param name: the monitoring schedule name.
        """
        try:
            return self.describe_schedule(name)
        except ClientError as exc:
            if error_code(exc) == RESOURCE_NOT_FOUND:
                return None
            raise

    def schedule_exists(self, name: str) -> bool:
        """Whether a monitoring schedule of that name exists.

        :param name: the monitoring schedule name.
        """
        return self.describe_schedule_or_none(name) is not None

    def schedule_expression(self, name: str) -> ScheduleExpression | None:
        """The schedule's ``ScheduleExpression``; ``None`` when it has none (the service picks a daily time).

        :param name: the monitoring schedule name.
        """
        expression = expression_of(self.describe_schedule(name))
        self.log.info("Schedule %s runs on %s", name, expression or "a daily time the service picks")
        return expression

    async def describe_schedule_or_none_async(self, name: str) -> dict[str, Any] | None:
        """Asynchronous :meth:`describe_schedule_or_none`.

        :param name: the monitoring schedule name.
        """
        async with await self.get_async_conn() as client:
            try:
                return await client.describe_monitoring_schedule(MonitoringScheduleName=name)
            except ClientError as exc:
                if error_code(exc) == RESOURCE_NOT_FOUND:
                    return None
                raise

    def max_runtime_seconds(self, description: Mapping[str, Any]) -> float | None:
        """The ``StoppingCondition.MaxRuntimeInSeconds`` of the job a described schedule runs, or ``None``.

        Reads the referenced job definition (one ``Describe<T>JobDefinition`` call), or the inline
        ``MonitoringJobDefinition``; ``None`` when neither sets one.

        :param description: the schedule's ``DescribeMonitoringSchedule`` answer.
        """
        config = description["MonitoringScheduleConfig"]
        definition_name = config.get("MonitoringJobDefinitionName")
        monitoring_type = _schedule_type(description)
        if definition_name and monitoring_type:
            definition = self.describe_job_definition(monitoring_type, definition_name)
        else:
            definition = config.get("MonitoringJobDefinition") or {}
        return (definition.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")

    def list_schedules(self, *, max_items: int | None = None, **filters: Any) -> list[dict[str, Any]]:
        """Return every ``MonitoringScheduleSummaries`` item of ``ListMonitoringSchedules``, across pages.

        :param max_items: stop after this many summaries (all when ``None``).
        :param filters: ``ListMonitoringSchedules`` arguments, e.g. ``EndpointName``, ``NameContains``,
            ``MonitoringJobDefinitionName``, ``StatusEquals``, ``SortBy``.
        """
        return self._paginate(
            "list_monitoring_schedules", "MonitoringScheduleSummaries", _without_none(filters), max_items
        )

    def create_schedule(self, request: Mapping[str, Any], wait: bool = True) -> str:
        """Create a monitoring schedule and return its ARN.

        :param request: the ``CreateMonitoringSchedule`` arguments.
        :param wait: wait until the schedule leaves ``Pending`` (raises :class:`ScheduleFailedError` on
            ``Failed``).
        """
        name = request["MonitoringScheduleName"]
        with _quota_errors(f"create monitoring schedule {name}"):
            response = self.conn.create_monitoring_schedule(**request)
        self.log.info("Created monitoring schedule %s", name)
        if wait:
            self.wait_for_schedule(name)
        return response["MonitoringScheduleArn"]

    def update_schedule(self, name: str, config: Mapping[str, Any], wait: bool = True) -> str:
        """Replace a schedule's whole ``MonitoringScheduleConfig`` and return its ARN.

        :param name: the monitoring schedule name.
        :param config: the new ``MonitoringScheduleConfig``.
        :param wait: wait until the update has applied (raises :class:`ScheduleFailedError` on ``Failed``).
        """

        def update(**params: Any) -> dict[str, Any]:
            with _quota_errors(f"update monitoring schedule {name}"):
                return self.conn.update_monitoring_schedule(**params, MonitoringScheduleConfig=config)

        return self._change_and_wait(name, "update", "Updated", update, wait)["MonitoringScheduleArn"]

    def start_schedule(self, name: str, wait: bool = True) -> None:
        """Start a stopped schedule.

        :param name: the monitoring schedule name.
        :param wait: wait until the schedule leaves ``Pending``.
        """
        self._change_and_wait(name, "start", "Started", self.conn.start_monitoring_schedule, wait)

    def stop_schedule(self, name: str, wait: bool = True) -> None:
        """Stop a schedule; an execution already running continues.

        :param name: the monitoring schedule name.
        :param wait: wait until the schedule leaves ``Pending``.
        """
        self._change_and_wait(name, "stop", "Stopped", self.conn.stop_monitoring_schedule, wait)

    def _change_and_wait(
        self, name: str, action: str, done: str, operation: Callable[..., T], wait: bool
    ) -> T:
        """Run ``operation(MonitoringScheduleName=name)`` as a schedule change, log it, wait if ``wait``.

        :param action: the verb of the change, for messages (``start``).
        :param done: its past tense, for the log (``Started``).
        """
        response = self._change_schedule(name, action, lambda: operation(MonitoringScheduleName=name))
        self.log.info("%s monitoring schedule %s", done, name)
        if wait:
            self.wait_for_schedule(name)
        return response

    def delete_schedule(self, name: str, missing_ok: bool = False, wait: bool = True) -> bool:
        """Delete a schedule (its execution history stays); return whether it existed.

        :param name: the monitoring schedule name.
        :param missing_ok: when False, a missing schedule raises the ``ResourceNotFound`` ``ClientError``.
        :param wait: wait until DescribeMonitoringSchedule no longer finds it, so its job definitions can be
            deleted next.
        """
        try:
            self._change_schedule(
                name, "delete", lambda: self.conn.delete_monitoring_schedule(MonitoringScheduleName=name)
            )
        except ClientError as exc:
            if not (missing_ok and error_code(exc) == RESOURCE_NOT_FOUND):
                raise
            self.log.info("Monitoring schedule %s does not exist; nothing to delete", name)
            return False
        self.log.info("Deleted monitoring schedule %s", name)
        if wait:
            self.wait_for_schedule(name, until_not_pending=False)
        return True

    def delete_schedule_and_job_definitions(self, name: str, missing_ok: bool = False) -> ScheduleDeletion:
        """Delete a schedule and wait until it is gone, then delete its job definitions and wait for those.

        The owned definitions are the one the schedule references plus every definition named for it
        (:func:`names.is_owned_by`); one that another schedule still references is kept. Errors are raised.

        :param name: the monitoring schedule name.
        :param missing_ok: a missing schedule is not an error (its leftover definitions are still deleted).
        :return: what was deleted.
        """
        description = self.describe_schedule_or_none(name) if missing_ok else self.describe_schedule(name)
        if description is not None:
            self.delete_schedule(name, missing_ok=True, wait=True)
        deleted: list[str] = []
        for monitoring_type, definition_name in self._owned_job_definitions(name, description):
            if self._referenced_by_a_schedule(definition_name):
                continue
            self.delete_job_definition(monitoring_type, definition_name, missing_ok=True)

            def gone(t: str = monitoring_type, n: str = definition_name) -> tuple[bool, None]:
                return not self.job_definition_exists(t, n), None

            self._poll(gone, f"Job definition {definition_name} still exists", None, None)
            deleted.append(definition_name)
        return ScheduleDeletion(name, description is not None, deleted)

    @overload
    def wait_for_schedule(
        self,
        name: str,
        *,
        until_not_pending: Literal[True] = ...,
        check_interval: float | None = ...,
        max_ingestion_time: float | None = ...,
        **deprecated: Any,
    ) -> dict[str, Any]: ...

    @overload
    def wait_for_schedule(
        self,
        name: str,
        *,
        until_not_pending: bool,
        check_interval: float | None = ...,
        max_ingestion_time: float | None = ...,
        **deprecated: Any,
    ) -> dict[str, Any] | None: ...

    def wait_for_schedule(
        self,
        name: str,
        *,
        until_not_pending: bool = True,
        check_interval: float | None = NOTSET,
        max_ingestion_time: float | None = NOTSET,
        **deprecated: Any,
    ) -> dict[str, Any] | None:
        """Wait, bounded, for a schedule to settle.

        :param name: the monitoring schedule name.
        :param until_not_pending: True waits until the status leaves ``Pending`` and returns the description
            (raising :class:`ScheduleFailedError` if it is ``Failed``); False waits until the schedule no
            longer exists (after a delete) and returns ``None``.
        :param check_interval: seconds between polls (default: the hook's ``check_interval``; formerly
            ``poll_interval``).
        :param max_ingestion_time: seconds before :class:`ScheduleWaitTimeoutError` (default: the hook's
            ``max_ingestion_time``; formerly ``timeout``).
        :param deprecated: the former names.
        """
        poll_interval = renamed_argument(deprecated, "check_interval", check_interval, "poll_interval", None)
        timeout = renamed_argument(deprecated, "max_ingestion_time", max_ingestion_time, "timeout", None)
        _refuse_unknown(deprecated, "wait_for_schedule")
        if not until_not_pending:

            def gone() -> tuple[bool, None]:
                return self.describe_schedule_or_none(name) is None, None

            return self._poll(gone, f"Schedule {name} still exists", poll_interval, timeout)

        def settled() -> tuple[bool, dict[str, Any]]:
            description = self.describe_schedule(name)
            return description["MonitoringScheduleStatus"] != SCHEDULE_PENDING, description

        description = self._poll(settled, f"Schedule {name} is Pending", poll_interval, timeout)
        if description["MonitoringScheduleStatus"] == SCHEDULE_FAILED:
            raise ScheduleFailedError(name, description.get("FailureReason", ""))
        return description

    def _settle(self, name: str) -> dict[str, Any] | None:
        """Wait while the schedule is ``Pending``; return its description, ``None`` when it does not exist."""

        def settled() -> tuple[bool, dict[str, Any] | None]:
            description = self.describe_schedule_or_none(name)
            pending = description is not None and description["MonitoringScheduleStatus"] == SCHEDULE_PENDING
            return not pending, description

        return self._poll(settled, f"Schedule {name} is Pending", None, None)

    def _change_schedule(self, name: str, action: str, call: Callable[[], T]) -> T:
        """Run a change once the schedule is not ``Pending``, retrying while the service says it is."""
        self._settle(name)

        def attempt() -> tuple[bool, T | None]:
            try:
                return True, call()
            except ClientError as exc:
                if _is_pending_conflict(exc):
                    return False, None
                raise

        # ``attempt`` reports done only with the value ``call`` returned, so the result is a ``T``.
        return cast(T, self._poll(attempt, f"Schedule {name} is Pending, {action} refused", None, None))

    def _poll(
        self,
        probe: Callable[[], tuple[bool, T]],
        waiting: str,
        poll_interval: float | None,
        timeout: float | None,
        timeout_error: type[ModelMonitorHookError] = ScheduleWaitTimeoutError,
    ) -> T:
        """Call ``probe`` until it reports done, sleeping between calls; raise ``timeout_error`` when late."""
        interval = self.check_interval if poll_interval is None else poll_interval
        limit = self.max_ingestion_time if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            done, value = probe()
            if done:
                return value
            if time.monotonic() >= deadline:
                raise timeout_error(f"{waiting}; gave up after {limit:g} s")
            self.log.info("%s, waiting %g s...", waiting, interval)
            time.sleep(interval)

    def create_or_update_schedule(
        self,
        schedule_name: str,
        monitoring_type: str,
        job_definition: Any,
        schedule: ScheduleExpression | str | None,
        *,
        data_analysis_start_time: str | None = None,
        data_analysis_end_time: str | None = None,
        tags: list[dict[str, str]] | None = None,
        wait: bool = True,
    ) -> ScheduleChange:
        """Make a schedule run ``job_definition`` on ``schedule``, converging on retry.

        The job definition gets a content-addressed name (:func:`names.job_definition_name`), so an
        unchanged definition keeps its name and a changed one gets a new one. A missing schedule is created
        (its new definition is deleted again if the create fails); a schedule that already points at the same
        definition with the same schedule is left alone; otherwise it is updated to the new definition, and
        the definition it used before is deleted when this schedule owns it and nothing references it.

        :param schedule_name: the monitoring schedule name.
        :param monitoring_type: ``DataQuality``, ``ModelQuality``, ``ModelBias`` or ``ModelExplainability``.
        :param job_definition: a typed job-definition spec or the ``Create<T>JobDefinition`` dict.
        :param schedule: the schedule expression; ``None`` lets the service pick a daily time on create and
            keeps the current schedule on update.
        :param data_analysis_start_time: ``ScheduleConfig.DataAnalysisStartTime`` (``NOW`` schedules).
        :param data_analysis_end_time: ``ScheduleConfig.DataAnalysisEndTime`` (``NOW`` schedules).
        :param tags: tags for a new schedule (not applied on update).
        :param wait: wait until the schedule leaves ``Pending`` after a change.
        :return: the schedule, its ARN, the job definition it runs and the action taken.
        """
        from airflow_mm_provider.monitoring.job_definitions import (
            job_definition_request,
            schedule_request,
            validate_runtime_for_schedule,
        )

        definition = job_definition_request(monitoring_type, job_definition, _PLACEHOLDER_NAME)
        definition_name = names.job_definition_name(schedule_name, monitoring_type, definition)
        definition["JobDefinitionName"] = definition_name
        validate_runtime_for_schedule(monitoring_type, definition, schedule)
        request = schedule_request(
            schedule_name,
            monitoring_type,
            definition_name,
            schedule,
            data_analysis_start_time=data_analysis_start_time,
            data_analysis_end_time=data_analysis_end_time,
            tags=tags,
        )
        desired = request["MonitoringScheduleConfig"]

        current = self._settle(schedule_name)
        swept_types: list[str | None] = [monitoring_type]
        if current is None:
            created = self._ensure_job_definition(monitoring_type, definition)
            arn = self._or_discard(
                lambda: self.create_schedule(request, wait=wait), monitoring_type, definition_name, created
            )
            action = "created"
        elif current["MonitoringScheduleStatus"] != SCHEDULE_FAILED and _same_schedule_config(
            current, desired
        ):
            self.log.info(
                "Monitoring schedule %s already runs job definition %s on the same schedule; no change",
                schedule_name,
                definition_name,
            )
            arn = current["MonitoringScheduleArn"]
            action = "unchanged"
        else:
            current_config = current["MonitoringScheduleConfig"]
            config = dict(desired)
            if "ScheduleConfig" not in config and "ScheduleConfig" in current_config:
                config["ScheduleConfig"] = current_config["ScheduleConfig"]
            created = self._ensure_job_definition(monitoring_type, definition)
            arn = self._or_discard(
                lambda: self.update_schedule(schedule_name, config, wait=wait),
                monitoring_type,
                definition_name,
                created,
            )
            swept_types.append(_schedule_type(current))
            action = "updated"
        self._sweep_job_definitions(schedule_name, swept_types, definition_name)
        return ScheduleChange(schedule_name, arn, definition_name, action)

    def _ensure_job_definition(self, monitoring_type: str, request: Mapping[str, Any]) -> bool:
        """Create the job definition unless it exists; return whether this call created it."""
        try:
            self.create_job_definition(monitoring_type, request)
        except ClientError as exc:
            if error_code(exc) != RESOURCE_IN_USE:
                raise
            self.log.info("Job definition %s already exists; reusing it", request["JobDefinitionName"])
            return False
        return True

    def _or_discard(
        self, call: Callable[[], T], monitoring_type: str, definition_name: str, created: bool
    ) -> T:
        """Run ``call``; if it fails, delete the definition this run created unless it is referenced."""
        try:
            return call()
        except Exception:
            if created:
                self._discard_if_unreferenced(monitoring_type, definition_name)
            raise

    def _named_job_definitions(self, schedule_name: str, monitoring_type: str) -> list[str]:
        """The names of the ``monitoring_type`` job definitions named for the schedule."""
        summaries = self.list_job_definitions(
            monitoring_type, NameContains=names.job_definition_prefix(schedule_name)
        )
        return [
            summary["MonitoringJobDefinitionName"]
            for summary in summaries
            if names.is_owned_by(schedule_name, summary["MonitoringJobDefinitionName"])
        ]

    def _owned_job_definitions(
        self, schedule_name: str, description: Mapping[str, Any] | None
    ) -> list[tuple[str, str]]:
        """The (monitoring type, name) of every job definition a schedule owns.

        That is the definition the schedule references plus every definition named for the schedule by
        :func:`names.job_definition_name` (left by updates or by runs that died midway). Without a description
        (the schedule is gone) all four types are searched.

        :param schedule_name: the schedule.
        :param description: its DescribeMonitoringSchedule answer, or ``None``.
        """
        found: dict[str, str] = {}
        types = list(MONITORING_TYPES)
        if description is not None:
            monitoring_type = _schedule_type(description)
            referenced = description["MonitoringScheduleConfig"].get("MonitoringJobDefinitionName")
            if monitoring_type:
                types = [monitoring_type]
                if referenced:
                    found[referenced] = monitoring_type
        for monitoring_type in types:
            for name in self._named_job_definitions(schedule_name, monitoring_type):
                found.setdefault(name, monitoring_type)
        return [(monitoring_type, name) for name, monitoring_type in found.items()]

    def _sweep_job_definitions(
        self, schedule_name: str, monitoring_types: list[str | None], keep: str
    ) -> None:
        """Delete this schedule's unreferenced job definitions other than ``keep``.

        These are definitions replaced by an update, or left behind by a run that died midway. Failures are
        logged, never raised.
        """
        for monitoring_type in dict.fromkeys(t for t in monitoring_types if t):
            try:
                owned = self._named_job_definitions(schedule_name, monitoring_type)
            except ClientError as exc:
                self.log.warning(
                    "Could not list %s job definitions of %s: %s", monitoring_type, schedule_name, exc
                )
                continue
            for name in owned:
                if name != keep:
                    self._discard_if_unreferenced(monitoring_type, name)

    def _referenced_by_a_schedule(self, definition_name: str) -> bool:
        """Whether a schedule references the job definition (logged as the reason to keep it)."""
        users = self.list_schedules(MonitoringJobDefinitionName=definition_name, max_items=1)
        if users:
            self.log.info(
                "Keeping job definition %s: schedule %s still references it",
                definition_name,
                users[0]["MonitoringScheduleName"],
            )
        return bool(users)

    def _discard_if_unreferenced(self, monitoring_type: str, definition_name: str) -> None:
        """Delete a job definition no schedule references; failures are logged, never raised."""
        try:
            if not self._referenced_by_a_schedule(definition_name):
                self.delete_job_definition(monitoring_type, definition_name, missing_ok=True)
        except ClientError as exc:
            self.log.warning("Could not delete job definition %s, left in place: %s", definition_name, exc)

    # ---- endpoints -------------------------------------------------------------------------------------

    def endpoint_capture_destination(self, endpoint_name: str) -> str | None:
        """The ``DataCaptureConfig.DestinationS3Uri`` of an endpoint, or None when it captures nothing.

        :param endpoint_name: the endpoint name.
        """
        capture = self.conn.describe_endpoint(EndpointName=endpoint_name).get("DataCaptureConfig") or {}
        return capture.get("DestinationS3Uri")

    # ---- executions ------------------------------------------------------------------------------------

    def list_executions(
        self, schedule_name: str | None = None, *, max_items: int | None = None, **filters: Any
    ) -> list[dict[str, Any]]:
        """Return ``MonitoringExecutionSummaries`` of ``ListMonitoringExecutions``, across pages.

        :param schedule_name: only executions of this schedule (all when ``None``).
        :param max_items: stop after this many summaries (all when ``None``).
        :param filters: any other ``ListMonitoringExecutions`` argument, e.g. ``ScheduledTimeAfter``
            (datetime), ``StatusEquals``, ``SortBy``, ``SortOrder``, ``MonitoringTypeEquals``.
        """
        return self._paginate(
            "list_monitoring_executions",
            "MonitoringExecutionSummaries",
            _execution_params(schedule_name, filters),
            max_items,
        )

    def find_execution(
        self,
        schedule_name: str,
        *,
        scheduled_after: datetime | None = None,
        scheduled_before: datetime | None = None,
    ) -> dict[str, Any] | None:
        """Return the newest execution whose ``ScheduledTime`` is in ``[scheduled_after, scheduled_before)``.

        Uses one ``ListMonitoringExecutions`` call sorted by ``ScheduledTime`` descending; the bounds are
        applied exactly on the client, whatever the service's inclusiveness.

        :param schedule_name: the monitoring schedule name.
        :param scheduled_after: inclusive lower bound (timezone-aware), or ``None``.
        :param scheduled_before: exclusive upper bound (timezone-aware), or ``None``.
        :return: the execution summary, or ``None`` when there is none yet.
        """
        response = self.conn.list_monitoring_executions(
            **_window_params(schedule_name, scheduled_after, scheduled_before)
        )
        return _pick_in_window(
            response.get("MonitoringExecutionSummaries", []), scheduled_after, scheduled_before
        )

    def latest_execution(self, schedule_name: str) -> dict[str, Any] | None:
        """Return the execution with the latest ``ScheduledTime``, or ``None`` when there is none.

        :param schedule_name: the monitoring schedule name.
        """
        return self.find_execution(schedule_name)

    async def list_executions_async(
        self, schedule_name: str | None = None, *, max_items: int | None = None, **filters: Any
    ) -> list[dict[str, Any]]:
        """Asynchronous :meth:`list_executions` over aiobotocore, following ``NextToken``.

        :param schedule_name: only executions of this schedule (all when ``None``).
        :param max_items: stop after this many summaries (all when ``None``).
        :param filters: any other ``ListMonitoringExecutions`` argument.
        """
        params = _execution_params(schedule_name, filters)
        summaries: list[dict[str, Any]] = []
        async with await self.get_async_conn() as client:
            while True:
                page = await client.list_monitoring_executions(**params)
                summaries.extend(page.get("MonitoringExecutionSummaries", []))
                token = page.get("NextToken")
                if not token or (max_items is not None and len(summaries) >= max_items):
                    break
                params = {**params, "NextToken": token}
        return summaries if max_items is None else summaries[:max_items]

    async def find_execution_async(
        self,
        schedule_name: str,
        *,
        scheduled_after: datetime | None = None,
        scheduled_before: datetime | None = None,
    ) -> dict[str, Any] | None:
        """Asynchronous :meth:`find_execution` (one ``ListMonitoringExecutions`` call).

        :param schedule_name: the monitoring schedule name.
        :param scheduled_after: inclusive lower bound (timezone-aware), or ``None``.
        :param scheduled_before: exclusive upper bound (timezone-aware), or ``None``.
        """
        params = _window_params(schedule_name, scheduled_after, scheduled_before)
        async with await self.get_async_conn() as client:
            response = await client.list_monitoring_executions(**params)
        return _pick_in_window(
            response.get("MonitoringExecutionSummaries", []), scheduled_after, scheduled_before
        )

    @staticmethod
    def processing_job_name(arn: str) -> str:
        """Return the job name of a processing-job ARN (``arn:aws:sagemaker:r:a:processing-job/<name>``).

        :param arn: the processing job ARN.
        """
        parts = arn.split(":", 5)
        resource = parts[5] if len(parts) == 6 and parts[0] == "arn" else ""
        kind, _, name = resource.partition("/")
        if kind != "processing-job" or not name:
            raise ValueError(f"not a processing job ARN: {arn!r}")
        return name

    def describe_processing_job(self, name_or_arn: str) -> dict[str, Any]:
        """Return ``DescribeProcessingJob`` for a job given by name or ARN.

        :param name_or_arn: the processing job name or ARN.
        """
        name = self.processing_job_name(name_or_arn) if name_or_arn.startswith("arn:") else name_or_arn
        return self.conn.describe_processing_job(ProcessingJobName=name)

    def describe_processing_job_or_none(self, name: str) -> dict[str, Any] | None:
        """``DescribeProcessingJob``, or None when no job has that name.

        :param name: the processing job name.
        """
        try:
            return self.describe_processing_job(name)
        except ClientError as exc:
            message = str(exc.response.get("Error", {}).get("Message", "")).lower()
            code = error_code(exc)
            if code == RESOURCE_NOT_FOUND or (code == "ValidationException" and "could not find" in message):
                return None
            raise

    def create_processing_job(self, request: Mapping[str, Any]) -> str:
        """Start a processing job (a baseline job, say) without waiting; return its ARN.

        :param request: the ``CreateProcessingJob`` keyword arguments.
        """
        return self.conn.create_processing_job(**request)["ProcessingJobArn"]

    def wait_for_processing_job(
        self,
        name: str,
        check_interval: float = NOTSET,
        max_ingestion_time: float | None = NOTSET,
        **deprecated: Any,
    ) -> dict[str, Any]:
        """Wait until the job has ended (in any status); return its description.

        Waits with the Amazon provider's ``ProcessingJobComplete`` waiter, the one its ``SageMakerTrigger``
        uses when the wait is deferred, for as many attempts: ``max_ingestion_time`` means the same in the
        worker and in the triggerer.

        :param name: the processing job name.
        :param check_interval: seconds between two DescribeProcessingJob calls (formerly ``poll_interval``;
            default 30).
        :param max_ingestion_time: seconds to wait at most before :class:`ProcessingJobWaitTimeoutError`
            (formerly ``timeout``); None (default): two days.
        :param deprecated: the former names.
        """
        from airflow.providers.amazon.aws.utils.waiter_with_logging import wait

        interval = checked_interval(
            renamed_argument(
                deprecated, "check_interval", check_interval, "poll_interval", PROCESSING_JOB_CHECK_INTERVAL
            )
        )
        limit = checked_max_wait(
            renamed_argument(deprecated, "max_ingestion_time", max_ingestion_time, "timeout", None), zero=True
        )
        _refuse_unknown(deprecated, "wait_for_processing_job")
        limit = PROCESSING_JOB_MAX_INGESTION_TIME if limit is None else limit
        try:
            wait(
                waiter=self.get_waiter("ProcessingJobComplete"),
                waiter_delay=interval,
                waiter_max_attempts=waiter_max_attempts(limit, interval) + 1,  # the first look is at once
                args={"ProcessingJobName": name},
                failure_message=f"Processing job {name} did not complete",
                status_message=f"Processing job {name} is",
                status_args=["ProcessingJobStatus"],
            )
        except Exception as exc:  # whatever stopped the waiter, the job's own status decides
            job = self.describe_processing_job(name)
            if job["ProcessingJobStatus"] in PROCESSING_JOB_RUNNING:
                raise ProcessingJobWaitTimeoutError(
                    f"Processing job {name} has not ended; gave up after {limit:g} s"
                ) from exc
            return job
        return self.describe_processing_job(name)

    # ---- reports ---------------------------------------------------------------------------------------

    def execution_report_uri(self, execution_summary: Mapping[str, Any]) -> str:
        """Return the S3 prefix an execution writes its report files to.

        :param execution_summary: a ``MonitoringExecutionSummary`` with a ``ProcessingJobArn`` (or the
            provider's snake_case XCom of one); a self-hosted analysis's summary names its report prefix
            (``ReportUri``) instead, read without a call.
        """
        execution_summary = api_execution(execution_summary)
        if execution_summary.get(REPORT_URI_KEY):
            return str(execution_summary[REPORT_URI_KEY])
        arn = execution_summary.get("ProcessingJobArn")
        if not arn:
            status = execution_summary.get("MonitoringExecutionStatus", "?")
            raise ModelMonitorHookError(
                f"The {execution_label(execution_summary)} has no processing job ({status})"
            )
        outputs = self.describe_processing_job(arn).get("ProcessingOutputConfig", {}).get("Outputs") or []
        if not outputs:
            raise ModelMonitorHookError(f"Processing job {arn} declares no outputs")
        return outputs[0]["S3Output"]["S3Uri"]

    def read_violations(
        self, execution_or_uri: Mapping[str, Any] | str, monitoring_type: str
    ) -> ViolationReport:
        """Read an execution's ``constraint_violations.json``.

        A missing file reads as no violations when the execution ended ``Completed`` (or when only a URI is
        given); for any other status it raises :class:`ReportFileNotFoundError` naming the URI. A file that is
        not a violations report, or, for a ``CompletedWithViolations`` execution, lists no violation (or one
        without its ``constraint_check_type``), raises :class:`MalformedReportError` naming the URI.

        :param execution_or_uri: a ``MonitoringExecutionSummary`` (or the provider's snake_case XCom of one),
            a report prefix or the file's S3 URI.
        :param monitoring_type: the monitor type that wrote the report.
        """
        from airflow_mm_provider.monitoring.violations import ViolationReport

        if isinstance(execution_or_uri, Mapping):
            execution_or_uri = api_execution(execution_or_uri)
            status = execution_or_uri.get("MonitoringExecutionStatus")
            report_uri = self.execution_report_uri(execution_or_uri)
        else:
            status, report_uri = None, execution_or_uri
        uri = _file_uri(report_uri, CONSTRAINT_VIOLATIONS_FILE)
        text = self._read_text_or_none(uri)
        if text is not None:
            required = status == EXECUTION_COMPLETED_WITH_VIOLATIONS
            try:
                return ViolationReport.from_json(monitoring_type, text, require_violations=required)
            except ValueError as exc:
                detail = f"{exc} (the execution status is {status})" if required else str(exc)
                raise MalformedReportError(uri, detail) from exc
        if status == EXECUTION_COMPLETED_WITH_VIOLATIONS:
            raise ReportFileNotFoundError(uri, f"the execution status is {status}, so this file should exist")
        if status not in (None, EXECUTION_COMPLETED):
            raise ReportFileNotFoundError(
                uri, f"the execution status is {status}; it wrote no violations report"
            )
        self.log.info("No %s at %s; reading it as no violations", CONSTRAINT_VIOLATIONS_FILE, uri)
        return ViolationReport.empty(monitoring_type)

    def read_statistics(  # report parsers load on first use: the DAG processor never needs them
        self, uri: str, monitoring_type: str
    ) -> DataQualityStatistics | ModelQualityStatistics:
        """Read ``statistics.json`` of a data-quality or model-quality report or baseline.

        :param uri: a report/baseline prefix or the file's S3 URI.
        :param monitoring_type: ``DataQuality`` or ``ModelQuality`` (Clarify monitors write no statistics).
        """
        from airflow_mm_provider.monitoring.statistics import DataQualityStatistics, ModelQualityStatistics

        parsers: dict[str, type[DataQualityStatistics] | type[ModelQualityStatistics]] = {
            "DataQuality": DataQualityStatistics,
            "ModelQuality": ModelQualityStatistics,
        }
        if monitoring_type_api(monitoring_type).monitoring_type not in parsers:
            raise ModelMonitorHookError(
                f"{monitoring_type} monitors write no {STATISTICS_FILE}; read {ANALYSIS_FILE} with read_json"
            )
        return parsers[monitoring_type].from_json(self._read_text(_file_uri(uri, STATISTICS_FILE)))

    def read_constraints(
        self, uri: str, monitoring_type: str
    ) -> DataQualityConstraints | ModelQualityConstraints | BiasAnalysis | ExplainabilityAnalysis:
        """Read a baseline's constraints: ``constraints.json``, or ``analysis.json`` for Clarify monitors.

        :param uri: a baseline/report prefix or the file's S3 URI.
        :param monitoring_type: the monitor type that wrote the file.
        """
        from airflow_mm_provider.monitoring.clarify import BiasAnalysis, ExplainabilityAnalysis
        from airflow_mm_provider.monitoring.constraints import DataQualityConstraints, ModelQualityConstraints

        parsers: dict[str, tuple[Any, str]] = {
            "DataQuality": (DataQualityConstraints, CONSTRAINTS_FILE),
            "ModelQuality": (ModelQualityConstraints, CONSTRAINTS_FILE),
            "ModelBias": (BiasAnalysis, ANALYSIS_FILE),
            "ModelExplainability": (ExplainabilityAnalysis, ANALYSIS_FILE),
        }
        parser, file_name = parsers[monitoring_type_api(monitoring_type).monitoring_type]
        return parser.from_json(self._read_text(_file_uri(uri, file_name)))

    def read_metric_documents(
        self, execution_summary: Mapping[str, Any], monitoring_type: str, report_uri: str | None = None
    ) -> dict[str, str | None]:
        """The report and baseline files that measure an execution, as the keyword arguments (JSON text) of
        :func:`~airflow_mm_provider.monitoring.metrics.metric_records`.

        From the report: ``statistics`` and ``constraints`` (data quality), ``statistics`` (model quality),
        ``analysis`` (bias, explainability). From the baseline of the execution's job definition
        (``ConstraintsResource`` / ``StatisticsResource``, else its ``BaseliningJobName``'s output):
        ``baseline_statistics`` (data quality), ``constraints`` (model quality), ``baseline_analysis``
        (bias, explainability). A file that cannot be read or found is None.

        :param execution_summary: a ``MonitoringExecutionSummary`` (or the provider's snake_case XCom of one).
        :param monitoring_type: the monitor type of the execution.
        :param report_uri: its report prefix, when already known.
        """
        api = monitoring_type_api(monitoring_type)
        execution_summary = api_execution(execution_summary)
        report_uri = report_uri or self.execution_report_uri(execution_summary)
        baseline = self._baseline_config(execution_summary, api)

        def report(file_name: str) -> str | None:
            return self._read_document(join_s3(report_uri, file_name))

        def base(resource: str, file_name: str) -> str | None:
            return self._read_document(self._baseline_file(baseline, resource, file_name))

        if api.monitoring_type == "DataQuality":
            return {
                "statistics": report(STATISTICS_FILE),
                "constraints": report(CONSTRAINTS_FILE),
                "baseline_statistics": base("StatisticsResource", STATISTICS_FILE),
            }
        if api.monitoring_type == "ModelQuality":
            return {
                "statistics": report(STATISTICS_FILE),
                "constraints": base("ConstraintsResource", CONSTRAINTS_FILE),
            }
        return {
            "analysis": report(ANALYSIS_FILE),
            "baseline_analysis": base("ConstraintsResource", ANALYSIS_FILE),
        }

    def _baseline_config(
        self, execution_summary: Mapping[str, Any], api: MonitoringTypeApi
    ) -> dict[str, Any]:
        """The ``BaselineConfig`` of the job definition an execution ran (a self-hosted analysis's summary
        carries it); empty when it cannot be read."""
        if BASELINE_CONFIG_KEY in execution_summary:
            return dict(execution_summary[BASELINE_CONFIG_KEY] or {})
        name = execution_summary.get("MonitoringJobDefinitionName")
        try:
            if not name:
                config = self.describe_schedule(execution_summary["MonitoringScheduleName"])
                config = config.get("MonitoringScheduleConfig") or {}
                name = config.get("MonitoringJobDefinitionName")
                if not name:  # an inline job definition
                    return dict((config.get("MonitoringJobDefinition") or {}).get("BaselineConfig") or {})
            definition = self.describe_job_definition(api.monitoring_type, name)
        except ClientError as exc:
            self.log.warning(
                "Cannot read the baseline of the %s: %s", execution_label(execution_summary), exc
            )
            return {}
        return dict(definition.get(api.baseline_config_key) or {})

    def _baseline_file(self, baseline: Mapping[str, Any], resource: str, file_name: str) -> str | None:
        """The S3 URI of a baseline file: its resource's ``S3Uri``, else the baselining job's output."""
        uri = (baseline.get(resource) or {}).get("S3Uri")
        if uri:
            return _file_uri(uri, file_name)
        job_name = baseline.get("BaseliningJobName")
        if not job_name:
            return None
        try:
            outputs = self.describe_processing_job(job_name).get("ProcessingOutputConfig", {}).get("Outputs")
        except ClientError as exc:
            self.log.warning("Cannot read baselining job %s: %s", job_name, exc)
            return None
        return join_s3(outputs[0]["S3Output"]["S3Uri"], file_name) if outputs else None

    def _read_document(self, uri: str | None) -> str | None:
        """The text of an S3 file; None when there is no URI or the file cannot be read."""
        if uri is None:
            return None
        try:
            return self._read_text_or_none(uri)
        except (ClientError, ValueError) as exc:
            self.log.warning("Cannot read %s: %s", uri, exc)
            return None

    def read_json(self, uri: str) -> Any:
        """Read and parse a JSON file from S3; raises :class:`ReportFileNotFoundError` when it is missing.

        :param uri: the file's S3 URI.
        """
        return json.loads(self._read_text(uri))

    def _read_text(self, uri: str) -> str:
        text = self._read_text_or_none(uri)
        if text is None:
            raise ReportFileNotFoundError(uri)
        return text

    def _read_text_or_none(self, uri: str) -> str | None:
        bucket, key = split_s3_uri(uri)
        try:
            return self.s3_hook.read_key(key, bucket_name=bucket)
        except ClientError as exc:
            if error_code(exc) in _S3_MISSING_CODES:
                return None
            raise

    # ---- failures --------------------------------------------------------------------------------------

    def describe_failure(self, execution_summary: Mapping[str, Any]) -> str:
        """Explain why an execution failed: its ``FailureReason`` and its processing job's exit text.

        Adds a hint on likely causes when the job found no data in the analysed window or was stopped.

        :param execution_summary: a ``MonitoringExecutionSummary`` (or the provider's snake_case XCom of one).
        """
        execution_summary = api_execution(execution_summary)
        job, notes = None, []
        arn = execution_summary.get("ProcessingJobArn")
        if arn:
            try:
                job = self.describe_processing_job(arn)
            except ClientError as exc:
                notes.append(f"(could not describe processing job {arn}: {exc})")
        return failure_message(execution_summary, job, notes)

    # ---- shared ----------------------------------------------------------------------------------------

    def _paginate(
        self, operation: str, result_key: str, params: Mapping[str, Any], max_items: int | None
    ) -> list[dict[str, Any]]:
        """Collect ``result_key`` items of every page of ``operation`` with the botocore paginator."""
        config = {} if max_items is None else {"MaxItems": max_items}
        items: list[dict[str, Any]] = []
        for page in self.conn.get_paginator(operation).paginate(**params, PaginationConfig=config):
            items.extend(page.get(result_key, []))
        return items
