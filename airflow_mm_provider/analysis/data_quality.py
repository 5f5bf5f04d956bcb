"""Data quality analysis: streaming statistics, suggested constraints and the six violation checks.

The engine behind the built-in data quality analyzer of the local service. The pieces live in
:mod:`~airflow_mm_provider.analysis.dq_statistics`, :mod:`~airflow_mm_provider.analysis.dq_constraints` and
:mod:`~airflow_mm_provider.analysis.dq_checks`, whose docstrings state the rules applied; this module is the
entry point other layers import. :class:`DataQualityAccumulator` is a mergeable partial result: one per
shard of the rows, merged in any order (``merge``, or as bytes with ``to_bytes`` / ``from_bytes``), then
finalized by ``statistics()``.
"""

from __future__ import annotations

from airflow_mm_provider.analysis.dq_checks import check
from airflow_mm_provider.analysis.dq_constraints import DEFAULT_MONITORING_CONFIG, suggest_constraints
from airflow_mm_provider.analysis.dq_statistics import DataQualityAccumulator

__all__ = ["DEFAULT_MONITORING_CONFIG", "DataQualityAccumulator", "check", "suggest_constraints"]
