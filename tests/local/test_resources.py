"""Job definitions, endpoint configs, endpoints and tags, over boto3."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.service import (
    BUCKET,
    create_definition,
    endpoint,
    error_code,
    error_message,
    job_definition,
    schedule_config,
    snake,
)

JOB_TYPES = ["DataQuality", "ModelQuality", "ModelBias", "ModelExplainability"]
ARN_TYPES = {
    "DataQuality": "data-quality",
    "ModelQuality": "model-quality",
    "ModelBias": "model-bias",
    "ModelExplainability": "model-explainability",
}


@pytest.mark.parametrize("job_type", JOB_TYPES)
def test_job_definition_lifecycle(sm: Any, job_type: str) -> None:
    arn = create_definition(sm, job_type, "def-1", Tags=[{"Key": "team", "Value": "ml"}])
    assert arn == f"arn:aws:sagemaker:us-east-1:123456789012:{ARN_TYPES[job_type]}-job-definition/def-1"
    described = getattr(sm, f"describe_{snake(job_type)}_job_definition")(JobDefinitionName="def-1")
    assert described["JobDefinitionArn"] == arn
    assert described[f"{job_type}JobInput"]["EndpointInput"]["EndpointName"] == "ep"
    assert "CreationTime" in described and "Tags" not in described
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    listed = getattr(sm, f"list_{snake(job_type)}_job_definitions")()["JobDefinitionSummaries"]
    assert [(d["MonitoringJobDefinitionName"], d["EndpointName"]) for d in listed] == [("def-1", "ep")]
    getattr(sm, f"delete_{snake(job_type)}_job_definition")(JobDefinitionName="def-1")
    with pytest.raises(ClientError) as err:
        getattr(sm, f"describe_{snake(job_type)}_job_definition")(JobDefinitionName="def-1")
    assert error_code(err) == "ResourceNotFound"


def test_duplicate_job_definition_is_resource_in_use(sm: Any) -> None:
    create_definition(sm, "DataQuality", "dup")
    with pytest.raises(sm.exceptions.ResourceInUse):
        create_definition(sm, "DataQuality", "dup")


def test_describe_with_the_wrong_type_is_not_found(sm: Any) -> None:
    create_definition(sm, "DataQuality", "dq")
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.describe_model_quality_job_definition(JobDefinitionName="dq")


def test_job_input_needs_exactly_one_source(sm: Any) -> None:
    args = job_definition("DataQuality", "both")
    args["DataQualityJobInput"]["BatchTransformInput"] = job_definition(
        "DataQuality", "x", endpoint_name=None
    )["DataQualityJobInput"]["BatchTransformInput"]
    with pytest.raises(ClientError) as err:
        sm.create_data_quality_job_definition(**args)
    assert error_code(err) == "ValidationException"
    assert "exactly one of EndpointInput or BatchTransformInput" in error_message(err)


def test_list_job_definitions_filters_sorts_and_pages(mm: Any, sm: Any) -> None:
    for index, name in enumerate(["beta", "alpha", "gamma", "alpha-two"]):
        mm.set_clock(mm_time(index))
        create_definition(sm, "DataQuality", name, endpoint_name="ep" if index % 2 == 0 else "other")
    by_name = sm.list_data_quality_job_definitions(SortBy="Name", SortOrder="Ascending")[
        "JobDefinitionSummaries"
    ]
    assert [d["MonitoringJobDefinitionName"] for d in by_name] == ["alpha", "alpha-two", "beta", "gamma"]
    newest_first = sm.list_data_quality_job_definitions()["JobDefinitionSummaries"]
    assert [d["MonitoringJobDefinitionName"] for d in newest_first] == ["alpha-two", "gamma", "alpha", "beta"]
    assert [
        d["MonitoringJobDefinitionName"]
        for d in sm.list_data_quality_job_definitions(NameContains="alpha")["JobDefinitionSummaries"]
    ] == ["alpha-two", "alpha"]
    assert {
        d["MonitoringJobDefinitionName"]
        for d in sm.list_data_quality_job_definitions(EndpointName="ep")["JobDefinitionSummaries"]
    } == {"beta", "gamma"}
    after = sm.list_data_quality_job_definitions(CreationTimeAfter=mm_time(1) + timedelta(seconds=30))[
        "JobDefinitionSummaries"
    ]
    assert {d["MonitoringJobDefinitionName"] for d in after} == {"gamma", "alpha-two"}
    first = sm.list_data_quality_job_definitions(MaxResults=3, SortBy="Name", SortOrder="Ascending")
    second = sm.list_data_quality_job_definitions(
        MaxResults=3, SortBy="Name", SortOrder="Ascending", NextToken=first["NextToken"]
    )
    assert [d["MonitoringJobDefinitionName"] for d in second["JobDefinitionSummaries"]] == ["gamma"]
    assert "NextToken" not in second


def mm_time(index: int) -> Any:
    """A distinct creation time per index."""
    from tests.support.service import T0

    return T0 + timedelta(minutes=index)


def test_job_definition_in_use_cannot_be_deleted(sm: Any, s3: Any) -> None:
    endpoint(sm)
    create_definition(sm, "DataQuality", "used")
    sm.create_monitoring_schedule(
        MonitoringScheduleName="s", MonitoringScheduleConfig=schedule_config("used", "DataQuality")
    )
    with pytest.raises(ClientError) as err:
        sm.delete_data_quality_job_definition(JobDefinitionName="used")
    assert error_code(err) == "ValidationException"
    assert "in use by monitoring schedule" in error_message(err)
    sm.delete_monitoring_schedule(MonitoringScheduleName="s")
    sm.delete_data_quality_job_definition(JobDefinitionName="used")


def test_endpoint_holds_data_capture_and_goes_in_service(sm: Any) -> None:
    endpoint(sm)
    config = sm.describe_endpoint_config(EndpointConfigName="ep-config")
    assert config["DataCaptureConfig"]["DestinationS3Uri"] == f"s3://{BUCKET}/capture"
    described = sm.describe_endpoint(EndpointName="ep")
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointArn"] == "arn:aws:sagemaker:us-east-1:123456789012:endpoint/ep"
    assert described["DataCaptureConfig"]["CaptureStatus"] == "Started"
    assert described["DataCaptureConfig"]["CurrentSamplingPercentage"] == 100
    assert described["ProductionVariants"][0]["VariantName"] == "AllTraffic"
    sm.delete_endpoint(EndpointName="ep")
    sm.delete_endpoint_config(EndpointConfigName="ep-config")
    with pytest.raises(ClientError) as err:
        sm.describe_endpoint(EndpointName="ep")
    assert error_code(err) == "ValidationException"


def test_endpoint_is_creating_during_the_pending_delay(mm: Any, sm: Any) -> None:
    mm.control("POST", "settings", {"pending_seconds": 60})
    endpoint(sm)
    assert sm.describe_endpoint(EndpointName="ep")["EndpointStatus"] == "Creating"


def test_endpoint_needs_its_config(sm: Any) -> None:
    with pytest.raises(ClientError) as err:
        sm.create_endpoint(EndpointName="ep", EndpointConfigName="missing")
    assert error_code(err) == "ValidationException"


def test_tags_add_list_page_and_delete(sm: Any) -> None:
    arn = create_definition(sm, "DataQuality", "tagged")
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": f"k{i:02d}", "Value": str(i)} for i in range(45)])
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "k00", "Value": "new"}])
    page = sm.list_tags(ResourceArn=arn, MaxResults=50)
    assert len(page["Tags"]) == 45 and "NextToken" not in page
    assert page["Tags"][0] == {"Key": "k00", "Value": "new"}
    sm.delete_tags(ResourceArn=arn, TagKeys=[f"k{i:02d}" for i in range(1, 44)])
    assert [t["Key"] for t in sm.list_tags(ResourceArn=arn)["Tags"]] == ["k00", "k44"]


def test_tags_on_unknown_resource_are_not_found(sm: Any) -> None:
    with pytest.raises(sm.exceptions.ResourceNotFound):
        sm.list_tags(ResourceArn="arn:aws:sagemaker:us-east-1:123456789012:monitoring-schedule/none")


def test_more_than_fifty_tags_is_a_limit(sm: Any) -> None:
    arn = create_definition(sm, "DataQuality", "many")
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": f"a{i}", "Value": ""} for i in range(50)])
    with pytest.raises(sm.exceptions.ResourceLimitExceeded):
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "one-more", "Value": ""}])
