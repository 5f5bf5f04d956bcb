"""What the Model Monitor view shows, built from recorded execution metrics: monitors and their history.

Input rows are XComs recorded under :data:`~airflow_mm_provider.monitoring.metrics.METRICS_XCOM_KEY` (one
:class:`~airflow_mm_provider.monitoring.metrics.ExecutionMetrics` document each); values that are not such a
document are skipped. An execution recorded more than once (a retried or re-run task, two DAGs branching on
the same schedule) counts once, with its most recent record.

A monitor's history lists its last executions oldest first and, per metric series, arrays aligned with
them (``null`` where an execution did not record the series), ready for a chart: values as recorded
(numbers, or ``"NaN"`` / ``"Infinity"`` text), thresholds, allowed ranges and verdicts. Series any execution
violated come first, then constrained ones, then the rest, each group in the order the records list them.

Pure: no Airflow, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from airflow_mm_provider.monitoring.metrics import ExecutionMetrics
from airflow_mm_provider.monitoring.times import parse_time

TaskUrl = Callable[[str, str, str], str]
"""``(dag_id, run_id, task_id) -> URL`` of the recording task instance in the Airflow UI."""


@dataclass(frozen=True)
class Recorded:
    """One recorded XCom.

    :param dag_id: the DAG of the task that recorded it.
    :param run_id: the DAG run.
    :param task_id: the task (usually the violation branch).
    :param recorded_at: when it was written, ISO-8601.
    :param value: the XCom value, an ``ExecutionMetrics`` document if all is well.
    """

    dag_id: str
    run_id: str
    task_id: str
    recorded_at: str
    value: Any


_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class _Execution:
    recorded: Recorded
    metrics: ExecutionMetrics

    @property
    def scheduled(self) -> datetime:
        """The scheduled time, for ordering (the earliest time when it is missing or unreadable)."""
        try:
            return parse_time(self.metrics.scheduled_time, "scheduled_time") or _EARLIEST
        except ValueError:
            return _EARLIEST


def _read(rows: Iterable[Recorded]) -> list[_Execution]:
    """The rows holding a recorded document, newest record first, one per (monitor, scheduled time)."""
    found: dict[tuple[str, str | None], _Execution] = {}
    for row in sorted(rows, key=lambda row: row.recorded_at, reverse=True):
        try:
            metrics = ExecutionMetrics.from_json(row.value)
        except (ValueError, TypeError):
            continue
        found.setdefault((metrics.monitor, metrics.scheduled_time), _Execution(row, metrics))
    return list(found.values())


def monitors(latest: Iterable[Recorded]) -> list[dict[str, Any]]:
    """One entry per monitor, from the latest record of each recording task, sorted by name.

    Each entry: ``monitor``, ``monitoring_type``, the newest execution's ``scheduled_time``, ``status`` and
    ``violation_count``, and ``sources``, the ``[dag_id, task_id]`` pairs that record it.

    :param latest: the newest record of each (DAG, task) that recorded metrics.
    """
    entries: dict[str, dict[str, Any]] = {}
    for execution in sorted(_read(latest), key=lambda e: e.scheduled, reverse=True):
        metrics, recorded = execution.metrics, execution.recorded
        entry = entries.setdefault(
            metrics.monitor,
            {
                "monitor": metrics.monitor,
                "monitoring_type": metrics.monitoring_type,
                "scheduled_time": metrics.scheduled_time,
                "status": metrics.status,
                "violation_count": metrics.violation_count,
                "sources": [],
            },
        )
        source = [recorded.dag_id, recorded.task_id]
        if source not in entry["sources"]:
            entry["sources"].append(source)
    return [entries[name] for name in sorted(entries)]


def _execution_json(execution: _Execution, task_url: TaskUrl) -> dict[str, Any]:
    document = execution.metrics.to_json()
    recorded = execution.recorded
    return {
        key: document[key]
        for key in (
            "scheduled_time",
            "status",
            "violation_count",
            "failure_reason",
            "report_uri",
            "report_files",
            "processing_job_arn",
            "links",
            "violations",
        )
    } | {
        "task": {
            "dag_id": recorded.dag_id,
            "run_id": recorded.run_id,
            "task_id": recorded.task_id,
            "url": task_url(recorded.dag_id, recorded.run_id, recorded.task_id),
        },
        "recorded_at": recorded.recorded_at,
    }


_SERIES_FIELDS = ("metric", "comparison", "check_type", "feature", "facet", "facet_value", "label", "stage")


def _series(executions: list[_Execution]) -> list[dict[str, Any]]:
    size = len(executions)
    series: dict[str, dict[str, Any]] = {}
    for index, execution in enumerate(executions):
        for record in execution.metrics.metrics:
            item = record.to_json()
            entry = series.get(item["series"])
            if entry is None:
                entry = {"series": item["series"]}
                entry.update({name: item.get(name) for name in _SERIES_FIELDS})
                for column in ("values", "thresholds", "baselines", "lows", "highs", "violated"):
                    entry[column] = [None] * size
                series[item["series"]] = entry
            entry["comparison"] = entry["comparison"] or item.get("comparison")
            low, high = item.get("allowed_range") or (None, None)
            entry["values"][index] = item["value"]
            entry["thresholds"][index] = item.get("threshold")
            entry["baselines"][index] = item.get("baseline_value")
            entry["lows"][index], entry["highs"][index] = low, high
            entry["violated"][index] = item["violated"]
    entries = list(series.values())
    return sorted(entries, key=lambda entry: (not any(entry["violated"]), entry["comparison"] is None))


def history(monitor: str, rows: Iterable[Recorded], limit: int, task_url: TaskUrl) -> dict[str, Any]:
    """The last ``limit`` executions of ``monitor`` and its metric series (see the module docstring).

    :param monitor: the monitor's name (its monitoring schedule's name).
    :param rows: records of the tasks that record it; records of other monitors are ignored.
    :param limit: at most this many executions, the newest ones.
    :param task_url: the URL of a recording task instance in the Airflow UI.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1 (got {limit!r})")
    executions = [execution for execution in _read(rows) if execution.metrics.monitor == monitor]
    executions.sort(key=lambda e: e.scheduled)
    executions = executions[-limit:]
    return {
        "monitor": monitor,
        "monitoring_type": executions[-1].metrics.monitoring_type if executions else None,
        "executions": [_execution_json(execution, task_url) for execution in executions],
        "series": _series(executions),
    }
