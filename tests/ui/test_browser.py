"""The Model Monitor view in headless Chromium, on synthetic recorded executions: a failed execution,
data-quality drift, violated bias metrics that are not finite numbers and a monitor with one execution, which
the demo (``test_browser_demo.py``) does not record.

A throwaway AIRFLOW_HOME (SQLite) gets a DAG whose mapped task records one metrics document per map index,
exactly as the violation branch does (``ti.xcom_push`` under ``model_monitor_metrics``); ``airflow dags test``
runs it, an ``airflow api-server`` on 127.0.0.1 serves the plugin, and Chromium loads the view
(``tests/support/browser.py``).

Skipped when Chromium is absent, unless ``CI`` is set: there it must run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.support.browser import ViewServer, browser_marks

HOURS, VIOLATING = 6, 3
pytestmark = browser_marks()

SEED_DAG = """
import json, os
from datetime import datetime, timezone
from airflow.providers.common.compat.sdk import DAG
from airflow.providers.standard.operators.python import PythonOperator
from airflow_mm_provider.monitoring.metrics import METRICS_XCOM_KEY

def record(document, ti=None):
    ti.xcom_push(key=METRICS_XCOM_KEY, value=document)

with DAG("mm_recorded", schedule=None, start_date=datetime(2024, 1, 1, tzinfo=timezone.utc)):
    documents = json.loads(open(os.environ["MM_RECORDED"]).read())
    PythonOperator.partial(task_id="branch", python_callable=record).expand(op_args=[[d] for d in documents])
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ViewServer]:
    """The API server over a home where ``mm_recorded`` recorded the synthetic history."""
    from tests.support.reports import recorded_history  # the analysis engine: only where this test runs

    home = tmp_path_factory.mktemp("airflow-home")
    dags = home / "dags"
    dags.mkdir()
    (dags / "mm_recorded.py").write_text(SEED_DAG)
    recorded = home / "recorded.json"
    recorded.write_text(json.dumps(recorded_history(HOURS, VIOLATING)))
    server = ViewServer(home, dags, tmp_path_factory.mktemp("screenshots"), {"MM_RECORDED": str(recorded)})
    server.deployment.cli("db", "migrate")
    server.deployment.cli("dags", "test", "mm_recorded")
    with server.serving():
        yield server


def test_a_data_quality_monitor_shows_its_failed_execution_and_drift(server: ViewServer) -> None:
    dom = server.view("mm-demo-data-quality")

    statuses = [cell.attrs["data-status"] for cell in dom.find("button", role="listitem")]
    assert statuses[VIOLATING : VIOLATING + 2] == ["CompletedWithViolations", "Failed"]
    (drift,) = dom.find("figure", **{"data-series": "income: baseline_drift"})
    assert (drift.attrs["data-points"], drift.attrs["data-violations"]) == (str(HOURS - 1), "1")
    assert all(f.attrs["data-marked"] == f.attrs["data-violations"] for f in dom.find("figure"))
    text = " ".join(dom.text)
    assert "Execution of 2024-01-01 05:00 UTC" in text


def test_a_violated_value_that_is_not_a_finite_number_is_marked_off_the_scale(server: ViewServer) -> None:
    from tests.support.reports import BENT_BIAS

    dom = server.view("mm-demo-model-bias")

    figures = {f.attrs["data-series"]: f for f in dom.find("figure")}
    assert set(figures) == {f"group=0: {metric}" for metric in BENT_BIAS}
    for metric, value in BENT_BIAS.items():
        figure = figures[f"group=0: {metric}"]
        unplaced = isinstance(value, str)
        assert figure.attrs["data-violations"] == figure.attrs["data-marked"] == "1", metric
        assert figure.attrs["data-points"] == figure.attrs["data-rendered"] == str(HOURS - unplaced), metric
        assert figure.attrs["data-unplaced"] == str(int(unplaced)), metric
        assert figure.attrs["data-time-span"] == str((HOURS - 1) * 3600), metric
        legend = f"{value} at 2024-01-01 {VIOLATING:02d}:00 UTC (violated)"
        assert (legend in "".join(figure.texts)) == unplaced, metric


def test_a_single_execution_is_charted_an_hour_either_side(server: ViewServer) -> None:
    dom = server.view("mm-demo-first-execution")

    assert [cell.attrs["data-status"] for cell in dom.find("button", role="listitem")] == [
        "CompletedWithViolations"
    ]
    figures = {f.attrs["data-series"]: f.attrs for f in dom.find("figure")}
    assert figures["accuracy"]["data-marked"] == figures["accuracy"]["data-violations"] == "1"
    for name, figure in figures.items():
        assert figure["data-points"] == figure["data-rendered"] == "1", name
        assert figure["data-time-span"] == "7200", name


def test_the_data_routes_answer_json(server: ViewServer) -> None:
    monitors = server.get_json("/model-monitor/api/monitors")

    assert [m["monitor"] for m in monitors["monitors"]] == [
        "mm-demo-data-quality",
        "mm-demo-first-execution",
        "mm-demo-model-bias",
        "mm-demo-model-quality",
    ]
    assert monitors["monitors"][3]["scheduled_time"] == "2024-01-01T05:00:00+00:00"
