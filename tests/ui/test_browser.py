"""The Model Monitor view in headless Chromium, on an Airflow 3 API server with recorded executions.

A throwaway AIRFLOW_HOME (SQLite) gets a DAG whose mapped task records one metrics document per map index,
exactly as the violation branch does (``ti.xcom_push`` under ``model_monitor_metrics``); ``airflow dags test``
runs it, an ``airflow api-server`` on 127.0.0.1 serves the plugin, and Chromium loads the view (the page on
its own, and framed in the Airflow UI through the plugin's nav entry). The simple auth manager runs with
every user an admin, so the browser needs no login. Screenshots stay under the test's temp dir.

Skipped when Chromium is absent, unless ``CI`` is set: there it must run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.version_compat import AIRFLOW_V_3_0_PLUS

from tests.support.scheduler import AIRFLOW, AirflowDeployment

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
HOURS, VIOLATING = 6, 3

if CHROMIUM is None and IN_CI:
    raise RuntimeError("CI is set but chromium is missing: install Debian's chromium package (see .ci/run)")
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)"
    ),
    pytest.mark.skipif(not AIRFLOW_V_3_0_PLUS, reason="the browser test drives the Airflow 3 view"),
]

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
PLUGIN = "from airflow_mm_provider.ui.plugin import ModelMonitorPlugin  # noqa: F401\n"


def _plugin_installed(cwd: Path) -> bool:
    """Whether the package's ``airflow.plugins`` entry point is installed, as an Airflow process sees it: a
    fresh interpreter outside the repository, whose ``*.egg-info`` (left by an editable install) the test
    process sees on its path but the API server does not."""
    code = (
        "from importlib.metadata import entry_points\n"
        "points = entry_points(group='airflow.plugins')\n"
        "print(any(p.value.startswith('airflow_mm_provider.ui') for p in points))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip() == "True"


class _Dom(HTMLParser):
    """The elements of a dumped DOM as (tag, attributes), and the page's text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str, **wanted: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in wanted.items())]


class Server:
    """An Airflow 3 API server on 127.0.0.1 with recorded executions; Chromium runs against it."""

    def __init__(self, home: Path, artifacts: Path) -> None:
        self.home, self.artifacts = home, artifacts
        dags = home / "dags"
        dags.mkdir(parents=True)
        (dags / "mm_recorded.py").write_text(SEED_DAG)
        (home / "plugins").mkdir()
        if not _plugin_installed(home):  # until the package registers its airflow.plugins entry point
            (home / "plugins" / "model_monitor.py").write_text(PLUGIN)
        from tests.support.reports import recorded_history  # the analysis engine: only where this test runs

        recorded = home / "recorded.json"
        self.documents = recorded_history(HOURS, VIOLATING)
        recorded.write_text(json.dumps(self.documents))
        self.deployment = AirflowDeployment(
            home,
            dags,
            {
                "MM_RECORDED": str(recorded),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(home / "plugins"),
            },
        )
        self.url = f"http://127.0.0.1:{self.deployment.env['AIRFLOW__API__PORT']}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.deployment.cli("db", "migrate")
        self.deployment.cli("dags", "test", "mm_recorded")
        with (self.home / "api-server.log").open("wb") as log:
            self.process = subprocess.Popen(
                [AIRFLOW, "api-server"],
                env=self.deployment.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 120
        while True:
            assert self.process.poll() is None, (self.home / "api-server.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/monitor/health", timeout=5):
                    return
            except OSError:
                assert time.monotonic() < deadline, "the API server did not answer in 120 s"
                time.sleep(1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)

    def chromium(self, path: str, *, screenshot: str | None = None, height: int = 1600) -> str:
        """Load ``path`` in headless Chromium; the DOM once the page settled (and a screenshot)."""
        profile = self.artifacts / f"profile-{time.monotonic_ns()}"
        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=20000",
            f"--window-size=1400,{height}",
        ]
        output = ["--dump-dom"] if screenshot is None else [f"--screenshot={self.artifacts / screenshot}"]
        done = subprocess.run(
            [CHROMIUM, *flags, *output, self.url + path],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("airflow-home"), tmp_path_factory.mktemp("screenshots"))
    try:
        running.start()
        yield running
    finally:
        running.stop()


def _view(server: Server, monitor: str) -> _Dom:
    dom = _Dom(server.chromium(f"/model-monitor/#monitor={monitor}&limit=48"))
    (state,) = [a.get("data-state") for t, a in dom.elements if t == "body"]
    assert state == "ready", "".join(dom.text)[-2000:]
    return dom


def test_the_charts_show_every_execution_and_mark_the_violating_one(server: Server) -> None:
    dom = _view(server, "mm-demo-model-quality")

    timeline = dom.find("button", role="listitem")
    statuses = [cell["data-status"] for cell in timeline]
    assert statuses == [
        "CompletedWithViolations" if hour == VIOLATING else "Completed" for hour in range(HOURS)
    ]
    figures = dom.find("figure")
    recorded = next(d for d in server.documents if d["monitor"] == "mm-demo-model-quality")
    assert {f["data-series"] for f in figures} == {m["series"] for m in recorded["metrics"]}
    assert all(f["data-points"] == f["data-rendered"] == str(HOURS) for f in figures)
    violated = {f["data-series"] for f in figures if f["data-violations"] == "1"}
    assert "accuracy" in violated and "accuracy_best_constant_classifier" not in violated
    assert all("violated" in f["class"].split() for f in figures if f["data-series"] in violated)
    assert len(dom.find("canvas")) >= len(figures)


def test_a_data_quality_monitor_shows_its_failed_execution_and_drift(server: Server) -> None:
    dom = _view(server, "mm-demo-data-quality")

    statuses = [cell["data-status"] for cell in dom.find("button", role="listitem")]
    assert statuses[VIOLATING : VIOLATING + 2] == ["CompletedWithViolations", "Failed"]
    (drift,) = dom.find("figure", **{"data-series": "income: baseline_drift"})
    assert (drift["data-points"], drift["data-violations"]) == (str(HOURS - 1), "1")
    text = " ".join(dom.text)
    assert "Execution of 2024-01-01 05:00 UTC" in text


def test_screenshots_of_the_view_alone_and_inside_the_airflow_ui(server: Server) -> None:
    server.chromium("/model-monitor/#monitor=mm-demo-model-quality", screenshot="view.png", height=1500)
    server.chromium("/plugin/model-monitor", screenshot="airflow-ui.png", height=1000)

    for name in ("view.png", "airflow-ui.png"):
        image = (server.artifacts / name).read_bytes()
        assert image[:8] == b"\x89PNG\r\n\x1a\n" and len(image) > 20_000, name


def test_the_data_routes_answer_json(server: Server) -> None:
    with urllib.request.urlopen(f"{server.url}/model-monitor/api/monitors", timeout=10) as response:
        monitors: dict[str, Any] = json.load(response)

    assert [m["monitor"] for m in monitors["monitors"]] == ["mm-demo-data-quality", "mm-demo-model-quality"]
    assert re.fullmatch(r"2024-01-01T05:00:00\+00:00", monitors["monitors"][1]["scheduled_time"])
