"""OpenLineage facets of the Model Monitor operators, built only when the OpenLineage provider is installed.

The OpenLineage provider calls an operator's ``get_openlineage_facets_on_complete`` after a successful run;
without ``apache-airflow-providers-openlineage`` nothing calls it, and a direct call gets None. The imports
stay inside the function, as in the Amazon provider's SageMaker operators, so importing an operator module
never loads OpenLineage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage

    from airflow_mm_provider.monitoring.lineage import Lineage


def operator_lineage(lineage: Lineage) -> OperatorLineage | None:
    """The ``OperatorLineage`` of ``lineage``'s inputs and outputs, or None without the OpenLineage provider.

    :param lineage: the dataset names a task read and wrote.
    """
    try:
        from airflow.providers.common.compat.openlineage.facet import Dataset
        from airflow.providers.openlineage.extractors import OperatorLineage
    except ImportError:
        return None
    return OperatorLineage(
        inputs=[Dataset(namespace=name.namespace, name=name.name, facets={}) for name in lineage.inputs],
        outputs=[Dataset(namespace=name.namespace, name=name.name, facets={}) for name in lineage.outputs],
    )
