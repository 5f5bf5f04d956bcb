"""Deterministic synthetic traffic for a binary classifier: capture records, ground truth and baselines.

Pure helpers (no I/O): they return file contents keyed by S3 URI, in the layouts the real service uses:
captured records at ``<dest>/<endpoint>/<variant>/yyyy/mm/dd/hh/<MM>-<SS>-<mmm>-<uuid>.jsonl`` and ground
truth at ``<gt>/yyyy/mm/dd/hh/<MMSS>.jsonl``. Every output is a function of the seed.

The model: features ``age``, ``income``, ``tenure`` (numeric) and ``group`` (0/1, the bias facet); the true
label follows a logistic function of the features and the model's probability is a noisy estimate of it.
:class:`Degradation` bends one hour of traffic: flipped predictions (accuracy), fewer positive predictions
for one facet value (bias), an extra input column and a shifted feature (data quality).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from airflow_mm_provider.monitoring.paths import capture_prefix, ground_truth_prefix, join_s3

FEATURES = ("age", "income", "tenure", "group")
FACET = "group"
MODEL_QUALITY_HEADER = ("probability", "prediction", "label")
THRESHOLD = 0.5
_WEIGHTS = np.array([0.9, 1.4, -1.1, 0.6])
_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Degradation:
    """How one hour of traffic differs from healthy traffic.

    :param flip_fraction: share of records whose model probability is inverted (``1 - p``): lowers accuracy.
    :param facet_value: the value of :data:`FACET` whose records get ``facet_scale`` (None: no bias shift).
    :param facet_scale: factor on the probability of those records (below 1: fewer positive predictions).
    :param extra_column: append one more column to every captured input row.
    :param drift: feature name -> shift of that feature, in standard deviations of healthy traffic.
    """

    flip_fraction: float = 0.0
    facet_value: int | None = None
    facet_scale: float = 0.2
    extra_column: bool = False
    drift: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Traffic:
    """Records of one batch: inputs (rows of :data:`FEATURES`, plus any extra column), labels, probabilities.

    :param inputs: model input rows as captured (n x features).
    :param labels: ground-truth labels, 0 or 1.
    :param probabilities: model output probabilities of label 1.
    """

    inputs: np.ndarray
    labels: np.ndarray
    probabilities: np.ndarray

    @property
    def predictions(self) -> np.ndarray:
        """Predicted labels at :data:`THRESHOLD` (positive at or above it)."""
        return (self.probabilities >= THRESHOLD).astype(int)

    def __len__(self) -> int:
        """Number of records."""
        return len(self.labels)


def make_traffic(count: int, seed: int, degradation: Degradation | None = None) -> Traffic:
    """``count`` records drawn with ``seed``, bent by ``degradation`` (healthy when None).

    :param count: number of records.
    :param seed: random seed; the same seed gives the same records.
    :param degradation: how this traffic departs from healthy traffic.
    """
    rng = np.random.default_rng(seed)
    spec = degradation or Degradation()
    age = rng.normal(40.0, 10.0, count).round(0)
    income = rng.normal(50.0, 15.0, count).round(2)
    tenure = rng.exponential(5.0, count).round(2)
    group = rng.integers(0, 2, count)
    features = np.column_stack([age, income, tenure, group]).astype(float)
    standard = (features - [40.0, 50.0, 5.0, 0.5]) / [10.0, 15.0, 5.0, 0.5]
    logit = standard @ _WEIGHTS
    labels = (rng.random(count) < _sigmoid(2.5 * logit)).astype(int)
    probabilities = _sigmoid(2.5 * logit + rng.normal(0.0, 0.6, count))
    flips = rng.random(count) < spec.flip_fraction
    probabilities = np.where(flips, 1.0 - probabilities, probabilities)
    if spec.facet_value is not None:
        probabilities = np.where(group == spec.facet_value, probabilities * spec.facet_scale, probabilities)
    scale = {"age": 10.0, "income": 15.0, "tenure": 5.0, "group": 0.5}
    for name, shift in spec.drift.items():
        column = FEATURES.index(name)
        features[:, column] = (features[:, column] + shift * scale[name]).round(2)
    if spec.extra_column:
        features = np.column_stack([features, rng.normal(0.0, 1.0, count).round(3)])
    return Traffic(features, labels, probabilities.round(6))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """The logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


def _csv_row(values: np.ndarray) -> str:
    """A row of numbers as CSV (integral values without a decimal point)."""
    return ",".join(str(int(v)) if float(v).is_integer() else repr(float(v)) for v in values)


def _uuid(rng: np.random.Generator) -> str:
    """A random (seeded) version-4 UUID."""
    return str(uuid.UUID(bytes=rng.bytes(16), version=4))


def _iso(t: datetime) -> str:
    """``2024-01-01T00:21:48.123Z``-style time, as captured records carry it."""
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class HourFiles:
    """One hour of traffic as S3 objects.

    :param capture: S3 URI -> JSON Lines body of captured records.
    :param ground_truth: S3 URI -> JSON Lines body of ground-truth records.
    :param inference_ids: the ``inferenceId`` of each record, in traffic order.
    """

    capture: dict[str, bytes]
    ground_truth: dict[str, bytes]
    inference_ids: list[str]

    @property
    def objects(self) -> dict[str, bytes]:
        """Every object, capture and ground truth."""
        return {**self.capture, **self.ground_truth}


def hour_files(
    traffic: Traffic,
    hour: datetime,
    seed: int,
    *,
    destination: str,
    endpoint: str,
    ground_truth: str | None = None,
    variant: str = "AllTraffic",
    records_per_file: int = 500,
    ground_truth_delay: timedelta = timedelta(0),
) -> HourFiles:
    """Spread ``traffic`` over the hour starting at ``hour`` as capture (and ground-truth) files.

    :param traffic: the records.
    :param hour: the invocation hour (its start, timezone-aware UTC).
    :param seed: seeds event ids, inference ids and inference times.
    :param destination: ``DataCaptureConfig.DestinationS3Uri``.
    :param endpoint: the endpoint name.
    :param ground_truth: ``GroundTruthS3Input.S3Uri`` prefix (None: no ground truth).
    :param variant: the production variant.
    :param records_per_file: captured records per file (files start at the time of their first record).
    :param ground_truth_delay: how long after the hour the labels are collected (their hour folder).
    """
    rng = np.random.default_rng(seed)
    count = len(traffic)
    offsets = np.sort(rng.integers(0, 3_600_000, count))
    times = [hour + timedelta(milliseconds=int(ms)) for ms in offsets]
    event_ids = [_uuid(rng) for _ in range(count)]
    inference_ids = [_uuid(rng) for _ in range(count)]
    capture: dict[str, bytes] = {}
    for first in range(0, count, records_per_file):
        last = min(first + records_per_file, count)
        lines = [
            _capture_line(
                traffic.inputs[i], traffic.probabilities[i], event_ids[i], inference_ids[i], times[i]
            )
            for i in range(first, last)
        ]
        start = times[first]
        name = f"{start:%M-%S}-{start.microsecond // 1000:03d}-{_uuid(rng)}.jsonl"
        capture[join_s3(capture_prefix(destination, endpoint, variant, start), name)] = _lines(lines)
    truths: dict[str, bytes] = {}
    if ground_truth is not None:
        collected = hour + ground_truth_delay
        lines = [_ground_truth_line(inference_ids[i], int(traffic.labels[i])) for i in range(count)]
        key = join_s3(ground_truth_prefix(ground_truth, collected), f"{collected:%M%S}.jsonl")
        truths[key] = _lines(lines)
    return HourFiles(capture, truths, inference_ids)


def _lines(lines: list[str]) -> bytes:
    """JSON Lines body."""
    return ("\n".join(lines) + "\n").encode()


def _capture_line(
    inputs: np.ndarray, probability: float, event_id: str, inference_id: str, t: datetime
) -> str:
    """One captured inference (CSV in, CSV out)."""
    return json.dumps(
        {
            "captureData": {
                "endpointInput": {
                    "observedContentType": "text/csv",
                    "mode": "INPUT",
                    "data": _csv_row(inputs),
                    "encoding": "CSV",
                },
                "endpointOutput": {
                    "observedContentType": "text/csv; charset=utf-8",
                    "mode": "OUTPUT",
                    "data": repr(float(probability)),
                    "encoding": "CSV",
                },
            },
            "eventMetadata": {"eventId": event_id, "inferenceId": inference_id, "inferenceTime": _iso(t)},
            "eventVersion": "0",
        },
        separators=(",", ":"),
    )


def _ground_truth_line(inference_id: str, label: int) -> str:
    """One ground-truth record keyed by the inference id."""
    return json.dumps(
        {
            "groundTruthData": {"data": str(label), "encoding": "CSV"},
            "eventMetadata": {"eventId": inference_id},
            "eventVersion": "0",
        },
        separators=(",", ":"),
    )


def model_quality_baseline_csv(traffic: Traffic) -> str:
    """Baseline dataset for model quality: header ``probability,prediction,label`` then one row per record."""
    rows = [",".join(MODEL_QUALITY_HEADER)]
    rows += [
        f"{float(p)!r},{int(y_hat)},{int(y)}"
        for p, y_hat, y in zip(traffic.probabilities, traffic.predictions, traffic.labels, strict=True)
    ]
    return "\n".join(rows) + "\n"


def data_quality_baseline_csv(traffic: Traffic) -> str:
    """Baseline dataset for data quality: the model inputs with a header of :data:`FEATURES`."""
    return "\n".join([",".join(FEATURES), *(_csv_row(row) for row in traffic.inputs)]) + "\n"


def bias_baseline_csv(traffic: Traffic, label: str = "label", predicted: str = "prediction") -> str:
    """Baseline dataset for Clarify bias: :data:`FEATURES`, label and predicted label, with a header."""
    rows = [",".join([*FEATURES, label, predicted])]
    rows += [
        f"{_csv_row(x)},{int(y)},{int(y_hat)}"
        for x, y, y_hat in zip(traffic.inputs, traffic.labels, traffic.predictions, strict=True)
    ]
    return "\n".join(rows) + "\n"


def bias_analysis_config(label: str = "label", facet_value: int = 0) -> dict[str, object]:
    """The monitoring ``analysis_config.json`` of a bias job on :data:`FACET` (headers: features, label)."""
    return {
        "version": "1.0",
        "headers": [*FEATURES, label],
        "label": label,
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": FACET, "value_or_threshold": [facet_value]}],
    }


def hours(start: datetime, count: int) -> list[datetime]:
    """``count`` consecutive hour starts from ``start``."""
    return [start + _HOUR * i for i in range(count)]
