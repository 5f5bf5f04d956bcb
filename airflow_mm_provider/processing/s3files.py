"""Stage a processing job's files: S3 prefixes to and from local directories, through a boto3 S3 client."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any


class UnsafeKeyError(ValueError):
    """An S3 key that cannot become a file inside the job's input directory."""


def local_file(root: Path, relative: str) -> Path:
    """``root`` joined with the ``/``-separated ``relative`` (empty and ``.`` parts dropped); a ``..`` part
    raises :class:`UnsafeKeyError`, so no key can name a file outside ``root``."""
    parts = [part for part in relative.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        raise UnsafeKeyError(
            f"ClientError: S3 key {relative!r} cannot be downloaded as a file of the job's input"
        )
    return root.joinpath(*parts)


def relative_key(prefix: str, key: str) -> str:
    """The name of ``key`` inside the input whose S3 prefix is ``prefix``, as :meth:`S3Files.download`
    stages it (the key's last segment when the prefix names the object itself)."""
    return key[len(prefix) :].lstrip("/") or key.rsplit("/", 1)[-1]


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key/prefix`` → ``("bucket", "key/prefix")``."""
    bucket, _, key = uri.split("://", 1)[-1].partition("/")
    return bucket, key


class S3Files:
    """Copy S3 prefixes to and from local directories through an S3 client."""

    def __init__(self, client_factory: Callable[[], Any]) -> None:
        """``client_factory`` builds the boto3 S3 client (called once, on first use)."""
        self._factory = client_factory
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The S3 client."""
        with self._lock:
            if self._client is None:
                self._client = self._factory()
            return self._client

    def objects(self, uri: str) -> list[tuple[str, int]]:
        """(key, size in bytes) of every object under ``uri`` (an object or a prefix), in key order; none when
        the bucket does not exist."""
        bucket, prefix = split_s3_uri(uri)
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            return [
                (obj["Key"], int(obj.get("Size", 0)))
                for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
                for obj in page.get("Contents", [])
            ]
        except self.client.exceptions.NoSuchBucket:
            return []

    def keys(self, uri: str) -> list[str]:
        """Every key under ``uri`` (an object or a prefix); none when the bucket does not exist."""
        return [key for key, _ in self.objects(uri)]

    def download(self, uri: str, dest: Path, keep: Callable[[str], bool] | None = None) -> int:
        """Download the keys under ``uri`` that ``keep`` accepts into ``dest``; return how many."""
        bucket, prefix = split_s3_uri(uri)
        count = 0
        for key in self.keys(uri):
            relative = relative_key(prefix, key)
            if key.endswith("/") or (keep is not None and not keep(relative)):
                continue
            target = local_file(dest, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            self.client.download_file(bucket, key, str(target))
            count += 1
        return count

    def mirror_manifests(self, source: Path, mirror: Path) -> int:
        """Download every object that a batch-transform manifest under ``source`` lists into
        ``mirror/<bucket>/<key>``; return how many."""
        count = 0
        for path in sorted(source.rglob("*.json")):
            try:
                manifest = json.loads(path.read_text())
            except ValueError:
                continue
            if not (isinstance(manifest, list) and manifest and isinstance(manifest[0], dict)):
                continue
            base = str(manifest[0].get("prefix", ""))
            for relative in manifest[1:]:
                bucket, key = split_s3_uri(base + str(relative))
                target = local_file(mirror, f"{bucket}/{key}")
                if target.exists():
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                self.client.download_file(bucket, key, str(target))
                count += 1
        return count

    def upload(self, source: Path, uri: str) -> None:
        """Upload every file under ``source`` to the prefix ``uri``."""
        bucket, prefix = split_s3_uri(uri)
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            key = "/".join(filter(None, [prefix.rstrip("/"), path.relative_to(source).as_posix()]))
            self.client.upload_file(str(path), bucket, key)
