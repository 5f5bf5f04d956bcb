"""S3 objects live in the database: any key S3 accepts round-trips, lists and survives restarts."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_mm_provider.local.testing import LocalModelMonitor

# S3 keys are up to 1024 bytes of UTF-8; control characters are left out (S3's guide lists them among the
# characters to avoid, and XML 1.0 listings cannot carry most of them).
KEY_TEXT = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn")) | st.sampled_from("/./.."),
    min_size=1,
    max_size=300,
).filter(lambda key: len(key.encode()) <= 1024)
EDGE_KEYS = [
    "..",
    "../../outside",
    "/leading/slash",
    "model",
    "model/v1.json",
    "reports/",
    "reports/a.json",
    "a//b",
    "./dot",
    "k" * 300 + "/long-component",
    "é" * 512,
]
_buckets = itertools.count()


def listed(s3: Any, bucket: str) -> dict[str, int]:
    """Key → size of every object in ``bucket``."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 7})
    return {o["Key"]: o["Size"] for page in pages for o in page.get("Contents", [])}


def check(s3: Any, bucket: str, keys: set[str]) -> None:
    """Every key lists with its size and reads back its own bytes."""
    assert listed(s3, bucket) == {key: len(key.encode()) for key in keys}
    for key in keys:
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()


def test_edge_keys_round_trip_and_survive_a_restart(tmp_path: Path) -> None:
    with LocalModelMonitor(state_dir=tmp_path) as first:
        s3 = first.client("s3")
        s3.create_bucket(Bucket="edge")
        for key in EDGE_KEYS:
            s3.put_object(Bucket="edge", Key=key, Body=key.encode(), ContentType="application/x-test")
        check(s3, "edge", set(EDGE_KEYS))
        before = s3.head_object(Bucket="edge", Key="model")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("mm-local.sqlite3")) == []
    with LocalModelMonitor(state_dir=tmp_path) as second:
        s3 = second.client("s3")
        check(s3, "edge", set(EDGE_KEYS))
        after = s3.head_object(Bucket="edge", Key="model")
        for field in ("ETag", "ContentType", "LastModified", "ContentLength"):
            assert after[field] == before[field]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=st.sets(KEY_TEXT, min_size=1, max_size=12), dropped=st.data())
def test_any_key_round_trips_lists_and_survives_a_restart(
    tmp_path_factory: Any, keys: set[str], dropped: st.DataObject
) -> None:
    state = tmp_path_factory.mktemp("state")
    bucket = f"keys-{next(_buckets)}"
    deleted = dropped.draw(st.sets(st.sampled_from(sorted(keys))))
    with LocalModelMonitor(state_dir=state) as first:
        s3 = first.client("s3")
        s3.create_bucket(Bucket=bucket)
        for key in keys:
            s3.put_object(Bucket=bucket, Key=key, Body=b"stale")
            s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
        for key in deleted:
            s3.delete_object(Bucket=bucket, Key=key)
        check(s3, bucket, keys - deleted)
    with LocalModelMonitor(state_dir=state) as second:
        check(second.client("s3"), bucket, keys - deleted)


def test_batch_deletes_and_bucket_deletes_are_kept(tmp_path: Path) -> None:
    with LocalModelMonitor(state_dir=tmp_path) as first:
        s3 = first.client("s3")
        for bucket in ("kept", "gone"):
            s3.create_bucket(Bucket=bucket)
        for i in range(5):
            s3.put_object(Bucket="kept", Key=f"k{i}", Body=b"v")
        s3.delete_objects(Bucket="kept", Delete={"Objects": [{"Key": "k1"}, {"Key": "k3"}]})
        s3.copy_object(Bucket="kept", Key="copy", CopySource={"Bucket": "kept", "Key": "k0"})
        s3.delete_bucket(Bucket="gone")
    with LocalModelMonitor(state_dir=tmp_path) as second:
        s3 = second.client("s3")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["kept"]
        assert sorted(listed(s3, "kept")) == ["copy", "k0", "k2", "k4"]


def test_a_large_multipart_upload_is_kept(tmp_path: Path) -> None:
    body = bytes(range(256)) * (9 * 1024 * 1024 // 256 + 1)
    with LocalModelMonitor(state_dir=tmp_path) as first:
        s3 = first.client("s3")
        s3.create_bucket(Bucket="big")
        source = tmp_path.parent / "upload.bin"
        source.write_bytes(body)
        s3.upload_file(str(source), "big", "data/upload.bin")
        etag = s3.head_object(Bucket="big", Key="data/upload.bin")["ETag"]
    assert etag.endswith('-2"')
    with LocalModelMonitor(state_dir=tmp_path) as second:
        s3 = second.client("s3")
        assert s3.get_object(Bucket="big", Key="data/upload.bin")["Body"].read() == body
        assert s3.head_object(Bucket="big", Key="data/upload.bin")["ETag"] == etag
