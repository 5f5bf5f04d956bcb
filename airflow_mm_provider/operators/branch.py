"""Branch a DAG on what a monitoring execution found: :class:`SageMakerMonitoringViolationBranchOperator`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.providers.common.compat.sdk import (
    AirflowException,
    AirflowFailException,
    Asset,
    AssetAlias,
    BaseBranchOperator,
)

from airflow_mm_provider.hooks.model_monitor import MalformedReportError, ReportFileNotFoundError
from airflow_mm_provider.links.model_monitor import (
    SageMakerMonitoringReportLink,
    SageMakerProcessingJobLink,
    persist_execution_job_link,
    persist_report_link,
)
from airflow_mm_provider.monitoring.outcomes import (
    EXECUTION_STATUSES,
    RUNNING_STATUSES,
    STATUS_KEY,
    Outcome,
    api_execution,
    classify,
    execution_label,
    execution_summary,
)
from airflow_mm_provider.monitoring.slots import DATA_INTERVAL, LATEST, awaited_execution, check_wait_for
from airflow_mm_provider.monitoring.types import monitoring_type_api
from airflow_mm_provider.operators.base import SageMakerModelMonitorBaseOperator
from airflow_mm_provider.utils.templating import rendered_object

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_mm_provider.monitoring.violations import ViolationFilter, ViolationReport

VIOLATION_REPORT_KEY = "violation_report"
"""XCom key of the violation report summary (``ViolationReport.summary()``)."""
FAILURE_KEY = "execution_failure"
"""XCom key of the failure description of a ``Failed`` or ``Stopped`` execution."""
ASSET_SCHEME = "sagemaker-model-monitor"
DEFAULT_ASSET_ALIAS = "sagemaker-model-monitor-violations"
"""The asset alias the operator declares as outlet; events for the schedule's asset go through it."""
ON_VIOLATIONS = "violations"
"""``asset_events``: emit an asset event only when violations count."""
ON_COMPLETED = "completed"
"""``asset_events``: emit an asset event for every ``Completed`` or ``CompletedWithViolations`` execution."""
ASSET_EVENTS = (ON_VIOLATIONS, ON_COMPLETED)
WAIT_FOR = (DATA_INTERVAL, LATEST)

Branch = str | Sequence[str]


def asset_uri(region: str, schedule_name: str) -> str:
    """The default asset URI of a schedule's violations: ``sagemaker-model-monitor://<region>/<schedule>``.

    :param region: the schedule's AWS region.
    :param schedule_name: the monitoring schedule name.
    """
    return f"{ASSET_SCHEME}://{region}/{schedule_name}"


class _JsonObject(dict[str, Any]):
    """A JSON object an asset event's extra can hold on Airflow 2, which puts the extra's values in a set."""

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(json.dumps(self, sort_keys=True))


def _branch(value: Any, name: str) -> Branch:
    """Check a branch parameter: a task id or a list of task ids (an empty list follows no task)."""
    if isinstance(value, str) and value:
        return value
    if (
        isinstance(value, Iterable)
        and not isinstance(value, (str, Mapping))
        and all(isinstance(item, str) and item for item in value)
    ):
        return list(value)
    raise ValueError(f"{name} must be a task id or a list of task ids (got {value!r})")


def _violation_filter(
    monitoring_type: str, check_types: Any, subjects: Any, facets: Any, labels: Any, min_count: int
) -> ViolationFilter | None:
    """The filter of the given criteria, checked against the names ``monitoring_type`` violations carry."""
    if (check_types, subjects, facets, labels, min_count) == (None, None, None, None, 1):
        return None
    from airflow_mm_provider.monitoring.violation_names import check_filter_names
    from airflow_mm_provider.monitoring.violations import ViolationFilter

    violation_filter = ViolationFilter(check_types, subjects, facets, labels, min_count)
    check_filter_names(monitoring_type, violation_filter.check_types, violation_filter.subjects)
    return violation_filter


class SageMakerMonitoringViolationBranchOperator(SageMakerModelMonitorBaseOperator, BaseBranchOperator):
    """Follow one set of downstream tasks depending on how a monitoring execution ended.

    The execution is either given (``execution``, e.g. the XCom of
    :class:`~airflow_mm_provider.sensors.execution.SageMakerMonitoringExecutionSensor`, or an API-shaped
    ``MonitoringExecutionSummary``) or found from
    ``monitoring_schedule_name``: with ``wait_for="data_interval"`` (default) the execution that analysed the
    DAG run's data interval, chosen as the execution sensor chooses it; with ``wait_for="latest"`` the newest
    one. It must have ended; wait for it with the sensor first.

    Decision (on ``MonitoringExecutionStatus``, never on whether a violations file exists):

    - ``Completed`` follows ``on_completed``.
    - ``CompletedWithViolations`` follows ``on_violations``. When a filter is given (``check_types``,
      ``subjects``, ``facets``, ``labels``, ``min_count``), the violations count only if at least
      ``min_count`` of them match it; otherwise the execution is treated as clean and ``on_completed`` is
      followed. Its ``constraint_violations.json`` must list at least one violation, each naming its
      ``constraint_check_type``: a missing, unreadable or empty report fails the task, naming the report URI.
    - ``Failed`` and ``Stopped`` follow ``on_failed``; without ``on_failed`` the task fails (no retries, the
      execution will not change). The message carries ``FailureReason`` and the processing job's exit text;
      it is logged and pushed to XCom under ``execution_failure``.
    - A running execution is an error (retried); a status the API does not define fails the task, naming it.

    For completed executions the violations are read through the hook, logged as a table (full descriptions,
    numbers rounded for reading) and pushed to XCom under ``violation_report`` (``ViolationReport.summary()``:
    type, count, counts per check type and per subject, and every violation, at full precision). The return
    value is the branch followed.

    Every execution it decides on, clean, violating or failed, is recorded under ``model_monitor_metrics``
    (:class:`~airflow_mm_provider.monitoring.metrics.ExecutionMetrics`, what the Model Monitor view charts):
    per metric its value, baseline bound, comparison and verdict, read from the execution's report and its
    job definition's baseline, plus the report URI and the task's links. The task links the execution's
    processing job and its report (see :mod:`airflow_mm_provider.links.model_monitor`). Recording and links
    never change the branch followed: a failure there is logged as a warning.

    With ``emit_asset``, an asset event (a dataset event on Airflow 2) for the schedule is emitted when
    violations count (``asset_events="violations"``, default) or for every completed execution
    (``asset_events="completed"``), so a DAG can be scheduled on that asset. The operator declares the asset
    alias ``asset_alias`` as outlet and adds the event through it only then, so nothing is emitted otherwise.
    The event's extra: ``monitoring_schedule_name``, ``scheduled_time``, ``execution_status``,
    ``monitoring_type``, ``violation_count`` (the violations that count, 0 when none does),
    ``violation_summary`` (their ``summary()``) and ``metrics`` (the recorded document, absent when it could
    not be recorded), both JSON objects.

    :param monitoring_type: ``DataQuality``, ``ModelQuality``, ``ModelBias`` or ``ModelExplainability``.
    :param on_completed: task id(s) to follow when the execution found nothing that counts (for every
        ``on_*`` parameter, an empty list skips all downstream tasks).
    :param on_violations: task id(s) to follow when violations count.
    :param on_failed: task id(s) to follow when the execution ended ``Failed`` or ``Stopped``; ``None`` fails
        the task instead.
    :param execution: the execution summary (templated), e.g. ``"{{ ti.xcom_pull('wait') }}"`` or
        ``wait.output``; give this or ``monitoring_schedule_name``.
    :param monitoring_schedule_name: the schedule whose execution to find (templated).
    :param wait_for: ``data_interval`` or ``latest``: which execution of the schedule to take (named as in
        the execution sensor).
    :param end_time_offset: the job's ``EndTimeOffset`` for ``data_interval`` (see the execution sensor).
    :param check_types: only these ``constraint_check_type`` values count; each must be one the monitor type
        writes (e.g. ``baseline_drift_check``, ``LessThanThreshold``, ``bias_drift_check``), checked at
        construction.
    :param subjects: only violations of these features, metrics or subjects count; for model quality each
        must be a model-quality metric (e.g. ``f2``), for bias a bias metric (e.g. ``DPPL``) or a subject
        ``<facet>=<value>:<metric>``, checked at construction.
    :param facets: only bias violations of these facets (``facet`` or ``facet=value``) count.
    :param labels: only explainability violations of these labels count.
    :param min_count: how many matching violations are needed to follow ``on_violations``.
    :param emit_asset: ``False`` (default); ``True`` for the asset
        ``sagemaker-model-monitor://<region>/<schedule>`` (an ``execution`` then needs its
        ``MonitoringScheduleName``); or an asset URI (templated), e.g. an S3 URI.
    :param asset_events: ``violations`` (default): emit the asset event when violations count;
        ``completed``: for every ``Completed`` or ``CompletedWithViolations`` execution.
    :param asset_alias: the name of the asset alias declared as outlet when ``emit_asset`` is set.
    :param kwargs: ``aws_conn_id``, ``region_name``, ``verify``, ``botocore_config`` and the ``BaseOperator``
        arguments.
    """

    template_fields: Sequence[str] = aws_template_fields(
        "execution", "monitoring_schedule_name", "emit_asset"
    )
    ui_color = "#f6d6a8"
    operator_extra_links = (SageMakerProcessingJobLink(), SageMakerMonitoringReportLink())

    def __init__(
        self,
        *,
        monitoring_type: str,
        on_completed: Branch,
        on_violations: Branch,
        on_failed: Branch | None = None,
        execution: Mapping[str, Any] | str | None = None,
        monitoring_schedule_name: str | None = None,
        wait_for: str = DATA_INTERVAL,
        end_time_offset: str | None = None,
        check_types: str | Iterable[str] | None = None,
        subjects: str | Iterable[str] | None = None,
        facets: str | Iterable[str] | None = None,
        labels: str | Iterable[str] | None = None,
        min_count: int = 1,
        emit_asset: bool | str | None = False,
        asset_events: str = ON_VIOLATIONS,
        asset_alias: str = DEFAULT_ASSET_ALIAS,
        **kwargs: Any,
    ) -> None:
        if (execution is None) == (monitoring_schedule_name is None):
            raise ValueError("pass exactly one of execution and monitoring_schedule_name")
        check_wait_for(wait_for, WAIT_FOR)
        emit_asset = False if emit_asset is None else emit_asset
        if not isinstance(emit_asset, (bool, str)) or emit_asset == "":
            raise ValueError(f"emit_asset must be a bool or an asset URI (got {emit_asset!r})")
        if asset_events not in ASSET_EVENTS:
            raise ValueError(f"asset_events must be one of {ASSET_EVENTS} (got {asset_events!r})")
        if emit_asset is not False:
            outlets = kwargs.pop("outlets", None) or []
            outlets = list(outlets) if isinstance(outlets, (list, tuple)) else [outlets]
            kwargs["outlets"] = [*outlets, AssetAlias(asset_alias)]
        super().__init__(**kwargs)
        self.monitoring_type = monitoring_type_api(monitoring_type, "monitoring_type").monitoring_type
        self.on_completed = _branch(on_completed, "on_completed")
        self.on_violations = _branch(on_violations, "on_violations")
        self.on_failed = None if on_failed is None else _branch(on_failed, "on_failed")
        self.execution = execution
        self.monitoring_schedule_name = monitoring_schedule_name
        self.wait_for = wait_for
        self.end_time_offset = end_time_offset
        self.violation_filter = _violation_filter(
            self.monitoring_type, check_types, subjects, facets, labels, min_count
        )
        self.emit_asset = emit_asset
        self.asset_events = asset_events
        self.asset_alias = asset_alias

    def choose_branch(self, context: Context) -> Branch:
        """Find the execution, read its violations and pick the branch (see the class docstring)."""
        summary = self._execution(context)
        status = summary.get(STATUS_KEY)
        outcome = classify(status)
        if status in RUNNING_STATUSES:
            raise AirflowException(
                f"The {execution_label(summary)} is {status} and has not ended; wait for it "
                "with SageMakerMonitoringExecutionSensor before branching"
            )
        if outcome is None:
            raise AirflowFailException(
                f"The {execution_label(summary)} has the unknown status {status!r}; a "
                f"MonitoringExecutionStatus is one of {', '.join(sorted(EXECUTION_STATUSES))}, so there is "
                "no branch to follow"
            )
        if outcome is Outcome.FAILED:
            return self._on_failure(context, summary)
        try:
            report = self.hook.read_violations(summary, self.monitoring_type)
        except (MalformedReportError, ReportFileNotFoundError) as exc:
            raise AirflowFailException(
                f"The {execution_label(summary)} ended {status}, but its violations report cannot be "
                f"used, so there is no branch to follow: {exc}"
            ) from exc
        self.log.info("Violations of the %s:\n%s", execution_label(summary), report.to_table())
        context["ti"].xcom_push(key=VIOLATION_REPORT_KEY, value=report.summary())
        document = self._record_metrics(context, summary, report)
        counted = self._counted(outcome, report)
        if self.emit_asset is not False and (counted is not None or self.asset_events == ON_COMPLETED):
            self._emit_asset(context, summary, counted or report.empty(self.monitoring_type), document)
        return self.on_completed if counted is None else self.on_violations

    def _execution(self, context: Context) -> dict[str, Any]:
        """The JSON-safe summary of the execution to decide on."""
        if self.monitoring_schedule_name is None:
            summary = rendered_object(self.execution, "execution")
            if isinstance(summary, Mapping):
                summary = api_execution(summary)
            if not isinstance(summary, Mapping) or STATUS_KEY not in summary:
                raise ValueError(
                    f"execution must be a MonitoringExecutionSummary with {STATUS_KEY}, or its XCom from the "
                    f"execution sensor or one-time operator (got {summary!r})"
                )
            if self.emit_asset is True and not summary.get("MonitoringScheduleName"):
                raise ValueError(
                    "emit_asset=True names the asset after the execution's MonitoringScheduleName, which "
                    "execution lacks; add it to execution, or pass the asset URI as emit_asset"
                )
            return execution_summary(summary)
        awaited = awaited_execution(
            self.wait_for,
            None if self.wait_for == LATEST else self.hook.schedule_expression(self.monitoring_schedule_name),
            interval_start=context.get("data_interval_start"),
            interval_end=context.get("data_interval_end"),
            appear_buffer=timedelta(0),
            end_time_offset=self.end_time_offset,
        )
        found = self.hook.find_execution(
            self.monitoring_schedule_name,
            scheduled_after=awaited.scheduled_after,
            scheduled_before=awaited.scheduled_before,
        )
        if found is None:
            raise AirflowException(
                f"No monitoring execution of {self.monitoring_schedule_name} found for "
                f"{awaited.description}; wait for it with SageMakerMonitoringExecutionSensor before branching"
            )
        return execution_summary(found)

    def _on_failure(self, context: Context, summary: Mapping[str, Any]) -> Branch:
        self._record_metrics(context, summary, None)
        message = self.hook.describe_failure(summary)
        if self.on_failed is None:
            raise AirflowFailException(message)
        self.log.warning("%s\nFollowing on_failed.", message)
        context["ti"].xcom_push(key=FAILURE_KEY, value=message)
        return self.on_failed

    def _record_metrics(
        self, context: Context, summary: Mapping[str, Any], report: ViolationReport | None
    ) -> dict[str, Any] | None:
        """Link the execution's job and report, push its metrics document and return it; None on failure.

        :param report: its violations; None for a ``Failed`` or ``Stopped`` execution (no metrics).
        """
        from airflow_mm_provider.monitoring.metrics import METRICS_XCOM_KEY

        try:
            document = self._metrics_document(context, summary, report)
        except Exception as exc:  # recording is for people: it must never change the branch followed
            self.log.warning("Could not record the metrics of the %s: %s", execution_label(summary), exc)
            return None
        context["ti"].xcom_push(key=METRICS_XCOM_KEY, value=document)
        return document

    def _metrics_document(
        self, context: Context, summary: Mapping[str, Any], report: ViolationReport | None
    ) -> dict[str, Any]:
        """The execution's :class:`~airflow_mm_provider.monitoring.metrics.ExecutionMetrics` as JSON."""
        from airflow_mm_provider.monitoring.metrics import ExecutionMetrics, metric_records

        links = {
            SageMakerProcessingJobLink.name: persist_execution_job_link(context, self, self.hook, summary)
        }
        if report is None:
            return ExecutionMetrics.create(summary, self.monitoring_type, links=_present(links)).to_json()
        report_uri = self.hook.execution_report_uri(summary)
        links[SageMakerMonitoringReportLink.name] = persist_report_link(
            context, self, self.hook, summary, self.monitoring_type, report_uri
        )
        documents = self.hook.read_metric_documents(summary, self.monitoring_type, report_uri)
        return ExecutionMetrics.create(
            summary,
            self.monitoring_type,
            report_uri=report_uri,
            metrics=metric_records(self.monitoring_type, report, **documents),
            violations=report,
            links=_present(links),
        ).to_json()

    def _counted(self, outcome: Outcome, report: ViolationReport) -> ViolationReport | None:
        """The violations that send the run to ``on_violations``, or ``None`` when the run counts as clean."""
        if outcome is Outcome.SUCCESS:
            if report.has_violations:
                self.log.warning(
                    "The execution ended Completed but its report lists %d violations; following the status",
                    report.count,
                )
            return None
        if self.violation_filter is None:
            return report
        matching = self.violation_filter.apply(report)
        if matching.count >= self.violation_filter.min_count:
            return matching
        self.log.info(
            "%d of %d violations match the filter, fewer than min_count=%d: treating the execution as clean",
            matching.count,
            report.count,
            self.violation_filter.min_count,
        )
        return None

    def _emit_asset(
        self,
        context: Context,
        summary: Mapping[str, Any],
        counted: ViolationReport,
        document: Mapping[str, Any] | None,
    ) -> None:
        schedule = summary.get("MonitoringScheduleName") or self.monitoring_schedule_name
        if isinstance(self.emit_asset, str):
            uri = self.emit_asset
        else:
            uri = asset_uri(self.hook.conn_region_name, str(schedule))
        extra: dict[str, Any] = {
            "monitoring_schedule_name": schedule,
            "scheduled_time": summary.get("ScheduledTime"),
            "execution_status": summary.get(STATUS_KEY),
            "monitoring_type": counted.monitoring_type,
            "violation_count": counted.count,
            "violation_summary": _JsonObject(counted.summary()),
        }
        if document is not None:
            extra["metrics"] = _JsonObject(document)
        self.log.info("Emitting an asset event for %s through alias %s", uri, self.asset_alias)
        context["outlet_events"][AssetAlias(self.asset_alias)].add(Asset(uri), extra=extra)


def _present(links: Mapping[str, str | None]) -> dict[str, str]:
    """The links that exist."""
    return {label: url for label, url in links.items() if url}
