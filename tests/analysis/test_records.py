"""Tests of the streaming record readers."""

from __future__ import annotations

import base64
import gzip
import json
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import msgspec
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_mm_provider.analysis import records as records_module
from airflow_mm_provider.analysis.records import (
    CsvChunk,
    MergedChunk,
    Payload,
    ReadStats,
    decode_payload,
    input_payload,
    iter_batch_output_chunks,
    iter_capture_chunks,
    iter_files,
    iter_ground_truth_chunks,
    iter_merged_chunks,
    iter_merged_csv_chunks,
    iter_table_chunks,
    resolve_manifest,
)


@pytest.fixture(autouse=True, params=[8 << 20, 64])
def block_bytes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Run every test with the normal block size and with blocks smaller than a line."""
    monkeypatch.setattr(records_module, "_BLOCK_BYTES", request.param)
    return request.param


def capture_line(
    event_id: str, time: str, output: str = "0.7", inference_id: str | None = None, dump: dict | None = None
) -> str:
    """A capture record as the service writes it (compact unless ``dump`` says otherwise)."""
    metadata = {"eventId": event_id, "inferenceTime": time}
    if inference_id is not None:
        metadata["inferenceId"] = inference_id
    record = {
        "captureData": {
            "endpointInput": {
                "observedContentType": "text/csv",
                "mode": "INPUT",
                "data": "1,2",
                "encoding": "CSV",
            },
            "endpointOutput": {
                "observedContentType": "text/csv",
                "mode": "OUTPUT",
                "data": output,
                "encoding": "CSV",
            },
        },
        "eventMetadata": metadata,
        "eventVersion": "0",
    }
    return json.dumps(record, **(dump or {"separators": (",", ":")}))


def write(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def all_records(chunks) -> list:
    """The rows of column chunks, raw JSON members as bytes."""
    return [
        tuple(bytes(cell) if isinstance(cell, (msgspec.Raw, bytes)) else cell for cell in row)
        for chunk in chunks
        for row in zip(*(column for column in chunk if column is not None), strict=True)
    ]


def join_ids(chunks) -> list[str]:
    return [row[0] for row in all_records(chunks)]


def test_capture_records_are_read_in_chunks_with_join_ids(tmp_path: Path, block_bytes: int) -> None:
    write(tmp_path / "a" / "01.jsonl", [capture_line(f"e{i}", "2026-01-01T00:10:00Z") for i in range(5)])
    write(tmp_path / "b" / "02.jsonl", [capture_line("e9", "2026-01-01T00:20:00Z", inference_id="i9")])
    stats = ReadStats()
    chunks = list(iter_capture_chunks(tmp_path, stats, chunk_size=2))
    assert all(0 < len(chunk.join_ids) <= 2 for chunk in chunks)
    if block_bytes > 1000:
        assert [len(chunk.join_ids) for chunk in chunks] == [2, 2, 1, 1]
    records = all_records(chunks)
    assert [record[0] for record in records] == ["e0", "e1", "e2", "e3", "e4", "i9"]
    assert json.loads(records[0][2])["endpointOutput"]["data"] == "0.7"
    assert json.loads(records[-1][1])["inferenceId"] == "i9"
    assert stats.records == 6 and stats.malformed_total == 0


def test_capture_window_is_half_open(tmp_path: Path) -> None:
    times = [
        "2026-01-01T00:59:59Z",
        "2026-01-01T01:00:00Z",
        "2026-01-01T01:30:00.250000",
        "2026-01-01T02:00:00Z",
        "2026-01-01T01:59:59.999+00:00",
    ]
    write(tmp_path / "c.jsonl", [capture_line(f"e{i}", t) for i, t in enumerate(times)])
    stats = ReadStats()
    start = datetime(2026, 1, 1, 1, tzinfo=timezone.utc)
    end = datetime(2026, 1, 1, 2, tzinfo=timezone.utc)
    assert join_ids(iter_capture_chunks(tmp_path, stats, start=start, end=end)) == ["e1", "e2", "e4"]
    assert stats.skipped_out_of_window == 2


def test_capture_window_in_bulk_and_record_by_record_agree(tmp_path: Path) -> None:
    inside = [capture_line(f"i{i}", f"2026-01-01T01:{i:02d}:00Z") for i in range(3)]
    outside = [capture_line("o", "2026-01-01T02:00:00Z"), capture_line("n", "2026-01-01T00:59:59Z")]
    write(tmp_path / "c.jsonl", inside + outside)
    stats = ReadStats()
    start = datetime(2026, 1, 1, 1, tzinfo=timezone.utc)
    end = datetime(2026, 1, 1, 2, tzinfo=timezone.utc)
    assert join_ids(iter_capture_chunks(tmp_path, stats, start=start, end=end)) == ["i0", "i1", "i2"]
    assert (stats.records, stats.skipped_out_of_window) == (5, 2)
    assert join_ids(iter_capture_chunks(tmp_path, ReadStats(), end=end)) == ["i0", "i1", "i2", "n"]


def test_capture_members_are_copied_verbatim(tmp_path: Path) -> None:
    line = capture_line("e1", "2026-01-01T00:00:00Z", dump={"separators": (", ", ": ")})
    write(tmp_path / "c.jsonl", [line])
    record = all_records(iter_capture_chunks(tmp_path, ReadStats()))[0]
    assert record[1].decode() in line and record[2].decode() in line
    assert record[1].startswith(b"{") and b'"eventId": "e1"' in record[1]


def test_malformed_capture_lines_are_counted_not_fatal(tmp_path: Path) -> None:
    good = capture_line("ok", "2026-01-01T00:00:00Z")
    lines = [
        good[:-10],
        "not json",
        json.dumps({"captureData": {}, "eventVersion": "0"}),
        json.dumps({"captureData": {"endpointOutput": {}}, "eventMetadata": {"inferenceTime": "x"}}),
        json.dumps(
            {"captureData": {"a": 1}, "eventMetadata": {"eventId": "t", "inferenceTime": "yesterday"}}
        ),
        good,
    ]
    write(tmp_path / "c.jsonl", lines)
    stats = ReadStats()
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert join_ids(iter_capture_chunks(tmp_path, stats, start=start)) == ["ok"]
    assert stats.malformed == {
        "invalid_json": 2,
        "missing_event_metadata": 1,
        "missing_event_id": 1,
        "invalid_inference_time": 1,
    }


def test_unusual_member_types_take_the_line_by_line_path(tmp_path: Path) -> None:
    numeric = json.loads(capture_line("x", "2026-01-01T00:00:00Z"))
    numeric["eventMetadata"] = {"eventId": 7, "inferenceTime": "2026-01-01T00:00:00Z"}
    write(tmp_path / "c.jsonl", [capture_line("e1", "2026-01-01T00:00:00Z"), json.dumps(numeric)])
    records = all_records(iter_capture_chunks(tmp_path, ReadStats()))
    assert [record[0] for record in records] == ["e1", "7"]
    assert json.loads(records[1][2])["endpointInput"]["data"] == "1,2"


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    event_id=st.text(min_size=1, max_size=12),
    output=st.text(max_size=30),
    compact=st.booleans(),
)
def test_capture_reading_agrees_with_full_parse(event_id: str, output: str, compact: bool) -> None:
    line = capture_line(
        event_id,
        "2026-01-01T00:00:00Z",
        output=output,
        dump={"separators": (",", ":") if compact else (", ", ": ")},
    )
    expected = json.loads(line)
    with tempfile.TemporaryDirectory() as directory:
        write(Path(directory) / "c.jsonl", [line])
        records = all_records(iter_capture_chunks(Path(directory), ReadStats()))
    assert records[0][0] == event_id
    assert json.loads(records[0][2]) == expected["captureData"]
    assert json.loads(records[0][1]) == expected["eventMetadata"]


def test_files_are_walked_sorted_skipping_markers_and_gzip_is_read(tmp_path: Path) -> None:
    write(tmp_path / "b" / "2.jsonl", [capture_line("b", "2026-01-01T00:00:00Z")])
    write(tmp_path / "a" / "1.jsonl", [capture_line("a", "2026-01-01T00:00:00Z")])
    write(tmp_path / "_SUCCESS", [""])
    write(tmp_path / ".hidden", ["x"])
    with gzip.open(tmp_path / "c.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write(capture_line("c", "2026-01-01T00:00:00Z") + "\n")
    assert [path.name for path in iter_files(tmp_path)] == ["c.jsonl.gz", "1.jsonl", "2.jsonl"]
    stats = ReadStats()
    assert join_ids(iter_capture_chunks(tmp_path, stats)) == ["c", "a", "b"]
    assert list(iter_files(tmp_path / "missing")) == []


def test_decode_payload_encodings() -> None:
    assert decode_payload({"data": "1, 2,3", "encoding": "CSV"}) == ["1", " 2", "3"]
    assert decode_payload({"data": '"a,b",c', "encoding": "CSV"}) == ["a,b", "c"]
    assert decode_payload({"data": "1,2\n3,4", "encoding": "CSV"}) == [["1", "2"], ["3", "4"]]
    assert decode_payload({"data": '{"label": 1}', "encoding": "JSON"}) == {"label": 1}
    encoded = base64.b64encode(b'{"score": 0.5}').decode()
    assert decode_payload(
        {"data": encoded, "encoding": "BASE64", "observedContentType": "application/json"}
    ) == {"score": 0.5}
    encoded = base64.b64encode(b"0.5,1").decode()
    assert decode_payload({"data": encoded, "encoding": "BASE64", "observedContentType": "text/csv"}) == [
        "0.5",
        "1",
    ]
    assert decode_payload({"data": base64.b64encode(b"hi").decode(), "encoding": "BASE64"}) == "hi"
    assert decode_payload(Payload(data="0.5,1")) == ["0.5", "1"]
    for missing in (None, {"encoding": "CSV"}, Payload()):
        with pytest.raises(ValueError, match="no data"):
            decode_payload(missing)


def test_input_payload_of_capture_data() -> None:
    assert input_payload(b'{"endpointInput":{"data":"1,2","encoding":"CSV"}}') == Payload("1,2", "CSV")
    assert input_payload(b'{"endpointInput":"x"}') is None
    assert input_payload(b'{"endpointOutput":{"data":"1"}}') is None


def test_ground_truth_records(tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {
                "groundTruthData": {"data": "1", "encoding": "CSV"},
                "eventMetadata": {"eventId": "a"},
                "eventVersion": "0",
            },
            separators=(",", ":"),
        ),
        json.dumps(
            {
                "eventMetadata": {"eventId": "b"},
                "groundTruthData": {"data": '{"label": 0}', "encoding": "JSON"},
            }
        ),
        json.dumps({"groundTruthData": {"encoding": "CSV"}, "eventMetadata": {"eventId": "c"}}),
        json.dumps({"groundTruthData": {"data": "0"}, "eventMetadata": {}}),
        "{broken",
    ]
    write(tmp_path / "gt.jsonl", lines)
    stats = ReadStats()
    pairs = all_records(iter_ground_truth_chunks(tmp_path, stats))
    assert [pair[0] for pair in pairs] == ["a", "b"]
    assert pairs[0][1] == b'{"data":"1","encoding":"CSV"}'
    assert json.loads(pairs[1][1]) == {"data": '{"label": 0}', "encoding": "JSON"}
    assert stats.malformed == {"missing_ground_truth_data": 1, "missing_event_id": 1, "invalid_json": 1}
    assert stats.records == 2


def test_well_formed_ground_truth_is_read_in_bulk(tmp_path: Path) -> None:
    lines = [
        f'{{"groundTruthData":{{"data":"{i % 2}"}},"eventMetadata":{{"eventId":"k{i}"}}}}' for i in range(5)
    ]
    write(tmp_path / "gt.jsonl", lines)
    stats = ReadStats()
    pairs = all_records(iter_ground_truth_chunks(tmp_path, stats, chunk_size=2))
    assert pairs == [(f"k{i}", f'{{"data":"{i % 2}"}}'.encode()) for i in range(5)]
    assert stats.records == 5 and stats.malformed_total == 0


def test_merged_records_give_payloads(tmp_path: Path) -> None:
    merged = {
        "eventMetadata": {"eventId": "a"},
        "eventVersion": "0",
        "groundTruthData": {"data": "1", "encoding": "CSV"},
        "captureData": {
            "endpointInput": {"data": "5,6", "encoding": "CSV"},
            "endpointOutput": {"data": "0.9", "encoding": "CSV"},
        },
    }
    batch = {
        "eventMetadata": {"eventId": "b"},
        "groundTruthData": {"data": "0", "encoding": "CSV"},
        "captureData": {"batchTransformOutput": {"data": '{"score": 0.1}', "encoding": "JSON"}},
    }
    write(
        tmp_path / "m.jsonl",
        [
            json.dumps(merged, separators=(",", ":")),
            json.dumps(batch),
            json.dumps({"captureData": {}}),
            "[1]",
        ],
    )
    stats = ReadStats()
    records = all_records(iter_merged_chunks(tmp_path, stats, with_input=True))
    assert records[0] == (Payload("0.9", "CSV"), Payload("1", "CSV"), Payload("5,6", "CSV"))
    assert records[1][0].encoding == "JSON" and records[1][1].data == "0" and records[1][2] is None
    assert len(records) == 2 and stats.records == 2
    assert stats.malformed == {"missing_ground_truth_data": 1, "invalid_json": 1}


def test_batch_outputs_are_resolved_through_manifests(tmp_path: Path) -> None:
    mirror = tmp_path / "s3"
    write(
        mirror / "bucket" / "out" / "a.csv.out",
        ["0.8, id-1,2026-01-01T01:00:00Z", "0.1,,2026-01-01T01:00:00Z"],
    )
    write(
        mirror / "bucket" / "out" / "b.jsonl.out",
        [
            json.dumps(
                {
                    "SageMakerInferenceId": "id-2",
                    "SageMakerInferenceTime": "2026-01-01T01:00:00Z",
                    "SageMakerOutput": {"score": 0.3},
                    "features": [1, 2],
                }
            ),
            json.dumps(
                {
                    "SageMakerInferenceId": "id-3",
                    "SageMakerInferenceTime": "2026-01-01T03:00:00Z",
                    "SageMakerOutput": {"score": 0.3},
                }
            ),
        ],
    )
    capture = tmp_path / "capture"
    manifest = json.dumps([{"prefix": "s3://bucket/out/"}, "a.csv.out", "b.jsonl.out", "gone.out"])
    write(capture / "output" / "2026" / "01" / "01" / "01" / "m.json", [manifest])
    write(capture / "output" / "2026" / "01" / "01" / "01" / "junk.json", ['{"x": 1}'])
    assert (
        resolve_manifest(capture / "output/2026/01/01/01/m.json", mirror)[0]
        == mirror / "bucket/out/a.csv.out"
    )
    stats = ReadStats()
    end = datetime(2026, 1, 1, 2, tzinfo=timezone.utc)
    records = all_records(iter_batch_output_chunks(capture, mirror, stats, end=end))
    assert [record[0] for record in records] == ["id-1", "id-2"]
    assert json.loads(records[0][2]) == {"batchTransformOutput": {"data": "0.8", "encoding": "CSV"}}
    data = json.loads(json.loads(records[1][2])["batchTransformOutput"]["data"])
    assert data == {"SageMakerOutput": {"score": 0.3}, "features": [1, 2]}
    assert json.loads(records[1][1]) == {"eventId": "id-2"}
    assert stats.malformed == {"missing_inference_id": 1, "missing_manifest_file": 1, "invalid_manifest": 1}
    assert stats.skipped_out_of_window == 1


def test_csv_tables_with_and_without_header(tmp_path: Path) -> None:
    write(tmp_path / "h" / "1.csv", ["probability,prediction,label", "0.9,1,1", '"0.2",0,1'])
    write(tmp_path / "h" / "2.csv", ["probability,prediction,label", "0.4,0,0"])
    stats = ReadStats()
    header, chunks = iter_table_chunks(tmp_path / "h", stats, kind="csv", header=True)
    assert header == ["probability", "prediction", "label"]
    assert [row for chunk in chunks for row in chunk] == [
        ["0.9", "1", "1"],
        ["0.2", "0", "1"],
        ["0.4", "0", "0"],
    ]
    header, chunks = iter_table_chunks(tmp_path / "h", ReadStats(), kind="csv", header=False)
    assert header is None and sum(map(len, chunks)) == 5


def test_json_lines_tables_count_bad_lines(tmp_path: Path) -> None:
    write(tmp_path / "d.jsonl", ['{"a": 1}', "nope", "[1, 2]"])
    stats = ReadStats()
    header, chunks = iter_table_chunks(tmp_path, stats, kind="json")
    assert header is None
    assert [row for chunk in chunks for row in chunk] == [{"a": 1}, [1, 2]]
    assert stats.as_dict() == {"records": 2, "skipped_out_of_window": 0, "malformed": {"invalid_json": 1}}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    truth=st.text(max_size=20),
    output=st.text(max_size=20),
    encodings=st.tuples(st.sampled_from(["CSV", "JSON", "BASE64"]), st.sampled_from(["CSV", "JSON"])),
    with_mode=st.booleans(),
)
def test_merged_fast_path_agrees_with_full_parse(
    truth: str, output: str, encodings: tuple[str, str], with_mode: bool
) -> None:
    payload = {"observedContentType": "text/csv", "mode": "OUTPUT"} if with_mode else {}
    payload.update({"data": output, "encoding": encodings[1]})
    record = {
        "eventMetadata": {"eventId": "a"},
        "eventVersion": "0",
        "groundTruthData": {"data": truth, "encoding": encodings[0]},
        "captureData": {"endpointInput": {"data": '"x"}}}', "encoding": "CSV"}, "endpointOutput": payload},
    }
    line = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    with tempfile.TemporaryDirectory() as directory:
        write(Path(directory) / "m.jsonl", [line])
        records = all_records(iter_merged_chunks(Path(directory), ReadStats()))
    assert records[0][1] == Payload(truth, encodings[0]) and records[0][0].data == output
    assert records[0][0].encoding == encodings[1]


def merged_line(truth: object, output: object, encoding: str = "CSV") -> str:
    return json.dumps(
        {
            "eventMetadata": {"eventId": "a"},
            "eventVersion": "0",
            "groundTruthData": {"data": truth, "encoding": "CSV"},
            "captureData": {
                "endpointInput": {"data": "1,2", "encoding": "CSV"},
                "endpointOutput": {"observedContentType": "text/csv", "data": output, "encoding": encoding},
            },
        },
        separators=(",", ":"),
    )


def csv_rows(chunks) -> list[tuple]:
    """(output data, truth data) of every record, from data columns or payloads alike."""
    rows = []
    for chunk in chunks:
        if isinstance(chunk, CsvChunk):
            rows.extend(zip(chunk.outputs, chunk.ground_truths, strict=True))
        else:
            rows.extend(
                (output.data, truth.data)
                for output, truth in zip(chunk.outputs, chunk.ground_truths, strict=True)
            )
    return rows


def test_merged_csv_chunks_give_data_columns_and_payloads_for_other_blocks(
    tmp_path: Path, block_bytes: int
) -> None:
    write(
        tmp_path / "m.jsonl",
        [
            merged_line("1", "0.25"),
            merged_line("0", "7"),
            merged_line("1", '{"p": 1}', "JSON"),
            merged_line("0", "0.5"),
        ],
    )
    stats = ReadStats()
    chunks = list(iter_merged_csv_chunks(tmp_path, stats, (float, str)))
    if block_bytes < 100:  # a block per line: only the JSON one comes as payloads
        expected = [(0.25, "1"), (7.0, "0"), ('{"p": 1}', "1"), (0.5, "0")]
    else:
        expected = [("0.25", "1"), ("7", "0"), ('{"p": 1}', "1"), ("0.5", "0")]
    assert csv_rows(chunks) == expected
    kinds = {type(chunk) for chunk in chunks}
    assert kinds == ({CsvChunk, MergedChunk} if block_bytes < 100 else {MergedChunk})
    assert stats.records == 4 and stats.malformed_total == 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    output=st.one_of(
        st.floats(allow_nan=False).map(repr),
        st.integers(-(10**20), 10**20).map(str),
        st.sampled_from(["nan", "inf", "-0", " 0.5", "1_0", "1e500", ".5", "", "x", "0.1,0.9"]),
    )
)
def test_numbers_read_in_bulk_are_the_numbers_float_reads(output: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        write(Path(directory) / "m.jsonl", [merged_line("1", output)])
        (chunk,) = list(iter_merged_csv_chunks(Path(directory), ReadStats(), (float, str)))
    if isinstance(chunk, CsvChunk):
        # equal as numbers (a zero may lose its sign: "-0" is read as the integer 0)
        assert np.array_equal(chunk.outputs, [float(output)], equal_nan=True) and chunk.ground_truths == ["1"]
    else:
        assert [(payload.data, payload.encoding) for payload in chunk.outputs] == [(output, "CSV")]


def test_transient_capture_chunks_hold_the_same_members(tmp_path: Path) -> None:
    write(
        tmp_path / "c.jsonl",
        [capture_line(f"e{i}", "2026-01-01T00:00:00Z", output=str(i)) for i in range(30)],
    )
    kept = all_records(iter_capture_chunks(tmp_path, ReadStats(), chunk_size=4))
    transient = [
        row
        for chunk in iter_capture_chunks(tmp_path, ReadStats(), chunk_size=4, transient=True)
        for row in all_records([chunk])
    ]
    assert transient == kept and len(kept) == 30


def test_equal_ground_truth_labels_share_one_object(tmp_path: Path) -> None:
    lines = [
        f'{{"groundTruthData":{{"data":"{i % 2}"}},"eventMetadata":{{"eventId":"k{i}"}}}}' for i in range(6)
    ]
    write(tmp_path / "gt.jsonl", lines)
    labels = [label for chunk in iter_ground_truth_chunks(tmp_path, ReadStats()) for label in chunk.labels]
    assert labels == [b'{"data":"0"}', b'{"data":"1"}'] * 3
    assert len({id(label) for label in labels}) == 2
