"""The closed front door: what a web page, an unsigned client or a malformed request gets from the service."""

from __future__ import annotations

import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from airflow_mm_provider.local import frontdoor
from tests.support.service import BUCKET, signed_headers

EVIL = "http://evil.example"


def raw(
    mm: Any, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, str, bytes]:
    """Send one request exactly as given (no client-side fixing); return (status, content type, body)."""
    parts = urlsplit(mm.endpoint_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        given = {k.lower() for k in (headers or {})}
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if "content-length" not in given:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def control_headers(**extra: str) -> dict[str, str]:
    """What a script sends to the control interface."""
    return {"Content-Type": "application/json", "X-MM-Local": "1", **extra}


def s3_error(body: bytes) -> str:
    """The ``Code`` of an S3 XML error document."""
    from xml.etree import ElementTree

    return ElementTree.fromstring(body).findtext("Code") or ""


def test_a_cross_origin_reset_is_refused_and_changes_nothing(mm: Any, s3: Any) -> None:
    status, kind, body = raw(
        mm, "POST", "/_mm-local/reset", b"{}", {"Origin": EVIL, "Content-Type": "text/plain"}
    )
    assert status == 403 and kind == "application/json" and "cross-origin" in json.loads(body)["error"]
    status, _, _ = raw(mm, "POST", "/_mm-local/reset", b"{}", control_headers(Origin=EVIL))
    assert status == 403
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [BUCKET]


def test_control_needs_the_script_header_and_json(mm: Any) -> None:
    status, _, body = raw(mm, "POST", "/_mm-local/reset", b"{}", {"Content-Type": "application/json"})
    assert status == 403 and "X-MM-Local: 1" in json.loads(body)["error"]
    status, _, body = raw(
        mm, "POST", "/_mm-local/reset", b"{}", {"X-MM-Local": "1", "Content-Type": "text/plain"}
    )
    assert status == 415 and "application/json" in json.loads(body)["error"]
    status, _, body = raw(mm, "GET", "/_mm-local/health", headers={"X-MM-Local": "1"})
    assert status == 200 and json.loads(body)["status"] == "ok"
    own = mm.endpoint_url.replace("127.0.0.1", "localhost")
    status, _, _ = raw(mm, "GET", "/_mm-local/health", headers={"X-MM-Local": "1", "Origin": own})
    assert status == 200


def test_a_browser_form_upload_is_refused_signed_or_not(mm: Any, s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="baseline/constraints.json", Body=b'{"kept": true}')
    form = (
        b'--x\r\nContent-Disposition: form-data; name="key"\r\n\r\nbaseline/constraints.json\r\n'
        b'--x\r\nContent-Disposition: form-data; name="file"; filename="c"\r\n\r\n{}\r\n--x--\r\n'
    )
    headers = {"Content-Type": "multipart/form-data; boundary=x"}
    for sent in (headers, signed_headers(f"{mm.endpoint_url}/{BUCKET}", form, "s3", headers)):
        status, kind, body = raw(mm, "POST", f"/{BUCKET}", form, sent)
        assert (status, kind, s3_error(body)) == (403, "application/xml", "AccessDenied")
    assert s3.get_object(Bucket=BUCKET, Key="baseline/constraints.json")["Body"].read() == b'{"kept": true}'


def test_unsigned_requests_are_refused_in_each_protocol(mm: Any, s3: Any) -> None:
    status, kind, body = raw(mm, "PUT", f"/{BUCKET}/k", b"data")
    assert (status, kind, s3_error(body)) == (403, "application/xml", "AccessDenied")
    status, kind, body = raw(mm, "GET", f"/{BUCKET}?list-type=2")
    assert (status, s3_error(body)) == (403, "AccessDenied")
    target = {
        "X-Amz-Target": "SageMaker.ListMonitoringSchedules",
        "Content-Type": "application/x-amz-json-1.1",
    }
    status, kind, body = raw(mm, "POST", "/", b"{}", target)
    assert (status, kind) == (403, "application/x-amz-json-1.1")
    assert json.loads(body)["__type"] == "MissingAuthenticationTokenException"
    fake = {**target, "Authorization": "Bearer x"}
    assert raw(mm, "POST", "/", b"{}", fake)[0] == 403
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)


def test_presigned_urls_are_accepted(mm: Any, s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="report.json", Body=b"{}")
    params = {"Bucket": BUCKET, "Key": "report.json"}
    for client in (s3, mm.client("s3", signature_version="s3v4")):
        url = urlsplit(client.generate_presigned_url("get_object", Params=params))
        status, _, body = raw(mm, "GET", f"{url.path}?{url.query}")
        assert (status, body) == (200, b"{}")


def test_preflight_and_moto_pages_are_refused(mm: Any) -> None:
    headers = {"Origin": EVIL, "Access-Control-Request-Method": "PUT"}
    status, _, body = raw(mm, "OPTIONS", f"/{BUCKET}/k", headers=headers)
    assert status == 403 and b"Access-Control-Allow-Origin" not in body
    assert raw(mm, "OPTIONS", f"/{BUCKET}/k")[0] == 403
    for path in ("/moto-api/", "/moto-api/data.json"):
        headers = signed_headers(f"{mm.endpoint_url}{path}", b"", "s3", {}, method="GET")
        status, kind, body = raw(mm, "GET", path, headers=headers)
        assert (status, kind) == (404, "application/xml") and b"<html" not in body.lower()


def sagemaker(mm: Any, body: bytes, **headers: str) -> tuple[int, dict[str, Any]]:
    """A signed hand-made SageMaker call; returns (status, decoded JSON answer)."""
    base = {"Content-Type": "application/x-amz-json-1.1", **headers}
    signed = signed_headers(mm.endpoint_url + "/", body, "sagemaker", base)
    status, kind, answer = raw(mm, "POST", "/", body, signed)
    assert kind == "application/x-amz-json-1.1"
    return status, json.loads(answer)


def test_malformed_sagemaker_requests_get_json_protocol_errors(mm: Any) -> None:
    target = {"X-Amz-Target": "SageMaker.ListMonitoringSchedules"}
    assert sagemaker(mm, b"{}")[1]["__type"] == "UnknownOperationException"
    status, answer = sagemaker(mm, b"[" * 100_000 + b"]" * 100_000, **target)
    assert (status, answer["__type"]) == (400, "SerializationException") and "deeper" in answer["message"]
    status, answer = sagemaker(mm, b'{"NameContains": ' + b"[" * 70 + b"]" * 70 + b"}", **target)
    assert (status, answer["__type"]) == (400, "SerializationException")
    status, answer = sagemaker(mm, b"{", **target)
    assert (status, answer["__type"]) == (400, "SerializationException")
    mm.service.config.max_request_bytes = 1000
    status, answer = sagemaker(mm, b'{"NameContains": "' + b"x" * 2000 + b'"}', **target)
    assert (status, answer["__type"]) == (413, "RequestEntityTooLargeException")
    signed = signed_headers(mm.endpoint_url + "/", b"{}", "sagemaker", {**target, "Content-Length": "abc"})
    status, kind, answer = raw(mm, "POST", "/", b"{}", signed)
    assert (status, json.loads(answer)["__type"]) == (400, "SerializationException")


@pytest.mark.parametrize(
    ("route", "body", "message"),
    [
        ("clock", {"now": None}, "now: is required"),
        ("clock", {"now": 5}, "now: must be an ISO-8601 time string"),
        ("clock", {"now": "yesterday"}, "now: must be an ISO-8601 time string"),
        ("clock", {"now": "2030-01-01T00:00:00"}, "now: must be an ISO-8601 time string with Z or an offset"),
        ("faults", {"operation": "ListMonitoringExecutions", "count": 1e9}, "count: must be a whole number"),
        (
            "faults",
            {"operation": "ListMonitoringExecutions", "count": 10_001},
            "count: must be a whole number",
        ),
        ("faults", {"operation": "DropDatabase"}, "operation: must be one of"),
        ("faults", {"operation": "ListTags", "kind": "meteor"}, "kind: must be one of"),
        ("settings", {"pending_seconds": "nan"}, "pending_seconds: must be a finite number"),
        ("settings", {"pending_seconds": -1}, "pending_seconds: must be from 0"),
        ("settings", {"jitter": "false"}, "jitter: must be true or false"),
        ("settings", {"max_schedules": 2.5}, "max_schedules: must be a whole number"),
        ("run-due", {"wait": 1}, "wait: must be true or false"),
        ("reset", {"everything": True}, "unknown members ['everything']"),
    ],
)
def test_control_bodies_are_checked_member_by_member(mm: Any, route: str, body: Any, message: str) -> None:
    status, _, answer = raw(mm, "POST", f"/_mm-local/{route}", json.dumps(body).encode(), control_headers())
    assert status == 400 and message in json.loads(answer)["error"]


def test_nan_and_deep_or_unmeasured_control_bodies_are_400(mm: Any) -> None:
    status, _, answer = raw(mm, "POST", "/_mm-local/settings", b'{"pending_seconds": NaN}', control_headers())
    assert status == 400 and "finite" in json.loads(answer)["error"]
    deep = b"[" * 100_000 + b"]" * 100_000
    status, _, answer = raw(mm, "POST", "/_mm-local/clock", deep, control_headers())
    assert status == 400 and "deeper" in json.loads(answer)["error"]
    status, _, answer = raw(
        mm, "POST", "/_mm-local/clock", b"{}", control_headers(**{"Content-Length": "abc"})
    )
    assert status == 400 and "Content-Length" in json.loads(answer)["error"]
    assert mm.control("GET", "status")["settings"]["pending_seconds"] == 0


def test_faults_stay_bounded_per_operation(mm: Any) -> None:
    mm.inject_fault("ListTags", count=10_000)
    status, _, answer = raw(
        mm, "POST", "/_mm-local/faults", json.dumps({"operation": "ListTags"}).encode(), control_headers()
    )
    assert status == 400 and "10000 already pending" in json.loads(answer)["error"]
    assert mm.control("GET", "status")["faults"] == {"ListTags": 10_000}


def test_protocol_follows_the_signed_service() -> None:
    scope = (
        "AWS4-HMAC-SHA256 Credential=a/20240101/us-east-1/{}/aws4_request, SignedHeaders=host, Signature=0"
    )
    assert frontdoor.protocol({"HTTP_AUTHORIZATION": scope.format("sagemaker")}) == frontdoor.SAGEMAKER
    assert frontdoor.protocol({"HTTP_AUTHORIZATION": scope.format("s3")}) == frontdoor.S3
    assert frontdoor.protocol({"PATH_INFO": "/_mm-local/health"}) == frontdoor.CONTROL
    assert frontdoor.is_signed({"HTTP_AUTHORIZATION": scope.format("s3")})
    assert not frontdoor.is_signed({"HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 nothing"})


def test_a_failure_inside_the_service_answers_in_each_protocol(
    mm: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(mm.service.s3_persistence, "commit", broken)
    monkeypatch.setattr(mm.service.ctx.store, "commit", broken)
    monkeypatch.setattr(mm.service.database, "set_meta", broken)
    s3 = mm.client("s3", retries={"total_max_attempts": 1})
    with pytest.raises(s3.exceptions.ClientError) as err:
        s3.create_bucket(Bucket="broken")
    assert err.value.response["Error"]["Code"] == "InternalError"
    assert err.value.response["Error"]["Message"] == "OSError: disk full"
    sm = mm.client("sagemaker", retries={"total_max_attempts": 1})
    with pytest.raises(sm.exceptions.ClientError) as err:
        sm.create_endpoint_config(EndpointConfigName="c", ProductionVariants=[{"VariantName": "v"}])
    assert err.value.response["Error"]["Code"] == "InternalFailure"
    clock = b'{"now": "2030-01-01T00:00:00Z"}'
    status, kind, body = raw(mm, "POST", "/_mm-local/clock", clock, control_headers())
    assert (status, kind) == (500, "application/json") and "disk full" in json.loads(body)["error"]
