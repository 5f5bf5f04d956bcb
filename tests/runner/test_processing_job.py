"""One processing-job request run on the worker through the runner's entry point, against mm-local's S3."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from airflow_mm_provider.local.testing import LocalModelMonitor
from airflow_mm_provider.processing.job_runner import NO_DATA, JobResult, RunOptions
from airflow_mm_provider.runner import run_processing_job
from tests.support.engine import FakeEngine
from tests.support.service import BUCKET

DATA = "/opt/ml/processing/input/data"


@pytest.fixture
def s3(mm_local: LocalModelMonitor) -> Any:
    """An S3 client of the local service with :data:`BUCKET` holding one data file."""
    client = mm_local.client("s3")
    client.create_bucket(Bucket=BUCKET)
    client.put_object(Bucket=BUCKET, Key="data/train.csv", Body=b"1,2\n3,4\n")
    return client


def request(data: str = "data") -> dict[str, Any]:
    """A request reading ``s3://BUCKET/<data>`` and writing ``s3://BUCKET/out``."""
    return {
        "ProcessingInputs": [
            {"InputName": "data", "S3Input": {"S3Uri": f"s3://{BUCKET}/{data}", "LocalPath": DATA}}
        ],
        "ProcessingOutputConfig": {"Outputs": [{"S3Output": {"S3Uri": f"s3://{BUCKET}/out"}}]},
        "Environment": {"dataset_source": DATA},
    }


def keys(s3: Any, prefix: str) -> list[str]:
    """The keys under ``prefix``."""
    return [obj["Key"] for obj in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]


def test_the_request_runs_with_the_given_client_and_mode(s3: Any) -> None:
    engine = FakeEngine()
    result = run_processing_job(request(), lambda: s3, "clarify", engine=engine)
    assert result.status == "Completed"
    ((mode, environment, staged),) = engine.calls
    assert (mode, environment, staged) == ("clarify", {"dataset_source": DATA}, {DATA: ["train.csv"]})
    assert keys(s3, "out/") == ["out/clarify.json"]


def test_options_name_the_inputs_that_must_hold_data(s3: Any) -> None:
    options = RunOptions(data_inputs=("data",))
    result = run_processing_job(request("empty"), lambda: s3, "analyzer", options, engine=FakeEngine())
    assert result == JobResult("Failed", failure_reason=NO_DATA)
    assert keys(s3, "out/") == []


def test_a_set_stop_event_stops_the_run_and_writes_nothing(s3: Any) -> None:
    engine, stop = FakeEngine(gate=threading.Event()), threading.Event()
    stop.set()
    try:
        result = run_processing_job(request(), lambda: s3, "analyzer", engine=engine, stop=stop)
    finally:
        assert engine.gate is not None
        engine.gate.set()
    assert result.status == "Stopped" and keys(s3, "out/") == []


@pytest.mark.parametrize("mode", ["Analyzer", "shap", ""])
def test_an_unknown_mode_names_the_parameter(s3: Any, mode: str) -> None:
    with pytest.raises(ValueError, match=r"^mode: must be one of analyzer, merge, clarify"):
        run_processing_job(request(), lambda: s3, mode)


def test_the_real_engine_writes_a_baseline(s3: Any) -> None:
    pytest.importorskip("numpy")
    job = {
        **request(),
        "Environment": {"dataset_source": DATA, "dataset_format": '{"csv": {"header": false}}'},
    }
    assert run_processing_job(job, lambda: s3, "analyzer").status == "Completed"
    assert keys(s3, "out/") == ["out/constraints.json", "out/statistics.json"]
