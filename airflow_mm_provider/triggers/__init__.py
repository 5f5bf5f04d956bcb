"""Triggers of airflow-mm-provider."""
