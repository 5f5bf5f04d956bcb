"""Analysis of airflow-mm-provider."""
