"""Suite-wide set-up: a throwaway Airflow home and dummy AWS credentials, so no test reaches real AWS."""

from __future__ import annotations

import os
import tempfile

import pytest

pytest_plugins = ["airflow_mm_provider.local.pytest_plugin"]

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="mm-airflow-home-"))
if _worker := os.environ.get("PYTEST_XDIST_WORKER"):  # one home, so one metadata database, per xdist worker
    os.environ["AIRFLOW_HOME"] = os.path.join(os.environ["AIRFLOW_HOME"], _worker)
    os.makedirs(os.environ["AIRFLOW_HOME"], exist_ok=True)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
for _key, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ[_key] = _value
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """A fresh Airflow metadata database in the throwaway AIRFLOW_HOME, set up once for the tests that ask."""
    from airflow.utils import db

    db.resetdb()
