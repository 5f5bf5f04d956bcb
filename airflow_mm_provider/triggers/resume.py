"""How soon a deferred wait may resume its task: not before Airflow has seen the deferring worker exit.

On Airflow 3 the scheduler fails a task whose resumed attempt is already running when it reads the executor's
report that the deferring attempt's worker exited (``task-state-changed-externally``, apache/airflow#72716).
That report can come seconds after ``defer()``: the worker's supervisor notices the exit within
``[workers] min_heartbeat_interval``. So operators do not defer for work that has already ended, and a
deferred wait makes its first look no sooner than :func:`resume_grace` after the deferral.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.common.compat.sdk import conf


def resume_grace() -> timedelta:
    """Shortest time from a deferral to the first look: twice ``[workers] min_heartbeat_interval``.

    Zero on Airflow 2, which has no such setting and whose scheduler leaves a resumed running task alone.
    """
    return timedelta(seconds=2 * conf.getfloat("workers", "min_heartbeat_interval", fallback=0.0))


def first_look(deferred_at: datetime, interval: float) -> datetime:
    """When a deferred wait looks first: ``interval`` after ``deferred_at``, at least :func:`resume_grace`.

    :param deferred_at: when the task defers.
    :param interval: seconds between two looks.
    """
    return deferred_at + max(timedelta(seconds=interval), resume_grace())
