from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from airflow_mm_provider.hooks.model_monitor import SageMakerModelMonitorHook

REGION = "us-east-1"
BUCKET = "mm-reports"


AWS_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
AWS_ENV_UNSET = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SAGEMAKER")


def _set_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    for name in AWS_ENV_UNSET:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials and region, so no test can reach a real account."""
    _set_aws_env(monkeypatch)


@pytest.fixture(scope="session")
def shared_hook() -> Iterator[SageMakerModelMonitorHook]:
    """One hook (and boto3 client) for the session: building a client costs about half a second."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _set_aws_env(monkeypatch)
        hook = SageMakerModelMonitorHook(aws_conn_id=None, region_name=REGION)
        hook.conn  # noqa: B018 - create the client while the dummy credentials are set
        hook.s3_hook.resource  # noqa: B018
        yield hook


@pytest.fixture
def hook(shared_hook: SageMakerModelMonitorHook) -> SageMakerModelMonitorHook:
    """A hook without an Airflow connection, with tiny schedule waits."""
    shared_hook.check_interval = 0.001
    shared_hook.max_ingestion_time = 0.2
    return shared_hook


@pytest.fixture
def stubber(hook: SageMakerModelMonitorHook) -> Iterator[Stubber]:
    """A Stubber on the hook's SageMaker client; every queued response must be consumed."""
    with Stubber(hook.conn) as stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture
def s3() -> Iterator[object]:
    """A moto S3 with the report bucket created; yields a boto3 S3 client."""
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        yield client
