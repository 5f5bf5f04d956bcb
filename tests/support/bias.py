"""Bias-job inputs built from synthetic traffic: merged monitoring records, baseline CSVs and count tables."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from airflow_mm_provider.analysis.bias import BiasCounts, count_bias
from airflow_mm_provider.local.synthetic import FEATURES, Traffic, bias_analysis_config, bias_baseline_csv

HEADERS = [*FEATURES, "label"]
"""Columns of a monitoring row: the model inputs, then the ground-truth label."""


def merged_records(directory: Path, traffic: Traffic, predictions: np.ndarray | None = None) -> Path:
    """Write ``traffic`` as merged records (CSV input, ground truth, model output) and return the directory.

    :param directory: where ``part-00000.jsonl`` goes.
    :param traffic: the records.
    :param predictions: the model output per record (default: the traffic's probabilities, a score).
    """
    outputs = traffic.probabilities if predictions is None else predictions
    lines = []
    for index, (inputs, label, output) in enumerate(
        zip(traffic.inputs, traffic.labels, outputs, strict=True)
    ):
        record = {
            "eventMetadata": {"eventId": str(index)},
            "eventVersion": "0",
            "groundTruthData": {"data": str(int(label)), "encoding": "CSV"},
            "captureData": {
                "endpointInput": {"data": ",".join(repr(float(v)) for v in inputs), "encoding": "CSV"},
                "endpointOutput": {"data": repr(float(output)), "encoding": "CSV"},
            },
        }
        lines.append(json.dumps(record, separators=(",", ":")))
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "part-00000.jsonl").write_text("\n".join(lines) + "\n")
    return directory


def baseline_csv(directory: Path, traffic: Traffic) -> Path:
    """Write the Clarify baseline dataset of ``traffic`` (features, label, predicted label) as one CSV."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "baseline.csv").write_text(bias_baseline_csv(traffic))
    return directory


def counts(
    traffic: Traffic, predictions: np.ndarray | None = None, config: dict[str, Any] | None = None
) -> BiasCounts:
    """Count ``traffic`` for the synthetic model's bias config (facet ``group`` = 0, label 1 positive).

    :param traffic: the records.
    :param predictions: predicted labels per record (default: the traffic's, at the 0.5 threshold).
    :param config: the analysis config (default: :func:`bias_analysis_config`).
    """
    rows = np.column_stack([traffic.inputs, traffic.labels]).tolist()
    predicted = traffic.predictions if predictions is None else predictions
    return count_bias(config or bias_analysis_config(), rows, HEADERS, predicted_labels=predicted.tolist())


def metric_values(document: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """``{(section, metric name): value}`` of the first facet selection of every section of an analysis."""
    values = {}
    for section in ("pre_training_bias_metrics", "post_training_bias_metrics"):
        for selections in document.get(section, {}).get("facets", {}).values():
            for metric in selections[0]["metrics"]:
                values[(section, metric["name"])] = metric["value"]
    return values
