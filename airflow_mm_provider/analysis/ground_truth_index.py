"""Ground truth for the merge: labels found by exact event id, in memory that does not grow with the data.

:class:`GroundTruthIndex` holds ground-truth records in numpy arrays, about ``20 + id length`` bytes each: a
64-bit hash of the id, the id's UTF-8 bytes (fixed width) and length, and the code of its label in a table of
distinct labels. Sorted by hash, with a directory on the hash's top bits, a lookup is a few array gathers.
Every hit is confirmed on the id's bytes and length, so ids with equal hashes never mix: the hash only narrows
the search. When an id has several labels, the last one added wins.

:class:`SpillFiles` holds records hash-partitioned on disk (one file of column frames per partition), for the
merge to join ground truth and captures one partition at a time when the ground truth would not fit its
memory budget (a grace hash join). Ids and hashes are the same in every process (the hash is unkeyed), so
the partitions, and the merged file, are the same for the same inputs.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from airflow_mm_provider.analysis.stopping import checkpoint
from airflow_mm_provider.analysis.value_codes import value_codes

__all__ = ["GroundTruthIndex", "IdKeys", "SpillFiles", "id_bytes", "id_keys"]

_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX_WORD = np.uint64(0xBF58476D1CE4E5B9)
_MIX_FINAL = np.uint64(0x94D049BB133111EB)
_WORD = 8
# a distinct label costs its bytes plus a dict slot and a list slot
_LABEL_OVERHEAD = 120
# records held in memory by the spill files before they are written, in bytes
_SPILL_BUFFER = 16 << 20
# what a lookup reads of a record besides its id, in one place
_ROW = np.dtype([("hash", "<u8"), ("length", "<u4"), ("code", "<i4")])


class IdKeys(NamedTuple):
    """Ids encoded for the index.

    :param text: each id's UTF-8 bytes, zero-padded to a multiple of 8 bytes (numpy ``S`` array).
    :param lengths: each id's length in bytes.
    :param hashes: each id's 64-bit hash.
    """

    text: np.ndarray
    lengths: np.ndarray
    hashes: np.ndarray


def _words_hash(text: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each id (its zero words are skipped, so the padding width does not matter)."""
    words = text.view(np.uint64).reshape(text.size, -1)
    hashes: np.ndarray = lengths.astype(np.uint64) * _MIX
    for column in range(words.shape[1]):
        word = words[:, column]
        mixed = (word ^ np.uint64((column + 1) * int(_MIX) % 2**64)) * _MIX_WORD
        mixed ^= mixed >> np.uint64(29)
        mixed *= word != 0
        hashes += mixed
    hashes ^= hashes >> np.uint64(31)
    hashes *= _MIX_FINAL
    hashes ^= hashes >> np.uint64(29)
    return hashes


def id_keys(ids: Sequence[str] | Sequence[bytes]) -> IdKeys:
    """Encode ids (text, or their UTF-8 bytes) for :class:`GroundTruthIndex` and partitioning."""
    if not ids:
        empty = np.zeros(0, dtype=np.uint64)
        return IdKeys(np.zeros(0, dtype="S8"), np.zeros(0, dtype=np.uint32), empty)
    values: Sequence[Any] = ids
    try:
        lengths = np.fromiter(map(len, values), dtype=np.uint32, count=len(values))
        width = max(_WORD, -(-int(lengths.max()) // _WORD) * _WORD)
        text = np.array(values, dtype=f"S{width}")
    except UnicodeEncodeError:
        values = [value.encode("utf-8", "surrogatepass") for value in ids]  # type: ignore[union-attr]
        lengths = np.fromiter(map(len, values), dtype=np.uint32, count=len(values))
        width = max(_WORD, -(-int(lengths.max()) // _WORD) * _WORD)
        text = np.array(values, dtype=f"S{width}")
    return IdKeys(text, lengths, _words_hash(text, lengths))


def id_bytes(keys: IdKeys) -> list[bytes]:
    """The UTF-8 bytes of each id of ``keys`` (trailing zero bytes included)."""
    width = keys.text.dtype.itemsize
    raw = keys.text.tobytes()
    return [raw[row * width : row * width + size] for row, size in enumerate(keys.lengths.tolist())]


def _hash_order(hashes: np.ndarray) -> np.ndarray:
    """The stable order that sorts ``hashes``: a radix sort of their top 32 bits (two 16-bit passes), then
    the rare runs of equal top bits but different hashes sorted by the whole hash."""
    top = hashes >> np.uint64(32)
    order = np.argsort((top & np.uint64(0xFFFF)).astype(np.uint16), kind="stable")
    order = order[np.argsort((top[order] >> np.uint64(16)).astype(np.uint16), kind="stable")]
    top, ordered = top[order], hashes[order]
    ties = np.flatnonzero((top[1:] == top[:-1]) & (ordered[1:] != ordered[:-1]))
    if ties.size:
        starts = np.searchsorted(top, top[ties], side="left")
        ends = np.searchsorted(top, top[ties], side="right")
        for start, end in set(zip(starts.tolist(), ends.tolist(), strict=True)):
            run = order[start:end]
            order[start:end] = run[np.argsort(hashes[run], kind="stable")]
    return order


class GroundTruthIndex:
    """Labels of ground-truth ids: :meth:`add` records, :meth:`freeze`, then :meth:`lookup` ids."""

    def __init__(self) -> None:
        self.labels: list[bytes] = []
        self._codes: dict[Hashable, int] = {}
        self._parts: list[tuple[IdKeys, np.ndarray]] = []
        self._nbytes = 0
        self._text = np.zeros(0, dtype="S8")
        self._rows = np.zeros(0, dtype=_ROW)
        self._directory = np.zeros(2, dtype=np.int32)
        self._shift = np.uint64(63)

    @property
    def nbytes(self) -> int:
        """Memory the records and labels take (about)."""
        return self._nbytes

    def __len__(self) -> int:
        """Distinct ids once frozen."""
        return int(self._rows.size)

    def _new_label(self, label: Any) -> int:
        """Add a label to the table; its code."""
        self.labels.append(label)
        self._nbytes += len(label) + _LABEL_OVERHEAD
        return len(self.labels) - 1

    def add(self, keys: IdKeys, labels: list[bytes]) -> None:
        """Add records: ids (see :func:`id_keys`) and their ``groundTruthData`` JSON."""
        if not labels:
            return
        codes = value_codes(self._codes, labels, self._new_label)
        self._parts.append((keys, codes))
        self._nbytes += keys.text.nbytes + keys.lengths.nbytes + keys.hashes.nbytes + codes.nbytes

    def records(self) -> Iterator[tuple[IdKeys, list[bytes]]]:
        """The records added and not yet frozen, as (ids, labels) pieces, forgetting them."""
        while self._parts:
            keys, codes = self._parts.pop(0)
            yield keys, [self.labels[code] for code in codes.tolist()]
        self._nbytes = 0

    def freeze(self) -> None:
        """Sort the records added into the lookup arrays (last label of an id wins)."""
        parts, self._parts = self._parts, []
        if not parts:
            return
        hashes = np.concatenate([keys.hashes for keys, _ in parts])
        order = _hash_order(hashes)
        hashes = hashes[order]
        lengths = np.concatenate([keys.lengths for keys, _ in parts])[order]
        codes = np.concatenate([codes for _, codes in parts])[order]
        text = np.concatenate([keys.text for keys, _ in parts])[order]
        del parts, order
        keep = self._latest(hashes, text, lengths)
        if keep is not None:
            hashes, text, lengths, codes = hashes[keep], text[keep], lengths[keep], codes[keep]
        self._text = text
        self._rows = np.empty(hashes.size, dtype=_ROW)
        self._rows["hash"], self._rows["length"], self._rows["code"] = hashes, lengths, codes
        bits = max(1, int(hashes.size - 1).bit_length())
        self._shift = np.uint64(64 - bits)
        self._directory = np.zeros((1 << bits) + 1, dtype=np.int32)
        np.cumsum(
            np.bincount((hashes >> self._shift).astype(np.int64), minlength=1 << bits),
            out=self._directory[1:],
        )
        self._nbytes = (text.nbytes + self._rows.nbytes + self._directory.nbytes) + sum(
            len(label) + _LABEL_OVERHEAD for label in self.labels
        )

    @staticmethod
    def _latest(hashes: np.ndarray, text: np.ndarray, lengths: np.ndarray) -> np.ndarray | None:
        """Rows to keep of hash-sorted records (insertion order within a hash): the last of each id.

        ``None`` when every id appears once.
        """
        same = np.flatnonzero(hashes[1:] == hashes[:-1])
        if same.size == 0:
            return None
        keep = np.ones(hashes.size, dtype=bool)
        equal = (text[same] == text[same + 1]) & (lengths[same] == lengths[same + 1])
        keep[same[equal]] = False
        for run_hash in np.unique(hashes[same[~equal]]).tolist():  # distinct ids sharing a hash: rare
            rows = np.flatnonzero(hashes == run_hash)
            last = {(bytes(text[row]), int(lengths[row])): row for row in rows.tolist()}
            keep[rows] = False
            keep[list(last.values())] = True
        return keep

    def lookup(self, keys: IdKeys) -> np.ndarray:
        """The label code of each id (``-1`` for ids without ground truth); needs :meth:`freeze`."""
        found = np.full(keys.hashes.size, -1, dtype=np.int64)
        if not len(self) or not keys.hashes.size:
            return found
        bucket = (keys.hashes >> self._shift).astype(np.int64)
        position = self._directory[bucket].astype(np.int64)
        end = self._directory[bucket + 1]
        active = np.flatnonzero(position < end)
        while active.size:  # the first entry of each bucket, then the next ones for ids not found yet
            rows = position[active]
            own = self._rows[rows]
            hit = (own["hash"] == keys.hashes[active]) & (own["length"] == keys.lengths[active])
            candidates, rows = active[hit], rows[hit]
            same = self._text[rows] == keys.text[candidates]
            found[candidates[same]] = own["code"][hit][same]
            position[active] += 1
            active = active[(found[active] < 0) & (position[active] < end[active])]
        return found


def _utf8(values: Sequence[Any]) -> tuple[bytes, np.ndarray]:
    """Items (text or bytes-like) joined as UTF-8 bytes, and each one's length in bytes."""
    if values and isinstance(values[0], str):
        text = "".join(values)
        if text.isascii():
            return text.encode("ascii"), np.fromiter(map(len, values), dtype=np.uint32, count=len(values))
        values = [value.encode("utf-8", "surrogatepass") for value in values]
    return b"".join(values), np.fromiter(map(len, values), dtype=np.uint32, count=len(values))


def _pieces(blob: bytes, lengths: np.ndarray) -> list[bytes]:
    """Split ``blob`` into consecutive pieces of the given lengths."""
    ends = np.cumsum(lengths, dtype=np.int64).tolist()
    starts = [0, *ends[:-1]]
    return list(map(blob.__getitem__, map(slice, starts, ends)))


class SpillFiles:
    """Records hash-partitioned into files: frames of columns appended per partition, read back per partition.

    A frame is the number of records and of columns (two 4-byte little-endian integers), then per column the
    byte length of each item (4 bytes each) and the items' bytes. Items are bytes-like, or text (read back as
    its UTF-8 bytes). Records are gathered per partition in memory (16 MB in all) and written as one frame.

    :param directory: where the files go (created).
    :param partitions: number of partitions, a power of two.
    """

    def __init__(self, directory: Path, partitions: int) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.partitions = partitions
        self._handles = [open(self._path(part), "ab") for part in range(partitions)]  # noqa: SIM115
        self._held: list[list[tuple[np.ndarray, bytes]]] = [[] for _ in range(partitions)]
        self._held_bytes = [0] * partitions
        self._limit = max(1 << 16, _SPILL_BUFFER // partitions)
        self._width = 0

    def _path(self, partition: int) -> Path:
        return self.directory / f"{partition:05d}.frames"

    def append(self, hashes: np.ndarray, columns: Sequence[Sequence[Any]]) -> None:
        """Append records (column lists) to the partitions their hashes pick."""
        partition = (hashes & np.uint64(self.partitions - 1)).astype(np.int64)
        order = np.argsort(partition, kind="stable")
        bounds = np.searchsorted(partition[order], np.arange(self.partitions + 1))
        rows = order.tolist()
        self._width = len(columns)
        encoded = [_utf8(list(map(column.__getitem__, rows))) for column in columns]
        offsets = [np.r_[0, np.cumsum(lengths, dtype=np.int64)][bounds].tolist() for _, lengths in encoded]
        bounds = bounds.tolist()
        for part in range(self.partitions):
            start, end = bounds[part], bounds[part + 1]
            if start == end:
                continue
            for (blob, lengths), edges in zip(encoded, offsets, strict=True):
                self._held[part].append((lengths[start:end], blob[edges[part] : edges[part + 1]]))
                self._held_bytes[part] += edges[part + 1] - edges[part]
            if self._held_bytes[part] >= self._limit:
                self._write(part)

    def _write(self, part: int) -> None:
        """Write the records held for a partition as one frame."""
        width = self._width
        held, self._held[part], self._held_bytes[part] = self._held[part], [], 0
        columns = [held[column::width] for column in range(width)]
        lengths = [np.concatenate([size for size, _ in column]) for column in columns]
        pieces = [np.array([lengths[0].size, width], dtype=np.uint32).tobytes()]
        for sizes, column in zip(lengths, columns, strict=True):
            pieces += [sizes.tobytes(), *(blob for _, blob in column)]
        self._handles[part].write(b"".join(pieces))

    def close(self) -> None:
        """Write what is held, flush and close the files (before reading)."""
        for part, handle in enumerate(self._handles):
            if self._held[part]:
                self._write(part)
            handle.close()

    def discard(self, partition: int) -> None:
        """Delete a partition's file (read already), so its disk and cache pages serve what comes next."""
        self._path(partition).unlink(missing_ok=True)

    def read(self, partition: int, batch: int = 1) -> Iterator[list[list[bytes]]]:
        """The records of one partition, in the order they were appended, as columns of at least ``batch``
        records (frames joined; the last may be shorter), items as bytes."""
        lengths: list[list[np.ndarray]] = []
        blobs: list[list[bytes]] = []
        count = 0
        with open(self._path(partition), "rb") as handle:
            while header := handle.read(8):
                checkpoint()
                size, width = np.frombuffer(header, dtype=np.uint32).tolist()
                if not lengths:
                    lengths, blobs = [[] for _ in range(width)], [[] for _ in range(width)]
                for column in range(width):
                    lengths[column].append(np.frombuffer(handle.read(4 * size), dtype=np.uint32))
                    blobs[column].append(handle.read(int(lengths[column][-1].sum(dtype=np.int64))))
                count += size
                if count >= batch:
                    yield [
                        _pieces(b"".join(blob), np.concatenate(size))
                        for blob, size in zip(blobs, lengths, strict=True)
                    ]
                    lengths, blobs, count = [], [], 0
        if count:
            yield [
                _pieces(b"".join(blob), np.concatenate(size))
                for blob, size in zip(blobs, lengths, strict=True)
            ]
