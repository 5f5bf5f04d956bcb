from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_mm_provider.monitoring.names import (
    MAX_NAME_LENGTH,
    NAME_PATTERN,
    content_hash,
    is_owned_by,
    job_definition_name,
    job_definition_prefix,
    run_scoped_name,
)

REQUEST = {
    "JobDefinitionName": "ignored",
    "ModelQualityAppSpecification": {"ImageUri": "img", "ProblemType": "BinaryClassification"},
    "RoleArn": "arn:aws:iam::123456789012:role/R",
    "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
    "Tags": [{"Key": "team", "Value": "a"}],
}

any_text = st.text(min_size=0, max_size=200)


def _valid(name: str) -> bool:
    return len(name) <= MAX_NAME_LENGTH and NAME_PATTERN.match(name) is not None


def test_content_hash_ignores_name_tags_and_key_order():
    reordered = dict(reversed(list(REQUEST.items())))
    renamed = {**REQUEST, "JobDefinitionName": "other", "Tags": []}
    assert content_hash(REQUEST) == content_hash(reordered) == content_hash(renamed)
    assert len(content_hash(REQUEST)) == 10
    assert all(c in "0123456789abcdef" for c in content_hash(REQUEST))


def test_content_hash_changes_with_content():
    changed = {**REQUEST, "StoppingCondition": {"MaxRuntimeInSeconds": 1700}}
    assert content_hash(changed) != content_hash(REQUEST)


def test_content_hash_is_stable_across_processes():
    # A fixed expectation guards against accidental changes of the canonical form, which would rename
    # every deployed job definition.
    assert content_hash({"a": 1, "b": [True, None, "x"]}) == content_hash({"b": [True, None, "x"], "a": 1})
    assert content_hash({"a": 1}) == "015abd7f5c"


def test_content_hash_rejects_bad_length():
    with pytest.raises(ValueError, match="length"):
        content_hash(REQUEST, length=0)


def test_job_definition_name_form():
    name = job_definition_name("churn-monitor", "ModelQuality", REQUEST)
    assert name == f"churn-monitor-mq-{content_hash(REQUEST)}"
    assert is_owned_by("churn-monitor", name)


@pytest.mark.parametrize(
    ("monitoring_type", "tag"),
    [("DataQuality", "dq"), ("ModelQuality", "mq"), ("ModelBias", "mb"), ("ModelExplainability", "me")],
)
def test_job_definition_name_type_tag(monitoring_type: str, tag: str):
    assert f"-{tag}-" in job_definition_name("s", monitoring_type, REQUEST)


def test_job_definition_name_rejects_unknown_type():
    with pytest.raises(ValueError, match="unknown monitoring type 'Drift'"):
        job_definition_name("s", "Drift", REQUEST)


def test_long_schedule_names_keep_distinct_stems():
    a = "x" * 60 + "a"
    b = "x" * 60 + "b"
    name_a = job_definition_name(a, "DataQuality", REQUEST)
    name_b = job_definition_name(b, "DataQuality", REQUEST)
    assert name_a != name_b
    assert _valid(name_a) and _valid(name_b)
    assert is_owned_by(a, name_a) and not is_owned_by(b, name_a)


@given(schedule=any_text, payload=st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))
def test_job_definition_name_always_valid_and_owned(schedule: str, payload: dict):
    for monitoring_type in ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability"):
        name = job_definition_name(schedule, monitoring_type, payload)
        assert _valid(name), name
        assert is_owned_by(schedule, name)
        assert name.startswith(job_definition_prefix(schedule))
    assert re.fullmatch(r"[a-zA-Z0-9\-]{1,63}", job_definition_prefix(schedule))  # a valid NameContains


def test_is_owned_by_rejects_foreign_names():
    own = job_definition_name("sched", "ModelBias", REQUEST)
    assert not is_owned_by("sched", "model-bias-job-definition-2024-01-01-00-00-00-000")
    assert not is_owned_by("sched2", own)
    assert not is_owned_by("sched", own + "0")
    # A schedule whose name extends another's does not claim the shorter schedule's definitions.
    nested = job_definition_name("sched-mb-0123456789", "ModelBias", REQUEST)
    assert not is_owned_by("sched", nested)


def test_run_scoped_name_is_deterministic():
    first = run_scoped_name("dag", "baseline", "scheduled__2024-01-01T00:00:00+00:00")
    assert first == run_scoped_name("dag", "baseline", "scheduled__2024-01-01T00:00:00+00:00")
    assert first.startswith("dag-baseline-")
    assert first != run_scoped_name("dag", "baseline", "scheduled__2024-01-02T00:00:00+00:00")
    assert first != run_scoped_name("dag", "baseline", "scheduled__2024-01-01T00:00:00+00:00", "2")
    assert first != run_scoped_name("dag", "other", "scheduled__2024-01-01T00:00:00+00:00")


def test_run_scoped_name_separates_ambiguous_splits():
    assert run_scoped_name("a-b", "c", "r") != run_scoped_name("a", "b-c", "r")


@given(dag_id=any_text, task_id=any_text, run_id=any_text, scope=st.text(max_size=5))
def test_run_scoped_name_always_valid(dag_id: str, task_id: str, run_id: str, scope: str):
    assert _valid(run_scoped_name(dag_id, task_id, run_id, scope))
