"""Ground-truth records for model quality and bias monitors: labels in, JSON Lines and S3 keys out.

The merge job of a model quality or bias execution pairs each captured inference with the ground-truth record
whose ``eventMetadata.eventId`` equals the capture's ``inferenceId`` (or its ``eventId`` when no inference id
was given; for batch transform, the ``SageMakerInferenceId``). One record per line::

    {"groundTruthData":{"data":"1","encoding":"CSV"},"eventMetadata":{"eventId":"a1"},"eventVersion":"0"}

Records live under ``<GroundTruthS3Input.S3Uri>/yyyy/mm/dd/hh/<file>.jsonl``, where the hour is when the
labels were collected (not when the inferences were made).

Decisions, checked before anything is written:

- An event id is a string of 1 to 64 printable characters that does not start with whitespace, the limits of
  ``InvokeEndpoint``'s ``InferenceId``; a Python ``int`` is accepted and written as its decimal text. Anything
  else could never match a captured record, so it is refused rather than silently unmatched.
- Event ids are unique within one upload: two labels for one inference would make the merge ambiguous.
- ``CSV`` labels are text (numbers are written as their text; booleans, ``None`` and non-finite floats are
  refused). ``JSON`` labels are JSON text: a ``str`` is taken as already-encoded JSON and must parse, anything
  else is encoded with :func:`json.dumps` (e.g. ``{"label": 1}`` becomes ``"{\\"label\\": 1}"``).

Pure: no Airflow, no network.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.names import run_scoped_name
from airflow_mm_provider.monitoring.paths import ground_truth_prefix, join_s3
from airflow_mm_provider.monitoring.rules import rule

CSV = "CSV"
JSON = "JSON"
ENCODINGS: tuple[str, ...] = (CSV, JSON)
"""The ``groundTruthData.encoding`` values a record may carry."""

EVENT_VERSION = "0"
MAX_EVENT_ID_LENGTH = 64
FILE_SUFFIX = ".jsonl"

CSV_SOURCE = "csv"
JSONL_SOURCE = "jsonl"
SOURCE_FORMATS: tuple[str, ...] = (CSV_SOURCE, JSONL_SOURCE)
_SOURCE_SUFFIXES: Mapping[str, str] = {".csv": CSV_SOURCE, ".jsonl": JSONL_SOURCE, ".json": JSONL_SOURCE}

EVENT_ID_FIELD = "eventMetadata.eventId"
DATA_FIELD = "groundTruthData.data"
ENCODING_FIELD = "groundTruthData.encoding"

EVENT_ID_FORM = rule(
    "ground-truth-event-id",
    EVENT_ID_FIELD,
    f"must be a string (or int) of 1 to {MAX_EVENT_ID_LENGTH} printable characters, not starting with "
    "whitespace",
    "InvokeEndpoint InferenceId (botocore sagemaker-runtime: min 1, max 64, pattern \\A\\S[\\p{Print}]*\\z), "
    "the key the merge job joins ground truth on (DG model-monitor-model-quality-merge)",
)
EVENT_ID_UNIQUE = rule(
    "ground-truth-event-id-unique",
    EVENT_ID_FIELD,
    "must be unique within one upload",
    "the merge job pairs each captured inference with one ground-truth record",
)
LABEL_FORM = rule(
    "ground-truth-label",
    DATA_FIELD,
    "must be text or a finite number for CSV, and valid JSON text or a JSON-serializable value for JSON",
    "groundTruthData.data holds the label as stored in the dataset (DG model-monitor-model-quality-merge)",
)
ENCODING_VALUE = rule(
    "ground-truth-encoding",
    ENCODING_FIELD,
    f"must be one of {', '.join(ENCODINGS)}",
    "ground-truth records use CSV or JSON encoding (DG model-monitor-model-quality-merge; AWS examples)",
)
LABEL_ITEM = rule(
    "ground-truth-label-item",
    "labels",
    "must be an (event_id, label) pair, or a mapping with the event id and label keys",
    "the two values every ground-truth record needs",
)


class GroundTruthLabel(NamedTuple):
    """One label to upload, before validation.

    :param event_id: the inference's event or inference id.
    :param label: the ground-truth value.
    :param where: where the label came from, for error messages (e.g. ``labels[3]``).
    """

    event_id: Any
    label: Any
    where: str


def check_encoding(encoding: Any) -> str:
    """Return ``encoding`` if it is ``CSV`` or ``JSON``, else raise naming ``groundTruthData.encoding``.

    :param encoding: the requested label encoding.
    """
    if not isinstance(encoding, str) or encoding not in ENCODINGS:
        raise MonitoringValidationError(ENCODING_FIELD, ENCODING_VALUE, encoding)
    return encoding


def event_id_text(event_id: Any, where: str) -> str:
    """The event id as written in the record; raises naming ``<where>.eventMetadata.eventId`` if invalid.

    :param event_id: a string, or an int written as its decimal text.
    :param where: where the value came from, e.g. ``labels[3]``.
    """
    field = f"{where}.{EVENT_ID_FIELD}"
    if isinstance(event_id, int) and not isinstance(event_id, bool):
        event_id = str(event_id)
    if (
        not isinstance(event_id, str)
        or not 1 <= len(event_id) <= MAX_EVENT_ID_LENGTH
        or event_id[0].isspace()
        or not event_id.isprintable()
    ):
        raise MonitoringValidationError(field, EVENT_ID_FORM, event_id)
    return event_id


def label_data(label: Any, encoding: str, where: str) -> str:
    """The ``groundTruthData.data`` text of a label; raises naming ``<where>.groundTruthData.data``.

    :param label: the label value (see the module docstring for what each encoding accepts).
    :param encoding: ``CSV`` or ``JSON``.
    :param where: where the value came from, e.g. ``labels[3]``.
    """
    field = f"{where}.{DATA_FIELD}"
    if check_encoding(encoding) == JSON:
        return _json_label(label, field)
    if isinstance(label, str):
        return label
    if isinstance(label, bool) or not isinstance(label, (int, float)) or not math.isfinite(label):
        raise MonitoringValidationError(field, LABEL_FORM, label)
    return str(label)


def _json_label(label: Any, field: str) -> str:
    try:
        if isinstance(label, str):
            json.loads(label)
            return label
        return json.dumps(label, allow_nan=False)
    except (TypeError, ValueError):
        raise MonitoringValidationError(field, LABEL_FORM, label) from None


def ground_truth_record(event_id: str, data: str, encoding: str) -> dict[str, Any]:
    """One ground-truth record as the merge job reads it.

    :param event_id: the validated event id.
    :param data: the label text (see :func:`label_data`).
    :param encoding: ``CSV`` or ``JSON``.
    """
    return {
        "groundTruthData": {"data": data, "encoding": check_encoding(encoding)},
        "eventMetadata": {"eventId": event_id},
        "eventVersion": EVENT_VERSION,
    }


def build_records(labels: Iterable[GroundTruthLabel], encoding: str) -> list[dict[str, Any]]:
    """Validate labels and build their records, in order.

    :param labels: the labels to upload.
    :param encoding: ``CSV`` or ``JSON``.
    :raises MonitoringValidationError: for an invalid or repeated event id or an invalid label, naming
        where it came from.
    """
    check_encoding(encoding)
    first_seen: dict[str, str] = {}
    records = []
    for item in labels:
        event_id = event_id_text(item.event_id, item.where)
        if event_id in first_seen:
            raise MonitoringValidationError(
                f"{item.where}.{EVENT_ID_FIELD}",
                EVENT_ID_UNIQUE,
                f"{event_id} (also at {first_seen[event_id]})",
            )
        first_seen[event_id] = item.where
        records.append(ground_truth_record(event_id, label_data(item.label, encoding, item.where), encoding))
    return records


def to_json_lines(records: Iterable[Mapping[str, Any]]) -> str:
    """Records as JSON Lines text: one compact JSON object per line, each line ending in a newline."""
    return "".join(json.dumps(record, separators=(",", ":"), allow_nan=False) + "\n" for record in records)


def labels_from_items(
    items: Iterable[Any] | Mapping[str, Any],
    *,
    event_id_key: str | int = "event_id",
    label_key: str | int = "label",
    source: str = "labels",
) -> list[GroundTruthLabel]:
    """Read labels given in Python: ``{event_id: label}``, ``(event_id, label)`` pairs or mappings.

    :param items: a mapping of event id to label, or a sequence whose items are two-item sequences or
        mappings holding ``event_id_key`` and ``label_key``.
    :param event_id_key: the event id key of mapping items.
    :param label_key: the label key of mapping items.
    :param source: the name errors use for the collection, e.g. ``labels``.
    """
    if isinstance(items, Mapping):
        return [GroundTruthLabel(key, value, f"{source}[{key!r}]") for key, value in items.items()]
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        raise MonitoringValidationError(source, LABEL_ITEM, items)
    return [
        _label_item(item, f"{source}[{index}]", event_id_key, label_key) for index, item in enumerate(items)
    ]


def _label_item(item: Any, where: str, event_id_key: str | int, label_key: str | int) -> GroundTruthLabel:
    if isinstance(item, Mapping):
        if event_id_key in item and label_key in item:
            return GroundTruthLabel(item[event_id_key], item[label_key], where)
    elif isinstance(item, Sequence) and not isinstance(item, (str, bytes)) and len(item) == 2:
        return GroundTruthLabel(item[0], item[1], where)
    raise MonitoringValidationError(where, LABEL_ITEM, item)


def labels_from_csv(
    text: str,
    *,
    header: bool = True,
    event_id_column: str | int = "event_id",
    label_column: str | int = "label",
    source: str = "csv",
) -> list[GroundTruthLabel]:
    """Read labels from CSV text; blank lines are skipped.

    :param text: the CSV content.
    :param header: whether the first row names the columns.
    :param event_id_column: the event id column: a header name, or a 0-based index.
    :param label_column: the label column: a header name, or a 0-based index.
    :param source: the name errors use for the file, e.g. its S3 URI; rows are numbered from 1 as lines.
    """
    rows = [(number, row) for number, row in enumerate(csv.reader(io.StringIO(text)), start=1) if row]
    if header:
        if not rows:
            return []
        names = rows.pop(0)[1]
        event_index = _column_index(event_id_column, names, source)
        label_index = _column_index(label_column, names, source)
    else:
        event_index = _column_index(event_id_column, None, source)
        label_index = _column_index(label_column, None, source)
    labels = []
    for number, row in rows:
        where = f"{source} line {number}"
        if max(event_index, label_index) >= len(row):
            raise MonitoringValidationError(where, LABEL_ITEM, row)
        labels.append(GroundTruthLabel(row[event_index], row[label_index], where))
    return labels


def _column_index(column: str | int, names: list[str] | None, source: str) -> int:
    if isinstance(column, int) and not isinstance(column, bool) and column >= 0:
        return column
    if isinstance(column, str) and names is not None and column in names:
        return names.index(column)
    known = "no header" if names is None else f"columns {names}"
    raise ValueError(
        f"{source}: column {column!r} not found ({known}); give a header name or a 0-based index"
    )


def labels_from_json_lines(
    text: str,
    *,
    event_id_key: str | int = "event_id",
    label_key: str | int = "label",
    source: str = "jsonl",
) -> list[GroundTruthLabel]:
    """Read labels from JSON Lines text (one object per line; blank lines are skipped).

    A line is either an object with ``event_id_key`` and ``label_key``, or a ground-truth record, whose
    ``eventMetadata.eventId`` and ``groundTruthData.data`` are taken.

    :param text: the JSON Lines content.
    :param event_id_key: the event id key of each object.
    :param label_key: the label key of each object.
    :param source: the name errors use for the file, e.g. its S3 URI; lines are numbered from 1.
    """
    labels = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source} line {number}"
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{where}: not valid JSON ({exc})") from None
        if isinstance(item, Mapping) and isinstance(item.get("groundTruthData"), Mapping):
            event_id = (item.get("eventMetadata") or {}).get("eventId")
            labels.append(GroundTruthLabel(event_id, item["groundTruthData"].get("data"), where))
        else:
            labels.append(_label_item(item, where, event_id_key, label_key))
    return labels


def source_format(uri: str, given: str | None = None) -> str:
    """A label file's format: ``given`` if set, else from its extension (``.csv``, ``.jsonl``, ``.json``).

    :param uri: the file's S3 URI.
    :param given: ``csv`` or ``jsonl`` to override the extension.
    """
    if given is not None:
        if given not in SOURCE_FORMATS:
            raise ValueError(f"source_format must be one of {SOURCE_FORMATS} (got {given!r})")
        return given
    for suffix, found in _SOURCE_SUFFIXES.items():
        if uri.lower().endswith(suffix):
            return found
    raise ValueError(
        f"cannot tell the format of {uri!r} from its extension; pass source_format='csv' or 'jsonl'"
    )


def upload_file_name(dag_id: str, task_id: str, run_id: str, map_index: int | None = -1) -> str:
    """A file name fixed by the task run, so a retry overwrites its own upload instead of adding another.

    :param dag_id: the DAG id.
    :param task_id: the task id.
    :param run_id: the DAG run id.
    :param map_index: the mapped task index (``-1`` or ``None`` when not mapped).
    """
    scope = "" if map_index is None or map_index < 0 else str(map_index)
    return run_scoped_name(dag_id, task_id, run_id, scope) + FILE_SUFFIX


def ground_truth_object_uri(ground_truth_s3_uri: str, collected_at: datetime, file_name: str) -> str:
    """Where an upload goes: ``<ground truth prefix>/yyyy/mm/dd/hh/<file_name>`` for the collection hour.

    :param ground_truth_s3_uri: the job definition's ``GroundTruthS3Input.S3Uri``.
    :param collected_at: when the labels were collected (timezone-aware); only its UTC hour is used.
    :param file_name: the object name; ``.jsonl`` is appended when missing.
    """
    if not file_name or "/" in file_name:
        raise ValueError(f"file_name must be a non-empty name without '/' (got {file_name!r})")
    name = file_name if file_name.endswith(FILE_SUFFIX) else file_name + FILE_SUFFIX
    return join_s3(ground_truth_prefix(ground_truth_s3_uri, collected_at), name)
