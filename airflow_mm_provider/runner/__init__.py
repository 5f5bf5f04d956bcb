"""The self-hosted runner: Model Monitor's analyses run on an Airflow worker, without SageMaker.

This package is the one entry point the operators may call (``tests/test_layers.py`` holds them to it). It
reads and writes S3 only, through the boto3 S3 client the caller's factory builds (on Airflow, the Amazon
provider's ``S3Hook(aws_conn_id=...).get_conn()``, so credentials and endpoint follow the connection):

- :func:`run_processing_job`: run one ``CreateProcessingJob``-shaped request (e.g. a baseline job) here, with
  its outputs written where the job would write them;
- :func:`analyse_window`: analyse the window a monitoring execution at a slot would analyse;
- :class:`ShardedWindow`: the same analysis in shards of the window's S3 objects, one task each (plan, run
  each shard, merge).

:data:`S3_OPERATIONS` names every S3 API operation these make, with the IAM actions that allow it.

Names load on first use, so importing the package (as the DAG processor does through the operators) loads
neither the engine nor numpy; type checkers read the same names from the ``TYPE_CHECKING`` imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from airflow_mm_provider.monitoring.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from airflow_mm_provider.runner.processing_job import run_processing_job as run_processing_job
    from airflow_mm_provider.runner.shards import ShardedWindow as ShardedWindow
    from airflow_mm_provider.runner.window import analyse_window as analyse_window

S3_OPERATIONS: Mapping[str, tuple[str, ...]] = {
    "ListObjectsV2": ("s3:ListBucket",),
    "HeadObject": ("s3:GetObject",),
    "GetObject": ("s3:GetObject",),
    "PutObject": ("s3:PutObject",),
    "CopyObject": ("s3:GetObject", "s3:PutObject"),
    "CreateMultipartUpload": ("s3:PutObject",),
    "UploadPart": ("s3:PutObject",),
    "CompleteMultipartUpload": ("s3:PutObject",),
    "AbortMultipartUpload": ("s3:AbortMultipartUpload",),
}
"""Every S3 operation the self-hosted path calls -> the IAM actions it needs. Objects larger than 8 MB are
uploaded in parts (``CreateMultipartUpload`` ...), and a failed part upload is aborted."""
IAM_ACTIONS: tuple[str, ...] = tuple(
    sorted({action for actions in S3_OPERATIONS.values() for action in actions})
)
"""The IAM actions of the self-hosted path: S3 only (the README lists them)."""

_EXPORTS: dict[str, str] = {
    "ShardedWindow": "shards",
    "analyse_window": "window",
    "run_processing_job": "processing_job",
}
"""Public name -> the submodule that defines it."""

__all__ = sorted([*_EXPORTS, "IAM_ACTIONS", "S3_OPERATIONS"])


if not TYPE_CHECKING:  # type checkers see the imports above, so a misspelt name is an error there
    __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
