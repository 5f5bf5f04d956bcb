"""The embedded database: each acknowledged change is committed at once, and only the records it touched."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_mm_provider.local.database import DATABASE_FILE, Database, RecordChange
from airflow_mm_provider.local.state import Store
from airflow_mm_provider.local.testing import LocalModelMonitor
from tests.support.engine import FakeEngine
from tests.support.service import T0, data_quality_schedule


def test_every_acknowledged_change_is_already_in_the_database_file(tmp_path: Path) -> None:
    with LocalModelMonitor(state_dir=tmp_path, engine=FakeEngine()) as mm:
        sm, s3 = mm.client("sagemaker"), mm.client("s3")
        mm.set_clock(T0)
        arn = data_quality_schedule(sm, s3, [T0.replace(minute=0)])
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "ml"}])
        mm.run_due(T0.replace(hour=1, minute=5))
        listed = sm.list_monitoring_executions()["MonitoringExecutionSummaries"]
        # a second reader of the same file, while the service still runs and before any clean stop
        copy = Store(Database(tmp_path))
        copy.load()
        assert set(copy.endpoints) == {"ep"} and set(copy.endpoint_configs) == {"ep-config"}
        assert set(copy.job_definitions) == {"jd"} and copy.tags[arn] == {"team": "ml"}
        assert copy.schedules["sched"]["MonitoringScheduleStatus"] == "Scheduled"
        assert [e["MonitoringExecutionStatus"] for e in copy.executions] == ["Completed"]
        assert copy.executions[0]["ScheduledTime"] == listed[0]["ScheduledTime"]
        assert len(copy.processing_jobs) == 1
        assert copy.db.get_meta("clock_offset_seconds") is not None
        objects = sqlite3.connect(tmp_path / DATABASE_FILE).execute("SELECT key FROM objects").fetchall()
        assert {key for (key,) in objects} >= {"capture/ep/AllTraffic/2024/01/01/00/00-00-000-x.jsonl"}
        copy.db.close()


def test_a_commit_writes_only_the_records_it_touched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(Database(tmp_path))
    with store.lock:
        for i in range(2000):
            store.endpoint_configs[f"c{i}"] = {"EndpointConfigName": f"c{i}", "_seq": store.next_seq()}
            store.touch("endpoint_configs", f"c{i}")
    written: list[list[RecordChange]] = []
    original = store.db.write_records
    monkeypatch.setattr(
        store.db, "write_records", lambda changes: written.append(list(changes)) or original(changes)
    )
    with store.lock:
        store.endpoint_configs["c7"]["Changed"] = datetime(2024, 1, 1, tzinfo=timezone.utc)
        store.touch("endpoint_configs", "c7")
        with store.lock:  # nested blocks commit once, when the outermost ends
            store.remove("endpoint_configs", "c8", "arn:c8")
        assert written == []
    assert [(c.kind, c.key, c.body is None) for c in written[0]] == [
        ("endpoint_configs", "c7", False),
        ("endpoint_configs", "c8", True),
        ("tags", "arn:c8", True),
    ]
    reloaded = Store(Database(tmp_path))
    assert reloaded.load() == 1999
    assert reloaded.endpoint_configs["c7"]["Changed"] == datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert "c8" not in reloaded.endpoint_configs and reloaded.seq == 2000


def test_a_database_of_another_schema_version_is_refused(tmp_path: Path) -> None:
    Database(tmp_path).set_meta("schema", "99")
    with pytest.raises(RuntimeError, match="schema version 99; this mm-local reads version 1"):
        Database(tmp_path)


def test_in_memory_mode_writes_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with LocalModelMonitor() as mm:
        mm.client("sagemaker").create_endpoint_config(
            EndpointConfigName="c", ProductionVariants=[{"VariantName": "v"}]
        )
        assert mm.control("GET", "status")["state"] == ":memory:"
    assert list(tmp_path.iterdir()) == []


def test_failed_writes_roll_back(tmp_path: Path) -> None:
    database = Database(tmp_path)
    bad: Any = [RecordChange("tags", "a", "{}"), RecordChange("tags", "b", None), None]
    with pytest.raises(AttributeError):
        database.write_records(bad)
    assert database.records() == []
