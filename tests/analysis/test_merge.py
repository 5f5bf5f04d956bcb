"""Tests of the capture / ground-truth merge."""

from __future__ import annotations

import json
from pathlib import Path

from airflow_mm_provider.analysis.merge import load_ground_truth, merged_line, write_merged
from airflow_mm_provider.analysis.records import CapturedRecord, ReadStats

COMPACT = (",", ":")


def capture(join_id: str, output: str = "0.5") -> CapturedRecord:
    metadata = json.dumps({"eventId": f"event-{join_id}", "inferenceId": join_id}, separators=COMPACT)
    data = json.dumps({"endpointOutput": {"data": output, "encoding": "CSV"}}, separators=COMPACT)
    return CapturedRecord(join_id, metadata.encode(), data.encode())


def write_ground_truth(directory: Path, labels: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps(
            {
                "groundTruthData": {"data": label, "encoding": "CSV"},
                "eventMetadata": {"eventId": key},
                "eventVersion": "0",
            },
            separators=COMPACT,
        )
        for key, label in labels.items()
    ]
    (directory / "gt.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_merged_line_has_the_service_layout() -> None:
    line = merged_line(
        b'{"eventId":"a"}', b'{"data":"1","encoding":"CSV"}', b'{"endpointOutput":{"data":"0.2"}}'
    )
    assert line.endswith(b"\n")
    assert list(json.loads(line)) == ["eventMetadata", "eventVersion", "groundTruthData", "captureData"]
    assert json.loads(line)["eventVersion"] == "0"


def test_ground_truth_is_keyed_by_event_id_and_last_label_wins(tmp_path: Path) -> None:
    write_ground_truth(tmp_path / "a", {"x": "1", "y": "0"})
    write_ground_truth(tmp_path / "b", {"x": "0"})
    labels = load_ground_truth(tmp_path, ReadStats())
    assert set(labels) == {"x", "y"}
    assert json.loads(labels["x"]) == {"data": "0", "encoding": "CSV"}


def test_write_merged_counts_and_joins(tmp_path: Path) -> None:
    labels = {"a": b'{"data":"1","encoding":"CSV"}', "c": b'{"data":"0","encoding":"CSV"}'}
    result = write_merged(
        iter([[capture("a"), capture("b")], [capture("c", "0.9")]]), labels, tmp_path / "out"
    )
    assert (result.captured, result.matched, result.unmatched, result.ground_truth) == (3, 2, 1, 2)
    assert result.path is not None and result.path.parent == tmp_path / "out"
    assert result.path.name.startswith("part-00000-") and result.path.name.endswith(".c000.jsonl")
    records = [json.loads(line) for line in result.path.read_text(encoding="utf-8").splitlines()]
    assert [record["eventMetadata"]["inferenceId"] for record in records] == ["a", "c"]
    assert records[1]["groundTruthData"] == {"data": "0", "encoding": "CSV"}
    assert records[1]["captureData"]["endpointOutput"]["data"] == "0.9"
    assert [path.name for path in (tmp_path / "out").iterdir()] == [result.path.name]


def test_merge_output_name_and_bytes_are_deterministic(tmp_path: Path) -> None:
    labels = {"a": b'{"data":"1","encoding":"CSV"}'}
    first = write_merged(iter([[capture("a")]]), labels, tmp_path / "one")
    second = write_merged(iter([[capture("a")]]), labels, tmp_path / "two")
    other = write_merged(iter([[capture("a", "0.7")]]), labels, tmp_path / "three")
    assert first.path is not None and second.path is not None and other.path is not None
    assert first.path.name == second.path.name != other.path.name
    assert first.path.read_bytes() == second.path.read_bytes()


def test_nothing_matched_writes_nothing(tmp_path: Path) -> None:
    result = write_merged(iter([[capture("a")]]), {}, tmp_path / "out")
    assert result.path is None and result.unmatched == 1
    assert list((tmp_path / "out").iterdir()) == []
