"""What the example DAGs share: their settings, the demo model's columns, and Airflow 2/3 imports.

Settings come from the Airflow Variable ``mm_examples`` (a JSON object), read from its environment form
``AIRFLOW_VAR_MM_EXAMPLES`` when the DAG file is parsed, so parsing never touches the metadata database.
Every key is optional; the defaults fit the local service (``mm-local serve``) and the demo.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields
from typing import Any

try:  # Airflow 3: the standard provider and the task SDK
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.providers.standard.operators.trigger_dagrun import TriggerDagRunOperator
    from airflow.sdk.definitions.timetables.interval import CronDataIntervalTimetable
except ImportError:  # Airflow 2.11
    from airflow.operators.empty import EmptyOperator  # type: ignore[no-redef]
    from airflow.operators.trigger_dagrun import TriggerDagRunOperator  # type: ignore[no-redef]
    from airflow.timetables.interval import CronDataIntervalTimetable  # type: ignore[no-redef]

__all__ = [
    "BIAS_MONITORING_CONFIG",
    "FACET",
    "FEATURES",
    "MODEL_VERSION",
    "SETTINGS_VARIABLE",
    "CronDataIntervalTimetable",
    "EmptyOperator",
    "ExampleSettings",
    "TriggerDagRunOperator",
    "load_settings",
]

SETTINGS_VARIABLE = "mm_examples"
"""The Airflow Variable (JSON) holding the settings; read at parse time from ``AIRFLOW_VAR_MM_EXAMPLES``."""
MODEL_VERSION_VARIABLE = "mm_model_version"
"""The Airflow Variable naming the deployed model version; the retraining DAG sets it."""
MODEL_VERSION = "{{ var.value.get('mm_model_version', 'v1') }}"
"""Template of the deployed model version (``v1`` until a retraining run sets the Variable)."""

FEATURES = ("age", "income", "tenure", "group")
"""The demo model's input columns, in capture order."""
FACET = "group"
"""The sensitive column the bias monitor watches; members with value 0 form the watched group."""
BIAS_MONITORING_CONFIG: dict[str, Any] = {
    "version": "1.0",
    "headers": [*FEATURES, "label"],
    "label": "label",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": FACET, "value_or_threshold": [0]}],
}
"""The Clarify ``analysis_config.json`` the bias monitor runs with (features, then the ground-truth label)."""


@dataclass(frozen=True)
class ExampleSettings:
    """Where the example DAGs point and how they wait.

    :param endpoint_name: the SageMaker endpoint whose captured traffic is monitored.
    :param bucket: S3 bucket for datasets, baselines, ground truth and reports.
    :param role_arn: IAM role SageMaker assumes to run processing jobs.
    :param region: AWS region (None: the connection's).
    :param aws_conn_id: Airflow AWS connection.
    :param capture_prefix: ``DataCaptureConfig.DestinationS3Uri`` of the endpoint.
    :param batch_capture_prefix: ``DataCaptureConfig.DestinationS3Uri`` of the batch-transform jobs.
    :param poke_interval: seconds between two looks for an execution (sensors and one-time checks).
    :param check_interval: seconds between two status checks of a baseline job.
    :param deferrable: wait in the triggerer instead of a worker slot.
    """

    endpoint_name: str = "churn-endpoint"
    bucket: str = "mm-demo"
    role_arn: str = "arn:aws:iam::111122223333:role/ModelMonitorRole"
    region: str | None = "us-east-1"
    aws_conn_id: str = "mm_local"
    capture_prefix: str = ""
    batch_capture_prefix: str = ""
    poke_interval: float = 300.0
    check_interval: int = 60
    deferrable: bool = True

    def __post_init__(self) -> None:
        """Default the capture prefixes to the bucket."""
        if not self.capture_prefix:
            object.__setattr__(self, "capture_prefix", self.uri("capture"))
        if not self.batch_capture_prefix:
            object.__setattr__(self, "batch_capture_prefix", self.uri("batch-capture"))

    def uri(self, *parts: str) -> str:
        """``s3://<bucket>/<parts joined by />``."""
        return "/".join([f"s3://{self.bucket}", *parts])

    @property
    def ground_truth_prefix(self) -> str:
        """Where the ground-truth labels land (``yyyy/mm/dd/hh/*.jsonl`` below)."""
        return self.uri("ground-truth")

    @property
    def batch_ground_truth_prefix(self) -> str:
        """Where the ground-truth labels of the batch-transform predictions land."""
        return self.uri("batch-ground-truth")

    @property
    def reports_prefix(self) -> str:
        """Where the monitoring reports go."""
        return self.uri("reports")

    def schedule_name(self, kind: str) -> str:
        """The monitoring schedule of one monitor of the endpoint, e.g. ``churn-endpoint-model-quality``."""
        return f"{self.endpoint_name}-{kind}"

    def model_prefix(self, version: str) -> str:
        """Where one model version keeps its validation predictions and baselines."""
        return self.uri("models", version)

    @property
    def aws(self) -> dict[str, Any]:
        """The connection arguments every provider operator takes."""
        return {"aws_conn_id": self.aws_conn_id, "region_name": self.region}


def load_settings(environ: dict[str, str] | None = None) -> ExampleSettings:
    """The settings: defaults overridden by the keys of the ``mm_examples`` Variable's JSON.

    :param environ: the environment to read (default ``os.environ``).
    """
    text = (os.environ if environ is None else environ).get(f"AIRFLOW_VAR_{SETTINGS_VARIABLE.upper()}")
    if not text:
        return ExampleSettings()
    given = json.loads(text)
    known = {f.name for f in fields(ExampleSettings)}
    unknown = sorted(set(given) - known)
    if unknown:
        raise ValueError(f"Variable {SETTINGS_VARIABLE}: unknown keys {unknown}; known: {sorted(known)}")
    return ExampleSettings(**given)
