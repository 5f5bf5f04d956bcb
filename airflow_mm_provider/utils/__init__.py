"""Airflow-side helpers shared by operators, sensors, triggers and the hook: templating, waiting, outcomes."""
