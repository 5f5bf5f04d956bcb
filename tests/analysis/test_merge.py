"""Tests of the capture / ground-truth merge."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import numpy as np
import pytest

from airflow_mm_provider.analysis import merge
from airflow_mm_provider.analysis.ground_truth_index import id_keys
from airflow_mm_provider.analysis.merge import (
    GroundTruth,
    inputs_key,
    load_ground_truth,
    merged_lines,
    spill_directory,
    write_merged,
)
from airflow_mm_provider.analysis.records import CaptureChunk, ReadStats

COMPACT = (",", ":")


def capture(*join_ids: str, output: str = "0.5") -> CaptureChunk:
    """A chunk of captures, members as raw JSON (as the reader gives them)."""
    chunk = CaptureChunk([], [], [])
    for join_id in join_ids:
        metadata = json.dumps({"eventId": f"event-{join_id}", "inferenceId": join_id}, separators=COMPACT)
        data = json.dumps({"endpointOutput": {"data": output, "encoding": "CSV"}}, separators=COMPACT)
        chunk.join_ids.append(join_id)
        chunk.event_metadata.append(msgspec.Raw(metadata.encode()))
        chunk.capture_data.append(msgspec.Raw(data.encode()))
    return chunk


def write_ground_truth(directory: Path, labels: dict[str, str]) -> Path:
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
    return directory


def loaded(directory: Path, tmp_path: Path, budget: int | None = None) -> GroundTruth:
    return load_ground_truth(directory, ReadStats(), spill_directory(tmp_path / "out"), budget)


def test_merged_lines_have_the_service_layout_and_copy_members_verbatim() -> None:
    labels = [b'{"data":"1","encoding":"CSV"}', b"{}"]
    metadata, captures = [b'{"eventId": "a"}', b"{}", b"{}"], [b'{"x": 1}', b"{}", b"{}"]
    data, count = merged_lines(metadata, captures, np.array([0, -1, 1]), labels)
    assert count == 2 and data.endswith(b"\n") and data.count(b"\n") == 2
    first = data.splitlines()[0]
    assert first == (
        b'{"eventMetadata":{"eventId": "a"},"eventVersion":"0",'
        b'"groundTruthData":{"data":"1","encoding":"CSV"},"captureData":{"x": 1}}'
    )
    assert list(json.loads(first)) == ["eventMetadata", "eventVersion", "groundTruthData", "captureData"]
    assert merged_lines(metadata, captures, np.array([1, -1, 0]), labels, merge._middles(labels)) == (
        b'{"eventMetadata":{"eventId": "a"},"eventVersion":"0","groundTruthData":{},"captureData":{"x": 1}}\n'
        b'{"eventMetadata":{},"eventVersion":"0","groundTruthData":{"data":"1","encoding":"CSV"},'
        b'"captureData":{}}\n',
        2,
    )
    assert merged_lines(metadata, captures, np.full(3, -1), labels) == (b"", 0)


def test_ground_truth_is_keyed_by_event_id_and_last_label_wins(tmp_path: Path) -> None:
    write_ground_truth(tmp_path / "gt" / "a", {"x": "1", "y": "0"})
    write_ground_truth(tmp_path / "gt" / "b", {"x": "0"})
    truth = loaded(tmp_path / "gt", tmp_path)
    assert truth.index is not None and len(truth.index) == 2
    codes = truth.index.lookup(id_keys(["x", "y", "z"])).tolist()
    assert [truth.index.labels[code] for code in codes[:2]] == [
        b'{"data":"0","encoding":"CSV"}',
        b'{"data":"0","encoding":"CSV"}',
    ]
    assert codes[2] == -1


def test_write_merged_counts_and_joins(tmp_path: Path) -> None:
    truth = loaded(write_ground_truth(tmp_path / "gt", {"a": "1", "c": "0"}), tmp_path)
    result = write_merged(iter([capture("a", "b"), capture("c", output="0.9")]), truth, tmp_path / "out", "k")
    assert (result.captured, result.matched, result.unmatched, result.ground_truth) == (3, 2, 1, 2)
    assert result.path is not None and result.path.parent == tmp_path / "out"
    assert result.path.name.startswith("part-00000-") and result.path.name.endswith(".c000.jsonl")
    records = [json.loads(line) for line in result.path.read_text(encoding="utf-8").splitlines()]
    assert [record["eventMetadata"]["inferenceId"] for record in records] == ["a", "c"]
    assert records[1]["groundTruthData"] == {"data": "0", "encoding": "CSV"}
    assert records[1]["captureData"]["endpointOutput"]["data"] == "0.9"
    assert [path.name for path in (tmp_path / "out").iterdir()] == [result.path.name]


def test_the_output_name_follows_the_inputs_key(tmp_path: Path) -> None:
    truth = loaded(write_ground_truth(tmp_path / "gt", {"a": "1"}), tmp_path)
    first = write_merged(iter([capture("a")]), truth, tmp_path / "one", "key")
    second = write_merged(iter([capture("a")]), truth, tmp_path / "two", "key")
    other = write_merged(iter([capture("a")]), truth, tmp_path / "three", "other key")
    assert first.path is not None and second.path is not None and other.path is not None
    assert first.path.name == second.path.name != other.path.name
    assert first.path.read_bytes() == second.path.read_bytes()


def test_inputs_key_names_files_and_sizes(tmp_path: Path) -> None:
    write_ground_truth(tmp_path / "gt", {"a": "1"})
    before = inputs_key("2026", paths=[tmp_path / "gt"])
    assert (
        inputs_key("2026", paths=[tmp_path / "gt"]) == before != inputs_key("2027", paths=[tmp_path / "gt"])
    )
    write_ground_truth(tmp_path / "gt", {"a": "10"})
    assert inputs_key("2026", paths=[tmp_path / "gt"]) != before


def test_nothing_matched_writes_nothing(tmp_path: Path) -> None:
    truth = loaded(write_ground_truth(tmp_path / "gt", {"z": "1"}), tmp_path)
    result = write_merged(iter([capture("a")]), truth, tmp_path / "out", "k")
    assert result.path is None and result.unmatched == 1
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("budget", [1, 4000])
def test_ground_truth_past_the_budget_is_joined_partition_by_partition(tmp_path: Path, budget: int) -> None:
    labels = {f"k{number}": str(number % 3) for number in range(300)}
    labels["k7"] = "9"
    gt = write_ground_truth(tmp_path / "gt", labels)
    chunks = [capture(*(f"k{number}" for number in range(start, start + 50))) for start in range(0, 400, 50)]
    spilled = loaded(gt, tmp_path, budget)
    assert spilled.index is None and spilled.spill is not None
    partitioned = write_merged(iter(chunks), spilled, tmp_path / "out", "k")
    in_memory = write_merged(iter(chunks), loaded(gt, tmp_path / "memory"), tmp_path / "memory" / "out", "k")
    assert (partitioned.captured, partitioned.matched, partitioned.ground_truth) == (400, 300, 300)
    assert partitioned.path is not None and in_memory.path is not None
    assert sorted(partitioned.path.read_bytes().splitlines()) == sorted(
        in_memory.path.read_bytes().splitlines()
    )
    assert not spill_directory(tmp_path / "out").exists()
    assert [path.name for path in (tmp_path / "out").iterdir()] == [partitioned.path.name]
