"""The view's FastAPI app inside Airflow 3's API server app, in process: what it serves and to whom."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_0_PLUS

pytestmark = pytest.mark.skipif(not AIRFLOW_V_3_0_PLUS, reason="the FastAPI app is the Airflow 3 view")


@pytest.fixture(scope="module")
def client(airflow_db: None) -> Iterator[Any]:
    """A test client of the whole API server app, with the plugin's app mounted as Airflow mounts it."""
    from airflow import plugins_manager
    from airflow.api_fastapi.app import create_app
    from fastapi.testclient import TestClient

    from airflow_mm_provider.ui.plugin import ModelMonitorPlugin
    from tests.support.recorded import forget_recorded_metrics

    forget_recorded_metrics()  # the session's database: other tests' DAG runs record metrics too
    apps = ModelMonitorPlugin().fastapi_apps
    with pytest.MonkeyPatch.context() as patch:
        if hasattr(plugins_manager, "get_fastapi_plugins"):
            patch.setattr(plugins_manager, "get_fastapi_plugins", lambda: (apps, []))
        else:  # Airflow 3.1 keeps the collected apps and middlewares in module globals
            patch.setattr(plugins_manager, "fastapi_apps", apps)
            patch.setattr(plugins_manager, "fastapi_root_middlewares", [])
        yield TestClient(create_app())


def _token(role: str | None) -> str:
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return get_auth_manager().generate_jwt(SimpleAuthManagerUser(username="someone", role=role))


def test_the_data_routes_need_a_user_who_may_read_xcoms(client: Any) -> None:
    assert client.get("/model-monitor/api/monitors").status_code == 401
    refused = client.get("/model-monitor/api/monitors", headers={"Authorization": f"Bearer {_token(None)}"})
    assert refused.status_code == 403
    viewer = client.get(
        "/model-monitor/api/monitors", headers={"Authorization": f"Bearer {_token('viewer')}"}
    )
    assert (viewer.status_code, viewer.json()) == (200, {"monitors": []})


def test_the_ui_cookie_is_enough(client: Any) -> None:
    client.cookies.set("_token", _token("viewer"))
    try:
        answer = client.get("/model-monitor/api/history", params={"monitor": "mm", "limit": 5})
    finally:
        client.cookies.clear()

    assert answer.status_code == 200
    assert answer.json() == {"monitor": "mm", "monitoring_type": None, "executions": [], "series": []}


@pytest.mark.parametrize("limit", [0, 501])
def test_the_history_limit_is_bounded(client: Any, limit: int) -> None:
    headers = {"Authorization": f"Bearer {_token('viewer')}"}

    assert (
        client.get(
            "/model-monitor/api/history", params={"monitor": "m", "limit": limit}, headers=headers
        ).status_code
        == 422
    )


def test_the_page_and_its_vendored_chart_library_are_served_without_a_cdn(client: Any) -> None:
    page = client.get("/model-monitor/")
    library = client.get("/model-monitor/static/vendor/uPlot.iife.min.js")

    assert page.status_code == library.status_code == 200
    assert 'src="static/vendor/uPlot.iife.min.js"' in page.text and "//" not in page.text.split("<body>")[1]
    assert library.text.startswith("/*! https://github.com/leeoniya/uPlot (v1.6.32) */")
