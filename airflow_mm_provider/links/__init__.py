"""Links of airflow-mm-provider."""
