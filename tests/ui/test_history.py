"""What the Model Monitor view shows, from recorded metrics documents: monitors, executions and series."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_mm_provider.monitoring.metrics import ExecutionMetrics, MetricRecord
from airflow_mm_provider.monitoring.violations import ViolationReport
from airflow_mm_provider.ui.history import Recorded, history, monitors


def _task_url(dag_id: str, run_id: str, task_id: str) -> str:
    return f"../dags/{dag_id}/runs/{run_id}/tasks/{task_id}"


def _document(
    monitor: str, hour: int, accuracy: float | None, *, status: str = "Completed"
) -> dict[str, Any]:
    violated = accuracy is not None and accuracy < 0.8
    metrics = (
        ()
        if accuracy is None
        else (
            MetricRecord("accuracy", accuracy, "LessThanThreshold", 0.8, violated, "LessThanThreshold"),
            MetricRecord("auc", 0.9),
        )
    )
    violations = ViolationReport.from_json(
        "ModelQuality",
        {
            "violations": [{"metric_name": "accuracy", "constraint_check_type": "LessThanThreshold"}]
            if violated
            else []
        },
    )
    execution = {
        "MonitoringScheduleName": monitor,
        "ScheduledTime": f"2024-01-01T{hour:02d}:00:00Z",
        "MonitoringExecutionStatus": "CompletedWithViolations" if violated else status,
    }
    return ExecutionMetrics.create(
        execution, "ModelQuality", metrics=metrics, violations=violations
    ).to_json()


def _row(value: Any, recorded_at: str = "2024-01-02T00:00:00+00:00", run_id: str = "r1") -> Recorded:
    return Recorded("dag", run_id, "branch", recorded_at, value)


def test_a_history_aligns_every_series_with_the_executions_oldest_first() -> None:
    rows = [
        _row(_document("mq", 2, 0.7), run_id="r3"),
        _row(_document("mq", 0, 0.9), run_id="r1"),
        _row(_document("mq", 1, None, status="Failed"), run_id="r2"),
        _row(_document("other", 1, 0.9)),
        _row({"not": "a document"}),
        _row("garbage"),
    ]

    shown = history("mq", rows, 10, _task_url)

    assert [e["scheduled_time"] for e in shown["executions"]] == [
        "2024-01-01T00:00:00Z",
        "2024-01-01T01:00:00Z",
        "2024-01-01T02:00:00Z",
    ]
    assert [e["status"] for e in shown["executions"]] == ["Completed", "Failed", "CompletedWithViolations"]
    assert shown["executions"][2]["task"] == {
        "dag_id": "dag",
        "run_id": "r3",
        "task_id": "branch",
        "url": "../dags/dag/runs/r3/tasks/branch",
    }
    accuracy, auc = shown["series"]
    assert (accuracy["series"], accuracy["comparison"]) == ("accuracy", "LessThanThreshold")
    assert accuracy["values"] == [0.9, None, 0.7]
    assert accuracy["thresholds"] == [0.8, None, 0.8]
    assert accuracy["violated"] == [False, None, True]
    assert (auc["values"], auc["comparison"]) == ([0.9, None, 0.9], None)
    assert shown["monitoring_type"] == "ModelQuality"


def test_violated_series_come_first_then_constrained_ones() -> None:
    document = _document("mq", 0, 0.9)
    document["metrics"] = [
        MetricRecord("plain", 1.0).to_json(),
        MetricRecord("bound", 1.0, "GreaterThanThreshold", 2.0).to_json(),
        MetricRecord("hit", 3.0, "GreaterThanThreshold", 2.0, True).to_json(),
    ]

    shown = history("mq", [_row(document)], 5, _task_url)

    assert [entry["series"] for entry in shown["series"]] == ["hit", "bound", "plain"]


def test_the_newest_record_of_an_execution_wins_and_the_limit_keeps_the_newest_executions() -> None:
    rows = [
        _row(_document("mq", 0, 0.9), recorded_at="2024-01-02T00:00:00+00:00"),
        _row(_document("mq", 0, 0.5), recorded_at="2024-01-03T00:00:00+00:00"),
        *(_row(_document("mq", hour, 0.9)) for hour in range(1, 5)),
    ]

    assert history("mq", rows, 10, _task_url)["series"][0]["values"][0] == 0.5
    assert [e["scheduled_time"][11:13] for e in history("mq", rows, 2, _task_url)["executions"]] == [
        "03",
        "04",
    ]
    with pytest.raises(ValueError, match="limit must be at least 1"):
        history("mq", rows, 0, _task_url)


def test_monitors_are_listed_by_name_with_their_newest_execution_and_recording_tasks() -> None:
    rows = [
        _row(_document("mq", 0, 0.9)),
        _row(_document("mq", 3, 0.5)),
        Recorded("other-dag", "r", "check", "2024-01-02T00:00:00+00:00", _document("mq", 1, 0.9)),
        _row(_document("a-monitor", 1, 0.9)),
        _row("garbage"),
    ]

    listed = monitors(rows)

    assert [entry["monitor"] for entry in listed] == ["a-monitor", "mq"]
    assert listed[1] == {
        "monitor": "mq",
        "monitoring_type": "ModelQuality",
        "scheduled_time": "2024-01-01T03:00:00Z",
        "status": "CompletedWithViolations",
        "violation_count": 1,
        "sources": [["dag", "branch"], ["other-dag", "check"]],
    }
