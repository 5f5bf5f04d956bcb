"""Capture inference times and the time window a job keeps records from.

``inferenceTime`` is ISO-8601 text, naive meaning UTC. Text in RFC 3339 form is read as msgspec reads a
``datetime`` member (so a reader that decodes the member straight to a ``datetime`` finds the same time; a
fraction finer than microseconds is rounded); any other text as :meth:`datetime.fromisoformat` reads it
(``Z`` accepted).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import msgspec

__all__ = ["TimeWindow", "parse_capture_time"]


def _aware(moment: datetime) -> datetime:
    """``moment``, in UTC when it is naive."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def parse_capture_time(text: str) -> datetime:
    """Parse a capture record's ``inferenceTime`` text (see the module docstring); raises ``ValueError``."""
    value = text.strip()
    try:
        return _aware(msgspec.convert(value, datetime))
    except msgspec.ValidationError:
        pass
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    return _aware(datetime.fromisoformat(value))


class TimeWindow:
    """The time window ``[start, end)`` records are filtered by (no bound: everything inside).

    :param start: earliest time inside, or ``None``.
    :param end: first time after the window, or ``None``.
    """

    def __init__(self, start: datetime | None, end: datetime | None) -> None:
        self.start, self.end = start, end
        self.everything = start is None and end is None
        # the bounds as naive UTC times, to compare with a column of naive times at once
        self._naive = tuple(
            None if bound is None else bound.astimezone(timezone.utc).replace(tzinfo=None)
            for bound in (start, end)
        )

    def __contains__(self, inference_time: object) -> bool:
        """Whether a time (text, a ``datetime`` or ``None``: never inside) is in the window; raises
        ``ValueError`` on text that is not a time and ``TypeError`` on anything else."""
        if self.everything:
            return True
        if inference_time is None:
            return False
        if isinstance(inference_time, str):
            moment = parse_capture_time(inference_time)
        elif isinstance(inference_time, datetime):
            moment = _aware(inference_time)
        else:
            raise TypeError("inference time is not text")
        return (self.start is None or moment >= self.start) and (self.end is None or moment < self.end)

    def select(self, times: list[Any]) -> list[bool] | None:
        """Which of ``times`` (as :meth:`__contains__` takes them) are inside, or ``None`` when all are."""
        if self.everything:
            return None
        try:
            earliest, latest = min(times), max(times)
        except (TypeError, ValueError):  # a missing time, naive and aware times, no times
            earliest = latest = None
        if isinstance(earliest, datetime) and isinstance(latest, datetime):
            # times all aware or all naive: the earliest and the latest tell whether all are inside
            start, end = (self.start, self.end) if earliest.tzinfo is not None else self._naive
            if (start is None or earliest >= start) and (end is None or latest < end):
                return None
        return [moment in self for moment in times]
