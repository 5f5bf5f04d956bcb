"""Tests of the capture / ground-truth merge."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec

from airflow_mm_provider.analysis.merge import load_ground_truth, merged_lines, write_merged
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


def test_merged_lines_have_the_service_layout_and_copy_members_verbatim() -> None:
    chunk = CaptureChunk(["a", "b", "c"], [b'{"eventId": "a"}', b"{}", b"{}"], [b'{"x": 1}', b"{}", b"{}"])
    data, count = merged_lines(chunk, {"a": b'{"data":"1","encoding":"CSV"}', "c": msgspec.Raw(b"{}")})
    assert count == 2 and data.endswith(b"\n") and data.count(b"\n") == 2
    first = data.splitlines()[0]
    assert first == (
        b'{"eventMetadata":{"eventId": "a"},"eventVersion":"0",'
        b'"groundTruthData":{"data":"1","encoding":"CSV"},"captureData":{"x": 1}}'
    )
    assert list(json.loads(first)) == ["eventMetadata", "eventVersion", "groundTruthData", "captureData"]
    assert merged_lines(chunk, {}) == (b"", 0)


def test_ground_truth_is_keyed_by_event_id_and_last_label_wins(tmp_path: Path) -> None:
    write_ground_truth(tmp_path / "a", {"x": "1", "y": "0"})
    write_ground_truth(tmp_path / "b", {"x": "0"})
    labels = load_ground_truth(tmp_path, ReadStats())
    assert set(labels) == {"x", "y"}
    assert bytes(labels["x"]) == b'{"data":"0","encoding":"CSV"}'


def test_write_merged_counts_and_joins(tmp_path: Path) -> None:
    labels = {"a": b'{"data":"1","encoding":"CSV"}', "c": b'{"data":"0","encoding":"CSV"}'}
    result = write_merged(iter([capture("a", "b"), capture("c", output="0.9")]), labels, tmp_path / "out")
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
    first = write_merged(iter([capture("a")]), labels, tmp_path / "one")
    second = write_merged(iter([capture("a")]), labels, tmp_path / "two")
    other = write_merged(iter([capture("a", output="0.7")]), labels, tmp_path / "three")
    assert first.path is not None and second.path is not None and other.path is not None
    assert first.path.name == second.path.name != other.path.name
    assert first.path.read_bytes() == second.path.read_bytes()


def test_nothing_matched_writes_nothing(tmp_path: Path) -> None:
    result = write_merged(iter([capture("a")]), {}, tmp_path / "out")
    assert result.path is None and result.unmatched == 1
    assert list((tmp_path / "out").iterdir()) == []
