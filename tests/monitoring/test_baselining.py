"""Baseline job requests and Clarify analysis configs: SDK shape, botocore validity, validation errors."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest
from botocore.validate import validate_parameters

from airflow_mm_provider.monitoring import baselining
from airflow_mm_provider.monitoring.baselining import (
    BaselineJobSettings,
    ModelQualityAttributes,
    bias_analysis_config,
    clarify_baseline_request,
    data_quality_baseline_request,
    explainability_analysis_config,
    model_quality_baseline_request,
    predictor_config,
    shap_config,
)
from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.inputs import ClusterResources, DatasetFormat, NetworkConfig
from airflow_mm_provider.monitoring.types import MONITORING_TYPES

ROLE = "arn:aws:iam::123456789012:role/MonitorRole"
DATASET = "s3://bucket/train/train.csv"
OUTPUT = "s3://bucket/baselines/run-1"
POST_INPUT = "/opt/ml/processing/input/post_analytics_processor_script_input"
PREDICTOR = {"model_name": "churn-model", "instance_type": "ml.m5.xlarge", "initial_instance_count": 1}

_INPUT_SHAPE = (
    botocore.session.get_session()
    .get_service_model("sagemaker")
    .operation_model("CreateProcessingJob")
    .input_shape
)


def assert_valid_request(request: dict[str, Any]) -> None:
    """botocore's own parameter validation accepts the request (raises ParamValidationError otherwise)."""
    validate_parameters(request, _INPUT_SHAPE)


def settings(**overrides: Any) -> BaselineJobSettings:
    values: dict[str, Any] = {
        "job_name": "dag-task-0123456789ab",
        "role_arn": ROLE,
        "image_uri": "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer",
        "output_s3_uri": OUTPUT,
    }
    return BaselineJobSettings(**{**values, **overrides})


def rule_of(action: Any) -> tuple[str, str]:
    with pytest.raises(MonitoringValidationError) as err:
        action()
    return err.value.rule.id, err.value.field


# -- data quality --------------------------------------------------------------------------------------------


def test_data_quality_request_matches_the_sdk_shape_and_environment():
    fmt = {"csv": {"header": True, "output_columns_position": "START"}}
    request = data_quality_baseline_request(settings(), DATASET, fmt)
    assert_valid_request(request)
    assert request["Environment"] == {
        "dataset_format": '{"csv": {"header": true, "output_columns_position": "START"}}',
        "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
        "output_path": "/opt/ml/processing/output",
        "publish_cloudwatch_metrics": "Disabled",
    }
    assert request["ProcessingInputs"] == [
        {
            "InputName": "baseline_dataset_input",
            "S3Input": {
                "S3Uri": DATASET,
                "LocalPath": "/opt/ml/processing/input/baseline_dataset_input",
                "S3DataType": "S3Prefix",
                "S3InputMode": "File",
                "S3DataDistributionType": "FullyReplicated",
                "S3CompressionType": "None",
            },
        }
    ]
    assert request["ProcessingOutputConfig"] == {
        "Outputs": [
            {
                "OutputName": "monitoring_output",
                "S3Output": {
                    "S3Uri": OUTPUT,
                    "LocalPath": "/opt/ml/processing/output",
                    "S3UploadMode": "EndOfJob",
                },
            }
        ]
    }
    assert request["ProcessingResources"] == {
        "ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 30}
    }
    assert request["AppSpecification"] == {"ImageUri": settings().image_uri}
    assert "StoppingCondition" not in request and "Tags" not in request and "NetworkConfig" not in request


def test_data_quality_scripts_become_inputs_and_environment_paths():
    request = data_quality_baseline_request(
        settings(),
        DATASET,
        DatasetFormat.csv(header=False),
        record_preprocessor_script="s3://bucket/code/pre.py",
        post_analytics_processor_script="s3://bucket/code/post.py",
    )
    assert_valid_request(request)
    names = [item["InputName"] for item in request["ProcessingInputs"]]
    assert names == [
        "baseline_dataset_input",
        "record_preprocessor_script_input",
        "post_analytics_processor_script_input",
    ]
    env = request["Environment"]
    assert (
        env["record_preprocessor_script"]
        == "/opt/ml/processing/input/record_preprocessor_script_input/pre.py"
    )
    assert env["post_analytics_processor_script"] == (
        "/opt/ml/processing/input/post_analytics_processor_script_input/post.py"
    )
    assert json.loads(env["dataset_format"]) == {"csv": {"header": False}}


def test_every_job_setting_reaches_the_request():
    full = settings(
        resources=ClusterResources(2, "ml.c5.2xlarge", 60, volume_kms_key_id="alias/k"),
        max_runtime_in_seconds=1800,
        environment={"dataset_source": "ignored", "extra": "1"},
        network_config=NetworkConfig(("sg-1",), ("subnet-1",), enable_network_isolation=True),
        tags={"team": "ml"},
    )
    request = data_quality_baseline_request(full, DATASET, DatasetFormat.json(lines=True))
    assert_valid_request(request)
    assert request["StoppingCondition"] == {"MaxRuntimeInSeconds": 1800}
    assert request["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == "alias/k"
    assert request["NetworkConfig"]["VpcConfig"] == {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]}
    assert request["Tags"] == [{"Key": "team", "Value": "ml"}]
    assert request["Environment"]["extra"] == "1"
    assert request["Environment"]["dataset_source"] == "/opt/ml/processing/input/baseline_dataset_input"
    assert json.loads(request["Environment"]["dataset_format"]) == {"json": {"lines": True}}


def test_dict_resources_and_network_are_accepted():
    resources = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.large", "VolumeSizeInGB": 10}}
    request = data_quality_baseline_request(
        settings(resources=resources, network_config={"EnableNetworkIsolation": False}),
        DATASET,
        {"parquet": {}},
    )
    assert_valid_request(request)
    assert request["ProcessingResources"] == resources
    assert request["NetworkConfig"] == {"EnableNetworkIsolation": False}


@pytest.mark.parametrize(
    ("given", "container"),
    [
        (DatasetFormat.csv(header=True), {"csv": {"header": True}}),
        ({"Csv": {}}, {"csv": {}}),
        (DatasetFormat.json(lines=False), {"json": {"lines": False}}),
        (DatasetFormat.parquet(), {"parquet": {}}),
        ({"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput"]}}, None),
        ({"json": {"lines": True}}, None),
    ],
)
def test_dataset_formats_convert_to_the_container_form(given, container):
    assert baselining.container_dataset_format(given) == (container or given)


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"xml": {}}, "dataset_format"),
        ({"csv": {}, "json": {}}, "dataset_format"),
        ("csv", "dataset_format"),
        ({"csv": {"output_columns_position": "MIDDLE"}}, "dataset_format.csv.output_columns_position"),
    ],
)
def test_bad_dataset_formats_fail_naming_the_field(given, field):
    assert rule_of(lambda: baselining.container_dataset_format(given)) == ("baseline-dataset-format", field)


def test_bad_flag_in_a_dataset_format_is_a_boolean_error():
    assert rule_of(lambda: baselining.container_dataset_format({"csv": {"header": "yes"}})) == (
        "boolean-field",
        "dataset_format.csv.header",
    )


@pytest.mark.parametrize(
    ("fmt", "dataset_type"),
    [
        (DatasetFormat.csv(), "text/csv"),
        (DatasetFormat.json(lines=True), "application/jsonlines"),
        (DatasetFormat.json(lines=False), "application/json"),
        (DatasetFormat.parquet(), "application/x-parquet"),
        ({"sagemakerCaptureJson": {}}, "application/sagemakercapturejson"),
    ],
)
def test_clarify_dataset_type_follows_the_format(fmt, dataset_type):
    assert baselining.clarify_dataset_type(fmt) == dataset_type


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"job_name": "bad_name"}, ("name-pattern", "ProcessingJobName")),
        ({"role_arn": "MonitorRole"}, ("role-arn-pattern", "RoleArn")),
        ({"image_uri": ""}, ("image-uri", "AppSpecification.ImageUri")),
        (
            {"output_s3_uri": "bucket/out"},
            ("s3-uri-pattern", "ProcessingOutputConfig.Outputs[0].S3Output.S3Uri"),
        ),
        ({"max_runtime_in_seconds": 0}, ("max-runtime-range", "StoppingCondition.MaxRuntimeInSeconds")),
        ({"environment": {"threshold": 0.5}}, ("environment-value", "Environment.threshold")),
        (
            {"resources": {"ClusterConfig": {}}},
            ("required-field", "ProcessingResources.ClusterConfig.InstanceCount"),
        ),
        ({"tags": {"team": "a|b"}}, ("tag-value", "Tags[0].Value")),
    ],
)
def test_bad_settings_fail_at_construction(overrides, expected):
    assert rule_of(lambda: settings(**overrides)) == expected


def test_bad_dataset_uri_names_the_input():
    assert rule_of(lambda: data_quality_baseline_request(settings(), "train.csv", DatasetFormat.csv())) == (
        "s3-uri-pattern",
        "ProcessingInputs.baseline_dataset_input.S3Uri",
    )


# -- model quality -------------------------------------------------------------------------------------------


def test_model_quality_environment_has_the_sdk_keys_as_strings():
    attributes = ModelQualityAttributes(
        problem_type="BinaryClassification",
        ground_truth_attribute="label",
        inference_attribute="prediction",
        probability_attribute="probability",
        probability_threshold_attribute=0.6,
    )
    request = model_quality_baseline_request(
        settings(),
        DATASET,
        DatasetFormat.csv(),
        attributes,
        post_analytics_processor_script="s3://b/c/post.py",
    )
    assert_valid_request(request)
    assert request["Environment"] == {
        "dataset_format": '{"csv": {"header": true}}',
        "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
        "output_path": "/opt/ml/processing/output",
        "publish_cloudwatch_metrics": "Disabled",
        "analysis_type": "MODEL_QUALITY",
        "problem_type": "BinaryClassification",
        "inference_attribute": "prediction",
        "probability_attribute": "probability",
        "ground_truth_attribute": "label",
        "probability_threshold_attribute": "0.6",
        "post_analytics_processor_script": f"{POST_INPUT}/post.py",
    }
    assert [item["InputName"] for item in request["ProcessingInputs"]] == [
        "baseline_dataset_input",
        "post_analytics_processor_script_input",
    ]
    assert request["ProcessingOutputConfig"]["Outputs"][0]["OutputName"] == "monitoring_output"


def test_model_quality_leaves_out_unset_attributes_and_keeps_threshold_text():
    attributes = ModelQualityAttributes("Regression", "y", inference_attribute="y_hat")
    env = attributes.environment()
    assert env == {
        "analysis_type": "MODEL_QUALITY",
        "problem_type": "Regression",
        "inference_attribute": "y_hat",
        "ground_truth_attribute": "y",
    }
    threshold = ModelQualityAttributes(
        "BinaryClassification", "y", probability_attribute="p", probability_threshold_attribute="0.5"
    )
    assert threshold.environment()["probability_threshold_attribute"] == "0.5"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"problem_type": "Classification"}, ("problem-type-enum", "Environment.problem_type")),
        ({"ground_truth_attribute": None}, ("required-field", "Environment.ground_truth_attribute")),
        ({"inference_attribute": 0}, ("string-attribute", "Environment.inference_attribute")),
        (
            {"inference_attribute": None},
            ("model-quality-prediction-attribute", "Environment.inference_attribute"),
        ),
        (
            {"probability_threshold_attribute": 1.5},
            ("probability-threshold-range", "Environment.probability_threshold_attribute"),
        ),
        (
            {"probability_threshold_attribute": "high"},
            ("probability-threshold-range", "Environment.probability_threshold_attribute"),
        ),
    ],
)
def test_bad_model_quality_attributes_fail(kwargs, expected):
    values = {
        "problem_type": "Regression",
        "ground_truth_attribute": "y",
        "inference_attribute": "y_hat",
        **kwargs,
    }
    assert rule_of(lambda: ModelQualityAttributes(**values)) == expected


# -- Clarify -------------------------------------------------------------------------------------------------


def test_clarify_request_has_the_dataset_and_config_inputs_and_analysis_result_output():
    config_uri = baselining.analysis_config_uri(OUTPUT + "/")
    assert config_uri == OUTPUT + "/analysis_config.json"
    request = clarify_baseline_request(settings(max_runtime_in_seconds=600), DATASET, config_uri, "text/csv")
    assert_valid_request(request)
    inputs = {item["InputName"]: item["S3Input"] for item in request["ProcessingInputs"]}
    assert inputs["dataset"]["LocalPath"] == "/opt/ml/processing/input/data"
    assert inputs["dataset"]["S3Uri"] == DATASET
    assert inputs["analysis_config"]["LocalPath"] == "/opt/ml/processing/input/config"
    assert inputs["analysis_config"]["S3Uri"] == config_uri
    output = request["ProcessingOutputConfig"]["Outputs"][0]
    assert output["OutputName"] == "analysis_result"
    assert output["S3Output"]["S3UploadMode"] == "EndOfJob"
    assert "Environment" not in request


def test_clarify_image_datasets_upload_continuously():
    request = clarify_baseline_request(
        settings(), DATASET, OUTPUT + "/analysis_config.json", "application/x-image"
    )
    assert request["ProcessingOutputConfig"]["Outputs"][0]["S3Output"]["S3UploadMode"] == "Continuous"


def test_clarify_request_rejects_an_unknown_dataset_type():
    assert rule_of(lambda: clarify_baseline_request(settings(), DATASET, OUTPUT, "text/tsv")) == (
        "clarify-dataset-type-enum",
        "analysis_config.dataset_type",
    )


def test_bias_config_has_data_bias_methods_and_predictor_sections():
    config = bias_analysis_config(
        label="churn",
        label_values_or_threshold=1,
        facet="gender",
        facet_values_or_threshold=["F"],
        headers=["churn", "gender", "age"],
        group_variable="age",
        probability_threshold=0.7,
        predictor=predictor_config(
            model_name="churn-model", content_type="text/csv", label="predicted_label"
        ),
    )
    assert config == {
        "dataset_type": "text/csv",
        "headers": ["churn", "gender", "age"],
        "label": "churn",
        "label_values_or_threshold": [1],
        "facet": [{"name_or_index": "gender", "value_or_threshold": ["F"]}],
        "group_variable": "age",
        "probability_threshold": 0.7,
        "predictor": {**PREDICTOR, "content_type": "text/csv", "label": "predicted_label"},
        "methods": {
            "report": {"name": "report", "title": "Analysis Report"},
            "pre_training_bias": {"methods": "all"},
            "post_training_bias": {"methods": "all"},
        },
    }
    json.dumps(config, allow_nan=False)


def test_bias_config_accepts_facet_dicts_lists_and_data_bias_only():
    config = bias_analysis_config(
        label=0,
        label_values_or_threshold=[0.5],
        facet=[{"name_or_index": 3}, 4],
        post_training_methods=None,
        pre_training_methods=["CI", "DPL"],
    )
    assert config["facet"] == [{"name_or_index": 3}, {"name_or_index": 4}]
    assert config["methods"]["pre_training_bias"] == {"methods": ["CI", "DPL"]}
    assert "post_training_bias" not in config["methods"] and "predictor" not in config


def test_endpoint_predictor_needs_no_instance_settings():
    assert predictor_config(endpoint_name="live", accept_type="text/csv") == {
        "endpoint_name": "live",
        "accept_type": "text/csv",
    }


BIAS = {"label": "y", "label_values_or_threshold": [1], "facet": "sex", "predictor": PREDICTOR}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"label": None}, ("required-field", "analysis_config.label")),
        (
            {"label_values_or_threshold": []},
            ("clarify-values-list", "analysis_config.label_values_or_threshold"),
        ),
        ({"facet": []}, ("clarify-facet", "analysis_config.facet")),
        ({"facet": [{"value_or_threshold": [1]}]}, ("clarify-facet", "analysis_config.facet[0]")),
        (
            {"facet": [{"name_or_index": "sex", "value_or_threshold": []}]},
            ("clarify-values-list", "analysis_config.facet[0].value_or_threshold"),
        ),
        ({"predictor": None}, ("required-field", "analysis_config.predictor")),
        ({"predictor": {"model_name": "m"}}, ("clarify-predictor", "analysis_config.predictor")),
        (
            {"probability_threshold": 2},
            ("probability-threshold-range", "analysis_config.probability_threshold"),
        ),
        ({"dataset_type": "text/plain"}, ("clarify-dataset-type-enum", "analysis_config.dataset_type")),
        (
            {"post_training_methods": ["CI"]},
            ("clarify-bias-methods", "analysis_config.methods.post_training_bias.methods"),
        ),
        (
            {"pre_training_methods": None, "post_training_methods": None},
            ("clarify-bias-methods", "analysis_config.methods"),
        ),
    ],
)
def test_bad_bias_configs_fail_naming_the_key(overrides, expected):
    assert rule_of(lambda: bias_analysis_config(**{**BIAS, **overrides})) == expected


def test_a_plain_bias_dict_is_validated_too():
    config = bias_analysis_config(**BIAS)
    baselining.validate_analysis_config("ModelBias", config)
    del config["facet"]
    assert rule_of(lambda: baselining.validate_analysis_config("ModelBias", config)) == (
        "required-field",
        "analysis_config.facet",
    )
    assert (
        rule_of(lambda: baselining.validate_analysis_config("DataQuality", config))[0]
        == "monitoring-type-enum"
    )


def test_explainability_config_has_shap_report_and_predictor():
    shap = shap_config(baseline="s3://bucket/shap/baseline.csv", num_samples=100, seed=7)
    config = explainability_analysis_config(
        shap=shap,
        predictor=PREDICTOR,
        headers=["age", "income"],
        dataset_type="application/jsonlines",
        features="features",
    )
    assert config == {
        "dataset_type": "application/jsonlines",
        "headers": ["age", "income"],
        "features": "features",
        "methods": {
            "shap": {
                "baseline": "s3://bucket/shap/baseline.csv",
                "num_samples": 100,
                "agg_method": "mean_abs",
                "use_logit": False,
                "save_local_shap_values": True,
                "seed": 7,
            },
            "report": {"name": "report", "title": "Analysis Report"},
        },
        "predictor": PREDICTOR,
    }
    baselining.validate_analysis_config("ModelExplainability", config)


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (
            lambda: shap_config(agg_method="max"),
            ("clarify-shap-config", "analysis_config.methods.shap.agg_method"),
        ),
        (
            lambda: shap_config(num_samples=0),
            ("clarify-shap-config", "analysis_config.methods.shap.num_samples"),
        ),
        (
            lambda: explainability_analysis_config(shap="all", predictor=PREDICTOR),
            ("clarify-shap-config", "analysis_config.methods.shap"),
        ),
        (
            lambda: explainability_analysis_config(shap={}, predictor=None),
            ("required-field", "analysis_config.predictor"),
        ),
        (
            lambda: predictor_config(model_name="m", initial_instance_count=0),
            ("clarify-predictor", "predictor"),
        ),
    ],
)
def test_bad_explainability_configs_fail(action, expected):
    rule_id, field = rule_of(action)
    assert rule_id == expected[0] and expected[1] in field


# -- results -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("monitoring_type", MONITORING_TYPES)
def test_baseline_result_has_stable_keys(monitoring_type):
    result = baselining.baseline_result(monitoring_type, "job", OUTPUT, "Completed")
    assert set(result) == {
        "job_name",
        "monitoring_type",
        "status",
        "output_s3_uri",
        "statistics_uri",
        "constraints_uri",
        "analysis_uri",
        "analysis_config_uri",
        "suggested_constraints_uri",
    }
    json.dumps(result)
    assert result["suggested_constraints_uri"] is None
    kept = baselining.baseline_result(monitoring_type, "job", OUTPUT, "Completed", suggested=True)
    file_name = "constraints.json" if monitoring_type in ("DataQuality", "ModelQuality") else "analysis.json"
    assert kept["suggested_constraints_uri"] == f"{OUTPUT}/suggested/{file_name}"
    if monitoring_type in ("DataQuality", "ModelQuality"):
        assert result["statistics_uri"] == f"{OUTPUT}/statistics.json"
        assert result["constraints_uri"] == f"{OUTPUT}/constraints.json"
        assert result["analysis_uri"] is None and result["analysis_config_uri"] is None
    else:
        assert result["statistics_uri"] is None
        assert result["constraints_uri"] == result["analysis_uri"] == f"{OUTPUT}/analysis.json"
        assert result["analysis_config_uri"] == f"{OUTPUT}/analysis_config.json"


def test_baseline_result_rejects_an_unknown_type():
    assert (
        rule_of(lambda: baselining.baseline_result("Drift", "job", OUTPUT, None))[0] == "monitoring-type-enum"
    )


def test_predicted_label_column_replaces_the_predictor():
    config = bias_analysis_config(
        **{**BIAS, "predictor": None}, predicted_label="y_hat", excluded_columns=["id"]
    )
    assert config["predicted_label"] == "y_hat" and config["excluded_columns"] == ["id"]
    assert "predictor" not in config
    with_bad_predictor = {**BIAS, "predictor": {"model_name": "m"}}
    assert rule_of(lambda: bias_analysis_config(**with_bad_predictor, predicted_label="y_hat"))[0] == (
        "clarify-predictor"
    )
