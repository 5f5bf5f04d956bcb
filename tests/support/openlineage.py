"""A stand-in for the OpenLineage provider, which the test environments do not install.

``OperatorLineage`` ships only with ``apache-airflow-providers-openlineage`` and ``Dataset`` (from the common
compat provider) is a no-op without the OpenLineage client, so tests install these two small records in their
place to see what the operators would report.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest
from airflow.providers.common.compat.openlineage import facet

EXTRACTORS = "airflow.providers.openlineage.extractors"


@dataclass(frozen=True)
class FakeDataset:
    """The fields of an OpenLineage ``Dataset`` the operators set."""

    namespace: str
    name: str
    facets: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeOperatorLineage:
    """The fields of the provider's ``OperatorLineage`` the operators set."""

    inputs: list[FakeDataset] = field(default_factory=list)
    outputs: list[FakeDataset] = field(default_factory=list)


def install_fake_openlineage(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``OperatorLineage`` and ``Dataset`` importable as the installed provider and client would."""
    package = ModuleType("airflow.providers.openlineage")
    extractors = ModuleType(EXTRACTORS)
    extractors.OperatorLineage = FakeOperatorLineage  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, package.__name__, package)
    monkeypatch.setitem(sys.modules, EXTRACTORS, extractors)
    monkeypatch.setattr(facet, "Dataset", FakeDataset)


def remove_openlineage(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make importing the OpenLineage provider fail, whether or not it is installed."""
    monkeypatch.setitem(sys.modules, EXTRACTORS, None)


def dataset_names(datasets: list[FakeDataset]) -> list[str]:
    """``namespace/name`` of each dataset, in order."""
    return [f"{dataset.namespace}/{dataset.name}" for dataset in datasets]
