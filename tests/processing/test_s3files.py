"""Staging files between S3 and local directories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_mm_provider.processing.s3files import S3Files, UnsafeKeyError, local_file, split_s3_uri
from tests.support.service import BUCKET


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root``: relative path -> content."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("s3://b/k/prefix", ("b", "k/prefix")),
        ("s3://b", ("b", "")),
        ("s3://b/", ("b", "")),
        ("b/k", ("b", "k")),
    ],
)
def test_split_s3_uri(uri: str, expected: tuple[str, str]) -> None:
    assert split_s3_uri(uri) == expected


def test_local_file_drops_empty_and_dot_parts(tmp_path: Path) -> None:
    assert local_file(tmp_path, "a//./b/c.csv") == tmp_path / "a" / "b" / "c.csv"


@pytest.mark.parametrize("relative", ["../x", "a/../../x", "a/..", "", "/./"])
def test_local_file_refuses_keys_outside_the_root(tmp_path: Path, relative: str) -> None:
    with pytest.raises(UnsafeKeyError, match="cannot be downloaded as a file of the job's input"):
        local_file(tmp_path, relative)


def test_the_client_is_built_once_on_first_use(s3: Any) -> None:
    built: list[Any] = []
    files = S3Files(lambda: built.append(s3) or s3)
    assert built == []
    assert files.client is s3 and files.client is s3
    assert built == [s3]


def test_keys_lists_a_prefix_or_one_object_and_nothing_for_a_missing_bucket(s3: Any, files: S3Files) -> None:
    for key in ("data/a.csv", "data/sub/b.csv", "database.csv", "other/c.csv"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    assert files.keys(f"s3://{BUCKET}/data/") == ["data/a.csv", "data/sub/b.csv"]
    assert files.keys(f"s3://{BUCKET}/data") == ["data/a.csv", "data/sub/b.csv", "database.csv"]
    assert files.keys(f"s3://{BUCKET}/other/c.csv") == ["other/c.csv"]
    assert files.keys("s3://no-such-bucket/data") == []


def test_download_keeps_the_layout_filters_and_counts(s3: Any, files: S3Files, tmp_path: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="data/a.csv", Body=b"1,2")
    s3.put_object(Bucket=BUCKET, Key="data/2024/01/b.jsonl", Body=b"{}")
    s3.put_object(Bucket=BUCKET, Key="data/folder/", Body=b"")
    count = files.download(f"s3://{BUCKET}/data", tmp_path, keep=lambda relative: relative != "a.csv")
    assert count == 1
    assert tree(tmp_path) == {"2024/01/b.jsonl": b"{}"}


def test_download_of_one_object_names_the_file_after_its_key(s3: Any, files: S3Files, tmp_path: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="train/train.csv", Body=b"1,2\n")
    assert files.download(f"s3://{BUCKET}/train/train.csv", tmp_path) == 1
    assert tree(tmp_path) == {"train.csv": b"1,2\n"}


def test_download_refuses_a_key_that_climbs_out(s3: Any, files: S3Files, tmp_path: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="data/../../escape", Body=b"x")
    with pytest.raises(UnsafeKeyError):
        files.download(f"s3://{BUCKET}/data/", tmp_path / "input")
    assert not (tmp_path / "escape").exists()


def test_mirror_manifests_fetches_each_listed_object_once(s3: Any, files: S3Files, tmp_path: Path) -> None:
    s3.put_object(Bucket=BUCKET, Key="batch/in/1.csv", Body=b"one")
    s3.put_object(Bucket=BUCKET, Key="batch/in/2.csv", Body=b"two")
    source = tmp_path / "source"
    source.mkdir()
    manifest = [{"prefix": f"s3://{BUCKET}/batch/in/"}, "1.csv", "2.csv"]
    (source / "a.json").write_text(json.dumps(manifest))
    (source / "b.json").write_text(json.dumps([{"prefix": f"s3://{BUCKET}/batch/in/"}, "1.csv"]))
    (source / "record.json").write_text(json.dumps({"not": "a manifest"}))
    (source / "broken.json").write_text("{")
    assert files.mirror_manifests(source, tmp_path / "mirror") == 2
    mirrored = tree(tmp_path / "mirror")
    assert mirrored == {f"{BUCKET}/batch/in/1.csv": b"one", f"{BUCKET}/batch/in/2.csv": b"two"}


def test_upload_writes_every_file_under_the_prefix(s3: Any, files: S3Files, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "statistics.json").write_text("{}")
    (tmp_path / "sub" / "x.jsonl").write_text("1")
    files.upload(tmp_path, f"s3://{BUCKET}/out/")
    listed = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert [obj["Key"] for obj in listed] == ["out/statistics.json", "out/sub/x.jsonl"]
    files.upload(tmp_path, f"s3://{BUCKET}")
    assert s3.get_object(Bucket=BUCKET, Key="sub/x.jsonl")["Body"].read() == b"1"
