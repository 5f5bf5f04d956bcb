"""Local of airflow-mm-provider."""
