"""Which prediction attributes a model-quality monitor needs for its problem type.

The model-quality analyzer compares a prediction with each ground-truth label. Regression and multiclass
classification read the predicted value or label (the inference attribute); binary classification reads it
too, or derives it from the probability attribute and the probability threshold. The same rules apply to the
``Environment`` of a baselining job and to the captured-data input of a job definition.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from airflow_mm_provider.monitoring.checks import fail
from airflow_mm_provider.monitoring.rules import rule

BINARY_CLASSIFICATION = "BinaryClassification"

_SDK = "SageMaker Python SDK"
_SOLUTION = "AWS Solutions mlops-workload-orchestrator baselines_helper.py"
_FIELDS = (
    "Environment.inference_attribute / probability_attribute / probability_threshold_attribute (baselining "
    "jobs); ModelQualityJobInput.<input>.InferenceAttribute / ProbabilityAttribute / "
    "ProbabilityThresholdAttribute (job definitions)"
)

PREDICTION_ATTRIBUTE = rule(
    "model-quality-prediction-attribute",
    _FIELDS,
    "needs an inference attribute or a probability attribute: the analyzer compares a prediction with the "
    "label",
    f"{_SDK} ModelQualityMonitor.suggest_baseline; DG model-monitor-model-quality-baseline; {_SOLUTION} "
    "(refuses a model-quality baseline with neither)",
)
INFERENCE_REQUIRED = rule(
    "model-quality-inference-attribute",
    _FIELDS + " with ProblemType Regression or MulticlassClassification",
    "is required for Regression and MulticlassClassification: a probability attribute alone serves binary "
    "classification only",
    f"{_SOLUTION}: regression and multiclass require inference_attribute, probability_attribute serves "
    "binary classification only; not documented whether the service itself refuses it (a regression job "
    "without one fails with 'Job inputs had no data')",
)
THRESHOLD_BINARY_ONLY = rule(
    "probability-threshold-binary-only",
    _FIELDS + " with ProblemType Regression or MulticlassClassification",
    "applies to BinaryClassification only: it turns a probability into the positive or negative label",
    f"botocore SageMaker service model: ProbabilityThresholdAttribute is the cut-off for a positive result; "
    f"{_SOLUTION}: used with BinaryClassification only; not documented whether the service refuses it",
)


class PredictionFields(NamedTuple):
    """The field paths named in errors.

    :param inference: path of the inference attribute.
    :param probability: path of the probability attribute.
    :param threshold: path of the probability threshold.
    """

    inference: str
    probability: str
    threshold: str


def _given(value: Any) -> bool:
    return value is not None and value != ""


def check_prediction_attributes(
    problem_type: str, inference: Any, probability: Any, threshold: Any, fields: PredictionFields
) -> None:
    """Check the prediction attributes of a model-quality monitor suit its problem type.

    :param problem_type: ``BinaryClassification``, ``MulticlassClassification`` or ``Regression``.
    :param inference: the inference attribute, or None.
    :param probability: the probability attribute, or None.
    :param threshold: the probability threshold, or None.
    :param fields: the paths of the three members, named in errors.
    """
    if not _given(inference) and not _given(probability):
        fail(fields.inference, PREDICTION_ATTRIBUTE)
    if problem_type == BINARY_CLASSIFICATION:
        return
    if not _given(inference):
        fail(fields.inference, INFERENCE_REQUIRED, f"{problem_type} with only {fields.probability}")
    if threshold is not None:
        fail(fields.threshold, THRESHOLD_BINARY_ONLY, threshold)
