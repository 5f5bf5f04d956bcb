"""The Model Monitor view on Airflow 2: a Flask AppBuilder view under Browse, at ``/model-monitor/``.

It serves the same page, static files and data routes as the Airflow 3 app, so the page runs unchanged:
``/model-monitor/api/monitors`` and ``/model-monitor/api/history?monitor=<name>&limit=<n>`` need the
permission to read XComs and only see the DAGs the user may read. The page opens on its own, outside the
webserver's page frame.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from airflow.auth.managers.models.resource_details import DagAccessEntity  # type: ignore[import-not-found,unused-ignore]  # Airflow 2 only
from airflow.utils.session import create_session
from airflow.www import auth  # type: ignore[import-not-found,unused-ignore]  # Airflow 2 only
from airflow.www.extensions.init_auth_manager import get_auth_manager  # type: ignore[import-not-found,unused-ignore]  # Airflow 2 only
from flask import Response, g, jsonify, request, send_from_directory
from flask_appbuilder import BaseView, expose  # type: ignore[import-not-found,unused-ignore]  # Airflow 2 only

from airflow_mm_provider.ui.assets import INDEX, STATIC
from airflow_mm_provider.ui.store import DEFAULT_LIMIT, MAX_LIMIT, monitor_history, monitor_list


def task_url(dag_id: str, run_id: str, task_id: str) -> str:
    """The Airflow 2 grid view of a task instance, relative to the view's page."""
    return f"../dags/{quote(dag_id, safe='')}/grid?{urlencode({'dag_run_id': run_id, 'task_id': task_id})}"


class ModelMonitorView(BaseView):
    """The page, its static files and the two data routes."""

    route_base = "/model-monitor"
    default_view = "page"

    @expose("/")
    @auth.has_access_dag("GET", DagAccessEntity.XCOM)
    def page(self) -> Response:
        """The page."""
        return send_from_directory(STATIC, INDEX.name)

    @expose("/static/<path:filename>")
    @auth.has_access_dag("GET", DagAccessEntity.XCOM)
    def static_file(self, filename: str) -> Response:
        """A static file of the page."""
        return send_from_directory(STATIC, filename)

    @expose("/api/monitors")
    @auth.has_access_dag("GET", DagAccessEntity.XCOM)
    def monitors(self) -> Response:
        """Every recorded monitor the user may see."""
        dag_ids = get_auth_manager().get_permitted_dag_ids(methods=["GET"], user=g.user)
        with create_session() as session:
            return jsonify(monitor_list(session, dag_ids))

    @expose("/api/history")
    @auth.has_access_dag("GET", DagAccessEntity.XCOM)
    def history(self) -> Response | tuple[Response, int]:
        """One monitor's last executions and metric series."""
        monitor = request.args.get("monitor")
        limit = request.args.get("limit", DEFAULT_LIMIT, type=int)
        if not monitor or limit is None or not 1 <= limit <= MAX_LIMIT:
            return jsonify({"detail": f"give monitor and a limit from 1 to {MAX_LIMIT}"}), 400
        dag_ids = get_auth_manager().get_permitted_dag_ids(methods=["GET"], user=g.user)
        with create_session() as session:
            return jsonify(monitor_history(session, dag_ids, monitor, limit, task_url))
