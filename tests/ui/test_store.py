"""Reading recorded metrics from the metadata database: the list of monitors finds each one's newest
execution however many records a task wrote and in whatever order its mapped instances ran."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_mm_provider.monitoring.metrics import ExecutionMetrics
from airflow_mm_provider.ui.store import LATEST_READ

DAG_ID = "mm_store_recorded"


def _document(monitor: str, hour: int) -> dict[str, Any]:
    execution = {
        "MonitoringScheduleName": monitor,
        "ScheduledTime": f"2024-01-01T{hour:02d}:00:00+00:00",
        "MonitoringExecutionStatus": "Completed",
    }
    return ExecutionMetrics.create(execution, "DataQuality").to_json()


@pytest.fixture
def session(airflow_db: None) -> Iterator[Any]:
    from airflow.utils.session import create_session

    from tests.support.recorded import forget_recorded_metrics

    forget_recorded_metrics(DAG_ID)
    with create_session() as opened:
        yield opened
    forget_recorded_metrics(DAG_ID)


def test_a_monitor_recorded_first_by_a_mapped_task_is_listed_with_its_newest_execution(session: Any) -> None:
    from airflow_mm_provider.ui.store import _XCom, monitor_list
    from tests.support.recorded import record_metrics

    busy = [_document("mm-busy", hour) for hour in range(LATEST_READ + 3)]
    record_metrics(DAG_ID, [_document("mm-quiet", 7), *busy])
    # map index 0 (the quiet monitor) wrote first: well before the busy monitor's records
    session.query(_XCom).filter(_XCom.dag_id == DAG_ID, _XCom.map_index == 0).update(
        {_XCom.timestamp: datetime(2024, 1, 1, tzinfo=timezone.utc) - timedelta(days=1)},
        synchronize_session=False,
    )
    session.commit()

    listed = {m["monitor"]: m["scheduled_time"] for m in monitor_list(session, [DAG_ID])["monitors"]}

    assert listed == {
        "mm-busy": f"2024-01-01T{LATEST_READ + 2:02d}:00:00+00:00",
        "mm-quiet": "2024-01-01T07:00:00+00:00",
    }
