"""Synthetic data for the demo and the end-to-end tests: an endpoint, its traffic, batch output, baselines.

Everything is deterministic (seeded) and built with :mod:`airflow_mm_provider.local.synthetic`. The story:
the deployed model (``v1``) serves healthy traffic for a while, then the world changes: predictions degrade
(a share of scores flipped) and one group (``group == 0``) gets far fewer positive predictions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from airflow_mm_provider.local.synthetic import (
    Degradation,
    Traffic,
    bias_baseline_csv,
    data_quality_baseline_csv,
    hour_files,
    make_traffic,
    model_quality_baseline_csv,
)
from airflow_mm_provider.monitoring.paths import join_s3
from mm_examples import ExampleSettings
from mm_examples.monitors import DATA_QUALITY, MODEL_BIAS, MODEL_QUALITY, validation_dataset

RECORDS = 1000
"""Records per hour (and in each model-quality validation set)."""
BIAS_VALIDATION_RECORDS = 5000
"""Records in each bias validation set: a bias baseline of one hour's size is as noisy as the hour it judges,
so fresh healthy hours would often look worse than it (measured: 85.5 % of fresh healthy hours pass against
1000 baseline records, 96 % against 5000; ``tests/fidelity/test_bias_drift_rates.py``)."""
V1_SEED = 7
"""Seed of the deployed model's validation predictions (the baselines read them; no hour replays them)."""
RETRAINED_SEED = 8
"""Seed of the retrained model's validation predictions (``mm_retraining`` writes them)."""
HOUR_SEEDS = range(101, 111)
"""Seeds of the demo's hours: each hour is a fresh sample of the healthy distribution (then bent by any
degradation), never the validation records the baselines were computed from."""
DRIFT = Degradation(flip_fraction=0.3, facet_value=0, facet_scale=0.3)
"""The degraded traffic: 30 % of scores flipped and the watched group's scores cut to 30 %."""


@dataclass(frozen=True)
class Hour:
    """One hour of traffic: its start, the seed of its records and how it departs from healthy traffic.

    :param start: the hour's start (UTC).
    :param seed: seed of the records.
    :param degradation: None for healthy traffic.
    """

    start: datetime
    seed: int
    degradation: Degradation | None = None

    def traffic(self) -> Traffic:
        """The hour's records."""
        return make_traffic(RECORDS, self.seed, self.degradation)


def put_objects(s3: Any, objects: dict[str, bytes | str]) -> None:
    """Upload ``{s3 uri: body}`` with a boto3 S3 client."""
    for uri, body in objects.items():
        bucket, key = uri[len("s3://") :].split("/", 1)
        s3.put_object(Bucket=bucket, Key=key, Body=body.encode() if isinstance(body, str) else body)


def create_endpoint(sagemaker: Any, settings: ExampleSettings) -> None:
    """An endpoint capturing every request and response to ``settings.capture_prefix``."""
    config = f"{settings.endpoint_name}-config"
    sagemaker.create_endpoint_config(
        EndpointConfigName=config,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": f"{settings.endpoint_name}-model",
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
            }
        ],
        DataCaptureConfig={
            "EnableCapture": True,
            "InitialSamplingPercentage": 100,
            "DestinationS3Uri": settings.capture_prefix,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        },
    )
    sagemaker.create_endpoint(EndpointName=settings.endpoint_name, EndpointConfigName=config)


def validation_objects(settings: ExampleSettings, version: str, seed: int) -> dict[str, bytes | str]:
    """A model version's validation predictions (and inputs, for data quality), as its baseline jobs read
    them."""
    return {
        validation_dataset(settings, version, DATA_QUALITY): data_quality_baseline_csv(
            make_traffic(RECORDS, seed)
        ),
        validation_dataset(settings, version, MODEL_QUALITY): model_quality_baseline_csv(
            make_traffic(RECORDS, seed)
        ),
        validation_dataset(settings, version, MODEL_BIAS): bias_baseline_csv(
            make_traffic(BIAS_VALIDATION_RECORDS, seed)
        ),
    }


def endpoint_objects(settings: ExampleSettings, hour: Hour) -> dict[str, bytes | str]:
    """Captured requests of one hour and their ground-truth labels."""
    files = hour_files(
        hour.traffic(),
        hour.start,
        hour.seed * 1000 + hour.start.hour,
        destination=settings.capture_prefix,
        endpoint=settings.endpoint_name,
        ground_truth=settings.ground_truth_prefix,
    )
    return dict(files.objects)


def batch_objects(settings: ExampleSettings, hour: Hour) -> dict[str, bytes | str]:
    """One hour of captured batch-transform output (manifest + CSV with inference ids) and its labels.

    The output rows are ``score,SageMakerInferenceId,SageMakerInferenceTime``; the manifest under
    ``<batch capture>/output/yyyy/mm/dd/hh/`` lists the output file, as batch data capture writes it.
    """
    traffic = hour.traffic()
    seed = hour.seed * 1000 + hour.start.hour + 500
    files = hour_files(
        traffic,
        hour.start,
        seed,
        destination=settings.batch_capture_prefix,
        endpoint="batch",
        ground_truth=settings.batch_ground_truth_prefix,
    )
    step = timedelta(hours=1) / len(traffic)
    rows = [
        f"{float(p)!r},{inference_id},{(hour.start + i * step):%Y-%m-%dT%H:%M:%SZ}"
        for i, (p, inference_id) in enumerate(zip(traffic.probabilities, files.inference_ids, strict=True))
    ]
    output_prefix = settings.uri("batch-transform-output", f"{hour.start:%Y%m%d%H}") + "/"
    manifest = [{"prefix": output_prefix}, "predictions.csv.out"]
    folder = join_s3(settings.batch_capture_prefix, "output", f"{hour.start:%Y/%m/%d/%H}")
    return {
        f"{output_prefix}predictions.csv.out": "\n".join(rows) + "\n",
        join_s3(folder, "manifest.json"): json.dumps(manifest),
        **files.ground_truth,
    }
