"""Apache Airflow provider for Amazon SageMaker Model Monitor."""

__version__ = "0.1.0"
