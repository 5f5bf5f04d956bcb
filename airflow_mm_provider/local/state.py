"""Thread-safe in-memory store of the service's resources, persisted as JSON in a state directory."""

from __future__ import annotations

import json
import os
import threading
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from airflow_mm_provider.local.listing import SortedIndex

STATE_FILE = "state.json"
_COLLECTIONS = ("job_definitions", "schedules", "processing_jobs", "endpoint_configs", "endpoints", "tags")


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


class Store:
    """Every resource as an API-shaped dict (internal fields start with ``_``), guarded by ``lock``.

    Executions are also indexed per schedule in creation order so per-schedule listing stays fast.
    """

    def __init__(self) -> None:
        """Create an empty store."""
        self.lock = threading.RLock()
        self.dirty = False
        self.reset()

    def reset(self) -> None:
        """Forget every resource."""
        with self.lock:
            self.job_definitions: dict[str, dict[str, Any]] = {}
            self.schedules: dict[str, dict[str, Any]] = {}
            self.processing_jobs: dict[str, dict[str, Any]] = {}
            self.endpoint_configs: dict[str, dict[str, Any]] = {}
            self.endpoints: dict[str, dict[str, Any]] = {}
            self.tags: dict[str, dict[str, str]] = {}
            self.executions: list[dict[str, Any]] = []
            self.executions_by_schedule: dict[str, list[dict[str, Any]]] = defaultdict(list)
            self._indexes: dict[tuple[str | None, str], SortedIndex] = {}
            self.seq = 0
            self.dirty = True

    def next_seq(self) -> int:
        """A store-wide increasing number used to order records created at the same instant."""
        with self.lock:
            self.seq += 1
            return self.seq

    def add_execution(self, execution: dict[str, Any]) -> None:
        """Store a new execution and index it under its schedule."""
        with self.lock:
            self.executions.append(execution)
            self.executions_by_schedule[execution["MonitoringScheduleName"]].append(execution)
            self.dirty = True

    def remove(self, table: dict[str, dict[str, Any]], name: str, arn: str) -> None:
        """Delete resource ``name`` from ``table`` (one of this store's resource dicts) and its tags.

        :param table: e.g. ``self.schedules``.
        :param name: the resource's key in ``table``.
        :param arn: the resource's ARN, which keys its tags.
        """
        with self.lock:
            del table[name]
            self.tags.pop(arn, None)
            self.dirty = True

    def execution_index(self, schedule_name: str | None, field: str) -> SortedIndex:
        """Executions (of one schedule, or all) sorted by ``field``, fixed at creation (call under lock)."""
        pool = (
            self.executions if schedule_name is None else self.executions_by_schedule.get(schedule_name, [])
        )
        return self._indexes.setdefault((schedule_name, field), SortedIndex(field)).sync(pool)

    def to_json(self) -> str:
        """Serialise the whole store."""
        with self.lock:
            data = {name: getattr(self, name) for name in _COLLECTIONS}
            data["executions"] = self.executions
            data["seq"] = self.seq
            return json.dumps(data, default=_encode)

    def load_json(self, text: str) -> None:
        """Replace the store's content with a serialised one."""
        data = json.loads(text, object_hook=_decode)
        with self.lock:
            self.reset()
            for name in _COLLECTIONS:
                setattr(self, name, data.get(name, {}))
            for execution in data.get("executions", []):
                self.add_execution(execution)
            self.seq = data.get("seq", 0)
            self.dirty = False

    def interrupt_unfinished(self, now: datetime) -> None:
        """Fail processing jobs and executions left running by a previous process (they cannot resume)."""
        reason = "InternalServerError: the local service restarted while the job was running"
        with self.lock:
            for job in self.processing_jobs.values():
                if job["ProcessingJobStatus"] in ("InProgress", "Stopping"):
                    job.update(ProcessingJobStatus="Failed", FailureReason=reason, LastModifiedTime=now)
            for execution in self.executions:
                if execution["MonitoringExecutionStatus"] in ("Pending", "InProgress", "Stopping"):
                    execution.update(
                        MonitoringExecutionStatus="Failed", FailureReason=reason, LastModifiedTime=now
                    )
            self.dirty = True

    def save(self, state_dir: Path) -> None:
        """Write the store atomically to ``state_dir`` if it changed since the last save."""
        with self.lock:
            if not self.dirty:
                return
            text = self.to_json()
            self.dirty = False
        state_dir.mkdir(parents=True, exist_ok=True)
        tmp = state_dir / (STATE_FILE + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, state_dir / STATE_FILE)

    def load(self, state_dir: Path) -> bool:
        """Load ``state_dir``'s saved state if there is one; return whether it was found."""
        path = state_dir / STATE_FILE
        if not path.exists():
            return False
        self.load_json(path.read_text())
        return True
