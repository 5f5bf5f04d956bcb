"""The README's IAM policy lists exactly the SageMaker and S3 actions the provider's code calls.

The calls are collected statically from the modules that talk to AWS (``hooks``, ``operators``, ``sensors``,
``triggers``, ``links``): boto3 SageMaker client methods called on ``conn`` / ``client`` or named as strings
(paginators), the per-monitor-type job-definition operations the hook builds from ``monitoring_type_api``,
the Amazon provider's ``SageMakerTrigger`` the baseline operators defer to, and the ``S3Hook`` methods,
mapped to the S3 actions they need. A call this test cannot map fails it, so a new call
cannot slip past the policy.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import boto3
import pytest

from airflow_mm_provider.monitoring.types import MONITORING_TYPES, monitoring_type_api

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "airflow_mm_provider"
SCANNED = ("hooks", "operators", "sensors", "triggers", "links")
CLIENT_CALL = re.compile(r"\b(?:conn|client)\.([a-z][a-z0-9_]*)\b")
S3_HOOK_CALL = re.compile(r"\b(?:s3_hook|S3Hook\([^)]*\))\.([a-z][a-z0-9_]*)\(")
SAGEMAKER_TRIGGER = "DescribeProcessingJob"
"""The Amazon provider's ``SageMakerTrigger`` waits on processing jobs with this operation."""
S3_HOOK_ACTIONS = {
    "load_string": {"s3:PutObject"},
    "load_bytes": {"s3:PutObject"},
    "read_key": {"s3:GetObject"},
    "get_key": {"s3:GetObject"},
    "check_for_key": {"s3:GetObject"},
    "list_keys": {"s3:ListBucket"},
    "list_prefixes": {"s3:ListBucket"},
}
"""``S3Hook`` methods -> the IAM actions they need (HeadObject is authorised by s3:GetObject)."""
ALSO_ALLOWED = {"iam:PassRole"}
"""Not a SageMaker or S3 action, but needed to hand the job role to SageMaker."""


def sagemaker_methods() -> dict[str, str]:
    """boto3 SageMaker client method name -> API operation name."""
    return dict(boto3.client("sagemaker", region_name="us-east-1").meta.method_to_api_mapping)


def scanned_sources() -> dict[Path, str]:
    """The source text of every module that talks to AWS."""
    return {path: path.read_text() for folder in SCANNED for path in sorted((PACKAGE / folder).glob("*.py"))}


def string_constants(source: str) -> set[str]:
    """Every string literal of a module."""
    return {
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def called_actions() -> set[str]:
    """The IAM actions of every SageMaker and S3 call the provider's code makes."""
    methods = sagemaker_methods()
    operations: set[str] = set()
    actions: set[str] = set()
    for path, source in scanned_sources().items():
        operations |= {methods[name] for name in CLIENT_CALL.findall(source) if name in methods}
        operations |= {methods[name] for name in string_constants(source) if name in methods}
        if "SageMakerTrigger(" in source:
            operations.add(SAGEMAKER_TRIGGER)
        for name in S3_HOOK_CALL.findall(source):
            assert name in S3_HOOK_ACTIONS, f"{path.name}: map S3Hook.{name} to its IAM actions"
            actions |= S3_HOOK_ACTIONS[name]
    for monitoring_type in MONITORING_TYPES:
        api = monitoring_type_api(monitoring_type)
        verbs = {getattr(api, name) for name in dir(api) if not name.startswith("_")}
        operations |= {methods[verb] for verb in verbs if isinstance(verb, str) and verb in methods}
    return actions | {f"sagemaker:{operation}" for operation in operations}


def readme_policy_actions() -> set[str]:
    """The actions of the IAM policy JSON block in the README."""
    blocks = re.findall(r"```json\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.DOTALL)
    policies = [json.loads(block) for block in blocks if '"Statement"' in block]
    assert len(policies) == 1, "the README should hold exactly one IAM policy JSON block"
    actions: set[str] = set()
    for statement in policies[0]["Statement"]:
        listed = statement["Action"]
        actions |= {listed} if isinstance(listed, str) else set(listed)
    return actions


@pytest.fixture(scope="module")
def called() -> set[str]:
    """The actions the code calls."""
    return called_actions()


def test_the_scan_finds_the_core_calls(called: set[str]) -> None:
    assert {
        "sagemaker:CreateMonitoringSchedule",
        "sagemaker:ListMonitoringExecutions",
        "sagemaker:CreateModelQualityJobDefinition",
        "sagemaker:CreateProcessingJob",
        "s3:GetObject",
        "s3:PutObject",
    } <= called


def test_readme_policy_lists_exactly_the_sagemaker_and_s3_actions_called(called: set[str]) -> None:
    listed = readme_policy_actions()
    relevant = {action for action in listed if action.split(":")[0] in ("sagemaker", "s3")}
    assert sorted(relevant - called) == [], "listed but never called"
    assert sorted(called - relevant) == [], "called but missing from the README policy"
    assert listed - relevant <= ALSO_ALLOWED
