"""The adapter onto the analysis engine, and the layer's import cost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_mm_provider.processing.engine import AnalysisEngine
from tests.support.imports import modules_loaded_by
from tests.support.service import capture_line

pytest.importorskip("numpy")

INPUT = "/opt/ml/processing/input/baseline_dataset_input"


def test_loading_the_layer_loads_no_engine_numpy_or_airflow() -> None:
    statement = "import airflow_mm_provider.processing.job_runner, airflow_mm_provider.processing.s3files"
    assert modules_loaded_by(statement, ("numpy", "airflow.", "airflow_mm_provider.analysis")) == []


def test_run_analyzer_writes_a_baseline(tmp_path: Path) -> None:
    data = tmp_path / "input"
    data.mkdir()
    (data / "train.csv").write_text("\n".join(f"{i},{i * 0.5}" for i in range(20)))
    output = tmp_path / "output"
    output.mkdir()
    environment = {"dataset_format": '{"csv": {"header": false}}', "dataset_source": INPUT}
    outcome = AnalysisEngine().run_analyzer(environment, {INPUT: data}, output)
    assert outcome.status == "Completed"
    assert sorted(p.name for p in output.iterdir()) == ["constraints.json", "statistics.json"]
    assert json.loads((output / "statistics.json").read_text())["dataset"]["item_count"] == 20


def test_run_merge_reads_the_folders_the_environment_names(tmp_path: Path) -> None:
    capture, truth, output = (tmp_path / name for name in ("capture", "truth", "output"))
    (capture / "2024/01/01/00").mkdir(parents=True)
    (truth / "2024/01/01/00").mkdir(parents=True)
    output.mkdir()
    (capture / "2024/01/01/00/a.jsonl").write_text("\n".join(capture_line(i) for i in range(10)))
    labels = (
        {"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": str(i)}}
        for i in range(4)
    )
    (truth / "2024/01/01/00/g.jsonl").write_text(
        "\n".join(json.dumps({**label, "eventVersion": "0"}) for label in labels)
    )
    environment = {
        "dataset_source": "/opt/ml/processing/input/ep",
        "ground_truth_source": "/opt/ml/processing/input/groundtruth",
        "start_time": "2024-01-01T00:00:00Z",
        "end_time": "2024-01-01T01:00:00Z",
    }
    input_dirs = {"/opt/ml/processing/input/ep": capture, "/opt/ml/processing/input/groundtruth": truth}
    outcome = AnalysisEngine().run_merge(environment, input_dirs, output)
    assert outcome.status == "Completed"
    (merged,) = output.rglob("*.jsonl")
    assert len(merged.read_text().splitlines()) == 4
