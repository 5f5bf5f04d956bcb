"""Stopping a running analysis from another thread: a stop event, checked between blocks of input.

The engine runs in a thread that cannot be killed, so a stopped processing job would otherwise analyse on to
the end. :func:`stop_on` gives the current thread an event; the readers call :func:`checkpoint` between
blocks of input (about 1 MB, or a chunk of records), which raises :class:`Stopped` once the event is set.
The work after reading (metrics, bootstrap, reports) has no checkpoint.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Stopped", "checkpoint", "stop_on"]

_current = threading.local()


class Stopped(Exception):
    """The analysis was stopped before it finished (:func:`stop_on`'s event was set)."""


@contextmanager
def stop_on(event: threading.Event) -> Iterator[None]:
    """Within the block, :func:`checkpoint` in this thread raises :class:`Stopped` once ``event`` is set."""
    previous = getattr(_current, "event", None)
    _current.event = event
    try:
        yield
    finally:
        _current.event = previous


def checkpoint() -> None:
    """Raise :class:`Stopped` if this thread's analysis was stopped; otherwise do nothing."""
    event: threading.Event | None = getattr(_current, "event", None)
    if event is not None and event.is_set():
        raise Stopped("the analysis was stopped")
