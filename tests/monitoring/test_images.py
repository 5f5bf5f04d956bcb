from __future__ import annotations

import re

import pytest

from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.images import (
    ANALYZER_ACCOUNTS,
    CLARIFY_ACCOUNTS,
    KNOWN_REGION,
    UnknownRegionError,
    analyzer_image_uri,
    clarify_image_uri,
    image_uri_for,
    is_analyzer_image,
    is_clarify_image,
    repository_name,
)
from airflow_mm_provider.monitoring.types import MONITORING_TYPE
from tests.support.monitoring import raises_rule

ECR = re.compile(
    r"(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.(amazonaws\.com|amazonaws\.com\.cn|csp\.hci\.ic\.gov)/(.+)"
)


class TestAnalyzer:
    @pytest.mark.parametrize(
        ("region", "uri"),
        [
            ("us-west-2", "159807026194.dkr.ecr.us-west-2.amazonaws.com/sagemaker-model-monitor-analyzer"),
            ("us-east-1", "156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer"),
            (
                "eu-central-1",
                "048819808253.dkr.ecr.eu-central-1.amazonaws.com/sagemaker-model-monitor-analyzer",
            ),
            (
                "cn-north-1",
                "453000072557.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-model-monitor-analyzer",
            ),
            (
                "us-gov-west-1",
                "362178532790.dkr.ecr.us-gov-west-1.amazonaws.com/sagemaker-model-monitor-analyzer",
            ),
            (
                "us-isof-east-1",
                "853188333426.dkr.ecr.us-isof-east-1.csp.hci.ic.gov/sagemaker-model-monitor-analyzer",
            ),
        ],
    )
    def test_known_regions(self, region: str, uri: str) -> None:
        assert analyzer_image_uri(region) == uri

    def test_table_covers_documented_regions(self) -> None:
        assert len(ANALYZER_ACCOUNTS) == 31
        assert all(re.fullmatch(r"\d{12}", account) for account in ANALYZER_ACCOUNTS.values())
        assert len(set(ANALYZER_ACCOUNTS.values())) == len(ANALYZER_ACCOUNTS)


class TestClarify:
    @pytest.mark.parametrize(
        ("region", "uri"),
        [
            ("us-west-2", "306415355426.dkr.ecr.us-west-2.amazonaws.com/sagemaker-clarify-processing:1.0"),
            (
                "ap-southeast-2",
                "007051062584.dkr.ecr.ap-southeast-2.amazonaws.com/sagemaker-clarify-processing:1.0",
            ),
            (
                "cn-northwest-1",
                "122578899357.dkr.ecr.cn-northwest-1.amazonaws.com.cn/sagemaker-clarify-processing:1.0",
            ),
            (
                "us-gov-west-1",
                "598674086554.dkr.ecr.us-gov-west-1.amazonaws.com/sagemaker-clarify-processing:1.0",
            ),
        ],
    )
    def test_known_regions(self, region: str, uri: str) -> None:
        assert clarify_image_uri(region) == uri

    def test_table_covers_documented_regions(self) -> None:
        assert len(CLARIFY_ACCOUNTS) == 28
        assert len(set(CLARIFY_ACCOUNTS.values())) == len(CLARIFY_ACCOUNTS)

    def test_regions_only_the_analyzer_has(self) -> None:
        assert analyzer_image_uri("il-central-1").startswith("843974653677.")
        with raises_rule(KNOWN_REGION, "region"):
            clarify_image_uri("il-central-1")


class TestImageUriFor:
    @pytest.mark.parametrize(
        ("monitoring_type", "repository"),
        [
            ("DataQuality", "sagemaker-model-monitor-analyzer"),
            ("ModelQuality", "sagemaker-model-monitor-analyzer"),
            ("ModelBias", "sagemaker-clarify-processing:1.0"),
            ("ModelExplainability", "sagemaker-clarify-processing:1.0"),
        ],
    )
    def test_type_picks_image(self, monitoring_type: str, repository: str) -> None:
        match = ECR.fullmatch(image_uri_for(monitoring_type, "eu-west-1"))
        assert match is not None
        assert match.group(2, 4) == ("eu-west-1", repository)

    @pytest.mark.parametrize("monitoring_type", ["dataquality", "Bias", "", None])
    def test_unknown_type(self, monitoring_type: str) -> None:
        with raises_rule(MONITORING_TYPE, "MonitoringType"):
            image_uri_for(monitoring_type, "us-east-1")


class TestUnknownRegion:
    @pytest.mark.parametrize("region", ["mars-north-1", "", "US-EAST-1", None])
    def test_error_names_region_and_remedy(self, region: str) -> None:
        for build in (analyzer_image_uri, clarify_image_uri, lambda r: image_uri_for("ModelQuality", r)):
            with pytest.raises(UnknownRegionError) as info:
                build(region)
            error = info.value
            assert isinstance(error, MonitoringValidationError) and isinstance(error, ValueError)
            assert error.rule is KNOWN_REGION and error.region == region
            assert str(error).startswith("region: ")
            assert repr(region) in str(error)
            assert "pass image_uri explicitly" in str(error)

    def test_image_is_recorded(self) -> None:
        with pytest.raises(UnknownRegionError) as info:
            clarify_image_uri("xx-east-9")
        assert info.value.image == "SageMaker Clarify"


class TestRecognition:
    @pytest.mark.parametrize(
        ("uri", "repository"),
        [
            (
                "159807026194.dkr.ecr.us-west-2.amazonaws.com/sagemaker-model-monitor-analyzer",
                "sagemaker-model-monitor-analyzer",
            ),
            ("1.dkr.ecr.r.amazonaws.com/sagemaker-clarify-processing:1.0", "sagemaker-clarify-processing"),
            ("localhost:5000/team/sagemaker-clarify-processing:dev", "sagemaker-clarify-processing"),
            ("sagemaker-model-monitor-analyzer@sha256:abc", "sagemaker-model-monitor-analyzer"),
            ("registry:5000/repo", "repo"),
        ],
    )
    def test_repository_name(self, uri: str, repository: str) -> None:
        assert repository_name(uri) == repository

    @pytest.mark.parametrize(
        "uri",
        [
            analyzer_image_uri("us-east-1"),
            analyzer_image_uri("cn-north-1") + ":latest",
            "999999999999.dkr.ecr.xx-west-1.amazonaws.com/sagemaker-model-monitor-analyzer:v2",
            "sagemaker-model-monitor-analyzer",
        ],
    )
    def test_analyzer_images(self, uri: str) -> None:
        assert is_analyzer_image(uri)
        assert not is_clarify_image(uri)

    @pytest.mark.parametrize(
        "uri",
        [
            clarify_image_uri("us-east-1"),
            "111111111111.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-clarify-processing:2.0@sha256:ff",
            "localhost:5000/sagemaker-clarify-processing",
        ],
    )
    def test_clarify_images(self, uri: str) -> None:
        assert is_clarify_image(uri)
        assert not is_analyzer_image(uri)

    @pytest.mark.parametrize(
        "uri",
        [
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/my-custom-monitor:latest",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer-fork",
            "sagemaker-clarify-processing-extra:1.0",
            "",
        ],
    )
    def test_other_images(self, uri: str) -> None:
        assert not is_analyzer_image(uri)
        assert not is_clarify_image(uri)
