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
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import repeat
from operator import attrgetter
from pathlib import Path
from typing import Any

from airflow_mm_provider.analysis import model_quality as mq
from airflow_mm_provider.analysis.attributes import MISSING, Attribute, scalar_payload
from airflow_mm_provider.analysis.merge import load_ground_truth, write_merged
from airflow_mm_provider.analysis.output import (
    CONSTRAINTS_FILE,
    STATISTICS_FILE,
    VIOLATIONS_FILE,
    exit_message,
    write_reports,
)
from airflow_mm_provider.analysis.records import (
    Payload,
    ReadStats,
    decode_payload,
    input_payload,
    iter_batch_output_chunks,
    iter_capture_chunks,
    iter_merged_chunks,
    iter_table_chunks,
    parse_time,
)

__all__ = [
    "BIAS_MODEL_UNSUPPORTED",
    "NO_DATA",
    "DatasetFormat",
    "JobOutcome",
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
class DatasetFormat:
    """The analyzer's ``dataset_format`` environment value.

    :param kind: ``csv``, ``json`` (JSON Lines) or ``sagemakerCaptureJson``.
    :param header: whether CSV files start with a header line.
    """

    kind: str
    header: bool = False

    @classmethod
    def parse(cls, text: str | None) -> DatasetFormat:
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
        return parse_time(value.isoformat())
    try:
        return parse_time(value)
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
        paths = _Paths(input_dirs)
        if environment.get("analysis_type", "").upper() == MODEL_QUALITY:
            return _model_quality_job(environment, paths, Path(output_dir), stats)
        return _data_quality_job(environment, paths, Path(output_dir), stats)
    except JobError as error:
        return JobOutcome.failed(str(error), {"read": stats.as_dict()})
    except (ValueError, OSError) as error:
        return JobOutcome.failed(f"AlgorithmError: {error}", {"read": stats.as_dict()})


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
        bulk = self._bulk(outputs, truths)
        return bulk if bulk is not None else self.read(zip(outputs, truths, strict=True), stats, decode=True)

    def _bulk(
        self, outputs: list[Payload | None], truths: list[Payload | None]
    ) -> tuple[list[Any], list[Any] | None, list[float] | None] | None:
        """:meth:`read_payloads` computed column-wise, or ``None`` when the chunk does not allow it."""
        truth = _csv_column(truths, self.truth)
        label = _csv_column(outputs, self.inference) if self.use_label else None
        score = _csv_column(outputs, self.probability) if self.use_probability else None
        if truth is None or (self.use_label and label is None) or (self.use_probability and score is None):
            return None
        try:
            if self.regression:
                return None if label is None else (list(map(float, truth)), list(map(float, label)), None)
            return truth, label, None if score is None else list(map(float, score))
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
            label = self._pick(self.inference, output) if use_label else None
            score = self.probability.select(output) if use_probability else None
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


def _csv_column(payloads: list[Payload | None], attribute: Attribute | None) -> list[str] | None:
    """The cells ``attribute`` selects in one-line CSV payloads of one width (see :meth:`read_payloads`).

    ``None`` when a payload is of another kind, the widths differ, or the attribute is not a column index
    inside the rows (no attribute: the rows must have one cell).
    """
    if attribute is not None and attribute.index is None:
        return None
    try:
        if set(map(_ENCODING, payloads)) != {"CSV"}:
            return None
        data = list(map(_DATA, payloads))
        text = "\n".join(data)
    except (AttributeError, TypeError):  # a missing payload, or data that is not text
        return None
    if '"' in text or text.count("\n") != len(data) - 1:
        return None
    if "," not in text:
        return data if attribute is None or attribute.index == 0 else None
    commas = set(map(str.count, data, repeat(",")))
    if len(commas) != 1 or attribute is None or attribute.index >= commas.pop() + 1:
        return None
    width = text.count(",") // len(data) + 1
    return text.replace("\n", ",").split(",")[attribute.index :: width]


def _model_quality_columns(
    environment: Mapping[str, str], paths: _Paths, stats: ReadStats, regression: bool
) -> Iterator[tuple[list[Any], list[Any] | None, list[float] | None]]:
    """Chunks of (ground truths, predicted labels, probabilities) of the dataset (``_LabelReader.read``)."""
    dataset = DatasetFormat.parse(environment.get("dataset_format"))
    source = paths.resolve(environment.get("dataset_source", ""))
    if dataset.kind == "sagemakerCaptureJson":
        reader = _LabelReader(environment, None, regression)
        for chunk in iter_merged_chunks(source, stats):
            yield reader.read_payloads(chunk.outputs, chunk.ground_truths, stats)
        return
    header, rows = iter_table_chunks(source, stats, kind=dataset.kind, header=dataset.header)
    reader = _LabelReader(environment, header, regression)
    for chunk in rows:
        yield reader.read([(row, row) for row in chunk], stats)


def _model_quality_job(
    environment: Mapping[str, str], paths: _Paths, output_dir: Path, stats: ReadStats
) -> JobOutcome:
    """Model-quality baseline or monitoring."""
    problem_type = environment.get("problem_type", "")
    threshold_text = environment.get("probability_threshold_attribute") or "0.5"
    try:
        accumulator = mq.ModelQualityAccumulator(problem_type, probability_threshold=float(threshold_text))
    except ValueError as error:
        raise JobError(f"ClientError: {error}") from error
    for truths, labels, scores in _model_quality_columns(
        environment, paths, stats, problem_type == mq.REGRESSION
    ):
        if truths:
            try:
                accumulator.add(truths, labels, scores)
            except ValueError as error:
                raise JobError(f"ClientError: {error}") from error
    if accumulator.count == 0:
        raise JobError(NO_DATA)
    statistics = accumulator.statistics(_evaluation_time(environment))
    details = {"read": stats.as_dict()}
    if not environment.get("baseline_constraints"):
        reports = {STATISTICS_FILE: statistics, CONSTRAINTS_FILE: mq.suggest_constraints(statistics)}
        return JobOutcome.completed(write_reports(output_dir, reports), 0, details)
    constraints = paths.read_json(environment["baseline_constraints"])
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


def _data_quality_job(
    environment: Mapping[str, str], paths: _Paths, output_dir: Path, stats: ReadStats
) -> JobOutcome:
    """Data-quality baseline or monitoring, delegated to the data-quality accumulator."""
    from airflow_mm_provider.analysis import data_quality as dq

    dataset = DatasetFormat.parse(environment.get("dataset_format"))
    source = paths.resolve(environment.get("dataset_source", ""))
    baseline_statistics = (
        paths.read_json(environment["baseline_statistics"])
        if environment.get("baseline_statistics")
        else None
    )
    names: list[str] | None = None
    if dataset.kind == "sagemakerCaptureJson":
        start, end = _time(environment.get("start_time")), _time(environment.get("end_time"))
        values: Iterator[list[Any]] = _capture_inputs(source, stats, start, end)
    else:
        names, values = iter_table_chunks(source, stats, kind=dataset.kind, header=dataset.header)
    if names is None and baseline_statistics and dataset.kind != "json":
        names = [feature["name"] for feature in baseline_statistics.get("features", [])] or None
    chunks = iter(values)
    first = next(chunks, None)
    if first is None:
        raise JobError(NO_DATA)
    rows, names = _rows(first, names)
    accumulator = dq.DataQualityAccumulator(names)
    accumulator.add_rows(rows)
    for chunk in chunks:
        rows, names = _rows(chunk, names)
        accumulator.add_rows(rows)
    statistics = accumulator.statistics()
    details = {"read": stats.as_dict()}
    if not environment.get("baseline_constraints"):
        reports = {STATISTICS_FILE: statistics, CONSTRAINTS_FILE: dq.suggest_constraints(statistics)}
        return JobOutcome.completed(write_reports(output_dir, reports), 0, details)
    constraints = paths.read_json(environment["baseline_constraints"])
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
    try:
        window = {"start": _time(start), "end": _time(end)}
        labels = load_ground_truth(Path(ground_truth_dir), truth_stats)
        if batch_mirror_root is not None:
            captures = iter_batch_output_chunks(
                Path(capture_dir), Path(batch_mirror_root), capture_stats, **window
            )
        else:
            captures = iter_capture_chunks(Path(capture_dir), capture_stats, **window)
        result = write_merged(captures, labels, Path(output_dir))
    except JobError as error:
        return JobOutcome.failed(str(error))
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
        paths = _Paths(input_dirs)
        config = paths.read_json(environment.get("analysis_config") or CLARIFY_CONFIG)
        if not isinstance(config, dict):
            raise JobError("ClientError: analysis_config is not a JSON object")
        if _wants_shap(config):
            raise JobError(f"ClientError: {SHAP_UNSUPPORTED}")
        baseline = environment.get("baseline_constraints")
        captured = "sagemakerCaptureJson" in (environment.get("dataset_format") or "")
        threshold = environment.get("probability_threshold_attribute")
        return run_bias_job(
            config,
            paths.resolve(environment.get("dataset_source") or CLARIFY_DATA),
            output_dir,
            dataset_type=CLARIFY_CAPTURE if captured else str(config.get("dataset_type", CLARIFY_CSV)),
            baseline_analysis=paths.read_json(baseline) if baseline else None,
            features_attribute=environment.get("features_attribute"),
            inference_attribute=environment.get("inference_attribute"),
            probability_attribute=environment.get("probability_attribute"),
            probability_threshold=float(threshold) if threshold else None,
        )
    except JobError as error:
        return JobOutcome.failed(str(error))
    except ValueError as error:
        return JobOutcome.failed(f"ClientError: {error}")


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
    is given, a label otherwise. A CSV dataset has a header line unless the config lists ``headers``; its
    predicted labels come from the config's ``predicted_label`` column when given.

    Stages: a monitoring job computes pre- and post-training metrics (post-training ones whenever there are
    predictions) and judges only the metrics its baseline holds, with their bootstrap confidence intervals
    (:func:`~airflow_mm_provider.analysis.bias.bias_drift_violations`). A baseline computes the stages its
    config's ``methods`` names (both without ``methods``, post-training ones only with predictions); when a
    requested post-training stage has no predictions it fails, with :data:`BIAS_MODEL_UNSUPPORTED` when the
    config names a ``predictor`` (the model would have to be invoked).
    """
    from airflow_mm_provider.analysis.bias import bias_drift_violations, count_bias

    stats = ReadStats()
    config = dict(analysis_config)
    try:
        if dataset_type == CLARIFY_CAPTURE:
            headers, rows, predictions = _clarify_capture_rows(
                config,
                Path(dataset),
                stats,
                features_attribute,
                inference_attribute,
                probability_attribute,
                score_output=probability_threshold is not None,
            )
        elif dataset_type in (CLARIFY_CSV, CLARIFY_JSON_LINES):
            headers, rows, predictions = _clarify_table_rows(config, Path(dataset), stats, dataset_type)
        else:
            raise JobError(f"ClientError: unsupported dataset_type {dataset_type}")
        if not rows:
            raise JobError(NO_DATA)
        labels, scores = predictions
        counts = count_bias(
            config,
            rows,
            headers,
            predicted_labels=labels or None,
            probabilities=scores or None,
            probability_threshold=probability_threshold,
            methods=_bias_stages(config, bool(labels or scores), monitoring=baseline_analysis is not None),
        )
        analysis = counts.analysis()
    except JobError as error:
        return JobOutcome.failed(str(error), {"read": stats.as_dict()})
    except ValueError as error:
        return JobOutcome.failed(f"ClientError: {error}", {"read": stats.as_dict()})
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


def _clarify_capture_rows(
    config: dict[str, Any],
    dataset: Path,
    stats: ReadStats,
    features_attribute: str | None,
    inference_attribute: str | None,
    probability_attribute: str | None,
    score_output: bool = False,
) -> tuple[list[str], list[list[Any]], tuple[list[Any], list[float]]]:
    """Rows ``features + [label]`` and predictions (labels, probabilities) of merged records.

    Without an inference or probability attribute the whole (scalar) model output is the prediction: a
    probability when ``score_output``, else a predicted label.
    """
    features = _compile(features_attribute, "features_attribute")
    inference = _compile(inference_attribute, "inference_attribute")
    probability = _compile(probability_attribute, "probability_attribute")
    label_path = _compile(str(config.get("label", "")), "label")
    rows: list[list[Any]] = []
    labels: list[Any] = []
    scores: list[float] = []
    for chunk in iter_merged_chunks(dataset, stats, with_input=True):
        for record in zip(chunk.outputs, chunk.ground_truths, chunk.inputs or (), strict=True):
            try:
                output, truth, given = (decode_payload(item) for item in record)
            except (ValueError, TypeError, UnicodeDecodeError):
                stats.bad("undecodable_payload")
                continue
            values = given if features is None else features.select(given)
            use_path = isinstance(truth, dict) and label_path is not None
            label = label_path.select(truth) if use_path else scalar_payload(truth)
            predicted = None if inference is None else inference.select(output)
            score = None if probability is None else probability.select(output)
            if inference is None and probability is None:
                whole = scalar_payload(output)
                predicted, score = (None, whole) if score_output else (whole, None)
            if values is MISSING or label is MISSING or predicted is MISSING or score is MISSING:
                stats.bad("missing_attribute")
                continue
            rows.append([*(values if isinstance(values, list) else [values]), label])
            if predicted is not None:
                labels.append(predicted)
            elif score is not None:
                scores.append(float(score))
    width = len(rows[0]) if rows else 0
    headers = [str(name) for name in config.get("headers", [])]
    if len(headers) != width:
        headers = [f"_c{index}" for index in range(width - 1)] + [str(config.get("label", "label"))]
    config["label"] = headers[-1] if headers else config.get("label")
    return headers, rows, (labels, scores)


def _clarify_table_rows(
    config: dict[str, Any], dataset: Path, stats: ReadStats, dataset_type: str
) -> tuple[list[str], list[list[Any]], tuple[list[Any], list[float]]]:
    """Rows and predicted labels (from the ``predicted_label`` column) of a CSV or JSON Lines dataset."""
    configured = [str(name) for name in config.get("headers", [])]
    kind = "csv" if dataset_type == CLARIFY_CSV else "json"
    header, chunks = iter_table_chunks(dataset, stats, kind=kind, header=kind == "csv" and not configured)
    headers = configured or list(header or [])
    rows: list[list[Any]] = []
    for chunk in chunks:
        table, names = _rows(chunk, headers or None)
        headers = headers or list(names or [])
        rows.extend(table)
    predicted = config.get("predicted_label")
    if predicted is None or not rows:
        return headers, rows, ([], [])
    column = Attribute(str(predicted), headers).index
    if column is None:
        raise JobError(f"ClientError: predicted_label {predicted!r} is not a column")
    return headers, rows, ([row[column] if column < len(row) else None for row in rows], [])
