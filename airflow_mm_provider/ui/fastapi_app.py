"""The Model Monitor view on Airflow 3: a FastAPI app the API server mounts under :data:`URL_PREFIX`.

``GET /`` is the page (static HTML, scripts and the vendored chart library under ``/static``); the page reads
``GET /api/monitors`` and ``GET /api/history?monitor=<name>&limit=<n>``. Both data routes need the same
permission as Airflow's own XCom list route (reading XComs) and only see the DAGs the user may read; the
user comes from the API token the Airflow UI keeps in its cookie, so the page works inside the UI's frame.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
from airflow.api_fastapi.common.db.common import SessionDep
from airflow.api_fastapi.core_api.security import GetUserDep, requires_access_dag
from fastapi import Depends, FastAPI, Query
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from airflow_mm_provider.ui.assets import INDEX, STATIC
from airflow_mm_provider.ui.store import DEFAULT_LIMIT, MAX_LIMIT, monitor_history, monitor_list

URL_PREFIX = "/model-monitor"
"""Where the API server mounts the app; the UI's nav entry opens ``model-monitor/`` under the base URL."""

_READ_XCOMS = [Depends(requires_access_dag(method="GET", access_entity=DagAccessEntity.XCOM))]


def task_url(dag_id: str, run_id: str, task_id: str) -> str:
    """The Airflow 3 UI page of a task instance, relative to the view's page."""
    return f"../dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}/tasks/{quote(task_id, safe='')}"


def create_app() -> FastAPI:
    """The view's app: its page, static files and the two data routes."""
    app = FastAPI(title="Model Monitor", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(INDEX, media_type="text/html")

    @app.get("/api/monitors", dependencies=_READ_XCOMS)
    def monitors(user: GetUserDep, session: SessionDep) -> dict[str, Any]:
        dag_ids = get_auth_manager().get_authorized_dag_ids(user=user, method="GET")
        return monitor_list(session, dag_ids)

    @app.get("/api/history", dependencies=_READ_XCOMS)
    def history(
        user: GetUserDep,
        session: SessionDep,
        monitor: str,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    ) -> dict[str, Any]:
        dag_ids = get_auth_manager().get_authorized_dag_ids(user=user, method="GET")
        return monitor_history(session, dag_ids, monitor, limit, task_url)

    return app
