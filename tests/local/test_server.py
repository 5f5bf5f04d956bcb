"""One endpoint: SageMaker, S3 and the control interface on the same loopback port."""

from __future__ import annotations

import json
import urllib.request
from typing import Any
from urllib.error import HTTPError

import pytest

from tests.support.service import BUCKET


def test_endpoint_is_loopback(mm: Any) -> None:
    assert mm.endpoint_url.startswith("http://127.0.0.1:")


def test_s3_and_sagemaker_share_the_endpoint(mm: Any, s3: Any, sm: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="dir/file.json", Body=b'{"a": 1}', Metadata={"x_under": "kept"})
    got = s3.get_object(Bucket=BUCKET, Key="dir/file.json")
    assert json.loads(got["Body"].read()) == {"a": 1}
    assert got["Metadata"] == {"x_under": "kept"}
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]] == ["dir/file.json"]
    assert sm.list_monitoring_schedules()["MonitoringScheduleSummaries"] == []
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=BUCKET, Key="missing")


def test_fresh_service_starts_with_empty_s3(mm: Any) -> None:
    assert mm.client("s3").list_buckets()["Buckets"] == []


def test_health_and_status(mm: Any, sm: Any) -> None:
    health = mm.control("GET", "health")
    assert health["status"] == "ok" and health["endpoint_url"] == mm.endpoint_url
    assert health["region"] == "us-east-1" and health["account_id"] == "123456789012"
    status = mm.control("GET", "status")
    assert status["counts"]["monitoring_schedules"] == 0
    assert status["settings"]["pending_seconds"] == 0


def test_clock_control(mm: Any) -> None:
    mm.set_clock(__import__("datetime").datetime(2030, 5, 1, tzinfo=__import__("datetime").timezone.utc))
    assert mm.control("GET", "clock")["now"].startswith("2030-05-01T00:00")


def test_unknown_route_and_bad_body(mm: Any) -> None:
    with pytest.raises(HTTPError) as err:
        mm.control("GET", "nothing")
    assert err.value.code == 404
    request = urllib.request.Request(
        f"{mm.endpoint_url}/_mm-local/run-due",
        data=b"[1]",
        method="POST",
        headers={"Content-Type": "application/json", "X-MM-Local": "1"},
    )
    with pytest.raises(HTTPError) as err:
        urllib.request.urlopen(request, timeout=10)
    assert err.value.code == 400 and "JSON object" in json.loads(err.value.read())["error"]
    with pytest.raises(HTTPError) as err:
        mm.control("POST", "settings", {"colour": "red"})
    assert err.value.code == 400


def test_reset_forgets_everything(mm: Any, sm: Any, s3: Any) -> None:
    sm.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[{"VariantName": "v"}])
    mm.control("POST", "reset")
    assert mm.control("GET", "status")["counts"]["endpoint_configs"] == 0
    assert s3.list_buckets()["Buckets"] == []


def test_unsupported_operation_is_rejected(mm: Any) -> None:
    sm = mm.client("sagemaker", retries={"total_max_attempts": 1})
    with pytest.raises(sm.exceptions.ClientError) as err:
        sm.list_models()
    assert err.value.response["Error"]["Code"] == "UnknownOperationException"
