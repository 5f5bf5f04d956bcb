"""The versioned binary form of mergeable partial results.

An analysis that runs over shards of a window (data quality, model quality, bias) computes one partial per
shard, merges the partials in any order and finalizes the merged one. Partials travel between workers as bytes
(S3 objects, never XCom), laid out as:

- 4 bytes: the magic ``b"MMPR"``;
- 1 byte: :data:`FORMAT_VERSION`, the version of this framing;
- the rest: a MessagePack map ``{"kind": str, "version": int, "data": ...}``: ``kind`` names the
  analysis (``"data_quality"``, ``"model_quality"``, ``"bias"``), ``version`` is that analysis's own layout
  version, and ``data`` holds plain values (None, bool, int, float, str, bytes, lists, string-keyed maps)
  and numpy arrays. An array is a MessagePack extension of type :data:`ARRAY_EXT`: its dtype string, shape
  and raw little-endian bytes, so a million counts cost eight megabytes, not a JSON list.

Reading checks all three and raises :class:`PartialFormatError` naming what differs, so a worker running an
older or newer release fails with a clear message instead of merging misread numbers.
"""

from __future__ import annotations

from typing import Any

import msgspec
import numpy as np

__all__ = ["ARRAY_EXT", "FORMAT_VERSION", "MAGIC", "PartialFormatError", "dumps", "loads"]

MAGIC = b"MMPR"
FORMAT_VERSION = 1
ARRAY_EXT = 1


class PartialFormatError(ValueError):
    """Bytes that are not a partial result of the expected kind and layout version."""


class _ArrayHeader(msgspec.Struct, array_like=True):
    dtype: str
    shape: tuple[int, ...]


_header_encoder = msgspec.msgpack.Encoder()
_header_decoder = msgspec.msgpack.Decoder(_ArrayHeader)


def _encode_array(value: Any) -> msgspec.msgpack.Ext:
    if not isinstance(value, np.ndarray):
        raise TypeError(f"a partial result cannot hold a {type(value).__name__}")
    if value.dtype.hasobject:
        raise TypeError("a partial result cannot hold an object array")
    array = np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<"))
    header = _header_encoder.encode(_ArrayHeader(array.dtype.str, array.shape))
    return msgspec.msgpack.Ext(ARRAY_EXT, len(header).to_bytes(4, "little") + header + array.tobytes())


def _decode_array(code: int, data: memoryview) -> np.ndarray:
    if code != ARRAY_EXT:
        raise PartialFormatError(f"unknown MessagePack extension type {code} in a partial result")
    size = int.from_bytes(data[:4], "little")
    header = _header_decoder.decode(data[4 : 4 + size])
    array: np.ndarray = (
        np.frombuffer(data[4 + size :], dtype=np.dtype(header.dtype)).reshape(header.shape).copy()
    )
    return array


_encoder = msgspec.msgpack.Encoder(enc_hook=_encode_array)
_decoder = msgspec.msgpack.Decoder(ext_hook=_decode_array)


def dumps(kind: str, version: int, data: Any) -> bytes:
    """The bytes of a partial result of analysis ``kind`` in its layout ``version``."""
    return MAGIC + bytes([FORMAT_VERSION]) + _encoder.encode({"kind": kind, "version": version, "data": data})


def loads(blob: bytes, kind: str, version: int) -> Any:
    """The ``data`` of a partial result, checked to be of analysis ``kind`` in layout ``version``."""
    if blob[:4] != MAGIC:
        raise PartialFormatError("not a partial result: the bytes do not start with b'MMPR'")
    if len(blob) < 5 or blob[4] != FORMAT_VERSION:
        found = blob[4] if len(blob) > 4 else "missing"
        raise PartialFormatError(
            f"partial result framing version {found}, this release reads {FORMAT_VERSION}"
        )
    try:
        body = _decoder.decode(memoryview(blob)[5:])
    except msgspec.DecodeError as error:
        raise PartialFormatError(f"partial result body is unreadable: {error}") from error
    if not isinstance(body, dict) or body.get("kind") != kind:
        found_kind = body.get("kind") if isinstance(body, dict) else None
        raise PartialFormatError(f"partial result of kind {found_kind!r}, expected {kind!r}")
    if body.get("version") != version:
        raise PartialFormatError(
            f"{kind} partial result in layout version {body.get('version')}, this release reads {version}"
        )
    return body.get("data")
