"""Every Model Monitor operator derives from the one base operator and gets its hook from there."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_mm_provider import operators
from airflow_mm_provider.hooks.model_monitor import SageMakerModelMonitorHook
from airflow_mm_provider.operators.base import SageMakerModelMonitorBaseOperator


def operator_classes() -> list[type]:
    """Every operator class defined in the ``operators`` package."""
    found = []
    for info in pkgutil.iter_modules(operators.__path__):
        module = importlib.import_module(f"{operators.__name__}.{info.name}")
        found += [
            value
            for value in vars(module).values()
            if inspect.isclass(value)
            and value.__module__ == module.__name__
            and issubclass(value, BaseOperator)
        ]
    return found


def test_every_operator_derives_from_the_base() -> None:
    classes = operator_classes()
    assert len(classes) >= 12
    assert [cls.__name__ for cls in classes if not issubclass(cls, SageMakerModelMonitorBaseOperator)] == []


def test_only_the_base_names_the_hook_class() -> None:
    assert SageMakerModelMonitorBaseOperator.aws_hook_class is SageMakerModelMonitorHook
    assert [cls.__name__ for cls in operator_classes() if "aws_hook_class" in vars(cls)] == [
        "SageMakerModelMonitorBaseOperator"
    ]


def test_the_base_builds_the_hook_from_the_connection_settings() -> None:
    operator = SageMakerModelMonitorBaseOperator(task_id="t", aws_conn_id=None, region_name="eu-west-1")
    hook = operator.hook
    assert isinstance(hook, SageMakerModelMonitorHook) and hook.region_name == "eu-west-1"
