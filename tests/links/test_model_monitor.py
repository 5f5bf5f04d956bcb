"""Console links of monitoring schedules and processing jobs, per AWS partition."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest

from airflow_mm_provider.links.model_monitor import (
    SageMakerMonitoringScheduleLink,
    SageMakerProcessingJobLink,
    persist_link,
)


def fake_hook(region: str, partition: str) -> mock.MagicMock:
    hook = mock.MagicMock()
    hook.conn_region_name = region
    hook.conn_partition = partition
    return hook


def fake_operator(do_xcom_push: bool = True) -> mock.MagicMock:
    return mock.MagicMock(do_xcom_push=do_xcom_push)


@pytest.mark.parametrize(
    ("region", "partition", "expected"),
    [
        (
            "eu-west-1",
            "aws",
            "https://console.aws.amazon.com/sagemaker/home?region=eu-west-1#/monitoring-schedules/churn-dq",
        ),
        (
            "cn-north-1",
            "aws-cn",
            "https://console.amazonaws.cn/sagemaker/home?region=cn-north-1#/monitoring-schedules/churn-dq",
        ),
        (
            "us-gov-west-1",
            "aws-us-gov",
            "https://console.amazonaws-us-gov.com/sagemaker/home?region=us-gov-west-1"
            "#/monitoring-schedules/churn-dq",
        ),
    ],
)
def test_schedule_link_uses_the_partition_console(region: str, partition: str, expected: str) -> None:
    context: dict[str, Any] = {"ti": mock.MagicMock()}
    url = persist_link(
        SageMakerMonitoringScheduleLink,
        context,
        fake_operator(),
        fake_hook(region, partition),
        schedule_name="churn-dq",
    )
    assert url == expected
    context["ti"].xcom_push.assert_called_once_with(
        key="sagemaker_monitoring_schedule",
        value={
            "region_name": region,
            "aws_domain": SageMakerMonitoringScheduleLink.get_aws_domain(partition),
            "schedule_name": "churn-dq",
        },
    )


def test_processing_job_link_is_read_back_from_xcom() -> None:
    context: dict[str, Any] = {"ti": mock.MagicMock()}
    persist_link(
        SageMakerProcessingJobLink, context, fake_operator(), fake_hook("us-east-1", "aws"), job_name="job-1"
    )
    stored = context["ti"].xcom_push.call_args.kwargs
    assert stored["key"] == SageMakerProcessingJobLink.key
    with mock.patch("airflow.providers.amazon.aws.links.base_aws.XCom") as xcom:
        xcom.get_value.return_value = stored["value"]
        url = SageMakerProcessingJobLink().get_link(mock.MagicMock(), ti_key=mock.sentinel.ti_key)
    xcom.get_value.assert_called_once_with(key=SageMakerProcessingJobLink.key, ti_key=mock.sentinel.ti_key)
    assert url == "https://console.aws.amazon.com/sagemaker/home?region=us-east-1#/processing-jobs/job-1"


def test_link_without_stored_value_is_empty() -> None:
    with mock.patch("airflow.providers.amazon.aws.links.base_aws.XCom") as xcom:
        xcom.get_value.return_value = None
        assert SageMakerMonitoringScheduleLink().get_link(mock.MagicMock(), ti_key=mock.sentinel.ti_key) == ""


def test_names_are_url_quoted_and_nothing_is_stored_without_xcom_push() -> None:
    context: dict[str, Any] = {"ti": mock.MagicMock()}
    url = persist_link(
        SageMakerProcessingJobLink,
        context,
        fake_operator(do_xcom_push=False),
        fake_hook("us-east-1", "aws"),
        job_name="a/b c",
    )
    assert url.endswith("#/processing-jobs/a%2Fb%20c")
    context["ti"].xcom_push.assert_not_called()


def test_links_have_distinct_keys_and_names() -> None:
    links = (SageMakerMonitoringScheduleLink, SageMakerProcessingJobLink)
    assert len({link.key for link in links}) == len({link.name for link in links}) == 2
