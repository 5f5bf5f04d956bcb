"""The "Model Monitor" view in the Airflow UI: an Airflow plugin charting every recorded execution's metrics.

:mod:`~airflow_mm_provider.ui.plugin` registers it (the FastAPI app and nav entry on Airflow 3, a Flask
AppBuilder view on Airflow 2); :mod:`~airflow_mm_provider.ui.store` reads the recorded metrics from the
metadata database and :mod:`~airflow_mm_provider.ui.history` turns them into what the page in ``static/``
draws with the vendored uPlot library.
"""
