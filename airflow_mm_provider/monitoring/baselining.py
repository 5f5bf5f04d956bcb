"""Baseline (suggest) processing jobs of the four monitor types, shaped as the SageMaker Python SDK does.

Data quality and model quality run the Model Monitor analyzer, as ``DefaultModelMonitor.suggest_baseline``
and ``ModelQualityMonitor.suggest_baseline`` do: input ``baseline_dataset_input`` (plus optional processor
scripts), output ``monitoring_output``, and the container configured through ``Environment``
(``dataset_format``, ``dataset_source``, ``output_path``, ``publish_cloudwatch_metrics``; model quality
adds ``analysis_type``, ``problem_type`` and the attribute names). Model bias and model explainability run
SageMaker Clarify, as the SDK's Clarify processor does: inputs ``dataset`` and ``analysis_config`` (the
``analysis_config.json`` that the caller uploads to :func:`analysis_config_uri`), output ``analysis_result``.

Builders validate every value and raise :class:`MonitoringValidationError` naming the request field (or the
``Environment`` / ``analysis_config`` key) and the rule. The results are plain ``CreateProcessingJob`` keyword
arguments and plain ``analysis_config.json`` dicts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow_mm_provider.monitoring import checks
from airflow_mm_provider.monitoring.checks import check_object, fail, join, require
from airflow_mm_provider.monitoring.inputs import (
    OUTPUT_LOCAL_PATH,
    ClusterResources,
    DatasetFormat,
    NetworkConfig,
    Tags,
    validate_dataset_format,
    validate_network_config,
    validate_resources,
    without_none,
)
from airflow_mm_provider.monitoring.job_definitions import PROBLEM_TYPE, PROBLEM_TYPES
from airflow_mm_provider.monitoring.paths import ANALYSIS_FILE, CONSTRAINTS_FILE, STATISTICS_FILE, join_s3
from airflow_mm_provider.monitoring.prediction_attributes import PredictionFields, check_prediction_attributes
from airflow_mm_provider.monitoring.rules import rule
from airflow_mm_provider.monitoring.tolerance import SUGGESTED_FOLDER
from airflow_mm_provider.monitoring.types import MONITORING_TYPE, MONITORING_TYPES
from airflow_mm_provider.monitoring.value_objects import ValueObject

_SDK = "SageMaker Python SDK"

ANALYZER_BASELINE_TYPES = ("DataQuality", "ModelQuality")
CLARIFY_BASELINE_TYPES = ("ModelBias", "ModelExplainability")

INPUT_ROOT = "/opt/ml/processing/input"
BASELINE_DATASET_INPUT = "baseline_dataset_input"
RECORD_PREPROCESSOR_INPUT = "record_preprocessor_script_input"
POST_ANALYTICS_PROCESSOR_INPUT = "post_analytics_processor_script_input"
ANALYZER_OUTPUT = "monitoring_output"
CLARIFY_DATASET_INPUT = "dataset"
CLARIFY_DATASET_PATH = f"{INPUT_ROOT}/data"
CLARIFY_CONFIG_INPUT = "analysis_config"
CLARIFY_CONFIG_PATH = f"{INPUT_ROOT}/config"
CLARIFY_OUTPUT = "analysis_result"
ANALYSIS_CONFIG_FILE = "analysis_config.json"

CONTAINER_FORMATS = ("csv", "json", "parquet", "sagemakerCaptureJson")
CSV_COLUMN_POSITIONS = ("START", "END")
CLARIFY_DATASET_TYPES = (
    "text/csv",
    "application/jsonlines",
    "application/json",
    "application/x-parquet",
    "application/sagemakercapturejson",
    "application/x-image",
)

PRE_TRAINING_METRICS = ("CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD")
POST_TRAINING_METRICS = (
    "AD",
    "CDDPL",
    "DAR",
    "DCA",
    "DCR",
    "DI",
    "DPPL",
    "DRR",
    "FT",
    "GE",
    "RD",
    "SD",
    "TE",
)
SHAP_AGG_METHODS = ("mean_abs", "median", "mean_sq")
REPORT_METHOD = {"name": "report", "title": "Analysis Report"}

BASELINE_DATASET_FORMAT = rule(
    "baseline-dataset-format",
    "dataset_format (Environment.dataset_format of a baseline job)",
    "must be a DatasetFormat, an API format like {'Csv': {'Header': true}}, or one container format "
    "{'csv': {'header': bool, 'output_columns_position': 'START'|'END'}}, {'json': {'lines': bool}}, "
    "{'parquet': {}} or {'sagemakerCaptureJson': {...}}",
    f"{_SDK} DatasetFormat.csv/json/sagemaker_capture_json; DG container contract dataset_format",
)
_ENVIRONMENT_PREDICTION_FIELDS = PredictionFields(
    "Environment.inference_attribute",
    "Environment.probability_attribute",
    "Environment.probability_threshold_attribute",
)
CLARIFY_DATASET_TYPE = rule(
    "clarify-dataset-type-enum",
    "analysis_config.dataset_type",
    "must be one of " + ", ".join(CLARIFY_DATASET_TYPES),
    f"{_SDK} clarify.py DataConfig dataset_type and ANALYSIS_CONFIG_SCHEMA_V1_0",
)
CLARIFY_VALUES = rule(
    "clarify-values-list",
    "analysis_config.label_values_or_threshold, analysis_config.facet[].value_or_threshold",
    "must be a non-empty list of label or facet values, or a one-item list holding a threshold",
    f"{_SDK} clarify.py BiasConfig; DG clarify-config-json-monitor-bias-parameters",
)
CLARIFY_FACET = rule(
    "clarify-facet",
    "analysis_config.facet",
    "must be a non-empty list of objects whose name_or_index is a column name or index",
    f"{_SDK} clarify.py BiasConfig facet; DG clarify-config-json-monitor-bias-parameters",
)
CLARIFY_BIAS_METHODS = rule(
    "clarify-bias-methods",
    "analysis_config.methods.pre_training_bias, analysis_config.methods.post_training_bias",
    "must request pre_training_bias or post_training_bias, each with methods 'all' or a non-empty list of "
    "its metric names (pre: "
    + ", ".join(PRE_TRAINING_METRICS)
    + "; post: "
    + ", ".join(POST_TRAINING_METRICS)
    + ")",
    f"{_SDK} clarify.py _AnalysisConfigGenerator.bias; metric names in Clarify analysis.json",
)
CLARIFY_PREDICTOR = rule(
    "clarify-predictor",
    "analysis_config.predictor",
    "must name a model (model_name, instance_type, initial_instance_count >= 1) "
    "or an endpoint (endpoint_name)",
    f"{_SDK} clarify.py ModelConfig; post-training bias and SHAP need predictions",
)
CLARIFY_SHAP = rule(
    "clarify-shap-config",
    "analysis_config.methods.shap",
    "must be an object whose num_samples (if given) is a positive integer and agg_method one of "
    + ", ".join(SHAP_AGG_METHODS),
    f"{_SDK} clarify.py SHAPConfig; DG clarify-config-json-monitor-model-explainability-parameters",
)

_API_TO_CONTAINER = {
    "Csv": ("csv", "Header", "header"),
    "Json": ("json", "Line", "lines"),
    "Parquet": ("parquet",),
}
_PREDICTION_SOURCES = ("predicted_label", "predicted_label_dataset_uri")
_CONTENT_TYPES = {"csv": "text/csv", "parquet": "application/x-parquet"}


# -- dataset formats -----------------------------------------------------------------------------------------


def container_dataset_format(
    value: DatasetFormat | Mapping[str, Any], path: str = "dataset_format"
) -> dict[str, Any]:
    """The container's ``dataset_format`` dict (lower-case keys) for a baseline dataset.

    :param value: a :class:`DatasetFormat`, an API ``MonitoringDatasetFormat`` dict
        (``{"Csv": {"Header": True}}``) or a container dict (``{"csv": {"header": True}}``,
        ``{"json": {"lines": True}}``, ``{"parquet": {}}``).
    :param path: the field named in errors.
    """
    if isinstance(value, DatasetFormat):
        value = value.to_api()
    if not isinstance(value, Mapping) or len(value) != 1:
        fail(path, BASELINE_DATASET_FORMAT, value)
    ((kind, options),) = value.items()
    if kind in _API_TO_CONTAINER:
        validate_dataset_format(value, path)
        container_kind, *flags = _API_TO_CONTAINER[kind]
        if flags and options.get(flags[0]) is not None:
            return {container_kind: {flags[1]: options[flags[0]]}}
        return {container_kind: {}}
    if kind not in CONTAINER_FORMATS or not isinstance(options, Mapping):
        fail(path, BASELINE_DATASET_FORMAT, value)
    for flag in ("header", "lines"):
        if options.get(flag) is not None:
            checks.check_bool(options[flag], join(join(path, kind), flag))
    position = options.get("output_columns_position")
    if position is not None and position not in CSV_COLUMN_POSITIONS:
        fail(join(join(path, kind), "output_columns_position"), BASELINE_DATASET_FORMAT, position)
    return {kind: dict(options)}


def clarify_dataset_type(value: DatasetFormat | Mapping[str, Any], path: str = "dataset_format") -> str:
    """The Clarify ``dataset_type`` (MIME type) of a baseline dataset in format ``value``.

    :param value: any form :func:`container_dataset_format` accepts.
    :param path: the field named in errors.
    """
    ((kind, options),) = container_dataset_format(value, path).items()
    if kind == "json":
        return "application/jsonlines" if options.get("lines", True) else "application/json"
    return _CONTENT_TYPES.get(kind, "application/sagemakercapturejson")


# -- processing job requests ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class BaselineJobSettings(ValueObject):
    """Job-level settings shared by the baseline jobs of every monitor type.

    :param job_name: the processing job name (1..63 letters, digits, hyphens).
    :param role_arn: the IAM role SageMaker assumes to run the job.
    :param image_uri: the analyzer (data / model quality) or Clarify (bias / explainability) image.
    :param output_s3_uri: the S3 prefix the job writes its results to.
    :param resources: the processing cluster (:class:`ClusterResources` or an API ``ProcessingResources``
        dict).
    :param max_runtime_in_seconds: stop the job after this many seconds (1..86400); None sends no limit.
    :param environment: extra container variables; the SDK's own keys win on conflict.
    :param network_config: network isolation, encryption and VPC (:class:`NetworkConfig` or an API dict).
    :param tags: tags of the processing job (``{key: value}``, an API list or :class:`Tags`).
    """

    job_name: str
    role_arn: str
    image_uri: str
    output_s3_uri: str
    resources: ClusterResources | Mapping[str, Any] = field(default_factory=ClusterResources)
    max_runtime_in_seconds: int | None = None
    environment: Mapping[str, str] | None = None
    network_config: NetworkConfig | Mapping[str, Any] | None = None
    tags: Tags | Mapping[str, str] | Sequence[Mapping[str, str]] | None = None

    def __post_init__(self) -> None:
        checks.check_name(self.job_name, "ProcessingJobName")
        checks.check_role_arn(self.role_arn)
        checks.check_image_uri(self.image_uri, "AppSpecification.ImageUri")
        checks.check_s3_uri(self.output_s3_uri, "ProcessingOutputConfig.Outputs[0].S3Output.S3Uri")
        self.resources_api()
        if self.max_runtime_in_seconds is not None:
            checks.check_max_runtime(self.max_runtime_in_seconds, "StoppingCondition.MaxRuntimeInSeconds")
        if self.environment is not None:
            checks.check_environment(self.environment, "Environment")
        self.network_api()
        self.tags_api()

    def resources_api(self) -> dict[str, Any]:
        """The API ``ProcessingResources`` dict."""
        if isinstance(self.resources, ClusterResources):
            return self.resources.to_api()
        validate_resources(self.resources, "ProcessingResources")
        return dict(self.resources)

    def network_api(self) -> dict[str, Any] | None:
        """The API ``NetworkConfig`` dict, or None when not set."""
        if self.network_config is None or isinstance(self.network_config, NetworkConfig):
            return None if self.network_config is None else self.network_config.to_api()
        validate_network_config(self.network_config)
        return dict(self.network_config)

    def tags_api(self) -> list[dict[str, str]] | None:
        """The API ``Tags`` list, or None when there are no tags."""
        if self.tags is None:
            return None
        return Tags(self.tags).to_api() or None


def _s3_input(name: str, uri: str, local_path: str, field_path: str) -> dict[str, Any]:
    """A ``ProcessingInput`` with the SDK's ``ProcessingInput`` defaults (S3Prefix, File, FullyReplicated)."""
    checks.check_s3_uri(uri, field_path)
    return {
        "InputName": name,
        "S3Input": {
            "S3Uri": uri,
            "LocalPath": local_path,
            "S3DataType": "S3Prefix",
            "S3InputMode": "File",
            "S3DataDistributionType": "FullyReplicated",
            "S3CompressionType": "None",
        },
    }


def _script_input(name: str, uri: str | None, env_key: str) -> tuple[dict[str, Any], dict[str, str]] | None:
    """A processor-script input and the environment entry pointing at the script inside the container."""
    if uri is None:
        return None
    local = f"{INPUT_ROOT}/{name}"
    item = _s3_input(name, uri, local, f"ProcessingInputs.{name}.S3Input.S3Uri")
    return item, {env_key: f"{local}/{uri.rstrip('/').rsplit('/', 1)[-1]}"}


def _request(
    settings: BaselineJobSettings,
    inputs: list[dict[str, Any]],
    output_name: str,
    environment: Mapping[str, str],
    upload_mode: str = "EndOfJob",
) -> dict[str, Any]:
    """The ``CreateProcessingJob`` keyword arguments around ``inputs`` and the SDK-set ``environment``."""
    merged = {**(settings.environment or {}), **environment}
    checks.check_environment(merged, "Environment")
    output = {"S3Uri": settings.output_s3_uri, "LocalPath": OUTPUT_LOCAL_PATH, "S3UploadMode": upload_mode}
    stopping = settings.max_runtime_in_seconds
    return without_none(
        {
            "ProcessingJobName": settings.job_name,
            "ProcessingInputs": inputs,
            "ProcessingOutputConfig": {"Outputs": [{"OutputName": output_name, "S3Output": output}]},
            "ProcessingResources": settings.resources_api(),
            "StoppingCondition": None if stopping is None else {"MaxRuntimeInSeconds": stopping},
            "AppSpecification": {"ImageUri": settings.image_uri},
            "Environment": merged or None,
            "NetworkConfig": settings.network_api(),
            "RoleArn": settings.role_arn,
            "Tags": settings.tags_api(),
        }
    )


def _analyzer_request(
    settings: BaselineJobSettings,
    baseline_dataset: str,
    dataset_format: DatasetFormat | Mapping[str, Any],
    environment: Mapping[str, str],
    scripts: Sequence[tuple[dict[str, Any], dict[str, str]] | None],
) -> dict[str, Any]:
    """The analyzer baseline request shared by data quality and model quality."""
    dataset_path = f"{INPUT_ROOT}/{BASELINE_DATASET_INPUT}"
    dataset = _s3_input(
        BASELINE_DATASET_INPUT,
        baseline_dataset,
        dataset_path,
        "ProcessingInputs.baseline_dataset_input.S3Uri",
    )
    env = {
        "dataset_format": json.dumps(container_dataset_format(dataset_format)),
        "dataset_source": dataset_path,
        "output_path": OUTPUT_LOCAL_PATH,
        "publish_cloudwatch_metrics": "Disabled",
        **environment,
    }
    inputs = [dataset]
    for script in scripts:
        if script is not None:
            inputs.append(script[0])
            env.update(script[1])
    return _request(settings, inputs, ANALYZER_OUTPUT, env)


def data_quality_baseline_request(
    settings: BaselineJobSettings,
    baseline_dataset: str,
    dataset_format: DatasetFormat | Mapping[str, Any],
    record_preprocessor_script: str | None = None,
    post_analytics_processor_script: str | None = None,
) -> dict[str, Any]:
    """The ``CreateProcessingJob`` request of a data-quality baseline, as ``DefaultModelMonitor`` builds it.

    :param settings: the job-level settings.
    :param baseline_dataset: S3 URI (prefix or file) of the training-like dataset.
    :param dataset_format: format of the dataset (see :func:`container_dataset_format`).
    :param record_preprocessor_script: S3 URI of a record preprocessor script.
    :param post_analytics_processor_script: S3 URI of a post-analytics processor script.
    """
    scripts = (
        _script_input(RECORD_PREPROCESSOR_INPUT, record_preprocessor_script, "record_preprocessor_script"),
        _script_input(
            POST_ANALYTICS_PROCESSOR_INPUT, post_analytics_processor_script, "post_analytics_processor_script"
        ),
    )
    return _analyzer_request(settings, baseline_dataset, dataset_format, {}, scripts)


@dataclass(frozen=True, eq=False, repr=False)
class ModelQualityAttributes(ValueObject):
    """What the model-quality analyzer computes and which dataset columns (or JSON paths) it reads.

    :param problem_type: ``BinaryClassification``, ``MulticlassClassification`` or ``Regression``.
    :param ground_truth_attribute: column holding the true label.
    :param inference_attribute: column holding the predicted label or value.
    :param probability_attribute: column holding the predicted probability (binary classification).
    :param probability_threshold_attribute: probability cut-off in [0, 1]; sent as text.
    """

    problem_type: str
    ground_truth_attribute: str
    inference_attribute: str | None = None
    probability_attribute: str | None = None
    probability_threshold_attribute: float | str | None = None

    def __post_init__(self) -> None:
        checks.check_enum(self.problem_type, "Environment.problem_type", PROBLEM_TYPE, PROBLEM_TYPES)
        if self.ground_truth_attribute is None:
            fail("Environment.ground_truth_attribute", checks.REQUIRED)
        for name in ("ground_truth_attribute", "inference_attribute", "probability_attribute"):
            if getattr(self, name) is not None:
                checks.check_string_attribute(getattr(self, name), f"Environment.{name}")
        self.threshold_text()
        check_prediction_attributes(
            self.problem_type,
            self.inference_attribute,
            self.probability_attribute,
            self.probability_threshold_attribute,
            _ENVIRONMENT_PREDICTION_FIELDS,
        )

    def threshold_text(self) -> str | None:
        """The probability threshold as the string the container reads, or None."""
        value = self.probability_threshold_attribute
        if value is None:
            return None
        field_path = "Environment.probability_threshold_attribute"
        number = value
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                fail(field_path, checks.PROBABILITY_THRESHOLD, value)
        checks.check_probability_threshold(number, field_path)
        return value if isinstance(value, str) else str(value)

    def environment(self) -> dict[str, str]:
        """The model-quality keys of the container environment."""
        return without_none(
            {
                "analysis_type": "MODEL_QUALITY",
                "problem_type": self.problem_type,
                "inference_attribute": self.inference_attribute,
                "probability_attribute": self.probability_attribute,
                "ground_truth_attribute": self.ground_truth_attribute,
                "probability_threshold_attribute": self.threshold_text(),
            }
        )


def model_quality_baseline_request(
    settings: BaselineJobSettings,
    baseline_dataset: str,
    dataset_format: DatasetFormat | Mapping[str, Any],
    attributes: ModelQualityAttributes,
    post_analytics_processor_script: str | None = None,
) -> dict[str, Any]:
    """The ``CreateProcessingJob`` request of a model-quality baseline, as ``ModelQualityMonitor`` builds it.

    The SDK offers no record preprocessor for model quality, so neither does this request.

    :param settings: the job-level settings.
    :param baseline_dataset: S3 URI of a dataset holding predictions and labels.
    :param dataset_format: format of the dataset (see :func:`container_dataset_format`).
    :param attributes: problem type and the prediction / label columns.
    :param post_analytics_processor_script: S3 URI of a post-analytics processor script.
    """
    script = _script_input(
        POST_ANALYTICS_PROCESSOR_INPUT, post_analytics_processor_script, "post_analytics_processor_script"
    )
    return _analyzer_request(settings, baseline_dataset, dataset_format, attributes.environment(), (script,))


def clarify_baseline_request(
    settings: BaselineJobSettings,
    baseline_dataset: str,
    analysis_config_uri: str,
    dataset_type: str = "text/csv",
) -> dict[str, Any]:
    """The ``CreateProcessingJob`` request of a bias or explainability baseline (the SDK's Clarify processor).

    :param settings: the job-level settings.
    :param baseline_dataset: S3 URI of the dataset.
    :param analysis_config_uri: S3 URI of the uploaded ``analysis_config.json``.
    :param dataset_type: the config's ``dataset_type``; images upload results continuously.
    """
    checks.check_enum(
        dataset_type, "analysis_config.dataset_type", CLARIFY_DATASET_TYPE, CLARIFY_DATASET_TYPES
    )
    inputs = [
        _s3_input(
            CLARIFY_DATASET_INPUT, baseline_dataset, CLARIFY_DATASET_PATH, "ProcessingInputs.dataset.S3Uri"
        ),
        _s3_input(
            CLARIFY_CONFIG_INPUT,
            analysis_config_uri,
            CLARIFY_CONFIG_PATH,
            "ProcessingInputs.analysis_config.S3Uri",
        ),
    ]
    upload_mode = "Continuous" if dataset_type == "application/x-image" else "EndOfJob"
    return _request(settings, inputs, CLARIFY_OUTPUT, {}, upload_mode)


def analysis_config_uri(output_s3_uri: str) -> str:
    """Where the Clarify ``analysis_config.json`` goes: into the job's output prefix, as the SDK puts it.

    :param output_s3_uri: the baseline job's output prefix.
    """
    return join_s3(output_s3_uri, ANALYSIS_CONFIG_FILE)


# -- Clarify analysis configs --------------------------------------------------------------------------------


def predictor_config(
    *,
    model_name: str | None = None,
    endpoint_name: str | None = None,
    instance_type: str | None = "ml.m5.xlarge",
    initial_instance_count: int | None = 1,
    **options: Any,
) -> dict[str, Any]:
    """The ``predictor`` section: a model Clarify deploys to a shadow endpoint, or an existing endpoint.

    :param model_name: the SageMaker model to deploy (with ``instance_type`` and ``initial_instance_count``).
    :param endpoint_name: an existing endpoint to call instead of a model.
    :param instance_type: instance type of the shadow endpoint (model only).
    :param initial_instance_count: instance count of the shadow endpoint (model only).
    :param options: further predictor keys as Clarify names them, e.g. ``content_type``, ``accept_type``,
        ``content_template``, ``label``, ``probability``, ``label_headers``.
    """
    config: dict[str, Any]
    if endpoint_name is not None:
        config = {"endpoint_name": endpoint_name}
    else:
        config = {
            "model_name": model_name,
            "instance_type": instance_type,
            "initial_instance_count": initial_instance_count,
        }
    config = without_none({**config, **options})
    validate_predictor(config)
    return config


def validate_predictor(data: Any, path: str = "analysis_config.predictor") -> None:
    """Check a ``predictor`` section names a model with its shadow endpoint settings, or an endpoint.

    :param data: the predictor dict.
    :param path: the field named in errors.
    """
    if not isinstance(data, Mapping):
        fail(path, CLARIFY_PREDICTOR, data)
    if isinstance(data.get("endpoint_name"), str) and data["endpoint_name"]:
        return
    count = data.get("initial_instance_count")
    if not (
        isinstance(data.get("model_name"), str)
        and data["model_name"]
        and isinstance(data.get("instance_type"), str)
        and checks.is_int(count, 1)
    ):
        fail(path, CLARIFY_PREDICTOR, dict(data))


def shap_config(
    *,
    baseline: str | list[list[Any]] | None = None,
    num_samples: int | None = None,
    agg_method: str = "mean_abs",
    use_logit: bool = False,
    save_local_shap_values: bool = True,
    seed: int | None = None,
    num_clusters: int | None = None,
    features_to_explain: list[str | int] | None = None,
) -> dict[str, Any]:
    """The ``methods.shap`` section of an explainability config (the SDK's ``SHAPConfig`` defaults).

    :param baseline: baseline rows, or the S3 URI of a baseline file; None lets Clarify compute one.
    :param num_samples: samples per record for Kernel SHAP.
    :param agg_method: ``mean_abs``, ``median`` or ``mean_sq`` aggregation into global SHAP values.
    :param use_logit: apply the logit function to model predictions.
    :param save_local_shap_values: also write per-record SHAP values.
    :param seed: random seed of the sampling.
    :param num_clusters: clusters for computing a baseline when none is given.
    :param features_to_explain: restrict the explanation to these feature names or indices.
    """
    config = without_none(
        {
            "baseline": baseline,
            "num_samples": num_samples,
            "agg_method": agg_method,
            "use_logit": use_logit,
            "save_local_shap_values": save_local_shap_values,
            "seed": seed,
            "num_clusters": num_clusters,
            "features_to_explain": features_to_explain,
        }
    )
    validate_shap(config)
    return config


def validate_shap(data: Any, path: str = "analysis_config.methods.shap") -> None:
    """Check a ``methods.shap`` section: an object, positive ``num_samples``, a known ``agg_method``.

    :param data: the shap dict.
    :param path: the field named in errors.
    """
    if not isinstance(data, Mapping):
        fail(path, CLARIFY_SHAP, data)
    samples = data.get("num_samples")
    if samples is not None and not checks.is_int(samples, 1):
        fail(join(path, "num_samples"), CLARIFY_SHAP, samples)
    if data.get("agg_method") is not None and data["agg_method"] not in SHAP_AGG_METHODS:
        fail(join(path, "agg_method"), CLARIFY_SHAP, data["agg_method"])


def _copy(value: Any) -> Any:
    """A mapping as a plain dict; anything else unchanged, for validation to report."""
    return dict(value) if isinstance(value, Mapping) else value


def _values(value: Any) -> Any:
    """A scalar as a one-item list; a list or tuple as a list; anything else unchanged for validation."""
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value] if isinstance(value, (str, int, float)) and not isinstance(value, bool) else value


def _facets(facet: Any, values: Any) -> Any:
    """Normalize ``facet`` (a name or index, a facet dict, or a list of either) to the config's facet list."""
    items = facet if isinstance(facet, (list, tuple)) else [facet]
    normalized = []
    for item in items:
        if isinstance(item, Mapping):
            normalized.append(dict(item))
        else:
            entry = {"name_or_index": item}
            if values is not None:
                entry["value_or_threshold"] = _values(values)
            normalized.append(entry)
    return normalized


def _data_config(
    dataset_type: str,
    label: str | int | None,
    headers: Sequence[str] | None,
    features: str | None,
    excluded_columns: Sequence[str | int] | None = None,
) -> dict[str, Any]:
    """The DataConfig part shared by bias and explainability configs."""
    return without_none(
        {
            "dataset_type": dataset_type,
            "headers": None if headers is None else list(headers),
            "label": label,
            "features": features,
            "excluded_columns": None if excluded_columns is None else list(excluded_columns),
        }
    )


def bias_analysis_config(
    *,
    label: str | int,
    label_values_or_threshold: Any,
    facet: Any,
    facet_values_or_threshold: Any = None,
    dataset_type: str = "text/csv",
    headers: Sequence[str] | None = None,
    features: str | None = None,
    group_variable: str | int | None = None,
    probability_threshold: float | None = None,
    pre_training_methods: str | list[str] | None = "all",
    post_training_methods: str | list[str] | None = "all",
    predictor: Mapping[str, Any] | None = None,
    predicted_label: str | int | None = None,
    excluded_columns: Sequence[str | int] | None = None,
) -> dict[str, Any]:
    """The ``analysis_config.json`` of a bias baseline: data, bias config, methods, predictor.

    :param label: the label column name or index.
    :param label_values_or_threshold: the favourable label values, or a one-item list with a threshold.
    :param facet: the sensitive column name or index, a ``{"name_or_index", "value_or_threshold"}`` dict,
        or a list of those.
    :param facet_values_or_threshold: the sensitive group's values (or threshold) when ``facet`` is a name.
    :param dataset_type: the dataset MIME type (see :func:`clarify_dataset_type`).
    :param headers: column names of the dataset, the label included.
    :param features: JMESPath of the features in JSON Lines records.
    :param group_variable: the column for conditional demographic disparity (CDDL, CDDPL).
    :param probability_threshold: cut-off turning predicted probabilities into labels, in [0, 1].
    :param pre_training_methods: ``"all"``, a list of pre-training metric names, or None to skip them.
    :param post_training_methods: ``"all"``, a list of post-training metric names, or None to skip them;
        post-training metrics need a ``predictor`` or a ``predicted_label`` column.
    :param predictor: the model or endpoint that predicts (see :func:`predictor_config`).
    :param predicted_label: the dataset column already holding the model's predicted labels.
    :param excluded_columns: columns that are neither features nor label (kept out of the model input).
    """
    methods: dict[str, Any] = {"report": dict(REPORT_METHOD)}
    if pre_training_methods is not None:
        methods["pre_training_bias"] = {"methods": pre_training_methods}
    if post_training_methods is not None:
        methods["post_training_bias"] = {"methods": post_training_methods}
    config = {
        **_data_config(dataset_type, label, headers, features, excluded_columns),
        "label_values_or_threshold": _values(label_values_or_threshold),
        "facet": _facets(facet, facet_values_or_threshold),
        **without_none(
            {
                "predicted_label": predicted_label,
                "group_variable": group_variable,
                "probability_threshold": probability_threshold,
                "predictor": _copy(predictor),
            }
        ),
        "methods": methods,
    }
    validate_bias_analysis_config(config)
    return config


def _validate_dataset_type(data: Mapping[str, Any], path: str) -> None:
    dataset_type = require(data, "dataset_type", path)
    checks.check_enum(dataset_type, join(path, "dataset_type"), CLARIFY_DATASET_TYPE, CLARIFY_DATASET_TYPES)


def _validate_value_list(value: Any, path: str) -> None:
    if not isinstance(value, list) or not value:
        fail(path, CLARIFY_VALUES, value)


def _validate_methods(methods: Mapping[str, Any], path: str) -> None:
    given = [stage for stage in ("pre_training_bias", "post_training_bias") if stage in methods]
    if not given:
        fail(path, CLARIFY_BIAS_METHODS, dict(methods))
    for stage, names in (
        ("pre_training_bias", PRE_TRAINING_METRICS),
        ("post_training_bias", POST_TRAINING_METRICS),
    ):
        if stage not in methods:
            continue
        stage_path = join(join(path, stage), "methods")
        section = methods[stage]
        chosen = section.get("methods") if isinstance(section, Mapping) else section
        if chosen == "all":
            continue
        if not isinstance(chosen, list) or not chosen or any(name not in names for name in chosen):
            fail(stage_path, CLARIFY_BIAS_METHODS, chosen)


def validate_bias_analysis_config(data: Any, path: str = "analysis_config") -> None:
    """Check a bias ``analysis_config.json`` dict before it is uploaded.

    :param data: the config dict.
    :param path: the field named in errors.
    """
    data = check_object(data, path)
    _validate_dataset_type(data, path)
    require(data, "label", path)
    _validate_value_list(
        require(data, "label_values_or_threshold", path), join(path, "label_values_or_threshold")
    )
    facets = require(data, "facet", path)
    facet_path = join(path, "facet")
    if not isinstance(facets, list) or not facets:
        fail(facet_path, CLARIFY_FACET, facets)
    for index, item in enumerate(facets):
        item_path = join(facet_path, f"[{index}]")
        name = item.get("name_or_index") if isinstance(item, Mapping) else None
        if isinstance(name, bool) or not isinstance(name, (str, int)) or name == "":
            fail(item_path, CLARIFY_FACET, item)
        if item.get("value_or_threshold") is not None:
            _validate_value_list(item["value_or_threshold"], join(item_path, "value_or_threshold"))
    if data.get("probability_threshold") is not None:
        checks.check_probability_threshold(data["probability_threshold"], join(path, "probability_threshold"))
    methods_path = join(path, "methods")
    methods = check_object(require(data, "methods", path), methods_path)
    _validate_methods(methods, methods_path)
    if data.get("predictor") is not None:
        validate_predictor(data["predictor"], join(path, "predictor"))
    elif "post_training_bias" in methods and not any(key in data for key in _PREDICTION_SOURCES):
        fail(join(path, "predictor"), checks.REQUIRED)


def explainability_analysis_config(
    *,
    shap: Mapping[str, Any],
    predictor: Mapping[str, Any],
    dataset_type: str = "text/csv",
    headers: Sequence[str] | None = None,
    label: str | int | None = None,
    features: str | None = None,
) -> dict[str, Any]:
    """The ``analysis_config.json`` of an explainability baseline: data, SHAP method, predictor.

    :param shap: the SHAP settings (see :func:`shap_config`).
    :param predictor: the model or endpoint to explain (see :func:`predictor_config`).
    :param dataset_type: the dataset MIME type (see :func:`clarify_dataset_type`).
    :param headers: column names of the dataset.
    :param label: the label column, if the dataset has one (it is left out of the features).
    :param features: JMESPath of the features in JSON Lines records.
    """
    config = {
        **_data_config(dataset_type, label, headers, features),
        "methods": {"shap": _copy(shap), "report": dict(REPORT_METHOD)},
        **without_none({"predictor": _copy(predictor)}),
    }
    validate_explainability_analysis_config(config)
    return config


def validate_explainability_analysis_config(data: Any, path: str = "analysis_config") -> None:
    """Check an explainability ``analysis_config.json`` dict before it is uploaded.

    :param data: the config dict.
    :param path: the field named in errors.
    """
    data = check_object(data, path)
    _validate_dataset_type(data, path)
    methods_path = join(path, "methods")
    methods = check_object(require(data, "methods", path), methods_path)
    validate_shap(require(methods, "shap", methods_path), join(methods_path, "shap"))
    validate_predictor(require(data, "predictor", path), join(path, "predictor"))


def validate_analysis_config(monitoring_type: str, data: Any, path: str = "analysis_config") -> None:
    """Check the ``analysis_config.json`` of a Clarify monitor type.

    :param monitoring_type: ``ModelBias`` or ``ModelExplainability``.
    :param data: the config dict.
    :param path: the field named in errors.
    """
    if monitoring_type == "ModelBias":
        validate_bias_analysis_config(data, path)
    elif monitoring_type == "ModelExplainability":
        validate_explainability_analysis_config(data, path)
    else:
        fail("monitoring_type", MONITORING_TYPE, monitoring_type)


# -- results -------------------------------------------------------------------------------------------------


def baseline_result(
    monitoring_type: str, job_name: str, output_s3_uri: str, status: str | None, suggested: bool = False
) -> dict[str, Any]:
    """The JSON-safe summary of a baseline job that downstream tasks (the schedule operator) read.

    Keys, always all present: ``job_name``, ``monitoring_type``, ``status`` (the job status when the summary
    was made), ``output_s3_uri``, ``statistics_uri`` (data / model quality, else None), ``constraints_uri``
    (``constraints.json``; Clarify: ``analysis.json``), ``analysis_uri`` (Clarify ``analysis.json``, else
    None), ``analysis_config_uri`` (Clarify ``analysis_config.json``, else None) and
    ``suggested_constraints_uri`` (the job's own suggestion, ``suggested/<constraints file>``, when a
    tolerance rewrote ``constraints_uri``; else None).

    :param monitoring_type: one of :data:`MONITORING_TYPES`.
    :param job_name: the processing job name.
    :param output_s3_uri: the job's output prefix.
    :param status: the job's ``ProcessingJobStatus``.
    :param suggested: whether a tolerance rewrote the constraints and kept the suggestion beside them.
    """
    if monitoring_type not in MONITORING_TYPES:
        fail("monitoring_type", MONITORING_TYPE, monitoring_type)
    clarify = monitoring_type in CLARIFY_BASELINE_TYPES
    analysis_uri = join_s3(output_s3_uri, ANALYSIS_FILE) if clarify else None
    constraints_file = ANALYSIS_FILE if clarify else CONSTRAINTS_FILE
    return {
        "job_name": job_name,
        "monitoring_type": monitoring_type,
        "status": status,
        "output_s3_uri": output_s3_uri,
        "statistics_uri": None if clarify else join_s3(output_s3_uri, STATISTICS_FILE),
        "constraints_uri": analysis_uri if clarify else join_s3(output_s3_uri, CONSTRAINTS_FILE),
        "analysis_uri": analysis_uri,
        "analysis_config_uri": analysis_config_uri(output_s3_uri) if clarify else None,
        "suggested_constraints_uri": (
            join_s3(output_s3_uri, SUGGESTED_FOLDER, constraints_file) if suggested else None
        ),
    }
