"""Who may talk to the service: the checks every request passes before a handler sees it.

The service listens on loopback, but any web page the user opens can send requests there. A page cannot add
an ``Authorization`` header or an ``X-MM-Local`` header to a cross-origin request without a CORS preflight,
and the service grants none; so SageMaker and S3 requests must be SigV4-signed (any credentials do) or carry
a presigned URL's signature, control requests must carry ``X-MM-Local: 1`` and a JSON content type, browser
form uploads are refused, and so is any request whose ``Origin`` is not the service's own (browsers send
``Origin`` with every cross-origin request that can change anything, so a page cannot use a URL it made up).
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple
from urllib.parse import parse_qs

CONTROL_PREFIX = "/_mm-local/"
CONTROL_HEADER = "X-MM-Local"
SIGV4 = "AWS4-HMAC-SHA256"
_SCOPE = re.compile(r"Credential=[^/,\s]*/[^/,\s]*/[^/,\s]*/([^/,\s]*)/aws4_request")
CONTROL, SAGEMAKER, S3 = "control", "sagemaker", "s3"


class Refusal(NamedTuple):
    """Why a request is refused: HTTP status, error code and message."""

    status: int
    code: str
    message: str


def protocol(environ: dict[str, Any]) -> str:
    """Which interface a request is for: ``control``, ``sagemaker`` (JSON 1.1) or ``s3``."""
    if environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX):
        return CONTROL
    if environ.get("HTTP_X_AMZ_TARGET") or credential_service(environ) not in (None, "s3"):
        return SAGEMAKER
    return S3


def credential_service(environ: dict[str, Any]) -> str | None:
    """The service named in the SigV4 credential scope (header or presigned query), if any."""
    found = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if found:
        return found.group(1)
    credential = _query(environ).get("X-Amz-Credential")
    parts = credential[0].split("/") if credential else []
    return parts[3] if len(parts) == 5 and parts[4] == "aws4_request" else None


def _query(environ: dict[str, Any]) -> dict[str, list[str]]:
    """The parsed query string."""
    return parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)


def is_signed(environ: dict[str, Any]) -> bool:
    """Whether the request carries a SigV4 ``Authorization`` header or a presigned URL's signature
    (SigV4 query parameters, or the ``AWSAccessKeyId``/``Signature``/``Expires`` boto3 presigns S3 with)."""
    header = environ.get("HTTP_AUTHORIZATION", "")
    if header.startswith(SIGV4 + " ") and "Credential=" in header and "Signature=" in header:
        return True
    query = _query(environ)
    if query.get("X-Amz-Algorithm") == [SIGV4]:
        return "X-Amz-Signature" in query and "X-Amz-Credential" in query
    return {"AWSAccessKeyId", "Signature", "Expires"} <= set(query)  # boto3's default presigned S3 URL


def own_origins(endpoint_url: str) -> frozenset[str]:
    """The origins a page served by this endpoint would send (loopback spellings of its port)."""
    port = endpoint_url.rsplit(":", 1)[-1]
    return frozenset(f"http://{host}:{port}" for host in ("127.0.0.1", "localhost", "[::1]"))


def _media_type(environ: dict[str, Any]) -> str:
    """The request's media type without parameters, lower-cased."""
    return environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()


def refusal(environ: dict[str, Any], origins: frozenset[str]) -> Refusal | None:
    """Why this request is refused, or None when it may go on to its handler."""
    kind = protocol(environ)
    origin = environ.get("HTTP_ORIGIN")
    if origin is not None and origin not in origins:
        return Refusal(403, "AccessDenied", f"cross-origin requests are refused (Origin: {origin[:100]})")
    if environ.get("REQUEST_METHOD") == "OPTIONS":
        return Refusal(403, "AccessDenied", "CORS preflight requests are refused; mm-local grants none")
    if kind == CONTROL:
        if environ.get("HTTP_X_MM_LOCAL") != "1":
            return Refusal(403, "AccessDenied", f"control requests need the header {CONTROL_HEADER}: 1")
        if environ.get("REQUEST_METHOD") != "GET" and _media_type(environ) != "application/json":
            return Refusal(
                415, "UnsupportedMediaType", "control requests need Content-Type: application/json"
            )
        return None
    if _media_type(environ) == "multipart/form-data":
        return Refusal(403, "AccessDenied", "browser form uploads (S3 POST Object) are refused")
    if kind == S3 and environ.get("PATH_INFO", "").startswith("/moto-api"):
        return Refusal(404, "NoSuchBucket", "The specified bucket does not exist")
    if not is_signed(environ):
        code = "AccessDenied" if kind == S3 else "MissingAuthenticationTokenException"
        return Refusal(403, code, "requests must be signed with AWS Signature Version 4 (any credentials)")
    return None


def s3_error_body(refused: Refusal, request_id: str) -> bytes:
    """An S3 XML error document."""
    from xml.sax.saxutils import escape

    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(refused.code)}</Code><Message>{escape(refused.message)}</Message>"
        f"<RequestId>{request_id}</RequestId></Error>"
    ).encode()
