"""Streaming readers for capture, ground-truth, batch-transform, merged and tabular record files.

Every reader walks a local file or directory (the job runner has already copied S3 there), yields records in
lists of at most ``chunk_size`` so memory stays bounded for any window, and counts malformed lines in a
``ReadStats`` instead of failing.

Speed: files are read in blocks of about 4 MB. With msgspec (installed with Airflow) a whole block of capture,
ground-truth or merged lines is decoded at once into just the members a job needs; ``captureData`` stays raw
JSON, copied verbatim into merged records. A block holding any malformed line, and every block without
msgspec, is read line by line with the standard library, where service-written capture lines are split at
their unique ``,"eventMetadata":`` member without parsing ``captureData`` (an invalid one surfaces as a
malformed merged line when the analysis reads it) and merged lines are read by locating ``"endpointOutput":``
/ ``"groundTruthData":`` (a key written with an unescaped quote can only be a member name, never string
content); lines in other layouts are parsed in full.
"""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
import json.scanner
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple, TextIO

try:  # msgspec ships with Airflow; the readers fall back to the standard library without it
    import msgspec
except ImportError:  # pragma: no cover
    msgspec = None

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "CapturedRecord",
    "MergedRecord",
    "ReadStats",
    "decode_payload",
    "extract_members",
    "iter_batch_output_chunks",
    "iter_capture_chunks",
    "iter_files",
    "iter_ground_truth_chunks",
    "iter_merged_chunks",
    "iter_table_chunks",
    "parse_time",
    "resolve_manifest",
]

DEFAULT_CHUNK_SIZE = 10_000
_DECODER = json.JSONDecoder()
_SCAN = json.scanner.make_scanner(_DECODER)  # (text, index) -> (value, end); StopIteration if no value
_COMPACT = (",", ":")


@dataclass
class ReadStats:
    """Counts of what a reader saw.

    :param records: well-formed records read (before any time filter).
    :param skipped_out_of_window: well-formed records outside the requested time window.
    :param malformed: malformed lines per reason.
    """

    records: int = 0
    skipped_out_of_window: int = 0
    malformed: Counter[str] = field(default_factory=Counter)

    def bad(self, reason: str) -> None:
        """Count one malformed line for ``reason``."""
        self.malformed[reason] += 1

    @property
    def malformed_total(self) -> int:
        """Number of malformed lines over all reasons."""
        return sum(self.malformed.values())

    def as_dict(self) -> dict[str, Any]:
        """Return the counts as a JSON-ready dict."""
        return {
            "records": self.records,
            "skipped_out_of_window": self.skipped_out_of_window,
            "malformed": dict(sorted(self.malformed.items())),
        }


class CapturedRecord(NamedTuple):
    """One captured inference, as needed to merge it with ground truth.

    :param join_id: the merge key: ``inferenceId`` if present, else ``eventId`` (batch: SageMakerInferenceId).
    :param event_metadata: the record's ``eventMetadata`` as JSON (UTF-8 bytes).
    :param capture_data: the record's ``captureData`` as JSON (UTF-8 bytes).
    """

    join_id: str
    event_metadata: bytes
    capture_data: bytes


class MergedRecord(NamedTuple):
    """The payloads (undecoded ``{"data", "encoding", ...}`` objects) of a merged or capture record.

    :param output: the model output (``endpointOutput`` or ``batchTransformOutput``), or ``None``.
    :param ground_truth: the ``groundTruthData``, or ``None``.
    :param input: the ``endpointInput``, or ``None``; only read when asked for.
    """

    output: Any
    ground_truth: Any
    input: Any


def iter_files(path: Path) -> Iterator[Path]:
    """Yield the data files at ``path`` (a file, or a directory walked recursively) in sorted order.

    Hidden files and names starting with ``_`` (``_SUCCESS`` markers) are skipped.
    """
    path = Path(path)
    if path.is_file():
        yield path
        return
    if not path.is_dir():
        return
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith((".", "_")):
                yield Path(root) / name


def _open_text(path: Path) -> TextIO:
    """Open a text file, transparently gunzipping ``*.gz``."""
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace", newline="")
    return open(path, encoding="utf-8", errors="replace", newline="")  # noqa: SIM115


def _iter_lines(path: Path) -> Iterator[str]:
    """Yield the non-blank lines of every file under ``path``, without line endings."""
    for file in iter_files(path):
        with _open_text(file) as handle:
            for line in handle:
                line = line.strip()
                if line:
                    yield line


_BLOCK_BYTES = 4 << 20


def _iter_blocks(path: Path) -> Iterator[bytes]:
    """Yield the files under ``path`` as blocks of whole lines of about 4 MB (bytes)."""
    for file in iter_files(path):
        with gzip.open(file, "rb") if file.suffix == ".gz" else open(file, "rb") as handle:
            while lines := handle.readlines(_BLOCK_BYTES):
                yield b"".join(lines)


def _block_lines(block: bytes) -> Iterator[str]:
    """The non-blank lines of a block, as text."""
    for line in block.decode("utf-8", errors="replace").split(
        "\n"
    ):  # not splitlines: JSON text may hold U+2028
        line = line.strip()
        if line:
            yield line


def _utf8(text: str) -> bytes:
    """``text`` as UTF-8 (lone surrogates from invalid input replaced)."""
    return text.encode("utf-8", errors="replace")


def parse_time(text: str) -> datetime:
    """Parse an ISO-8601 timestamp as written in capture files (``Z`` or offset; naive means UTC)."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed


def extract_members(line: str, names: Iterable[str]) -> dict[str, tuple[Any, str]] | None:
    """Decode only the named JSON members of ``line``; return name -> (value, raw text), absent names omitted.

    Returns ``None`` when the line is not a JSON object. Names are looked up anywhere in the object (they may
    be nested), so they must be unique in the record.
    """
    if not (line.startswith("{") and line.endswith("}")):
        return None
    found: dict[str, tuple[Any, str]] = {}
    for name in names:
        key = f'"{name}":'
        at = line.find(key)
        if at < 0:
            if f'"{name}"' in line:
                return _extract_slow(line, names)
            continue
        if line.find(key, at + len(key)) >= 0:
            return _extract_slow(line, names)
        start = at + len(key)
        while line[start] in " \t":
            start += 1
        try:
            value, end = _DECODER.raw_decode(line, start)
        except ValueError:
            return None
        found[name] = (value, line[start:end])
    return found


def _ordered_members(line: str, layout: tuple[tuple[str, str], ...]) -> dict[str, tuple[Any, str]] | None:
    """Decode a line whose top-level members are exactly ``layout`` (``(key prefix, name)`` pairs) in order.

    Returns ``None`` for any other line; the caller then falls back to :func:`extract_members`.
    """
    at = 1
    found: dict[str, tuple[Any, str]] = {}
    try:
        for key, name in layout:
            if not line.startswith(key, at):
                return None
            start = at + len(key)
            value, end = _SCAN(line, start)
            found[name] = (value, line[start:end])
            at = end + 1
    except (ValueError, StopIteration):
        return None
    return found if at == len(line) and line[-1] == "}" else None


def _leading_member(line: str, first: str) -> tuple[str, Any, str] | None:
    """Split a line ``{"<first>":X,"eventMetadata":M[,"eventVersion":"0"]}`` without parsing X.

    Returns (raw X, parsed M, raw M), or ``None`` for any other layout. X is copied verbatim (the merge never
    needs its value); ``eventMetadata`` must occur once, and M and the tail are parsed and checked.
    """
    if not line.startswith(first):
        return None
    at = line.find(_METADATA_KEY)
    if at < 0 or line.find(_METADATA_KEY, at + 1) >= 0:
        return None
    start = at + len(_METADATA_KEY)
    try:
        metadata, end = _SCAN(line, start)
    except (ValueError, StopIteration):
        return None
    if line[end:] not in _TAILS:
        return None
    return line[len(first) : at], metadata, line[start:end]


_METADATA_KEY = ',"eventMetadata":'
_TAILS = frozenset({"}", ',"eventVersion":"0"}'})


def _layout(*names: str) -> tuple[tuple[str, str], ...]:
    """The ``layout`` argument of :func:`_ordered_members` for member names in order."""
    return tuple((f'"{name}":', name) for name in names)


def _find_nested(value: Any, name: str) -> Any:
    """Return the first member called ``name`` in a parsed JSON value (depth first), or ``None``."""
    if isinstance(value, dict):
        if name in value:
            return value[name]
        for child in value.values():
            hit = _find_nested(child, name)
            if hit is not None:
                return hit
    return None


def _extract_slow(line: str, names: Iterable[str]) -> dict[str, tuple[Any, str]] | None:
    """Full-parse fallback of :func:`extract_members`."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    found = {}
    for name in names:
        value = _find_nested(record, name)
        if value is not None:
            found[name] = (value, json.dumps(value, separators=_COMPACT))
    return found


def decode_payload(payload: Any) -> Any:
    """Decode a ``{"data", "encoding", "observedContentType"?}`` payload.

    CSV gives a list of strings (one row; several rows give a list of rows), JSON the parsed value, BASE64 the
    decoded bytes parsed by the observed content type (CSV or JSON) or else as text. Raises ``ValueError`` on
    a payload that cannot be decoded.
    """
    if not isinstance(payload, dict) or "data" not in payload:
        raise ValueError("payload has no data")
    data = payload["data"]
    encoding = payload.get("encoding", "CSV")
    if encoding == "CSV" and type(data) is str and '"' not in data and "\n" not in data:
        return data.split(",")
    encoding = str(encoding).upper()
    if encoding == "BASE64":
        data = base64.b64decode(data).decode("utf-8")
        content_type = str(payload.get("observedContentType", "")).lower()
        encoding = "JSON" if "json" in content_type else "CSV" if "csv" in content_type else "TEXT"
    if encoding == "JSON":
        return json.loads(data) if isinstance(data, str) else data
    if encoding == "CSV":
        return split_csv(str(data))
    if encoding == "TEXT":
        return data
    raise ValueError(f"unknown encoding {encoding}")


def split_csv(text: str) -> list[Any]:
    """Split CSV text into one row of strings, or a list of rows when it holds several lines."""
    text = text.strip()
    if '"' not in text and "\n" not in text:
        return text.split(",")
    rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text)) if row]
    return rows[0] if len(rows) == 1 else rows


class _Window:
    """The time window ``[start, end)`` records are filtered by (no bound: everything inside).

    Timestamps written as ``YYYY-MM-DDTHH:MM:SSZ`` (the service's own format) are compared as text; others are
    parsed.
    """

    def __init__(self, start: datetime | None, end: datetime | None) -> None:
        self.start, self.end = start, end
        self.everything = start is None and end is None
        self._text = all(bound is None or bound.microsecond == 0 for bound in (start, end))
        self._start_text = _utc_text(start) if start is not None else ""
        self._end_text = _utc_text(end) if end is not None else "~"

    def __contains__(self, inference_time: object) -> bool:
        if self.everything:
            return True
        if not isinstance(inference_time, str):
            if inference_time is None:
                return False
            raise TypeError("inference time is not text")
        if self._text and len(inference_time) == 20 and inference_time[19] == "Z":
            return self._start_text <= inference_time < self._end_text
        moment = parse_time(inference_time)
        return (self.start is None or moment >= self.start) and (self.end is None or moment < self.end)


def _utc_text(moment: datetime) -> str:
    """``moment`` as ``YYYY-MM-DDTHH:MM:SSZ`` in UTC."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_CAPTURE_MEMBERS = ("captureData", "eventMetadata")


def _capture_candidates(block: bytes, stats: ReadStats) -> Iterable[tuple[Any, bytes, bytes]]:
    """(metadata, its JSON, captureData JSON) of the capture lines of a block; bad lines are counted."""
    if _FAST is not None:
        try:
            return [_capture_values(line) for line in _FAST.capture.decode_lines(block)]
        except msgspec.DecodeError:
            pass  # some line is malformed: read the block line by line
    candidates = []
    for line in _block_lines(block):
        fast = _leading_member(line, '{"captureData":')
        if fast is not None:
            candidates.append((fast[1], _utf8(fast[2]), _utf8(fast[0])))
            continue
        members = extract_members(line, _CAPTURE_MEMBERS)
        if members is None:
            stats.bad("invalid_json")
            continue
        capture = members.get("captureData")
        if capture is None or not isinstance(capture[0], dict):
            stats.bad("missing_capture_data")
            continue
        metadata = members.get("eventMetadata", (None, ""))
        candidates.append((metadata[0], _utf8(metadata[1]), _utf8(capture[1])))
    return candidates


def _capture_values(line: Any) -> tuple[Any, bytes, bytes]:
    """(metadata, its JSON, captureData JSON) of a capture line decoded by msgspec."""
    return line.eventMetadata, msgspec.json.encode(line.eventMetadata), bytes(line.captureData)


def iter_capture_chunks(
    path: Path,
    stats: ReadStats,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Iterator[list[CapturedRecord]]:
    """Yield endpoint capture records (JSON Lines) whose ``inferenceTime`` is in ``[start, end)``."""
    window = _Window(start, end)
    chunk: list[CapturedRecord] = []
    for block in _iter_blocks(path):
        for metadata, metadata_json, capture_json in _capture_candidates(block, stats):
            if not isinstance(metadata, dict):
                stats.bad("missing_event_metadata")
                continue
            join_id = metadata.get("inferenceId") or metadata.get("eventId")
            if not join_id:
                stats.bad("missing_event_id")
                continue
            try:
                inside = metadata.get("inferenceTime") in window
            except (TypeError, ValueError):
                stats.bad("invalid_inference_time")
                continue
            stats.records += 1
            if not inside:
                stats.skipped_out_of_window += 1
                continue
            chunk.append(CapturedRecord(str(join_id), metadata_json, capture_json))
            if len(chunk) >= chunk_size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


_GROUND_TRUTH_MEMBERS = ("groundTruthData", "eventMetadata")
_GROUND_TRUTH_LAYOUT = _layout("groundTruthData", "eventMetadata", "eventVersion")


def _ground_truth_candidates(block: bytes, stats: ReadStats) -> Iterable[tuple[Any, Any, bytes]]:
    """(metadata, groundTruthData, its JSON) of the ground-truth lines of a block; bad lines are counted."""
    if _FAST is not None:
        try:
            return [
                (line.eventMetadata, line.groundTruthData, msgspec.json.encode(line.groundTruthData))
                for line in _FAST.ground_truth.decode_lines(block)
            ]
        except msgspec.DecodeError:
            pass  # some line is malformed: read the block line by line
    candidates = []
    for line in _block_lines(block):
        members = _ordered_members(line, _GROUND_TRUTH_LAYOUT) or extract_members(line, _GROUND_TRUTH_MEMBERS)
        if members is None:
            stats.bad("invalid_json")
            continue
        data = members.get("groundTruthData", (None, ""))
        candidates.append((members.get("eventMetadata", (None,))[0], data[0], _utf8(data[1])))
    return candidates


def iter_ground_truth_chunks(
    path: Path, stats: ReadStats, *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> Iterator[list[tuple[str, bytes]]]:
    """Yield ground-truth records as ``(eventId, groundTruthData as JSON bytes)`` pairs."""
    chunk: list[tuple[str, bytes]] = []
    for block in _iter_blocks(path):
        for metadata, data, data_json in _ground_truth_candidates(block, stats):
            if not isinstance(data, dict) or "data" not in data:
                stats.bad("missing_ground_truth_data")
                continue
            event_id = metadata.get("eventId") if isinstance(metadata, dict) else None
            if not isinstance(event_id, (str, int)) or event_id == "":
                stats.bad("missing_event_id")
                continue
            stats.records += 1
            chunk.append((str(event_id), data_json))
            if len(chunk) >= chunk_size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _member_values(line: str, keys: tuple[str, ...]) -> list[Any]:
    """The values of the members ``keys`` (``'"name":'``) of ``line``, ``None`` for an absent one.

    Raises ``ValueError`` when a member occurs more than once or its value is not JSON.
    """
    values: list[Any] = []
    for key in keys:
        at = line.find(key)
        if at < 0:
            values.append(None)
            continue
        start = at + len(key)
        if line.find(key, start) >= 0:
            raise ValueError("ambiguous member")
        while line[start] in " \t":
            start += 1
        try:
            values.append(_SCAN(line, start)[0])
        except StopIteration as error:
            raise ValueError("member value is not JSON") from error
    return values


_MERGED_MEMBERS = ("endpointOutput", "batchTransformOutput", "groundTruthData", "endpointInput")
_MERGED_KEYS = tuple(f'"{name}":' for name in _MERGED_MEMBERS)


def _merged_payloads(line: str, with_input: bool) -> tuple[Any, Any, Any]:
    """The (output, ground truth, input) payloads of a merged or capture line; raises ``ValueError``."""
    if '" :' in line or '"\t:' in line:
        members = _extract_slow(line, _MERGED_MEMBERS)
        if members is None:
            raise ValueError("not a JSON object")
        output, batch, truth, given = (members.get(name, (None,))[0] for name in _MERGED_MEMBERS)
    else:
        output, batch, truth, *rest = _member_values(line, _MERGED_KEYS if with_input else _MERGED_KEYS[:3])
        given = rest[0] if rest else None
    return output or batch, truth, given if with_input else None


def iter_merged_chunks(
    path: Path,
    stats: ReadStats,
    *,
    with_input: bool = False,
    require_ground_truth: bool = True,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Iterator[list[MergedRecord]]:
    """Yield the payloads of merged records (or of capture records, with ``require_ground_truth=False``).

    Payloads are the undecoded ``{"data", "encoding", ...}`` objects (see :func:`decode_payload`): the model
    output from ``endpointOutput`` or ``batchTransformOutput``, ``groundTruthData`` and, with ``with_input``,
    ``endpointInput``. Only these members are decoded, not the rest of the line.
    """
    chunk: list[MergedRecord] = []
    for block in _iter_blocks(path):
        for output, truth, given in _merged_candidates(block, stats, with_input):
            if require_ground_truth and not isinstance(truth, dict):
                stats.bad("missing_ground_truth_data")
                continue
            if not isinstance(output, dict) and not (with_input and isinstance(given, dict)):
                stats.bad("missing_capture_data")
                continue
            stats.records += 1
            chunk.append(MergedRecord(output, truth, given))
            if len(chunk) >= chunk_size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _merged_candidates(block: bytes, stats: ReadStats, with_input: bool) -> Iterable[tuple[Any, Any, Any]]:
    """(output, ground truth, input) payloads of the merged lines of a block; bad lines are counted."""
    if _FAST is not None:
        try:
            lines = _FAST.merged.decode_lines(block)
            return [_merged_payload_values(line, with_input) for line in lines]
        except msgspec.DecodeError:
            pass  # some line is malformed: read the block line by line
    candidates = []
    for line in _block_lines(block):
        if not (line.startswith("{") and line.endswith("}")):
            stats.bad("invalid_json")
            continue
        try:
            candidates.append(_merged_payloads(line, with_input))
        except ValueError:
            stats.bad("invalid_json")
    return candidates


def _merged_payload_values(line: Any, with_input: bool) -> tuple[Any, Any, Any]:
    """(output, ground truth, input) of a merged line decoded by msgspec."""
    capture = line.captureData
    if capture is None:
        return None, line.groundTruthData, None
    given = msgspec.json.decode(capture.endpointInput) if with_input else None
    return capture.endpointOutput or capture.batchTransformOutput, line.groundTruthData, given


def resolve_manifest(manifest: Path, mirror_root: Path) -> list[Path]:
    """Return the local files a batch capture manifest names.

    A manifest is ``[{"prefix": "s3://bucket/key/"}, "file", ...]``; each object is the prefix followed by the
    name, and ``s3://bucket/key`` is looked up as ``mirror_root/bucket/key``. Raises ``ValueError`` on a
    manifest of another shape.
    """
    content = json.loads(Path(manifest).read_text(encoding="utf-8"))
    if not (
        isinstance(content, list) and content and isinstance(content[0], dict) and "prefix" in content[0]
    ):
        raise ValueError("not a manifest")
    prefix = str(content[0]["prefix"])
    if prefix.startswith("s3://"):
        prefix = prefix[len("s3://") :]
    return [Path(mirror_root) / (prefix + name).lstrip("/") for name in content[1:] if isinstance(name, str)]


def _batch_output_record(line: str, stats: ReadStats) -> tuple[str, str | None, bytes] | None:
    """Split one transform output line into (inference id, inference time, captureData JSON)."""
    if line.startswith("{"):
        try:
            record = json.loads(line)
        except ValueError:
            stats.bad("invalid_json")
            return None
        if not isinstance(record, dict) or not record.get("SageMakerInferenceId"):
            stats.bad("missing_inference_id")
            return None
        inference_id = str(record.pop("SageMakerInferenceId"))
        inference_time = record.pop("SageMakerInferenceTime", None)
        data, encoding = json.dumps(record, separators=_COMPACT), "JSON"
    else:
        cells = line.rsplit(",", 2)
        if len(cells) < 3 or not cells[1].strip():
            stats.bad("missing_inference_id")
            return None
        data, inference_id, inference_time, encoding = cells[0], cells[1].strip(), cells[2].strip(), "CSV"
    capture = {"batchTransformOutput": {"data": data, "encoding": encoding}}
    return inference_id, inference_time, _utf8(json.dumps(capture, separators=_COMPACT))


def iter_batch_output_chunks(
    capture_dir: Path,
    mirror_root: Path,
    stats: ReadStats,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Iterator[list[CapturedRecord]]:
    """Yield batch-transform outputs named by the manifests under ``capture_dir/output``.

    Outputs need the inference id columns (CSV: two trailing columns id, time; JSON Lines:
    ``SageMakerInferenceId``/``SageMakerInferenceTime``), which are stripped from the captured data.
    """
    window = _Window(start, end)
    chunk: list[CapturedRecord] = []
    for manifest in iter_files(Path(capture_dir) / "output"):
        try:
            files = resolve_manifest(manifest, mirror_root)
        except (ValueError, OSError):
            stats.bad("invalid_manifest")
            continue
        for file in files:
            if not file.exists():
                stats.bad("missing_manifest_file")
                continue
            for line in _iter_lines(file):
                parsed = _batch_output_record(line, stats)
                if parsed is None:
                    continue
                inference_id, inference_time, capture = parsed
                try:
                    inside = inference_time in window
                except (TypeError, ValueError):
                    stats.bad("invalid_inference_time")
                    continue
                stats.records += 1
                if not inside:
                    stats.skipped_out_of_window += 1
                    continue
                metadata = _utf8(json.dumps({"eventId": inference_id}, separators=_COMPACT))
                chunk.append(CapturedRecord(inference_id, metadata, capture))
                if len(chunk) >= chunk_size:
                    yield chunk
                    chunk = []
    if chunk:
        yield chunk


def iter_table_chunks(
    path: Path,
    stats: ReadStats,
    *,
    kind: str,
    header: bool = False,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> tuple[list[str] | None, Iterator[list[Any]]]:
    """Read a CSV (``kind="csv"``) or JSON Lines (``kind="json"``) dataset.

    Returns ``(header, chunks)``: the column names of the first file when ``header`` is true (each further
    file's first line is skipped as its header too), and chunks of rows (lists of strings for CSV, parsed
    values for JSON Lines).
    """
    files = list(iter_files(path))
    names: list[str] | None = None
    if kind == "csv" and header:
        for file in files:
            with _open_text(file) as handle:
                first = next(csv.reader(handle), None)
            if first:
                names = [cell.strip() for cell in first]
                break
    return names, _table_chunks(files, stats, kind, header, chunk_size)


def _table_chunks(
    files: list[Path], stats: ReadStats, kind: str, header: bool, chunk_size: int
) -> Iterator[list[Any]]:
    """Row chunks of :func:`iter_table_chunks`."""
    chunk: list[Any] = []
    for file in files:
        with _open_text(file) as handle:
            if kind == "csv":
                rows: Iterator[Any] = csv.reader(handle)
                if header:
                    next(rows, None)
            else:
                rows = (line.strip() for line in handle)
            for row in rows:
                if kind == "csv":
                    if not row:
                        continue
                    value: Any = [cell.strip() for cell in row]
                else:
                    if not row:
                        continue
                    try:
                        value = json.loads(row)
                    except ValueError:
                        stats.bad("invalid_json")
                        continue
                stats.records += 1
                chunk.append(value)
                if len(chunk) >= chunk_size:
                    yield chunk
                    chunk = []
    if chunk:
        yield chunk


if msgspec is not None:
    # msgspec shapes of the lines: only the members the readers need are decoded, the rest skipped or raw.
    # They hold no reference cycles, so gc=False keeps millions of them away from the garbage collector.
    _NULL = msgspec.Raw(b"null")

    class _CaptureLine(msgspec.Struct, gc=False):
        captureData: msgspec.Raw  # noqa: N815 - JSON member names
        eventMetadata: Any = None  # noqa: N815

    class _GroundTruthLine(msgspec.Struct, gc=False):
        groundTruthData: Any  # noqa: N815
        eventMetadata: Any = None  # noqa: N815

    class _CaptureSection(msgspec.Struct, gc=False):
        endpointOutput: Any = None  # noqa: N815
        batchTransformOutput: Any = None  # noqa: N815
        endpointInput: msgspec.Raw = _NULL  # noqa: N815

    class _MergedLine(msgspec.Struct, gc=False):
        groundTruthData: Any = None  # noqa: N815
        captureData: _CaptureSection | None = None  # noqa: N815

    class _FastDecoders(NamedTuple):
        """msgspec decoders of capture, ground-truth and merged lines."""

        capture: Any
        ground_truth: Any
        merged: Any

    _FAST: _FastDecoders | None = _FastDecoders(
        msgspec.json.Decoder(_CaptureLine),
        msgspec.json.Decoder(_GroundTruthLine),
        msgspec.json.Decoder(_MergedLine),
    )
else:  # pragma: no cover
    _FAST = None
