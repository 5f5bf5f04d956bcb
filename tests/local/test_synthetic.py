"""Synthetic traffic: determinism, degradations, S3 layouts and record shapes."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import numpy as np

from airflow_mm_provider.local.synthetic import (
    FACET,
    FEATURES,
    Degradation,
    bias_analysis_config,
    bias_baseline_csv,
    data_quality_baseline_csv,
    hour_files,
    hours,
    make_traffic,
    model_quality_baseline_csv,
)

HOUR = datetime(2024, 3, 5, 7, tzinfo=timezone.utc)
CAPTURE_KEY = re.compile(
    r"^s3://b/capture/ep/AllTraffic/2024/03/05/07/\d{2}-\d{2}-\d{3}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-"
    r"[89ab][0-9a-f]{3}-[0-9a-f]{12}\.jsonl$"
)


def accuracy(seed: int, degradation: Degradation | None = None) -> float:
    traffic = make_traffic(3000, seed, degradation)
    return float(np.mean(traffic.predictions == traffic.labels))


def test_same_seed_same_traffic_and_files() -> None:
    first, second = make_traffic(200, 7), make_traffic(200, 7)
    assert np.array_equal(first.inputs, second.inputs) and np.array_equal(first.labels, second.labels)
    assert not np.array_equal(first.probabilities, make_traffic(200, 8).probabilities)
    files = [hour_files(first, HOUR, 3, destination="s3://b/capture", endpoint="ep") for _ in range(2)]
    assert files[0].capture == files[1].capture


def test_healthy_traffic_is_accurate_and_balanced() -> None:
    traffic = make_traffic(3000, 1)
    assert traffic.inputs.shape == (3000, len(FEATURES))
    assert accuracy(1) > 0.85
    assert 0.35 < traffic.labels.mean() < 0.65
    assert set(np.unique(traffic.inputs[:, FEATURES.index(FACET)])) == {0.0, 1.0}


def test_flipped_predictions_lower_accuracy() -> None:
    assert accuracy(1, Degradation(flip_fraction=0.3)) < accuracy(1) - 0.2


def test_facet_shift_lowers_positive_predictions_of_that_facet_only() -> None:
    healthy, shifted = (
        make_traffic(3000, 1),
        make_traffic(3000, 1, Degradation(facet_value=0, facet_scale=0.2)),
    )
    facet = healthy.inputs[:, FEATURES.index(FACET)]
    assert shifted.predictions[facet == 0].mean() < healthy.predictions[facet == 0].mean() / 2
    assert np.array_equal(shifted.predictions[facet == 1], healthy.predictions[facet == 1])
    assert np.array_equal(shifted.labels, healthy.labels)


def test_extra_column_and_drift() -> None:
    healthy = make_traffic(3000, 1)
    drifted = make_traffic(3000, 1, Degradation(extra_column=True, drift={"income": 2.0}))
    assert drifted.inputs.shape == (3000, len(FEATURES) + 1)
    column = FEATURES.index("income")
    assert abs(drifted.inputs[:, column].mean() - healthy.inputs[:, column].mean() - 30.0) < 0.01
    assert np.array_equal(drifted.inputs[:, 0], healthy.inputs[:, 0])


def test_capture_files_use_the_real_layout_and_record_shape() -> None:
    traffic = make_traffic(25, 1)
    files = hour_files(traffic, HOUR, 9, destination="s3://b/capture", endpoint="ep", records_per_file=10)
    assert len(files.capture) == 3 and all(CAPTURE_KEY.match(uri) for uri in files.capture)
    records = [json.loads(line) for body in files.capture.values() for line in body.decode().splitlines()]
    assert len(records) == 25 and not files.ground_truth
    first = records[0]
    assert first["eventVersion"] == "0"
    assert set(first["eventMetadata"]) == {"eventId", "inferenceId", "inferenceTime"}
    assert [r["eventMetadata"]["inferenceId"] for r in records] == files.inference_ids
    times = [r["eventMetadata"]["inferenceTime"] for r in records]
    assert times == sorted(times) and all(t.startswith("2024-03-05T07:") and t.endswith("Z") for t in times)
    endpoint_input = first["captureData"]["endpointInput"]
    assert endpoint_input["encoding"] == "CSV" and endpoint_input["mode"] == "INPUT"
    assert len(endpoint_input["data"].split(",")) == len(FEATURES)
    assert float(first["captureData"]["endpointOutput"]["data"]) == traffic.probabilities[0]
    for uri, body in files.capture.items():
        first_time = json.loads(body.decode().splitlines()[0])["eventMetadata"]["inferenceTime"]
        minute, second, millis = uri.rsplit("/", 1)[1].split("-")[:3]
        assert first_time[14:23] == f"{minute}:{second}.{millis}"


def test_ground_truth_is_keyed_by_inference_id_in_its_collection_hour() -> None:
    traffic = make_traffic(12, 2)
    files = hour_files(
        traffic,
        HOUR,
        4,
        destination="s3://b/capture",
        endpoint="ep",
        ground_truth="s3://b/gt",
        ground_truth_delay=timedelta(hours=2, minutes=3),
    )
    [(uri, body)] = files.ground_truth.items()
    assert uri == "s3://b/gt/2024/03/05/09/0300.jsonl"
    records = [json.loads(line) for line in body.decode().splitlines()]
    assert [r["eventMetadata"]["eventId"] for r in records] == files.inference_ids
    assert [int(r["groundTruthData"]["data"]) for r in records] == traffic.labels.tolist()
    assert all(r["groundTruthData"]["encoding"] == "CSV" for r in records)
    assert set(files.objects) == set(files.capture) | set(files.ground_truth)


def test_baseline_datasets_have_headers_and_one_row_per_record() -> None:
    traffic = make_traffic(5, 3)
    mq = model_quality_baseline_csv(traffic).splitlines()
    assert mq[0] == "probability,prediction,label" and len(mq) == 6
    probability, prediction, label = mq[1].split(",")
    assert int(prediction) == int(float(probability) >= 0.5) and int(label) == traffic.labels[0]
    dq = data_quality_baseline_csv(traffic).splitlines()
    assert dq[0] == ",".join(FEATURES) and len(dq) == 6
    bias = bias_baseline_csv(traffic).splitlines()
    assert bias[0] == ",".join([*FEATURES, "label", "prediction"]) and len(bias[1].split(",")) == 6


def test_bias_analysis_config_names_the_facet_and_label_last() -> None:
    config = bias_analysis_config(facet_value=1)
    assert config["headers"] == [*FEATURES, "label"]
    assert config["facet"] == [{"name_or_index": FACET, "value_or_threshold": [1]}]


def test_hours() -> None:
    assert hours(HOUR, 3) == [HOUR, HOUR + timedelta(hours=1), HOUR + timedelta(hours=2)]
