"""The view on Airflow 2.11's webserver, in process: page, static files and data a real DAG run recorded."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_0_PLUS

from airflow_mm_provider.monitoring.metrics import ExecutionMetrics, MetricRecord

pytestmark = pytest.mark.skipif(AIRFLOW_V_3_0_PLUS, reason="the Flask AppBuilder view is the Airflow 2 view")

HOURS = 3


def _document(hour: int) -> dict[str, Any]:
    accuracy = 0.6 if hour == 1 else 0.9
    execution = {
        "MonitoringScheduleName": "mm-schedule",
        "ScheduledTime": f"2024-01-01T{hour:02d}:00:00+00:00",
        "MonitoringExecutionStatus": "CompletedWithViolations" if hour == 1 else "Completed",
    }
    record = MetricRecord("accuracy", accuracy, "LessThanThreshold", 0.8, hour == 1, "LessThanThreshold")
    return ExecutionMetrics.create(execution, "ModelQuality", metrics=[record]).to_json()


@pytest.fixture(scope="module")
def client(airflow_db: None) -> Iterator[Any]:
    """A test client of the webserver with the plugin's view and anonymous users as admins."""
    from airflow import plugins_manager
    from airflow.www.app import create_app

    from airflow_mm_provider.ui.plugin import ModelMonitorPlugin
    from tests.support.recorded import forget_recorded_metrics, record_metrics

    forget_recorded_metrics()  # the session's database: other tests' DAG runs record metrics too
    record_metrics("mm_recorded", [_document(hour) for hour in range(HOURS)])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plugins_manager, "plugins", [ModelMonitorPlugin()])
        for name in ("flask_appbuilder_views", "flask_appbuilder_menu_links", "flask_blueprints"):
            patch.setattr(plugins_manager, name, None)
        app = create_app(config={"AUTH_ROLE_PUBLIC": "Admin", "WTF_CSRF_ENABLED": False}, testing=True)
        yield app.test_client()


def test_the_view_is_in_the_browse_menu_and_serves_its_page(client: Any) -> None:
    assert b"Model Monitor" in client.get("/home").data
    assert b"static/vendor/uPlot.iife.min.js" in client.get("/model-monitor/").data
    assert client.get("/model-monitor/static/vendor/uPlot.iife.min.js").status_code == 200


def test_the_data_routes_read_the_recorded_executions(client: Any) -> None:
    (monitor,) = client.get("/model-monitor/api/monitors").get_json()["monitors"]
    shown = client.get("/model-monitor/api/history?monitor=mm-schedule&limit=48").get_json()

    assert (monitor["monitor"], monitor["scheduled_time"]) == ("mm-schedule", "2024-01-01T02:00:00+00:00")
    assert [e["status"] for e in shown["executions"]] == ["Completed", "CompletedWithViolations", "Completed"]
    (accuracy,) = shown["series"]
    assert (accuracy["values"], accuracy["violated"]) == ([0.9, 0.6, 0.9], [False, True, False])
    assert shown["executions"][0]["task"]["url"].startswith("../dags/mm_recorded/grid?dag_run_id=")


@pytest.mark.parametrize("query", ["monitor=m&limit=0", "monitor=m&limit=501", "limit=5"])
def test_a_bad_history_request_is_refused(client: Any, query: str) -> None:
    assert client.get(f"/model-monitor/api/history?{query}").status_code == 400
