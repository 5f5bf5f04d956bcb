from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from airflow_mm_provider.monitoring import checks
from airflow_mm_provider.monitoring.errors import MonitoringValidationError

ROLE = "arn:aws:iam::123456789012:role/MonitorRole"

# (check, values it accepts, values it refuses, rule id of the refusal)
TABLE: list[tuple[Callable[[Any, str], None], list[Any], list[Any], str]] = [
    (
        checks.check_name,
        ["a", "A" * 63, "a-b", "a--b9", "0"],
        ["", "a" * 64, "-a", "a-", "a_b", "a b", 5],
        "name-pattern",
    ),
    (
        checks.check_role_arn,
        [
            ROLE,
            "arn:aws-cn:iam::123456789012:role/path/to/R",
            "arn:aws-us-gov:iam::123456789012:role/a+b=c,d.e@f",
        ],
        [
            "arn:aws:iam::12345678901:role/R",
            "arn:aws:iam::123456789012:user/R",
            "arn:aws:iam::123456789012:role",
            1,
        ],
        "role-arn-pattern",
    ),
    (checks.check_instance_count, [1, 100], [0, 101, 1.0, True, "1"], "instance-count-range"),
    (checks.check_volume_size, [1, 16384], [0, 16385, None], "volume-size-range"),
    (checks.check_max_runtime, [1, 86400], [0, 86401, 3600.0], "max-runtime-range"),
    (
        checks.check_instance_type,
        ["ml.m5.xlarge", "ml.t3.medium", "ml.m7i-flex.large", "ml.g4dn.12xlarge"],
        ["m5.xlarge", "ml.m5", "ML.M5.XLARGE", "ml.m5.xlarge ", ""],
        "instance-type-format",
    ),
    (
        checks.check_kms_key_id,
        ["alias/reports", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab", "k" * 2048],
        ["my key", "alias/r+s", "k" * 2049, 3],
        "kms-key-id",
    ),
    (checks.check_image_uri, ["i", "i" * 255], ["", "i" * 256, None], "image-uri"),
    (checks.check_string_attribute, ["0", "prediction", ""], [0, 1.5, None, ["0"]], "string-attribute"),
    (
        checks.check_probability_threshold,
        [0, 1, 0.5],
        [-0.1, 1.01, True, "0.5", None],
        "probability-threshold-range",
    ),
    (checks.check_exclude_features, ["", "1,2", "x" * 100], ["x" * 101, 1], "exclude-features-length"),
    (checks.check_local_path, ["/opt/ml/x", "p" * 256], ["", "p" * 257, None], "local-path"),
    (checks.check_bool, [True, False], ["true", 1, None], "boolean-field"),
    (
        checks.check_container_arguments,
        [["--a"], ["x"] * 50, ["a" * 256], [""]],
        [[], ["x"] * 51, ["a" * 257], [1], "--a", ("a" for _ in range(1))],
        "container-arguments",
    ),
    (
        checks.check_container_entrypoint,
        [["python3"], ["x"] * 100],
        [[], ["x"] * 101, ["e" * 257], "python3"],
        "container-entrypoint",
    ),
]


def _cases(accepted: bool) -> list[Any]:
    cases = []
    for check, good, bad, rule_id in TABLE:
        for index, value in enumerate(good if accepted else bad):
            cases.append(pytest.param(check, value, rule_id, id=f"{rule_id}-{index}"))
    return cases


@pytest.mark.parametrize(("check", "value", "rule_id"), _cases(accepted=True))
def test_check_accepts_values_within_limits(check, value, rule_id):
    assert check(value, "Field") is None


@pytest.mark.parametrize(("check", "value", "rule_id"), _cases(accepted=False))
def test_check_refuses_values_beyond_limits(check, value, rule_id):
    with pytest.raises(MonitoringValidationError) as err:
        check(value, "Some.Field")
    assert err.value.rule.id == rule_id
    assert err.value.field.startswith("Some.Field")


@pytest.mark.parametrize(
    ("check", "limit", "length_rule"),
    [
        (checks.check_s3_uri, 1024, "s3-uri-length"),
        (checks.check_monitoring_s3_uri, 512, "monitoring-s3-uri-length"),
    ],
)
def test_s3_uri_pattern_and_length(check, limit, length_rule):
    at_limit = "s3://bucket/" + "k" * (limit - len("s3://bucket/"))
    for good in ("s3://b", "s3://bucket/prefix/", "https://bucket.s3.amazonaws.com/key", at_limit):
        check(good, "S3Uri")
    for bad in ("bucket/prefix", "s3:///prefix", "S3://b", "gs://b/c", "s3://", 7, None):
        with pytest.raises(MonitoringValidationError) as err:
            check(bad, "S3Uri")
        assert err.value.rule.id == "s3-uri-pattern"
    with pytest.raises(MonitoringValidationError) as err:
        check(at_limit + "k", "S3Uri")
    assert err.value.rule.id == length_rule


def test_environment_limits():
    checks.check_environment({f"K_{i}": "v" * 256 for i in range(50)}, "Environment")
    checks.check_environment({"_private": "", "a1": "x"}, "Environment")
    refused = [
        ({f"K{i}": "v" for i in range(51)}, "environment-size", "Environment"),
        ([("a", "b")], "environment-size", "Environment"),
        ({"1a": "v"}, "environment-key", "Environment.1a"),
        ({"a-b": "v"}, "environment-key", "Environment.a-b"),
        ({"k" * 257: "v"}, "environment-key", "Environment." + "k" * 257),
        ({"a": "v" * 257}, "environment-value", "Environment.a"),
        ({"a": 1}, "environment-value", "Environment.a"),
        ({"a": True}, "environment-value", "Environment.a"),
    ]
    for env, rule_id, field in refused:
        with pytest.raises(MonitoringValidationError) as err:
            checks.check_environment(env, "Environment")
        assert (err.value.rule.id, err.value.field) == (rule_id, field)


def test_tag_limits():
    checks.check_tags([{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    checks.check_tags(
        [
            {"Key": "équipe data", "Value": ""},
            {"Key": "a_.:/=+-@", "Value": "x" * 256},
            {"Key": "k" * 128, "Value": "日本"},
        ]
    )
    refused = [
        ([{"Key": f"k{i}", "Value": "v"} for i in range(51)], "tags-count", "Tags"),
        ({"Key": "a", "Value": "b"}, "tags-count", "Tags"),
        ([{"Key": "", "Value": "v"}], "tag-key", "Tags[0].Key"),
        ([{"Key": "k" * 129, "Value": "v"}], "tag-key", "Tags[0].Key"),
        ([{"Key": "a", "Value": "b"}, {"Key": "a|b", "Value": "v"}], "tag-key", "Tags[1].Key"),
        ([{"Key": "a", "Value": "x" * 257}], "tag-value", "Tags[0].Value"),
        ([{"Key": "a", "Value": 1}], "tag-value", "Tags[0].Value"),
        ([{"Key": "a"}], "required-field", "Tags[0].Value"),
        (["a"], "object-field", "Tags[0]"),
    ]
    for tags, rule_id, field in refused:
        with pytest.raises(MonitoringValidationError) as err:
            checks.check_tags(tags)
        assert (err.value.rule.id, err.value.field) == (rule_id, field)


def test_vpc_limits():
    checks.check_vpc_config({"SecurityGroupIds": ["sg-1"] * 5, "Subnets": ["subnet-1"] * 16}, "VpcConfig")
    refused = [
        ({"SecurityGroupIds": [], "Subnets": ["s-1"]}, "security-group-ids", "VpcConfig.SecurityGroupIds"),
        (
            {"SecurityGroupIds": ["sg-1"] * 6, "Subnets": ["s-1"]},
            "security-group-ids",
            "VpcConfig.SecurityGroupIds",
        ),
        (
            {"SecurityGroupIds": ["sg_1"], "Subnets": ["s-1"]},
            "security-group-ids",
            "VpcConfig.SecurityGroupIds[0]",
        ),
        (
            {"SecurityGroupIds": ["s" * 33], "Subnets": ["s-1"]},
            "security-group-ids",
            "VpcConfig.SecurityGroupIds[0]",
        ),
        ({"SecurityGroupIds": ["sg-1"]}, "subnets", "VpcConfig.Subnets"),
        ({"SecurityGroupIds": ["sg-1"], "Subnets": ["s-1"] * 17}, "subnets", "VpcConfig.Subnets"),
        ({"SecurityGroupIds": ["sg-1"], "Subnets": [""]}, "subnets", "VpcConfig.Subnets[0]"),
        ("sg-1", "object-field", "VpcConfig"),
    ]
    for vpc, rule_id, field in refused:
        with pytest.raises(MonitoringValidationError) as err:
            checks.check_vpc_config(vpc, "VpcConfig")
        assert (err.value.rule.id, err.value.field) == (rule_id, field)


def test_require_and_check_object():
    assert checks.require({"A": 0}, "A", "Parent") == 0
    for data in ({}, {"A": None}):
        with pytest.raises(MonitoringValidationError) as err:
            checks.require(data, "A", "Parent")
        assert (err.value.rule.id, err.value.field) == ("required-field", "Parent.A")
        assert str(err.value) == "Parent.A: must be given [rule required-field]"
    assert checks.check_object({"a": 1}, "X") == {"a": 1}
    with pytest.raises(MonitoringValidationError, match=r"^X: must be a mapping"):
        checks.check_object([1], "X")


def test_join_builds_api_paths():
    assert checks.join("", "RoleArn") == "RoleArn"
    assert checks.join("A", "B") == "A.B"
    assert checks.join("A.Outputs", "[0]") == "A.Outputs[0]"


def test_error_message_names_field_rule_and_value():
    with pytest.raises(MonitoringValidationError) as err:
        checks.check_string_attribute(0, "EndpointInput.InferenceAttribute")
    assert str(err.value) == (
        "EndpointInput.InferenceAttribute: must be a string, even for a column index (write '0', not 0) "
        "(got 0) [rule string-attribute]"
    )
    assert isinstance(err.value, ValueError)
    assert err.value.value == 0
