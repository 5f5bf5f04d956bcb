"""What ``mm-local`` adds to the shared processing-job layer (``airflow_mm_provider.processing``): the S3
client of its own endpoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def default_s3_factory(endpoint_url: Callable[[], str], region: str) -> Callable[[], Any]:
    """Factory of a boto3 S3 client for the service's own endpoint (dummy credentials, path-style)."""

    def build() -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=endpoint_url(),
            region_name=region,
            aws_access_key_id="mm-local",
            aws_secret_access_key="mm-local",
            config=Config(s3={"addressing_style": "path"}, retries={"mode": "standard"}),
        )

    return build
