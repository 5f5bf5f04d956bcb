"""Container image URIs of the built-in Model Monitor analyzer and of SageMaker Clarify, per region.

Data quality and model quality run the Model Monitor analyzer; model bias and model explainability run
Clarify, for both baselining and scheduled jobs. The account ids come from the SageMaker Python SDK image
configs (``model-monitor.json``, ``clarify.json``) and, for the analyzer in ``us-gov-west-1``, the Developer
Guide. The ground-truth merge job of model quality and bias executions runs a third image,
``sagemaker-model-monitor-groundtruth-merger``, published under the analyzer's account in each region (a
real merge job request logged in CloudWatch, and public scripts running the merger with the analyzer's
region map).
"""

from __future__ import annotations

from typing import Any

from airflow_mm_provider.monitoring.errors import MonitoringValidationError
from airflow_mm_provider.monitoring.rules import rule
from airflow_mm_provider.monitoring.types import MONITORING_TYPE

ANALYZER_REPOSITORY = "sagemaker-model-monitor-analyzer"
GROUNDTRUTH_MERGER_REPOSITORY = "sagemaker-model-monitor-groundtruth-merger"
CLARIFY_REPOSITORY = "sagemaker-clarify-processing"
CLARIFY_TAG = "1.0"

ANALYZER_TYPES = ("DataQuality", "ModelQuality")
CLARIFY_TYPES = ("ModelBias", "ModelExplainability")

KNOWN_REGION = rule(
    "image-region-known",
    "region (MonitoringAppSpecification.ImageUri, *AppSpecification.ImageUri)",
    "has no known Model Monitor / Clarify image account; pass image_uri explicitly",
    "SDK image_uri_config model-monitor.json and clarify.json region maps; DG pre-built container table",
)

IMAGE_MATCHES_TYPE = rule(
    "image-matches-monitoring-type",
    "<T>AppSpecification.ImageUri",
    "must be the built-in image of the monitoring type: the Model Monitor analyzer for DataQuality and "
    "ModelQuality, SageMaker Clarify for ModelBias and ModelExplainability (custom images are not checked)",
    "SDK DefaultModelMonitor/ModelQualityMonitor retrieve the model-monitor image, ModelBiasMonitor/"
    "ModelExplainabilityMonitor the clarify image; DG clarify-model-monitor-bias-drift and "
    "clarify-model-monitor-feature-attribution-drift (Clarify computes them); not documented whether the "
    "service refuses a mismatch",
)

ANALYZER_ACCOUNTS: dict[str, str] = {
    "af-south-1": "875698925577",
    "ap-east-1": "001633400207",
    "ap-northeast-1": "574779866223",
    "ap-northeast-2": "709848358524",
    "ap-northeast-3": "990339680094",
    "ap-south-1": "126357580389",
    "ap-southeast-1": "245545462676",
    "ap-southeast-2": "563025443158",
    "ap-southeast-3": "669540362728",
    "ca-central-1": "536280801234",
    "cn-north-1": "453000072557",
    "cn-northwest-1": "453252182341",
    "eu-central-1": "048819808253",
    "eu-central-2": "590183933784",
    "eu-north-1": "895015795356",
    "eu-south-1": "933208885752",
    "eu-south-2": "437450045455",
    "eu-west-1": "468650794304",
    "eu-west-2": "749857270468",
    "eu-west-3": "680080141114",
    "il-central-1": "843974653677",
    "me-central-1": "588750061953",
    "me-south-1": "607024016150",
    "sa-east-1": "539772159869",
    "us-east-1": "156813124566",
    "us-east-2": "777275614652",
    "us-gov-west-1": "362178532790",
    "us-isof-east-1": "853188333426",
    "us-isof-south-1": "467912361380",
    "us-west-1": "890145073186",
    "us-west-2": "159807026194",
}

CLARIFY_ACCOUNTS: dict[str, str] = {
    "af-south-1": "811711786498",
    "ap-east-1": "098760798382",
    "ap-northeast-1": "377024640650",
    "ap-northeast-2": "263625296855",
    "ap-northeast-3": "912233562940",
    "ap-south-1": "452307495513",
    "ap-southeast-1": "834264404009",
    "ap-southeast-2": "007051062584",
    "ap-southeast-3": "705930551576",
    "ca-central-1": "675030665977",
    "cn-north-1": "122526803553",
    "cn-northwest-1": "122578899357",
    "eu-central-1": "017069133835",
    "eu-central-2": "730335477804",
    "eu-north-1": "763603941244",
    "eu-south-1": "638885417683",
    "eu-west-1": "131013547314",
    "eu-west-2": "440796970383",
    "eu-west-3": "341593696636",
    "me-south-1": "835444307964",
    "sa-east-1": "520018980103",
    "us-east-1": "205585389593",
    "us-east-2": "211330385671",
    "us-gov-west-1": "598674086554",
    "us-isof-east-1": "579539705040",
    "us-isof-south-1": "411392592546",
    "us-west-1": "740489534195",
    "us-west-2": "306415355426",
}

# DNS suffix per partition, from botocore's partitions data; regions not listed use amazonaws.com.
_DNS_SUFFIXES = (("cn-", "amazonaws.com.cn"), ("us-isof-", "csp.hci.ic.gov"))


class UnknownRegionError(MonitoringValidationError):
    """No built-in image account is known for a region; the caller must pass ``image_uri`` explicitly.

    :param region: the region asked for.
    :param image: which image was asked for, e.g. ``"Model Monitor analyzer"``.
    """

    def __init__(self, region: Any, image: str) -> None:
        super().__init__("region", KNOWN_REGION, region)
        self.region = region
        self.image = image


def _dns_suffix(region: str) -> str:
    return next((suffix for prefix, suffix in _DNS_SUFFIXES if region.startswith(prefix)), "amazonaws.com")


def _image_uri(accounts: dict[str, str], region: str, repository: str, image: str) -> str:
    account = accounts.get(region) if isinstance(region, str) else None
    if account is None:
        raise UnknownRegionError(region, image)
    return f"{account}.dkr.ecr.{region}.{_dns_suffix(region)}/{repository}"


def analyzer_image_uri(region: str) -> str:
    """The Model Monitor analyzer image in ``region`` (untagged, as the SDK uses it).

    :param region: an AWS region name, e.g. ``us-west-2``.
    """
    return _image_uri(ANALYZER_ACCOUNTS, region, ANALYZER_REPOSITORY, "Model Monitor analyzer")


def groundtruth_merger_image_uri(region: str) -> str:
    """The ground-truth merger image in ``region`` (untagged; same account as the analyzer).

    :param region: an AWS region name, e.g. ``us-east-2``.
    """
    return _image_uri(ANALYZER_ACCOUNTS, region, GROUNDTRUTH_MERGER_REPOSITORY, "ground-truth merger")


def clarify_image_uri(region: str) -> str:
    """The SageMaker Clarify processing image (tag ``1.0``) in ``region``.

    :param region: an AWS region name, e.g. ``us-west-2``.
    """
    return _image_uri(CLARIFY_ACCOUNTS, region, f"{CLARIFY_REPOSITORY}:{CLARIFY_TAG}", "SageMaker Clarify")


def image_uri_for(monitoring_type: str, region: str) -> str:
    """The built-in image a monitor type runs: analyzer for data / model quality, Clarify for the others.

    :param monitoring_type: ``DataQuality``, ``ModelQuality``, ``ModelBias`` or ``ModelExplainability``.
    :param region: an AWS region name.
    """
    if monitoring_type in ANALYZER_TYPES:
        return analyzer_image_uri(region)
    if monitoring_type in CLARIFY_TYPES:
        return clarify_image_uri(region)
    raise MonitoringValidationError("MonitoringType", MONITORING_TYPE, monitoring_type)


def repository_name(uri: str) -> str:
    """The last path segment of an image URI's repository, without registry, tag or digest.

    :param uri: an image URI such as ``123.dkr.ecr.us-east-1.amazonaws.com/team/repo:tag@sha256:...``.
    """
    name = uri.split("@", 1)[0].rsplit("/", 1)[-1]
    return name.split(":", 1)[0]


def is_analyzer_image(uri: str) -> bool:
    """True if ``uri`` names the Model Monitor analyzer repository (any registry, account, region or tag).

    :param uri: an image URI.
    """
    return repository_name(uri) == ANALYZER_REPOSITORY


def is_groundtruth_merger_image(uri: str) -> bool:
    """True if ``uri`` names the ground-truth merger repository (any registry, account, region or tag).

    :param uri: an image URI.
    """
    return repository_name(uri) == GROUNDTRUTH_MERGER_REPOSITORY


def is_clarify_image(uri: str) -> bool:
    """True if ``uri`` names the Clarify processing repository (any registry, account, region or tag).

    :param uri: an image URI.
    """
    return repository_name(uri) == CLARIFY_REPOSITORY


def check_image_matches_type(monitoring_type: str, uri: Any, field: str) -> None:
    """Refuse the built-in image of the other family: Clarify for data / model quality, the analyzer for bias
    and explainability. Custom images pass.

    :param monitoring_type: ``DataQuality``, ``ModelQuality``, ``ModelBias`` or ``ModelExplainability``.
    :param uri: the job definition's ImageUri.
    :param field: dotted API path named in the error.
    """
    if not isinstance(uri, str):
        return
    wrong = is_clarify_image(uri) if monitoring_type in ANALYZER_TYPES else is_analyzer_image(uri)
    if monitoring_type in ANALYZER_TYPES + CLARIFY_TYPES and wrong:
        raise MonitoringValidationError(field, IMAGE_MATCHES_TYPE, f"{monitoring_type} with {uri}")
