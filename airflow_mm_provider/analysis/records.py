"""Streaming readers for capture, ground-truth, batch-transform, merged and tabular record files.

Every reader walks a local file or directory (the job runner has already copied S3 there), yields chunks of at
most ``chunk_size`` records so memory stays bounded for any window, and counts malformed lines in a
``ReadStats`` instead of failing.

Speed (a merge or model-quality job reads millions of lines): capture, ground-truth and merged files are read
in blocks of whole lines of about 1 MB (small enough for the decoded objects to stay in cache while a chunk
is turned into columns), and msgspec decodes a whole block at once into typed shapes holding
only the members a job needs; each line is decoded once. ``captureData`` and ``eventMetadata`` stay raw JSON
(``msgspec.Raw`` views of the block) that the merge copies verbatim (the small ``eventMetadata`` members of a
block are then decoded together for the ids and times); ``groundTruthData`` is copied out as bytes, one object
per distinct label. Chunks are columns (lists) that callers process in bulk. A block that does not fit the
typed shapes (a malformed line, an unexpected member type, a missing id, an unreadable time) is read again
line by line with loose shapes that classify each line. A capture line's ``captureData`` must be present; what
it holds is checked by the job that reads the merged record.

Blocks of ground-truth and merged files are read into one reused buffer (nothing decoded from them points
into it); capture chunks do the same when asked (``transient=True``), for callers that finish with a chunk
before asking for the next.
"""

from __future__ import annotations

import base64
import csv
import functools
import gzip
import io
import json
import os
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import compress
from operator import attrgetter
from pathlib import Path
from typing import Any, Generic, Literal, NamedTuple, TextIO, TypeVar

import msgspec

from airflow_mm_provider.analysis.stopping import checkpoint
from airflow_mm_provider.analysis.time_window import TimeWindow

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "CaptureChunk",
    "CsvChunk",
    "GroundTruthChunk",
    "MergedChunk",
    "Payload",
    "ReadStats",
    "decode_payload",
    "input_payload",
    "iter_batch_output_chunks",
    "iter_capture_chunks",
    "iter_files",
    "iter_ground_truth_chunks",
    "iter_merged_chunks",
    "iter_merged_csv_chunks",
    "iter_table_chunks",
    "resolve_manifest",
]

DEFAULT_CHUNK_SIZE = 10_000
_BLOCK_BYTES = 1 << 20
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


class Payload(msgspec.Struct, gc=False):
    """A capture or ground-truth payload ``{"data", "encoding", "observedContentType"}`` (others skipped).

    :param data: the payload (``msgspec.UNSET`` when the member is missing).
    :param encoding: ``CSV`` (the default), ``JSON`` or ``BASE64``.
    :param observedContentType: the content type, which says how BASE64 data is parsed.
    """

    data: Any = msgspec.UNSET
    encoding: Any = "CSV"
    observedContentType: Any = ""  # noqa: N815 - JSON member name


class CaptureChunk(NamedTuple):
    """Captured inferences as columns, as needed to merge them with ground truth.

    :param join_ids: the merge keys: ``inferenceId`` if present, else ``eventId`` (batch transform:
        ``SageMakerInferenceId``).
    :param event_metadata: each record's ``eventMetadata`` as JSON (bytes-like, e.g. ``msgspec.Raw``).
    :param capture_data: each record's ``captureData`` as JSON (bytes-like).
    """

    join_ids: list[str]
    event_metadata: list[Any]
    capture_data: list[Any]


class GroundTruthChunk(NamedTuple):
    """Ground-truth records as columns.

    :param event_ids: each record's ``eventMetadata.eventId``.
    :param labels: each record's ``groundTruthData`` as JSON bytes; equal labels of a read are mostly one
        object.
    """

    event_ids: list[str]
    labels: list[Any]


class MergedChunk(NamedTuple):
    """The payloads of merged (or capture) records as columns.

    :param outputs: each record's model output (``endpointOutput`` or ``batchTransformOutput``), or ``None``.
    :param ground_truths: the ``groundTruthData`` of each record, or ``None``.
    :param inputs: the ``endpointInput`` of each record (or ``None``); ``None`` unless asked for.
    """

    outputs: list[Payload | None]
    ground_truths: list[Payload | None]
    inputs: list[Payload | None] | None


class CsvChunk(NamedTuple):
    """Merged records whose model output and ground truth are CSV payloads, as their ``data``.

    :param outputs: each record's ``endpointOutput.data``.
    :param ground_truths: each record's ``groundTruthData.data``.
    """

    outputs: list[Any]
    ground_truths: list[Any]


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
        checkpoint()
        with _open_text(file) as handle:
            for line in handle:
                line = line.strip()
                if line:
                    yield line


def _iter_blocks(path: Path, reuse: bool = False) -> Iterator[memoryview]:
    """Yield the files under ``path`` as blocks of whole lines of about ``_BLOCK_BYTES``.

    With ``reuse`` each file is read through one buffer: a block, and every raw member decoded from it, is
    valid only until the next block is asked for. Without it each block is a fresh buffer filled by one read,
    so raw members stay valid for as long as they are kept; a block filling less than half of its buffer (the
    end of a file) is copied to a buffer of its size, so kept members never pin mostly empty buffers.
    """
    for file in iter_files(path):
        with gzip.open(file, "rb") if file.suffix == ".gz" else open(file, "rb", buffering=0) as handle:
            yield from _file_blocks(handle, reuse)


def _file_blocks(handle: Any, reuse: bool) -> Iterator[memoryview]:
    """The blocks of one open binary file (see :func:`_iter_blocks`)."""
    buffer = bytearray(_BLOCK_BYTES)
    filled = 0
    while True:
        if filled == len(buffer):  # a line longer than the buffer
            grown = bytearray(2 * len(buffer))
            grown[:filled] = buffer
            buffer = grown
        view = memoryview(buffer)
        checkpoint()
        read = handle.readinto(view[filled:])
        if not read:
            if bytes(view[:filled]).strip():
                yield memoryview(bytes(view[:filled]))
            return
        end = filled + read
        cut = buffer.rfind(b"\n", 0, end) + 1
        if not cut:
            filled = end
            continue
        if reuse:
            yield view[:cut]
            view[: end - cut] = view[cut:end]
        else:
            yield view[:cut] if 2 * end > len(buffer) else memoryview(bytes(view[:cut]))
            rest = view[cut:end]
            buffer = bytearray(max(_BLOCK_BYTES, 2 * len(rest)))
            buffer[: len(rest)] = rest
        filled = end - cut


def _block_lines(block: memoryview) -> Iterator[bytes]:
    """The non-blank lines of a block."""
    for line in bytes(block).split(b"\n"):
        if line.strip():
            yield line


def _chunks(columns: tuple[list[Any], ...], chunk_size: int) -> Iterator[tuple[list[Any], ...]]:
    """Split equally long columns into pieces of at most ``chunk_size`` rows (nothing for no rows)."""
    rows = len(columns[0])
    if rows <= chunk_size:
        if rows:
            yield columns
        return
    for start in range(0, rows, chunk_size):
        yield tuple(column[start : start + chunk_size] for column in columns)


def _payload(value: Any) -> Payload | None:
    """A decoded JSON value as a :class:`Payload` (``None`` unless it is an object)."""
    if isinstance(value, Payload):
        return value
    return msgspec.convert(value, Payload) if isinstance(value, dict) else None


def decode_payload(payload: Payload | Mapping[str, Any] | None) -> Any:
    """Decode a ``{"data", "encoding", "observedContentType"?}`` payload (a :class:`Payload` or a dict).

    CSV gives a list of strings (one row; several rows give a list of rows), JSON the parsed value, BASE64 the
    decoded bytes parsed by the observed content type (CSV or JSON) or else as text. Raises ``ValueError`` on
    a payload that cannot be decoded.
    """
    value = _payload(payload)
    if value is None or value.data is msgspec.UNSET:
        raise ValueError("payload has no data")
    data, encoding = value.data, value.encoding
    if encoding == "CSV" and type(data) is str and '"' not in data and "\n" not in data:
        return data.split(",")
    encoding = str(encoding).upper()
    if encoding == "BASE64":
        data = base64.b64decode(data).decode("utf-8")
        content_type = str(value.observedContentType).lower()
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


def _value(raw: msgspec.Raw) -> Any:
    """The decoded value of a raw member (``None`` when the member was absent)."""
    return msgspec.json.decode(raw) if raw else None


def _capture_block(
    block: memoryview, window: TimeWindow, stats: ReadStats
) -> tuple[list[str], list[Any], list[Any]] | None:
    """Join ids, metadata and captureData of a block of well-formed capture lines (else ``None``).

    One decode of the lines gives the raw members; the block's ``eventMetadata`` members, joined, are then
    decoded at once for the ids and times.
    """
    try:
        lines = _DECODERS.capture.decode_lines(block)
    except msgspec.DecodeError:
        return None
    metadata = [line.eventMetadata for line in lines]
    captures = [line.captureData for line in lines]
    if not (all(metadata) and all(captures)):
        return None
    joined = b"\n".join(metadata)
    try:
        events = _DECODERS.inference_ids.decode_lines(joined)
        ids = [event.inferenceId for event in events]
        if not all(ids):
            events = _DECODERS.ids.decode_lines(joined)
            ids = [inference or event.eventId for inference, event in zip(ids, events, strict=True)]
            if not all(ids):
                return None
    except msgspec.DecodeError:
        return None
    try:
        inside = window.select([event.inferenceTime for event in events])
    except (TypeError, ValueError):
        return None
    stats.records += len(ids)
    if inside is None:
        return ids, metadata, captures
    stats.skipped_out_of_window += len(ids) - sum(inside)
    return list(compress(ids, inside)), list(compress(metadata, inside)), list(compress(captures, inside))


def _capture_lines(
    block: memoryview, window: TimeWindow, stats: ReadStats
) -> tuple[list[str], list[Any], list[Any]]:
    """The columns of :func:`_capture_block` for any block, line by line; bad lines are counted."""
    ids: list[str] = []
    metadata: list[Any] = []
    captures: list[Any] = []
    for line in _block_lines(block):
        try:
            loose = _DECODERS.loose.decode(line)
            capture, event = _value(loose.captureData), _value(loose.eventMetadata)
        except msgspec.DecodeError:
            stats.bad("invalid_json")
            continue
        if capture is None:
            stats.bad("missing_capture_data")
            continue
        if not isinstance(event, dict):
            stats.bad("missing_event_metadata")
            continue
        join_id = event.get("inferenceId") or event.get("eventId")
        if not join_id:
            stats.bad("missing_event_id")
            continue
        try:
            inside = event.get("inferenceTime") in window
        except (TypeError, ValueError):
            stats.bad("invalid_inference_time")
            continue
        stats.records += 1
        if not inside:
            stats.skipped_out_of_window += 1
            continue
        ids.append(str(join_id))
        metadata.append(loose.eventMetadata)
        captures.append(loose.captureData)
    return ids, metadata, captures


def iter_capture_chunks(
    path: Path,
    stats: ReadStats,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    transient: bool = False,
) -> Iterator[CaptureChunk]:
    """Yield endpoint capture records (JSON Lines) whose ``inferenceTime`` is in ``[start, end)``.

    :param transient: raw members may point into a read buffer that the next chunk overwrites (no copies),
        for callers that finish with each chunk before asking for the next.
    """
    window = TimeWindow(start, end)
    for block in _iter_blocks(path, reuse=transient):
        columns = _capture_block(block, window, stats) or _capture_lines(block, window, stats)
        for chunk in _chunks(columns, chunk_size):
            yield CaptureChunk(*chunk)


def _ground_truth_block(block: memoryview, labels: _Labels) -> tuple[list[str], list[bytes]] | None:
    """Event ids and groundTruthData of a block of well-formed ground-truth lines; ``None`` for any other."""
    try:
        lines = _DECODERS.ground_truth.decode_lines(block)
    except msgspec.DecodeError:
        return None
    ids = [line.eventMetadata.eventId for line in lines]
    raws = [line.groundTruthData for line in lines]
    if not (all(ids) and all(raws)):
        return None
    found = labels.intern(b"\n".join(raws).split(b"\n"))
    return None if found is None else (ids, found)


class _Labels:
    """Distinct ``groundTruthData`` texts seen by one read: one bytes object each, checked once.

    :param capacity: most distinct texts remembered; past it texts are checked and kept per block.
    """

    def __init__(self, capacity: int = 1 << 16) -> None:
        self.known: dict[bytes, bytes] = {}
        self.capacity = capacity

    def intern(self, texts: list[bytes]) -> list[bytes] | None:
        """The known object for each text, or ``None`` when a new one is not an object with ``data``."""
        found = list(map(self.known.get, texts))
        if None not in found:
            return found  # type: ignore[return-value]
        new = [text for text in dict.fromkeys(texts) if text not in self.known]
        try:
            _DECODERS.labelled.decode_lines(b"\n".join(new))
        except msgspec.DecodeError:
            return None
        if len(self.known) + len(new) > self.capacity:
            return texts
        self.known.update(zip(new, new, strict=True))
        return list(map(self.known.__getitem__, texts))


def _ground_truth_lines(block: memoryview, stats: ReadStats) -> tuple[list[str], list[Any]]:
    """The columns of :func:`_ground_truth_block` for any block, line by line; bad lines are counted."""
    ids: list[str] = []
    labels: list[Any] = []
    for line in _block_lines(block):
        try:
            loose = _DECODERS.loose.decode(line)
            data, event = _value(loose.groundTruthData), _value(loose.eventMetadata)
        except msgspec.DecodeError:
            stats.bad("invalid_json")
            continue
        if not isinstance(data, dict) or "data" not in data:
            stats.bad("missing_ground_truth_data")
            continue
        event_id = event.get("eventId") if isinstance(event, dict) else None
        if not isinstance(event_id, (str, int)) or event_id == "":
            stats.bad("missing_event_id")
            continue
        ids.append(str(event_id))
        labels.append(bytes(loose.groundTruthData))
    return ids, labels


def iter_ground_truth_chunks(
    path: Path, stats: ReadStats, *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> Iterator[GroundTruthChunk]:
    """Yield ground-truth records: their ``eventId`` and ``groundTruthData`` JSON (bytes)."""
    labels = _Labels()
    for block in _iter_blocks(path, reuse=True):
        columns = _ground_truth_block(block, labels) or _ground_truth_lines(block, stats)
        stats.records += len(columns[0])
        for chunk in _chunks(columns, chunk_size):
            yield GroundTruthChunk(*chunk)


def _merged_block(block: memoryview, with_input: bool) -> MergedChunk | None:
    """The payload columns of a block of merged lines (``None`` when a line does not fit the typed shape)."""
    try:
        lines = (_DECODERS.merged_input if with_input else _DECODERS.merged).decode_lines(block)
    except msgspec.DecodeError:
        return None
    sections = list(map(_CAPTURE_DATA, lines))
    if None in sections:
        return None
    outputs = list(map(_ENDPOINT_OUTPUT, sections))
    if None in outputs:
        outputs = [
            output or section.batchTransformOutput for output, section in zip(outputs, sections, strict=True)
        ]
    inputs = list(map(_ENDPOINT_INPUT, sections)) if with_input else None
    return MergedChunk(outputs, list(map(_GROUND_TRUTH_DATA, lines)), inputs)


def _merged_lines(block: memoryview, with_input: bool, stats: ReadStats) -> MergedChunk:
    """The payload columns of any block, line by line; lines that are not JSON objects are counted."""
    chunk = MergedChunk([], [], [] if with_input else None)
    for line in _block_lines(block):
        try:
            loose = _DECODERS.loose.decode(line)
            truth, capture = _value(loose.groundTruthData), _value(loose.captureData)
        except msgspec.DecodeError:
            stats.bad("invalid_json")
            continue
        capture = capture if isinstance(capture, dict) else {}
        chunk.outputs.append(
            _payload(capture.get("endpointOutput")) or _payload(capture.get("batchTransformOutput"))
        )
        chunk.ground_truths.append(_payload(truth))
        if chunk.inputs is not None:
            chunk.inputs.append(_payload(capture.get("endpointInput")))
    return chunk


def _complete(chunk: MergedChunk, require_ground_truth: bool, stats: ReadStats) -> MergedChunk:
    """The records of ``chunk`` with ground truth (when required) and an output or input; others counted."""
    outputs, truths, inputs = chunk
    if None not in outputs and not (require_ground_truth and None in truths):
        stats.records += len(outputs)
        return chunk
    keep = []
    for index, output in enumerate(outputs):
        if require_ground_truth and truths[index] is None:
            stats.bad("missing_ground_truth_data")
            keep.append(False)
        elif output is None and (inputs is None or inputs[index] is None):
            stats.bad("missing_capture_data")
            keep.append(False)
        else:
            keep.append(True)
    stats.records += sum(keep)
    return MergedChunk(
        list(compress(outputs, keep)),
        list(compress(truths, keep)),
        None if inputs is None else list(compress(inputs, keep)),
    )


def _payload_chunks(
    block: memoryview, with_input: bool, require_ground_truth: bool, stats: ReadStats, chunk_size: int
) -> Iterator[MergedChunk]:
    """The :class:`MergedChunk` pieces of one block of merged (or capture) lines."""
    chunk = _merged_block(block, with_input) or _merged_lines(block, with_input, stats)
    chunk = _complete(chunk, require_ground_truth, stats)
    columns: tuple[list[Any], ...] = (chunk.outputs, chunk.ground_truths)
    if with_input and chunk.inputs is not None:
        columns += (chunk.inputs,)
    for piece in _chunks(columns, chunk_size):
        yield MergedChunk(piece[0], piece[1], piece[2] if len(piece) > 2 else None)


def iter_merged_chunks(
    path: Path,
    stats: ReadStats,
    *,
    with_input: bool = False,
    require_ground_truth: bool = True,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Iterator[MergedChunk]:
    """Yield the payloads of merged records (or of capture records, with ``require_ground_truth=False``).

    Payloads are :class:`Payload` objects, undecoded (see :func:`decode_payload`): the model output from
    ``endpointOutput`` or ``batchTransformOutput``, ``groundTruthData`` and, with ``with_input``,
    ``endpointInput``. Only these members are decoded, not the rest of the line.
    """
    for block in _iter_blocks(path, reuse=True):
        yield from _payload_chunks(block, with_input, require_ground_truth, stats, chunk_size)


def iter_merged_csv_chunks(
    path: Path, stats: ReadStats, types: tuple[type, type] = (str, str), chunk_size: int = DEFAULT_CHUNK_SIZE
) -> Iterator[CsvChunk | MergedChunk]:
    """Yield merged records for model quality, as data columns when their payloads are CSV.

    A block whose every ``endpointOutput`` and ``groundTruthData`` is a CSV payload with ``data`` of the
    ``types`` (model output, ground truth; ``float`` also takes a number written as text, as ``float()`` reads
    it) comes as a
    :class:`CsvChunk` of those ``data`` values; any other block as the :class:`MergedChunk` pieces of
    :func:`iter_merged_chunks`. After two blocks in a row that are not, the rest come as payloads.
    """
    decoder = _csv_decoder(*types)
    misses = 0
    for block in _iter_blocks(path, reuse=True):
        lines = None
        if misses < 2:
            try:
                lines = decoder.decode_lines(block)
                misses = 0
            except msgspec.DecodeError:
                misses += 1
        if lines is None:
            yield from _payload_chunks(block, False, True, stats, chunk_size)
            continue
        stats.records += len(lines)
        columns = (
            [line.captureData.endpointOutput.data for line in lines],
            [line.groundTruthData.data for line in lines],
        )
        for piece in _chunks(columns, chunk_size):
            yield CsvChunk(*piece)


def input_payload(capture_data: Any) -> Payload | None:
    """The ``endpointInput`` payload of a ``captureData`` JSON (bytes-like), or ``None``."""
    try:
        section: _SectionWithInput = _DECODERS.section_input.decode(capture_data)
        return section.endpointInput
    except msgspec.DecodeError:
        return None


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
) -> Iterator[CaptureChunk]:
    """Yield batch-transform outputs named by the manifests under ``capture_dir/output``.

    Outputs need the inference id columns (CSV: two trailing columns id, time; JSON Lines:
    ``SageMakerInferenceId``/``SageMakerInferenceTime``), which are stripped from the captured data.
    """
    window = TimeWindow(start, end)
    chunk = CaptureChunk([], [], [])
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
                chunk.join_ids.append(inference_id)
                chunk.event_metadata.append(_utf8(json.dumps({"eventId": inference_id}, separators=_COMPACT)))
                chunk.capture_data.append(capture)
                if len(chunk.join_ids) >= chunk_size:
                    checkpoint()
                    yield chunk
                    chunk = CaptureChunk([], [], [])
    if chunk.join_ids:
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
                    checkpoint()
                    yield chunk
                    chunk = []
    if chunk:
        yield chunk


def _utf8(text: str) -> bytes:
    """``text`` as UTF-8 (lone surrogates from invalid input replaced)."""
    return text.encode("utf-8", errors="replace")


# msgspec shapes of the lines. The typed shapes decode just the members a job needs and reject any block
# whose lines do not fit; raw members are views of the block, copied verbatim by the merge; the loose shape
# reads one line of any layout. None holds reference cycles, so gc=False keeps millions of them away from the
# garbage collector.
_ABSENT = msgspec.Raw()
_CAPTURE_DATA = attrgetter("captureData")
_GROUND_TRUTH_DATA = attrgetter("groundTruthData")
_ENDPOINT_OUTPUT = attrgetter("endpointOutput")
_ENDPOINT_INPUT = attrgetter("endpointInput")
_Data = TypeVar("_Data")
_Output = TypeVar("_Output")
_Truth = TypeVar("_Truth")


class _Ids(msgspec.Struct, gc=False):
    eventId: str | None = None  # noqa: N815 - JSON member names
    inferenceId: str | None = None  # noqa: N815
    inferenceTime: datetime | None = None  # noqa: N815


class _InferenceIds(msgspec.Struct, gc=False):
    inferenceId: str | None = None  # noqa: N815 - JSON member names
    inferenceTime: datetime | None = None  # noqa: N815


class _EventId(msgspec.Struct, gc=False):
    eventId: str | None = None  # noqa: N815


class _CaptureRaw(msgspec.Struct, gc=False):
    captureData: msgspec.Raw = _ABSENT  # noqa: N815
    eventMetadata: msgspec.Raw = _ABSENT  # noqa: N815


class _Labelled(msgspec.Struct, gc=False):
    data: msgspec.Raw


class _GroundTruthLine(msgspec.Struct, gc=False):
    eventMetadata: _EventId  # noqa: N815
    groundTruthData: msgspec.Raw = _ABSENT  # noqa: N815


class _Section(msgspec.Struct, gc=False):
    endpointOutput: Payload | None = None  # noqa: N815
    batchTransformOutput: Payload | None = None  # noqa: N815


class _SectionWithInput(_Section, gc=False):
    endpointInput: Payload | None = None  # noqa: N815


class _MergedLine(msgspec.Struct, gc=False):
    groundTruthData: Payload | None = None  # noqa: N815
    captureData: _Section | None = None  # noqa: N815


class _MergedLineWithInput(msgspec.Struct, gc=False):
    groundTruthData: Payload | None = None  # noqa: N815
    captureData: _SectionWithInput | None = None  # noqa: N815


class _CsvPayload(msgspec.Struct, Generic[_Data], gc=False):
    data: _Data
    encoding: Literal["CSV"] = "CSV"


class _CsvSection(msgspec.Struct, Generic[_Data], gc=False):
    endpointOutput: _CsvPayload[_Data]  # noqa: N815


class _CsvLine(msgspec.Struct, Generic[_Output, _Truth], gc=False):
    groundTruthData: _CsvPayload[_Truth]  # noqa: N815
    captureData: _CsvSection[_Output]  # noqa: N815


@functools.cache
def _csv_decoder(output_type: type, truth_type: type) -> Any:
    """The decoder of merged lines with CSV payloads of ``data`` types (text read as numbers for float)."""
    # The payload types are chosen at run time, which a static type cannot express.
    line_type = _CsvLine[output_type, truth_type]  # type: ignore[valid-type]
    return msgspec.json.Decoder(line_type, strict=float not in (output_type, truth_type))


class _LooseLine(msgspec.Struct, gc=False):
    captureData: msgspec.Raw = _ABSENT  # noqa: N815
    eventMetadata: msgspec.Raw = _ABSENT  # noqa: N815
    groundTruthData: msgspec.Raw = _ABSENT  # noqa: N815


class _Decoders(NamedTuple):
    """The msgspec decoders of the readers."""

    capture: Any
    inference_ids: Any
    ids: Any
    ground_truth: Any
    labelled: Any
    merged: Any
    merged_input: Any
    section_input: Any
    loose: Any


_DECODERS = _Decoders(
    *(
        msgspec.json.Decoder(shape)
        for shape in (
            _CaptureRaw,
            _InferenceIds,
            _Ids,
            _GroundTruthLine,
            _Labelled,
            _MergedLine,
            _MergedLineWithInput,
            _SectionWithInput,
            _LooseLine,
        )
    )
)
