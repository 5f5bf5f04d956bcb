"""The in-process S3 (moto's S3 backend): reset, and a file snapshot so objects survive a restart."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

SNAPSHOT_DIR = "s3"


def reset_s3() -> None:
    """Delete every bucket of moto's S3 backend (shared by every service in this process)."""
    from moto.s3.models import s3_backends

    for account_backend in s3_backends.values():
        account_backend.reset()


def snapshot(client: Any, state_dir: Path) -> int:
    """Copy every object into ``state_dir/s3/<bucket>/<key>`` (replacing the previous snapshot)."""
    root = state_dir / SNAPSHOT_DIR
    count = 0
    fresh = root.with_name(SNAPSHOT_DIR + ".new")
    for bucket in client.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        (fresh / name).mkdir(parents=True, exist_ok=True)
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
            for obj in page.get("Contents", []):
                target = fresh / name / obj["Key"]
                target.parent.mkdir(parents=True, exist_ok=True)
                client.download_file(name, obj["Key"], str(target))
                count += 1
    if root.exists():
        shutil.rmtree(root)
    if fresh.exists():
        fresh.rename(root)
    return count


def restore(client: Any, state_dir: Path, region: str) -> int:
    """Upload a snapshot made by :func:`snapshot` into ``region``; return how many objects were restored."""
    root = state_dir / SNAPSHOT_DIR
    count = 0
    if not root.is_dir():
        return count
    for bucket_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        location = (
            {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
        )
        client.create_bucket(Bucket=bucket_dir.name, **location)
        for path in sorted(p for p in bucket_dir.rglob("*") if p.is_file()):
            client.upload_file(str(path), bucket_dir.name, path.relative_to(bucket_dir).as_posix())
            count += 1
    return count
