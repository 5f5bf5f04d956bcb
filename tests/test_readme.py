"""The README's "Writing your own monitoring DAG" walk-through runs as written against the local service."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from unittest import mock

import pendulum
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## Writing your own monitoring DAG"


def section_blocks(language: str) -> list[str]:
    """The fenced ``language`` blocks of the walk-through section, in order."""
    text = README.read_text()
    start = text.index(SECTION)
    end = text.index("\n## ", start + len(SECTION))
    return re.findall(rf"^```{language}\n(.*?)^```$", text[start:end], flags=re.DOTALL | re.MULTILINE)


def test_the_section_shows_each_step():
    assert len(section_blocks("python")) == 4
    shell = "\n".join(section_blocks("bash"))
    assert "X-MM-Local: 1" in shell and "Content-Type: application/json" in shell
    assert "mm-local run-due --endpoint" in shell and ".venv/bin/activate" in shell
    assert len(section_blocks("json")) == 2


@pytest.mark.integration
def test_walk_through_runs_from_an_endpoint_to_a_branch(mm_local, mm_local_connection, monkeypatch):
    monkeypatch.setenv("MM_LOCAL_URL", mm_local.endpoint_url)
    mm_local.set_clock(datetime(2024, 5, 1, 10, 30, tzinfo=timezone.utc))
    namespace: dict[str, Any] = {"__name__": "readme"}
    for block in section_blocks("python"):
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - the README's own code
    dag = namespace["dag"]
    interval = (datetime(2024, 5, 1, 10, tzinfo=timezone.utc), datetime(2024, 5, 1, 11, tzinfo=timezone.utc))
    manual = dag.timetable.infer_manual_data_interval(run_after=pendulum.instance(interval[1]))
    assert (manual.start, manual.end) == interval  # a manual run at 11:00 covers [10:00, 11:00)

    context = {
        "ti": mock.MagicMock(),
        "outlet_events": {},
        "data_interval_start": interval[0],
        "data_interval_end": interval[1],
    }
    created = dag.get_task("keep_scheduled").execute(context)
    assert created["action"] == "created"
    (execution,) = mm_local.run_due(interval[1])
    assert execution["MonitoringExecutionStatus"] in ("Completed", "CompletedWithViolations")
    expected = {"Completed": "healthy", "CompletedWithViolations": "degraded"}
    assert dag.get_task("decide").choose_branch(context) == expected[execution["MonitoringExecutionStatus"]]
