"""Every request is checked against the botocore model, more strictly than botocore's client does."""

from __future__ import annotations

import json
import urllib.request
from typing import Any
from urllib.error import HTTPError

import pytest
from botocore.exceptions import ClientError

from tests.support.service import error_code, error_message, job_definition, raw_client, signed_headers


def reject(call: Any, **kwargs: Any) -> str:
    """Call, expect a ValidationException, return its message."""
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    assert error_code(err) == "ValidationException"
    return error_message(err)


def test_bad_name_pattern(sm: Any) -> None:
    message = reject(sm.describe_monitoring_schedule, MonitoringScheduleName="bad_name")
    assert "'MonitoringScheduleName'" in message
    assert "regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$" in message


def test_name_longer_than_63(sm: Any) -> None:
    message = reject(sm.describe_monitoring_schedule, MonitoringScheduleName="a" * 64)
    assert "length less than or equal to 63" in message


def test_enum_value(sm: Any) -> None:
    message = reject(sm.list_monitoring_executions, SortBy="Newest")
    assert "'SortBy'" in message and "enum value set: [CreationTime, ScheduledTime, Status]" in message


def test_nested_member_path_is_named(sm: Any) -> None:
    args = job_definition("DataQuality", "jd")
    args["DataQualityJobInput"]["EndpointInput"]["S3InputMode"] = "Stream"
    args["DataQualityJobOutputConfig"]["MonitoringOutputs"][0]["S3Output"]["S3Uri"] = "ftp://x"
    message = reject(sm.create_data_quality_job_definition, **args)
    assert message.startswith("2 validation errors detected")
    assert "DataQualityJobInput.EndpointInput.S3InputMode" in message
    assert "DataQualityJobOutputConfig.MonitoringOutputs[0].S3Output.S3Uri" in message


def test_number_range_and_map_key(sm: Any) -> None:
    args = job_definition("DataQuality", "jd", StoppingCondition={"MaxRuntimeInSeconds": 90000})
    args["DataQualityAppSpecification"]["Environment"] = {"bad-key": "v"}
    message = reject(sm.create_data_quality_job_definition, **args)
    assert "StoppingCondition.MaxRuntimeInSeconds" in message and "less than or equal to 86400" in message
    assert "DataQualityAppSpecification.Environment.key" in message


def test_list_sizes(sm: Any) -> None:
    args = job_definition("DataQuality", "jd")
    outputs = args["DataQualityJobOutputConfig"]["MonitoringOutputs"]
    outputs.append(outputs[0])
    message = reject(sm.create_data_quality_job_definition, **args)
    assert "MonitoringOutputs" in message and "length less than or equal to 1" in message


def test_tag_pattern_with_unicode_classes(sm: Any) -> None:
    args = job_definition("DataQuality", "jd", Tags=[{"Key": "équipe", "Value": "données 1"}])
    sm.create_data_quality_job_definition(**args)
    message = reject(
        sm.create_data_quality_job_definition,
        **job_definition("DataQuality", "jd2", Tags=[{"Key": "a*b", "Value": ""}]),
    )
    assert "Tags[0].Key" in message


def test_required_unknown_and_type_errors_reach_the_server(mm: Any) -> None:
    raw = raw_client(mm)
    assert "Value null at 'MonitoringScheduleName'" in reject(raw.describe_monitoring_schedule)
    assert "Member must be an integer" in reject(raw.list_monitoring_schedules, MaxResults="ten")
    assert "greater than or equal to 1" in reject(raw.list_monitoring_schedules, MaxResults=0)
    assert "Member must be a string" in reject(raw.describe_monitoring_schedule, MonitoringScheduleName=5)


def post(mm: Any, target: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """A hand-made JSON 1.1 call (for bodies boto3 cannot produce)."""
    request = urllib.request.Request(
        mm.endpoint_url,
        data=body,
        method="POST",
        headers=signed_headers(
            mm.endpoint_url,
            body,
            "sagemaker",
            {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"},
        ),
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except HTTPError as err:
        return err.code, json.loads(err.read())


def test_unknown_member_and_malformed_json(mm: Any) -> None:
    status, body = post(
        mm, "SageMaker.DescribeMonitoringSchedule", b'{"MonitoringScheduleName": "s", "Colour": 1}'
    )
    assert status == 400 and body["__type"] == "ValidationException"
    assert "Unknown member 'Colour'" in body["message"]
    status, body = post(mm, "SageMaker.ListMonitoringSchedules", b"{not json")
    assert (status, body["__type"]) == (400, "SerializationException")


def test_timestamps_accept_epoch_seconds(mm: Any) -> None:
    status, body = post(mm, "SageMaker.ListMonitoringExecutions", b'{"CreationTimeAfter": 1704067200.5}')
    assert (status, body) == (200, {"MonitoringExecutionSummaries": []})
    status, body = post(mm, "SageMaker.ListMonitoringExecutions", b'{"CreationTimeAfter": "yesterday"}')
    assert status == 400 and "CreationTimeAfter" in body["message"]


def test_invalid_next_token(sm: Any) -> None:
    assert "Invalid pagination token" in reject(sm.list_monitoring_executions, NextToken="not-a-token")
