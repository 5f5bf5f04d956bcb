"""Filtering, sorting and opaque-token pagination shared by every List operation."""

from __future__ import annotations

import base64
import json
import operator
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from airflow_mm_provider.local.errors import validation_error

DEFAULT_MAX_RESULTS = 10


def sort_value(value: Any) -> Any:
    """Make a record's sort value comparable and JSON-friendly (datetimes become epoch seconds)."""
    return value.timestamp() if isinstance(value, datetime) else value


def time_filters(request: dict[str, Any], fields: dict[str, str]) -> list[Callable[[dict[str, Any]], bool]]:
    """Predicates for ``<Prefix>Before``/``<Prefix>After`` members; ``fields`` maps prefix → record field."""
    predicates: list[Callable[[dict[str, Any]], bool]] = []
    for prefix, field in fields.items():
        before, after = request.get(f"{prefix}Before"), request.get(f"{prefix}After")
        if before is not None:
            predicates.append(_compare(field, operator.lt, before))
        if after is not None:
            predicates.append(_compare(field, operator.gt, after))
    return predicates


def _compare(field: str, compare: Callable[[Any, Any], bool], bound: Any) -> Callable[[dict[str, Any]], bool]:
    """Predicate true when ``compare(record[field], bound)`` holds."""
    return lambda record: compare(record[field], bound)


def paginate(
    records: Iterable[dict[str, Any]],
    key: Callable[[dict[str, Any]], Any],
    request: dict[str, Any],
    default_max: int = DEFAULT_MAX_RESULTS,
) -> tuple[list[dict[str, Any]], str | None]:
    """Sort by ``(key, _seq)``, honour ``SortOrder`` (default Descending), ``MaxResults`` and ``NextToken``.

    The token names the last record returned, so pages stay consistent while records are added.
    """
    keyed = sorted(((sort_value(key(r)), r["_seq"]), r) for r in records)
    keys = [k for k, _ in keyed]
    limit = request.get("MaxResults") or default_max
    descending = request.get("SortOrder", "Descending") == "Descending"
    token = request.get("NextToken")
    after = _decode_token(token) if token else None
    if descending:
        end = bisect_left(keys, after) if after is not None else len(keys)
        page = [r for _, r in reversed(keyed[max(0, end - limit) : end])]
        more = end - limit > 0
    else:
        start = bisect_right(keys, after) if after is not None else 0
        page = [r for _, r in keyed[start : start + limit]]
        more = start + limit < len(keys)
    if not more or not page:
        return page, None
    last = page[-1]
    return page, _encode_token((sort_value(key(last)), last["_seq"]))


def _encode_token(position: tuple[Any, int]) -> str:
    """Opaque token for a sort position."""
    return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode()


def _decode_token(token: str) -> tuple[Any, int]:
    """Read back a token made by ``_encode_token``."""
    try:
        value, seq = json.loads(base64.urlsafe_b64decode(token.encode()))
        return value, int(seq)
    except (ValueError, TypeError) as err:
        raise validation_error(f"Invalid pagination token {token!r}") from err


class SortedIndex:
    """Records of an append-only pool kept sorted by a field that never changes once set.

    :meth:`sync` takes in records appended to the pool since the last call, so listing a large pool costs a
    binary search plus the page, not a sort.
    """

    def __init__(self, field: str) -> None:
        """Index by ``field`` (then ``_seq``)."""
        self.field = field
        self.keys: list[tuple[Any, int]] = []
        self.records: list[dict[str, Any]] = []
        self.seen = 0

    def sync(self, pool: list[dict[str, Any]]) -> SortedIndex:
        """Add the records appended to ``pool`` since the last sync; returns self."""
        for record in pool[self.seen :]:
            key = (sort_value(record[self.field]), record["_seq"])
            at = bisect_right(self.keys, key)
            self.keys.insert(at, key)
            self.records.insert(at, record)
        self.seen = len(pool)
        return self

    def page(
        self, request: dict[str, Any], keep: Callable[[dict[str, Any]], bool]
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Like :func:`paginate`, walking the index from the token and keeping records ``keep`` accepts."""
        limit = request.get("MaxResults") or DEFAULT_MAX_RESULTS
        token = request.get("NextToken")
        after = _decode_token(token) if token else None
        if request.get("SortOrder", "Descending") == "Descending":
            end = bisect_left(self.keys, after) if after is not None else len(self.keys)
            positions: Iterable[int] = range(end - 1, -1, -1)
        else:
            positions = range(bisect_right(self.keys, after) if after is not None else 0, len(self.keys))
        found: list[int] = []
        for position in positions:
            if keep(self.records[position]):
                found.append(position)
                if len(found) > limit:
                    break
        page = [self.records[p] for p in found[:limit]]
        if len(found) <= limit:
            return page, None
        return page, _encode_token(self.keys[found[limit - 1]])
