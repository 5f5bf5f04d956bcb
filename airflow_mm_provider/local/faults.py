"""Fault injection: make the next N calls of an operation fail with a throttle or an internal error."""

from __future__ import annotations

import threading

from airflow_mm_provider.local.errors import ServiceError

FAULT_KINDS = {
    "throttling": ("ThrottlingException", "Rate exceeded", 400),
    "internal": ("InternalFailure", "An internal error occurred (injected by mm-local)", 500),
}


class FaultInjector:
    """Counts of pending injected failures per operation name."""

    def __init__(self) -> None:
        """Start with no faults."""
        self._lock = threading.Lock()
        self._pending: dict[str, list[str]] = {}

    def inject(self, operation: str, count: int = 1, kind: str = "throttling") -> None:
        """Make the next ``count`` calls of ``operation`` fail with ``kind`` (throttling or internal)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {sorted(FAULT_KINDS)}, got {kind!r}")
        if count < 1:
            raise ValueError(f"fault count must be at least 1, got {count}")
        with self._lock:
            self._pending.setdefault(operation, []).extend([kind] * count)

    def clear(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._pending.clear()

    def pending(self) -> dict[str, int]:
        """Pending fault counts per operation."""
        with self._lock:
            return {op: len(kinds) for op, kinds in self._pending.items() if kinds}

    def check(self, operation: str) -> None:
        """Raise the next injected fault for ``operation``, if any."""
        with self._lock:
            kinds = self._pending.get(operation)
            if not kinds:
                return
            kind = kinds.pop(0)
        code, message, status = FAULT_KINDS[kind]
        raise ServiceError(code, message, status)
