"""Typed building blocks of a job-definition request, each rendering its API dict with ``to_api()``.

Every class validates itself on construction, so literal mistakes fail where they are written. The
``validate_*`` functions run the same checks on plain API-shaped dicts, which is how the typed classes check
themselves: a typed object and the equivalent dict always get the same rules and the same field paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from airflow_mm_provider.monitoring import checks, windows
from airflow_mm_provider.monitoring.checks import check_object, fail, join, require
from airflow_mm_provider.monitoring.rules import rule
from airflow_mm_provider.monitoring.value_objects import ValueObject

_BC = "botocore SageMaker service model"

ENDPOINT_LOCAL_PATH = "/opt/ml/processing/input/endpoint"
"""Where the container sees captured endpoint data (the SageMaker SDK default)."""
BATCH_LOCAL_PATH = "/opt/ml/processing/input/batch"
"""Where the container sees captured batch-transform data."""
OUTPUT_LOCAL_PATH = "/opt/ml/processing/output"
"""Where the container writes its reports (the SageMaker SDK default)."""

S3_INPUT_MODES = ("Pipe", "File")
S3_DATA_DISTRIBUTION_TYPES = ("FullyReplicated", "ShardedByS3Key")
S3_UPLOAD_MODES = ("Continuous", "EndOfJob")
DATASET_FORMATS = ("Csv", "Json", "Parquet")

S3_INPUT_MODE = rule(
    "s3-input-mode-enum",
    "EndpointInput.S3InputMode, BatchTransformInput.S3InputMode",
    "must be 'Pipe' or 'File'",
    f"{_BC}: ProcessingS3InputMode enum",
)
S3_DATA_DISTRIBUTION_TYPE = rule(
    "s3-data-distribution-type-enum",
    "EndpointInput.S3DataDistributionType, BatchTransformInput.S3DataDistributionType",
    "must be 'FullyReplicated' or 'ShardedByS3Key'",
    f"{_BC}: ProcessingS3DataDistributionType enum",
)

S3_UPLOAD_MODE = rule(
    "s3-upload-mode-enum",
    "S3Output.S3UploadMode",
    "must be 'Continuous' or 'EndOfJob'",
    f"{_BC}: ProcessingS3UploadMode enum",
)
DATASET_FORMAT = rule(
    "dataset-format-one-of",
    "BatchTransformInput.DatasetFormat",
    "must hold exactly one of Csv, Json or Parquet",
    f"{_BC}: MonitoringDatasetFormat members Csv{{Header}}, Json{{Line}}, Parquet{{}}; the SDK sets one",
)
OUTPUTS_COUNT = rule(
    "monitoring-outputs-count",
    "<T>JobOutputConfig.MonitoringOutputs",
    "must be a list of exactly one output",
    f"{_BC}: MonitoringOutputs min 1, max 1",
)

_STRING_ATTRIBUTES = ("FeaturesAttribute", "InferenceAttribute", "ProbabilityAttribute")


# -- checks on API-shaped dicts ------------------------------------------------------------------------------


def _validate_captured_data(data: Mapping[str, Any], path: str) -> None:
    """Checks shared by EndpointInput and BatchTransformInput."""
    checks.check_local_path(require(data, "LocalPath", path), join(path, "LocalPath"))
    if data.get("S3InputMode") is not None:
        checks.check_enum(data["S3InputMode"], join(path, "S3InputMode"), S3_INPUT_MODE, S3_INPUT_MODES)
    if data.get("S3DataDistributionType") is not None:
        checks.check_enum(
            data["S3DataDistributionType"],
            join(path, "S3DataDistributionType"),
            S3_DATA_DISTRIBUTION_TYPE,
            S3_DATA_DISTRIBUTION_TYPES,
        )
    for key in _STRING_ATTRIBUTES:
        if data.get(key) is not None:
            checks.check_string_attribute(data[key], join(path, key))
    if data.get("ProbabilityThresholdAttribute") is not None:
        checks.check_probability_threshold(
            data["ProbabilityThresholdAttribute"], join(path, "ProbabilityThresholdAttribute")
        )
    if data.get("ExcludeFeaturesAttribute") is not None:
        checks.check_exclude_features(
            data["ExcludeFeaturesAttribute"], join(path, "ExcludeFeaturesAttribute")
        )
    start_delta, end_delta = windows.parse_input_offsets(data, path)
    if start_delta is not None and end_delta is not None and start_delta >= end_delta:
        fail(join(path, "StartTimeOffset"), windows.WINDOW_ORDER, data["StartTimeOffset"])


def validate_endpoint_input(data: Any, path: str = "EndpointInput") -> None:
    """Check an API ``EndpointInput`` dict.

    :param data: the EndpointInput structure.
    :param path: dotted path of the structure, named in errors.
    """
    data = check_object(data, path)
    checks.check_name(require(data, "EndpointName", path), join(path, "EndpointName"))
    _validate_captured_data(data, path)


def validate_batch_transform_input(data: Any, path: str = "BatchTransformInput") -> None:
    """Check an API ``BatchTransformInput`` dict.

    :param data: the BatchTransformInput structure.
    :param path: dotted path of the structure, named in errors.
    """
    data = check_object(data, path)
    destination = require(data, "DataCapturedDestinationS3Uri", path)
    checks.check_monitoring_s3_uri(destination, join(path, "DataCapturedDestinationS3Uri"))
    validate_dataset_format(require(data, "DatasetFormat", path), join(path, "DatasetFormat"))
    _validate_captured_data(data, path)


def validate_dataset_format(data: Any, path: str = "DatasetFormat") -> None:
    """Check an API ``MonitoringDatasetFormat`` dict: exactly one of Csv, Json, Parquet.

    :param data: the DatasetFormat structure.
    :param path: dotted path of the structure, named in errors.
    """
    data = check_object(data, path)
    given = [key for key in DATASET_FORMATS if data.get(key) is not None]
    if len(given) != 1:
        fail(path, DATASET_FORMAT, dict(data))
    kind = given[0]
    options = check_object(data[kind], join(path, kind))
    for flag in ("Header", "Line"):
        if options.get(flag) is not None:
            checks.check_bool(options[flag], join(join(path, kind), flag))


def validate_ground_truth_input(data: Any, path: str = "GroundTruthS3Input") -> None:
    """Check an API ``GroundTruthS3Input`` dict (the prefix holding ``yyyy/mm/dd/hh`` label files).

    :param data: the GroundTruthS3Input structure.
    :param path: dotted path of the structure, named in errors.
    """
    data = check_object(data, path)
    checks.check_monitoring_s3_uri(require(data, "S3Uri", path), join(path, "S3Uri"))


def validate_output_config(data: Any, path: str = "MonitoringOutputConfig") -> None:
    """Check an API ``MonitoringOutputConfig`` dict: one S3 output, its upload mode and the KMS key.

    :param data: the MonitoringOutputConfig structure.
    :param path: dotted path of the structure, named in errors.
    """
    data = check_object(data, path)
    outputs = require(data, "MonitoringOutputs", path)
    outputs_path = join(path, "MonitoringOutputs")
    if isinstance(outputs, (str, Mapping)) or not isinstance(outputs, Sequence) or len(outputs) != 1:
        fail(outputs_path, OUTPUTS_COUNT, outputs)
    item_path = join(outputs_path, "[0]")
    s3_path = join(item_path, "S3Output")
    s3_output = check_object(require(check_object(outputs[0], item_path), "S3Output", item_path), s3_path)
    checks.check_monitoring_s3_uri(require(s3_output, "S3Uri", s3_path), join(s3_path, "S3Uri"))
    checks.check_local_path(require(s3_output, "LocalPath", s3_path), join(s3_path, "LocalPath"))
    if s3_output.get("S3UploadMode") is not None:
        checks.check_enum(
            s3_output["S3UploadMode"], join(s3_path, "S3UploadMode"), S3_UPLOAD_MODE, S3_UPLOAD_MODES
        )
    if data.get("KmsKeyId") is not None:
        checks.check_kms_key_id(data["KmsKeyId"], join(path, "KmsKeyId"))


def validate_resources(data: Any, path: str = "JobResources") -> None:
    """Check an API ``MonitoringResources`` dict (its ``ClusterConfig``).

    :param data: the MonitoringResources structure.
    :param path: dotted path of the structure, named in errors.
    """
    data = check_object(data, path)
    cluster_path = join(path, "ClusterConfig")
    cluster = check_object(require(data, "ClusterConfig", path), cluster_path)
    checks.check_instance_count(
        require(cluster, "InstanceCount", cluster_path), join(cluster_path, "InstanceCount")
    )
    checks.check_instance_type(
        require(cluster, "InstanceType", cluster_path), join(cluster_path, "InstanceType")
    )
    checks.check_volume_size(
        require(cluster, "VolumeSizeInGB", cluster_path), join(cluster_path, "VolumeSizeInGB")
    )
    if cluster.get("VolumeKmsKeyId") is not None:
        checks.check_kms_key_id(cluster["VolumeKmsKeyId"], join(cluster_path, "VolumeKmsKeyId"))


def validate_network_config(data: Any, path: str = "NetworkConfig") -> None:
    """Check an API ``MonitoringNetworkConfig`` dict.

    :param data: the NetworkConfig structure.
    :param path: dotted path of the structure, named in errors.
    """
    data = check_object(data, path)
    for flag in ("EnableInterContainerTrafficEncryption", "EnableNetworkIsolation"):
        if data.get(flag) is not None:
            checks.check_bool(data[flag], join(path, flag))
    if data.get("VpcConfig") is not None:
        checks.check_vpc_config(data["VpcConfig"], join(path, "VpcConfig"))


def validate_stopping_condition(data: Any, path: str = "StoppingCondition") -> None:
    """Check an API ``MonitoringStoppingCondition`` dict.

    :param data: the StoppingCondition structure.
    :param path: dotted path of the structure, named in errors.
    """
    data = check_object(data, path)
    checks.check_max_runtime(require(data, "MaxRuntimeInSeconds", path), join(path, "MaxRuntimeInSeconds"))


def validate_baseline_config(data: Any, path: str = "BaselineConfig") -> None:
    """Check an API ``<T>BaselineConfig`` dict: baselining job name and the constraints/statistics URIs.

    :param data: the baseline config structure.
    :param path: dotted path of the structure, named in errors.
    """
    data = check_object(data, path)
    if data.get("BaseliningJobName") is not None:
        checks.check_name(data["BaseliningJobName"], join(path, "BaseliningJobName"))
    for key in ("ConstraintsResource", "StatisticsResource"):
        if data.get(key) is not None:
            resource_path = join(path, key)
            resource = check_object(data[key], resource_path)
            checks.check_s3_uri(require(resource, "S3Uri", resource_path), join(resource_path, "S3Uri"))


# -- typed inputs --------------------------------------------------------------------------------------------


def without_none(members: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """The API members that are set: ``members`` as a dict without the keys whose value is None.

    :param members: a mapping or (key, value) pairs.
    """
    return {key: value for key, value in dict(members).items() if value is not None}


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class _CapturedDataOptions(ValueObject):
    """Optional members shared by :class:`EndpointInput` and :class:`BatchTransformInput`.

    :param s3_input_mode: ``Pipe`` or ``File`` (service default File).
    :param s3_data_distribution_type: ``FullyReplicated`` or ``ShardedByS3Key`` (default FullyReplicated).
    :param features_attribute: JMESPath of the features in JSON Lines records (bias and explainability).
    :param inference_attribute: column index or JMESPath of the predicted label, as a string.
    :param probability_attribute: column index or JMESPath of the predicted probability, as a string.
    :param probability_threshold_attribute: probability cut-off for binary classification, in [0, 1].
    :param start_time_offset: ISO-8601 look-back of the window start, e.g. ``-PT2H``.
    :param end_time_offset: ISO-8601 look-back of the window end, e.g. ``-PT1H``.
    :param exclude_features_attribute: comma-separated column indices or names to leave out.
    """

    _API_NAMES: ClassVar[dict[str, str]] = {
        "s3_input_mode": "S3InputMode",
        "s3_data_distribution_type": "S3DataDistributionType",
        "features_attribute": "FeaturesAttribute",
        "inference_attribute": "InferenceAttribute",
        "probability_attribute": "ProbabilityAttribute",
        "probability_threshold_attribute": "ProbabilityThresholdAttribute",
        "start_time_offset": "StartTimeOffset",
        "end_time_offset": "EndTimeOffset",
        "exclude_features_attribute": "ExcludeFeaturesAttribute",
    }

    s3_input_mode: str | None = None
    s3_data_distribution_type: str | None = None
    features_attribute: str | None = None
    inference_attribute: str | None = None
    probability_attribute: str | None = None
    probability_threshold_attribute: float | None = None
    start_time_offset: str | None = None
    end_time_offset: str | None = None
    exclude_features_attribute: str | None = None

    def _options(self) -> dict[str, Any]:
        return without_none((api, getattr(self, name)) for name, api in self._API_NAMES.items())


@dataclass(frozen=True, eq=False, repr=False)
class EndpointInput(_CapturedDataOptions):
    """Captured data of a real-time endpoint (``EndpointInput``).

    :param endpoint_name: the monitored endpoint.
    :param local_path: where the container sees the data.
    """

    api_key: ClassVar[str] = "EndpointInput"

    endpoint_name: str
    local_path: str = ENDPOINT_LOCAL_PATH

    def __post_init__(self) -> None:
        validate_endpoint_input(self.to_api(), self.api_key)

    def to_api(self) -> dict[str, Any]:
        """The API ``EndpointInput`` dict."""
        return {"EndpointName": self.endpoint_name, "LocalPath": self.local_path, **self._options()}


@dataclass(frozen=True, eq=False, repr=False)
class DatasetFormat(ValueObject):
    """Format of batch-transform captured data; build it with :meth:`csv`, :meth:`json` or :meth:`parquet`.

    :param kind: ``Csv``, ``Json`` or ``Parquet``.
    :param flag: ``Header`` for Csv, ``Line`` for Json; None to leave it out.
    """

    kind: str
    flag: bool | None = None

    def __post_init__(self) -> None:
        if self.kind not in DATASET_FORMATS or (self.kind == "Parquet" and self.flag is not None):
            fail("DatasetFormat", DATASET_FORMAT, self.kind)
        validate_dataset_format(self.to_api())

    @classmethod
    def csv(cls, header: bool = True) -> DatasetFormat:
        """CSV records; ``header`` says whether the files start with a header row.

        :param header: True if the files have a header row.
        """
        return cls("Csv", header)

    @classmethod
    def json(cls, lines: bool = True) -> DatasetFormat:
        """JSON records; ``lines`` says whether they are JSON Lines.

        :param lines: True for one JSON document per line.
        """
        return cls("Json", lines)

    @classmethod
    def parquet(cls) -> DatasetFormat:
        """Parquet files."""
        return cls("Parquet")

    def to_api(self) -> dict[str, Any]:
        """The API ``MonitoringDatasetFormat`` dict, e.g. ``{"Csv": {"Header": True}}``."""
        member = {"Csv": "Header", "Json": "Line"}.get(self.kind)
        return {self.kind: {} if member is None or self.flag is None else {member: self.flag}}


@dataclass(frozen=True, eq=False, repr=False)
class BatchTransformInput(_CapturedDataOptions):
    """Captured data of a batch-transform job (``BatchTransformInput``).

    :param data_captured_destination_s3_uri: ``DestinationS3Uri`` of the transform's BatchDataCaptureConfig.
    :param dataset_format: format of the captured data.
    :param local_path: where the container sees the data.
    """

    api_key: ClassVar[str] = "BatchTransformInput"

    data_captured_destination_s3_uri: str
    dataset_format: DatasetFormat
    local_path: str = BATCH_LOCAL_PATH

    def __post_init__(self) -> None:
        if not isinstance(self.dataset_format, DatasetFormat):
            fail(join(self.api_key, "DatasetFormat"), DATASET_FORMAT, self.dataset_format)
        validate_batch_transform_input(self.to_api(), self.api_key)

    def to_api(self) -> dict[str, Any]:
        """The API ``BatchTransformInput`` dict."""
        return {
            "DataCapturedDestinationS3Uri": self.data_captured_destination_s3_uri,
            "DatasetFormat": self.dataset_format.to_api(),
            "LocalPath": self.local_path,
            **self._options(),
        }


@dataclass(frozen=True, eq=False, repr=False)
class GroundTruthInput(ValueObject):
    """The S3 prefix under which ground-truth labels land as ``yyyy/mm/dd/hh/*.jsonl`` (GroundTruthS3Input).

    :param s3_uri: the prefix, e.g. ``s3://bucket/ground-truth``.
    """

    s3_uri: str

    def __post_init__(self) -> None:
        validate_ground_truth_input(self.to_api())

    def to_api(self) -> dict[str, Any]:
        """The API ``GroundTruthS3Input`` dict."""
        return {"S3Uri": self.s3_uri}


@dataclass(frozen=True, eq=False, repr=False)
class MonitoringOutput(ValueObject):
    """Where reports go (``MonitoringOutputConfig`` with its single ``S3Output``).

    :param s3_uri: the report prefix, e.g. ``s3://bucket/reports``.
    :param local_path: where the container writes reports.
    :param s3_upload_mode: ``Continuous`` or ``EndOfJob``.
    :param kms_key_id: KMS key that encrypts the reports.
    """

    s3_uri: str
    local_path: str = OUTPUT_LOCAL_PATH
    s3_upload_mode: str = "Continuous"
    kms_key_id: str | None = None

    def __post_init__(self) -> None:
        validate_output_config(self.to_api())

    def to_api(self) -> dict[str, Any]:
        """The API ``MonitoringOutputConfig`` dict."""
        s3_output = {"S3Uri": self.s3_uri, "LocalPath": self.local_path, "S3UploadMode": self.s3_upload_mode}
        return without_none((("MonitoringOutputs", [{"S3Output": s3_output}]), ("KmsKeyId", self.kms_key_id)))


@dataclass(frozen=True, eq=False, repr=False)
class ClusterResources(ValueObject):
    """The processing cluster of each monitoring job (``MonitoringResources``).

    :param instance_count: number of instances, 1..100.
    :param instance_type: e.g. ``ml.m5.xlarge``.
    :param volume_size_in_gb: storage per instance, 1..16384 GB.
    :param volume_kms_key_id: KMS key that encrypts the storage volume.
    """

    instance_count: int = 1
    instance_type: str = "ml.m5.xlarge"
    volume_size_in_gb: int = 30
    volume_kms_key_id: str | None = None

    def __post_init__(self) -> None:
        validate_resources(self.to_api())

    def to_api(self) -> dict[str, Any]:
        """The API ``MonitoringResources`` dict."""
        cluster = {
            "InstanceCount": self.instance_count,
            "InstanceType": self.instance_type,
            "VolumeSizeInGB": self.volume_size_in_gb,
        }
        return {"ClusterConfig": without_none((*cluster.items(), ("VolumeKmsKeyId", self.volume_kms_key_id)))}


@dataclass(frozen=True, eq=False, repr=False)
class NetworkConfig(ValueObject):
    """Network isolation, encryption and VPC of the monitoring jobs (``MonitoringNetworkConfig``).

    :param security_group_ids: 1..5 security group ids; give subnets too.
    :param subnets: 1..16 subnet ids; give security groups too.
    :param enable_network_isolation: cut the containers off the network.
    :param enable_inter_container_traffic_encryption: encrypt traffic between instances.
    """

    security_group_ids: tuple[str, ...] = ()
    subnets: tuple[str, ...] = ()
    enable_network_isolation: bool | None = None
    enable_inter_container_traffic_encryption: bool | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "security_group_ids", _as_tuple(self.security_group_ids))
        object.__setattr__(self, "subnets", _as_tuple(self.subnets))
        validate_network_config(self.to_api())

    def to_api(self) -> dict[str, Any]:
        """The API ``MonitoringNetworkConfig`` dict (``VpcConfig`` only when ids are given)."""
        vpc = None
        if self.security_group_ids or self.subnets:
            vpc = {"SecurityGroupIds": list(self.security_group_ids), "Subnets": list(self.subnets)}
        return without_none(
            (
                ("EnableInterContainerTrafficEncryption", self.enable_inter_container_traffic_encryption),
                ("EnableNetworkIsolation", self.enable_network_isolation),
                ("VpcConfig", vpc),
            )
        )


@dataclass(frozen=True, eq=False, repr=False)
class StoppingCondition(ValueObject):
    """The runtime limit of one monitoring execution (``MonitoringStoppingCondition``).

    :param max_runtime_in_seconds: 1..86400; at most 1800 for hourly model quality / bias and never more than
        the schedule's interval (checked against a schedule by ``validate_runtime_for_schedule``).
    """

    max_runtime_in_seconds: int

    def __post_init__(self) -> None:
        validate_stopping_condition(self.to_api())

    def to_api(self) -> dict[str, Any]:
        """The API ``MonitoringStoppingCondition`` dict."""
        return {"MaxRuntimeInSeconds": self.max_runtime_in_seconds}


@dataclass(frozen=True, eq=False, repr=False)
class BaselineConfig(ValueObject):
    """The baseline a monitor compares against (``<T>BaselineConfig``).

    :param baselining_job_name: the processing job that produced the baseline; the schedule waits for it.
    :param constraints_uri: S3 URI of ``constraints.json`` (or Clarify ``analysis.json``).
    :param statistics_uri: S3 URI of ``statistics.json``; data quality only.
    """

    baselining_job_name: str | None = None
    constraints_uri: str | None = None
    statistics_uri: str | None = None

    def __post_init__(self) -> None:
        validate_baseline_config(self.to_api())

    def to_api(self) -> dict[str, Any]:
        """The API ``<T>BaselineConfig`` dict."""
        return without_none(
            (
                ("BaseliningJobName", self.baselining_job_name),
                (
                    "ConstraintsResource",
                    None if self.constraints_uri is None else {"S3Uri": self.constraints_uri},
                ),
                (
                    "StatisticsResource",
                    None if self.statistics_uri is None else {"S3Uri": self.statistics_uri},
                ),
            )
        )


class Tags:
    """Resource tags, given as a ``{key: value}`` mapping or as the API's ``[{"Key": k, "Value": v}]`` list.

    :param tags: the tags in either form.
    """

    __slots__ = ("pairs",)

    pairs: tuple[tuple[str, str], ...]

    def __init__(self, tags: Mapping[str, str] | Sequence[Mapping[str, str]] | Tags) -> None:
        if isinstance(tags, Tags):
            pairs = tags.pairs
        elif isinstance(tags, Mapping):
            pairs = tuple(tags.items())
        else:
            checks.check_tags(tags)
            pairs = tuple((tag["Key"], tag["Value"]) for tag in tags)
        object.__setattr__(self, "pairs", pairs)
        checks.check_tags(self.to_api())

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Tags is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tags) and other.pairs == self.pairs

    def __hash__(self) -> int:
        return hash(self.pairs)

    def __repr__(self) -> str:
        return f"Tags({dict(self.pairs)!r})"

    def to_api(self) -> list[dict[str, str]]:
        """The API ``Tags`` list."""
        return [{"Key": key, "Value": value} for key, value in self.pairs]


def _as_tuple(values: Any) -> Any:
    """Freeze a list of ids into a tuple; leave anything else for validation to report."""
    return tuple(values) if isinstance(values, list) else values
