"""The local Model Monitor service: SageMaker's monitoring API subset plus S3 on one loopback endpoint.

Start it with ``mm-local serve`` (or ``python -m airflow_mm_provider.local``), or in-process with
:class:`airflow_mm_provider.local.testing.LocalModelMonitor`.
"""
