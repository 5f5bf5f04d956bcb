"""OpenLineage dataset names of baseline jobs and monitoring job definitions (S3 naming convention)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_mm_provider.monitoring.baselining import baseline_result
from airflow_mm_provider.monitoring.inputs import BaselineConfig
from airflow_mm_provider.monitoring.job_definitions import job_definition_request
from airflow_mm_provider.monitoring.lineage import (
    DatasetName,
    Lineage,
    baseline_lineage,
    endpoint_capture_uri,
    job_definition_lineage,
    monitored_endpoint,
    s3_dataset_name,
)
from airflow_mm_provider.monitoring.types import MONITORING_TYPES
from tests.support.monitoring import CAPTURE, GROUND_TRUTH, REPORTS, typed_spec


def s3(name: str) -> DatasetName:
    """A dataset in the test bucket ``bucket``."""
    return DatasetName("s3://bucket", name)


# -- naming --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("s3://bucket/train/train.csv", s3("train/train.csv")),
        ("s3://bucket/capture/", s3("capture")),
        ("s3://bucket/capture", s3("capture")),
        ("s3://bucket", s3("/")),
        ("s3://bucket/", s3("/")),
        ("s3://other.bucket/a//b.json", DatasetName("s3://other.bucket", "a//b.json")),
    ],
)
def test_s3_names_follow_the_openlineage_convention(uri: str, expected: DatasetName) -> None:
    assert s3_dataset_name(uri) == expected


@pytest.mark.parametrize("uri", ["bucket/key", "https://bucket/key", "s3:///key"])
def test_non_s3_uris_are_refused(uri: str) -> None:
    with pytest.raises(ValueError, match="S3 URI|s3://bucket/key"):
        s3_dataset_name(uri)


_SEGMENT = st.text(alphabet="abcxyz0189-_.=", min_size=1, max_size=8)


@given(bucket=st.from_regex(r"[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]", fullmatch=True), parts=st.lists(_SEGMENT))
def test_namespace_and_name_give_back_the_uri(bucket: str, parts: list[str]) -> None:
    """Namespace + ``/`` + name is the URI without its trailing slash, for every bucket and key."""
    key = "/".join(parts)
    name = s3_dataset_name(f"s3://{bucket}/{key}/")
    assert name.namespace == f"s3://{bucket}"
    assert name.name == (key or "/")
    if key:
        assert f"{name.namespace}/{name.name}" == f"s3://{bucket}/{key}"


# -- baselines -----------------------------------------------------------------------------------------------

OUTPUT = "s3://bucket/baselines/dq"


def test_completed_data_quality_baseline_reads_the_dataset_and_writes_statistics_and_constraints() -> None:
    summary = baseline_result("DataQuality", "job-1", OUTPUT, "Completed")
    assert baseline_lineage("s3://bucket/train/", summary) == Lineage(
        (s3("train"),), (s3("baselines/dq/statistics.json"), s3("baselines/dq/constraints.json"))
    )


def test_clarify_baseline_writes_analysis_json_once_and_the_kept_suggestion() -> None:
    summary = baseline_result("ModelBias", "job-1", "s3://bucket/bias", "Completed", suggested=True)
    assert baseline_lineage("s3://bucket/train.csv", summary).outputs == (
        s3("bias/analysis.json"),
        s3("bias/suggested/analysis.json"),
    )


@pytest.mark.parametrize("status", ["InProgress", "Stopping", None])
def test_a_baseline_that_has_not_completed_has_no_outputs_yet(status: str | None) -> None:
    summary = baseline_result("ModelQuality", "job-1", OUTPUT, status)
    assert baseline_lineage("s3://bucket/train.csv", summary) == Lineage((s3("train.csv"),), ())
    assert baseline_lineage("s3://bucket/train.csv", None) == Lineage((s3("train.csv"),), ())


# -- job definitions -----------------------------------------------------------------------------------------


def request(monitoring_type: str, kind: str = "endpoint", **overrides: Any) -> dict[str, Any]:
    """A validated request of a minimal typed spec."""
    return job_definition_request(monitoring_type, typed_spec(monitoring_type, kind, **overrides), "def-1")


def test_endpoint_capture_prefix_is_the_destination_and_endpoint() -> None:
    assert endpoint_capture_uri("s3://bucket/capture/", "churn") == "s3://bucket/capture/churn"


@pytest.mark.parametrize("monitoring_type", MONITORING_TYPES)
def test_endpoint_monitor_reads_the_capture_ground_truth_and_baseline(monitoring_type: str) -> None:
    statistics = "s3://bucket/baseline/statistics.json" if monitoring_type == "DataQuality" else None
    baseline = BaselineConfig("job-1", "s3://bucket/baseline/constraints.json", statistics)
    definition = request(monitoring_type, baseline=baseline)
    assert monitored_endpoint(monitoring_type, definition) == "churn-endpoint"
    lineage = job_definition_lineage(monitoring_type, definition, "s3://bucket/capture")
    labelled = monitoring_type in ("ModelQuality", "ModelBias")
    ground_truth = [s3_dataset_name(GROUND_TRUTH)] if labelled else []
    statistics_file = [s3("baseline/statistics.json")] if statistics else []
    baseline_files = [s3("baseline/constraints.json"), *statistics_file]
    assert lineage == Lineage(
        (s3("capture/churn-endpoint"), *ground_truth, *baseline_files), (s3_dataset_name(REPORTS),)
    )


def test_unknown_capture_destination_leaves_the_endpoint_capture_out() -> None:
    assert job_definition_lineage("DataQuality", request("DataQuality")) == Lineage(
        (), (s3_dataset_name(REPORTS),)
    )


def test_batch_transform_monitor_reads_the_batch_capture() -> None:
    definition = request("ModelQuality", "batch")
    assert monitored_endpoint("ModelQuality", definition) is None
    assert job_definition_lineage("ModelQuality", definition, "s3://ignored/capture") == Lineage(
        (s3_dataset_name(CAPTURE), s3_dataset_name(GROUND_TRUTH)), (s3_dataset_name(REPORTS),)
    )
