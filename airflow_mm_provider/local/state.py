"""The service's resources in memory, written through to the embedded database on every change.

Handlers read and change API-shaped dicts under ``store.lock``; each change names the record it touched
(:meth:`Store.touch`), and leaving the outermost ``with store.lock`` block commits those records before the
handler's answer can be sent. The cost of a write is the records it touched, never the size of the store.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from datetime import datetime
from types import TracebackType
from typing import Any

from airflow_mm_provider.local.database import Database, RecordChange
from airflow_mm_provider.local.listing import SortedIndex

TABLES = ("job_definitions", "schedules", "processing_jobs", "endpoint_configs", "endpoints")
TAGS = "tags"
EXECUTIONS = "executions"
RESTART_REASON = "InternalServerError: the local service restarted while the job was running"


def _encode(value: Any) -> Any:
    """JSON ``default`` hook: datetimes become ``{"$t": iso}``."""
    if isinstance(value, datetime):
        return {"$t": value.isoformat()}
    raise TypeError(f"cannot persist {type(value).__name__}")


def _decode(obj: dict[str, Any]) -> Any:
    """JSON ``object_hook``: turn ``{"$t": iso}`` back into a datetime."""
    if len(obj) == 1 and "$t" in obj:
        return datetime.fromisoformat(obj["$t"])
    return obj


_DECODER = json.JSONDecoder(object_hook=_decode)


class CommittingLock:
    """A re-entrant lock whose outermost release first commits the store's touched records."""

    def __init__(self, store: Store) -> None:
        """Guard ``store``."""
        self._store = store
        self._lock = threading.RLock()
        self._depth = 0

    def __enter__(self) -> CommittingLock:
        """Take the lock."""
        self._lock.acquire()
        self._depth += 1
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        """Commit when leaving the outermost block, then release."""
        try:
            if self._depth == 1:
                self._store.commit()
        finally:
            self._depth -= 1
            self._lock.release()


class Store:
    """Every resource as an API-shaped dict (internal fields start with ``_``), guarded by ``lock``.

    Executions are also indexed per schedule in creation order so per-schedule listing stays fast.

    :param database: where records are written (default: a new in-memory database).
    """

    def __init__(self, database: Database | None = None) -> None:
        """Create an empty store on ``database``."""
        self.db = database or Database()
        self.lock = CommittingLock(self)
        self._touched: dict[tuple[str, str], None] = {}
        self._clear_memory()

    def _clear_memory(self) -> None:
        """Empty every in-memory collection."""
        self.job_definitions: dict[str, dict[str, Any]] = {}
        self.schedules: dict[str, dict[str, Any]] = {}
        self.processing_jobs: dict[str, dict[str, Any]] = {}
        self.endpoint_configs: dict[str, dict[str, Any]] = {}
        self.endpoints: dict[str, dict[str, Any]] = {}
        self.tags: dict[str, dict[str, str]] = {}
        self.executions: list[dict[str, Any]] = []
        self.executions_by_schedule: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._executions_by_key: dict[str, dict[str, Any]] = {}
        self._indexes: dict[tuple[str | None, str], SortedIndex] = {}
        self._touched.clear()
        self.seq = 0

    def reset(self) -> None:
        """Forget every resource (and, in the database, every S3 object)."""
        with self.lock:
            self._clear_memory()
            self.db.clear()

    def touch(self, kind: str, key: str) -> None:
        """Mark the record ``key`` of ``kind`` (a table, ``tags`` or ``executions``) as changed or gone."""
        self._touched[(kind, key)] = None

    def commit(self) -> None:
        """Write every touched record to the database in one transaction (call under lock); after a failed
        write the records stay touched, so the next commit writes them."""
        if not self._touched:
            return
        changes = []
        for kind, key in self._touched:
            record = self._lookup(kind, key)
            body = json.dumps(record, default=_encode) if record else None
            changes.append(RecordChange(kind, key, body))
        self.db.write_records(changes)
        self._touched.clear()

    def _lookup(self, kind: str, key: str) -> dict[str, Any] | None:
        """The current record of ``kind`` under ``key``, or None."""
        if kind == EXECUTIONS:
            return self._executions_by_key.get(key)
        return getattr(self, kind).get(key)

    def next_seq(self) -> int:
        """A store-wide increasing number used to order records created at the same instant."""
        with self.lock:
            self.seq += 1
            return self.seq

    def add_execution(self, execution: dict[str, Any]) -> None:
        """Store a new execution and index it under its schedule."""
        with self.lock:
            self._index_execution(execution)
            self.touch(EXECUTIONS, str(execution["_seq"]))

    def _index_execution(self, execution: dict[str, Any]) -> None:
        """Add an execution to the in-memory lists."""
        self.executions.append(execution)
        self.executions_by_schedule[execution["MonitoringScheduleName"]].append(execution)
        self._executions_by_key[str(execution["_seq"])] = execution

    def touch_execution(self, execution: dict[str, Any]) -> None:
        """Mark a stored execution as changed."""
        self.touch(EXECUTIONS, str(execution["_seq"]))

    def store_tags(self, arn: str, tags: list[dict[str, str]] | None) -> None:
        """Merge API-shaped ``tags`` into the tags of ``arn``."""
        if tags:
            with self.lock:
                self.tags.setdefault(arn, {}).update({t["Key"]: t.get("Value", "") for t in tags})
                self.touch(TAGS, arn)

    def remove(self, table: str, name: str, arn: str) -> None:
        """Delete resource ``name`` from ``table`` (one of :data:`TABLES`) and its tags."""
        with self.lock:
            del getattr(self, table)[name]
            self.tags.pop(arn, None)
            self.touch(table, name)
            self.touch(TAGS, arn)

    def execution_index(self, schedule_name: str | None, field: str) -> SortedIndex:
        """Executions (of one schedule, or all) sorted by ``field``, fixed at creation (call under lock)."""
        pool = (
            self.executions if schedule_name is None else self.executions_by_schedule.get(schedule_name, [])
        )
        return self._indexes.setdefault((schedule_name, field), SortedIndex(field)).sync(pool)

    def load(self) -> int:
        """Read every record from the database into memory; return how many were read."""
        rows = self.db.records()
        with self.lock:
            self._clear_memory()
            executions = []
            for kind, key, body in rows:
                record = _DECODER.decode(body)
                if kind == EXECUTIONS:
                    executions.append(record)
                else:
                    getattr(self, kind)[key] = record
                self.seq = max(self.seq, record.get("_seq", 0) if kind != TAGS else 0)
            for execution in sorted(executions, key=lambda e: e["_seq"]):
                self._index_execution(execution)
        return len(rows)

    def interrupt_unfinished(self, now: datetime) -> None:
        """Fail processing jobs and executions left running by a previous process (they cannot resume)."""
        with self.lock:
            for name, job in self.processing_jobs.items():
                if job["ProcessingJobStatus"] in ("InProgress", "Stopping"):
                    job.update(
                        ProcessingJobStatus="Failed", FailureReason=RESTART_REASON, LastModifiedTime=now
                    )
                    self.touch("processing_jobs", name)
            for execution in self.executions:
                if execution["MonitoringExecutionStatus"] in ("Pending", "InProgress", "Stopping"):
                    execution.update(
                        MonitoringExecutionStatus="Failed", FailureReason=RESTART_REASON, LastModifiedTime=now
                    )
                    self.touch_execution(execution)
