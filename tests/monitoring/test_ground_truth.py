"""Ground-truth records: validation of event ids and labels, readers, JSON Lines and the hour-folder key."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.ground_truth import (
    GroundTruthLabel,
    build_records,
    check_encoding,
    event_id_text,
    ground_truth_object_uri,
    label_data,
    labels_from_csv,
    labels_from_items,
    labels_from_json_lines,
    source_format,
    to_json_lines,
    upload_file_name,
)


def labels(*pairs):
    return [GroundTruthLabel(event_id, label, f"labels[{i}]") for i, (event_id, label) in enumerate(pairs)]


def test_record_has_the_documented_shape():
    (record,) = build_records(labels(("aaaa-bbbb-cccc", "1")), "CSV")
    assert record == {
        "groundTruthData": {"data": "1", "encoding": "CSV"},
        "eventMetadata": {"eventId": "aaaa-bbbb-cccc"},
        "eventVersion": "0",
    }


def test_json_lines_are_compact_one_per_line_and_round_trip():
    records = build_records(labels(("a", "1"), ("b", "0")), "CSV")
    text = to_json_lines(records)
    assert text.endswith("\n") and text.count("\n") == 2
    assert text.splitlines()[0] == (
        '{"groundTruthData":{"data":"1","encoding":"CSV"},"eventMetadata":{"eventId":"a"},"eventVersion":"0"}'
    )
    assert [json.loads(line) for line in text.splitlines()] == records


@pytest.mark.parametrize(("label", "data"), [("1", "1"), (1, "1"), (0.25, "0.25"), ("cat", "cat"), ("", "")])
def test_csv_labels_become_text(label, data):
    assert label_data(label, "CSV", "labels[0]") == data


@pytest.mark.parametrize("label", [True, None, float("nan"), float("inf"), {"label": 1}, [1]])
def test_csv_refuses_labels_that_are_not_text_or_finite_numbers(label):
    with pytest.raises(MonitoringValidationError, match=r"labels\[0\]\.groundTruthData\.data") as info:
        label_data(label, "CSV", "labels[0]")
    assert info.value.rule.id == "ground-truth-label"


def test_json_labels_are_encoded_and_json_text_is_kept():
    assert label_data({"label": 1}, "JSON", "x") == '{"label": 1}'
    assert label_data(1, "JSON", "x") == "1"
    assert label_data('{"label": 1}', "JSON", "x") == '{"label": 1}'
    (record,) = build_records(labels(("e", {"label": 1})), "JSON")
    assert record["groundTruthData"] == {"data": '{"label": 1}', "encoding": "JSON"}


@pytest.mark.parametrize("label", ["not json", float("nan"), {1, 2}])
def test_json_refuses_labels_that_are_not_json(label):
    with pytest.raises(MonitoringValidationError, match=r"x\.groundTruthData\.data"):
        label_data(label, "JSON", "x")


@pytest.mark.parametrize("encoding", ["csv", "BASE64", None])
def test_encoding_must_be_csv_or_json(encoding):
    with pytest.raises(MonitoringValidationError, match=r"groundTruthData\.encoding") as info:
        check_encoding(encoding)
    assert info.value.rule.id == "ground-truth-encoding"


@pytest.mark.parametrize(
    ("event_id", "text"), [("f04a8538-696c", "f04a8538-696c"), (7, "7"), ("a b ", "a b ")]
)
def test_event_ids_are_strings_and_ints_become_text(event_id, text):
    assert event_id_text(event_id, "labels[0]") == text


@pytest.mark.parametrize("event_id", ["", " lead", "\tx", "a\nb", "x" * 65, None, 1.5, True, b"id"])
def test_bad_event_ids_fail_naming_the_field(event_id):
    with pytest.raises(MonitoringValidationError) as info:
        build_records(labels(("ok", "1"), (event_id, "1")), "CSV")
    assert info.value.field == "labels[1].eventMetadata.eventId"
    assert info.value.rule.id == "ground-truth-event-id"
    assert str(info.value).startswith("labels[1].eventMetadata.eventId: must be a string")


def test_event_ids_up_to_64_characters_pass():
    assert event_id_text("x" * 64, "w") == "x" * 64


def test_repeated_event_id_fails_naming_both_places():
    with pytest.raises(MonitoringValidationError) as info:
        build_records(labels(("a", "1"), ("b", "1"), (1, "0"), ("1", "1")), "CSV")
    assert info.value.field == "labels[3].eventMetadata.eventId"
    assert info.value.rule.id == "ground-truth-event-id-unique"
    assert "also at labels[2]" in str(info.value)


def test_items_accept_mapping_pairs_and_dicts():
    from_mapping = labels_from_items({"a": 1, "b": 0})
    assert [(x.event_id, x.label, x.where) for x in from_mapping] == [
        ("a", 1, "labels['a']"),
        ("b", 0, "labels['b']"),
    ]
    from_pairs = labels_from_items([("a", 1), ["b", 0]])
    assert [(x.event_id, x.label) for x in from_pairs] == [("a", 1), ("b", 0)]
    from_dicts = labels_from_items([{"id": "a", "y": 1}], event_id_key="id", label_key="y")
    assert [(x.event_id, x.label, x.where) for x in from_dicts] == [("a", 1, "labels[0]")]


@pytest.mark.parametrize("items", [[("a", 1, 2)], [{"event_id": "a"}], ["ab"], [7]])
def test_malformed_items_fail_naming_their_index(items):
    with pytest.raises(MonitoringValidationError, match=r"^labels\[0\]: must be an \(event_id, label\) pair"):
        labels_from_items(items)


def test_items_must_be_a_collection():
    with pytest.raises(MonitoringValidationError, match="^labels:"):
        labels_from_items("a,1")


def test_csv_with_header_picks_columns_by_name():
    text = "label,event_id,other\n1,a,x\n\n0,b,y\n"
    found = labels_from_csv(text, source="s3://b/l.csv")
    assert [(x.event_id, x.label, x.where) for x in found] == [
        ("a", "1", "s3://b/l.csv line 2"),
        ("b", "0", "s3://b/l.csv line 4"),
    ]


def test_csv_without_header_uses_indexes():
    found = labels_from_csv("a,1\nb,0\n", header=False, event_id_column=0, label_column=1)
    assert [(x.event_id, x.label) for x in found] == [("a", "1"), ("b", "0")]


def test_csv_unknown_column_and_short_row_fail():
    with pytest.raises(ValueError, match="column 'id' not found"):
        labels_from_csv("event_id,label\na,1\n", event_id_column="id")
    with pytest.raises(ValueError, match="no header"):
        labels_from_csv("a,1\n", header=False)
    with pytest.raises(MonitoringValidationError, match="^f line 2"):
        labels_from_csv("event_id,label\na\n", source="f")


def test_csv_bad_event_id_names_the_line():
    found = labels_from_csv("event_id,label\na,1\n,0\n", source="s3://b/l.csv")
    with pytest.raises(MonitoringValidationError) as info:
        build_records(found, "CSV")
    assert info.value.field == "s3://b/l.csv line 3.eventMetadata.eventId"


def test_json_lines_read_objects_and_ground_truth_records():
    record = (
        '{"groundTruthData":{"data":"1","encoding":"CSV"},"eventMetadata":{"eventId":"r"},"eventVersion":"0"}'
    )
    text = '{"event_id": "a", "label": 1}\n\n' + record + "\n"
    found = labels_from_json_lines(text, source="f")
    assert [(x.event_id, x.label, x.where) for x in found] == [("a", 1, "f line 1"), ("r", "1", "f line 3")]


def test_json_lines_bad_line_fails_naming_it():
    with pytest.raises(ValueError, match="^f line 2: not valid JSON"):
        labels_from_json_lines('{"event_id": "a", "label": 1}\n{oops\n', source="f")


@pytest.mark.parametrize(
    ("uri", "given", "expected"),
    [
        ("s3://b/x.csv", None, "csv"),
        ("s3://b/x.JSONL", None, "jsonl"),
        ("s3://b/x.json", None, "jsonl"),
        ("s3://b/x.txt", "csv", "csv"),
    ],
)
def test_source_format(uri, given, expected):
    assert source_format(uri, given) == expected


def test_source_format_unknown():
    with pytest.raises(ValueError, match="source_format"):
        source_format("s3://b/x.txt")
    with pytest.raises(ValueError, match="source_format"):
        source_format("s3://b/x.csv", "parquet")


def test_object_uri_uses_the_utc_hour_of_collection():
    collected = datetime(2024, 3, 1, 1, 59, tzinfo=timezone(timedelta(hours=2)))
    uri = ground_truth_object_uri("s3://bucket/gt/", collected, "labels")
    assert uri == "s3://bucket/gt/2024/02/29/23/labels.jsonl"
    assert ground_truth_object_uri("s3://bucket/gt", collected, "x.jsonl").endswith("/23/x.jsonl")


def test_object_uri_refuses_naive_times_and_bad_names():
    with pytest.raises(ValueError, match="timezone-aware"):
        ground_truth_object_uri("s3://b/gt", datetime(2024, 1, 1), "x")
    with pytest.raises(ValueError, match="file_name"):
        ground_truth_object_uri("s3://b/gt", datetime(2024, 1, 1, tzinfo=timezone.utc), "a/b")


def test_upload_file_name_is_fixed_by_the_task_run():
    name = upload_file_name("dag", "upload", "scheduled__2024-01-01T00:00:00+00:00")
    assert name == upload_file_name("dag", "upload", "scheduled__2024-01-01T00:00:00+00:00", None)
    assert name.startswith("dag-upload-") and name.endswith(".jsonl")
    others = {
        upload_file_name("dag", "upload", "scheduled__2024-01-01T01:00:00+00:00"),
        upload_file_name("dag", "other", "scheduled__2024-01-01T00:00:00+00:00"),
        upload_file_name("dag", "upload", "scheduled__2024-01-01T00:00:00+00:00", 0),
        upload_file_name("dag", "upload", "scheduled__2024-01-01T00:00:00+00:00", 1),
    }
    assert name not in others and len(others) == 4
