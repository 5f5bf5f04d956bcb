"""The Airflow plugin that adds the "Model Monitor" view to the Airflow UI.

On Airflow 3 it mounts the FastAPI app of :mod:`~airflow_mm_provider.ui.fastapi_app` on the API server and
adds an entry to the UI's Browse menu that shows the view inside the UI (an external view with a
``url_route``); on Airflow 2 it adds a Flask AppBuilder view under Browse
(:mod:`~airflow_mm_provider.ui.flask_view`). The apps are built when Airflow asks for them, so the
processes that load plugins for other reasons (schedulers, workers) do not import FastAPI or Flask for it.
"""

from __future__ import annotations

from typing import Any

from airflow import __version__ as airflow_version
from airflow.providers.common.compat.sdk import AirflowPlugin

VIEW_NAME = "Model Monitor"
URL_ROUTE = "model-monitor"
"""The view's path in the Airflow 3 UI: ``<base URL>/plugin/model-monitor``."""
_AIRFLOW_3 = int(airflow_version.split(".", 1)[0]) >= 3


class ModelMonitorPlugin(AirflowPlugin):
    """Charts every recorded monitoring execution's metrics: the "Model Monitor" view."""

    name = "model_monitor"

    @property
    def fastapi_apps(self) -> list[dict[str, Any]]:  # type: ignore[override]
        """The view's FastAPI app (Airflow 3)."""
        if not _AIRFLOW_3:
            return []
        from airflow_mm_provider.ui.fastapi_app import URL_PREFIX, create_app

        return [{"app": create_app(), "url_prefix": URL_PREFIX, "name": VIEW_NAME}]

    @property
    def external_views(self) -> list[dict[str, Any]]:  # type: ignore[override]
        """The Browse menu entry that frames the view inside the UI (Airflow 3)."""
        if not _AIRFLOW_3:
            return []
        return [
            {
                "name": VIEW_NAME,
                "href": f"{URL_ROUTE}/",
                "destination": "nav",
                "category": "browse",
                "url_route": URL_ROUTE,
            }
        ]

    @property
    def appbuilder_views(self) -> list[dict[str, Any]]:  # type: ignore[override]
        """The view as a Flask AppBuilder view under Browse (Airflow 2)."""
        if _AIRFLOW_3:
            return []
        from airflow_mm_provider.ui.flask_view import ModelMonitorView

        return [{"name": VIEW_NAME, "category": "Browse", "view": ModelMonitorView()}]
