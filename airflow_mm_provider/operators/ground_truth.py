"""Upload ground-truth labels for model quality and bias: :class:`SageMakerUploadGroundTruthOperator`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar

from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.providers.common.compat.sdk import timezone
from botocore.exceptions import ClientError

from airflow_mm_provider.hooks.model_monitor import ReportFileNotFoundError, error_code
from airflow_mm_provider.monitoring.ground_truth import (
    CSV,
    CSV_SOURCE,
    GroundTruthLabel,
    build_records,
    check_encoding,
    ground_truth_object_uri,
    labels_from_csv,
    labels_from_items,
    labels_from_json_lines,
    source_format,
    to_json_lines,
    upload_file_name,
)
from airflow_mm_provider.monitoring.paths import split_s3_uri
from airflow_mm_provider.monitoring.times import parse_time
from airflow_mm_provider.operators.base import SageMakerModelMonitorBaseOperator
from airflow_mm_provider.utils.templating import is_literal, rendered_object

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

_MISSING_KEY_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
_DEFAULT_COLUMNS = ("event_id", "label")

T = TypeVar("T")


def _is_literal(value: object, kinds: type[T] | tuple[type[T], ...]) -> TypeGuard[T]:
    """Whether ``value`` is of ``kinds`` and final at parse time, so it can be checked before rendering."""
    return isinstance(value, kinds) and is_literal(value)


class SageMakerUploadGroundTruthOperator(SageMakerModelMonitorBaseOperator):
    """Write ground-truth labels as one JSON Lines object under the ground-truth prefix's hour folder.

    The object goes to ``<ground_truth_s3_uri>/yyyy/mm/dd/hh/<file_name>``, the hour being ``upload_time``'s
    UTC hour (when the labels count as collected). The file name is fixed by the DAG, task, run and map
    index, so a retry overwrites its own upload rather than adding duplicate labels. Each label becomes
    ``{"groundTruthData": {"data": ..., "encoding": ...}, "eventMetadata": {"eventId": ...},
    "eventVersion": "0"}``; the merge job pairs it with the captured inference whose ``inferenceId`` (else
    ``eventId``) equals the event id. Event ids and labels are validated before anything is written (see
    :mod:`airflow_mm_provider.monitoring.ground_truth`): an invalid or repeated event id fails the task
    naming where it came from and ``eventMetadata.eventId``.

    Labels come from exactly one of:

    - ``labels``: ``{event_id: label}``, a list of ``(event_id, label)`` pairs, or a list of mappings with
      the ``event_id_column`` and ``label_column`` keys; an XComArg, or a template rendering to JSON or a
      Python literal.
    - ``source_s3_uri``: a CSV file (event id and label columns, by header name or 0-based index) or a JSON
      Lines file (objects with those keys, or ground-truth records), told apart by ``source_format`` or the
      extension (``.csv``, ``.jsonl``, ``.json``).

    Returns ``{"uri": <object URI>, "count": <labels written>}``; with no labels nothing is written and the
    URI is ``None``.

    :param ground_truth_s3_uri: the ground-truth prefix, the job definition's ``GroundTruthS3Input.S3Uri``
        (templated).
    :param labels: the labels (templated).
    :param source_s3_uri: an S3 file holding the labels (templated).
    :param source_format: ``csv`` or ``jsonl``; taken from the extension when not given.
    :param event_id_column: the event id column (CSV header name or index) or key (mappings, JSON Lines).
    :param label_column: the label column (CSV header name or index) or key (mappings, JSON Lines).
    :param csv_header: whether the CSV file's first row names its columns; without a header the columns
        default to 0 (event id) and 1 (label).
    :param label_encoding: ``CSV`` (labels as text) or ``JSON`` (labels as JSON text), as the labels are
        stored in the monitored dataset.
    :param upload_time: when the labels count as collected: a timezone-aware datetime or ISO-8601 string
        (templated); default the DAG run's data interval end, else its ``run_after``, else now.
    :param file_name: the object name (templated); default derived from the DAG, task, run and map index.
    :param kwargs: ``aws_conn_id``, ``region_name``, ``verify``, ``botocore_config`` and the ``BaseOperator``
        arguments.
    """

    template_fields: Sequence[str] = aws_template_fields(
        "ground_truth_s3_uri", "labels", "source_s3_uri", "upload_time", "file_name"
    )
    ui_color = "#d5e8d4"

    def __init__(
        self,
        *,
        ground_truth_s3_uri: str,
        labels: Mapping[Any, Any] | Iterable[Any] | str | None = None,
        source_s3_uri: str | None = None,
        source_format: str | None = None,
        event_id_column: str | int = _DEFAULT_COLUMNS[0],
        label_column: str | int = _DEFAULT_COLUMNS[1],
        csv_header: bool = True,
        label_encoding: str = CSV,
        upload_time: datetime | str | None = None,
        file_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (labels is None) == (source_s3_uri is None):
            raise ValueError("pass exactly one of labels and source_s3_uri")
        self.ground_truth_s3_uri = ground_truth_s3_uri
        self.labels = labels
        self.source_s3_uri = source_s3_uri
        self.source_format = source_format
        self.event_id_column = event_id_column
        self.label_column = label_column
        self.csv_header = csv_header
        self.label_encoding = check_encoding(label_encoding)
        self.upload_time = upload_time
        self.file_name = file_name
        self._validate_literals()

    def _validate_literals(self) -> None:
        """Check at construction every literal value (not templates, not XComArgs)."""
        if _is_literal(self.ground_truth_s3_uri, str):
            split_s3_uri(self.ground_truth_s3_uri)
        if _is_literal(self.upload_time, (str, datetime)):
            parse_time(self.upload_time, "upload_time")
        if _is_literal(self.source_s3_uri, str):
            split_s3_uri(self.source_s3_uri)
            source_format(self.source_s3_uri, self.source_format)
        if _is_literal(self.labels, (Mapping, list, tuple)):
            build_records(self._labels_from_value(self.labels), self.label_encoding)

    def execute(self, context: Context) -> dict[str, Any]:
        """Validate the labels, write them to the upload-time hour folder, return the URI and count."""
        labels = (
            self._read_source(self.source_s3_uri)
            if self.source_s3_uri is not None
            else self._labels_from_value(self.labels)
        )
        records = build_records(labels, self.label_encoding)
        if not records:
            self.log.warning("No ground-truth labels to upload; nothing written")
            return {"uri": None, "count": 0}
        uri = ground_truth_object_uri(
            self.ground_truth_s3_uri, self._upload_time(context), self._file_name(context)
        )
        bucket, key = split_s3_uri(uri)
        self.hook.s3_hook.load_string(to_json_lines(records), key, bucket_name=bucket, replace=True)
        self.log.info("Wrote %d ground-truth records (%s) to %s", len(records), self.label_encoding, uri)
        return {"uri": uri, "count": len(records)}

    def _labels_from_value(self, value: Any) -> list[GroundTruthLabel]:
        return labels_from_items(
            rendered_object(value, "labels"),
            event_id_key=self.event_id_column,
            label_key=self.label_column,
        )

    def _read_source(self, uri: str) -> list[GroundTruthLabel]:
        found_format = source_format(uri, self.source_format)
        bucket, key = split_s3_uri(uri)
        try:
            text = self.hook.s3_hook.read_key(key, bucket_name=bucket)
        except ClientError as exc:
            if error_code(exc) in _MISSING_KEY_CODES:
                raise ReportFileNotFoundError(uri, "the ground-truth label file to upload") from exc
            raise
        if found_format == CSV_SOURCE:
            columns = (self.event_id_column, self.label_column)
            if not self.csv_header and columns == _DEFAULT_COLUMNS:
                columns = (0, 1)
            return labels_from_csv(
                text, header=self.csv_header, event_id_column=columns[0], label_column=columns[1], source=uri
            )
        return labels_from_json_lines(
            text, event_id_key=self.event_id_column, label_key=self.label_column, source=uri
        )

    def _upload_time(self, context: Context) -> datetime:
        """``upload_time``, else the data interval end, else the run's ``run_after``, else now."""
        given = parse_time(self.upload_time, "upload_time")
        if given is not None:
            return given
        dag_run = context.get("dag_run")
        for candidate in (context.get("data_interval_end"), getattr(dag_run, "run_after", None)):
            if candidate is not None:
                return parse_time(candidate, "upload_time")
        return timezone.utcnow()

    def _file_name(self, context: Context) -> str:
        if self.file_name:
            return self.file_name
        map_index = getattr(context.get("ti"), "map_index", -1)
        return upload_file_name(self.dag_id, self.task_id, context["run_id"], map_index)
