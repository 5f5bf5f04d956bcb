"""The monitoring-type table against the installed botocore SageMaker model."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest

from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.types import MONITORING_TYPE_APIS, MONITORING_TYPES, monitoring_type_api


@pytest.fixture(scope="module")
def sagemaker_model() -> Any:
    return botocore.session.get_session().get_service_model("sagemaker")


def test_unknown_type_names_the_field():
    with pytest.raises(MonitoringValidationError, match="monitoring_type") as info:
        monitoring_type_api("DataDrift", "monitoring_type")
    assert info.value.rule.id == "monitoring-type-enum"


def test_operation_table_matches_botocore(sagemaker_model):
    operations = set(sagemaker_model.operation_names)
    for monitoring_type, api in MONITORING_TYPE_APIS.items():
        for method, verb in ((api.create, "Create"), (api.describe, "Describe"), (api.delete, "Delete")):
            assert f"{verb}{monitoring_type}JobDefinition" in operations
            assert method == f"{verb.lower()}_{api.snake_name}_job_definition"
        assert f"List{monitoring_type}JobDefinitions" in operations
        members = sagemaker_model.operation_model(f"Create{monitoring_type}JobDefinition").input_shape.members
        for key in (
            api.app_specification_key,
            api.job_input_key,
            api.output_config_key,
            api.baseline_config_key,
        ):
            assert key in members
    assert MONITORING_TYPE_APIS["ModelQuality"].list == "list_model_quality_job_definitions"
    assert MONITORING_TYPE_APIS["ModelBias"].arn_resource == "model-bias-job-definition"
    assert tuple(sagemaker_model.shape_for("MonitoringType").enum) == MONITORING_TYPES


def test_table_flags_match_botocore_shapes(sagemaker_model):
    for monitoring_type, api in MONITORING_TYPE_APIS.items():
        app = sagemaker_model.shape_for(api.app_specification_key)
        job_input = sagemaker_model.shape_for(api.job_input_key)
        baseline = sagemaker_model.shape_for(api.baseline_config_key)
        assert api.has_problem_type == ("ProblemType" in app.members)
        assert api.has_config_uri == ("ConfigUri" in app.required_members)
        assert api.has_container_options == ("ContainerArguments" in app.members)
        assert api.has_ground_truth == ("GroundTruthS3Input" in job_input.required_members)
        assert api.has_statistics_baseline == ("StatisticsResource" in baseline.members), monitoring_type
