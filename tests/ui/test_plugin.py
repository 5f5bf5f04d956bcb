"""The plugin offers the view through the interface of the running Airflow major version, built on demand."""

from __future__ import annotations

import subprocess
import sys

from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_0_PLUS

from airflow_mm_provider.ui.plugin import ModelMonitorPlugin


def test_the_plugin_uses_the_ui_interface_of_this_airflow() -> None:
    plugin = ModelMonitorPlugin()

    if AIRFLOW_V_3_0_PLUS:
        (app,) = plugin.fastapi_apps
        (view,) = plugin.external_views
        assert (app["url_prefix"], app["name"]) == ("/model-monitor", "Model Monitor")
        assert view == {
            "name": "Model Monitor",
            "href": "model-monitor/",
            "destination": "nav",
            "category": "browse",
            "url_route": "model-monitor",
        }
        assert plugin.appbuilder_views == []
    else:
        (view,) = plugin.appbuilder_views
        assert (view["name"], view["category"]) == ("Model Monitor", "Browse")
        assert plugin.fastapi_apps == plugin.external_views == []


def test_loading_the_plugin_leaves_the_apps_and_the_database_code_for_later() -> None:
    """Schedulers and workers load plugins too: the plugin module alone builds no app."""
    lazy = (
        "airflow_mm_provider.ui.fastapi_app",
        "airflow_mm_provider.ui.flask_view",
        "airflow_mm_provider.ui.store",
    )
    code = (
        f"import sys\nimport airflow_mm_provider.ui.plugin\nprint([m for m in {lazy!r} if m in sys.modules])"
    )

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.strip().splitlines()[-1] == "[]"
