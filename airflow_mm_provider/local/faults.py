"""Fault injection: make the next N calls of an operation fail with a throttle or an internal error."""

from __future__ import annotations

import threading
from typing import Any

from airflow_mm_provider.local.errors import ServiceError

FAULT_KINDS = {
    "throttling": ("ThrottlingException", "Rate exceeded", 400),
    "internal": ("InternalFailure", "An internal error occurred (injected by mm-local)", 500),
}


MAX_FAULTS = 10_000


class FaultInjector:
    """Pending injected failures per operation name, as runs of (kind, remaining count)."""

    def __init__(self) -> None:
        """Start with no faults."""
        self._lock = threading.Lock()
        self._pending: dict[str, list[list[Any]]] = {}

    def inject(self, operation: str, count: int = 1, kind: str = "throttling") -> None:
        """Make the next ``count`` calls of ``operation`` fail with ``kind`` (throttling or internal).

        At most :data:`MAX_FAULTS` may be pending per operation.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind: must be one of {sorted(FAULT_KINDS)}, got {kind!r}")
        with self._lock:
            runs = self._pending.setdefault(operation, [])
            pending = sum(run[1] for run in runs)
            if not 1 <= count <= MAX_FAULTS - pending:
                raise ValueError(
                    f"count: must be a whole number from 1 to {MAX_FAULTS - pending} "
                    f"({pending} already pending for {operation}), got {count}"
                )
            runs.append([kind, count])

    def clear(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._pending.clear()

    def pending(self) -> dict[str, int]:
        """Pending fault counts per operation."""
        with self._lock:
            return {op: sum(run[1] for run in runs) for op, runs in self._pending.items() if runs}

    def check(self, operation: str) -> None:
        """Raise the next injected fault for ``operation``, if any."""
        with self._lock:
            runs = self._pending.get(operation)
            if not runs:
                return
            kind = runs[0][0]
            runs[0][1] -= 1
            if runs[0][1] == 0:
                runs.pop(0)
        code, message, status = FAULT_KINDS[kind]
        raise ServiceError(code, message, status)
