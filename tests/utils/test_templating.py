"""Literal values are told from run-time ones; rendered template text is read back as objects."""

from __future__ import annotations

import pytest
from airflow.providers.common.compat.sdk import DAG

from airflow_mm_provider.monitoring.inputs import DatasetFormat
from airflow_mm_provider.utils.templating import is_literal, rendered_object


@pytest.mark.parametrize(
    "value", ["s3://b/k", 3, None, {"k": [1, 2.0, None]}, ("a", "b"), DatasetFormat.csv(header=True)]
)
def test_literal_values(value):
    assert is_literal(value)


@pytest.mark.parametrize(
    "value", ["s3://b/{{ ds }}", {"k": ["{% if x %}"]}, ["ok", "{{ x }}"], {"{{ k }}": 1}]
)
def test_jinja_anywhere_is_not_literal(value):
    assert not is_literal(value)


def test_xcom_arg_is_not_literal():
    from airflow.providers.common.compat.sdk import BaseOperator

    with DAG("d", schedule=None):
        task = BaseOperator(task_id="t")
    assert not is_literal(task.output)
    assert not is_literal({"execution": task.output})


@pytest.mark.parametrize(
    ("text", "expected"),
    [('{"a": 1}', {"a": 1}), ("{'a': 1}", {"a": 1}), ("[1, 2]", [1, 2]), ({"a": 1}, {"a": 1})],
)
def test_rendered_object_reads_json_and_python_literals(text, expected):
    assert rendered_object(text, "execution") == expected


def test_rendered_object_names_the_parameter_on_garbage():
    with pytest.raises(ValueError, match="^execution: cannot read"):
        rendered_object("not a dict", "execution")
