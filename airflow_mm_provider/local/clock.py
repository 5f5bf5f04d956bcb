"""The service clock: real time shifted by an adjustable offset, plus the optional execution start jitter."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

MAX_JITTER = timedelta(minutes=20)


def utc_now() -> datetime:
    """The real current time, aware, in UTC."""
    return datetime.now(timezone.utc)


class Clock:
    """Service time = real time + offset; the offset only moves forward through ``advance_to``.

    ``jitter`` makes each execution start 0–20 minutes after its slot, deterministically per (schedule, slot).
    ``on_change``, when set, is called with the new offset whenever it changes (the service persists it).
    """

    def __init__(self, jitter: bool = False, real_now: Callable[[], datetime] = utc_now) -> None:
        """Start at real time; ``jitter`` enables the start delay, ``real_now`` is the real time source."""
        self._real_now = real_now
        self._offset = timedelta(0)
        self._lock = threading.Lock()
        self.jitter = jitter
        self.on_change: Callable[[timedelta], None] | None = None

    def now(self) -> datetime:
        """Current service time (aware UTC)."""
        with self._lock:
            return self._real_now() + self._offset

    def restore(self, offset: timedelta) -> None:
        """Take a saved offset (real time keeps running under it)."""
        with self._lock:
            self._offset = offset

    def set(self, when: datetime) -> None:
        """Make the service time ``when`` now (it keeps running from there)."""
        with self._lock:
            self._changed(when - self._real_now())

    def advance_to(self, when: datetime) -> None:
        """Move the service time forward to ``when`` if it is earlier than that."""
        with self._lock:
            real = self._real_now()
            if real + self._offset < when:
                self._changed(when - real)

    def _changed(self, offset: timedelta) -> None:
        """Adopt a new offset and report it (call under the lock)."""
        self._offset = offset
        if self.on_change is not None:
            self.on_change(offset)

    def start_delay(self, schedule_name: str, slot: datetime) -> timedelta:
        """How long after ``slot`` the execution of ``schedule_name`` starts (zero without jitter)."""
        if not self.jitter:
            return timedelta(0)
        digest = hashlib.sha256(f"{schedule_name}@{slot.isoformat()}".encode()).digest()
        fraction = int.from_bytes(digest[:4], "big") / 2**32
        return timedelta(seconds=int(fraction * MAX_JITTER.total_seconds()))
