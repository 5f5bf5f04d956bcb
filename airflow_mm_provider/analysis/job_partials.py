"""The analyzer and Clarify jobs split over shards of their input files: partial, merge, finalize.

:func:`partial_job` counts the dataset files one shard holds into a partial (bytes), the same way
:func:`~airflow_mm_provider.analysis.jobs.run_analyzer` and
:func:`~airflow_mm_provider.analysis.jobs.run_clarify` count a whole dataset; :func:`finalize_job` merges the
partials of every shard and writes the report files those entry points write (``statistics.json``,
``constraints.json``, ``constraint_violations.json``, ``analysis.json``), at the same names, with the same
outcome. The environment and ``input_dirs`` are a job's, as for the entry points; a shard's ``input_dirs``
map the dataset to a directory holding only its files. Model-quality and bias monitoring read merged
records: each shard merges its captures with the window's ground truth
(:func:`~airflow_mm_provider.analysis.jobs.run_merge`) before counting.

A partial is framed by :mod:`~airflow_mm_provider.analysis.partials` as kind :data:`PARTIAL_KIND`. It holds
the analysis's own partial (data-quality accumulator, model-quality accumulator or bias counts), what the
shard read, and the failure of a shard whose job would fail (a bad configuration, an unreadable dataset): the
first failure in shard order becomes the merged job's ``FailureReason``. A window without any record fails
with ``Job inputs had no data`` as one pass does.

How the merged reports compare with one pass over all the files (each analysis's module states its bounds):

- equal: every count and sum, and what follows from them: data-quality counts, types, completeness, sums,
  means, min / max, categories while exact, the distinct-count estimate and the checks; the model-quality
  confusion matrix, every metric, the score bins (so ``auc`` and the curves) and r2; the bias count tables,
  so ``analysis.json``, the bootstrap intervals (seeded, drawn from the merged counts) and the drift verdicts;
- equal when the shards are consecutive runs of the files in their read order (sorted paths, files of a
  folder before its sub-folders) merged in that order, and the window holds at most
  :data:`~airflow_mm_provider.analysis.model_quality.KEPT_RECORDS` records whose ground truth fits the
  merge's memory budget (beyond it the merge reorders records by partition): model-quality standard
  deviations (seeded samples over the records in read order) and a kept-records r2; otherwise they are
  resampling estimates that depend on the split;
- within bounds: data-quality ``std_dev`` (last bits, by merge order) and, past 2048 values of a column, its
  KLL sketch and buckets (:data:`~airflow_mm_provider.analysis.dq_statistics.BUCKET_ERROR` of the count);
- JSON Lines rows that are objects with differing keys: one pass names the columns after the first object
  read, each shard after its own first object, so a key missing from the first one can add a column.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from airflow_mm_provider.analysis import partials
from airflow_mm_provider.analysis.jobs import (
    MODEL_QUALITY,
    NO_DATA,
    ClarifyJob,
    JobError,
    JobOutcome,
    bias_reports,
    count_bias_dataset,
    count_data_quality,
    count_model_quality,
    data_quality_reports,
    failure_reason,
    model_quality_reports,
    resolve_container_path,
)
from airflow_mm_provider.analysis.records import ReadStats

if TYPE_CHECKING:
    from airflow_mm_provider.analysis.bias_partial import BiasPartial
    from airflow_mm_provider.analysis.dq_statistics import DataQualityAccumulator
    from airflow_mm_provider.analysis.model_quality import ModelQualityAccumulator

__all__ = [
    "ANALYZER",
    "CLARIFY",
    "PARTIAL_KIND",
    "PARTIAL_VERSION",
    "JobPartial",
    "failed_partial",
    "finalize_job",
    "partial_job",
]

ANALYZER = "analyzer"
"""The mode of :func:`~airflow_mm_provider.analysis.jobs.run_analyzer` (data and model quality)."""
CLARIFY = "clarify"
"""The mode of :func:`~airflow_mm_provider.analysis.jobs.run_clarify` (bias)."""
PARTIAL_KIND = "job"
PARTIAL_VERSION = 1

_DATA_QUALITY, _MODEL_QUALITY, _BIAS = "data_quality", "model_quality", "bias"
_Inputs = Mapping[str, Path]


@dataclass(frozen=True)
class JobPartial:
    """The partial of one shard of a job.

    :param analysis: ``data_quality``, ``model_quality`` or ``bias``.
    :param counts: the analysis's own partial as bytes; None when the shard held no record (data quality,
        bias) or failed.
    :param read: what the shard read.
    :param predicted: whether the shard's bias records carried predictions.
    :param failure: the ``FailureReason`` of a shard whose job would fail, else None.
    """

    analysis: str
    counts: bytes | None = None
    read: ReadStats = field(default_factory=ReadStats)
    predicted: bool = False
    failure: str | None = None

    def to_bytes(self) -> bytes:
        """This partial in the framing of :mod:`~airflow_mm_provider.analysis.partials`."""
        data = {
            "analysis": self.analysis,
            "counts": self.counts,
            "read": self.read.as_dict(),
            "predicted": self.predicted,
            "failure": self.failure,
        }
        return partials.dumps(PARTIAL_KIND, PARTIAL_VERSION, data)

    @classmethod
    def from_bytes(cls, blob: bytes) -> JobPartial:
        """The partial :meth:`to_bytes` wrote; other bytes raise :class:`~.partials.PartialFormatError`."""
        data = partials.loads(blob, PARTIAL_KIND, PARTIAL_VERSION)
        read = data["read"]
        stats = ReadStats(read["records"], read["skipped_out_of_window"], Counter(read["malformed"]))
        return cls(data["analysis"], data["counts"], stats, bool(data["predicted"]), data["failure"])


def _analysis(mode: str, environment: Mapping[str, str]) -> str:
    """The analysis a job of entry point ``mode`` runs."""
    if mode == CLARIFY:
        return _BIAS
    if mode != ANALYZER:
        raise ValueError(f"mode must be {ANALYZER!r} or {CLARIFY!r}, not {mode!r}")
    return _MODEL_QUALITY if environment.get("analysis_type", "").upper() == MODEL_QUALITY else _DATA_QUALITY


def _count_data_quality(environment: Mapping[str, str], input_dirs: _Inputs, stats: ReadStats) -> JobPartial:
    accumulator = count_data_quality(environment, input_dirs, stats)
    return JobPartial(_DATA_QUALITY, None if accumulator is None else accumulator.to_bytes(), stats)


def _count_model_quality(environment: Mapping[str, str], input_dirs: _Inputs, stats: ReadStats) -> JobPartial:
    return JobPartial(_MODEL_QUALITY, count_model_quality(environment, input_dirs, stats).to_bytes(), stats)


def _count_bias(environment: Mapping[str, str], input_dirs: _Inputs, stats: ReadStats) -> JobPartial:
    job = ClarifyJob.from_environment(environment, input_dirs)
    dataset = resolve_container_path(input_dirs, job.dataset)
    counts, predicted = count_bias_dataset(job.config, dataset, job.reading, stats)
    return JobPartial(_BIAS, None if counts is None else counts.to_bytes(), stats, predicted)


_COUNT: dict[str, Callable[[Mapping[str, str], _Inputs, ReadStats], JobPartial]] = {
    _DATA_QUALITY: _count_data_quality,
    _MODEL_QUALITY: _count_model_quality,
    _BIAS: _count_bias,
}


def _caught(analysis: str) -> tuple[type[Exception], ...]:
    """The errors that fail a job of ``analysis`` (others propagate, as from the entry points)."""
    return (JobError, ValueError) if analysis == _BIAS else (JobError, ValueError, OSError)


def partial_job(mode: str, environment: Mapping[str, str], input_dirs: _Inputs) -> bytes:
    """The partial of the dataset files ``input_dirs`` holds, as bytes for :func:`finalize_job`.

    :param mode: :data:`ANALYZER` (data or model quality, by ``analysis_type``) or :data:`CLARIFY` (bias).
    :param environment: the job's ``Environment``, as the entry point reads it.
    :param input_dirs: container path prefix -> local directory holding that input: the shard's dataset
        files, and what counting reads besides (the baseline statistics that name unnamed data-quality
        columns, the bias analysis config).
    """
    analysis = _analysis(mode, environment)
    stats = ReadStats()
    try:
        return _COUNT[analysis](environment, input_dirs, stats).to_bytes()
    except _caught(analysis) as error:
        return JobPartial(analysis, None, stats, failure=failure_reason(error, analysis == _BIAS)).to_bytes()


def failed_partial(mode: str, environment: Mapping[str, str], reason: str) -> bytes:
    """The partial of a shard whose job failed before it could count (e.g. in its ground-truth merge):
    :func:`finalize_job` then fails with ``reason``.

    :param mode: as for :func:`partial_job`.
    :param environment: the job's ``Environment``.
    :param reason: the ``FailureReason``.
    """
    return JobPartial(_analysis(mode, environment), failure=reason).to_bytes()


def _merged_stats(parts: Iterable[JobPartial]) -> ReadStats:
    """What all the shards read."""
    stats = ReadStats()
    for part in parts:
        stats.records += part.read.records
        stats.skipped_out_of_window += part.read.skipped_out_of_window
        stats.malformed.update(part.read.malformed)
    return stats


def _merged_data_quality(counts: list[bytes]) -> DataQualityAccumulator | None:
    """The data-quality partials merged in order (None without any)."""
    from airflow_mm_provider.analysis.data_quality import DataQualityAccumulator

    merged = None
    for blob in counts:
        accumulator = DataQualityAccumulator.from_bytes(blob)
        if merged is None:
            merged = accumulator
        else:
            merged.merge(accumulator)
    return merged


def _merged_model_quality(counts: list[bytes]) -> ModelQualityAccumulator:
    """The model-quality partials merged in order (raises :class:`JobError` without any)."""
    from airflow_mm_provider.analysis.model_quality import ModelQualityAccumulator

    if not counts:
        raise JobError(NO_DATA)
    merged = ModelQualityAccumulator.from_bytes(counts[0])
    for blob in counts[1:]:
        merged.merge(ModelQualityAccumulator.from_bytes(blob))
    return merged


def _merged_bias(counts: list[bytes]) -> BiasPartial | None:
    """The bias partials merged (None without any)."""
    from airflow_mm_provider.analysis.bias_partial import BiasPartial, merge_partials

    return merge_partials(BiasPartial.from_bytes(blob) for blob in counts) if counts else None


def finalize_job(
    mode: str,
    environment: Mapping[str, str],
    shard_partials: Iterable[bytes],
    input_dirs: _Inputs,
    output_dir: Path,
) -> JobOutcome:
    """Merge the shards' partials in the given order and write the job's reports into ``output_dir``.

    :param mode: as for :func:`partial_job`.
    :param environment: the job's ``Environment`` (the same as the shards').
    :param shard_partials: what :func:`partial_job` returned for every shard.
    :param input_dirs: the job's inputs besides the dataset: baseline constraints and statistics, the bias
        analysis config and baseline ``analysis.json``.
    :param output_dir: where the reports go.
    :returns: the outcome :func:`~airflow_mm_provider.analysis.jobs.run_analyzer` or
        :func:`~airflow_mm_provider.analysis.jobs.run_clarify` gives for all the shards' files; its details
        hold what every shard read.
    :raises ~airflow_mm_provider.analysis.partials.PartialFormatError: on bytes that are not job partials, or
        partials of another analysis.
    """
    analysis = _analysis(mode, environment)
    parts = [JobPartial.from_bytes(blob) for blob in shard_partials]
    for part in parts:
        if part.analysis != analysis:
            raise partials.PartialFormatError(f"a {part.analysis} partial cannot finalize a {analysis} job")
    stats = _merged_stats(parts)
    failure = next((part.failure for part in parts if part.failure is not None), None)
    if failure is not None:
        return JobOutcome.failed(failure, {"read": stats.as_dict()})
    counts = [part.counts for part in parts if part.counts is not None]
    output = Path(output_dir)
    try:
        if analysis == _BIAS:
            job = ClarifyJob.from_environment(environment, input_dirs)
            counted = (_merged_bias(counts), any(part.predicted for part in parts))
            return bias_reports(job.config, counted, output, job.baseline_analysis(input_dirs), stats)
        if analysis == _MODEL_QUALITY:
            merged = _merged_model_quality(counts)
            return model_quality_reports(environment, input_dirs, merged, output, stats)
        return data_quality_reports(environment, input_dirs, _merged_data_quality(counts), output, stats)
    except _caught(analysis) as error:
        return JobOutcome.failed(failure_reason(error, analysis == _BIAS), {"read": stats.as_dict()})
