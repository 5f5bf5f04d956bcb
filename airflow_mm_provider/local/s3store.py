"""The service's S3: moto's S3 protocol and working copy, written through to the embedded database.

moto answers every S3 request, so the wire behaviour is moto's. While it does, a per-thread journal notes
which buckets and keys the request created, replaced or deleted (moto's backend calls that change them);
before the answer is released, the current state of exactly those buckets and keys is committed. On
start the database's buckets and objects are loaded back into moto. Object tags, ACLs and older versions are
not kept.
"""

from __future__ import annotations

import inspect
import json
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import wraps
from typing import Any

from airflow_mm_provider.local.database import Database, ObjectChange, StoredBucket, StoredObject

StartResponse = Callable[..., Any]
_KEY_CALLS = ("put_object", "delete_object")
_BUCKET_CALLS = ("create_bucket", "delete_bucket")
_journal = threading.local()
_install_lock = threading.Lock()


def _backends() -> Any:
    """moto's S3 backends (shared by the whole process)."""
    from moto.s3.models import s3_backends

    return s3_backends


def reset_s3() -> None:
    """Delete every bucket of moto's S3 backend (shared by every service in this process)."""
    for account_backend in _backends().values():
        account_backend.reset()
    _backends().bucket_accounts.clear()


def _recording(original: Callable[..., Any], with_key: bool) -> Callable[..., Any]:
    """Wrap a moto backend method so a journal open on this thread notes the bucket (and key) it changed."""
    signature = inspect.signature(original)

    @wraps(original)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        changes = getattr(_journal, "changes", None)
        if changes is not None:
            bound = signature.bind(self, *args, **kwargs).arguments
            key = bound["key_name"] if with_key else None
            changes[(self, bound["bucket_name"], key)] = None
        return result

    wrapper.__mm_local_journal__ = True  # type: ignore[attr-defined]
    return wrapper


def install_journal() -> None:
    """Wrap moto's S3 calls that change buckets and keys (once per process)."""
    from moto.s3.models import S3Backend

    with _install_lock:
        for name in (*_KEY_CALLS, *_BUCKET_CALLS):
            method = getattr(S3Backend, name)
            if not getattr(method, "__mm_local_journal__", False):
                setattr(S3Backend, name, _recording(method, name in _KEY_CALLS))


class S3Persistence:
    """Runs S3 requests through moto and commits what each changed before its answer is sent.

    :param database: where buckets and objects are kept.
    """

    def __init__(self, database: Database) -> None:
        """Write through to ``database``."""
        install_journal()
        self.db = database
        self._lock = threading.Lock()

    def handle(
        self, app: Callable[..., Iterable[bytes]], environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        """Answer one request with moto's WSGI ``app``; the changes it made are committed first."""
        captured: list[tuple[Any, ...]] = []
        _journal.changes = {}
        try:
            body = app(environ, lambda *args: captured.append(args))
            if not captured:  # a lazily started response: run it to completion before answering
                body = list(body)
            changes = list(_journal.changes)
        finally:
            _journal.changes = None
        if changes:
            self.commit(changes)
        start_response(*captured[0])
        return body

    def commit(self, changes: list[tuple[Any, str, str | None]]) -> None:
        """Write the current state of the changed buckets and keys in one transaction."""
        with self._lock:
            buckets: dict[str, StoredBucket | None] = {}
            objects: dict[tuple[str, str], StoredObject | None] = {}
            for backend, bucket_name, key_name in changes:
                bucket = backend.buckets.get(bucket_name)
                if key_name is None:
                    buckets[bucket_name] = _stored_bucket(backend, bucket) if bucket is not None else None
                    continue
                key = bucket.keys.get(key_name) if bucket is not None else None
                objects[(bucket_name, key_name)] = _stored_object(bucket_name, key)
            self.db.write_s3(
                buckets.items(), [ObjectChange(b, k, stored) for (b, k), stored in objects.items()]
            )

    def restore(self) -> int:
        """Empty moto's S3 and load every bucket and object from the database; return the object count."""
        from moto.utilities.utils import get_partition

        reset_s3()
        backends = _backends()
        located: dict[str, Any] = {}
        for row in self.db.buckets():
            partition = get_partition(row.region)
            backend = backends[row.account_id][partition]
            bucket = backend.create_bucket(row.name, row.region)
            bucket.creation_date = datetime.fromisoformat(row.created)
            backends.bucket_accounts[row.name] = (partition, row.account_id)
            located[row.name] = backend
        count = 0
        for stored in self.db.objects():
            attributes = json.loads(stored.attributes)
            key = located[stored.bucket].put_object(
                stored.bucket,
                stored.key,
                stored.body,
                storage=attributes.get("storage"),
                etag=attributes["etag"],
                disable_notification=True,
            )
            key.set_metadata(dict(attributes["metadata"]))
            key.last_modified = datetime.fromisoformat(attributes["last_modified"])
            count += 1
        return count


def _stored_bucket(backend: Any, bucket: Any) -> StoredBucket:
    """The database row of a moto bucket."""
    return StoredBucket(bucket.name, backend.account_id, bucket.region_name, bucket.creation_date.isoformat())


def _stored_object(bucket_name: str, key: Any) -> StoredObject | None:
    """The database row of a moto key, or None when there is no current object (deleted, delete marker)."""
    from moto.s3.models import FakeKey

    if not isinstance(key, FakeKey):
        return None
    attributes = {
        "metadata": dict(key.metadata),
        "etag": key.etag.strip('"'),
        "last_modified": key.last_modified.isoformat(),
        "storage": key.storage_class,
    }
    return StoredObject(bucket_name, key.name, key.value, json.dumps(attributes))
