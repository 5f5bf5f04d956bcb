"""The self-hosted path calls only the S3 operations ``airflow_mm_provider.runner.S3_OPERATIONS`` lists, and
the README names exactly their IAM actions (``IAM_ACTIONS``).

Evidence is recorded, not read from source: every boto3 call of a worker run goes through a botocore
``before-call`` hook (``tests/support/aws_calls.py``), including the calls of the Amazon provider's
``S3Hook`` and of boto3's managed transfers (multipart above 8 MB). Recorded: the worker baselines (data
quality, model quality, bias, with tolerance), and a window of each monitor type analysed in one task and in
four shards (plan, shards, merge), through an S3 client of the Airflow connection, as the operators make it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from airflow.providers.amazon.aws.hooks.s3 import S3Hook

from airflow_mm_provider.local.testing import LocalModelMonitor
from airflow_mm_provider.monitoring.tolerance import DataQualityTolerance
from airflow_mm_provider.processing.s3files import S3Files
from airflow_mm_provider.runner import IAM_ACTIONS, S3_OPERATIONS
from tests.operators import test_baseline
from tests.operators.test_baseline_worker import CASES, worker_op
from tests.support.aws_calls import record_aws_calls
from tests.support.scenario import HOUR, HOUR0, Scenario
from tests.support.self_hosted import MONITOR, data_quality, model_bias, model_quality
from tests.support.sharded import Monitor, put_traffic, run_both

ROOT = Path(__file__).resolve().parent.parent
IAM_SECTION = "### IAM permissions of the self-hosted path"
service = test_baseline.local
"""The ``service`` fixture: mm-local holding a small CSV dataset (``local`` of test_baseline)."""


def readme_self_hosted_actions() -> set[str]:
    """The IAM actions (``s3:...`` in backticks) that the README section :data:`IAM_SECTION` names."""
    text = (ROOT / "README.md").read_text()
    start = text.index(IAM_SECTION)
    end = text.find("\n#", start + len(IAM_SECTION))
    return set(re.findall(r"`(s3:[A-Za-z]+)`", text[start : end if end != -1 else None]))


def test_the_operations_are_s3_operations_and_the_actions_follow_from_them() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    assert set(S3_OPERATIONS) <= set(s3.meta.service_model.operation_names)
    assert IAM_ACTIONS == ("s3:AbortMultipartUpload", "s3:GetObject", "s3:ListBucket", "s3:PutObject")


def test_the_readme_lists_exactly_the_iam_actions() -> None:
    assert readme_self_hosted_actions() == set(IAM_ACTIONS)


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_worker_baseline_calls_only_the_listed_s3_operations(
    service: Any, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    calls = record_aws_calls(monkeypatch)
    extra = {"tolerance": DataQualityTolerance(comparison_threshold=0.3)} if case == "data_quality" else {}
    assert worker_op(service, case, f"iam-{case}", **extra).execute(test_baseline.context())["status"] == (
        "Completed"
    )
    assert {service_name for service_name, _ in calls} == {"s3"}
    operations = {operation for _, operation in calls}
    assert operations <= set(S3_OPERATIONS)
    assert {"ListObjectsV2", "GetObject", "PutObject", "CopyObject"} <= operations  # the hook saw the run


def test_large_outputs_are_uploaded_in_parts_with_listed_operations(
    service: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "big.jsonl").write_bytes(b"x" * (9 * 1024 * 1024))
    calls = record_aws_calls(monkeypatch)
    files = S3Files(lambda: service_client(service))
    files.upload(tmp_path, f"s3://{test_baseline.BUCKET}/big")
    operations = {operation for _, operation in calls}
    assert {"CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"} <= operations
    assert operations <= set(S3_OPERATIONS)


def service_client(service: Any) -> Any:
    """A new S3 client of the local service (made after recording started, so its calls are seen)."""
    return S3Hook(aws_conn_id=service.conn_id).get_conn()


@pytest.mark.integration
@pytest.mark.parametrize("build", [data_quality, model_quality, model_bias], ids=lambda build: build.__name__)
def test_a_window_in_one_task_and_in_shards_calls_only_the_listed_s3_operations(
    mm_local: LocalModelMonitor,
    mm_local_connection: str,
    monkeypatch: pytest.MonkeyPatch,
    build: Callable[[Scenario], Monitor],
) -> None:
    scenario = Scenario(mm_local)
    monitor = build(scenario)
    put_traffic(scenario, monitor)
    calls = record_aws_calls(monkeypatch)
    factory = S3Hook(aws_conn_id=mm_local_connection).get_conn
    one, sharded = run_both(monitor, MONITOR, HOUR0 + 2 * HOUR, factory, shards=4)
    statuses = {one["monitoring_execution_status"], sharded["monitoring_execution_status"]}
    assert statuses == {"CompletedWithViolations"}
    assert {service_name for service_name, _ in calls} == {"s3"}
    operations = {operation for _, operation in calls}
    assert operations <= set(S3_OPERATIONS)
    assert {"ListObjectsV2", "GetObject", "PutObject"} <= operations  # the hook saw the runs
