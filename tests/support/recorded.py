"""Execution metrics recorded in the test metadata database, which the whole test session shares."""

from __future__ import annotations

from typing import Any

from airflow_mm_provider.monitoring.metrics import METRICS_XCOM_KEY
from tests.support.dags import register_dag


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


def record_metrics(dag_id: str, documents: list[dict[str, Any]]) -> None:
    """Push each document as the violation branch does, from map index ``i`` of a mapped task ``branch`` in
    one ``dag.test()`` run of a DAG ``dag_id``."""
    from datetime import datetime, timezone

    from airflow.providers.common.compat.sdk import DAG
    from airflow.providers.common.compat.standard.operators import PythonOperator

    def record(document: dict[str, Any], ti: Any = None) -> None:
        ti.xcom_push(key=METRICS_XCOM_KEY, value=document)

    with DAG(dag_id, schedule=None, start_date=datetime(2024, 1, 1, tzinfo=timezone.utc)) as dag:
        PythonOperator.partial(task_id="branch", python_callable=record).expand(
            op_args=[[d] for d in documents]
        )
    register_dag(dag)
    dag.test()
