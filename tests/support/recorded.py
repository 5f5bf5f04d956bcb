"""Execution metrics recorded in the test metadata database, which the whole test session shares."""

from __future__ import annotations

from airflow_mm_provider.monitoring.metrics import METRICS_XCOM_KEY


def forget_recorded_metrics(dag_id_prefix: str = "") -> int:
    """Delete the recorded metrics documents (XComs under ``model_monitor_metrics``); return how many.

    :param dag_id_prefix: only those of DAGs whose id starts with it; all by default.
    """
    from airflow.utils.session import create_session

    try:
        from airflow.models.xcom import XComModel as XComRow
    except ImportError:  # Airflow 2
        from airflow.models.xcom import BaseXCom as XComRow

    with create_session() as session:
        rows = session.query(XComRow).filter(
            XComRow.key == METRICS_XCOM_KEY, XComRow.dag_id.startswith(dag_id_prefix, autoescape=True)
        )
        return rows.delete(synchronize_session=False)
