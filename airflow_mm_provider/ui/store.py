"""Reading recorded execution metrics from Airflow's metadata database (the XCom table).

Values are decoded as stored in the database, never through a custom XCom backend, so a page view makes no
call to object storage or AWS: the metrics must be kept in the database (the default XCom backend, or one that
keeps small values there). Works on Airflow 3 (``XComModel``) and Airflow 2 (``XCom``).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

from airflow_mm_provider.monitoring.metrics import METRICS_XCOM_KEY
from airflow_mm_provider.ui.history import Recorded, TaskUrl, history, monitors

DEFAULT_LIMIT = 48
"""Executions a history shows unless asked otherwise (two days of an hourly schedule)."""
MAX_LIMIT = 500
"""The most executions a history shows."""
LATEST_READ = 8
"""Records read per recording task, besides all of its newest DAG run's, to find each monitor's newest
execution for the list of monitors."""
READ_FACTOR = 2
"""A history of ``n`` executions reads each recording task's ``2 n`` newest records and keeps the ``n``
executions scheduled last, so executions recorded out of order (a mapped or re-run task) still count."""

try:
    from airflow.models.xcom import XComModel as _XCom
except ImportError:  # Airflow 2
    from airflow.models.xcom import BaseXCom as _XCom  # type: ignore[no-redef]


def _iso(value: datetime) -> str:
    return (
        (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc).isoformat()
    )


def _decoded(value: Any) -> Any:
    """An XCom value as stored, decoded without the XCom backend (``None`` when it cannot be)."""
    try:
        return _XCom.deserialize_value(SimpleNamespace(value=value))
    except (ValueError, TypeError):
        return None


def recording_tasks(session: Any, dag_ids: Collection[str] | None) -> list[tuple[str, str]]:
    """The (DAG, task) pairs that recorded execution metrics, newest record first.

    :param session: a SQLAlchemy session on the metadata database.
    :param dag_ids: only these DAGs (the ones the user may read); ``None`` for all.
    """
    query = select(_XCom.dag_id, _XCom.task_id, func.max(_XCom.timestamp).label("latest")).where(
        _XCom.key == METRICS_XCOM_KEY
    )
    if dag_ids is not None:
        query = query.where(_XCom.dag_id.in_(list(dag_ids)))
    query = query.group_by(_XCom.dag_id, _XCom.task_id).order_by(func.max(_XCom.timestamp).desc())
    return [(row.dag_id, row.task_id) for row in session.execute(query)]


def records(session: Any, dag_id: str, task_id: str, limit: int, run_id: str | None = None) -> list[Recorded]:
    """The newest ``limit`` metrics records of one task, newest first.

    :param session: a SQLAlchemy session on the metadata database.
    :param dag_id: the recording task's DAG.
    :param task_id: the recording task.
    :param limit: at most this many records.
    :param run_id: only those of this DAG run; any run by default.
    """
    query = select(_XCom.dag_id, _XCom.run_id, _XCom.task_id, _XCom.timestamp, _XCom.value).where(
        _XCom.key == METRICS_XCOM_KEY, _XCom.dag_id == dag_id, _XCom.task_id == task_id
    )
    if run_id is not None:
        query = query.where(_XCom.run_id == run_id)
    query = query.order_by(_XCom.timestamp.desc()).limit(limit)
    return [
        Recorded(row.dag_id, row.run_id, row.task_id, _iso(row.timestamp), _decoded(row.value))
        for row in session.execute(query)
    ]


def monitor_list(session: Any, dag_ids: Collection[str] | None) -> dict[str, Any]:
    """``{"monitors": [...]}``: every monitor recorded in ``dag_ids`` (see :func:`~.history.monitors`).

    :param session: a SQLAlchemy session on the metadata database.
    :param dag_ids: the DAGs the user may read; ``None`` for all.
    """
    latest: list[Recorded] = []
    for dag_id, task_id in recording_tasks(session, dag_ids):
        newest = records(session, dag_id, task_id, LATEST_READ)
        latest += newest
        if newest:  # a mapped task records several monitors per run, in any order
            latest += records(session, dag_id, task_id, MAX_LIMIT, run_id=newest[0].run_id)
    return {"monitors": monitors(latest)}


def monitor_history(
    session: Any, dag_ids: Collection[str] | None, monitor: str, limit: int, task_url: TaskUrl
) -> dict[str, Any]:
    """The history of ``monitor`` (see :func:`~.history.history`), from the tasks that record it.

    :param session: a SQLAlchemy session on the metadata database.
    :param dag_ids: the DAGs the user may read; ``None`` for all.
    :param monitor: the monitor's name.
    :param limit: at most this many executions.
    :param task_url: the URL of a recording task instance in the Airflow UI.
    """
    sources: list[list[str]] = next(
        (
            entry["sources"]
            for entry in monitor_list(session, dag_ids)["monitors"]
            if entry["monitor"] == monitor
        ),
        [],
    )
    read = limit * READ_FACTOR
    rows = [row for dag_id, task_id in sources for row in records(session, dag_id, task_id, read)]
    return history(monitor, rows, limit, task_url)
