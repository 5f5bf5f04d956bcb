"""Sensors of airflow-mm-provider."""
