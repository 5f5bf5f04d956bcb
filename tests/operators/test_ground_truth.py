"""SageMakerUploadGroundTruthOperator against an in-memory S3 (moto)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any
from unittest import mock

import boto3
import pytest
from moto import mock_aws

from airflow_mm_provider.hooks.model_monitor import ReportFileNotFoundError, SageMakerModelMonitorHook
from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.ground_truth import upload_file_name
from airflow_mm_provider.operators.ground_truth import SageMakerUploadGroundTruthOperator

REGION = "us-east-1"
BUCKET = "mm-data"
GT = f"s3://{BUCKET}/ground-truth"
RUN_ID = "scheduled__2024-05-01T10:00:00+00:00"
INTERVAL_END = datetime(2024, 5, 1, 11, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def aws() -> Iterator[tuple[Any, SageMakerModelMonitorHook]]:
    """One in-memory S3 and one hook for the module: building boto3 clients is the slow part."""
    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
            monkeypatch.delenv(name, raising=False)
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        hook = SageMakerModelMonitorHook(aws_conn_id=None, region_name=REGION)
        hook.s3_hook.get_conn()
        yield client, hook


@pytest.fixture
def s3(aws: tuple[Any, SageMakerModelMonitorHook], monkeypatch: pytest.MonkeyPatch) -> Any:
    """The S3 client, with an empty bucket; every operator uses the shared hook."""
    client, hook = aws
    for key in keys(client, ""):
        client.delete_object(Bucket=BUCKET, Key=key)
    monkeypatch.setattr(SageMakerUploadGroundTruthOperator, "hook", hook)
    return client


def context(map_index: int = -1, **extra: Any) -> dict[str, Any]:
    """The context keys the operator reads."""
    base = {
        "run_id": RUN_ID,
        "ti": SimpleNamespace(map_index=map_index),
        "data_interval_end": INTERVAL_END,
        "dag_run": SimpleNamespace(run_after=datetime(2024, 5, 1, 11, 3, tzinfo=timezone.utc)),
    }
    return {**base, **extra}


def operator(**kwargs: Any) -> SageMakerUploadGroundTruthOperator:
    """An operator without an Airflow connection."""
    kwargs.setdefault("ground_truth_s3_uri", GT)
    return SageMakerUploadGroundTruthOperator(
        task_id="upload", aws_conn_id=None, region_name=REGION, **kwargs
    )


def keys(s3: Any, prefix: str = "ground-truth/") -> list[str]:
    return [item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]


def read_records(s3: Any, key: str) -> list[dict[str, Any]]:
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines()]


def expected_key(hour: str = "2024/05/01/11") -> str:
    return f"ground-truth/{hour}/{upload_file_name('adhoc_airflow', 'upload', RUN_ID)}"


def test_uploads_pairs_to_the_data_interval_end_hour(s3):
    result = operator(labels=[("a", 1), ("b", 0)]).execute(context())
    key = expected_key()
    assert result == {"uri": f"s3://{BUCKET}/{key}", "count": 2}
    assert keys(s3) == [key]
    assert read_records(s3, key) == [
        {
            "groundTruthData": {"data": "1", "encoding": "CSV"},
            "eventMetadata": {"eventId": "a"},
            "eventVersion": "0",
        },
        {
            "groundTruthData": {"data": "0", "encoding": "CSV"},
            "eventMetadata": {"eventId": "b"},
            "eventVersion": "0",
        },
    ]


def test_a_retry_overwrites_its_own_upload(s3):
    operator(labels={"a": 1, "b": 0}).execute(context())
    operator(labels={"a": 0}).execute(context())
    (key,) = keys(s3)
    assert [r["eventMetadata"]["eventId"] for r in read_records(s3, key)] == ["a"]


def test_mapped_tasks_write_separate_files(s3):
    operator(labels={"a": 1}).execute(context(map_index=0))
    operator(labels={"b": 1}).execute(context(map_index=1))
    assert len(keys(s3)) == 2


def test_upload_time_and_file_name_choose_the_key(s3):
    result = operator(labels={"a": 1}, upload_time="2024-05-02T07:30:00Z", file_name="batch-7").execute(
        context()
    )
    assert result["uri"] == f"{GT}/2024/05/02/07/batch-7.jsonl"


def test_without_data_interval_the_run_after_hour_is_used(s3):
    result = operator(labels={"a": 1}).execute(context(data_interval_end=None))
    assert "/2024/05/01/11/" in result["uri"]
    result = operator(labels={"a": 1}).execute(
        context(
            data_interval_end=None,
            dag_run=SimpleNamespace(run_after=datetime(2024, 5, 3, 4, tzinfo=timezone.utc)),
        )
    )
    assert "/2024/05/03/04/" in result["uri"]


def test_json_encoding(s3):
    result = operator(labels=[{"event_id": "a", "label": {"label": 1}}], label_encoding="JSON").execute(
        context()
    )
    (record,) = read_records(s3, result["uri"].removeprefix(f"s3://{BUCKET}/"))
    assert record["groundTruthData"] == {"data": '{"label": 1}', "encoding": "JSON"}


@pytest.mark.parametrize("rendered", ['[["a", 1], ["b", 0]]', "[('a', 1), ('b', 0)]", "{'a': 1, 'b': 0}"])
def test_labels_rendered_from_an_xcom_template_are_read_back(s3, rendered):
    op = operator(labels="{{ ti.xcom_pull('labels') }}")
    op.labels = rendered  # what template rendering produces
    assert op.execute(context())["count"] == 2


def test_csv_source_with_header(s3):
    s3.put_object(Bucket=BUCKET, Key="in/labels.csv", Body=b"id,y\nA-1,1\nA-2,0\n")
    op = operator(source_s3_uri=f"s3://{BUCKET}/in/labels.csv", event_id_column="id", label_column="y")
    result = op.execute(context())
    records = read_records(s3, result["uri"].removeprefix(f"s3://{BUCKET}/"))
    assert [(r["eventMetadata"]["eventId"], r["groundTruthData"]["data"]) for r in records] == [
        ("A-1", "1"),
        ("A-2", "0"),
    ]


def test_csv_source_without_header_defaults_to_the_first_two_columns(s3):
    s3.put_object(Bucket=BUCKET, Key="in/labels.txt", Body=b"A-1,1\nA-2,0\n")
    op = operator(source_s3_uri=f"s3://{BUCKET}/in/labels.txt", source_format="csv", csv_header=False)
    assert op.execute(context())["count"] == 2


def test_json_lines_source(s3):
    s3.put_object(Bucket=BUCKET, Key="in/labels.jsonl", Body=b'{"event_id": "a", "label": 1}\n')
    assert operator(source_s3_uri=f"s3://{BUCKET}/in/labels.jsonl").execute(context())["count"] == 1


def test_missing_source_file_names_its_uri(s3):
    with pytest.raises(ReportFileNotFoundError, match="s3://mm-data/in/none.csv does not exist"):
        operator(source_s3_uri=f"s3://{BUCKET}/in/none.csv").execute(context())


def test_bad_event_id_in_a_source_file_fails_naming_the_line_and_writes_nothing(s3):
    s3.put_object(Bucket=BUCKET, Key="in/labels.csv", Body=b"event_id,label\na,1\n,0\n")
    with pytest.raises(MonitoringValidationError, match=r"labels\.csv line 3\.eventMetadata\.eventId"):
        operator(source_s3_uri=f"s3://{BUCKET}/in/labels.csv").execute(context())
    assert keys(s3) == []


def test_duplicate_event_ids_from_xcom_fail_at_execute(s3):
    op = operator(labels="{{ ti.xcom_pull('labels') }}")
    op.labels = [["a", 1], ["a", 0]]
    with pytest.raises(
        MonitoringValidationError, match=r"labels\[1\]\.eventMetadata\.eventId: must be unique"
    ):
        op.execute(context())
    assert keys(s3) == []


def test_no_labels_writes_nothing(s3):
    assert operator(labels=[]).execute(context()) == {"uri": None, "count": 0}
    assert keys(s3) == []


def test_literal_values_are_checked_at_construction():
    with pytest.raises(MonitoringValidationError, match=r"^labels\[0\]\.eventMetadata\.eventId"):
        operator(labels=[("", 1)])
    with pytest.raises(MonitoringValidationError, match=r"groundTruthData\.encoding"):
        operator(labels={"a": 1}, label_encoding="XML")
    with pytest.raises(ValueError, match="s3://bucket/key"):
        operator(labels={"a": 1}, ground_truth_s3_uri="bucket/gt")
    with pytest.raises(ValueError, match="timezone-aware"):
        operator(labels={"a": 1}, upload_time="2024-01-01T00:00:00")
    with pytest.raises(ValueError, match="source_format"):
        operator(source_s3_uri="s3://b/labels.txt")
    with pytest.raises(ValueError, match="exactly one of labels and source_s3_uri"):
        operator()
    with pytest.raises(ValueError, match="exactly one of labels and source_s3_uri"):
        operator(labels={"a": 1}, source_s3_uri="s3://b/l.csv")


def test_xcom_args_are_left_for_run_time():
    xcom = mock.Mock(spec=[])
    op = operator(labels=xcom, ground_truth_s3_uri=xcom, upload_time=xcom)
    assert op.labels is xcom and op.ground_truth_s3_uri is xcom


def test_templates_are_left_for_render_time():
    op = operator(
        labels=[("{{ params.id }}", 1)],
        ground_truth_s3_uri="{{ var.value.gt }}",
        upload_time="{{ data_interval_start }}",
        source_s3_uri=None,
    )
    assert set(op.template_fields) >= {
        "ground_truth_s3_uri",
        "labels",
        "source_s3_uri",
        "upload_time",
        "file_name",
    }
    assert {"aws_conn_id", "region_name", "verify"} <= set(op.template_fields)


# ---- over HTTP against the local Model Monitor service ----------------------------------------------------


@pytest.mark.integration
def test_upload_over_http_is_read_back_with_boto3(mm_local, mm_local_connection):
    s3 = mm_local.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="in/labels.csv", Body=b"event_id,label\nB-1,0\n")
    from_pairs = SageMakerUploadGroundTruthOperator(
        task_id="upload",
        aws_conn_id=mm_local_connection,
        ground_truth_s3_uri=GT,
        labels=[("A-1", 1), ("A-2", 0)],
    )
    from_file = SageMakerUploadGroundTruthOperator(
        task_id="upload_file",
        aws_conn_id=mm_local_connection,
        ground_truth_s3_uri=GT,
        source_s3_uri=f"s3://{BUCKET}/in/labels.csv",
        upload_time="2024-05-01T12:10:00Z",
    )

    pairs = from_pairs.execute(context())
    file = from_file.execute(context())

    assert from_pairs.hook.conn.meta.endpoint_url == mm_local.endpoint_url
    assert pairs["count"] == 2 and file["count"] == 1
    listed = sorted(keys(s3))
    assert listed == sorted(
        [pairs["uri"].removeprefix(f"s3://{BUCKET}/"), file["uri"].removeprefix(f"s3://{BUCKET}/")]
    )
    assert [k.split("/")[1:5] for k in listed] == [["2024", "05", "01", "11"], ["2024", "05", "01", "12"]]
    assert [r["eventMetadata"]["eventId"] for r in read_records(s3, listed[0])] == ["A-1", "A-2"]
    assert read_records(s3, listed[1]) == [
        {
            "groundTruthData": {"data": "0", "encoding": "CSV"},
            "eventMetadata": {"eventId": "B-1"},
            "eventVersion": "0",
        }
    ]
