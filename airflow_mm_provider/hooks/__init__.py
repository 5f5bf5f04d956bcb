"""Hooks of airflow-mm-provider."""
