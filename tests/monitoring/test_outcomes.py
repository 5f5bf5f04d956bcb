from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import botocore.session
import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_mm_provider.monitoring.outcomes import (
    ERROR,
    NO_DATA_HINT,
    OUTCOMES,
    RUNNING_STATUSES,
    STATUS_KEY,
    STOPPED_HINT,
    SUMMARY_FIELDS,
    TERMINAL_STATUSES,
    TIMEOUT,
    UNREACHABLE,
    Outcome,
    api_execution,
    classify,
    event_ending,
    execution_ending,
    execution_label,
    execution_summary,
    execution_xcom,
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


# ---- the XCom shape ------------------------------------------------------------------------------------


def test_summary_fields_are_the_api_members() -> None:
    model = botocore.session.get_session().get_service_model("sagemaker")
    assert list(SUMMARY_FIELDS) == list(model.shape_for("MonitoringExecutionSummary").members)


def test_execution_xcom_is_snake_case_json_with_every_member() -> None:
    xcom = execution_xcom(SUMMARY)
    assert json.loads(json.dumps(xcom)) == xcom
    assert list(xcom) == [
        "monitoring_schedule_name",
        "scheduled_time",
        "creation_time",
        "last_modified_time",
        "monitoring_execution_status",
        "processing_job_arn",
        "endpoint_name",
        "failure_reason",
        "monitoring_job_definition_name",
        "monitoring_type",
    ]
    assert (xcom["scheduled_time"], xcom["monitoring_execution_status"]) == (
        "2024-05-01T13:00:00+00:00",
        "Failed",
    )
    assert xcom["endpoint_name"] is None
    assert execution_xcom(xcom) == xcom


@given(
    st.fixed_dictionaries(
        {STATUS_KEY: st.sampled_from(sorted(TERMINAL_STATUSES | RUNNING_STATUSES))},
        optional={field: st.text(min_size=1, max_size=8) for field in SUMMARY_FIELDS if field != STATUS_KEY},
    )
)
def test_api_execution_reads_back_what_execution_xcom_wrote(summary: dict[str, str]) -> None:
    assert api_execution(execution_xcom(summary)) == summary
    assert api_execution(summary) == summary


# ---- what a finished wait means ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "options", "expected", "fails"),
    [
        ("Completed", {"fail_on_violations": True}, "success", False),
        ("CompletedWithViolations", {}, "violations", False),
        ("CompletedWithViolations", {"fail_on_violations": True}, "violations", True),
        ("Failed", {}, "failed", True),
        ("Stopped", {"fail_on_failed": False}, "failed", False),
    ],
)
def test_execution_ending(status: str, options: dict[str, bool], expected: str, fails: bool) -> None:
    choices = {"fail_on_violations": False, "fail_on_failed": True, **options}
    ending = execution_ending({**SUMMARY, STATUS_KEY: status}, **choices)
    assert (ending.status, ending.fails) == (expected, fails)
    assert ending.execution == execution_summary({**SUMMARY, STATUS_KEY: status})
    assert ending.message.startswith(outcome_message({**SUMMARY, STATUS_KEY: status}))


def test_a_running_execution_has_no_ending_yet() -> None:
    assert (
        execution_ending({**SUMMARY, STATUS_KEY: "InProgress"}, fail_on_violations=True, fail_on_failed=True)
        is None
    )


def test_a_failed_ending_explains_itself() -> None:
    ending = execution_ending(SUMMARY, fail_on_violations=False, fail_on_failed=True)
    assert ending is not None and ending.message == failure_message(SUMMARY)


def test_an_event_of_an_ended_execution_is_judged_like_the_execution() -> None:
    choices = {"fail_on_violations": True, "fail_on_failed": False}
    event = {"status": "failed", "execution": execution_summary(SUMMARY), "message": "whatever"}
    assert event_ending(event, **choices) == execution_ending(SUMMARY, **choices)
    snake = {"status": "failed", "execution": execution_xcom(SUMMARY), "message": "whatever"}
    assert event_ending(snake, **choices) == execution_ending(SUMMARY, **choices)


@pytest.mark.parametrize(
    ("event", "status", "message"),
    [
        ({"status": TIMEOUT, "execution": None, "message": "gave up"}, TIMEOUT, "gave up"),
        ({"status": UNREACHABLE, "execution": None, "message": "deleted"}, UNREACHABLE, "deleted"),
        ({"status": ERROR, "execution": None, "message": "AccessDenied"}, ERROR, "AccessDenied"),
        (None, ERROR, "unexpected trigger event {}"),
        ({"status": "success"}, ERROR, "unexpected trigger event"),
        (
            {"status": "success", "execution": {**SUMMARY, STATUS_KEY: "InProgress"}},
            ERROR,
            "has not ended: InProgress",
        ),
    ],
)
def test_an_event_without_a_verdict(event: dict | None, status: str, message: str) -> None:
    ending = event_ending(event, fail_on_violations=False, fail_on_failed=False)
    assert ending.status == status and ending.fails and message in ending.message
