"""OpenLineage facets of the baseline, schedule and self-hosted analysis operators, with the provider present
and absent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from airflow_mm_provider.hooks.model_monitor import SageMakerModelMonitorHook
from airflow_mm_provider.local.testing import LocalModelMonitor
from airflow_mm_provider.monitoring.inputs import (
    BaselineConfig,
    BatchTransformInput,
    DatasetFormat,
    EndpointInput,
    MonitoringOutput,
)
from airflow_mm_provider.monitoring.job_definitions import DataQualityJobDefinition
from airflow_mm_provider.monitoring.lineage import DatasetName, Lineage
from airflow_mm_provider.operators.baseline import (
    SageMakerDataQualityBaselineOperator,
    SageMakerModelBiasBaselineOperator,
)
from airflow_mm_provider.operators.lineage import operator_lineage
from airflow_mm_provider.operators.schedule import SageMakerMonitoringScheduleOperator
from airflow_mm_provider.operators.self_hosted import SelfHostedMonitoringAnalysisOperator
from tests.operators.test_baseline import BIAS, ROLE, build, context
from tests.support.openlineage import (
    FakeDataset,
    FakeOperatorLineage,
    dataset_names,
    install_fake_openlineage,
    remove_openlineage,
)
from tests.support.service import BUCKET, endpoint

IMAGE = "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"


@pytest.fixture
def openlineage(monkeypatch: pytest.MonkeyPatch) -> None:
    install_fake_openlineage(monkeypatch)


@pytest.fixture
def hook() -> mock.MagicMock:
    fake = mock.MagicMock(spec=SageMakerModelMonitorHook)
    fake.conn_region_name = "us-east-1"
    fake.conn_partition = "aws"
    fake.describe_processing_job_or_none.return_value = None
    return fake


def with_hook(operator: Any, hook: mock.MagicMock) -> Any:
    """Give ``operator`` the mocked hook (``hook`` is a cached property)."""
    operator.__dict__["hook"] = hook
    return operator


# -- the facet builder ---------------------------------------------------------------------------------------

LINEAGE = Lineage(
    (DatasetName("s3://b", "in"),), (DatasetName("s3://b", "out/a"), DatasetName("s3://c", "/"))
)


def test_lineage_becomes_operator_lineage_of_datasets(openlineage: None) -> None:
    assert operator_lineage(LINEAGE) == FakeOperatorLineage(
        inputs=[FakeDataset("s3://b", "in")],
        outputs=[FakeDataset("s3://b", "out/a"), FakeDataset("s3://c", "/")],
    )


def test_without_the_openlineage_provider_there_is_no_lineage(monkeypatch: pytest.MonkeyPatch) -> None:
    remove_openlineage(monkeypatch)
    assert operator_lineage(LINEAGE) is None


# -- baselines -----------------------------------------------------------------------------------------------


def test_completed_baseline_reports_dataset_in_and_its_files_out(
    openlineage: None, hook: mock.MagicMock
) -> None:
    op = with_hook(build(SageMakerDataQualityBaselineOperator, baseline_dataset="s3://bucket/train/"), hook)
    hook.wait_for_processing_job.side_effect = lambda *_: {
        **hook.create_processing_job.call_args.args[0],
        "ProcessingJobStatus": "Completed",
    }
    op.execute(context())
    lineage = op.get_openlineage_facets_on_complete(mock.MagicMock())
    assert dataset_names(lineage.inputs) == ["s3://bucket/train"]
    assert dataset_names(lineage.outputs) == [
        "s3://bucket/baselines/dq/statistics.json",
        "s3://bucket/baselines/dq/constraints.json",
    ]


def test_baseline_the_task_did_not_wait_for_reports_no_outputs(
    openlineage: None, hook: mock.MagicMock
) -> None:
    op = with_hook(build(SageMakerDataQualityBaselineOperator, wait_for_completion=False), hook)
    assert op.execute(context())["status"] == "InProgress"
    lineage = op.get_openlineage_facets_on_complete(mock.MagicMock())
    assert dataset_names(lineage.inputs) == ["s3://bucket/train/train.csv"] and lineage.outputs == []


def test_clarify_baseline_reports_its_analysis_json(openlineage: None, hook: mock.MagicMock) -> None:
    op = build(
        SageMakerModelBiasBaselineOperator, output_s3_uri="s3://bucket/baselines/bias", **BIAS, tolerance=None
    )
    hook.describe_processing_job_or_none.return_value = {
        "ProcessingJobName": "bias-job",
        "ProcessingJobStatus": "Completed",
        "ProcessingOutputConfig": {"Outputs": [{"S3Output": {"S3Uri": "s3://bucket/baselines/bias"}}]},
    }
    with_hook(op, hook).execute(context())
    lineage = op.get_openlineage_facets_on_complete(mock.MagicMock())
    assert dataset_names(lineage.outputs) == ["s3://bucket/baselines/bias/analysis.json"]


# -- schedules -----------------------------------------------------------------------------------------------


def schedule_operator(job_input: Any, **kwargs: Any) -> SageMakerMonitoringScheduleOperator:
    spec = DataQualityJobDefinition(
        role_arn=ROLE,
        image_uri=IMAGE,
        input=job_input,
        output=MonitoringOutput("s3://bucket/reports"),
        baseline=BaselineConfig(
            None, "s3://bucket/base/constraints.json", "s3://bucket/base/statistics.json"
        ),
    )
    return SageMakerMonitoringScheduleOperator(
        task_id="schedule",
        monitoring_schedule_name="churn-dq",
        monitoring_type="DataQuality",
        job_definition=spec,
        **kwargs,
    )


BASELINE_FILES = ["s3://bucket/base/constraints.json", "s3://bucket/base/statistics.json"]


def test_endpoint_schedule_reads_the_capture_and_baseline_and_writes_reports(
    openlineage: None, hook: mock.MagicMock
) -> None:
    hook.endpoint_capture_destination.return_value = "s3://bucket/capture"
    op = with_hook(schedule_operator(EndpointInput("churn")), hook)
    lineage = op.get_openlineage_facets_on_complete(mock.MagicMock())
    hook.endpoint_capture_destination.assert_called_once_with("churn")
    assert dataset_names(lineage.inputs) == ["s3://bucket/capture/churn", *BASELINE_FILES]
    assert dataset_names(lineage.outputs) == ["s3://bucket/reports"]


@pytest.mark.parametrize(
    "error",
    [
        ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeEndpoint"),
        EndpointConnectionError(endpoint_url="https://sagemaker"),
    ],
)
def test_unreadable_endpoint_leaves_only_the_capture_out(
    openlineage: None, hook: mock.MagicMock, error: Exception
) -> None:
    hook.endpoint_capture_destination.side_effect = error
    lineage = with_hook(schedule_operator(EndpointInput("churn")), hook).get_openlineage_facets_on_complete(
        None
    )
    assert dataset_names(lineage.inputs) == BASELINE_FILES
    assert dataset_names(lineage.outputs) == ["s3://bucket/reports"]


def test_batch_transform_schedule_reads_the_batch_capture_without_aws_calls(
    openlineage: None, hook: mock.MagicMock
) -> None:
    job_input = BatchTransformInput("s3://bucket/batch-capture", DatasetFormat.csv(header=True))
    lineage = with_hook(schedule_operator(job_input), hook).get_openlineage_facets_on_complete(None)
    hook.endpoint_capture_destination.assert_not_called()
    assert dataset_names(lineage.inputs) == ["s3://bucket/batch-capture", *BASELINE_FILES]


def self_hosted_operator(job_input: Any, **kwargs: Any) -> SelfHostedMonitoringAnalysisOperator:
    """The self-hosted analysis of :func:`schedule_operator`'s job definition."""
    definition = schedule_operator(job_input).job_definition
    return SelfHostedMonitoringAnalysisOperator(
        task_id="analyse",
        monitoring_schedule_name="churn-dq",
        monitoring_type="DataQuality",
        job_definition=definition,
        **kwargs,
    )


def test_self_hosted_analysis_reads_the_capture_and_baseline_and_writes_reports_without_aws_calls(
    openlineage: None, hook: mock.MagicMock
) -> None:
    op = with_hook(
        self_hosted_operator(EndpointInput("churn"), capture_destination="s3://bucket/capture"), hook
    )
    lineage = op.get_openlineage_facets_on_complete(mock.MagicMock())
    assert hook.mock_calls == []
    assert dataset_names(lineage.inputs) == ["s3://bucket/capture/churn", *BASELINE_FILES]
    assert dataset_names(lineage.outputs) == ["s3://bucket/reports"]
    job_input = BatchTransformInput("s3://bucket/batch-capture", DatasetFormat.csv(header=True))
    lineage = with_hook(self_hosted_operator(job_input), hook).get_openlineage_facets_on_complete(None)
    assert dataset_names(lineage.inputs) == ["s3://bucket/batch-capture", *BASELINE_FILES]


def test_self_hosted_analysis_has_no_lineage_without_the_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    remove_openlineage(monkeypatch)
    op = self_hosted_operator(EndpointInput("churn"), capture_destination="s3://bucket/capture")
    assert op.get_openlineage_facets_on_complete(None) is None


# -- against the local service -------------------------------------------------------------------------------


@pytest.fixture
def local(mm_local: LocalModelMonitor, mm_local_connection: str) -> Iterator[LocalModelMonitor]:
    """The local service with a bucket, endpoint ``ep`` capturing to ``s3://<BUCKET>/capture`` and endpoint
    ``bare`` capturing nothing."""
    mm_local.client("s3").create_bucket(Bucket=BUCKET)
    endpoint(mm_local.client("sagemaker"), "ep")
    endpoint(mm_local.client("sagemaker"), "bare", capture=False)
    yield mm_local


@pytest.mark.integration
def test_schedule_lineage_reads_the_endpoint_capture_from_the_service(
    openlineage: None, local: LocalModelMonitor, mm_local_connection: str
) -> None:
    op = schedule_operator(EndpointInput("ep"), aws_conn_id=mm_local_connection, region_name=local.region)
    lineage = op.get_openlineage_facets_on_complete(None)
    assert dataset_names(lineage.inputs) == [f"s3://{BUCKET}/capture/ep", *BASELINE_FILES]


@pytest.mark.integration
def test_schedule_lineage_of_an_endpoint_without_capture_has_no_capture_input(
    openlineage: None, local: LocalModelMonitor, mm_local_connection: str
) -> None:
    op = schedule_operator(EndpointInput("bare"), aws_conn_id=mm_local_connection, region_name=local.region)
    assert dataset_names(op.get_openlineage_facets_on_complete(None).inputs) == BASELINE_FILES
