"""Fault injection seen by boto3: throttling and internal errors, with and without retries."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError


def test_throttling_without_retries_surfaces(mm: Any, sm: Any) -> None:
    mm.inject_fault("ListMonitoringSchedules", count=1, kind="throttling")
    with pytest.raises(ClientError) as err:
        sm.list_monitoring_schedules()
    assert err.value.response["Error"]["Code"] == "ThrottlingException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert sm.list_monitoring_schedules()["MonitoringScheduleSummaries"] == []


def test_internal_failure_is_a_500(mm: Any, sm: Any) -> None:
    mm.inject_fault("ListMonitoringExecutions", count=1, kind="internal")
    with pytest.raises(ClientError) as err:
        sm.list_monitoring_executions()
    assert err.value.response["Error"]["Code"] == "InternalFailure"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


@pytest.mark.parametrize("kind", ["throttling", "internal"])
def test_standard_retries_get_through(mm: Any, kind: str) -> None:
    client = mm.client("sagemaker", retries={"mode": "standard", "max_attempts": 4})
    mm.inject_fault("ListMonitoringSchedules", count=1, kind=kind)
    response = client.list_monitoring_schedules()
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert mm.control("GET", "status")["faults"] == {}


def test_faults_are_per_operation_and_can_be_cleared(mm: Any, sm: Any) -> None:
    mm.inject_fault("DescribeMonitoringSchedule", count=3)
    assert sm.list_monitoring_schedules()["MonitoringScheduleSummaries"] == []
    assert mm.control("GET", "status")["faults"] == {"DescribeMonitoringSchedule": 3}
    mm.control("DELETE", "faults")
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_monitoring_schedule(MonitoringScheduleName="x")


def test_bad_fault_kind_is_rejected(mm: Any) -> None:
    from urllib.error import HTTPError

    with pytest.raises(HTTPError) as err:
        mm.inject_fault("ListTags", kind="explode")
    assert err.value.code == 400
