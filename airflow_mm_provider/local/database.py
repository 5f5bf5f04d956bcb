"""The service's embedded database (SQLite, WAL): resources, executions, the clock and S3 objects.

Every write is one committed transaction before the caller goes on, so an acknowledged request survives the
process being killed. Object bodies live inside the database; no file is ever named after a request's data.
A state directory holds one file, ``mm-local.sqlite3`` (plus SQLite's ``-wal``/``-shm``); without one the same
code runs on ``:memory:``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

DATABASE_FILE = "mm-local.sqlite3"
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    kind TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS buckets (
    name TEXT PRIMARY KEY, account_id TEXT NOT NULL, region TEXT NOT NULL, created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS objects (
    bucket TEXT NOT NULL, key TEXT NOT NULL, body BLOB NOT NULL, attributes TEXT NOT NULL,
    PRIMARY KEY (bucket, key)
);
"""


class StoredObject(NamedTuple):
    """One S3 object as kept: its bucket, key, body and attributes (JSON: metadata, ETag, times)."""

    bucket: str
    key: str
    body: bytes
    attributes: str


class StoredBucket(NamedTuple):
    """One S3 bucket as kept: name, the moto account that holds it, region and creation time (ISO)."""

    name: str
    account_id: str
    region: str
    created: str


class RecordChange(NamedTuple):
    """A resource row to write: ``body`` is its JSON, or None to delete the row."""

    kind: str
    key: str
    body: str | None


class ObjectChange(NamedTuple):
    """An S3 change to write: an object (None: deleted) under ``bucket``/``key``."""

    bucket: str
    key: str
    stored: StoredObject | None


class Database:
    """A SQLite database shared by the service's threads; each method is one transaction.

    :param state_dir: directory holding the database file (created if missing); None keeps it in memory.
    """

    def __init__(self, state_dir: str | Path | None = None) -> None:
        """Open (or create) the database and its tables."""
        if state_dir is None:
            target = ":memory:"
        else:
            folder = Path(state_dir)
            folder.mkdir(parents=True, exist_ok=True)
            target = str(folder / DATABASE_FILE)
        self.path = target
        self._lock = threading.Lock()
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL with synchronous=NORMAL: a committed transaction survives the process being killed at any
        # moment; only an operating-system crash or power loss can lose the last few.
        self._db.execute("PRAGMA synchronous=NORMAL")
        with self._lock:
            self._db.executescript(_SCHEMA)
        with self._transaction() as db:
            found = db.execute("SELECT value FROM meta WHERE name = 'schema'").fetchone()
            if found is None:
                db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            elif int(found[0]) != SCHEMA_VERSION:
                raise RuntimeError(
                    f"{target} has schema version {found[0]}; this mm-local reads version {SCHEMA_VERSION}"
                )

    def _transaction(self) -> _Transaction:
        """A context that holds the lock and commits (or rolls back) one transaction."""
        return _Transaction(self._lock, self._db)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def get_meta(self, name: str) -> str | None:
        """A stored setting (e.g. the clock offset), or None."""
        with self._transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, name: str, value: str) -> None:
        """Store a setting."""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    def write_records(self, changes: Iterable[RecordChange]) -> None:
        """Write resource rows (upserts and deletes) in one transaction."""
        with self._transaction() as db:
            for change in changes:
                if change.body is None:
                    db.execute("DELETE FROM records WHERE kind = ? AND key = ?", (change.kind, change.key))
                else:
                    db.execute("INSERT OR REPLACE INTO records VALUES (?, ?, ?)", change)

    def records(self) -> list[tuple[str, str, str]]:
        """Every resource row as (kind, key, JSON body)."""
        with self._transaction() as db:
            return db.execute("SELECT kind, key, body FROM records").fetchall()

    def clear(self) -> None:
        """Forget every resource, bucket and object (settings such as the clock stay)."""
        with self._transaction() as db:
            for table in ("records", "buckets", "objects"):
                db.execute(f"DELETE FROM {table}")

    def write_s3(
        self, buckets: Iterable[tuple[str, StoredBucket | None]], objects: Iterable[ObjectChange]
    ) -> None:
        """Write bucket and object changes in one transaction (None: the bucket or object is gone)."""
        with self._transaction() as db:
            for name, bucket in buckets:
                if bucket is None:
                    db.execute("DELETE FROM objects WHERE bucket = ?", (name,))
                    db.execute("DELETE FROM buckets WHERE name = ?", (name,))
                else:
                    db.execute("INSERT OR REPLACE INTO buckets VALUES (?, ?, ?, ?)", bucket)
            for change in objects:
                if change.stored is None:
                    db.execute(
                        "DELETE FROM objects WHERE bucket = ? AND key = ?", (change.bucket, change.key)
                    )
                else:
                    db.execute("INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?)", change.stored)

    def buckets(self) -> list[StoredBucket]:
        """Every bucket."""
        with self._transaction() as db:
            return [StoredBucket(*row) for row in db.execute("SELECT * FROM buckets ORDER BY name")]

    def objects(self, batch: int = 32) -> Iterator[StoredObject]:
        """Every object, read in batches so bodies are not all held at once."""
        after: tuple[str, str] = ("", "")
        while True:
            with self._transaction() as db:
                rows = db.execute(
                    "SELECT bucket, key, body, attributes FROM objects WHERE (bucket, key) > (?, ?) "
                    "ORDER BY bucket, key LIMIT ?",
                    (*after, batch),
                ).fetchall()
            if not rows:
                return
            for row in rows:
                yield StoredObject(*row)
            after = (rows[-1][0], rows[-1][1])


class _Transaction:
    """Holds the database lock for one ``BEGIN IMMEDIATE`` … ``COMMIT`` (rolled back on error)."""

    def __init__(self, lock: threading.Lock, db: sqlite3.Connection) -> None:
        """Remember the lock and connection."""
        self._lock = lock
        self._db = db

    def __enter__(self) -> sqlite3.Connection:
        """Take the lock and begin."""
        self._lock.acquire()
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._lock.release()
            raise
        return self._db

    def __exit__(self, kind: type[BaseException] | None, *_: Any) -> None:
        """Commit, or roll back when the block raised; release the lock."""
        try:
            self._db.execute("ROLLBACK" if kind is not None else "COMMIT")
        finally:
            self._lock.release()
