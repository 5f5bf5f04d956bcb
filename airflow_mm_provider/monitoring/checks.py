"""Small offline validators for API-shaped Model Monitor values, each tied to one registered rule.

Every check takes the value and the dotted API field path to name in the error, and raises
:class:`MonitoringValidationError` when the value breaks the rule. Limits are those of the botocore SageMaker
service model; botocore itself leaves patterns and most lengths to the service, so these checks fail earlier.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from typing import Any, NoReturn, TypeGuard

from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.rules import Rule, rule

_BC = "botocore SageMaker service model"

NAME_FIELDS = (
    "JobDefinitionName, MonitoringScheduleName, MonitoringJobDefinitionName, EndpointName, BaseliningJobName"
)

NAME = rule(
    "name-pattern",
    NAME_FIELDS,
    "must be 1 to 63 letters, digits or hyphens, starting and ending with a letter or digit",
    f"{_BC}: pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9]){{0,62}}$, 1..63; longer names: ValidationException",
)
S3_URI_PATTERN = rule(
    "s3-uri-pattern",
    "every S3Uri, ConfigUri, pre/post-processor source URI, DataCapturedDestinationS3Uri",
    "must be a string like s3://bucket/prefix (or https://...)",
    f"{_BC}: S3Uri, MonitoringS3Uri and DestinationS3Uri patterns (https|s3)://([^/]+)/?(.*)",
)
S3_URI_LENGTH = rule(
    "s3-uri-length",
    "ConstraintsResource.S3Uri, StatisticsResource.S3Uri, ConfigUri, RecordPreprocessorSourceUri, "
    "PostAnalyticsProcessorSourceUri",
    "must be at most 1024 characters",
    f"{_BC}: S3Uri max length 1024",
)
MONITORING_S3_URI_LENGTH = rule(
    "monitoring-s3-uri-length",
    "S3Output.S3Uri, GroundTruthS3Input.S3Uri, BatchTransformInput.DataCapturedDestinationS3Uri",
    "must be at most 512 characters",
    f"{_BC}: MonitoringS3Uri and DestinationS3Uri max length 512",
)
ROLE_ARN = rule(
    "role-arn-pattern",
    "RoleArn",
    "must be an IAM role ARN like arn:aws:iam::123456789012:role/Name, 20 to 2048 characters",
    f"{_BC}: RoleArn pattern arn:aws[a-z\\-]*:iam::\\d{{12}}:role/?[a-zA-Z_0-9+=,.@\\-_/]+, length 20..2048",
)
INSTANCE_COUNT = rule(
    "instance-count-range",
    "ClusterConfig.InstanceCount",
    "must be an integer from 1 to 100",
    f"{_BC}: ProcessingInstanceCount 1..100",
)
INSTANCE_TYPE = rule(
    "instance-type-format",
    "ClusterConfig.InstanceType",
    "must be a processing instance type like ml.m5.xlarge",
    f"{_BC}: ProcessingInstanceType is an enum of ml.<family>.<size> names (the list grows with botocore)",
)
VOLUME_SIZE = rule(
    "volume-size-range",
    "ClusterConfig.VolumeSizeInGB",
    "must be an integer from 1 to 16384",
    f"{_BC}: ProcessingVolumeSizeInGB 1..16384",
)
MAX_RUNTIME = rule(
    "max-runtime-range",
    "StoppingCondition.MaxRuntimeInSeconds",
    "must be an integer from 1 to 86400",
    f"{_BC}: MonitoringMaxRuntimeInSeconds 1..86400",
)
KMS_KEY_ID = rule(
    "kms-key-id",
    "MonitoringOutputConfig.KmsKeyId, ClusterConfig.VolumeKmsKeyId",
    "must be at most 2048 letters, digits and ':/_-' characters",
    f"{_BC}: KmsKeyId pattern [a-zA-Z0-9:/_-]*, max length 2048",
)
ENVIRONMENT_SIZE = rule(
    "environment-size",
    "<T>AppSpecification.Environment",
    "must be a mapping of at most 50 entries",
    f"{_BC}: MonitoringEnvironmentMap max 50 entries",
)
ENVIRONMENT_KEY = rule(
    "environment-key",
    "<T>AppSpecification.Environment keys",
    "must be a variable name of letters, digits and underscores, not starting with a digit, at most 256 long",
    f"{_BC}: ProcessingEnvironmentKey pattern [a-zA-Z_][a-zA-Z0-9_]*, max length 256",
)
ENVIRONMENT_VALUE = rule(
    "environment-value",
    "<T>AppSpecification.Environment values",
    "must be a string of at most 256 characters (convert numbers and booleans with str())",
    f"{_BC}: ProcessingEnvironmentValue is a string, max length 256; non-strings fail ParamValidation",
)
TAGS_COUNT = rule(
    "tags-count",
    "Tags",
    "must be a list of at most 50 tags",
    f"{_BC}: TagList 0..50 items",
)
TAG_KEY = rule(
    "tag-key",
    "Tags[].Key",
    "must be 1 to 128 letters, digits, spaces or '_.:/=+-@' characters",
    f"{_BC}: TagKey length 1..128, pattern [\\p{{L}}\\p{{Z}}\\p{{N}}_.:/=+\\-@]*",
)
TAG_KEY_RESERVED = rule(
    "tag-key-reserved-prefix",
    "Tags[].Key; DeleteTags TagKeys",
    "must not start with 'aws:' (in any letter case): that prefix is reserved for AWS",
    "SageMaker answers ValidationException \"System prefix 'aws:' reserved for AWS usage in tag key\" "
    "(sagemaker-python-sdk issue #1301, fixed by PR #1362); AWS tagging docs (e.g. ECS, Batch Tag: 'aws:, "
    "AWS:, or any upper or lowercase combination')",
)
TAG_VALUE = rule(
    "tag-value",
    "Tags[].Value",
    "must be at most 256 letters, digits, spaces or '_.:/=+-@' characters",
    f"{_BC}: TagValue length 0..256, pattern [\\p{{L}}\\p{{Z}}\\p{{N}}_.:/=+\\-@]*",
)
SECURITY_GROUP_IDS = rule(
    "security-group-ids",
    "VpcConfig.SecurityGroupIds",
    "must be a list of 1 to 5 ids of at most 32 letters, digits or hyphens",
    f"{_BC}: VpcSecurityGroupIds 1..5 items; SecurityGroupId pattern [-0-9a-zA-Z]+, max length 32",
)
SUBNETS = rule(
    "subnets",
    "VpcConfig.Subnets",
    "must be a list of 1 to 16 ids of at most 32 letters, digits or hyphens",
    f"{_BC}: Subnets 1..16 items; SubnetId pattern [-0-9a-zA-Z]+, max length 32",
)
CONTAINER_ARGUMENTS = rule(
    "container-arguments",
    "<T>AppSpecification.ContainerArguments",
    "must be a list of 1 to 50 strings of at most 256 characters",
    f"{_BC}: MonitoringContainerArguments 1..50 items, each max 256 (processing jobs allow 100)",
)
CONTAINER_ENTRYPOINT = rule(
    "container-entrypoint",
    "<T>AppSpecification.ContainerEntrypoint",
    "must be a list of 1 to 100 strings of at most 256 characters",
    f"{_BC}: ContainerEntrypoint 1..100 items, each max 256",
)
IMAGE_URI = rule(
    "image-uri",
    "<T>AppSpecification.ImageUri",
    "must be a non-empty string of at most 255 characters",
    f"{_BC}: ImageUri max length 255 (required member)",
)
STRING_ATTRIBUTE = rule(
    "string-attribute",
    "EndpointInput/BatchTransformInput .FeaturesAttribute, .InferenceAttribute, .ProbabilityAttribute",
    "must be a string, even for a column index (write '0', not 0)",
    f"{_BC}: these members are String; integers fail boto3 ParamValidation (sagemaker-python-sdk PR #2596)",
)
PROBABILITY_THRESHOLD = rule(
    "probability-threshold-range",
    "EndpointInput/BatchTransformInput .ProbabilityThresholdAttribute",
    "must be a number from 0 to 1",
    f"{_BC}: ProbabilityThresholdAttribute is a double; it is a probability cut-off (SDK default 0.5)",
)
EXCLUDE_FEATURES = rule(
    "exclude-features-length",
    "EndpointInput/BatchTransformInput .ExcludeFeaturesAttribute",
    "must be a string of at most 100 characters (comma-separated column indices or names)",
    f"{_BC}: ExcludeFeaturesAttribute max length 100",
)
LOCAL_PATH = rule(
    "local-path",
    "EndpointInput.LocalPath, BatchTransformInput.LocalPath, S3Output.LocalPath",
    "must be a non-empty string of at most 256 characters",
    f"{_BC}: ProcessingLocalPath max length 256 (required member)",
)
BOOLEAN = rule(
    "boolean-field",
    "NetworkConfig.EnableNetworkIsolation, NetworkConfig.EnableInterContainerTrafficEncryption, "
    "DatasetFormat.Csv.Header, DatasetFormat.Json.Line",
    "must be true or false",
    f"{_BC}: Boolean members",
)
REQUIRED = rule(
    "required-field",
    "members the API marks required (e.g. RoleArn, <T>AppSpecification, ConfigUri, EndpointName)",
    "must be given",
    f"{_BC}: required members of each request shape",
)
OBJECT = rule(
    "object-field",
    "structure members (e.g. JobResources, <T>JobInput, NetworkConfig)",
    "must be a mapping (a JSON object)",
    f"{_BC}: structure members are JSON objects",
)

_NAME_PATTERN = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
_S3_PATTERN = r"(https|s3)://([^/]+)/?(.*)"
_ROLE_ARN_PATTERN = r"arn:aws[a-z\-]*:iam::[0-9]{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
_INSTANCE_TYPE_PATTERN = r"ml\.[a-z0-9]+(-[a-z0-9]+)*\.[a-z0-9]+"
_KMS_PATTERN = r"[a-zA-Z0-9:/_-]*"
_ENV_KEY_PATTERN = r"[a-zA-Z_][a-zA-Z0-9_]*"
_VPC_ID_PATTERN = r"[-0-9a-zA-Z]+"
_TAG_PUNCTUATION = frozenset("_.:/=+-@")


def fail(field: str, broken: Rule, *value: Any) -> NoReturn:
    """Raise the validation error for ``field`` breaking ``broken``, quoting ``value`` when one is given.

    :param field: dotted API path of the field.
    :param broken: the rule that was broken.
    :param value: the offending value (optional; leave it out for a missing member).
    """
    raise MonitoringValidationError(field, broken, *value)


def join(path: str, key: str) -> str:
    """Return the dotted field path of member ``key`` under ``path`` (``path`` may be empty).

    :param path: dotted path of the parent structure.
    :param key: the member name, or an index like ``[0]``.
    """
    if not path:
        return key
    return f"{path}{key}" if key.startswith("[") else f"{path}.{key}"


def is_string(value: Any, low: int, high: int) -> bool:
    """True if ``value`` is a ``str`` whose length is within ``low..high``.

    :param value: any value.
    :param low: minimum length.
    :param high: maximum length.
    """
    return isinstance(value, str) and low <= len(value) <= high


def is_int(value: Any, low: int, high: float = math.inf) -> TypeGuard[int]:
    """True if ``value`` is an ``int`` (not a bool) within ``low..high``.

    :param value: any value.
    :param low: smallest allowed value.
    :param high: largest allowed value (no limit by default).
    """
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def check_string(
    value: Any, field: str, broken: Rule, low: int, high: int, pattern: str | None = None
) -> None:
    """Check ``value`` is a string of ``low..high`` characters that fully matches ``pattern`` (if given).

    :param value: the value to check.
    :param field: dotted API path named in the error.
    :param broken: the rule to report.
    :param low: minimum length.
    :param high: maximum length.
    :param pattern: a regular expression the whole string must match.
    """
    if not is_string(value, low, high) or (pattern is not None and not re.fullmatch(pattern, value)):
        fail(field, broken, value)


def check_int(value: Any, field: str, broken: Rule, low: int, high: int) -> None:
    """Check ``value`` is an ``int`` (not a bool) within ``low..high``.

    :param value: the value to check.
    :param field: dotted API path named in the error.
    :param broken: the rule to report.
    :param low: smallest allowed value.
    :param high: largest allowed value.
    """
    if not is_int(value, low, high):
        fail(field, broken, value)


def check_enum(value: Any, field: str, broken: Rule, allowed: Collection[str]) -> None:
    """Check ``value`` is one of ``allowed`` (case-sensitive, as the API is).

    :param value: the value to check.
    :param field: dotted API path named in the error.
    :param broken: the rule to report.
    :param allowed: the enum's values.
    """
    if not isinstance(value, str) or value not in allowed:
        fail(field, broken, value)


def check_bool(value: Any, field: str) -> None:
    """Check ``value`` is ``True`` or ``False``.

    :param value: the value to check.
    :param field: dotted API path named in the error.
    """
    if not isinstance(value, bool):
        fail(field, BOOLEAN, value)


def require(data: Mapping[str, Any], key: str, path: str) -> Any:
    """Return ``data[key]``, which the API requires; fail if it is missing or None.

    :param data: the structure holding the member.
    :param key: the member name.
    :param path: dotted path of ``data``.
    """
    value = data.get(key)
    if value is None:
        fail(join(path, key), REQUIRED)
    return value


def check_object(value: Any, field: str) -> Mapping[str, Any]:
    """Return ``value`` if it is a mapping (an API structure); fail otherwise.

    :param value: the value to check.
    :param field: dotted API path named in the error.
    """
    if not isinstance(value, Mapping):
        fail(field, OBJECT, value)
    return value


def check_name(value: Any, field: str) -> None:
    """Check a schedule, job-definition, endpoint or processing-job name against the service pattern.

    :param value: the name.
    :param field: dotted API path named in the error.
    """
    check_string(value, field, NAME, 1, 63, _NAME_PATTERN)


def _check_s3(value: Any, field: str, length_rule: Rule, limit: int) -> None:
    if not isinstance(value, str) or not re.fullmatch(_S3_PATTERN, value):
        fail(field, S3_URI_PATTERN, value)
    if len(value) > limit:
        fail(field, length_rule, value)


def check_s3_uri(value: Any, field: str) -> None:
    """Check an ``S3Uri`` member (baseline resources, ConfigUri, processor scripts): pattern, ≤1024.

    :param value: the URI.
    :param field: dotted API path named in the error.
    """
    _check_s3(value, field, S3_URI_LENGTH, 1024)


def check_monitoring_s3_uri(value: Any, field: str) -> None:
    """Check a ``MonitoringS3Uri`` or ``DestinationS3Uri`` (outputs, ground truth, batch capture): ≤512.

    :param value: the URI.
    :param field: dotted API path named in the error.
    """
    _check_s3(value, field, MONITORING_S3_URI_LENGTH, 512)


def check_role_arn(value: Any, field: str = "RoleArn") -> None:
    """Check an IAM role ARN.

    :param value: the ARN.
    :param field: dotted API path named in the error.
    """
    check_string(value, field, ROLE_ARN, 20, 2048, _ROLE_ARN_PATTERN)


def check_instance_count(value: Any, field: str) -> None:
    """Check ``ClusterConfig.InstanceCount`` is 1..100.

    :param value: the count.
    :param field: dotted API path named in the error.
    """
    check_int(value, field, INSTANCE_COUNT, 1, 100)


def check_instance_type(value: Any, field: str) -> None:
    """Check ``ClusterConfig.InstanceType`` looks like ``ml.<family>.<size>``.

    :param value: the instance type.
    :param field: dotted API path named in the error.
    """
    check_string(value, field, INSTANCE_TYPE, 1, 64, _INSTANCE_TYPE_PATTERN)


def check_volume_size(value: Any, field: str) -> None:
    """Check ``ClusterConfig.VolumeSizeInGB`` is 1..16384.

    :param value: the size in GB.
    :param field: dotted API path named in the error.
    """
    check_int(value, field, VOLUME_SIZE, 1, 16384)


def check_max_runtime(value: Any, field: str) -> None:
    """Check ``StoppingCondition.MaxRuntimeInSeconds`` is 1..86400.

    :param value: the runtime in seconds.
    :param field: dotted API path named in the error.
    """
    check_int(value, field, MAX_RUNTIME, 1, 86400)


def check_kms_key_id(value: Any, field: str) -> None:
    """Check a KMS key id, alias or ARN.

    :param value: the key id.
    :param field: dotted API path named in the error.
    """
    check_string(value, field, KMS_KEY_ID, 0, 2048, _KMS_PATTERN)


def check_environment(value: Any, field: str) -> None:
    """Check an ``Environment`` map: ≤50 entries, variable-name keys, string values ≤256.

    :param value: the environment mapping.
    :param field: dotted API path named in the error.
    """
    if not isinstance(value, Mapping) or len(value) > 50:
        fail(field, ENVIRONMENT_SIZE, value)
    for key, item in value.items():
        check_string(key, join(field, str(key)), ENVIRONMENT_KEY, 1, 256, _ENV_KEY_PATTERN)
        check_string(item, join(field, key), ENVIRONMENT_VALUE, 0, 256)


def _is_tag_text(value: Any, low: int, high: int) -> bool:
    return is_string(value, low, high) and all(
        unicodedata.category(char)[0] in "LZN" or char in _TAG_PUNCTUATION for char in value
    )


def check_tags(value: Any, field: str = "Tags") -> None:
    """Check an API tag list ``[{"Key": ..., "Value": ...}]``: ≤50 tags, keys 1..128 not starting with
    ``aws:``, values ≤256.

    :param value: the tag list.
    :param field: dotted API path named in the error.
    """
    if isinstance(value, (str, Mapping)) or not isinstance(value, Sequence) or len(value) > 50:
        fail(field, TAGS_COUNT, value)
    for index, tag in enumerate(value):
        path = join(field, f"[{index}]")
        tag = check_object(tag, path)
        if not _is_tag_text(require(tag, "Key", path), 1, 128):
            fail(join(path, "Key"), TAG_KEY, tag["Key"])
        check_tag_key_not_reserved(tag["Key"], join(path, "Key"))
        if not _is_tag_text(require(tag, "Value", path), 0, 256):
            fail(join(path, "Value"), TAG_VALUE, tag["Value"])


def check_tag_key_not_reserved(key: str, field: str) -> None:
    """Refuse a tag key starting with the reserved ``aws:`` prefix, in any letter case.

    :param key: the tag key.
    :param field: dotted API path named in the error.
    """
    if key[:4].lower() == "aws:":
        fail(field, TAG_KEY_RESERVED, key)


def check_string_list(
    value: Any,
    field: str,
    broken: Rule,
    max_items: int,
    item_length: int,
    pattern: str | None = None,
) -> None:
    """Check ``value`` is a list of 1..``max_items`` strings, each at most ``item_length`` long.

    :param value: the list.
    :param field: dotted API path named in the error.
    :param broken: the rule to report.
    :param max_items: maximum number of items.
    :param item_length: maximum length of each item.
    :param pattern: a regular expression each item must fully match.
    """
    if (
        isinstance(value, (str, Mapping))
        or not isinstance(value, Sequence)
        or not 1 <= len(value) <= max_items
    ):
        fail(field, broken, value)
    for index, item in enumerate(value):
        check_string(
            item, join(field, f"[{index}]"), broken, 0 if pattern is None else 1, item_length, pattern
        )


def check_vpc_config(value: Any, field: str) -> None:
    """Check a ``VpcConfig``: 1..5 security group ids and 1..16 subnet ids.

    :param value: the VpcConfig structure.
    :param field: dotted API path named in the error.
    """
    vpc = check_object(value, field)
    check_string_list(
        vpc.get("SecurityGroupIds"),
        join(field, "SecurityGroupIds"),
        SECURITY_GROUP_IDS,
        5,
        32,
        _VPC_ID_PATTERN,
    )
    check_string_list(vpc.get("Subnets"), join(field, "Subnets"), SUBNETS, 16, 32, _VPC_ID_PATTERN)


def check_container_arguments(value: Any, field: str) -> None:
    """Check ``ContainerArguments``: 1..50 strings of at most 256 characters.

    :param value: the argument list.
    :param field: dotted API path named in the error.
    """
    check_string_list(value, field, CONTAINER_ARGUMENTS, 50, 256)


def check_container_entrypoint(value: Any, field: str) -> None:
    """Check ``ContainerEntrypoint``: 1..100 strings of at most 256 characters.

    :param value: the entrypoint list.
    :param field: dotted API path named in the error.
    """
    check_string_list(value, field, CONTAINER_ENTRYPOINT, 100, 256)


def check_image_uri(value: Any, field: str) -> None:
    """Check ``ImageUri`` is a non-empty string of at most 255 characters.

    :param value: the image URI.
    :param field: dotted API path named in the error.
    """
    check_string(value, field, IMAGE_URI, 1, 255)


def check_string_attribute(value: Any, field: str) -> None:
    """Check a features, inference or probability attribute is a string (an index too, e.g. ``"0"``).

    :param value: the attribute.
    :param field: dotted API path named in the error.
    """
    if not isinstance(value, str):
        fail(field, STRING_ATTRIBUTE, value)


def check_probability_threshold(value: Any, field: str) -> None:
    """Check ``ProbabilityThresholdAttribute`` is a number in [0, 1].

    :param value: the threshold.
    :param field: dotted API path named in the error.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        fail(field, PROBABILITY_THRESHOLD, value)


def check_exclude_features(value: Any, field: str) -> None:
    """Check ``ExcludeFeaturesAttribute`` is a string of at most 100 characters.

    :param value: the comma-separated indices or names.
    :param field: dotted API path named in the error.
    """
    check_string(value, field, EXCLUDE_FEATURES, 0, 100)


def check_local_path(value: Any, field: str) -> None:
    """Check a container ``LocalPath`` is a non-empty string of at most 256 characters.

    :param value: the path inside the container.
    :param field: dotted API path named in the error.
    """
    check_string(value, field, LOCAL_PATH, 1, 256)
