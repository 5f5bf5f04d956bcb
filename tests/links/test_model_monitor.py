"""Links of monitoring schedules, processing jobs and reports: the AWS console per partition, or the local
service's own URL (or no link) when the connection's endpoint is local."""

from __future__ import annotations

import urllib.request
from typing import Any
from unittest import mock

import pytest
from airflow.providers.amazon.aws.links.base_aws import BaseAwsLink

from airflow_mm_provider.hooks.model_monitor import SageMakerModelMonitorHook
from airflow_mm_provider.links.model_monitor import (
    SageMakerMonitoringReportLink,
    SageMakerMonitoringScheduleLink,
    SageMakerProcessingJobLink,
    is_local_endpoint,
    local_report_file,
    persist_execution_job_link,
    persist_link,
    persist_report_link,
)

AWS_ENDPOINT = "https://api.sagemaker.us-east-1.amazonaws.com"
LOCAL_ENDPOINT = "http://127.0.0.1:5000"
REPORT_URI = "s3://mm-bucket/reports/ep/churn-dq/2024/05/01/13"
JOB = "model-monitoring-202405011300-abc"
ARN = f"arn:aws:sagemaker:us-east-1:123456789012:processing-job/{JOB}"


def fake_hook(region: str, partition: str, endpoint_url: str | None = AWS_ENDPOINT) -> mock.MagicMock:
    hook = mock.MagicMock()
    hook.conn_region_name = region
    hook.conn_partition = partition
    hook.conn_client_meta.endpoint_url = endpoint_url
    hook.processing_job_name.side_effect = SageMakerModelMonitorHook.processing_job_name
    hook.execution_report_uri.return_value = REPORT_URI
    hook.s3_hook.conn_region_name = region
    hook.s3_hook.conn_partition = partition
    hook.s3_hook.conn_client_meta.endpoint_url = endpoint_url and endpoint_url.replace("sagemaker", "s3")
    return hook


def stored(context: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The values stored under ``key`` through ``context["ti"]`` (a mock)."""
    return [c.kwargs["value"] for c in context["ti"].xcom_push.call_args_list if c.kwargs["key"] == key]


def read_back(link: Any, value: dict[str, Any] | None) -> str:
    """What the Airflow UI shows for a link whose XCom holds ``value``."""
    with mock.patch("airflow.providers.amazon.aws.links.base_aws.XCom") as xcom:
        xcom.get_value.return_value = value
        return link.get_link(mock.MagicMock(), ti_key=mock.sentinel.ti_key)


def execution(status: str, **extra: Any) -> dict[str, Any]:
    return {
        "MonitoringScheduleName": "churn-dq",
        "ScheduledTime": "2024-05-01T13:00:00+00:00",
        "MonitoringExecutionStatus": status,
        "ProcessingJobArn": ARN,
        **extra,
    }


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
    links = (SageMakerMonitoringScheduleLink, SageMakerProcessingJobLink, SageMakerMonitoringReportLink)
    assert len({link.key for link in links}) == len({link.name for link in links}) == 3


def test_execution_job_link_names_the_job_of_the_arn() -> None:
    context: dict[str, Any] = {"ti": mock.MagicMock()}
    url = persist_execution_job_link(context, fake_operator(), fake_hook("us-east-1", "aws"), execution("x"))
    assert url == f"https://console.aws.amazon.com/sagemaker/home?region=us-east-1#/processing-jobs/{JOB}"
    assert context["ti"].xcom_push.call_args.kwargs["value"]["job_name"] == JOB


def test_execution_without_a_job_yet_stores_no_link() -> None:
    context: dict[str, Any] = {"ti": mock.MagicMock()}
    hook, execution = fake_hook("us-east-1", "aws"), {"MonitoringExecutionStatus": "Pending"}
    assert persist_execution_job_link(context, fake_operator(), hook, execution) is None
    context["ti"].xcom_push.assert_not_called()


# ---- links that follow the connection ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint_url", "local"),
    [
        ("http://127.0.0.1:5000", True),
        ("http://localhost:5000/", True),
        ("http://[::1]:5000", True),
        ("http://127.0.0.2:8080", True),
        ("http://mm.localhost:5000", True),
        (None, False),
        ("", False),
        ("https://api.sagemaker.us-east-1.amazonaws.com", False),
        ("https://vpce-0a1b.api.sagemaker.us-east-1.vpce.amazonaws.com", False),
        ("http://10.0.0.5:5000", False),
        ("http://localhost.example.com:5000", False),
    ],
)
def test_local_endpoints_are_the_loopback_ones(endpoint_url: str | None, local: bool) -> None:
    assert is_local_endpoint(endpoint_url) is local


@pytest.mark.parametrize("link", [SageMakerMonitoringScheduleLink, SageMakerProcessingJobLink])
def test_console_links_of_a_local_endpoint_are_no_link(link: Any) -> None:
    context: dict[str, Any] = {"ti": mock.MagicMock()}
    hook = fake_hook("us-east-1", "aws", LOCAL_ENDPOINT)
    assert persist_link(link, context, fake_operator(), hook, schedule_name="s", job_name="j") is None
    (value,) = stored(context, link.key)
    assert value == {"region_name": "us-east-1", "aws_domain": "aws.amazon.com", "url": None}
    assert read_back(link(), value) == ""  # the task shows no link, and its XCom is there to be read
    if link is SageMakerProcessingJobLink:
        assert persist_execution_job_link(context, fake_operator(), hook, execution("Completed")) is None


@pytest.mark.parametrize("status", ["Completed", "CompletedWithViolations"])
def test_report_link_opens_the_s3_console_at_the_report_prefix(status: str) -> None:
    context: dict[str, Any] = {"ti": mock.MagicMock()}
    url = persist_report_link(context, fake_operator(), fake_hook("eu-west-1", "aws"), execution(status))
    assert url == (
        "https://console.aws.amazon.com/s3/buckets/mm-bucket?region=eu-west-1"
        "&prefix=reports%2Fep%2Fchurn-dq%2F2024%2F05%2F01%2F13%2F"
    )
    (value,) = stored(context, SageMakerMonitoringReportLink.key)
    assert value["bucket"] == "mm-bucket" and "url" not in value
    assert read_back(SageMakerMonitoringReportLink(), value) == url


def test_report_link_uses_a_known_report_uri_and_the_partition_console() -> None:
    context: dict[str, Any] = {"ti": mock.MagicMock()}
    hook = fake_hook("cn-north-1", "aws-cn")
    url = persist_report_link(context, fake_operator(), hook, execution("Completed"), report_uri="s3://b/r/")
    assert url == "https://console.amazonaws.cn/s3/buckets/b?region=cn-north-1&prefix=r%2F"
    hook.execution_report_uri.assert_not_called()


@pytest.mark.parametrize(
    "summary",
    [
        execution("Failed"),
        execution("Stopped"),
        execution("InProgress"),
        {"MonitoringExecutionStatus": "Completed"},
    ],
)
def test_no_report_link_without_a_report(summary: dict[str, Any]) -> None:
    context: dict[str, Any] = {"ti": mock.MagicMock()}
    hook = fake_hook("us-east-1", "aws")
    assert persist_report_link(context, fake_operator(), hook, summary, "DataQuality") is None
    context["ti"].xcom_push.assert_not_called()
    hook.execution_report_uri.assert_not_called()


def test_a_report_link_that_cannot_be_made_never_fails_the_task() -> None:
    context: dict[str, Any] = {"ti": mock.MagicMock()}
    hook, operator = fake_hook("us-east-1", "aws"), fake_operator()
    hook.execution_report_uri.side_effect = RuntimeError("throttled")
    assert persist_report_link(context, operator, hook, execution("Completed")) is None
    assert "throttled" in str(operator.log.warning.call_args)
    context["ti"].xcom_push.assert_not_called()


@pytest.mark.parametrize(
    ("status", "monitoring_type", "expected"),
    [
        ("CompletedWithViolations", None, "constraint_violations.json"),
        ("CompletedWithViolations", "ModelBias", "constraint_violations.json"),
        ("Completed", "DataQuality", "statistics.json"),
        ("Completed", "ModelQuality", "statistics.json"),
        ("Completed", "ModelBias", "analysis.json"),
        ("Completed", "ModelExplainability", "analysis.json"),
        ("Completed", None, None),
    ],
)
def test_local_report_link_opens_the_violations_else_the_results(
    status: str, monitoring_type: str | None, expected: str | None
) -> None:
    assert local_report_file(status, monitoring_type) == expected


@pytest.mark.integration
@pytest.mark.parametrize(
    ("status", "file_name"),
    [("CompletedWithViolations", "constraint_violations.json"), ("Completed", "analysis.json")],
)
def test_local_report_link_is_the_services_own_url_of_the_report_file(
    mm_local, mm_local_connection, status: str, file_name: str
) -> None:
    s3 = mm_local.client("s3")
    s3.create_bucket(Bucket="mm-bucket")
    body = b'{"violations": []}'
    s3.put_object(Bucket="mm-bucket", Key=f"reports/ep/churn-dq/2024/05/01/13/{file_name}", Body=body)
    hook = SageMakerModelMonitorHook(aws_conn_id=mm_local_connection)
    context: dict[str, Any] = {"ti": mock.MagicMock()}
    summary = execution(status, MonitoringType="ModelBias")
    url = persist_report_link(context, fake_operator(), hook, summary, report_uri=REPORT_URI)
    assert url is not None and url.startswith(f"{mm_local.endpoint_url}/mm-bucket/reports/ep/churn-dq/")
    (value,) = stored(context, SageMakerMonitoringReportLink.key)
    assert read_back(SageMakerMonitoringReportLink(), value) == url
    with urllib.request.urlopen(url, timeout=10) as response:  # a browser's plain GET, no Authorization
        assert response.read() == body
    # and the console link of the same connection's processing job is no link
    assert persist_execution_job_link(context, fake_operator(), hook, summary) is None
    assert [v["url"] for v in stored(context, SageMakerProcessingJobLink.key)] == [None]


def test_every_link_class_is_registered_with_airflow() -> None:
    """Airflow shows only the operator links its providers register (``extra-links``)."""
    from airflow_mm_provider.get_provider_info import get_provider_info
    from airflow_mm_provider.links import model_monitor

    classes = {
        f"{model_monitor.__name__}.{name}"
        for name, value in vars(model_monitor).items()
        if isinstance(value, type)
        and issubclass(value, BaseAwsLink)
        and not name.startswith("_")
        and value.__module__ == model_monitor.__name__
    }
    assert classes == set(get_provider_info()["extra-links"])
