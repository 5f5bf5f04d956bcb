from __future__ import annotations

import dataclasses

import pytest

from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.inputs import (
    BaselineConfig,
    BatchTransformInput,
    ClusterResources,
    DatasetFormat,
    EndpointInput,
    GroundTruthInput,
    MonitoringOutput,
    NetworkConfig,
    StoppingCondition,
    Tags,
    validate_batch_transform_input,
    validate_dataset_format,
    validate_endpoint_input,
    validate_output_config,
    validate_resources,
)


def test_endpoint_input_defaults_render_only_required_members():
    assert EndpointInput("churn").to_api() == {
        "EndpointName": "churn",
        "LocalPath": "/opt/ml/processing/input/endpoint",
    }


def test_endpoint_input_renders_every_option():
    rendered = EndpointInput(
        "churn",
        "/in",
        s3_input_mode="Pipe",
        s3_data_distribution_type="ShardedByS3Key",
        features_attribute="features",
        inference_attribute="0",
        probability_attribute="probability",
        probability_threshold_attribute=0.7,
        start_time_offset="-P8D",
        end_time_offset="-P1D",
        exclude_features_attribute="3,4",
    ).to_api()
    assert rendered == {
        "EndpointName": "churn",
        "LocalPath": "/in",
        "S3InputMode": "Pipe",
        "S3DataDistributionType": "ShardedByS3Key",
        "FeaturesAttribute": "features",
        "InferenceAttribute": "0",
        "ProbabilityAttribute": "probability",
        "ProbabilityThresholdAttribute": 0.7,
        "StartTimeOffset": "-P8D",
        "EndTimeOffset": "-P1D",
        "ExcludeFeaturesAttribute": "3,4",
    }


def test_batch_transform_input_renders_format_and_default_path():
    rendered = BatchTransformInput(
        "s3://b/capture", DatasetFormat.json(lines=True), start_time_offset="-PT6H"
    ).to_api()
    assert rendered == {
        "DataCapturedDestinationS3Uri": "s3://b/capture",
        "DatasetFormat": {"Json": {"Line": True}},
        "LocalPath": "/opt/ml/processing/input/batch",
        "StartTimeOffset": "-PT6H",
    }


def test_batch_transform_input_needs_a_dataset_format_object():
    with pytest.raises(MonitoringValidationError) as err:
        BatchTransformInput("s3://b/capture", {"Csv": {}})  # type: ignore[arg-type]
    assert err.value.field == "BatchTransformInput.DatasetFormat"


@pytest.mark.parametrize(
    ("dataset_format", "expected"),
    [
        (DatasetFormat.csv(), {"Csv": {"Header": True}}),
        (DatasetFormat.csv(header=False), {"Csv": {"Header": False}}),
        (DatasetFormat.json(), {"Json": {"Line": True}}),
        (DatasetFormat.json(lines=False), {"Json": {"Line": False}}),
        (DatasetFormat.parquet(), {"Parquet": {}}),
        (DatasetFormat("Csv"), {"Csv": {}}),
    ],
)
def test_dataset_format_renders_the_api_union(dataset_format, expected):
    assert dataset_format.to_api() == expected
    validate_dataset_format(expected)


@pytest.mark.parametrize(
    ("build", "rule_id"),
    [
        (lambda: DatasetFormat("csv"), "dataset-format-one-of"),
        (lambda: DatasetFormat("Parquet", True), "dataset-format-one-of"),
        (lambda: DatasetFormat.csv(header="yes"), "boolean-field"),
    ],
)
def test_dataset_format_refuses_bad_values(build, rule_id):
    with pytest.raises(MonitoringValidationError) as err:
        build()
    assert err.value.rule.id == rule_id


@pytest.mark.parametrize("data", [{}, {"Csv": {}, "Parquet": {}}, {"Avro": {}}, {"Csv": None}])
def test_dataset_format_dict_needs_exactly_one_member(data):
    with pytest.raises(MonitoringValidationError) as err:
        validate_dataset_format(data, "X.DatasetFormat")
    assert (err.value.rule.id, err.value.field) == ("dataset-format-one-of", "X.DatasetFormat")


def test_output_defaults_and_kms_key():
    assert MonitoringOutput("s3://b/reports").to_api() == {
        "MonitoringOutputs": [
            {
                "S3Output": {
                    "S3Uri": "s3://b/reports",
                    "LocalPath": "/opt/ml/processing/output",
                    "S3UploadMode": "Continuous",
                }
            }
        ]
    }
    assert MonitoringOutput("s3://b/r", kms_key_id="alias/k").to_api()["KmsKeyId"] == "alias/k"


def test_output_config_dict_paths():
    with pytest.raises(MonitoringValidationError) as err:
        validate_output_config({"MonitoringOutputs": [{"S3Output": {"S3Uri": "s3://b/r"}}]}, "Out")
    assert (err.value.rule.id, err.value.field) == (
        "required-field",
        "Out.MonitoringOutputs[0].S3Output.LocalPath",
    )


def test_cluster_resources_defaults_match_the_sdk():
    assert ClusterResources().to_api() == {
        "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}
    }
    rendered = ClusterResources(volume_kms_key_id="alias/v").to_api()
    assert rendered["ClusterConfig"]["VolumeKmsKeyId"] == "alias/v"


def test_resources_dict_requires_cluster_members():
    with pytest.raises(MonitoringValidationError) as err:
        validate_resources({"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge"}})
    assert err.value.field == "JobResources.ClusterConfig.VolumeSizeInGB"


def test_network_config_renders_vpc_only_when_given():
    assert NetworkConfig().to_api() == {}
    config = NetworkConfig(["sg-1"], ["subnet-1"], enable_network_isolation=False)
    assert config.security_group_ids == ("sg-1",)
    assert config.to_api() == {
        "EnableNetworkIsolation": False,
        "VpcConfig": {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]},
    }
    assert hash(config) == hash(NetworkConfig(("sg-1",), ("subnet-1",), enable_network_isolation=False))


def test_stopping_condition_and_ground_truth_render():
    assert StoppingCondition(1800).to_api() == {"MaxRuntimeInSeconds": 1800}
    assert GroundTruthInput("s3://b/gt").to_api() == {"S3Uri": "s3://b/gt"}


def test_baseline_config_renders_given_members_only():
    assert BaselineConfig().to_api() == {}
    assert BaselineConfig("job-1", "s3://b/c.json", "s3://b/s.json").to_api() == {
        "BaseliningJobName": "job-1",
        "ConstraintsResource": {"S3Uri": "s3://b/c.json"},
        "StatisticsResource": {"S3Uri": "s3://b/s.json"},
    }
    with pytest.raises(MonitoringValidationError) as err:
        BaselineConfig(baselining_job_name="job_1")
    assert (err.value.rule.id, err.value.field) == ("name-pattern", "BaselineConfig.BaseliningJobName")


def test_tags_accept_mapping_list_or_tags():
    from_mapping = Tags({"team": "ml", "env": "prod"})
    from_list = Tags([{"Key": "team", "Value": "ml"}, {"Key": "env", "Value": "prod"}])
    assert from_mapping == from_list == Tags(from_list)
    assert from_mapping.to_api() == [{"Key": "team", "Value": "ml"}, {"Key": "env", "Value": "prod"}]
    assert hash(from_mapping) == hash(from_list)
    assert repr(from_mapping) == "Tags({'team': 'ml', 'env': 'prod'})"
    with pytest.raises(AttributeError):
        from_mapping.pairs = ()


def test_tags_validate_values():
    with pytest.raises(MonitoringValidationError) as err:
        Tags({"team": 1})  # type: ignore[dict-item]
    assert (err.value.rule.id, err.value.field) == ("tag-value", "Tags[0].Value")
    with pytest.raises(MonitoringValidationError) as err:
        Tags("team=ml")  # type: ignore[arg-type]
    assert err.value.rule.id == "tags-count"


def test_typed_inputs_are_frozen():
    endpoint = EndpointInput("churn")
    with pytest.raises(dataclasses.FrozenInstanceError):
        endpoint.endpoint_name = "other"  # type: ignore[misc]


def test_offsets_are_validated_with_the_field_path():
    with pytest.raises(MonitoringValidationError) as err:
        EndpointInput("churn", start_time_offset="-1H")
    assert (err.value.rule.id, err.value.field) == ("time-offset-format", "EndpointInput.StartTimeOffset")
    EndpointInput("churn", start_time_offset="-PT1H", end_time_offset="-PT0H")


def test_dict_validators_use_the_given_path():
    with pytest.raises(MonitoringValidationError) as err:
        validate_endpoint_input(
            {"EndpointName": "e", "LocalPath": "/x", "ProbabilityAttribute": 1}, "MQ.EndpointInput"
        )
    assert err.value.field == "MQ.EndpointInput.ProbabilityAttribute"
    with pytest.raises(MonitoringValidationError) as err:
        validate_batch_transform_input({"DataCapturedDestinationS3Uri": "s3://b/c", "LocalPath": "/x"}, "B")
    assert (err.value.rule.id, err.value.field) == ("required-field", "B.DatasetFormat")
    with pytest.raises(MonitoringValidationError) as err:
        validate_endpoint_input(["churn"], "E")
    assert (err.value.rule.id, err.value.field) == ("object-field", "E")
