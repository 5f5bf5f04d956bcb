from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import botocore.session
import pytest

from airflow_mm_provider.monitoring.outcomes import (
    NO_DATA_HINT,
    OUTCOMES,
    RUNNING_STATUSES,
    STOPPED_HINT,
    TERMINAL_STATUSES,
    Outcome,
    classify,
    execution_label,
    execution_summary,
    failure_message,
    json_safe,
    outcome_message,
    should_fail,
)

SLOT = datetime(2024, 5, 1, 13, tzinfo=timezone.utc)
SUMMARY = {
    "MonitoringScheduleName": "churn-dq",
    "ScheduledTime": SLOT,
    "CreationTime": SLOT + timedelta(minutes=4),
    "MonitoringExecutionStatus": "Failed",
    "FailureReason": "Job inputs had no data",
}


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        ("Completed", Outcome.SUCCESS),
        ("CompletedWithViolations", Outcome.VIOLATIONS),
        ("Failed", Outcome.FAILED),
        ("Stopped", Outcome.FAILED),
        ("Pending", None),
        ("InProgress", None),
        ("Stopping", None),
        ("SomeFutureStatus", None),
        (None, None),
    ],
)
def test_classify(status: str | None, outcome: Outcome | None) -> None:
    assert classify(status) is outcome


def test_status_sets_partition_the_api_enum() -> None:
    model = botocore.session.get_session().get_service_model("sagemaker")
    api_statuses = set(model.shape_for("ExecutionStatus").enum)
    assert set(OUTCOMES) == TERMINAL_STATUSES
    assert not RUNNING_STATUSES & TERMINAL_STATUSES
    assert api_statuses == RUNNING_STATUSES | TERMINAL_STATUSES


@pytest.mark.parametrize(
    ("outcome", "fail_on_violations", "fail_on_failed", "fails"),
    [
        (Outcome.SUCCESS, True, True, False),
        (Outcome.VIOLATIONS, False, True, False),
        (Outcome.VIOLATIONS, True, False, True),
        (Outcome.FAILED, False, True, True),
        (Outcome.FAILED, True, False, False),
    ],
)
def test_should_fail(outcome: Outcome, fail_on_violations: bool, fail_on_failed: bool, fails: bool) -> None:
    assert should_fail(outcome, fail_on_violations=fail_on_violations, fail_on_failed=fail_on_failed) is fails


def test_outcome_values_are_the_event_statuses() -> None:
    assert [outcome.value for outcome in Outcome] == ["success", "violations", "failed"]


def test_json_safe_converts_datetimes_to_utc_iso_recursively() -> None:
    plus_two = timezone(timedelta(hours=2))
    value = {
        "At": datetime(2024, 5, 1, 15, tzinfo=plus_two),
        "List": [datetime(2024, 5, 1, 13, tzinfo=timezone.utc), 3],
        "Naive": datetime(2024, 5, 1, 13),
        "Text": "x",
    }
    assert json_safe(value) == {
        "At": "2024-05-01T13:00:00+00:00",
        "List": ["2024-05-01T13:00:00+00:00", 3],
        "Naive": "2024-05-01T13:00:00",
        "Text": "x",
    }


def test_execution_summary_is_json_serializable_and_keeps_the_status() -> None:
    safe = execution_summary(SUMMARY)
    assert json.loads(json.dumps(safe)) == safe
    assert safe["ScheduledTime"] == "2024-05-01T13:00:00+00:00"
    assert safe["MonitoringExecutionStatus"] == "Failed"
    assert execution_summary({"MonitoringScheduleName": "s"})["MonitoringExecutionStatus"] is None
    assert execution_summary(safe) == safe


def test_label_and_outcome_message_accept_datetimes_and_strings() -> None:
    label = "monitoring execution of churn-dq scheduled at 2024-05-01T13:00:00+00:00"
    assert execution_label(SUMMARY) == label
    assert execution_label(execution_summary(SUMMARY)) == label
    assert outcome_message(SUMMARY) == f"The {label} ended Failed."


def test_failure_message_adds_the_no_data_hint() -> None:
    message = failure_message(SUMMARY)
    assert message.splitlines()[1] == "Job inputs had no data"
    assert message.endswith(NO_DATA_HINT)


def test_failure_message_combines_job_texts_once_each() -> None:
    summary = {**SUMMARY, "FailureReason": "AlgorithmError: boom"}
    job = {"FailureReason": "AlgorithmError: boom", "ExitMessage": "Traceback: out of memory"}
    lines = failure_message(summary, job, ["(note)"]).splitlines()
    assert lines == [
        "The monitoring execution of churn-dq scheduled at 2024-05-01T13:00:00+00:00 ended Failed.",
        "AlgorithmError: boom",
        "Traceback: out of memory",
        "(note)",
    ]


def test_failure_message_without_any_reason_says_so() -> None:
    summary = {**SUMMARY, "FailureReason": None}
    assert failure_message(summary, {"ExitMessage": "  "}).splitlines()[1:] == [
        "No FailureReason or ExitMessage was given."
    ]


def test_stopped_execution_gets_the_runtime_hint() -> None:
    summary = {"MonitoringScheduleName": "s", "ScheduledTime": SLOT, "MonitoringExecutionStatus": "Stopped"}
    assert failure_message(summary).splitlines()[1:] == [
        "No FailureReason or ExitMessage was given.",
        STOPPED_HINT,
    ]
