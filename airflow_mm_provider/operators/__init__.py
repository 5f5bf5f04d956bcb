"""Operators of airflow-mm-provider."""
