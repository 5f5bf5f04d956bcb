"""Ending a task as a finished wait says: the same exception for the same ending, whoever waited."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from airflow.providers.common.compat.sdk import (
    AirflowException,
    AirflowFailException,
    AirflowSensorTimeout,
    AirflowSkipException,
)

from airflow_mm_provider.monitoring.outcomes import ERROR, TIMEOUT, UNREACHABLE, Ending
from airflow_mm_provider.utils.outcome import final_failure, finish

SUMMARY = {
    "MonitoringScheduleName": "churn-dq",
    "ScheduledTime": "2024-05-01T13:00:00+00:00",
    "MonitoringExecutionStatus": "Failed",
}


def end(ending: Ending, **options: Any) -> dict[str, Any]:
    return finish(
        ending,
        subject="churn-dq",
        describe_failure=lambda summary: f"described {summary['MonitoringExecutionStatus']}",
        log=mock.MagicMock(),
        **options,
    )


def test_final_failure_skips_with_soft_fail() -> None:
    assert type(final_failure("m")) is AirflowFailException
    assert type(final_failure("m", soft_fail=True)) is AirflowSkipException
    assert str(final_failure("m")) == "m"


@pytest.mark.parametrize(
    ("status", "options", "expected"),
    [
        ("failed", {}, AirflowFailException),
        ("failed", {"soft_fail": True}, AirflowSkipException),
        ("failed", {"retry_failed": True}, AirflowException),
        ("violations", {"retry_failed": True}, AirflowFailException),
        ("violations", {"soft_fail": True}, AirflowSkipException),
    ],
)
def test_an_execution_that_fails_the_task_carries_the_hooks_description(
    status: str, options: dict[str, Any], expected: type[Exception]
) -> None:
    with pytest.raises(expected) as error:
        end(Ending(status, SUMMARY, "ended Failed.", True), **options)
    assert type(error.value) is expected and str(error.value) == "described Failed"


@pytest.mark.parametrize(
    ("ending", "options", "expected", "message"),
    [
        (Ending(TIMEOUT, None, "gave up", True), {}, AirflowException, "gave up"),
        (
            Ending(TIMEOUT, None, "gave up", True),
            {"timeout_error": AirflowSensorTimeout},
            AirflowSensorTimeout,
            "gave up",
        ),
        (Ending(TIMEOUT, None, "gave up", True), {"soft_fail": True}, AirflowSkipException, "gave up"),
        (Ending(UNREACHABLE, None, "deleted", True), {}, AirflowFailException, "deleted"),
        (Ending(UNREACHABLE, None, "deleted", True), {"retry_failed": True}, AirflowException, "deleted"),
        (Ending(ERROR, None, "AccessDenied", True), {"soft_fail": True}, AirflowException, "Waiting for"),
    ],
)
def test_a_wait_that_found_no_verdict(
    ending: Ending, options: dict[str, Any], expected: type[Exception], message: str
) -> None:
    with pytest.raises(expected) as error:
        end(ending, **options)
    assert type(error.value) is expected and str(error.value).startswith(message)
    assert ending.message in str(error.value)


def test_a_successful_ending_returns_the_snake_case_summary() -> None:
    log = mock.MagicMock()
    summary = {**SUMMARY, "MonitoringExecutionStatus": "Stopped"}
    result = finish(
        Ending("failed", summary, "ended Stopped.", False), subject="s", describe_failure=str, log=log
    )
    assert result["monitoring_execution_status"] == "Stopped"
    assert result["scheduled_time"] == "2024-05-01T13:00:00+00:00"
    assert "fail_on_failed is off" in log.warning.call_args.args[0]
