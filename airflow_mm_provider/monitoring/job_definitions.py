"""Job definitions of the four monitor types, and the requests that create them and their schedules.

Typed specs (:class:`DataQualityJobDefinition` and friends) validate on construction and render the keyword
arguments of ``Create<T>JobDefinition`` with ``to_request(name)``. The module functions accept a typed spec or
a plain API-shaped dict, so anything the API allows stays reachable, and run the same checks on both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass, field
from typing import Any, ClassVar

from airflow_mm_provider.monitoring import checks, images, windows
from airflow_mm_provider.monitoring.checks import check_object, fail, join, require
from airflow_mm_provider.monitoring.inputs import (
    BaselineConfig,
    BatchTransformInput,
    ClusterResources,
    EndpointInput,
    GroundTruthInput,
    MonitoringOutput,
    NetworkConfig,
    StoppingCondition,
    Tags,
    validate_baseline_config,
    validate_batch_transform_input,
    validate_endpoint_input,
    validate_ground_truth_input,
    validate_network_config,
    validate_output_config,
    validate_resources,
    validate_stopping_condition,
    without_none,
)
from airflow_mm_provider.monitoring.prediction_attributes import PredictionFields, check_prediction_attributes
from airflow_mm_provider.monitoring.rules import rule
from airflow_mm_provider.monitoring.schedule import ScheduleExpression
from airflow_mm_provider.monitoring.types import (
    MONITORING_TYPE_APIS,
    MonitoringTypeApi,
    monitoring_type_api,
)
from airflow_mm_provider.monitoring.value_objects import ValueObject

_BC = "botocore SageMaker service model"

PROBLEM_TYPES = ("BinaryClassification", "MulticlassClassification", "Regression")

MONITORING_TYPE_MATCH = rule(
    "monitoring-type-match",
    "MonitoringType versus a typed job-definition spec",
    "must match the monitoring type of the job-definition spec",
    f"{_BC}: each Create<T>JobDefinition takes only <T>-prefixed members",
)
INPUT_ONE_OF = rule(
    "monitoring-input-one-of",
    "<T>JobInput.EndpointInput, <T>JobInput.BatchTransformInput",
    "must hold exactly one of EndpointInput or BatchTransformInput",
    "DG: 'either a batch transform input or an endpoint input, but not both'; SDK requires one; "
    "MonitoringInputs has exactly 1 item",
)
GROUND_TRUTH_REQUIRED = rule(
    "ground-truth-required",
    "ModelQualityJobInput.GroundTruthS3Input, ModelBiasJobInput.GroundTruthS3Input",
    "is required for model quality and model bias monitors (the S3 prefix of the ground-truth labels)",
    f"{_BC}: GroundTruthS3Input is a required member of ModelQualityJobInput and ModelBiasJobInput",
)

PROBLEM_TYPE = rule(
    "problem-type-enum",
    "ModelQualityAppSpecification.ProblemType",
    "must be one of BinaryClassification, MulticlassClassification, Regression",
    f"{_BC}: MonitoringProblemType enum; the model-quality analyzer needs it (SDK requires it)",
)
STATISTICS_DATA_QUALITY_ONLY = rule(
    "baseline-statistics-data-quality-only",
    "<T>BaselineConfig.StatisticsResource",
    "is accepted only by data-quality job definitions (the other types take ConstraintsResource only)",
    f"{_BC}: only DataQualityBaselineConfig has StatisticsResource",
)
MAX_RUNTIME_HOURLY_QUALITY = rule(
    "max-runtime-hourly-quality",
    "StoppingCondition.MaxRuntimeInSeconds (ModelQuality, ModelBias, hourly schedule)",
    "must be at most 1800 for an hourly model-quality or model-bias schedule (the runtime is split between "
    "the merge job and the analysis job)",
    f"{_BC}: MonitoringStoppingCondition doc; DG model-monitor-model-quality-schedule",
)
MAX_RUNTIME_INTERVAL = rule(
    "max-runtime-interval",
    "StoppingCondition.MaxRuntimeInSeconds (recurring schedule)",
    "must not exceed the shortest time between two runs of the schedule (3600 for hourly)",
    f"{_BC}: MonitoringStoppingCondition doc: 'cannot exceed the frequency of the job', up to 3600 hourly",
)
IMAGE_OR_REGION = rule(
    "image-or-region",
    "<T>AppSpecification.ImageUri of a typed job definition (image_uri, region)",
    "must be given as image_uri, or picked for a region: pass region='us-east-1' (for example) to use the "
    "built-in Model Monitor analyzer or Clarify image of that region",
    f"{_BC}: ImageUri is required; the SDK's image_uris.retrieve picks the built-in image of a region",
)
TIMES_NEED_SCHEDULE = rule(
    "analysis-times-need-schedule",
    "ScheduleConfig.DataAnalysisStartTime, ScheduleConfig.DataAnalysisEndTime",
    "can only be given with a ScheduleExpression",
    f"{_BC}: ScheduleConfig requires ScheduleExpression",
)


# -- typed specs ---------------------------------------------------------------------------------------------


def _to_api(value: Any) -> Any:
    return None if value is None else value.to_api()


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class JobDefinitionSpec(ValueObject):
    """Members every job definition shares; use one of the four subclasses.

    :param role_arn: IAM role the monitoring jobs run as.
    :param image_uri: the container image; default: the built-in image of ``region`` (the Model Monitor
        analyzer for data and model quality, SageMaker Clarify for bias and explainability).
    :param input: the monitored data: an endpoint's or a batch transform's capture.
    :param output: where reports go.
    :param resources: the processing cluster (default one ml.m5.xlarge with 30 GB).
    :param baseline: the baseline to compare against.
    :param environment: extra container environment; values must be strings.
    :param network: isolation, encryption and VPC.
    :param stopping_condition: the runtime limit of each execution.
    :param tags: tags of the job definition, as a mapping or an API tag list.
    :param region: the AWS region whose built-in image to use when ``image_uri`` is not given; it is not
        part of the request.
    """

    monitoring_type: ClassVar[str]

    role_arn: str
    image_uri: str | None = None
    input: EndpointInput | BatchTransformInput
    output: MonitoringOutput
    resources: ClusterResources = field(default_factory=ClusterResources)
    baseline: BaselineConfig | None = None
    environment: Mapping[str, str] | None = None
    network: NetworkConfig | None = None
    stopping_condition: StoppingCondition | None = None
    tags: Tags | Mapping[str, str] | Sequence[Mapping[str, str]] | None = None
    region: str | None = None

    def __post_init__(self) -> None:
        api = MONITORING_TYPE_APIS[self.monitoring_type]
        if self.image_uri is None:
            if self.region is None:
                fail(join(api.app_specification_key, "ImageUri"), IMAGE_OR_REGION)
            object.__setattr__(self, "image_uri", images.image_uri_for(self.monitoring_type, self.region))
        if not isinstance(self.input, (EndpointInput, BatchTransformInput)):
            fail(api.job_input_key, INPUT_ONE_OF, self.input)
        if self.tags is not None and not isinstance(self.tags, Tags):
            object.__setattr__(self, "tags", Tags(self.tags))
        _validate_members(api, self._members())

    def _app_members(self) -> dict[str, Any]:
        """Type-specific members of the app specification."""
        return {}

    def _ground_truth(self) -> GroundTruthInput | None:
        """The ground-truth input, for the types that take one."""
        return None

    def _members(self) -> dict[str, Any]:
        api = MONITORING_TYPE_APIS[self.monitoring_type]
        environment = dict(self.environment) if isinstance(self.environment, Mapping) else self.environment
        app = {"ImageUri": self.image_uri, **self._app_members(), "Environment": environment}
        job_input = {
            self.input.api_key: self.input.to_api(),
            "GroundTruthS3Input": _to_api(self._ground_truth()),
        }
        members = {
            api.baseline_config_key: _to_api(self.baseline),
            api.app_specification_key: without_none(app),
            api.job_input_key: without_none(job_input),
            api.output_config_key: self.output.to_api(),
            "JobResources": self.resources.to_api(),
            "NetworkConfig": _to_api(self.network),
            "RoleArn": self.role_arn,
            "StoppingCondition": _to_api(self.stopping_condition),
            "Tags": _to_api(self.tags),
        }
        return without_none(members)

    def to_request(self, name: str) -> dict[str, Any]:
        """The keyword arguments of ``Create<T>JobDefinition`` for a definition called ``name``.

        :param name: the job-definition name (1..63 letters, digits, hyphens).
        """
        checks.check_name(name, "JobDefinitionName")
        return {"JobDefinitionName": name, **self._members()}


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class _ContainerOptions(ValueObject):
    """App-specification members of the Model Monitor analyzer (data and model quality).

    :param container_entrypoint: replaces the image's entrypoint.
    :param container_arguments: arguments for the container.
    :param record_preprocessor_source_uri: S3 URI of a record preprocessor script.
    :param post_analytics_processor_source_uri: S3 URI of a post-analytics processor script.
    """

    container_entrypoint: Sequence[str] | None = None
    container_arguments: Sequence[str] | None = None
    record_preprocessor_source_uri: str | None = None
    post_analytics_processor_source_uri: str | None = None

    def _container_members(self) -> dict[str, Any]:
        return {
            "ContainerEntrypoint": None
            if self.container_entrypoint is None
            else list(self.container_entrypoint),
            "ContainerArguments": None
            if self.container_arguments is None
            else list(self.container_arguments),
            "RecordPreprocessorSourceUri": self.record_preprocessor_source_uri,
            "PostAnalyticsProcessorSourceUri": self.post_analytics_processor_source_uri,
        }


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class _GroundTruthOption(ValueObject):
    """The ground-truth member of model-quality and model-bias job inputs.

    :param ground_truth: the ground-truth prefix, as a :class:`GroundTruthInput` or an S3 URI.
    """

    ground_truth: GroundTruthInput | str

    def __post_init__(self) -> None:
        if isinstance(self.ground_truth, str):
            object.__setattr__(self, "ground_truth", GroundTruthInput(self.ground_truth))
        super().__post_init__()  # type: ignore[misc]

    def _ground_truth(self) -> GroundTruthInput | None:
        return self.ground_truth  # type: ignore[return-value]


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class _ClarifySpec(JobDefinitionSpec):
    """Members of the Clarify-based job definitions (bias and explainability).

    :param config_uri: S3 URI of the Clarify monitoring analysis config JSON.
    """

    config_uri: str

    def _app_members(self) -> dict[str, Any]:
        return {"ConfigUri": self.config_uri}


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class DataQualityJobDefinition(_ContainerOptions, JobDefinitionSpec):
    """A data-quality job definition (``CreateDataQualityJobDefinition``)."""

    monitoring_type: ClassVar[str] = "DataQuality"

    def _app_members(self) -> dict[str, Any]:
        return self._container_members()


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class ModelQualityJobDefinition(_GroundTruthOption, _ContainerOptions, JobDefinitionSpec):
    """A model-quality job definition (``CreateModelQualityJobDefinition``).

    :param problem_type: ``BinaryClassification``, ``MulticlassClassification`` or ``Regression``.
    """

    monitoring_type: ClassVar[str] = "ModelQuality"

    problem_type: str

    def _app_members(self) -> dict[str, Any]:
        return {**self._container_members(), "ProblemType": self.problem_type}


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class ModelBiasJobDefinition(_GroundTruthOption, _ClarifySpec):
    """A model-bias job definition (``CreateModelBiasJobDefinition``); ``config_uri`` is the bias config."""

    monitoring_type: ClassVar[str] = "ModelBias"


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class ModelExplainabilityJobDefinition(_ClarifySpec):
    """A model-explainability job definition (``CreateModelExplainabilityJobDefinition``)."""

    monitoring_type: ClassVar[str] = "ModelExplainability"


JOB_DEFINITION_SPECS: dict[str, type[JobDefinitionSpec]] = {
    spec.monitoring_type: spec
    for spec in (
        DataQualityJobDefinition,
        ModelQualityJobDefinition,
        ModelBiasJobDefinition,
        ModelExplainabilityJobDefinition,
    )
}
"""The typed spec class of each monitoring type."""


# -- checks on API-shaped requests ---------------------------------------------------------------------------

_APP_OPTIONAL_CHECKS: dict[str, Callable[[Any, str], None]] = {
    "ContainerEntrypoint": checks.check_container_entrypoint,
    "ContainerArguments": checks.check_container_arguments,
    "RecordPreprocessorSourceUri": checks.check_s3_uri,
    "PostAnalyticsProcessorSourceUri": checks.check_s3_uri,
    "Environment": checks.check_environment,
}
_INPUT_CHECKS: dict[str, Callable[[Any, str], None]] = {
    "EndpointInput": validate_endpoint_input,
    "BatchTransformInput": validate_batch_transform_input,
}
_OPTIONAL_MEMBER_CHECKS: dict[str, Callable[[Any, str], None]] = {
    "NetworkConfig": validate_network_config,
    "StoppingCondition": validate_stopping_condition,
    "Tags": checks.check_tags,
}


def _validate_app_specification(api: MonitoringTypeApi, value: Any) -> None:
    path = api.app_specification_key
    app = check_object(value, path)
    checks.check_image_uri(require(app, "ImageUri", path), join(path, "ImageUri"))
    if api.has_problem_type:
        checks.check_enum(app.get("ProblemType"), join(path, "ProblemType"), PROBLEM_TYPE, PROBLEM_TYPES)
    if api.has_config_uri:
        checks.check_s3_uri(require(app, "ConfigUri", path), join(path, "ConfigUri"))
    for key, check in _APP_OPTIONAL_CHECKS.items():
        if app.get(key) is not None:
            check(app[key], join(path, key))


def _validate_job_input(api: MonitoringTypeApi, value: Any) -> None:
    path = api.job_input_key
    job_input = check_object(value, path)
    given = [key for key in _INPUT_CHECKS if job_input.get(key) is not None]
    if len(given) != 1:
        fail(path, INPUT_ONE_OF, given or None)
    _INPUT_CHECKS[given[0]](job_input[given[0]], join(path, given[0]))
    if api.has_ground_truth:
        ground_truth = job_input.get("GroundTruthS3Input")
        if ground_truth is None:
            fail(join(path, "GroundTruthS3Input"), GROUND_TRUTH_REQUIRED)
        validate_ground_truth_input(ground_truth, join(path, "GroundTruthS3Input"))


def _validate_baseline(api: MonitoringTypeApi, value: Any) -> None:
    path = api.baseline_config_key
    validate_baseline_config(value, path)
    if not api.has_statistics_baseline and value.get("StatisticsResource") is not None:
        fail(join(path, "StatisticsResource"), STATISTICS_DATA_QUALITY_ONLY, value["StatisticsResource"])


def validate_job_definition_consistency(monitoring_type: str, request: Mapping[str, Any]) -> None:
    """Check the members of a ``Create<T>JobDefinition`` request agree with each other and with the type.

    The image must not be the other family's built-in image, and a model-quality input must carry the
    prediction attributes its ``ProblemType`` needs. Members that are missing or of the wrong shape are left
    to the other checks.

    :param monitoring_type: one of :data:`MONITORING_TYPES`.
    :param request: the API-shaped request.
    """
    api = monitoring_type_api(monitoring_type)
    app = request.get(api.app_specification_key)
    job_input = request.get(api.job_input_key)
    if not isinstance(app, Mapping) or not isinstance(job_input, Mapping):
        return
    path = api.app_specification_key
    images.check_image_matches_type(api.monitoring_type, app.get("ImageUri"), join(path, "ImageUri"))
    problem_type = app.get("ProblemType")
    given = [key for key in _INPUT_CHECKS if isinstance(job_input.get(key), Mapping)]
    if not api.has_problem_type or problem_type not in PROBLEM_TYPES or len(given) != 1:
        return
    data, input_path = job_input[given[0]], join(api.job_input_key, given[0])
    check_prediction_attributes(
        problem_type,
        data.get("InferenceAttribute"),
        data.get("ProbabilityAttribute"),
        data.get("ProbabilityThresholdAttribute"),
        PredictionFields(
            join(input_path, "InferenceAttribute"),
            join(input_path, "ProbabilityAttribute"),
            join(input_path, "ProbabilityThresholdAttribute"),
        ),
    )


def _validate_members(api: MonitoringTypeApi, request: Mapping[str, Any]) -> None:
    """Every offline rule on a ``Create<T>JobDefinition`` request except its name."""
    _validate_app_specification(api, require(request, api.app_specification_key, ""))
    _validate_job_input(api, require(request, api.job_input_key, ""))
    validate_job_definition_consistency(api.monitoring_type, request)
    validate_output_config(require(request, api.output_config_key, ""), api.output_config_key)
    validate_resources(require(request, "JobResources", ""), "JobResources")
    checks.check_role_arn(require(request, "RoleArn", ""))
    if request.get(api.baseline_config_key) is not None:
        _validate_baseline(api, request[api.baseline_config_key])
    for key, check in _OPTIONAL_MEMBER_CHECKS.items():
        if request.get(key) is not None:
            check(request[key], key)


def validate_job_definition_request(monitoring_type: str, request: Mapping[str, Any]) -> None:
    """Run every offline rule on the keyword arguments of ``Create<T>JobDefinition``.

    :param monitoring_type: one of :data:`MONITORING_TYPES`.
    :param request: the API-shaped request, including ``JobDefinitionName``.
    """
    api = monitoring_type_api(monitoring_type)
    request = check_object(request, api.monitoring_type + "JobDefinition")
    checks.check_name(require(request, "JobDefinitionName", ""), "JobDefinitionName")
    _validate_members(api, request)


def job_definition_request(
    monitoring_type: str, spec: JobDefinitionSpec | Mapping[str, Any], name: str
) -> dict[str, Any]:
    """The validated keyword arguments of ``Create<T>JobDefinition``, from a typed spec or a plain dict.

    :param monitoring_type: one of :data:`MONITORING_TYPES`.
    :param spec: a typed spec of that type, or the API-shaped request with or without ``JobDefinitionName``.
    :param name: the job-definition name; it replaces any ``JobDefinitionName`` in a dict.
    """
    api = monitoring_type_api(monitoring_type)
    if isinstance(spec, JobDefinitionSpec):
        if spec.monitoring_type != api.monitoring_type:
            fail("MonitoringType", MONITORING_TYPE_MATCH, f"{monitoring_type} with a {type(spec).__name__}")
        request = spec.to_request(name)
    else:
        request = {
            **deepcopy(dict(check_object(spec, api.monitoring_type + "JobDefinition"))),
            "JobDefinitionName": name,
        }
    validate_job_definition_request(monitoring_type, request)
    return request


# -- schedules -----------------------------------------------------------------------------------------------

_CONFIG = "MonitoringScheduleConfig"
_SCHEDULE_CONFIG = join(_CONFIG, "ScheduleConfig")


def _schedule_config(
    schedule: ScheduleExpression | str | None, start: str | None, end: str | None
) -> dict[str, Any] | None:
    if schedule is None:
        if start is not None or end is not None:
            fail(
                _SCHEDULE_CONFIG,
                TIMES_NEED_SCHEDULE,
                {"DataAnalysisStartTime": start, "DataAnalysisEndTime": end},
            )
        return None
    expression = ScheduleExpression.coerce(schedule, join(_SCHEDULE_CONFIG, "ScheduleExpression"))
    if expression.is_now:
        windows.validate_now_times(start, end, _SCHEDULE_CONFIG)
    else:
        windows.validate_analysis_times(start, end, _SCHEDULE_CONFIG)
    return without_none(
        {
            "ScheduleExpression": expression.expression,
            "DataAnalysisStartTime": start,
            "DataAnalysisEndTime": end,
        }
    )


def validate_schedule_config(
    schedule: ScheduleExpression | str | None,
    data_analysis_start_time: str | None = None,
    data_analysis_end_time: str | None = None,
) -> None:
    """Check a schedule expression and its analysis times as :func:`schedule_request` does (NOW needs both).

    :param schedule: an expression or its API string; None lets the service pick a daily time.
    :param data_analysis_start_time: window start offset, e.g. ``-PT5H``.
    :param data_analysis_end_time: window end offset, e.g. ``-PT1H``.
    """
    _schedule_config(schedule, data_analysis_start_time, data_analysis_end_time)


def schedule_request(
    name: str,
    monitoring_type: str,
    job_definition_name: str,
    schedule: ScheduleExpression | str | None,
    data_analysis_start_time: str | None = None,
    data_analysis_end_time: str | None = None,
    tags: Tags | Mapping[str, str] | Sequence[Mapping[str, str]] | None = None,
) -> dict[str, Any]:
    """The validated keyword arguments of ``CreateMonitoringSchedule`` for a schedule by reference.

    :param name: the schedule name.
    :param monitoring_type: one of :data:`MONITORING_TYPES`.
    :param job_definition_name: the job definition the schedule runs.
    :param schedule: an expression or its API string; None lets the service pick a daily time.
    :param data_analysis_start_time: window start offset, e.g. ``-PT5H``; required with ``NOW``.
    :param data_analysis_end_time: window end offset, e.g. ``-PT1H``; required with ``NOW``.
    :param tags: tags of the schedule, as a mapping or an API tag list.
    """
    checks.check_name(name, "MonitoringScheduleName")
    monitoring_type_api(monitoring_type, join(_CONFIG, "MonitoringType"))
    checks.check_name(job_definition_name, join(_CONFIG, "MonitoringJobDefinitionName"))
    config = {
        "MonitoringJobDefinitionName": job_definition_name,
        "MonitoringType": monitoring_type,
        "ScheduleConfig": _schedule_config(schedule, data_analysis_start_time, data_analysis_end_time),
    }
    request: dict[str, Any] = {"MonitoringScheduleName": name, _CONFIG: without_none(config)}
    if tags is not None:
        request["Tags"] = Tags(tags).to_api()
    return request


def validate_runtime_for_schedule(
    monitoring_type: str,
    job_request: JobDefinitionSpec | Mapping[str, Any],
    schedule: ScheduleExpression | str | None,
) -> None:
    """Check the job's ``MaxRuntimeInSeconds`` fits the schedule's cadence.

    Hourly model-quality and model-bias runs may take at most 1800 s (two jobs share the hour); no run may
    take longer than the shortest gap between two runs (``cron(0 17/12 ? * * *)`` runs once a day).
    ``NOW``, no schedule (service-picked daily) and no stopping condition are not constrained here.

    :param monitoring_type: one of :data:`MONITORING_TYPES`.
    :param job_request: the job definition, as a typed spec or an API-shaped request.
    :param schedule: the schedule expression or its API string.
    """
    api = monitoring_type_api(monitoring_type)
    if isinstance(job_request, JobDefinitionSpec):
        job_request = job_request._members()
    stopping = job_request.get("StoppingCondition")
    if schedule is None or stopping is None:
        return
    expression = ScheduleExpression.coerce(schedule, join(_SCHEDULE_CONFIG, "ScheduleExpression"))
    gap = expression.shortest_gap
    if gap is None:
        return
    field_path = "StoppingCondition.MaxRuntimeInSeconds"
    runtime = require(check_object(stopping, "StoppingCondition"), "MaxRuntimeInSeconds", "StoppingCondition")
    checks.check_max_runtime(runtime, field_path)
    if gap.total_seconds() <= 3600 and api.has_ground_truth and runtime > 1800:
        fail(field_path, MAX_RUNTIME_HOURLY_QUALITY, runtime)
    if runtime > gap.total_seconds():
        fail(field_path, MAX_RUNTIME_INTERVAL, runtime)
