"""The Model Monitor view in headless Chromium on the demo's executions, on an Airflow 3 API server.

The module runs the demo the way ``python3.11 dev.py demo`` does (``dev.demo_command`` with this interpreter
and ``dev.demo_environment``: mm-local on a free port, the example DAGs run with ``airflow dags test``), in an
AIRFLOW_HOME under the test's temp dir, and has it write what it ran (``--record``: its DAG runs, every
execution of the monitors they awaited, Model Monitor's schedules and the self-hosted DAG's monitors, the
violations each report lists, the drifted hour's slot). An
``airflow api-server`` on 127.0.0.1 then serves that home's database, and Chromium loads the view of each
monitor the demo's branch tasks decided on. Every expected number comes from the record.

The demo's output, its record, the API server's log and the screenshots stay under the test's temp dir.
The demo takes 2-4 minutes. Skipped when Chromium is absent, unless ``CI`` is set: there it must run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

import dev
from airflow_mm_provider.monitoring.metrics import MetricRecord
from tests.support.browser import Dom, ViewServer, browser_marks
from tests.support.scheduler import stop_process_groups

DEMO_TIMEOUT = 900
"""Seconds the demo may take (about two minutes on an idle machine, five on a busy one)."""
pytestmark = [*browser_marks(), pytest.mark.timeout(DEMO_TIMEOUT + 600)]
EXAMPLES = dev.ROOT / "example_dags"
VIOLATING = "CompletedWithViolations"
NON_FINITE = {"NaN", "Infinity", "-Infinity"}
"""How a recorded value that is not a finite number reads."""


def run_demo(home: Path, artifacts: Path, environment: Mapping[str, str]) -> dict[str, Any]:
    """Run the demo in ``home`` (its output in ``artifacts``); what it ran, as it records it.

    The demo runs in its own process group, stopped with whatever it started, however the run ends.
    """
    record, output = artifacts / "demo-record.json", artifacts / "demo-output.txt"
    command = dev.demo_command(Path(sys.executable), "--record", str(record))
    with output.open("w") as out:
        process = subprocess.Popen(
            command,
            cwd=dev.ROOT,
            env={**dev.demo_environment(str(home)), **environment},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = process.wait(timeout=DEMO_TIMEOUT)
        finally:
            stop_process_groups([process])
    assert code == 0, output.read_text()[-4000:]
    return json.loads(record.read_text())


@dataclass(frozen=True)
class Demo:
    """The API server over the demo's Airflow home, and what the demo ran.

    :param server: the API server.
    :param record: the demo's record (``example_dags/demo.py``, ``demo_record``).
    """

    server: ViewServer
    record: dict[str, Any]

    def monitors(self) -> dict[str, str]:
        """Schedule -> monitoring type, of every schedule a DAG run of the demo awaited an execution of."""
        return {
            schedule: executions[0]["monitoring_type"]
            for schedule, executions in self.record["executions"].items()
        }

    def awaited(self, schedule: str) -> list[dict[str, Any]]:
        """The executions of ``schedule`` that a DAG run awaited (its branch task decided on them)."""
        slots = {run["slot"] for run in self.record["runs"] if schedule in run["schedules"]}
        return [e for e in self.record["executions"][schedule] if e["scheduled_time"] in slots]

    def history(self, schedule: str) -> dict[str, Any]:
        """The view's data route for ``schedule``."""
        return self.server.get_json(f"/model-monitor/api/history?{urlencode({'monitor': schedule})}")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """The demo run once in a home under the test's temp dir, then the API server on that home."""
    home, artifacts = tmp_path_factory.mktemp("demo-home"), tmp_path_factory.mktemp("demo-view")
    server = ViewServer(home, EXAMPLES, artifacts)
    key = server.deployment.env["AIRFLOW__CORE__FERNET_KEY"]  # the server reads what the demo encrypted
    record = run_demo(home, artifacts, {"AIRFLOW__CORE__FERNET_KEY": key})
    with server.serving():
        yield Demo(server, record)


def shown(scheduled_time: str) -> str:
    """A scheduled time as the view writes it."""
    return f"{datetime.fromisoformat(scheduled_time):%Y-%m-%d %H:%M} UTC"


def violated_series(execution: dict[str, Any]) -> set[str]:
    """The metric series a model-quality or bias execution's violations name."""
    return {
        MetricRecord(
            metric=violation["metric_name"],
            value=None,
            facet=violation.get("facet"),
            facet_value=None if violation.get("facet_value") is None else str(violation["facet_value"]),
        ).series
        for violation in execution["violations"]
    }


def test_the_view_lists_every_monitor_the_demo_s_dag_runs_awaited(demo: Demo) -> None:
    listed = demo.server.get_json("/model-monitor/api/monitors")["monitors"]

    assert {m["monitor"]: m["monitoring_type"] for m in listed} == demo.monitors()
    assert {"ModelQuality", "ModelBias"} <= set(demo.monitors().values())
    dom = demo.server.view(listed[0]["monitor"])
    assert [option.attrs["value"] for option in dom.find("option", within="monitor")] == sorted(
        demo.monitors()
    )


def test_each_chart_has_a_point_per_execution_the_demo_ran(demo: Demo) -> None:
    """A point per execution a DAG run awaited, save where the execution's value is not a finite number
    (``NaN`` / ``Infinity`` text, which a chart cannot place)."""
    for schedule in demo.monitors():
        awaited = demo.awaited(schedule)
        dom = demo.server.view(schedule)
        history = demo.history(schedule)

        cells = dom.find("button", role="listitem")
        assert [cell.attrs["aria-label"] for cell in cells] == [
            f"{shown(e['scheduled_time'])} {e['status']}" for e in awaited
        ], schedule
        unplaced = {}
        for series in history["series"]:
            assert len(series["values"]) == len(awaited) and None not in series["values"], series
            texts = [value for value in series["values"] if isinstance(value, str)]
            assert set(texts) <= NON_FINITE, series
            unplaced[series["series"]] = len(texts)
        figures = {figure.attrs["data-series"]: figure.attrs for figure in dom.find("figure")}
        assert set(figures) == {name for name, count in unplaced.items() if count < len(awaited)}, schedule
        for name, figure in figures.items():
            points = str(len(awaited) - unplaced[name])
            assert figure["data-points"] == figure["data-rendered"] == points, (schedule, name)
        assert len(dom.find("canvas")) >= len(figures)


def test_the_drifted_hour_s_execution_is_marked_violating(demo: Demo) -> None:
    """Model quality and bias violate in the drifted hour; data quality does not (the drift bends the
    predictions, not the model's inputs), and the view marks nothing on its charts."""
    drifted = set(demo.record["drifted_slots"])
    checked = 0
    for schedule, kind in demo.monitors().items():
        awaited = demo.awaited(schedule)
        violating = [e for e in awaited if e["status"] == VIOLATING]
        at_drift = [e["status"] for e in awaited if e["scheduled_time"] in drifted]
        if kind == "DataQuality":
            assert VIOLATING not in at_drift, schedule
        else:
            assert all(status == VIOLATING for status in at_drift), schedule
            checked += len(at_drift)
        times = {
            datetime.fromisoformat(e["scheduled_time"]): e["scheduled_time"]
            for e in demo.history(schedule)["executions"]
        }

        marks = Counter(name for e in violating for name in violated_series(e))
        for figure in demo.server.view(schedule).find("figure"):
            name = figure.attrs["data-series"]
            assert figure.attrs["data-violations"] == str(marks[name]), (schedule, name)
            assert ("violated" in figure.attrs["class"].split()) == (marks[name] > 0), (schedule, name)
        for index, execution in enumerate(violating):
            selected = times[datetime.fromisoformat(execution["scheduled_time"])]
            dom = demo.server.view(schedule, selected)
            _assert_selected_and_violating(dom, execution)
            if index == 0:
                demo.server.chromium(
                    f"/model-monitor/#{urlencode({'monitor': schedule, 'execution': selected})}",
                    screenshot=f"{schedule}.png",
                    height=2200,
                )
    assert checked >= 2, "fewer than two model-quality or bias monitors awaited the drifted hour's slot"


def _assert_selected_and_violating(dom: Dom, execution: dict[str, Any]) -> None:
    """The view shows ``execution`` selected and violating: in the timeline, its details and its metrics."""
    when = shown(execution["scheduled_time"])
    (cell,) = dom.find("button", role="listitem", **{"class": "selected"})
    assert cell.attrs["aria-label"] == f"{when} {VIOLATING}"
    (status,) = dom.find("span", within="execution", **{"class": "status"})
    assert status.attrs["data-status"] == VIOLATING
    assert f"Execution of {when}" in "".join(dom.text)
    rows = dom.find("tr", within="execution-metrics", **{"class": "violated"})
    assert {row.texts[0] for row in rows} == violated_series(execution)
    assert len(dom.find("tr", within="violations")) == 1 + len(execution["violations"])


def test_screenshots_of_the_view_alone_and_inside_the_airflow_ui(demo: Demo) -> None:
    first = sorted(demo.monitors())[0]
    demo.server.chromium(
        f"/model-monitor/#{urlencode({'monitor': first})}", screenshot="view.png", height=1500
    )
    demo.server.chromium("/plugin/model-monitor", screenshot="airflow-ui.png", height=1000)

    shots = sorted(demo.server.artifacts.glob("*.png"))
    assert {"view.png", "airflow-ui.png"} <= {shot.name for shot in shots}
    for shot in shots:
        image = shot.read_bytes()
        assert image[:8] == b"\x89PNG\r\n\x1a\n" and len(image) > 20_000, shot.name
