"""DAGs built inside tests, written to the metadata database as the DAG processor would."""

from __future__ import annotations

from typing import Any


def register_dag(dag: Any) -> None:
    """Write ``dag`` (outlets and asset aliases too) to the metadata database, so ``dag.test()`` runs it."""
    try:
        from airflow.dag_processing.bundles.manager import DagBundlesManager
        from airflow.dag_processing.collection import update_dag_parsing_results_in_db
        from airflow.serialization.serialized_objects import LazyDeserializedDAG
    except ImportError:  # Airflow 2
        dag.sync_to_db()
        return
    from airflow.utils.session import create_session

    DagBundlesManager().sync_bundles_to_db()
    with create_session() as session:
        update_dag_parsing_results_in_db(
            "dags-folder", None, [LazyDeserializedDAG.from_dag(dag)], {}, None, set(), session
        )
