"""Container-style entry points the local service calls once a job's inputs are on local disk.

``run_analyzer`` mirrors the built-in Model Monitor analyzer: it reads the analyzer's environment variables
(``dataset_format``, ``dataset_source``, ``analysis_type``, ``problem_type``, ``inference_attribute``,
``probability_attribute``, ``ground_truth_attribute``, ``probability_threshold_attribute``,
``baseline_constraints``, ``baseline_statistics``, ``start_time``, ``end_time``, ``metric_time``) and writes
the report files. Paths in the environment are container paths (``/opt/ml/processing/...``); ``input_dirs``
maps container path prefixes to the local directories holding that input, the longest matching prefix wins,
and a path no prefix matches is used as it is.

Dispatch: ``analysis_type=MODEL_QUALITY`` runs model quality, anything else data quality; without
``baseline_constraints`` the job is a baseline (suggest) job writing ``statistics.json`` and
``constraints.json``, with it a monitoring job that also writes ``constraint_violations.json`` (always, with
an empty list when clean). Model-quality monitoring reads merged records (``sagemakerCaptureJson``); data
quality analyses the captured ``endpointInput`` (model inputs only).

``run_merge`` is the model-quality / bias merge job and ``run_clarify`` the Clarify bias job.

Each analysis counts its dataset (``count_data_quality``, ``count_model_quality``, ``count_bias_dataset``)
and then writes its reports from the counts (``data_quality_reports``, ``model_quality_reports``,
``bias_reports``); :mod:`~airflow_mm_provider.analysis.job_partials` runs the two halves on different
workers, over shards of the dataset.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import repeat
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow_mm_provider.analysis import model_quality as mq
from airflow_mm_provider.analysis.attributes import MISSING, Attribute, scalar_payload
from airflow_mm_provider.analysis.merge import inputs_key, load_ground_truth, spill_directory, write_merged
from airflow_mm_provider.analysis.output import (
    CONSTRAINTS_FILE,
    STATISTICS_FILE,
    VIOLATIONS_FILE,
    exit_message,
    write_reports,
)
from airflow_mm_provider.analysis.records import (
    CsvChunk,
    Payload,
    ReadStats,
    decode_payload,
    input_payload,
    iter_batch_output_chunks,
    iter_capture_chunks,
    iter_merged_chunks,
    iter_merged_csv_chunks,
    iter_table_chunks,
)
from airflow_mm_provider.analysis.time_window import parse_capture_time

if TYPE_CHECKING:
    from airflow_mm_provider.analysis.bias_partial import BiasPartial
    from airflow_mm_provider.analysis.dq_statistics import DataQualityAccumulator

__all__ = [
    "BIAS_MODEL_UNSUPPORTED",
    "NO_DATA",
    "AnalyzerDatasetFormat",
    "BiasReading",
    "ClarifyJob",
    "JobOutcome",
    "bias_reports",
    "count_bias_dataset",
    "count_data_quality",
    "count_model_quality",
    "data_quality_reports",
    "failure_reason",
    "model_quality_reports",
    "run_analyzer",
    "run_bias_job",
    "run_clarify",
    "run_merge",
]

NO_DATA = "Job inputs had no data"
MODEL_QUALITY = "MODEL_QUALITY"


class JobError(Exception):
    """A job failure whose message is the processing job's ``FailureReason``."""


@dataclass(frozen=True)
class JobOutcome:
    """How a job ended.

    :param status: ``Completed`` or ``Failed``.
    :param exit_message: the processing job's ``ExitMessage`` (empty when failed).
    :param failure_reason: the ``FailureReason`` of a failed job.
    :param violation_count: number of violations found.
    :param files: report files written, in name order.
    :param details: counters for logs (records read, malformed lines per reason, merge counts).
    """

    status: str
    exit_message: str = ""
    failure_reason: str | None = None
    violation_count: int = 0
    files: tuple[Path, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def completed(cls, files: Iterable[Path], violations: int, details: Mapping[str, Any]) -> JobOutcome:
        """A completed job with ``violations`` violations."""
        return cls("Completed", exit_message(violations), None, violations, tuple(files), dict(details))

    @classmethod
    def failed(cls, reason: str, details: Mapping[str, Any] | None = None) -> JobOutcome:
        """A failed job."""
        return cls("Failed", "", reason, 0, (), dict(details or {}))


@dataclass(frozen=True)
class AnalyzerDatasetFormat:
    """The analyzer's ``dataset_format`` environment value, parsed.

    :param kind: ``csv``, ``json`` (JSON Lines) or ``sagemakerCaptureJson``.
    :param header: whether CSV files start with a header line.
    """

    kind: str
    header: bool = False

    @classmethod
    def parse(cls, text: str | None) -> AnalyzerDatasetFormat:
        """Parse the value, e.g. ``{"csv": {"header": true}}`` or ``{"json": {"lines": true}}``.

        ``{"sagemakerCaptureJson": {...}}`` and a missing value mean capture records; parquet and unknown
        formats raise ``JobError``.
        """
        if not text:
            return cls("sagemakerCaptureJson")
        try:
            value = json.loads(text)
        except ValueError as error:
            raise JobError(f"ClientError: dataset_format is not JSON: {text}") from error
        if isinstance(value, dict) and len(value) == 1:
            kind, options = next(iter(value.items()))
            options = options if isinstance(options, dict) else {}
            if kind == "csv":
                return cls("csv", bool(options.get("header", False)))
            if kind in ("json", "sagemakerCaptureJson"):
                return cls(kind)
        raise JobError(f"ClientError: unsupported dataset_format {text}")


def resolve_container_path(input_dirs: Mapping[str, Path], container_path: str) -> Path:
    """The local path of ``container_path``, which must lie inside one of the job's inputs (the longest
    matching input prefix wins); anything else, or a path with a ``..`` part, raises :class:`JobError`."""
    if ".." not in container_path.split("/"):
        for prefix in sorted(input_dirs, key=len, reverse=True):
            base = prefix.rstrip("/")
            if container_path == base:
                return Path(input_dirs[prefix])
            if container_path.startswith(base + "/"):
                return Path(input_dirs[prefix]) / container_path[len(base) + 1 :]
    raise JobError(f"ClientError: {container_path!r} is not inside any of the job's processing inputs")


class _Paths:
    """Maps container paths of the environment to local paths through ``input_dirs``."""

    def __init__(self, input_dirs: Mapping[str, Path]) -> None:
        self._dirs = input_dirs

    def resolve(self, container_path: str) -> Path:
        """The local path for ``container_path`` (see :func:`resolve_container_path`)."""
        return resolve_container_path(self._dirs, container_path)

    def read_json(self, container_path: str) -> Any:
        """Read a JSON document (a file, or the single ``*.json`` file of a directory)."""
        path = self.resolve(container_path)
        if path.is_dir():
            files = sorted(path.glob("*.json"))
            if len(files) != 1:
                raise JobError(f"ClientError: expected one JSON file in {container_path}")
            path = files[0]
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise JobError(f"ClientError: cannot read {container_path}: {error}") from error


def _time(value: str | datetime | None) -> datetime | None:
    """A window bound from an ISO-8601 text or a datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return parse_capture_time(value.isoformat())
    try:
        return parse_capture_time(value)
    except ValueError as error:
        raise JobError(f"ClientError: invalid time {value!r}") from error


def run_analyzer(
    environment: Mapping[str, str], input_dirs: Mapping[str, Path], output_dir: Path
) -> JobOutcome:
    """Run the model-monitor analyzer as its container would; bad data or configuration give a failed outcome.

    Failure reasons: ``Job inputs had no data``, ``ClientError: ...`` (configuration or inputs the analyzer
    cannot use) or ``AlgorithmError: ...`` (anything else the analysis rejected or could not read).

    :param environment: the processing job's ``Environment``.
    :param input_dirs: container path prefix -> local directory holding that input.
    :param output_dir: the local directory standing for ``output_path``; report files are written there.
    """
    stats = ReadStats()
    try:
        if environment.get("analysis_type", "").upper() == MODEL_QUALITY:
            quality = count_model_quality(environment, input_dirs, stats)
            return model_quality_reports(environment, input_dirs, quality, Path(output_dir), stats)
        data = count_data_quality(environment, input_dirs, stats)
        return data_quality_reports(environment, input_dirs, data, Path(output_dir), stats)
    except (JobError, ValueError, OSError) as error:
        return JobOutcome.failed(failure_reason(error), {"read": stats.as_dict()})


def failure_reason(error: Exception, clarify: bool = False) -> str:
    """The ``FailureReason`` of an error that ends a job: a :class:`JobError`'s message as it is, any other
    error an ``AlgorithmError`` of the analyzer or (``clarify``) a ``ClientError`` of the Clarify job."""
    if isinstance(error, JobError):
        return str(error)
    return f"{'ClientError' if clarify else 'AlgorithmError'}: {error}"


def _evaluation_time(environment: Mapping[str, str]) -> str | None:
    """The evaluation time recorded in model-quality statistics: ``metric_time``, else ``end_time``."""
    return environment.get("metric_time") or environment.get("end_time") or None


def _compile(spec: str | None, what: str, header: list[str] | None = None) -> Attribute | None:
    """Compile an attribute (``None`` when not configured); a bad JMESPath fails the job."""
    if not spec:
        return None
    try:
        return Attribute(spec, header)
    except Exception as error:  # jmespath raises its own exception types
        raise JobError(f"ClientError: invalid {what} {spec!r}: {error}") from error


def _attribute(environment: Mapping[str, str], name: str, header: list[str] | None) -> Attribute | None:
    """The compiled attribute named ``name`` in the environment, if set."""
    return _compile(environment.get(name), name, header)


class _LabelReader:
    """Turns (model output, ground truth) pairs into the accumulator's arrays."""

    def __init__(self, environment: Mapping[str, str], header: list[str] | None, regression: bool) -> None:
        self.inference = _attribute(environment, "inference_attribute", header)
        self.probability = _attribute(environment, "probability_attribute", header)
        self.truth = _attribute(environment, "ground_truth_attribute", header)
        self.regression = regression

    def read_payloads(
        self, outputs: list[Payload | None], truths: list[Payload | None], stats: ReadStats
    ) -> tuple[list[Any], list[Any] | None, list[float] | None]:
        """:meth:`read` of undecoded (model output, ground truth) payload columns, in bulk when it can be.

        Bulk: every payload is a one-line CSV row (``encoding`` ``CSV``, no quotes), the rows of a column all
        have one width, every attribute is a column index inside it (or absent, with one-cell rows) and every
        number converts; the result is the same as :meth:`read`'s. Any other chunk is read record by record.
        """
        bulk = self._bulk(_payload_data(outputs), _payload_data(truths))
        return bulk if bulk is not None else self.read(zip(outputs, truths, strict=True), stats, decode=True)

    def read_csv(
        self, outputs: list[Any], truths: list[Any], stats: ReadStats
    ) -> tuple[list[Any], list[Any] | None, list[float] | None]:
        """:meth:`read` of the ``data`` of CSV payloads (text, or numbers as :meth:`csv_types` asks for)."""
        output_type, truth_type = self.csv_types()
        bulk = self._bulk(outputs, truths, (output_type is float, truth_type is float))
        if bulk is not None:
            return bulk
        pairs = zip(map(_csv_payload, outputs), map(_csv_payload, truths), strict=True)
        return self.read(pairs, stats, decode=True)

    def csv_types(self) -> tuple[type, type]:
        """The ``data`` types (model output, ground truth) to read CSV payloads as: ``float`` for a column
        that is only ever one number (a score, or a regression value, with at most column 0 selected)."""

        def single(attribute: Attribute | None) -> bool:
            return attribute is None or attribute.index == 0

        if self.regression:
            output = single(self.inference)
            return (float if output else str), (float if single(self.truth) else str)
        numeric = self.use_probability and not self.use_label and single(self.probability)
        return (float if numeric else str), str

    def _bulk(
        self, outputs: list[Any] | None, truths: list[Any] | None, numbers: tuple[bool, bool] = (False, False)
    ) -> tuple[list[Any], list[Any] | None, list[float] | None] | None:
        """:meth:`read` computed column-wise from the ``data`` of CSV payloads (``None``: not all CSV), or
        ``None`` when the chunk does not allow it.

        :param numbers: whether the output and the truth data are numbers already (one-cell rows).
        """
        if outputs is None or truths is None:
            return None
        truth = _csv_cells(truths, self.truth, numbers[1])
        label = _csv_cells(outputs, self.inference, numbers[0]) if self.use_label else None
        score = _csv_cells(outputs, self.probability, numbers[0]) if self.use_probability else None
        if truth is None or (self.use_label and label is None) or (self.use_probability and score is None):
            return None
        try:
            if self.regression:
                if label is None:
                    return None
                return _floats(truth, numbers[1]), _floats(label, numbers[0]), None
            return truth, label, None if score is None else _floats(score, numbers[0])
        except ValueError:
            return None

    @property
    def use_label(self) -> bool:
        """Whether predicted labels are read (an inference attribute, or no probability attribute)."""
        return self.inference is not None or self.probability is None

    @property
    def use_probability(self) -> bool:
        """Whether probabilities are read (a probability attribute, not regression)."""
        return self.probability is not None and not self.regression

    @staticmethod
    def _pick(attribute: Attribute | None, record: Any) -> Any:
        """The attribute's value in ``record``, or the whole (scalar) record when no attribute is set."""
        return scalar_payload(record) if attribute is None else attribute.select(record)

    def read(
        self, pairs: Iterable[tuple[Any, Any]], stats: ReadStats, decode: bool = False
    ) -> tuple[list[Any], list[Any] | None, list[float] | None]:
        """Ground truths, predicted labels and probabilities of (model output, ground truth) pairs.

        Labels are ``None`` when only a probability attribute is configured (they follow from the threshold),
        probabilities ``None`` when none is configured (or for regression). With ``decode`` the pairs are
        undecoded capture payloads.
        """
        use_label, use_probability = self.use_label, self.use_probability
        truths: list[Any] = []
        labels: list[Any] = []
        scores: list[float] = []
        for output, truth in pairs:
            if decode:
                try:
                    output, truth = decode_payload(output), decode_payload(truth)
                except (ValueError, TypeError, UnicodeDecodeError):
                    stats.bad("undecodable_payload")
                    continue
            actual = self._pick(self.truth, truth)
            label: Any = self._pick(self.inference, output) if use_label else None
            score: Any = self._pick(self.probability, output) if use_probability else None
            if actual is MISSING or label is MISSING or score is MISSING:
                stats.bad("missing_attribute")
                continue
            try:
                if self.regression:
                    actual, label = float(actual), float(label)
                elif use_probability:
                    score = float(score)
            except (TypeError, ValueError):
                stats.bad("non_numeric_value")
                continue
            truths.append(actual)
            if use_label:
                labels.append(label)
            if use_probability:
                scores.append(score)
        return truths, labels if use_label else None, scores if use_probability else None


_ENCODING = attrgetter("encoding")
_DATA = attrgetter("data")


def _payload_data(payloads: list[Payload | None]) -> list[Any] | None:
    """The ``data`` of payloads that are all CSV, else ``None``."""
    try:
        if set(map(_ENCODING, payloads)) != {"CSV"}:
            return None
    except AttributeError:  # a missing payload
        return None
    return list(map(_DATA, payloads))


def _csv_payload(data: Any) -> Payload:
    """A CSV payload holding ``data``."""
    return Payload(data, "CSV")


def _floats(cells: list[Any], numbers: bool) -> list[float]:
    """Cells as floats (raises ``ValueError`` on one that is not a number); ``numbers``: they are already."""
    return cells if numbers else list(map(float, cells))


def _csv_cells(data: list[Any], attribute: Attribute | None, numbers: bool = False) -> list[Any] | None:
    """The cells ``attribute`` selects in one-line CSV payload ``data`` of one width (see
    :meth:`_LabelReader.read_payloads`); ``numbers``: the data are numbers, each a one-cell row.

    ``None`` when the widths differ, the data is not text, or the attribute is not a column index inside the
    rows (no attribute: the rows must have one cell).
    """
    column = 0 if attribute is None else attribute.index
    if column is None:
        return None
    if numbers:
        return data if column == 0 else None
    try:
        text = "\n".join(data)
    except TypeError:  # data that is not text
        return None
    if '"' in text or text.count("\n") != len(data) - 1:
        return None
    if "," not in text:
        return data if column == 0 else None
    commas = set(map(str.count, data, repeat(",")))
    if len(commas) != 1 or attribute is None or column >= commas.pop() + 1:
        return None
    width = text.count(",") // len(data) + 1
    return text.replace("\n", ",").split(",")[column::width]


def _model_quality_columns(
    environment: Mapping[str, str], paths: _Paths, stats: ReadStats, regression: bool
) -> Iterator[tuple[list[Any], list[Any] | None, list[float] | None]]:
    """Chunks of (ground truths, predicted labels, probabilities) of the dataset (``_LabelReader.read``)."""
    dataset = AnalyzerDatasetFormat.parse(environment.get("dataset_format"))
    source = paths.resolve(environment.get("dataset_source", ""))
    if dataset.kind == "sagemakerCaptureJson":
        reader = _LabelReader(environment, None, regression)
        for chunk in iter_merged_csv_chunks(source, stats, reader.csv_types()):
            if isinstance(chunk, CsvChunk):
                yield reader.read_csv(chunk.outputs, chunk.ground_truths, stats)
            else:
                yield reader.read_payloads(chunk.outputs, chunk.ground_truths, stats)
        return
    header, rows = iter_table_chunks(source, stats, kind=dataset.kind, header=dataset.header)
    reader = _LabelReader(environment, header, regression)
    for block in rows:
        yield reader.read([(row, row) for row in block], stats)


def count_model_quality(
    environment: Mapping[str, str], input_dirs: Mapping[str, Path], stats: ReadStats
) -> mq.ModelQualityAccumulator:
    """The model-quality partial of the analyzer's dataset (a count of 0 when it holds no records).

    :param environment: the processing job's ``Environment`` (see :func:`run_analyzer`).
    :param input_dirs: container path prefix -> local directory holding that input.
    :param stats: counts what was read.
    """
    problem_type = environment.get("problem_type", "")
    threshold_text = environment.get("probability_threshold_attribute") or "0.5"
    try:
        accumulator = mq.ModelQualityAccumulator(problem_type, probability_threshold=float(threshold_text))
    except ValueError as error:
        raise JobError(f"ClientError: {error}") from error
    for truths, labels, scores in _model_quality_columns(
        environment, _Paths(input_dirs), stats, problem_type == mq.REGRESSION
    ):
        if truths:
            try:
                accumulator.add(truths, labels, scores)
            except ValueError as error:
                raise JobError(f"ClientError: {error}") from error
    return accumulator


def model_quality_reports(
    environment: Mapping[str, str],
    input_dirs: Mapping[str, Path],
    accumulator: mq.ModelQualityAccumulator,
    output_dir: Path,
    stats: ReadStats,
) -> JobOutcome:
    """Write the reports of a model-quality job from the partial of its whole dataset.

    A baseline writes ``statistics.json`` and ``constraints.json``, a monitoring job ``statistics.json`` and
    ``constraint_violations.json``; no records raise :class:`JobError` (:data:`NO_DATA`).

    :param environment: the processing job's ``Environment`` (see :func:`run_analyzer`).
    :param input_dirs: the job's inputs (the baseline constraints of a monitoring job).
    :param accumulator: the partial of every record.
    :param output_dir: where the reports go.
    :param stats: what was read, for the outcome's details.
    """
    if accumulator.count == 0:
        raise JobError(NO_DATA)
    statistics = accumulator.statistics(_evaluation_time(environment))
    details = {"read": stats.as_dict()}
    if not environment.get("baseline_constraints"):
        reports = {STATISTICS_FILE: statistics, CONSTRAINTS_FILE: mq.suggest_constraints(statistics)}
        return JobOutcome.completed(write_reports(output_dir, reports), 0, details)
    constraints = _Paths(input_dirs).read_json(environment["baseline_constraints"])
    violations = mq.evaluate(statistics, constraints)
    reports = {STATISTICS_FILE: statistics, VIOLATIONS_FILE: {"violations": violations}}
    return JobOutcome.completed(write_reports(output_dir, reports), len(violations), details)


def _rows(values: Iterable[Any], names: list[str] | None) -> tuple[list[list[Any]], list[str] | None]:
    """Table rows from parsed records: lists stay rows, objects give one cell per (first-seen) key."""
    rows: list[list[Any]] = []
    for value in values:
        if isinstance(value, dict):
            if names is None:
                names = list(value)
            rows.append([value.get(name) for name in names])
        elif isinstance(value, list) and value and isinstance(value[0], list):
            rows.extend(value)
        elif isinstance(value, list):
            rows.append(value)
        else:
            rows.append([value])
    return rows, names


def _baseline_statistics(environment: Mapping[str, str], paths: _Paths) -> Any:
    """The baseline ``statistics.json`` the environment names, else None."""
    name = environment.get("baseline_statistics")
    return paths.read_json(name) if name else None


def count_data_quality(
    environment: Mapping[str, str], input_dirs: Mapping[str, Path], stats: ReadStats
) -> DataQualityAccumulator | None:
    """The data-quality partial of the analyzer's dataset (None when it holds no rows).

    CSV datasets are read in column blocks (:mod:`~airflow_mm_provider.analysis.csv_blocks`); JSON Lines and
    captured inputs as rows. Columns without names take the baseline statistics' feature names.

    :param environment: the processing job's ``Environment`` (see :func:`run_analyzer`).
    :param input_dirs: container path prefix -> local directory holding that input.
    :param stats: counts what was read.
    """
    from airflow_mm_provider.analysis import data_quality as dq
    from airflow_mm_provider.analysis.csv_blocks import iter_csv_blocks
    from airflow_mm_provider.analysis.field_block import FieldBlock

    paths = _Paths(input_dirs)
    dataset = AnalyzerDatasetFormat.parse(environment.get("dataset_format"))
    source = paths.resolve(environment.get("dataset_source", ""))
    baseline_statistics = _baseline_statistics(environment, paths)
    names: list[str] | None = None
    values: Iterator[Any]
    if dataset.kind == "sagemakerCaptureJson":
        start, end = _time(environment.get("start_time")), _time(environment.get("end_time"))
        values = _capture_inputs(source, stats, start, end)
    elif dataset.kind == "csv":
        names, values = iter_csv_blocks(source, stats, header=dataset.header)
    else:
        names, values = iter_table_chunks(source, stats, kind=dataset.kind, header=dataset.header)
    if names is None and baseline_statistics and dataset.kind != "json":
        names = [feature["name"] for feature in baseline_statistics.get("features", [])] or None
    accumulator = None
    for chunk in values:
        if not isinstance(chunk, FieldBlock):
            chunk, names = _rows(chunk, names)
        if accumulator is None:
            accumulator = dq.DataQualityAccumulator(names)
        accumulator.add_block(chunk)
    return accumulator


def data_quality_reports(
    environment: Mapping[str, str],
    input_dirs: Mapping[str, Path],
    accumulator: DataQualityAccumulator | None,
    output_dir: Path,
    stats: ReadStats,
) -> JobOutcome:
    """Write the reports of a data-quality job from the partial of its whole dataset.

    A baseline writes ``statistics.json`` and ``constraints.json``, a monitoring job also
    ``constraint_violations.json``; no rows (None) raise :class:`JobError` (:data:`NO_DATA`).

    :param environment: the processing job's ``Environment`` (see :func:`run_analyzer`).
    :param input_dirs: the job's inputs (the baseline constraints and statistics of a monitoring job).
    :param accumulator: the partial of every row.
    :param output_dir: where the reports go.
    :param stats: what was read, for the outcome's details.
    """
    from airflow_mm_provider.analysis import data_quality as dq

    if accumulator is None:
        raise JobError(NO_DATA)
    paths = _Paths(input_dirs)
    statistics = accumulator.statistics()
    details = {"read": stats.as_dict()}
    if not environment.get("baseline_constraints"):
        reports = {STATISTICS_FILE: statistics, CONSTRAINTS_FILE: dq.suggest_constraints(statistics)}
        return JobOutcome.completed(write_reports(output_dir, reports), 0, details)
    constraints = paths.read_json(environment["baseline_constraints"])
    baseline_statistics = _baseline_statistics(environment, paths)
    violations = dq.check(statistics, baseline_statistics or {}, constraints, accumulator.type_counts())
    reports = {
        STATISTICS_FILE: statistics,
        CONSTRAINTS_FILE: constraints,
        VIOLATIONS_FILE: {"violations": violations},
    }
    return JobOutcome.completed(write_reports(output_dir, reports), len(violations), details)


def _capture_inputs(
    source: Path, stats: ReadStats, start: datetime | None, end: datetime | None
) -> Iterator[list[Any]]:
    """Decoded ``endpointInput`` payloads of capture records inside ``[start, end)``."""
    for chunk in iter_capture_chunks(source, stats, start=start, end=end):
        inputs = []
        for capture in chunk.capture_data:
            try:
                inputs.append(decode_payload(input_payload(capture)))
            except (ValueError, TypeError):
                stats.bad("undecodable_payload")
        if inputs:
            yield inputs


def run_merge(
    capture_dir: Path,
    ground_truth_dir: Path,
    output_dir: Path,
    start: str | datetime | None = None,
    end: str | datetime | None = None,
    *,
    batch_mirror_root: Path | None = None,
) -> JobOutcome:
    """Merge captures with ground truth into ``output_dir``; fails with no data when nothing matched.

    :param capture_dir: endpoint capture files, or with ``batch_mirror_root`` the batch capture destination
        (manifests under ``output/``).
    :param ground_truth_dir: ground-truth JSON Lines files.
    :param output_dir: where the ``part-00000-<uuid>.c000.jsonl`` file goes.
    :param start: earliest inference time kept (inclusive).
    :param end: latest inference time (exclusive).
    :param batch_mirror_root: local S3 mirror (``<root>/<bucket>/<key>``) that batch manifests resolve into.
    """
    capture_stats, truth_stats = ReadStats(), ReadStats()
    output = Path(output_dir)
    try:
        window_start, window_end = _time(start), _time(end)
        truth = load_ground_truth(Path(ground_truth_dir), truth_stats, spill_directory(output))
        if batch_mirror_root is not None:
            captures = iter_batch_output_chunks(
                Path(capture_dir), Path(batch_mirror_root), capture_stats, start=window_start, end=window_end
            )
        else:
            captures = iter_capture_chunks(
                Path(capture_dir), capture_stats, start=window_start, end=window_end, transient=True
            )
        batch = batch_mirror_root is not None
        key = inputs_key(window_start, window_end, batch, paths=(capture_dir, ground_truth_dir))
        result = write_merged(captures, truth, output, key)
    except JobError as error:
        return JobOutcome.failed(str(error))
    finally:
        shutil.rmtree(spill_directory(output), ignore_errors=True)
    details = {
        "captured": result.captured,
        "matched": result.matched,
        "unmatched": result.unmatched,
        "ground_truth": result.ground_truth,
        "capture_read": capture_stats.as_dict(),
        "ground_truth_read": truth_stats.as_dict(),
    }
    if result.path is None:
        return JobOutcome.failed(NO_DATA, details)
    return JobOutcome.completed([result.path], 0, details)


CLARIFY_CAPTURE = "application/sagemakercapturejson"
CLARIFY_CSV = "text/csv"
CLARIFY_JSON_LINES = "application/jsonlines"
ANALYSIS_FILE = "analysis.json"


CLARIFY_CONFIG = "/opt/ml/processing/input/config/analysis_config.json"
CLARIFY_DATA = "/opt/ml/processing/input/data"


SHAP_UNSUPPORTED = (
    "ModelExplainability needs SHAP values computed by invoking the model on the data; the local Model "
    "Monitor service has no model to invoke and does not fake them: run explainability on SageMaker"
)


BIAS_MODEL_UNSUPPORTED = (
    "ModelBias post-training metrics of this baseline need predictions made by invoking the model (the "
    "analysis config's predictor); the local Model Monitor service has no model to invoke and does not fake "
    "them: give the dataset's predicted labels (predicted_label) or run this baseline on SageMaker"
)


def _wants_shap(config: Mapping[str, Any]) -> bool:
    methods = config.get("methods")
    return isinstance(methods, Mapping) and "shap" in methods


def run_clarify(
    environment: Mapping[str, str], input_dirs: Mapping[str, Path], output_dir: Path
) -> JobOutcome:
    """Run the Clarify bias job as its container would (monitoring or baselining).

    An explainability config (``methods.shap``) fails with :data:`SHAP_UNSUPPORTED`: SHAP needs the model.

    Reads ``analysis_config`` (default: ``analysis_config.json`` of the baselining input
    ``/opt/ml/processing/input/config``), ``dataset_source`` (default ``/opt/ml/processing/input/data``),
    ``dataset_format`` (``sagemakerCaptureJson``: merged records; else the config's ``dataset_type``),
    ``baseline_constraints`` (the baseline ``analysis.json``: the job then checks drift),
    ``features_attribute``, ``inference_attribute``, ``probability_attribute`` and
    ``probability_threshold_attribute``; paths map through ``input_dirs`` as in :func:`run_analyzer`. See
    :func:`run_bias_job`.
    """
    try:
        job = ClarifyJob.from_environment(environment, input_dirs)
        dataset = resolve_container_path(input_dirs, job.dataset)
        baseline = job.baseline_analysis(input_dirs)
    except (JobError, ValueError) as error:
        return JobOutcome.failed(failure_reason(error, clarify=True))
    return _bias_job(job.config, dataset, Path(output_dir), job.reading, baseline)


@dataclass(frozen=True)
class BiasReading:
    """How a bias job reads its dataset (see :func:`run_bias_job` for each field)."""

    dataset_type: str = CLARIFY_CAPTURE
    features_attribute: str | None = None
    inference_attribute: str | None = None
    probability_attribute: str | None = None
    probability_threshold: float | None = None


@dataclass(frozen=True)
class ClarifyJob:
    """What a Clarify container environment asks for (see :func:`run_clarify`).

    :param config: the analysis config.
    :param dataset: the container path of the dataset.
    :param baseline: the container path of the baseline ``analysis.json`` (monitoring), else None.
    :param reading: how the dataset is read.
    """

    config: dict[str, Any]
    dataset: str
    baseline: str | None
    reading: BiasReading

    @classmethod
    def from_environment(cls, environment: Mapping[str, str], input_dirs: Mapping[str, Path]) -> ClarifyJob:
        """Read the analysis config the environment names; raises :class:`JobError` or ``ValueError`` when
        the job cannot run."""
        config = _Paths(input_dirs).read_json(environment.get("analysis_config") or CLARIFY_CONFIG)
        if not isinstance(config, dict):
            raise JobError("ClientError: analysis_config is not a JSON object")
        if _wants_shap(config):
            raise JobError(f"ClientError: {SHAP_UNSUPPORTED}")
        captured = "sagemakerCaptureJson" in (environment.get("dataset_format") or "")
        threshold = environment.get("probability_threshold_attribute")
        reading = BiasReading(
            dataset_type=CLARIFY_CAPTURE if captured else str(config.get("dataset_type", CLARIFY_CSV)),
            features_attribute=environment.get("features_attribute"),
            inference_attribute=environment.get("inference_attribute"),
            probability_attribute=environment.get("probability_attribute"),
            probability_threshold=float(threshold) if threshold else None,
        )
        dataset = environment.get("dataset_source") or CLARIFY_DATA
        return cls(config, dataset, environment.get("baseline_constraints") or None, reading)

    def baseline_analysis(self, input_dirs: Mapping[str, Path]) -> Any:
        """The baseline ``analysis.json`` (None for a baselining job)."""
        return _Paths(input_dirs).read_json(self.baseline) if self.baseline else None


def run_bias_job(
    analysis_config: Mapping[str, Any],
    dataset: Path,
    output_dir: Path,
    *,
    dataset_type: str = CLARIFY_CAPTURE,
    baseline_analysis: Mapping[str, Any] | None = None,
    features_attribute: str | None = None,
    inference_attribute: str | None = None,
    probability_attribute: str | None = None,
    probability_threshold: float | None = None,
) -> JobOutcome:
    """The Clarify bias analysis: write ``analysis.json``, and violations when given a baseline.

    :param analysis_config: the bias ``analysis_config.json`` (``headers``, ``label``,
        ``label_values_or_threshold``, ``facet``, ``group_variable``, ...).
    :param dataset: the dataset directory: merged records (``application/sagemakercapturejson``, as the
        monitoring job reads them), or a CSV / JSON Lines dataset (baselining).
    :param output_dir: where the reports go.
    :param dataset_type: ``application/sagemakercapturejson``, ``text/csv`` or ``application/jsonlines``.
    :param baseline_analysis: the baseline ``analysis.json``; with it the job is a monitoring job and writes
        ``constraint_violations.json`` when there are violations.
    :param features_attribute: JMESPath of the features in JSON model inputs (monitoring).
    :param inference_attribute: where the predicted label is in the model output (index or JMESPath).
    :param probability_attribute: where the probability is in the model output (index or JMESPath).
    :param probability_threshold: the probability at or above which a record is predicted positive.

    Merged records become rows ``features + [label]`` named by ``headers`` (label last, as Clarify requires
    for JSON Lines). Each record's prediction is the inference attribute's value (a label), else the
    probability attribute's (a score), else the whole model output: a score when ``probability_threshold``
    is given, a label otherwise; a record with neither counts before training only. A CSV dataset has a
    header line unless the config lists ``headers``; its predicted labels come from the config's
    ``predicted_label`` column when given.

    The records are counted block by block into one partial
    (:class:`~airflow_mm_provider.analysis.bias_partial.BiasPartial`), so memory follows the count tables,
    not the records.

    Stages: a monitoring job computes pre- and post-training metrics (post-training ones whenever there are
    predictions) and judges only the metrics its baseline holds, with their bootstrap confidence intervals
    (:func:`~airflow_mm_provider.analysis.bias.bias_drift_violations`). A baseline computes the stages its
    config's ``methods`` names (both without ``methods``, post-training ones only with predictions); when a
    requested post-training stage has no predictions it fails, with :data:`BIAS_MODEL_UNSUPPORTED` when the
    config names a ``predictor`` (the model would have to be invoked).
    """
    reading = BiasReading(
        dataset_type, features_attribute, inference_attribute, probability_attribute, probability_threshold
    )
    return _bias_job(analysis_config, Path(dataset), Path(output_dir), reading, baseline_analysis)


def _bias_job(
    config: Mapping[str, Any],
    dataset: Path,
    output_dir: Path,
    reading: BiasReading,
    baseline_analysis: Mapping[str, Any] | None,
) -> JobOutcome:
    """:func:`count_bias_dataset`, then :func:`bias_reports`; their errors give a failed outcome."""
    stats = ReadStats()
    try:
        counted = count_bias_dataset(config, dataset, reading, stats)
        return bias_reports(config, counted, output_dir, baseline_analysis, stats)
    except (JobError, ValueError) as error:
        return JobOutcome.failed(failure_reason(error, clarify=True), {"read": stats.as_dict()})


def count_bias_dataset(
    config: Mapping[str, Any], dataset: Path, reading: BiasReading, stats: ReadStats
) -> tuple[BiasPartial | None, bool]:
    """The bias partial of a dataset (None without records) and whether it had predictions.

    :param config: the analysis config.
    :param dataset: the dataset directory (see :func:`run_bias_job`).
    :param reading: how the dataset is read.
    :param stats: counts what was read.
    """
    copy, threshold = dict(config), reading.probability_threshold
    if reading.dataset_type == CLARIFY_CAPTURE:
        attributes = (reading.features_attribute, reading.inference_attribute, reading.probability_attribute)
        return _count_clarify_capture(copy, Path(dataset), stats, attributes, threshold)
    if reading.dataset_type == CLARIFY_CSV:
        return _count_clarify_csv(copy, Path(dataset), stats, threshold)
    if reading.dataset_type == CLARIFY_JSON_LINES:
        return _count_clarify_json_lines(copy, Path(dataset), stats, threshold)
    raise JobError(f"ClientError: unsupported dataset_type {reading.dataset_type}")


def bias_reports(
    config: Mapping[str, Any],
    counted: tuple[BiasPartial | None, bool],
    output_dir: Path,
    baseline_analysis: Mapping[str, Any] | None,
    stats: ReadStats,
) -> JobOutcome:
    """Write the reports of a bias job from the counts of its whole dataset: ``analysis.json``, and
    ``constraint_violations.json`` when a baseline is given and violated; no records raise :class:`JobError`
    (:data:`NO_DATA`).

    :param config: the analysis config (its ``methods`` choose a baseline's stages).
    :param counted: what :func:`count_bias_dataset` returns, over every record.
    :param output_dir: where the reports go.
    :param baseline_analysis: the baseline ``analysis.json`` of a monitoring job, else None.
    :param stats: what was read, for the outcome's details.
    """
    from airflow_mm_provider.analysis.bias import bias_drift_violations, finalize

    partial, predicted = counted
    if partial is None or not partial.records:
        raise JobError(NO_DATA)
    counts = finalize(partial, _bias_stages(config, predicted, monitoring=baseline_analysis is not None))
    analysis = counts.analysis()
    reports: dict[str, Any] = {ANALYSIS_FILE: analysis}
    violations = []
    if baseline_analysis is not None:
        violations = bias_drift_violations(analysis, baseline_analysis, counts.intervals())
    if violations:
        reports[VIOLATIONS_FILE] = {"version": "1.0", "violations": violations}
    return JobOutcome.completed(
        write_reports(output_dir, reports), len(violations), {"read": stats.as_dict()}
    )


def _bias_stages(config: Mapping[str, Any], predictions: bool, monitoring: bool) -> tuple[str, ...]:
    """The stages a bias job computes (see :func:`run_bias_job`); raises JobError when a baseline asks for
    post-training metrics without predictions."""
    from airflow_mm_provider.analysis.bias import POST_TRAINING, PRE_TRAINING, requested_stages

    requested = None if monitoring else requested_stages(config)
    if predictions:
        return requested or (PRE_TRAINING, POST_TRAINING)
    if not monitoring and "predictor" in config and POST_TRAINING in (requested or (POST_TRAINING,)):
        raise JobError(f"ClientError: {BIAS_MODEL_UNSUPPORTED}")
    if requested is not None and POST_TRAINING in requested:
        raise JobError(
            "ClientError: methods.post_training_bias needs predicted labels: give the dataset's "
            "predicted_label column (or, on SageMaker, a predictor)"
        )
    return (PRE_TRAINING,)


_Counted = tuple["BiasPartial | None", bool]
"""The counts of a bias dataset (None without records) and whether it had predictions."""


def _count_clarify_capture(
    config: dict[str, Any],
    dataset: Path,
    stats: ReadStats,
    attributes: tuple[str | None, str | None, str | None],
    probability_threshold: float | None,
) -> _Counted:
    """Count merged records as rows ``features + [label]`` with their predictions.

    ``attributes`` are the features, inference and probability attributes. Without an inference or
    probability attribute the whole (scalar) model output is the prediction: a probability when a
    ``probability_threshold`` is given, else a predicted label.
    """
    import numpy as np

    from airflow_mm_provider.analysis.bias_partial import BiasPartial, BiasSpec

    names = ("features_attribute", "inference_attribute", "probability_attribute")
    features, inference, probability = (
        _compile(spec, what) for spec, what in zip(attributes, names, strict=True)
    )
    label_path = _compile(str(config.get("label", "")), "label")
    partial, predicted_any = None, False
    for chunk in iter_merged_chunks(dataset, stats, with_input=True):
        rows: list[list[Any]] = []
        labels: list[Any] = []
        scores: list[float] = []
        for record in zip(chunk.outputs, chunk.ground_truths, chunk.inputs or (), strict=True):
            try:
                output, truth, given = (decode_payload(item) for item in record)
            except (ValueError, TypeError, UnicodeDecodeError):
                stats.bad("undecodable_payload")
                continue
            values = given if features is None else features.select(given)
            label = scalar_payload(truth)
            if label_path is not None and isinstance(truth, dict):
                label = label_path.select(truth)
            predicted = None if inference is None else inference.select(output)
            score = None if probability is None else probability.select(output)
            if inference is None and probability is None:
                whole = scalar_payload(output)
                predicted, score = (None, whole) if probability_threshold is not None else (whole, None)
            if values is MISSING or label is MISSING or predicted is MISSING or score is MISSING:
                stats.bad("missing_attribute")
                continue
            rows.append([*(values if isinstance(values, list) else [values]), label])
            labels.append(predicted)
            scores.append(float(score) if predicted is None and score is not None else math.nan)
        if not rows:
            continue
        if partial is None:
            headers = _capture_headers(config, len(rows[0]))
            partial = BiasPartial(BiasSpec.from_config(config, headers, probability_threshold))
        has_label = np.array([value is not None for value in labels])
        score_array = np.array(scores)
        predicted_any = predicted_any or bool(has_label.any()) or bool(np.isfinite(score_array).any())
        outcomes = np.where(
            has_label,
            partial.spec.outcomes(predicted_labels=labels),
            partial.spec.outcomes(probabilities=score_array),
        )
        partial.add_records(rows, outcomes)
    return partial, predicted_any


def _capture_headers(config: dict[str, Any], width: int) -> list[str]:
    """Column names of merged-record rows ``width`` wide (the config's ``headers`` when they fit, else
    ``_c0``, ``_c1``, ... and the label); points the config's ``label`` at the last column."""
    headers = [str(name) for name in config.get("headers", [])]
    if len(headers) != width:
        headers = [f"_c{index}" for index in range(width - 1)] + [str(config.get("label", "label"))]
    config["label"] = headers[-1] if headers else config.get("label")
    return headers


def _predicted_column(config: Mapping[str, Any], headers: list[str]) -> int | None:
    """The index of the config's ``predicted_label`` column; None when it names none."""
    predicted = config.get("predicted_label")
    if predicted is None:
        return None
    column = Attribute(str(predicted), headers).index
    if column is None:
        raise JobError(f"ClientError: predicted_label {predicted!r} is not a column")
    return column


def _count_clarify_csv(
    config: dict[str, Any], dataset: Path, stats: ReadStats, probability_threshold: float | None
) -> _Counted:
    """Count a CSV dataset column block by column block (its header line names the columns unless the config
    lists ``headers``); a dataset without rows counts as None whatever its config."""
    from airflow_mm_provider.analysis.bias_partial import BLOCK_SIZE, BiasPartial, BiasSpec
    from airflow_mm_provider.analysis.csv_blocks import column_cells, iter_csv_blocks

    configured = [str(name) for name in config.get("headers", [])]
    names, blocks = iter_csv_blocks(dataset, stats, header=not configured, block_size=BLOCK_SIZE)
    headers = configured or names or []
    try:
        spec = BiasSpec.from_config(config, headers, probability_threshold)
        column = _predicted_column(config, headers)
    except (ValueError, JobError):
        if next(blocks, None) is None:
            return None, False
        raise
    partial = BiasPartial(spec)
    wanted = spec.columns if column is None else (*spec.columns, column)
    for block in blocks:
        cells = column_cells(block, wanted)
        partial.add(cells, None if column is None else spec.outcomes(predicted_labels=cells[column]))
    return partial, column is not None


def _count_clarify_json_lines(
    config: dict[str, Any], dataset: Path, stats: ReadStats, probability_threshold: float | None
) -> _Counted:
    """Count a JSON Lines dataset chunk by chunk (objects give their keys as headers unless the config lists
    ``headers``)."""
    from airflow_mm_provider.analysis.bias_partial import BiasPartial, BiasSpec

    headers = [str(name) for name in config.get("headers", [])]
    partial, column = None, None
    for chunk in iter_table_chunks(dataset, stats, kind="json")[1]:
        rows, names = _rows(chunk, headers or None)
        headers = headers or list(names or [])
        if not rows:
            continue
        if partial is None:
            partial = BiasPartial(BiasSpec.from_config(config, headers, probability_threshold))
            column = _predicted_column(config, headers)
        outcomes = None
        if column is not None:
            cells = [row[column] if column < len(row) else None for row in rows]
            outcomes = partial.spec.outcomes(predicted_labels=cells)
        partial.add_records(rows, outcomes)
    return partial, column is not None
