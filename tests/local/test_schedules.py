"""Monitoring schedules over boto3: lifecycle, status machine, guards, validation, listing."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.service import (
    HOURLY,
    T0,
    create_definition,
    endpoint,
    error_code,
    error_message,
    job_definition,
    schedule_config,
)
from tests.support.waiting import wait_for

ARN = "arn:aws:sagemaker:us-east-1:123456789012:monitoring-schedule/"


@pytest.fixture
def dq(sm: Any) -> str:
    """An endpoint and a data-quality job definition ``dq``."""
    endpoint(sm)
    create_definition(sm, "DataQuality", "dq")
    return "dq"


def create(
    sm: Any, name: str = "sched", definition: str = "dq", job_type: str = "DataQuality", **kwargs: Any
) -> str:
    """Create a by-reference schedule; return its ARN."""
    config = schedule_config(definition, job_type, **kwargs)
    return sm.create_monitoring_schedule(MonitoringScheduleName=name, MonitoringScheduleConfig=config)[
        "MonitoringScheduleArn"
    ]


def status(sm: Any, name: str = "sched") -> str:
    """The schedule's status."""
    return sm.describe_monitoring_schedule(MonitoringScheduleName=name)["MonitoringScheduleStatus"]


def test_create_describe_scheduled(sm: Any, dq: str) -> None:
    arn = create(sm)
    assert arn == ARN + "sched"
    described = sm.describe_monitoring_schedule(MonitoringScheduleName="sched")
    assert described["MonitoringScheduleStatus"] == "Scheduled"
    assert described["MonitoringType"] == "DataQuality"
    assert described["EndpointName"] == "ep"
    assert described["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"] == HOURLY
    assert "LastMonitoringExecutionSummary" not in described


def test_pending_then_scheduled_after_the_delay(mm: Any, sm: Any, dq: str) -> None:
    mm.control("POST", "settings", {"pending_seconds": 2})  # long enough for three calls on a loaded machine
    create(sm)
    assert status(sm) == "Pending"
    with pytest.raises(ClientError) as err:
        sm.delete_monitoring_schedule(MonitoringScheduleName="sched")
    assert error_code(err) == "ValidationException"
    assert error_message(err) == "Monitoring schedule in status Pending"
    with pytest.raises(ClientError) as err:
        sm.update_monitoring_schedule(
            MonitoringScheduleName="sched", MonitoringScheduleConfig=schedule_config("dq", "DataQuality")
        )
    assert error_message(err) == "Monitoring schedule in status Pending"
    assert wait_for(lambda: status(sm), lambda now: now != "Pending", "the schedule settled") == "Scheduled"


def test_stop_start_update_delete(mm: Any, sm: Any, dq: str) -> None:
    create(sm)
    sm.stop_monitoring_schedule(MonitoringScheduleName="sched")
    assert status(sm) == "Stopped"
    sm.update_monitoring_schedule(
        MonitoringScheduleName="sched",
        MonitoringScheduleConfig=schedule_config("dq", "DataQuality", "cron(0 6 ? * * *)"),
    )
    assert status(sm) == "Stopped"
    sm.start_monitoring_schedule(MonitoringScheduleName="sched")
    described = sm.describe_monitoring_schedule(MonitoringScheduleName="sched")
    assert described["MonitoringScheduleStatus"] == "Scheduled"
    assert (
        described["MonitoringScheduleConfig"]["ScheduleConfig"]["ScheduleExpression"] == "cron(0 6 ? * * *)"
    )
    assert described["LastModifiedTime"] >= described["CreationTime"]
    sm.delete_monitoring_schedule(MonitoringScheduleName="sched")
    with pytest.raises(sm.exceptions.ResourceNotFound) as err:
        sm.describe_monitoring_schedule(MonitoringScheduleName="sched")
    assert "Could not find monitoring schedule" in error_message(err)


@pytest.mark.parametrize("operation", ["describe", "delete", "start", "stop"])
def test_unknown_schedule_is_not_found(sm: Any, operation: str) -> None:
    with pytest.raises(sm.exceptions.ResourceNotFound):
        getattr(sm, f"{operation}_monitoring_schedule")(MonitoringScheduleName="missing")


def test_update_unknown_schedule_is_not_found(sm: Any, dq: str) -> None:
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.update_monitoring_schedule(
            MonitoringScheduleName="missing", MonitoringScheduleConfig=schedule_config("dq", "DataQuality")
        )


def test_duplicate_schedule_is_in_use(sm: Any, dq: str) -> None:
    create(sm)
    with pytest.raises(sm.exceptions.ResourceInUse):
        create(sm)


def test_schedule_cap_is_a_limit(mm: Any, sm: Any, dq: str) -> None:
    mm.control("POST", "settings", {"max_schedules": 2})
    create(sm, "one")
    create(sm, "two")
    with pytest.raises(sm.exceptions.ResourceLimitExceeded):
        create(sm, "three")


@pytest.mark.parametrize(
    ("schedule", "needle"),
    [
        ({"ScheduleExpression": "Hourly: cron(0 * ? * * *)"}, "ScheduleExpression"),
        ({"ScheduleExpression": "cron(0 0 ? * MON *)"}, "ScheduleExpression"),
        ({"ScheduleExpression": "NOW"}, "DataAnalysisStartTime"),
        (
            {"ScheduleExpression": "NOW", "DataAnalysisStartTime": "-PT30H", "DataAnalysisEndTime": "-PT1H"},
            "DataAnalysisStartTime",
        ),
    ],
)
def test_schedule_expression_rules(sm: Any, dq: str, schedule: dict[str, str], needle: str) -> None:
    config = {
        "MonitoringJobDefinitionName": "dq",
        "MonitoringType": "DataQuality",
        "ScheduleConfig": schedule,
    }
    with pytest.raises(ClientError) as err:
        sm.create_monitoring_schedule(MonitoringScheduleName="bad", MonitoringScheduleConfig=config)
    assert error_code(err) == "ValidationException"
    assert needle in error_message(err)


def test_now_schedule_with_a_window_is_accepted(sm: Any, dq: str) -> None:
    create(sm, expression="NOW", DataAnalysisStartTime="-PT5H", DataAnalysisEndTime="-PT1H")
    assert status(sm) == "Scheduled"


def test_max_runtime_is_capped_by_the_cadence(sm: Any) -> None:
    endpoint(sm)
    sm.create_model_quality_job_definition(
        **job_definition("ModelQuality", "mq", StoppingCondition={"MaxRuntimeInSeconds": 3600})
    )
    with pytest.raises(ClientError) as err:
        create(sm, definition="mq", job_type="ModelQuality")
    assert "MaxRuntimeInSeconds (3600) cannot exceed 1800" in error_message(err)
    create(sm, definition="mq", job_type="ModelQuality", expression="cron(0 0/2 ? * * *)")


def test_referenced_definition_must_exist_with_its_type(sm: Any, dq: str) -> None:
    with pytest.raises(ClientError) as err:
        create(sm, definition="dq", job_type="ModelQuality")
    assert error_code(err) == "ValidationException"
    assert "does not exist" in error_message(err)


def test_monitored_endpoint_must_exist(sm: Any) -> None:
    create_definition(sm, "DataQuality", "dq", endpoint_name="nowhere")
    with pytest.raises(ClientError) as err:
        create(sm)
    assert 'Could not find endpoint "nowhere"' in error_message(err)


def test_inline_definition_defaults_to_data_quality(sm: Any, dq: str) -> None:
    args = job_definition("DataQuality", "unused")
    inline = {
        "MonitoringInputs": [args["DataQualityJobInput"]],
        "MonitoringOutputConfig": args["DataQualityJobOutputConfig"],
        "MonitoringResources": args["JobResources"],
        "MonitoringAppSpecification": args["DataQualityAppSpecification"],
        "RoleArn": args["RoleArn"],
    }
    sm.create_monitoring_schedule(
        MonitoringScheduleName="inline",
        MonitoringScheduleConfig={
            "MonitoringJobDefinition": inline,
            "ScheduleConfig": {"ScheduleExpression": HOURLY},
        },
    )
    described = sm.describe_monitoring_schedule(MonitoringScheduleName="inline")
    assert described["MonitoringType"] == "DataQuality"
    assert described["MonitoringScheduleConfig"]["MonitoringType"] == "DataQuality"


def test_config_needs_exactly_one_job_form(sm: Any, dq: str) -> None:
    with pytest.raises(ClientError) as err:
        sm.create_monitoring_schedule(
            MonitoringScheduleName="none",
            MonitoringScheduleConfig={"ScheduleConfig": {"ScheduleExpression": HOURLY}},
        )
    assert "exactly one of MonitoringJobDefinition or MonitoringJobDefinitionName" in error_message(err)


def test_list_schedules_filters_sort_and_pages(mm: Any, sm: Any, dq: str) -> None:
    endpoint(sm, "other")
    create_definition(sm, "DataQuality", "dq-other", endpoint_name="other")
    for index, (name, definition) in enumerate(
        [("b-sched", "dq"), ("a-sched", "dq-other"), ("c-sched", "dq")]
    ):
        mm.set_clock(T0.replace(minute=index))
        create(sm, name, definition)
    mm.set_clock(T0.replace(minute=5))
    sm.stop_monitoring_schedule(MonitoringScheduleName="c-sched")

    def names(**kwargs: Any) -> list[str]:
        return [
            s["MonitoringScheduleName"]
            for s in sm.list_monitoring_schedules(**kwargs)["MonitoringScheduleSummaries"]
        ]

    assert names() == ["c-sched", "a-sched", "b-sched"]
    assert names(SortBy="Name", SortOrder="Ascending") == ["a-sched", "b-sched", "c-sched"]
    assert names(SortBy="Status", SortOrder="Ascending") == ["b-sched", "a-sched", "c-sched"]
    assert names(EndpointName="other") == ["a-sched"]
    assert names(StatusEquals="Stopped") == ["c-sched"]
    assert names(NameContains="b-") == ["b-sched"]
    assert names(MonitoringJobDefinitionName="dq", SortOrder="Ascending") == ["b-sched", "c-sched"]
    assert names(MonitoringTypeEquals="ModelQuality") == []
    assert names(CreationTimeBefore=T0.replace(minute=1)) == ["b-sched"]
    assert names(LastModifiedTimeAfter=T0.replace(minute=4)) == ["c-sched"]
    summary = sm.list_monitoring_schedules(NameContains="a-")["MonitoringScheduleSummaries"][0]
    assert summary["MonitoringJobDefinitionName"] == "dq-other" and summary["MonitoringType"] == "DataQuality"
    pages = list(sm.get_paginator("list_monitoring_schedules").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(p["MonitoringScheduleSummaries"]) for p in pages] == [2, 1]
